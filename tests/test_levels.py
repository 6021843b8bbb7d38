"""Levels that adapt between rounds (games.levels) and the app keeping them: the level and eyes closed in the
settings, the round started with them, "Next time: level N" on the results screen, the levels settings screen."""
from __future__ import annotations

import math
import os

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame  # noqa: E402

from games import foot_taps, step_down  # noqa: E402
from games.levels import (  # noqa: E402
    EYES_CLOSED_GAMES, FOOT_TAPS_CUED_MAX, FOOT_TAPS_TEST_LEVELS, clamp_level, level_range, next_level,
)
from games.screens.cards import EYES_CLOSED_LINE, InstructionCard, card_level_lines, choice_by_key  # noqa: E402
from games.screens.menu import GameMenu, LevelsScreen, SettingsScreen  # noqa: E402
from games.screens.play import ResultsScreen, RoundScreen  # noqa: E402
from games.screens.ui import Settings  # noqa: E402
from games.trainer_app import make_services  # noqa: E402
from test_screens import SIZE, ScriptedSource, TinyRound, press, run, start_round  # noqa: E402
from trainer.scoring.single_leg import LEVELS as SINGLE_LEG_LEVELS  # noqa: E402

NAN = math.nan


# --- the rules ----------------------------------------------------------------------------------------------------
def test_the_ranges_follow_the_games_level_tables():
    assert level_range("foot-taps", "target") == (1, max(foot_taps.LEVELS))
    assert level_range("foot-taps", None) == (1, 8)
    assert level_range("foot-taps", "clock") == (1, FOOT_TAPS_CUED_MAX)
    assert [k for k, lv in foot_taps.LEVELS.items() if lv.kind in foot_taps.SELF_PACED] == list(FOOT_TAPS_TEST_LEVELS)
    assert max(k for k, lv in foot_taps.LEVELS.items() if lv.kind not in foot_taps.SELF_PACED) == FOOT_TAPS_CUED_MAX
    assert level_range("single-leg", None) == (1, max(SINGLE_LEG_LEVELS))
    assert level_range("step-down", "step") == (1, max(step_down.LEVELS))
    assert level_range("step-down", "landing") == (1, 1)
    assert EYES_CLOSED_GAMES == ("foot-taps", "single-leg")


def test_foot_taps_goes_up_on_90_percent_hits_down_on_50_and_stays_between():
    assert next_level("foot-taps", "target", 2, {"hits": 9, "misses": 1}) == 3
    assert next_level("foot-taps", "target", 2, {"hits": 5, "misses": 5}) == 1
    assert next_level("foot-taps", "target", 2, {"hits": 7, "misses": 3}) == 2
    assert next_level("foot-taps", "clock", 4, {"hits": 20, "misses": 0}) == 5


def test_foot_taps_never_moves_into_the_tests_nor_out_of_them_by_itself():
    assert next_level("foot-taps", "target", 6, {"hits": 10, "misses": 0}) == 6
    assert next_level("foot-taps", "clock", 6, {"hits": 10, "misses": 0}) == 6
    for level in FOOT_TAPS_TEST_LEVELS:  # chosen in the settings: a test stays a test
        assert next_level("foot-taps", "target", level, {"taps": 40, "hits": 40, "misses": 0}) == level
        assert next_level("foot-taps", "target", level, {"hits": 0, "misses": 8}) == level


def test_single_leg_up_without_touch_downs_and_in_the_zone_down_on_two_touch_downs():
    assert next_level("single-leg", None, 1, {"touch_downs": 0.0, "time_in_zone_pct": 85.0}) == 2
    assert next_level("single-leg", None, 3, {"touch_downs": 0.0, "time_in_zone_pct": 70.0}) == 3
    assert next_level("single-leg", None, 3, {"touch_downs": 1.0, "time_in_zone_pct": 95.0}) == 3
    assert next_level("single-leg", None, 3, {"touch_downs": 2.0, "time_in_zone_pct": 95.0}) == 2


