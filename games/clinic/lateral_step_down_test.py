"""The instrumented lateral step-down (`test lateral-step-down`, docs/clinic.md): five reps per side on the
step-down engine (its level 1 tempo: 2 s down, 0.5 s touch, 2 s up, 2 s rest), left then right (`--leg` or
`--condition`: one side), and the clinician's 0-6 quality score beside the board's tempo, touch load and wavering.

Decided on the raw samples (`wants_samples`), on their own clock: a side starts at its first sample with someone on
the board (a side after the first only once the board was empty: step off to change legs), its cues are the
engine's schedule from there, and it ends at its fifth rep or when its schedule (and 5 s more) is over. The quality
score comes with the options (`LateralStepDownOptions`, the command line's --quality-left/--quality-right) or, in
the window, from the keys 0-6 (the side in progress; between sides and after the last, the side just done; Enter
ends the test after the last side).
"""
from __future__ import annotations

import dataclasses

from games.clinic.stepping_tests import FRAMES_PER_CHECK, SidedTest
from games.round import RoundOptions
from games.step_down import cue_schedule, default_round_s, level_of
from trainer.balance_input import CopFrame
from trainer.clinic import lateral_step_down as lsd
from trainer.cop import MIN_STANDING_KG
from trainer.scoring import step_down as step_scoring

LEVEL = 1  # the step-down engine's slowest-to-learn tempo: 2 s down, 0.5 s touch, 2 s up, 2 s rest, 5 reps


@dataclasses.dataclass(frozen=True)
class LateralStepDownOptions(RoundOptions):
    """RoundOptions with the clinician's quality scores (0-6, None: not scored)."""

    quality_left: int | None = None
    quality_right: int | None = None


