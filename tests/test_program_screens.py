"""The program inside the app (games.screens.program, checks, forms), driven by the app's own events on real frames
(SDL's dummy driver), a real simulated board and a real SQLite tracker database.

What each screen says is read from the text it drew (services.extra["drawn_texts"]); colours from the pixels.
"""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pygame
import pytest

from games import style
from games.app import FIXED_STEP_S
from games.screens.checks import check_form
from games.screens.forms import FormScreen
from games.screens.exercise import ExerciseTimer, RepCounter
from games.screens.program import DiaryScreen, ProfileScreen, TodayScreen, units_of
from games.screens.cards import InstructionCard
from games.screens.play import ResultsScreen, RoundScreen
from games.screens.start import StartScreen, WeighScreen
from games.trainer_app import make_services
from hardware.sources import make_source
from trainer.program import Check
from trainer.store import open_store, records, sessions

SIZE = (1280, 720)
DAY = dt.date(2026, 3, 2)


@pytest.fixture
def services(tmp_path):
    pygame.font.init()
    source = make_source("sim://?profile=single-leg&seed=5&speed=max")  # samples on the game clock, never STALE
    source.open()
    services = make_services(source, folder=tmp_path, size=SIZE, db_url=f"sqlite:///{tmp_path / 'tracker.db'}")
    services.extra["today"] = DAY
    yield services
    services.stack.clear()
    services.close_store()
    source.close()


def key(services, k, text=""):
    services.stack.top.handle(pygame.event.Event(pygame.KEYDOWN, key=k, mod=0, unicode=text, scancode=0))


def type_text(services, text):
    for ch in text:
        key(services, pygame.K_UNKNOWN if not ch.isdigit() else getattr(pygame, f"K_{ch}"), ch)


def run(services, seconds):
    """The app loop's fixed steps (games.app.run_scenes without the window)."""
    for _ in range(round(seconds / FIXED_STEP_S)):
        scene = services.stack.top
        if scene is None:
            return
        scene.update(FIXED_STEP_S)
        if scene.finished:
            services.stack.pop()


def said(services) -> list[str]:
    """What the top screen says, drawn on a real frame."""
    services.extra["drawn_texts"] = []
    services.stack.top.draw(pygame.Surface(SIZE))
    return services.extra.pop("drawn_texts")


def add_user(services, name="kiwi", checks=()):
    with services.store().transaction() as session:
        user = records.add_user(session, name, affected_side="left")
        for check in checks:
            records.add_check(session, user, check)
    services.user = name


def check(date=DAY, **changes):
    values = dict(date=date, knee_to_wall_left_cm=5.0, knee_to_wall_right_cm=9.0, pain_rest=0, pain_activity=1,
                  stiffness=1, step_left_cm=55, step_right_cm=60)
    values.update(changes)
    return Check(**values)


def finish_item(services, today: TodayScreen, index: int) -> None:
    """Do the plan item at `index` the way a player would, with the keyboard and the board only."""
    kind, item = today.items[index]
    today.selected = index
    key(services, pygame.K_RETURN)
    for _ in range(units_of(item)):
        if services.stack.top is today:
            key(services, pygame.K_RETURN)  # the item's next round
        screen = services.stack.top
        if isinstance(screen, InstructionCard):
            key(services, pygame.K_RETURN)  # start -> 3, 2, 1
            run(services, 3.1)
            assert isinstance(services.stack.top, RoundScreen), said(services)
            while isinstance(services.stack.top, RoundScreen):
                run(services, 5.0)
            assert isinstance(services.stack.top, ResultsScreen)
            key(services, pygame.K_RETURN)  # back to today
            run(services, FIXED_STEP_S)
        elif isinstance(screen, ExerciseTimer):
            run(services, screen.holds * screen.hold_s + (screen.holds - 1) * screen.rest_s + 0.5)
            assert screen.phase == "done" and screen.error is None
            key(services, pygame.K_RETURN)
            run(services, FIXED_STEP_S)
        elif isinstance(screen, RepCounter):
            for _ in range(screen.sets * screen.reps + screen.sets - 1):
                key(services, pygame.K_SPACE)  # a repetition (or, during a rest, skip it)
            assert screen.done and screen.error is None
            key(services, pygame.K_RETURN)
            run(services, FIXED_STEP_S)
        else:
            pytest.fail(f"unexpected screen {type(screen).__name__}")
    assert services.stack.top is today


