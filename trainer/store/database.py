"""Opening the database: the URL, the file's permissions, SQLite's WAL and busy timeout, and the schema upgrade."""
from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from trainer.calibration import data_dir
from trainer.errors import BalanceTrainerError

BUSY_TIMEOUT_S = 10.0
DB_FILE = "tracker.db"


class StoreError(BalanceTrainerError):
    """A database that cannot be opened, or a change it refuses (a duplicate, an unknown user)."""


def default_url() -> str:
    return f"sqlite:///{data_dir() / DB_FILE}"


def resolve_url(url: str | None = None) -> str:
    """The argument, else BALANCE_TRAINER_DB, else tracker.db in the user's data folder."""
    return url or os.environ.get("BALANCE_TRAINER_DB") or default_url()


def _sqlite_path(url: str) -> Path:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"'{url}' is not a database URL (expected sqlite:///PATH/tracker.db)") from None
    if parsed.get_backend_name() != "sqlite":
        raise StoreError(f"'{parsed.get_backend_name()}' databases are not supported yet: only SQLite "
                         "(sqlite:///PATH/tracker.db)")
    if not parsed.database or parsed.database == ":memory:" or parsed.database.startswith("file:"):
        raise StoreError(f"'{url}' names no database file (expected sqlite:///PATH/tracker.db)")
    return Path(parsed.database).expanduser()


def _prepare_file(path: Path, owner_folder: bool) -> None:
    """Create the folder (0700) and the file (0600) before SQLite does, so it is never readable by others."""
    try:
        created = False
        if not path.parent.exists():
            try:
                path.parent.mkdir(parents=True, mode=0o700)
                created = True
            except FileExistsError:  # another process made it a moment ago
                pass
        if created or owner_folder:
            os.chmod(path.parent, 0o700)  # our own data folder; never a folder the user pointed --db into
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        os.chmod(path, 0o600)
    except OSError as error:
        raise StoreError(f"cannot create the database {path}: {error.strerror or error}") from None


def _wal(cursor) -> None:
    """Switch to WAL. A new file being switched by another process at the same moment answers "locked" at once
    (SQLite does not wait for this one), so retry for the busy timeout; once WAL, the mode stays in the file."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL").fetchall()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event below starts the transactions
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        _wal(cursor)
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # IMMEDIATE takes the write lock at the start, so two writers wait for each other (busy timeout) instead
        # of one failing when it upgrades a read lock.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Store:
    """An open, up-to-date database. `with store.transaction() as session:` is one all-or-nothing change."""

    def __init__(self, url: str, engine: Engine):
        self.url = url
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextlib.contextmanager
    def transaction(self):
        session: Session = self._sessions()
        try:
            with session.begin():
                yield session
        except SQLAlchemyError as error:
            raise StoreError(f"the database refused the change: {error.__class__.__name__}: "
                             f"{str(error).splitlines()[0]}") from None
        finally:
            session.close()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_store(url: str | None = None) -> Store:
    """Open (creating if needed) the database and upgrade its schema to the newest migration."""
    from trainer.store.migrate import upgrade_head

    url = resolve_url(url)
    path = _sqlite_path(url)
    _prepare_file(path, owner_folder=(path.parent == data_dir()))
    engine = _sqlite_engine(path)
    try:
        with engine.connect() as connection:
            upgrade_head(connection)
            connection.commit()
    except SQLAlchemyError as error:
        engine.dispose()
        raise StoreError(f"cannot open the database {path}: {str(error).splitlines()[0]}") from None
    return Store(url, engine)