class LateralStepDownTest(SidedTest):
    name = "lateral-step-down"
    conditions = ("left", "right")  # the stance leg, on the board on the step
    setups = conditions
    default_trial_s = default_round_s("step", LEVEL)

    def __init__(self, board, options, **kwargs):
        if options.seconds is not None:
            raise ValueError(f"lateral-step-down: five reps per side in the engine's tempo; there is no trial "
                             f"length (--trial-s {options.seconds:g})")
        self.level = level_of(LEVEL)
        self.quality = {"left": lsd.check_quality(getattr(options, "quality_left", None)),
                        "right": lsd.check_quality(getattr(options, "quality_right", None))}
        self.awaiting_scores = False
        super().__init__(board, options, **kwargs)
        self.new_side()

    @classmethod
    def setup_for(cls, leg: str | None, eyes: str | None) -> str | None:
        """The command line's --leg: that side only (None: both)."""
        return leg

    @classmethod
    def with_quality(cls, options: RoundOptions, left: int | None, right: int | None) -> LateralStepDownOptions:
        fields = {f.name: getattr(options, f.name) for f in dataclasses.fields(RoundOptions)}
        return LateralStepDownOptions(**fields, quality_left=lsd.check_quality(left),
                                      quality_right=lsd.check_quality(right))

    # --- a side ----------------------------------------------------------------------------------------------------
    def new_side(self) -> None:
        self.need_empty = bool(self.results)  # a later side: step off the board first
        self.stand_s: float | None = None
        self.schedule: list[tuple[float, float, float, float]] = []
        self.weight_kg: float | None = None  # once known: the touches' levels
        self._dipped = False  # the load went below the touch's entry level since the last touch ended

    def accept(self, t_s: float, total_kg: float) -> bool:
        if self.stand_s is not None:
            return True
        if self.need_empty:
            if total_kg < MIN_STANDING_KG:
                self.need_empty = False
            return False
        if total_kg >= MIN_STANDING_KG:
            self.stand_s = t_s
            self.schedule = cue_schedule(LEVEL, start_s=t_s)
            self.log("stand", f"{self.condition} at {t_s:.3f} s")
            return True
        return False

    def side_done_at(self, t_s: float) -> bool:
        """The side's length is over, or this sample ends a touch that makes the fifth rep (checked on the sample,
        so a side ends exactly there however many samples a frame brings)."""
        if self.stand_s is None:
            return False
        if t_s >= self.stand_s + self.default_trial_s:
            return True
        if self.weight_kg is None:
            if self.options.weight_kg is not None:
                self.weight_kg = float(self.options.weight_kg)
            elif t_s - self.stand_s >= step_scoring.WEIGH_IN_S:
                t, total, _, _ = self.arrays()
                self.weight_kg = step_scoring.step_body_weight_kg(t, total)
            if self.weight_kg is None or not self.weight_kg == self.weight_kg:
                self.weight_kg = None
                return False
        total = sum(self._rows[-1][1:])
        if total < (1.0 - step_scoring.TOUCH_ENTER_FRACTION) * self.weight_kg:
            self._dipped = True
        elif self._dipped and total >= (1.0 - step_scoring.TOUCH_EXIT_FRACTION) * self.weight_kg:
            self._dipped = False  # a touch may have ended here: count the reps
            self.live = self.side_result(self.condition)
            if self.live["reps"] >= lsd.REPS:
                self.log("side-end", f"{self.condition}: {lsd.REPS} reps at {t_s:.3f} s")
                return True
        return False

    def cues_s(self) -> list[float]:
        newest = self.newest_s
        return [down for down, *_ in self.schedule if newest is not None and down <= newest]

    def side_result(self, condition: str) -> dict:
        t, total, x, y = self.arrays()
        return lsd.side_result(t, total, x, y, cue_down_s=self.cues_s(), cued_descent_s=self.level.descent_s,
                               body_weight_kg=self.options.weight_kg, quality=self.quality.get(condition))

    def check(self, frame: CopFrame) -> None:
        if self.weight_kg is not None and self._frames % FRAMES_PER_CHECK == 0:
            self.live = self.side_result(self.condition)  # on screen: the values so far

    def side_done(self) -> None:
        super().side_done()
        if self.finished and self.wait_between:
            self.finished = False  # the window: the clinician may still enter the last side's score
            self.awaiting_scores = True

    # --- the clinician's score -------------------------------------------------------------------------------------
    @property
    def score_side(self) -> str:
        if self.condition is not None and (self.stand_s is not None or not self.results):
            return self.condition
        return list(self.results)[-1]

    def set_quality(self, side: str, score: int | None) -> None:
        self.quality[side] = lsd.check_quality(score)
        self.log("quality", f"{side} {score}")

    def handle(self, event) -> None:
        import pygame

        if event.type != pygame.KEYDOWN:
            return
        if pygame.K_0 <= event.key <= pygame.K_6:
            self.set_quality(self.score_side, event.key - pygame.K_0)
        elif self.awaiting_scores and event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            self.finished = True

    def scores(self) -> dict:
        out = super().scores()
        for side, result in out["conditions"].items():  # a score entered after the side ended counts
            result["quality_score"] = self.quality.get(side)
            result["quality"] = lsd.quality_class(self.quality.get(side))
        out["differences"] = lsd.differences(out["conditions"])
        out["quality_source"] = lsd.QUALITY_SOURCE
        return out

    # --- drawing ---------------------------------------------------------------------------------------------------
    def cue_phase(self) -> str:
        newest = self.newest_s
        if self.stand_s is None or newest is None:
            return "ready"
        for down, touch, up, rest in self.schedule:
            if newest < down:
                return "ready" if down == self.schedule[0][0] else "rest"
            if newest < touch:
                return "down"
            if newest < up:
                return "touch"
            if newest < rest:
                return "up"
        return "done"

    def draw_game(self, surface) -> None:
        from games import style

        side = self.condition
        if self.awaiting_scores or side is None:
            title, big = "Lateral step-down: done", "Scores"
        else:
            other = "right" if side == "left" else "left"
            title = f"Stand on your {side} leg on the board; lower your {other} heel to the floor"
            if self.waiting:
                big = "Press Enter"
            elif self.stand_s is None:
                big = "Step off, then on" if self.need_empty else "Step on the board"
            else:
                big = {"ready": "Stand still", "down": "Slowly down", "touch": "Touch lightly", "up": "Back up",
                       "rest": "Stand tall", "done": "Well done"}[self.cue_phase()]
        lines = []
        for name in self.todo:
            result = self.results.get(name) or (self.live if name == side else {})
            quality = self.quality.get(name)
            lines.append(f"{name}: reps {int(result.get('reps', 0))}/5   tempo error "
                         f"{_number(result.get('tempo_error_pct'))} %   touch "
                         f"{_number(result.get('mean_touch_load_pct_bw'))} % BW   wavering "
                         f"{_number(result.get('ml_wavering_mm'))} mm   quality "
                         f"{quality if quality is not None else '-'} / 6")
        lines.append(f"Clinician: keys 0-6 score the {self.score_side} side"
                     + ("; Enter ends the test" if self.awaiting_scores else ""))
        self.draw_words(surface, title, big, lines, style.GOOD if big == "Slowly down" else None)


def _number(value) -> str:
    return "-" if not isinstance(value, (int, float)) or value != value else f"{value:.1f}"
