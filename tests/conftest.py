"""Shared test set-up: the real recordings in ../shared/data, and pygame without a screen."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

# pygame must never try to open a real window or sound device in tests.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the shared recordings are not beside this checkout ({SHARED_DATA} is missing)")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own user data folder: calibrations and databases never touch the real one."""
    folder = tmp_path_factory.mktemp("user-data")
    monkeypatch.setenv("BALANCE_TRAINER_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def make_device():
    """Start FP1 device simulators on pseudo-terminals; all are stopped, and their threads gone, after the test."""
    import threading

    from hardware.fp1_device import PlateDevice

    devices = []

    def make(**kwargs):
        device = PlateDevice(**kwargs)
        devices.append(device)
        device.start()
        return device

    yield make
    for device in devices:
        device.stop()
    assert not [t for t in threading.enumerate() if t.name == "fp1-device"], "a device thread was left running"


# make test sets this to a PostgreSQL server's admin URL when it could start one (tests/tools/start-postgres.sh).
POSTGRES_ENV = "BALANCE_TRAINER_TEST_POSTGRES"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """A fresh, empty tracker database URL: a SQLite file, and a database of its own on the test PostgreSQL server
    (created for the test, dropped after it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'tracker.db'}"
        return
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        pytest.skip(f"no PostgreSQL server for this run ({POSTGRES_ENV} is not set; make test starts one)")
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"balance_trainer_test_{uuid.uuid4().hex[:16]}"
    # CREATE/DROP DATABASE cannot run inside a transaction.
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            # A store the test left open still holds connections, and DROP DATABASE refuses while any does.
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
