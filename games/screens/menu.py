"""The game choice (a grid of large tiles: the games in their set-ups, the live view, settings, back) and the
settings screen."""
from __future__ import annotations

import pygame

from games import style
from games.screens.cards import GAME_CHOICES, InstructionCard, choice_by_key
from games.screens.ui import (
    LEGS, MARGIN_PX, ORIENTATIONS, Screen, Services, clip, is_click, is_confirm, wrap,
)

GRID_COLUMNS = 3
MENU_TOP_PX = 130
TILE_GAP_PX = 18


def menu_items() -> list[tuple[str, str]]:
    """(key, label) of every tile, in reading order."""
    return [(c.key, c.title) for c in GAME_CHOICES] + [("live-view", "Live view of the board"),
                                                       ("settings", "Settings"), ("back", "Back")]


def tile_rects(size, n: int) -> list[pygame.Rect]:
    width, height = size
    rows = -(-n // GRID_COLUMNS)
    tile_w = (width - 2 * MARGIN_PX - (GRID_COLUMNS - 1) * TILE_GAP_PX) // GRID_COLUMNS
    tile_h = (height - MENU_TOP_PX - 70 - (rows - 1) * TILE_GAP_PX) // rows
    return [pygame.Rect(MARGIN_PX + (i % GRID_COLUMNS) * (tile_w + TILE_GAP_PX),
                        MENU_TOP_PX + (i // GRID_COLUMNS) * (tile_h + TILE_GAP_PX), tile_w, tile_h)
            for i in range(n)]


class GameMenu(Screen):
    def __init__(self, services: Services):
        super().__init__(services)
        self.items = menu_items()
        self.selected = 0
        self.message: str | None = None

    @property
    def selected_key(self) -> str:
        return self.items[self.selected][0]

    def handle(self, event) -> None:
        n = len(self.items)
        if event.type == pygame.KEYDOWN:
            moves = {pygame.K_LEFT: -1, pygame.K_RIGHT: 1, pygame.K_UP: -GRID_COLUMNS, pygame.K_DOWN: GRID_COLUMNS}
            if event.key in moves:
                target = self.selected + moves[event.key]
                if 0 <= target < n:
                    self.selected = target
                return
        if is_confirm(event):
            self.activate(self.selected_key)
        elif event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.finished = True
        elif event.type in (pygame.MOUSEMOTION, pygame.MOUSEBUTTONDOWN):
            for i, rect in enumerate(tile_rects(self.size, n)):
                if rect.collidepoint(event.pos):
                    self.selected = i
                    if is_click(event):
                        self.activate(self.items[i][0])

    def activate(self, key: str) -> None:
        self.message = None
        services = self.services
        if key == "back":
            self.finished = True
        elif key == "settings":
            services.stack.push(SettingsScreen(services))
        elif key == "live-view":
            services.stack.push(make_live_view(services))
        else:
            choice = next(c for c in GAME_CHOICES if c.key == key)
            try:
                services.game_class(choice.game)
            except (ValueError, ImportError) as error:
                self.message = f"{choice.title} cannot be played: {error}"
                return
            services.stack.push(InstructionCard(services, choice))

    def draw(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        width, height = self.size
        self.title(surface, "Choose a game")
        player = self.services.user or "guest"
        self.text(surface, f"{player}, {self.services.settings.leg} leg", 1.0, style.MUTED,
                  (width - MARGIN_PX, 44), anchor="topright")
        for i, ((key, label), rect) in enumerate(zip(self.items, tile_rects(self.size, len(self.items)))):
            selected = i == self.selected
            fill = style.YELLOW if selected else style.PANEL
            ink = style.BACKGROUND if selected else style.TEXT
            pygame.draw.rect(surface, fill, rect, border_radius=14)
            # Not colour alone: the selected tile has a thick frame too.
            pygame.draw.rect(surface, style.TEXT, rect, width=6 if selected else 1, border_radius=14)
            font = self.font(1.4)
            lines = wrap(label, font, rect.width - 30)[:3]
            line_h = font.get_linesize()
            y = rect.centery - line_h * len(lines) // 2
            for line in lines:
                self.text(surface, line, 1.4, ink, (rect.centerx, y), anchor="midtop")
                y += line_h
        if self.message:
            self.text(surface, clip(self.message, self.font(1.0), width - 2 * MARGIN_PX), 1.0, style.WARN,
                      (MARGIN_PX, height - 58), anchor="bottomleft")
        self.keys_line(surface, "Arrows: choose    Enter or board button: open    Esc: back")


def make_live_view(services: Services):
    """The existing live view, on the session's board, as one more screen (Esc or the board's button comes back)."""
    from games.live_view import Fonts, LiveViewScene

    try:
        from trainer.measures.default import sway_summary
    except ImportError:
        sway_summary = None

    class BoardLiveView(LiveViewScene):
        # The board's button must not pile up presses here that the menu would take as Enter afterwards.
        def update(self, dt_s: float) -> None:
            super().update(dt_s)
            if services.button_presses():
                self.finished = True

    return BoardLiveView(services.board, Fonts(), identity=services.board.source.identity,
                         sway_summary=sway_summary, size=services.size)


SETTING_KEYS = ("board_url", "orientation", "sound", "leg", "large_text", "levels", "done")
SETTING_LABELS = {"board_url": "Board", "orientation": "Board orientation", "sound": "Sound", "leg": "Leg",
                  "large_text": "Large text", "levels": "Levels and eyes closed", "done": "Done"}


def setting_rects(size, large_text: bool) -> list[pygame.Rect]:
    width, height = size
    row_h = int(style.text_px(1.3, large_text) * 1.4)
    row_h = min(row_h, (height - MENU_TOP_PX - 50) // len(SETTING_KEYS) - 8)  # all rows above the keys line
    return [pygame.Rect(MARGIN_PX, MENU_TOP_PX + i * (row_h + 8), width - 2 * MARGIN_PX, row_h)
            for i in range(len(SETTING_KEYS))]


class SettingsScreen(Screen):
    """Board URL (typed), orientation, sound, leg and large text; kept for the session and in settings.json."""

    def __init__(self, services: Services):
        super().__init__(services)
        self.selected = 0
        self.editing: str | None = None  # the URL being typed
        self.message: str | None = None
        self.original_board = (services.settings.board_url, services.settings.orientation)

    @property
    def selected_key(self) -> str:
        return SETTING_KEYS[self.selected]

    def value_text(self, key: str) -> str:
        settings = self.services.settings
        if key == "board_url":
            return (self.editing + "_") if self.editing is not None else (settings.board_url or "(as started)")
        if key in ("sound", "large_text"):
            return "on" if getattr(settings, key) else "off"
        if key == "levels":
            return "open..."
        if key == "done":
            return ""
        return str(getattr(settings, key))

    def handle(self, event) -> None:
        if self.editing is not None:
            self._edit(event)
            return
        if event.type == pygame.KEYDOWN and event.key in (pygame.K_UP, pygame.K_DOWN):
            step = -1 if event.key == pygame.K_UP else 1
            self.selected = max(0, min(len(SETTING_KEYS) - 1, self.selected + step))
        elif event.type == pygame.KEYDOWN and event.key in (pygame.K_LEFT, pygame.K_RIGHT):
            if self.selected_key not in ("board_url", "levels", "done"):
                self.change(self.selected_key)
        elif is_confirm(event):
            self.change(self.selected_key)
        elif event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.close()
        elif event.type in (pygame.MOUSEMOTION, pygame.MOUSEBUTTONDOWN):
            for i, rect in enumerate(setting_rects(self.size, self.services.settings.large_text)):
                if rect.collidepoint(event.pos):
                    self.selected = i
                    if is_click(event):
                        self.change(SETTING_KEYS[i])

    def _edit(self, event) -> None:
        if event.type != pygame.KEYDOWN:
            return
        if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            self.services.settings.board_url = self.editing.strip()
            self.editing = None
        elif event.key == pygame.K_ESCAPE:
            self.editing = None
        elif event.key == pygame.K_BACKSPACE:
            self.editing = self.editing[:-1]
        elif event.unicode and event.unicode.isprintable():
            self.editing += event.unicode

    def change(self, key: str) -> None:
        settings = self.services.settings
        if key == "board_url":
            self.editing = settings.board_url
            return
        if key == "done":
            self.close()
            return
        if key == "levels":
            self.services.stack.push(LevelsScreen(self.services))
            return
        if key == "orientation":
            settings.orientation = ORIENTATIONS[(ORIENTATIONS.index(settings.orientation) + 1) % len(ORIENTATIONS)]
        elif key == "leg":
            settings.leg = LEGS[(LEGS.index(settings.leg) + 1) % len(LEGS)]
        else:
            setattr(settings, key, not getattr(settings, key))
            if key == "sound":
                self.services.apply_sound()
        self._save()

    def _save(self) -> None:
        try:
            self.services.settings.save(self.services.settings_path)
        except OSError as error:
            self.message = f"settings not saved: {error}"

    def close(self) -> None:
        """Leave; a new board URL or orientation reopens the board (an error is shown and the old board kept)."""
        settings = self.services.settings
        if (settings.board_url, settings.orientation) != self.original_board and self.services.open_board:
            from trainer.errors import BalanceTrainerError

            try:
                self.services.board = self.services.open_board(settings.board_url)
            except (BalanceTrainerError, ValueError) as error:
                self.message = str(error)
                settings.board_url, settings.orientation = self.original_board
                self.original_board = (settings.board_url, settings.orientation)
                return
        self._save()
        self.finished = True

    def draw(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        width, height = self.size
        self.title(surface, "Settings")
        for i, (key, rect) in enumerate(zip(SETTING_KEYS, setting_rects(self.size, self.services.settings.large_text))):
            selected = i == self.selected
            pygame.draw.rect(surface, style.YELLOW if selected else style.PANEL, rect, border_radius=10)
            pygame.draw.rect(surface, style.TEXT, rect, width=5 if selected else 1, border_radius=10)
            ink = style.BACKGROUND if selected else style.TEXT
            self.text(surface, SETTING_LABELS[key], 1.3, ink, (rect.left + 20, rect.centery), anchor="midleft")
            value = clip(self.value_text(key), self.font(1.3), rect.width // 2 - 30)
            self.text(surface, value, 1.3, ink, (rect.right - 20, rect.centery), anchor="midright")
        if self.message:
            self.text(surface, clip(self.message, self.font(1.0), width - 2 * MARGIN_PX), 1.0, style.WARN,
                      (MARGIN_PX, height - 58), anchor="bottomleft")
        self.keys_line(surface, "Typing: Enter to keep, Esc to cancel" if self.editing is not None
                       else "Up/Down: choose    Enter or Left/Right: change    Esc: back")


def level_rows() -> list[tuple[str, str]]:
    """(key, label) of the levels screen's rows: a level per game choice that has more than one, eyes closed per
    game that can be played so, and Done. Keys: "level:<choice key>", "eyes:<game>", "done"."""
    from games.levels import EYES_CLOSED_GAMES, level_range

    rows = [(f"level:{c.key}", f"Level: {c.title}") for c in GAME_CHOICES
            if level_range(c.game, c.setup)[1] > level_range(c.game, c.setup)[0]]
    names = {"foot-taps": "Foot taps", "single-leg": "Single-leg balance"}
    rows += [(f"eyes:{game}", f"Eyes closed: {names.get(game, game)}") for game in EYES_CLOSED_GAMES]
    return rows + [("done", "Done")]


def level_row_layout(size, large_text: bool, n: int) -> tuple[float, list[pygame.Rect]]:
    """(text scale, row rects) of the levels screen: as large as the rows allow within the window."""
    width, height = size
    room = height - MENU_TOP_PX - 60
    scale = 1.2
    while scale > 0.5 and n * (int(style.text_px(scale, large_text) * 1.4) + 6) > room:
        scale -= 0.1
    row_h = int(style.text_px(scale, large_text) * 1.4)
    return scale, [pygame.Rect(MARGIN_PX, MENU_TOP_PX + i * (row_h + 6), width - 2 * MARGIN_PX, row_h)
                   for i in range(n)]


class LevelsScreen(Screen):
    """The level each game starts at next (the app moves it after each round: games.levels) and eyes closed (the
    round guided by sound alone) for the games that have it; kept in settings.json."""

    def __init__(self, services: Services):
        super().__init__(services)
        self.rows = level_rows()
        self.selected = 0
        self.message: str | None = None

    @property
    def selected_key(self) -> str:
        return self.rows[self.selected][0]

    def value_text(self, key: str) -> str:
        settings = self.services.settings
        if key.startswith("level:"):
            choice = choice_by_key(key[len("level:"):])
            level = settings.level_for(choice)
            if choice.game == "foot-taps" and level in (7, 8):
                return f"{level} ({'Hill step test' if level == 7 else 'Alternate Step Test'})"
            return str(level)
        if key.startswith("eyes:"):
            return "on" if settings.eyes_for(key[len("eyes:"):]) == "closed" else "off"
        return ""

    def handle(self, event) -> None:
        if event.type == pygame.KEYDOWN and event.key in (pygame.K_UP, pygame.K_DOWN):
            step = -1 if event.key == pygame.K_UP else 1
            self.selected = max(0, min(len(self.rows) - 1, self.selected + step))
        elif event.type == pygame.KEYDOWN and event.key in (pygame.K_LEFT, pygame.K_RIGHT):
            if self.selected_key != "done":
                self.change(self.selected_key, -1 if event.key == pygame.K_LEFT else 1)
        elif is_confirm(event):
            self.change(self.selected_key, 1)
        elif event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.finished = True
        elif event.type in (pygame.MOUSEMOTION, pygame.MOUSEBUTTONDOWN):
            _, rects = level_row_layout(self.size, self.services.settings.large_text, len(self.rows))
            for i, rect in enumerate(rects):
                if rect.collidepoint(event.pos):
                    self.selected = i
                    if is_click(event):
                        self.change(self.rows[i][0], 1)

    def change(self, key: str, step: int) -> None:
        """A level one up or down (round the range: past the top comes the bottom); eyes closed on/off."""
        from games.levels import level_range

        settings = self.services.settings
        if key == "done":
            self.finished = True
            return
        if key.startswith("level:"):
            choice = choice_by_key(key[len("level:"):])
            lo, hi = level_range(choice.game, choice.setup)
            level = settings.level_for(choice) + step
            settings.levels[choice.key] = lo if level > hi else hi if level < lo else level
        elif key.startswith("eyes:"):
            game = key[len("eyes:"):]
            settings.eyes_closed[game] = settings.eyes_for(game) != "closed"
        try:
            settings.save(self.services.settings_path)
        except OSError as error:
            self.message = f"settings not saved: {error}"

    def draw(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        width, height = self.size
        self.title(surface, "Levels and eyes closed")
        scale, rects = level_row_layout(self.size, self.services.settings.large_text, len(self.rows))
        for i, ((key, label), rect) in enumerate(zip(self.rows, rects)):
            selected = i == self.selected
            pygame.draw.rect(surface, style.YELLOW if selected else style.PANEL, rect, border_radius=10)
            pygame.draw.rect(surface, style.TEXT, rect, width=5 if selected else 1, border_radius=10)
            ink = style.BACKGROUND if selected else style.TEXT
            self.text(surface, clip(label, self.font(scale), rect.width * 3 // 5 - 30), scale, ink,
                      (rect.left + 20, rect.centery), anchor="midleft")
            value = clip(self.value_text(key), self.font(scale), rect.width * 2 // 5 - 30)
            self.text(surface, value, scale, ink, (rect.right - 20, rect.centery), anchor="midright")
        if self.message:
            self.text(surface, clip(self.message, self.font(1.0), width - 2 * MARGIN_PX), 1.0, style.WARN,
                      (MARGIN_PX, height - 58), anchor="bottomleft")
        self.keys_line(surface, "Up/Down: choose    Left/Right: level down/up, eyes on/off    Esc: back")
