"""Single-leg stance test (`test single-leg-stance`): each leg, eyes open and closed, best of three attempts, to
30 s (or 45 s), decided on the raw samples as they arrive (docs/clinic.md, "Single-leg stance").

The person stands on the board on both feet, then lifts the other foot and stands on the tested leg. Physics of
the board: the load stays the body weight when a foot lifts (both feet were on the board), but the centre of
pressure moves under the stance foot, i.e. sideways by about half the distance between the feet. So:

- **Ready:** `READY_S` of standing on both feet without a break: the total load at least
  `STANDING_LOAD_FRACTION` of the body weight (before the body weight is known, at least `MIN_STANDING_KG`), a COP,
  and, once a two-foot baseline is known (the test's first one, carried from condition to condition), the COP
  less than `LIFT_SHIFT_MM` from it to either side (not on one foot). The attempt's **baseline** is the median COP
  x over that ready second; the body weight, unless given, the median total over the first one. The very first
  ready second is taken as the person stands: they are asked to stand on both feet.
- **Lift (start):** the first sample of a run in which the COP lies at least `LIFT_SHIFT_MM` to the stance side of
  the baseline (left leg: x ≤ baseline − 50 mm; right leg: x ≥ baseline + 50 mm) with the load at least
  `STANDING_LOAD_FRACTION` of the body weight, a run that lasts `LIFT_CONFIRM_S`. The time held counts from that
  first sample. A run that breaks earlier is a **false start**: not an attempt (counted in `false_starts`).
- **Touch-down (stop):** trainer.scoring.single_leg.TouchDownDetector, the single-leg game's rules unchanged (the
  load below 85 % of the body weight for 0.1 s: the other foot on the floor; a COP jump of more than 40 mm within
  0.15 s: the other foot put down on the board; the COP more than 70 mm to the side of the stance foot for 0.1 s).
  Its target is the median COP of the confirmation run (where the stance foot is), and it is fed from the end of
  that run, so the weight's own move onto the stance foot is not taken for a jump. The attempt ends at the
  touch-down's start (its first low sample, the jump's sample, the first sample outside the foot): the time held is
  touch-down start − lift start, exact to the sample.
- **Time limit:** the attempt's samples are those with t < start + trial_s; one that reaches it is completed. A
  touch-down counts when the detector has seen it before the limit (a load drop that starts in the trial's last
  0.1 s is not confirmed in time: the attempt is completed).
- **Attempts:** up to `MAX_ATTEMPTS`; a completed attempt ends the condition (nothing is longer). After a
  touch-down the next attempt waits for the person to be ready on both feet again. The condition's time held is
  the best (longest; the first of equals).
- **Sway** of the best attempt: the `default` measures (trainer.measures.default) on its samples from the end of
  the confirmation run to its end (the weight moving onto the stance foot is not sway).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from trainer.clinic.quiet_stance import end_where_samples_stop
from trainer.cop import MIN_STANDING_KG
from trainer.scoring.single_leg import TOUCH_DOWN_LOAD_FRACTION, TouchDown, TouchDownDetector

CONDITIONS = ("left-eo", "right-eo", "left-ec", "right-ec")
CONDITION_WORDS = {"left-eo": "Stand on your LEFT leg, eyes open", "right-eo": "Stand on your RIGHT leg, eyes open",
                   "left-ec": "Stand on your LEFT leg, eyes closed", "right-ec": "Stand on your RIGHT leg, eyes closed"}
# `--condition` may also name a leg or the eyes: that leg's (those eyes') two conditions, in the protocol's order.
CONDITION_GROUPS = {"left": ("left-eo", "left-ec"), "right": ("right-eo", "right-ec"),
                    "eo": ("left-eo", "right-eo"), "ec": ("left-ec", "right-ec")}
TRIAL_S = (30.0, 45.0)
MAX_ATTEMPTS = 3
READY_S = 1.0
STANDING_LOAD_FRACTION = TOUCH_DOWN_LOAD_FRACTION  # 85 %: below it, a touch-down (the game's threshold)
# A foot is lifted when the COP has moved this far towards the stance foot. Two feet on a Wii board's marks stand
# some 200-250 mm apart (unchecked), so one foot carries all the weight with the COP 100-125 mm from the two-foot
# baseline: 50 mm is less than half of that, and many times the few mm of quiet two-foot sway.
LIFT_SHIFT_MM = 50.0
# ... for half a second: shorter, the foot went straight back down (a false start, not an attempt).
LIFT_CONFIRM_S = 0.5


def condition_leg_eyes(condition: str) -> tuple[str, str]:
    """('left'|'right', 'open'|'closed') of a condition name such as 'left-eo'."""
    if condition not in CONDITIONS:
        raise ValueError(f"single-leg-stance: condition must be one of {', '.join(CONDITIONS)}, not {condition!r}")
    leg, eyes = condition.split("-")
    return leg, "open" if eyes == "eo" else "closed"


def conditions_of(setup: str | None) -> tuple[str, ...]:
    """The conditions a `--condition` (a condition, a leg, eo|ec, or None: all four) runs, in the protocol's order."""
    if setup is None:
        return CONDITIONS
    if setup in CONDITIONS:
        return (setup,)
    if setup in CONDITION_GROUPS:
        return CONDITION_GROUPS[setup]
    raise ValueError(f"single-leg-stance: condition must be one of {', '.join(CONDITIONS + tuple(CONDITION_GROUPS))}"
                     f", not {setup!r}")


