"""Profile `quijoux2021`: the 72 descriptors of Quijoux et al. 2021 (Physiol Rep 9:e15067), under their own names.

Reproduces the authors' open code (Jythen/code_descriptors_postural_control, MIT; current version of every file, see
tests/data/README.md) to 1e-6 relative or better; docs/measures-quijoux2021.md lists each descriptor for clinicians.

Preprocessing, as the authors' notebook and `Stabilogram.from_array` do it:
1. COP in cm, ML = My/Fz and AP = Mx/Fz for the AMTI plate, centred on the mean of the WHOLE recording over the
   samples where someone stands (the notebook's pandas mean skips the NaN of Fz = 0 rows), then the window is cut;
2. samples where the COP is undefined are dropped (keeping the others' times); the window is centred again on its
   own mean, which is reported as `mean_value_ML` / `mean_value_AP` (the window's offset from the recording's mean);
3. the authors' spike purge (it also drops the first 0.1 s and the last sample), SWARII to 25 Hz (80 ms window);
4. 4th-order Butterworth low-pass at 10 Hz, zero phase (filtfilt). The result is not centred again.
Velocities come from a Savitzky–Golay derivative (5 samples, cubic), the spectrum from Welch (10 s Hann segments),
the sway density from 3 mm neighbourhoods, the diffusion plot from lags up to a third of the trial.

Quirks of the authors' code kept on purpose, since these are "their" numbers (see the docs for the list): the
ellipse uses a covariance about zero rather than the mean and the coefficient (n+1)(n−1)/(n(n−2)) of the current
version; spectral powers are sums of PSD bins over 0.15–5 Hz, not integrals; `mean_velocity` divides the path by
n/fs rather than (n−1)/fs; `fractal_dimension` takes N = the number of resampled samples.
"""
from __future__ import annotations

import math

import numpy as np

from trainer.errors import MeasureError
from trainer.measures.diffusion import DIFFUSION_NAMES, diffusion_descriptors
from trainer.measures.smoothing import filtfilt_lowpass, savgol_derivative
from trainer.measures.sway import f_quantile_2
from trainer.measures.spectral import SPECTRAL_NAMES, spectral_descriptors, welch_psd
from trainer.jit import kernel
from trainer.resample import SWARII_WINDOW_S, spike_purge_mask, swarii

RESAMPLE_HZ = 25.0
LOWPASS_CUTOFF_HZ = 10.0
LOWPASS_ORDER = 4
SPIKE_JUMP_CM = 2.0
SPIKE_SETTLE_CM = 0.5
SKIP_FIRST_S = 0.1
SPEED_WINDOW = 5  # Savitzky–Golay samples
SPEED_POLYORDER = 3
SWAY_DENSITY_RADIUS_CM = 0.3
SWAY_DENSITY_CUTOFF_HZ = 2.5
ELLIPSE_COVERAGE = 0.95
MIN_RESAMPLED = 250  # 10 s at 25 Hz: one Welch segment (and enough lags for the diffusion plot)
MM_PER_CM = 10.0

# The 72 names in the order the authors' compute_all_features returns them.
DESCRIPTOR_NAMES = (
    "mean_value_ML", "mean_value_AP",
    "mean_distance_ML", "mean_distance_AP", "mean_distance_Radius",
    "maximal_distance_ML", "maximal_distance_AP", "maximal_distance_Radius",
    "rms_ML", "rms_AP", "rms_Radius",
    "range_ML", "range_AP", "range_ML_AND_AP", "range_ratio_ML_AND_AP",
    "planar_deviation_ML_AND_AP", "coefficient_sway_direction_ML_AND_AP", "confidence_ellipse_area_ML_AND_AP",
    "principal_sway_direction_ML_AND_AP",
    "mean_velocity_ML", "mean_velocity_AP", "mean_velocity_ML_AND_AP", "sway_area_per_second_ML_AND_AP",
    "phase_plane_parameter_ML", "phase_plane_parameter_AP", "LFS_ML_AND_AP", "fractal_dimension_ML_AND_AP",
    "zero_crossing_SPD_ML", "peak_velocity_pos_SPD_ML", "peak_velocity_neg_SPD_ML", "peak_velocity_all_SPD_ML",
    "zero_crossing_SPD_AP", "peak_velocity_pos_SPD_AP", "peak_velocity_neg_SPD_AP", "peak_velocity_all_SPD_AP",
    "mean_peak_Sway_Density", "mean_distance_peak_Sway_Density",
    "mean_frequency_ML", "mean_frequency_AP", "mean_frequency_ML_AND_AP",
    *(f"{name}_Power_Spectrum_Density_{axis}" for name in SPECTRAL_NAMES for axis in ("ML", "AP")),
    *(f"{name}_Diffusion_{axis}" for axis in ("ML", "AP") for name in DIFFUSION_NAMES),
)

