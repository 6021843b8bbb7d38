"""The instrumented lateral step-down's numbers (docs/clinic.md): five reps per side from the step-down engine
(trainer.scoring.step_down: touches, descent onset, touch load, ML wavering), and the clinician's 0-6 quality score.

The quality score is the lateral step-down test's rating of the movement (Piva et al., BMC Musculoskelet Disord
2006;7:33): arm strategy +1, trunk lean +1, pelvis out of the horizontal +1, knee medial to the second toe +1 (to the
medial border of the foot +2), unsteady stance +1; 0-1 good, 2-3 moderate, 4-6 poor. The board cannot see any of
those: the clinician watches and enters it; the board adds what it measures beside it.
"""
from __future__ import annotations

import math

import numpy as np

from trainer.scoring import step_down as scoring

REPS = 5  # Piva et al. 2006: five repetitions per side
QUALITY_MAX = 6
QUALITY_SOURCE = ("quality 0-6 (0-1 good, 2-3 moderate, 4-6 poor): Piva et al., BMC Musculoskelet Disord 2006;7:33, "
                  "inter-tester reliability 0.67 in patients with patellofemoral pain (checked in the abstract and "
                  "in summaries of the scoring; no MDC found)")
DIFFERENCE_NAMES = ("reps", "tempo_error_pct", "mean_touch_load_pct_bw", "ml_wavering_mm", "quality_score")


def check_quality(score) -> int | None:
    """The clinician's quality score as an int 0-6, or None (not scored); anything else is refused."""
    if score is None:
        return None
    if isinstance(score, bool) or not isinstance(score, (int, np.integer)) or not 0 <= score <= QUALITY_MAX:
        raise ValueError(f"a lateral step-down quality score is a whole number from 0 to {QUALITY_MAX}, not {score}")
    return int(score)


def quality_class(score: int | None) -> str | None:
    if score is None:
        return None
    return "good" if score <= 1 else "moderate" if score <= 3 else "poor"


def side_result(t_s, total_kg, cop_x_mm, cop_y_mm, *, cue_down_s, cued_descent_s: float,
                body_weight_kg: float | None = None, quality: int | None = None) -> dict:
    """One side: the first REPS reps the step-down engine finds (`score_step` with the down cues), their scores
    (reps, mean descent, tempo error against `cued_descent_s`, touch load % BW, ML wavering), each rep, the body
    weight used and the quality score with its class."""
    quality = check_quality(quality)
    if len(np.asarray(t_s)):
        found = scoring.score_step(t_s, total_kg, cop_x_mm, cop_y_mm, body_weight_kg=body_weight_kg,
                                   cue_down_s=cue_down_s)
    else:
        found = scoring.StepResult(math.nan)
    kept = scoring.StepResult(found.body_weight_kg, found.reps[:REPS])
    result = kept.scores(cued_descent_s)
    result.update(
        body_weight_kg=found.body_weight_kg,
        cued_descent_s=cued_descent_s,
        rep_details=[{"touch_s": rep.touch_start_s, "descent_s": rep.descent_s, "onset_from": rep.onset_from,
                      "touch_load_pct_bw": rep.touch_load_pct_bw, "ml_sd_mm": rep.ml_sd_mm} for rep in kept.reps],
        quality_score=quality,
        quality=quality_class(quality),
    )
    return result


def differences(conditions: dict) -> dict:
    """left - right of each side's values (None where a side or a value is missing)."""
    left, right = conditions.get("left", {}), conditions.get("right", {})
    out = {}
    for name in DIFFERENCE_NAMES:
        a, b = left.get(name), right.get(name)
        ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (a, b))
        out[name] = a - b if ok else None
    return out
