"""Everything about one person out of the database (`export`), and recordings or exports into it (`import`).

An export is a folder, readable by its owner only:
  export.json      the user, checks, diary and sessions (with their scores), as one JSON object
  checks.csv, diary.csv, sessions.csv   the same tables as CSV, for a spreadsheet
  sessions/<uid>/  each session's recording folder (DESIGN.md B.4: samples.csv, events.csv, summary.json)
Importing an export recreates the user with all of it, in one transaction. Importing a recording folder adds it as
a session (or completes the session it was recorded for: a round whose process died mid-round).
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from trainer.errors import BalanceTrainerError
from trainer.program import Check
from trainer.readers.folder import read_folder, sample_lines
from trainer.store import records
from trainer.store import sessions as session_records
from trainer.store.database import StoreError
from trainer.store.models import SessionRow

EXPORT_FORMAT = "balance-trainer export"
EXPORT_VERSION = 1
SESSION_CSV_FIELDS = ("id", "uid", "kind", "name", "setup", "level", "started_utc", "status", "valid",
                      "score_version", "duration_s", "sample_count", "scores")


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def _private_file(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def _csv_text(header, rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _check_dict(check: Check) -> dict:
    data = {key: getattr(check, key) for key in records.CHECK_FIELDS}
    data["date"] = check.date.isoformat()
    data["compensations"] = list(check.compensations)
    return data


def write_session_folder(session: Session, row: SessionRow, folder: Path) -> None:
    """The session as a recording folder (B.4), the same bytes it was recorded with."""
    _private_dir(folder)
    _private_file(folder / "samples.csv", session_records.samples_csv(session, row))
    _private_file(folder / "events.csv", session_records.events_csv(row))
    summary = json.loads(row.summary_json or "{}")
    summary["session_uid"] = row.uid
    summary.setdefault("scores", json.loads(row.scores_json or "{}"))
    _private_file(folder / "summary.json", json.dumps(summary, indent=2) + "\n")


def export_user(session: Session, name: str, out: Path) -> dict:
    """Write everything stored about `name` into the new (or empty) folder `out`; returns the counts."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BalanceTrainerError(f"{out} exists and is not an empty folder: choose a new one")
    user = records.get_user(session, name)
    checks = [_check_dict(c) for c in records.checks_of(session, user)]
    diary = [{"date": e.date.isoformat(), "text": e.text} for e in records.diary_of(session, user)]
    rows = session_records.sessions_of(session, user)
    sessions = []
    for row in rows:
        data = session_records.session_dict(row)
        data.pop("user")
        sessions.append(data)
    try:
        _private_dir(out)
        _private_file(out / "export.json", json.dumps(
            {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "user": records.user_dict(user), "checks": checks,
             "diary": diary, "sessions": sessions}, indent=2) + "\n")
        fields = ("date",) + tuple(f for f in records.CHECK_FIELDS if f != "date") + ("compensations",)
        _private_file(out / "checks.csv", _csv_text(fields, (
            [",".join(c[f]) if f == "compensations" else c[f] for f in fields] for c in checks)))
        _private_file(out / "diary.csv", _csv_text(("date", "text"), ([e["date"], e["text"]] for e in diary)))
        _private_file(out / "sessions.csv", _csv_text(SESSION_CSV_FIELDS, (
            [json.dumps(s["scores"]) if f == "scores" else s[f] for f in SESSION_CSV_FIELDS] for s in sessions)))
        _private_dir(out / "sessions")
        for row in rows:
            write_session_folder(session, row, out / "sessions" / row.uid)
    except OSError as error:
        raise BalanceTrainerError(f"cannot write the export into {out}: {error.strerror or error}") from None
    return {"user": user.name, "checks": len(checks), "diary": len(diary), "sessions": len(rows)}


@dataclass
class ImportResult:
    what: str  # "export" | "recording"
    user: str
    sessions: list[int]
    action: str  # created | recovered | unchanged
    detail: str = ""


def import_path(session: Session, path: Path, *, user_name: str | None = None) -> ImportResult:
    path = Path(path)
    if (path / "export.json").is_file():
        return _import_export(session, path, user_name)
    if path.is_dir() and (path / "samples.csv").is_file():
        return _import_recording(session, path, user_name)
    raise BalanceTrainerError(f"{path} is neither a recording folder (samples.csv) nor an export (export.json)")


def _recording_parts(folder: Path) -> tuple[list[str], dict, list[str], bool]:
    """The folder's sample rows (no header), summary and event rows, checked by the folder reader first."""
    recording = read_folder(folder)  # raises RecordingFormatError with the file and line on anything wrong
    lines, partial = sample_lines(folder / "samples.csv")
    summary = recording.metadata.get("summary") or {}
    events = [f"{e['t_s']:.6f},{e['kind']},{e['detail']}" for e in recording.metadata.get("events") or []]
    return [line for line in lines[1:] if line.strip()], summary, events, partial