# Indices into the vector `position_and_path_kernel` fills.
(_ABS_ML, _ABS_AP, _RADIUS, _MAX_ML, _MAX_AP, _MAX_RADIUS, _SQ_ML, _SQ_AP, _SQ_RADIUS, _MIN_ML, _TOP_ML, _MIN_AP,
 _TOP_AP, _CROSS, _PATH_ML, _PATH_AP, _PATH, _TRIANGLES, _SPEED_ML, _SPEED_AP, _SPEED, _CXX, _CYY, _CXY,
 _N_SUMS) = range(25)


@kernel
def position_and_path_kernel(ml, ap, fs_hz, out):
    """Sums, extremes and path quantities of the (ml, ap) trajectory that the positional and dynamic descriptors
    share, in one pass (indices above). Speeds are |fs·Δ| as the authors write them (fs times the step first)."""
    n = ml.shape[0]
    for k in range(out.shape[0]):
        out[k] = 0.0
    out[_MIN_ML] = np.inf
    out[_TOP_ML] = -np.inf
    out[_MIN_AP] = np.inf
    out[_TOP_AP] = -np.inf
    ml_mean = 0.0
    ap_mean = 0.0
    for i in range(n):
        x = ml[i]
        y = ap[i]
        r = math.sqrt(x * x + y * y)
        out[_ABS_ML] += abs(x)
        out[_ABS_AP] += abs(y)
        out[_RADIUS] += r
        out[_MAX_ML] = max(out[_MAX_ML], abs(x))
        out[_MAX_AP] = max(out[_MAX_AP], abs(y))
        out[_MAX_RADIUS] = max(out[_MAX_RADIUS], r)
        out[_SQ_ML] += x * x
        out[_SQ_AP] += y * y
        out[_SQ_RADIUS] += r * r
        out[_MIN_ML] = min(out[_MIN_ML], x)
        out[_TOP_ML] = max(out[_TOP_ML], x)
        out[_MIN_AP] = min(out[_MIN_AP], y)
        out[_TOP_AP] = max(out[_TOP_AP], y)
        out[_CROSS] += x * y
        ml_mean += x
        ap_mean += y
        if i > 0:
            dx = x - ml[i - 1]
            dy = y - ap[i - 1]
            out[_PATH_ML] += abs(dx)
            out[_PATH_AP] += abs(dy)
            out[_PATH] += math.sqrt(dx * dx + dy * dy)
            out[_TRIANGLES] += abs(x * ap[i - 1] - y * ml[i - 1])
            vx = fs_hz * dx
            vy = fs_hz * dy
            out[_SPEED_ML] += abs(vx)
            out[_SPEED_AP] += abs(vy)
            out[_SPEED] += math.sqrt(vx * vx + vy * vy)
    ml_mean /= n
    ap_mean /= n
    for i in range(n):  # covariance about the mean, for the principal direction (PCA centres the data)
        dx = ml[i] - ml_mean
        dy = ap[i] - ap_mean
        out[_CXX] += dx * dx
        out[_CYY] += dy * dy
        out[_CXY] += dx * dy


@kernel
def diameter_kernel(ml, ap):
    """Largest distance between any two points of the trajectory (the authors' 2-D range)."""
    n = ml.shape[0]
    best = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            dx = ml[j] - ml[i]
            dy = ap[j] - ap[i]
            best = max(best, dx * dx + dy * dy)
    return math.sqrt(best)


