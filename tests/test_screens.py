"""The trainer's screens under SDL's dummy driver: what each draws, navigation by keys, mouse and the board's button,
the step-off tare and weighing on a scripted board, the board-lost overlay, and results beside saved rounds."""
from __future__ import annotations

import json
import os
from types import SimpleNamespace

import numpy as np
import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame  # noqa: E402

from games import style  # noqa: E402
from games.app import FIXED_STEP_S  # noqa: E402
from games.live_view import LiveViewScene  # noqa: E402
from games.round import GameRound  # noqa: E402
from games.score_meta import SCORE_META, better  # noqa: E402
from games.screens.cards import GAME_CHOICES, SAFETY_LINE, InstructionCard, card_buttons, choice_by_key  # noqa: E402
from games.screens.history import last_and_best, past_rounds  # noqa: E402
from games.screens.menu import GameMenu, SettingsScreen, menu_items, tile_rects  # noqa: E402
from games.screens.play import CountdownScreen, ResultsScreen, RoundScreen, pause_message  # noqa: E402
from games.screens.start import StartScreen, WeighScreen  # noqa: E402
from games.screens.ui import Settings, key_event  # noqa: E402
from games.trainer_app import make_services, run_trainer_app, with_orientation  # noqa: E402
from trainer.store import open_store, records, sessions  # noqa: E402
from hardware.samples import WII_BALANCE_BOARD, LoadSample  # noqa: E402
from hardware.sources import SourceState  # noqa: E402
from trainer.cop import cop_to_corners  # noqa: E402
from trainer.errors import BoardError  # noqa: E402
from trainer.recorder import RecordingWriter  # noqa: E402

SIZE = (1280, 720)


class ScriptedSource:
    """A board the test drives: `load_kg` stands at the centre on top of `offset_kg` per corner (what the tare
    removes); `sending=False` stops the samples (the board goes STALE), `fail=True` unplugs it."""

    def __init__(self, load_kg: float = 0.0, offset_kg: float = 0.0):
        self.url = "scripted://"
        self.identity = "scripted test board"
        self.paced = True
        self.geometry = WII_BALANCE_BOARD
        self.state = SourceState.CONNECTING
        self.load_kg = load_kg
        self.offset_kg = offset_kg
        self.sending = True
        self.fail = False
        self.t_s = 0.0
        self.presses = 0

    def open(self):
        self.state = SourceState.STREAMING

    def read(self):
        if self.fail:
            raise BoardError("scripted://: the board stopped answering")
        if not self.sending:
            return []
        corners = cop_to_corners([0.0], [0.0], self.load_kg, WII_BALANCE_BOARD)[0] + self.offset_kg
        samples = []
        for _ in range(2):  # two 100 Hz samples per 60 Hz step, close enough
            self.t_s += 0.01
            samples.append(LoadSample(self.t_s, *map(float, corners)))
        return samples

    def drain_buttons(self):
        presses, self.presses = self.presses, 0
        return [SimpleNamespace(pressed=True, button="A", t_s=self.t_s) for _ in range(presses)]

    def close(self):
        self.state = SourceState.ENDED


class TinyRound(GameRound):
    """A round that lasts `options.seconds` (1 s by default) and scores hits = SCORE_HITS."""

    name = "tiny"
    setups = ()  # takes any set-up: it stands in for all three games
    SCORE_HITS = 7

    def __init__(self, board, options):
        super().__init__(board, options)
        self.frames = 0

    def on_frame(self, frame, dt_s):
        self.frames += 1
        if self.round.t_s >= (self.options.seconds or 1.0) - 1e-9:
            self.finished = True

    def scores(self):
        return {"hits": self.SCORE_HITS, "misses": 2, "mean_reaction_ms": 400.0}

    def draw_game(self, surface):
        surface.fill(style.BACKGROUND)
        pygame.draw.rect(surface, style.TARGET, pygame.Rect(100, 100, 50, 50))


@pytest.fixture
def surface():
    pygame.font.init()
    return pygame.Surface(SIZE)


