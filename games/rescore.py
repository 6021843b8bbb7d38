"""Scores again from stored raw samples (`balance-trainer rescore`): after a scoring change, a stored round is
replayed through the same round class, on the same 60 Hz game clock, with the options it was played with.

A round is rescored when the score version stored with it differs from its game's current one (or always, with
`force`). Rounds without scores (abandoned, or cut off by a crash and never imported) are left as they are.
"""
from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

from games.headless import play_headless
from games.registry import game_class
from games.round import RoundOptions
from trainer.store.models import SessionRow
from trainer.store.transfer import write_session_folder

RESCORABLE = ("complete", "imported")


@dataclass
class Rescored:
    session_id: int
    game: str
    old_version: str | None
    new_version: str
    old_scores: dict
    new_scores: dict
    valid: bool

    @property
    def changed(self) -> list[str]:
        names = sorted(set(self.old_scores) | set(self.new_scores))
        return [n for n in names if not _same(self.old_scores.get(n), self.new_scores.get(n))]


# Stored samples keep the corner loads to 0.1 g (DESIGN.md B.4's digits), so the same scoring replayed from them
# agrees with the live round to about 1e-5: closer than this is "the same score".
SAME_REL_TOL = 1e-4


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if a != a and b != b:
            return True  # NaN both times: "no value" both times
        return math.isclose(a, b, rel_tol=SAME_REL_TOL, abs_tol=1e-9)
    return a == b


def needs_rescore(row: SessionRow, force: bool = False) -> bool:
    if row.kind != "game" or row.status not in RESCORABLE:
        return False
    try:
        current = game_class(row.name).score_version_label()
    except (KeyError, ValueError):
        return False
    return force or row.score_version != current


def round_options(row: SessionRow) -> RoundOptions:
    stored = json.loads(row.options_json or "{}")
    known = {f.name for f in fields(RoundOptions)}
    return RoundOptions(**{k: v for k, v in stored.items() if k in known})


def rescore_session(session, row: SessionRow) -> Rescored:
    """Replay the session's samples through its game and store the new scores and version."""
    with tempfile.TemporaryDirectory(prefix="balance-trainer-rescore-") as folder:
        write_session_folder(session, row, Path(folder) / "round")
        result = play_headless(row.name, f"replay://{Path(folder) / 'round'}?speed=max", round_options(row))
    old = json.loads(row.scores_json or "{}")
    version = game_class(row.name).score_version_label()
    outcome = Rescored(row.id, row.name, row.score_version, version, old, result.scores, result.valid)
    row.scores_json = json.dumps(result.scores, allow_nan=True)
    row.score_version = version
    row.valid = result.valid
    return outcome
