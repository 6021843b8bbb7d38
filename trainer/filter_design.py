"""Butterworth low-pass design, filter initial states and the Hann window, in plain numpy.

scipy.signal computes the same (tests/test_filter_design.py compares every function with it), but importing
scipy.signal takes 0.7 s, half of the program's start-up; these few designs are all the project needs from it.
The steps follow the textbook route scipy also takes: the analog Butterworth prototype, its poles moved to the
pre-warped cutoff, then the bilinear transform to the digital filter.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np


def _check(order: int, cutoff_hz: float, fs_hz: float) -> None:
    if order < 1:
        raise ValueError(f"order must be at least 1, not {order}")
    if not 0 < cutoff_hz < fs_hz / 2:
        raise ValueError(f"cutoff_hz must lie between 0 and fs_hz/2 = {fs_hz / 2:g}, not {cutoff_hz:g}")


def butter_lowpass_zpk(order: int, cutoff_hz: float, fs_hz: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Zeros, poles and gain of the digital Butterworth low-pass of this order and cutoff."""
    _check(order, cutoff_hz, fs_hz)
    prototype_poles = -np.exp(1j * np.pi * np.arange(-order + 1, order, 2) / (2 * order))
    # Work at a normalised rate of 2 (Nyquist 1), as the bilinear transform's pre-warping expects.
    warped = 4.0 * np.tan(np.pi * (cutoff_hz / (fs_hz / 2)) / 2.0)
    analog_poles = warped * prototype_poles
    twice_fs = 4.0
    poles = (twice_fs + analog_poles) / (twice_fs - analog_poles)
    zeros = -np.ones(order)  # the prototype's zeros at infinity land on z = −1
    gain = float(np.real(warped**order / np.prod(twice_fs - analog_poles)))
    return zeros, poles, gain


@lru_cache(maxsize=32)
def butter_lowpass_ba(order: int, cutoff_hz: float, fs_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Transfer-function coefficients (b, a), a[0] = 1; fine up to order 4 or so at moderate cutoffs."""
    zeros, poles, gain = butter_lowpass_zpk(order, cutoff_hz, fs_hz)
    return gain * np.real(np.poly(zeros)), np.real(np.poly(poles))


@lru_cache(maxsize=32)
def butter_lowpass_sos(order: int, cutoff_hz: float, fs_hz: float) -> np.ndarray:
    """Second-order sections (n_sections, 6): robust at any cutoff. Each section holds one conjugate pole pair
    (a real pole alone for an odd order); the whole gain sits in the first section."""
    _, poles, gain = butter_lowpass_zpk(order, cutoff_hz, fs_hz)
    pairs = sorted((p for p in poles if p.imag > 0), key=lambda p: -abs(abs(p) - 1.0))  # far from the circle first
    sections = [[1.0, 2.0, 1.0, 1.0, -2.0 * p.real, abs(p) ** 2] for p in pairs]
    real_poles = [p.real for p in poles if abs(p.imag) < 1e-12]
    sections = [[1.0, 1.0, 0.0, 1.0, -r, 0.0] for r in real_poles] + sections
    sos = np.array(sections, dtype=np.float64)
    sos[0, :3] *= gain
    return sos


def lfilter_initial_state(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The state of a transposed direct form II filter that has long seen an input of 1 (its step response's
    steady state), so a signal starting at x0 is filtered from rest at x0 (times x0)."""
    b = np.asarray(b, dtype=np.float64) / a[0]
    a = np.asarray(a, dtype=np.float64) / a[0]
    n = max(len(a), len(b))
    a = np.pad(a, (0, n - len(a)))
    b = np.pad(b, (0, n - len(b)))
    companion_transposed = np.zeros((n - 1, n - 1))
    companion_transposed[:, 0] = -a[1:]
    companion_transposed[np.arange(n - 2), np.arange(1, n - 1)] = 1.0
    return np.linalg.solve(np.eye(n - 1) - companion_transposed, b[1:] - a[1:] * b[0])


def sos_initial_state(sos: np.ndarray) -> np.ndarray:
    """(n_sections, 2): every section at rest for an input of 1 to the whole cascade."""
    state = np.empty((sos.shape[0], 2))
    scale = 1.0
    for index, section in enumerate(sos):
        b, a = section[:3], section[3:]
        state[index] = scale * lfilter_initial_state(b, a)
        scale *= b.sum() / a.sum()
    return state


@lru_cache(maxsize=8)
def periodic_hann(n_samples: int) -> np.ndarray:
    """The periodic Hann window (the one spectral estimators use): 0.5 − 0.5·cos(2πk/N), k = 0 … N−1."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_samples) / n_samples)
