"""`report --user NAME --out FILE.pdf`: an A4 PDF whose text holds the user's checks, flags and recent rounds, on
SQLite and PostgreSQL; bad input is one line, exit 1, and no file."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from pypdf import PdfReader

from trainer.program import flags, load_content

from test_plots import ROUNDS, run, seed
from test_program import D0, make_checks
from test_sessions_cli import _store_round

# A ninth check with stiffness and swelling, so the latest check has flags to show.
WEEK9 = D0 + dt.timedelta(weeks=8)
WEEK9_ARGS = ["--date", WEEK9.isoformat(), "--knee-to-wall-left-cm", "11.4", "--knee-to-wall-right-cm", "12.1",
              "--pain-rest", "0", "--pain-activity", "1", "--stiffness", "5", "--swelling", "--step-left-cm", "63",
              "--step-right-cm", "65", "--balance-zone-pct", "74"]


def pdf_text(path) -> tuple[list[str], PdfReader]:
    reader = PdfReader(path)
    return [page.extract_text() for page in reader.pages], reader


def test_report_holds_the_checks_flags_and_recent_rounds(capsys, store_url, tmp_path):
    seed(capsys, store_url, extra_checks=[WEEK9_ARGS])
    target = tmp_path / "out" / "kiwi.pdf"
    target.parent.mkdir()
    code, out, err = run(capsys, store_url, "report", "--user", "kiwi", "--out", str(target), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["checks"] == 9 and result["rounds"] == len(ROUNDS) and result["pages"] >= 3
    pages, reader = pdf_text(target)
    assert len(pages) == result["pages"]
    for page in reader.pages:  # A4 portrait, in points
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((595.44, 841.68))
        assert "It is not a diagnosis" in page.extract_text()
    text = "\n".join(pages)
    assert "summary for kiwi" in text and "Pseudonym: kiwi" in text and "Affected side: left" in text
    assert f"Dates covered: {D0} to {WEEK9}" in text
    # Every check: its date with its knee-to-wall values, left and right.
    checks = make_checks()
    for check in checks:
        assert re.search(rf"{check.date}\s+{check.knee_to_wall_left_cm:.3g}\s+{check.knee_to_wall_right_cm:.3g}\s",
                         text), check.date
    assert re.search(rf"{WEEK9}\s+11.4\s+12.1\s", text)
    # Baseline and latest side by side, with units.
    assert f"baseline {D0}" in text and f"latest {WEEK9}" in text
    assert re.search(r"Knee-to-wall left\s+5 cm\s+11.4 cm", text)
    assert re.search(r"Swelling this week\s+no\s+yes", text)
    # The flags of the latest check, as trainer.program.flags finds them, and today's phase.
    from trainer.program import Check

    all_checks = checks + [Check(WEEK9, 11.4, 12.1, 0, 1, 5, 63, 65, swelling=True, balance_zone_pct=74)]
    kinds = [f.kind for f in flags(all_checks, load_content(), "left")]
    assert "stiffness" in kinds and "swelling" in kinds
    for kind in kinds:
        assert re.search(rf"^- {kind}: ", text, flags=re.MULTILINE), kind
    assert "Program today" in text and "phase, week" in text
    # The recent rounds: each one's date and game, and the round that was not valid says so.
    for days, game, setup, scores, valid in ROUNDS:
        day = D0 + dt.timedelta(days=days)
        row = rf"{day}\s+{game}\s+{setup}\s+1\s+{next(iter(scores))} {next(iter(scores.values())):.3g}\s+" \
              + ("yes" if valid else "NO")
        assert re.search(row, text), (day, game)
    assert "Clinic tests" in text and "None recorded" in text
    assert "MDC 1.9 cm" in text and "Powden" in text  # the MDC used, with its source
    assert [p.name for p in target.parent.iterdir()] == ["kiwi.pdf"]
    assert target.stat().st_mode & 0o777 == 0o600  # owner-only, as export's files: health data


def test_recent_rounds_are_the_last_n(capsys, tmp_path):
    db = f"sqlite:///{tmp_path / 'db' / 'tracker.db'}"
    seed(capsys, db)
    code, out, _ = run(capsys, db, "report", "--user", "kiwi", "--out", str(tmp_path / "r.pdf"), "--rounds", "2")
    assert code == 0 and "wrote the report of 'kiwi'" in out
    text = "\n".join(pdf_text(tmp_path / "r.pdf")[0])
    assert f"Recent rounds (the last 2 of {len(ROUNDS)})" in text
    listed = re.findall(r"^(\d{4}-\d\d-\d\d)\s+(single-leg|step-down)\s", text, flags=re.MULTILINE)
    assert [d for d, _ in listed] == [str(D0 + dt.timedelta(days=d)) for d, *_ in ROUNDS[-2:]]


def test_a_user_with_rounds_and_no_checks_gets_a_report(capsys, tmp_path):
    db = f"sqlite:///{tmp_path / 'db' / 'tracker.db'}"
    assert run(capsys, db, "user", "add", "pip")[0] == 0
    _store_round(db, "pip", "2026-03-02T10:00:00.000+00:00", "single-leg", {"time_in_zone_pct": 40.0})
    code, _, err = run(capsys, db, "report", "--user", "pip", "--out", str(tmp_path / "pip.pdf"))
    assert code == 0, err
    text = "\n".join(pdf_text(tmp_path / "pip.pdf")[0])
    assert "No checks yet." in text and "do the baseline assessment" in text and "time_in_zone_pct 40" in text


@pytest.mark.parametrize("argv, message", [
    (["report", "--user", "nobody", "--out", "{tmp}/r.pdf"], "no user called 'nobody'"),
    (["report", "--user", "empty", "--out", "{tmp}/r.pdf"], "'empty' has no checks or rounds yet"),
    (["report", "--user", "kiwi", "--out", "{tmp}/missing/r.pdf"], "does not exist"),
    (["report", "--user", "kiwi", "--out", "{tmp}/a-file/r.pdf"], "does not exist"),
    (["report", "--user", "kiwi", "--out", "{tmp}/r.png"], "give a file name ending in .pdf"),
    (["report", "--user", "kiwi", "--out", "{tmp}/r.pdf", "--rounds", "0"], "--rounds must be 1 or more"),
])
def test_bad_input_is_one_line_and_no_file(capsys, store_url, tmp_path, argv, message):
    assert run(capsys, store_url, "user", "add", "empty")[0] == 0
    assert run(capsys, store_url, "user", "add", "kiwi")[0] == 0
    _store_round(store_url, "kiwi", "2026-01-05T10:00:00.000+00:00", "single-leg", {"time_in_zone_pct": 40.0})
    (tmp_path / "a-file").write_text("mine")
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = run(capsys, store_url, *[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_report_that_fails_half_way_leaves_no_file(capsys, tmp_path, monkeypatch):
    import trainer.report

    db = f"sqlite:///{tmp_path / 'db' / 'tracker.db'}"
    seed(capsys, db)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "old.pdf").write_bytes(b"%PDF-1.4 the previous report")

    def fail(pages, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(trainer.report, "_rounds_and_sources", fail)  # after two pages were written
    code, _, err = run(capsys, db, "report", "--user", "kiwi", "--out", str(out_dir / "old.pdf"))
    assert code == 1 and "No space left on device" in err and len(err.strip().splitlines()) == 1
    assert [p.name for p in out_dir.iterdir()] == ["old.pdf"]
    assert (out_dir / "old.pdf").read_bytes() == b"%PDF-1.4 the previous report"  # untouched


def test_long_tables_go_on_to_new_pages_with_their_header_and_never_reach_the_footer(capsys, tmp_path):
    from trainer.report import A4_IN, FOOTER, MARGIN_IN, gather, render_pages
    from trainer.store import open_store, records

    db = f"sqlite:///{tmp_path / 'db' / 'tracker.db'}"
    seed(capsys, db)
    with open_store(db) as store, store.transaction() as session:
        data = gather(session, records.get_user(session, "kiwi"))
    data.rounds = [dict(r, date=f"row-{i:03d}") for i, r in enumerate(data.rounds * 20)]  # 140 rows

    class Sink:
        figures = []

        def savefig(self, figure):
            self.figures.append(figure)

    sink = Sink()
    assert render_pages(sink, data) == len(sink.figures) >= 5
    rows_seen, headers = [], 0
    for figure in sink.figures:
        texts = [t for t in figure.texts if FOOTER[:40] not in t.get_text()]
        assert len(figure.texts) - len(texts) == 1  # one footer on every page
        for text in texts:
            assert text.get_position()[1] * A4_IN[1] >= MARGIN_IN + 0.5 - 1e-9, text.get_text()  # above the footer
        rows_seen += [t.get_text()[:7] for t in texts if t.get_text().startswith("row-")]
        headers += sum(t.get_text().startswith("date ") and "main scores" in t.get_text() for t in texts)
    assert rows_seen == [f"row-{i:03d}" for i in range(140)]  # every row once, in order
    assert headers >= 3  # the table's header again on each page it continues on
