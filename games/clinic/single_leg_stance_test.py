"""Single-leg stance test on the round engine (`test single-leg-stance`): left and right leg, eyes open then closed,
each condition the best of three attempts to 30 s (or 45 s), started by the lift of the other foot and stopped by a
touch-down (trainer.clinic.single_leg_stance). Like the quiet-stance tests, the attempts are decided on the raw
samples (`wants_samples`); between conditions a window waits for the clinician (`proceed`), headless runs go on.
"""
from __future__ import annotations

import pygame

from games import style
from games.round import GameRound, RoundOptions
from trainer.balance_input import BalanceInput, CopFrame
from trainer.clinic import single_leg_stance as sls
from trainer.cop import corners_to_cop


class SingleLegStanceTest(GameRound):
    """Conditions in turn (`--condition`: one, a leg's two, eo|ec's two, or all four), each one
    SingleLegStanceTrial; `results` by condition; finished after the last."""

    name = "single-leg-stance"
    kind = "test"
    wants_samples = True
    setups = sls.CONDITIONS + tuple(sls.CONDITION_GROUPS)
    conditions = sls.CONDITIONS
    default_trial_s = 30.0

    @staticmethod
    def setup_for(leg: str | None, eyes: str | None) -> str | None:
        """The set-up that the command line's --leg and --eyes choose."""
        return sls.setup_for(leg, eyes)

    @classmethod
    def longest_s(cls, setup: str | None, trial_s: float | None) -> float:
        """Round time to allow: per condition, three attempts of the full trial and their ready seconds."""
        per_attempt = (trial_s or cls.default_trial_s) + sls.READY_S + sls.LIFT_CONFIRM_S + 10.0
        try:
            n_conditions = len(sls.conditions_of(setup))
        except ValueError:  # the round itself says what is wrong with the set-up
            n_conditions = len(sls.CONDITIONS)
        return n_conditions * sls.MAX_ATTEMPTS * per_attempt

    def __init__(self, board: BalanceInput, options: RoundOptions, *, wait_between: bool = False):
        if options.seconds is not None and float(options.seconds) not in sls.TRIAL_S:
            raise ValueError(f"single-leg-stance: a trial lasts 30 s, or 45 s (the longer option), not "
                             f"{options.seconds:g} s")
        if options.weight_kg is not None and not options.weight_kg > 0:
            raise ValueError(f"single-leg-stance: the body weight must be positive, not {options.weight_kg}")
        super().__init__(board, options)
        self.setup = options.setup
        self.todo = list(sls.conditions_of(options.setup))
        self.trial_s = float(options.seconds or self.default_trial_s)
        self.wait_between = wait_between
        self.waiting = wait_between
        self.results: dict[str, dict] = {}
        self.trial = self._new_trial(options.weight_kg, None)
        self.frame: CopFrame = board.frame
        self.log("condition", self.condition)

    @property
    def condition(self) -> str | None:
        return self.todo[len(self.results)] if len(self.results) < len(self.todo) else None

    def _new_trial(self, weight_kg: float | None, two_foot_x_mm: float | None) -> sls.SingleLegStanceTrial:
        leg, _ = sls.condition_leg_eyes(self.condition)
        return sls.SingleLegStanceTrial(leg, self.trial_s, body_weight_kg=weight_kg, two_foot_x_mm=two_foot_x_mm)

    def proceed(self) -> None:
        """The clinician starts the next condition (the window's Enter)."""
        self.waiting = False

    def take_samples(self, samples) -> None:
        if self.finished or self.waiting or self.condition is None or not samples:
            return
        import numpy as np

        t_s = np.array([float(s.t_s) for s in samples])
        corners = np.array([s.corners_kg for s in samples], dtype=np.float64) - self.board.tare_kg
        total, x, y = corners_to_cop(corners, self.board.geometry, self.board.min_standing_kg)
        for i in range(len(t_s)):
            attempts, false_starts = len(self.trial.attempts), self.trial.false_starts
            was_running = self.trial.running is not None
            self.trial.feed(t_s[i], total[i], x[i], y[i])
            if len(self.trial.attempts) > attempts:
                self.log("lift", f"{self.condition} attempt {len(self.trial.attempts)}")
            if self.trial.false_starts > false_starts:
                self.log("false-start", self.condition)
            if was_running and self.trial.running is None:
                ended = self.trial.attempts[-1]
                if ended.touch_down is not None:
                    self.log("touch-down", f"{self.condition} {ended.touch_down.cause} after {ended.held_s:.2f} s")
                else:
                    self.log("attempt-end", f"{self.condition} held {ended.held_s:.2f} s")
            if self.trial.done:
                self._condition_done()
                if self.finished or self.waiting:
                    return

    def _condition_done(self) -> None:
        condition = self.condition
        self.results[condition] = sls.condition_result(condition, self.trial)
        self.log("condition-end", f"{condition} held {self.results[condition]['held_s']:.2f} s")
        weight = self.trial.body_weight_kg
        if self.condition is None:
            self.finished = True
            return
        # The feet stay on the board: the two-foot baseline tells the next condition when both feet are down.
        self.trial = self._new_trial(self.options.weight_kg or weight, self.trial.first_baseline_x_mm)
        self.waiting = self.wait_between
        self.log("condition", self.condition)

    def on_frame(self, frame: CopFrame, dt_s: float) -> None:
        self.frame = frame

    def scores(self) -> dict:
        condition = self.condition
        if condition is not None and self.trial.attempts:  # the data stopped: what it has
            self.trial.end_of_data()
            result = sls.condition_result(condition, self.trial)
            result["cut_short"] = self.trial.cut_short
            self.results[condition] = result
        return {"conditions": dict(self.results), "differences": sls.left_right_differences(self.results)}

    def draw_game(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        width, height = surface.get_size()
        words = sls.CONDITION_WORDS.get(self.condition or "", "Done")
        image = style.font(style.text_px(2.0)).render(words, True, style.TEXT)
        surface.blit(image, image.get_rect(midtop=(width // 2, 40)))
        phase = self.trial.phase
        attempt = self.trial.running
        if self.waiting:
            text = "Press Enter to start"
        elif self.condition is None:
            text = "Done"
        elif attempt is not None and attempt.rows:
            text = f"{max(0.0, attempt.start_s + self.trial_s - attempt.rows[-1][0]):.0f}"
        elif phase == "ready":
            text = "Stand on both feet"
        else:
            other = "right" if self.trial.leg == "left" else "left"
            text = f"Lift your {other} foot"
        image = style.font(style.text_px(4.0)).render(text, True, style.YELLOW)
        surface.blit(image, image.get_rect(center=(width // 2, height // 2)))
        done = len([a for a in self.trial.attempts if a.end_s is not None])
        if done and self.condition is not None:
            small = style.font(style.text_px(1.2))
            line = small.render(f"Attempt {done + 1} of {self.trial.max_attempts}", True, style.WARN)
            surface.blit(line, line.get_rect(midtop=(width // 2, height // 2 + 120)))
        pygame.draw.rect(surface, style.MUTED, pygame.Rect(40, height - 60, width - 80, 4))
