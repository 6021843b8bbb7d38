"""The games by command-line name, imported only when played."""
from __future__ import annotations

import importlib

GAMES: dict[str, tuple[str, str]] = {
    "foot-taps": ("games.foot_taps", "FootTapsRound"),
    "single-leg": ("games.single_leg", "SingleLegRound"),
    "step-down": ("games.step_down", "StepDownRound"),
}


def game_class(name: str):
    if name not in GAMES:
        raise ValueError(f"unknown game '{name}' (known: {', '.join(GAMES)})")
    module, cls = GAMES[name]
    return getattr(importlib.import_module(module), cls)
