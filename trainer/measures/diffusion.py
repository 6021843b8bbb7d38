"""Stabilogram diffusion analysis (Collins & De Luca 1993) as Quijoux et al. 2021 compute it.

The diffusion plot is the mean squared displacement per axis, <(x(t + Δt) − x(t))²>, for lags up to a third of the
trial. In log–log coordinates two straight lines are fitted by least squares: a short-term one through the first i
points and a long-term one from point i − 1 to the end, each i chosen between 0.3 s and 2.5 s as the one with the
smallest root-mean-square residual (the last one on a tie). Where the lines cross is the critical point.

The authors' names are kept even where they are loose: "diffusion" is exp(intercept) of the log–log line (the MSD
extrapolated to Δt = 1 s, i.e. 2·D for a 1-D random walk), "scaling" is half its slope (the Hurst-like exponent).
"""
from __future__ import annotations

import math

import numpy as np

from trainer.jit import kernel

DURATION_RATIO = 1.0 / 3.0  # lags up to a third of the trial
SHORT_REGION_MIN_S = 0.3
SHORT_REGION_MAX_S = 2.5

DIFFUSION_NAMES = ("short_time_diffusion", "long_time_diffusion", "critical_time", "critical_displacement",
                   "short_time_scaling", "long_time_scaling")


@kernel
def mean_squared_displacement_kernel(signal, max_lag, out):
    """out[lag - 1, c] = mean over t of (signal[t + lag, c] − signal[t, c])², lag = 1..max_lag; signal (n, channels)."""
    n, n_channels = signal.shape
    for lag in range(1, max_lag + 1):
        for c in range(n_channels):
            total = 0.0
            for t in range(n - lag):
                d = signal[t + lag, c] - signal[t, c]
                total += d * d
            out[lag - 1, c] = total / (n - lag)


@kernel
def _line_fit(x, y, start, stop):
    """Least-squares line y = intercept + slope·x over [start, stop): (intercept, slope, rms residual)."""
    m = stop - start
    x_mean = 0.0
    y_mean = 0.0
    for k in range(start, stop):
        x_mean += x[k]
        y_mean += y[k]
    x_mean /= m
    y_mean /= m
    sxx = 0.0
    sxy = 0.0
    for k in range(start, stop):
        sxx += (x[k] - x_mean) * (x[k] - x_mean)
        sxy += (x[k] - x_mean) * (y[k] - y_mean)
    slope = sxy / sxx
    intercept = y_mean - slope * x_mean
    squares = 0.0
    for k in range(start, stop):
        r = y[k] - (intercept + slope * x[k])
        squares += r * r
    return intercept, slope, math.sqrt(squares / m)


@kernel
def two_region_fit_kernel(log_lag_s, log_msd, first_i, last_i, out):
    """out[:] = DIFFUSION_NAMES values for one axis, from log(lag) and log(MSD) of lags 1..max_lag."""
    n = log_lag_s.shape[0]
    best_rms = np.inf
    short_intercept = 0.0
    short_slope = 0.0
    for i in range(first_i, last_i + 1):
        intercept, slope, rms = _line_fit(log_lag_s, log_msd, 0, i)
        if rms <= best_rms:  # <=: the last of equal minima, as the authors
            best_rms = rms
            short_intercept = intercept
            short_slope = slope
    best_rms = np.inf
    long_intercept = 0.0
    long_slope = 0.0
    for i in range(first_i, last_i + 1):
        intercept, slope, rms = _line_fit(log_lag_s, log_msd, i - 1, n)
        if rms <= best_rms:
            best_rms = rms
            long_intercept = intercept
            long_slope = slope
    log_critical_time = (long_intercept - short_intercept) / (short_slope - long_slope)
    if log_critical_time > log_lag_s[n - 1]:  # lines crossing beyond the plot: clamp to its last lag
        log_critical_time = log_lag_s[n - 1]
    out[0] = math.exp(short_intercept)
    out[1] = math.exp(long_intercept)
    out[2] = math.exp(log_critical_time)
    out[3] = math.exp(short_intercept + short_slope * log_critical_time)
    out[4] = short_slope / 2.0
    out[5] = long_slope / 2.0


def diffusion_descriptors(signal: np.ndarray, fs_hz: float) -> np.ndarray:
    """(channels, 6) values in the order of DIFFUSION_NAMES for `signal` (n, channels) sampled at fs_hz."""
    n = signal.shape[0]
    max_lag = int(n * DURATION_RATIO)
    first_i = int(SHORT_REGION_MIN_S * fs_hz) + 1
    last_i = int(SHORT_REGION_MAX_S * fs_hz)
    if max_lag < last_i + 1:
        raise ValueError(f"the diffusion analysis needs lags up to {SHORT_REGION_MAX_S:g} s within a third of the "
                         f"trial: at least {3 * (last_i + 1)} samples, got {n}")
    msd = np.empty((max_lag, signal.shape[1]))
    mean_squared_displacement_kernel(np.ascontiguousarray(signal), max_lag, msd)
    log_lag_s = np.log(np.arange(n)[1:max_lag + 1] / fs_hz)  # lags in s as the authors compute them
    log_msd = np.log(msd)
    out = np.empty((signal.shape[1], len(DIFFUSION_NAMES)))
    for c in range(signal.shape[1]):
        two_region_fit_kernel(log_lag_s, np.ascontiguousarray(log_msd[:, c]), first_i, last_i, out[c])
    return out
