"""Sway primitives shared by every measures profile: path length, prediction ellipse, mean power frequency.

Each is written once here; the profiles (bds2016, default, quijoux2021) differ only in preprocessing and in which
constants they pass (e.g. the ellipse's coverage and coefficient).
"""
from __future__ import annotations

import math

import numpy as np

from trainer.jit import kernel


@kernel
def path_length_kernel(x, y):
    """Σ‖Δ(x, y)‖ over consecutive samples, skipping any step that touches a NaN (nobody standing)."""
    total = 0.0
    for i in range(1, x.shape[0]):
        dx = x[i] - x[i - 1]
        dy = y[i] - y[i - 1]
        step = math.sqrt(dx * dx + dy * dy)
        if step == step:  # not NaN
            total += step
    return total


def path_length(x, y) -> float:
    return float(path_length_kernel(np.ascontiguousarray(x, dtype=np.float64),
                                    np.ascontiguousarray(y, dtype=np.float64)))


def f_quantile_2(p: float, denominator_dof: int) -> float:
    """Quantile p of the F distribution with (2, m) degrees of freedom, in closed form: its CDF is
    1 − (1 + 2x/m)^(−m/2), so x = (m/2)·((1 − p)^(−2/m) − 1), written with expm1 so large m does not cancel."""
    m = float(denominator_dof)
    return 0.5 * m * math.expm1(-2.0 / m * math.log(1.0 - p))


def prediction_ellipse(x, y, coverage: float = 0.95) -> tuple[float, float, float]:
    """(area, semi-axis major, semi-axis minor) of the `coverage` prediction ellipse of the 2-D points.

    The F-distribution form (Duarte's `hyperellipsoid`): covariance with ddof = 1, scaled by
    F(coverage; 2, n − 2) · 2 (n − 1)(n + 1) / (n (n − 2)). Area in the square of the input's unit.
    """
    points = np.column_stack((x, y))
    n = points.shape[0]
    if n < 3:
        raise ValueError("the prediction ellipse needs at least 3 samples")
    eigenvalues = np.linalg.eigvalsh(np.cov(points, rowvar=False, ddof=1))
    scale = f_quantile_2(coverage, n - 2) * 2 * (n - 1) * (n + 1) / (n * (n - 2))
    semi_axes = np.sqrt(np.clip(eigenvalues, 0.0, None) * scale)
    return float(np.pi * semi_axes[0] * semi_axes[1]), float(semi_axes[1]), float(semi_axes[0])


def prediction_ellipse_outline(x, y, coverage: float = 0.95, n_points: int = 72) -> tuple[np.ndarray, np.ndarray]:
    """Points on the same prediction ellipse as `prediction_ellipse` (same scale), centred on the mean and turned
    along the principal axes: for drawing it over the COP trace."""
    points = np.column_stack((x, y))
    n = points.shape[0]
    if n < 3:
        raise ValueError("the prediction ellipse needs at least 3 samples")
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(points, rowvar=False, ddof=1))
    scale = f_quantile_2(coverage, n - 2) * 2 * (n - 1) * (n + 1) / (n * (n - 2))
    semi_axes = np.sqrt(np.clip(eigenvalues, 0.0, None) * scale)
    angle = np.linspace(0.0, 2.0 * np.pi, n_points, endpoint=False)
    unit = np.column_stack((semi_axes[0] * np.cos(angle), semi_axes[1] * np.sin(angle)))
    outline = unit @ eigenvectors.T + points.mean(axis=0)
    return outline[:, 0], outline[:, 1]


def welch_half_record(signal, fs_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD as the BMClab authors set it: Hann, segments of N/2 with N/4 overlap, constant detrend."""
    from scipy.signal import welch  # imported when first needed: scipy.signal costs half a second to import

    n = len(signal)
    segment = n // 2
    return welch(signal, fs=fs_hz, window="hann", nperseg=segment, noverlap=n // 4, nfft=segment,
                 detrend="constant")


def mean_power_frequency(frequency_hz, power) -> tuple[float, float]:
    """(∫f·P df / ∫P df, ∫P df), both by the trapezoid rule."""
    total_power = float(np.trapezoid(power, frequency_hz))
    if total_power == 0.0:
        return float("nan"), 0.0  # a COP that never moved on this axis has no frequency (not an error in the code)
    return float(np.trapezoid(frequency_hz * power, frequency_hz)) / total_power, total_power
