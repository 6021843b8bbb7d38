"""How each game's scores are shown and compared: {score name: (label, unit, higher_is_better)}.

`higher_is_better` is None where neither direction is better in itself (a descent's duration: the tempo error
says whether it was right); such a score shows this round and last time, but no personal best.
"""
from __future__ import annotations

SCORE_META: dict[str, tuple[str, str, bool | None]] = {
    # foot taps
    "taps": ("Taps", "", True),
    "hits": ("Hits", "", True),
    "misses": ("Misses", "", False),
    "mean_reaction_ms": ("Reaction time", "ms", False),
    "tap_rate_hz": ("Tap rate", "Hz", True),
    "left_right_symmetry_pct": ("Left/right symmetry", "%", True),  # 100 % = both sides alike
    "mean_stabilization_ms": ("Steady again after a tap", "ms", False),
    "mean_tap_load_pct_bw": ("Tap load", "% BW", False),  # light, controlled taps
    "alternate_step_time_s": ("Alternate step time", "s", False),  # level 8: 8 alternating taps, faster is better
    # single-leg balance
    "hold_s": ("Time on one leg", "s", True),
    "time_in_zone_pct": ("Time in the zone", "%", True),
    "sway_velocity_mm_s": ("Sway speed", "mm/s", False),
    "sway_area_ellipse95_mm2": ("Sway area (95 %)", "mm²", False),
    "touch_downs": ("Touch-downs", "", False),
    # step-downs
    "reps": ("Repetitions", "", True),
    "mean_descent_s": ("Descent time", "s", None),
    "tempo_error_pct": ("Tempo error", "%", False),
    "mean_touch_load_pct_bw": ("Touch load", "% BW", False),
    "peak_force_bw": ("Peak force", "× BW", False),
    "loading_rate_bw_s": ("Loading rate", "BW/s", False),
    "time_to_stabilization_s": ("Time to steady", "s", False),
    "ml_wavering_mm": ("Side-to-side wavering", "mm", False),
}


def score_meta(name: str) -> tuple[str, str, bool | None]:
    """The label, unit and direction of a score; an unknown score is shown under its own name, with no best."""
    if name in SCORE_META:
        return SCORE_META[name]
    return name.replace("_", " ").capitalize(), "", None


def better(name: str, a: float, b: float) -> bool | None:
    """True when `a` is better than `b`, False when worse, None when equal or when the score has no direction."""
    higher = score_meta(name)[2]
    if higher is None or a == b:
        return None
    return (a > b) if higher else (a < b)
