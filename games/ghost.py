"""Ghost rounds: race your own earlier round. The stored raw samples of that round (its recording folder) drive a
second, hollow marker, at the same round time, drawn where the game draws the board.

Which round: the last one of this game, set-up, foam choice and player, or their personal best by the score the
progress follows (content.json "game_progress"), valid rounds only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

GHOST_MODES = ("off", "last", "best")


@dataclass
class Ghost:
    label: str  # "last round" | "your best"
    t_s: np.ndarray  # seconds from the ghost round's first sample
    cop_x_mm: np.ndarray  # NaN where nobody stood on the board
    cop_y_mm: np.ndarray

    @classmethod
    def from_folder(cls, folder: Path, label: str) -> "Ghost | None":
        from trainer.errors import BalanceTrainerError
        from trainer.readers.folder import read_folder

        try:
            recording = read_folder(folder)
        except (BalanceTrainerError, OSError):
            return None  # a damaged earlier round: no ghost, the round itself is unaffected
        if len(recording.t_s) < 2:
            return None
        return cls(label, recording.t_s - recording.t_s[0], recording.cop_x_mm, recording.cop_y_mm)

    def position(self, round_t_s: float) -> tuple[float, float] | None:
        """The ghost's COP at this round time (the sample at or just before it); None off the board or after its
        end."""
        if not self.t_s[0] <= round_t_s <= self.t_s[-1]:
            return None
        i = int(np.searchsorted(self.t_s, round_t_s, side="right")) - 1
        x, y = float(self.cop_x_mm[i]), float(self.cop_y_mm[i])
        return (x, y) if math.isfinite(x) and math.isfinite(y) else None


def ghost_folder(rounds_dir: Path, choice, user: str | None, mode: str, exclude: Path | None = None) -> Path | None:
    """The earlier round a ghost replays: the last one, or the best by the game's followed score."""
    from games.screens.history import past_rounds
    from trainer.program import load_content

    if mode not in ("last", "best"):
        return None
    rounds = past_rounds(rounds_dir, choice.game, setup=choice.setup, foam=choice.foam, user=user, exclude=exclude)
    if mode == "last":
        return rounds[-1].folder if rounds else None
    spec = load_content().get("game_progress", {}).get(choice.game)
    if not spec:
        return None
    scored = [r for r in rounds if r.valid and spec["score"] in r.scores]
    if not scored:
        return None
    pick = max if spec["better"] == "higher" else min
    return pick(scored, key=lambda r: r.scores[spec["score"]]).folder
