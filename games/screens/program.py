"""The program inside the app: choose or create a profile, the baseline and weekly checks, "today" (the day's plan
with big timers for holds, rep counters and the games at the plan's level), and the diary.

The plan is trainer.program.plan_for on the player's profile and checks, exactly as `balance-trainer plan` shows it.
An exercise done here is stored as a session of kind "exercise" (its sets, reps and holds); a game as the round's
own session (games.round_record). An item is done today when its sessions today cover its sets.
"""
from __future__ import annotations

import datetime as _dt
import json

import pygame

from games import style
from games.screens.cards import GAME_CHOICES, GameChoice, InstructionCard
from games.screens.checks import check_form, profile_form, today
from games.screens.forms import FormField, FormPage, FormScreen
from games.screens.ui import MARGIN_PX, Screen, Services, clip, is_click, is_confirm, wrap
from trainer.store.database import StoreError

LIST_TOP_PX = 150
MAX_MESSAGES = 3  # the rules' messages shown above today's items
MESSAGE_ROW_PX = 28
ACTION_BAR_PX = 56  # the buttons along the bottom: weekly check, diary, progress, leaderboard, games, back


# --- the day's plan and what is done -----------------------------------------------------------------------------
def game_choice(item) -> GameChoice | None:
    """The app's game choice for a plan item with a game (content set-ups: floor, foam, step, target, clock)."""
    if not item.game:
        return None
    for choice in GAME_CHOICES:
        if choice.game != item.game:
            continue
        if item.game == "single-leg" and choice.foam == (item.setup == "foam"):
            return choice
        if item.game != "single-leg" and choice.setup == item.setup:
            return choice
    return None


def units_of(item) -> int:
    """How many sessions make the item done: a game's rounds, or one exercise session."""
    return max(1, item.sets or 1) if item.game else 1


def todays_plan(services: Services):
    """(plan, error): the player's plan for today, or why there is none (no check yet: None, None)."""
    from trainer.program import load_content, plan_for
    from trainer.store import records

    with services.store().transaction() as session:
        user = records.get_user(session, services.user)
        profile, checks = records.profile_of(user), records.checks_of(session, user, up_to=today(services))
    if not checks:
        return None, None
    try:
        return plan_for(profile, checks, today(services), load_content()), None
    except ValueError as error:
        return None, str(error)


def _local_date(started_utc: str) -> _dt.date | None:
    try:
        return _dt.datetime.fromisoformat(started_utc).astimezone().date()
    except ValueError:
        return None


def done_today(services: Services, plan) -> dict[str, int]:
    """{item id: sessions today that count for it}."""
    from trainer.store import records, sessions

    counts = {item.id: 0 for item in plan.items}
    with services.store().transaction() as session:
        rows = sessions.sessions_of(session, records.get_user(session, services.user))
        todays = [r for r in rows if _local_date(r.started_utc) == today(services)
                  and r.status in ("complete", "imported")]
        for item in plan.items:
            choice = game_choice(item)
            for row in todays:
                if choice is None and row.kind == "exercise" and row.name == item.id:
                    counts[item.id] += 1
                elif choice is not None and row.kind == "game" and row.name == choice.game \
                        and row.setup == _round_setup(choice) \
                        and bool(json.loads(row.options_json or "{}").get("foam")) == choice.foam:
                    counts[item.id] += 1
    return counts


def _round_setup(choice: GameChoice) -> str | None:
    return choice.setup  # single-leg has no set-up of its own: None, and foam is an option


def dose_words(item) -> str:
    parts = []
    if item.sets:
        parts.append(f"{item.sets} sets")
    if item.reps:
        parts.append(f"{item.reps} reps")
    if item.hold_s:
        parts.append(f"hold {item.hold_s} s")
    if item.game:
        parts.append(f"game, level {item.level}" if item.level else "game")
    if not parts and item.minutes:
        parts.append(f"{item.minutes:g} min")
    return ", ".join(parts)


