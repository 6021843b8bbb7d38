"""Foot taps: tap detection and scores over a round's arrays (docs/games-foot-taps.md has the definitions).

Two set-ups share the detector:
- `target`: the player stands on the floor and taps a foot onto the board. A tap is the board's total load rising
  from about zero above `tap_onset_kg(body_weight)`; its side is the sign of the COP x at the tap's peak load.
- `clock`: the player stands on one leg on the board and taps the free foot on the floor. A tap is the total load
  dipping below body weight by `tap_onset_kg(body_weight)`: the load that went to the floor through the free foot.

Either way the signal is the "excess" load `e` (total − 0, or body weight − total); a tap starts when `e` rises
through the onset threshold and ends when it falls below half of it (hysteresis, so noise at the threshold does not
split a tap in two); both times are interpolated between samples. Data are split into segments at gaps (a board
that went stale or lost samples) and at unknown loads; a tap cut by a gap is not a tap.

Everything here is pure numpy and deterministic; times are in seconds on the arrays' own clock.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from trainer.cop import MIN_STANDING_KG

# --- thresholds (each with why) ---------------------------------------------------------------------------------
# A tap loads (or unloads) the board by at least this share of body weight: far above a bare Wii board's drift
# (about ±0.5 kgf) and a one-leg stance's vertical force wobble (about ±2 % BW), far below any deliberate tap.
TAP_ONSET_FRACTION_BW = 0.05
# ... and never by less than this: with a light player 5 % BW would come close to the board's drift.
TAP_ONSET_MIN_KG = 3.0
# The tap ends when the excess load falls below this share of the onset threshold (hysteresis against chatter).
TAP_RELEASE_FRACTION = 0.5
# Shorter contacts are bumps or noise spikes: even a fast tap keeps the foot down for 80 ms or more.
MIN_TAP_S = 0.04
# Longer contacts are not taps: the player put the foot down (target: stood on the board; clock: touched down).
MAX_TAP_S = 2.0
# Data missing for longer than this breaks the round into segments (at ~100 Hz this is 25 lost samples).
MAX_SAMPLE_GAP_S = 0.25
# Target taps closer to the middle line than this cannot be given a side (the foot straddles both halves).
SIDE_DEADBAND_MM = 25.0
# A reaction faster than this is an anticipation, not a response to a random cue (simple reaction ≈ 150-200 ms).
MIN_REACTION_S = 0.1
# Body weight in the clock set-up: the median total of the first second on the board.
WEIGH_S = 1.0
# Target set-up with no weight given: the player is off the board, so this nominal adult weight sets the threshold
# (70 kg → 3.5 kg onset); tap loads are then not scored in % of body weight.
DEFAULT_TARGET_WEIGHT_KG = 70.0
# Target set-up: the empty board's own reading is the median total of the round's first second, when the player
# stands on the floor; subtracting it removes an untared board's offset (a Wii board can read a few kg empty).
EMPTY_BOARD_S = 1.0
# Stabilisation after a clock tap: the COP speed must be back under this ...
SETTLED_SPEED_MM_S = 50.0
# ... and stay under it this long.
SETTLED_HOLD_S = 0.2
# COP speed is a central difference over ±this: the span acts as a ~10 Hz low-pass, so the Wii board's sensor noise
# (about 1 mm) adds only ~10 mm/s, not the ~100 mm/s a sample-to-sample difference would.
SPEED_HALF_SPAN_S = 0.05

LEFT, CENTRE, RIGHT = -1, 0, 1
SIDE_NAMES = {LEFT: "left", CENTRE: "centre", RIGHT: "right"}


def tap_onset_kg(body_weight_kg: float) -> float:
    """The excess load (kgf) at which a tap starts: max(3 kg, 5 % of body weight)."""
    if not (body_weight_kg > 0 and math.isfinite(body_weight_kg)):
        raise ValueError(f"body weight must be a positive number of kg, not {body_weight_kg}")
    return max(TAP_ONSET_MIN_KG, TAP_ONSET_FRACTION_BW * body_weight_kg)


@dataclass(frozen=True)
class Taps:
    """Detected taps, one entry per tap, in time order."""

    onset_s: np.ndarray
    release_s: np.ndarray
    peak_s: np.ndarray
    peak_excess_kg: np.ndarray  # the largest load added to (target) or taken off (clock) the board
    side: np.ndarray  # LEFT, RIGHT or CENTRE (target: from the COP x at the peak; clock: always CENTRE)
    long_contacts: int  # contacts longer than MAX_TAP_S, not counted as taps

    def __len__(self) -> int:
        return len(self.onset_s)


def _check(t_s, *arrays) -> list[np.ndarray]:
    t = np.asarray(t_s, dtype=np.float64)
    if t.ndim != 1:
        raise ValueError("t_s must be 1-D")
    out = [t]
    for a in arrays:
        a = np.asarray(a, dtype=np.float64)
        if a.shape != t.shape:
            raise ValueError(f"arrays must have the length of t_s ({t.shape[0]}), not {a.shape}")
        out.append(a)
    if len(t) > 1 and np.any(np.diff(t) <= 0):
        raise ValueError("t_s must increase")
    return out


def segments(t_s: np.ndarray, values: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index ranges of contiguous, known data: split where samples are more than MAX_SAMPLE_GAP_S
    apart or the value is unknown."""
    known = np.isfinite(values)
    n = len(t_s)
    if n == 0:
        return []
    # A new segment starts at a known sample whose predecessor is unknown or too long ago.
    starts_new = known.copy()
    starts_new[1:] &= ~known[:-1] | (np.diff(t_s) > MAX_SAMPLE_GAP_S)
    starts = np.flatnonzero(starts_new)
    out = []
    for k, start in enumerate(starts):
        limit = starts[k + 1] if k + 1 < len(starts) else n
        unknown = np.flatnonzero(~known[start:limit])
        out.append((int(start), int(start + unknown[0]) if len(unknown) else int(limit)))
    return out


