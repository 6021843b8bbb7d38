"""Opening the database: the URL, SQLite's file permissions, WAL and busy timeout, PostgreSQL's connection, and the
schema upgrade."""
from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from pathlib import Path

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from trainer.calibration import data_dir
from trainer.errors import BalanceTrainerError

BUSY_TIMEOUT_S = 10.0
DB_FILE = "tracker.db"
# A server that does not answer (a wrong address, a firewall dropping packets) fails in this time, not libpq's
# default of waiting for ever.
CONNECT_TIMEOUT_S = 10
# The key of the PostgreSQL advisory lock held while the schema is upgraded ("balance" in ASCII). Advisory locks
# are per database, so this serialises the stations opening one database, nothing else.
MIGRATION_LOCK_KEY = 0x62616C616E6365
URL_FORMS = "sqlite:///PATH/tracker.db or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"


class StoreError(BalanceTrainerError):
    """A database that cannot be opened, or a change it refuses (a duplicate, an unknown user)."""


def default_url() -> str:
    return f"sqlite:///{data_dir() / DB_FILE}"


def resolve_url(url: str | None = None) -> str:
    """The argument, else BALANCE_TRAINER_DB, else tracker.db in the user's data folder."""
    return url or os.environ.get("BALANCE_TRAINER_DB") or default_url()


def _parse(url: str) -> URL:
    """The URL, checked: SQLite (a file) or PostgreSQL (through psycopg 3); anything else is refused."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise StoreError(f"'{_hide_password(url)}' is not a database URL (expected {URL_FORMS})") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres"):  # libpq accepts both spellings
        if driver not in ("", "psycopg"):
            raise StoreError(f"the PostgreSQL driver '{driver}' is not supported: use postgresql://... (psycopg 3)")
        return parsed.set(drivername="postgresql+psycopg")
    if backend != "sqlite":
        raise StoreError(f"'{backend}' databases are not supported: only SQLite and PostgreSQL ({URL_FORMS})")
    if not parsed.database or parsed.database == ":memory:" or parsed.database.startswith("file:"):
        raise StoreError(f"'{url}' names no database file (expected sqlite:///PATH/tracker.db)")
    return parsed


def _hide_password(url: str) -> str:
    """The URL for a message: SCHEME://USER:***@HOST even when the rest of it could not be parsed."""
    return re.sub(r"(://[^/@:]*:)[^/]*@", r"\1***@", url)


def _sqlite_path(parsed: URL) -> Path:
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


def _postgresql_engine(parsed: URL) -> Engine:
    try:
        # pre_ping: a connection the server closed (a restart, an idle timeout) is replaced, not handed out broken.
        return create_engine(parsed, pool_pre_ping=True,
                             connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "balance-trainer"})
    except ImportError:
        raise StoreError("PostgreSQL needs the psycopg package: pip install 'psycopg[binary]'") from None


def _server(parsed: URL) -> str:
    """host:port as libpq will use them, for messages (never the password)."""
    host = parsed.query.get("host") or parsed.host or "localhost"  # ?host= wins over the URL's host, as in libpq
    if isinstance(host, tuple):
        host = ",".join(host)
    return f"{host}:{parsed.port or 5432}"


def _reason(error: SQLAlchemyError, parsed: URL) -> str:
    """The driver's first line, without SQLAlchemy's wrapping, and never the password."""
    lines = [line.strip() for line in str(getattr(error, "orig", None) or error).splitlines() if line.strip()]
    reason = lines[0] if lines else error.__class__.__name__
    if parsed.password:
        reason = reason.replace(str(parsed.password), "***")
    return reason


def open_store(url: str | None = None) -> Store:
    """Open (creating a SQLite file if needed) the database and upgrade its schema to the newest migration."""
    from trainer.store.migrate import upgrade_head

    url = resolve_url(url)
    parsed = _parse(url)
    postgresql = parsed.get_backend_name() == "postgresql"
    if postgresql:
        engine = _postgresql_engine(parsed)
        where = f"the PostgreSQL database '{parsed.database}' at {_server(parsed)}"
    else:
        path = _sqlite_path(parsed)
        _prepare_file(path, owner_folder=(path.parent == data_dir()))
        engine = _sqlite_engine(path)
        where = f"the database {path}"
    try:
        with engine.connect() as connection:
            if postgresql:
                # Stations opening one new database at once: the first creates the tables while the others wait,
                # then find them there. PostgreSQL's DDL is transactional, so the whole upgrade is this one
                # transaction and the lock is let go at its commit (or its rollback, on any error).
                connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
            upgrade_head(connection)
            connection.commit()
    except SQLAlchemyError as error:
        engine.dispose()
        raise StoreError(f"cannot open {where}: {_reason(error, parsed)}") from None
    return Store(url, engine)
