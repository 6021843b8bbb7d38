"""The tracker's storage (trainer.store) on a real SQLite file and a real PostgreSQL database (the `store_url`
fixture): schema by migration, CRUD, two processes at once; SQLite's permissions and WAL; PostgreSQL's errors."""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from trainer.program import Check
from trainer.store import StoreError, default_url, open_store, resolve_url
from trainer.store import records
from trainer.store.migrate import MIGRATIONS, alembic_config

from conftest import POSTGRES_ENV

REPO_ROOT = Path(__file__).resolve().parents[1]


def _url(tmp_path):
    return f"sqlite:///{tmp_path / 'db' / 'tracker.db'}"


def _check(day=0, **changes):
    values = dict(date=dt.date(2026, 1, 5) + dt.timedelta(days=day), knee_to_wall_left_cm=5.0,
                  knee_to_wall_right_cm=12.0, pain_rest=1, pain_activity=3, stiffness=2, step_left_cm=55,
                  step_right_cm=65)
    values.update(changes)
    return Check(**values)


def _count(url, table):
    """Rows in a table, read past the store (its own engine, no pool left behind to keep the database busy)."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(text(f"select count(*) from {table}")).scalar_one()
    finally:
        engine.dispose()


def test_migrations_create_the_schema_and_reopening_is_a_no_op(store_url):
    from alembic.script import ScriptDirectory

    open_store(store_url).close()
    open_store(store_url).close()
    with open_store(store_url) as store, store.engine.connect() as connection:
        schema = inspect(connection)
        assert {"users", "checks", "diary", "alembic_version"} <= set(schema.get_table_names())
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert connection.execute(text("select version_num from alembic_version")).all() == [(head,)]
        columns = {column["name"] for column in schema.get_columns("checks")}
        assert {"user_id", "date", "knee_to_wall_left_cm", "step_right_cm", "pain_sharp", "compensations",
                "balance_zone_pct"} <= columns
    assert (MIGRATIONS / "env.py").is_file() and (MIGRATIONS / "script.py.mako").is_file()


def test_sqlite_uses_wal(tmp_path):
    open_store(_url(tmp_path)).close()
    assert sqlite3.connect(tmp_path / "db" / "tracker.db").execute("pragma journal_mode").fetchone() == ("wal",)


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


@pytest.mark.parametrize("url, message", [
    ("mysql://u@h/db", "'mysql' databases are not supported"), ("not a url", "is not a database URL"),
    ("sqlite://", "names no database file"), ("sqlite:///:memory:", "names no database file"),
    ("postgresql+psycopg2://u@h/db", "driver 'psycopg2' is not supported"),
    ("postgresql://u:secret@h:notaport/db", "is not a database URL")])
def test_unsupported_urls_are_refused_in_one_line(url, message):
    with pytest.raises(StoreError, match=message) as refused:
        open_store(url)
    assert len(str(refused.value).splitlines()) == 1 and "secret" not in str(refused.value)


@pytest.mark.parametrize("url, server, why", [
    ("postgresql://u:secret@127.0.0.1:1/x", "127.0.0.1:1", "Connection refused"),
    # A unix socket folder given as ?host= is where libpq goes, so that is the place the message names.
    ("postgresql://u:secret@127.0.0.1:1/x?host=/no/such/folder", "/no/such/folder:1", "No such file")])
def test_an_unreachable_postgresql_server_is_one_line_naming_it_without_the_password(url, server, why):
    with pytest.raises(StoreError) as refused:
        open_store(url)
    message = str(refused.value)
    assert message.startswith(f"cannot open the PostgreSQL database 'x' at {server}: ")
    assert why in message and "secret" not in message and len(message.splitlines()) == 1


def _postgresql_admin_url() -> str:
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        pytest.skip(f"no PostgreSQL server for this run ({POSTGRES_ENV} is not set; make test starts one)")
    return admin_url


def test_a_missing_postgresql_database_is_one_line():
    url = make_url(_postgresql_admin_url()).set(database="no_such_tracker_db")
    with pytest.raises(StoreError, match="'no_such_tracker_db' at 127.0.0.1:[0-9]+: .*does not exist") as refused:
        open_store(url.render_as_string(hide_password=False))
    assert len(str(refused.value).splitlines()) == 1


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_a_plain_postgresql_url_uses_psycopg_3_and_survives_a_dropped_connection(store_url):
    plain = store_url.replace("postgresql+psycopg://", "postgresql://")
    with open_store(plain) as store:
        assert store.engine.dialect.driver == "psycopg"
        with store.transaction() as s:
            records.add_user(s, "kiwi")
        # A server restart or an idle timeout closes the pooled connection under the store: the pre-ping replaces
        # it instead of the next command failing.
        admin = create_engine(_postgresql_admin_url(), poolclass=NullPool)
        with admin.connect() as connection:
            killed = connection.execute(text("select count(pg_terminate_backend(pid)) from pg_stat_activity "
                                             "where datname = :name and pid <> pg_backend_pid()"),
                                        {"name": make_url(store_url).database}).scalar_one()
        admin.dispose()
        assert killed == 1
        with store.transaction() as s:
            assert [u.name for u in records.list_users(s)] == ["kiwi"]


def test_users_checks_and_diary_round_trip_and_delete_cascades(store_url):
    with open_store(store_url) as store:
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
    assert (_count(store_url, "users"), _count(store_url, "checks"), _count(store_url, "diary")) == (0, 0, 0)


@pytest.mark.parametrize("fields", [dict(year_of_birth=1800), dict(height_cm=400), dict(sex="x"),
                                    dict(affected_side="up"), dict(prior_sprains=-1), dict(leg_length_cm=5)])
def test_bad_user_fields_are_refused(store_url, fields):
    with open_store(store_url) as store:
        with pytest.raises(StoreError):
            with store.transaction() as s:
                records.add_user(s, "kiwi", **fields)
        with store.transaction() as s:
            assert records.list_users(s) == []


def test_a_failed_transaction_writes_nothing(store_url):
    with open_store(store_url) as store:
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


def test_the_migrations_match_the_models(store_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from trainer.store.models import Base

    with open_store(store_url) as store, store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


# One tracker command, started at an agreed moment: Python's start-up takes long enough to spread plain launches
# out, so they would rarely open the database at the same instant.
AT_ONCE = """
import sys, time
from trainer.cli import main
start, name, url = float(sys.argv[1]), sys.argv[2], sys.argv[3]
time.sleep(max(0.0, start - time.time()))
sys.exit(main(["user", "add", name, "--db", url]))
"""


def test_processes_creating_the_same_new_database_all_succeed(store_url):
    # On SQLite the folder and the WAL switch race, on PostgreSQL the schema upgrade (hence the advisory lock);
    # without those guards some of these fail.
    import time

    names = ["a", "b", "c", "d"]
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    start = time.time() + 3.0
    writers = [subprocess.Popen([sys.executable, "-c", AT_ONCE, str(start), name, store_url], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for name in names]
    assert [(w.wait(timeout=60), w.stderr.read()) for w in writers] == [(0, "")] * len(names)
    with open_store(store_url) as store, store.transaction() as s:
        assert [u.name for u in records.list_users(s)] == names
