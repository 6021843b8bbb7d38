"""Single-leg balance (`single-leg`): stand on one foot at the centre of the board and keep the marker (your
centre of pressure) inside the target circle; the circle shrinks and the hold grows with the level.

A round: waiting for someone on the board; GRACE_S of standing to step on and lift the other foot; SETTLE_S that
sets the target centre (the median COP: a foot never lands exactly on the mark, and the game trains staying still,
not aiming the foot) and, unless `--weight-kg` gave it, the body weight (the median load of that second; the first
second is left out because stepping on ramps the load up); then the hold, `round_s` of round time (30 s, 45 s from
level 3; `--seconds` overrides). The round goes on after a touch-down so every one is counted; the scores and the
touch-down rules are in trainer.scoring.single_leg and docs/games-single-leg.md.

Eyes closed (`--eyes closed`): a tone says where the target is: the further the COP from the target centre, the
higher and louder (an octave per target radius, from 220 Hz at the centre). Tones are generated with numpy when
pygame's mixer is initialised (the app's pygame.init() does that when there is a sound device); without a mixer the
round plays the same, silently.
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np
import pygame

from games import style
from games.live_view import (
    BOARD_MARGIN_MM, PANEL_WIDTH_PX, board_outline_mm, board_scale_px_per_mm, board_to_screen, board_view_rect,
)
from games.live_view import screen_to_board as live_screen_to_board
from games.round import GameRound, RoundOptions
from hardware.samples import BoardGeometry
from trainer.balance_input import STEP_S, BalanceInput, CopFrame
from trainer.scoring.single_leg import (
    MAX_SAMPLE_GAP_S, TouchDownDetector, body_weight_from_loads, level_settings, score_single_leg,
)

GRACE_S = 1.0  # stepping on and lifting the other foot: not scored
SETTLE_S = 1.0  # the next second: target centre and (unless given) body weight
RECENT_S = 5.0  # samples looked at each step: far more than one step's worth even after a hiccup
TRAIL_S = 0.5  # a short trail: enough to see the direction of the sway
WEIGHT_MISMATCH = 0.15  # a given weight this far from the board's reading is logged: touch-downs would be wrong

# Tone in eyes-closed mode.
TONE_BASE_HZ = 220.0  # at the target centre; an octave higher per target radius away
TONE_MAX_RADII = 3.0  # beyond three radii the tone stays at its highest and loudest
TONE_STEP_RADII = 0.25  # quantised so a few sounds are made once and reused
TONE_MIN_VOLUME = 0.15
TONE_LENGTH_S = 0.5  # loop length; frequencies are rounded to whole cycles in it so the loop does not click

MARKER_RADIUS_PX = 12
TARGET_WIDTH_PX = 5
# The main view shows the area around the target, its half-height this many target radii (at least
# ZOOM_MIN_HALF_MM): single-leg sway is some 10 mm, a few pixels on a whole board drawn to scale.
ZOOM_RADII = 3.0
ZOOM_MIN_HALF_MM = 60.0
INSET_HEIGHT_PX = 200
DEFAULT_VIEW_SIZE = (1280, 720)  # the small whole-board view
GRID = (52, 58, 72)


def tone_for_distance(distance_mm: float, radius_mm: float) -> tuple[float, float]:
    """(frequency Hz, volume 0-1) of the tone for a COP `distance_mm` from the target centre."""
    radii = min(max(distance_mm / radius_mm, 0.0), TONE_MAX_RADII)
    radii = round(radii / TONE_STEP_RADII) * TONE_STEP_RADII
    frequency = TONE_BASE_HZ * 2.0 ** radii
    volume = TONE_MIN_VOLUME + (1.0 - TONE_MIN_VOLUME) * radii / TONE_MAX_RADII
    return frequency, volume


def tone_samples(frequency_hz: float, rate_hz: int, channels: int, dtype) -> np.ndarray:
    """A TONE_LENGTH_S loop of a sine at (about) frequency_hz, whole cycles, in the mixer's sample format."""
    n = int(round(TONE_LENGTH_S * rate_hz))
    cycles = max(1, round(frequency_hz * TONE_LENGTH_S))
    wave = np.sin(2.0 * np.pi * cycles * np.arange(n) / n)
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        data = (0.5 * wave).astype(dtype)
    elif dtype.kind == "i":
        data = (0.5 * wave * np.iinfo(dtype).max).astype(dtype)
    else:  # unsigned: silence is mid-range
        info = np.iinfo(dtype)
        data = ((0.5 * wave * 0.5 + 0.5) * info.max).astype(dtype)
    return np.repeat(data[:, None], channels, axis=1) if channels > 1 else data