def test_step_down_up_on_tempo_and_a_light_touch_for_the_level_down_on_a_poor_tempo():
    allowed_3 = step_down.LEVELS[3].max_touch_pct_bw
    assert next_level("step-down", "step", 3, {"tempo_error_pct": 10.0, "mean_touch_load_pct_bw": allowed_3}) == 4
    assert next_level("step-down", "step", 3, {"tempo_error_pct": 10.0,
                                               "mean_touch_load_pct_bw": allowed_3 + 1}) == 3  # too heavy
    assert next_level("step-down", "step", 3, {"tempo_error_pct": 30.0, "mean_touch_load_pct_bw": 1.0}) == 3
    assert next_level("step-down", "step", 3, {"tempo_error_pct": 45.0, "mean_touch_load_pct_bw": 1.0}) == 2
    assert next_level("step-down", None, 1, {"tempo_error_pct": 5.0, "mean_touch_load_pct_bw": 20.0}) == 2
    assert next_level("step-down", "landing", 1, {"peak_force_bw": 1.2}) == 1


def test_nothing_measured_stays():
    assert next_level("foot-taps", "target", 3, {"hits": 0, "misses": 0}) == 3
    assert next_level("foot-taps", "target", 3, {}) == 3
    assert next_level("single-leg", None, 3, {"touch_downs": NAN, "time_in_zone_pct": NAN}) == 3
    assert next_level("step-down", "step", 3, {"tempo_error_pct": NAN, "mean_touch_load_pct_bw": NAN}) == 3
    assert next_level("step-down", "step", 3, {"tempo_error_pct": 5.0, "mean_touch_load_pct_bw": NAN}) == 3


def test_the_level_is_clamped_to_the_range():
    assert next_level("single-leg", None, 5, {"touch_downs": 0, "time_in_zone_pct": 100.0}) == 5
    assert next_level("single-leg", None, 1, {"touch_downs": 5, "time_in_zone_pct": 0.0}) == 1
    assert next_level("step-down", "step", 5, {"tempo_error_pct": 0.0, "mean_touch_load_pct_bw": 0.0}) == 5
    assert next_level("foot-taps", "target", 1, {"hits": 0, "misses": 9}) == 1
    assert next_level("single-leg", None, 9, {"touch_downs": 1}) == 5  # out of range: brought in
    assert next_level("foot-taps", "clock", 8, {"hits": 3, "misses": 1}) == 6
    assert clamp_level("step-down", "landing", 4) == 1 and clamp_level("single-leg", None, 0) == 1
    assert clamp_level("single-leg", None, "x") == 1


# --- the app ------------------------------------------------------------------------------------------------------
class GoodRound(TinyRound):
    """Every cue hit, no touch-down, all the time in the zone."""

    def scores(self):
        return {"hits": 10, "misses": 0, "touch_downs": 0.0, "time_in_zone_pct": 100.0}


@pytest.fixture
def app(tmp_path):
    pygame.font.init()
    source = ScriptedSource(load_kg=70.0)
    source.open()
    return make_services(source, user="Ann", folder=tmp_path, size=SIZE, round_factory=lambda name: GoodRound)


def test_a_good_round_moves_the_level_up_shows_it_and_keeps_it(app):
    app.settings.levels["foot-taps-target"] = 2
    app.settings.eyes_closed["foot-taps"] = True
    screen = start_round(app, "foot-taps-target")
    assert screen.round.options.level == 2 and screen.round.options.eyes == "closed"
    run(app, 1.2)
    results = app.stack.top
    assert isinstance(results, ResultsScreen)
    assert results.level_line() == "Next time: level 3 (up from level 2)"
    results.draw(pygame.Surface(SIZE))
    assert app.settings.levels["foot-taps-target"] == 3
    stored = Settings.load(app.settings_path)
    assert stored.levels["foot-taps-target"] == 3 and stored.eyes_closed == {"foot-taps": True}
    # The next round starts there.
    press(app, pygame.K_RETURN)
    run(app, 0.02)
    screen = start_round(app, "foot-taps-target")
    assert screen.round.options.level == 3


