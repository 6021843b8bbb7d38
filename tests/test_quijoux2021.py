"""Profile quijoux2021: every kernel against a plain definition (numpy or scipy), and the 72 descriptors against the
values the authors' own code gives for the AMTI recording (tests/data/quijoux2021_reference.json, see its README)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import signal as sps
from scipy import stats

from trainer.errors import MeasureError
from trainer.measures import quijoux2021 as q
from trainer.measures.diffusion import mean_squared_displacement_kernel, two_region_fit_kernel
from trainer.measures.quijoux2021 import DESCRIPTOR_NAMES, profile_quijoux2021, quijoux2021_descriptors
from trainer.measures.smoothing import butter_lowpass, filtfilt_lowpass, savgol_derivative
from trainer.measures.spectral import spectral_descriptors, welch_psd
from trainer.recording import Recording

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
AMTI = DATA / "amti_quiet_standing.csv"
REFERENCE = json.loads((Path(__file__).parent / "data" / "quijoux2021_reference.json").read_text())


def amti_columns() -> dict[str, np.ndarray]:
    lines = AMTI.read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("MocapFrame"))
    names = [name.strip() for name in lines[header].split(",")]
    table = np.loadtxt(AMTI, delimiter=",", skiprows=header + 1)
    return {name: table[:, i] for i, name in enumerate(names)}


def amti_recording() -> Recording:
    """The AMTI file as a Recording (B.1): x = ML = 1000·My/Fz, y = AP = 1000·Mx/Fz, NaN where Fz = 0."""
    c = amti_columns()
    fz = c["Fz"]
    standing = fz != 0
    x = np.full(len(fz), np.nan)
    y = np.full(len(fz), np.nan)
    x[standing] = 1000.0 * c["My"][standing] / fz[standing]
    y[standing] = 1000.0 * c["Mx"][standing] / fz[standing]
    return Recording(path=str(AMTI), format="amti", t_s=c["MocapTime"], cop_x_mm=x, cop_y_mm=y,
                     total_kg=fz / 9.80665, fs_hz=100.0)


@pytest.fixture(scope="module")
def recording() -> Recording:
    return amti_recording()


@pytest.fixture(scope="module")
def filtered_cm(recording) -> np.ndarray:
    """The authors' 25 Hz filtered window (748 × 2, cm), the input every descriptor kernel sees."""
    window = recording.window(40, 70)
    centred = np.column_stack((window.cop_x_mm - np.nanmean(recording.cop_x_mm),
                               window.cop_y_mm - np.nanmean(recording.cop_y_mm))) / 10
    _, signal = q._preprocess(centred[:, 0], centred[:, 1], np.arange(window.n_samples) / 100)
    return signal


def assert_matches_reference(result: dict[str, float]) -> None:
    # Relative tolerance only: no reference value is 0 (checked), so none needs an absolute one.
    assert list(result) == list(REFERENCE) == list(DESCRIPTOR_NAMES)
    assert all(value != 0 for value in REFERENCE.values())
    mismatches = {name: (result[name], expected) for name, expected in REFERENCE.items()
                  if not math.isclose(result[name], expected, rel_tol=1e-6, abs_tol=0.0)}
    assert not mismatches, mismatches


# ---- (b) the 72 descriptors against the authors' code ------------------------------------------------------------

def test_profile_equals_the_authors_72_descriptors(recording):
    assert_matches_reference(profile_quijoux2021(recording, start_s=40, end_s=70))


def test_descriptors_of_the_authors_own_window_equal_theirs():
    # Built exactly as their notebook builds it: 100·(My/Fz − mean over the file, NaN skipped), rows [4000:7000].
    c = amti_columns()
    with np.errstate(invalid="ignore"):
        ml, ap = c["My"] / c["Fz"], c["Mx"] / c["Fz"]
    ml_cm = 100 * (ml - np.nanmean(ml))[4000:7000]
    ap_cm = 100 * (ap - np.nanmean(ap))[4000:7000]
    assert_matches_reference(quijoux2021_descriptors(ml_cm, ap_cm, np.arange(3000) / 100))


def test_profile_through_the_amti_reader_equals_the_authors():
    from trainer.readers.amti import read_amti

    assert_matches_reference(profile_quijoux2021(read_amti(AMTI), 40, 70))


def test_window_40_to_70_s_is_rows_4000_to_6999(recording):
    window = recording.window(40, 70)
    assert window.n_samples == 3000
    np.testing.assert_array_equal(window.cop_x_mm, recording.cop_x_mm[4000:7000])


