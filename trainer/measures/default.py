"""Profile `default`: the project's own sway measures (Prieto et al. 1996 family, plus what the games need).

Preprocessing, in this order: keep the samples where someone stands with most of their weight (not stepping on
or off); an irregular recording is first resampled to
`UNIFORM_RATE_HZ` with SWARII; the COP is low-passed at 10 Hz (4th-order Butterworth, zero phase) when the rate allows
it; then centred on its mean. Every measure, its unit and its definition are listed in docs/measures.md.
"""
from __future__ import annotations

import numpy as np

from trainer.errors import MeasureError
from trainer.filters import zero_phase_lowpass
from trainer.measures.sway import path_length, prediction_ellipse

UNIFORM_RATE_HZ = 25.0  # SWARII's target for irregular boards (the Wii board sends ~40 Hz with jitter)
LOW_PASS_HZ = 10.0
ZONE_RADIUS_MM = 10.0  # "in the zone": within this distance of the mean COP
MIN_DURATION_S = 2.0
STEPPING_LOAD_FRACTION = 0.8  # below 80 % of the median load, someone is stepping on or off


def sway_summary(t_s, cop_x_mm, cop_y_mm) -> dict[str, float]:
    """The few measures a live screen shows, on raw uniform or near-uniform samples (no filter, no resampling)."""
    t_s, x, y = (np.asarray(a, dtype=np.float64) for a in (t_s, cop_x_mm, cop_y_mm))
    standing = np.isfinite(x) & np.isfinite(y)
    if standing.sum() < 3:
        return {}
    t_s, x, y = t_s[standing], x[standing], y[standing]
    duration_s = float(t_s[-1] - t_s[0])
    x_c, y_c = x - x.mean(), y - y.mean()
    summary = {
        "rms_ml_mm": float(np.sqrt(np.mean(x_c**2))),
        "rms_ap_mm": float(np.sqrt(np.mean(y_c**2))),
        "sway_area_ellipse95_mm2": prediction_ellipse(x, y)[0],
    }
    if duration_s > 0:
        summary["mean_velocity_mm_s"] = path_length(x, y) / duration_s
    return summary


def default_measures(cop_x_mm, cop_y_mm, fs_hz: float) -> dict[str, float]:
    """All default measures of a uniformly sampled COP (mm) at fs_hz, after the profile's filter."""
    x = np.asarray(cop_x_mm, dtype=np.float64)
    y = np.asarray(cop_y_mm, dtype=np.float64)
    n = len(x)
    duration_s = n / fs_hz
    if duration_s < MIN_DURATION_S:
        raise MeasureError(f"the default measures need at least {MIN_DURATION_S:g} s of standing, got {duration_s:.2f} s")
    x_c, y_c = x - x.mean(), y - y.mean()
    distance_mm = np.hypot(x_c, y_c)
    path_mm = path_length(x, y)
    mean_distance_mm = float(distance_mm.mean())
    area_mm2, semi_major_mm, semi_minor_mm = prediction_ellipse(x, y, 0.95)
    jerk = np.diff(np.column_stack((x, y)), n=3, axis=0) * fs_hz**3
    return {
        "duration_s": float(duration_s),
        "mean_distance_mm": mean_distance_mm,
        "rms_distance_mm": float(np.sqrt(np.mean(distance_mm**2))),
        "rms_ml_mm": float(np.sqrt(np.mean(x_c**2))),
        "rms_ap_mm": float(np.sqrt(np.mean(y_c**2))),
        "range_ml_mm": float(np.ptp(x)),
        "range_ap_mm": float(np.ptp(y)),
        "path_length_mm": path_mm,
        "mean_velocity_mm_s": path_mm / duration_s,
        "mean_velocity_ml_mm_s": path_length(x, np.zeros(n)) / duration_s,
        "mean_velocity_ap_mm_s": path_length(np.zeros(n), y) / duration_s,
        "sway_area_ellipse95_mm2": area_mm2,
        "ellipse95_semi_major_mm": semi_major_mm,
        "ellipse95_semi_minor_mm": semi_minor_mm,
        "mean_frequency_hz": (path_mm / duration_s) / (2.0 * np.pi * mean_distance_mm) if mean_distance_mm > 0 else 0.0,
        "time_in_zone_pct": float(100.0 * np.mean(distance_mm <= ZONE_RADIUS_MM)),
        "mean_jerk_mm_s3": float(np.mean(np.hypot(jerk[:, 0], jerk[:, 1]))) if n > 3 else 0.0,
    }


def standing_on_the_board(recording) -> np.ndarray:
    """Rows where the person stands on the board: a COP, and at least STEPPING_LOAD_FRACTION of the median load.

    Stepping on and off passes through every load between zero and the body's weight; those rows have a COP but
    it is the COP of a foot arriving, not of standing, and one such second can double a trial's sway range.
    """
    standing = recording.standing.copy()
    loads = recording.total_kg[standing]
    if loads.size and np.isfinite(loads).all():
        standing &= recording.total_kg >= STEPPING_LOAD_FRACTION * np.median(loads)
    return standing


def _uniform(recording) -> tuple[np.ndarray, np.ndarray, float]:
    standing = standing_on_the_board(recording)
    if standing.sum() < 3:
        raise MeasureError(f"{recording.path}: nobody stands on the plate in this window")
    t_s, x, y = recording.t_s[standing], recording.cop_x_mm[standing], recording.cop_y_mm[standing]
    if recording.fs_hz is not None:
        return x, y, recording.fs_hz
    from trainer.resample import swarii

    _, xy = swarii(t_s, np.column_stack((x, y)), UNIFORM_RATE_HZ)
    return xy[:, 0], xy[:, 1], UNIFORM_RATE_HZ


def profile_default(recording, start_s=None, end_s=None) -> dict[str, float]:
    x, y, fs_hz = _uniform(recording.window(start_s, end_s))
    if fs_hz > 2.5 * LOW_PASS_HZ and len(x) > 30:
        x, y = zero_phase_lowpass(np.column_stack((x, y)), LOW_PASS_HZ, fs_hz).T
    return default_measures(x, y, fs_hz)