@kernel
def velocity_peaks_kernel(speed, out):
    """out = (zero crossings, mean positive peak, mean |negative peak|, mean |peak|) of one velocity signal.

    A crossing is a sample of the other sign than the current side (zeros belong to no side); the peak of each
    half-wave between two crossings is its largest |speed|; the half-wave before the first crossing is not counted.
    """
    n = speed.shape[0]
    side = 0.0
    for i in range(n):
        if speed[i] != 0.0:
            side = np.sign(speed[i])
            break
    peak = 0.0
    peak_index = 0
    previous = 0.0
    crossings = 0
    positive_total = 0.0
    positive_count = 0
    negative_total = 0.0
    negative_count = 0
    for i in range(n):
        v = speed[i]
        if i != 0 and v * previous <= 0.0 and v != 0.0 and np.sign(v) != side:
            if crossings > 0:
                if v < 0.0:
                    positive_total += speed[peak_index]
                    positive_count += 1
                elif v > 0.0:
                    negative_total += abs(speed[peak_index])
                    negative_count += 1
            crossings += 1
            side = np.sign(v)
            peak = 0.0
        if abs(v) > abs(peak):
            peak = v
            peak_index = i
        previous = v
    out[0] = crossings
    out[1] = positive_total / positive_count if positive_count else np.nan
    out[2] = negative_total / negative_count if negative_count else np.nan
    all_count = positive_count + negative_count
    out[3] = (positive_total + negative_total) / all_count if all_count else np.nan


@kernel
def sway_density_kernel(ml, ap, radius, fs_hz, out):
    """out[t] = time (s) the trajectory stays within `radius` of sample t: the run of consecutive samples around t
    (t itself included) closer than radius, counted as (run length − 1) samples / fs, for t = 0..n−2."""
    n = ml.shape[0]
    for t in range(n - 1):
        stop = t + 1
        while stop < n:
            dx = ml[stop] - ml[t]
            dy = ap[stop] - ap[t]
            if math.sqrt(dx * dx + dy * dy) > radius:
                break
            stop += 1
        start = t - 1
        while start >= 0:
            dx = ml[start] - ml[t]
            dy = ap[start] - ap[t]
            if math.sqrt(dx * dx + dy * dy) > radius:
                break
            start -= 1
        out[t] = ((stop - 1) - (start + 1)) / fs_hz


@kernel
def sway_density_peaks_kernel(density, ml, ap, out):
    """out = (mean of the strict local maxima of density, mean distance between the COP at consecutive maxima)."""
    peak_total = 0.0
    peak_count = 0
    distance_total = 0.0
    last = -1
    for i in range(1, density.shape[0] - 1):
        if density[i] > density[i - 1] and density[i] > density[i + 1]:
            peak_total += density[i]
            peak_count += 1
            if last >= 0:
                dx = ml[i] - ml[last]
                dy = ap[i] - ap[last]
                distance_total += math.sqrt(dx * dx + dy * dy)
            last = i
    out[0] = peak_total / peak_count if peak_count else np.nan
    out[1] = distance_total / (peak_count - 1) if peak_count > 1 else np.nan


def _principal_direction_deg(cxx: float, cyy: float, cxy: float) -> float:
    """Angle (0–90°) between the AP axis and the principal axis of the points (the covariance's main eigenvector)."""
    half_difference = 0.5 * (cxx - cyy)
    largest = 0.5 * (cxx + cyy) + math.hypot(half_difference, cxy)
    # Of the two equivalent forms of the eigenvector, take the one that does not cancel.
    v_ml, v_ap = (largest - cyy, cxy) if cxx >= cyy else (cxy, largest - cxx)
    return math.degrees(math.acos(abs(v_ap) / math.hypot(v_ml, v_ap)))


