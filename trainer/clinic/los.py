"""Limits of Stability (`test los`): cued leans in eight directions, measured against the theoretical limit from the
person's height (docs/clinic.md, "Limits of Stability"). Pure numbers on arrays of raw samples (t_s, total_kg,
cop_x_mm, cop_y_mm; DESIGN.md B.1: x + to the person's right, y + forward, mm).

**Theoretical limit.** Centre-of-mass height = `COM_HEIGHT_FRACTION` × height (0.5527, as NeuroCom-style LOS use;
unchecked). Limit angles (`LIMIT_ANGLE_DEG`): 8.0° forward, 4.5° backward, 8.0° to each side (checked against a
vendor's description of its LOS protocol; the 12.5° front-back and 16° side-to-side sway envelope they add up to is
the usual one). Limit displacement at the feet = COM height × tan(angle), mm. A diagonal's limit is where its
45° line meets the ellipse through the forward (or backward) limit and the sideways limit (the project's choice,
unchecked): r = 1 / sqrt((ux / side)² + (uy / front_or_back)²).

**Timeline** (fixed, so a recording can be crafted with known truth). t0 = the first sample with someone standing
(total ≥ MIN_STANDING_KG). `READY_S` of standing still; the **centre** (the upright COP the excursions are measured
from) is the median COP over its last `CENTRE_S`, the body weight the median total over the same second. Then the
eight directions in `DIRECTIONS` order, one every `DIRECTION_S`: the cue at t0 + READY_S + i·DIRECTION_S; `MOVE_S`
to lean towards the target and hold; `RETURN_S` to come back to the centre.

**Per direction** (u = the direction's unit vector; "filtered" = the COP low-passed at `LOW_PASS_HZ`, zero phase,
over the direction's samples, when sampled fast enough; the cue's window is [cue, cue + MOVE_S)):
- rest position p0: the median raw COP over the `PRE_CUE_S` before the cue.
- stepped: the total load below `STEP_LOAD_FRACTION` of the body weight for `STEP_MIN_S` between the cue and the
  next; the direction's window ends at the first low sample.
- reaction time (s): cue → the first raw sample more than `REACTION_RADIUS_MM` from p0. None when it never leaves.
- endpoint (end of the primary movement): from the reaction on, the first sample that starts a run of
  `STABLE_S` in which the filtered COP's velocity along u stays below `STOP_SPEED_MM_S` (it stopped moving towards
  the target: a hold, a pause, or the way back); the window's last sample when none does.
- endpoint excursion (mm, % of the limit): (filtered COP at the endpoint − centre) · u.
- maximal excursion (mm, % of the limit): the largest (filtered COP − centre) · u in the window. A direction whose
  target is not reached scores what it reached; both may exceed 100 %.
- movement velocity (mm/s; °/s = mm/s ÷ COM height, in degrees): the primary movement's progress along u from
  p0 to the endpoint, D; between the first filtered samples at `PRIMARY_FROM` and `PRIMARY_TO` of D, their
  progress difference over their time difference. None when D ≤ 0 or there was no reaction.
- directional control (%): over the primary movement (cue to endpoint, filtered), on-target path / total path
  × 100, on-target path = Σ max(Δ·u, 0) (the progress towards the target), total path = Σ |Δ|. 100 % is a straight
  line to the target; a straight line 45° off the target scores 70.7 %. (NeuroCom's own definition,
  (on − off) / on, is unchecked.)
Composite: the mean of each measure over the directions where it is defined.
"""
from __future__ import annotations

import math

import numpy as np

from trainer.cop import MIN_STANDING_KG

DIRECTIONS = ("F", "FR", "R", "BR", "B", "BL", "L", "FL")
DIRECTION_WORDS = {"F": "forward", "FR": "forward and right", "R": "right", "BR": "back and right", "B": "back",
                   "BL": "back and left", "L": "left", "FL": "forward and left"}
_R = 1.0 / math.sqrt(2.0)
UNIT = {"F": (0.0, 1.0), "FR": (_R, _R), "R": (1.0, 0.0), "BR": (_R, -_R), "B": (0.0, -1.0), "BL": (-_R, -_R),
        "L": (-1.0, 0.0), "FL": (-_R, _R)}