def test_centring_uses_the_whole_recording_mean_skipping_dropouts(recording):
    """Only mean_value_* depend on the rest of the recording, and the Fz = 0 rows do not count in the mean."""
    base = profile_quijoux2021(recording, 40, 70)
    shifted_x = recording.cop_x_mm.copy()
    shifted_x[10000:] += 50.0  # move the COP far outside the window by 5 cm
    shifted = profile_quijoux2021(Recording(recording.path, "amti", recording.t_s, shifted_x, recording.cop_y_mm,
                                            recording.total_kg, 100.0), 40, 70)
    mean_shift_cm = (np.nanmean(shifted_x) - np.nanmean(recording.cop_x_mm)) / 10
    assert shifted["mean_value_ML"] == pytest.approx(base["mean_value_ML"] - mean_shift_cm, rel=1e-12)
    for name in DESCRIPTOR_NAMES[1:]:
        assert shifted[name] == pytest.approx(base[name], rel=1e-9, abs=1e-12), name
    # Counting the seven dropout rows as a COP of 0 would move the mean: the reference says they are skipped.
    zeros_x = np.nan_to_num(recording.cop_x_mm)
    as_zero = profile_quijoux2021(Recording(recording.path, "amti", recording.t_s, zeros_x, recording.cop_y_mm,
                                            recording.total_kg, 100.0), 40, 70)
    assert not math.isclose(as_zero["mean_value_ML"], REFERENCE["mean_value_ML"], rel_tol=1e-6)


def test_samples_without_cop_inside_the_window_are_dropped_keeping_time(recording):
    x = recording.cop_x_mm.copy()
    y = recording.cop_y_mm.copy()
    x[5000:5003] = np.nan
    y[5000:5003] = np.nan
    gappy = Recording(recording.path, "amti", recording.t_s, x, y, recording.total_kg, 100.0)
    result = profile_quijoux2021(gappy, 40, 70)
    assert all(np.isfinite(value) for value in result.values())
    # The same as giving the descriptors the standing rows only, at their own times.
    keep = np.isfinite(x[4000:7000])
    direct = quijoux2021_descriptors(((x - np.nanmean(x)) / 10)[4000:7000][keep],
                                     ((y - np.nanmean(y)) / 10)[4000:7000][keep], (np.arange(3000) / 100)[keep])
    assert result == direct


# ---- (c) bad input ------------------------------------------------------------------------------------------------

def test_rejects_a_window_too_short(recording):
    with pytest.raises(MeasureError, match="at least 10 s"):
        profile_quijoux2021(recording, 40, 45)


def test_rejects_a_window_where_nobody_stands():
    n = 3000
    nan = np.full(n, np.nan)
    empty = Recording("x.csv", "amti", np.arange(n) / 100, nan, nan, np.zeros(n), 100.0)
    with pytest.raises(MeasureError, match="nobody stands"):
        profile_quijoux2021(empty)
    with pytest.raises(MeasureError, match="nobody stands"):
        quijoux2021_descriptors(nan, nan, np.arange(n) / 100)


def test_rejects_mismatched_lengths_and_bad_windows(recording):
    with pytest.raises(MeasureError, match="differ in length"):
        quijoux2021_descriptors(np.zeros(1000), np.zeros(999), np.arange(1000) / 100)
    with pytest.raises(MeasureError, match="non-decreasing"):
        quijoux2021_descriptors(np.zeros(3), np.zeros(3), np.array([0.0, 0.02, 0.01]))
    with pytest.raises(MeasureError, match="start before it ends"):
        profile_quijoux2021(recording, 70, 40)
    with pytest.raises(MeasureError, match="no sample"):
        profile_quijoux2021(recording, 500, 600)


# ---- (a) each kernel against a plain definition, on random and on real data -------------------------------------

finite = st.floats(-5.0, 5.0, allow_nan=False)
signals = arrays(np.float64, st.tuples(st.integers(20, 120), st.just(2)), elements=finite)


@settings(max_examples=60, deadline=None)
@given(x=signals, cutoff_hz=st.sampled_from([2.5, 10.0]))
def test_filtfilt_is_scipys(x, cutoff_hz):
    b, a, _ = butter_lowpass(4, cutoff_hz, 25.0)
    np.testing.assert_allclose(filtfilt_lowpass(x, 4, cutoff_hz, 25.0), sps.filtfilt(b, a, x, axis=0),
                               rtol=1e-10, atol=1e-10)


