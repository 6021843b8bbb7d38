"""A test's results as a clinician reads them: the normative percentiles added (mCTSIB), and the lines printed by
`balance-trainer test` (docs/clinic.md)."""
from __future__ import annotations

import copy
import math

NORM_MEASURES = ("sway_area_ellipse95_cm2", "mean_velocity_cm_s", "mean_frequency_hz")
NORMS_CAVEAT = ("Percentiles are from the BDS data set (Santos & Duarte 2016): an AMTI force plate and 60-s trials; "
                "this board's accuracy is in its calibration record, and 30-s trials sway less than 60-s ones.")


def board_accuracy(device_id: str | None) -> str:
    """The board's own accuracy, from its calibration record (`balance-trainer calibrate`), in words."""
    from trainer.calibration import CalibrationStore

    if not device_id:
        return "this board has no calibration record here (its accuracy is unknown)"
    calibration = CalibrationStore().get(device_id)
    accuracy = calibration.accuracy or {}
    if not calibration.calibrated:
        return f"board {device_id} is not calibrated (its accuracy is unknown)"
    if not accuracy:
        return f"board {device_id} calibrated {calibration.created_utc[:10]}, its accuracy never checked"
    return (f"board {device_id}: COP within {accuracy['cop_error_max_mm']:.1f} mm, load within "
            f"{accuracy['total_load_error_max_kg']:.2f} kg (checked {str(accuracy['date_utc'])[:10]})")


def with_norms(test: str, scores: dict, age_years: int | None, *, device_id: str | None = None) -> dict:
    """The scores with, per mCTSIB condition, each bds2016 measure's percentile in its age group and whether it lies
    outside the 5th-95th band (or why there is none: no age, no table, a value beyond the table)."""
    out = copy.deepcopy(scores)
    if test != "mctsib":
        return out
    for condition, result in out.get("conditions", {}).items():
        measures = result.get("measures", {}).get("bds2016", {})
        result["norms"] = _norms(condition, measures, age_years)
    out["norms_caveat"] = f"{NORMS_CAVEAT} This test: {board_accuracy(device_id)}."
    return out


def _norms(condition: str, measures: dict, age_years: int | None) -> dict:
    if age_years is None:
        return {"not_given": "no age: give --age, or the patient's year of birth"}
    from trainer.clinic import norms

    found = {}
    for measure in NORM_MEASURES:
        value = measures.get(measure)
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            continue
        try:
            result = norms.lookup(measure, condition, age_years, value)
        except ValueError as error:  # an age outside the table's 18-85 years
            found[measure] = {"not_given": str(error)}
            continue
        found[measure] = {"percentile": result.percentile, "position": result.position,
                          "outside_5_95": bool(result.outside_band), "age_group": result.age_group,
                          "n_people": result.n_people}
    return found


def _value(number, digits: int = 3) -> str:
    if number is None or (isinstance(number, float) and not math.isfinite(number)):
        return "-"
    return f"{number:.{digits}g}" if isinstance(number, float) else str(number)


def result_lines(test: str, results: dict, *, valid: bool = True) -> list[str]:
    lines = [f"{test}{'' if valid else ' - NOT VALID (the board went away)'}"]
    if test in PROTOCOL_LINES:
        return lines + PROTOCOL_LINES[test](results)
    if test in STEPPING_LINES:
        return lines + STEPPING_LINES[test](results)
    for condition, result in results.get("conditions", {}).items():
        attempts = ", ".join(f"{a['held_s']:.1f} s" for a in result.get("attempts", []))
        lines.append(f"  {condition}: held {result.get('held_s', 0):.1f} of {result.get('trial_s', 0):g} s"
                     f"{'' if result.get('completed') else ' (not completed)'}"
                     + (f"  attempts: {attempts}" if attempts else ""))
        for measure, value in result.get("measures", {}).get("bds2016", {}).items():
            norm = result.get("norms", {}).get(measure, {})
            where = ""
            if "position" in norm:
                where = f"  {norm['position']} ({norm['age_group']})" + ("  OUTSIDE 5th-95th"
                                                                         if norm["outside_5_95"] else "")
            lines.append(f"    {measure:26s} {_value(value, 4):>8}{where}")
        for key in ("left_pct", "right_pct", "front_pct", "back_pct", "asymmetry_pct"):
            if key in result:
                lines.append(f"    {key:26s} {result[key]:8.1f}")
    for name, value in results.get("ratios", {}).items():
        if value is not None:
            lines.append(f"  {name:44s} {value:.3g}")
    if "norms_caveat" in results:
        lines.append(f"  note: {results['norms_caveat']}")
    return lines


# --- the stepping tests (Alternate Step Test, Hill step test, lateral step-down): docs/clinic.md ------------------
def _ast_lines(results: dict) -> list[str]:
    lines = []
    reference = results.get("reference", {})
    for condition, result in results.get("conditions", {}).items():
        if not result.get("completed"):
            lines.append(f"  {condition}: not completed: {result.get('placements', 0)} of 8 placements")
            continue
        lines.append(f"  {condition}: {_value(result['time_s'], 3)} s from the first placement to the eighth; "
                     f"{_value(result['time_from_go_s'], 3)} s from go (first foot {result.get('first_foot')})")
        if result.get("wrong_placements"):
            lines.append(f"    wrong placements (not counted): {result['wrong_placements']}")
        cut_off = reference.get("cut_off_s")
        if cut_off is not None:
            side = "at or above" if result["time_from_go_s"] >= cut_off else "below"
            lines.append(f"    {side} the cut-off of {cut_off:g} s from go (unchecked)")
    if reference:
        lines.append(f"  note: cut-off: {reference.get('cut_off_source')}")
        lines.append(f"  note: MDC {reference.get('mdc_s'):g} s: {reference.get('mdc_source')}")
    return lines


