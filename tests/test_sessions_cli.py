"""The session commands (session, progress, export, import, rescore) on SQLite and PostgreSQL, and the progress
trends (trainer.program.progress) against the documented eight weeks and a hand-worked reference."""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from trainer.cli import main
from trainer.program import load_content
from trainer.program.progress import RoundScore, check_trends, game_trends
from trainer.program.rules import real_changes
from trainer.store import open_store, records, sessions

from test_program import D0, make_checks  # the scripted eight weeks (docs/program.md)


def run(capsys, db, *argv):
    code = main([*argv, "--db", db])
    out, err = capsys.readouterr()
    return code, out, err


def test_real_changes_count_from_the_last_real_improvement_and_flag_real_losses():
    values = [10.0, 9.0, 7.5, 8.0, 12.0, 13.0, None, 13.9]
    flags = [flag for flag, _ in real_changes(values, "higher", 1.9)]
    # 10 is the reference; 7.5 and 8.0 are >= 1.9 below it (worse); 12.0 is +2.0 (improved, the new reference);
    # 13.0 (+1.0) and 13.9 (+1.9, exactly the MDC) against 12.0; None is skipped.
    assert flags == [None, None, "worse", "worse", "improved", None, None, "improved"]
    assert [flag for flag, _ in real_changes([3, 2, 1, 0], "lower", 2.0)] == [None, None, "improved", None]
    assert [flag for flag, _ in real_changes([3, 9], "lower", None)] == [None, None]


