"""A patient's tests over time and the board behind each (docs/clinic.md, "Reports"): which attempt a result is
from and its samples, the change since the previous test of the same kind (a "real change" only where a minimal
detectable change is documented), and the board's calibration record. The PDF (trainer.test_report) and the app's
results screen (games.screens.clinic) both read them from here."""
from __future__ import annotations

import io
import math
import re

from trainer.errors import BalanceTrainerError

NORM_WORDS = {"sway_area_ellipse95_cm2": ("95 % ellipse area", "cm²"), "mean_velocity_cm_s": ("mean velocity", "cm/s"),
              "mean_frequency_hz": ("mean frequency", "Hz")}


# What the change section compares, per test; any other test: the numbers its two results share.
CHANGE_KEYS = {"mctsib": ("held_s", "sway_area_ellipse95_cm2", "mean_velocity_cm_s", "mean_frequency_hz"),
               "symmetry": ("left_pct", "front_pct", "asymmetry_pct")}
# Minimal detectable changes documented in this repository, by (test, measure): (MDC, unit, source). None is for
# the mCTSIB's bds2016 measures or its time held, nor for the symmetry shares or the single-leg stance's time held;
# `documented_mdc` adds those the protocols document with a source (docs/clinic.md). Without an entry a change is
# shown as "no MDC known", never flagged.
MDC: dict[tuple[str, str], tuple[float, str, str]] = {}


def documented_mdc() -> dict[tuple[str, str], tuple[float, str, str]]:
    """MDC and the protocols' own: the Alternate Step Test's 3.26 s for `time_from_go_s` (trainer.clinic.stepping,
    AST_REFERENCE, docs/clinic.md); the Hill step test's is "not established" and so absent."""
    out = dict(MDC)
    try:
        from trainer.clinic.stepping import AST_REFERENCE, HILL_REFERENCE
    except ImportError:  # a version without the stepping tests
        return out
    if AST_REFERENCE.get("mdc_s") is not None:
        out[("alternate-step", "time_from_go_s")] = (float(AST_REFERENCE["mdc_s"]), "s", AST_REFERENCE["mdc_source"])
    if HILL_REFERENCE.get("mdc") is not None:
        out[("step-test", "steps")] = (float(HILL_REFERENCE["mdc"]), "steps", HILL_REFERENCE["mdc_source"])
    return out


# Numbers of a condition that are bookkeeping, not results (not listed in the generic table or compared).
NOT_RESULTS = {"trial_s", "samples", "start_s", "stepped_at_s", "body_weight_kg", "mean_load_kg", "weight_kg",
               "empty_board_kg"}


def calibration_record(identity: str):
    """The calibration stored on this computer for the session's board: the record whose device id is the board's
    identity (`calibrate` stores a board by its identity), or the FP1 plate's uid within it; None when none."""
    from trainer.calibration import CalibrationStore

    records = CalibrationStore().all()
    for record in records:
        if record.device_id and record.device_id == identity:
            return record
    for record in records:
        uid = record.device_id
        if uid and re.search(rf"\buid {re.escape(uid)}\b", identity or ""):
            return record
    return None


def calibration_lines(record, started_utc: str) -> list[str]:
    """The calibration record in words: when it was made and its last accuracy check, or why the accuracy is
    unknown."""
    if record is None or not record.calibrated:
        return ["no calibration record: the board's accuracy is unknown"]
    lines = [f"calibration record of {record.device_id}: made {record.created_utc[:10]}"]
    accuracy = record.accuracy or {}
    try:
        checked = (f"accuracy check {str(accuracy['date_utc'])[:10]}"
                   + (f" with {accuracy['mass_kg']:g} kg" if "mass_kg" in accuracy else "")
                   + f": COP within {accuracy['cop_error_max_mm']:.1f} mm"
                   + (f" (mean {accuracy['cop_error_mean_mm']:.1f} mm)" if "cop_error_mean_mm" in accuracy else "")
                   + f", load within {accuracy['total_load_error_max_kg']:.2f} kg")
    except (KeyError, TypeError, ValueError):
        lines.append("no complete accuracy check in it: the board's accuracy is unknown")
        return lines
    lines.append(checked)
    if str(accuracy["date_utc"])[:19] > started_utc[:19]:
        lines.append("(the check is later than this test: it describes the board since then)")
    return lines


