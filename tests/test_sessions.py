"""Sessions in the database (trainer.store.sessions), on SQLite and on a real PostgreSQL server (`store_url`):
rounds kept with their raw samples, rescore, export and import, and a process killed in the middle of a round."""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import stat
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from games.headless import play_headless
from games.rescore import needs_rescore, rescore_session
from games.round import RoundOptions
from trainer.program import Check
from trainer.store import open_store, records, sessions
from trainer.store.database import StoreError
from trainer.store.models import SessionChunk
from trainer.store.session_log import SessionLog
from trainer.store.transfer import export_user, import_path

SIM = "sim://?speed=max&profile=single-leg&seed=4"


def add_user(url, name="kiwi", **fields):
    with open_store(url) as store, store.transaction() as session:
        records.add_user(session, name, **fields)


def play_round(url, folder, *, user="kiwi", game="single-leg", seconds=6.0, board=SIM):
    return play_headless(game, board, RoundOptions(seconds=seconds), out_folder=folder, user=user, db_url=url)


def folder_rows(folder: Path) -> list[str]:
    return (folder / "samples.csv").read_text().splitlines()


def test_a_round_of_a_player_is_a_session_with_its_raw_samples(store_url, tmp_path):
    add_user(store_url)
    result = play_round(store_url, tmp_path / "round")
    assert result.valid and result.session_id is not None and result.database_error is None
    with open_store(store_url) as store, store.transaction() as session:
        row = sessions.get_session(session, result.session_id)
        data = sessions.session_dict(row)
        assert (data["user"], data["kind"], data["name"], data["status"], data["level"]) == \
            ("kiwi", "game", "single-leg", "complete", 1)
        assert data["score_version"] == "single-leg/1" and data["scores"] == result.scores
        assert data["options"]["seconds"] == 6.0 and data["board_url"] == SIM
        # The same bytes as the recording folder, at the board's native rate (the simulator's 100 Hz).
        assert sessions.samples_csv(session, row) == (tmp_path / "round" / "samples.csv").read_text()
        assert data["sample_count"] == len(folder_rows(tmp_path / "round")) - 1 > 600
        assert sessions.events_csv(row) == (tmp_path / "round" / "events.csv").read_text()
    summary = json.loads((tmp_path / "round" / "summary.json").read_text())
    assert summary["session_uid"] == data["uid"] and summary["scores"]["score_version"] == "single-leg/1"


def test_deleting_a_user_deletes_their_sessions_and_samples(store_url, tmp_path):
    add_user(store_url)
    add_user(store_url, "moa")
    play_round(store_url, tmp_path / "a")
    play_round(store_url, tmp_path / "b", user="moa")
    with open_store(store_url) as store:
        with store.transaction() as session:
            records.delete_user(session, "kiwi")
        with store.transaction() as session:
            left = sessions.sessions_of(session)
            assert [r.user.name for r in left] == ["moa"]
            chunks = session.scalars(select(SessionChunk.session_id).distinct()).all()
            assert chunks == [left[0].id]


def test_rescore_replays_rounds_of_an_older_score_version(store_url, tmp_path):
    add_user(store_url)
    first = play_round(store_url, tmp_path / "a")
    second = play_round(store_url, tmp_path / "b")
    with open_store(store_url) as store:
        with store.transaction() as session:
            old = sessions.get_session(session, first.session_id)
            old.score_version = "single-leg/0"
            old.scores_json = json.dumps({**first.scores, "hold_s": 1.0})  # what an older scoring said
        with store.transaction() as session:
            rows = {r.id: r for r in sessions.sessions_of(session)}
            assert needs_rescore(rows[first.session_id]) and not needs_rescore(rows[second.session_id])
            assert needs_rescore(rows[second.session_id], force=True)
            outcome = rescore_session(session, rows[first.session_id])
        assert outcome.changed == ["hold_s"] and outcome.old_version == "single-leg/0"
        with store.transaction() as session:
            row = sessions.get_session(session, first.session_id)
            assert row.score_version == "single-leg/1"
            new = json.loads(row.scores_json)
    # Replayed from the stored samples (corner loads kept to 0.1 g), the scores are the live round's.
    for name, value in first.scores.items():
        assert new[name] == pytest.approx(value, rel=1e-4), name


