"""The games and the clinical tests by command-line name, imported only when played."""
from __future__ import annotations

import importlib

GAMES: dict[str, tuple[str, str]] = {
    "foot-taps": ("games.foot_taps", "FootTapsRound"),
    "single-leg": ("games.single_leg", "SingleLegRound"),
    "step-down": ("games.step_down", "StepDownRound"),
}


# Clinical tests (docs/clinic.md): the same round engine, standardised; `balance-trainer test NAME`.
TESTS: dict[str, tuple[str, str]] = {
    "mctsib": ("games.clinic.quiet_stance_tests", "MctsibTest"),
    "symmetry": ("games.clinic.quiet_stance_tests", "SymmetryTest"),
    "single-leg-stance": ("games.clinic.single_leg_stance_test", "SingleLegStanceTest"),
    "los": ("games.clinic.los_test", "LosTest"),
    "alternate-step": ("games.clinic.stepping_tests", "AlternateStepTest"),
    "step-test": ("games.clinic.stepping_tests", "HillStepTest"),
    "lateral-step-down": ("games.clinic.lateral_step_down_test", "LateralStepDownTest"),
}


def game_class(name: str, *, kind: str = "game"):
    table = TESTS if kind == "test" else GAMES
    if name not in table:
        raise ValueError(f"unknown {'test' if kind == 'test' else 'game'} '{name}' (known: {', '.join(table)})")
    module, cls = table[name]
    try:
        return getattr(importlib.import_module(module), cls)
    except ModuleNotFoundError as error:
        if error.name != module:
            raise  # a real bug inside the game, not a game this version lacks
        raise ValueError(f"the game '{name}' is not part of this version yet") from None
