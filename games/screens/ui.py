"""What every screen of the trainer shares: the session's services and settings, a base screen that keeps the board
stepping and turns the board's button into Enter, and the drawing helpers (large type, the style's palette).

Hit boxes for the mouse come from pure layout functions that `draw` uses too, so drawing never changes state.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import pygame

from games import style
from games.scene import Scene, SceneStack
from hardware.sources import SourceState
from trainer.balance_input import BalanceInput, CopFrame

DEFAULT_SIZE = (1280, 720)
MARGIN_PX = 48
SETTINGS_FILE = "settings.json"
ORIENTATIONS = ("normal", "reversed")
LEGS = ("right", "left")


@dataclass
class Settings:
    """The player's choices for the session; saved as JSON in the data folder when a path is given."""

    board_url: str = ""
    orientation: str = "normal"  # normal | reversed (a Wii board turned round)
    sound: bool = True
    leg: str = "right"  # the stance / working leg the games use
    large_text: bool = False  # every font 1.5 times larger
    levels: dict = field(default_factory=dict)  # {game choice key: level}; missing: the lowest (games.levels)
    eyes_closed: dict = field(default_factory=dict)  # {game name: True} for games played eyes closed
    ghost: str = "off"  # race an earlier round: off | last | best (games.ghost)

    def level_for(self, choice) -> int:
        """The level the game choice (games.screens.cards.GameChoice) plays next, within its range."""
        from games.levels import clamp_level, level_range

        return clamp_level(choice.game, choice.setup,
                           self.levels.get(choice.key, level_range(choice.game, choice.setup)[0]))

    def eyes_for(self, game: str) -> str:
        """"closed" where the player chose eyes closed for a game that supports it, else "open"."""
        from games.levels import EYES_CLOSED_GAMES

        return "closed" if game in EYES_CLOSED_GAMES and self.eyes_closed.get(game) is True else "open"

    @classmethod
    def load(cls, path: Path | None, **defaults) -> "Settings":
        settings = cls(**defaults)
        if path is None or not Path(path).is_file():
            return settings
        try:
            stored = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return settings  # a damaged settings file: the defaults, and it is rewritten on the next change
        if not isinstance(stored, dict):
            return settings
        for name in ("orientation", "leg"):
            allowed = ORIENTATIONS if name == "orientation" else LEGS
            if stored.get(name) in allowed:
                setattr(settings, name, stored[name])
        from games.ghost import GHOST_MODES

        if stored.get("ghost") in GHOST_MODES:
            settings.ghost = stored["ghost"]
        for name in ("sound", "large_text"):
            if isinstance(stored.get(name), bool):
                setattr(settings, name, stored[name])
        from games.levels import EYES_CLOSED_GAMES, level_range
        from games.screens.cards import GAME_CHOICES

        levels = stored.get("levels")
        if isinstance(levels, dict):
            for choice in GAME_CHOICES:
                value = levels.get(choice.key)
                lo, hi = level_range(choice.game, choice.setup)
                if isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi:
                    settings.levels[choice.key] = value
        eyes = stored.get("eyes_closed")
        if isinstance(eyes, dict):
            for game in EYES_CLOSED_GAMES:
                if isinstance(eyes.get(game), bool):
                    settings.eyes_closed[game] = eyes[game]
        return settings

    def save(self, path: Path | None) -> None:
        if path is None:
            return
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # The board URL comes from the command line each time: it is not kept.
        data = {k: v for k, v in asdict(self).items() if k != "board_url"}
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