def _crossing_time(t_s, e, i, level) -> float:
    """Time between samples i-1 and i at which e passes `level` (linear interpolation)."""
    if i == 0 or e[i] == e[i - 1]:
        return float(t_s[i])
    f = (level - e[i - 1]) / (e[i] - e[i - 1])
    return float(t_s[i - 1] + min(max(f, 0.0), 1.0) * (t_s[i] - t_s[i - 1]))


def detect_taps(t_s, excess_kg, cop_x_mm=None, *, onset_kg: float) -> Taps:
    """Taps in an excess-load signal (total load for `target`, body weight − total for `clock`).

    A tap starts where `excess_kg` rises through `onset_kg` after having been below the release level
    (TAP_RELEASE_FRACTION · onset_kg), and ends where it falls back below the release level. Taps shorter than
    MIN_TAP_S are dropped, longer than MAX_TAP_S counted as `long_contacts`; a tap not finished within its segment
    (the data end or break) is dropped. With `cop_x_mm`, each tap's side is the sign of the COP x at the peak (or,
    where the COP is unknown there, of the mean known COP x during the tap), CENTRE within SIDE_DEADBAND_MM.
    """
    if cop_x_mm is None:
        t, e = _check(t_s, excess_kg)
        x = np.full_like(t, np.nan)
    else:
        t, e, x = _check(t_s, excess_kg, cop_x_mm)
    if not onset_kg > 0:
        raise ValueError(f"onset_kg must be positive, not {onset_kg}")
    release_kg = TAP_RELEASE_FRACTION * onset_kg
    onsets, releases, peaks, peak_kg, sides = [], [], [], [], []
    long_contacts = 0
    for start, end in segments(t, e):
        seg_e = e[start:end]
        above = np.flatnonzero(seg_e >= onset_kg) + start
        below = np.flatnonzero(seg_e < release_kg) + start
        i = start
        while True:
            # Idle: wait for the load to be below the release level (a segment may start mid-tap).
            k = np.searchsorted(below, i)
            if k == len(below):
                break
            idle = int(below[k])
            k = np.searchsorted(above, idle)
            if k == len(above):
                break
            on = int(above[k])
            k = np.searchsorted(below, on)
            if k == len(below):
                break  # never released within the segment: cut by the data's end or a gap
            off = int(below[k])
            onset = _crossing_time(t, e, on, onset_kg)
            release = _crossing_time(t, e, off, release_kg)
            i = off
            duration = release - onset
            if duration < MIN_TAP_S:
                continue
            if duration > MAX_TAP_S:
                long_contacts += 1
                continue
            peak = on + int(np.argmax(e[on:off]))
            side_x = x[peak]
            if not math.isfinite(side_x):
                known = x[on:off][np.isfinite(x[on:off])]
                side_x = float(np.mean(known)) if len(known) else math.nan
            if not math.isfinite(side_x) or abs(side_x) < SIDE_DEADBAND_MM:
                side = CENTRE
            else:
                side = RIGHT if side_x > 0 else LEFT
            onsets.append(onset)
            releases.append(release)
            peaks.append(float(t[peak]))
            peak_kg.append(float(e[peak]))
            sides.append(side)
    return Taps(np.array(onsets), np.array(releases), np.array(peaks), np.array(peak_kg),
                np.array(sides, dtype=np.int64), long_contacts)