@pytest.fixture
def services(tmp_path):
    pygame.font.init()
    source = ScriptedSource(load_kg=70.0)
    source.open()
    db_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    with open_store(db_url) as store, store.transaction() as session:
        records.add_user(session, "Ann")
    return make_services(source, user="Ann", folder=tmp_path, size=SIZE, round_factory=lambda name: TinyRound,
                         db_url=db_url)


def run(services, seconds: float) -> None:
    """The app loop's fixed steps (games.app.run_scenes without the window)."""
    for _ in range(round(seconds / FIXED_STEP_S)):
        scene = services.stack.top
        if scene is None:
            return
        scene.update(FIXED_STEP_S)
        if scene.finished:
            services.stack.pop()


def press(services, key, unicode=""):
    services.stack.top.handle(key_event(key, unicode))


def colour_at(surface, pos):
    return tuple(surface.get_at(pos))[:3]


def count_colour(surface, colour, rect=None) -> int:
    rgb = pygame.surfarray.array3d(surface)  # [x, y]
    if rect is not None:
        rgb = rgb[rect.left:rect.right, rect.top:rect.bottom]
    return int(np.all(rgb == colour, axis=2).sum())


# --- start and weighing -----------------------------------------------------------------------------------------
def test_start_shows_the_board_state_in_colour_and_words(services, surface):
    services.stack.push(StartScreen(services))
    run(services, 0.2)
    services.stack.top.draw(surface)
    assert count_colour(surface, style.GOOD, pygame.Rect(0, 80, 700, 60)) > 200  # the filled dot and its words
    assert count_colour(surface, style.MARKER) > 100  # the COP on the small board
    services.board.source.sending = False
    run(services, 1.0)
    services.stack.top.draw(surface)
    assert services.stack.top.frame.state is SourceState.STALE
    assert count_colour(surface, style.GOOD, pygame.Rect(0, 80, 700, 60)) == 0
    assert count_colour(surface, style.WARN, pygame.Rect(0, 80, 700, 60)) > 200


def test_enter_key_click_or_board_button_go_on_and_escape_quits(services):
    for go in ("key", "click", "button"):
        services.stack.clear()
        services.stack.push(StartScreen(services))
        if go == "key":
            press(services, pygame.K_RETURN)
        elif go == "click":
            services.stack.top.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=(400, 400)))
        else:
            services.board.source.presses = 1
            run(services, FIXED_STEP_S)
        assert isinstance(services.stack.top, WeighScreen), go
    services.stack.clear()
    services.stack.push(StartScreen(services))
    press(services, pygame.K_ESCAPE)
    run(services, FIXED_STEP_S)
    assert services.stack.top is None


def test_step_off_tare_then_step_on_weighing_gives_the_known_weight(services, surface):
    source = services.board.source
    source.load_kg, source.offset_kg = 0.0, 1.0  # an empty board that reads 4 kg: the tare must remove it
    services.stack.push(WeighScreen(services))
    screen = services.stack.top
    run(services, 1.5)
    assert screen.phase == "on"
    np.testing.assert_allclose(services.board.tare_kg, 1.0, atol=1e-9)
    source.load_kg = 60.0
    run(services, 0.5)
    source.load_kg = 72.4  # stepping on: settling to the real weight
    run(services, 1.0)
    assert screen.phase == "on"  # not 2 s of still standing yet
    run(services, 1.5)
    assert screen.phase == "done"
    assert services.body_weight_kg == pytest.approx(72.4, abs=0.01)
    screen.draw(surface)
    run(services, 3.0)
    assert isinstance(services.stack.top, GameMenu)


def test_weighing_waits_while_someone_stands_on_the_board_and_can_be_skipped(services):
    services.stack.push(WeighScreen(services))
    screen = services.stack.top
    run(services, 2.0)
    assert screen.phase == "off" and np.all(services.board.tare_kg == 0)
    press(services, pygame.K_ESCAPE)
    assert isinstance(services.stack.top, GameMenu) and services.body_weight_kg is None


