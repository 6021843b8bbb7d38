"""Today's plan from the profile, the checks and the content (docs/program.md). Pure: no files, no database."""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field

from trainer.program.rules import Flag, Profile, is_stall, replay, sorted_checks


@dataclass(frozen=True)
class PlanItem:
    id: str
    name: str
    zone: str  # warm-up | mobility | strength | neuromuscular | cool-down
    minutes: float
    sets: int | None = None
    reps: int | None = None
    hold_s: int | None = None
    game: str | None = None
    setup: str | None = None
    level: int | None = None


@dataclass(frozen=True)
class Plan:
    date: _dt.date
    phase: str
    week_in_phase: int
    paused: bool
    reason: str
    items: tuple[PlanItem, ...]
    total_minutes: float
    blocks: int
    split: str
    notes: tuple[str, ...] = ()
    flags: tuple[Flag, ...] = field(default_factory=tuple)

    def item(self, item_id: str) -> PlanItem:
        return next(i for i in self.items if i.id == item_id)


def _progression(profile: Profile, content: dict) -> float:
    per_week = content["progression"]["per_week"]
    for name in profile.modifiers():
        per_week = min(per_week, content["history_modifiers"][name].get("progression_per_week", per_week))
    return per_week


def _item(spec: dict, factor: float, load: float, minutes_factor: float, sets_factor: float,
          level_change: int) -> PlanItem:
    dose = spec.get("dose", {})
    reps = dose.get("reps")
    hold = dose.get("hold_s")
    sets = dose.get("sets")
    level = spec.get("level")
    return PlanItem(
        id=spec["id"], name=spec["name"], zone=spec["zone"],
        minutes=round(dose.get("minutes", 0) * minutes_factor, 1),
        sets=None if sets is None else max(1, math.ceil(sets * sets_factor - 1e-9)),
        reps=None if reps is None else max(1, round(reps * factor * load)),
        hold_s=None if hold is None else max(1, round(hold * factor)),
        game=spec.get("game"), setup=spec.get("setup"),
        level=None if level is None else max(1, int(level) + level_change),
    )


def plan_for(profile: Profile, checks, date: _dt.date, content: dict) -> Plan:
    """The plan for `date` from the checks made on or before it."""
    if not isinstance(date, _dt.date):
        raise ValueError(f"date must be a datetime.date, got {date!r}")
    checks = [c for c in sorted_checks(checks) if c.date <= date]
    if not checks:
        raise ValueError(f"no check on or before {date}: do the baseline assessment first")
    state = replay(profile, checks, content)[-1]
    phase = content["phases"][state.phase]
    notes: list[str] = []
    for name in profile.modifiers():
        if content["history_modifiers"][name].get("note"):
            notes.append(content["history_modifiers"][name]["note"])
    if (date - checks[-1].date).days > content["rules"]["check_due_days"]:
        notes.append(f"the weekly check is due (last one {checks[-1].date})")
    latest = checks[-1]
    lifted = [s for s in ("left", "right") if getattr(latest, f"heel_lift_{s}")]
    if lifted:
        notes.append(f"heel lifted during the knee-to-wall test ({', '.join(lifted)}): repeat it with the heel down; "
                     "the reading may overstate the range")
    if latest.compensations:
        notes.append("compensations seen: " + ", ".join(latest.compensations)
                     + " - watch for them in the foot-placement walking drill and the step-downs")
    if state.paused:
        return Plan(date, phase["name"], 0, True, state.reason, (), 0.0, 0, "", tuple(notes), state.flags)

    rules = content["rules"]
    kinds = {f.kind for f in state.flags}
    prog = content["progression"]
    factor = min(1.0 + _progression(profile, content) * (state.week_in_phase - 1), prog["max_factor"])
    if "stiffness" in kinds:
        factor *= rules["stiffness"]["intensity_factor"]
    minutes_factor = 1.0
    for name in profile.modifiers():
        minutes_factor *= content["history_modifiers"][name].get("session_minutes_factor", 1.0)

    specs = list(phase["items"])
    stall_run = 0
    if "stall" in kinds:
        # one new drill for each stalled check in a row (the latest included)
        for n in range(len(checks), 0, -1):
            if not is_stall(checks[:n], content, profile.affected_side):
                break
            stall_run += 1
        present = {s["id"] for s in specs}
        new = [d for d in rules["stall"]["new_drills"] if d not in present][:stall_run]
        specs += [content["drills"][d] for d in new]
        notes.append("knee-to-wall stalled: check the technique (heel down, knee over the 2nd toe, "
                     "no hip turn); extra mobility time; new drill: " + ", ".join(new or ["none left"]))

    items = [_item(s, 1.0, 1.0, minutes_factor, 1.0, 0) for s in content["warm_up"]]
    for s in specs:
        load, sets_f, mins_f, level_change = 1.0, 1.0, minutes_factor, 0
        if "stiffness" in kinds and s.get("game"):
            level_change += rules["stiffness"]["game_level_change"]
        if "swelling" in kinds:
            if s["zone"] == "strength":
                load = rules["swelling"]["load_factor"]
            if s.get("game") == "step-down":
                level_change += rules["swelling"]["step_down_level_change"]
        if "stall" in kinds and s["zone"] == "mobility":
            sets_f = rules["stall"]["mobility_time_factor"]
            mins_f *= rules["stall"]["mobility_time_factor"]
        items.append(_item(s, 1.0 if s.get("game") else factor, load, mins_f, sets_f, level_change))
    items += [_item(s, 1.0, 1.0, minutes_factor, 1.0, 0) for s in content["cool_down"]]

    total = round(sum(i.minutes for i in items), 1)
    max_block = rules["split"]["max_block_minutes"]
    blocks = max(1, math.ceil(total / max_block - 1e-9))
    split = (f"one session of {total:g} min" if blocks == 1 else
             f"{blocks} blocks of about {math.ceil(total / blocks)} min across the day "
             f"(repeat the ankle circles at the start of each block)")
    return Plan(date, phase["name"], state.week_in_phase, False, state.reason, tuple(items), total, blocks, split,
                tuple(notes), state.flags)