def test_a_new_user_goes_from_first_start_to_a_finished_first_session_with_only_the_keyboard(services):
    services.extra.pop("today")  # the real day: the game rounds are stored with the real time
    services.stack.push(StartScreen(services))
    key(services, pygame.K_RETURN)
    assert isinstance(services.stack.top, ProfileScreen) and services.stack.top.items[0] == ("new", "New profile")
    key(services, pygame.K_RETURN)  # New profile
    type_text(services, "kiwi")
    key(services, pygame.K_RETURN)
    key(services, pygame.K_RETURN)  # the optional details as they are
    assert isinstance(services.stack.top, WeighScreen) and services.user == "kiwi"
    key(services, pygame.K_ESCAPE)  # the rounds weigh the player themselves
    run(services, FIXED_STEP_S)
    today = services.stack.top
    assert isinstance(today, TodayScreen) and today.items[0][0] == "baseline"
    assert "Start with your first check: it sets your plan." in said(services)

    key(services, pygame.K_RETURN)  # the baseline check, page by page
    assert isinstance(services.stack.top, FormScreen)
    for typed in ("5", "9"):  # knee to wall, left then right
        type_text(services, typed)
        key(services, pygame.K_RETURN)
    key(services, pygame.K_RETURN)  # pain: 0, 0, no sharp pain
    key(services, pygame.K_RETURN)  # stiffness 0, no swelling
    type_text(services, "55")
    key(services, pygame.K_DOWN)
    type_text(services, "60")
    key(services, pygame.K_RETURN)
    key(services, pygame.K_RETURN)  # nothing seen while walking: save
    run(services, FIXED_STEP_S)
    assert services.stack.top is today and today.plan is not None and not today.plan.paused
    assert today.plan.phase == "mobility" and any(item.game for item in today.plan.items)

    for index, (kind, _) in enumerate(list(today.items)):
        if kind == "item":
            finish_item(services, today, index)
    assert today.all_done
    assert "All done for today. Well done!" in said(services)
    with open_store(services.db_url) as store, store.transaction() as session:
        user = records.get_user(session, "kiwi")
        (baseline,) = records.checks_of(session, user)
        assert (baseline.knee_to_wall_left_cm, baseline.step_right_cm) == (5.0, 60.0)
        rows = sessions.sessions_of(session, user)
        games = [r for r in rows if r.kind == "game"]
        assert len(games) == 2 and all(r.status == "complete" and r.sample_count > 100 for r in games)
        assert {r.name for r in rows if r.kind == "exercise"} == {i.id for i in today.plan.items if not i.game}


def test_the_hold_timer_counts_down_on_the_game_clock(services):
    add_user(services, checks=[check()])
    today = TodayScreen(services)
    services.stack.push(today)
    index = next(i for i, (kind, item) in enumerate(today.items) if kind == "item" and item.id == "calf-stretch")
    today.selected = index
    key(services, pygame.K_RETURN)
    timer = services.stack.top
    assert isinstance(timer, ExerciseTimer) and (timer.hold_s, timer.holds, timer.rest_s) == (30.0, 3, 10.0)
    assert "30" in said(services) and "Hold 1 of 3" in said(services)
    run(services, 10.0)
    assert timer.remaining_s == pytest.approx(20.0, abs=1e-6) and "20" in said(services)
    key(services, pygame.K_SPACE)  # pause: the clock stops
    run(services, 5.0)
    assert timer.remaining_s == pytest.approx(20.0, abs=1e-6)
    assert any("paused" in line for line in said(services))
    key(services, pygame.K_SPACE)
    run(services, 20.5)
    assert timer.phase == "rest" and "Rest" in said(services)
    run(services, 10.0 + 30 + 10 + 30)
    assert timer.phase == "done" and "Done!" in said(services)
    key(services, pygame.K_RETURN)
    run(services, FIXED_STEP_S)
    assert services.stack.top is today and today.is_done(today.items[index][1])