COM_HEIGHT_FRACTION = 0.5527  # (unchecked)
LIMIT_ANGLE_DEG = {"forward": 8.0, "backward": 4.5, "sideways": 8.0}
READY_S = 3.0
CENTRE_S = 1.0
MOVE_S = 8.0
RETURN_S = 3.0
DIRECTION_S = MOVE_S + RETURN_S
TOTAL_S = READY_S + len(DIRECTIONS) * DIRECTION_S
PRE_CUE_S = 0.5
REACTION_RADIUS_MM = 10.0  # several times a Wii board's noise (about 1 mm) and the quiet sway's sample-to-sample move
STOP_SPEED_MM_S = 25.0  # slower than a lean (some 50-150 mm/s at these heights) and faster than standing still
STABLE_S = 0.25
PRIMARY_FROM, PRIMARY_TO = 0.05, 0.95
LOW_PASS_HZ = 5.0  # a lean's movement is below 2 Hz; the sensor noise above 5 Hz would swell the path lengths
STEP_LOAD_FRACTION = 0.75  # as the quiet-stance tests' step rule
STEP_MIN_S = 0.1
MEASURES = ("reaction_time_s", "movement_velocity_mm_s", "movement_velocity_deg_s", "endpoint_excursion_mm",
            "endpoint_excursion_pct", "max_excursion_mm", "max_excursion_pct", "directional_control_pct")


def com_height_mm(height_cm: float) -> float:
    """Centre-of-mass height (mm) from the standing height (cm)."""
    if not (isinstance(height_cm, (int, float)) and 50.0 <= height_cm <= 250.0):
        raise ValueError(f"a height is 50 to 250 cm, not {height_cm}")
    return 10.0 * float(height_cm) * COM_HEIGHT_FRACTION


def limits_mm(height_cm: float) -> dict[str, float]:
    """The theoretical limit (mm from the centre, at the feet) in each direction."""
    com = com_height_mm(height_cm)
    forward, backward, side = (com * math.tan(math.radians(LIMIT_ANGLE_DEG[k]))
                               for k in ("forward", "backward", "sideways"))
    out = {}
    for direction, (ux, uy) in UNIT.items():
        front_back = forward if uy >= 0 else backward
        out[direction] = 1.0 / math.sqrt((ux / side) ** 2 + (uy / front_back) ** 2)
    return out


def cue_times(t0_s: float) -> dict[str, float]:
    """Each direction's cue time for a test that started (someone standing) at t0_s."""
    return {d: t0_s + READY_S + i * DIRECTION_S for i, d in enumerate(DIRECTIONS)}


def theoretical_polygon(height_cm: float) -> list[tuple[float, float]]:
    """The eight limit points (x, y) mm around the centre, in DIRECTIONS order."""
    limits = limits_mm(height_cm)
    return [(limits[d] * UNIT[d][0], limits[d] * UNIT[d][1]) for d in DIRECTIONS]


def los_polygon(directions: dict[str, dict]) -> list[tuple[float, float]]:
    """The LOS polygon for screens and reports: each direction's maximal excursion point (x, y) mm around the
    centre, in DIRECTIONS order (NaN where a direction has no data). Draw it over `theoretical_polygon`."""
    points = []
    for d in DIRECTIONS:
        reach = directions.get(d, {}).get("max_excursion_mm")
        reach = math.nan if reach is None else float(reach)
        points.append((reach * UNIT[d][0], reach * UNIT[d][1]))
    return points


def _low_pass(t: np.ndarray, xy: np.ndarray) -> np.ndarray:
    from trainer.filters import zero_phase_lowpass

    if len(t) < 3:
        return xy
    fs_hz = 1.0 / float(np.median(np.diff(t)))
    if fs_hz < 2.5 * LOW_PASS_HZ:
        return xy
    try:
        return zero_phase_lowpass(xy, LOW_PASS_HZ, fs_hz)
    except ValueError:  # too few samples to filter: taken as they are
        return xy


