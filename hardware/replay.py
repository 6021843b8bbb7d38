"""`replay://PATH?speed=1.0&loop=0`: any recording the project reads, handed out as a board.

Paced in real time by default (`speed=2` plays twice as fast); `speed=max` (or 0) hands samples out as fast as they
are asked for, in chunks, which is what headless rounds and tests use. `loop=1` starts again at the end, with time
going on. Force plates measure no corners: their COP and load are split over the four corners of a plate-sized
board (the exact inverse of the COP formula), so a replayed plate gives back its own COP.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

from hardware.samples import FORCE_PLATE, LoadSample
from hardware.sources import BoardUrl, SourceState, register_scheme
from trainer.cop import cop_to_corners
from trainer.errors import BoardError, BalanceTrainerError

# A recording without a load column (COP-only .mat files) is replayed as a person of this weight.
NOMINAL_WEIGHT_KG = 70.0
FAST_CHUNK_SAMPLES = 4096


class ReplaySource:
    def __init__(self, path: str, *, speed: float | None = 1.0, loop: bool = False,
                 clock: Callable[[], float] = time.monotonic, url: str | None = None):
        if speed is not None and speed <= 0:
            raise BoardError(f"replay speed must be positive, not {speed}")
        self.path = path
        self.speed = speed  # None: as fast as possible
        self.loop = loop
        self.url = url or f"replay://{path}"
        self.identity = f"replay of {path}"
        self.state = SourceState.CONNECTING
        self.geometry = FORCE_PLATE
        self._clock = clock
        self._next = 0
        self._lap = 0

    @property
    def paced(self) -> bool:
        return self.speed is not None

    def open(self) -> None:
        from trainer.readers import read_recording

        try:
            recording = read_recording(self.path)
        except BalanceTrainerError as error:
            raise BoardError(f"replay: {error}") from None
        except OSError as error:
            raise BoardError(f"replay: cannot read {self.path}: {error.strerror or error}") from None
        if recording.n_samples == 0:
            raise BoardError(f"replay: {self.path} holds no samples")
        self.recording = recording
        self._t_rel_s = recording.t_s - recording.t_s[0]
        if recording.corners_kg is not None:
            self.geometry = recording.geometry or FORCE_PLATE
            self._corners = np.asarray(recording.corners_kg, dtype=np.float64)
        else:
            total = np.where(np.isfinite(recording.total_kg), recording.total_kg, NOMINAL_WEIGHT_KG)
            self._corners = cop_to_corners(recording.cop_x_mm, recording.cop_y_mm, total, self.geometry)
        step = np.median(np.diff(self._t_rel_s)) if recording.n_samples > 1 else 0.01
        self._lap_s = float(self._t_rel_s[-1] + step)
        self._raw = recording.raw_counts
        self._seq = recording.seq
        self._started = self._clock()
        self.state = SourceState.STREAMING

    def _due_index(self) -> int:
        """Index (in the current lap) one past the last sample due by now."""
        if self.speed is None:
            return min(self._next + FAST_CHUNK_SAMPLES, len(self._t_rel_s))
        elapsed_s = (self._clock() - self._started) * self.speed - self._lap * self._lap_s
        return int(np.searchsorted(self._t_rel_s, elapsed_s, side="right"))

    def read(self) -> list[LoadSample]:
        if self.state is not SourceState.STREAMING:
            return []
        samples: list[LoadSample] = []
        while True:
            end = self._due_index()
            samples.extend(self._samples(self._next, end))
            self._next = max(self._next, end)
            if self._next < len(self._t_rel_s):
                return samples
            if not self.loop:
                self.state = SourceState.ENDED
                return samples
            self._lap += 1
            self._next = 0
            if self.speed is None:
                return samples

    def _samples(self, start: int, end: int) -> list[LoadSample]:
        offset_s = self._lap * self._lap_s
        out = []
        for i in range(start, end):
            tl, tr, bl, br = self._corners[i]
            raw = self._raw[i] if self._raw is not None else (None, None, None, None)
            seq = int(self._seq[i]) if self._seq is not None and np.isfinite(self._seq[i]) else None
            out.append(LoadSample(float(self._t_rel_s[i] + offset_s), float(tl), float(tr), float(bl), float(br),
                                  seq, *(None if r is None or not np.isfinite(r) else int(r) for r in raw)))
        return out

    def close(self) -> None:
        if self.state is SourceState.STREAMING:
            self.state = SourceState.ENDED


@register_scheme("replay")
def _from_url(url: BoardUrl) -> ReplaySource:
    url.check_known(("speed", "loop"))
    if not url.path:
        raise BoardError(f"{url.text}: give the recording's path, e.g. replay:///home/me/trial.txt")
    return ReplaySource(url.path, speed=url.take_speed(), loop=url.take_bool("loop", False), url=url.text)
