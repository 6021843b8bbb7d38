"""The tracker's storage (trainer.store) on a real SQLite file: schema by migration, permissions, CRUD."""
from __future__ import annotations

import datetime as dt
import sqlite3
import stat

import pytest

from trainer.program import Check
from trainer.store import StoreError, default_url, open_store, resolve_url
from trainer.store import records
from trainer.store.migrate import MIGRATIONS


def _url(tmp_path):
    return f"sqlite:///{tmp_path / 'db' / 'tracker.db'}"


def _check(day=0, **changes):
    values = dict(date=dt.date(2026, 1, 5) + dt.timedelta(days=day), knee_to_wall_left_cm=5.0,
                  knee_to_wall_right_cm=12.0, pain_rest=1, pain_activity=3, stiffness=2, step_left_cm=55,
                  step_right_cm=65)
    values.update(changes)
    return Check(**values)


def test_migrations_create_the_schema_and_reopening_is_a_no_op(tmp_path):
    url = _url(tmp_path)
    open_store(url).close()
    open_store(url).close()
    db = sqlite3.connect(tmp_path / "db" / "tracker.db")
    tables = {row[0] for row in db.execute("select name from sqlite_master where type = 'table'")}
    assert {"users", "checks", "diary", "alembic_version"} <= tables
    assert db.execute("select version_num from alembic_version").fetchall() == [("0001",)]
    columns = {row[1] for row in db.execute("pragma table_info(checks)")}
    assert {"user_id", "date", "knee_to_wall_left_cm", "step_right_cm", "pain_sharp", "compensations",
            "balance_zone_pct"} <= columns
    assert db.execute("pragma journal_mode").fetchone() == ("wal",)
    assert (MIGRATIONS / "env.py").is_file() and (MIGRATIONS / "script.py.mako").is_file()


def test_the_file_is_the_owners_only(tmp_path):
    open_store(_url(tmp_path)).close()
    assert stat.S_IMODE((tmp_path / "db" / "tracker.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "db").stat().st_mode) == 0o700


def test_default_url_is_in_the_data_folder_and_the_environment_overrides_it(private_data_dir, monkeypatch):
    assert default_url() == f"sqlite:///{private_data_dir / 'tracker.db'}"
    assert resolve_url() == default_url()
    monkeypatch.setenv("BALANCE_TRAINER_DB", "sqlite:////elsewhere/x.db")
    assert resolve_url() == "sqlite:////elsewhere/x.db"
    assert resolve_url("sqlite:////given.db") == "sqlite:////given.db"
    monkeypatch.delenv("BALANCE_TRAINER_DB")
    open_store().close()
    assert stat.S_IMODE((private_data_dir / "tracker.db").stat().st_mode) == 0o600


@pytest.mark.parametrize("url", ["postgresql://u@h/db", "not a url", "sqlite://", "sqlite:///:memory:"])
def test_unsupported_urls_are_refused(url):
    with pytest.raises(StoreError):
        open_store(url)


def test_users_checks_and_diary_round_trip_and_delete_cascades(tmp_path):
    with open_store(_url(tmp_path)) as store:
        with store.transaction() as s:
            user = records.add_user(s, "kiwi", year_of_birth=1990, sex="female", height_cm=170,
                                    leg_length_cm=88, affected_side="left", prior_sprains=2, leaderboard=True)
            records.add_check(s, user, _check(0, balance_zone_pct=40.0, compensations=("wide-base",),
                                              heel_lift_left=True))
            records.add_check(s, user, _check(7, swelling=True))
            records.add_diary(s, user, dt.date(2026, 1, 6), "stiff in the morning")
        with store.transaction() as s:
            user = records.get_user(s, "kiwi")
            assert records.user_dict(user)["leaderboard"] is True and user.prior_sprains == 2
            profile = records.profile_of(user)
            assert (profile.affected_side, profile.prior_sprain) == ("left", True)
            checks = records.checks_of(s, user)
            assert checks == [_check(0, balance_zone_pct=40.0, compensations=("wide-base",), heel_lift_left=True),
                              _check(7, swelling=True)]
            assert records.checks_of(s, user, up_to=dt.date(2026, 1, 6)) == checks[:1]
            assert [e.text for e in records.diary_of(s, user)] == ["stiff in the morning"]
            assert [u.name for u in records.list_users(s)] == ["kiwi"]
        with store.transaction() as s:
            records.delete_user(s, "kiwi")
        with store.transaction() as s:
            assert records.list_users(s) == []
    db = sqlite3.connect(tmp_path / "db" / "tracker.db")
    assert db.execute("select count(*) from checks").fetchone() == (0,)
    assert db.execute("select count(*) from diary").fetchone() == (0,)


@pytest.mark.parametrize("fields", [dict(year_of_birth=1800), dict(height_cm=400), dict(sex="x"),
                                    dict(affected_side="up"), dict(prior_sprains=-1), dict(leg_length_cm=5)])
def test_bad_user_fields_are_refused(tmp_path, fields):
    with open_store(_url(tmp_path)) as store:
        with pytest.raises(StoreError):
            with store.transaction() as s:
                records.add_user(s, "kiwi", **fields)
        with store.transaction() as s:
            assert records.list_users(s) == []


def test_a_failed_transaction_writes_nothing(tmp_path):
    with open_store(_url(tmp_path)) as store:
        with store.transaction() as s:
            user = records.add_user(s, "kiwi")
            records.add_check(s, user, _check(0))
        with pytest.raises(StoreError, match="one check per date"):
            with store.transaction() as s:
                user = records.get_user(s, "kiwi")
                records.add_diary(s, user, dt.date(2026, 1, 5), "written, then rolled back")
                records.add_check(s, user, _check(0))
        with pytest.raises(StoreError, match="already a user"):
            with store.transaction() as s:
                records.add_user(s, " kiwi ")
        with store.transaction() as s:
            user = records.get_user(s, "kiwi")
            assert len(records.checks_of(s, user)) == 1 and records.diary_of(s, user) == []


def test_the_migrations_match_the_models(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from trainer.store.models import Base

    with open_store(_url(tmp_path)) as store, store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_two_processes_creating_the_same_new_database_both_succeed(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    url = _url(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    writers = [subprocess.Popen([sys.executable, "-m", "trainer", "user", "add", name, "--db", url], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for name in "ab"]
    assert [(w.wait(timeout=60), w.stderr.read()) for w in writers] == [(0, ""), (0, "")]
    with open_store(url) as store, store.transaction() as s:
        assert [u.name for u in records.list_users(s)] == ["a", "b"]
