"""`balance-trainer record`: a board's raw samples into a recording folder (DESIGN.md B.4).

Stops when the samples cover `seconds` (the board's own clock, so a replay at speed=max records in a moment), when
a replay ends, or when the board sends nothing for `STALE_AFTER_S`. A board that fails mid-way is written down as a
`disconnected` event; what was recorded stays recorded.
"""
from __future__ import annotations

import time

from hardware.sources import SourceState, make_source
from trainer.errors import BoardError
from trainer.recorder import RecordingWriter

POLL_INTERVAL_S = 0.005
STALE_AFTER_S = 3.0


def record_board(url: str, seconds: float, out_folder, clock=time.monotonic) -> dict:
    source = make_source(url)
    source.open()
    try:
        writer = RecordingWriter(out_folder, board_url=url, board_identity=source.identity,
                                 geometry=source.geometry)
    except OSError as error:
        source.close()
        raise BoardError(f"cannot write the recording into {out_folder}: {error.strerror or error}") from None
    first_t_s = None
    last_t_s = 0.0
    last_arrival = clock()
    try:
        while True:
            try:
                samples = source.read()
            except BoardError as error:
                writer.add_event(last_t_s, "disconnected", str(error))
                raise
            if samples:
                last_arrival = clock()
                if first_t_s is None:
                    first_t_s = samples[0].t_s
                    writer.add_event(samples[0].t_s, "start", source.identity)
                wanted = [s for s in samples if s.t_s - first_t_s < seconds]
                writer.add_samples(wanted)
                last_t_s = samples[-1].t_s
                if len(wanted) < len(samples):
                    break
            elif source.state is SourceState.ENDED:
                writer.add_event(last_t_s, "end-of-replay")
                break
            elif clock() - last_arrival > STALE_AFTER_S:
                writer.add_event(last_t_s, "stale", f"no sample for {STALE_AFTER_S:g} s")
                raise BoardError(f"{url}: no sample for {STALE_AFTER_S:g} s; stopped recording "
                                 f"(kept {writer.summary['counters']['samples']} samples in {out_folder})")
            else:
                writer.add_samples([])  # nothing new, but what came before still reaches the disk on time
                time.sleep(POLL_INTERVAL_S)
    finally:
        writer.close()
        source.close()
    return writer.summary
