"""A streaming low-pass filter that keeps its state across chunks, so a live signal filtered 16 ms at a time
equals the same signal filtered in one go (scipy.signal.sosfilt with its state carried over)."""
from __future__ import annotations

import numpy as np
from trainer.filter_design import butter_lowpass_sos, sos_initial_state
from trainer.jit import kernel


@kernel
def sosfilt_kernel(sos, x, state):
    """Second-order sections, transposed direct form II, over x (n, channels) in place; state (sections, 2, channels).
    NaN inputs (nobody standing) pass through as NaN and leave the state untouched, so the filter resumes cleanly."""
    n_sections = sos.shape[0]
    for i in range(x.shape[0]):
        for ch in range(x.shape[1]):
            value = x[i, ch]
            if not np.isfinite(value):
                continue
            for s in range(n_sections):
                b0, b1, b2 = sos[s, 0], sos[s, 1], sos[s, 2]
                a1, a2 = sos[s, 4], sos[s, 5]
                out = b0 * value + state[s, 0, ch]
                state[s, 0, ch] = b1 * value - a1 * out + state[s, 1, ch]
                state[s, 1, ch] = b2 * value - a2 * out
                value = out
            x[i, ch] = value


class StreamingLowPass:
    """Butterworth low-pass over `n_channels` signals, fed chunk by chunk.

    The state starts at rest on the first finite sample (the steady state for that value), so a person already
    standing when the filter starts gives no step response.
    """

    def __init__(self, cutoff_hz: float, fs_hz: float, order: int = 2, n_channels: int = 2):
        if not 0 < cutoff_hz < fs_hz / 2:
            raise ValueError(f"cutoff_hz must lie between 0 and fs_hz/2 = {fs_hz / 2:g}, not {cutoff_hz:g}")
        if order < 1:
            raise ValueError(f"order must be at least 1, not {order}")
        self.sos = np.ascontiguousarray(butter_lowpass_sos(order, cutoff_hz, fs_hz))
        self._unit_state = sos_initial_state(self.sos)  # (sections, 2): steady state for an input of 1
        self.n_channels = n_channels
        self.state: np.ndarray | None = None

    def reset(self) -> None:
        self.state = None

    def process(self, chunk) -> np.ndarray:
        """Filtered copy of `chunk` (n, n_channels); state carries over to the next call."""
        x = np.array(chunk, dtype=np.float64, copy=True, ndmin=2)
        if x.shape[1] != self.n_channels:
            raise ValueError(f"chunk must have {self.n_channels} columns, not {x.shape[1]}")
        if self.state is None:
            finite_rows = np.flatnonzero(np.isfinite(x).all(axis=1))
            if finite_rows.size == 0:
                return x
            first = x[finite_rows[0]]
            self.state = np.ascontiguousarray(self._unit_state[:, :, None] * first[None, None, :])
        sosfilt_kernel(self.sos, x, self.state)
        return x


def zero_phase_lowpass(signal, cutoff_hz: float, fs_hz: float, order: int = 4) -> np.ndarray:
    """A whole recording low-passed forwards then backwards (no time shift; the order is doubled in effect), each
    column of `signal` (n,) or (n, channels) on its own. The ends are padded with an odd reflection of
    3·(2·sections + 1) samples and each pass starts at rest on its first value, as scipy.signal.sosfiltfilt does."""
    sos = butter_lowpass_sos(order, cutoff_hz, fs_hz)
    x = np.array(signal, dtype=np.float64, ndmin=1)
    one_dimensional = x.ndim == 1
    x = x.reshape(len(x), -1)
    pad = 3 * (2 * len(sos) + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum())))
    if len(x) <= pad:
        raise ValueError(f"a zero-phase low-pass of order {order} needs more than {pad} samples, got {len(x)}")
    extended = np.concatenate((2 * x[0] - x[pad:0:-1], x, 2 * x[-1] - x[-2:-pad - 2:-1]))
    unit_state = sos_initial_state(sos)
    for _ in range(2):  # forwards, then backwards over the reversed result
        state = np.ascontiguousarray(unit_state[:, :, None] * extended[0][None, None, :])
        extended = np.ascontiguousarray(extended)
        sosfilt_kernel(sos, extended, state)
        extended = extended[::-1]
    out = extended[pad:-pad]
    return out[:, 0] if one_dimensional else out
