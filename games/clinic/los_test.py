"""Limits of Stability on the round engine (`test los --height-cm H`): a large arrow cues a lean in each of eight
directions in a fixed order at fixed times; the person leans as far as they can without stepping, holds, and comes
back. The raw samples are kept as they arrive (`wants_samples`) and measured at the end (trainer.clinic.los).
"""
from __future__ import annotations

import numpy as np
import pygame

from games import style
from games.round import GameRound, RoundOptions
from trainer.balance_input import BalanceInput, CopFrame
from trainer.clinic import los
from trainer.cop import MIN_STANDING_KG, corners_to_cop

NO_HEIGHT = ("los: the limits of stability need the person's height: give --height-cm, or a patient (--user) "
             "whose profile has it")


class LosTest(GameRound):
    name = "los"
    kind = "test"
    wants_samples = True
    setups = ("eight-directions",)
    conditions = ("eight-directions",)
    default_trial_s = los.TOTAL_S

    @classmethod
    def longest_s(cls, setup: str | None, trial_s: float | None) -> float:
        return los.TOTAL_S + 10.0

    def __init__(self, board: BalanceInput, options: RoundOptions, *, wait_between: bool = False):
        height = getattr(options, "height_cm", None)
        if height is None:
            raise ValueError(NO_HEIGHT)
        try:
            los.com_height_mm(height)
        except ValueError as error:
            raise ValueError(f"los: {error}") from None
        if options.seconds is not None:
            raise ValueError(f"los: the timings are fixed ({los.READY_S:g} s ready, then {len(los.DIRECTIONS)} "
                             f"directions of {los.MOVE_S:g} s lean and hold + {los.RETURN_S:g} s back); "
                             f"--trial-s does not apply")
        super().__init__(board, options)
        self.height_cm = float(height)
        self.waiting = wait_between  # a window waits for the clinician's Enter before the test starts
        self.rows: list[np.ndarray] = []  # (n, 4) chunks of t, total, x, y
        self.start_s: float | None = None
        self.last_t_s: float | None = None
        self.frame: CopFrame = board.frame
        self.log("condition", "eight-directions")

    @property
    def condition(self) -> str | None:
        return None if self.finished else "eight-directions"

    def proceed(self) -> None:
        self.waiting = False

    def take_samples(self, samples) -> None:
        if self.finished or self.waiting or not samples:
            return
        t_s = np.array([float(s.t_s) for s in samples])
        corners = np.array([s.corners_kg for s in samples], dtype=np.float64) - self.board.tare_kg
        total, x, y = corners_to_cop(corners, self.board.geometry, self.board.min_standing_kg)
        if self.start_s is None:
            standing = np.flatnonzero(total >= MIN_STANDING_KG)
            if len(standing) == 0:
                return
            first = int(standing[0])
            t_s, total, x, y = t_s[first:], total[first:], x[first:], y[first:]
            self.start_s = float(t_s[0])
            self.log("start")
        end_s = self.start_s + los.TOTAL_S
        keep = t_s < end_s - 1e-9
        if keep.any():
            self.rows.append(np.column_stack((t_s[keep], total[keep], x[keep], y[keep])))
            self.last_t_s = float(t_s[keep][-1])
        if not keep.all():
            self.finished = True
            self.log("end")

    def phase(self) -> tuple[str, str | None, float]:
        """('ready' | 'lean' | 'back' | 'done', direction, seconds left in the phase) at the newest sample."""
        if self.start_s is None or self.last_t_s is None:
            return "ready", None, los.READY_S
        elapsed = self.last_t_s - self.start_s
        if elapsed < los.READY_S:
            return "ready", None, los.READY_S - elapsed
        i, into = divmod(elapsed - los.READY_S, los.DIRECTION_S)
        if i >= len(los.DIRECTIONS):
            return "done", None, 0.0
        direction = los.DIRECTIONS[int(i)]
        if into < los.MOVE_S:
            return "lean", direction, los.MOVE_S - into
        return "back", direction, los.DIRECTION_S - into

    def on_frame(self, frame: CopFrame, dt_s: float) -> None:
        self.frame = frame

    def scores(self) -> dict:
        table = np.concatenate(self.rows) if self.rows else np.empty((0, 4))
        results = los.analyse(table[:, 0], table[:, 1], table[:, 2], table[:, 3], height_cm=self.height_cm,
                              body_weight_kg=self.options.weight_kg)
        elapsed = (self.last_t_s - self.start_s) if self.start_s is not None and self.last_t_s is not None else 0.0
        results["cut_short"] = elapsed < los.TOTAL_S - 0.1
        return results

    def draw_game(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        width, height = surface.get_size()
        phase, direction, left_s = self.phase()
        if self.waiting:
            words, colour = "Press Enter to start", style.YELLOW
        elif phase == "ready":
            words, colour = "Stand still, feet on the marks", style.TEXT
        elif phase == "lean":
            words, colour = f"Lean {los.DIRECTION_WORDS[direction]} as far as you can, and hold", style.YELLOW
        elif phase == "back":
            words, colour = "Back to the centre", style.TEXT
        else:
            words, colour = "Done", style.TEXT
        image = style.font(style.text_px(2.0)).render(words, True, colour)
        surface.blit(image, image.get_rect(midtop=(width // 2, 30)))
        centre = (width // 2, height // 2 + 30)
        if phase == "lean" and not self.waiting:
            self._arrow(surface, centre, los.UNIT[direction], min(width, height) * 0.32)
        else:
            pygame.draw.circle(surface, style.MUTED, centre, 18, 4)
        if phase in ("lean", "back", "ready") and not self.waiting:
            small = style.font(style.text_px(1.4)).render(f"{left_s:.0f}", True, style.MUTED)
            surface.blit(small, small.get_rect(midbottom=(width // 2, height - 30)))

    @staticmethod
    def _arrow(surface, centre, unit, length_px: float) -> None:
        """A thick arrow from the centre in the direction unit (x right, y forward = up on the screen)."""
        ux, uy = unit[0], -unit[1]
        px, py = -uy, ux  # perpendicular
        cx, cy = centre
        shaft, head_w, half_w = length_px * 0.65, length_px * 0.28, length_px * 0.08
        tip = (cx + ux * length_px, cy + uy * length_px)
        base = (cx + ux * shaft, cy + uy * shaft)
        points = [(cx + px * half_w, cy + py * half_w), (base[0] + px * half_w, base[1] + py * half_w),
                  (base[0] + px * head_w, base[1] + py * head_w), tip,
                  (base[0] - px * head_w, base[1] - py * head_w), (base[0] - px * half_w, base[1] - py * half_w),
                  (cx - px * half_w, cy - py * half_w)]
        pygame.draw.polygon(surface, style.YELLOW, [(round(a), round(b)) for a, b in points])
