"""The levels the trainer app plays, and how the level adapts from one round to the next (`next_level`).

Level ranges (what the app may use; the settings screen offers exactly these):
- foot-taps, target: 1-8. Levels 1-6 are cued training levels; 7 (Hill step test) and 8 (Alternate Step Test)
  are tests: the player can choose them in the settings, the app never moves there by itself.
- foot-taps, clock: 1-6 (the tests are for the target set-up only).
- single-leg (on the floor or on foam): 1-5 (level 5 and up are the same in the game: a 10 mm circle, 45 s).
- step-down, step: 1-5 (level 5 and up are the same in the game: 6 s descent, 5 % BW touch).
- step-down, landing: 1 only. The landing has no levels in the game (docs/games-step-down.md): progress is a
  higher box, which the board cannot see, so the app keeps level 1.

Rules of `next_level(game, setup, level, scores)`, applied after each valid round (one step at a time):
- foot-taps (cued levels 1-6): hit rate = hits / (hits + misses). >= 90 % → up one (but never past 6, so never
  into the tests 7/8); <= 50 % → down one; else stay. Levels 7 and 8 (tests) stay where they are.
- single-leg: no touch-down and time_in_zone_pct >= 80 → up one; 2 or more touch-downs → down one; else stay.
- step-down, step: tempo_error_pct <= 15 and mean_touch_load_pct_bw within the level's allowed touch load
  (games.step_down.LEVELS[level].max_touch_pct_bw) → up one; else tempo_error_pct > 40 → down one; else stay.
- step-down, landing: stays at 1.
- A score that is missing or not a finite number (NaN: nothing was measured, e.g. no cue answered, no rep
  detected) → stay.
- The result is always clamped to the level range of the game and set-up (a level outside it is first brought in).

Pure: no pygame, no files; games.step_down and trainer.scoring.single_leg are read for their level tables.
"""
from __future__ import annotations

import math

from games.step_down import LEVELS as STEP_DOWN_LEVELS
from trainer.scoring.single_leg import LEVELS as SINGLE_LEG_LEVELS

# foot-taps: games/foot_taps.py LEVELS (kept here so this module needs no pygame; tests check they agree)
FOOT_TAPS_CUED_MAX = 6  # levels 1-6: cued
FOOT_TAPS_TEST_LEVELS = (7, 8)  # Hill step test, Alternate Step Test

EYES_CLOSED_GAMES = ("foot-taps", "single-leg")  # games whose round can be played eyes closed, guided by sound

FOOT_TAPS_UP_HIT_RATE = 0.90
FOOT_TAPS_DOWN_HIT_RATE = 0.50
SINGLE_LEG_UP_ZONE_PCT = 80.0
SINGLE_LEG_DOWN_TOUCH_DOWNS = 2
STEP_UP_TEMPO_ERROR_PCT = 15.0
STEP_DOWN_TEMPO_ERROR_PCT = 40.0


def level_range(game: str, setup: str | None) -> tuple[int, int]:
    """(lowest, highest) level the app may use for the game in the set-up (the player may choose any of them)."""
    if game == "foot-taps":
        return (1, FOOT_TAPS_CUED_MAX) if setup == "clock" else (1, max(FOOT_TAPS_TEST_LEVELS))
    if game == "single-leg":
        return 1, max(SINGLE_LEG_LEVELS)
    if game == "step-down":
        return (1, 1) if setup == "landing" else (1, max(STEP_DOWN_LEVELS))
    return 1, 1  # an unknown game (a test's stand-in): level 1 only


def clamp_level(game: str, setup: str | None, level) -> int:
    lo, hi = level_range(game, setup)
    try:
        level = int(level)
    except (TypeError, ValueError):
        return lo
    return max(lo, min(hi, level))


def _number(scores: dict, name: str) -> float:
    value = scores.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    return float(value)


def _step(game: str, setup: str | None, level: int, scores: dict) -> int:
    """-1, 0 or +1 by the rules in the module docstring."""
    if game == "foot-taps":
        if level in FOOT_TAPS_TEST_LEVELS:
            return 0
        hits, misses = _number(scores, "hits"), _number(scores, "misses")
        if not (math.isfinite(hits) and math.isfinite(misses)) or hits + misses <= 0:
            return 0
        rate = hits / (hits + misses)
        if rate >= FOOT_TAPS_UP_HIT_RATE:
            return +1
        return -1 if rate <= FOOT_TAPS_DOWN_HIT_RATE else 0
    if game == "single-leg":
        touch_downs, zone = _number(scores, "touch_downs"), _number(scores, "time_in_zone_pct")
        if not math.isfinite(touch_downs):
            return 0
        if touch_downs >= SINGLE_LEG_DOWN_TOUCH_DOWNS:
            return -1
        return +1 if touch_downs == 0 and math.isfinite(zone) and zone >= SINGLE_LEG_UP_ZONE_PCT else 0
    if game == "step-down" and setup != "landing":
        tempo, touch = _number(scores, "tempo_error_pct"), _number(scores, "mean_touch_load_pct_bw")
        if not math.isfinite(tempo):
            return 0
        allowed = STEP_DOWN_LEVELS[min(level, max(STEP_DOWN_LEVELS))].max_touch_pct_bw
        if tempo <= STEP_UP_TEMPO_ERROR_PCT and math.isfinite(touch) and touch <= allowed:
            return +1
        return -1 if tempo > STEP_DOWN_TEMPO_ERROR_PCT else 0
    return 0


def next_level(game: str, setup: str | None, level: int, scores: dict) -> int:
    """The level of the next round after a round at `level` with `scores` (rules: the module docstring)."""
    level = clamp_level(game, setup, level)
    new = clamp_level(game, setup, level + _step(game, setup, level, scores or {}))
    if game == "foot-taps" and level not in FOOT_TAPS_TEST_LEVELS:
        new = min(new, FOOT_TAPS_CUED_MAX)  # never into the tests automatically
    return new
