"""What can be played (each game in each set-up) and its instruction card: a picture of the set-up drawn with
shapes (board, step, foam pad, feet, seen from above), two or three short lines, and the safety line."""
from __future__ import annotations

import math
from dataclasses import dataclass

import pygame

from games import style
from games.screens.ui import MARGIN_PX, Screen, Services, is_back, is_click, is_confirm, wrap

SAFETY_LINE = "Stop if you feel sharp pain. Keep a wall or a chair within reach."
GHOST_WORDS = {"off": "Ghost: off", "last": "Ghost: race your last round", "best": "Ghost: race your best round"}


@dataclass(frozen=True)
class GameChoice:
    key: str  # what the menu and the tests call it
    game: str  # games.registry name
    title: str
    setup: str | None
    foam: bool
    lines: tuple[str, ...]
    picture: str  # taps-target | taps-clock | single-leg | step | landing


GAME_CHOICES: tuple[GameChoice, ...] = (
    GameChoice("foot-taps-target", "foot-taps", "Foot taps: targets", "target", False,
               ("Stand on the floor behind the board.", "Tap the lit half with the foot the arrow calls.",
                "Put the foot back on the floor after each tap."), "taps-target"),
    GameChoice("foot-taps-clock", "foot-taps", "Foot taps: clock", "clock", False,
               ("Stand on one leg in the middle.", "Tap the hour called out with your other foot, lightly.",
                "Come back to standing still after each tap."), "taps-clock"),
    GameChoice("single-leg", "single-leg", "Single-leg balance", None, False,
               ("Stand on one leg in the middle of the board.", "Keep the dot inside the ring.",
                "Put the other foot down only if you must."), "single-leg"),
    GameChoice("single-leg-foam", "single-leg", "Single-leg on foam", None, True,
               ("Put the foam pad on the board.", "Stand on one leg on the foam.",
                "Keep the dot inside the ring."), "single-leg-foam"),
    GameChoice("step-down-step", "step-down", "Step-downs", "step", False,
               ("Stand on the step behind the board.", "Lower one heel slowly to touch the board, lightly.",
                "Go back up. Keep the knee over the toes."), "step"),
    GameChoice("step-down-landing", "step-down", "Step-down landings", "landing", False,
               ("Stand on the step behind the board.", "Step down onto the board and land softly.",
                "Stand still, then step back up."), "landing"),
)


def choice_by_key(key: str) -> GameChoice:
    for choice in GAME_CHOICES:
        if choice.key == key:
            return choice
    raise ValueError(f"unknown game choice '{key}'")


EYES_CLOSED_LINE = "Close your eyes when the countdown ends; follow the tones."


def card_level_lines(services: Services, choice: GameChoice) -> list[tuple[str, tuple[int, int, int]]]:
    """(text, colour) of the card's level line and, eyes closed, what to do."""
    from games.levels import level_range

    level = services.settings.level_for(choice)
    lo, hi = level_range(choice.game, choice.setup)
    lines = [(f"Level {level}" if hi > lo else "Level 1 (this game has one level)", style.TEXT)]
    if services.settings.eyes_for(choice.game) == "closed":
        lines.append((EYES_CLOSED_LINE, style.YELLOW))
    return lines


def card_buttons(size) -> list[tuple[str, pygame.Rect]]:
    """The card's two buttons, for the mouse: ('start', rect), ('back', rect)."""
    width, height = size
    start = pygame.Rect(width - MARGIN_PX - 300, height - 150, 300, 80)
    back = pygame.Rect(start.left - 240, height - 150, 220, 80)
    return [("start", start), ("back", back)]


