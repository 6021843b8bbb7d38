"""The streaming low-pass equals scipy's filter run in one go, whatever the chunking."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import sosfilt

from trainer.filters import StreamingLowPass


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=12), st.integers(0, 2**31 - 1))
def test_chunked_filtering_equals_one_pass(chunk_sizes, seed):
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=(sum(chunk_sizes), 2)) * 10 + 50
    streaming = StreamingLowPass(10.0, 100.0, order=4)
    pieces, start = [], 0
    for size in chunk_sizes:
        pieces.append(streaming.process(signal[start:start + size]))
        start += size
    # Reference: scipy with the same initial state (at rest on the first sample).
    initial = streaming._unit_state[:, :, None] * signal[0][None, None, :]
    expected = np.column_stack([sosfilt(streaming.sos, signal[:, ch], zi=initial[:, :, ch])[0] for ch in range(2)])
    np.testing.assert_allclose(np.vstack(pieces), expected, rtol=1e-10, atol=1e-10)


def test_a_constant_signal_passes_unchanged_from_the_first_sample():
    out = StreamingLowPass(5.0, 100.0).process(np.full((50, 2), 42.0))
    np.testing.assert_allclose(out, 42.0, rtol=1e-12)


def test_nan_samples_pass_through_and_do_not_poison_the_state():
    lp = StreamingLowPass(5.0, 100.0)
    out = lp.process(np.array([[1.0, 1.0], [np.nan, np.nan], [1.0, 1.0]]))
    assert np.isnan(out[1]).all() and np.isfinite(out[[0, 2]]).all()


def test_the_filter_attenuates_above_its_cutoff():
    t = np.arange(2000) / 1000.0
    high = np.sin(2 * np.pi * 100 * t)
    out = StreamingLowPass(5.0, 1000.0, order=2, n_channels=1).process(high[:, None])
    assert np.abs(out[500:]).max() < 0.01


def test_bad_cutoff_is_refused():
    with pytest.raises(ValueError, match="cutoff_hz"):
        StreamingLowPass(60.0, 100.0)