# --- the game choice --------------------------------------------------------------------------------------------
def tile_fill_point(rect):
    return rect.left + 20, rect.bottom - 20


def test_the_selected_tile_is_highlighted_at_its_place_and_arrows_move_it(services, surface):
    services.stack.push(GameMenu(services))
    menu = services.stack.top
    rects = tile_rects(SIZE, len(menu.items))
    menu.draw(surface)
    assert colour_at(surface, tile_fill_point(rects[0])) == style.YELLOW
    assert colour_at(surface, tile_fill_point(rects[1])) == style.PANEL
    press(services, pygame.K_RIGHT)
    press(services, pygame.K_DOWN)
    assert menu.selected == 4
    menu.draw(surface)
    assert colour_at(surface, tile_fill_point(rects[4])) == style.YELLOW
    assert colour_at(surface, tile_fill_point(rects[0])) == style.PANEL
    press(services, pygame.K_UP)
    press(services, pygame.K_UP)  # past the top: stays
    assert menu.selected == 1


def test_the_menu_holds_the_three_games_the_live_view_and_settings():
    keys = [key for key, _ in menu_items()]
    assert {c.game for c in GAME_CHOICES} == {"foot-taps", "single-leg", "step-down"}
    assert "live-view" in keys and "settings" in keys


def test_a_click_on_the_live_view_tile_opens_it_and_escape_comes_back(services, surface):
    services.stack.push(GameMenu(services))
    keys = [key for key, _ in menu_items()]
    rect = tile_rects(SIZE, len(keys))[keys.index("live-view")]
    services.stack.top.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=rect.center))
    assert isinstance(services.stack.top, LiveViewScene)
    run(services, 0.5)
    services.stack.top.draw(surface)
    press(services, pygame.K_ESCAPE)
    run(services, FIXED_STEP_S)
    assert isinstance(services.stack.top, GameMenu)


def test_a_game_not_there_yet_is_said_on_screen(services, surface):
    def missing(name):
        raise ValueError(f"the game '{name}' is not part of this version yet")

    services.round_factory = missing
    services.stack.push(GameMenu(services))
    press(services, pygame.K_RETURN)
    menu = services.stack.top
    assert isinstance(menu, GameMenu) and "not part of this version" in menu.message
    menu.draw(surface)
    assert count_colour(surface, style.WARN) > 100


# --- instruction card, countdown, round, overlay, results -------------------------------------------------------
def test_instruction_card_shows_the_setup_the_safety_line_and_starts_the_countdown(services, surface):
    assert "sharp pain" in SAFETY_LINE and "wall or a chair" in SAFETY_LINE
    services.stack.push(GameMenu(services))
    press(services, pygame.K_RETURN)  # the first tile: foot taps on targets
    card = services.stack.top
    assert isinstance(card, InstructionCard) and card.choice.key == "foot-taps-target"
    card.draw(surface)
    assert count_colour(surface, style.BAD) > 5000  # the safety band
    assert count_colour(surface, style.TARGET) > 100  # the lit target in the picture
    start = dict(card_buttons(SIZE))["start"]
    assert colour_at(surface, (start.left + 20, start.centery)) == style.YELLOW  # focused
    press(services, pygame.K_RETURN)
    assert isinstance(services.stack.top, CountdownScreen)
    run(services, 1.0)
    assert services.stack.top.remaining == 2
    run(services, 2.05)
    top = services.stack.top
    assert isinstance(top, RoundScreen) and isinstance(top.round, TinyRound) and top.round.setup == "target"
    assert top.round.options.leg == "right"


@pytest.mark.parametrize("key", [c.key for c in GAME_CHOICES])
def test_every_instruction_card_draws(services, surface, key):
    services.stack.push(InstructionCard(services, choice_by_key(key)))
    services.stack.top.draw(surface)
    assert count_colour(surface, style.TEXT) > 1000


