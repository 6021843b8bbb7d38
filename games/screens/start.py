"""The first screens: who plays on which board, then the step-off tare and the step-on weighing."""
from __future__ import annotations

import math

import numpy as np
import pygame

from games import style
from games.live_view import BOARD_MARGIN_MM
from games.screens.ui import (
    MARGIN_PX, POINTER_EVENTS, Screen, Services, forward_pointer, is_click, is_confirm,
)
from trainer.errors import TareError

EMPTY_FOR_TARE_S = 1.0  # the board must stay empty this long before it is tared
WEIGH_WINDOW_S = 2.0  # body weight: the median total over this much still standing
STILL_RANGE_KG = 3.0  # "still": the total stays within this range (max - min) over the window...
STILL_RANGE_FRACTION = 0.05  # ...or within this fraction of the weight, whichever is larger
DONE_SHOWN_S = 2.5  # the weight is shown this long before the menu comes by itself


class StartScreen(Screen):
    """The board and its state, who is playing, and the keys to go on."""

    def __init__(self, services: Services, *, next_screen=None):
        super().__init__(services)
        self.next_screen = next_screen  # () -> Screen after Enter; default: the weighing, then the game menu

    def handle(self, event) -> None:
        if event.type in POINTER_EVENTS:
            forward_pointer(self.services.board.source, event, self.pointer_mm, buttons=False)
        if is_confirm(event) or is_click(event):
            self.services.stack.push(self.next_screen() if self.next_screen else self.default_next())
        elif event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.finished = True

    def default_next(self):
        """A player named on the command line goes to the weighing; otherwise they choose a profile first. After
        the weighing: the player's day in the program, or, for a guest, the games."""
        from games.screens.program import ProfileScreen

        def weigh():
            return WeighScreen(self.services, next_screen=after_weighing)

        def after_weighing():
            from games.screens.menu import GameMenu
            from games.screens.program import TodayScreen

            return TodayScreen(self.services) if self.services.user else GameMenu(self.services)

        return weigh() if self.services.user else ProfileScreen(self.services, next_screen=weigh)

    def draw(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        width, height = self.size
        y = self.title(surface, "Balance trainer")
        y = self.board_status(surface, (MARGIN_PX, y + 10)) + 24
        player = self.services.user or "guest (no name given)"
        y = self.text(surface, f"Playing: {player}", 1.3, style.TEXT, (MARGIN_PX, y)).bottom + 8
        settings = self.services.settings
        y = self.text(surface, f"Leg: {settings.leg}    Sound: {'on' if settings.sound else 'off'}", 1.0,
                      style.MUTED, (MARGIN_PX, y)).bottom + 8
        if self.services.body_weight_kg is not None:
            y = self.text(surface, f"Body weight: {self.services.body_weight_kg:.1f} kg", 1.0, style.MUTED,
                          (MARGIN_PX, y)).bottom + 8
        if self.services.notice:
            y = self.lines(surface, self.services.notice, 0.8, style.WARN, (MARGIN_PX, y + 8),
                           width - 2 * MARGIN_PX)
        draw_board_top(surface, start_board_box(self.size), self.frame, self.services.board.geometry)
        self.text(surface, "Press Enter (or the board's button, or click) to begin", 1.3, style.YELLOW,
                  (MARGIN_PX, height - 90), anchor="bottomleft")
        self.keys_line(surface, "Enter: go on    Esc: quit")


    def pointer_mm(self, pos) -> tuple[float, float]:
        return screen_to_board_mm(pos, start_board_box(self.size), self.services.board.geometry)


def start_board_box(size) -> pygame.Rect:
    return pygame.Rect(size[0] - 520, size[1] - 330, 460, 240)


def weigh_board_box(size) -> pygame.Rect:
    return pygame.Rect(size[0] - 420, size[1] - 300, 360, 200)


def small_board(box: pygame.Rect, geometry) -> tuple[pygame.Rect, float]:
    """The drawn board (with its edge beyond the sensors) centred in box, and its pixels per mm."""
    half_x = geometry.half_x_mm + BOARD_MARGIN_MM
    half_y = geometry.half_y_mm + BOARD_MARGIN_MM
    scale = min(box.width / (2 * half_x), box.height / (2 * half_y))
    board = pygame.Rect(0, 0, int(2 * half_x * scale), int(2 * half_y * scale))
    board.center = box.center
    return board, scale


def screen_to_board_mm(pos, box: pygame.Rect, geometry) -> tuple[float, float]:
    board, scale = small_board(box, geometry)
    return (pos[0] - board.centerx) / scale, (board.centery - pos[1]) / scale


def draw_board_top(surface, box: pygame.Rect, frame, geometry) -> None:
    """A small board seen from above with the COP as a dot: the board is alive."""
    board, scale = small_board(box, geometry)
    pygame.draw.rect(surface, style.PANEL, board, border_radius=18)
    pygame.draw.rect(surface, style.MUTED, board, width=3, border_radius=18)
    pygame.draw.line(surface, style.MUTED, (board.centerx, board.top + 12), (board.centerx, board.bottom - 12), 1)
    if frame.standing and math.isfinite(frame.cop_x_mm) and math.isfinite(frame.cop_y_mm):
        px = int(round(board.centerx + frame.cop_x_mm * scale))
        py = int(round(board.centery - frame.cop_y_mm * scale))
        pygame.draw.circle(surface, (0, 0, 0), (px, py), 13)
        pygame.draw.circle(surface, style.MARKER, (px, py), 11)


class WeighScreen(Screen):
    """"Step off" → tare; "step on and stand still" → body weight = median total over 2 s of still standing."""

    def __init__(self, services: Services, *, next_screen=None):
        super().__init__(services)
        self.next_screen = next_screen  # () -> Screen that replaces this one when done; default: the game menu
        self.phase = "off"  # off -> on -> done
        self.empty_s = 0.0
        self.message: str | None = None
        self.weight_kg: float | None = None
        self.done_s = 0.0

    def handle(self, event) -> None:
        if event.type in POINTER_EVENTS and self.phase != "done":
            # With mouse://, holding a button is stepping off and letting go stepping back on.
            forward_pointer(self.services.board.source, event, self.pointer_mm)
            return
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self._go_on()  # skip: the rounds weigh the player themselves
        elif (is_confirm(event) or is_click(event)) and self.phase == "done":
            self._go_on()

    def pointer_mm(self, pos) -> tuple[float, float]:
        return screen_to_board_mm(pos, weigh_board_box(self.size), self.services.board.geometry)

    def _go_on(self) -> None:
        if self.next_screen is not None:
            self.services.stack.replace(self.next_screen())
        else:
            from games.screens.menu import GameMenu

            self.services.stack.replace(GameMenu(self.services))

    def tick(self, dt_s: float) -> None:
        frame = self.frame
        board = self.services.board
        if self.phase == "off":
            empty = math.isfinite(frame.total_kg) and not frame.standing
            self.empty_s = self.empty_s + dt_s if empty else 0.0
            if self.empty_s >= EMPTY_FOR_TARE_S:
                try:
                    board.tare(EMPTY_FOR_TARE_S)
                except TareError as error:
                    self.message = str(error)
                    self.empty_s = 0.0
                else:
                    self.message = None
                    self.phase = "on"
        elif self.phase == "on":
            weight = still_weight_kg(board)
            if weight is not None:
                self.weight_kg = weight
                self.services.body_weight_kg = weight
                self.phase = "done"
        else:
            self.done_s += dt_s
            if self.done_s >= DONE_SHOWN_S:
                self._go_on()

    def draw(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        width, height = self.size
        y = self.title(surface, "Weighing")
        y = self.board_status(surface, (MARGIN_PX, y)) + 30
        if self.phase == "off":
            big, small = "Step off the board", "Leave it empty for a moment: it is zeroed when nothing is on it."
        elif self.phase == "on":
            big, small = "Step on and stand still", "Both feet on the board, arms by your sides, for 2 seconds."
        else:
            big, small = f"Your weight: {self.weight_kg:.1f} kg", "Thank you. Now choose a game."
        y = self.text(surface, big, 2.4, style.YELLOW, (MARGIN_PX, y)).bottom + 20
        y = self.lines(surface, small, 1.2, style.TEXT, (MARGIN_PX, y), width - 2 * MARGIN_PX)
        if self.phase == "on" and self.frame.standing:
            y = self.text(surface, f"{self.frame.total_kg:.1f} kg", 1.6, style.MUTED, (MARGIN_PX, y + 10)).bottom
        if self.message:
            self.lines(surface, self.message, 1.0, style.WARN, (MARGIN_PX, y + 20), width - 2 * MARGIN_PX)
        draw_board_top(surface, weigh_board_box(self.size), self.frame, self.services.board.geometry)
        self.keys_line(surface, "Esc: skip (the game weighs you itself)" if self.phase != "done"
                       else "Enter: go on    Esc: go on")


def still_weight_kg(board, window_s: float = WEIGH_WINDOW_S) -> float | None:
    """The median total load of the last `window_s` if someone stood on the board, still, all that time; else None."""
    history = board.recent(window_s + 0.5)
    t, total = history.t_s, history.total_kg
    if len(t) < 2:
        return None
    in_window = t >= t[-1] - window_s - 1e-9
    t, total = t[in_window], total[in_window]
    if t[-1] - t[0] < window_s * 0.95 or len(t) < 10:
        return None
    standing = np.isfinite(total) & (total >= board.min_standing_kg) & np.isfinite(history.cop_x_mm[in_window])
    if not standing.all():
        return None
    median = float(np.median(total))
    if float(total.max() - total.min()) > max(STILL_RANGE_KG, STILL_RANGE_FRACTION * median):
        return None
    return median
