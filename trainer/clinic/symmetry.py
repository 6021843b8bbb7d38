"""Weight-bearing symmetry in quiet stance: the share of the body's load on each side and front/back.

Left = the two left corners (tl + bl), right = tr + br, front = tl + tr, back = bl + br, each as a percentage of
the load summed over the whole trial (sums first, so a moment of light load weighs less than a full one).
`asymmetry_pct` = |left − right| in percentage points (0 = even).
"""
from __future__ import annotations

import numpy as np


def load_shares(corners_kg) -> dict[str, float]:
    corners = np.asarray(corners_kg, dtype=np.float64).reshape(-1, 4)
    sums = corners.sum(axis=0)  # tl, tr, bl, br over the trial
    total = float(sums.sum())
    if not total > 0:
        raise ValueError("nobody stood on the board: no load to share")
    left = 100.0 * (sums[0] + sums[2]) / total
    front = 100.0 * (sums[0] + sums[1]) / total
    return {"left_pct": left, "right_pct": 100.0 - left, "front_pct": front, "back_pct": 100.0 - front,
            "asymmetry_pct": abs(2.0 * left - 100.0), "mean_load_kg": total / len(corners)}
