"""Our Butterworth design, initial states and window equal scipy.signal's (which we avoid importing at start-up)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from trainer.filter_design import (butter_lowpass_ba, butter_lowpass_sos, lfilter_initial_state, periodic_hann,
                                   sos_initial_state)
from trainer.filters import zero_phase_lowpass

DESIGNS = [(order, cutoff_hz, fs_hz) for order in (1, 2, 3, 4, 5, 6)
           for cutoff_hz, fs_hz in ((10, 25), (10, 100), (2.5, 25), (10, 1000), (5, 2000))]


@pytest.mark.parametrize("order, cutoff_hz, fs_hz", DESIGNS)
def test_butterworth_equals_scipy(order, cutoff_hz, fs_hz):
    b, a = butter_lowpass_ba(order, cutoff_hz, fs_hz)
    scipy_b, scipy_a = signal.butter(order, cutoff_hz, fs=fs_hz)
    np.testing.assert_allclose(b, scipy_b, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(a, scipy_a, rtol=1e-9, atol=1e-12)
    sos = butter_lowpass_sos(order, cutoff_hz, fs_hz)
    scipy_sos = signal.butter(order, cutoff_hz, fs=fs_hz, output="sos")
    x = np.random.default_rng(order).normal(size=4000)
    # Odd orders arrange their sections differently from scipy; the filter they make must be the same.
    np.testing.assert_allclose(signal.sosfilt(sos, x), signal.sosfilt(scipy_sos, x), atol=1e-12)
    if order % 2 == 0:
        np.testing.assert_allclose(sos, scipy_sos, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(sos_initial_state(sos), signal.sosfilt_zi(sos), rtol=1e-10, atol=1e-12)
    if order <= 4:
        np.testing.assert_allclose(lfilter_initial_state(b, a), signal.lfilter_zi(b, a), rtol=1e-8, atol=1e-12)


def test_dc_gain_is_one_and_cutoff_is_half_power():
    sos = butter_lowpass_sos(4, 10.0, 100.0)
    frequencies, response = signal.sosfreqz(sos, worN=[0.0, 10.0], fs=100.0)
    assert abs(response[0]) == pytest.approx(1.0, rel=1e-12)
    assert abs(response[1]) ** 2 == pytest.approx(0.5, rel=1e-9)


def test_periodic_hann_equals_scipy():
    for n in (8, 250, 3000):
        np.testing.assert_allclose(periodic_hann(n), signal.get_window("hann", n), atol=1e-15)


@pytest.mark.parametrize("fs_hz", [25.0, 100.0, 2000.0])
def test_zero_phase_lowpass_equals_scipy_sosfiltfilt(fs_hz):
    x = np.random.default_rng(5).normal(size=(3000, 2)).cumsum(axis=0)
    expected = signal.sosfiltfilt(signal.butter(4, 10.0, fs=fs_hz, output="sos"), x, axis=0)
    np.testing.assert_allclose(zero_phase_lowpass(x, 10.0, fs_hz), expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(zero_phase_lowpass(x[:, 0], 10.0, fs_hz), expected[:, 0], rtol=1e-9, atol=1e-9)


def test_bad_designs_are_refused():
    with pytest.raises(ValueError, match="cutoff_hz"):
        butter_lowpass_sos(4, 60.0, 100.0)
    with pytest.raises(ValueError, match="order"):
        butter_lowpass_ba(0, 10.0, 100.0)
    with pytest.raises(ValueError, match="needs more than"):
        zero_phase_lowpass(np.ones(10), 10.0, 100.0)