class _Tones:
    """The eyes-closed tone on the mixer; inert when no mixer is initialised."""

    _FORMATS = {-8: np.int8, 8: np.uint8, -16: np.int16, 16: np.uint16, -32: np.int32, 32: np.float32}

    def __init__(self):
        init = pygame.mixer.get_init()
        self.mixer = init
        self.sounds: dict[float, pygame.mixer.Sound] = {}
        self.playing: float | None = None
        self.channel = None
        if init is not None:
            rate, fmt, channels = init
            self.rate, self.channels = rate, channels
            self.dtype = self._FORMATS.get(fmt, np.float32 if fmt > 32 else np.int16)

    @property
    def available(self) -> bool:
        return self.mixer is not None

    def play(self, frequency_hz: float, volume: float) -> None:
        if self.mixer is None or self.playing == frequency_hz:
            return
        sound = self.sounds.get(frequency_hz)
        if sound is None:
            import pygame.sndarray

            sound = pygame.sndarray.make_sound(tone_samples(frequency_hz, self.rate, self.channels, self.dtype))
            sound.set_volume(volume)
            self.sounds[frequency_hz] = sound
        if self.channel is None:
            self.channel = pygame.mixer.find_channel(True)
        self.channel.play(sound, loops=-1)
        self.playing = frequency_hz

    def stop(self) -> None:
        if self.channel is not None:
            self.channel.stop()
        self.playing = None


