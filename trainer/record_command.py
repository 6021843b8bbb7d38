"""`balance-trainer record`: a board's raw samples into a recording folder (DESIGN.md B.4).

Stops when the samples cover `seconds` (the board's own clock, so a replay at speed=max records in a moment), when
a replay ends, on Ctrl-C, or when the board gives up with an error. A board that reports its own events
(`drain_events()`, as the serial plate does) keeps being recorded while it is stale or disconnected: its driver
reconnects, its events (stale, disconnected, reconnected, gap, reset, ...) go into events.csv and its counters (bad
frames, sequence gaps, samples dropped on the device) into summary.json; for such a paced board the recording also
ends `seconds` after its first sample by the wall clock, samples or not. A board without events that sends nothing
for `STALE_AFTER_S` stops the recording. A board that fails mid-way is written down as a `disconnected` event; what
was recorded stays recorded.
"""
from __future__ import annotations

import dataclasses
import time

from hardware.sources import SourceState, make_source
from trainer.errors import BoardError
from trainer.recorder import RecordingWriter

POLL_INTERVAL_S = 0.005
STALE_AFTER_S = 3.0
LATE_SAMPLES_S = 0.25  # how long after `seconds` of wall time a paced board's last samples may still arrive


def _calibration_of(source) -> dict:
    calibration = getattr(source, "calibration", None)
    if calibration is None:
        return {}
    if dataclasses.is_dataclass(calibration):
        return dataclasses.asdict(calibration)
    return dict(calibration)


class _BoardNotes:
    """Copies what a board reports about itself (events, counters, identity, calibration) into the recording."""

    def __init__(self, source, writer: RecordingWriter):
        self.source = source
        self.writer = writer
        self.has_events = callable(getattr(source, "drain_events", None))
        self._calibration = writer.summary["calibration"]

    def copy(self) -> None:
        source, writer = self.source, self.writer
        if self.has_events:
            for t_s, kind, detail in source.drain_events():
                writer.add_event(t_s, kind, detail)
        counters = getattr(source, "counters", None)
        if dataclasses.is_dataclass(counters):  # the Wii board's decoder keeps its counters as a dataclass
            counters = dataclasses.asdict(counters)
        if isinstance(counters, dict):
            writer.summary["counters"].update(counters)
        if writer.summary["board_identity"] != source.identity:
            writer.summary["board_identity"] = source.identity
        calibration = _calibration_of(source)
        if calibration != self._calibration:  # another plate came on the same port
            self._calibration = calibration
            writer.summary["calibration"] = calibration


def record_board(url: str, seconds: float, out_folder, clock=time.monotonic) -> dict:
    source = make_source(url)
    source.open()
    try:
        writer = RecordingWriter(out_folder, board_url=url, board_identity=source.identity,
                                 geometry=source.geometry, calibration=_calibration_of(source))
    except OSError as error:
        source.close()
        raise BoardError(f"cannot write the recording into {out_folder}: {error.strerror or error}") from None
    notes = _BoardNotes(source, writer)
    first_t_s = None
    last_t_s = 0.0
    last_arrival = clock()
    # A paced board with its own events also stops by the wall clock, so a board that went away cannot hold the
    # recording open for ever; until its first sample the clock runs from the opening.
    deadline = clock() + seconds + LATE_SAMPLES_S if notes.has_events and source.paced else None
    try:
        while True:
            try:
                samples = source.read()
            except BoardError as error:
                notes.copy()
                writer.add_event(last_t_s, "disconnected", str(error))
                raise
            notes.copy()
            if samples:
                last_arrival = clock()
                if first_t_s is None:
                    first_t_s = samples[0].t_s
                    writer.add_event(samples[0].t_s, "start", source.identity)
                    if deadline is not None:
                        deadline = last_arrival + seconds + LATE_SAMPLES_S
                wanted = [s for s in samples if s.t_s - first_t_s < seconds]
                writer.add_samples(wanted)
                last_t_s = samples[-1].t_s
                if len(wanted) < len(samples):
                    break
            elif source.state is SourceState.ENDED:
                writer.add_event(last_t_s, "end-of-replay")
                break
            elif not notes.has_events and clock() - last_arrival > STALE_AFTER_S:
                writer.add_event(last_t_s, "stale", f"no sample for {STALE_AFTER_S:g} s")
                raise BoardError(f"{url}: no sample for {STALE_AFTER_S:g} s; stopped recording "
                                 f"(kept {writer.summary['counters']['samples']} samples in {out_folder})")
            else:
                writer.add_samples([])  # nothing new, but what came before still reaches the disk on time
                time.sleep(POLL_INTERVAL_S)
            if deadline is not None and clock() >= deadline:
                writer.add_event(last_t_s, "end", f"{seconds:g} s of wall time, board {source.state.value}")
                break
    except KeyboardInterrupt:
        writer.add_event(last_t_s, "interrupted", "Ctrl-C")
        raise
    finally:
        try:
            notes.copy()
        finally:
            writer.close()
            source.close()
    return writer.summary
