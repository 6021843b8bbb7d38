"""Today's exercises on screen: big countdowns for timed holds and minutes, a counter for repetitions, each stored
as a session of kind "exercise" when done (docs/program.md, "The program in the app")."""
from __future__ import annotations

import datetime as _dt
import math

import pygame

from games import style
from games.screens.checks import today
from games.screens.ui import MARGIN_PX, Screen, Services, clip, is_click, is_confirm
from trainer.store.database import StoreError

REST_BETWEEN_HOLDS_S = 5.0  # a short rest between timed holds; 10 s after holds of 20 s or more
REST_BETWEEN_SETS_S = 30.0  # the rep counter's rest between sets (Enter skips it)


def record_exercise(services: Services, item, *, seconds: float, sets: int, reps: int | None,
                    hold_s: float | None) -> str | None:
    """Store a finished exercise as an "exercise" session; returns why not, or None."""
    from trainer.store import records, sessions

    started = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(seconds=seconds)
    if "today" in services.extra:  # a fixed day (tests): the exercise is that day's
        started = _dt.datetime.combine(today(services), _dt.time(12, 0)).astimezone(_dt.timezone.utc)
    try:
        with services.store().transaction() as session:
            row = sessions.start_session(session, records.get_user(session, services.user), kind="exercise",
                                         name=item.id, options={"zone": item.zone, "name": item.name},
                                         started_utc=started.isoformat(timespec="milliseconds"))
            sessions.finish_session(row, scores={"sets": sets, "reps": reps, "hold_s": hold_s,
                                                 "seconds": round(seconds, 1)},
                                    valid=True, score_version=None, summary={"duration_s": seconds},
                                    events_lines=[])
    except StoreError as error:
        return str(error)
    return None


# --- timers and counters -------------------------------------------------------------------------------------------
def whole_seconds_left(remaining_s: float) -> int:
    """Seconds shown on a countdown: rounded up (10.0 left shows 10, 9.98 too), ignoring the float dust that
    adding 1/60 s steps leaves (20.0000000006 is 20)."""
    return max(0, math.ceil(remaining_s - 1e-6))