def test_the_eight_weeks_trends_flag_the_documented_real_changes():
    trends = {(t.measure, t.side): t for t in check_trends(make_checks(), load_content())}
    left = trends[("knee_to_wall_cm", "left")]
    weeks = {p.date: (p.date - D0).days // 7 + 1 for p in left.points}
    # docs/program.md, "The scripted example": knee-to-wall improves for real in weeks 3 and 7, pain in week 4.
    assert [weeks[p.date] for p in left.points if p.flag == "improved"] == [3, 7]
    assert not any(p.flag for p in trends[("knee_to_wall_cm", "right")].points)
    assert [weeks[p.date] for p in trends[("pain_activity", "")].points if p.flag] == [4]
    assert left.change == pytest.approx(11.2 - 5.0)
    # The slope per week, from the closed-form least-squares line.
    x = np.array([(p.date - D0).days / 7.0 for p in left.points])
    y = np.array([p.value for p in left.points])
    slope = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
    assert left.per_week == pytest.approx(slope)


def test_game_trends_take_each_weeks_best_valid_round():
    day = dt.date(2026, 3, 2)  # a Monday
    rounds = [RoundScore(day, "single-leg", None, True, {"time_in_zone_pct": 40.0}),
              RoundScore(day + dt.timedelta(days=2), "single-leg", None, True, {"time_in_zone_pct": 48.0}),
              RoundScore(day + dt.timedelta(days=3), "single-leg", None, False, {"time_in_zone_pct": 99.0}),
              RoundScore(day + dt.timedelta(days=7), "single-leg", None, True, {"time_in_zone_pct": 58.0}),
              RoundScore(day + dt.timedelta(days=8), "step-down", "step", True, {"tempo_error_pct": 30.0}),
              RoundScore(day + dt.timedelta(days=9), "step-down", "step", True, {"tempo_error_pct": 20.0}),
              RoundScore(day + dt.timedelta(days=9), "foot-taps", "target", True, {"hits": float("nan")})]
    trends = {t.measure: t for t in game_trends(rounds, load_content())}
    balance = trends["single-leg:time_in_zone_pct"]
    assert [(p.date, p.value, p.flag) for p in balance.points] == [
        (day, 48.0, None), (day + dt.timedelta(days=7), 58.0, "improved")]  # not valid: not counted; MDC 10
    step = trends["step-down:tempo_error_pct"]
    assert [p.value for p in step.points] == [20.0] and step.mdc is None and step.side == "step"
    assert "foot-taps:hits" not in trends  # a round with no value is no point


def _store_round(db, user, started_utc, game, scores, valid=True, setup=None):
    with open_store(db) as store, store.transaction() as session:
        row = sessions.start_session(session, records.get_user(session, user), kind="game", name=game, setup=setup,
                                     level=1, started_utc=started_utc, status="recording")
        sessions.append_samples(session, row, ["0.000000,,,,,,10,10,10,10,40,0,0,0"])
        sessions.finish_session(row, scores=scores, valid=valid, score_version=f"{game}/1",
                                summary={"duration_s": 30.0}, events_lines=[])
        return row.id


def test_progress_and_session_commands(capsys, store_url):
    db = store_url
    assert run(capsys, db, "user", "add", "kiwi", "--affected-side", "left", "--prior-sprains", "1")[0] == 0
    for check in make_checks():
        args = ["assess", "--user", "kiwi", "--date", check.date.isoformat(),
                "--knee-to-wall-left-cm", str(check.knee_to_wall_left_cm),
                "--knee-to-wall-right-cm", str(check.knee_to_wall_right_cm),
                "--pain-rest", str(check.pain_rest), "--pain-activity", str(check.pain_activity),
                "--stiffness", str(check.stiffness), "--step-left-cm", str(check.step_left_cm),
                "--step-right-cm", str(check.step_right_cm), "--balance-zone-pct", str(check.balance_zone_pct)]
        assert run(capsys, db, *args)[0] == 0
    first = _store_round(db, "kiwi", "2026-01-05T10:00:00.000+00:00", "single-leg", {"time_in_zone_pct": 40.0})
    _store_round(db, "kiwi", "2026-01-12T10:00:00.000+00:00", "single-leg", {"time_in_zone_pct": 55.0})

    code, out, _ = run(capsys, db, "progress", "--user", "kiwi", "--json")
    assert code == 0
    trends = {(t["measure"], t["side"]): t for t in json.loads(out)["trends"]}
    expected = {(t.measure, t.side): [p.flag for p in t.points] for t in check_trends(make_checks(), load_content())}
    for key, flags in expected.items():
        assert [p["flag"] for p in trends[key]["points"]] == flags, key
    assert [p["flag"] for p in trends[("single-leg:time_in_zone_pct", "")]["points"]] == [None, "improved"]
    code, out, _ = run(capsys, db, "progress", "--user", "kiwi")
    assert "knee_to_wall_cm left" in out and "improved 2026-01-19" in out and "improved 2026-02-16" in out

    code, out, _ = run(capsys, db, "session", "list", "--user", "kiwi", "--json")
    listed = json.loads(out)
    assert [s["id"] for s in listed][0] == first and [s["scores"] for s in listed] == [
        {"time_in_zone_pct": 40.0}, {"time_in_zone_pct": 55.0}]
    code, out, _ = run(capsys, db, "session", "show", str(first))
    assert code == 0 and "time_in_zone_pct" in out and "single-leg/1" in out
    code, out, _ = run(capsys, db, "user", "show", "kiwi", "--json")
    assert json.loads(out)["sessions"] == 2


def _counts(db):
    with open_store(db) as store, store.transaction() as session:
        return len(records.list_users(session)), len(sessions.sessions_of(session))


@pytest.mark.parametrize("argv, message", [
    (["session", "show", "999"], "no session 999"),
    (["session", "list", "--user", "nobody"], "no user called 'nobody'"),
    (["progress", "--user", "nobody"], "no user called 'nobody'"),
    (["rescore", "--user", "nobody"], "no user called 'nobody'"),
    (["export", "--user", "nobody", "--out", "{tmp}/e"], "no user called 'nobody'"),
    (["export", "--user", "kiwi", "--out", "{tmp}/full"], "is not an empty folder"),
    (["import", "{tmp}/no-such-folder"], "neither a recording folder"),
    (["import", "{tmp}/corrupt", "--user", "kiwi"], "samples.csv"),
    (["import", "{tmp}/bad-export"], "is not a balance-trainer export"),
    (["game", "single-leg", "--headless", "--board", "sim://?speed=max", "--user", "nobody"],
     "no user called 'nobody'"),
])
def test_bad_input_is_one_line_and_changes_nothing(capsys, store_url, tmp_path, argv, message):
    assert run(capsys, store_url, "user", "add", "kiwi")[0] == 0
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("mine")
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "samples.csv").write_text("t_s,seq,raw_tl\n0.1,x,y\n")
    (tmp_path / "bad-export").mkdir()
    (tmp_path / "bad-export" / "export.json").write_text('{"format": "something else"}')
    before = _counts(store_url)
    code, out, err = run(capsys, store_url, *[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err
    assert _counts(store_url) == before
    assert (tmp_path / "full" / "x").read_text() == "mine"