class SingleLegRound(GameRound):
    name = "single-leg"
    setups = ()

    def __init__(self, board: BalanceInput, options: RoundOptions):
        super().__init__(board, options)
        if options.eyes not in ("open", "closed"):
            raise ValueError(f"single-leg: eyes must be open or closed, not {options.eyes!r}")
        if options.leg not in ("left", "right"):
            raise ValueError(f"single-leg: leg must be left or right, not {options.leg!r}")
        if options.weight_kg is not None and not options.weight_kg > 0:
            raise ValueError(f"single-leg: weight must be positive, not {options.weight_kg}")
        if options.seconds is not None and not options.seconds > 0:
            raise ValueError(f"single-leg: seconds must be positive, not {options.seconds}")
        self.target_radius_mm, level_round_s = level_settings(options.level)
        self.round_s = float(options.seconds) if options.seconds is not None else level_round_s
        self.phase = "waiting"  # waiting -> settling -> holding
        self.standing_since_s: float | None = None  # sample time the person stood on the board
        self.hold_start_s: float | None = None  # sample time the hold started
        # Round time: the time between the hold's samples, a gap longer than MAX_SAMPLE_GAP_S (the board went
        # stale) not counted, as in the scores; the round ends when it reaches round_s.
        self.round_time_s = 0.0
        self._last_held_t_s: float | None = None
        self.body_weight_kg: float | None = options.weight_kg
        self.target_mm: tuple[float, float] = (0.0, 0.0)  # board centre until the settle second sets it
        self.detector: TouchDownDetector | None = None
        self.hold_now_s = 0.0  # the hold so far, for the screen
        self.frame: CopFrame = board.frame
        self.trail: deque[tuple[float, float] | None] = deque(maxlen=max(2, round(TRAIL_S / STEP_S)))
        self._settle: list[np.ndarray] = []
        self._held: list[np.ndarray] = []  # (n, 4) chunks: t, total, x, y of the hold
        self._last_t_s = -math.inf
        self.tones = _Tones() if options.eyes == "closed" else None
        self.view_size: tuple[int, int] = DEFAULT_VIEW_SIZE

    # --- state -------------------------------------------------------------------------------------------------
    def on_frame(self, frame: CopFrame, dt_s: float) -> None:
        self.frame = frame
        self.trail.append((frame.cop_x_mm, frame.cop_y_mm) if frame.standing else None)
        recent = self.board.recent(RECENT_S)
        new = recent.t_s > self._last_t_s
        if new.any():
            rows = np.column_stack((recent.t_s[new], recent.total_kg[new], recent.cop_x_mm[new], recent.cop_y_mm[new]))
            self._last_t_s = float(rows[-1, 0])
            self._take(rows)
        if self.phase == "holding":
            first = self.detector.touch_downs[0] if self.detector.touch_downs else None
            self.hold_now_s = min(self.round_time_s, self.round_s) if first is None else \
                first.start_s - self.hold_start_s
            if self.round_time_s >= self.round_s - 1e-9:
                self.finished = True
                self.log("end", f"{self.round_s:g} s")
        self._sound(frame)

    def _take(self, rows: np.ndarray) -> None:
        while len(rows):
            if self.phase == "waiting":
                standing = self._standing(rows)
                if not standing.any():
                    return
                first = int(np.argmax(standing))
                self.standing_since_s = float(rows[first, 0])
                self.phase = "settling"
                self._settle = []
                self.log("standing")
                rows = rows[first:]
            elif self.phase == "settling":
                standing = self._standing(rows)
                end_s = self.standing_since_s + GRACE_S + SETTLE_S
                before = rows[:, 0] < end_s - 1e-9
                if not standing[before].all():  # stepped off before the hold began: start again
                    self.phase = "waiting"
                    self.log("stepped-off")
                    rows = rows[int(np.argmin(standing)):]
                    continue
                settle = before & (rows[:, 0] >= self.standing_since_s + GRACE_S - 1e-9)
                self._settle.append(rows[settle])
                if before.all():
                    return
                self._start_hold(rows[~before][0])
                rows = rows[~before]
            else:
                self._held.append(rows)
                steps = np.diff(np.concatenate(([self._last_held_t_s], rows[:, 0]))) \
                    if self._last_held_t_s is not None else np.diff(rows[:, 0])
                self.round_time_s += float(steps[steps <= MAX_SAMPLE_GAP_S].sum())
                self._last_held_t_s = float(rows[-1, 0])
                for touch_down in self.detector.feed(rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]):
                    self.log("touch-down", f"{touch_down.cause} at {touch_down.start_s - self.hold_start_s:.2f} s")
                return

    def _standing(self, rows: np.ndarray) -> np.ndarray:
        return (rows[:, 1] >= self.board.min_standing_kg) & np.isfinite(rows[:, 2]) & np.isfinite(rows[:, 3])

    def _start_hold(self, first_row: np.ndarray) -> None:
        """The hold starts at `first_row` (t, total, x, y), the first sample after the settle second."""
        t_s = float(first_row[0])
        settle = np.concatenate(self._settle) if self._settle else np.empty((0, 4))
        if len(settle) == 0:  # a board slower than 1 Hz sent nothing in the settle second: take this sample
            settle = first_row[None, :]
        measured_kg = body_weight_from_loads(settle[:, 1])
        if self.body_weight_kg is None:
            self.body_weight_kg = measured_kg
            self.log("body-weight", f"{measured_kg:.2f} kg measured")
        else:
            mismatch = abs(measured_kg - self.body_weight_kg) > WEIGHT_MISMATCH * self.body_weight_kg
            self.log("body-weight", f"{self.body_weight_kg:g} kg given; {measured_kg:.2f} kg on the board"
                                    + ("; they differ: touch-downs may be wrong" if mismatch else ""))
        self.target_mm = (float(np.median(settle[:, 2])), float(np.median(settle[:, 3])))
        self.detector = TouchDownDetector(body_weight_kg=self.body_weight_kg, target_x_mm=self.target_mm[0],
                                          target_y_mm=self.target_mm[1])
        self.hold_start_s = t_s
        self.phase = "holding"
        self.log("hold-start", f"target x {self.target_mm[0]:+.1f} mm y {self.target_mm[1]:+.1f} mm; "
                               f"radius {self.target_radius_mm:g} mm")

    def _sound(self, frame: CopFrame) -> None:
        if self.tones is None:
            return
        if self.finished or self.phase != "holding" or not frame.standing:
            self.tones.stop()
            return
        distance = math.hypot(frame.cop_x_mm - self.target_mm[0], frame.cop_y_mm - self.target_mm[1])
        self.tones.play(*tone_for_distance(distance, self.target_radius_mm))

    def exit(self) -> None:
        if self.tones is not None:
            self.tones.stop()

    @property
    def touch_downs(self) -> int:
        return len(self.detector.touch_downs) if self.detector is not None else 0

    @property
    def touching(self) -> bool:
        return self.detector is not None and self.detector.touching

    def scores(self) -> dict[str, float]:
        """The five scores of trainer.scoring.single_leg.SCORE_NAMES. The settings they were played with (leg,
        level, eyes, foam, seconds) are the round's options, recorded beside them; the body weight used and the
        target are in the round's events (`body-weight`, `hold-start`)."""
        if self.phase != "holding" or not self._held:
            return {"hold_s": 0.0, "time_in_zone_pct": 0.0, "sway_velocity_mm_s": math.nan,
                    "sway_area_ellipse95_mm2": math.nan, "touch_downs": 0.0}
        rows = np.concatenate(self._held)
        return score_single_leg(rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], target_x_mm=self.target_mm[0],
                                target_y_mm=self.target_mm[1], target_radius_mm=self.target_radius_mm,
                                body_weight_kg=self.body_weight_kg, round_s=self.round_s)

    # --- drawing -----------------------------------------------------------------------------------------------
    def zoom_geometry(self) -> BoardGeometry:
        """A virtual board whose drawn height is 2·zoom_half_mm: board_to_screen with it and the main view draws the
        area around the target at a scale where a few millimetres of sway are easy to see."""
        half = max(ZOOM_MIN_HALF_MM, ZOOM_RADII * self.target_radius_mm)
        return BoardGeometry("zoom", 2 * (4 * half - BOARD_MARGIN_MM), 2 * (half - BOARD_MARGIN_MM))

    def zoom_to_screen(self, x_mm: float, y_mm: float, size) -> tuple[int, int]:
        """Pixel of board point (x_mm, y_mm) in the main, zoomed view (centred on the target)."""
        return board_to_screen(x_mm - self.target_mm[0], y_mm - self.target_mm[1], self.zoom_geometry(),
                               board_view_rect(size))

    def board_to_screen(self, x_mm: float, y_mm: float, size) -> tuple[int, int]:
        return self.zoom_to_screen(x_mm, y_mm, size)

    def screen_to_board(self, pos) -> tuple[float, float]:
        """Board point under window pixel `pos` in the zoomed view, for a pointer board (mouse://): the play screen
        asks the round for this mapping. Uses the size of the window last drawn on (DEFAULT_VIEW_SIZE before)."""
        x, y = live_screen_to_board(pos[0], pos[1], self.zoom_geometry(), board_view_rect(self.view_size))
        return x + self.target_mm[0], y + self.target_mm[1]

    @staticmethod
    def inset_rect(size) -> tuple[int, int, int, int]:
        """(left, top, width, height) of the small whole-board view, in the lower right."""
        width, height = size
        return width - PANEL_WIDTH_PX + 20, height - INSET_HEIGHT_PX - 20, PANEL_WIDTH_PX - 40, INSET_HEIGHT_PX

    def draw_game(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        size = surface.get_size()
        self.view_size = size  # where the pointer mapping looks; display only, never part of the round's state
        inside = self._inside()
        big = style.font(style.text_px(1.6))
        self._text(surface, big, "Stand on one foot", style.TEXT, (board_view_rect(size)[0], 12))
        self._draw_zoom(surface, size, inside)
        self._draw_inset(surface, size)
        self._draw_panel(surface, size, inside)

    def _draw_zoom(self, surface, size, inside: bool) -> None:
        view = pygame.Rect(board_view_rect(size))
        pygame.draw.rect(surface, style.PANEL, view, border_radius=12)
        previous_clip = surface.get_clip()
        surface.set_clip(view)
        to_px = lambda x, y: self.zoom_to_screen(x, y, size)  # noqa: E731
        scale = board_scale_px_per_mm(self.zoom_geometry(), tuple(view))
        # A 10 mm grid gives the scale; the board's centre cross shows where the foot belongs.
        tx, ty = self.target_mm
        half_w, half_h = view.width / (2 * scale), view.height / (2 * scale)
        for gx in np.arange(math.ceil((tx - half_w) / 10) * 10, tx + half_w, 10.0):
            pygame.draw.line(surface, GRID, to_px(gx, ty - half_h), to_px(gx, ty + half_h))
        for gy in np.arange(math.ceil((ty - half_h) / 10) * 10, ty + half_h, 10.0):
            pygame.draw.line(surface, GRID, to_px(tx - half_w, gy), to_px(tx + half_w, gy))
        cx, cy = to_px(0.0, 0.0)
        pygame.draw.line(surface, style.MUTED, (cx - 20, cy), (cx + 20, cy), 2)
        pygame.draw.line(surface, style.MUTED, (cx, cy - 20), (cx, cy + 20), 2)
        ring = style.GOOD if inside and self.phase == "holding" else style.TARGET
        pygame.draw.circle(surface, ring, to_px(tx, ty), max(3, int(round(self.target_radius_mm * scale))),
                           TARGET_WIDTH_PX)
        run: list[tuple[int, int]] = []
        for p in list(self.trail) + [None]:
            if p is None:
                if len(run) > 1:
                    pygame.draw.lines(surface, style.MUTED, False, run, 4)
                run = []
            else:
                run.append(to_px(*p))
        surface.set_clip(previous_clip)
        if self.frame.standing:
            px, py = to_px(self.frame.cop_x_mm, self.frame.cop_y_mm)
            if view.collidepoint(px, py):
                pygame.draw.circle(surface, style.BACKGROUND, (px, py), MARKER_RADIUS_PX + 3)
                pygame.draw.circle(surface, style.MARKER, (px, py), MARKER_RADIUS_PX)
            else:  # off the zoomed view: a hollow marker at its edge, in the marker's direction
                edge = (min(max(px, view.left + MARKER_RADIUS_PX), view.right - MARKER_RADIUS_PX - 1),
                        min(max(py, view.top + MARKER_RADIUS_PX), view.bottom - MARKER_RADIUS_PX - 1))
                pygame.draw.circle(surface, style.MARKER, edge, MARKER_RADIUS_PX, 4)
        pygame.draw.rect(surface, style.MUTED, view, width=2, border_radius=12)

    def _draw_inset(self, surface, size) -> None:
        """The whole board, small: where the foot stands on it."""
        geometry = self.board.geometry
        view = self.inset_rect(size)
        to_px = lambda x, y: board_to_screen(x, y, geometry, view)  # noqa: E731
        scale = board_scale_px_per_mm(geometry, view)
        half_w, half_h = board_outline_mm(geometry)
        left, top = to_px(-half_w, half_h)
        right, bottom = to_px(half_w, -half_h)
        outline = pygame.Rect(left, top, right - left, bottom - top)
        pygame.draw.rect(surface, style.PANEL, outline, border_radius=int(25 * scale))
        pygame.draw.rect(surface, style.MUTED, outline, width=2, border_radius=int(25 * scale))
        cx, cy = to_px(0.0, 0.0)
        pygame.draw.line(surface, style.MUTED, (cx - 6, cy), (cx + 6, cy), 1)
        pygame.draw.line(surface, style.MUTED, (cx, cy - 6), (cx, cy + 6), 1)
        pygame.draw.circle(surface, style.TARGET, to_px(*self.target_mm),
                           max(2, int(round(self.target_radius_mm * scale))), 2)
        if self.frame.standing:
            pygame.draw.circle(surface, style.MARKER, to_px(self.frame.cop_x_mm, self.frame.cop_y_mm), 5)

    def _inside(self) -> bool:
        if not self.frame.standing:
            return False
        return math.hypot(self.frame.cop_x_mm - self.target_mm[0],
                          self.frame.cop_y_mm - self.target_mm[1]) <= self.target_radius_mm

    def _draw_panel(self, surface, size, inside: bool) -> None:
        x = size[0] - PANEL_WIDTH_PX + 20
        y = 20
        small, body = style.font(style.text_px(0.8)), style.font(style.text_px(1.0))
        huge = style.font(style.text_px(3.0))
        y = self._text(surface, body, "Hold", style.MUTED, (x, y)).bottom + 4
        y = self._text(surface, huge, f"{self.hold_now_s:4.1f} s", style.TEXT, (x, y)).bottom + 2
        y = self._text(surface, body, f"of {self.round_s:g} s", style.MUTED, (x, y)).bottom + 20
        y = self._text(surface, body, "Touch-downs", style.MUTED, (x, y)).bottom + 4
        colour = style.BAD if self.touch_downs else style.TEXT
        y = self._text(surface, huge, str(self.touch_downs), colour, (x, y)).bottom + 20
        if self.round.paused:
            message, colour = "Board not responding: paused", style.WARN
        elif self.phase == "waiting":
            message, colour = "Step on: one foot on the centre mark", style.TEXT
        elif self.phase == "settling":
            remaining = self.standing_since_s + GRACE_S + SETTLE_S - self._last_t_s
            message, colour = f"Lift the other foot: {max(remaining, 0.0):.1f} s", style.TEXT
        elif self.finished:
            message, colour = "Done!", style.GOOD
        elif self.touching:
            message, colour = "Touch-down: lift the foot again", style.BAD
        elif inside:
            message, colour = "In the target: hold still", style.GOOD
        else:
            message, colour = "Back to the circle", style.WARN
        y = self._text(surface, body, message, colour, (x, y)).bottom + 12
        notes = [f"Level {self.options.level}: circle {self.target_radius_mm:g} mm", f"{self.options.leg} leg"]
        if self.options.eyes == "closed":
            notes.append("Eyes closed: listen, higher = further" if self.tones is not None and self.tones.available
                         else "Eyes closed (no sound device)")
        if self.options.foam:
            notes.append("On the foam pad")
        for note in notes:
            y = self._text(surface, small, note, style.MUTED, (x, y)).bottom + 4

    @staticmethod
    def _text(surface, font, text, colour, pos, *, anchor="topleft"):
        image = font.render(text, True, colour)
        rect = image.get_rect(**{anchor: pos})
        surface.blit(image, rect)
        return rect