def start_round(services, key="single-leg"):
    services.stack.push(GameMenu(services))
    services.stack.push(CountdownScreen(services, choice_by_key(key)))
    run(services, 3.05)
    assert isinstance(services.stack.top, RoundScreen)
    return services.stack.top


def overlay_band(surface_size):
    width, height = surface_size
    return pygame.Rect(0, height // 2 - 110, width, 220)


def test_the_overlay_is_drawn_while_the_board_is_stale_and_the_round_resumes(services, surface):
    TinyRound.SCORE_HITS = 7
    screen = start_round(services)
    screen.round.options = screen.round.options.__class__(seconds=5.0)
    run(services, 0.3)
    screen.draw(surface)
    band = overlay_band(SIZE)
    assert count_colour(surface, style.WARN, band) == 0 and not screen.paused
    services.board.source.sending = False
    run(services, 1.0)
    assert screen.paused
    t_paused = screen.round.round.t_s
    run(services, 0.5)
    assert screen.round.round.t_s == t_paused  # the round's clock stands still
    screen.draw(surface)
    assert count_colour(surface, style.WARN, band) > 1000
    assert count_colour(surface, style.YELLOW, band) > 300  # the headline
    assert pause_message(SourceState.STALE)[0] == "No data from the board"
    services.board.source.sending = True
    run(services, 0.2)
    assert not screen.paused and screen.round.round.t_s > t_paused
    screen.draw(surface)
    assert count_colour(surface, style.WARN, band) == 0


def test_a_lost_board_says_so(services, surface):
    screen = start_round(services)
    services.board.source.fail = True
    run(services, 0.1)
    assert screen.paused and services.board.frame.state is SourceState.DISCONNECTED
    screen.draw(surface)
    assert count_colour(surface, style.WARN, overlay_band(SIZE)) > 1000
    assert pause_message(SourceState.DISCONNECTED)[0] == "Board lost — waiting for it to come back"


def test_a_lost_board_that_knows_why_says_why(services, surface):
    screen = start_round(services)
    services.board.source.sending = False
    services.board.source.state = SourceState.DISCONNECTED  # a driver that is looking for its board again
    services.board.source.error = "wiiboard://: permission denied on /dev/input/event7: add the udev rule"
    run(services, 0.1)
    assert screen.paused
    services.extra["drawn_texts"] = []
    screen.draw(surface)
    texts = services.extra.pop("drawn_texts")
    assert "wiiboard://: permission denied on /dev/input/event7: add the udev rule" in texts


def save_round(rounds_dir, name, scores, *, setup=None, user="Ann", valid=True):
    folder = rounds_dir / "single-leg" / name
    writer = RecordingWriter(folder, board_url="sim://", board_identity="sim", geometry=WII_BALANCE_BOARD)
    writer.summary["scores"] = {"game": "single-leg", "setup": setup, "valid": valid, "user": user,
                                "options": {"foam": False}, **scores}
    writer.summary["start_time_utc"] = f"{name[:4]}-{name[4:6]}-{name[6:8]}T{name[9:11]}:{name[11:13]}:00.000+00:00"
    writer.close()


def test_results_show_this_round_beside_last_time_and_the_best(services, surface):
    rounds = services.rounds_dir
    save_round(rounds, "20260101T100000_000000Z", {"hits": 6, "misses": 1, "mean_reaction_ms": 350.0})
    save_round(rounds, "20260102T100000_000000Z", {"hits": 4, "misses": 3, "mean_reaction_ms": 500.0})
    save_round(rounds, "20260103T100000_000000Z", {"hits": 9, "misses": 0}, user="Bob")  # someone else
    TinyRound.SCORE_HITS = 7
    screen = start_round(services)
    run(services, 1.2)
    results = services.stack.top
    assert isinstance(results, ResultsScreen)
    assert results.last == {"hits": 4, "misses": 3, "mean_reaction_ms": 500.0}
    assert results.best == {"hits": 6, "misses": 1, "mean_reaction_ms": 350.0}
    rows = {row[0]: row for row in results.rows()}
    assert rows["Hits"][1:4] == ("7", "4", "6")
    assert rows["Hits"][4] is True and rows["Hits"][5] is True  # better than last time, a new best
    assert rows["Misses"][4] is True and rows["Misses"][5] is False and rows["Misses"][3] == "1"
    assert rows["Reaction time"][1:4] == ("400 ms", "500 ms", "350 ms") and rows["Reaction time"][4] is True
    results.draw(surface)
    assert count_colour(surface, style.GOOD) > 200  # better than last time, in green with a marker
    # The round was kept as a B.4 folder with its scores, and is "last time" for the next one.
    saved = past_rounds(rounds, "single-leg", user="Ann")
    assert len(saved) == 3 and saved[-1].folder == screen.folder
    summary = json.loads((screen.folder / "summary.json").read_text())
    assert summary["scores"]["hits"] == 7 and summary["scores"]["user"] == "Ann"
    assert summary["counters"]["samples"] > 100
    assert (screen.folder / "samples.csv").is_file() and (screen.folder / "events.csv").is_file()
    # ... and as Ann's session in the database, with the same scores and the same raw samples.
    with open_store(services.db_url) as store, store.transaction() as session:
        (row,) = sessions.sessions_of(session, records.get_user(session, "Ann"))
        assert (row.status, row.valid, row.name) == ("complete", True, "single-leg")
        assert json.loads(row.scores_json)["hits"] == 7
        assert sessions.samples_csv(session, row) == (screen.folder / "samples.csv").read_text()
    press(services, pygame.K_RETURN)
    run(services, FIXED_STEP_S)
    assert isinstance(services.stack.top, GameMenu)


def test_the_best_ignores_rounds_that_were_not_valid(tmp_path):
    save_round(tmp_path, "20260101T100000_000000Z", {"hits": 9}, valid=False)
    save_round(tmp_path, "20260102T100000_000000Z", {"hits": 3})
    last, best = last_and_best(past_rounds(tmp_path, "single-leg", user="Ann"))
    assert last == {"hits": 3} and best == {"hits": 3}


def test_every_score_of_the_games_has_a_label_a_unit_and_a_direction():
    names = ("taps hits misses mean_reaction_ms tap_rate_hz left_right_symmetry_pct mean_stabilization_ms "
             "mean_tap_load_pct_bw hold_s time_in_zone_pct sway_velocity_mm_s sway_area_ellipse95_mm2 touch_downs "
             "reps mean_descent_s tempo_error_pct mean_touch_load_pct_bw peak_force_bw loading_rate_bw_s "
             "time_to_stabilization_s ml_wavering_mm").split()
    assert set(names) <= set(SCORE_META)
    assert better("hold_s", 20, 10) is True and better("sway_velocity_mm_s", 20, 10) is False
    assert better("mean_descent_s", 2, 1) is None


def test_escape_abandons_a_round_without_scores(services):
    screen = start_round(services)
    press(services, pygame.K_ESCAPE)
    run(services, FIXED_STEP_S)
    assert isinstance(services.stack.top, GameMenu)
    summary = json.loads((screen.folder / "summary.json").read_text())
    assert summary["scores"] == {}
    assert past_rounds(services.rounds_dir, "single-leg", user="Ann") == []


# --- settings ---------------------------------------------------------------------------------------------------
def test_settings_change_by_keys_are_saved_and_large_text_scales_the_fonts(services, surface):
    services.stack.push(GameMenu(services))
    services.stack.push(SettingsScreen(services))
    screen = services.stack.top
    small = services.font(1.0).get_height()
    for _ in range(3):
        press(services, pygame.K_DOWN)
    assert screen.selected_key == "leg"
    press(services, pygame.K_RETURN)
    press(services, pygame.K_DOWN)
    press(services, pygame.K_RIGHT)
    assert services.settings.leg == "left" and services.settings.large_text
    assert services.font(1.0).get_height() > 1.3 * small
    screen.draw(surface)
    stored = Settings.load(services.settings_path)
    assert stored.leg == "left" and stored.large_text
    press(services, pygame.K_ESCAPE)
    run(services, FIXED_STEP_S)
    assert isinstance(services.stack.top, GameMenu)


def test_the_board_url_is_typed_and_a_bad_one_is_refused_on_screen(services, surface):
    services.stack.push(SettingsScreen(services))
    screen = services.stack.top
    press(services, pygame.K_RETURN)  # the first row: the board URL
    for _ in range(len("scripted://")):
        press(services, pygame.K_BACKSPACE)
    for char in "nope://":
        press(services, 0, char)
    assert screen.value_text("board_url") == "nope://_"
    press(services, pygame.K_RETURN)
    assert services.settings.board_url == "nope://"
    press(services, pygame.K_ESCAPE)  # leave: the board is reopened, which fails and is said
    assert "nope" in screen.message and not screen.finished
    assert services.settings.board_url == "scripted://"
    screen.draw(surface)


def test_orientation_is_added_to_wii_board_urls_only():
    assert with_orientation("wiiboard://", "reversed") == "wiiboard://?orientation=reversed"
    assert with_orientation("sim://?seed=1", "reversed") == "sim://?seed=1"
    assert with_orientation("wiiboard://", "normal") == "wiiboard://"


# --- the whole app ----------------------------------------------------------------------------------------------
def test_the_app_runs_on_the_simulator_and_saves_a_screenshot(tmp_path):
    from hardware.sources import make_source

    shot = tmp_path / "shot.png"
    source = make_source("sim://?seed=2")
    assert run_trainer_app(source, user="Ann", seconds=0.5, screenshot_path=shot, realtime=False) == 0
    assert shot.stat().st_size > 10_000
    assert source.state is not SourceState.STREAMING


def test_the_board_button_leaves_the_live_view_without_a_press_left_over_for_the_menu(services):
    services.stack.push(GameMenu(services))
    menu = services.stack.top
    menu.activate("live-view")
    services.board.source.presses = 1
    run(services, 2 * FIXED_STEP_S)
    assert services.stack.top is menu and menu.selected == 0
    assert services.board.source.presses == 0


def test_the_sound_setting_starts_and_stops_the_mixer_the_games_play_their_cues_on(services):
    services.stack.push(SettingsScreen(services))
    screen = services.stack.top
    try:
        services.apply_sound()
        if not pygame.mixer.get_init():
            pytest.skip("no sound device, not even SDL's dummy one")
        screen.change("sound")
        assert not services.settings.sound and not pygame.mixer.get_init()
        screen.change("sound")
        assert services.settings.sound and pygame.mixer.get_init()
    finally:
        pygame.mixer.quit()


def test_a_board_button_press_that_leaves_the_weighing_is_not_taken_twice(services):
    menus = []

    def next_menu():
        menus.append(GameMenu(services))
        return menus[-1]

    services.stack.push(StartScreen(services))
    services.stack.push(WeighScreen(services, next_screen=next_menu))
    weigh = services.stack.top
    weigh.phase, weigh.done_s, weigh.weight_kg = "done", 10.0, 70.0  # the weight shown long enough to move on too
    services.board.source.presses = 1
    run(services, FIXED_STEP_S)
    assert len(menus) == 1 and services.stack.top is menus[0] and len(services.stack) == 2


def test_the_card_back_button_and_escape_on_the_countdown_return_to_the_menu(services):
    services.stack.push(GameMenu(services))
    services.stack.push(InstructionCard(services, choice_by_key("step-down-step")))
    back = dict(card_buttons(SIZE))["back"]
    services.stack.top.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=back.center))
    run(services, FIXED_STEP_S)
    assert isinstance(services.stack.top, GameMenu)
    services.stack.push(CountdownScreen(services, choice_by_key("step-down-step")))
    press(services, pygame.K_ESCAPE)
    run(services, FIXED_STEP_S)
    assert isinstance(services.stack.top, GameMenu)