def _fill_history(url, tmp_path):
    add_user(url, "kiwi", year_of_birth=1970, sex="female", affected_side="left", prior_sprains=1)
    with open_store(url) as store, store.transaction() as session:
        user = records.get_user(session, "kiwi")
        for week in range(3):
            records.add_check(session, user, Check(dt.date(2026, 3, 2) + dt.timedelta(weeks=week), 5.0 + week,
                                                   12.0, 1, 2, 1, 60, 64, compensations=("wide-base",)))
        records.add_diary(session, user, dt.date(2026, 3, 3), "stiff, then better, \"quoted\"")
    play_round(url, tmp_path / "r1")
    play_round(url, tmp_path / "r2", game="foot-taps", board="sim://?speed=max&seed=2")


def _everything(url, name="kiwi"):
    with open_store(url) as store, store.transaction() as session:
        user = records.get_user(session, name)
        rows = sessions.sessions_of(session, user)
        return {"user": {k: v for k, v in records.user_dict(user).items() if k not in ("name", "created_utc")},
                "checks": records.checks_of(session, user),
                "diary": [(e.date, e.text) for e in records.diary_of(session, user)],
                "sessions": [({k: v for k, v in sessions.session_dict(r).items()
                               if k not in ("id", "user", "folder")}, sessions.samples_csv(session, r),
                              sessions.events_csv(r)) for r in rows]}


