"""The clinic's tests in the app: choose a test, read the standard words to the patient in large type, run each
condition on the clinician's Enter, then the results with the pictures clinicians expect (docs/clinic.md).

The clinician drives it with the keyboard or the mouse; the patient needs only the board. A test is kept as the
patient's session of kind "test" (games.round_record, like a game round).
"""
from __future__ import annotations

import pygame

from games import style
from games.screens.cards import GameChoice
from games.screens.checks import today
from games.screens.play import RoundScreen
from games.screens.ui import MARGIN_PX, Screen, Services, clip, is_click, is_confirm
from trainer.store.database import StoreError

TEST_TITLES = {"mctsib": "mCTSIB: four conditions of quiet stance", "symmetry": "Weight-bearing symmetry",
               "single-leg-stance": "Single-leg stance", "los": "Limits of Stability",
               "alternate-step": "Alternate Step Test", "step-test": "Step test (Hill)",
               "lateral-step-down": "Lateral step-down"}
THUMB_PX = 230


def available_tests() -> list[str]:
    from games.registry import TESTS

    return [name for name in TEST_TITLES if name in TESTS]


def test_choice(name: str) -> GameChoice:
    return GameChoice(name, name, TEST_TITLES.get(name, name), None, False, (), "single-leg")


def patient_detail(services: Services, field: str):
    """A detail of the patient's profile (year_of_birth, height_cm ...), or None."""
    from trainer.store import records

    if not services.user:
        return None
    try:
        with services.store().transaction() as session:
            return getattr(records.get_user(session, services.user), field)
    except StoreError:
        return None


def patient_age(services: Services) -> int | None:
    year = patient_detail(services, "year_of_birth")
    return today(services).year - year if year else None


