"""`BalanceInput`: from a board's samples to one `CopFrame` per fixed 60 Hz game step.

It polls a `LoadSource`, subtracts the tare, computes the total load and the COP with the project's one formula
(`trainer.cop.corners_to_cop`, with the source's geometry), optionally low-passes the COP, and keeps the last
`history_s` seconds in a ring buffer for the measures and the trails.

The low-pass (`lowpass_hz`) needs the sampling rate: `fs_hz` if given, else the source's `rate_hz` attribute
(sim:// has one), else the median interval of the first FS_ESTIMATE_SAMPLES samples, which pass unfiltered while
it is measured. A board sampling at less than twice the cutoff has nothing above it to remove and is not filtered.

Two ways to tie samples to game steps (`sync`):
- "live": every step takes whatever has arrived and shows the newest sample. This is right for boards and for
  replays and simulators paced in real time: their samples arrive when they are due.
- "sample-time": the steps walk along the source's own timeline, 1/60 s per step, taking the samples whose time
  (from the first sample) has been reached. This is what a source handing out samples as fast as it is asked needs
  (`replay://...?speed=max`, `sim://?speed=max`): a headless round then plays on the recording's time.
"auto" (the default) picks "sample-time" for a source that says it is unpaced (`paced` is False) and "live"
otherwise.

A source that reports DISCONNECTED while it looks for its board (the serial plate, the Wii Balance Board) is not
an error: the input keeps polling it, its frames say DISCONNECTED (no COP, no load) and a round pauses on them
(games/round.py); when the board is back the source says STREAMING, the first new sample ends the wait (STALE in
between) and the round goes on. A source that raises BoardError (it gave up, or cannot reconnect) does not take
the game down either: the input reports DISCONNECTED, keeps the message in `error`, stops reading that source for
good, and keeps everything recorded so far.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from hardware.sources import LoadSource, SourceState
from trainer.cop import MIN_STANDING_KG, corners_to_cop
from trainer.errors import BoardError, TareError
from trainer.filters import StreamingLowPass

STEP_S = 1.0 / 60.0  # the game's fixed update step
STALE_AFTER_S = 0.5  # a live source with no new sample for this long is reported STALE
FS_ESTIMATE_SAMPLES = 20  # samples used to estimate the rate when the filter needs one and nobody gave it
_INITIAL_RATE_HZ = 200.0  # ring capacity guess; the ring grows if the board is faster
_MAX_RATE_HZ = 5000.0

# Ring and pending columns.
_T, _TL, _TR, _BL, _BR, _TOTAL, _X, _Y = range(8)
_N_COLUMNS = 8


@dataclass(frozen=True, slots=True)
class CopFrame:
    """What the board says at one game step."""

    t_s: float  # source time of the newest sample this frame reflects; NaN before the first sample
    cop_x_mm: float  # NaN when nobody stands on the board or the board is gone
    cop_y_mm: float
    total_kg: float  # after the tare; NaN before the first sample and once the board is gone
    state: SourceState
    standing: bool  # someone stands on the board: total_kg >= the standing threshold and a COP is defined


class CopHistory(NamedTuple):
    """Chronological arrays of the recent samples (COP after the optional low-pass; NaN where nobody stands)."""

    t_s: np.ndarray
    cop_x_mm: np.ndarray
    cop_y_mm: np.ndarray
    total_kg: np.ndarray


class _Ring:
    """The last rows of an (n, columns) float table; grows while it holds less than `keep_s` seconds."""

    def __init__(self, keep_s: float):
        self.keep_s = keep_s
        self.capacity = max(64, math.ceil(keep_s * _INITIAL_RATE_HZ))
        self.max_capacity = max(self.capacity, math.ceil(keep_s * _MAX_RATE_HZ))
        self.rows = np.empty((self.capacity, _N_COLUMNS))
        self.count = 0
        self.end = 0  # index one past the newest row

    def ordered(self) -> np.ndarray:
        if self.count < self.capacity:
            return self.rows[: self.count]
        return np.concatenate((self.rows[self.end:], self.rows[: self.end]))

    def _grow(self, needed: int) -> None:
        rows = self.ordered()
        self.capacity = min(self.max_capacity, max(needed, 2 * self.capacity))
        self.rows = np.empty((self.capacity, _N_COLUMNS))
        keep = rows[-self.capacity:]
        self.rows[: len(keep)] = keep
        self.count = len(keep)
        self.end = self.count % self.capacity

    def _t_of_oldest(self, k: int) -> float:
        return float(self.rows[k if self.count < self.capacity else (self.end + k) % self.capacity, _T])

    def append(self, new: np.ndarray) -> None:
        if len(new) == 0:
            return
        overflow = self.count + len(new) - self.capacity
        if overflow > 0 and self.capacity < self.max_capacity:
            # Grow only if the rows about to be dropped are younger than keep_s.
            last_dropped_t = self._t_of_oldest(overflow - 1) if overflow <= self.count \
                else float(new[overflow - self.count - 1, _T])
            if last_dropped_t >= new[-1, _T] - self.keep_s:
                self._grow(self.count + len(new))
        if len(new) >= self.capacity:
            self.rows[:] = new[-self.capacity:]
            self.count = self.capacity
            self.end = 0
            return
        first = min(len(new), self.capacity - self.end)
        self.rows[self.end:self.end + first] = new[:first]
        self.rows[: len(new) - first] = new[first:]
        self.end = (self.end + len(new)) % self.capacity
        self.count = min(self.capacity, self.count + len(new))

    def newest(self) -> np.ndarray | None:
        return None if self.count == 0 else self.rows[self.end - 1]


class BalanceInput:
    def __init__(self, source: LoadSource, *, history_s: float = 30.0, lowpass_hz: float | None = None,
                 fs_hz: float | None = None, sync: str = "auto", stale_after_s: float = STALE_AFTER_S,
                 min_standing_kg: float = MIN_STANDING_KG, sample_sink=None):
        if history_s <= 0:
            raise ValueError(f"history_s must be positive, not {history_s}")
        if sync not in ("auto", "live", "sample-time"):
            raise ValueError(f"sync must be 'auto', 'live' or 'sample-time', not {sync!r}")
        if lowpass_hz is not None and lowpass_hz <= 0:
            raise ValueError(f"lowpass_hz must be positive, not {lowpass_hz}")
        if sync == "auto":
            sync = "live" if source.paced else "sample-time"
        self.source = source
        self.sample_sink = sample_sink  # e.g. RecordingWriter.add_samples: every raw sample, as it arrives
        self.sync = sync
        self.history_s = float(history_s)
        self.stale_after_s = float(stale_after_s)
        self.min_standing_kg = float(min_standing_kg)
        self.lowpass_hz = lowpass_hz
        self._fs_hz = fs_hz if fs_hz is not None else getattr(source, "rate_hz", None)
        self._filter: StreamingLowPass | None = None
        self.tare_kg = np.zeros(4)  # subtracted from each corner
        self.error: str | None = None  # the BoardError message once the board is gone
        self.n_samples = 0  # samples taken into the ring so far
        self._ring = _Ring(self.history_s)
        self._pending = np.empty((0, _N_COLUMNS))
        self._first_t_s: float | None = None
        self._game_t_s = 0.0
        self._since_new_s = 0.0
        self._unfiltered_t: list[float] = []
        self.frame = CopFrame(math.nan, math.nan, math.nan, math.nan, self.state, False)

    @property
    def geometry(self):
        return self.source.geometry

    @property
    def state(self) -> SourceState:
        if self.error is not None:
            return SourceState.DISCONNECTED
        state = self.source.state
        if state is SourceState.ENDED and len(self._pending):
            return SourceState.STREAMING  # the source is done, but its last samples are still being played
        if self.sync == "live" and state is SourceState.STREAMING and self._since_new_s > self.stale_after_s:
            return SourceState.STALE
        return state

    def poll(self) -> int:
        """Read what the source has and queue it; the number of samples read. Never raises BoardError."""
        if self.error is not None:
            return 0
        try:
            samples = self.source.read()
        except BoardError as error:
            self.error = str(error)
            self._take(len(self._pending))  # what arrived before the board went away is kept
            return 0
        if not samples:
            return 0
        if self.sample_sink is not None:
            self.sample_sink(samples)
        rows = np.empty((len(samples), _N_COLUMNS))
        rows[:, _T] = [s.t_s for s in samples]
        rows[:, _TL:_BR + 1] = [s.corners_kg for s in samples]
        total, x, y = corners_to_cop(rows[:, _TL:_BR + 1] - self.tare_kg, self.geometry, self.min_standing_kg)
        rows[:, _TOTAL] = total
        rows[:, _X], rows[:, _Y] = self._low_pass(rows[:, _T], x, y)
        if self._first_t_s is None:
            self._first_t_s = float(rows[0, _T])
        self._pending = np.concatenate((self._pending, rows)) if len(self._pending) else rows
        return len(samples)

    def _low_pass(self, t_s: np.ndarray, x: np.ndarray, y: np.ndarray):
        if self.lowpass_hz is None:
            return x, y
        if self._filter is None:
            if self._fs_hz is None:
                # Estimate the rate from the first samples; until then they pass unfiltered (the filter starts at
                # rest on its first value, so there is no step when it starts).
                self._unfiltered_t.extend(t_s.tolist())
                if len(self._unfiltered_t) < FS_ESTIMATE_SAMPLES:
                    return x, y
                step_s = float(np.median(np.diff(self._unfiltered_t)))
                if not step_s > 0:
                    raise BoardError(f"{self.source.url}: sample times do not increase; cannot filter")
                self._fs_hz = 1.0 / step_s
            if self.lowpass_hz >= self._fs_hz / 2:
                # Sampled this slowly, the signal holds nothing above the cutoff: there is nothing to remove.
                self.lowpass_hz = None
                return x, y
            self._filter = StreamingLowPass(self.lowpass_hz, self._fs_hz)
        filtered = self._filter.process(np.column_stack((x, y)))
        return filtered[:, 0], filtered[:, 1]

    def step(self, dt_s: float = STEP_S) -> CopFrame:
        """Advance one game step: take the samples this step covers and return (and keep in `frame`) its frame."""
        if self.sync == "live":
            self.poll()
            taken = self._take(len(self._pending))
        else:
            self._game_t_s += dt_s
            while self.error is None and self.source.state is SourceState.STREAMING and (
                    self._first_t_s is None or not len(self._pending)
                    or self._pending[-1, _T] - self._first_t_s < self._game_t_s):
                if self.poll() == 0:
                    break
            due = 0
            if self._first_t_s is not None and len(self._pending):
                due = int(np.searchsorted(self._pending[:, _T] - self._first_t_s, self._game_t_s + 1e-9,
                                          side="right"))
            taken = self._take(due)
        self._since_new_s = 0.0 if taken else self._since_new_s + dt_s
        self.frame = self._make_frame()
        return self.frame

    def _take(self, n: int) -> int:
        if n <= 0:
            return 0
        self._ring.append(self._pending[:n])
        self._pending = self._pending[n:]
        self.n_samples += n
        return n

    def _make_frame(self) -> CopFrame:
        state = self.state
        newest = self._ring.newest()
        if newest is None:
            return CopFrame(math.nan, math.nan, math.nan, math.nan, state, False)
        t_s = float(newest[_T])
        if state in (SourceState.DISCONNECTED, SourceState.ENDED):
            return CopFrame(t_s, math.nan, math.nan, math.nan, state, False)
        x, y, total = float(newest[_X]), float(newest[_Y]), float(newest[_TOTAL])
        standing = bool(total >= self.min_standing_kg and math.isfinite(x) and math.isfinite(y))
        return CopFrame(t_s, x, y, total, state, standing)

    def recent(self, seconds: float | None = None) -> CopHistory:
        """The samples of the last `seconds` (default and at most: history_s), oldest first."""
        seconds = self.history_s if seconds is None else min(seconds, self.history_s)
        rows = self._ring.ordered()
        if len(rows):
            rows = rows[rows[:, _T] >= rows[-1, _T] - seconds - 1e-9]
        return CopHistory(rows[:, _T].copy(), rows[:, _X].copy(), rows[:, _Y].copy(), rows[:, _TOTAL].copy())

    def tare(self, seconds: float = 1.0) -> np.ndarray:
        """Zero the corners on the mean of the last `seconds` of an empty board; returns the new tare (kgf, tl tr bl
        br). Raises TareError if nothing has arrived yet or someone seems to stand on the board."""
        rows = self._ring.ordered()
        if len(rows) == 0:
            raise TareError("cannot tare: the board has sent nothing yet")
        rows = rows[rows[:, _T] >= rows[-1, _T] - seconds - 1e-9]
        totals = rows[:, _TOTAL]
        if not np.isfinite(totals).any():
            raise TareError("cannot tare: the board's recent loads are all unknown (a sensor timed out)")
        load_kg = float(np.nanmax(totals))
        if load_kg >= self.min_standing_kg:
            raise TareError(f"cannot tare: {load_kg:.1f} kg on the board; step off it and try again")
        self.tare_kg = np.nanmean(rows[np.isfinite(totals), _TL:_BR + 1], axis=0)
        if self._filter is not None:
            self._filter.reset()
        return self.tare_kg.copy()
