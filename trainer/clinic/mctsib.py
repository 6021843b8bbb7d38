"""The modified Clinical Test of Sensory Interaction on Balance (mCTSIB): four conditions of quiet stance, their
measures, and the ratios between them (docs/clinic.md, "mCTSIB").

Per condition: the time held (of the best attempt, trainer.clinic.quiet_stance), and on that attempt's raw samples
the `bds2016` measures (exactly as Santos & Duarte computed theirs, so they compare with the normative table) and
the `default` set. Between conditions:
- Romberg quotient (firm, foam) = eyes closed / eyes open, for the 95 % ellipse area and the mean velocity
  (Romberg quotient as in e.g. Tjernström et al. 2015; above 1 = more sway without vision);
- foam/firm ratio (eyes open, eyes closed) = foam / firm for the same two measures (more sway without reliable
  ankle proprioception).
A ratio is given only when both of its conditions completed their full trial.
"""
from __future__ import annotations

import numpy as np

from hardware.samples import BoardGeometry
from trainer.clinic.quiet_stance import Attempt, QuietStanceTrial
from trainer.cop import corners_to_cop
from trainer.readers.common import nominal_rate_hz
from trainer.recording import Recording

CONDITIONS = ("eo-firm", "ec-firm", "eo-foam", "ec-foam")
CONDITION_WORDS = {"eo-firm": "Eyes open, firm surface", "ec-firm": "Eyes closed, firm surface",
                   "eo-foam": "Eyes open, on the foam pad", "ec-foam": "Eyes closed, on the foam pad"}
# Read to the patient before each condition (the same words every time: a standardised test).
INSTRUCTIONS = {
    "eo-firm": "Stand on the board with your feet together and your arms by your sides. Look at the mark ahead. "
               "Stand as still as you can until I say stop.",
    "ec-firm": "Feet together, arms by your sides. Close your eyes and stand as still as you can until I say "
               "stop.",
    "eo-foam": "Stand on the foam pad with your feet together and your arms by your sides. Look at the mark "
               "ahead and stand as still as you can until I say stop.",
    "ec-foam": "On the foam pad, feet together, arms by your sides. Close your eyes and stand as still as you can "
               "until I say stop.",
}
TRIAL_S = (30.0, 60.0)  # the protocol's 30 s, or 60 s to match the normative data's trial length
RATIO_MEASURES = ("sway_area_ellipse95_cm2", "mean_velocity_cm_s")


def attempt_recording(attempt: Attempt, geometry: BoardGeometry) -> Recording:
    """The attempt's raw samples as a Recording (COP by the one COP formula, trainer.cop)."""
    t_s, corners = attempt.corners()
    total, x, y = corners_to_cop(corners, geometry)
    return Recording(path="mctsib attempt", format="trial", t_s=t_s, cop_x_mm=x, cop_y_mm=y, total_kg=total,
                     fs_hz=nominal_rate_hz(t_s) if len(t_s) > 2 else None, corners_kg=corners, geometry=geometry)


def attempt_measures(attempt: Attempt, geometry: BoardGeometry) -> dict:
    """{"bds2016": {...}, "default": {...}} of one attempt; a profile that cannot be computed gives its reason."""
    from trainer.errors import MeasureError
    from trainer.measures.bds2016 import profile_bds2016
    from trainer.measures.default import profile_default

    recording = attempt_recording(attempt, geometry)
    out = {}
    for name, profile in (("bds2016", profile_bds2016), ("default", profile_default)):
        try:
            out[name] = profile(recording)
        except MeasureError as error:
            out[name] = {"not_measured": str(error)}
    return out


def condition_result(condition: str, trial: QuietStanceTrial, geometry: BoardGeometry) -> dict:
    best = trial.best()
    result = {"condition": condition, "trial_s": trial.trial_s, "completed": bool(best and best.completed),
              "held_s": round(best.held_s, 6) if best else 0.0,
              "attempts": [{"held_s": round(a.held_s, 6), "stepped_at_s": a.stepped_at_s, "start_s": a.start_s}
                           for a in trial.attempts if a.end_s is not None],
              "body_weight_kg": trial.body_weight_kg}
    if best is not None and best.rows:
        result["measures"] = attempt_measures(best, geometry)
        result["samples"] = len(best.rows)
    return result


def ratios(results: dict[str, dict]) -> dict[str, float | None]:
    """Romberg quotients and foam/firm ratios of the area and the velocity (see the module's docstring)."""
    def value(condition: str, measure: str) -> float | None:
        result = results.get(condition)
        if not result or not result.get("completed"):
            return None
        number = result.get("measures", {}).get("bds2016", {}).get(measure)
        return float(number) if isinstance(number, (int, float)) and np.isfinite(number) else None

    out: dict[str, float | None] = {}
    for measure in RATIO_MEASURES:
        for name, top, bottom in (("romberg_firm", "ec-firm", "eo-firm"), ("romberg_foam", "ec-foam", "eo-foam"),
                                  ("foam_firm_eo", "eo-foam", "eo-firm"), ("foam_firm_ec", "ec-foam", "ec-firm")):
            a, b = value(top, measure), value(bottom, measure)
            out[f"{name}_{measure}"] = a / b if a is not None and b not in (None, 0.0) else None
    return out
