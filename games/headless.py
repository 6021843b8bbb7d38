"""One round with no window (`balance-trainer game NAME --headless`): the same round class, the same 60 Hz game
clock, fed by the board; the round's raw samples, events and scores are written as a recording folder (B.4)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from games.registry import game_class
from games.round import RoundOptions
from hardware.sources import make_source
from trainer.balance_input import STEP_S, BalanceInput
from trainer.recorder import RecordingWriter

# A round that never finishes (a board that never comes back) is stopped after its length plus this much.
OVERRUN_S = 120.0


@dataclass
class RoundResult:
    game: str
    setup: str | None
    scores: dict
    valid: bool  # False when the board went away and the round could not be scored on real data
    recording: Path | None


def play_headless(game: str, board_url: str, options: RoundOptions, *, out_folder=None,
                  max_seconds: float | None = None) -> RoundResult:
    round_class = game_class(game)
    source = make_source(board_url)
    source.open()
    writer = None
    if out_folder is not None:
        writer = RecordingWriter(out_folder, board_url=board_url, board_identity=source.identity,
                                 geometry=source.geometry)
    try:
        board = BalanceInput(source, sample_sink=writer.add_samples if writer else None)
        game_round = round_class(board, options)
        limit_steps = round(((max_seconds or options.seconds or 60.0) + OVERRUN_S) / STEP_S)
        steps = 0
        while not game_round.finished and steps < limit_steps:
            game_round.update(STEP_S)
            steps += 1
        scores = game_round.scores()
        valid = board.error is None and not game_round.round.paused
        if writer is not None:
            for event in game_round.round.events:
                writer.add_event(event.t_s, event.kind, event.detail)
            writer.summary["scores"] = {"game": game, "setup": game_round.setup, "valid": valid,
                                        "options": vars(options) if hasattr(options, "__dict__") else {},
                                        **scores}
    finally:
        if writer is not None:
            writer.close()
        source.close()
    return RoundResult(game, game_round.setup, scores, valid, Path(out_folder) if out_folder else None)
