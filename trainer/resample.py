"""SWARII: Sliding Windows Weighted Averaged Interpolation (Audiffren & Contal 2016, Sensors 16(8):1208).

Resamples an irregularly (or regularly) timed signal onto a regular grid. Each output sample at time `t` is the
average of the input samples that lie strictly within `window_s / 2` of `t`, each weighted by the length of the
stretch of time it stands for: from half-way to its previous sample to half-way to its next one, clipped to the
window (and to the recording). A window with a single sample takes that sample as it is.

This follows the authors' own implementation (stabilogram/swarii.py of Jythen/code_descriptors_postural_control,
as Quijoux et al. 2021 use it) number for number, including its quirks:
- the grid starts at max(0, first timestamp) and advances by repeated addition of 1/target_hz (the float drift of
  that sum decides whether a last window just before the final timestamp is computed, so it is kept);
- the grid stops strictly before the last timestamp;
- windows with no sample are skipped, and then, if any was skipped, the whole output is re-gridded by linear
  interpolation onto np.arange(first, last, 1/target_hz) (which drops the last grid time; where np.arange
  overshoots `last` by a rounding, the authors get a NaN sample that spoils the whole trial, and it is dropped).
The authors call it with an 80 ms window shrunk by 1 µs (`SWARII_WINDOW_S`), so that a sample exactly 40 ms away
from a grid time falls outside despite rounding; the shrunk value also sets the window edges, so it changes the
weights and must be kept to reproduce them.

`spike_purge_mask` is the cleaning step the authors run before SWARII (their `purge_artefact`).
"""
from __future__ import annotations

import numpy as np

from trainer.jit import kernel

SWARII_WINDOW_S = 0.08 - 1e-6  # the authors' 80 ms window as they pass it on (see the module docstring)


@kernel
def swarii_kernel(t_s, values, step_s, half_window_s, out_t_s, out_values):
    """Fills out_t_s / out_values (preallocated, long enough) and returns (n_out, n_empty_windows).

    t_s is non-decreasing; values is (n, channels). Windows are [current - half, current + half], open at both ends.
    """
    n = t_s.shape[0]
    n_channels = values.shape[1]
    t_first = t_s[0]
    t_last = t_s[n - 1]
    current = max(0.0, t_first)
    lo = 0  # first sample inside the window
    hi = 0  # one past the last sample inside the window
    n_out = 0
    n_empty = 0
    while current < t_last:
        # fl(t - current) is monotone in t, and only falls as `current` grows, so both ends only move forward.
        while lo < n and t_s[lo] - current <= -half_window_s:
            lo += 1
        if hi < lo:
            hi = lo
        while hi < n and t_s[hi] - current < half_window_s:
            hi += 1
        if hi == lo:
            n_empty += 1
        else:
            if hi - lo == 1:
                for c in range(n_channels):
                    out_values[n_out, c] = values[lo, c]
            else:
                for c in range(n_channels):
                    out_values[n_out, c] = 0.0
                weight_total = 0.0
                for j in range(lo, hi):
                    # The stretch of time each sample stands for: half-way to its neighbours, clipped to the window.
                    if j == lo or j == 0:
                        left = max(t_first, current - half_window_s)
                    else:
                        left = 0.5 * (t_s[j] + t_s[j - 1])
                    if j == hi - 1:
                        right = min(t_last, current + half_window_s)
                    else:
                        right = 0.5 * (t_s[j + 1] + t_s[j])
                    weight = right - left
                    for c in range(n_channels):
                        out_values[n_out, c] += values[j, c] * weight
                    weight_total += weight
                for c in range(n_channels):
                    out_values[n_out, c] /= weight_total
            out_t_s[n_out] = current
            n_out += 1
        current += step_s
    return n_out, n_empty


@kernel
def spike_purge_kernel(t_s, values, skip_before_s, jump, settle, keep):
    """The authors' `purge_artefact`: sets keep[i] for the samples it keeps. See `spike_purge_mask`."""
    n = t_s.shape[0]
    n_channels = values.shape[1]
    last_kept = -1
    for i in range(n):
        keep[i] = False
    for i in range(1, n - 1):
        if t_s[i] < skip_before_s:
            continue
        if last_kept >= 0:
            # A jump of more than `jump` away from the last kept sample that comes back within `settle`
            # one or two samples later is a spike, not a movement.
            away = 0.0
            for c in range(n_channels):
                away += abs(values[i, c] - values[last_kept, c])
            if away > jump:
                back1 = 0.0
                for c in range(n_channels):
                    back1 += abs(values[i + 1, c] - values[last_kept, c])
                if back1 < settle:
                    continue
                if i > 1 and i < n - 2:
                    back2 = 0.0
                    for c in range(n_channels):
                        back2 += abs(values[i + 2, c] - values[last_kept, c])
                    if back2 < settle:
                        continue
        keep[i] = True
        last_kept = i