def _hill_lines(results: dict) -> list[str]:
    lines = []
    for leg, result in results.get("conditions", {}).items():
        lines.append(f"  {leg}: {result.get('steps', 0)} steps in {result.get('test_s', 15.0):g} s"
                     + (" (cut short)" if result.get("cut_short") else ""))
        if result.get("wrong_placements"):
            lines.append(f"    placements by the other foot or across the middle (not counted): "
                         f"{result['wrong_placements']}")
    difference = results.get("difference", {}).get("steps_left_minus_right")
    if difference is not None:
        lines.append(f"  left - right: {difference:+d} steps")
    reference = results.get("reference", {})
    if reference:
        lines.append(f"  note: cut-offs {reference.get('cut_off_affected')} (affected side) and "
                     f"{reference.get('cut_off_unaffected')} (unaffected side): {reference.get('cut_off_source')}")
        lines.append(f"  note: MDC: {reference.get('mdc_source')}")
    return lines


def _step_down_lines(results: dict) -> list[str]:
    lines = []
    for side, result in results.get("conditions", {}).items():
        quality = result.get("quality_score")
        quality_words = (f"{quality} of 6 ({result.get('quality')})" if quality is not None else "not scored")
        lines.append(f"  {side}: {int(result.get('reps', 0))} of 5 reps"
                     + (" (cut short)" if result.get("cut_short") else "") + f"; quality {quality_words}")
        lines.append(f"    tempo error {_value(result.get('tempo_error_pct'))} %   touch load "
                     f"{_value(result.get('mean_touch_load_pct_bw'))} % BW   ML wavering "
                     f"{_value(result.get('ml_wavering_mm'))} mm   descent {_value(result.get('mean_descent_s'))} s")
    differences = results.get("differences", {})
    if any(v is not None for v in differences.values()):
        lines.append("  left - right: " + "   ".join(f"{name} {_value(value)}" for name, value in differences.items()))
    if "quality_source" in results:
        lines.append(f"  note: {results['quality_source']}")
    return lines


STEPPING_LINES = {"alternate-step": _ast_lines, "step-test": _hill_lines, "lateral-step-down": _step_down_lines}


# --- single-leg stance and limits of stability: docs/clinic.md ------------------------------------------------------
SWAY_LINE_MEASURES = ("mean_velocity_mm_s", "sway_area_ellipse95_mm2", "rms_ml_mm", "rms_ap_mm")


def _single_leg_lines(results: dict) -> list[str]:
    lines = []
    for condition, result in results.get("conditions", {}).items():
        attempts = ", ".join(f"{a['held_s']:.1f} s" + (f" ({a['cause']})" if a.get("cause") else "")
                             for a in result.get("attempts", []))
        lines.append(f"  {condition}: held {result.get('held_s', 0):.1f} of {result.get('trial_s', 0):g} s"
                     f"{'' if result.get('completed') else ' (not completed)'}"
                     + (f"  attempts: {attempts}" if attempts else "")
                     + (f"  false starts: {result['false_starts']}" if result.get("false_starts") else ""))
        sway = result.get("measures", {}).get("default", {})
        if "not_measured" in sway:
            lines.append(f"    sway not measured: {sway['not_measured']}")
        for measure in SWAY_LINE_MEASURES:
            if measure in sway:
                lines.append(f"    {measure:26s} {_value(sway[measure], 4):>8}")
    for name, value in results.get("differences", {}).items():
        if value is not None:
            lines.append(f"  {name:44s} {value:+.1f}")
    return lines


def _los_lines(results: dict) -> list[str]:
    from trainer.clinic.los import COM_HEIGHT_FRACTION

    limits = results.get("limits_mm", {})
    lines = [f"  height {_value(results.get('height_cm'), 4)} cm, centre of mass at "
             f"{_value(results.get('com_height_mm'), 4)} mm ({COM_HEIGHT_FRACTION:g} x height, unchecked); limits (mm): "
             + ", ".join(f"{d} {limit:.0f}" for d, limit in limits.items())]
    lines.append(f"  {'dir':4s}{'RT s':>7}{'MVL mm/s':>10}{'EPE %':>8}{'MXE %':>8}{'DCL %':>8}")
    for direction, result in results.get("directions", {}).items():
        lines.append(f"  {direction:4s}{_value(result.get('reaction_time_s'), 3):>7}"
                     f"{_value(result.get('movement_velocity_mm_s'), 3):>10}"
                     f"{_value(result.get('endpoint_excursion_pct'), 3):>8}"
                     f"{_value(result.get('max_excursion_pct'), 3):>8}"
                     f"{_value(result.get('directional_control_pct'), 3):>8}"
                     + ("  (stepped)" if result.get("stepped") else "")
                     + ("  (not reached the data)" if result.get("no_data") else ""))
    composite = results.get("composite", {})
    if composite:
        lines.append(f"  {'all':4s}{_value(composite.get('reaction_time_s'), 3):>7}"
                     f"{_value(composite.get('movement_velocity_mm_s'), 3):>10}"
                     f"{_value(composite.get('endpoint_excursion_pct'), 3):>8}"
                     f"{_value(composite.get('max_excursion_pct'), 3):>8}"
                     f"{_value(composite.get('directional_control_pct'), 3):>8}")
    return lines


PROTOCOL_LINES = {"single-leg-stance": _single_leg_lines, "los": _los_lines}
