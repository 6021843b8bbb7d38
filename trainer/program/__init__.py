"""The ankle dorsiflexion program: content as data (content.json), rules and the daily plan (docs/program.md).

Pure: no database here. trainer.store keeps users and checks, trainer.tracker_cli the commands ("Storage" in
docs/program.md).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from trainer.program.plan import Plan, PlanItem, plan_for
from trainer.program.rules import Check, Flag, Profile, WeekState, flags, replay

CONTENT_PATH = Path(__file__).with_name("content.json")


def load_content(path: str | Path | None = None) -> dict:
    """The program content (a fresh dict each call, safe to modify)."""
    with open(path or CONTENT_PATH, encoding="utf-8") as f:
        return copy.deepcopy(json.load(f))


__all__ = ["Check", "Flag", "Plan", "PlanItem", "Profile", "WeekState", "flags", "load_content", "plan_for",
           "replay", "CONTENT_PATH"]