def setup_for(leg: str | None, eyes: str | None) -> str | None:
    """The `--condition` that `--leg` and `--eyes` choose (None: all four conditions)."""
    code = {"open": "eo", "closed": "ec", None: None}[eyes]
    if leg and code:
        return f"{leg}-{code}"
    return leg or code


@dataclass
class LegAttempt:
    start_s: float  # the lift's first sample
    end_s: float | None = None  # exclusive end of the samples that count; None while running
    touch_down: TouchDown | None = None  # what ended it (None: completed, cut short, or still running)
    rows: list = field(default_factory=list)  # (t_s, total_kg, x_mm, y_mm) from the lift on
    baseline_x_mm: float = float("nan")
    target_mm: tuple[float, float] | None = None  # where the stance foot is (the detector's target)
    cut_short: bool = False  # the samples stopped before it could finish

    @property
    def held_s(self) -> float:
        return (self.end_s if self.end_s is not None else self.start_s) - self.start_s

    @property
    def completed(self) -> bool:
        return self.end_s is not None and self.touch_down is None and not self.cut_short

    def table(self) -> np.ndarray:
        return np.asarray(self.rows, dtype=np.float64).reshape(-1, 4)


class SingleLegStanceTrial:
    """One condition: feed samples in time order (`feed`); `done` when an attempt completed or the attempts ran
    out. The rules are in the module's docstring."""

    def __init__(self, leg: str, trial_s: float, *, body_weight_kg: float | None = None,
                 two_foot_x_mm: float | None = None, max_attempts: int = MAX_ATTEMPTS):
        if leg not in ("left", "right"):
            raise ValueError(f"the stance leg is left or right, not {leg!r}")
        if not trial_s > 0:
            raise ValueError(f"a trial lasts more than 0 s, not {trial_s}")
        self.leg = leg
        self.side = -1.0 if leg == "left" else 1.0  # +x is the person's right (DESIGN.md B.1)
        self.trial_s = float(trial_s)
        self.max_attempts = max_attempts
        self.body_weight_kg = body_weight_kg
        self.attempts: list[LegAttempt] = []
        self.false_starts = 0
        self.first_baseline_x_mm: float | None = two_foot_x_mm  # where the COP is on both feet
        self.phase = "ready"  # ready -> armed -> lifting -> holding -> ready ...
        self._ready: list[tuple[float, float, float, float]] = []
        self._baseline_x_mm: float | None = None
        self._lift: list[tuple[float, float, float, float]] = []
        self._detector: TouchDownDetector | None = None
        self.cut_short = False

    @property
    def done(self) -> bool:
        if not self.attempts or self.attempts[-1].end_s is None:
            return False
        return self.attempts[-1].completed or len(self.attempts) >= self.max_attempts

    @property
    def running(self) -> LegAttempt | None:
        return self.attempts[-1] if self.attempts and self.attempts[-1].end_s is None else None

    def best(self) -> LegAttempt | None:
        finished = [a for a in self.attempts if a.end_s is not None]
        return max(finished, key=lambda a: a.held_s, default=None)

    # --- the rules ---------------------------------------------------------------------------------------------
    def _standing_kg(self) -> float:
        return MIN_STANDING_KG if self.body_weight_kg is None else STANDING_LOAD_FRACTION * self.body_weight_kg

    def _shift_mm(self, x: float, baseline: float) -> float:
        return self.side * (x - baseline)

    def feed(self, t_s: float, total_kg: float, x_mm: float, y_mm: float) -> None:
        if self.done:
            return
        row = (float(t_s), float(total_kg), float(x_mm), float(y_mm))
        t, total, x, _ = row
        has_cop = np.isfinite(x) and np.isfinite(row[3]) and np.isfinite(total)
        if self.phase == "ready":
            both_feet = has_cop and total >= self._standing_kg() and (
                self.first_baseline_x_mm is None or abs(x - self.first_baseline_x_mm) < LIFT_SHIFT_MM)
            if not both_feet:
                self._ready = []
                return
            if self._ready and t >= self._ready[0][0] + READY_S - 1e-9:
                ready = np.asarray(self._ready)
                if self.body_weight_kg is None:
                    self.body_weight_kg = float(np.median(ready[:, 1]))
                self._baseline_x_mm = float(np.median(ready[:, 2]))
                if self.first_baseline_x_mm is None:
                    self.first_baseline_x_mm = self._baseline_x_mm
                self._ready = []
                self.phase = "armed"
            else:
                self._ready.append(row)
                return
        lifted = has_cop and total >= self._standing_kg() and \
            self._shift_mm(x, self._baseline_x_mm) >= LIFT_SHIFT_MM - 1e-9
        if self.phase == "armed":
            if lifted:
                self._lift = [row]
                self.phase = "lifting"
            elif not has_cop or total < self._standing_kg():
                self.phase = "ready"  # stepped off or took weight elsewhere: ready on both feet again
            return
        if self.phase == "lifting":
            if not lifted:
                self.false_starts += 1
                self._lift = []
                both_feet = has_cop and total >= self._standing_kg()
                self.phase = "armed" if both_feet else "ready"
                return
            if t < self._lift[0][0] + LIFT_CONFIRM_S - 1e-9:
                self._lift.append(row)
                return
            self._start_attempt()
        attempt = self.running
        if t >= attempt.start_s + self.trial_s - 1e-9:
            attempt.end_s = attempt.start_s + self.trial_s
            self.phase = "ready"
            return
        started = self._detector.feed([t], [total], [x], [row[3]])
        if started:
            touch_down = started[0]
            attempt.touch_down = touch_down
            attempt.end_s = touch_down.start_s
            attempt.rows = [r for r in attempt.rows if r[0] < touch_down.start_s]
            self.phase = "ready"
            self._ready = []
            return
        attempt.rows.append(row)

    def _start_attempt(self) -> None:
        lift = np.asarray(self._lift)
        target = (float(np.median(lift[:, 2])), float(np.median(lift[:, 3])))
        self._detector = TouchDownDetector(body_weight_kg=self.body_weight_kg, target_x_mm=target[0],
                                           target_y_mm=target[1])
        self.attempts.append(LegAttempt(start_s=float(lift[0, 0]), rows=list(self._lift),
                                        baseline_x_mm=self._baseline_x_mm, target_mm=target))
        self._lift = []
        self.phase = "holding"

    def end_of_data(self) -> None:
        """The samples stopped. A running attempt whose samples reach the time limit within one sample interval is
        completed; any other running attempt ends where its samples end, cut short (not completed)."""
        attempt = self.running
        if attempt is None or not attempt.rows:
            return
        attempt.end_s, complete = end_where_samples_stop(attempt.rows, attempt.start_s, self.trial_s)
        if not complete:
            attempt.cut_short = True
            self.cut_short = True