def test_export_then_import_gives_back_everything(store_url, tmp_path):
    _fill_history(store_url, tmp_path)
    before = _everything(store_url)
    out = tmp_path / "export"
    with open_store(store_url) as store, store.transaction() as session:
        counts = export_user(session, "kiwi", out)
    assert counts == {"user": "kiwi", "checks": 3, "diary": 1, "sessions": 2}
    # Readable by the owner only, every file and folder.
    for path in [out, *out.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    assert (out / "checks.csv").read_text().splitlines()[1].startswith("2026-03-02,5.0,12.0,")
    assert len((out / "sessions.csv").read_text().splitlines()) == 3
    data = json.loads((out / "export.json").read_text())
    assert data["user"]["name"] == "kiwi" and len(data["sessions"]) == 2
    for item in data["sessions"]:
        assert (out / "sessions" / item["uid"] / "samples.csv").is_file()

    with open_store(store_url) as store:
        with store.transaction() as session:
            records.delete_user(session, "kiwi")
        with store.transaction() as session:
            result = import_path(session, out)
    assert (result.what, result.user, result.action, len(result.sessions)) == ("export", "kiwi", "created", 2)
    assert _everything(store_url) == before
    # A second import of the same export is refused as a whole: nothing is added twice.
    with open_store(store_url) as store:
        with pytest.raises(StoreError, match="already a user called 'kiwi'"), store.transaction() as session:
            import_path(session, out)
        with store.transaction() as session:
            assert len(sessions.sessions_of(session)) == 2


def test_a_recording_folder_is_imported_once_for_a_named_player(store_url, tmp_path, shared_data):
    add_user(store_url)
    # A round recorded with no player (game --out, no --user): it belongs to no session of this database.
    played = play_headless("foot-taps", "sim://?speed=max&seed=2", RoundOptions(seconds=5), out_folder=tmp_path / "r")
    with open_store(store_url) as store:
        with pytest.raises(Exception, match="name its player with --user"), store.transaction() as session:
            import_path(session, tmp_path / "r")
        with store.transaction() as session:
            result = import_path(session, tmp_path / "r", user_name="kiwi")
        assert result.action == "created"
        with store.transaction() as session:
            row = sessions.get_session(session, result.sessions[0])
            assert (row.kind, row.name, row.setup, row.status) == ("game", "foot-taps", "target", "imported")
            assert sessions.samples_csv(session, row) == (tmp_path / "r" / "samples.csv").read_text()
            assert json.loads(row.scores_json) == json.loads(json.dumps(played.scores))  # NaN as NaN
            assert row.valid is True and row.score_version == "foot-taps/1"
        # The same folder again is recognised (same start, same samples): not a second copy.
        with store.transaction() as session:
            again = import_path(session, tmp_path / "r", user_name="kiwi")
        assert (again.action, again.sessions) == ("unchanged", result.sessions)


def test_importing_a_rounds_own_folder_again_changes_nothing(store_url, tmp_path):
    add_user(store_url)
    result = play_round(store_url, tmp_path / "round")
    with open_store(store_url) as store, store.transaction() as session:
        again = import_path(session, tmp_path / "round")
    assert (again.action, again.sessions) == ("unchanged", [result.session_id])


def test_a_round_the_database_did_not_take_is_kept_in_its_folder(store_url, tmp_path):
    add_user(store_url)
    result = play_round(store_url, tmp_path / "round", user="nobody")  # not a user of this database
    assert result.session_id is None and "no user called 'nobody'" in result.database_error
    assert len(folder_rows(tmp_path / "round")) > 600
    with open_store(store_url) as store, store.transaction() as session:
        assert sessions.sessions_of(session) == []
        imported = import_path(session, tmp_path / "round", user_name="kiwi")
    assert imported.action == "created"


def test_chunks_that_fail_go_with_the_next_flush(store_url, monkeypatch):
    """A database away for a moment (here: the first two chunk writes refused) loses no sample."""
    from trainer.store import session_log

    refused = []
    real_append = session_log.session_records.append_samples

    def flaky_append(session, row, lines):
        if len(refused) < 2:
            refused.append(len(lines))
            raise StoreError("the database refused the change: OperationalError: server closed the connection")
        real_append(session, row, lines)

    monkeypatch.setattr(session_log.session_records, "append_samples", flaky_append)
    add_user(store_url)
    log = SessionLog(store_url, "kiwi", kind="game", name="single-leg")
    rows = [f"{i / 100:.6f},{i},,,,,10.0,10.0,10.0,10.0,40.0,0.0,0.0,0" for i in range(300)]
    log.samples_flushed(rows[:100])
    assert log.error is not None  # kept, to go with the next flush
    log.samples_flushed(rows[100:200])
    log.samples_flushed(rows[200:])
    assert refused == [100, 200] and log.error is None
    assert log.finish(scores={"hold_s": 3.0}, valid=True, score_version="single-leg/1",
                      summary={"duration_s": 2.99}, event_rows=["1.000000,touch-down,"])
    log.close()
    with open_store(store_url) as store, store.transaction() as session:
        row = sessions.get_session(session, log.session_id)
        assert sessions.samples_csv(session, row).splitlines()[1:] == rows
        assert (row.status, row.duration_s, row.sample_count) == ("complete", 2.99, 300)


def _session_row(url):
    with open_store(url) as store, store.transaction() as session:
        rows = sessions.sessions_of(session)
        return (sessions.session_dict(rows[0]), sessions.samples_csv(session, rows[0])) if rows else (None, "")


def test_a_process_killed_mid_round_leaves_a_consistent_database_and_import_recovers_the_samples(
        store_url, tmp_path):
    add_user(store_url)
    folder = tmp_path / "round"
    # A live (paced) board: the round runs on the wall clock, 30 s long; it is killed after about 3 s of samples.
    process = subprocess.Popen(
        [sys.executable, "-m", "trainer", "game", "single-leg", "--headless", "--board",
         "sim://?speed=1&profile=single-leg&seed=4", "--seconds", "30", "--user", "kiwi", "--db", store_url,
         "--out", str(folder)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            row, _ = _session_row(store_url)
            if row is not None and row["sample_count"] >= 300:
                break
            assert process.poll() is None, process.communicate()
            time.sleep(0.2)
        else:
            pytest.fail("the round never stored 3 s of samples")
        time.sleep(0.5)  # mid-way between two flushes
        process.send_signal(signal.SIGKILL)
        killed_utc = datetime.now().astimezone()
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL

    # The database opens, passes its own check, and holds the session as "recording" with whole chunks only.
    if store_url.startswith("sqlite"):
        import sqlite3

        db = sqlite3.connect(store_url.removeprefix("sqlite:///"))
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)
        db.close()
    row, stored = _session_row(store_url)
    assert row["status"] == "recording" and row["scores"] == {} and row["sample_count"] >= 300
    on_disk = folder_rows(folder)
    stored_rows = stored.splitlines()
    assert len(stored_rows) - 1 == row["sample_count"]
    assert on_disk[:len(stored_rows)] == stored_rows  # the database holds a prefix of the folder

    # The folder has the samples up to the last second before the kill (it is flushed at least once a second).
    summary = json.loads((folder / "summary.json").read_text())
    started = datetime.fromisoformat(summary["start_time_utc"])
    complete_rows = [line for line in on_disk[1:] if line.count(",") == 13]
    last_t_s = float(complete_rows[-1].split(",")[0])
    lag_s = (killed_utc - started).total_seconds() - last_t_s
    assert lag_s < 2.0, f"the folder's last sample is {lag_s:.2f} s before the kill"  # 1 s + a loaded machine

    # import completes the session from the folder: every whole row, nothing more.
    run = subprocess.run([sys.executable, "-m", "trainer", "import", str(folder), "--db", store_url, "--json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["action"] == "recovered"
    row, stored = _session_row(store_url)
    assert row["status"] == "imported" and row["valid"] is False
    assert stored.splitlines() == [on_disk[0], *complete_rows]