@settings(max_examples=60, deadline=None)
@given(x=signals)
def test_savgol_derivative_is_scipys(x):
    expected = sps.savgol_filter(x, 5, 3, deriv=1, delta=0.04, axis=0)
    np.testing.assert_allclose(savgol_derivative(x, 5, 3, 0.04), expected, rtol=1e-9, atol=1e-9)


def test_kernels_on_the_real_window_equal_scipy(filtered_cm):
    b, a, _ = butter_lowpass(4, 2.5, 25.0)
    np.testing.assert_allclose(filtfilt_lowpass(filtered_cm, 4, 2.5, 25.0), sps.filtfilt(b, a, filtered_cm, axis=0),
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(savgol_derivative(filtered_cm, 5, 3, 0.04),
                               sps.savgol_filter(filtered_cm, 5, 3, deriv=1, delta=0.04, axis=0), rtol=1e-10,
                               atol=1e-12)
    n = len(filtered_cm)
    frequency_hz, psd = welch_psd(filtered_cm, 25.0)
    f_ref, p_ref = sps.welch(filtered_cm, fs=25, detrend="linear", nperseg=250, noverlap=125, axis=0, nfft=n)
    np.testing.assert_array_equal(frequency_hz, f_ref)  # exact: the band edges compare these values
    np.testing.assert_allclose(psd, p_ref.T, rtol=1e-10, atol=1e-16)


@settings(max_examples=40, deadline=None)
@given(x=arrays(np.float64, st.tuples(st.integers(250, 700), st.just(2)), elements=finite))
def test_welch_is_scipys(x):
    frequency_hz, psd = welch_psd(x, 25.0)
    f_ref, p_ref = sps.welch(x, fs=25, detrend="linear", nperseg=250, noverlap=125, axis=0, nfft=len(x))
    np.testing.assert_array_equal(frequency_hz, f_ref)
    np.testing.assert_allclose(psd, p_ref.T, rtol=1e-8, atol=1e-12 * max(1.0, p_ref.max()))


def reference_spectral(freqs, powers):
    band = (freqs >= 0.15) & (freqs <= 5)
    f, p = freqs[band], powers[band]
    cum = np.cumsum(p)
    m0, m1, m2 = (np.sum(f ** k * p) for k in range(3))

    def energy(lo_open, hi_closed):
        return np.sum(p[(f > lo_open) & (f <= hi_closed)])

    return [np.sum(p), f[cum >= cum[-1] * 0.5][0], f[cum >= cum[-1] * 0.95][0], f[np.argmax(p)],
            np.sqrt(m2 / m0), np.sqrt(1 - m1 ** 2 / (m0 * m2)), energy(0, 0.5), energy(0.5, 2), energy(2, np.inf),
            energy(2, 5) / energy(0, 2)]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(250, 1000), seed=st.integers(0, 2 ** 32 - 1))