def test_a_sharp_pain_check_pauses_the_program_and_says_what_to_do(services):
    add_user(services, checks=[check(DAY - dt.timedelta(days=7)), check(pain_sharp=True)])
    today = TodayScreen(services)
    services.stack.push(today)
    assert today.plan.paused and [kind for kind, _ in today.items] == ["check", "diary", "progress", "leaderboard",
                                                                      "games", "clinic", "back"]
    services.extra["drawn_texts"] = []
    surface = pygame.Surface(SIZE)
    today.draw(surface)
    texts = services.extra.pop("drawn_texts")
    assert "The program is paused" in texts
    assert "clinician" in " ".join(texts)  # the rule's own advice (docs/program.md, pain stop)
    band = pygame.Rect(48, 110, SIZE[0] - 96, 170)
    red = sum(1 for x in range(band.left, band.right, 4) for y in range(band.top, band.bottom, 4)
              if tuple(surface.get_at((x, y)))[:3] == style.BAD)
    assert red > 100  # the red frame and headline


def test_a_check_out_of_range_is_refused_in_words_and_nothing_is_stored(services):
    add_user(services)
    services.stack.push(TodayScreen(services))
    services.stack.push(check_form(services, baseline=True))
    form = services.stack.top
    type_text(services, "80")
    key(services, pygame.K_RETURN)
    assert form.page == 0 and "must be from 0 to 30 cm" in form.error
    assert any("must be from 0 to 30 cm" in line for line in said(services))
    key(services, pygame.K_ESCAPE)  # cancel on the first page: nothing stored
    run(services, FIXED_STEP_S)
    assert isinstance(services.stack.top, TodayScreen)
    with services.store().transaction() as session:
        assert records.checks_of(session, records.get_user(session, "kiwi")) == []


def test_the_diary_writes_and_lists_entries(services):
    add_user(services, checks=[check()])
    services.stack.push(DiaryScreen(services))
    assert "No entries yet. How did today go?" in said(services)
    key(services, pygame.K_RETURN)
    type_text(services, "Stiff at first, fine after the warm-up")
    key(services, pygame.K_RETURN)
    run(services, FIXED_STEP_S)
    assert isinstance(services.stack.top, DiaryScreen)
    assert f"{DAY}: Stiff at first, fine after the warm-up" in said(services)


def test_the_profile_screen_lists_the_profiles_and_choosing_one_opens_their_day(services):
    add_user(services, "moa")
    services.user = None
    services.stack.push(ProfileScreen(services, next_screen=lambda: TodayScreen(services)))
    assert [label for _, label in services.stack.top.items] == ["moa", "New profile", "Guest: just the games"]
    assert "Who is training?" in said(services)
    key(services, pygame.K_RETURN)
    assert services.user == "moa" and isinstance(services.stack.top, TodayScreen)


def test_a_round_from_the_plan_is_played_at_the_plans_level(services):
    add_user(services, checks=[check()])
    today = TodayScreen(services)
    services.stack.push(today)
    index, item = next((i, it) for i, (kind, it) in enumerate(today.items) if kind == "item" and it.game)
    today.selected = index
    key(services, pygame.K_RETURN)
    card = services.stack.top
    assert isinstance(card, InstructionCard) and card.choice.game == item.game
    assert services.settings.level_for(card.choice) == item.level
    assert any(f"Level {item.level}" in line for line in said(services))


