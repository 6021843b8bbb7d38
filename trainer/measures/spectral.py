"""Power spectrum of a stabilogram and the spectral descriptors of Quijoux et al. 2021.

The spectrum is Welch's, set as the authors set it (stabilogram/stato.py of Jythen/code_descriptors_postural_control):
periodic Hann segments of 10 s with 50 % overlap, each detrended by a least-squares line, zero-padded to the length
of the whole signal (so the frequency step is fs / N), one-sided power spectral density averaged over the segments.
Numba does the segmenting, detrending and windowing; numpy's FFT does the transforms in one call.

The descriptors only look at 0.15–5 Hz, and they add up PSD bins rather than integrate them (no × df), exactly as
the authors do, so "power" here is a sum of bins in cm²/Hz.
"""
from __future__ import annotations

import numpy as np

from trainer.filter_design import periodic_hann
from trainer.jit import kernel

SEGMENT_S = 10.0
BAND_LOW_HZ = 0.15
BAND_HIGH_HZ = 5.0


@kernel
def detrended_segments_kernel(signal, n_per_segment, step, window, out):
    """out[c, s, :] = window · (segment s of channel c minus its least-squares line).

    signal is (n, channels); out is (channels, segments, n_per_segment).
    """
    n_channels = signal.shape[1]
    n_segments = out.shape[1]
    m = n_per_segment
    # The regressor is k/m, k = 1..m, as scipy.signal.detrend builds it; any affine regressor gives the same line.
    x_mean = 0.0
    for k in range(m):
        x_mean += (k + 1.0) / m
    x_mean /= m
    sxx = 0.0
    for k in range(m):
        dx = (k + 1.0) / m - x_mean
        sxx += dx * dx
    for c in range(n_channels):
        for s in range(n_segments):
            start = s * step
            y_mean = 0.0
            for k in range(m):
                y_mean += signal[start + k, c]
            y_mean /= m
            sxy = 0.0
            for k in range(m):
                sxy += ((k + 1.0) / m - x_mean) * (signal[start + k, c] - y_mean)
            slope = sxy / sxx
            for k in range(m):
                trend = y_mean + slope * ((k + 1.0) / m - x_mean)
                out[c, s, k] = window[k] * (signal[start + k, c] - trend)


@kernel
def averaged_one_sided_psd_kernel(spectra, scale, n_fft, out):
    """out[c, f] = mean over segments of |spectra[c, s, f]|² · scale, doubled except at DC (and Nyquist)."""
    n_channels, n_segments, n_bins = spectra.shape
    for c in range(n_channels):
        for f in range(n_bins):
            total = 0.0
            for s in range(n_segments):
                v = spectra[c, s, f]
                power = (v.real * v.real + v.imag * v.imag) * scale
                if f > 0 and not (n_fft % 2 == 0 and f == n_bins - 1):
                    power *= 2.0
                total += power
            out[c, f] = total / n_segments


def welch_psd(signal: np.ndarray, fs_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """(frequency_hz (n_bins,), psd (channels, n_bins) in unit²/Hz) of `signal` (n, channels) as the authors set
    scipy.signal.welch: hann, nperseg = 10 s, noverlap = 5 s, linear detrend, nfft = n, density, mean."""
    n = signal.shape[0]
    n_per_segment = int(SEGMENT_S * fs_hz)
    step = n_per_segment - int(0.5 * SEGMENT_S * fs_hz)
    if n < n_per_segment:
        raise ValueError(f"the spectrum needs at least {SEGMENT_S:g} s ({n_per_segment} samples), got {n}")
    n_segments = (n - n_per_segment) // step + 1
    window = periodic_hann(n_per_segment)
    segments = np.empty((signal.shape[1], n_segments, n_per_segment))
    detrended_segments_kernel(np.ascontiguousarray(signal), n_per_segment, step, window, segments)
    spectra = np.fft.rfft(segments, n=n, axis=2)
    scale = 1.0 / (fs_hz * float((window * window).sum()))
    psd = np.empty((signal.shape[1], spectra.shape[2]))
    averaged_one_sided_psd_kernel(spectra, scale, n, psd)
    # Frequencies exactly as rfftfreq(n, 1/fs) writes them: the band edges below compare them with == precision.
    frequency_hz = np.arange(spectra.shape[2]) * (1.0 / (n * (1.0 / fs_hz)))
    return frequency_hz, psd


@kernel
def spectral_descriptors_kernel(frequency_hz, psd, low_hz, high_hz, out):
    """out[c, :] = the ten spectral descriptors of channel c over low_hz <= f <= high_hz, in this order:
    total_power, power_frequency_50, power_frequency_95, frequency_mode, centroid_frequency,
    frequency_dispersion, energy_content_below_05, energy_content_05_2, energy_content_above_2, frequency_quotient."""
    n_channels = psd.shape[0]
    n_bins = frequency_hz.shape[0]
    for c in range(n_channels):
        m0 = 0.0
        m1 = 0.0
        m2 = 0.0
        below_05 = 0.0
        from_05_to_2 = 0.0
        above_2 = 0.0
        up_to_2 = 0.0
        from_2_to_5 = 0.0
        mode_power = -1.0
        mode_hz = np.nan
        first = -1
        last = -1
        for f in range(n_bins):
            hz = frequency_hz[f]
            if hz < low_hz or hz > high_hz:
                continue
            if first < 0:
                first = f
            last = f
            p = psd[c, f]
            m0 += p
            m1 += hz * p
            m2 += hz * hz * p
            if p > mode_power:  # first maximum, as np.argmax
                mode_power = p
                mode_hz = hz
            if 0.0 < hz <= 0.5:
                below_05 += p
            if 0.5 < hz <= 2.0:
                from_05_to_2 += p
            if hz > 2.0:
                above_2 += p
            if 0.0 < hz <= 2.0:
                up_to_2 += p
            if 2.0 < hz <= 5.0:
                from_2_to_5 += p
        # Median and 95 % power frequency: the first bin where the running sum reaches that share of the total
        # (m0 is summed in the same order as the running sum, as the authors' cumsum[-1] is).
        f50 = np.nan
        f95 = np.nan
        running = 0.0
        if first >= 0:
            for f in range(first, last + 1):
                running += psd[c, f]
                if np.isnan(f50) and running >= m0 * 0.5:
                    f50 = frequency_hz[f]
                if np.isnan(f95) and running >= m0 * 0.95:
                    f95 = frequency_hz[f]
        out[c, 0] = m0
        out[c, 1] = f50
        out[c, 2] = f95
        out[c, 3] = mode_hz
        out[c, 4] = np.sqrt(m2 / m0)
        out[c, 5] = np.sqrt(1.0 - (m1 * m1) / (m0 * m2))
        out[c, 6] = below_05
        out[c, 7] = from_05_to_2
        out[c, 8] = above_2
        out[c, 9] = from_2_to_5 / up_to_2


SPECTRAL_NAMES = ("total_power", "power_frequency_50", "power_frequency_95", "frequency_mode", "centroid_frequency",
                  "frequency_dispersion", "energy_content_below_05", "energy_content_05_2", "energy_content_above_2",
                  "frequency_quotient")


def spectral_descriptors(frequency_hz: np.ndarray, psd: np.ndarray) -> np.ndarray:
    """(channels, 10) descriptors in the order of SPECTRAL_NAMES, over 0.15–5 Hz."""
    out = np.empty((psd.shape[0], len(SPECTRAL_NAMES)))
    spectral_descriptors_kernel(frequency_hz, psd, BAND_LOW_HZ, BAND_HIGH_HZ, out)
    return out