def _preprocess(ml_cm, ap_cm, t_s) -> tuple[np.ndarray, np.ndarray]:
    """(window mean (2,), filtered 25 Hz signal (n, 2)): steps 2–4 of the module docstring."""
    ml_cm = np.asarray(ml_cm, dtype=np.float64)
    ap_cm = np.asarray(ap_cm, dtype=np.float64)
    t_s = np.asarray(t_s, dtype=np.float64)
    if not (ml_cm.ndim == ap_cm.ndim == t_s.ndim == 1):
        raise MeasureError("quijoux2021 needs one-dimensional ml_cm, ap_cm and t_s")
    if not len(ml_cm) == len(ap_cm) == len(t_s):
        raise MeasureError(f"quijoux2021: ml_cm, ap_cm and t_s differ in length ({len(ml_cm)}, {len(ap_cm)}, "
                           f"{len(t_s)})")
    if len(t_s) == 0:
        raise MeasureError("quijoux2021: the window is empty")
    if not np.isfinite(t_s).all() or (np.diff(t_s) < 0).any():
        raise MeasureError("quijoux2021: t_s must be finite and non-decreasing")
    standing = np.isfinite(ml_cm) & np.isfinite(ap_cm)
    if not standing.any():
        raise MeasureError("quijoux2021: nobody stands on the plate anywhere in this window (COP undefined)")
    relative_t_s = (t_s - t_s[0])[standing]
    cop_cm = np.column_stack((ml_cm[standing], ap_cm[standing]))
    window_mean_cm = np.mean(cop_cm, axis=0, keepdims=True)
    centred_cm = cop_cm - window_mean_cm
    kept = spike_purge_mask(relative_t_s, centred_cm, SKIP_FIRST_S, SPIKE_JUMP_CM, SPIKE_SETTLE_CM)
    duration_s = float(relative_t_s[-1] - relative_t_s[0])
    if kept.sum() < 2:
        raise MeasureError(f"quijoux2021 needs at least {MIN_RESAMPLED / RESAMPLE_HZ:g} s of standing; this window "
                           f"has {duration_s:.2f} s")
    _, resampled_cm = swarii(relative_t_s[kept], centred_cm[kept], RESAMPLE_HZ, SWARII_WINDOW_S)
    if resampled_cm.shape[0] < MIN_RESAMPLED:
        raise MeasureError(f"quijoux2021 needs at least {MIN_RESAMPLED / RESAMPLE_HZ:g} s of standing "
                           f"({MIN_RESAMPLED} samples at {RESAMPLE_HZ:g} Hz after resampling); this window gives "
                           f"{resampled_cm.shape[0]}")
    filtered_cm = filtfilt_lowpass(resampled_cm, LOWPASS_ORDER, LOWPASS_CUTOFF_HZ, RESAMPLE_HZ)
    return window_mean_cm[0], filtered_cm


def quijoux2021_descriptors(ml_cm, ap_cm, t_s) -> dict[str, float]:
    """The 72 descriptors of a window already centred on its recording's mean, in cm, at its recorded times t_s (s).

    NaN samples (nobody standing) are dropped; see the module docstring for the rest of the preprocessing.
    """
    window_mean_cm, signal = _preprocess(ml_cm, ap_cm, t_s)
    fs = RESAMPLE_HZ
    ml = np.ascontiguousarray(signal[:, 0])
    ap = np.ascontiguousarray(signal[:, 1])
    n = ml.shape[0]

    sums = np.empty(_N_SUMS)
    position_and_path_kernel(ml, ap, fs, sums)
    rms_ml = math.sqrt(sums[_SQ_ML] / n)
    rms_ap = math.sqrt(sums[_SQ_AP] / n)
    range_ml = sums[_TOP_ML] - sums[_MIN_ML]
    range_ap = sums[_TOP_AP] - sums[_MIN_AP]
    covariance_about_zero = sums[_CROSS] / n
    # 95 % confidence ellipse, the authors' way: rms about zero, F(2, n−2), coefficient (n+1)(n−1)/(n(n−2)).
    ellipse_cm2 = (2.0 * math.pi * f_quantile_2(ELLIPSE_COVERAGE, n - 2)
                   * math.sqrt(rms_ml ** 2 * rms_ap ** 2 - covariance_about_zero ** 2)
                   * ((n + 1) * (n - 1) / (n * (n - 2))))

    speed = savgol_derivative(signal, SPEED_WINDOW, SPEED_POLYORDER, 1.0 / fs)
    peaks = np.empty((2, 4))
    velocity_peaks_kernel(np.ascontiguousarray(speed[:, 0]), peaks[0])
    velocity_peaks_kernel(np.ascontiguousarray(speed[:, 1]), peaks[1])

    density = np.empty(n - 1)
    sway_density_kernel(ml, ap, SWAY_DENSITY_RADIUS_CM, fs, density)
    density = filtfilt_lowpass(density, LOWPASS_ORDER, SWAY_DENSITY_CUTOFF_HZ, fs)
    density_peaks = np.empty(2)
    sway_density_peaks_kernel(density, ml, ap, density_peaks)

    frequency_hz, psd = welch_psd(signal, fs)
    spectral = spectral_descriptors(frequency_hz, psd)
    diffusion = diffusion_descriptors(signal, fs)

    path_cm = sums[_PATH]
    values = [
        window_mean_cm[0], window_mean_cm[1],
        sums[_ABS_ML] / n, sums[_ABS_AP] / n, sums[_RADIUS] / n,
        sums[_MAX_ML], sums[_MAX_AP], sums[_MAX_RADIUS],
        rms_ml, rms_ap, math.sqrt(sums[_SQ_RADIUS] / n),
        range_ml, range_ap, diameter_kernel(ml, ap), range_ml / range_ap,
        math.sqrt(rms_ml ** 2 + rms_ap ** 2),
        covariance_about_zero / (rms_ml * rms_ap),
        ellipse_cm2,
        _principal_direction_deg(sums[_CXX], sums[_CYY], sums[_CXY]),
        sums[_PATH_ML] * fs / n, sums[_PATH_AP] * fs / n, path_cm * fs / n,
        sums[_TRIANGLES] / (2.0 * (n - 1) / fs),
        math.sqrt(rms_ml ** 2 + np.var(speed[:, 0])), math.sqrt(rms_ap ** 2 + np.var(speed[:, 1])),
        path_cm / ellipse_cm2,
        math.log(n) / (math.log(n) + math.log(math.sqrt(4.0 * ellipse_cm2 / math.pi)) - math.log(path_cm)),
        *peaks[0], *peaks[1],
        *density_peaks,
        (1.0 / (4.0 * math.sqrt(2.0))) * ((sums[_SPEED_ML] / (n - 1)) / (sums[_ABS_ML] / n)),
        (1.0 / (4.0 * math.sqrt(2.0))) * ((sums[_SPEED_AP] / (n - 1)) / (sums[_ABS_AP] / n)),
        (1.0 / (2.0 * math.pi)) * ((sums[_SPEED] / (n - 1)) / (sums[_RADIUS] / n)),
        *spectral.T.ravel(),
        *diffusion.ravel(),
    ]
    return {name: float(value) for name, value in zip(DESCRIPTOR_NAMES, values, strict=True)}


def profile_quijoux2021(recording, start_s: float | None = None, end_s: float | None = None) -> dict[str, float]:
    """The 72 descriptors of `recording` between start_s (inclusive) and end_s (exclusive), seconds from its first
    sample. Centres on the mean of the whole recording first (over the samples where someone stands), as the
    authors do, so the window's offset from it is `mean_value_ML` / `mean_value_AP`.

    A regularly sampled recording is timed by its nominal rate (sample k at k / fs_hz, as the authors time theirs);
    an irregular one by its recorded timestamps.
    """
    if recording.n_samples == 0:
        raise MeasureError(f"{recording.path}: the recording is empty")
    if start_s is not None and end_s is not None and not start_s < end_s:
        raise MeasureError(f"{recording.path}: the window must start before it ends (start_s={start_s}, "
                           f"end_s={end_s})")
    standing = recording.standing
    if not standing.any():
        raise MeasureError(f"{recording.path}: nobody stands on the plate anywhere in this recording")
    # The authors' pandas mean skips the NaN rows; the same mean here, per axis.
    mean_ml_mm = np.nanmean(recording.cop_x_mm)
    mean_ap_mm = np.nanmean(recording.cop_y_mm)
    window = recording.window(start_s, end_s)
    if window.n_samples == 0:
        raise MeasureError(f"{recording.path}: no sample between {start_s} s and {end_s} s")
    if recording.fs_hz is not None:
        t_s = np.arange(window.n_samples) / recording.fs_hz
    else:
        t_s = window.t_s
    try:
        return quijoux2021_descriptors((window.cop_x_mm - mean_ml_mm) / MM_PER_CM,
                                       (window.cop_y_mm - mean_ap_mm) / MM_PER_CM, t_s)
    except MeasureError as error:
        raise MeasureError(f"{recording.path}: {error}") from None
