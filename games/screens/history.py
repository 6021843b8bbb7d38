"""Rounds played in the window, kept as recording folders (DESIGN.md B.4) under data_dir()/rounds/<game>/<time>,
with the scores in summary.json's "scores", and read back for "last time" and the personal best.

Only rounds of the same game, set-up, foam choice and player are compared; rounds marked not valid (the board went
away) are shown as last time but never count as a best.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from games.score_meta import score_meta


def new_round_folder(rounds_dir: Path, game: str, now: datetime | None = None) -> Path:
    """A new, unused folder for a round of `game` started at `now` (UTC)."""
    now = now or datetime.now(timezone.utc)
    base = Path(rounds_dir) / game / now.strftime("%Y%m%dT%H%M%S_%fZ")
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder


@dataclass
class PastRound:
    folder: Path
    scores: dict  # the game's named scores (numbers) only
    valid: bool
    start_time_utc: str


def _numbers(scores: dict) -> dict:
    return {k: v for k, v in scores.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}


def past_rounds(rounds_dir: Path, game: str, *, setup: str | None = None, foam: bool = False,
                user: str | None = None, exclude: Path | None = None) -> list[PastRound]:
    """The earlier rounds of this game, set-up, foam choice and player, oldest first."""
    folder = Path(rounds_dir) / game
    if not folder.is_dir():
        return []
    rounds = []
    for summary_path in sorted(folder.glob("*/summary.json")):
        if exclude is not None and summary_path.parent.resolve() == Path(exclude).resolve():
            continue
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a round cut off while its summary was written: nothing to compare with
        scores = summary.get("scores") or {}
        options = scores.get("options") or {}
        if scores.get("setup") != setup or bool(options.get("foam", False)) != bool(foam):
            continue
        if (scores.get("user") or None) != (user or None):
            continue
        rounds.append(PastRound(summary_path.parent, _numbers({k: v for k, v in scores.items()
                                                               if k not in ("options", "valid")}),
                                bool(scores.get("valid", True)), str(summary.get("start_time_utc", ""))))
    rounds.sort(key=lambda r: (r.start_time_utc, r.folder.name))
    return rounds


def last_and_best(rounds: list[PastRound]) -> tuple[dict, dict]:
    """(scores of the most recent earlier round, best value of each score over the valid earlier rounds)."""
    last = rounds[-1].scores if rounds else {}
    best: dict = {}
    for past in rounds:
        if not past.valid:
            continue
        for name, value in past.scores.items():
            higher = score_meta(name)[2]
            if higher is None:
                continue
            if name not in best or (value > best[name] if higher else value < best[name]):
                best[name] = value
    return last, best
