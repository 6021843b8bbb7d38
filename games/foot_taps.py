"""Foot taps (`foot-taps`): cued taps of a foot, scored from the board's load (docs/games-foot-taps.md).

Set-ups:
- `target` (default): the player stands on the floor behind the board, facing the way the board faces, and taps
  the left or the right half of the board with the cued foot. Levels 1-6 are cued (a metronome, then random
  timing); level 7 is the Hill step test (15 s, as many taps as possible with the `leg` foot); level 8 is the
  Alternate Step Test (8 alternating taps, timed).
- `clock`: the player stands on the `leg` foot on the board and taps the free foot on the floor in the cued clock
  direction (12 = in front, 3 = to the right, 6 = behind, 9 = to the left; diagonals from level 4).

The cue schedule is fixed by the set-up, the level and the seed (`cue_schedule`), in round time; each cue's time
on the board's clock is the source time of the frame it was shown on. The round keeps every sample it is given and
scores them with `trainer.scoring.foot_taps` (live, ten times a second, for the counts on screen; and in `scores()`).
A pause (the board stale or gone) voids the cues whose response window it interrupts, and the samples that arrive
with the resume are dropped, so nothing is scored across the gap.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pygame

from games import style
from games.live_view import board_outline_mm, board_to_screen
from games.live_view import screen_to_board as live_screen_to_board
from games.round import GameRound, RoundOptions
from trainer.balance_input import STEP_S, BalanceInput, CopFrame
from trainer.scoring import foot_taps as scoring
from trainer.scoring.foot_taps import CENTRE, LEFT, RIGHT

FIRST_CUE_S = 2.0  # round time of the first cue (or the go of a self-paced test): time to get ready
DEFAULT_SECONDS = 30.0
HILL_SECONDS = 15.0  # Hill et al. 1996: taps in 15 s
AST_STEPS = 8  # Alternate Step Test: 8 alternating taps (4 per foot)
AST_MAX_SECONDS = 60.0  # an AST not finished by then ends, with alternate_step_time_s = NaN
LIVE_SCORE_EVERY_STEPS = 6  # counts on screen refresh 10 times a second
FEEDBACK_S = 0.6  # how long "hit" / "miss" stays on screen
# What `scores()` gives (the results screen lists every score); everything else the scoring computes (cues, void
# cues, extra and wrong-side taps, weight, settings ...) is in `details()` and logged with the round's end.
SCORE_NAMES = ("taps", "hits", "misses", "mean_reaction_ms", "tap_rate_hz", "left_right_symmetry_pct")
CLOCK_SCORE_NAMES = SCORE_NAMES + ("mean_stabilization_ms", "mean_tap_load_pct_bw")
AST_SCORE_NAMES = SCORE_NAMES + ("alternate_step_time_s",)
DEFAULT_VIEW_SIZE = (1280, 720)  # the window size assumed before the first draw


@dataclass(frozen=True)
class Level:
    kind: str  # metronome | random | hill | ast
    interval_s: tuple[float, float]  # cue interval (metronome: both equal)
    window_s: float  # response window after a cue
    early_s: float  # a metronome's window opens this long before the beat (taps on the beat are right)
    sides: str  # alternate | random (target); clock levels use CLOCK_DIRECTIONS
    description: str


LEVELS: dict[int, Level] = {
    1: Level("metronome", (1.5, 1.5), 1.2, 0.25, "alternate", "metronome 40/min, alternating, 1.2 s to answer"),
    2: Level("metronome", (1.0, 1.0), 0.8, 0.2, "alternate", "metronome 60/min, alternating, 0.8 s to answer"),
    3: Level("metronome", (0.75, 0.75), 0.55, 0.15, "random", "metronome 80/min, random side, 0.55 s to answer"),
    4: Level("random", (1.5, 2.5), 1.0, 0.0, "random", "random timing 1.5-2.5 s, random side, 1.0 s to answer"),
    5: Level("random", (1.0, 1.8), 0.7, 0.0, "random", "random timing 1.0-1.8 s, random side, 0.7 s to answer"),
    6: Level("random", (0.7, 1.2), 0.5, 0.0, "random", "random timing 0.7-1.2 s, random side, 0.5 s to answer"),
    7: Level("hill", (0.0, 0.0), 0.0, 0.0, "leg", "Hill step test: taps of one foot in 15 s, as fast as you can"),
    8: Level("ast", (0.0, 0.0), 0.0, 0.0, "alternate", "Alternate Step Test: time for 8 alternating taps"),
}
SELF_PACED = ("hill", "ast")

# Clock directions: (label, unit vector in board coordinates (x right, y forward)). Levels 1-3 use the four main
# hours, levels 4-6 all eight.
CLOCK_DIRECTIONS = (("12", (0.0, 1.0)), ("3", (1.0, 0.0)), ("6", (0.0, -1.0)), ("9", (-1.0, 0.0)),
                    ("1:30", (0.7071, 0.7071)), ("4:30", (0.7071, -0.7071)), ("7:30", (-0.7071, -0.7071)),
                    ("10:30", (-0.7071, 0.7071)))

SIDE_WORDS = {LEFT: "LEFT", RIGHT: "RIGHT", CENTRE: ""}


@dataclass(frozen=True)
class Cue:
    round_s: float  # when it is shown, in round time
    side: int  # LEFT, RIGHT, or CENTRE (clock 12 and 6)
    label: str  # "left" / "right" (target) or the clock hour
    direction: tuple[float, float]  # arrow direction, board coordinates


def cue_schedule(setup: str, level: int, seed: int, seconds: float) -> list[Cue]:
    """The round's cues, in round time: the same for the same set-up, level, seed and length. Self-paced levels
    have none (their cue follows the player's taps)."""
    spec = LEVELS[level]
    if spec.kind in SELF_PACED:
        return []
    rng = np.random.default_rng(seed)
    cues: list[Cue] = []
    t = FIRST_CUE_S
    i = 0
    directions = CLOCK_DIRECTIONS[:4] if level <= 3 else CLOCK_DIRECTIONS
    while t + spec.window_s <= seconds:
        if setup == "clock":
            if spec.kind == "metronome":
                label, vector = directions[i % len(directions)]
            else:
                label, vector = directions[int(rng.integers(len(directions)))]
            side = RIGHT if vector[0] > 0.1 else LEFT if vector[0] < -0.1 else CENTRE
        else:
            side = (LEFT if i % 2 == 0 else RIGHT) if spec.sides == "alternate" else \
                (LEFT if rng.integers(2) == 0 else RIGHT)
            label, vector = scoring.SIDE_NAMES[side], (float(side), 0.0)
        cues.append(Cue(round(t, 6), side, label, vector))
        low, high = spec.interval_s
        t += low if high == low else float(rng.uniform(low, high))
        i += 1
    return cues


def layout(size: tuple[int, int]) -> dict[str, tuple[int, int, int, int]]:
    """Screen areas (left, top, width, height): the header with time and counts, the cue band, the board."""
    width, height = size
    header_h = max(60, height // 9)
    cue_h = max(110, height // 4)
    board_top = header_h + cue_h
    return {"header": (0, 0, width, header_h), "cue": (0, header_h, width, cue_h),
            "board": (40, board_top + 10, max(width - 80, 1), max(height - board_top - 30, 1))}


def arrow_points(centre: tuple[int, int], direction: tuple[float, float], length_px: float) -> list[tuple[int, int]]:
    """A thick arrow (7 points) centred on `centre`, pointing along `direction` (board coordinates: y up)."""
    dx, dy = direction
    norm = math.hypot(dx, dy) or 1.0
    ux, uy = dx / norm, -dy / norm  # screen y points down
    px, py = -uy, ux
    half = length_px / 2
    shaft_w, head_w, head_l = length_px * 0.16, length_px * 0.38, length_px * 0.42
    cx, cy = centre
    pts = [(-half, shaft_w), (half - head_l, shaft_w), (half - head_l, head_w), (half, 0.0),
           (half - head_l, -head_w), (half - head_l, -shaft_w), (-half, -shaft_w)]
    return [(int(round(cx + a * ux + b * px)), int(round(cy + a * uy + b * py))) for a, b in pts]


def _tone(frequency_hz: float, seconds: float, rate_hz: int, channels: int, dtype) -> np.ndarray:
    t = np.arange(int(rate_hz * seconds)) / rate_hz
    envelope = np.minimum(1.0, np.minimum(t, seconds - t) / 0.01)  # 10 ms ramps: no clicks
    wave = 0.4 * envelope * np.sin(2 * np.pi * frequency_hz * t)
    if np.issubdtype(dtype, np.integer):
        wave = wave * np.iinfo(dtype).max
    samples = wave.astype(dtype)
    return np.repeat(samples[:, None], channels, axis=1) if channels > 1 else samples


# Eyes closed: left is a low tone, right a high one, straight ahead / behind a middle one (behind: two beeps).
CUE_TONES_HZ = {LEFT: 330.0, RIGHT: 880.0, CENTRE: 550.0}
TONE_S = 0.15
TICK_HZ, TICK_S = 1200.0, 0.04  # the metronome's tick, eyes open


def make_cue_sounds() -> dict:
    """{side: pygame Sound} for the eyes-closed cues, or {} where the mixer is not running (the game then runs
    silent). The mixer is the app's to start and stop (its sound setting): a round never starts it."""
    try:
        mixer = pygame.mixer.get_init()
    except pygame.error:
        return {}
    if not mixer:
        return {}
    rate_hz, fmt, channels = mixer
    dtype = {-16: np.int16, 16: np.uint16, -8: np.int8, 8: np.uint8, 32: np.float32}.get(fmt)
    if dtype is None or dtype in (np.uint16, np.uint8):
        return {}  # unsigned formats are unusual enough not to bother: silent, as with no mixer
    sounds = {}
    try:
        for side, hz in CUE_TONES_HZ.items():
            sounds[side] = pygame.sndarray.make_sound(np.ascontiguousarray(_tone(hz, TONE_S, rate_hz, channels,
                                                                                 dtype)))
        gap = np.zeros_like(_tone(1.0, 0.08, rate_hz, channels, dtype))
        double = np.concatenate((_tone(CUE_TONES_HZ[CENTRE], TONE_S, rate_hz, channels, dtype), gap,
                                 _tone(CUE_TONES_HZ[CENTRE], TONE_S, rate_hz, channels, dtype)))
        sounds["back"] = pygame.sndarray.make_sound(np.ascontiguousarray(double))
        sounds["tick"] = pygame.sndarray.make_sound(np.ascontiguousarray(_tone(TICK_HZ, TICK_S, rate_hz, channels,
                                                                               dtype)))
    except (pygame.error, ValueError):
        return {}
    return sounds


class FootTapsRound(GameRound):
    name = "foot-taps"
    setups = ("target", "clock")

    def __init__(self, board: BalanceInput, options: RoundOptions):
        super().__init__(board, options)
        if options.level not in LEVELS:
            raise ValueError(f"foot-taps: level must be one of {', '.join(map(str, LEVELS))}, not {options.level}")
        self.level = LEVELS[options.level]
        if self.setup == "clock" and self.level.kind in SELF_PACED:
            raise ValueError(f"foot-taps: level {options.level} ({self.level.kind} test) is for the target set-up")
        if options.leg not in ("left", "right"):
            raise ValueError(f"foot-taps: leg must be left or right, not {options.leg!r}")
        if options.weight_kg is not None and not options.weight_kg > 0:
            raise ValueError(f"foot-taps: weight must be positive, not {options.weight_kg}")
        if self.level.kind in SELF_PACED:
            # A self-paced test's time runs from its go: the round is the lead-in plus the test's time.
            self.test_s = float(options.seconds) if options.seconds is not None else \
                HILL_SECONDS if self.level.kind == "hill" else AST_MAX_SECONDS
            self.seconds = FIRST_CUE_S + self.test_s
        else:
            self.test_s = self.seconds = float(options.seconds) if options.seconds is not None else DEFAULT_SECONDS
        self.cues = cue_schedule(self.setup, options.level, options.seed, self.seconds)
        self.cue_source_s = [math.nan] * len(self.cues)  # board time each cue was shown; NaN: not shown or voided
        self.voided = [False] * len(self.cues)
        self.next_cue = 0
        self.leg_side = LEFT if options.leg == "left" else RIGHT
        self.go_source_s = math.nan  # self-paced tests: board time of the go
        self.frame: CopFrame = board.frame
        self._rows = np.empty((1024, 4))  # t_s, total_kg, cop_x_mm, cop_y_mm; grows by doubling
        self._n_rows = 0
        self._last_t = -math.inf
        self._drop_resume_batch = False
        self._steps = 0
        self.standing_kg: float | None = None  # clock: the board's load in the first second on it
        self.live: dict = {}
        self.live_cue_side = self.leg_side  # self-paced: the side cued now
        self.feedback: tuple[str, float] | None = None  # ("hit" | "miss", until round time)
        self._judged = 0  # cues whose outcome was shown
        self.shown_hits = 0  # on screen: cues judged so far (an open window is neither yet)
        self.shown_misses = 0
        self._final: dict | None = None
        self._empty: float | None = None  # target: the empty board's reading
        self.view_size = DEFAULT_VIEW_SIZE
        # Eyes closed: every cue is a tone. Eyes open: metronome levels tick on the beat (when sound is on).
        self.sounds = make_cue_sounds() if options.eyes == "closed" or self.level.kind == "metronome" else {}

    # --- data ----------------------------------------------------------------------------------------------------
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(t_s, total_kg, cop_x_mm, cop_y_mm) of every sample the round was scored on."""
        rows = self._rows[:self._n_rows]
        return rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]

    def _take_samples(self) -> None:
        history = self.board.recent(5.0)
        new = history.t_s > self._last_t
        if not new.any():
            return
        self._last_t = float(history.t_s[new][-1])
        if self._drop_resume_batch:
            # What arrives with the resume may be a backlog from the gap: it was never seen live, so not scored.
            self._drop_resume_batch = False
            return
        self._append(np.column_stack((history.t_s[new], history.total_kg[new], history.cop_x_mm[new],
                                      history.cop_y_mm[new])))

    def _append(self, rows: np.ndarray) -> None:
        needed = self._n_rows + len(rows)
        if needed > len(self._rows):
            grown = np.empty((max(needed, 2 * len(self._rows)), 4))
            grown[:self._n_rows] = self._rows[:self._n_rows]
            self._rows = grown
        self._rows[self._n_rows:needed] = rows
        self._n_rows = needed

    # --- the round -----------------------------------------------------------------------------------------------
    def update(self, dt_s: float = STEP_S) -> None:
        # on_frame runs inside the base update: it must know that this frame ends a pause.
        self._drop_resume_batch = was_paused = self.round.paused
        super().update(dt_s)
        if self.round.paused and not was_paused:
            self._void_open_cues()

    def _void_open_cues(self) -> None:
        for i in range(self.next_cue):
            cue = self.cues[i]
            if not self.voided[i] and cue.round_s + self.level.window_s > self.round.t_s:
                self.voided[i] = True
                self.cue_source_s[i] = math.nan
                self.log("void", f"cue {i + 1} ({cue.label}): the board paused during its window")

    def on_frame(self, frame: CopFrame, dt_s: float) -> None:
        self.frame = frame
        resumed = self._drop_resume_batch
        self._take_samples()
        self._steps += 1
        if self.setup == "clock" and self.standing_kg is None:
            t, total, _, _ = self.arrays()
            standing = scoring.body_weight_from_first_second(t, total) if len(t) else math.nan
            if math.isfinite(standing):
                self.standing_kg = standing
                self.log("weighed", f"{standing:.1f} kg")
        if self.level.kind in SELF_PACED:
            self._self_paced_frame(frame)
        else:
            self._cued_frame(frame, resumed)
        if self._steps % LIVE_SCORE_EVERY_STEPS == 0 or self.round.t_s >= self.seconds:
            self._live_scores()
        if self.round.t_s >= self.seconds - 1e-9:
            self.finished = True
            self._final = self._score()
            # Every window has closed by the end: the cues not judged yet are judged now.
            if self.level.kind not in SELF_PACED:
                results = self._cue_results()
                for i in range(self._judged, self.next_cue):
                    if i in results:
                        self.log("hit" if results[i] else "miss", self.cues[i].label)
                self._judged = self.next_cue
            self.shown_hits, self.shown_misses = self._final["hits"], self._final["misses"]
            self._log_end()

    def _cued_frame(self, frame: CopFrame, resumed: bool) -> None:
        while self.next_cue < len(self.cues) and self.cues[self.next_cue].round_s <= self.round.t_s + 1e-9:
            i = self.next_cue
            cue = self.cues[i]
            self.next_cue += 1
            if self.setup == "clock" and self.standing_kg is None:
                self.voided[i] = True
                self.log("void", f"cue {i + 1} ({cue.label}): not weighed yet (stand on the board)")
                continue
            if resumed or not math.isfinite(frame.t_s):
                self.voided[i] = True
                self.log("void", f"cue {i + 1} ({cue.label}): no board time")
                continue
            self.cue_source_s[i] = frame.t_s
            self.log("cue", cue.label)
            if self.options.eyes == "closed":
                self._play(cue.side if cue.label != "6" else "back")
            else:
                self._play("tick")
        # Feedback once a cue's window has closed and the tap that may answer it has ended (a tap is known only
        # at its release; one held longer than MAX_TAP_S is no tap).
        pressing = self._pressing()
        while self._judged < self.next_cue and \
                self.cues[self._judged].round_s + self.level.window_s <= self.round.t_s - \
                (0.0 if not pressing else scoring.MAX_TAP_S):
            i = self._judged
            self._judged += 1
            if self.voided[i]:
                continue
            self._live_scores()
            result = self._cue_results().get(i)
            if result is not None:
                self.shown_hits += int(result)
                self.shown_misses += int(not result)
                self.feedback = ("hit" if result else "miss", self.round.t_s + FEEDBACK_S)
                self.log("hit" if result else "miss", self.cues[i].label)

    def _pressing(self) -> bool:
        """A tap may be going on: the newest excess load is at or above the release level."""
        t, total, _, _ = self.arrays()
        if not len(t) or not math.isfinite(total[-1]):
            return False
        if self.setup == "clock":
            if self.standing_kg is None:
                return False
            excess, weight = self.standing_kg - total[-1], self._clock_weight()
        else:
            excess, weight = total[-1] - self._empty_kg(), self._target_weight()
        return bool(excess >= scoring.TAP_RELEASE_FRACTION * scoring.tap_onset_kg(weight))

    def _self_paced_frame(self, frame: CopFrame) -> None:
        if not math.isfinite(self.go_source_s):
            if self.round.t_s >= FIRST_CUE_S and math.isfinite(frame.t_s):
                self.go_source_s = frame.t_s
                self.log("go", scoring.SIDE_NAMES[self.leg_side])
                self._play(self.leg_side)
            return
        t, total, x, _ = self.arrays()
        taps = scoring.detect_taps(t, total - self._empty_kg(), x,
                                   onset_kg=scoring.tap_onset_kg(self._target_weight()))
        series = scoring.self_paced(taps, go_s=self.go_source_s, first_side=self.leg_side,
                                    alternate=self.level.kind == "ast",
                                    required_hits=AST_STEPS if self.level.kind == "ast" else None)
        done = len(series.match.hit)
        if done > self._judged:
            hit = bool(series.match.hit[-1])
            self.feedback = ("hit" if hit else "miss", self.round.t_s + FEEDBACK_S)
            self.log("tap", f"{scoring.SIDE_NAMES[int(taps.side[series.match.tap_index[-1]])]} "
                            f"{'hit' if hit else 'miss'}")
            self._judged = done
            self.shown_hits = int(np.count_nonzero(series.match.hit))
            self.shown_misses = done - self.shown_hits
            if series.next_side != self.live_cue_side:
                self._play(series.next_side)
            self.live_cue_side = series.next_side
        if self.level.kind == "ast" and math.isfinite(series.completed_s) and not self.finished:
            self.finished = True
            self._live_scores()
            self._final = self._score()
            self._log_end()

    def _play(self, key) -> None:
        sound = self.sounds.get(key)
        if sound is not None:
            try:
                sound.play()
            except pygame.error:
                pass  # a mixer that went away: the cue is still on screen

    def _empty_kg(self) -> float:
        """Target: the empty board's reading (the round's first second), once that second has passed."""
        if self.setup != "target":
            return 0.0
        if self._empty is None and self.round.t_s >= scoring.EMPTY_BOARD_S:
            t, total, _, _ = self.arrays()
            if len(t):
                self._empty = scoring.empty_board_kg(t, total, self._target_weight())
        return self._empty if self._empty is not None else 0.0

    def _clock_weight(self) -> float:
        """Clock: body weight given, else the standing load measured (call once it is)."""
        return self.options.weight_kg if self.options.weight_kg is not None else self.standing_kg

    def _target_weight(self) -> float:
        return self.options.weight_kg if self.options.weight_kg is not None else scoring.DEFAULT_TARGET_WEIGHT_KG

    # --- scores --------------------------------------------------------------------------------------------------
    def _shown_cues(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        shown = [i for i in range(self.next_cue) if not self.voided[i]]
        return (np.array(shown, dtype=np.int64), np.array([self.cue_source_s[i] for i in shown]),
                np.array([self.cues[i].side for i in shown], dtype=np.int64))

    def _cue_results(self) -> dict[int, bool]:
        """{cue index: hit?} for the shown cues, on the data so far."""
        index, cue_s, cue_side = self._shown_cues()
        if not len(index):
            return {}
        t, total, x, y = self.arrays()
        if self.setup == "clock":
            if self.standing_kg is None or not len(t):
                return {}
            taps = scoring.detect_taps(t, self.standing_kg - total,
                                       onset_kg=scoring.tap_onset_kg(self._clock_weight()))
            side = np.zeros(len(cue_s), dtype=np.int64)
        else:
            taps = scoring.detect_taps(t, total - self._empty_kg(), x,
                                       onset_kg=scoring.tap_onset_kg(self._target_weight()))
            side = cue_side
        match = scoring.match_cues(cue_s, side, taps, window_s=self.level.window_s, early_s=self.level.early_s)
        return {int(i): bool(h) for i, h in zip(index, match.hit)}

    def _score(self) -> dict:
        t, total, x, y = self.arrays()
        if self.level.kind in SELF_PACED:
            go = self.go_source_s if math.isfinite(self.go_source_s) else math.inf
            scores = scoring.score_target_self_paced(
                t, total, x, go_s=go, first_side=self.leg_side, alternate=self.level.kind == "ast",
                end_s=go + self.test_s,
                required_hits=AST_STEPS if self.level.kind == "ast" else None, body_weight_kg=self.options.weight_kg)
        else:
            _, cue_s, cue_side = self._shown_cues()
            if self.setup == "clock":
                scores = scoring.score_clock(t, total, x, y, cue_s, cue_side, window_s=self.level.window_s,
                                             early_s=self.level.early_s, body_weight_kg=self.options.weight_kg)
            else:
                scores = scoring.score_target(t, total, x, cue_s, cue_side, window_s=self.level.window_s,
                                              early_s=self.level.early_s, body_weight_kg=self.options.weight_kg)
        scores["level"] = int(self.options.level)
        scores["voided_cues"] = int(sum(self.voided))
        scores["foam"] = int(bool(self.options.foam))
        scores["eyes_closed"] = int(self.options.eyes == "closed")
        return scores

    def _live_scores(self) -> None:
        if self._n_rows:
            self.live = self._score()

    def _score_names(self) -> tuple[str, ...]:
        if self.setup == "clock":
            return CLOCK_SCORE_NAMES
        return AST_SCORE_NAMES if self.level.kind == "ast" else SCORE_NAMES

    def details(self) -> dict:
        """Everything the scoring computed: the scores, and the counts and settings behind them."""
        return dict(self._final) if self._final is not None else self._score()

    def scores(self) -> dict:
        details = self.details()
        return {name: details[name] for name in self._score_names()}

    def _log_end(self) -> None:
        """The round's end, with the details that are not scores (the recording keeps them)."""
        names = self._score_names()
        self.log("end", " ".join(f"{k}={v:g}" for k, v in self._final.items() if k not in names))

    # --- drawing -------------------------------------------------------------------------------------------------
    def current_cue(self) -> Cue | None:
        """The cue on screen now: the last one shown, while its response window is open."""
        if self.level.kind in SELF_PACED:
            if not math.isfinite(self.go_source_s) or self.finished:
                return None
            side = self.live_cue_side
            return Cue(0.0, side, scoring.SIDE_NAMES[side], (float(side), 0.0))
        i = self.next_cue - 1
        if i < 0 or self.voided[i]:
            return None
        cue = self.cues[i]
        return cue if self.round.t_s < cue.round_s + self.level.window_s else None

    def board_to_screen(self, x_mm: float, y_mm: float, size) -> tuple[int, int]:
        return board_to_screen(x_mm, y_mm, self.board.geometry, layout(size)["board"])

    def screen_to_board(self, pos) -> tuple[float, float]:
        """Board point under window pixel `pos`, for a pointer board (mouse://): the play screen asks the round for
        this mapping. Uses the size of the window last drawn on (DEFAULT_VIEW_SIZE before)."""
        return live_screen_to_board(pos[0], pos[1], self.board.geometry, layout(self.view_size)["board"])

    def draw_game(self, surface) -> None:
        size = surface.get_size()
        self.view_size = size  # where the pointer mapping looks; display only, never part of the round's state
        areas = layout(size)
        surface.fill(style.BACKGROUND)
        self._draw_header(surface, areas["header"])
        self._draw_board(surface, areas["board"])
        self._draw_cue(surface, areas["cue"])

    def _draw_header(self, surface, rect) -> None:
        left, top, width, height = rect
        pygame.draw.rect(surface, style.PANEL, rect)
        big = style.font(style.text_px(1.8))
        if self.level.kind == "ast":  # a stopwatch from the go
            clock_text = f"{max(self.round.t_s - FIRST_CUE_S, 0.0):4.1f} s"
        else:
            clock_text = f"{max(self.seconds - self.round.t_s, 0.0):4.0f} s left"
        text = big.render(clock_text, True, style.TEXT)
        surface.blit(text, (left + 20, top + (height - text.get_height()) // 2))
        counts = f"Hits {self.shown_hits}   Misses {self.shown_misses}   Taps {self.live.get('taps', 0)}"
        text = big.render(counts, True, style.TEXT)
        surface.blit(text, (left + width - text.get_width() - 20, top + (height - text.get_height()) // 2))

    def _draw_board(self, surface, rect) -> None:
        geometry = self.board.geometry
        half_w, half_h = board_outline_mm(geometry)
        top_left = board_to_screen(-half_w, half_h, geometry, rect)
        bottom_right = board_to_screen(half_w, -half_h, geometry, rect)
        board_rect = pygame.Rect(top_left, (bottom_right[0] - top_left[0], bottom_right[1] - top_left[1]))
        pygame.draw.rect(surface, style.PANEL, board_rect, border_radius=18)
        cue = self.current_cue()
        mid_x = board_to_screen(0.0, 0.0, geometry, rect)[0]
        if self.setup == "target":
            if cue is not None and cue.side in (LEFT, RIGHT):
                half = pygame.Rect(board_rect.left, board_rect.top, mid_x - board_rect.left, board_rect.height) \
                    if cue.side == LEFT else pygame.Rect(mid_x, board_rect.top, board_rect.right - mid_x,
                                                         board_rect.height)
                lit = tuple(int(0.35 * c + 0.65 * b) for c, b in zip(style.TARGET, style.PANEL))
                pygame.draw.rect(surface, lit, half, border_radius=18)
            pygame.draw.line(surface, style.MUTED, (mid_x, board_rect.top + 8), (mid_x, board_rect.bottom - 8), 3)
            small = style.font(style.text_px(1.2))
            for word, cx in (("left", (board_rect.left + mid_x) // 2), ("right", (mid_x + board_rect.right) // 2)):
                text = small.render(word, True, style.MUTED)
                surface.blit(text, (cx - text.get_width() // 2, board_rect.bottom - text.get_height() - 10))
        else:
            centre = board_to_screen(0.0, 0.0, geometry, rect)
            radius = int(min(board_rect.width, board_rect.height) * 0.42)
            pygame.draw.circle(surface, style.MUTED, centre, radius, 2)
            small = style.font(style.text_px(1.0))
            for label, (dx, dy) in CLOCK_DIRECTIONS[:4]:
                text = small.render(label, True, style.MUTED)
                pos = (centre[0] + int(dx * (radius + 18)) - text.get_width() // 2,
                       centre[1] - int(dy * (radius + 18)) - text.get_height() // 2)
                surface.blit(text, pos)
        pygame.draw.rect(surface, style.MUTED, board_rect, 3, border_radius=18)
        frame = self.frame
        if frame.standing and math.isfinite(frame.cop_x_mm) and math.isfinite(frame.cop_y_mm):
            point = board_to_screen(frame.cop_x_mm, frame.cop_y_mm, geometry, rect)
            pygame.draw.circle(surface, (20, 20, 20), point, 16)
            pygame.draw.circle(surface, style.MARKER, point, 13)

    def _draw_cue(self, surface, rect) -> None:
        left, top, width, height = rect
        cue = self.current_cue()
        if self.feedback is not None and self.round.t_s < self.feedback[1]:
            word, colour = ("HIT", style.GOOD) if self.feedback[0] == "hit" else ("MISS", style.BAD)
            text = style.font(style.text_px(1.8)).render(word, True, colour)
            surface.blit(text, (left + width - text.get_width() - 30, top + (height - text.get_height()) // 2))
        if self.round.paused:
            text = style.font(style.text_px(1.6)).render("Paused: waiting for the board", True, style.WARN)
            surface.blit(text, (left + (width - text.get_width()) // 2, top + (height - text.get_height()) // 2))
            return
        if cue is None:
            if self.setup == "clock" and self.standing_kg is None:
                message = f"Stand on your {self.options.leg} leg"
            elif self.level.kind in SELF_PACED and not self.finished and self.round.t_s < FIRST_CUE_S:
                message = "Get ready"
            else:
                message = ""
            if message:
                text = style.font(style.text_px(1.8)).render(message, True, style.TEXT)
                surface.blit(text, (left + (width - text.get_width()) // 2, top + (height - text.get_height()) // 2))
            return
        centre = cue_arrow_centre(rect)
        pygame.draw.polygon(surface, style.TARGET, arrow_points(centre, cue.direction, height * 0.8))
        word = SIDE_WORDS[cue.side] if self.setup == "target" else cue.label
        if self.level.kind == "hill":
            word += " — fast!"
        text = style.font(style.text_px(3.0)).render(word, True, style.TEXT)
        surface.blit(text, (centre[0] + int(height * 0.6), top + (height - text.get_height()) // 2))


def cue_arrow_centre(cue_rect) -> tuple[int, int]:
    """Screen centre of the cue arrow in the cue band."""
    left, top, width, height = cue_rect
    return left + width // 3, top + height // 2
