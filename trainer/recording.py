"""`Recording`: a whole recording in memory, already in DESIGN.md B.1 coordinates and units.

Every reader in `trainer.readers` returns one. Force plates give a COP and a total load but no corners; boards give
corner loads (and sometimes raw counts) from which the COP is computed. Samples where nobody stands on the plate
(dropouts, Fz = 0) keep their row with NaN COP, so time stays honest and nothing is divided by zero.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hardware.samples import BoardGeometry


@dataclass
class Recording:
    path: str
    format: str  # reader name: "bds", "pds", "amti", "wii-recorder", "kistler", "c3d", "mat", "folder"
    t_s: np.ndarray  # float64, seconds, strictly the recorded timestamps (may be irregular)
    cop_x_mm: np.ndarray  # medio-lateral, + to the user's right; NaN where nobody stands
    cop_y_mm: np.ndarray  # antero-posterior, + forward; NaN where nobody stands
    total_kg: np.ndarray  # vertical load, kilograms-force
    fs_hz: float | None  # nominal sampling rate; None where the timestamps are irregular
    corners_kg: np.ndarray | None = None  # (n, 4) tl, tr, bl, br where the device measured corners
    raw_counts: np.ndarray | None = None  # (n, 4) raw ADC counts in the same order, where the device has them
    seq: np.ndarray | None = None  # device sequence numbers, where it has them
    geometry: BoardGeometry | None = None  # sensor layout, where the device measured corners
    metadata: dict = field(default_factory=dict)  # what the file said about itself (subject, device, rates ...)

    def __post_init__(self) -> None:
        n = len(self.t_s)
        for name in ("cop_x_mm", "cop_y_mm", "total_kg"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"Recording.{name} has {len(getattr(self, name))} rows, t_s has {n}")

    @property
    def n_samples(self) -> int:
        return len(self.t_s)

    @property
    def duration_s(self) -> float:
        return float(self.t_s[-1] - self.t_s[0]) if self.n_samples else 0.0

    @property
    def standing(self) -> np.ndarray:
        """True where someone stands on the plate (the COP is defined)."""
        return np.isfinite(self.cop_x_mm) & np.isfinite(self.cop_y_mm)

    def window(self, start_s: float | None, end_s: float | None) -> "Recording":
        """The rows with start_s <= t - t0 < end_s (end exclusive), t0 being the first timestamp."""
        rel = self.t_s - self.t_s[0] if self.n_samples else self.t_s
        keep = np.ones(self.n_samples, dtype=bool)
        if start_s is not None:
            keep &= rel >= start_s - 1e-9
        if end_s is not None:
            keep &= rel < end_s - 1e-9
        return self.select(keep)

    def select(self, keep: np.ndarray) -> "Recording":
        def pick(a):
            return None if a is None else a[keep]

        return Recording(
            path=self.path, format=self.format, t_s=self.t_s[keep], cop_x_mm=self.cop_x_mm[keep],
            cop_y_mm=self.cop_y_mm[keep], total_kg=self.total_kg[keep], fs_hz=self.fs_hz,
            corners_kg=pick(self.corners_kg), raw_counts=pick(self.raw_counts), seq=pick(self.seq),
            geometry=self.geometry, metadata=dict(self.metadata),
        )
