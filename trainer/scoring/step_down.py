"""Scoring of the controlled step-down game (`step-down`): pure functions over a round's arrays.

Two set-ups (docs/games-step-down.md has the words a patient reads):

- `step`: the board is on the step under the stance foot (a lateral step-down). The other heel is lowered to the
  floor in a cued tempo, touches lightly and comes back. The board sees the stance foot's COP and, at each touch,
  the load the floor takes: the total on the board dips below body weight. `score_step` finds the reps from those
  dips, the descent time from the onset of the descent to the touch, the tempo error against the cued descent, the
  touch load and the medio-lateral wavering of the COP during the descents.
- `landing`: the board is on the floor. The person steps down from a box onto it and lands softly. `score_landing`
  finds the landing (the first contact after the board was empty that hits harder than standing), its peak force,
  its loading rate, the time to stabilization (vertical force back within ±5 % of body weight and staying there,
  Colby et al. 1999) and the medio-lateral wavering of the COP after the contact.

Every input is a 1-D array in the project's units (DESIGN.md B.1): t_s seconds (increasing), total_kg kilograms-force
(after the tare), cop_x_mm medio-lateral (+ right), cop_y_mm antero-posterior (+ forward), NaN COP where nobody
stands. Scores that cannot be measured (no rep, no landing, never settled) are NaN, never a guess.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from trainer.cop import MIN_STANDING_KG

# --- body weight ---------------------------------------------------------------------------------------------------
# Step set-up: body weight is the median load of the first second standing on the board (the round starts with the
# person standing still on the stance leg; the median ignores the rise of stepping on, which lasts well under 0.5 s).
WEIGH_IN_S = 1.0

# --- step set-up: the touches ---------------------------------------------------------------------------------------
# A touch starts when the board's load falls this far below body weight: above the ±2 % a slow single-leg descent and
# a Wii board's noise (±0.5 kgf, 0.7 % of 70 kg) move the load, below the lightest touch a level asks for (5 % BW).
TOUCH_ENTER_FRACTION = 0.04
# ... and ends when it is back within this much of body weight (hysteresis: noise at the threshold makes one touch).
TOUCH_EXIT_FRACTION = 0.02
# A dip shorter than this is a jolt of the stance leg, not a heel put on the floor and lifted again.
MIN_TOUCH_S = 0.08
# The touch load is read from the load averaged over this long: it takes the board's noise off the lowest sample
# (0.2 kgf of noise biases the lowest of 240 samples by 0.6 kgf) and is shorter than any touch (MIN_TOUCH_S).
TOUCH_MEAN_S = 0.05
# The onset is sought from this long before the down cue: a still stretch for the fit, and room for a person who
# anticipates the cue; every level rests 2 s between reps, so it stays clear of the previous ascent.
PRE_CUE_S = 1.5
# Without cues, the onset is sought at most this long before the touch (the slowest level's descent plus a rest).
NO_CUE_WINDOW_S = 8.0
# The two-phase fit (still, then moving in a straight line) needs at least this much of each phase to mean anything.
MIN_PHASE_S = 0.2
# A fitted COP shift smaller than this over the descent is within single-leg sway: the board did not see the onset,
# and the descent is timed from the down cue instead.
ONSET_MIN_SHIFT_MM = 5.0

# --- landing set-up -----------------------------------------------------------------------------------------------
# Contact: the load rises through 2 kgf (about 20 N, the contact threshold of force-plate landing studies); above a
# Wii board's drift of ±0.5 kgf.
CONTACT_KG = 2.0
# The board must have been empty this long before a contact counts as new (a landing that bounces stays one).
MIN_UNLOADED_S = 0.05
# The impact peak is sought in this long after contact: landing peaks come within 0.1 s (0.058 s in BMC jump1), a
# step-down's second foot within about 0.5 s; later movement is not part of the landing.
PEAK_WINDOW_S = 0.5
# A contact whose peak stays below this multiple of body weight is a careful step onto the board (BMC jump1 steps
# on with a peak of 0.99 BW), not a landing; even a very soft step-down landing hits harder.
IMPACT_MIN_BW = 1.1
# Time to stabilization: the load is back within ±5 % of body weight (Colby et al. 1999) ...
STABLE_BAND_FRACTION = 0.05
# ... and stays there for a whole second (Wii board noise and quiet single-leg sway stay well inside the band).
STABLE_HOLD_S = 1.0
# ML wavering after landing: SD of the ML COP over this long after contact (the landing and its settling).
POST_LANDING_S = 2.0


@dataclass
class Rep:
    """One step-down rep (sample times in s, loads in % of body weight)."""

    touch_start_s: float
    touch_end_s: float
    onset_s: float  # start of the descent (NaN if it could not be placed)
    onset_from: str  # "cop": the COP's two-phase fit; "cue": the down cue; "none"
    cue_s: float  # the down cue this rep answered (NaN without cues)
    descent_s: float
    touch_load_pct_bw: float
    ml_sd_mm: float  # SD of the ML COP from onset to touch


@dataclass
class StepResult:
    body_weight_kg: float
    reps: list[Rep] = field(default_factory=list)

    def scores(self, cued_descent_s: float | None) -> dict[str, float]:
        descents = np.array([r.descent_s for r in self.reps], dtype=float)
        descents = descents[np.isfinite(descents)]
        touch = np.array([r.touch_load_pct_bw for r in self.reps], dtype=float)
        ml = np.array([r.ml_sd_mm for r in self.reps], dtype=float)
        ml = ml[np.isfinite(ml)]
        tempo = math.nan
        if cued_descent_s and len(descents):
            tempo = float(np.mean(np.abs(descents - cued_descent_s)) / cued_descent_s * 100.0)
        return {
            "reps": float(len(self.reps)),
            "mean_descent_s": float(np.mean(descents)) if len(descents) else math.nan,
            "tempo_error_pct": tempo,
            "mean_touch_load_pct_bw": float(np.mean(touch)) if len(touch) else math.nan,
            "ml_wavering_mm": float(np.mean(ml)) if len(ml) else math.nan,
        }


@dataclass
class Landing:
    contact_index: int
    peak_index: int
    contact_s: float
    peak_s: float
    peak_kg: float
    body_weight_kg: float  # NaN while it is not known (not given, not settled yet)
    stable_s: float  # start of the first stable second; NaN if the load never settled
    rise_s: float  # contact to peak; one sample interval when the peak is the contact sample itself

    @property
    def time_to_stabilization_s(self) -> float:
        return self.stable_s - self.contact_s

    @property
    def peak_force_bw(self) -> float:
        return self.peak_kg / self.body_weight_kg

    @property
    def loading_rate_bw_s(self) -> float:
        return self.peak_force_bw / self.rise_s


def _check(t_s, *arrays):
    t = np.asarray(t_s, dtype=np.float64)
    if t.ndim != 1:
        raise ValueError(f"t_s must be 1-D, not of shape {t.shape}")
    out = [t]
    for a in arrays:
        a = np.asarray(a, dtype=np.float64)
        if a.shape != t.shape:
            raise ValueError(f"every array must have the shape of t_s {t.shape}, not {a.shape}")
        out.append(a)
    if len(t) > 1 and not np.all(np.diff(t) > 0):
        raise ValueError("t_s must increase")
    return out


def _check_weight(body_weight_kg):
    if body_weight_kg is not None and not (math.isfinite(body_weight_kg) and body_weight_kg >= MIN_STANDING_KG):
        raise ValueError(f"body weight must be at least {MIN_STANDING_KG} kg, not {body_weight_kg}")


# --- step set-up ---------------------------------------------------------------------------------------------------
def step_body_weight_kg(t_s, total_kg) -> float:
    """Median load of the first WEIGH_IN_S standing on the board; NaN until that much has been recorded."""
    t, total = _check(t_s, total_kg)
    standing = np.flatnonzero(total >= MIN_STANDING_KG)
    if not len(standing):
        return math.nan
    start = standing[0]
    if t[-1] - t[start] < WEIGH_IN_S:
        return math.nan
    window = (t >= t[start]) & (t <= t[start] + WEIGH_IN_S)
    return float(np.median(total[window]))


def find_touches(t_s, total_kg, body_weight_kg: float) -> list[tuple[int, int]]:
    """(start, end) sample indices of each complete touch: the load below body weight by TOUCH_ENTER_FRACTION, until
    it is back within TOUCH_EXIT_FRACTION; the start is moved back to where the load last was within the exit band
    (the heel's first contact), the end is the first sample back in it. A dip still going on at the end is left out."""
    t, total = _check(t_s, total_kg)
    _check_weight(body_weight_kg)
    enter = body_weight_kg * (1.0 - TOUCH_ENTER_FRACTION)
    leave = body_weight_kg * (1.0 - TOUCH_EXIT_FRACTION)
    # A touch is a maximal run of samples below the exit level (NaN, a sensor that timed out, does not end it) that
    # goes below the entry level somewhere: the same as hysteresis with the start moved back to the exit level.
    below = ~(total >= leave)
    if not below.any():
        return []
    edges = np.diff(np.concatenate(([False], below, [False])).astype(np.int8))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    touches = []
    for start, end in zip(starts.tolist(), ends.tolist()):
        if end >= len(t):
            break  # still going on: not complete yet
        lowest = np.nanmin(total[start:end]) if np.isfinite(total[start:end]).any() else math.nan
        # Below MIN_STANDING_KG the person stepped off the board: that is no touch.
        if MIN_STANDING_KG <= lowest < enter and t[end] - t[start] >= MIN_TOUCH_S:
            touches.append((start, end))
    return touches


def _lowest_mean(t, values) -> float:
    """The lowest mean of `values` over TOUCH_MEAN_S (at least one sample), NaNs left out."""
    finite = np.isfinite(values)
    t, values = t[finite], values[finite]
    if not len(values):
        return math.nan
    width = max(1, int(np.sum(t - t[0] < TOUCH_MEAN_S)))
    sums = np.concatenate(([0.0], np.cumsum(values)))
    return float(np.min((sums[width:] - sums[:-width]) / width))


def _two_phase_onset(t, x, y) -> tuple[float, float]:
    """Break point of the least-squares fit "still, then a straight line" to the 2-D COP (t, x, y finite), and the
    fitted shift from the break to the end (mm). Cumulative sums make it O(n)."""
    n = len(t)
    t0 = t[0]
    tt = t - t0
    min_phase = max(2, int(np.searchsorted(tt, MIN_PHASE_S)))
    if n < 2 * min_phase + 1:
        return math.nan, 0.0

    def suffix(values):
        return np.concatenate((np.cumsum(values[::-1])[::-1], [0.0]))

    s_t, s_tt = suffix(tt), suffix(tt * tt)
    k = np.arange(min_phase, n - min_phase)
    tk = tt[k]
    count = (n - k).astype(float)
    s_r = s_t[k] - count * tk  # Σ (t_i − t_k) for i ≥ k
    s_rr = s_tt[k] - 2.0 * tk * s_t[k] + count * tk * tk
    det = n * s_rr - s_r * s_r
    sse = np.zeros(len(k))
    slopes = []
    for values in (x, y):
        s_y, s_yy = values.sum(), (values * values).sum()
        s_ty = suffix(tt * values)
        s_ry = s_ty[k] - tk * suffix(values)[k]
        with np.errstate(divide="ignore", invalid="ignore"):
            b = (s_rr * s_y - s_r * s_ry) / det
            v = (n * s_ry - s_r * s_y) / det
        sse += s_yy - (b * s_y + v * s_ry)
        slopes.append(v)
    sse[~np.isfinite(sse)] = np.inf
    best = int(np.argmin(sse))
    shift = math.hypot(slopes[0][best], slopes[1][best]) * (tt[-1] - tk[best])
    return float(t[k[best]]), float(shift)


def score_step(t_s, total_kg, cop_x_mm, cop_y_mm, *, body_weight_kg: float | None = None,
               cue_down_s=None) -> StepResult:
    """Reps of the step set-up. `cue_down_s`: sample times of the down cues (None: no cues). Body weight: given, else
    `step_body_weight_kg`. Each rep: the touch (find_touches); its down cue (the last one before the touch); the
    onset (the two-phase fit of the COP from PRE_CUE_S before the cue, or from the previous touch's end, to the
    touch; the cue itself when the fitted shift is under ONSET_MIN_SHIFT_MM); descent = touch start − onset; touch
    load = body weight − the lowest TOUCH_MEAN_S mean load of the touch, in % of body weight; ML SD = SD of cop_x from onset to touch."""
    t, total, x, y = _check(t_s, total_kg, cop_x_mm, cop_y_mm)
    _check_weight(body_weight_kg)
    weight = body_weight_kg if body_weight_kg is not None else step_body_weight_kg(t, total)
    result = StepResult(weight)
    if not math.isfinite(weight):
        return result
    cues = np.sort(np.asarray(cue_down_s, dtype=float)) if cue_down_s is not None else None
    previous_end_s = -math.inf
    for start, end in find_touches(t, total, weight):
        touch_s = float(t[start])
        cue = math.nan
        if cues is not None:
            before = cues[cues <= touch_s]
            if len(before):
                cue = float(before[-1])
        lo_s = (cue - PRE_CUE_S) if math.isfinite(cue) else touch_s - NO_CUE_WINDOW_S
        lo_s = max(lo_s, previous_end_s, float(t[0]))
        window = (t >= lo_s) & (t < touch_s) & np.isfinite(x) & np.isfinite(y)
        onset, shift = _two_phase_onset(t[window], x[window], y[window]) if window.sum() else (math.nan, 0.0)
        onset_from = "cop"
        if not (math.isfinite(onset) and shift >= ONSET_MIN_SHIFT_MM):
            onset, onset_from = (cue, "cue") if math.isfinite(cue) else (math.nan, "none")
        descent = touch_s - onset if math.isfinite(onset) else math.nan
        in_descent = (t >= onset) & (t < touch_s) & np.isfinite(x) if math.isfinite(onset) else np.zeros(len(t), bool)
        ml_sd = float(np.std(x[in_descent])) if in_descent.sum() >= 2 else math.nan
        lowest = _lowest_mean(t[start:end + 1], total[start:end + 1])
        result.reps.append(Rep(touch_s, float(t[end]), onset, onset_from, cue, descent,
                               (weight - lowest) / weight * 100.0, ml_sd))
        previous_end_s = float(t[end])
    return result


# --- landing set-up ------------------------------------------------------------------------------------------------
def _contacts(t, total) -> list[int]:
    """Indices where the load rises through CONTACT_KG after at least MIN_UNLOADED_S below it (or from the start)."""
    # A NaN (a sensor that timed out) is unknown: it keeps the last known state, so a dropout while standing is no
    # new contact. Before the first reading the board counts as empty.
    known = np.where(np.isfinite(total), np.arange(len(total)), 0)
    filled = total[np.maximum.accumulate(known)]
    loaded = filled >= CONTACT_KG
    rises = np.flatnonzero(loaded[1:] & ~loaded[:-1]) + 1
    contacts = []
    for i in rises:
        last_loaded = np.flatnonzero(loaded[:i])
        if not len(last_loaded):
            contacts.append(int(i))  # the board was empty from the start
        elif t[i] - t[last_loaded[-1] + 1] >= MIN_UNLOADED_S - 1e-9:
            contacts.append(int(i))
    return contacts


def _range_reduce(values: np.ndarray, starts: np.ndarray, ends: np.ndarray, op) -> np.ndarray:
    """op (np.maximum or np.minimum) over values[starts[k]:ends[k]] for every k (non-empty ranges), with a sparse
    table: O(n log n) once, then O(1) a range."""
    table = [values]
    while 2 ** len(table) <= len(values):
        previous, half = table[-1], 2 ** (len(table) - 1)
        table.append(op(previous[:-half], previous[half:]))
    lengths = ends - starts
    level = np.floor(np.log2(lengths)).astype(int)
    out = np.empty(len(starts))
    for k in np.unique(level):
        rows = level == k
        size = 2 ** k
        out[rows] = op(table[k][starts[rows]], table[k][ends[rows] - size])
    return out


def _first_stable(t, total, start: int, stop: int, body_weight_kg: float | None) -> tuple[int, float]:
    """First index i in [start, stop) from which the load stays within ±STABLE_BAND_FRACTION for STABLE_HOLD_S, and
    the weight it is measured against: body_weight_kg if given, else the median of that second itself. (-1, NaN)
    if there is none."""
    seg_t, seg = t[start:stop], total[start:stop]
    if len(seg) < 2 or seg_t[-1] - seg_t[0] < STABLE_HOLD_S:
        return -1, math.nan
    ends = np.searchsorted(seg_t, seg_t + STABLE_HOLD_S, side="right")  # one past each window's last sample
    full = np.flatnonzero(seg_t[ends - 1] - seg_t >= STABLE_HOLD_S - 1e-9)
    if not len(full):
        return -1, math.nan
    band = STABLE_BAND_FRACTION
    # A NaN (a sensor that timed out) makes its windows unstable: it counts as +inf for the max, -inf for the min.
    hi = _range_reduce(np.where(np.isfinite(seg), seg, np.inf), full, ends[full], np.maximum)
    lo = _range_reduce(np.where(np.isfinite(seg), seg, -np.inf), full, ends[full], np.minimum)
    if body_weight_kg is not None:
        ok = np.flatnonzero((hi <= body_weight_kg * (1 + band)) & (lo >= body_weight_kg * (1 - band)))
        return (start + int(full[ok[0]]), float(body_weight_kg)) if len(ok) else (-1, math.nan)
    # Only windows whose spread some centre could hold within the band need their median.
    for k in np.flatnonzero((lo >= MIN_STANDING_KG) & (hi <= lo * (1 + band) / (1 - band))):
        i, j = full[k], ends[full[k]]
        centre = float(np.median(seg[i:j]))
        if hi[k] <= centre * (1 + band) and lo[k] >= centre * (1 - band):
            return start + int(i), centre
    return -1, math.nan


def judge_contacts(t_s, total_kg, *, body_weight_kg: float | None = None) -> list[tuple[str, Landing]]:
    """Every contact (CONTACT_KG after MIN_UNLOADED_S empty, or from the start) with what it was:
    "landing" (its peak within PEAK_WINDOW_S reaches IMPACT_MIN_BW body weights), "step-on" (it does not: a careful
    step onto the board), "left" (weight not given and the person left the board before settling, so it cannot be
    judged) or "open" (the last contact, not judged yet: its peak window is not over, or it has not settled and no
    weight was given). Body weight: given, else the median of the first stable second after the contact's peak (the
    second from which the load stays within ±5 % of its own median), sought until the board empties again."""
    t, total = _check(t_s, total_kg)
    _check_weight(body_weight_kg)
    contacts = _contacts(t, total)
    judged = []
    for n, c in enumerate(contacts):
        last = n == len(contacts) - 1
        peak_end = int(np.searchsorted(t, t[c] + PEAK_WINDOW_S, side="right"))
        window = np.where(np.isfinite(total[c:peak_end]), total[c:peak_end], -np.inf)
        p = c + int(np.argmax(window))
        empties = np.flatnonzero(total[p:] < CONTACT_KG)  # a NaN is no emptying (its windows are not stable)
        stop = p + int(empties[0]) if len(empties) else len(t)
        stable, weight = _first_stable(t, total, p, stop, body_weight_kg)
        if body_weight_kg is not None:
            weight = float(body_weight_kg)
        complete = not last or t[-1] - t[c] >= PEAK_WINDOW_S
        # A peak on the contact sample itself rose within one sample: the rate is given over that interval.
        rise_s = float(t[p] - t[c]) if p > c else (float(t[c] - t[c - 1]) if c > 0 else math.nan)
        landing = Landing(c, p, float(t[c]), float(t[p]), float(total[p]), weight,
                          float(t[stable]) if stable >= 0 else math.nan, rise_s)
        if not complete:
            kind = "open"
        elif math.isfinite(weight):
            kind = "landing" if landing.peak_kg >= IMPACT_MIN_BW * weight else "step-on"
        else:
            kind = "open" if last else "left"
        judged.append((kind, landing))
    return judged


def find_landing(t_s, total_kg, *, body_weight_kg: float | None = None) -> Landing | None:
    """The first contact judged a landing (judge_contacts); else the last contact when its peak window is over but it
    has not settled and no weight was given (its weight is NaN: a landing still to be judged); else None."""
    judged = judge_contacts(t_s, total_kg, body_weight_kg=body_weight_kg)
    for kind, landing in judged:
        if kind == "landing":
            return landing
    if judged and judged[-1][0] == "open" and not math.isfinite(judged[-1][1].body_weight_kg):
        t = np.asarray(t_s, dtype=np.float64)
        if t[-1] - judged[-1][1].contact_s >= PEAK_WINDOW_S:
            return judged[-1][1]
    return None


def score_landing(t_s, total_kg, cop_x_mm, cop_y_mm, *, body_weight_kg: float | None = None) -> dict[str, float]:
    """Scores of the landing set-up: peak_force_bw (peak load in PEAK_WINDOW_S after contact / body weight),
    loading_rate_bw_s (peak_force_bw / time from contact to that peak: the average loading rate; one sample
    interval when the peak is the contact sample),
    time_to_stabilization_s (contact to the start of the first second within ±5 % of body weight), ml_wavering_mm
    (SD of the ML COP over POST_LANDING_S after contact, the part of it recorded). NaN where not measurable."""
    t, total, x, y = _check(t_s, total_kg, cop_x_mm, cop_y_mm)
    nan = {"peak_force_bw": math.nan, "loading_rate_bw_s": math.nan, "time_to_stabilization_s": math.nan,
           "ml_wavering_mm": math.nan}
    landing = find_landing(t, total, body_weight_kg=body_weight_kg)
    if landing is None:
        return nan
    after = (t >= landing.contact_s) & (t <= landing.contact_s + POST_LANDING_S) & np.isfinite(x)
    ml = float(np.std(x[after])) if after.sum() >= 2 else math.nan
    if not math.isfinite(landing.body_weight_kg):
        return {**nan, "ml_wavering_mm": ml}
    return {"peak_force_bw": landing.peak_force_bw, "loading_rate_bw_s": landing.loading_rate_bw_s,
            "time_to_stabilization_s": landing.time_to_stabilization_s, "ml_wavering_mm": ml}
