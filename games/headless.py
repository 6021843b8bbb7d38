"""One round with no window (`balance-trainer game NAME --headless`): the same round class, the same 60 Hz game
clock, fed by the board. The round's raw samples, events and scores are written as a recording folder (B.4), and,
when a player is named, as a session of theirs in the database (games.round_record)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from games.registry import game_class
from games.round import RoundOptions, round_sink
from games.round_record import RoundRecord
from hardware.sources import make_source
from trainer.balance_input import STEP_S, BalanceInput

# A round that never finishes (a board that never comes back) is stopped after its length plus this much.
OVERRUN_S = 120.0


@dataclass
class RoundResult:
    game: str
    setup: str | None
    scores: dict
    valid: bool  # False when the board went away and the round could not be scored on real data
    recording: Path | None
    session_id: int | None = None  # the database's session, when a player was named
    database_error: str | None = None  # why the database did not take the round (it is whole in its folder)
    device_id: str | None = None  # the board's calibration key, where it has one (a serial plate)


def play_headless(game: str, board_url: str, options: RoundOptions, *, out_folder=None,
                  max_seconds: float | None = None, user: str | None = None,
                  db_url: str | None = None, kind: str = "game") -> RoundResult:
    """Play one round of a game (or run a clinical test: kind="test"). With `user`, `out_folder` is required: the
    session's raw samples are kept in both."""
    round_class = game_class(game, kind=kind)
    if user and out_folder is None:
        raise ValueError("a round kept for a player needs a recording folder")
    source = make_source(board_url)
    source.open()
    record = None
    try:
        board = BalanceInput(source)
        game_round = round_class(board, options)  # checks the options before anything is recorded
        if out_folder is not None:
            record = RoundRecord(out_folder, game=game, setup=game_round.setup, options=options,
                                 board_url=board_url, board_identity=source.identity, geometry=source.geometry,
                                 user=user, db_url=db_url, kind=kind)
        board.sample_sink = round_sink(game_round, record.sink if record else None)
        limit_steps = round(((max_seconds or options.seconds or 60.0) + OVERRUN_S) / STEP_S)
        steps, started = 0, time.monotonic()
        while not game_round.finished and steps < limit_steps:
            if source.paced:  # a live board: steps keep to the wall clock, as in the window
                time.sleep(max(0.0, started + steps * STEP_S - time.monotonic()))
            game_round.update(STEP_S)
            steps += 1
        valid = board.error is None and not game_round.round.paused
        scores = record.finish(game_round, valid=valid) if record else game_round.scores()
    except BaseException:
        if record is not None:
            record.abandon()  # what was recorded stays recorded
        raise
    finally:
        source.close()
    return RoundResult(game, game_round.setup, scores, valid, Path(out_folder) if out_folder else None,
                       session_id=record.log.session_id if record and record.log else None,
                       database_error=record.database_error if record else None,
                       device_id=getattr(source, "device_id", None))
