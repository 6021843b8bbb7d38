"""Draws the README's progress plot and the report's first page from the scripted eight weeks.

    .venv/bin/python docs/make_report_images.py    # writes docs/images/progress.png and report-page1.png

The user is the scripted example of docs/program.md (tests/test_program.py, `make_checks`) with a round of the
single-leg game every other day and a step-down round twice a week, in a throwaway SQLite database. The plot is
what `balance-trainer progress --plot` writes; the report page is the PDF's first page drawn as a PNG.
"""
from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from test_program import make_checks  # noqa: E402  (the scripted eight weeks)

from trainer.cli import main  # noqa: E402
from trainer.report import FirstPageAsPng, gather, render_pages  # noqa: E402
from trainer.store import open_store, records, sessions  # noqa: E402

IMAGES = ROOT / "docs" / "images"


def seed(db: str) -> None:
    assert main(["user", "add", "kiwi", "--affected-side", "left", "--prior-sprains", "1", "--db", db]) == 0
    for check in make_checks():
        assert main(["assess", "--user", "kiwi", "--date", check.date.isoformat(),
                     "--knee-to-wall-left-cm", str(check.knee_to_wall_left_cm),
                     "--knee-to-wall-right-cm", str(check.knee_to_wall_right_cm),
                     "--pain-rest", str(check.pain_rest), "--pain-activity", str(check.pain_activity),
                     "--stiffness", str(check.stiffness), "--step-left-cm", str(check.step_left_cm),
                     "--step-right-cm", str(check.step_right_cm),
                     "--balance-zone-pct", str(check.balance_zone_pct), "--db", db]) == 0
    start = make_checks()[0].date
    rounds = []
    for day in range(1, 56, 2):
        rounds.append((day, "single-leg", "floor", {"time_in_zone_pct": round(40.0 + day * 0.6, 1)}, day != 21))
        if day % 7 in (1, 4):
            rounds.append((day, "step-down", "step", {"tempo_error_pct": round(30.0 - day * 0.3, 1)}, True))
    with open_store(db) as store, store.transaction() as session:
        user = records.get_user(session, "kiwi")
        for day, game, setup, scores, valid in rounds:
            when = start + dt.timedelta(days=day)
            row = sessions.start_session(session, user, kind="game", name=game, setup=setup, level=1,
                                         started_utc=f"{when}T10:00:00.000+00:00", status="recording")
            sessions.append_samples(session, row, ["0.000000,,,,,,10,10,10,10,40,0,0,0"])
            sessions.finish_session(row, scores=scores, valid=valid, score_version=f"{game}/1",
                                    summary={"duration_s": 30.0}, events_lines=[])


def make() -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = f"sqlite:///{Path(folder) / 'tracker.db'}"
        seed(db)
        assert main(["progress", "--user", "kiwi", "--plot", str(IMAGES / "progress.png"), "--db", db]) == 0
        with open_store(db) as store, store.transaction() as session:
            last = make_checks()[-1].date
            data = gather(session, records.get_user(session, "kiwi"), today=last + dt.timedelta(days=1))
        render_pages(FirstPageAsPng(IMAGES / "report-page1.png"), data)
    print(f"wrote {IMAGES / 'progress.png'} and {IMAGES / 'report-page1.png'}")


if __name__ == "__main__":
    make()
