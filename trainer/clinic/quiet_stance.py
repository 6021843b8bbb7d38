"""A timed quiet-stance trial with attempts (mCTSIB conditions, weight-bearing symmetry), decided on the raw
samples as they arrive, so that the trial's window is exact to the sample (docs/clinic.md, "Quiet stance").

- **Start:** the first sample with someone standing (total load at least `MIN_STANDING_KG`) after the attempt began
  waiting. A replayed 60-s force-plate trial therefore starts on its first sample and keeps all its samples.
- **End:** the trial's samples are those with t < start + trial_s: a complete trial.
- **A step or touch-down** ends the attempt: the total load falls below `STEP_LOAD_FRACTION` of the body weight
  (a foot left the board, or a hand or the other foot took weight elsewhere) for `STEP_MIN_S`. The attempt's time
  held is up to the first sample of that drop. The protocol allows up to `MAX_ATTEMPTS` attempts (mCTSIB:
  Shumway-Cook & Horak 1986; Cohen, Blatchly & Gombash 1993): the next attempt waits for the person to stand again.
- **Body weight:** the median total over the first `WEIGHT_WINDOW_S` of the first attempt, unless given.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from trainer.cop import MIN_STANDING_KG

STEP_LOAD_FRACTION = 0.75
STEP_MIN_S = 0.1
MAX_ATTEMPTS = 3
WEIGHT_WINDOW_S = 1.0


def end_where_samples_stop(rows, start_s: float, trial_s: float) -> tuple[float, bool]:
    """(end_s, complete) of an attempt whose samples (rows of (t_s, ...)) stopped: complete when they reach the
    trial's end within one sample interval (a 60-s recording at 100 Hz ends at 59.99 s), else it ends one interval
    after its last sample."""
    times = [row[0] for row in rows[-50:]]
    interval = float(np.median(np.diff(times))) if len(times) > 1 else 0.0
    if times[-1] + interval >= start_s + trial_s - 1e-9:
        return start_s + trial_s, True
    return times[-1] + interval, False


@dataclass
class Attempt:
    start_s: float
    end_s: float | None = None  # exclusive end of the samples that count; None while running
    stepped_at_s: float | None = None  # when a step ended it (None: completed, or still running)
    rows: list = field(default_factory=list)  # (t_s, tl, tr, bl, br) kg, the attempt's raw samples

    @property
    def held_s(self) -> float:
        return (self.end_s if self.end_s is not None else self.start_s) - self.start_s

    @property
    def completed(self) -> bool:
        return self.end_s is not None and self.stepped_at_s is None

    def corners(self) -> tuple[np.ndarray, np.ndarray]:
        table = np.asarray(self.rows, dtype=np.float64).reshape(-1, 5)
        return table[:, 0], table[:, 1:]


class QuietStanceTrial:
    """Feed raw samples in time order (`feed`); `done` when an attempt completed or the attempts ran out."""

    def __init__(self, trial_s: float, *, body_weight_kg: float | None = None, max_attempts: int = MAX_ATTEMPTS):
        if not trial_s > 0:
            raise ValueError(f"a trial lasts more than 0 s, not {trial_s}")
        self.trial_s = float(trial_s)
        self.max_attempts = max_attempts
        self.body_weight_kg = body_weight_kg
        self.attempts: list[Attempt] = []
        self._waiting = True
        self._low_since: float | None = None
        self._weights: list[float] = []
        self.cut_short = False  # the samples stopped before an attempt could finish

    @property
    def done(self) -> bool:
        return bool(self.attempts) and (self.attempts[-1].completed or (
            len(self.attempts) >= self.max_attempts and self.attempts[-1].end_s is not None))

    @property
    def running(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts and self.attempts[-1].end_s is None else None

    def best(self) -> Attempt | None:
        """The completed attempt, else the one held longest (the first of equals)."""
        finished = [a for a in self.attempts if a.end_s is not None]
        return max(finished, key=lambda a: (a.completed, a.held_s), default=None)

    def feed(self, t_s: float, corners_kg) -> None:
        if self.done:
            return
        total = float(sum(corners_kg))
        attempt = self.running
        if attempt is None:
            if total >= MIN_STANDING_KG and self._standing_again(total):
                self.attempts.append(Attempt(t_s))
                self._low_since = None
                attempt = self.attempts[-1]
            else:
                return
        if t_s >= attempt.start_s + self.trial_s:
            attempt.end_s = attempt.start_s + self.trial_s
            return
        if self.body_weight_kg is None and t_s < self.attempts[0].start_s + WEIGHT_WINDOW_S:
            self._weights.append(total)
        elif self.body_weight_kg is None and self._weights:
            self.body_weight_kg = float(np.median(self._weights))
        if self.body_weight_kg is not None and total < STEP_LOAD_FRACTION * self.body_weight_kg:
            self._low_since = t_s if self._low_since is None else self._low_since
            if t_s - self._low_since >= STEP_MIN_S - 1e-9:
                self._end_on_step(attempt)
                return
        else:
            self._low_since = None
        attempt.rows.append((t_s, *map(float, corners_kg)))

    def end_of_data(self) -> None:
        """The samples stopped (a recording ran out, a test cut short): see `end_where_samples_stop`."""
        attempt = self.running
        if attempt is None or not attempt.rows:
            return
        attempt.end_s, complete = end_where_samples_stop(attempt.rows, attempt.start_s, self.trial_s)
        if not complete:
            attempt.stepped_at_s = None
            self.cut_short = True

    def _standing_again(self, total: float) -> bool:
        """A new attempt starts on a full stance again (after a step, the load is back near the body weight)."""
        return self.body_weight_kg is None or total >= STEP_LOAD_FRACTION * self.body_weight_kg

    def _end_on_step(self, attempt: Attempt) -> None:
        stepped = self._low_since
        attempt.end_s = attempt.stepped_at_s = stepped
        attempt.rows = [row for row in attempt.rows if row[0] < stepped]
        self._low_since = None