def test_results_show_the_sway_trace_with_its_95_percent_ellipse(services):
    from games.screens.cards import choice_by_key
    from games.screens.play import TRACE_LABEL, CountdownScreen, trace_layout
    from trainer.readers.folder import read_folder

    add_user(services)
    services.settings.levels["single-leg"] = 1
    services.stack.push(CountdownScreen(services, choice_by_key("single-leg")))
    run(services, 3.1)
    round_screen = services.stack.top
    while isinstance(services.stack.top, RoundScreen):
        run(services, 5.0)
    results = services.stack.top
    assert isinstance(results, ResultsScreen) and results.trace is not None
    recording = read_folder(round_screen.folder)
    standing = np.isfinite(recording.cop_x_mm)
    assert np.array_equal(results.trace[0], recording.cop_x_mm[standing])
    assert TRACE_LABEL in said(services)
    surface = pygame.Surface(SIZE)
    results.draw(surface)
    # The ellipse (yellow) and the path (sky blue) are drawn in the right third, and the scale is the same both ways.
    third = pygame.Rect(SIZE[0] * 2 // 3, 100, SIZE[0] // 3, SIZE[1] - 200)
    colours = [tuple(surface.get_at((x, y)))[:3] for x in range(third.left, third.right, 2)
               for y in range(third.top, third.bottom, 2)]
    assert colours.count(style.YELLOW) > 50 and colours.count(style.SKY_BLUE) > 50
    cx, cy, scale = trace_layout(results.trace, pygame.Rect(0, 0, 400, 400))
    assert scale > 0 and np.isfinite(cx) and np.isfinite(cy)


def write_round(rounds_dir, name, cop_x_mm, time_in_zone_pct, user="kiwi"):
    """An earlier single-leg round of `user`: 20 s at 100 Hz standing still at (cop_x_mm, 0)."""
    from hardware.samples import LoadSample, WII_BALANCE_BOARD
    from trainer.cop import cop_to_corners
    from trainer.recorder import RecordingWriter

    folder = rounds_dir / "single-leg" / name
    writer = RecordingWriter(folder, board_url="sim://", board_identity="sim", geometry=WII_BALANCE_BOARD)
    corners = cop_to_corners([cop_x_mm], [0.0], 70.0, WII_BALANCE_BOARD)[0]
    writer.add_samples([LoadSample(i / 100, *map(float, corners)) for i in range(2000)])
    writer.summary["scores"] = {"game": "single-leg", "setup": None, "valid": True, "user": user,
                                "options": {"foam": False}, "time_in_zone_pct": time_in_zone_pct}
    writer.summary["start_time_utc"] = f"2026-01-0{name[-1]}T10:00:00.000+00:00"
    writer.close()
    return folder


@pytest.mark.parametrize("mode, ghost_x_mm", [("best", -30.0), ("last", 25.0)])
def test_a_ghost_races_the_last_or_the_best_round(services, mode, ghost_x_mm):
    from games.screens.cards import choice_by_key
    from games.screens.play import GHOST_COLOUR

    add_user(services)
    write_round(services.rounds_dir, "r1", -30.0, 80.0)  # the best
    write_round(services.rounds_dir, "r2", 25.0, 40.0)  # the last
    write_round(services.rounds_dir, "r3", 60.0, 99.0, user="moa")  # someone else's: never a ghost of kiwi's
    choice = choice_by_key("single-leg")
    card = InstructionCard(services, choice)
    services.stack.push(card)
    assert "Ghost: off  (G to change)" in said(services)
    while services.settings.ghost != mode:
        key(services, pygame.K_g)
    assert any(line.startswith("Ghost: race your") for line in said(services))
    key(services, pygame.K_RETURN)
    run(services, 3.1)
    screen = services.stack.top
    assert isinstance(screen, RoundScreen) and screen.ghost is not None
    run(services, 2.0)
    t_s = screen.round.round.t_s
    assert screen.ghost.position(t_s) == pytest.approx((ghost_x_mm, 0.0), abs=0.01)
    pixel = screen.ghost_pixel(SIZE)
    assert pixel == screen.round.board_to_screen(*screen.ghost.position(t_s), SIZE)
    surface = pygame.Surface(SIZE)
    screen.draw(surface)
    ring = [tuple(surface.get_at((pixel[0] + dx, pixel[1])))[:3] for dx in range(-14, 15)]
    assert ring.count(GHOST_COLOUR) >= 4  # the hollow ring, left and right of its centre
    assert f"Ghost: {'your best' if mode == 'best' else 'your last round'}" in said(services)


def test_no_ghost_without_an_earlier_round_and_a_damaged_one_is_ignored(services):
    add_user(services)
    from games.ghost import Ghost, ghost_folder
    from games.screens.cards import choice_by_key

    choice = choice_by_key("single-leg")
    assert ghost_folder(services.rounds_dir, choice, "kiwi", "last") is None
    folder = write_round(services.rounds_dir, "r1", 10.0, 50.0)
    (folder / "samples.csv").write_text("t_s,seq\nnot,a number\n")
    assert ghost_folder(services.rounds_dir, choice, "kiwi", "last") == folder
    assert Ghost.from_folder(folder, "your last round") is None


def test_the_leaderboard_screen_lists_the_seeded_order_and_the_player_sees_their_own_rank(services):
    from games.screens.standings import LeaderboardScreen
    from test_leaderboard import DATE, seed

    seed(services.db_url)
    services.user = "dee"  # opted out: sees their own rank, nobody else does
    services.extra["today"] = DATE
    screen = LeaderboardScreen(services)
    services.stack.push(screen)
    assert screen.board.title == "single-leg, level 1"
    texts = said(services)
    names = [t for t in texts if t in ("cy", "ava", "bo", "gus", "hal") or t.startswith("dee")]
    # tests/test_leaderboard.py's seed: cy 160 %, ava and bo 125 % (a tie, alphabetical), gus 110 %, hal 100 %;
    # dee (200 %) is placed where they would stand, for their eyes only.
    assert names == ["dee (you, only you see this)", "cy", "ava", "bo", "gus", "hal"]
    assert texts[texts.index("ava") - 1] == texts[texts.index("bo") - 1] == "2"  # the tie shares rank 2
    assert any(line.startswith("Ties share a rank") or "tie" in line.lower() for line in texts)
    key(services, pygame.K_RIGHT)  # by consistency
    assert screen.by == "consistency"
    texts = said(services)
    assert texts.index("hal") < texts.index("ava")  # hal trained 20 of the 28 days
    key(services, pygame.K_DOWN)
    assert screen.board.title != "single-leg, level 1"


def test_the_progress_screen_shows_the_plot_and_says_the_real_changes(services):
    from games.screens.progress import ProgressScreen
    from test_program import make_checks

    add_user(services, checks=make_checks())
    screen = ProgressScreen(services)
    services.stack.push(screen)
    assert screen.error is None and screen.image.get_width() > 500
    texts = said(services)
    assert "Your progress" in texts
    # The eighth week has no new real change: the screen says so rather than inventing one.
    assert any(line.startswith("No real change this week yet") for line in texts)
    surface = pygame.Surface(SIZE)
    screen.draw(surface)
    whites = sum(1 for x in range(100, 1180, 10) for y in range(120, 560, 10)
                 if min(tuple(surface.get_at((x, y)))[:3]) > 240)
    assert whites > 1000  # the figure (a light background on the dark screen) fills the middle of the screen


def test_the_progress_screen_says_it_is_drawing_before_the_figure_is_ready(services):
    from games.screens.progress import ProgressScreen
    from test_program import make_checks

    add_user(services, checks=make_checks())
    screen = ProgressScreen(services, draw_now=False)
    services.stack.push(screen)
    assert "Drawing your progress..." in said(services) and screen.image is None
    run(services, FIXED_STEP_S)
    assert screen.ready and screen.image is not None and "Your progress" in said(services)
    assert "Drawing your progress..." not in said(services)


def test_progress_with_nothing_to_show_says_so(services):
    from games.screens.progress import ProgressScreen

    add_user(services)
    services.stack.push(ProgressScreen(services))
    assert any("nothing to plot" in line for line in said(services))


def test_today_says_the_rules_messages_plainly(services):
    add_user(services, checks=[check(DAY - dt.timedelta(days=7)),
                               check(stiffness=5, swelling=True, compensations=("wide-base",))])
    today = TodayScreen(services)
    services.stack.push(today)
    texts = said(services)
    assert "Stiffness after sessions: reduce intensity next time" in texts
    assert "Swelling: reduce load until it settles" in texts
    assert any(line.startswith("Compensations seen: wide-base") for line in texts)
    # The items move down below the messages: nothing is drawn over them.
    assert today.row_rects()[0].top >= 150 + 40 + 3 * 28


def test_the_rep_counter_and_the_new_profile_form_say_where_you_are(services):
    add_user(services, checks=[check()])
    today = TodayScreen(services)
    services.stack.push(today)
    index = next(i for i, (kind, item) in enumerate(today.items) if kind == "item" and item.id == "towel-dorsiflexion")
    today.selected = index
    key(services, pygame.K_RETURN)
    counter = services.stack.top
    assert isinstance(counter, RepCounter) and "0 / 10" in said(services) and "Set 1 of 2" in said(services)
    for _ in range(3):
        key(services, pygame.K_SPACE)
    assert "3 / 10" in said(services)
    for _ in range(7):
        key(services, pygame.K_SPACE)
    assert "Rest 30" in said(services) and "Next: set 2 of 2" in said(services)
    run(services, 10.0)
    assert "Rest 20" in said(services)  # the rest counts down on the game clock
    key(services, pygame.K_RETURN)  # skip the rest
    assert "0 / 10" in said(services) and "Set 2 of 2" in said(services)
    key(services, pygame.K_ESCAPE)  # leave: not done
    run(services, FIXED_STEP_S)
    assert services.stack.top is today and not today.is_done(today.items[index][1])

    from games.screens.checks import profile_form

    services.stack.push(profile_form(services, after=None))
    assert "Your nickname   (1 of 2)" in said(services)
    key(services, pygame.K_RETURN)  # no name typed
    assert "Please fill in: Nickname" in said(services)
    type_text(services, "kiwi")
    key(services, pygame.K_RETURN)
    key(services, pygame.K_RETURN)
    assert "there is already a user called 'kiwi'" in said(services)  # refused in words, nothing added


def test_a_clinician_runs_the_mctsib_from_the_app_and_sees_the_results_with_percentiles(services, tmp_path):
    """Enter before each condition (the standard words, large), the board does the rest; the results show each
    condition's sway path, time held and percentiles, and the test is the patient's session."""
    from games.screens.clinic import ClinicMenu, TestResultsScreen, TestRunScreen

    with services.store().transaction() as session:
        records.add_user(session, "kiwi", year_of_birth=1990)
    services.user = "kiwi"
    services.extra["today"] = dt.date(2026, 3, 2)
    menu = ClinicMenu(services)
    services.stack.push(menu)
    assert menu.tests[:2] == ["mctsib", "symmetry"] and "Clinic tests" in said(services)
    key(services, pygame.K_RETURN)
    screen = services.stack.top
    assert isinstance(screen, TestRunScreen)
    for condition in ("eo-firm", "ec-firm", "eo-foam", "ec-foam"):
        texts = said(services)
        assert "Read to the patient:" in texts and any("Close your eyes" in t for t in texts) == \
            condition.startswith("ec"), condition
        run(services, 1.0)
        assert screen.round.waiting and screen.round.condition == condition  # nothing starts without the clinician
        key(services, pygame.K_RETURN)
        run(services, 31.0)
    results = services.stack.top
    assert isinstance(results, TestResultsScreen) and set(results.traces) == {"eo-firm", "ec-firm", "eo-foam",
                                                                              "ec-foam"}
    texts = said(services)
    assert "held 30.0 s" in texts and any("percentile" in t for t in texts)
    assert any(t.startswith("eo-firm: held 30.0 of 30 s") for t in texts)
    with services.store().transaction() as session:
        (row,) = sessions.sessions_of(session, records.get_user(session, "kiwi"))
        assert (row.kind, row.name, row.status) == ("test", "mctsib", "complete") and row.sample_count > 10000


def test_a_test_stopped_with_esc_keeps_the_conditions_done(services):
    from games.screens.clinic import ClinicMenu, TestResultsScreen

    with services.store().transaction() as session:
        records.add_user(session, "kiwi")
    services.user = "kiwi"
    services.stack.push(ClinicMenu(services))
    key(services, pygame.K_RETURN)
    key(services, pygame.K_RETURN)  # eo-firm
    run(services, 31.0)
    key(services, pygame.K_ESCAPE)  # before ec-firm starts
    run(services, FIXED_STEP_S)
    results = services.stack.top
    assert isinstance(results, TestResultsScreen) and list(results.results["conditions"]) == ["eo-firm"]
    assert "No age in the profile: no percentiles" in said(services)
    with services.store().transaction() as session:
        (row,) = sessions.sessions_of(session, records.get_user(session, "kiwi"))
        assert row.status == "complete" and list(json.loads(row.scores_json)["conditions"]) == ["eo-firm"]


def test_every_clinic_test_starts_from_the_app_or_says_why_not(services):
    from games.screens.clinic import ClinicMenu, TestRunScreen

    with services.store().transaction() as session:
        records.add_user(session, "kiwi", year_of_birth=1960)
    services.user = "kiwi"
    menu = ClinicMenu(services)
    services.stack.push(menu)
    assert set(menu.tests) >= {"mctsib", "symmetry", "single-leg-stance", "los", "alternate-step", "step-test",
                               "lateral-step-down"}
    for name in menu.tests:
        menu.start(name)
        if name == "los":  # no height in the profile: said on screen, nothing started
            assert services.stack.top is menu and "height" in menu.message
            assert any("cannot start" in line for line in said(services))
            continue
        screen = services.stack.top
        assert isinstance(screen, TestRunScreen), name
        screen.draw(pygame.Surface(SIZE))  # every test draws its first screen
        services.stack.pop()
    with services.store().transaction() as session:
        records.get_user(session, "kiwi").height_cm = 172.0
    menu.start("los")
    assert isinstance(services.stack.top, TestRunScreen) and services.stack.top.round.height_cm == 172.0


def test_the_results_draw_the_los_polygon_and_the_single_leg_times(services, tmp_path):
    """The pictures clinicians expect, from crafted recordings (tests/test_clinic_los.py and
    tests/test_clinic_single_leg_stance.py): the LOS polygon over its limit, and the time held per leg."""
    from games.screens.clinic import TestResultsScreen
    from test_clinic_los import lean_track, run_los
    from test_clinic_single_leg_stance import Track, run_test
    from clinic_tracks import write_track

    x, y, load = lean_track()
    los_result = run_los(write_track(tmp_path / "los", x, y, load, rate_hz=100.0))
    screen = TestResultsScreen(services, "los", los_result.scores)
    services.stack.push(screen)
    surface = pygame.Surface(SIZE)
    screen.draw(surface)
    box = pygame.Rect(SIZE[0] - 48 - 420, 110, 420, 420)
    colours = [tuple(surface.get_at((px, py)))[:3] for px in range(box.left, box.right, 2)
               for py in range(box.top, box.bottom, 2)]
    assert colours.count(style.SKY_BLUE) > 100 and colours.count(style.MUTED) > 50  # reached, and the limit
    assert "Limits of Stability: reached (blue) and the limit (grey), forward up" in said(services)
    services.stack.pop()

    track = Track().both(2.0).one("left", 31.0).both(2.0)
    for leg, held in (("right", 12.0), ("left", 8.0), ("right", 10.0)):
        for _ in range(3):
            track.one(leg, held).both(2.0)
    legs = run_test(track.write(tmp_path / "sls"))
    services.stack.push(TestResultsScreen(services, "single-leg-stance", legs.scores))
    texts = said(services)
    assert "Time held per leg (blue left, orange right)" in texts
    assert [t for t in texts if t.endswith(" s") and t[0].isdigit()][:4] == ["30.0 s", "12.0 s", "8.0 s", "10.0 s"]


def test_test_results_name_the_board_and_the_change_since_the_last_test(services):
    from games.screens.clinic import ClinicMenu, TestResultsScreen

    with services.store().transaction() as session:
        records.add_user(session, "kiwi", year_of_birth=1990)
    services.user = "kiwi"
    menu = ClinicMenu(services)
    services.stack.push(menu)
    for run_no in range(2):
        menu.start("symmetry")
        key(services, pygame.K_RETURN)
        run(services, 31.0)
        results = services.stack.top
        assert isinstance(results, TestResultsScreen)
        texts = said(services)
        assert any(t.startswith("Board: simulated person") and "no calibration record" in t for t in texts)
        if run_no == 0:
            assert "Since the last test: this is the first of its kind for this patient" in texts
        else:
            assert any(t.startswith("Since the last test (") for t in texts)
            assert any("left_pct" in t and "no MDC known" in t for t in texts)  # nothing invented
        key(services, pygame.K_DOWN)  # scrolls the words
        assert results.scroll == 3 and said(services)[1:] != texts[1:]
        key(services, pygame.K_RETURN)
        run(services, FIXED_STEP_S)
        assert services.stack.top is menu