def test_spectral_descriptors_match_their_definition(n, seed):
    freqs = np.arange(n // 2 + 1) * (1.0 / (n * (1.0 / 25)))
    powers = np.random.default_rng(seed).exponential(size=(2, len(freqs)))
    ours = spectral_descriptors(freqs, powers)
    for c in range(2):
        np.testing.assert_allclose(ours[c], reference_spectral(freqs, powers[c]), rtol=1e-12)


def test_spectral_descriptors_of_the_real_window(filtered_cm):
    freqs, psd = welch_psd(filtered_cm, 25.0)
    for c in range(2):
        np.testing.assert_allclose(spectral_descriptors(freqs, psd)[c], reference_spectral(freqs, psd[c]), rtol=1e-12)


def reference_msd(x, max_lag):
    return np.array([np.mean((x[lag:] - x[:-lag]) ** 2, axis=0) for lag in range(1, max_lag + 1)])


@settings(max_examples=40, deadline=None)
@given(x=signals)
def test_mean_squared_displacement_matches_its_definition(x):
    max_lag = len(x) // 3
    out = np.empty((max_lag, 2))
    mean_squared_displacement_kernel(x, max_lag, out)
    np.testing.assert_allclose(out, reference_msd(x, max_lag), rtol=1e-12, atol=1e-12)


def reference_two_regions(log_t, log_msd, first_i, last_i):
    def fit(lo, hi):
        design = np.column_stack((np.ones(hi - lo), log_t[lo:hi]))
        params, *_ = np.linalg.lstsq(design, log_msd[lo:hi], rcond=None)
        return params, np.sqrt(np.mean((log_msd[lo:hi] - design @ params) ** 2))

    def best(fits):
        rms = [r for _, r in fits]
        return fits[len(rms) - 1 - int(np.argmin(rms[::-1]))][0]  # the last of equal minima

    short = best([fit(0, i) for i in range(first_i, last_i + 1)])
    long = best([fit(i - 1, len(log_t)) for i in range(first_i, last_i + 1)])
    log_tc = min((long[0] - short[0]) / (short[1] - long[1]), log_t[-1])
    return [np.exp(short[0]), np.exp(long[0]), np.exp(log_tc), np.exp(short[0] + short[1] * log_tc), short[1] / 2,
            long[1] / 2]


def test_two_region_fit_matches_least_squares(filtered_cm):
    rng = np.random.default_rng(7)
    walks = [np.cumsum(rng.normal(size=(600, 2)), axis=0), filtered_cm]
    for walk in walks:
        max_lag = len(walk) // 3
        msd = reference_msd(walk, max_lag)
        log_t = np.log(np.arange(1, max_lag + 1) / 25.0)
        for c in range(2):
            out = np.empty(6)
            two_region_fit_kernel(log_t, np.log(msd[:, c]).copy(), 8, 62, out)
            np.testing.assert_allclose(out, reference_two_regions(log_t, np.log(msd[:, c]), 8, 62), rtol=1e-9)


def reference_velocity_peaks(v):
    side = np.sign(v[v != 0][0])
    peak, peak_i, previous = 0.0, 0, 0.0
    crossings, positive, negative = 0, [], []
    for i, value in enumerate(v):
        if i != 0 and value * previous <= 0 and value != 0 and np.sign(value) != side:
            if crossings:
                (positive if value < 0 else negative).append(peak_i)
            crossings += 1
            side = np.sign(value)
            peak = 0.0
        if abs(value) > abs(peak):
            peak, peak_i = value, i
        previous = value
    def mean(values):  # NaN for none, without numpy's empty-slice warning
        return float(np.mean(values)) if len(values) else math.nan

    return [crossings, mean(v[positive]), mean(np.abs(v[negative])), mean(np.abs(v[positive + negative]))]


@settings(max_examples=80, deadline=None)
@given(v=arrays(np.float64, st.integers(30, 200), elements=st.sampled_from([-2.0, -0.5, 0.0, 0.25, 1.0, 3.0])))
def test_velocity_peaks_match_their_definition(v):
    # An all-zero signal has no side to start from (the authors' code fails on it): no crossing, no peak.
    reference = reference_velocity_peaks(v) if (v != 0).any() else [0, math.nan, math.nan, math.nan]
    out = np.empty(4)
    q.velocity_peaks_kernel(v, out)
    np.testing.assert_allclose(out, reference, rtol=1e-12, equal_nan=True)


def test_velocity_peaks_of_the_real_window(filtered_cm):
    speed = savgol_derivative(filtered_cm, 5, 3, 0.04)
    for c in range(2):
        out = np.empty(4)
        q.velocity_peaks_kernel(np.ascontiguousarray(speed[:, c]), out)
        np.testing.assert_allclose(out, reference_velocity_peaks(speed[:, c]), rtol=1e-12)


def reference_sway_density(xy, radius, fs_hz):
    out = np.empty(len(xy) - 1)
    for t in range(len(xy) - 1):
        far = np.linalg.norm(xy - xy[t], axis=1) > radius
        after = np.flatnonzero(far[t + 1:])
        before = np.flatnonzero(far[:t])
        stop = t + 1 + after[0] if after.size else len(xy)
        start = before[-1] if before.size else -1
        out[t] = ((stop - 1) - (start + 1)) / fs_hz
    return out


@settings(max_examples=40, deadline=None)
@given(x=arrays(np.float64, st.tuples(st.integers(3, 150), st.just(2)), elements=st.floats(-1, 1)),
       radius=st.floats(0.05, 0.8))
def test_sway_density_matches_its_definition(x, radius):
    out = np.empty(len(x) - 1)
    q.sway_density_kernel(x[:, 0].copy(), x[:, 1].copy(), radius, 25.0, out)
    np.testing.assert_allclose(out, reference_sway_density(x, radius, 25.0), rtol=1e-12)


def reference_density_peaks(density, xy):
    peaks = np.where((density[1:-1] > density[:-2]) & (density[1:-1] > density[2:]))[0] + 1
    return [np.mean(density[peaks]), np.mean(np.linalg.norm(np.diff(xy[peaks], axis=0), axis=1))]


def test_sway_density_and_its_peaks_on_the_real_window(filtered_cm):
    ml, ap = filtered_cm[:, 0].copy(), filtered_cm[:, 1].copy()
    density = np.empty(len(ml) - 1)
    q.sway_density_kernel(ml, ap, 0.3, 25.0, density)
    np.testing.assert_allclose(density, reference_sway_density(filtered_cm, 0.3, 25.0), rtol=1e-12)
    smooth = filtfilt_lowpass(density, 4, 2.5, 25.0)
    out = np.empty(2)
    q.sway_density_peaks_kernel(smooth, ml, ap, out)
    np.testing.assert_allclose(out, reference_density_peaks(smooth, filtered_cm), rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(x=arrays(np.float64, st.tuples(st.integers(2, 80), st.just(2)), elements=finite))
def test_position_and_path_sums_match_numpy(x):
    ml, ap = x[:, 0].copy(), x[:, 1].copy()
    out = np.empty(q._N_SUMS)
    q.position_and_path_kernel(ml, ap, 25.0, out)
    r = np.hypot(ml, ap)
    step = np.diff(x, axis=0)
    centred = x - x.mean(axis=0)
    expected = {
        q._ABS_ML: np.abs(ml).sum(), q._ABS_AP: np.abs(ap).sum(), q._RADIUS: r.sum(), q._MAX_ML: np.abs(ml).max(),
        q._MAX_AP: np.abs(ap).max(), q._MAX_RADIUS: r.max(), q._SQ_ML: (ml ** 2).sum(), q._SQ_AP: (ap ** 2).sum(),
        q._SQ_RADIUS: (r ** 2).sum(), q._MIN_ML: ml.min(), q._TOP_ML: ml.max(), q._MIN_AP: ap.min(),
        q._TOP_AP: ap.max(), q._CROSS: (ml * ap).sum(), q._PATH_ML: np.abs(step[:, 0]).sum(),
        q._PATH_AP: np.abs(step[:, 1]).sum(), q._PATH: np.linalg.norm(step, axis=1).sum(),
        q._TRIANGLES: np.abs(ml[1:] * ap[:-1] - ap[1:] * ml[:-1]).sum(),
        q._SPEED_ML: np.abs(25 * step[:, 0]).sum(), q._SPEED_AP: np.abs(25 * step[:, 1]).sum(),
        q._SPEED: np.linalg.norm(25 * step, axis=1).sum(), q._CXX: (centred[:, 0] ** 2).sum(),
        q._CYY: (centred[:, 1] ** 2).sum(), q._CXY: (centred[:, 0] * centred[:, 1]).sum(),
    }
    for index, value in expected.items():
        assert out[index] == pytest.approx(value, rel=1e-10, abs=1e-10), index


@settings(max_examples=60, deadline=None)
@given(x=arrays(np.float64, st.tuples(st.integers(2, 80), st.just(2)), elements=finite))
def test_diameter_is_the_largest_pairwise_distance(x):
    expected = np.linalg.norm(x[:, None, :] - x[None, :, :], axis=2).max()
    assert q.diameter_kernel(x[:, 0].copy(), x[:, 1].copy()) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("m", [3, 10, 100, 746, 2998, 100000])
def test_f_quantile_closed_form_is_scipys(m):
    assert q.f_quantile_2(0.95, m) == pytest.approx(stats.f.ppf(0.95, 2, m), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(x=arrays(np.float64, st.tuples(st.integers(3, 60), st.just(2)), elements=finite))
def test_principal_direction_is_the_main_eigenvector(x):
    centred = x - x.mean(axis=0)
    cov = centred.T @ centred
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    if eigenvalues[1] - eigenvalues[0] < 1e-6 * max(1.0, eigenvalues[1]):
        return  # no principal direction to speak of
    main = eigenvectors[:, 1]
    expected = math.degrees(math.acos(abs(main[1]) / np.linalg.norm(main)))
    got = q._principal_direction_deg(cov[0, 0], cov[1, 1], cov[0, 1])
    assert got == pytest.approx(expected, abs=1e-6)


def test_the_clinicians_table_lists_exactly_the_72_names():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "measures-quijoux2021.md").read_text()
    listed = [line.split("`")[1] for line in doc.splitlines() if line.startswith("| `")]
    assert listed == list(DESCRIPTOR_NAMES)