# --- choosing a profile --------------------------------------------------------------------------------------------
class ProfileScreen(Screen):
    """Who is training: the profiles in the database, a new one, or a guest (the games only, no program)."""

    def __init__(self, services: Services, *, next_screen):
        super().__init__(services)
        self.next_screen = next_screen  # () -> the screen after the choice (the weighing)
        self.selected = 0
        self.error: str | None = None
        self.names: list[str] = []
        self.reload()

    def reload(self) -> None:
        from trainer.store import records

        try:
            with self.services.store().transaction() as session:
                self.names = [u.name for u in records.list_users(session)]
        except StoreError as error:
            self.names, self.error = [], f"The program's database cannot be opened: {error}. Play as a guest."

    @property
    def items(self) -> list[tuple[str, str]]:
        return [("user", n) for n in self.names] + [("new", "New profile"), ("guest", "Guest: just the games")]

    def rects(self) -> list[pygame.Rect]:
        row_h = self.font(1.3).get_linesize() + 16
        return [pygame.Rect(MARGIN_PX, LIST_TOP_PX + i * (row_h + 8), self.size[0] // 2, row_h)
                for i in range(len(self.items))]

    def handle(self, event) -> None:
        if event.type == pygame.KEYDOWN and event.key in (pygame.K_UP, pygame.K_DOWN):
            self.selected = (self.selected + (1 if event.key == pygame.K_DOWN else -1)) % len(self.items)
        elif is_confirm(event):
            self.choose(self.selected)
        elif event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.finished = True
        elif is_click(event):
            for i, rect in enumerate(self.rects()):
                if rect.collidepoint(event.pos):
                    self.choose(i)

    def choose(self, index: int) -> None:
        kind, name = self.items[index]
        if kind == "new":
            self.services.stack.push(profile_form(self.services, after=self.next_screen))
            return
        self.services.user = name if kind == "user" else None
        self.services.stack.push(self.next_screen())

    def resume(self) -> None:
        self.reload()

    def draw(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        self.title(surface, "Who is training?")
        for i, ((kind, label), rect) in enumerate(zip(self.items, self.rects())):
            selected = i == self.selected
            pygame.draw.rect(surface, style.YELLOW if selected else style.PANEL, rect, border_radius=12)
            pygame.draw.rect(surface, style.TEXT, rect, width=5 if selected else 1, border_radius=12)
            self.text(surface, clip(label, self.font(1.3), rect.width - 30), 1.3,
                      style.BACKGROUND if selected else style.TEXT, (rect.left + 20, rect.centery), anchor="midleft")
        if self.error:
            self.lines(surface, self.error, 1.0, style.WARN, (MARGIN_PX, self.size[1] - 150),
                       self.size[0] - 2 * MARGIN_PX)
        self.keys_line(surface, "Up/Down: choose   Enter or click: go on   Esc: back")


# --- today ---------------------------------------------------------------------------------------------------------
TODAY_ACTIONS = (("check", "Weekly check"), ("diary", "Diary"), ("progress", "Progress"),
                 ("leaderboard", "Leaderboard"), ("games", "All games"), ("clinic", "Clinic tests"),
                 ("back", "Back"))


class TodayScreen(Screen):
    """The day's plan: each item with its dose and a tick when done; Enter starts the chosen one."""

    def __init__(self, services: Services):
        super().__init__(services)
        self.selected = 0
        self.plan = None
        self.done: dict[str, int] = {}
        self.error: str | None = None
        self.reload()

    def reload(self) -> None:
        try:
            self.plan, self.error = todays_plan(self.services)
            self.done = done_today(self.services, self.plan) if self.plan else {}
        except StoreError as error:
            self.plan, self.error = None, str(error)

    def resume(self) -> None:
        self.reload()

    @property
    def items(self) -> list[tuple[str, object]]:
        """(kind, what) rows: plan items (none while paused or before the baseline), then the actions."""
        rows: list[tuple[str, object]] = []
        if self.plan is None and self.error is None:
            rows.append(("baseline", "Your first check (the baseline): start here"))
        elif self.plan is not None and not self.plan.paused:
            rows += [("item", item) for item in self.plan.items]
        return rows + [(key, label) for key, label in TODAY_ACTIONS]

    def is_done(self, item) -> bool:
        return self.done.get(item.id, 0) >= units_of(item)

    @property
    def all_done(self) -> bool:
        return bool(self.plan and not self.plan.paused and self.plan.items
                    and all(self.is_done(i) for i in self.plan.items))

    def messages(self) -> list[str]:
        """What the rules say today, plainly: the latest check's flags (not the good news: progress shows that),
        then the plan's notes. At most MAX_MESSAGES lines, the flags first."""
        plan = self.plan
        if plan is None or plan.paused:
            return []
        flagged = [f.detail[0].upper() + f.detail[1:] for f in plan.flags if f.kind != "improved" and f.detail]
        notes = [n[0].upper() + n[1:] for n in plan.notes if n]
        return (flagged + notes)[:MAX_MESSAGES]

    def row_rects(self) -> list[pygame.Rect]:
        """The plan's rows down the screen, then the actions as a row of buttons along the bottom."""
        width, height = self.size
        actions = [i for i, (kind, _) in enumerate(self.items) if kind in dict(TODAY_ACTIONS)]
        gap = 10
        button_w = (width - 2 * MARGIN_PX - gap * (len(actions) - 1)) // max(1, len(actions))
        bar_top = height - 50 - ACTION_BAR_PX
        top = LIST_TOP_PX + (150 if self.plan is not None and self.plan.paused else 40)
        top += MESSAGE_ROW_PX * len(self.messages())
        n_rows = len(self.items) - len(actions)
        row_h = min(self.font(1.0).get_linesize() + 10, (bar_top - 12 - top) // max(1, n_rows) - 4)
        rects = [pygame.Rect(MARGIN_PX, top + i * (row_h + 4), width - 2 * MARGIN_PX, row_h) for i in range(n_rows)]
        return rects + [pygame.Rect(MARGIN_PX + j * (button_w + gap), bar_top, button_w, ACTION_BAR_PX)
                        for j in range(len(actions))]

    def handle(self, event) -> None:
        if event.type == pygame.KEYDOWN and event.key in (pygame.K_UP, pygame.K_DOWN):
            self.selected = (self.selected + (1 if event.key == pygame.K_DOWN else -1)) % len(self.items)
        elif is_confirm(event):
            self.activate(self.selected)
        elif event.type == pygame.KEYDOWN and event.key in (pygame.K_LEFT, pygame.K_RIGHT) \
                and self.items[self.selected][0] in dict(TODAY_ACTIONS):
            step = 1 if event.key == pygame.K_RIGHT else -1  # along the buttons at the bottom
            self.selected = min(len(self.items) - 1, max(len(self.items) - len(TODAY_ACTIONS), self.selected + step))
        elif event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.finished = True
        elif is_click(event):
            for i, rect in enumerate(self.row_rects()):
                if rect.collidepoint(event.pos):
                    self.selected = i
                    self.activate(i)

    def activate(self, index: int) -> None:
        kind, what = self.items[min(index, len(self.items) - 1)]
        services = self.services
        if kind == "back":
            self.finished = True
        elif kind in ("baseline", "check"):
            services.stack.push(check_form(services, baseline=kind == "baseline"))
        elif kind == "diary":
            services.stack.push(DiaryScreen(services))
        elif kind == "leaderboard":
            from games.screens.standings import LeaderboardScreen

            services.stack.push(LeaderboardScreen(services))
        elif kind == "progress":
            from games.screens.progress import ProgressScreen

            services.stack.push(ProgressScreen(services, draw_now=False))  # its first frame says it is drawing
        elif kind == "clinic":
            from games.screens.clinic import ClinicMenu

            services.stack.push(ClinicMenu(services))
        elif kind == "games":
            from games.screens.menu import GameMenu

            services.stack.push(GameMenu(services))
        elif kind == "item":
            services.stack.push(self.screen_for(what))

    def screen_for(self, item) -> Screen:
        choice = game_choice(item)
        if choice is not None:
            self._set_level(choice, item)
            return InstructionCard(self.services, choice)
        from games.screens.exercise import ExerciseTimer, RepCounter

        if item.hold_s or not item.reps:
            return ExerciseTimer(self.services, item)
        return RepCounter(self.services, item)

    def _set_level(self, choice: GameChoice, item) -> None:
        """The plan's level is where a game starts; once played, the app's own level (games.levels) goes on, but
        never above the plan's level while the plan lowers it (stiffness, swelling)."""
        levels = self.services.settings.levels
        lowered = any(f.kind in ("stiffness", "swelling") for f in self.plan.flags)
        if item.level and (choice.key not in levels or lowered):
            levels[choice.key] = min(levels.get(choice.key, item.level), item.level) if lowered else item.level

    def draw(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        width, height = self.size
        self.title(surface, f"Today, {self.services.user}")
        plan = self.plan
        y = LIST_TOP_PX - 40
        if self.error:
            self.lines(surface, self.error, 1.0, style.WARN, (MARGIN_PX, y), width - 2 * MARGIN_PX)
        elif plan is None:
            self.text(surface, "Start with your first check: it sets your plan.", 1.1, style.TEXT, (MARGIN_PX, y))
        elif plan.paused:
            self.draw_pause(surface, plan, y)
        else:
            summary = f"{plan.phase.title()} phase, week {plan.week_in_phase}: about {plan.total_minutes:.0f} min"
            if self.all_done:
                summary = "All done for today. Well done!"
            self.text(surface, clip(summary, self.font(1.1), width - 2 * MARGIN_PX), 1.1,
                      style.GOOD if self.all_done else style.YELLOW, (MARGIN_PX, y))
            for i, message in enumerate(self.messages()):
                self.text(surface, clip(message, self.font(0.85), width - 2 * MARGIN_PX), 0.85, style.WARN,
                          (MARGIN_PX, y + 40 + i * MESSAGE_ROW_PX))
        for i, ((kind, what), rect) in enumerate(zip(self.items, self.row_rects())):
            self.draw_row(surface, kind, what, rect, i == self.selected)
        self.keys_line(surface, "Up/Down: choose   Left/Right: along the buttons   Enter or click: start   Esc: back")

    def draw_pause(self, surface, plan, y: int) -> None:
        box = pygame.Rect(MARGIN_PX, y, self.size[0] - 2 * MARGIN_PX, 170)
        pygame.draw.rect(surface, style.PANEL, box, border_radius=12)
        pygame.draw.rect(surface, style.BAD, box, width=6, border_radius=12)
        self.text(surface, "The program is paused", 1.6, style.BAD, (box.left + 20, box.top + 14))
        self.lines(surface, plan.reason or "See a clinician before going on.", 1.0, style.TEXT,
                   (box.left + 20, box.top + 70), box.width - 40)

    def draw_row(self, surface, kind: str, what, rect: pygame.Rect, selected: bool) -> None:
        pygame.draw.rect(surface, style.YELLOW if selected else style.PANEL, rect, border_radius=8)
        ink = style.BACKGROUND if selected else style.TEXT
        if kind in dict(TODAY_ACTIONS):
            self.text(surface, clip(str(what), self.font(0.9), rect.width - 12), 0.9, ink, rect.center,
                      anchor="center")
            return
        if kind != "item":
            self.text(surface, str(what), 1.0, ink, (rect.left + 16, rect.centery), anchor="midleft")
            return
        done = self.is_done(what)
        mark = "done" if done else f"{self.done.get(what.id, 0)}/{units_of(what)}" if what.game else ""
        if done:  # not colour alone: a tick and the word
            pygame.draw.lines(surface, style.GOOD if not selected else ink, False,
                              [(rect.left + 12, rect.centery), (rect.left + 22, rect.centery + 10),
                               (rect.left + 40, rect.centery - 12)], 5)
        label = f"{what.name}  ({dose_words(what)})"
        scale = 1.0 if rect.height >= self.font(1.0).get_linesize() + 4 else 0.75  # a long plan: smaller rows
        self.text(surface, clip(label, self.font(scale), rect.width - 200), scale, ink,
                  (rect.left + 56, rect.centery), anchor="midleft")
        if mark:
            self.text(surface, mark, scale, ink, (rect.right - 16, rect.centery), anchor="midright")


# --- the diary -----------------------------------------------------------------------------------------------------
class DiaryScreen(Screen):
    """The latest entries, newest first, and Enter to write one."""

    def __init__(self, services: Services):
        super().__init__(services)
        self.entries: list[tuple[_dt.date, str]] = []
        self.error: str | None = None
        self.reload()

    def reload(self) -> None:
        from trainer.store import records

        try:
            with self.services.store().transaction() as session:
                user = records.get_user(session, self.services.user)
                self.entries = [(e.date, e.text) for e in reversed(records.diary_of(session, user))]
        except StoreError as error:
            self.error = str(error)

    def resume(self) -> None:
        self.reload()

    def handle(self, event) -> None:
        if is_confirm(event) or is_click(event):
            self.services.stack.push(diary_form(self.services))
        elif event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.finished = True

    def draw(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        width, height = self.size
        y = self.title(surface, "Diary")
        if self.error:
            y = self.lines(surface, self.error, 1.0, style.WARN, (MARGIN_PX, y), width - 2 * MARGIN_PX)
        if not self.entries:
            self.text(surface, "No entries yet. How did today go?", 1.2, style.TEXT, (MARGIN_PX, y))
        font = self.font(1.0)
        for date, text in self.entries:
            for i, line in enumerate(wrap(f"{date}: {text}", font, width - 2 * MARGIN_PX)[:3]):
                if y > height - 90:
                    break
                y = self.text(surface, line, 1.0, style.TEXT if i == 0 else style.MUTED, (MARGIN_PX, y)).bottom + 4
            y += 10
        self.keys_line(surface, "Enter or click: write an entry   Esc: back")


def diary_form(services: Services) -> FormScreen:
    def submit(values: dict) -> str | None:
        from trainer.store import records

        try:
            with services.store().transaction() as session:
                records.add_diary(session, records.get_user(session, services.user), today(services),
                                  values["text"])
        except StoreError as error:
            return str(error)
        return None

    page = FormPage("Today's entry", "How did the ankle feel? Anything that hurt, helped or changed?",
                    [FormField("text", "Entry", "text", "")])
    return FormScreen(services, "Diary", [page], submit, submit_label="Save")
