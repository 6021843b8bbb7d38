"""The database's copy of a session being recorded: a row at the start, a chunk of raw samples after every flush of
the recording folder (about once a second, each its own transaction), and the scores at the end.

The recording folder stays the first copy. When the database cannot take a chunk (a clinic server gone for a
moment, a lock held too long), the rows wait and go with the next flush; if the database never comes back, the
round is still whole in its folder, and `balance-trainer import FOLDER` takes it in later. The session row says
"recording" until the end, so a process killed mid-round leaves a consistent row with its samples up to the last
flush, which `import` of the folder completes.
"""
from __future__ import annotations

from trainer.store import sessions as session_records
from trainer.store.database import StoreError, open_store
from trainer.store.records import get_user


class SessionLog:
    def __init__(self, db_url: str | None, user_name: str, *, kind: str, name: str, setup: str | None = None,
                 level: int | None = None, options: dict | None = None, board_url: str = "",
                 board_identity: str = "", folder: str | None = None):
        self.store = open_store(db_url)
        self.error: str | None = None
        self._pending: list[str] = []
        try:
            with self.store.transaction() as session:
                user = get_user(session, user_name)
                row = session_records.start_session(
                    session, user, kind=kind, name=name, setup=setup, level=level, options=options,
                    board_url=board_url, board_identity=board_identity, folder=folder)
                self.session_id, self.uid = row.id, row.uid
        except StoreError:
            self.store.close()
            raise

    def samples_flushed(self, rows: list[str]) -> None:
        """The recorder's listener: these rows are on disk; store them as the next chunk."""
        self._pending.extend(rows)
        self._send()

    def _send(self) -> bool:
        if not self._pending:
            return True
        try:
            with self.store.transaction() as session:
                row = session_records.get_session(session, self.session_id)
                session_records.append_samples(session, row, self._pending)
        except StoreError as error:
            self.error = str(error)  # kept for later: the rows wait for the next flush
            return False
        self._pending = []
        self.error = None
        return True

    def finish(self, *, scores: dict, valid: bool | None, score_version: str | None, summary: dict,
               event_rows: list[str], status: str = "complete") -> bool:
        """Store the end of the round. False (and `error` says why) when the database did not take it."""
        if not self._send():
            return False
        try:
            with self.store.transaction() as session:
                row = session_records.get_session(session, self.session_id)
                session_records.finish_session(row, scores=scores, valid=valid, score_version=score_version,
                                               summary=summary, events_lines=event_rows, status=status)
        except StoreError as error:
            self.error = str(error)
            return False
        return True

    def close(self) -> None:
        self.store.close()
