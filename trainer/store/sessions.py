"""Sessions (game rounds and tests) in the database: their row, their raw samples in chunks, and reading them back.

The raw samples are stored as the recording folder's own samples.csv rows (DESIGN.md B.4), so a session and its
recording folder hold the same bytes, a session can always be written back out as a folder (export, rescore), and
a folder can always be taken in (import). Each chunk is compressed and written in its own transaction.
"""
from __future__ import annotations

import json
import uuid
import zlib
from datetime import datetime, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from trainer.recorder import EVENT_COLUMNS, SAMPLE_COLUMNS
from trainer.store.database import StoreError
from trainer.store.models import SessionChunk, SessionRow, User

STATUSES = ("recording", "complete", "abandoned", "imported")
KINDS = ("game", "test", "exercise", "recording")
NAME_MAX = 40  # sessions.name and .setup are String(40)


def new_uid() -> str:
    return uuid.uuid4().hex


def _now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def start_session(session: Session, user: User, *, kind: str, name: str, uid: str | None = None,
                  setup: str | None = None, level: int | None = None, options: dict | None = None,
                  board_url: str = "", board_identity: str = "", started_utc: str | None = None,
                  status: str = "recording", folder: str | None = None) -> SessionRow:
    if kind not in KINDS:
        raise StoreError(f"a session is one of {', '.join(KINDS)}, not {kind!r}")
    for what, value in (("name", name), ("set-up", setup)):
        if value is not None and not 0 < len(value) <= NAME_MAX:  # PostgreSQL enforces the column's length
            raise StoreError(f"a session's {what} is 1 to {NAME_MAX} characters, not {value!r}")
    row = SessionRow(uid=uid or new_uid(), user_id=user.id, kind=kind, name=name, setup=setup, level=level,
                     options_json=json.dumps(options or {}), board_url=board_url or "",
                     board_identity=board_identity or "", started_utc=started_utc or _now_utc(), status=status,
                     folder=folder)
    session.add(row)
    session.flush()
    return row


def append_samples(session: Session, row: SessionRow, lines: list[str]) -> None:
    """Add samples.csv rows (no header) as the session's next chunk."""
    if not lines:
        return
    last = session.scalar(select(func.max(SessionChunk.chunk)).where(SessionChunk.session_id == row.id))
    data = zlib.compress(("\n".join(lines) + "\n").encode("utf-8"), 6)
    session.add(SessionChunk(session_id=row.id, chunk=(last + 1) if last is not None else 0, rows=len(lines),
                             csv_zlib=data))
    row.sample_count = (row.sample_count or 0) + len(lines)


def replace_samples(session: Session, row: SessionRow, lines: list[str], chunk_rows: int = 2000) -> None:
    """All of the session's samples at once (import, recovery): the old chunks go, the new ones come."""
    session.execute(delete(SessionChunk).where(SessionChunk.session_id == row.id))
    row.sample_count = 0
    session.flush()
    for start in range(0, len(lines), chunk_rows):
        append_samples(session, row, lines[start:start + chunk_rows])


def finish_session(row: SessionRow, *, scores: dict, valid: bool | None, score_version: str | None,
                   summary: dict, events_lines: list[str], status: str = "complete") -> None:
    row.scores_json = json.dumps(scores, allow_nan=True)
    row.valid = valid
    row.score_version = score_version
    row.summary_json = json.dumps(summary, allow_nan=True)
    row.events_csv = "\n".join(events_lines) + ("\n" if events_lines else "")
    row.duration_s = float(summary.get("duration_s") or 0.0)
    row.status = status


def samples_csv(session: Session, row: SessionRow) -> str:
    """The session's samples.csv, header included, rebuilt from its chunks in order."""
    parts = [SAMPLE_COLUMNS + "\n"]
    for chunk in session.scalars(select(SessionChunk).where(SessionChunk.session_id == row.id)
                                 .order_by(SessionChunk.chunk)):
        parts.append(zlib.decompress(chunk.csv_zlib).decode("utf-8"))
    return "".join(parts)


def events_csv(row: SessionRow) -> str:
    return EVENT_COLUMNS + "\n" + (row.events_csv or "")


def get_session(session: Session, session_id: int | str) -> SessionRow:
    """By number (as `session list` shows it) or by uid."""
    text = str(session_id).strip()
    query = select(SessionRow).where(SessionRow.id == int(text)) if text.isdigit() \
        else select(SessionRow).where(SessionRow.uid == text)
    row = session.scalars(query).one_or_none()
    if row is None:
        raise StoreError(f"no session {text} (see 'balance-trainer session list')")
    return row


def find_by_uid(session: Session, uid: str) -> SessionRow | None:
    return session.scalars(select(SessionRow).where(SessionRow.uid == uid)).one_or_none()


def sessions_of(session: Session, user: User | None = None, *, name: str | None = None) -> list[SessionRow]:
    query = select(SessionRow).order_by(SessionRow.started_utc, SessionRow.id)
    if user is not None:
        query = query.where(SessionRow.user_id == user.id)
    if name is not None:
        query = query.where(SessionRow.name == name)
    return list(session.scalars(query))


def session_dict(row: SessionRow) -> dict:
    return {"id": row.id, "uid": row.uid, "user": row.user.name, "kind": row.kind, "name": row.name,
            "setup": row.setup, "level": row.level, "options": json.loads(row.options_json or "{}"),
            "board_url": row.board_url, "board_identity": row.board_identity, "started_utc": row.started_utc,
            "status": row.status, "valid": row.valid, "scores": json.loads(row.scores_json or "{}"),
            "score_version": row.score_version, "duration_s": row.duration_s, "sample_count": row.sample_count,
            "folder": row.folder}
