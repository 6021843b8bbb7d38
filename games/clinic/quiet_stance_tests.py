"""Quiet-stance tests on the round engine: the mCTSIB (four conditions) and weight-bearing symmetry.

A test is a GameRound that is standardised: fixed conditions in a fixed order, fixed durations, no levels. Its
trials are decided on the raw samples (trainer.clinic.quiet_stance), which the round receives beside the recording
(`wants_samples`). Between conditions a window waits for the clinician (`proceed`); headless runs go straight on.
"""
from __future__ import annotations

import pygame

from games import style
from games.round import GameRound, RoundOptions
from trainer.balance_input import BalanceInput, CopFrame
from trainer.clinic import mctsib
from trainer.clinic.quiet_stance import QuietStanceTrial

SYMMETRY_TRIAL_S = 30.0


class QuietStanceTest(GameRound):
    """Conditions in turn, each one QuietStanceTrial; `results` by condition; finished after the last."""

    kind = "test"
    wants_samples = True
    conditions: tuple[str, ...] = ()
    default_trial_s = 30.0

    def __init__(self, board: BalanceInput, options: RoundOptions, *, wait_between: bool = False):
        super().__init__(board, options)
        self.setup = options.setup  # None: every condition in turn
        self.todo = [options.setup] if options.setup else list(self.conditions)
        self.trial_s = float(options.seconds or self.default_trial_s)
        self.wait_between = wait_between
        self.waiting = wait_between  # a window waits for the clinician before each condition
        self.trial = QuietStanceTrial(self.trial_s, body_weight_kg=options.weight_kg)
        self.results: dict[str, dict] = {}
        self.log("condition", self.condition)

    @property
    def condition(self) -> str | None:
        return self.todo[len(self.results)] if len(self.results) < len(self.todo) else None

    def proceed(self) -> None:
        """The clinician starts the next condition (the window's Enter)."""
        self.waiting = False

    def take_samples(self, samples) -> None:
        if self.finished or self.waiting or self.condition is None:
            return
        tare = self.board.tare_kg
        for sample in samples:
            corners = [c - t for c, t in zip(sample.corners_kg, tare)]
            before = len(self.trial.attempts)
            self.trial.feed(float(sample.t_s), corners)
            if len(self.trial.attempts) > before:
                self.log("attempt-start", f"{self.condition} {len(self.trial.attempts)}")
            if self.trial.done:
                self._condition_done()
                if self.finished or self.waiting:
                    return
                # Back to back (headless): the sample that ended one condition is the next one's first.
                self.trial.feed(float(sample.t_s), corners)
                if self.trial.attempts:
                    self.log("attempt-start", f"{self.condition} 1")

    def _condition_done(self) -> None:
        condition = self.condition
        for attempt in self.trial.attempts:
            if attempt.stepped_at_s is not None:
                self.log("step", f"{condition} at {attempt.stepped_at_s - attempt.start_s:.2f} s")
        self.results[condition] = self.condition_result(condition, self.trial)
        self.log("condition-end", f"{condition} held {self.results[condition]['held_s']:.2f} s")
        weight = self.trial.body_weight_kg
        self.trial = QuietStanceTrial(self.trial_s, body_weight_kg=self.options.weight_kg or weight)
        if self.condition is None:
            self.finished = True
        else:
            self.waiting = self.wait_between
            self.log("condition", self.condition)

    def condition_result(self, condition: str, trial: QuietStanceTrial) -> dict:
        return mctsib.condition_result(condition, trial, self.board.geometry)

    def on_frame(self, frame: CopFrame, dt_s: float) -> None:
        self.frame = frame

    def scores(self) -> dict:
        condition = self.condition
        if self.trial.attempts and condition is not None:  # the data stopped: what it has
            self.trial.end_of_data()
            result = self.condition_result(condition, self.trial)
            result["cut_short"] = self.trial.cut_short
            self.results[condition] = result
        return {"conditions": dict(self.results)}

    def draw_game(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        width, height = surface.get_size()
        font = style.font(style.text_px(2.0))
        words = mctsib.CONDITION_WORDS.get(self.condition or "", self.condition or "Done")
        image = font.render(words, True, style.TEXT)
        surface.blit(image, image.get_rect(midtop=(width // 2, 40)))
        attempt = self.trial.running
        big = style.font(style.text_px(6.0))
        if self.waiting:
            text, colour = "Press Enter to start", style.YELLOW
        elif attempt is None:
            text, colour = "Stand on the board", style.YELLOW
        else:
            left = max(0.0, attempt.start_s + self.trial_s - (attempt.rows[-1][0] if attempt.rows else
                                                               attempt.start_s))
            text, colour = f"{left:.0f}", style.YELLOW
        image = big.render(text, True, colour)
        surface.blit(image, image.get_rect(center=(width // 2, height // 2)))
        done = len(self.trial.attempts) - (1 if attempt is not None else 0)
        if done:
            small = style.font(style.text_px(1.2))
            line = small.render(f"Attempt {done + 1} of {self.trial.max_attempts}", True, style.WARN)
            surface.blit(line, line.get_rect(midtop=(width // 2, height // 2 + 120)))
        pygame.draw.rect(surface, style.MUTED, pygame.Rect(40, height - 60, width - 80, 4))


class MctsibTest(QuietStanceTest):
    """mCTSIB: eyes open/closed on a firm surface and on foam, 30 s (or 60 s, --trial-s 60) each."""

    name = "mctsib"
    setups = mctsib.CONDITIONS
    conditions = mctsib.CONDITIONS

    def __init__(self, board, options, **kwargs):
        if options.seconds is not None and float(options.seconds) not in mctsib.TRIAL_S:
            raise ValueError(f"mctsib: a trial lasts 30 s, or 60 s to match the norms' trials, not {options.seconds}")
        super().__init__(board, options, **kwargs)

    def scores(self) -> dict:
        out = super().scores()
        out["ratios"] = mctsib.ratios(out["conditions"])
        return out


class SymmetryTest(QuietStanceTest):
    """Weight-bearing symmetry: quiet stance on both feet, the share of the load on each side and front/back."""

    name = "symmetry"
    setups = ("both-feet",)
    conditions = ("both-feet",)
    default_trial_s = SYMMETRY_TRIAL_S

    def condition_result(self, condition: str, trial: QuietStanceTrial) -> dict:
        from trainer.clinic.symmetry import load_shares

        result = {"condition": condition, "trial_s": trial.trial_s, "held_s": 0.0, "completed": False}
        best = trial.best()
        if best is not None and best.rows:
            _, corners = best.corners()
            result.update(load_shares(corners), held_s=round(best.held_s, 6), completed=best.completed)
        return result