def body_weight_from_first_second(t_s, total_kg) -> float:
    """Median total load over the first WEIGH_S of standing (total >= MIN_STANDING_KG); NaN if nobody stood that
    long."""
    t, total = _check(t_s, total_kg)
    standing = np.flatnonzero(np.isfinite(total) & (total >= MIN_STANDING_KG))
    if len(standing) == 0:
        return math.nan
    t0 = t[standing[0]]
    if t[-1] < t0 + WEIGH_S:
        return math.nan  # the second is not over yet: the same answer live and at the end
    window = standing[(t[standing] < t0 + WEIGH_S)]
    return float(np.median(total[window]))


def empty_board_kg(t_s, total_kg, body_weight_kg: float = DEFAULT_TARGET_WEIGHT_KG) -> float:
    """Target set-up: what the board reads with nobody on it, the median total of the first EMPTY_BOARD_S of data;
    0 when there are no data or that median is itself at a tap's onset level (someone stood on the board: the offset
    cannot be known)."""
    t, total = _check(t_s, total_kg)
    first = np.isfinite(total) & (t < (t[0] + EMPTY_BOARD_S if len(t) else 0.0))
    if not first.any():
        return 0.0
    offset = float(np.median(total[first]))
    return offset if abs(offset) < tap_onset_kg(body_weight_kg) else 0.0


@dataclass(frozen=True)
class CueMatch:
    """Cues matched to taps."""

    tap_index: np.ndarray  # per cue: the tap that answered it, or -1
    hit: np.ndarray  # per cue: answered on the cued side (any side for CENTRE cues) in its window
    reaction_s: np.ndarray  # per cue: tap onset − cue time, NaN for no answer