def _state(scene):
    return {k: v for k, v in vars(scene).items() if k not in ("services", "frame")}


def test_drawing_changes_no_screen(services, surface):
    screens = [StartScreen(services), WeighScreen(services), GameMenu(services), SettingsScreen(services),
               InstructionCard(services, GAME_CHOICES[0]), CountdownScreen(services, GAME_CHOICES[2]),
               ResultsScreen(services, GAME_CHOICES[2], {"hold_s": 12.0}, {"hold_s": 10.0}, {"hold_s": 15.0})]
    for screen in screens:
        services.stack.push(screen)
        run(services, 0.1)
        before = repr(_state(screen))
        screen.draw(surface)
        first = pygame.image.tobytes(surface, "RGB")
        screen.draw(surface)
        assert repr(_state(screen)) == before, type(screen).__name__
        assert pygame.image.tobytes(surface, "RGB") == first, type(screen).__name__
        services.stack.clear()


def test_with_a_mouse_board_holding_a_button_is_stepping_off_for_the_tare_and_letting_go_stepping_on(tmp_path):
    from games.screens.start import screen_to_board_mm, weigh_board_box
    from hardware.mouse import MouseSource

    pygame.font.init()
    now = [0.0]
    source = MouseSource(weight_kg=64.0, clock=lambda: now[0])
    source.open()
    services = make_services(source, folder=tmp_path, size=SIZE)
    services.stack.push(WeighScreen(services))
    screen = services.stack.top
    box = weigh_board_box(SIZE)
    target = (box.centerx + 40, box.centery - 10)
    x_mm, y_mm = screen_to_board_mm(target, box, WII_BALANCE_BOARD)
    assert x_mm > 0 and y_mm > 0  # right of centre and forward, as drawn

    def steps(seconds):
        for _ in range(round(seconds / FIXED_STEP_S)):
            now[0] += FIXED_STEP_S
            services.stack.top.update(FIXED_STEP_S)

    screen.handle(pygame.event.Event(pygame.MOUSEMOTION, pos=target, rel=(0, 0), buttons=(0, 0, 0)))
    screen.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=target, button=1))
    steps(1.5)
    assert screen.phase == "on"
    screen.handle(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=target, button=1))
    steps(0.3)
    assert services.board.frame.cop_x_mm == pytest.approx(x_mm, abs=0.5)
    steps(2.5)
    assert screen.phase == "done" and services.body_weight_kg == pytest.approx(64.0, abs=0.01)