@dataclass
class Services:
    """What the screens are given by the app: the board, the stack, the settings and where rounds are kept."""

    board: BalanceInput
    stack: SceneStack
    settings: Settings
    rounds_dir: Path
    user: str | None = None  # the player: their rounds are also kept as sessions in the database
    db_url: str | None = None  # the tracker database (None: BALANCE_TRAINER_DB, else the data folder's)
    size: tuple[int, int] = DEFAULT_SIZE
    body_weight_kg: float | None = None
    settings_path: Path | None = None
    notice: str | None = None  # e.g. why `auto` fell back to a replay
    open_board: Callable[[str], BalanceInput] | None = None  # reopen with another URL (settings); None: cannot
    round_factory: Callable | None = None  # (game name) -> GameRound class; default games.registry.game_class
    extra: dict = field(default_factory=dict)

    def button_presses(self) -> int:
        """Presses of the board's own button since the last call (a Wii board has one; others none)."""
        drain = getattr(self.board.source, "drain_buttons", None)
        if drain is None:
            return 0
        return sum(1 for event in drain() if getattr(event, "pressed", False))

    def apply_sound(self) -> None:
        """Sound on: start pygame's mixer (the games play their cues only when it runs); off: stop it. A machine
        without a sound device stays silent."""
        if self.settings.sound and not pygame.mixer.get_init():
            try:
                pygame.mixer.init()
            except pygame.error:
                pass  # no sound device: the games' cues are on screen too
        elif not self.settings.sound and pygame.mixer.get_init():
            pygame.mixer.quit()

    def font(self, scale: float = 1.0) -> pygame.font.Font:
        return style.font(style.text_px(scale, self.settings.large_text))

    def store(self):
        """The tracker database, opened once for the app (trainer.store.Store); raises StoreError."""
        if self.extra.get("store") is None:
            from trainer.store import open_store

            self.extra["store"] = open_store(self.db_url)
        return self.extra["store"]

    def close_store(self) -> None:
        store = self.extra.pop("store", None)
        if store is not None:
            store.close()

    def game_class(self, name: str):
        if self.round_factory is not None:
            return self.round_factory(name)
        from games.registry import game_class

        return game_class(name)


def enter_event() -> pygame.event.Event:
    return pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0, unicode="\r", scancode=0)


def key_event(key: int, unicode: str = "") -> pygame.event.Event:
    return pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode=unicode, scancode=0)


def is_confirm(event) -> bool:
    return event.type == pygame.KEYDOWN and event.key in (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_SPACE)


def is_back(event) -> bool:
    return event.type == pygame.KEYDOWN and event.key in (pygame.K_ESCAPE, pygame.K_BACKSPACE)


def is_click(event) -> bool:
    return event.type == pygame.MOUSEBUTTONDOWN and getattr(event, "button", 1) == 1


POINTER_EVENTS = (pygame.MOUSEMOTION, pygame.WINDOWLEAVE, pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP)


def forward_pointer(source, event, to_board_mm: Callable[[tuple[int, int]], tuple[float, float]], *,
                    buttons: bool = True) -> None:
    """A board that follows the pointer (mouse://) is told where it is over the drawn board, that it left the
    window, and (with `buttons`) that a button is held: stepping off. Other boards ignore all this."""
    if event.type == pygame.MOUSEMOTION:
        method = getattr(source, "pointer_at", None)
        if method is not None:
            method(*to_board_mm(event.pos))
    elif event.type == pygame.WINDOWLEAVE:
        method = getattr(source, "pointer_left", None)
        if method is not None:
            method()
    elif buttons and event.type in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP) and event.button in (1, 2, 3):
        name = "pointer_pressed" if event.type == pygame.MOUSEBUTTONDOWN else "pointer_released"
        method = getattr(source, name, None)
        if method is not None:
            method()


