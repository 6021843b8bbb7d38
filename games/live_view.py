"""The live view: the board seen from above, to scale, with the COP as a dot and a fading trail, the load, the
source's state, and the sway measures of the last 10 s.

`board_view_rect` and `board_to_screen` are pure: tests use them to know where the dot must be. `screen_to_board` is
the inverse: with `mouse://` the pointer's position over the board is handed to the source (`pointer_at`), leaving
the window to `pointer_left`, and a mouse button held to `pointer_pressed` / `pointer_released` (stepping off).
"""
from __future__ import annotations

import math
from collections import deque
from typing import Callable

import numpy as np
import pygame

from games.app import FIXED_STEP_S, open_window, run_scenes, save_screenshot
from games.scene import Scene, SceneStack
from hardware.samples import BoardGeometry
from hardware.sources import LoadSource, SourceState
from trainer.balance_input import BalanceInput, CopFrame
from trainer.errors import TareError

# The Wii Balance Board is 511 x 316 mm with its sensors 433 x 238 mm apart: 39 mm of board beyond the sensors on
# every side. BoardGeometry only knows the sensors, so every board is drawn with that margin.
BOARD_MARGIN_MM = 39.0
TRAIL_S = 2.0
MEASURES_WINDOW_S = 10.0
MEASURES_MIN_S = 3.0  # below this much standing the measures mean little
MEASURES_EVERY_STEPS = 30  # refresh the measures every half second of game time
ZOOM_SCALES_MM = (5.0, 10.0, 25.0, 50.0, 100.0, 250.0)  # the zoom's half-width: the first that holds the path

PANEL_WIDTH_PX = 320
NOTICE_HEIGHT_PX = 40
BOARD_PAD_PX = 20
BOARD_SIDE_PX = 64  # room beside the board for the "left" and "right" labels
BOARD_TOP_PX = 56  # room for the heading above the board
LEGEND_HEIGHT_PX = 150  # room below the board for the scale bar, the legend and the keys
# The COP is low-passed at 10 Hz, as in the BDS data set (Santos & Duarte 2016), so the mean velocity shown is
# comparable to its norms; unfiltered, a Wii board's sensor noise alone adds some 20 mm/s at 100 Hz.
LOW_PASS_HZ = 10.0

BACKGROUND = (17, 20, 26)
PANEL = (27, 31, 40)
BOARD_FILL = (46, 52, 64)
BOARD_EDGE = (125, 135, 155)
GRID = (58, 65, 80)
SENSOR = (160, 170, 190)
CENTRE_MARK = (185, 190, 205)
DOT = (255, 196, 36)
DOT_EDGE = (20, 20, 20)
PATH = (110, 190, 255)
TEXT = (232, 235, 242)
MUTED = (150, 157, 172)
GOOD = (95, 205, 125)
WARN = (245, 175, 65)
BAD = (238, 92, 82)
NOTICE_FILL = (58, 47, 20)
NOTICE_TEXT = (255, 216, 135)

_POINTER_EVENTS = (pygame.MOUSEMOTION, pygame.WINDOWLEAVE, pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP)
_UNITS = (("_mm_s3", "mm/s³"), ("_mm_s", "mm/s"), ("_cm_s", "cm/s"), ("_mm2", "mm²"), ("_cm2", "cm²"),
          ("_mm", "mm"), ("_cm", "cm"), ("_hz", "Hz"), ("_pct", "%"), ("_kg", "kg"), ("_s", "s"))


def board_outline_mm(geometry: BoardGeometry) -> tuple[float, float]:
    """Half-width and half-depth of the drawn board, in mm."""
    return geometry.half_x_mm + BOARD_MARGIN_MM, geometry.half_y_mm + BOARD_MARGIN_MM