def sample_table(text: str):
    """(t_s, cop_x_mm, cop_y_mm) arrays from a samples.csv's text (empty cells as NaN)."""
    import numpy as np

    header = text.split("\n", 1)[0].strip().split(",")
    try:
        columns = tuple(header.index(name) for name in ("t_s", "cop_x_mm", "cop_y_mm"))
    except ValueError:
        raise BalanceTrainerError(f"the session's samples have no t_s, cop_x_mm and cop_y_mm columns: {header}") \
            from None
    table = np.genfromtxt(io.StringIO(text), delimiter=",", skip_header=1, usecols=columns, dtype=float, ndmin=2)
    if table.size == 0:
        return np.empty(0), np.empty(0), np.empty(0)
    return table[:, 0], table[:, 1], table[:, 2]


def best_attempt(result: dict) -> dict | None:
    """The attempt the condition's result is from: the completed one, else the one held longest (the first of
    equals), as trainer.clinic.quiet_stance.QuietStanceTrial.best chooses it."""
    attempts = result.get("attempts") or []
    trial_s = float(result.get("trial_s") or 0.0)

    def completed(a):
        return a.get("stepped_at_s") is None and abs(float(a.get("held_s", 0.0)) - trial_s) < 1e-6

    return max(attempts, key=lambda a: (completed(a), float(a.get("held_s", 0.0))), default=None)


def best_attempt_path(samples, result: dict):
    """The best attempt's COP path (x, y in mm, NaNs dropped) from the session's samples: those with
    start_s <= t < start_s + held_s, the attempt's own window."""
    import numpy as np

    t, x, y = samples
    attempt = best_attempt(result)
    if attempt is None or attempt.get("start_s") is None:
        return np.empty(0), np.empty(0)
    start = float(attempt["start_s"])
    end = start + float(attempt["held_s"])
    keep = (t >= start - 1e-7) & (t < end - 1e-7) & np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def numbers_of(result: dict) -> dict[str, float]:
    """A condition's numbers: its own scalar numbers, and those of its measures (mCTSIB: bds2016 first)."""
    out = {}
    for key, value in result.items():
        if isinstance(value, bool) or key in NOT_RESULTS:
            continue
        if isinstance(value, (int, float)):
            out[key] = float(value)
    for profile in ("bds2016", "default"):
        for key, value in (result.get("measures", {}).get(profile, {}) or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and key not in out:
                out[key] = float(value)
    return out


def unit_of(measure: str) -> str:
    if measure in NORM_WORDS:
        return NORM_WORDS[measure][1]
    for suffix, unit in (("_pct", "%"), ("_s", "s"), ("_mm", "mm"), ("_cm2", "cm²"), ("_cm", "cm"), ("_kg", "kg"),
                         ("_hz", "Hz"), ("_deg", "°")):
        if measure.endswith(suffix):
            return unit
    return ""


def changes_since(test: str, scores: dict, earlier: list[tuple[int, str, dict]],
                  mdc: dict | None = None) -> tuple[list[dict], dict]:
    """Per condition, the change from the latest earlier test that has that condition with the same trial length
    (earlier: (id, started_utc, scores), oldest first). A change is a "real change" only where an MDC is known for
    (test, measure)."""
    mdc = documented_mdc() if mdc is None else mdc
    rows, previous = [], {}
    for condition, result in scores.get("conditions", {}).items():
        # Like with like: the measures depend on the trial's length (an mCTSIB of 30 s or 60 s).
        before = next(((sid, when, s["conditions"][condition]) for sid, when, s in reversed(earlier)
                       if condition in s.get("conditions", {})
                       and s["conditions"][condition].get("trial_s") == result.get("trial_s")), None)
        if before is None:
            continue
        sid, when, old = before
        previous[condition] = {"id": sid, "started_utc": when}
        now_numbers, old_numbers = numbers_of(result), numbers_of(old)
        keys = CHANGE_KEYS.get(test) or [k for k in now_numbers if k in old_numbers]
        for measure in keys:
            if measure not in now_numbers or measure not in old_numbers:
                continue
            a, b = old_numbers[measure], now_numbers[measure]
            if not (math.isfinite(a) and math.isfinite(b)):
                continue
            change = b - a
            known = mdc.get((test, measure))
            if known is None:
                words, flag = "no MDC known", ""
            else:
                words = f"MDC {known[0]:g} {known[1]}".strip()
                flag = "real change" if abs(change) >= known[0] else "within the MDC"
            rows.append({"condition": condition, "measure": measure, "before": a, "now": b, "change": change,
                         "unit": unit_of(measure), "mdc": words, "flag": flag, "previous_id": sid,
                         "previous_utc": when, "mdc_source": known[2] if known else None})
    return rows, previous
