"""Stepping tests on the round engine: the Alternate Step Test and the Hill step test (docs/clinic.md).

The patient stands on the floor behind the board and places a foot on it; the board sees each placement as a tap of
the foot-taps engine's `target` set-up (trainer.clinic.stepping). The tests are decided on the raw samples, which
the round receives beside the recording (`wants_samples`), so a side's window and every time are exact to the
sample. `SidedTest` is the shared frame: sides (or one condition) in turn, each with its own samples; between sides
a window waits for the clinician (`proceed`), headless runs go straight on.
"""
from __future__ import annotations

import math

import numpy as np

from games.round import GameRound, RoundOptions
from trainer.balance_input import BalanceInput, CopFrame
from trainer.clinic import stepping
from trainer.cop import corners_to_cop

LEAD_IN_S = 2.0  # from a side's first sample (the clinician's Enter) to the go: stand ready behind the board
SWITCH_S = 5.0  # headless, back to back: time to change legs before the next side's go
AST_MAX_S = 60.0  # an AST not finished by then ends, not completed (as the foot-taps game's level 8)
FRAMES_PER_CHECK = 6  # live results refresh ten times a second


class SidedTest(GameRound):
    """Conditions (usually the sides, left then right) in turn, each on its own samples; `results` by condition.

    Subclasses give `side_done_at(t_s)` (the sample that ends a side), `side_result(condition)` and may end a side
    from `check(frame)` (called every frame) by calling `side_done()`."""

    kind = "test"
    wants_samples = True
    conditions: tuple[str, ...] = ("left", "right")
    default_trial_s = 30.0

    def __init__(self, board: BalanceInput, options: RoundOptions, *, wait_between: bool = False):
        super().__init__(board, options)
        self.setup = options.setup  # None: every condition in turn
        self.todo = [options.setup] if options.setup else list(self.conditions)
        self.wait_between = wait_between
        self.waiting = wait_between
        self.results: dict[str, dict] = {}
        self.frame: CopFrame = board.frame
        self.back_to_back = False  # this side follows the previous one with no clinician's Enter between
        self._rows: list[tuple[float, float, float, float, float]] = []
        self._arrays = None
        self._frames = 0
        self.live: dict = {}
        self.log("condition", self.condition)

    @property
    def condition(self) -> str | None:
        return self.todo[len(self.results)] if len(self.results) < len(self.todo) else None

    def proceed(self) -> None:
        """The clinician starts the next side (the window's Enter)."""
        self.waiting = False

    @property
    def side_start_s(self) -> float | None:
        return self._rows[0][0] if self._rows else None

    @property
    def newest_s(self) -> float | None:
        return self._rows[-1][0] if self._rows else None

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(t_s, total_kg, cop_x_mm, cop_y_mm) of the current side's samples."""
        if self._arrays is None:
            rows = np.array(self._rows, dtype=np.float64).reshape(-1, 5)
            total, x, y = corners_to_cop(rows[:, 1:5], self.board.geometry)
            self._arrays = (rows[:, 0], total, x, y)
        return self._arrays

    def take_samples(self, samples) -> None:
        if self.finished or self.waiting or self.condition is None:
            return
        tare = self.board.tare_kg
        for sample in samples:
            t = float(sample.t_s)
            if not self.accept(t, sum(c - z for c, z in zip(sample.corners_kg, tare))):
                continue
            self._rows.append((t, *(float(c - z) for c, z in zip(sample.corners_kg, tare))))
            self._arrays = None
            if self.side_done_at(t):
                self.side_done()
                if self.finished or self.waiting:
                    return

    def accept(self, t_s: float, total_kg: float) -> bool:
        """Whether this sample belongs to the side (tests that wait for someone to stand on the board say no)."""
        return True

    def side_done_at(self, t_s: float) -> bool:
        raise NotImplementedError

    def side_result(self, condition: str) -> dict:
        raise NotImplementedError

    def check(self, frame: CopFrame) -> None:
        """Every frame while a side runs: live values, and a side that ends on what was detected."""

    def side_done(self) -> None:
        condition = self.condition
        self.results[condition] = self.side_result(condition)
        self.log("condition-end", condition)
        self._rows, self._arrays, self.live = [], None, {}
        self.new_side()
        if self.condition is None:
            self.finished = True
        else:
            self.waiting = self.wait_between
            self.back_to_back = not self.wait_between
            self.log("condition", self.condition)

    def new_side(self) -> None:
        """Reset what a side keeps of its own (beyond its samples)."""

    def on_frame(self, frame: CopFrame, dt_s: float) -> None:
        self.frame = frame
        self._frames += 1
        if not self.finished and not self.waiting and self._rows:
            self.check(frame)

    def extra_scores(self, conditions: dict) -> dict:
        return {}

    def scores(self) -> dict:
        condition = self.condition
        if self._rows and condition is not None:  # the data stopped during a side: what it has
            result = self.side_result(condition)
            result["cut_short"] = True
            self.results[condition] = result
        conditions = dict(self.results)
        return {"conditions": conditions, **self.extra_scores(conditions)}

    # --- drawing (large words for the patient; the clinician reads the results afterwards) -------------------------
    def draw_words(self, surface, title: str, big: str, lines: list[str], colour=None) -> None:
        from games import style

        surface.fill(style.BACKGROUND)
        width, height = surface.get_size()
        image = style.font(style.text_px(2.0)).render(title, True, style.TEXT)
        surface.blit(image, image.get_rect(midtop=(width // 2, 30)))
        image = style.font(style.text_px(5.0)).render(big, True, colour or style.YELLOW)
        surface.blit(image, image.get_rect(center=(width // 2, height // 2 - 40)))
        small = style.font(style.text_px(1.4))
        y = height // 2 + 60
        for line in lines:
            image = small.render(line, True, style.TEXT)
            surface.blit(image, image.get_rect(midtop=(width // 2, y)))
            y += image.get_height() + 8


class TapTest(SidedTest):
    """A stepping test: a lead-in, then the go on the samples' clock; placements detected as the engine's taps."""

    def lead_in_s(self) -> float:
        return SWITCH_S if self.back_to_back else LEAD_IN_S

    @property
    def go_s(self) -> float:
        start = self.side_start_s
        return math.inf if start is None else start + self.lead_in_s()

    def draw_game(self, surface) -> None:
        from games import style

        title = self.title()
        if self.waiting:
            self.draw_words(surface, title, "Press Enter", self.instructions())
            return
        newest = self.newest_s
        if newest is None or newest < self.go_s:
            self.draw_words(surface, title, "Get ready", self.instructions())
            return
        self.draw_words(surface, title, self.running_words(newest), self.instructions(), style.GOOD)


class AlternateStepTest(TapTest):
    """Alternate Step Test: eight placements on the board, alternating feet, as fast as safely possible; timed."""

    name = "alternate-step"
    conditions = ("alternate",)
    setups = conditions
    default_trial_s = AST_MAX_S

    def __init__(self, board, options, **kwargs):
        if options.seconds is not None:
            raise ValueError(f"alternate-step: the test is timed to the eighth step and has no trial length "
                             f"(--trial-s {options.seconds:g})")
        super().__init__(board, options, **kwargs)

    def side_done_at(self, t_s: float) -> bool:
        return t_s >= self.go_s + AST_MAX_S

    def side_result(self, condition: str) -> dict:
        t, total, x, _ = self.arrays()
        return stepping.alternate_step(t, total, x, go_s=self.go_s, body_weight_kg=self.options.weight_kg,
                                       end_s=self.go_s + AST_MAX_S)

    def check(self, frame: CopFrame) -> None:
        if self.newest_s < self.go_s:
            return
        self.live = self.side_result(self.condition)
        if self.live["completed"]:
            self.log("placement", f"eighth at {self.live['time_from_go_s']:.3f} s from go")
            self.side_done()

    def extra_scores(self, conditions: dict) -> dict:
        return {"reference": dict(stepping.AST_REFERENCE)}

    def title(self) -> str:
        return "Alternate Step Test"

    def instructions(self) -> list[str]:
        return ["Stand behind the board. At GO, put one foot on the board, then back on the floor,",
                "then the other foot: left, right, left, right ... until you have made 8 steps.",
                "As fast as you safely can. Hold on to the rail if you need to."]

    def running_words(self, newest_s: float) -> str:
        return f"GO  {self.live.get('placements', 0)} / {stepping.AST_PLACEMENTS}"


class HillStepTest(TapTest):
    """Hill step test: one foot on and off the board as many times as possible in 15 s, left then right
    (`--leg` or `--condition`: that leg only)."""

    name = "step-test"
    conditions = ("left", "right")
    setups = conditions
    default_trial_s = stepping.HILL_TEST_S

    def __init__(self, board, options, **kwargs):
        if options.seconds is not None and float(options.seconds) != stepping.HILL_TEST_S:
            raise ValueError(f"step-test: each leg steps for 15 s (Hill et al. 1996), not {options.seconds:g} s")
        super().__init__(board, options, **kwargs)

    @classmethod
    def setup_for(cls, leg: str | None, eyes: str | None) -> str | None:
        """The command line's --leg: that leg only (None: both)."""
        return leg

    def side_done_at(self, t_s: float) -> bool:
        return t_s >= self.go_s + stepping.HILL_TEST_S

    def side_result(self, condition: str) -> dict:
        t, total, x, _ = self.arrays()
        return stepping.hill_steps(t, total, x, go_s=self.go_s, leg=condition,
                                   body_weight_kg=self.options.weight_kg)

    def check(self, frame: CopFrame) -> None:
        if self.newest_s >= self.go_s and self._frames % FRAMES_PER_CHECK == 0:
            self.live = self.side_result(self.condition)

    def extra_scores(self, conditions: dict) -> dict:
        left, right = conditions.get("left", {}), conditions.get("right", {})
        return {"difference": {"steps_left_minus_right": stepping.left_right_difference(left.get("steps"),
                                                                                         right.get("steps"))},
                "reference": dict(stepping.HILL_REFERENCE)}

    def title(self) -> str:
        return f"Step test: {self.condition or ''} foot".strip()

    def instructions(self) -> list[str]:
        foot = self.condition or "the"
        return [f"Stand behind the board. At GO, put your {foot} foot fully on the board ({foot} half),",
                "then back on the floor beside the other foot, as many times as you can in 15 seconds.",
                "Keep the other foot on the floor. Hold on to the rail if you need to."]

    def running_words(self, newest_s: float) -> str:
        left = max(0.0, self.go_s + stepping.HILL_TEST_S - newest_s)
        return f"GO  {self.live.get('steps', 0)} steps  {left:.0f} s"