def _as_time_and_values(t_s, values) -> tuple[np.ndarray, np.ndarray, bool]:
    t_s = np.ascontiguousarray(t_s, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if t_s.ndim != 1:
        raise ValueError(f"t_s must be one-dimensional, got shape {t_s.shape}")
    one_dimensional = values.ndim == 1
    if one_dimensional:
        values = values[:, None]
    if values.ndim != 2:
        raise ValueError(f"values must be (n,) or (n, channels), got shape {values.shape}")
    if values.shape[0] != t_s.shape[0]:
        raise ValueError(f"t_s has {t_s.shape[0]} samples but values has {values.shape[0]}")
    if not np.isfinite(t_s).all():
        raise ValueError("t_s has non-finite timestamps")
    if not np.isfinite(values).all():
        raise ValueError("values has NaN or infinite samples: drop them (keeping their timestamps) before resampling")
    if t_s.shape[0] > 1 and (np.diff(t_s) < 0).any():
        raise ValueError("t_s must be non-decreasing")
    return t_s, np.ascontiguousarray(values), one_dimensional


def swarii(t_s, values, target_hz: float, window_s: float = SWARII_WINDOW_S) -> tuple[np.ndarray, np.ndarray]:
    """Resample `values` (n,) or (n, channels), timed by `t_s` in seconds, to `target_hz` with SWARII.

    Returns (t_new_s, values_new) with values_new shaped like `values`. NaN samples must be removed beforehand
    (keep the timestamps of the others: SWARII bridges the gap). See the module docstring for the exact grid.
    """
    t_s, values, one_dimensional = _as_time_and_values(t_s, values)
    if not (np.isfinite(target_hz) and target_hz > 0):
        raise ValueError(f"target_hz must be a positive rate, not {target_hz!r}")
    if not (np.isfinite(window_s) and window_s > 0):
        raise ValueError(f"window_s must be a positive duration, not {window_s!r}")
    if t_s.shape[0] < 2 or not t_s[-1] > max(0.0, t_s[0]):
        raise ValueError("SWARII needs at least two samples spanning a positive time (from max(0, t_s[0]))")
    step_s = 1.0 / target_hz
    # The grid runs from max(0, t0) by steps of 1/target_hz while below t_last; +2 covers the float drift.
    capacity = int((t_s[-1] - max(0.0, t_s[0])) / step_s) + 2
    out_t_s = np.empty(capacity)
    out_values = np.empty((capacity, values.shape[1]))
    n_out, n_empty = swarii_kernel(t_s, values, step_s, window_s * 0.5, out_t_s, out_values)
    if n_out == 0:
        raise ValueError(f"SWARII found no sample in any {window_s * 1000:g} ms window")
    out_t_s = out_t_s[:n_out]
    out_values = out_values[:n_out]
    if n_empty:
        out_t_s, out_values = _regrid_linear(out_t_s, out_values, step_s)
    return out_t_s, (out_values[:, 0] if one_dimensional else out_values)


def _regrid_linear(t_s: np.ndarray, values: np.ndarray, step_s: float) -> tuple[np.ndarray, np.ndarray]:
    """The authors' fallback after empty windows: scipy interp1d(kind="linear") onto np.arange(t0, t_last, step),
    written out with the same arithmetic (search left, slope times offset plus the left value)."""
    t_new_s = np.arange(t_s[0], t_s[-1], step_s)
    # np.arange's float length can overshoot `stop` by one sample; interp1d(bounds_error=False) then gives NaN there,
    # which the authors' filter would spread over the whole trial. That sample is dropped here instead.
    t_new_s = t_new_s[t_new_s <= t_s[-1]]
    right = np.clip(np.searchsorted(t_s, t_new_s), 1, len(t_s) - 1)
    left = right - 1
    slope = (values[right] - values[left]) / (t_s[right] - t_s[left])[:, None]
    return t_new_s, slope * (t_new_s - t_s[left])[:, None] + values[left]


def spike_purge_mask(t_s, values, skip_before_s: float = 0.1, jump: float = 2.0, settle: float = 0.5) -> np.ndarray:
    """The samples the authors keep before SWARII (their `purge_artefact`), as a boolean mask.

    It always drops the first and the last sample and every sample timed before `skip_before_s` (the authors' time
    starts at 0 with the trial, so this is the first 0.1 s); it drops sample i as a spike when its L1 distance to the
    last kept sample exceeds `jump` while sample i+1, or i+2, is back within `settle` of it. `jump` and `settle`
    are in the units of `values` (the authors use cm: 2 cm and 0.5 cm).
    """
    t_s, values, _ = _as_time_and_values(t_s, values)
    keep = np.empty(t_s.shape[0], dtype=np.bool_)
    spike_purge_kernel(t_s, values, float(skip_before_s), float(jump), float(settle), keep)
    return keep