def test_the_top_cued_level_stays_and_single_leg_has_no_eyes_closed_unless_chosen(app):
    app.settings.levels["foot-taps-target"] = 6
    start_round(app, "foot-taps-target")
    run(app, 1.2)
    assert app.stack.top.level_line() == "Next time: level 6 (same level)"
    assert app.settings.levels["foot-taps-target"] == 6
    press(app, pygame.K_RETURN)
    run(app, 0.02)
    screen = start_round(app, "single-leg")
    assert screen.round.options.level == 1 and screen.round.options.eyes == "open"


def test_step_down_landing_has_eyes_open_and_one_level(app):
    app.settings.eyes_closed["foot-taps"] = True
    screen = start_round(app, "step-down-landing")
    assert screen.round.options.eyes == "open" and screen.round.options.level == 1
    assert isinstance(screen, RoundScreen)


def test_the_card_says_the_level_and_eyes_closed(app):
    choice = choice_by_key("single-leg-foam")
    app.settings.levels["single-leg-foam"] = 4
    assert [line for line, _ in card_level_lines(app, choice)] == ["Level 4"]
    app.settings.eyes_closed["single-leg"] = True
    assert [line for line, _ in card_level_lines(app, choice)] == ["Level 4", EYES_CLOSED_LINE]
    assert EYES_CLOSED_LINE == "Close your eyes when the countdown ends; follow the tones."
    InstructionCard(app, choice).draw(pygame.Surface(SIZE))


def test_the_levels_screen_sets_each_level_and_eyes_closed_and_saves_them(app):
    app.stack.push(GameMenu(app))
    app.stack.push(SettingsScreen(app))
    settings_screen = app.stack.top
    while settings_screen.selected_key != "levels":
        press(app, pygame.K_DOWN)
    press(app, pygame.K_RETURN)
    screen = app.stack.top
    assert isinstance(screen, LevelsScreen)
    keys = [key for key, _ in screen.rows]
    assert "level:step-down-landing" not in keys and keys[-1] == "done"
    assert {"eyes:foot-taps", "eyes:single-leg"} <= set(keys)
    press(app, pygame.K_RIGHT)  # foot taps (targets): 1 → 2
    press(app, pygame.K_LEFT)
    press(app, pygame.K_LEFT)  # down from 1: round to the top, the AST
    assert app.settings.levels["foot-taps-target"] == 8 and screen.value_text("level:foot-taps-target").startswith("8")
    press(app, pygame.K_DOWN)
    press(app, pygame.K_LEFT)  # clock: round to 6
    assert app.settings.levels["foot-taps-clock"] == 6
    while screen.selected_key != "eyes:single-leg":
        press(app, pygame.K_DOWN)
    press(app, pygame.K_RETURN)
    assert app.settings.eyes_for("single-leg") == "closed"
    for scale in (False, True):
        app.settings.large_text = scale
        screen.draw(pygame.Surface(SIZE))
        settings_screen.draw(pygame.Surface(SIZE))
    stored = Settings.load(app.settings_path)
    assert stored.levels == {"foot-taps-target": 8, "foot-taps-clock": 6} and stored.eyes_closed == {"single-leg": True}
    press(app, pygame.K_ESCAPE)
    run(app, 0.02)
    assert app.stack.top is settings_screen


def test_stored_levels_out_of_range_or_of_no_game_are_dropped(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"levels": {"foot-taps-clock": 7, "single-leg": 3, "nope": 2, "step-down-step": true},'
                    ' "eyes_closed": {"step-down": true, "foot-taps": "yes", "single-leg": false}}')
    stored = Settings.load(path)
    assert stored.levels == {"single-leg": 3} and stored.eyes_closed == {"single-leg": False}