def sway_rows(attempt: LegAttempt) -> np.ndarray:
    """The attempt's (t, total, x, y) rows the sway is measured on: from the end of the confirmation run on."""
    table = attempt.table()
    return table[table[:, 0] >= attempt.start_s + LIFT_CONFIRM_S - 1e-9]


def sway_measures(attempt: LegAttempt) -> dict:
    """The `default` measures of the attempt's sway rows, or {"not_measured": why}."""
    from trainer.errors import MeasureError
    from trainer.measures.default import profile_default
    from trainer.readers.common import nominal_rate_hz
    from trainer.recording import Recording

    rows = sway_rows(attempt)
    if len(rows) < 3:
        return {"not_measured": f"only {len(rows)} samples held after the lift was confirmed"}
    recording = Recording(path="single-leg attempt", format="trial", t_s=rows[:, 0], cop_x_mm=rows[:, 2],
                          cop_y_mm=rows[:, 3], total_kg=rows[:, 1], fs_hz=nominal_rate_hz(rows[:, 0]))
    try:
        return profile_default(recording)
    except MeasureError as error:
        return {"not_measured": str(error)}


def condition_result(condition: str, trial: SingleLegStanceTrial) -> dict:
    """A condition's result: time held (best attempt), every attempt, false starts, and the best one's sway."""
    leg, eyes = condition_leg_eyes(condition)
    best = trial.best()
    attempts = []
    for attempt in trial.attempts:
        if attempt.end_s is None:
            continue
        td = attempt.touch_down
        attempts.append({"start_s": attempt.start_s, "held_s": round(attempt.held_s, 6),
                         "touch_down_s": td.start_s if td else None, "cause": td.cause if td else None,
                         "completed": attempt.completed})
    result = {"condition": condition, "leg": leg, "eyes": eyes, "trial_s": trial.trial_s,
              "held_s": round(best.held_s, 6) if best else 0.0, "completed": bool(best and best.completed),
              "attempts": attempts, "false_starts": trial.false_starts, "body_weight_kg": trial.body_weight_kg}
    if best is not None and best.rows:
        result["measures"] = {"default": sway_measures(best)}
        result["samples"] = len(best.rows)
    return result


def left_right_differences(results: dict[str, dict]) -> dict[str, float | None]:
    """Left − right time held (s), eyes open and eyes closed; None where either leg was not tested."""
    out: dict[str, float | None] = {}
    for eyes in ("eo", "ec"):
        left, right = results.get(f"left-{eyes}"), results.get(f"right-{eyes}")
        out[f"left_minus_right_held_{eyes}_s"] = (round(left["held_s"] - right["held_s"], 6)
                                                  if left is not None and right is not None else None)
    return out
