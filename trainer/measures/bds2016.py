"""Profile `bds2016`: the three values Santos & Duarte (2016, PeerJ 4:e2648) published for every BDS trial.

Computed exactly as the authors did (shared/data/README.md): the raw COP in cm over the whole trial, no detrend and
no extra filter.
- `sway_area_ellipse95_cm2` (their COParea): area of the 95 % prediction ellipse, F-distribution coefficient.
- `mean_velocity_cm_s` (COPvelo): total path length / (N / fs), N samples (not N − 1).
- `mean_frequency_hz` (COPmfreq): per axis the mean power frequency of a Welch PSD (Hann, N/2 segments, N/4
  overlap), ∫f·P df / ∫P df by the trapezoid rule; the resultant is the mean of the two weighted by each axis'
  power as the authors summed it, Σ P over the frequency bins (not the trapezoid integral: the difference, half of
  the 0 Hz bin where a COP has much of its power, moves the result by up to 0.5 %).
Source: the authors' notebook `Balance/notebooks/BalanceDatasetAnalysis.ipynb` (BMClab datasets repository), the
cell that wrote BDSinfoCOP.txt, with Duarte's `psd.py`.
"""
from __future__ import annotations

import numpy as np

from trainer.errors import MeasureError
from trainer.measures.sway import mean_power_frequency, path_length, prediction_ellipse, welch_half_record

MM_PER_CM = 10.0


def bds2016_measures(ap_cm, ml_cm, fs_hz: float) -> dict[str, float]:
    ap_cm = np.asarray(ap_cm, dtype=np.float64)
    ml_cm = np.asarray(ml_cm, dtype=np.float64)
    n = len(ap_cm)
    if n < 8:
        raise MeasureError(f"bds2016 needs at least 8 samples, got {n}")
    if not (np.isfinite(ap_cm).all() and np.isfinite(ml_cm).all()):
        raise MeasureError("bds2016 is defined on an uninterrupted trial; this one has samples where nobody stands")
    area_cm2, _, _ = prediction_ellipse(ap_cm, ml_cm, 0.95)
    velocity_cm_s = path_length(ap_cm, ml_cm) / (n / fs_hz)
    weighted_sum = summed_power = 0.0
    for axis in (ap_cm, ml_cm):
        frequency_hz, power = welch_half_record(axis, fs_hz)
        axis_power = float(power.sum())
        if axis_power > 0.0:  # an axis that never moved weighs nothing in the resultant
            weighted_sum += mean_power_frequency(frequency_hz, power)[0] * axis_power
            summed_power += axis_power
    weighted = weighted_sum / summed_power if summed_power > 0.0 else float("nan")
    return {"sway_area_ellipse95_cm2": area_cm2, "mean_velocity_cm_s": velocity_cm_s, "mean_frequency_hz": weighted}


def profile_bds2016(recording, start_s=None, end_s=None) -> dict[str, float]:
    if recording.fs_hz is None:
        raise MeasureError(f"{recording.path}: bds2016 needs a regularly sampled recording (this one is irregular)")
    window = recording.window(start_s, end_s)
    return bds2016_measures(window.cop_y_mm / MM_PER_CM, window.cop_x_mm / MM_PER_CM, recording.fs_hz)