class ClinicMenu(Screen):
    """The tests this version has, one per row; Enter opens one."""

    def __init__(self, services: Services):
        super().__init__(services)
        self.tests = available_tests()
        self.selected = 0
        self.trial_s = 30.0  # mCTSIB: 30 s, or 60 s to match the norms (T toggles)
        self.message: str | None = None

    def rects(self) -> list[pygame.Rect]:
        row_h = self.font(1.3).get_linesize() + 16
        return [pygame.Rect(MARGIN_PX, 150 + i * (row_h + 8), self.size[0] - 2 * MARGIN_PX, row_h)
                for i in range(len(self.tests))]

    def handle(self, event) -> None:
        if event.type == pygame.KEYDOWN and event.key in (pygame.K_UP, pygame.K_DOWN) and self.tests:
            self.selected = (self.selected + (1 if event.key == pygame.K_DOWN else -1)) % len(self.tests)
        elif event.type == pygame.KEYDOWN and event.key == pygame.K_t:
            self.trial_s = 60.0 if self.trial_s == 30.0 else 30.0
        elif is_confirm(event) and self.tests:
            self.start(self.tests[self.selected])
        elif event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.finished = True
        elif is_click(event):
            for i, rect in enumerate(self.rects()):
                if rect.collidepoint(event.pos):
                    self.selected = i
                    self.start(self.tests[i])

    def start(self, name: str) -> None:
        from games.registry import game_class
        from games.round import RoundOptions

        test_class = game_class(name, kind="test")
        seconds = self.trial_s if name == "mctsib" else None
        options = RoundOptions(weight_kg=self.services.body_weight_kg, seconds=seconds,
                               height_cm=patient_detail(self.services, "height_cm"))
        try:
            test = test_class(self.services.board, options, wait_between=True)
        except ValueError as error:  # e.g. the LOS needs the patient's height: said on screen, nothing started
            self.message = f"{TEST_TITLES.get(name, name)} cannot start: {error}"
            return
        self.message = None
        self.services.stack.push(TestRunScreen(self.services, test_choice(name), test))

    def draw(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        self.title(surface, "Clinic tests")
        self.text(surface, f"Patient: {self.services.user or 'not named (the results are not kept)'}", 1.0,
                  style.MUTED, (MARGIN_PX, 100))
        for i, (name, rect) in enumerate(zip(self.tests, self.rects())):
            selected = i == self.selected
            pygame.draw.rect(surface, style.YELLOW if selected else style.PANEL, rect, border_radius=12)
            label = TEST_TITLES[name] + (f"  ({self.trial_s:.0f} s per condition)" if name == "mctsib" else "")
            self.text(surface, clip(label, self.font(1.3), rect.width - 30), 1.3,
                      style.BACKGROUND if selected else style.TEXT, (rect.left + 20, rect.centery), anchor="midleft")
        if self.message:
            self.lines(surface, self.message, 1.0, style.WARN, (MARGIN_PX, self.size[1] - 130),
                       self.size[0] - 2 * MARGIN_PX)
        self.keys_line(surface, "Up/Down: choose   Enter: start   T: mCTSIB 30 or 60 s   Esc: back")


class TestRunScreen(RoundScreen):
    """A test round: before each condition the standard words, large, and Enter (the clinician) starts it."""

    def handle(self, event) -> None:
        if getattr(self.round, "waiting", False) and (is_confirm(event) or is_click(event)):
            self.round.proceed()
            return
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.round.finished = True  # stopped: the conditions done so far are scored and kept
            return
        super().handle(event)

    def draw(self, surface) -> None:
        from trainer.clinic.mctsib import CONDITION_WORDS, INSTRUCTIONS

        condition = getattr(self.round, "condition", None)
        if not getattr(self.round, "waiting", False) or condition not in INSTRUCTIONS:
            super().draw(surface)  # running, or a test that draws its own words (single-leg, LOS, steps ...)
            return
        surface.fill(style.BACKGROUND)
        width, height = self.size
        self.title(surface, CONDITION_WORDS[condition])
        words = INSTRUCTIONS[condition]
        self.text(surface, "Read to the patient:", 1.0, style.MUTED, (MARGIN_PX, 120))
        self.lines(surface, words, 1.8, style.TEXT, (MARGIN_PX, 170), width - 2 * MARGIN_PX, gap_px=12)
        self.text(surface, "Enter (or a click) starts this condition", 1.3, style.YELLOW, (MARGIN_PX, height - 90))
        self.keys_line(surface, "Enter: start   Esc: stop the test (what was done is kept)")

    def _finish(self) -> None:
        valid = self.services.board.error is None and not self.paused
        session_id = None
        if self.record is not None:
            scores = self.record.finish(self.round, valid=valid)
            if self.record.database_error:
                self.write_error = (f"kept in {self.folder} but not in the database ({self.record.database_error})")
            elif self.record.log is not None:
                session_id = self.record.log.session_id
            self.record = None
        else:
            scores = dict(self.round.scores())
        self.services.board.sample_sink = None
        self.services.stack.replace(TestResultsScreen(self.services, self.choice.game, scores, valid=valid,
                                                      folder=self.folder, note=self.write_error,
                                                      session_id=session_id))


class TestResultsScreen(Screen):
    """Per condition: time held, the measures with their percentiles, and the sway path with its 95 % ellipse."""

    def __init__(self, services: Services, test: str, scores: dict, *, valid: bool = True, folder=None,
                 note: str | None = None, session_id: int | None = None):
        from trainer.clinic.report_values import result_lines, with_norms

        super().__init__(services)
        self.test = test
        self.age = patient_age(services)
        self.results = with_norms(test, scores, self.age,
                                  device_id=getattr(services.board.source, "device_id", None))
        self.valid = valid
        self.note = note
        self.traces = condition_traces(folder, self.results) if folder is not None else {}
        # The words under the pictures: the board and its calibration, the change since last time, the results.
        self.lines = (board_lines(services) + change_lines(services, test, scores, session_id)
                      + result_lines(test, self.results, valid=valid)[1:])
        self.scroll = 0  # Up/Down: the first line shown

    def handle(self, event) -> None:
        if event.type == pygame.KEYDOWN and event.key in (pygame.K_UP, pygame.K_DOWN):
            step = 3 if event.key == pygame.K_DOWN else -3
            self.scroll = max(0, min(len(self.lines) - 1, self.scroll + step))
        elif is_confirm(event) or is_click(event) or event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.finished = True

    def draw(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        width, height = self.size
        y = self.title(surface, f"Results: {TEST_TITLES.get(self.test, self.test)}")
        if not self.valid:
            y = self.text(surface, "Not valid: the board went away during the test", 1.0, style.BAD,
                          (MARGIN_PX, y)).bottom + 6
        conditions = self.results.get("conditions", {})
        if self.traces:
            for i, (condition, trace) in enumerate(self.traces.items()):
                box = pygame.Rect(MARGIN_PX + i * (THUMB_PX + 20), y + 24, THUMB_PX, THUMB_PX)
                self.draw_thumbnail(surface, box, condition, trace, conditions.get(condition, {}))
            y += THUMB_PX + 70
        picture = pygame.Rect(width - MARGIN_PX - 420, y + 24, 420, min(420, height - y - 120))
        text_right = width - MARGIN_PX
        if self.results.get("polygon_mm") and self.results.get("theoretical_polygon_mm"):
            self.draw_los_polygon(surface, picture)
            text_right = picture.left - 20
        elif any("leg" in c and "held_s" in c for c in conditions.values()):
            self.draw_leg_bars(surface, picture, conditions)
            text_right = picture.left - 20
        font_scale = 0.75
        for line in self.lines[self.scroll:]:
            if y > height - 90:
                self.text(surface, "more below: Down", 0.75, style.YELLOW, (MARGIN_PX, height - 84))
                break
            y = self.text(surface, clip(line.strip(), self.font(font_scale), text_right - MARGIN_PX - 24), font_scale,
                          style.TEXT if not line.startswith("    ") else style.MUTED,
                          (MARGIN_PX + (24 if line.startswith("    ") else 0), y)).bottom + 2
        if self.age is None and self.test == "mctsib":
            self.text(surface, "No age in the profile: no percentiles", 0.8, style.WARN, (MARGIN_PX, height - 60))
        if self.note:
            self.text(surface, clip(self.note, self.font(0.8), width - 2 * MARGIN_PX), 0.8, style.WARN,
                      (MARGIN_PX, height - 40))
        self.keys_line(surface, "Up/Down: scroll the results   Enter: back")

    def draw_los_polygon(self, surface, box: pygame.Rect) -> None:
        """The LOS polygon (maximal excursions, mm) over the theoretical limit, seen from above, forward up."""
        import math

        limit = self.results["theoretical_polygon_mm"]
        reached = [(x, y) for x, y in self.results["polygon_mm"] if math.isfinite(x) and math.isfinite(y)]
        span = max(max(abs(v) for point in limit + reached for v in point), 1.0)
        scale = (min(box.width, box.height) / 2 - 30) / span
        pygame.draw.rect(surface, style.PANEL, box, border_radius=8)

        def px(point):
            return box.centerx + point[0] * scale, box.centery - point[1] * scale

        pygame.draw.polygon(surface, style.MUTED, [px(p) for p in limit], 2)
        if len(reached) >= 3:
            pygame.draw.polygon(surface, style.SKY_BLUE, [px(p) for p in reached], 4)
        for point in reached:
            pygame.draw.circle(surface, style.YELLOW, px(point), 6)
        self.text(surface, "Limits of Stability: reached (blue) and the limit (grey), forward up", 0.7,
                  style.MUTED, (box.left, box.top - 4), anchor="bottomleft")

    def draw_leg_bars(self, surface, box: pygame.Rect, conditions: dict) -> None:
        """Time held per condition (left/right, eyes open/closed) as bars against the trial's length."""
        pygame.draw.rect(surface, style.PANEL, box, border_radius=8)
        items = [(name, c) for name, c in conditions.items() if "held_s" in c]
        bar_h = min(60, (box.height - 40) // max(1, len(items)) - 12)
        for i, (name, result) in enumerate(items):
            top = box.top + 20 + i * (bar_h + 12)
            full = box.width - 140
            share = min(1.0, float(result["held_s"]) / float(result.get("trial_s") or 30.0))
            colour = style.SKY_BLUE if result.get("leg") == "left" else style.ORANGE
            pygame.draw.rect(surface, colour, pygame.Rect(box.left + 120, top, int(full * share), bar_h))
            self.text(surface, name, 0.8, style.TEXT, (box.left + 12, top + bar_h // 2), anchor="midleft")
            self.text(surface, f"{result['held_s']:.1f} s", 0.75, style.TEXT,
                      (box.left + 124, top + bar_h // 2), anchor="midleft")
        self.text(surface, "Time held per leg (blue left, orange right)", 0.7, style.MUTED,
                  (box.left, box.top - 4), anchor="bottomleft")

    def draw_thumbnail(self, surface, box: pygame.Rect, condition: str, trace, result: dict) -> None:
        from games.screens.play import draw_sway_path

        pygame.draw.rect(surface, style.PANEL, box, border_radius=8)
        self.text(surface, condition, 0.8, style.TEXT, (box.left, box.top - 4), anchor="bottomleft")
        draw_sway_path(surface, box, trace, max_points=800, line_px=1)
        held = result.get("held_s")
        words = f"held {held:.1f} s" if isinstance(held, (int, float)) else ""
        if not result.get("completed", True):
            words += " (not completed)"
        self.text(surface, words, 0.75, style.TEXT if result.get("completed") else style.WARN,
                  (box.left, box.bottom + 4))


def board_lines(services: Services) -> list[str]:
    """The board and its calibration record, as the test report states them (trainer.clinic.history)."""
    import datetime as _dt

    from trainer.clinic.history import calibration_lines, calibration_record

    identity = getattr(services.board.source, "identity", "") or ""
    now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    return [f"Board: {identity or 'unknown'}; " + "; ".join(calibration_lines(calibration_record(identity), now))]


def change_lines(services: Services, test: str, scores: dict, session_id: int | None) -> list[str]:
    """The change since the patient's previous test of this kind, flagged only where an MDC is documented."""
    import json

    from trainer.store import records, sessions
    from trainer.clinic.history import changes_since

    if not services.user:
        return []
    try:
        with services.store().transaction() as session:
            user = records.get_user(session, services.user)
            earlier = [(r.id, r.started_utc, json.loads(r.scores_json or "{}"))
                       for r in sessions.sessions_of(session, user, name=test)
                       if r.kind == "test" and r.id != session_id and r.status in ("complete", "imported")
                       and r.valid is not False]
    except StoreError:
        return []
    rows, previous = changes_since(test, scores, earlier)
    if not previous:
        return ["Since the last test: this is the first of its kind for this patient"]
    when = max(p["started_utc"] for p in previous.values())[:10]
    lines = [f"Since the last test ({when}):"]
    for row in rows:
        lines.append(f"    {row['condition']} {row['measure']}: {row['before']:.3g} -> {row['now']:.3g} "
                     f"({row['change']:+.3g} {row['unit']}) {row['flag'] or row['mdc']}".rstrip())
    return lines


def condition_traces(folder, results: dict) -> dict:
    """{condition: (cop_x_mm, cop_y_mm)} of each condition's best attempt, from the test's recording folder."""
    from trainer.clinic.history import best_attempt_path
    from trainer.errors import BalanceTrainerError
    from trainer.readers.folder import read_folder

    try:
        recording = read_folder(folder)
    except (BalanceTrainerError, OSError):
        return {}
    samples = (recording.t_s, recording.cop_x_mm, recording.cop_y_mm)
    traces = {}
    for condition, result in results.get("conditions", {}).items():
        x, y = best_attempt_path(samples, result)  # the attempt the result is from, as the report draws it
        if len(x) >= 10:
            traces[condition] = (x, y)
    return traces