class Screen(Scene):
    """A screen of the trainer: steps the board once per update (so its state is always current) and treats a press
    of the board's button as Enter."""

    def __init__(self, services: Services):
        self.services = services
        self.finished = False
        self.t_s = 0.0
        self.frame: CopFrame = services.board.frame

    def update(self, dt_s: float) -> None:
        self.t_s += dt_s
        self.frame = self.services.board.step(dt_s)
        for _ in range(self.services.button_presses()):
            self.handle(enter_event())
        if self.services.stack.top is not self or self.finished:
            return  # the press moved on to another screen: this one has nothing more to do
        self.tick(dt_s)

    def tick(self, dt_s: float) -> None:
        """The screen's own step, after the board's."""

    # --- drawing helpers ---------------------------------------------------------------------------------------
    @property
    def size(self) -> tuple[int, int]:
        return self.services.size

    def font(self, scale: float = 1.0):
        return self.services.font(scale)

    def text(self, surface, text: str, scale: float, colour, pos, *, anchor: str = "topleft") -> pygame.Rect:
        log = self.services.extra.get("drawn_texts")
        if log is not None:  # a test reading what a screen says sets this list (drawing changes no screen)
            log.append(text)
        image = self.font(scale).render(text, True, colour)
        rect = image.get_rect(**{anchor: pos})
        surface.blit(image, rect)
        return rect

    def lines(self, surface, text: str, scale: float, colour, pos, width_px: int, *, gap_px: int = 6) -> int:
        """Word-wrapped text from pos (top-left); returns the y below it."""
        x, y = pos
        font = self.font(scale)
        for line in wrap(text, font, width_px):
            y = self.text(surface, line, scale, colour, (x, y)).bottom + gap_px
        return y

    def title(self, surface, text: str) -> int:
        return self.text(surface, text, 2.0, style.TEXT, (MARGIN_PX, 28)).bottom + 16

    def keys_line(self, surface, text: str) -> None:
        width, height = self.size
        self.text(surface, text, 0.9, style.MUTED, (MARGIN_PX, height - 20), anchor="bottomleft")

    def board_status(self, surface, pos) -> int:
        """The board's state as a coloured shape and a word, and its identity; returns the y below it."""
        x, y = pos
        words, colour = state_words(self.frame)
        radius = self.font(1.0).get_height() // 3
        centre = (x + radius, y + self.font(1.0).get_height() // 2)
        if colour is style.GOOD:
            pygame.draw.circle(surface, colour, centre, radius)
        else:  # not only colour: a hollow ring when something is wrong
            pygame.draw.circle(surface, colour, centre, radius, width=max(3, radius // 3))
        y = self.text(surface, words, 1.0, colour, (x + 3 * radius, y)).bottom + 4
        identity = getattr(self.services.board.source, "identity", "")
        return self.text(surface, clip(f"Board: {identity}", self.font(0.8), self.size[0] - x - MARGIN_PX), 0.8,
                         style.MUTED, (x, y)).bottom + 4


def state_words(frame: CopFrame) -> tuple[str, tuple[int, int, int]]:
    state = frame.state
    if state is SourceState.DISCONNECTED:
        return "Board disconnected", style.BAD
    if state is SourceState.STALE:
        return "Board stale: no data for a moment", style.WARN
    if state is SourceState.CONNECTING:
        return "Connecting to the board...", style.MUTED
    if state is SourceState.ENDED:
        return "Recording ended", style.MUTED
    if frame.standing:
        return f"Board streaming: {frame.total_kg:.1f} kg on it", style.GOOD
    return "Board streaming: nobody on it", style.GOOD


def clip(text: str, font, width_px: int) -> str:
    if font.size(text)[0] <= width_px:
        return text
    while text and font.size(text + "…")[0] > width_px:
        text = text[:-1]
    return text + "…"


def wrap(text: str, font, width_px: int) -> list[str]:
    lines: list[str] = []
    for word in text.split(" "):
        if lines and font.size(lines[-1] + " " + word)[0] <= width_px:
            lines[-1] += " " + word
        else:
            lines.append(clip(word, font, width_px))
    return lines


def format_value(value, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return "–"
        if isinstance(value, int) or float(value).is_integer() and abs(value) >= 10:
            number = f"{value:.0f}"
        else:
            number = f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
        return f"{number} {unit}".strip()
    return str(value)
