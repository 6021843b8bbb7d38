"""Zero-phase Butterworth filtering and Savitzky–Golay differentiation over whole recordings, as numba kernels.

Both reproduce scipy's definitions step for step, so that measures computed with them equal the published code that
used scipy: `filtfilt` pads each end by an odd reflection of 3·(order + 1) samples, starts the forward pass at the
filter's steady state for the first padded value and the backward pass at the steady state for the last forward
output (scipy.signal.filtfilt, padtype="odd", method="pad"); the filter itself is scipy.signal.lfilter's transposed
direct form II. `savgol_derivative` is scipy.signal.savgol_filter(deriv=1, mode="interp"): the least-squares
polynomial's derivative over each centred window, and over the first and last windows for the edge samples.

Filter and polynomial coefficients are designed once per setting (trainer.filter_design, numpy; cached) and never in the hot path.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from trainer.filter_design import butter_lowpass_ba, lfilter_initial_state
from trainer.jit import kernel


@lru_cache(maxsize=16)
def butter_lowpass(order: int, cutoff_hz: float, fs_hz: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(b, a, zi): the Butterworth low-pass (a[0] = 1, as the kernel assumes) and its steady-state initial state."""
    b, a = butter_lowpass_ba(order, cutoff_hz, fs_hz)
    return b, a, lfilter_initial_state(b, a)


@kernel
def _lfilter_into(b, a, x, state, y):
    """y = lfilter(b, a, x) from `state` (updated), in scipy's order of operations (transposed direct form II)."""
    order = b.shape[0] - 1
    for i in range(x.shape[0]):
        xi = x[i]
        yi = state[0] + b[0] * xi
        for k in range(order - 1):
            state[k] = state[k + 1] + xi * b[k + 1] - yi * a[k + 1]
        state[order - 1] = xi * b[order] - yi * a[order]
        y[i] = yi


@kernel
def filtfilt_kernel(b, a, zi, signal, pad, out):
    """out[:, c] = scipy.signal.filtfilt(b, a, signal[:, c], padtype="odd", padlen=pad) for every column c."""
    n, n_channels = signal.shape
    n_ext = n + 2 * pad
    extended = np.empty(n_ext)
    forward = np.empty(n_ext)
    backward = np.empty(n_ext)
    state = np.empty(zi.shape[0])
    for c in range(n_channels):
        first = signal[0, c]
        last = signal[n - 1, c]
        for k in range(pad):
            extended[k] = 2.0 * first - signal[pad - k, c]
            extended[pad + n + k] = 2.0 * last - signal[n - 2 - k, c]
        for k in range(n):
            extended[pad + k] = signal[k, c]
        for k in range(state.shape[0]):
            state[k] = zi[k] * extended[0]
        _lfilter_into(b, a, extended, state, forward)
        for k in range(n_ext):  # reuse `extended` for the time-reversed forward output
            extended[k] = forward[n_ext - 1 - k]
        for k in range(state.shape[0]):
            state[k] = zi[k] * extended[0]
        _lfilter_into(b, a, extended, state, backward)
        for k in range(n):
            out[k, c] = backward[n_ext - 1 - pad - k]


def filtfilt_lowpass(signal: np.ndarray, order: int, cutoff_hz: float, fs_hz: float) -> np.ndarray:
    """Zero-phase Butterworth low-pass of `signal` (n,) or (n, channels), as scipy.signal.filtfilt(b, a, x, axis=0)."""
    b, a, zi = butter_lowpass(order, cutoff_hz, fs_hz)
    x = np.asarray(signal, dtype=np.float64)
    one_dimensional = x.ndim == 1
    x2 = np.ascontiguousarray(x[:, None] if one_dimensional else x)
    pad = 3 * max(len(a), len(b))
    if x2.shape[0] <= pad:
        raise ValueError(f"zero-phase filtering needs more than {pad} samples, got {x2.shape[0]}")
    out = np.empty_like(x2)
    filtfilt_kernel(b, a, zi, x2, pad, out)
    return out[:, 0] if one_dimensional else out


@lru_cache(maxsize=16)
def savgol_derivative_weights(window_length: int, polyorder: int, delta_s: float):
    """(centre (w,), head (w//2, w), tail (w//2, w)): the first-derivative weights for the centred windows and for
    the first and last half-window of samples (derivative of the polynomial fitted to the first/last window)."""
    half = window_length // 2
    positions = np.arange(window_length, dtype=np.float64)
    vandermonde = positions[:, None] ** np.arange(polyorder + 1)
    fit = np.linalg.pinv(vandermonde)  # polynomial coefficients from the window's samples

    def derivative_rows(at):
        powers = np.arange(polyorder + 1)
        slopes = powers * np.asarray(at, dtype=np.float64)[:, None] ** np.clip(powers - 1, 0, None)
        return np.ascontiguousarray(slopes @ fit / delta_s)

    centre = derivative_rows([half])[0]
    head = derivative_rows(np.arange(half))
    tail = derivative_rows(np.arange(window_length - half, window_length))
    return np.ascontiguousarray(centre), head, tail


@kernel
def savgol_derivative_kernel(signal, centre, head, tail, out):
    n, n_channels = signal.shape
    w = centre.shape[0]
    half = w // 2
    for c in range(n_channels):
        for i in range(half, n - half):
            total = 0.0
            for j in range(w):
                total += centre[j] * signal[i - half + j, c]
            out[i, c] = total
        for p in range(half):
            left = 0.0
            right = 0.0
            for j in range(w):
                left += head[p, j] * signal[j, c]
                right += tail[p, j] * signal[n - w + j, c]
            out[p, c] = left
            out[n - half + p, c] = right


def savgol_derivative(signal: np.ndarray, window_length: int, polyorder: int, delta_s: float) -> np.ndarray:
    """First derivative of each column of `signal` (n, channels), as scipy.signal.savgol_filter(x, window_length,
    polyorder, deriv=1, delta=delta_s, axis=0, mode="interp")."""
    x = np.ascontiguousarray(signal, dtype=np.float64)
    if x.shape[0] < window_length:
        raise ValueError(f"the Savitzky-Golay derivative needs at least {window_length} samples, got {x.shape[0]}")
    centre, head, tail = savgol_derivative_weights(window_length, polyorder, float(delta_s))
    out = np.empty_like(x)
    savgol_derivative_kernel(x, centre, head, tail, out)
    return out
