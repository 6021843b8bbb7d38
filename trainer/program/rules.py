"""The weekly check, the user's history, and the rules that read them (docs/program.md).

Every clinical threshold comes from the content dict (trainer/program/content.json); this module holds only the
plausible input ranges used to reject typing mistakes. Pure: no files, no database.
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field

# Input ranges (not clinical thresholds): a value outside is a typing or measuring mistake.
RANGES = {
    "knee_to_wall_left_cm": (0.0, 30.0, "cm"),
    "knee_to_wall_right_cm": (0.0, 30.0, "cm"),
    "pain_rest": (0.0, 10.0, ""),
    "pain_activity": (0.0, 10.0, ""),
    "stiffness": (0.0, 10.0, ""),
    "step_left_cm": (10.0, 200.0, "cm"),
    "step_right_cm": (10.0, 200.0, "cm"),
    "balance_zone_pct": (0.0, 100.0, "%"),
}
COMPENSATIONS = ("early-heel-rise", "toe-walking", "wide-base", "foot-turned-out")
SIDES = ("left", "right", "both")


def _check_number(name: str, value) -> float:
    lo, hi, unit = RANGES[name]
    unit = f" {unit}" if unit else ""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number from {lo:g} to {hi:g}{unit}, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be from {lo:g} to {hi:g}{unit}, got {value:g}")
    return float(value)


@dataclass(frozen=True)
class Check:
    """The weekly check (the first one is the baseline assessment)."""

    date: _dt.date
    knee_to_wall_left_cm: float
    knee_to_wall_right_cm: float
    pain_rest: float
    pain_activity: float
    stiffness: float  # after sessions, 0-10
    step_left_cm: float
    step_right_cm: float
    pain_sharp: bool = False
    swelling: bool = False
    heel_lift_left: bool = False  # the heel lifted during the knee-to-wall test
    heel_lift_right: bool = False
    compensations: tuple[str, ...] = ()
    balance_zone_pct: float | None = None  # single-leg game, the week's best time in zone

    def __post_init__(self):
        if not isinstance(self.date, _dt.date):
            raise ValueError(f"date must be a datetime.date, got {self.date!r}")
        for name in RANGES:
            value = getattr(self, name)
            if name == "balance_zone_pct" and value is None:
                continue
            object.__setattr__(self, name, _check_number(name, value))
        for name in ("pain_sharp", "swelling", "heel_lift_left", "heel_lift_right"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        unknown = [c for c in self.compensations if c not in COMPENSATIONS]
        if isinstance(self.compensations, str) or unknown:
            raise ValueError(f"compensations must be a list of {', '.join(COMPENSATIONS)}; got {self.compensations!r}")
        object.__setattr__(self, "compensations", tuple(dict.fromkeys(self.compensations)))  # each named once

    @property
    def step_symmetry_pct(self) -> float:
        """|L - R| / mean(L, R) x 100 (Robinson et al. 1987); 0 = symmetric."""
        mean = (self.step_left_cm + self.step_right_cm) / 2.0
        return abs(self.step_left_cm - self.step_right_cm) / mean * 100.0

    def knee_to_wall(self, side: str) -> float:
        """cm for 'left' or 'right'; for 'both' the worse (smaller) ankle."""
        if side == "both":
            return min(self.knee_to_wall_left_cm, self.knee_to_wall_right_cm)
        return self.knee_to_wall_left_cm if side == "left" else self.knee_to_wall_right_cm


@dataclass(frozen=True)
class Profile:
    """History that sets the pace."""

    affected_side: str = "both"
    prior_sprain: bool = False
    inactivity: bool = False  # stiffness from inactivity
    surgery: bool = False

    def __post_init__(self):
        if self.affected_side not in SIDES:
            raise ValueError(f"affected_side must be one of {', '.join(SIDES)}, got {self.affected_side!r}")
        for name in ("prior_sprain", "inactivity", "surgery"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")

    def modifiers(self) -> tuple[str, ...]:
        return tuple(n for n in ("prior_sprain", "inactivity", "surgery") if getattr(self, n))


@dataclass(frozen=True)
class Flag:
    kind: str  # improved | stall | pain_stop | stiffness | swelling
    measure: str = ""  # e.g. knee_to_wall_cm, step_symmetry_pct
    side: str = ""
    value: float | None = None  # the change (improved, stall) or the reading
    threshold: float | None = None  # the MDC or the rule's threshold
    detail: str = ""


def sorted_checks(checks) -> list[Check]:
    checks = sorted(checks, key=lambda c: c.date)
    for a, b in zip(checks, checks[1:]):
        if a.date == b.date:
            raise ValueError(f"two checks on {a.date}: one check per date")
    return checks


def _measure_values(check: Check, side: str) -> dict[tuple[str, str], float | None]:
    sides = ("left", "right") if side == "both" else (side,)
    values = {("knee_to_wall_cm", s): check.knee_to_wall(s) for s in sides}
    values[("step_symmetry_pct", "")] = check.step_symmetry_pct
    values[("balance_zone_pct", "")] = check.balance_zone_pct
    values[("pain_activity", "")] = check.pain_activity
    return values


def real_changes(values: list[float | None], better: str, mdc: float | None) -> list[tuple[str | None, float]]:
    """For each value: (improved | worse | None, its change from the reference).

    The reference is the first value, then the value at the last real improvement (so each `improved` is a new
    real change, and small gains add up until they count); `worse` = worse than the reference by at least the MDC.
    None values, and every value of a measure with no MDC, get (None, nan)."""
    out: list[tuple[str | None, float]] = []
    reference = None
    for value in values:
        if value is None or mdc is None:
            out.append((None, float("nan")))
            continue
        if reference is None:
            reference = value
            out.append((None, 0.0))
            continue
        change = value - reference
        gain = change if better == "higher" else -change
        if round(gain, 6) >= mdc:
            reference = value
            out.append(("improved", change))
        else:
            out.append(("worse" if round(-gain, 6) >= mdc else None, change))
    return out


def improvements(checks: list[Check], content: dict, side: str = "both") -> list[Flag]:
    """Real improvements at the latest check: the change since the reference reaches the measure's MDC
    (`real_changes`)."""
    if not checks:
        return []
    measures = content["measures"]
    found: list[Flag] = []
    for (measure, s) in _measure_values(checks[-1], side):
        spec = measures[measure]
        series = [_measure_values(check, side)[(measure, s)] for check in checks]
        flag, change = real_changes(series, spec["better"], spec["mdc"])[-1]
        if flag == "improved":
            found.append(Flag("improved", measure, s, round(change, 3), spec["mdc"],
                              f"{measure}{' ' + s if s else ''} changed {change:+.1f} {spec['unit']} "
                              f"(MDC {spec['mdc']:g})"))
    return found


def is_stall(checks: list[Check], content: dict, side: str = "both") -> Flag | None:
    rule = content["rules"]["stall"]
    n = int(rule["window_checks"])
    if len(checks) <= n:
        return None
    now, then = checks[-1].knee_to_wall(side), checks[-1 - n].knee_to_wall(side)
    mdc = content["measures"]["knee_to_wall_cm"]["mdc"]
    if now >= rule["full_range_cm"] or round(now - then, 6) >= mdc:
        return None
    return Flag("stall", "knee_to_wall_cm", side, round(now - then, 3), mdc,
                f"knee-to-wall gain {now - then:+.1f} cm over {n} weekly checks is below the MDC {mdc:g} cm")


def pain_stop(check: Check, content: dict) -> Flag | None:
    rule = content["rules"]["pain_stop"]
    worst = max(check.pain_rest, check.pain_activity)
    if rule["sharp_pain_stops"] and check.pain_sharp:
        return Flag("pain_stop", "pain", "", worst, rule["pain_at_or_above"], "sharp pain")
    if worst >= rule["pain_at_or_above"]:
        return Flag("pain_stop", "pain", "", worst, rule["pain_at_or_above"],
                    f"pain {worst:g}/10 is at or above {rule['pain_at_or_above']:g}")
    return None


def flags(checks, content: dict, side: str = "both") -> list[Flag]:
    """The flags of the latest check: pain stop, stiffness, swelling, stall, real improvements."""
    checks = sorted_checks(checks)
    if not checks:
        return []
    latest, rules = checks[-1], content["rules"]
    out: list[Flag] = []
    stop = pain_stop(latest, content)
    if stop:
        out.append(stop)
    if latest.stiffness >= rules["stiffness"]["at_or_above"]:
        out.append(Flag("stiffness", "stiffness", "", latest.stiffness, rules["stiffness"]["at_or_above"],
                        "stiffness after sessions: reduce intensity next time"))
    if latest.swelling:
        out.append(Flag("swelling", "swelling", "", None, None, "swelling: reduce load until it settles"))
    stall = is_stall(checks, content, side)
    if stall:
        out.append(stall)
    out.extend(improvements(checks, content, side))
    return out


@dataclass(frozen=True)
class WeekState:
    """The program state set by one check: the phase for the coming week."""

    date: _dt.date
    phase: int  # index into content["phases"]
    week_in_phase: int  # 1 = first week of the phase
    paused: bool
    reason: str
    flags: tuple[Flag, ...] = field(default_factory=tuple)


def min_weeks(phase: int, profile: Profile, content: dict) -> int:
    weeks = int(content["phases"][phase]["min_weeks"])
    if phase == 0:
        for name in profile.modifiers():
            weeks += int(content["history_modifiers"][name].get("extra_mobility_weeks", 0))
    return weeks


def replay(profile: Profile, checks, content: dict) -> list[WeekState]:
    """Walk the checks in order, applying the pause / step-back / advance rules (docs/program.md)."""
    checks = sorted_checks(checks)
    rules, side = content["rules"], profile.affected_side
    last = len(content["phases"]) - 1
    phase, start, states = 0, 0, []
    for i, check in enumerate(checks):
        week_flags = tuple(flags(checks[: i + 1], content, side))
        kinds = {f.kind for f in week_flags}
        paused, reason = False, ""
        done = i - start  # weeks trained in this phase before this check
        swelling_run = 0
        for c in reversed(checks[: i + 1]):
            if not c.swelling:
                break
            swelling_run += 1
        if "pain_stop" in kinds:
            stop = next(f for f in week_flags if f.kind == "pain_stop")
            paused = True
            reason = f"{stop.detail}: program paused - please see a clinician before going on"
            phase, start = max(0, phase - 1), i + 1  # resume one phase back at the next check
        elif i > 0 and (check.pain_activity >= rules["step_back"]["pain_activity_at_or_above"]
                        or swelling_run >= rules["step_back"]["swelling_consecutive_checks"]):
            reason = "stepped back one phase: " + (
                f"pain during activity {check.pain_activity:g}/10" if
                check.pain_activity >= rules["step_back"]["pain_activity_at_or_above"]
                else f"swelling on {swelling_run} checks in a row")
            phase, start = max(0, phase - 1), i
        elif i > 0 and phase < last and done >= min_weeks(phase, profile, content) and _may_advance(
                phase, checks[start: i + 1], check, kinds, content, side):
            reason = f"advanced from {content['phases'][phase]['name']}"
            phase, start = phase + 1, i
        if i >= 1 and states and states[-1].paused and not paused:
            start = i  # the week after a pause starts the phase again
        states.append(WeekState(check.date, phase, i - start + 1 if not paused else 0, paused, reason, week_flags))
    return states


def _may_advance(phase: int, in_phase: list[Check], check: Check, kinds: set, content: dict, side: str) -> bool:
    rule = content["rules"]["advance"]
    if check.pain_activity > rule["max_pain_activity"] or check.pain_sharp or kinds & {"stiffness", "swelling"}:
        return False
    name = content["phases"][phase]["name"]
    if name == "mobility" and rule["mobility_needs_real_ktw_gain"]:
        gain = in_phase[-1].knee_to_wall(side) - in_phase[0].knee_to_wall(side)
        return round(gain, 6) >= content["measures"]["knee_to_wall_cm"]["mdc"]
    if name == "strength":
        return (check.balance_zone_pct is not None
                and check.balance_zone_pct >= rule["strength_needs_balance_zone_pct"])
    return True