def test_the_app_loop_takes_keys_from_the_window(tmp_path):
    from hardware.sources import make_source

    pygame.display.init()
    pygame.event.clear()
    # start -> who is training: New profile, Guest -> Guest -> weighing -> skipped: the game choice
    for key in (pygame.K_RETURN, pygame.K_DOWN, pygame.K_RETURN, pygame.K_ESCAPE):
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode="", scancode=0))
    shot = tmp_path / "menu.png"
    assert run_trainer_app(make_source("sim://?seed=2"), seconds=0.3, screenshot_path=shot, realtime=False) == 0
    image = pygame.image.load(str(shot))
    first_tile = tile_rects(SIZE, len(menu_items()))[0]
    assert tuple(image.get_at(tile_fill_point(first_tile)))[:3] == style.YELLOW


def test_a_round_the_database_does_not_take_is_kept_in_its_folder_and_the_results_say_so(services, surface):
    services.user = "Zed"  # not a user of the tracker database
    TinyRound.SCORE_HITS = 3
    screen = start_round(services)
    run(services, 1.2)
    results = services.stack.top
    assert isinstance(results, ResultsScreen)
    assert "not in the database" in results.note and "balance-trainer import" in results.note
    assert json.loads((screen.folder / "summary.json").read_text())["scores"]["hits"] == 3
    with open_store(services.db_url) as store, store.transaction() as session:
        assert sessions.sessions_of(session) == []
    results.draw(surface)
    assert count_colour(surface, style.WARN) > 50  # the note is drawn