class ExerciseTimer(Screen):
    """Big countdowns on the game clock: each hold of `hold_s` (sets x reps of them), with a short rest between;
    an item with minutes only is one timer of that length. Space pauses; Esc leaves (not counted as done)."""

    def __init__(self, services: Services, item):
        super().__init__(services)
        self.item = item
        if item.hold_s:
            self.hold_s = float(item.hold_s)
            self.holds = max(1, item.sets or 1) * max(1, item.reps or 1)
        else:
            self.hold_s = float(item.minutes or 1.0) * 60.0
            self.holds = 1
        self.rest_s = 10.0 if self.hold_s >= 20 else REST_BETWEEN_HOLDS_S
        self.hold = 1  # which hold, from 1
        self.phase = "hold"  # hold | rest | done
        self.remaining_s = self.hold_s
        self.elapsed_s = 0.0
        self.paused = False
        self.error: str | None = None

    def handle(self, event) -> None:
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.finished = True
        elif self.phase == "done" and (is_confirm(event) or is_click(event)):
            self.finished = True
        elif event.type == pygame.KEYDOWN and event.key == pygame.K_SPACE or is_click(event):
            self.paused = not self.paused

    def tick(self, dt_s: float) -> None:
        if self.paused or self.phase == "done":
            return
        self.elapsed_s += dt_s
        self.remaining_s -= dt_s
        if self.remaining_s > 1e-9:
            return
        if self.phase == "hold" and self.hold < self.holds:
            self.phase, self.remaining_s = "rest", self.rest_s
        elif self.phase == "rest":
            self.hold += 1
            self.phase, self.remaining_s = "hold", self.hold_s
        else:
            self.phase, self.remaining_s = "done", 0.0
            self.error = record_exercise(self.services, self.item, seconds=self.elapsed_s,
                                         sets=self.item.sets or 1, reps=self.item.reps, hold_s=self.item.hold_s)

    def draw(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        width, height = self.size
        self.title(surface, clip(self.item.name, self.font(2.0), width - 2 * MARGIN_PX))
        if self.phase == "done":
            self.text(surface, "Done!", 5.0, style.GOOD, (width // 2, height // 2), anchor="center")
            if self.error:
                self.lines(surface, f"Not saved: {self.error}", 0.9, style.WARN, (MARGIN_PX, height - 120),
                           width - 2 * MARGIN_PX)
            self.keys_line(surface, "Enter: back to today")
            return
        seconds = whole_seconds_left(self.remaining_s)
        shown = f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else str(seconds)
        colour = style.YELLOW if self.phase == "hold" else style.SKY_BLUE
        self.text(surface, shown, 8.0, colour, (width // 2, height // 2), anchor="center")
        words = (f"Hold {self.hold} of {self.holds}" if self.phase == "hold" else "Rest") + \
            ("   (paused: Space goes on)" if self.paused else "")
        self.text(surface, words, 1.6, style.TEXT, (width // 2, height // 2 + 150), anchor="center")
        self.keys_line(surface, "Space or click: pause   Esc: stop")


class RepCounter(Screen):
    """Repetitions counted by the player: Space, Enter, a click or the board's button for each; a rest timer
    between sets (Enter skips it)."""

    def __init__(self, services: Services, item):
        super().__init__(services)
        self.item = item
        self.sets = max(1, item.sets or 1)
        self.reps = max(1, item.reps or 1)
        self.set_no = 1
        self.count = 0
        self.resting_s = 0.0
        self.elapsed_s = 0.0
        self.done = False
        self.error: str | None = None

    def handle(self, event) -> None:
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.finished = True
        elif self.done and (is_confirm(event) or is_click(event)):
            self.finished = True
        elif is_confirm(event) or is_click(event):
            if self.resting_s > 0:
                self.resting_s = 0.0  # skip the rest
            else:
                self.count_rep()

    def count_rep(self) -> None:
        self.count += 1
        if self.count < self.reps:
            return
        if self.set_no < self.sets:
            self.set_no, self.count, self.resting_s = self.set_no + 1, 0, REST_BETWEEN_SETS_S
        else:
            self.done = True
            self.error = record_exercise(self.services, self.item, seconds=self.elapsed_s, sets=self.sets,
                                         reps=self.reps, hold_s=self.item.hold_s)

    def tick(self, dt_s: float) -> None:
        if not self.done:
            self.elapsed_s += dt_s
            self.resting_s = max(0.0, self.resting_s - dt_s)

    def draw(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        width, height = self.size
        self.title(surface, clip(self.item.name, self.font(2.0), width - 2 * MARGIN_PX))
        if self.done:
            self.text(surface, "Done!", 5.0, style.GOOD, (width // 2, height // 2), anchor="center")
            if self.error:
                self.lines(surface, f"Not saved: {self.error}", 0.9, style.WARN, (MARGIN_PX, height - 120),
                           width - 2 * MARGIN_PX)
            self.keys_line(surface, "Enter: back to today")
            return
        if self.resting_s > 0:
            self.text(surface, f"Rest {whole_seconds_left(self.resting_s)}", 6.0, style.SKY_BLUE,
                      (width // 2, height // 2), anchor="center")
            self.text(surface, f"Next: set {self.set_no} of {self.sets}", 1.6, style.TEXT,
                      (width // 2, height // 2 + 140), anchor="center")
        else:
            self.text(surface, f"{self.count} / {self.reps}", 7.0, style.YELLOW, (width // 2, height // 2),
                      anchor="center")
            self.text(surface, f"Set {self.set_no} of {self.sets}", 1.6, style.TEXT,
                      (width // 2, height // 2 + 140), anchor="center")
        self.keys_line(surface, "Space, Enter, click or the board's button: one repetition   Esc: stop")