def board_view_rect(size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(left, top, width, height) of the area the board is drawn in, for a window of `size` pixels."""
    width, height = size
    area_w = width - PANEL_WIDTH_PX - 2 * BOARD_SIDE_PX
    area_h = height - NOTICE_HEIGHT_PX - BOARD_TOP_PX - LEGEND_HEIGHT_PX
    return BOARD_SIDE_PX, BOARD_TOP_PX, max(area_w, 1), max(area_h, 1)


def board_scale_px_per_mm(geometry: BoardGeometry, view_rect) -> float:
    half_w, half_h = board_outline_mm(geometry)
    return min(view_rect[2] / (2 * half_w), view_rect[3] / (2 * half_h))


def board_to_screen(x_mm: float, y_mm: float, geometry: BoardGeometry, view_rect) -> tuple[int, int]:
    """Screen pixel of board point (x_mm, y_mm) (DESIGN B.1: x to the user's right, y forward), the board drawn to
    scale and centred in view_rect, forward pointing up the screen."""
    left, top, width, height = view_rect
    scale = board_scale_px_per_mm(geometry, view_rect)
    return (int(round(left + width / 2 + x_mm * scale)), int(round(top + height / 2 - y_mm * scale)))


def screen_to_board(px: float, py: float, geometry: BoardGeometry, view_rect) -> tuple[float, float]:
    """Board point (x_mm, y_mm) under screen pixel (px, py): the inverse of board_to_screen (which rounds to whole
    pixels, so board_to_screen(*screen_to_board(px, py)) == (px, py) for whole pixels)."""
    left, top, width, height = view_rect
    scale = board_scale_px_per_mm(geometry, view_rect)
    return (px - left - width / 2) / scale, (top + height / 2 - py) / scale


def measure_label(key: str) -> tuple[str, str]:
    """('Mean velocity', 'mm/s') for 'mean_velocity_mm_s': the name without its unit, and the unit."""
    unit = ""
    for suffix, text in _UNITS:
        if key.endswith(suffix):
            key, unit = key[: -len(suffix)], text
            break
    words = [{"ml": "ML", "ap": "AP", "rms": "RMS", "cop": "COP"}.get(w, w) for w in key.split("_")]
    label = " ".join(words)
    return label[:1].upper() + label[1:], unit


def _blend(colour, towards, amount: float):
    return tuple(int(round(c + (t - c) * amount)) for c, t in zip(colour, towards))


class Fonts:
    """pygame's default font at the sizes the view uses; made after pygame.font.init()."""

    def __init__(self):
        self.title = pygame.font.Font(None, 34)
        self.large = pygame.font.Font(None, 30)
        self.body = pygame.font.Font(None, 24)
        self.small = pygame.font.Font(None, 20)


class LiveViewScene(Scene):
    def __init__(self, board: BalanceInput, fonts: Fonts, *, identity: str, notice: str | None = None,
                 sway_summary: Callable | None = None, size: tuple[int, int] = (960, 640)):
        self.board = board
        self.fonts = fonts
        self.identity = identity
        self.notice = notice
        self.sway_summary = sway_summary
        self.size = size
        self.geometry = board.geometry
        self.view_rect = board_view_rect(size)
        self.frame: CopFrame = board.frame
        self.trail: deque[tuple[float, float] | None] = deque(maxlen=max(2, round(TRAIL_S / FIXED_STEP_S)))
        self.t_s = 0.0
        self.measures: dict[str, float] | None = None
        self.measures_span_s = 0.0
        self.standing_s = 0.0
        self.zoom_path_mm: np.ndarray | None = None  # (n, 2) last-10-s path about its mean
        self.zoom_half_mm = ZOOM_SCALES_MM[0]
        self.message: tuple[str, float] | None = None  # (text, until t_s)
        self.steps = 0

    # --- state -------------------------------------------------------------------------------------------------
    def handle(self, event) -> None:
        if event.type in _POINTER_EVENTS:
            self._pointer(event)
            return
        if event.type != pygame.KEYDOWN:
            return
        if event.key == pygame.K_ESCAPE:
            self.finished = True
        elif event.key == pygame.K_t:
            try:
                tare = self.board.tare()
                self.message = (f"Tared: {' '.join(f'{v:+.2f}' for v in tare)} kg", self.t_s + 3.0)
            except TareError as error:
                self.message = (str(error), self.t_s + 4.0)

    def _pointer(self, event) -> None:
        """A source that follows the pointer (mouse://) is told where it is, in board millimetres."""
        source = self.board.source
        if event.type == pygame.MOUSEMOTION:
            pointer_at = getattr(source, "pointer_at", None)
            if pointer_at is not None:
                pointer_at(*screen_to_board(*event.pos, self.geometry, self.view_rect))
        elif event.type == pygame.WINDOWLEAVE:
            pointer_left = getattr(source, "pointer_left", None)
            if pointer_left is not None:
                pointer_left()
        elif event.button in (1, 2, 3):  # not the wheel (4, 5)
            name = "pointer_pressed" if event.type == pygame.MOUSEBUTTONDOWN else "pointer_released"
            method = getattr(source, name, None)
            if method is not None:
                method()

    def update(self, dt_s: float) -> None:
        self.t_s += dt_s
        self.steps += 1
        self.frame = frame = self.board.step(dt_s)
        self.trail.append((frame.cop_x_mm, frame.cop_y_mm) if frame.standing else None)
        if self.steps % MEASURES_EVERY_STEPS == 0:
            self._update_measures()
        if self.message is not None and self.t_s >= self.message[1]:
            self.message = None

    def _update_measures(self) -> None:
        history = self.board.recent(MEASURES_WINDOW_S)
        standing = np.isfinite(history.cop_x_mm) & np.isfinite(history.cop_y_mm)
        # Only the samples since the person last stepped on count.
        breaks = np.flatnonzero(~standing)
        start = breaks[-1] + 1 if len(breaks) else 0
        t, x, y = history.t_s[start:], history.cop_x_mm[start:], history.cop_y_mm[start:]
        self.standing_s = float(t[-1] - t[0]) if len(t) > 1 else 0.0
        if self.standing_s < MEASURES_MIN_S:
            self.measures, self.zoom_path_mm = None, None
            return
        self.measures_span_s = self.standing_s
        self.measures = dict(self.sway_summary(t, x, y)) if self.sway_summary is not None else None
        path = np.column_stack((x - x.mean(), y - y.mean()))
        reach = float(np.percentile(np.hypot(path[:, 0], path[:, 1]), 95))
        self.zoom_half_mm = next((s for s in ZOOM_SCALES_MM if reach <= 0.9 * s), ZOOM_SCALES_MM[-1])
        self.zoom_path_mm = path

    def status(self) -> tuple[str, tuple[int, int, int]]:
        """The state line and its colour."""
        state = self.frame.state
        if state is SourceState.DISCONNECTED:
            return "Disconnected", BAD
        if state is SourceState.ENDED:
            return "Ended", MUTED
        if state is SourceState.STALE:
            return "Stale: no data for a moment", WARN
        if state is SourceState.CONNECTING:
            return "Connecting...", MUTED
        if not self.frame.standing:
            return "Streaming: nobody on the board", WARN
        return "Streaming", GOOD

    def measure_lines(self) -> list[tuple[str, str]]:
        """(label, value with unit) for each measure on show."""
        if not self.measures:
            return []
        lines = []
        for key, value in self.measures.items():
            label, unit = measure_label(key)
            number = "–" if value is None or not math.isfinite(value) else f"{value:.3g}" if abs(value) < 100 \
                else f"{value:.0f}"
            lines.append((label, f"{number} {unit}".strip()))
        return lines

    # --- drawing -----------------------------------------------------------------------------------------------
    def draw(self, surface) -> None:
        surface.fill(BACKGROUND)
        self._draw_board(surface)
        self._draw_legend(surface)
        self._draw_panel(surface)
        if self.notice:
            self._draw_notice(surface)

    def _text(self, surface, font, text, colour, pos, *, anchor="topleft"):
        image = font.render(text, True, colour)
        rect = image.get_rect(**{anchor: pos})
        surface.blit(image, rect)
        return rect

    def _draw_board(self, surface) -> None:
        geometry, view = self.geometry, self.view_rect
        to_px = lambda x, y: board_to_screen(x, y, geometry, view)  # noqa: E731
        scale = board_scale_px_per_mm(geometry, view)
        self._text(surface, self.fonts.large, "Board, seen from above", TEXT, (BOARD_PAD_PX, 16))
        half_w, half_h = board_outline_mm(geometry)
        left, top = to_px(-half_w, half_h)
        right, bottom = to_px(half_w, -half_h)
        outline = pygame.Rect(left, top, right - left, bottom - top)
        pygame.draw.rect(surface, BOARD_FILL, outline, border_radius=int(25 * scale))
        # A 50 mm grid, clipped to the sensor rectangle.
        hx, hy = geometry.half_x_mm, geometry.half_y_mm
        for gx in np.arange(-math.floor(hx / 50) * 50, hx + 1e-9, 50.0):
            pygame.draw.line(surface, GRID, to_px(gx, -hy), to_px(gx, hy))
        for gy in np.arange(-math.floor(hy / 50) * 50, hy + 1e-9, 50.0):
            pygame.draw.line(surface, GRID, to_px(-hx, gy), to_px(hx, gy))
        pygame.draw.rect(surface, BOARD_EDGE, outline, width=2, border_radius=int(25 * scale))
        for sx, sy in ((-hx, hy), (hx, hy), (-hx, -hy), (hx, -hy)):
            px, py = to_px(sx, sy)
            pygame.draw.rect(surface, SENSOR, pygame.Rect(px - 5, py - 5, 11, 11), width=2)
        cx, cy = to_px(0.0, 0.0)
        pygame.draw.line(surface, CENTRE_MARK, (cx - 10, cy), (cx + 10, cy), 2)
        pygame.draw.line(surface, CENTRE_MARK, (cx, cy - 10), (cx, cy + 10), 2)
        self._text(surface, self.fonts.small, "front", MUTED, (cx, top - 4), anchor="midbottom")
        self._text(surface, self.fonts.small, "back", MUTED, (cx, bottom + 4), anchor="midtop")
        self._text(surface, self.fonts.small, "left", MUTED, (left - 4, cy), anchor="midright")
        self._text(surface, self.fonts.small, "right", MUTED, (right + 4, cy), anchor="midleft")
        # Scale bar: 100 mm.
        bar_y = bottom + 30
        bar_px = 100 * scale
        pygame.draw.line(surface, MUTED, (left, bar_y), (left + bar_px, bar_y), 2)
        for end in (left, left + bar_px):
            pygame.draw.line(surface, MUTED, (end, bar_y - 4), (end, bar_y + 4), 2)
        self._text(surface, self.fonts.small, "100 mm", MUTED, (left + bar_px + 8, bar_y), anchor="midleft")
        # The trail, oldest faintest; a gap wherever nobody stood.
        points = list(self.trail)
        n = len(points)
        for i in range(1, n):
            a, b = points[i - 1], points[i]
            if a is None or b is None:
                continue
            colour = _blend(DOT, BOARD_FILL, 1.0 - i / n)
            pygame.draw.line(surface, colour, to_px(*a), to_px(*b), 3)
        if self.frame.standing:
            px, py = to_px(self.frame.cop_x_mm, self.frame.cop_y_mm)
            pygame.draw.circle(surface, DOT_EDGE, (px, py), 11)
            pygame.draw.circle(surface, DOT, (px, py), 9)

    def _draw_legend(self, surface) -> None:
        left = BOARD_PAD_PX
        top = board_to_screen(0.0, -board_outline_mm(self.geometry)[1], self.geometry, self.view_rect)[1] + 58
        items = (("dot", "centre of pressure now"), ("trail", f"its path, last {TRAIL_S:g} s"),
                 ("cross", "board centre (between the sensors)"), ("sensor", "load sensors"))
        for i, (kind, text) in enumerate(items):
            x, y = left + (i % 2) * 300, top + (i // 2) * 28
            mid = (x + 12, y + 9)
            if kind == "dot":
                pygame.draw.circle(surface, DOT_EDGE, mid, 9)
                pygame.draw.circle(surface, DOT, mid, 7)
            elif kind == "trail":
                for k in range(4):
                    pygame.draw.line(surface, _blend(DOT, BACKGROUND, 0.75 - 0.2 * k),
                                     (x + 6 * k, y + 9), (x + 6 * k + 6, y + 9), 3)
            elif kind == "cross":
                pygame.draw.line(surface, CENTRE_MARK, (mid[0] - 8, mid[1]), (mid[0] + 8, mid[1]), 2)
                pygame.draw.line(surface, CENTRE_MARK, (mid[0], mid[1] - 8), (mid[0], mid[1] + 8), 2)
            else:
                pygame.draw.rect(surface, SENSOR, pygame.Rect(mid[0] - 5, mid[1] - 5, 11, 11), width=2)
            self._text(surface, self.fonts.small, text, MUTED, (x + 32, y + 2))
        keys = "Esc: quit    T: tare (with the board empty)"
        self._text(surface, self.fonts.small, keys, MUTED, (left, top + 64))

    def _draw_panel(self, surface) -> None:
        width, height = self.size
        panel_h = height - (NOTICE_HEIGHT_PX if self.notice else 0)
        panel = pygame.Rect(width - PANEL_WIDTH_PX, 0, PANEL_WIDTH_PX, panel_h)
        pygame.draw.rect(surface, PANEL, panel)
        x = panel.left + 20
        y = 16
        y = self._text(surface, self.fonts.title, "Live view", TEXT, (x, y)).bottom + 6
        for line in _wrap(self.identity, self.fonts.small, PANEL_WIDTH_PX - 40, max_lines=2):
            y = self._text(surface, self.fonts.small, line, MUTED, (x, y)).bottom + 2
        y += 12
        status, colour = self.status()
        pygame.draw.circle(surface, colour, (x + 7, y + 10), 7)
        y = self._text(surface, self.fonts.body, status, colour, (x + 22, y + 1)).bottom + 4
        if self.frame.state is SourceState.DISCONNECTED and self.board.error:
            y = self._text(surface, self.fonts.small, _clip(self.board.error, self.fonts.small, PANEL_WIDTH_PX - 40),
                           MUTED, (x, y)).bottom + 4
        y += 10
        frame = self.frame
        load = "–" if not math.isfinite(frame.total_kg) else f"{frame.total_kg:.1f} kg"
        self._text(surface, self.fonts.body, "Load", MUTED, (x, y + 6))
        y = self._text(surface, self.fonts.large, load, TEXT, (x + 90, y + 2)).bottom + 4
        cop = "–" if not frame.standing else f"x {frame.cop_x_mm:+.1f}  y {frame.cop_y_mm:+.1f} mm"
        self._text(surface, self.fonts.body, "COP", MUTED, (x, y + 4))
        y = self._text(surface, self.fonts.body, cop, TEXT, (x + 90, y + 4)).bottom + 18
        span = min(self.measures_span_s, MEASURES_WINDOW_S)
        heading = f"Sway, last {span:.0f} s" if self.measures is not None or self.zoom_path_mm is not None \
            else f"Sway, last {MEASURES_WINDOW_S:g} s"
        y = self._text(surface, self.fonts.body, heading, TEXT, (x, y)).bottom + 6
        lines = self.measure_lines()
        if self.zoom_path_mm is None:
            wait = f"shown after {MEASURES_MIN_S:g} s of standing" if not frame.standing else \
                f"standing {self.standing_s:.1f} s of {MEASURES_MIN_S:g} s..."
            y = self._text(surface, self.fonts.small, wait, MUTED, (x, y)).bottom + 4
        elif self.sway_summary is None:
            y = self._text(surface, self.fonts.small, "(no measures module)", MUTED, (x, y)).bottom + 4
        elif not lines:
            y = self._text(surface, self.fonts.small, "(too few samples)", MUTED, (x, y)).bottom + 4
        for label, value in lines[:8]:
            self._text(surface, self.fonts.small, label, MUTED, (x, y))
            y = self._text(surface, self.fonts.small, value, TEXT, (panel.right - 20, y), anchor="topright").bottom + 4
        self._draw_zoom(surface, pygame.Rect(x, y + 10, PANEL_WIDTH_PX - 40, min(200, panel.bottom - y - 60)))
        if self.message is not None:
            self._text(surface, self.fonts.small, _clip(self.message[0], self.fonts.small, PANEL_WIDTH_PX - 40),
                       WARN, (x, panel.bottom - 28))

    def _draw_zoom(self, surface, box: pygame.Rect) -> None:
        if box.height < 60:
            return
        size = min(box.width, box.height)
        box = pygame.Rect(box.left + (box.width - size) // 2, box.top, size, size)
        pygame.draw.rect(surface, BACKGROUND, box, border_radius=6)
        centre = box.center
        radius = size / 2 - 8
        pygame.draw.circle(surface, GRID, centre, int(radius), 1)
        pygame.draw.circle(surface, GRID, centre, int(radius / 2), 1)
        pygame.draw.line(surface, GRID, (box.left + 4, centre[1]), (box.right - 4, centre[1]))
        pygame.draw.line(surface, GRID, (centre[0], box.top + 4), (centre[0], box.bottom - 4))
        self._text(surface, self.fonts.small, f"±{self.zoom_half_mm:g} mm", MUTED, (box.left + 6, box.top + 4))
        self._text(surface, self.fonts.small, "path about its mean", MUTED, (box.right - 6, box.bottom - 4),
                   anchor="bottomright")
        if self.zoom_path_mm is None or len(self.zoom_path_mm) < 2:
            return
        scale = radius / self.zoom_half_mm
        pts = np.column_stack((centre[0] + self.zoom_path_mm[:, 0] * scale,
                               centre[1] - self.zoom_path_mm[:, 1] * scale))
        previous_clip = surface.get_clip()
        surface.set_clip(box)
        pygame.draw.lines(surface, PATH, False, pts.tolist(), 1)
        surface.set_clip(previous_clip)

    def _draw_notice(self, surface) -> None:
        width, height = self.size
        band = pygame.Rect(0, height - NOTICE_HEIGHT_PX, width, NOTICE_HEIGHT_PX)
        pygame.draw.rect(surface, NOTICE_FILL, band)
        self._text(surface, self.fonts.body, _clip(self.notice, self.fonts.body, width - 40), NOTICE_TEXT,
                   (20, band.centery), anchor="midleft")


def _clip(text: str, font, width_px: int, *, keep_end: bool = False) -> str:
    """The text, shortened with an ellipsis to fit width_px (keeping its end for paths, whose file name matters)."""
    if font.size(text)[0] <= width_px:
        return text
    while text and font.size("…" + text if keep_end else text + "…")[0] > width_px:
        text = text[1:] if keep_end else text[:-1]
    return "…" + text if keep_end else text + "…"


def _wrap(text: str, font, width_px: int, *, max_lines: int) -> list[str]:
    """Lines of at most width_px, broken between words; a word too long for a line (a path) keeps its end."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and font.size(lines[-1] + " " + word)[0] <= width_px:
            lines[-1] += " " + word
        else:
            lines.append(_clip(word, font, width_px, keep_end=True))
    if len(lines) > max_lines:
        lines = lines[:max_lines - 1] + [_clip(" ".join(lines[max_lines - 1:]), font, width_px)]
    return lines


def run_live_view(source: LoadSource, *, notice: str | None = None, seconds: float | None = None,
                  screenshot_path=None, size: tuple[int, int] = (960, 640), realtime: bool = True) -> int:
    """Show `source` live in a window until it is closed, Esc is pressed, or `seconds` of game time have passed.
    Opens the source if it is not open yet and closes it at the end; saves the last frame to screenshot_path if
    given. `realtime=False` takes one game step per drawn frame, as fast as the machine goes. Returns 0."""
    from trainer.measures.default import sway_summary

    if source.state is SourceState.CONNECTING:
        source.open()
    try:
        screen = open_window(size, f"balance-trainer: live view of {source.identity}")
        board = BalanceInput(source, lowpass_hz=LOW_PASS_HZ)
        scene = LiveViewScene(board, Fonts(), identity=source.identity, notice=notice, sway_summary=sway_summary,
                              size=size)
        stack = SceneStack()
        stack.push(scene)
        run_scenes(stack, screen, seconds=seconds, realtime=realtime)
        if screenshot_path is not None:
            scene.draw(screen)
            save_screenshot(screen, screenshot_path)
    finally:
        source.close()
        pygame.display.quit()
    return 0