def response_windows(cue_s, *, window_s: float, early_s: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """[start, end) of each cue's response window: from `early_s` before the cue (metronome cues invite taps on the
    beat) to `window_s` after it, cut where the next cue's window starts so that no tap answers two cues. Random
    cues (early_s = 0) also need MIN_REACTION_S: a faster answer is a guess."""
    cue = np.asarray(cue_s, dtype=np.float64)
    start = cue - early_s if early_s > 0 else cue + MIN_REACTION_S
    end = cue + window_s
    end[:-1] = np.minimum(end[:-1], start[1:])
    return start, np.maximum(end, start)


def match_cues(cue_s, cue_side, taps: Taps, *, window_s: float, early_s: float = 0.0) -> CueMatch:
    """Each cue takes the first tap whose onset falls in its response window; a hit if the tap is on the cued side
    (a CENTRE cue is answered by a tap on any side). Taps in no window are extra taps."""
    cue = np.asarray(cue_s, dtype=np.float64)
    side = np.asarray(cue_side, dtype=np.int64)
    if cue.shape != side.shape or cue.ndim != 1:
        raise ValueError("cue_s and cue_side must be 1-D of equal length")
    if len(cue) > 1 and np.any(np.diff(cue) <= 0):
        raise ValueError("cue times must increase")
    start, end = response_windows(cue, window_s=window_s, early_s=early_s)
    tap_index = np.full(len(cue), -1, dtype=np.int64)
    hit = np.zeros(len(cue), dtype=bool)
    reaction = np.full(len(cue), np.nan)
    for c in range(len(cue)):
        k = int(np.searchsorted(taps.onset_s, start[c], side="left"))
        if k < len(taps) and taps.onset_s[k] < end[c]:
            tap_index[c] = k
            hit[c] = side[c] == CENTRE or taps.side[k] == side[c]
            if hit[c]:
                reaction[c] = taps.onset_s[k] - cue[c]
    return CueMatch(tap_index, hit, reaction)


@dataclass(frozen=True)
class SelfPaced:
    """A self-paced series (Hill step test, Alternate Step Test): each tap answers the cue shown since the previous
    tap's release (or the go signal)."""

    cue_s: np.ndarray
    cue_side: np.ndarray
    match: CueMatch
    next_side: int  # the side cued now, after the last tap
    next_cue_s: float
    completed_s: float  # AST: from go to the onset of the last required hit; NaN if not reached


def self_paced(taps: Taps, *, go_s: float, first_side: int, alternate: bool, end_s: float = math.inf,
               required_hits: int | None = None) -> SelfPaced:
    """Score a self-paced series. Taps with onset in [go_s, end_s) count, in order: a tap on the cued side is a
    hit (its reaction is onset − cue), any other is a miss; the next cue is shown at the tap's release, on the other
    side after a hit when `alternate`. With `required_hits`, the series stops at that many hits."""
    cue_s, cue_side, tap_index, hit, reaction = [], [], [], [], []
    side, cue_t = first_side, go_s
    hits = 0
    completed = math.nan
    for k in range(len(taps)):
        onset = taps.onset_s[k]
        if onset < go_s or onset >= end_s or onset < cue_t:
            continue
        good = taps.side[k] == side
        cue_s.append(cue_t)
        cue_side.append(side)
        tap_index.append(k)
        hit.append(good)
        reaction.append(onset - cue_t if good else math.nan)
        cue_t = float(taps.release_s[k])
        if good:
            hits += 1
            if alternate:
                side = -side
            if required_hits is not None and hits >= required_hits:
                completed = float(onset - go_s)
                break
    match = CueMatch(np.array(tap_index, dtype=np.int64), np.array(hit, dtype=bool), np.array(reaction))
    return SelfPaced(np.array(cue_s), np.array(cue_side, dtype=np.int64), match, side, cue_t, completed)


def symmetry_pct(cue_side, hit) -> float:
    """100 × the smaller of the left and right hit rates (hits ÷ cues on that side) over the larger: 100 is
    symmetric. NaN when one side was never cued or no cue was hit."""
    side = np.asarray(cue_side)
    hit = np.asarray(hit, dtype=bool)
    rates = []
    for s in (LEFT, RIGHT):
        cued = side == s
        if not cued.any():
            return math.nan
        rates.append(hit[cued].mean())
    if max(rates) == 0:
        return math.nan
    return float(100.0 * min(rates) / max(rates))


def cop_speed_mm_s(t_s, cop_x_mm, cop_y_mm) -> np.ndarray:
    """COP speed at each sample: a central difference over ±SPEED_HALF_SPAN_S of the COP (interpolated in time,
    within its segment of known COP); NaN where the COP is unknown or its segment is too short."""
    t, x, y = _check(t_s, cop_x_mm, cop_y_mm)
    speed = np.full(len(t), np.nan)
    h = SPEED_HALF_SPAN_S
    for start, end in segments(t, x + y):
        ts, xs, ys = t[start:end], x[start:end], y[start:end]
        inside = (ts - h >= ts[0]) & (ts + h <= ts[-1])
        if not inside.any():
            continue
        tq = ts[inside]
        vx = (np.interp(tq + h, ts, xs) - np.interp(tq - h, ts, xs)) / (2 * h)
        vy = (np.interp(tq + h, ts, ys) - np.interp(tq - h, ts, ys)) / (2 * h)
        speed[start:end][inside] = np.hypot(vx, vy)
    return speed


def stabilization_s(t_s, speed_mm_s, release_s: float, until_s: float) -> float:
    """Time from `release_s` until the COP speed is under SETTLED_SPEED_MM_S and stays there for SETTLED_HOLD_S
    (all within [release_s, until_s)); NaN if it does not settle in time or the speed is unknown there."""
    t = np.asarray(t_s)
    v = np.asarray(speed_mm_s)
    sel = np.flatnonzero((t >= release_s) & (t < until_s))
    if len(sel) == 0:
        return math.nan
    run_start = None
    for i in sel:
        if not math.isfinite(v[i]):
            return math.nan
        if v[i] < SETTLED_SPEED_MM_S:
            if run_start is None:
                run_start = i
            if t[i] - t[run_start] >= SETTLED_HOLD_S:
                return float(max(t[run_start] - release_s, 0.0))
        else:
            run_start = None
    return math.nan


def _mean_ms(values) -> float:
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    return float(1000.0 * values.mean()) if len(values) else math.nan


def scored_duration_s(t_s) -> float:
    """Seconds of data the round was scored on: the summed spans of its segments (gaps left out)."""
    t = np.asarray(t_s, dtype=np.float64)
    if len(t) < 2:
        return 0.0
    steps = np.diff(t)
    typical = float(np.median(steps))
    return float(np.sum(steps[steps <= MAX_SAMPLE_GAP_S]) + typical)


def common_scores(taps: Taps, cue_side, match: CueMatch, duration_s: float) -> dict:
    hits = int(np.count_nonzero(match.hit))
    return {
        "taps": int(len(taps)),
        "hits": hits,
        "misses": int(len(match.hit) - hits),
        "mean_reaction_ms": _mean_ms(match.reaction_s[match.hit]),
        "tap_rate_hz": float(len(taps) / duration_s) if duration_s > 0 else math.nan,
        "left_right_symmetry_pct": symmetry_pct(cue_side, match.hit),
        "cues": int(len(match.hit)),
        "wrong_side_taps": int(np.count_nonzero((match.tap_index >= 0) & ~match.hit)),
        "long_contacts": int(taps.long_contacts),
    }


def score_target(t_s, total_kg, cop_x_mm, cue_s, cue_side, *, window_s: float, early_s: float = 0.0,
                 body_weight_kg: float | None = None) -> dict:
    """Scores of a cued `target` round: taps onto the board from the floor."""
    weight = DEFAULT_TARGET_WEIGHT_KG if body_weight_kg is None else float(body_weight_kg)
    t, total, x = _check(t_s, total_kg, cop_x_mm)
    offset = empty_board_kg(t, total, weight)
    taps = detect_taps(t, total - offset, x, onset_kg=tap_onset_kg(weight))
    match = match_cues(cue_s, cue_side, taps, window_s=window_s, early_s=early_s)
    scores = common_scores(taps, cue_side, match, scored_duration_s(t))
    scores["extra_taps"] = int(len(taps) - np.count_nonzero(match.tap_index >= 0))
    scores["weight_kg"] = weight
    scores["empty_board_kg"] = offset
    return scores


def score_target_self_paced(t_s, total_kg, cop_x_mm, *, go_s: float, first_side: int, alternate: bool,
                            end_s: float = math.inf, required_hits: int | None = None,
                            body_weight_kg: float | None = None) -> dict:
    """Scores of a self-paced `target` round (Hill step test: one side, counted taps; Alternate Step Test:
    alternating, timed to `required_hits`)."""
    weight = DEFAULT_TARGET_WEIGHT_KG if body_weight_kg is None else float(body_weight_kg)
    t, total, x = _check(t_s, total_kg, cop_x_mm)
    offset = empty_board_kg(t, total, weight)
    taps = detect_taps(t, total - offset, x, onset_kg=tap_onset_kg(weight))
    series = self_paced(taps, go_s=go_s, first_side=first_side, alternate=alternate, end_s=end_s,
                        required_hits=required_hits)
    counted = Taps(*(a[series.match.tap_index] for a in (taps.onset_s, taps.release_s, taps.peak_s,
                                                         taps.peak_excess_kg, taps.side)), taps.long_contacts)
    span = scored_duration_s(t[(t >= go_s) & (t < end_s)]) if len(t) else 0.0
    scores = common_scores(counted, series.cue_side, series.match, span)
    scores["weight_kg"] = weight
    scores["empty_board_kg"] = offset
    if required_hits is not None:
        scores["alternate_step_time_s"] = series.completed_s
    return scores


def score_clock(t_s, total_kg, cop_x_mm, cop_y_mm, cue_s, cue_side, *, window_s: float, early_s: float = 0.0,
                body_weight_kg: float | None = None) -> dict:
    """Scores of a `clock` round: one leg on the board, the free foot tapping the floor."""
    t, total, x, y = _check(t_s, total_kg, cop_x_mm, cop_y_mm)
    # Taps are dips below what the board read in the first second: a given body weight that is a few kg off (an old
    # profile, clothes, a calibration) must not shift the baseline, only the % BW.
    standing = body_weight_from_first_second(t, total)
    weight = standing if body_weight_kg is None else float(body_weight_kg)
    nan_scores = {"taps": 0, "hits": 0, "misses": int(len(np.asarray(cue_s))), "mean_reaction_ms": math.nan,
                  "tap_rate_hz": math.nan, "left_right_symmetry_pct": math.nan, "mean_stabilization_ms": math.nan,
                  "mean_tap_load_pct_bw": math.nan, "cues": int(len(np.asarray(cue_s))), "wrong_side_taps": 0,
                  "long_contacts": 0, "settled_taps": 0, "weight_kg": weight, "standing_kg": math.nan}
    if not math.isfinite(standing):
        return nan_scores  # nobody stood on the board for a second: nothing can be scored
    taps = detect_taps(t, standing - total, onset_kg=tap_onset_kg(weight))
    match = match_cues(cue_s, np.zeros(len(np.asarray(cue_s)), dtype=np.int64), taps, window_s=window_s,
                       early_s=early_s)
    scores = common_scores(taps, cue_side, match, scored_duration_s(t))
    # Symmetry: hit rates of the cues to the left and to the right (the board cannot see where the free foot went).
    scores["left_right_symmetry_pct"] = symmetry_pct(cue_side, match.hit)
    speed = cop_speed_mm_s(t, x, y)
    settle = []
    for k in range(len(taps)):
        until = taps.onset_s[k + 1] if k + 1 < len(taps) else (t[-1] if len(t) else 0.0)
        settle.append(stabilization_s(t, speed, taps.release_s[k], until))
    scores["mean_stabilization_ms"] = _mean_ms(settle)
    scores["settled_taps"] = int(np.count_nonzero(np.isfinite(settle)))
    scores["mean_tap_load_pct_bw"] = (float(100.0 * np.mean(taps.peak_excess_kg) / weight) if len(taps)
                                      else math.nan)
    scores["weight_kg"] = weight
    scores["standing_kg"] = standing
    return scores
