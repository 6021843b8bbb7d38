"""Controlled step-downs (`step-down`): a lateral step-down in a cued tempo, or a soft landing from a box.

Set-ups (RoundOptions.setup):
- `step` (default): the board is on a step under the stance leg (options.leg). After LEAD_IN_S standing still (the
  first second of it weighs the person, unless options.weight_kg is given), each rep is cued: the heel of the other
  leg goes down in the level's descent time, touches the floor lightly, comes back up in the ascent time, and rests.
  The round ends after the level's reps are detected, or at the round length.
- `landing`: the board is on the floor. Once the board has been empty for READY_EMPTY_S the person is asked to step
  down from the box onto it. One landing per round: the round ends when the landing has settled (the load stayed
  within ±5 % of body weight for a second) and POST_LANDING_S have passed since contact, or at the round length.
  A careful step onto the board is not a landing: the round says so and waits for the next one.

Scoring is trainer.scoring.step_down over every sample the board delivered (not just one per frame: a landing's
peak lasts a few milliseconds). Cue times are taken in the board's sample time at the frame the cue is shown.
Cues are on screen and, if a mixer is initialised, a tick; the round works without one.
pygame is imported only to draw (and to tick when it is already running): a headless round never loads it, so its
banner cannot get into the scores printed on stdout.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import sys

import numpy as np

from games.round import GameRound, RoundOptions
from trainer.balance_input import BalanceInput, CopFrame
from trainer.scoring import step_down as scoring


@dataclass(frozen=True)
class StepLevel:
    descent_s: float  # cued time from the down cue to the touch
    ascent_s: float  # cued time back up
    rest_s: float  # standing tall between reps
    max_touch_pct_bw: float  # a touch heavier than this is shown as too heavy
    reps: int


TOUCH_S = 0.5  # the cue's touch phase: a short, light touch
# Levels get slower (a slower eccentric descent is harder to control) and lighter (less help from the floor).
LEVELS = {
    1: StepLevel(2.0, 2.0, 2.0, 25.0, 5),
    2: StepLevel(3.0, 2.0, 2.0, 20.0, 5),
    3: StepLevel(4.0, 2.0, 2.0, 15.0, 6),
    4: StepLevel(5.0, 3.0, 2.0, 10.0, 6),
    5: StepLevel(6.0, 3.0, 2.0, 5.0, 8),
}
LEAD_IN_S = 3.0  # standing still before the first cue: 1 s weigh-in, then a 2 s count-down
EXTRA_S = 5.0  # the default round length leaves this much after the last cued rep
SCORE_EVERY_STEPS = 6  # re-score ten times a second: fast enough for the rep count, cheap on long rounds
LANDING_ROUND_S = 30.0  # default round length of the landing set-up
READY_EMPTY_S = 0.5  # the board empty this long before "step down now" is shown
TRACE_S = 3.0  # the force trace shows the last 3 s
HISTORY_PULL_S = 5.0  # each frame takes the new samples from the board's last 5 s (more only after a burst)
TICK_HZ, TICK_S = 1000.0, 0.04


def level_of(level: int) -> StepLevel:
    if level < 1:
        raise ValueError(f"step-down: level must be 1 or more, not {level}")
    return LEVELS[min(level, max(LEVELS))]


def cue_schedule(level: int, start_s: float = 0.0) -> list[tuple[float, float, float, float]]:
    """(down, touch, up, rest) start times of each rep, the first down cue LEAD_IN_S after start_s."""
    lv = level_of(level)
    cycle = lv.descent_s + TOUCH_S + lv.ascent_s + lv.rest_s
    out = []
    for k in range(lv.reps):
        down = start_s + LEAD_IN_S + k * cycle
        out.append((down, down + lv.descent_s, down + lv.descent_s + TOUCH_S,
                    down + lv.descent_s + TOUCH_S + lv.ascent_s))
    return out


def default_round_s(setup: str, level: int) -> float:
    if setup == "landing":
        return LANDING_ROUND_S
    lv = level_of(level)
    return LEAD_IN_S + lv.reps * (lv.descent_s + TOUCH_S + lv.ascent_s + lv.rest_s) + EXTRA_S


class StepDownRound(GameRound):
    name = "step-down"
    setups = ("step", "landing")

    def __init__(self, board: BalanceInput, options: RoundOptions):
        super().__init__(board, options)
        self.level = level_of(options.level)
        self.length_s = options.seconds if options.seconds else default_round_s(self.setup, options.level)
        self.frame: CopFrame = board.frame
        self._chunks: list[np.ndarray] = []  # (n, 4) t_s, total_kg, cop_x_mm, cop_y_mm
        self._arrays: np.ndarray | None = None
        self._last_t = -math.inf
        self._steps = 0
        self.weight_kg: float = options.weight_kg if options.weight_kg is not None else math.nan
        # step set-up
        self.stand_s: float | None = None  # round time someone first stood on the board
        self.schedule: list[tuple[float, float, float, float]] = []
        self.cues_given = 0
        self.cue_sample_s: list[float] = []
        self.result: scoring.StepResult | None = None
        # landing set-up
        self.empty_since_s: float | None = None
        self.ready = False
        self.landing: scoring.Landing | None = None  # the judged landing
        self.open_contact: scoring.Landing | None = None  # a contact on the board not judged yet
        self.step_ons = 0
        self._landing_logged = False
        self._tick = None

    # --- state ---------------------------------------------------------------------------------------------------
    def arrays(self) -> np.ndarray:
        if self._arrays is None:
            self._arrays = np.concatenate(self._chunks) if self._chunks else np.empty((0, 4))
            self._chunks = [self._arrays] if len(self._arrays) else []
        return self._arrays

    def _take_samples(self) -> None:
        recent = self.board.recent(HISTORY_PULL_S)
        if len(recent.t_s) and math.isfinite(self._last_t) and recent.t_s[0] > self._last_t:
            recent = self.board.recent()  # a burst longer than the pull (a board catching up): take all it keeps
        new = recent.t_s > self._last_t
        if new.any():
            self._chunks.append(np.column_stack((recent.t_s[new], recent.total_kg[new], recent.cop_x_mm[new],
                                                 recent.cop_y_mm[new])))
            self._arrays = None
            self._last_t = float(recent.t_s[new][-1])

    def on_frame(self, frame: CopFrame, dt_s: float) -> None:
        self.frame = frame
        self._steps += 1
        self._take_samples()
        if self.setup == "landing":
            self._landing_frame(frame)
        else:
            self._step_frame(frame)
        if self.round.t_s >= self.length_s - 1e-9:
            self.finished = True

    def _step_frame(self, frame: CopFrame) -> None:
        if self.stand_s is None and frame.standing:
            self.stand_s = self.round.t_s
            self.schedule = cue_schedule(self.options.level, self.stand_s)
            self.log("stand", f"standing at {frame.t_s:.3f} s")
        if self.stand_s is None:
            return
        data = self.arrays()
        if not math.isfinite(self.weight_kg) and self.round.t_s - self.stand_s >= scoring.WEIGH_IN_S:
            self.weight_kg = scoring.step_body_weight_kg(data[:, 0], data[:, 1])
            if math.isfinite(self.weight_kg):
                self.log("weigh-in", f"{self.weight_kg:.1f} kg")
        while self.cues_given < len(self.schedule) and self.round.t_s >= self.schedule[self.cues_given][0] - 1e-9:
            self.cues_given += 1
            self.cue_sample_s.append(frame.t_s)
            self.log("cue", f"down {self.cues_given} at {frame.t_s:.3f} s")
            self._play_tick()
        if math.isfinite(self.weight_kg) and self._steps % SCORE_EVERY_STEPS == 0:
            self._rescore_step()
            if self.result is not None and len(self.result.reps) >= self.level.reps:
                self.finished = True

    def _rescore_step(self) -> None:
        data = self.arrays()
        before = len(self.result.reps) if self.result is not None else 0
        self.result = scoring.score_step(data[:, 0], data[:, 1], data[:, 2], data[:, 3],
                                         body_weight_kg=self.weight_kg, cue_down_s=self.cue_sample_s)
        for k, rep in enumerate(self.result.reps[before:], start=before + 1):
            verdict = "light" if rep.touch_load_pct_bw <= self.level.max_touch_pct_bw else "heavy"
            self.log("rep", f"{k}: touch {rep.touch_start_s:.3f} s; descent {rep.descent_s:.2f} s "
                            f"(from {rep.onset_from}); touch {rep.touch_load_pct_bw:.1f} % BW {verdict}")

    def _landing_frame(self, frame: CopFrame) -> None:
        empty = not (frame.total_kg >= scoring.CONTACT_KG)
        if empty:
            if self.empty_since_s is None:
                self.empty_since_s = self.round.t_s
            if not self.ready and self.round.t_s - self.empty_since_s >= READY_EMPTY_S - 1e-9:
                self.ready = True
                self.log("cue", "step down now")
                self._play_tick()
        else:
            self.empty_since_s = None
        if self._steps % SCORE_EVERY_STEPS and not self.finished:
            return
        data = self.arrays()
        if not len(data):
            return
        weight = self.options.weight_kg
        judged = scoring.judge_contacts(data[:, 0], data[:, 1], body_weight_kg=weight)
        step_ons = [c for kind, c in judged if kind == "step-on"]
        for contact in step_ons[self.step_ons:]:
            self.log("step-on", f"contact {contact.contact_s:.3f} s; peak {contact.peak_kg:.1f} kg: not a landing")
        self.step_ons = len(step_ons)
        # Only a judged landing counts: without a given weight, a contact is judged once it has settled (a careful
        # step onto the board looks like a landing until then).
        landing = next((c for kind, c in judged if kind == "landing"), None)
        self.open_contact = judged[-1][1] if judged and judged[-1][0] == "open" else None
        self.landing = landing
        if landing is None:
            return
        if not self._landing_logged:
            self._landing_logged = True
            self.log("landing", f"contact {landing.contact_s:.3f} s; peak {landing.peak_kg:.1f} kg at "
                                f"{landing.peak_s:.3f} s")
        if math.isfinite(landing.body_weight_kg):
            self.weight_kg = landing.body_weight_kg
        if math.isfinite(landing.stable_s) and data[-1, 0] >= max(
                landing.stable_s + scoring.STABLE_HOLD_S, landing.contact_s + scoring.POST_LANDING_S) - 1e-9:
            self.log("settled", f"stable from {landing.stable_s:.3f} s; {self.weight_kg:.1f} kg")
            self.finished = True

    def _play_tick(self) -> None:
        """A short tick with the cue, when a mixer is running; silently nothing otherwise (the cue is on screen)."""
        pygame = sys.modules.get("pygame")
        if pygame is None:
            return  # pygame never loaded: no mixer can be running
        init = pygame.mixer.get_init()  # None when no mixer was started
        if not init:
            return
        try:
            if self._tick is None:
                frequency, size, channels = init
                n = int(frequency * TICK_S)
                wave = np.sin(2 * np.pi * TICK_HZ * np.arange(n) / frequency) * np.hanning(n)
                samples = (wave * 0.4 * (2 ** 15 - 1)).astype(np.int16)
                if channels > 1:
                    samples = np.repeat(samples[:, None], channels, axis=1)
                self._tick = pygame.sndarray.make_sound(np.ascontiguousarray(samples))
            self._tick.play()
        except (pygame.error, ValueError):
            self._tick = None  # a mixer format we cannot feed: the cue stays visual

    def scores(self) -> dict[str, float]:
        data = self.arrays()
        if self.setup == "landing":
            if not len(data):
                return {"peak_force_bw": math.nan, "loading_rate_bw_s": math.nan,
                        "time_to_stabilization_s": math.nan, "ml_wavering_mm": math.nan}
            return scoring.score_landing(data[:, 0], data[:, 1], data[:, 2], data[:, 3],
                                         body_weight_kg=self.options.weight_kg)
        weight = self.weight_kg if math.isfinite(self.weight_kg) else None
        if not len(data):
            return scoring.StepResult(math.nan).scores(self.level.descent_s)
        result = scoring.score_step(data[:, 0], data[:, 1], data[:, 2], data[:, 3], body_weight_kg=weight,
                                    cue_down_s=self.cue_sample_s)
        return result.scores(self.level.descent_s)

    def truth_events(self):
        return list(self.round.events)

    # --- cue state (pure: used by draw) ----------------------------------------------------------------------------
    def cue_phase(self) -> tuple[str, float]:
        """(phase, target heel height 0..1) at the round's time: ready, down, touch, up, rest, done."""
        if self.stand_s is None:
            return "ready", 1.0
        t = self.round.t_s
        for down, touch, up, rest in self.schedule:
            if t < down:
                return ("ready" if down == self.schedule[0][0] else "rest"), 1.0
            if t < touch:
                return "down", 1.0 - (t - down) / (touch - down)
            if t < up:
                return "touch", 0.0
            if t < rest:
                return "up", (t - up) / (rest - up)
        return "done", 1.0

    # --- drawing -----------------------------------------------------------------------------------------------
    def draw_game(self, surface) -> None:
        import pygame

        from games import style
        from games.live_view import board_view_rect

        size = surface.get_size()
        surface.fill(style.BACKGROUND)
        view = board_view_rect(size)
        self._draw_board(surface, view)
        panel = pygame.Rect(size[0] - 320, 0, 320, size[1])
        pygame.draw.rect(surface, style.PANEL, panel)
        x, y = panel.left + 20, 16
        title = "Step-down" if self.setup == "step" else "Soft landing"
        y = self._text(surface, title, style.text_px(1.3), style.TEXT, (x, y)).bottom + 8
        if self.round.paused:
            y = self._text(surface, "Paused: board not sending", style.text_px(0.8), style.WARN, (x, y)).bottom + 6
        if self.setup == "landing":
            self._draw_landing_panel(surface, panel, x, y)
        else:
            self._draw_step_panel(surface, panel, x, y)

    def _text(self, surface, text, px, colour, pos, anchor="topleft"):
        import pygame

        from games import style

        image = style.font(px).render(text, True, colour)
        rect = image.get_rect(**{anchor: pos})
        surface.blit(image, rect)
        return rect

    def _draw_board(self, surface, view) -> None:
        import pygame

        from games import style
        from games.live_view import BOARD_MARGIN_MM, board_scale_px_per_mm, board_to_screen

        geometry = self.board.geometry
        half_w = geometry.half_x_mm + BOARD_MARGIN_MM
        half_h = geometry.half_y_mm + BOARD_MARGIN_MM
        left, top = board_to_screen(-half_w, half_h, geometry, view)
        right, bottom = board_to_screen(half_w, -half_h, geometry, view)
        outline = pygame.Rect(left, top, right - left, bottom - top)
        scale = board_scale_px_per_mm(geometry, view)
        pygame.draw.rect(surface, style.PANEL, outline, border_radius=int(25 * scale))
        pygame.draw.rect(surface, style.MUTED, outline, width=2, border_radius=int(25 * scale))
        cx, cy = board_to_screen(0.0, 0.0, geometry, view)
        pygame.draw.line(surface, style.MUTED, (cx - 10, cy), (cx + 10, cy), 2)
        pygame.draw.line(surface, style.MUTED, (cx, cy - 10), (cx, cy + 10), 2)
        self._text(surface, "front", style.text_px(0.7), style.MUTED, (cx, top - 4), "midbottom")
        if self.frame.standing:
            px, py = board_to_screen(self.frame.cop_x_mm, self.frame.cop_y_mm, geometry, view)
            pygame.draw.circle(surface, (0, 0, 0), (px, py), 12)
            pygame.draw.circle(surface, style.MARKER, (px, py), 9)

    def _draw_step_panel(self, surface, panel, x, y) -> None:
        import pygame

        from games import style

        phase, height = self.cue_phase()
        words = {"ready": "Stand still on the board", "down": "Lower your heel slowly", "touch": "Touch lightly",
                 "up": "Come back up", "rest": "Stand tall", "done": "Well done"}
        other = "left" if self.options.leg == "right" else "right"
        y = self._text(surface, f"On your {self.options.leg} leg; {other} heel down",
                       style.text_px(0.8), style.MUTED, (x, y)).bottom + 8
        y = self._text(surface, words[phase], style.text_px(1.0), style.TARGET, (x, y)).bottom + 10
        # The tempo bar: the heel's target height, top = standing tall, bottom = floor.
        self._text(surface, "heel", style.text_px(0.7), style.MUTED, (x, y))
        self._text(surface, "floor load", style.text_px(0.7), style.MUTED, (x + 115, y))
        y += style.text_px(0.7) + 4
        bar = pygame.Rect(x, y, 60, max(80, panel.height - y - 150))
        pygame.draw.rect(surface, style.BACKGROUND, bar)
        pygame.draw.rect(surface, style.MUTED, bar, width=2)
        level_y = int(round(bar.bottom - height * bar.height))
        pygame.draw.rect(surface, style.TARGET, pygame.Rect(bar.left, level_y - 8, bar.width, 16))
        self._text(surface, "up", style.text_px(0.7), style.MUTED, (bar.right + 6, bar.top))
        self._text(surface, "floor", style.text_px(0.7), style.MUTED, (bar.right + 6, bar.bottom), "bottomleft")
        # The load the floor takes now, as a second bar beside it.
        total = self.frame.total_kg
        if math.isfinite(self.weight_kg) and math.isfinite(total):
            touch_pct = max(0.0, (self.weight_kg - total) / self.weight_kg * 100.0)
            load_bar = pygame.Rect(x + 115, bar.top, 40, bar.height)
            pygame.draw.rect(surface, style.BACKGROUND, load_bar)
            limit = self.level.max_touch_pct_bw
            fill = min(1.0, touch_pct / (2 * limit))
            colour = style.GOOD if touch_pct <= limit else style.BAD
            pygame.draw.rect(surface, colour, pygame.Rect(load_bar.left, load_bar.bottom - int(fill * load_bar.height),
                                                          load_bar.width, int(fill * load_bar.height)))
            limit_y = load_bar.bottom - load_bar.height // 2
            pygame.draw.line(surface, style.TEXT, (load_bar.left - 4, limit_y), (load_bar.right + 4, limit_y), 2)
            self._text(surface, f"limit {limit:.0f}%", style.text_px(0.7), style.TEXT, (load_bar.right + 8, limit_y),
                       "midleft")
            self._text(surface, f"{touch_pct:.0f}% of you", style.text_px(0.7), colour,
                       (load_bar.left, load_bar.bottom + 4))
        y = bar.bottom + 30
        reps = len(self.result.reps) if self.result is not None else 0
        y = self._text(surface, f"Reps {reps} / {self.level.reps}", style.text_px(1.0), style.TEXT, (x, y)).bottom + 4
        if self.result is not None and self.result.reps:
            last = self.result.reps[-1]
            light = last.touch_load_pct_bw <= self.level.max_touch_pct_bw
            self._text(surface, f"last: {last.descent_s:.1f} s down, touch {last.touch_load_pct_bw:.0f}% "
                                f"({'light' if light else 'too heavy'})", style.text_px(0.7),
                       style.GOOD if light else style.WARN, (x, y))

    def _draw_landing_panel(self, surface, panel, x, y) -> None:
        import pygame

        from games import style

        if self.landing is not None and math.isfinite(self.landing.stable_s):
            message, colour = "Landed and steady: hold", style.GOOD
        elif self.landing is not None:
            message, colour = "Landed: keep still", style.TARGET
        elif self.open_contact is not None:
            message, colour = "On the board: keep still", style.TARGET
        elif self.step_ons and self.frame.standing:
            message, colour = "That was a step, not a landing: back onto the box", style.WARN
        elif self.ready:
            message, colour = "Step down onto the board now, land softly", style.TARGET
        else:
            message, colour = "Stand on the box; board empty", style.MUTED
        for line in _wrap_words(message, style.font(style.text_px(0.8)), panel.width - 40):
            y = self._text(surface, line, style.text_px(0.8), colour, (x, y)).bottom + 2
        y += 10
        # The force trace: the last TRACE_S of the load, in body weights when known, with the ±5 % band.
        box = pygame.Rect(x, y, panel.width - 40, 220)
        pygame.draw.rect(surface, style.BACKGROUND, box)
        data = self.arrays() if self._arrays is not None else (np.concatenate(self._chunks) if self._chunks
                                                                 else np.empty((0, 4)))
        weight = self.weight_kg
        if len(data):
            recent = data[data[:, 0] >= data[-1, 0] - TRACE_S]
            known = math.isfinite(weight)
            unit = weight if known else 1.0  # body weights when known, else kilograms
            peak = float(np.nanmax(recent[:, 1])) / unit if np.isfinite(recent[:, 1]).any() else 0.0
            top = max(2.0 if known else 100.0, peak * 1.1)

            def to_y(v):
                return box.bottom - (v / top) * box.height

            if math.isfinite(weight):
                band = pygame.Rect(box.left, int(to_y(1 + scoring.STABLE_BAND_FRACTION)), box.width,
                                   max(1, int(to_y(1 - scoring.STABLE_BAND_FRACTION)) -
                                       int(to_y(1 + scoring.STABLE_BAND_FRACTION))))
                pygame.draw.rect(surface, style.PANEL, band)
                pygame.draw.line(surface, style.MUTED, (box.left, int(to_y(1.0))), (box.right, int(to_y(1.0))))
                self._text(surface, "1x", style.text_px(0.6), style.MUTED, (box.left + 4, int(to_y(1.0)) - 2),
                           "bottomleft")
            if len(recent) >= 2:
                px = box.left + (recent[:, 0] - (recent[-1, 0] - TRACE_S)) / TRACE_S * box.width
                py = to_y(np.nan_to_num(recent[:, 1]) / unit)
                pygame.draw.lines(surface, style.ORANGE, False, np.column_stack((px, py)).tolist(), 2)
            self._text(surface, f"load ({'x your weight' if known else 'kg'}), last {TRACE_S:g} s",
                       style.text_px(0.7), style.MUTED, (box.left, box.bottom + 4))
        y = box.bottom + 40
        if self.landing is not None and math.isfinite(self.landing.body_weight_kg):
            lines = [f"peak {self.landing.peak_force_bw:.1f} x body weight",
                     f"loading rate {self.landing.loading_rate_bw_s:.0f} BW/s"]
            if math.isfinite(self.landing.stable_s):
                lines.append(f"steady after {self.landing.time_to_stabilization_s:.2f} s")
            for line in lines:
                y = self._text(surface, line, style.text_px(0.8), style.TEXT, (x, y)).bottom + 4


def _wrap_words(text: str, font, width_px: int) -> list[str]:
    """The text in lines of at most width_px, broken between words."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and font.size(lines[-1] + " " + word)[0] <= width_px:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines
