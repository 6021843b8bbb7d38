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
    try:
        return getattr(importlib.import_module(module), cls)
    except ModuleNotFoundError as error:
        if error.name != module:
            raise  # a real bug inside the game, not a game this version lacks
        raise ValueError(f"the game '{name}' is not part of this version yet") from None
