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
    """A fresh, empty tracker database URL: a SQLite file, and a database of its own on the test PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'tracker.db'}"
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        pytest.skip(f"no PostgreSQL server for this run ({POSTGRES_ENV} is not set; make test starts one)")
    raise NotImplementedError("the PostgreSQL database per test comes with the PostgreSQL storage work")
