"""SWARII and the authors' spike purge: the numba kernels against plain-numpy versions of the same definitions."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.interpolate import interp1d

from trainer.resample import SWARII_WINDOW_S, spike_purge_mask, swarii

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def reference_swarii(t_s, values, target_hz, window_s):
    """SWARII written straight from its definition, one grid time at a time, with numpy masks."""
    half = window_s * 0.5
    step = 1.0 / target_hz
    out_t, out_v = [], []
    empty = 0
    current = max(0.0, t_s[0])
    while current < t_s[-1]:
        inside = np.flatnonzero(np.abs(t_s - current) < half)
        if inside.size == 0:
            empty += 1
        elif inside.size == 1:
            out_t.append(current)
            out_v.append(values[inside[0]])
        else:
            # Each sample stands for the time from half-way to its previous sample to half-way to its next one,
            # clipped to the window and to the recording.
            left = np.concatenate(([max(t_s[0], current - half)], 0.5 * (t_s[inside[1:]] + t_s[inside[1:] - 1])))
            right = np.concatenate((0.5 * (t_s[inside[:-1] + 1] + t_s[inside[:-1]]), [min(t_s[-1], current + half)]))
            weight = right - left
            out_t.append(current)
            out_v.append((values[inside] * weight[:, None]).sum(axis=0) / weight.sum())
        current += step
    if not out_t:
        return None
    out_t, out_v = np.array(out_t), np.array(out_v)
    if empty:
        regrid_t = np.arange(out_t[0], out_t[-1], step)
        regrid_t = regrid_t[regrid_t <= out_t[-1]]  # where arange overshoots, the authors' NaN sample is dropped
        return regrid_t, interp1d(out_t, out_v, kind="linear", axis=0, bounds_error=False)(regrid_t)
    return out_t, out_v


def reference_purge(t_s, values, skip_before_s=0.1, jump=2.0, settle=0.5):
    keep = np.zeros(len(t_s), dtype=bool)
    kept = []
    for i in range(1, len(t_s) - 1):
        if t_s[i] < skip_before_s:
            continue
        if kept:
            away = np.abs(values[i] - values[kept[-1]]).sum()
            if np.abs(values[i + 1] - values[kept[-1]]).sum() < settle and away > jump:
                continue
            if 1 < i < len(t_s) - 2 and np.abs(values[i + 2] - values[kept[-1]]).sum() < settle and away > jump:
                continue
        kept.append(i)
        keep[i] = True
    return keep


def amti_window_cm():
    """Rows 4000–6999 of the AMTI file as the authors take them: ML = My/Fz, AP = Mx/Fz in cm, centred."""
    path = DATA / "amti_quiet_standing.csv"
    lines = path.read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("MocapFrame"))
    names = [name.strip() for name in lines[header].split(",")]
    table = np.loadtxt(path, delimiter=",", skiprows=header + 1)[4000:7000]
    fz = table[:, names.index("Fz")]
    cop = 100 * np.column_stack((table[:, names.index("My")] / fz, table[:, names.index("Mx")] / fz))
    return np.arange(len(cop)) / 100.0, cop - cop.mean(axis=0)


@st.composite
def irregular_signals(draw):
    n = draw(st.integers(2, 60))
    start = draw(st.floats(-0.3, 1.0))
    # Mostly small steps, some zero (repeated timestamps, as the Wii recorder writes) and some gaps (empty windows).
    steps = draw(st.lists(st.one_of(st.floats(0.002, 0.05), st.just(0.0), st.floats(0.1, 0.6)),
                          min_size=n - 1, max_size=n - 1))
    t_s = start + np.concatenate(([0.0], np.cumsum(steps)))
    channels = draw(st.integers(1, 3))
    values = np.array(draw(st.lists(st.floats(-50, 50), min_size=n * channels, max_size=n * channels)))
    return t_s, values.reshape(n, channels)


@settings(max_examples=150, deadline=None)
@given(signal=irregular_signals(), target_hz=st.floats(5.0, 60.0), window_s=st.floats(0.01, 0.3))
def test_swarii_matches_the_definition_on_random_irregular_signals(signal, target_hz, window_s):
    t_s, values = signal
    expected = reference_swarii(t_s, values, target_hz, window_s)
    if expected is None or not t_s[-1] > max(0.0, t_s[0]):
        with pytest.raises(ValueError):
            swarii(t_s, values, target_hz, window_s)
        return
    t_new, v_new = swarii(t_s, values, target_hz, window_s)
    np.testing.assert_array_equal(t_new, expected[0])
    np.testing.assert_allclose(v_new, expected[1], rtol=1e-12, atol=1e-12 * 50)


def test_swarii_matches_the_definition_on_the_amti_window():
    t_s, cop = amti_window_cm()
    t_new, v_new = swarii(t_s, cop, 25.0)
    expected_t, expected_v = reference_swarii(t_s, cop, 25.0, SWARII_WINDOW_S)
    np.testing.assert_array_equal(t_new, expected_t)
    np.testing.assert_allclose(v_new, expected_v, rtol=1e-12, atol=1e-14)
    # 0 … 29.99 s at 25 Hz: the grid stops strictly before the last timestamp.
    assert len(t_new) == 750 and t_new[-1] < t_s[-1]


def test_swarii_averages_with_the_time_each_sample_stands_for():
    # Grid time 1.0, window ±0.25: samples at 0.8, 0.9, 1.2 stand for [0.75, 0.85], [0.85, 1.05], [1.05, 1.25].
    t_s = np.array([0.0, 0.8, 0.9, 1.2, 2.0])
    values = np.array([0.0, 1.0, 2.0, 4.0, 0.0])
    t_new, v_new = swarii(t_s, values, target_hz=1.0, window_s=0.5)
    assert list(t_new) == [0.0, 1.0]
    assert v_new[0] == 0.0  # a window with one sample takes it as it is
    assert v_new[1] == pytest.approx((1.0 * 0.1 + 2.0 * 0.2 + 4.0 * 0.2) / 0.5, rel=1e-12)


def test_swarii_keeps_a_constant_and_the_shape_of_one_dimensional_input():
    rng = np.random.default_rng(3)
    t_s = np.sort(rng.uniform(0, 10, 400))
    t_new, v_new = swarii(t_s, np.full(400, 7.25), 25.0)
    assert v_new.ndim == 1 and len(v_new) == len(t_new)
    np.testing.assert_allclose(v_new, 7.25, rtol=1e-14)


def test_swarii_bridges_empty_windows_by_linear_interpolation():
    t_s = np.concatenate((np.arange(0, 1, 0.01), np.arange(1.5, 3, 0.01)))  # a 0.5 s gap
    values = np.column_stack((t_s, -2 * t_s))  # linear: the bridged part must stay on the line
    t_new, v_new = swarii(t_s, values, 25.0)
    gap = (t_new > 1.0) & (t_new < 1.5)
    assert gap.sum() >= 10
    np.testing.assert_allclose(v_new[:, 1], -2 * v_new[:, 0], rtol=1e-12)
    np.testing.assert_allclose(np.diff(t_new), 0.04, rtol=1e-9)


@settings(max_examples=100, deadline=None)
@given(signal=irregular_signals(), jump=st.floats(0.5, 30.0), settle=st.floats(0.1, 20.0))
def test_spike_purge_matches_the_definition(signal, jump, settle):
    t_s, values = signal
    t_s = np.sort(np.abs(t_s))
    np.testing.assert_array_equal(spike_purge_mask(t_s, values, 0.1, jump, settle),
                                  reference_purge(t_s, values, 0.1, jump, settle))


def test_spike_purge_drops_spikes_the_start_and_the_end_but_not_a_step():
    t_s = np.arange(300) / 100.0
    values = np.zeros((300, 2))
    values[100, 0] = 5.0  # a one-sample spike: dropped
    values[150:152, 1] = -4.0  # a two-sample spike: both dropped (150 as i+2 is back, 151 as i+1 is)
    values[200:, 0] = 3.0  # a step that stays: kept
    keep = spike_purge_mask(t_s, values)
    assert not keep[:10].any() and not keep[-1]  # the first 0.1 s and the last sample
    assert not keep[100] and not keep[150] and not keep[151] and keep[152]
    assert keep[200:299].all()
    np.testing.assert_array_equal(keep, reference_purge(t_s, values))
    t_amti, cop = amti_window_cm()
    np.testing.assert_array_equal(spike_purge_mask(t_amti, cop), reference_purge(t_amti, cop))


@pytest.mark.parametrize("t_s, values, message", [
    (np.arange(5.0), np.zeros(4), "samples"),
    (np.array([0.0, 1.0, 0.5]), np.zeros(3), "non-decreasing"),
    (np.arange(3.0), np.array([0.0, np.nan, 1.0]), "NaN"),
    (np.array([0.0, np.inf]), np.zeros(2), "non-finite"),
    (np.array([1.0]), np.zeros(1), "at least two samples"),
    (np.array([-2.0, -1.0]), np.zeros(2), "at least two samples"),
    (np.arange(3.0), np.zeros((3, 2, 2)), "shape"),
])
def test_swarii_rejects_bad_input(t_s, values, message):
    with pytest.raises(ValueError, match=message):
        swarii(t_s, values, 25.0)


@pytest.mark.parametrize("target_hz, window_s", [(0.0, 0.08), (-25.0, 0.08), (np.nan, 0.08), (25.0, 0.0)])
def test_swarii_rejects_bad_rates_and_windows(target_hz, window_s):
    with pytest.raises(ValueError, match="positive"):
        swarii(np.arange(10.0), np.zeros(10), target_hz, window_s)