class InstructionCard(Screen):
    def __init__(self, services: Services, choice: GameChoice):
        super().__init__(services)
        self.choice = choice
        self.focus = "start"

    def handle(self, event) -> None:
        if event.type == pygame.KEYDOWN and event.key == pygame.K_g:
            self.next_ghost_mode()
            return
        if event.type == pygame.KEYDOWN and event.key in (pygame.K_LEFT, pygame.K_RIGHT, pygame.K_TAB):
            self.focus = "back" if self.focus == "start" else "start"
        elif is_confirm(event):
            self._act(self.focus)
        elif is_back(event):
            self._act("back")
        elif is_click(event):
            for name, rect in card_buttons(self.size):
                if rect.collidepoint(event.pos):
                    self._act(name)

    def next_ghost_mode(self) -> None:
        """G: race nobody, your last round, or your best (kept in the settings)."""
        from games.ghost import GHOST_MODES

        settings = self.services.settings
        settings.ghost = GHOST_MODES[(GHOST_MODES.index(settings.ghost) + 1) % len(GHOST_MODES)]
        try:
            settings.save(self.services.settings_path)
        except OSError:
            pass  # kept for the session

    def _act(self, name: str) -> None:
        if name == "back":
            self.finished = True
            return
        from games.screens.play import CountdownScreen

        self.services.stack.replace(CountdownScreen(self.services, self.choice))

    def draw(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        width, height = self.size
        y = self.title(surface, self.choice.title)
        picture = pygame.Rect(MARGIN_PX, y + 10, width // 2 - MARGIN_PX, height - y - 226)
        draw_setup(surface, self.choice.picture, picture, leg=self.services.settings.leg,
                   font=self.font(0.8))
        # The safety line is never cut short: it wraps (large text), and the band grows upwards.
        safety = wrap(SAFETY_LINE, self.font(1.2), width - 2 * MARGIN_PX)
        line_h = self.font(1.2).get_linesize()
        band = pygame.Rect(MARGIN_PX - 12, 0, width - 2 * MARGIN_PX + 24, line_h * len(safety) + 12)
        band.bottom = height - 160
        x = width // 2 + 20
        # The lines, the leg and level, and (eyes closed) what to do: smaller type where they would reach the band.
        level_lines = card_level_lines(self.services, self.choice)
        paragraphs = [(line, 1.2, style.TEXT, 14) for line in self.choice.lines]
        paragraphs.append((f"Leg: {self.services.settings.leg}    {level_lines[0][0]}", 1.0, style.MUTED, 14))
        paragraphs.append((GHOST_WORDS[self.services.settings.ghost] + "  (G to change)", 1.0, style.MUTED, 14))
        paragraphs += [(line, 1.0, colour, 10) for line, colour in level_lines[1:]]
        room = band.top - 8 - (y + 10)
        fit = 0.5
        for k in (1.0, 0.9, 0.8, 0.7, 0.6):
            need = sum(len(wrap(text, self.font(scale * k), width - x - MARGIN_PX)) * (self.font(scale * k).get_height()
                       + 6) + gap for text, scale, _, gap in paragraphs)
            if need <= room:
                fit = k
                break
        text_y = y + 10
        for text, scale, colour, gap in paragraphs:
            text_y = self.lines(surface, text, scale * fit, colour, (x, text_y), width - x - MARGIN_PX) + gap
        pygame.draw.rect(surface, style.BAD, band, border_radius=6)
        for i, line in enumerate(safety):
            self.text(surface, line, 1.2, style.TEXT, (MARGIN_PX, band.top + 6 + i * line_h))
        for name, rect in card_buttons(self.size):
            focused = name == self.focus
            pygame.draw.rect(surface, style.YELLOW if focused else style.PANEL, rect, border_radius=10)
            pygame.draw.rect(surface, style.TEXT, rect, width=3 if focused else 1, border_radius=10)
            self.text(surface, "Start" if name == "start" else "Back", 1.4,
                      style.BACKGROUND if focused else style.TEXT, rect.center, anchor="center")
        self.keys_line(surface, "Enter: start    Esc: back    Left/Right: choose")


# --- the set-up pictures (seen from above, forward up) ---------------------------------------------------------
FOAM = (214, 170, 90)
STEP = (120, 108, 96)
FOOT = style.TEXT
FOOT_UP = style.SKY_BLUE  # the foot that moves


def _foot(surface, centre, length_px: int, colour, *, filled: bool = True) -> None:
    """A sole seen from above: an oval with a round toe end (forward is up)."""
    w = max(6, length_px * 2 // 5)
    rect = pygame.Rect(0, 0, w, length_px)
    rect.center = centre
    pygame.draw.ellipse(surface, colour, rect, 0 if filled else 3)
    pygame.draw.circle(surface, colour, (rect.centerx, rect.top + w // 2), w // 2, 0 if filled else 3)


def _label(surface, font, text, pos, colour=style.MUTED) -> None:
    image = font.render(text, True, colour)
    surface.blit(image, image.get_rect(center=pos))


def draw_setup(surface, picture: str, box: pygame.Rect, *, leg: str = "right", font=None) -> None:
    """The set-up in `box`: board, step, foam pad and feet from above; the moving foot in blue, hollow."""
    font = font or style.font(24)
    pygame.draw.rect(surface, style.PANEL, box, border_radius=12)
    # The board: 511 x 316 mm, as large as the box allows with room around it.
    with_step = picture in ("step", "landing")
    scale = min(box.width * 0.55 / 511, box.height * (0.34 if with_step else 0.45) / 316)
    board = pygame.Rect(0, 0, int(511 * scale), int(316 * scale))
    board.center = box.center
    if with_step:
        board.top = box.top + 48
    foot_px = int(260 * scale)
    side = 1 if leg == "right" else -1  # the stance leg's side, to the player's right on screen
    if picture in ("step", "landing"):
        step = pygame.Rect(0, 0, board.width + 40, int(board.height * 0.8))
        step.midtop = (board.centerx, board.bottom + 16)
        pygame.draw.rect(surface, STEP, step, border_radius=6)
        pygame.draw.rect(surface, style.TEXT, step, width=2, border_radius=6)
        _label(surface, font, "step (15–20 cm)", (step.centerx, step.bottom - 16))
    pygame.draw.rect(surface, (200, 204, 212), board, border_radius=int(20 * scale) + 2)
    pygame.draw.rect(surface, style.TEXT, board, width=3, border_radius=int(20 * scale) + 2)
    _label(surface, font, "board", (board.centerx, board.top - 18))
    if picture == "single-leg-foam":
        pad = board.inflate(-board.width // 3, -board.height // 6)
        pygame.draw.rect(surface, FOAM, pad, border_radius=14)
        for k in range(pad.left + 10, pad.right - 4, 16):
            pygame.draw.line(surface, (170, 130, 60), (k, pad.top + 6), (k, pad.bottom - 6), 2)
        _label(surface, font, "foam pad", (pad.centerx, board.bottom + 18))
    if picture in ("single-leg", "single-leg-foam"):
        _foot(surface, (board.centerx + side * foot_px // 5, board.centery), foot_px, FOOT)
        _foot(surface, (board.centerx - side * foot_px * 3 // 5, board.centery - foot_px // 6), foot_px,
              FOOT_UP, filled=False)
        _label(surface, font, "lifted", (board.centerx - side * foot_px * 3 // 5, board.centery + foot_px // 2 + 10),
               FOOT_UP)
    elif picture == "taps-target":
        stance = (board.left - foot_px // 2 if side < 0 else board.right + foot_px // 2, board.centery)
        _foot(surface, stance, foot_px, FOOT)
        for k, (dx, dy) in enumerate(((-0.3, -0.25), (0.0, -0.25), (0.3, -0.25), (-0.3, 0.2), (0.3, 0.2))):
            centre = (int(board.centerx + dx * board.width), int(board.centery + dy * board.height))
            pygame.draw.circle(surface, style.TARGET if k == 1 else style.MUTED, centre, max(8, foot_px // 6),
                               0 if k == 1 else 3)
        _label(surface, font, "tap the lit target", (board.centerx, board.bottom + 18), FOOT_UP)
    elif picture == "taps-clock":
        _foot(surface, board.center, foot_px, FOOT)
        radius = int(min(board.width, board.height) * 0.42)
        for hour in range(12):
            angle = math.radians(90 - 30 * hour)
            pos = (int(board.centerx + radius * 1.25 * math.cos(angle)),
                   int(board.centery - radius * math.sin(angle)))
            _label(surface, font, str(hour or 12), pos, style.TARGET if hour == 3 else style.MUTED)
        _label(surface, font, "tap the hour called", (board.centerx, board.bottom + 18), FOOT_UP)
    elif picture in ("step", "landing"):
        step_y = board.bottom + 16 + int(board.height * 0.4)
        _foot(surface, (board.centerx + side * foot_px // 3, step_y - foot_px // 8), foot_px, FOOT)
        target = (board.centerx - side * foot_px // 3, board.centery + foot_px // 8)
        _foot(surface, target, foot_px, FOOT_UP, filled=False)
        pygame.draw.line(surface, FOOT_UP, (target[0], step_y - foot_px // 4), (target[0], target[1] + foot_px // 2),
                         3)
        label = font.render("down lightly" if picture == "step" else "land softly", True, FOOT_UP)
        where = {"midright": (target[0] - foot_px // 3, target[1])} if side > 0 else \
            {"midleft": (target[0] + foot_px // 3, target[1])}
        surface.blit(label, label.get_rect(**where))
    _label(surface, font, "front", (box.right - 60, box.top + 44))
    tip = (box.right - 60, box.top + 12)
    pygame.draw.polygon(surface, style.MUTED, [tip, (tip[0] - 9, tip[1] + 14), (tip[0] + 9, tip[1] + 14)])