def _fill_session(session: Session, row: SessionRow, lines, summary: dict, events, status: str) -> None:
    scores = dict(summary.get("scores") or {})
    game_scores = {k: v for k, v in scores.items()
                   if k not in ("game", "setup", "valid", "user", "options", "score_version")}
    session_records.replace_samples(session, row, lines)
    session_records.finish_session(row, scores=game_scores, valid=scores.get("valid") if scores else False,
                                   score_version=scores.get("score_version"), summary=summary,
                                   events_lines=events, status=status)


def _import_recording(session: Session, folder: Path, user_name: str | None) -> ImportResult:
    lines, summary, events, partial = _recording_parts(folder)
    note = " (a half-written last row was dropped)" if partial else ""
    uid = summary.get("session_uid")
    row = session_records.find_by_uid(session, uid) if isinstance(uid, str) else None
    if row is not None:
        if row.status in ("complete", "imported") and row.sample_count >= len(lines):
            return ImportResult("recording", row.user.name, [row.id], "unchanged",
                                f"already in the database as session {row.id}")
        had = row.sample_count
        _fill_session(session, row, lines, summary, events, status="imported")
        return ImportResult("recording", row.user.name, [row.id], "recovered",
                            f"session {row.id}: {len(lines)} samples (the database had {had}){note}")
    if not user_name:
        raise BalanceTrainerError(f"{folder} belongs to no session in this database: name its player with --user")
    user = records.get_user(session, user_name)
    started_utc = str(summary.get("start_time_utc") or "") or None
    for earlier in session_records.sessions_of(session, user):
        if started_utc and earlier.started_utc == started_utc and earlier.sample_count == len(lines):
            return ImportResult("recording", user.name, [earlier.id], "unchanged",
                                f"already in the database as session {earlier.id} (same start, same samples)")
    scores = summary.get("scores") or {}
    game = scores.get("game")
    options = scores.get("options") or {}
    row = session_records.start_session(
        session, user, kind="game" if game else "recording", name=game or "recording", setup=scores.get("setup"),
        level=options.get("level") if game else None, options=options,
        board_url=str(summary.get("board_url") or ""), board_identity=str(summary.get("board_identity") or ""),
        started_utc=started_utc, status="imported", folder=str(folder),
        uid=uid if isinstance(uid, str) and len(uid) <= 32 else None)
    _fill_session(session, row, lines, summary, events, status="imported")
    return ImportResult("recording", user.name, [row.id], "created", f"session {row.id}: {len(lines)} samples{note}")


def _load_export(folder: Path) -> dict:
    try:
        data = json.loads((folder / "export.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise BalanceTrainerError(f"{folder / 'export.json'} cannot be read: {error}") from None
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise BalanceTrainerError(f"{folder / 'export.json'} is not a balance-trainer export")
    if data.get("version") != EXPORT_VERSION:
        raise BalanceTrainerError(f"{folder / 'export.json'} is export version {data.get('version')!r}; this "
                                  f"program reads version {EXPORT_VERSION}")
    return data


def _import_export(session: Session, folder: Path, user_name: str | None) -> ImportResult:
    data = _load_export(folder)
    try:
        person = dict(data["user"])
        name = user_name or person.pop("name")
        person.pop("name", None)
        person.pop("created_utc", None)
        user = records.add_user(session, name, **person)
        for item in data.get("checks", []):
            item = dict(item)
            item["date"] = _date(item["date"])
            item["compensations"] = tuple(item.get("compensations") or ())
            records.add_check(session, user, Check(**item))
        for item in data.get("diary", []):
            records.add_diary(session, user, _date(item["date"]), item["text"])
        created = [_import_export_session(session, user, folder, item) for item in data.get("sessions", [])]
    except (KeyError, TypeError, ValueError) as error:
        raise BalanceTrainerError(f"{folder / 'export.json'} is damaged: {error.__class__.__name__}: {error}") \
            from None
    return ImportResult("export", user.name, created, "created",
                        f"{len(data.get('checks', []))} checks, {len(data.get('diary', []))} diary entries, "
                        f"{len(created)} sessions")


def _import_export_session(session: Session, user, folder: Path, item: dict) -> int:
    uid = str(item["uid"])
    if session_records.find_by_uid(session, uid) is not None:
        raise StoreError(f"session {uid} is in this database already (under another user?)")
    lines, summary, events, _ = _recording_parts(folder / "sessions" / uid)
    row = session_records.start_session(
        session, user, kind=item["kind"], name=item["name"], setup=item.get("setup"), level=item.get("level"),
        options=item.get("options") or {}, board_url=item.get("board_url") or "",
        board_identity=item.get("board_identity") or "", started_utc=item["started_utc"], status=item["status"],
        folder=None, uid=uid)
    session_records.replace_samples(session, row, lines)
    session_records.finish_session(row, scores=item.get("scores") or {}, valid=item.get("valid"),
                                   score_version=item.get("score_version"), summary=summary, events_lines=events,
                                   status=item["status"])
    return row.id


def _date(text) -> _dt.date:
    return _dt.date.fromisoformat(str(text))
