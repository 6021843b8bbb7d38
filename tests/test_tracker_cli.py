"""The tracker's commands on a real SQLite file and a real PostgreSQL database (the `store_url` fixture): bad input
changes nothing, plans from a stored history match trainer.program's own, and two processes writing at once lose
nothing."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from trainer.cli import main
from trainer.program import load_content, plan_for
from trainer.tracker_cli import _plain

from test_program import D0, PROFILE, SCRIPT, make_checks  # the scripted eight weeks (module-level data)

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def db(store_url):
    """The database URL the commands are given (--db): a SQLite file, and a PostgreSQL database."""
    return store_url


def run(capsys, db, *argv):
    code = main([*argv, "--db", db])
    out, err = capsys.readouterr()
    return code, out, err


def counts(db):
    """(users, checks, diary) rows, read past the tracker (its own engine, no pool left behind)."""
    engine = create_engine(db, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return tuple(connection.execute(text(f"select count(*) from {t}")).scalar_one()
                         for t in ("users", "checks", "diary"))
    finally:
        engine.dispose()


def assess_args(user, date, ktw_l=5.0, ktw_r=12.0, rest=1, act=3, stiff=2, step_l=55, step_r=65, bal=None):
    args = ["assess", "--user", user, "--date", str(date), "--knee-to-wall-left-cm", str(ktw_l),
            "--knee-to-wall-right-cm", str(ktw_r), "--pain-rest", str(rest), "--pain-activity", str(act),
            "--stiffness", str(stiff), "--step-left-cm", str(step_l), "--step-right-cm", str(step_r)]
    return args + (["--balance-zone-pct", str(bal)] if bal is not None else [])


def test_user_commands(capsys, db):
    assert run(capsys, db, "user", "add", "kiwi", "--year-of-birth", "1990", "--sex", "female",
               "--affected-side", "left", "--prior-sprains", "1", "--leaderboard")[0] == 0
    code, out, _ = run(capsys, db, "user", "list", "--json")
    assert code == 0 and [u["name"] for u in json.loads(out)] == ["kiwi"]
    code, out, _ = run(capsys, db, "user", "show", "kiwi", "--json")
    shown = json.loads(out)
    assert (shown["year_of_birth"], shown["leaderboard"], shown["checks"]) == (1990, True, [])
    assert run(capsys, db, "diary", "add", "--user", "kiwi", "--date", "2026-01-06", "sore")[0] == 0
    code, out, _ = run(capsys, db, "diary", "list", "--user", "kiwi", "--json")
    assert json.loads(out) == [{"date": "2026-01-06", "text": "sore"}]
    assert run(capsys, db, "user", "delete", "kiwi")[0] == 0
    assert counts(db) == (0, 0, 0)


BAD = [
    (["user", "add", "kiwi"], "already a user"),
    (["user", "add", "kiwi2", "--height-cm", "900"], "height_cm"),
    (assess_args("kiwi", "2026-01-12", ktw_l=-3), "knee_to_wall_left_cm must be from 0 to 30"),
    (assess_args("kiwi", "2026-01-12", ktw_r=80), "knee_to_wall_right_cm must be from 0 to 30"),
    (assess_args("kiwi", "2026-01-12", act=11), "pain_activity must be from 0 to 10"),
    (assess_args("nobody", "2026-01-12"), "no user called 'nobody'"),
    (assess_args("kiwi", "2026-01-05"), "one check per date"),
    (assess_args("kiwi", "2026-02-30"), "not a date"),
    (["diary", "add", "--user", "nobody", "text"], "no user called"),
    (["diary", "add", "--user", "kiwi", "--date", "yesterday", "text"], "not a date"),
    (["user", "delete", "nobody"], "no user called"),
    (["plan", "--user", "kiwi", "--date", "2025-12-01"], "no check on or before"),
]


@pytest.mark.parametrize("argv, message", BAD, ids=[m for _, m in BAD])
def test_bad_input_is_one_line_and_changes_nothing(capsys, db, argv, message):
    run(capsys, db, "user", "add", "kiwi")
    run(capsys, db, *assess_args("kiwi", "2026-01-05"))
    run(capsys, db, "diary", "add", "--user", "kiwi", "--date", "2026-01-05", "first")
    before = counts(db)
    try:
        code, out, err = run(capsys, db, *argv)
    except SystemExit as exit_:  # argparse: a bad date
        code, (out, err) = exit_.code, capsys.readouterr()
    assert code != 0 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert counts(db) == before == (1, 1, 1)


@pytest.mark.parametrize("url", ["mysql://u@h/db", "nonsense", "sqlite:////proc/no-such-folder/x.db",
                                 "postgresql://u:secret@127.0.0.1:1/x"])
def test_a_bad_db_url_is_one_line(capsys, url):
    assert main(["user", "list", "--db", url]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("balance-trainer user: ") and "secret" not in err


def test_an_unreachable_postgresql_server_is_one_line_from_the_command():
    # The real command in its own process: what a user at a station sees when the clinic's server is down.
    done = subprocess.run([sys.executable, "-m", "trainer", "user", "list", "--db",
                           "postgresql://u:secret@127.0.0.1:1/x"], env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "127.0.0.1:1" in done.stderr and "secret" not in done.stderr and "Traceback" not in done.stderr


def test_the_environment_chooses_the_database(capsys, db, monkeypatch):
    monkeypatch.setenv("BALANCE_TRAINER_DB", db)
    assert main(["user", "add", "kiwi"]) == 0
    assert counts(db) == (1, 0, 0)


def test_the_scripted_eight_weeks_entered_by_assess_give_the_programs_plans(capsys, db):
    run(capsys, db, "user", "add", "pat", "--affected-side", PROFILE.affected_side, "--prior-sprains", "1")
    for week, (ktw_l, ktw_r, rest, act, stiff, step_l, step_r, bal) in enumerate(SCRIPT):
        code, _, err = run(capsys, db, *assess_args("pat", D0 + dt.timedelta(weeks=week), ktw_l, ktw_r, rest, act,
                                                   stiff, step_l, step_r, bal))
        assert code == 0, err
    content, checks = load_content(), make_checks()
    phases = []
    for week in range(1, 9):
        day = D0 + dt.timedelta(weeks=week - 1, days=1)
        code, out, _ = run(capsys, db, "plan", "--user", "pat", "--date", day.isoformat(), "--json")
        assert code == 0
        stored = json.loads(out)
        assert stored == json.loads(json.dumps(_plain(plan_for(PROFILE, checks, day, content))))
        phases.append((stored["phase"], stored["week_in_phase"]))
    assert phases == [("mobility", 1), ("mobility", 2), ("mobility", 3), ("strength", 1), ("strength", 2),
                      ("strength", 3), ("neuromuscular", 1), ("neuromuscular", 2)]
    code, out, _ = run(capsys, db, "plan", "--user", "pat", "--date", "2026-02-10")
    assert code == 0 and out.startswith("Plan for 'pat' on 2026-02-10: strength, week 3") and "stall" in out


def test_two_processes_writing_at_once_lose_nothing(capsys, db):
    run(capsys, db, "user", "add", "kiwi")
    url = db
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    failures = []

    def loop(make_argv):
        for i in range(30):
            done = subprocess.run([sys.executable, "-m", "trainer", *make_argv(i), "--db", url], env=env,
                                  capture_output=True, text=True, timeout=60)
            if done.returncode != 0:
                failures.append(done.stderr)

    writers = [threading.Thread(target=loop, args=(lambda i: assess_args("kiwi", D0 + dt.timedelta(days=i)),)),
               threading.Thread(target=loop, args=(lambda i: ["diary", "add", "--user", "kiwi", f"entry {i}"],))]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert failures == []
    assert counts(db) == (1, 30, 30)