def _first_low_run(t: np.ndarray, total: np.ndarray, limit_kg: float) -> int | None:
    """Index of the first sample of the first run below limit_kg lasting STEP_MIN_S, or None."""
    start = None
    for i in range(len(t)):
        if total[i] < limit_kg or not np.isfinite(total[i]):
            start = i if start is None else start
            if t[i] - t[start] >= STEP_MIN_S - 1e-9:
                return start
        else:
            start = None
    return None


def _no_data(direction: str, limit: float) -> dict:
    return {"direction": direction, "limit_mm": limit, "no_data": True, "stepped": False,
            **{name: None for name in MEASURES}}


def direction_measures(t_s, total_kg, cop_x_mm, cop_y_mm, *, direction: str, cue_s: float, centre_mm,
                       limit_mm: float, com_height_mm: float, body_weight_kg: float) -> dict:
    """One direction's measures (the module's docstring) from the samples around its cue."""
    t, total, x, y = (np.asarray(a, dtype=np.float64) for a in (t_s, total_kg, cop_x_mm, cop_y_mm))
    u = np.array(UNIT[direction])
    centre = np.asarray(centre_mm, dtype=np.float64)
    before = (t >= cue_s - PRE_CUE_S - 1e-9) & (t < cue_s - 1e-9) & np.isfinite(x) & np.isfinite(y)
    slot = (t >= cue_s - 1e-9) & (t < cue_s + DIRECTION_S - 1e-9)
    if not slot.any():
        return _no_data(direction, limit_mm)
    ts, totals = t[slot], total[slot]
    low = _first_low_run(ts, totals, STEP_LOAD_FRACTION * body_weight_kg)
    end_s = cue_s + MOVE_S if low is None else min(cue_s + MOVE_S, float(ts[low]))
    window = slot & (t < end_s - 1e-9)
    if window.sum() < 2:
        return {**_no_data(direction, limit_mm), "no_data": False, "stepped": low is not None}
    p0 = np.array([np.median(x[before]), np.median(y[before])]) if before.any() else \
        np.array([x[window][0], y[window][0]])
    tw = t[window]
    raw = np.column_stack((x[window], y[window]))
    keep = np.isfinite(raw).all(axis=1)
    tw, raw = tw[keep], raw[keep]
    filtered = _low_pass(tw, raw)
    result = {"direction": direction, "limit_mm": limit_mm, "no_data": False, "stepped": low is not None,
              **{name: None for name in MEASURES}}
    reach = (filtered - centre) @ u
    result["max_excursion_mm"] = float(reach.max())
    left = np.hypot(raw[:, 0] - p0[0], raw[:, 1] - p0[1]) > REACTION_RADIUS_MM
    if not left.any():  # never moved: it reached what it reached, no movement to time
        result["endpoint_excursion_mm"] = float(reach[-1])
    else:
        i_react = int(np.argmax(left))
        result["reaction_time_s"] = float(tw[i_react] - cue_s)
        i_end = _endpoint_index(tw, filtered, u, i_react)
        result["endpoint_excursion_mm"] = float(reach[i_end])
        progress = (filtered - p0) @ u
        distance = float(progress[i_end])
        if distance > 0:
            upto = progress[: i_end + 1]
            i_from = int(np.argmax(upto >= PRIMARY_FROM * distance))
            i_to = int(np.argmax(upto >= PRIMARY_TO * distance))
            if tw[i_to] > tw[i_from]:
                velocity = float((progress[i_to] - progress[i_from]) / (tw[i_to] - tw[i_from]))
                result["movement_velocity_mm_s"] = velocity
                result["movement_velocity_deg_s"] = math.degrees(velocity / com_height_mm)
        steps = np.diff(filtered[: i_end + 1], axis=0)
        path = float(np.hypot(steps[:, 0], steps[:, 1]).sum())
        if path > 0:
            result["directional_control_pct"] = 100.0 * float(np.clip(steps @ u, 0.0, None).sum()) / path
    for name in ("endpoint_excursion", "max_excursion"):
        result[f"{name}_pct"] = 100.0 * result[f"{name}_mm"] / limit_mm
    return result


