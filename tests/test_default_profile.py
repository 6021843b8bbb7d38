"""Profile `default` against analytic truth: a COP moving on a circle has known distances, speed and frequency."""
from __future__ import annotations

import numpy as np
import pytest

from trainer.errors import MeasureError
from trainer.measures.default import default_measures, profile_default, sway_summary
from trainer.recording import Recording


def circle(radius_mm, frequency_hz, fs_hz=100.0, seconds=20.0, centre=(30.0, -12.0)):
    t_s = np.arange(int(seconds * fs_hz)) / fs_hz
    phase = 2 * np.pi * frequency_hz * t_s
    return t_s, centre[0] + radius_mm * np.cos(phase), centre[1] + radius_mm * np.sin(phase)


def as_recording(t_s, x, y, total_kg=70.0, fs_hz=100.0):
    return Recording(path="synthetic", format="test", t_s=t_s, cop_x_mm=x, cop_y_mm=y,
                     total_kg=np.broadcast_to(np.asarray(total_kg, dtype=float), t_s.shape).copy(), fs_hz=fs_hz)


def test_circle_measures_are_the_analytic_values():
    radius, frequency = 8.0, 0.5
    _, x, y = circle(radius, frequency)
    m = default_measures(x, y, 100.0)
    assert m["mean_distance_mm"] == pytest.approx(radius, rel=1e-6)
    assert m["rms_distance_mm"] == pytest.approx(radius, rel=1e-6)
    assert m["rms_ml_mm"] == pytest.approx(radius / np.sqrt(2), rel=1e-6)
    assert m["range_ml_mm"] == pytest.approx(2 * radius, rel=1e-3)
    speed = 2 * np.pi * radius * frequency
    assert m["mean_velocity_mm_s"] == pytest.approx(speed, rel=1e-3)
    assert m["mean_frequency_hz"] == pytest.approx(frequency, rel=1e-3)
    assert m["mean_jerk_mm_s3"] == pytest.approx(radius * (2 * np.pi * frequency) ** 3, rel=1e-2)
    assert m["time_in_zone_pct"] == 100.0
    assert default_measures(*circle(15.0, frequency)[1:], 100.0)["time_in_zone_pct"] == 0.0


def test_profile_filter_keeps_slow_sway_and_removes_fast_noise():
    t_s, x, y = circle(8.0, 0.5)
    rng = np.random.default_rng(1)
    noisy = as_recording(t_s, x + 0.3 * np.sin(2 * np.pi * 35 * t_s), y + rng.normal(0, 0.01, len(t_s)))
    m = profile_default(noisy)
    assert m["mean_velocity_mm_s"] == pytest.approx(2 * np.pi * 8.0 * 0.5, rel=0.01)


def test_irregular_sampling_is_resampled_first():
    rng = np.random.default_rng(2)
    t_s = np.cumsum(rng.uniform(0.013, 0.037, 1200))  # the Wii board's jitter
    phase = 2 * np.pi * 0.25 * t_s
    m = profile_default(as_recording(t_s, 10 * np.cos(phase), 10 * np.sin(phase), fs_hz=None))
    assert m["mean_distance_mm"] == pytest.approx(10.0, rel=0.01)
    assert m["mean_frequency_hz"] == pytest.approx(0.25, rel=0.02)


def test_stepping_on_and_off_is_left_out():
    t_s, x, y = circle(5.0, 0.5)
    load = np.full(len(t_s), 70.0)
    load[:100] = np.linspace(6, 50, 100)  # stepping on, with the COP far off while one foot arrives
    x = x.copy()
    x[:100] = 150.0
    m = profile_default(as_recording(t_s, x, y, total_kg=load))
    assert m["range_ml_mm"] < 11 and m["duration_s"] == pytest.approx(19.0)


def test_too_short_or_nobody_standing_is_a_clear_error():
    t_s, x, y = circle(5.0, 0.5, seconds=1.0)
    with pytest.raises(MeasureError, match="at least 2 s"):
        profile_default(as_recording(t_s, x, y))
    with pytest.raises(MeasureError, match="nobody stands"):
        profile_default(as_recording(t_s, np.full_like(x, np.nan), y))


def test_sway_summary_on_a_live_window():
    t_s, x, y = circle(4.0, 0.5, fs_hz=60.0, seconds=10.0)
    summary = sway_summary(t_s, x, y)
    assert summary["mean_velocity_mm_s"] == pytest.approx(2 * np.pi * 4.0 * 0.5, rel=0.01)
    assert sway_summary(t_s[:2], x[:2], y[:2]) == {}  # too few samples: nothing to show yet
