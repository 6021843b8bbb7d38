"""Single-leg balance: touch-down detection and the round's scores, over plain arrays (no pygame).

Inputs are the board's samples of the held phase of a round, at the board's own rate: `t_s`, `total_kg`,
`cop_x_mm`, `cop_y_mm` (B.1; NaN COP where nobody stands), the target (centre and radius, mm) and the body weight
(kgf). The game feeds the same arrays, sample by sample, to `TouchDownDetector` for its screen, and calls
`score_single_leg` at the end; both give the same touch-downs because the batch function runs the same detector.

Touch-down (the other foot takes weight, or the standing foot is put down elsewhere; BESS counts both as errors):
- load: the total load stays below TOUCH_DOWN_LOAD_FRACTION of body weight for TOUCH_DOWN_LOAD_S (first to last
  low sample): the other foot is on the floor. It starts at the first low sample.
- COP jump: the COP moves more than JUMP_MM within JUMP_WINDOW_S (the other foot put down on the board, or the
  standing foot shifted). It starts when the jump is seen.
- outside the foot: the COP stays more than OUTSIDE_FOOT_ML_MM to the side of the target centre (where the foot
  settled) for OUTSIDE_FOOT_S: no COP gets that far out on one foot, so the other foot carries weight on the board
  (put down too slowly for a jump). It starts at its first outside sample.
A touch-down ends once, for RECOVER_S without a break, the load is at least RECOVER_LOAD_FRACTION of body weight
and the COP lies within RECOVER_DISTANCE_MM of the target centre (back on one foot, at the mark); it ends at the
first sample of that run. Touch-downs cannot overlap: a new one can only start after the last one ended.

The round goes on after a touch-down (so `touch_downs` counts them all); what counts:
- round time: the sum of the samples' durations (time to the next sample; a gap longer than MAX_SAMPLE_GAP_S,
  when the board went stale and the round paused, counts nothing), capped at `round_s`.
- `hold_s`: round time before the first touch-down starts; the whole round time when there was none.
- held samples: samples outside every touch-down with a COP.
- `time_in_zone_pct`: share of the held time with the COP within the target radius of its centre.
- `sway_velocity_mm_s`: COP path length over the held stretches (split at touch-downs and gaps, each low-passed
  at LOW_PASS_HZ, zero phase, when long enough and sampled fast enough) divided by their summed durations
  (last minus first sample time of each stretch).
- `sway_area_ellipse95_mm2`: the 95 % prediction ellipse (trainer.measures.sway) of all held, filtered samples.
- `touch_downs`: their number.
Sway measures are NaN when fewer than MIN_HELD_SAMPLES were held: undefined, not perfect.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from trainer.filters import zero_phase_lowpass
from trainer.measures.sway import path_length, prediction_ellipse

# The other foot on the floor takes weight off the board: below 85 % of body weight. Standing on one foot the load
# only wobbles by a few per cent (vertical accelerations of the body), so 15 % is far above that wobble.
TOUCH_DOWN_LOAD_FRACTION = 0.85
# ... for at least 100 ms: a real touch lasts longer than a quick bounce of the body or a spike of sensor noise.
TOUCH_DOWN_LOAD_S = 0.1
# A COP move of more than 40 mm within 150 ms is faster than any balance correction on one foot (mean sway speeds
# are 20-60 mm/s; fast corrections reach some 150 mm/s, 23 mm in 150 ms) but what a foot put down 200 mm away does
# once it takes a fifth of the weight.
JUMP_MM = 40.0
JUMP_WINDOW_S = 0.15
# A foot is 90-110 mm wide and the settled COP lies within some 20 mm of its middle, so a COP 70 mm to the side is
# beyond the standing foot's edge: the other foot is bearing weight on the board. Not front-back: rising onto the
# toes or rocking onto the heel legitimately moves the COP 100 mm and more along the foot.
OUTSIDE_FOOT_ML_MM = 70.0
OUTSIDE_FOOT_S = 0.1  # as for the load: longer than a noise spike
# Back on one foot: the load above 90 % of body weight (hysteresis above the 85 % that starts a touch-down, so noise
# at the threshold does not make many touch-downs) ...
RECOVER_LOAD_FRACTION = 0.90
# ... with the COP near the mark (a foot still on the board holds the COP some 100 mm away) ...
RECOVER_DISTANCE_MM = 50.0
# ... for half a second: settling after a touch-down takes that long.
RECOVER_S = 0.5
# A longer gap between samples means the board went stale (BalanceInput's STALE_AFTER_S) and the round paused.
MAX_SAMPLE_GAP_S = 0.5
# The COP is low-passed at 10 Hz as in the BDS data set (Santos & Duarte 2016), so sway velocities compare to its
# norms; unfiltered, a Wii board's sensor noise alone adds some 20 mm/s at 100 Hz.
LOW_PASS_HZ = 10.0
MIN_FILTER_RATE_HZ = 2.5 * LOW_PASS_HZ  # sampled slower, the signal has little above the cutoff to remove
MIN_HELD_SAMPLES = 10  # fewer held samples make no sway measure worth showing

# Levels: (target radius in mm, round length in s). Single-leg sway of healthy young adults has RMS of 6-8 mm per
# axis, so a 30 mm target holds nearly all of it and 10 mm about half; holds grow from the 30 s of the clinical
# single-leg stance test to 45 s. Levels above the last repeat it (foam and eyes closed are the next steps).
LEVELS: dict[int, tuple[float, float]] = {
    1: (30.0, 30.0),
    2: (24.0, 30.0),
    3: (18.0, 45.0),
    4: (14.0, 45.0),
    5: (10.0, 45.0),
}

SCORE_NAMES = ("hold_s", "time_in_zone_pct", "sway_velocity_mm_s", "sway_area_ellipse95_mm2", "touch_downs")


def level_settings(level: int) -> tuple[float, float]:
    """(target radius mm, round length s) of a level (1 and up)."""
    if level < 1:
        raise ValueError(f"level must be 1 or more, not {level}")
    return LEVELS[min(int(level), max(LEVELS))]


@dataclass(frozen=True)
class TouchDown:
    start_s: float  # load: its first low sample; COP jump: when the jump was seen
    detected_s: float  # when the rule was met (the game learns of it then)
    end_s: float | None  # first sample of the confirmed recovery; None: it lasted to the end of the data
    cause: str  # "load" | "cop-jump" | "outside-foot"


class TouchDownDetector:
    """The touch-down rules, fed sample by sample (in chunks); `touch_downs` holds every one found so far."""

    def __init__(self, *, body_weight_kg: float, target_x_mm: float, target_y_mm: float):
        if not (math.isfinite(body_weight_kg) and body_weight_kg > 0):
            raise ValueError(f"body weight must be a positive number of kg, not {body_weight_kg}")
        self.low_kg = TOUCH_DOWN_LOAD_FRACTION * body_weight_kg
        self.recover_kg = RECOVER_LOAD_FRACTION * body_weight_kg
        self.target = (float(target_x_mm), float(target_y_mm))
        self.touch_downs: list[TouchDown] = []
        self._open: TouchDown | None = None  # the touch-down going on
        self._low_since: float | None = None
        self._outside_since: float | None = None
        self._recover_since: float | None = None
        self._window: deque[tuple[float, float, float]] = deque()  # (t, x, y) of the last JUMP_WINDOW_S

    @property
    def touching(self) -> bool:
        return self._open is not None

    def feed(self, t_s, total_kg, cop_x_mm, cop_y_mm) -> list[TouchDown]:
        """Take the next samples; returns the touch-downs that started in them."""
        new: list[TouchDown] = []
        for t, total, x, y in zip(np.asarray(t_s, float).tolist(), np.asarray(total_kg, float).tolist(),
                                  np.asarray(cop_x_mm, float).tolist(), np.asarray(cop_y_mm, float).tolist()):
            has_cop = math.isfinite(x) and math.isfinite(y)
            jumped = False
            if has_cop:
                while self._window and self._window[0][0] < t - JUMP_WINDOW_S - 1e-9:
                    self._window.popleft()
                jumped = any(math.hypot(x - wx, y - wy) > JUMP_MM for _, wx, wy in self._window)
                self._window.append((t, x, y))
            if self._open is None:
                if not math.isfinite(total):
                    continue  # a sensor that timed out says nothing about the other foot
                if total < self.low_kg:
                    self._low_since = t if self._low_since is None else self._low_since
                    if t - self._low_since >= TOUCH_DOWN_LOAD_S - 1e-9:
                        self._start(TouchDown(self._low_since, t, None, "load"), new)
                        continue
                else:
                    self._low_since = None
                if jumped:
                    self._start(TouchDown(t, t, None, "cop-jump"), new)
                    continue
                if has_cop and abs(x - self.target[0]) > OUTSIDE_FOOT_ML_MM:
                    self._outside_since = t if self._outside_since is None else self._outside_since
                    if t - self._outside_since >= OUTSIDE_FOOT_S - 1e-9:
                        self._start(TouchDown(self._outside_since, t, None, "outside-foot"), new)
                elif has_cop:
                    self._outside_since = None
            else:
                back = (math.isfinite(total) and total >= self.recover_kg and has_cop
                        and math.hypot(x - self.target[0], y - self.target[1]) <= RECOVER_DISTANCE_MM)
                if not back:
                    self._recover_since = None
                    continue
                self._recover_since = t if self._recover_since is None else self._recover_since
                if t - self._recover_since >= RECOVER_S - 1e-9:
                    ended = TouchDown(self._open.start_s, self._open.detected_s, self._recover_since,
                                      self._open.cause)
                    self.touch_downs[-1] = ended
                    self._open = None
                    self._low_since = None
                    self._outside_since = None
        return new

    def _start(self, touch_down: TouchDown, new: list[TouchDown]) -> None:
        self._open = touch_down
        self._recover_since = None
        self.touch_downs.append(touch_down)
        new.append(touch_down)


def detect_touch_downs(t_s, total_kg, cop_x_mm, cop_y_mm, *, body_weight_kg: float, target_x_mm: float,
                       target_y_mm: float) -> list[TouchDown]:
    """Every touch-down in the samples (the rules in the module's docstring)."""
    detector = TouchDownDetector(body_weight_kg=body_weight_kg, target_x_mm=target_x_mm, target_y_mm=target_y_mm)
    detector.feed(t_s, total_kg, cop_x_mm, cop_y_mm)
    return list(detector.touch_downs)


def sample_durations_s(t_s) -> np.ndarray:
    """Each sample's share of round time: the time to the next sample, nothing across a gap longer than
    MAX_SAMPLE_GAP_S (the round was paused), and the median interval for the last sample."""
    t = np.asarray(t_s, dtype=np.float64)
    if len(t) == 0:
        return np.zeros(0)
    steps = np.diff(t)
    if np.any(steps <= 0):
        raise ValueError("sample times must increase")
    steps = np.where(steps > MAX_SAMPLE_GAP_S, 0.0, steps)
    regular = steps[steps > 0]
    last = float(np.median(regular)) if len(regular) else 0.0
    return np.append(steps, last)


def body_weight_from_loads(total_kg) -> float:
    """Body weight (kgf) from a stretch of standing: the median total load (a step or a bounce moves it little)."""
    loads = np.asarray(total_kg, dtype=np.float64)
    loads = loads[np.isfinite(loads)]
    if len(loads) == 0:
        raise ValueError("no load measured: cannot tell the body weight")
    return float(np.median(loads))


def _held_stretches(held: np.ndarray, durations: np.ndarray) -> list[slice]:
    """Runs of held samples not broken by a gap (a zero duration before the last sample of a run breaks it)."""
    breaks = ~held
    stretches, start = [], None
    for i in range(len(held)):
        if breaks[i]:
            if start is not None:
                stretches.append(slice(start, i))
            start = None
            continue
        if start is None:
            start = i
        if durations[i] == 0 and i < len(held) - 1:  # a gap follows this sample
            stretches.append(slice(start, i + 1))
            start = None
    if start is not None:
        stretches.append(slice(start, len(held)))
    return stretches


def _low_passed(t: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(t) < 2:
        return x, y
    fs_hz = 1.0 / float(np.median(np.diff(t)))
    if fs_hz < MIN_FILTER_RATE_HZ:
        return x, y
    try:
        xy = zero_phase_lowpass(np.column_stack((x, y)), LOW_PASS_HZ, fs_hz)
    except ValueError:  # too short a stretch to filter (a few samples): taken as it is
        return x, y
    return xy[:, 0], xy[:, 1]


def score_single_leg(t_s, total_kg, cop_x_mm, cop_y_mm, *, target_x_mm: float, target_y_mm: float,
                     target_radius_mm: float, body_weight_kg: float, round_s: float | None = None) -> dict[str, float]:
    """The round's scores (SCORE_NAMES) over the held phase's samples; definitions in the module's docstring."""
    t = np.asarray(t_s, dtype=np.float64)
    total, x, y = (np.asarray(a, dtype=np.float64) for a in (total_kg, cop_x_mm, cop_y_mm))
    if not (len(t) == len(total) == len(x) == len(y)):
        raise ValueError("t_s, total_kg, cop_x_mm and cop_y_mm must have the same length")
    if not target_radius_mm > 0:
        raise ValueError(f"the target radius must be positive, not {target_radius_mm}")
    durations = sample_durations_s(t)
    if round_s is not None:
        started_at = np.cumsum(durations) - durations  # round time at each sample
        keep = started_at < round_s - 1e-9
        t, total, x, y, durations = t[keep], total[keep], x[keep], y[keep], durations[keep]
        if len(durations):
            durations[-1] = min(durations[-1], round_s - float(started_at[keep][-1]))
    touch_downs = detect_touch_downs(t, total, x, y, body_weight_kg=body_weight_kg, target_x_mm=target_x_mm,
                                     target_y_mm=target_y_mm)
    in_touch_down = np.zeros(len(t), dtype=bool)
    for td in touch_downs:
        in_touch_down |= (t >= td.start_s) & (t < (math.inf if td.end_s is None else td.end_s))
    held = ~in_touch_down & np.isfinite(x) & np.isfinite(y)
    hold_s = float(durations[t < touch_downs[0].start_s].sum()) if touch_downs else float(durations.sum())
    held_s = float(durations[held].sum())
    distance = np.hypot(x - target_x_mm, y - target_y_mm)
    in_zone = held & (distance <= target_radius_mm)
    scores = {
        "hold_s": hold_s,
        "time_in_zone_pct": 100.0 * float(durations[in_zone].sum()) / held_s if held_s > 0 else 0.0,
        "sway_velocity_mm_s": math.nan,
        "sway_area_ellipse95_mm2": math.nan,
        "touch_downs": float(len(touch_downs)),
    }
    if held.sum() >= MIN_HELD_SAMPLES:
        path_mm, span_s, xs, ys = 0.0, 0.0, [], []
        for stretch in _held_stretches(held, durations):
            fx, fy = _low_passed(t[stretch], x[stretch], y[stretch])
            path_mm += path_length(fx, fy)
            span_s += float(t[stretch][-1] - t[stretch][0])
            xs.append(fx)
            ys.append(fy)
        if span_s > 0:
            scores["sway_velocity_mm_s"] = path_mm / span_s
        scores["sway_area_ellipse95_mm2"] = prediction_ellipse(np.concatenate(xs), np.concatenate(ys), 0.95)[0]
    return scores


def leg_asymmetry_pct(left_scores: dict, right_scores: dict, measure: str = "sway_velocity_mm_s") -> float:
    """Left/right asymmetry of one score: 100 · |L − R| / max(L, R), in % (0: the legs alike; 50: one leg sways
    twice as fast as the other). Sway velocity by default: it is the single-leg measure that tells injured from
    healthy ankles best and does not saturate the way hold time does (most people hold 30 s on both legs)."""
    left, right = float(left_scores[measure]), float(right_scores[measure])
    if not (math.isfinite(left) and math.isfinite(right)) or left < 0 or right < 0:
        raise ValueError(f"{measure} must be a non-negative number on both legs, not {left} and {right}")
    larger = max(left, right)
    if larger == 0:
        return 0.0  # equal (both zero)
    return 100.0 * abs(left - right) / larger