def _endpoint_index(t: np.ndarray, xy: np.ndarray, u: np.ndarray, start: int) -> int:
    """The first index ≥ start that begins STABLE_S of velocity along u below STOP_SPEED_MM_S; else the last."""
    along = xy @ u
    speed = np.diff(along) / np.diff(t)  # speed[i]: from sample i to i + 1
    run_start = None
    for i in range(start, len(speed)):
        if speed[i] < STOP_SPEED_MM_S:
            run_start = i if run_start is None else run_start
            if t[i + 1] - t[run_start] >= STABLE_S - 1e-9:
                return run_start
        else:
            run_start = None
    return len(t) - 1


def analyse(t_s, total_kg, cop_x_mm, cop_y_mm, *, height_cm: float, body_weight_kg: float | None = None) -> dict:
    """The whole test's results from its raw samples (any samples before someone stood are ignored)."""
    t, total, x, y = (np.asarray(a, dtype=np.float64) for a in (t_s, total_kg, cop_x_mm, cop_y_mm))
    if not (len(t) == len(total) == len(x) == len(y)):
        raise ValueError("t_s, total_kg, cop_x_mm and cop_y_mm must have the same length")
    com = com_height_mm(height_cm)
    limits = limits_mm(height_cm)
    out = {"height_cm": float(height_cm), "com_height_mm": com, "limits_mm": limits,
           "theoretical_polygon_mm": theoretical_polygon(height_cm)}
    standing = np.flatnonzero(total >= MIN_STANDING_KG)
    if len(standing) == 0:
        out.update(directions={d: _no_data(d, limits[d]) for d in DIRECTIONS}, composite={}, started=False,
                   polygon_mm=los_polygon({}))
        return out
    t0 = float(t[standing[0]])
    ready = (t >= t0 + READY_S - CENTRE_S - 1e-9) & (t < t0 + READY_S - 1e-9) & np.isfinite(x) & np.isfinite(y)
    if not ready.any():
        ready = (t >= t0) & np.isfinite(x) & np.isfinite(y)
    centre = (float(np.median(x[ready])), float(np.median(y[ready])))
    weight = float(body_weight_kg) if body_weight_kg is not None else float(np.median(total[ready]))
    directions = {}
    for direction, cue in cue_times(t0).items():
        directions[direction] = direction_measures(t, total, x, y, direction=direction, cue_s=cue, centre_mm=centre,
                                                   limit_mm=limits[direction], com_height_mm=com,
                                                   body_weight_kg=weight)
        directions[direction]["cue_s"] = cue
    out.update(started=True, start_s=t0, centre_mm=centre, body_weight_kg=weight, directions=directions,
               composite=composite(directions), polygon_mm=los_polygon(directions))
    return out


def composite(directions: dict[str, dict]) -> dict[str, float | None]:
    """Each measure's mean over the directions where it is defined (None where none is)."""
    out = {}
    for name in MEASURES:
        values = [r[name] for r in directions.values() if r.get(name) is not None]
        out[name] = float(np.mean(values)) if values else None
    return out


def plot_los(results: dict, path) -> None:
    """The LOS polygon over the theoretical one, to a PNG (matplotlib, loaded only here)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    for points, style, label in ((results["theoretical_polygon_mm"], "--", "theoretical limit"),
                                 (results["polygon_mm"], "-o", "maximal excursion")):
        xs = [p[0] for p in points] + [points[0][0]]
        ys = [p[1] for p in points] + [points[0][1]]
        ax.plot(xs, ys, style, label=label)
    for direction, (ux, uy) in UNIT.items():
        limit = results["limits_mm"][direction]
        ax.annotate(direction, (1.12 * limit * ux, 1.12 * limit * uy), ha="center", va="center")
    ax.plot([0], [0], "+k")
    reach = 1.25 * max(results["limits_mm"].values())
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)
    ax.set_aspect("equal")
    ax.set_xlabel("left - right (mm)")
    ax.set_ylabel("back - forward (mm)")
    ax.set_title(f"Limits of Stability, height {results['height_cm']:g} cm")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize="small")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
