"""Keeping a round: its recording folder (DESIGN.md B.4) and, when a player is named, its session in the database.

The window (games.screens.play) and `game --headless` (games.headless) keep rounds the same way through this
class: the folder is written as the round goes, the database gets a chunk of raw samples after each flush of the
folder (trainer.store.session_log), and at the end both get the events and the scores with the score version.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from trainer.recorder import RecordingWriter


def options_dict(options) -> dict:
    if dataclasses.is_dataclass(options):
        return dataclasses.asdict(options)
    return dict(vars(options)) if hasattr(options, "__dict__") else {}


class RoundRecord:
    """Open with the round's folder, board and player; `sink` takes the board's samples; `finish` or `abandon`."""

    def __init__(self, folder, *, game: str, setup: str | None, options, board_url: str, board_identity: str,
                 geometry, user: str | None = None, db_url: str | None = None, kind: str = "game"):
        self.folder = Path(folder)
        self.game, self.setup, self.options, self.user = game, setup, options, user
        self.log = None
        self._open_error: str | None = None
        if user:
            from trainer.store.database import StoreError
            from trainer.store.session_log import SessionLog  # the database only when a player is named

            try:
                self.log = SessionLog(db_url, user, kind=kind, name=game, setup=setup,
                                      level=getattr(options, "level", None), options=options_dict(options),
                                      board_url=board_url, board_identity=board_identity,
                                      folder=str(self.folder.resolve()))
            except StoreError as error:
                self._open_error = str(error)  # the folder alone keeps the round; `import` adds it later
        try:
            self.writer = RecordingWriter(self.folder, board_url=board_url, board_identity=board_identity,
                                          geometry=geometry, listener=self.log,
                                          extra_summary={"session_uid": self.log.uid} if self.log else None)
        except OSError:
            if self.log is not None:
                self.log.close()
            raise

    @property
    def sink(self):
        return self.writer.add_samples

    @property
    def database_error(self) -> str | None:
        return self.log.error if self.log is not None else self._open_error

    def finish(self, game_round, *, valid: bool) -> dict:
        """Write the round's events and scores into the folder and the database; returns the scores written."""
        scores = dict(game_round.scores())
        for event in game_round.round.events:
            self.writer.add_event(event.t_s, event.kind, event.detail)
        self.writer.summary["scores"] = {"game": self.game, "setup": self.setup, "valid": valid, "user": self.user,
                                         "score_version": game_round.score_version_label(),
                                         "options": options_dict(self.options), **scores}
        self._close(scores=scores, valid=valid, score_version=game_round.score_version_label(), status="complete")
        return scores

    def abandon(self) -> None:
        """A round left before its end keeps its samples, with no scores."""
        self._close(scores={}, valid=False, score_version=None, status="abandoned")

    def _close(self, *, scores, valid, score_version, status) -> None:
        if self.writer is None:
            return
        self.writer.close()
        if self.log is not None:
            self.log.finish(scores=scores, valid=valid, score_version=score_version, summary=self.writer.summary,
                            event_rows=self.writer.event_rows, status=status)
            self.log.close()
        self.writer = None
