"""The program slice: a scripted eight-week history, input validation, and content.json as the single source of
thresholds (docs/program.md)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.program import CONTENT_PATH, Check, Profile, flags, load_content, plan_for, replay

D0 = dt.date(2026, 1, 5)  # a Monday

# A user with a prior sprain of the left ankle who improves, stiffens once (week 2), stalls for two weeks
# (weeks 5 and 6) and then recovers (week 7).
#        ktw L  ktw R  rest  activity stiffness  step L  step R  balance
SCRIPT = [
    (5.0, 12.0, 1, 3, 2, 55, 65, 40),  # week 1: baseline
    (6.0, 12.0, 1, 2, 5, 57, 65, 45),  # week 2: stiff after sessions
    (7.2, 12.0, 0, 2, 2, 58, 65, 50),  # week 3: +2.2 cm since baseline
    (8.0, 12.0, 0, 1, 1, 59, 65, 52),  # week 4: advances to strength
    (8.4, 12.0, 0, 1, 1, 60, 65, 55),  # week 5: +1.2 cm over two checks -> stall
    (8.6, 12.0, 0, 1, 1, 60, 65, 60),  # week 6: +0.6 cm over two checks -> stall again
    (10.6, 12.0, 0, 1, 1, 62, 65, 72),  # week 7: recovers; balance hold reached -> neuromuscular
    (11.2, 12.0, 0, 0, 1, 63, 65, 75),  # week 8
]
PROFILE = Profile(affected_side="left", prior_sprain=True)


def make_checks(rows=SCRIPT, changes_by_week=None):
    changes_by_week = changes_by_week or {}
    checks = []
    for i, (ktw_l, ktw_r, rest, act, stiff, step_l, step_r, bal) in enumerate(rows):
        check = Check(D0 + dt.timedelta(weeks=i), ktw_l, ktw_r, rest, act, stiff, step_l, step_r,
                      balance_zone_pct=bal)
        if i + 1 in changes_by_week:
            check = dataclasses.replace(check, **changes_by_week[i + 1])
        checks.append(check)
    return checks


@pytest.fixture
def content():
    return load_content()


def week_plan(week, checks, content, profile=PROFILE, day=0):
    return plan_for(profile, checks, D0 + dt.timedelta(weeks=week - 1, days=day), content)


def kinds(plan):
    return sorted({(f.kind, f.measure) for f in plan.flags})


# --- the scripted eight weeks ----------------------------------------------------------------------------------

def test_week_by_week(content):
    checks = make_checks()
    plans = {w: week_plan(w, checks, content, day=1) for w in range(1, 9)}  # the day after each check
    ktw, sym, bal, pain = (("improved", m) for m in
                           ("knee_to_wall_cm", "step_symmetry_pct", "balance_zone_pct", "pain_activity"))

    # phases: prior sprain -> mobility lasts 2 + 1 weeks; strength 2 weeks and the balance hold (70 %)
    assert [(plans[w].phase, plans[w].week_in_phase) for w in range(1, 9)] == [
        ("mobility", 1), ("mobility", 2), ("mobility", 3),
        ("strength", 1), ("strength", 2), ("strength", 3),
        ("neuromuscular", 1), ("neuromuscular", 2)]
    assert not any(p.paused for p in plans.values())
    assert plans[4].reason == "advanced from mobility"
    assert plans[7].reason == "advanced from strength"

    # week 1: baseline, nothing to compare; the listed doses
    assert kinds(plans[1]) == []
    assert plans[1].item("knee-to-wall-reach").reps == 10
    assert plans[1].item("calf-stretch").hold_s == 30
    assert plans[1].item("single-leg-stable").game == "single-leg"
    assert plans[1].items[0].id == "ankle-circles" and plans[1].items[-1].id == "calf-massage"
    assert plans[1].total_minutes == 19 and plans[1].blocks == 2

    # week 2: stiffness 5 >= 4 -> intensity x0.8 (and week 2 progression x1.05 for a prior sprain)
    assert kinds(plans[2]) == [("stiffness", "stiffness")]
    assert plans[2].item("knee-to-wall-reach").reps == 8  # round(10 * 1.05 * 0.8)
    assert plans[2].item("calf-stretch").hold_s == 25  # round(30 * 1.05 * 0.8)

    # week 3: stiffness settled -> back to the progression (x1.10); real gains: ktw +2.2 cm >= 1.9,
    # symmetry 16.7 -> 11.4 % (>= 5 points), balance 40 -> 50 (>= 10); pain 3 -> 2 is not (< 2 points)
    assert kinds(plans[3]) == [bal, ktw, sym]
    assert plans[3].item("knee-to-wall-reach").reps == 11
    assert plans[3].item("calf-stretch").hold_s == 33
    ktw_flag = next(f for f in plans[3].flags if f.measure == "knee_to_wall_cm")
    assert (ktw_flag.side, ktw_flag.value, ktw_flag.threshold) == ("left", 2.2, 1.9)

    # week 4: advance (3 weeks done, pain 1 <= 2, ktw +3.0 cm in the phase); pain 3 -> 1 is a real improvement
    assert kinds(plans[4]) == [pain]
    assert plans[4].item("band-dorsiflexion").reps == 12  # new phase: week 1 dose
    assert plans[4].item("step-down-game").level == 1

    # weeks 5 and 6: stall -> more mobility time (sets and minutes x1.5), technique note, one new drill per
    # stalled week
    for week, drills in ((5, ["foot-placement-walk"]), (6, ["foot-placement-walk", "foot-taps-clock"])):
        plan = plans[week]
        assert ("stall", "knee_to_wall_cm") in kinds(plan)
        assert plan.item("calf-stretch").sets == 3 and plan.item("calf-stretch").minutes == 3.0
        assert [i.id for i in plan.items if i.id in ("foot-placement-walk", "foot-taps-clock")] == drills
        assert any("technique" in n for n in plan.notes)
    assert kinds(plans[5]) == [("stall", "knee_to_wall_cm")]
    assert kinds(plans[6]) == [bal, ("stall", "knee_to_wall_cm")]
    assert plans[6].item("foot-taps-clock").game == "foot-taps"
    stall = next(f for f in plans[5].flags if f.kind == "stall")
    assert (stall.value, stall.threshold) == (1.2, 1.9)
    assert plans[6].total_minutes > plans[5].total_minutes > plans[4].total_minutes

    # week 7: recovered (+2.2 cm over two checks): no stall, extra time and drills gone; balance 72 >= 70 ->
    # neuromuscular; the ktw reference was week 3 (7.2 cm): +3.4 cm
    assert kinds(plans[7]) == [bal, ktw, sym]
    assert not any(f.kind == "stall" for f in plans[7].flags)
    assert "foot-taps-clock" not in [i.id for i in plans[7].items]
    assert plans[7].item("single-leg-foam").level == 2 and plans[7].item("single-leg-foam").setup == "foam"
    assert plans[7].notes == ()

    # week 8: no new real change; progression of week 2 in the phase (x1.05)
    assert kinds(plans[8]) == []
    assert plans[8].item("eccentric-plantarflexion").reps == 13  # round(12 * 1.05)


def test_flags_function_matches_the_plan(content):
    checks = make_checks()
    for week in range(1, 9):
        assert tuple(flags(checks[:week], content, "left")) == week_plan(week, checks, content).flags


def test_without_prior_sprain_the_mobility_phase_is_shorter_and_progression_faster(content):
    checks = make_checks()
    plans = [week_plan(w, checks, content, profile=Profile("left")) for w in (3, 4)]
    assert [(p.phase, p.week_in_phase) for p in plans] == [("strength", 1), ("strength", 2)]
    sprain = week_plan(3, checks, content)
    assert sprain.phase == "mobility" and sprain.item("knee-to-wall-reach").reps == 11  # x1.10
    normal = plan_for(Profile("left"), checks[:2], D0 + dt.timedelta(weeks=1), content)
    assert normal.item("calf-stretch").hold_s == 26  # round(30 * 1.10 * 0.8): stiff week, faster progression


def test_inactivity_shortens_sessions_and_surgery_adds_a_note(content):
    checks = make_checks()[:1]
    base = plan_for(Profile("left"), checks, D0, content)
    inactive = plan_for(Profile("left", inactivity=True), checks, D0, content)
    assert inactive.total_minutes == pytest.approx(base.total_minutes * 0.8)
    surgery = plan_for(Profile("left", surgery=True), checks, D0, content)
    assert any("surgeon" in n for n in surgery.notes)


# --- pause, swelling, step back ----------------------------------------------------------------------------------

def test_sharp_pain_pauses_and_the_next_check_resumes_one_phase_back(content):
    checks = make_checks(changes_by_week={5: {"pain_sharp": True}})
    plan = week_plan(5, checks, content)
    assert plan.paused and plan.items == () and plan.total_minutes == 0
    assert "sharp pain" in plan.reason and "clinician" in plan.reason
    assert ("pain_stop", "pain") in kinds(plan)
    after = week_plan(6, checks, content)
    assert not after.paused and (after.phase, after.week_in_phase) == ("mobility", 1)


def test_pain_at_the_threshold_pauses_below_it_steps_back(content):
    paused = week_plan(5, make_checks(changes_by_week={5: {"pain_activity": 6}}), content)
    assert paused.paused and "6/10" in paused.reason
    back = week_plan(5, make_checks(changes_by_week={5: {"pain_activity": 5}}), content)
    assert not back.paused and back.phase == "mobility" and "pain during activity 5/10" in back.reason


def test_swelling_reduces_load_and_twice_in_a_row_steps_back(content):
    checks = make_checks(changes_by_week={5: {"swelling": True}, 6: {"swelling": True}})
    once = week_plan(5, checks, content)
    assert once.phase == "strength" and ("swelling", "swelling") in kinds(once)
    assert once.item("band-dorsiflexion").reps == 9  # round(12 * 1.05 * 0.7)
    assert once.item("calf-stretch").hold_s == 32  # mobility holds are not load
    twice = week_plan(6, checks, content)
    assert twice.phase == "mobility" and "swelling on 2 checks" in twice.reason
    settled = week_plan(7, checks, content)
    assert not any(f.kind == "swelling" for f in settled.flags)


def test_heel_lift_and_compensations_are_noted(content):
    checks = make_checks(changes_by_week={2: {"heel_lift_left": True, "compensations": ("early-heel-rise",)}})
    notes = week_plan(2, checks, content).notes
    assert any("heel lifted" in n and "left" in n for n in notes)
    assert any("compensations seen: early-heel-rise" in n for n in notes)
    assert week_plan(3, checks, content).notes == ()


def test_no_stall_once_full_range_is_reached(content):
    rows = [(12.5, 12.5, 0, 1, 1, 60, 60, 50)] * 3
    assert not any(f.kind == "stall" for f in flags(make_checks(rows), content, "left"))


def test_plan_uses_checks_up_to_its_date_and_says_when_a_check_is_due(content):
    checks = make_checks()
    assert week_plan(4, checks, content, day=6).phase == "strength"
    assert week_plan(4, checks, content, day=-1).phase == "mobility"  # before week 4's check
    late = plan_for(PROFILE, checks, checks[-1].date + dt.timedelta(days=11), content)
    assert any("check is due" in n for n in late.notes)
    with pytest.raises(ValueError, match="baseline assessment"):
        plan_for(PROFILE, checks, D0 - dt.timedelta(days=1), content)


# --- input validation ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("field, value, message", [
    ("knee_to_wall_left_cm", -3, "knee_to_wall_left_cm must be from 0 to 30 cm, got -3"),
    ("knee_to_wall_right_cm", 80, "knee_to_wall_right_cm must be from 0 to 30 cm, got 80"),
    ("pain_rest", 11, "pain_rest must be from 0 to 10, got 11"),
    ("pain_activity", -1, "pain_activity must be from 0 to 10, got -1"),
    ("stiffness", float("nan"), "stiffness must be a number from 0 to 10"),
    ("step_left_cm", 5, "step_left_cm must be from 10 to 200 cm, got 5"),
    ("balance_zone_pct", 120, "balance_zone_pct must be from 0 to 100 %, got 120"),
    ("pain_sharp", "yes", "pain_sharp must be True or False"),
    ("compensations", ("limping",), "compensations must be a list of early-heel-rise"),
    ("date", "2026-01-05", "date must be a datetime.date"),
])
def test_invalid_check_values_name_the_field_and_range(field, value, message):
    good = make_checks()[0]
    with pytest.raises(ValueError) as error:
        dataclasses.replace(good, **{field: value})
    assert message in str(error.value)


def test_valid_extras_and_profile_validation():
    check = dataclasses.replace(make_checks()[0], compensations=["early-heel-rise", "wide-base"],
                                heel_lift_left=True, balance_zone_pct=None)
    assert check.compensations == ("early-heel-rise", "wide-base")
    with pytest.raises(ValueError, match="affected_side must be one of left, right, both, got 'middle'"):
        Profile("middle")
    with pytest.raises(ValueError, match="two checks on 2026-01-05"):
        flags([make_checks()[0], make_checks()[0]], load_content())


# --- the content file is the single source of thresholds ---------------------------------------------------------

def test_the_content_file_is_the_single_source_of_thresholds(content):
    checks = make_checks()
    assert not week_plan(2, checks, content).paused

    edited = load_content()
    edited["rules"]["pain_stop"]["pain_at_or_above"] = 2  # week 2's pain during activity is 2
    assert week_plan(2, checks, edited).paused

    edited = load_content()
    edited["measures"]["knee_to_wall_cm"]["mdc"] = 1.0  # week 2: +1.0 cm is now a real change
    assert ("improved", "knee_to_wall_cm") in kinds(week_plan(2, checks, edited))
    assert ("improved", "knee_to_wall_cm") not in kinds(week_plan(2, checks, content))

    edited = load_content()
    edited["rules"]["stiffness"]["at_or_above"] = 6  # week 2's stiffness 5 no longer counts
    assert kinds(week_plan(2, checks, edited)) == []

    edited = load_content()
    edited["rules"]["stall"]["window_checks"] = 1  # week 5: +0.4 cm over one check
    edited["measures"]["knee_to_wall_cm"]["mdc"] = 0.5
    assert ("stall", "knee_to_wall_cm") in kinds(week_plan(5, checks, edited))

    edited = load_content()
    edited["history_modifiers"]["prior_sprain"]["extra_mobility_weeks"] = 0
    assert week_plan(3, checks, edited).phase == "strength"

    edited = load_content()
    edited["rules"]["advance"]["strength_needs_balance_zone_pct"] = 80  # week 7's 72 % is not enough
    assert week_plan(7, checks, edited).phase == "strength"

    edited = load_content()
    edited["phases"][0]["items"][1]["dose"]["reps"] = 20
    assert week_plan(1, checks, edited).item("knee-to-wall-reach").reps == 20


def test_every_threshold_has_a_source():
    content = json.loads(CONTENT_PATH.read_text(encoding="utf-8"))
    for name, measure in content["measures"].items():
        assert measure["source"] and measure["mdc"] > 0, name
    for name, rule in content["rules"].items():
        if isinstance(rule, dict):
            assert rule["source"] and rule["reason"], name
    for name, modifier in content["history_modifiers"].items():
        assert modifier["source"] and modifier["reason"], name
    games = {i["game"] for p in content["phases"] for i in p["items"] if "game" in i}
    assert games == {"foot-taps", "single-leg", "step-down"}


# --- any valid history gives a coherent plan ----------------------------------------------------------------------

_week = st.tuples(st.floats(0, 30), st.floats(0, 30), st.integers(0, 10), st.integers(0, 10), st.integers(0, 10),
                  st.floats(10, 200), st.floats(10, 200), st.one_of(st.none(), st.floats(0, 100)),
                  st.booleans(), st.booleans())


@settings(max_examples=60, deadline=None)
@given(st.lists(_week, min_size=1, max_size=10), st.sampled_from(["left", "right", "both"]),
       st.booleans(), st.booleans(), st.booleans())
def test_any_valid_history_gives_a_coherent_plan(weeks, side, sprain, inactive, surgery):
    content = load_content()
    checks = [Check(D0 + dt.timedelta(weeks=i), a, b, r, p, s, sl, sr, balance_zone_pct=bal, pain_sharp=sharp,
                    swelling=swell) for i, (a, b, r, p, s, sl, sr, bal, sharp, swell) in enumerate(weeks)]
    profile = Profile(side, sprain, inactive, surgery)
    states = replay(profile, checks, content)
    assert len(states) == len(checks)
    plan = plan_for(profile, checks, checks[-1].date, content)
    assert plan.phase in [p["name"] for p in content["phases"]]
    if plan.paused:
        assert plan.items == () and "clinician" in plan.reason
    else:
        assert plan.total_minutes > 0 and plan.blocks >= 1
        assert all(i.level is None or i.level >= 1 for i in plan.items)
        assert all((i.reps or 1) >= 1 and (i.sets or 1) >= 1 for i in plan.items)
