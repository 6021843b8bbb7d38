"""Corner loads to total load and centre of pressure: the one COP formula of the project.

With the four sensors at (±half_x, ±half_y) mm, the COP is the load-weighted mean of their positions:
    x = half_x · ((tr + br) − (tl + bl)) / total,   y = half_y · ((tl + tr) − (bl + br)) / total.
Below `MIN_STANDING_KG` nobody is standing: the COP is NaN ("nobody standing"), never a division by a tiny number.
"""
from __future__ import annotations

import numpy as np

from hardware.samples import BoardGeometry
from trainer.jit import kernel

# Below this total load the COP of a board is undefined. 5 kgf is above a bare board's drift and noise (the Wii
# board drifts by about ±0.5 kgf) and below any person who could use it, even a child leaning on one foot.
MIN_STANDING_KG = 5.0

TL, TR, BL, BR = 0, 1, 2, 3  # column order of every (n, 4) corner array, as in LoadSample


@kernel
def corners_to_cop_kernel(corners_kg, half_x_mm, half_y_mm, min_load_kg, total_kg, cop_x_mm, cop_y_mm):
    for i in range(corners_kg.shape[0]):
        tl = corners_kg[i, 0]
        tr = corners_kg[i, 1]
        bl = corners_kg[i, 2]
        br = corners_kg[i, 3]
        total = tl + tr + bl + br
        total_kg[i] = total
        if total >= min_load_kg:
            cop_x_mm[i] = half_x_mm * ((tr + br) - (tl + bl)) / total
            cop_y_mm[i] = half_y_mm * ((tl + tr) - (bl + br)) / total
        else:  # also catches NaN totals: a corner that timed out makes the COP unknown
            cop_x_mm[i] = np.nan
            cop_y_mm[i] = np.nan


@kernel
def calibrate_corners_kernel(raw, tare, gain_kg_per_count, corners_kg):
    for i in range(raw.shape[0]):
        for c in range(4):
            corners_kg[i, c] = (raw[i, c] - tare[c]) * gain_kg_per_count[c]


@kernel
def cop_to_corners_kernel(cop_x_mm, cop_y_mm, total_kg, half_x_mm, half_y_mm, corners_kg):
    # The bilinear split: each corner gets the load its distance weights give it. It is the inverse of
    # corners_to_cop for any COP inside the sensor rectangle, so replayed force plates give back their own COP.
    for i in range(cop_x_mm.shape[0]):
        x = cop_x_mm[i]
        y = cop_y_mm[i]
        total = total_kg[i]
        if not (np.isfinite(x) and np.isfinite(y) and np.isfinite(total)):
            for c in range(4):
                corners_kg[i, c] = 0.0
            continue
        right = 0.5 + x / (2.0 * half_x_mm)
        front = 0.5 + y / (2.0 * half_y_mm)
        corners_kg[i, 0] = total * (1.0 - right) * front
        corners_kg[i, 1] = total * right * front
        corners_kg[i, 2] = total * (1.0 - right) * (1.0 - front)
        corners_kg[i, 3] = total * right * (1.0 - front)


def _as_corners(corners_kg) -> np.ndarray:
    corners = np.ascontiguousarray(corners_kg, dtype=np.float64)
    if corners.ndim != 2 or corners.shape[1] != 4:
        raise ValueError(f"corner loads must have shape (n, 4) (tl, tr, bl, br), not {corners.shape}")
    return corners


def corners_to_cop(corners_kg, geometry: BoardGeometry, min_load_kg: float = MIN_STANDING_KG):
    """(total_kg, cop_x_mm, cop_y_mm) for an (n, 4) array of corner loads in kgf."""
    corners = _as_corners(corners_kg)
    n = corners.shape[0]
    total, x, y = np.empty(n), np.empty(n), np.empty(n)
    corners_to_cop_kernel(corners, geometry.half_x_mm, geometry.half_y_mm, float(min_load_kg), total, x, y)
    return total, x, y


def cop_to_corners(cop_x_mm, cop_y_mm, total_kg, geometry: BoardGeometry) -> np.ndarray:
    """Corner loads (n, 4) that put `total_kg` at the given COP on a board of this geometry; zeros where unknown."""
    x = np.ascontiguousarray(cop_x_mm, dtype=np.float64)
    y = np.ascontiguousarray(cop_y_mm, dtype=np.float64)
    total = np.ascontiguousarray(np.broadcast_to(total_kg, x.shape), dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"cop_x_mm and cop_y_mm must be 1-D of equal length, not {x.shape} and {y.shape}")
    corners = np.empty((x.shape[0], 4))
    cop_to_corners_kernel(x, y, total, geometry.half_x_mm, geometry.half_y_mm, corners)
    return corners


def calibrate_corners(raw_counts, tare_counts, gain_kg_per_count) -> np.ndarray:
    """Corner loads in kgf from raw ADC counts: (raw − tare) · gain, per corner."""
    raw = _as_corners(raw_counts)
    tare = np.ascontiguousarray(tare_counts, dtype=np.float64)
    gain = np.ascontiguousarray(gain_kg_per_count, dtype=np.float64)
    if tare.shape != (4,) or gain.shape != (4,):
        raise ValueError("tare_counts and gain_kg_per_count must each hold 4 values (tl, tr, bl, br)")
    corners = np.empty_like(raw)
    calibrate_corners_kernel(raw, tare, gain, corners)
    return corners
