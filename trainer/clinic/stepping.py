"""The stepping tests' numbers (docs/clinic.md): the Alternate Step Test and the Hill step test, on the board's
samples, with the foot-taps engine's detection (trainer.scoring.foot_taps: `detect_taps`, `self_paced`).

The patient stands on the floor behind the board and places a foot on it: a placement is a tap of the `target`
set-up (the board's load less what the empty board read, rising through max(3 kg, 5 % BW); its side is the sign of
the COP x at the peak load). Times are on the samples' own clock, so a result is exact to the sample (onsets are
interpolated between samples, as the engine does).
"""
from __future__ import annotations

import math

import numpy as np

from trainer.scoring import foot_taps as taps_scoring
from trainer.scoring.foot_taps import CENTRE, LEFT, RIGHT, SIDE_NAMES

AST_PLACEMENTS = 8  # Tiedemann et al. 2008: eight alternating steps (four per foot)
HILL_TEST_S = 15.0  # Hill et al. 1996: as many steps as possible in 15 s, each leg in turn
SIDES = {"left": LEFT, "right": RIGHT}

# What the tests' results are compared with. Each with its source; "(unchecked)" where the number could not be
# checked against its source.
AST_REFERENCE = {
    "cut_off_s": 10.0,
    "cut_off_source": "Tiedemann et al., Age Ageing 2008;37:430-435: 10 s or longer identified multiple fallers "
                      "among people aged 74-98 (unchecked: the abstract gives no number; a stopwatch from 'go' "
                      "onto a 19-cm step, compare with time_from_go_s)",
    "mdc_s": 3.26,
    "mdc_source": "Chung et al., J Rehabil Med 2014;46(10), doi:10.2340/16501977-1877: 3.26 s in people with "
                  "chronic stroke (from the abstract), a stopwatch time onto a step",
}
HILL_REFERENCE = {
    "cut_off_affected": 13,
    "cut_off_unaffected": 11,
    "cut_off_source": "Hong et al. 2012 (chronic stroke vs healthy adults over 50: 13 steps on the paretic side, "
                      "11 on the non-paretic side; as summarised by the Shirley Ryan AbilityLab Rehabilitation "
                      "Measures Database, the paper itself unchecked)",
    "mdc": None,
    "mdc_source": "not established (Rehabilitation Measures Database, 2013)",
}


def _placements(t_s, total_kg, cop_x_mm, body_weight_kg: float | None):
    weight = taps_scoring.DEFAULT_TARGET_WEIGHT_KG if body_weight_kg is None else float(body_weight_kg)
    t = np.asarray(t_s, dtype=np.float64)
    total = np.asarray(total_kg, dtype=np.float64)
    offset = taps_scoring.empty_board_kg(t, total, weight) if len(t) else 0.0
    taps = taps_scoring.detect_taps(t, total - offset, cop_x_mm, onset_kg=taps_scoring.tap_onset_kg(weight))
    return taps, weight, offset


def alternate_step(t_s, total_kg, cop_x_mm, *, go_s: float, body_weight_kg: float | None = None,
                   end_s: float = math.inf) -> dict:
    """The Alternate Step Test on a side's samples: placements from `go_s` (before `end_s`), alternating feet.

    The first placement on a side (after the go) sets the first foot: either foot may start. From there
    `self_paced` (alternating) counts a placement on the expected half as the next step and any other (the same foot
    twice, or a foot across the middle line) as a wrong placement that does not count. `time_s` runs from the onset
    of the first placement to the onset of the eighth (the foot landing); `time_from_go_s` from the go to the
    eighth, as a stopwatch started on "go" would. NaN while fewer than eight are done."""
    taps, weight, offset = _placements(t_s, total_kg, cop_x_mm, body_weight_kg)
    after = np.flatnonzero((taps.onset_s >= go_s) & (taps.onset_s < end_s) & (taps.side != CENTRE))
    first_side = int(taps.side[after[0]]) if len(after) else LEFT
    series = taps_scoring.self_paced(taps, go_s=go_s, first_side=first_side, alternate=True, end_s=end_s,
                                     required_hits=AST_PLACEMENTS)
    used = series.match.tap_index
    hits = used[series.match.hit]
    onsets = taps.onset_s[hits]
    done = len(hits) >= AST_PLACEMENTS
    return {
        "placements": int(len(hits)),
        "wrong_placements": int(len(used) - len(hits)),
        "first_foot": SIDE_NAMES[first_side] if len(after) else None,
        "time_s": float(onsets[AST_PLACEMENTS - 1] - onsets[0]) if done else math.nan,
        "time_from_go_s": float(series.completed_s) if done else math.nan,
        "completed": bool(done),
        "placement_onsets_s": [round(float(t - go_s), 6) for t in onsets],
        "placement_sides": [SIDE_NAMES[int(s)] for s in taps.side[hits]],
        "weight_kg": weight,
        "empty_board_kg": offset,
    }


def hill_steps(t_s, total_kg, cop_x_mm, *, go_s: float, leg: str, body_weight_kg: float | None = None,
               test_s: float = HILL_TEST_S) -> dict:
    """The Hill step test for one leg: the placements of that foot on its half of the board (right foot: right
    half) that started after `go_s` and were finished, the foot back off the board, before go_s + test_s (the clinic
    counts completed steps). A placement on the other half is a wrong placement and does not count."""
    if leg not in SIDES:
        raise ValueError(f"leg must be left or right, not {leg!r}")
    taps, weight, offset = _placements(t_s, total_kg, cop_x_mm, body_weight_kg)
    end_s = go_s + test_s
    series = taps_scoring.self_paced(taps, go_s=go_s, first_side=SIDES[leg], alternate=False, end_s=end_s)
    used = series.match.tap_index
    finished = taps.release_s[used] < end_s
    counted = used[series.match.hit & finished]
    return {
        "leg": leg,
        "steps": int(len(counted)),
        "wrong_placements": int(np.count_nonzero(~series.match.hit & finished)),
        "test_s": float(test_s),
        "placement_onsets_s": [round(float(t - go_s), 6) for t in taps.onset_s[counted]],
        "weight_kg": weight,
        "empty_board_kg": offset,
    }


def left_right_difference(left, right) -> float | None:
    """left - right, or None when a side is missing or not a number."""
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (left, right)):
        return None
    return left - right
