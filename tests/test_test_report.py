"""`report --user NAME --test SESSION --out FILE.pdf` (trainer/test_report.py): the PDF of one clinical test session,
made from real test sessions (BDS trials replayed as their mCTSIB condition through the `test` command, crafted
recordings) on SQLite and PostgreSQL, and read back with pypdf; bad input is one line, exit 1, and no file."""
from __future__ import annotations

import datetime as dt
import json
import math
import re

import numpy as np
import pytest
from pypdf import PdfReader

from hardware.samples import FORCE_PLATE, LoadSample
from trainer.clinic import norms
from trainer.cop import cop_to_corners
from trainer.recorder import RecordingWriter
from trainer.store import open_store, records, sessions

from test_clinic import published, run, write_stance
from test_sessions_cli import _store_round

A4_PT = (595.44, 841.68)
FOOTER_WORDS = "It is not a diagnosis"
NORM_MEASURES = ("sway_area_ellipse95_cm2", "mean_velocity_cm_s", "mean_frequency_hz")


def flat(text: str) -> str:
    """The text with its line breaks (the PDF's wrapping) as single spaces."""
    return " ".join(text.split())


def pdf_text(path) -> tuple[list[str], PdfReader]:
    reader = PdfReader(path)
    return [page.extract_text() for page in reader.pages], reader


def _check_pages(reader, pages: list[str], count: int) -> None:
    assert len(reader.pages) == count
    for page, text in zip(reader.pages, pages):
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4_PT)
        assert FOOTER_WORDS in text


def _add_user(capsys, db, name="kiwi", age=33):
    year = dt.date.today().year - age  # the test's date is today: age at the test = this
    assert run(capsys, "user", "add", name, "--year-of-birth", str(year), "--db", db)[0] == 0


def _test(capsys, db, name, board, *extra, user="kiwi") -> int:
    code, out, err = run(capsys, "test", name, "--board", board, "--headless", "--user", user, "--db", db, "--json",
                         *extra)
    assert code == 0, err
    return json.loads(out)["session"]


def _report(capsys, db, user, session, out, *extra):
    return run(capsys, "report", "--user", user, "--test", str(session), "--out", str(out), "--db", db, *extra)


def _board_identity(db, session_id) -> str:
    with open_store(db) as store, store.transaction() as session:
        return sessions.get_session(session, session_id).board_identity


def test_a_bds_trial_as_its_mctsib_condition_then_a_second_one_with_the_change(capsys, store_url, tmp_path,
                                                                               shared_data):
    from trainer.calibration import Calibration, CalibrationStore

    db = store_url
    trials = published(shared_data)
    _add_user(capsys, db)
    first = _test(capsys, db, "mctsib", f"replay://{shared_data / 'bds' / 'BDS00001.txt'}", "--condition", "eo-firm",
                  "--trial-s", "60")
    target = tmp_path / "first.pdf"
    code, out, err = _report(capsys, db, "kiwi", first, target, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["session"] == first and result["test"] == "mctsib" and result["previous"] == {}
    pages, reader = pdf_text(target)
    _check_pages(reader, pages, result["pages"])
    text = "\n".join(pages)
    assert "Test report: mctsib for kiwi" in text and "Pseudonym: kiwi" in text
    assert "33 years at the test: young adults, 18-59 years, of the BDS norms" in text
    assert "Conditions: eo-firm" in text and "Validity: valid" in text
    assert f"Board identity: replay of {shared_data / 'bds' / 'BDS00001.txt'}" in text
    assert "Calibration: no calibration record: the board's accuracy is unknown" in text
    # The published values as measured, each with its percentile in words from the shipped table.
    _, area, velocity, frequency = trials["BDS00001"]
    for measure, value, unit in zip(NORM_MEASURES, (area, velocity, frequency), ("cm²", "cm/s", "Hz")):
        position = norms.lookup(measure, "eo-firm", 33, value).position
        assert re.search(rf"eo-firm\s+[a-z %5.9]+\s+{re.escape(f'{value:.4g}')} {unit}\s+{position} \(young, n 87\)"
                         r"\s+within 5th-95th", text), measure
    assert re.search(r"eo-firm\s+60\.0\s+60\s+yes\s+60\.0 s", text)  # held, of, completed, the attempt
    assert "No ratio: each needs both of its conditions completed" in text
    assert "Percentiles are from the BDS data set" in text  # the norms' caveat
    assert "No earlier mctsib test of kiwi with the condition eo-firm and the same trial length: this is" in flat(text)
    assert target.stat().st_mode & 0o777 == 0o600  # health data, as the program report

    # A later test of the same condition on a board with a calibration record: the change, without an MDC.
    board = f"replay://{shared_data / 'bds' / 'BDS00002.txt'}"
    CalibrationStore().save(Calibration(f"replay of {shared_data / 'bds' / 'BDS00002.txt'}", [0.0] * 4, [1e-4] * 4,
                                        created_utc="2026-01-10T09:00:00+00:00",
                                        accuracy={"date_utc": "2026-01-10T09:30:00+00:00", "mass_kg": 20.0,
                                                  "cop_error_mean_mm": 1.23, "cop_error_max_mm": 2.34,
                                                  "corner_load_error_max_kg": 0.04,
                                                  "total_load_error_max_kg": 0.051}))
    second = _test(capsys, db, "mctsib", board, "--condition", "eo-firm", "--trial-s", "60")
    assert _board_identity(db, second) == f"replay of {shared_data / 'bds' / 'BDS00002.txt'}"
    target = tmp_path / "second.pdf"
    code, out, err = _report(capsys, db, "kiwi", second, target, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["previous"] == {"eo-firm": first}
    pages, reader = pdf_text(target)
    _check_pages(reader, pages, result["pages"])
    text = "\n".join(pages)
    assert "accuracy check 2026-01-10 with 20 kg: COP within 2.3 mm (mean 1.2 mm), load within 0.05 kg" in text
    assert "Calibration: calibration record of replay of" in text and "no calibration record" not in text
    assert "This test: board replay of" in flat(text)  # the caveat (wrapped) names the same record
    assert f"eo-firm: compared with session {first} of" in text
    _, area2, velocity2, frequency2 = trials["BDS00002"]
    for words, before, now, unit in (("95 % ellipse area", area, area2, "cm²"),
                                     ("mean velocity", velocity, velocity2, "cm/s"),
                                     ("mean frequency", frequency, frequency2, "Hz")):
        row = (rf"eo-firm\s+{words}\s+{re.escape(f'{before:.4g}')}\s+{re.escape(f'{now:.4g}')}\s+"
               rf"{re.escape(f'{now - before:+.3g} {unit}')}\s+no MDC known\s+-")
        assert re.search(row, text), words
    assert re.search(r"eo-firm\s+time held\s+60\s+60\s+\+0 s\s+no MDC known", text)
    assert "real change" not in text.replace("real change?", "")  # no MDC is documented: nothing flagged


def test_the_statokinesigram_is_the_best_attempts_path_with_the_measured_ellipse(capsys, tmp_path, shared_data):
    from trainer.test_report import gather_test, render_test_pages

    db = f"sqlite:///{tmp_path / 'db' / 'tracker.db'}"
    _add_user(capsys, db)
    first = _test(capsys, db, "mctsib", f"replay://{shared_data / 'bds' / 'BDS00007.txt'}", "--condition", "eo-foam",
                  "--trial-s", "60")

    class Sink:
        figures = []

        def savefig(self, figure):
            self.figures.append(figure)

    with open_store(db) as store, store.transaction() as session:
        data = gather_test(session, "kiwi", str(first))
    render_test_pages(Sink(), data)
    (drawn,) = data.drawn["statokinesigrams"]
    assert drawn["condition"] == "eo-foam" and drawn["points"] == 6000  # the whole 60-s trial, no more
    # The ellipse drawn from the stored samples is the one measured (samples.csv keeps the COP to 0.001 mm).
    assert drawn["ellipse_area_cm2"] == pytest.approx(published(shared_data)["BDS00007"][1], rel=1e-4)
    axes = [ax for figure in Sink.figures for ax in figure.axes]
    assert len(axes) == 1 and axes[0].get_aspect() == 1.0  # equal axes


def _four_conditions(folder):
    """Four 30-s conditions back to back whose sway grows by known factors (as tests/test_clinic.py)."""
    rng = np.random.default_rng(1)
    writer = RecordingWriter(folder, board_url="crafted://", board_identity="crafted four", geometry=FORCE_PLATE)
    samples = []
    for scale in (1.0, 2.0, 3.0, 6.0):
        xy = np.cumsum(rng.normal(size=(3000, 2)), axis=0) * 0.05 * scale
        for x, y in xy:
            samples.append(LoadSample(len(samples) / 100, *map(float, cop_to_corners([x], [y], 70.0, FORCE_PLATE)[0])))
    writer.add_samples(samples)
    writer.close()
    return folder


def test_all_four_conditions_give_four_statokinesigrams_and_the_ratios(capsys, tmp_path):
    from trainer.test_report import gather_test, render_test_pages

    db = f"sqlite:///{tmp_path / 'db' / 'tracker.db'}"
    _add_user(capsys, db, age=70)
    session_id = _test(capsys, db, "mctsib", f"replay://{_four_conditions(tmp_path / 'r')}")
    code, out, err = _report(capsys, db, "kiwi", session_id, tmp_path / "four.pdf")
    assert code == 0 and "wrote the mctsib test report of 'kiwi'" in out, err
    pages, reader = pdf_text(tmp_path / "four.pdf")
    text = "\n".join(pages)
    assert "old adults, 60-85 years, of the BDS norms" in text
    assert "Conditions: eo-firm, ec-firm, eo-foam, ec-foam" in text
    with open_store(db) as store, store.transaction() as session:
        scores = json.loads(sessions.get_session(session, session_id).scores_json)
        data = gather_test(session, "kiwi", str(session_id))
    ratios = scores["ratios"]
    assert all(v is not None for v in ratios.values())
    for words, key in (("Romberg quotient, firm (eyes closed / open)", "romberg_firm"),
                       ("Romberg quotient, foam (eyes closed / open)", "romberg_foam"),
                       ("foam / firm, eyes open", "foam_firm_eo"), ("foam / firm, eyes closed", "foam_firm_ec")):
        for measure, measure_words in (("sway_area_ellipse95_cm2", "95 % ellipse area"),
                                       ("mean_velocity_cm_s", "mean velocity")):
            value = ratios[f"{key}_{measure}"]
            assert re.search(rf"{re.escape(words)}\s+{measure_words}\s+{re.escape(f'{value:.3g}')}", text), key
    assert "No ratio" not in text
    render_test_pages(type("Sink", (), {"savefig": lambda self, figure: None})(), data)
    drawn = data.drawn["statokinesigrams"]
    assert [d["condition"] for d in drawn] == ["eo-firm", "ec-firm", "eo-foam", "ec-foam"]
    assert all(d["points"] == 3000 for d in drawn)
    for d in drawn:  # each ellipse is its condition's measured area
        measured = scores["conditions"][d["condition"]]["measures"]["bds2016"]["sway_area_ellipse95_cm2"]
        assert d["ellipse_area_cm2"] == pytest.approx(measured, rel=1e-3)
    assert len({d["half_range_mm"] for d in drawn}) == 1  # one scale for every panel
    half = drawn[0]["half_range_mm"]
    for panel in data.panels:  # every path and ellipse inside its panel, centred on its mean
        for values, outline in ((panel.x_mm, panel.ellipse[0]), (panel.y_mm, panel.ellipse[1])):
            assert np.abs(np.concatenate((values, outline)) - np.mean(values)).max() < half


def test_symmetry_shows_the_shares_and_a_later_test_its_change(capsys, store_url, tmp_path):
    db = store_url
    _add_user(capsys, db)
    first = _test(capsys, db, "symmetry", f"replay://{write_stance(tmp_path / 'a', [(31.0, 80.0)], left_share=0.6)}")
    second = _test(capsys, db, "symmetry", f"replay://{write_stance(tmp_path / 'b', [(31.0, 80.0)], left_share=0.55)}")
    code, out, err = _report(capsys, db, "kiwi", first, tmp_path / "a.pdf")
    assert code == 0, err
    text = "\n".join(pdf_text(tmp_path / "a.pdf")[0])
    assert "Test report: symmetry for kiwi" in text and "Weight-bearing symmetry" in text
    for row in (r"left\s+60\.0 %", r"right\s+40\.0 %", r"front\s+50\.0 %", r"back\s+50\.0 %",
                r"asymmetry \|left - right\|\s+20\.0 % points"):
        assert re.search(row, text), row
    assert "Statokinesigram" not in text and "Percentiles are from the BDS" not in text  # mCTSIB only
    assert "No earlier symmetry test of kiwi with the condition both-feet and the same trial length" in flat(text)
    code, out, err = _report(capsys, db, "kiwi", second, tmp_path / "b.pdf")
    assert code == 0, err
    pages, reader = pdf_text(tmp_path / "b.pdf")
    _check_pages(reader, pages, len(pages))
    text = "\n".join(pages)
    assert re.search(r"left\s+55\.0 %", text) and f"both-feet: compared with session {first}" in text
    assert re.search(r"both-feet\s+left share\s+60\s+55\s+-5 % points\s+no MDC known\s+-", text)
    assert re.search(r"both-feet\s+front share\s+50\s+50\s+\+0 % points\s+no MDC known\s+-", text)
    assert re.search(r"both-feet\s+asymmetry\s+20\s+10\s+-10 % points\s+no MDC known", text)


def test_a_test_this_version_does_not_know_is_a_table_of_its_numbers(capsys, tmp_path):
    db = f"sqlite:///{tmp_path / 'db' / 'tracker.db'}"
    _add_user(capsys, db)
    with open_store(db) as store, store.transaction() as session:
        user = records.get_user(session, "kiwi")
        ids = []
        for day, value in (("2026-03-02", 11.0), ("2026-03-09", 14.0)):
            row = sessions.start_session(session, user, kind="test", name="some-new-test", setup="right",
                                         started_utc=f"{day}T10:00:00.000+00:00", board_url="sim://",
                                         board_identity="simulated person")
            sessions.finish_session(row, scores={"conditions": {"right": {"count": value, "trial_s": 15.0,
                                                                          "attempts": [1, 2]}}, "total": value},
                                    valid=True, score_version="x/1", summary={"duration_s": 15.0}, events_lines=[])
            ids.append(row.id)
    code, out, err = _report(capsys, db, "kiwi", ids[1], tmp_path / "n.pdf")
    assert code == 0, err
    text = "\n".join(pdf_text(tmp_path / "n.pdf")[0])
    assert "Results of some-new-test" in text and re.search(r"count\s+14\n", text) and re.search(r"total\s+14", text)
    assert "trial_s" not in text  # bookkeeping is not a result
    assert re.search(r"right\s+count\s+11\s+14\s+\+3\s+no MDC known", text)
    assert "2026-03-09 10:00 UTC" in text and f"compared with session {ids[0]} of 2026-03-02 10:00 UTC" in text


@pytest.mark.parametrize("argv, message", [
    (["--test", "999", "--out", "{tmp}/r.pdf"], "no session 999"),
    (["--test", "{game}", "--out", "{tmp}/r.pdf"], "is a game (single-leg), not a test"),
    (["--test", "{other}", "--out", "{tmp}/r.pdf"], "is not a session of 'kiwi'"),
    (["--test", "{abandoned}", "--out", "{tmp}/r.pdf"], "has no results: it is abandoned"),
    (["--test", "{test}", "--out", "{tmp}/missing/r.pdf"], "does not exist"),
    (["--test", "{test}", "--out", "{tmp}/r.png"], "give a file name ending in .pdf"),
    (["--test", "{test}", "--out", "{tmp}"], "give a file name ending in .pdf"),
])
def test_bad_input_is_one_line_and_no_file(capsys, store_url, tmp_path, argv, message):
    db = store_url
    _add_user(capsys, db)
    _add_user(capsys, db, "pip")
    ids = {"game": _store_round(db, "kiwi", "2026-01-05T10:00:00.000+00:00", "single-leg", {"time_in_zone_pct": 40.0}),
           "test": _test(capsys, db, "symmetry", f"replay://{write_stance(tmp_path / 'a', [(31.0, 80.0)])}"),
           "other": _test(capsys, db, "symmetry", f"replay://{write_stance(tmp_path / 'b', [(31.0, 80.0)])}",
                          user="pip")}
    with open_store(db) as store, store.transaction() as session:  # left before its end: samples, no scores
        ids["abandoned"] = sessions.start_session(session, records.get_user(session, "kiwi"), kind="test",
                                                  name="mctsib", status="abandoned").id
    before = sorted(p.name for p in tmp_path.iterdir())
    argv = [a.replace("{tmp}", str(tmp_path)) if "{tmp}" in a else a.format(**ids) for a in argv]
    code, out, err = run(capsys, "report", "--user", "kiwi", *argv, "--db", db)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_report_that_fails_half_way_leaves_the_old_file(capsys, tmp_path, monkeypatch):
    import trainer.test_report

    db = f"sqlite:///{tmp_path / 'db' / 'tracker.db'}"
    _add_user(capsys, db)
    session_id = _test(capsys, db, "symmetry", f"replay://{write_stance(tmp_path / 'a', [(31.0, 80.0)])}")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "old.pdf").write_bytes(b"%PDF-1.4 the previous report")

    def fail(pages, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(trainer.test_report, "_changes", fail)  # after the first page was written
    code, _, err = _report(capsys, db, "kiwi", session_id, out_dir / "old.pdf")
    assert code == 1 and "No space left on device" in err and len(err.strip().splitlines()) == 1
    assert [p.name for p in out_dir.iterdir()] == ["old.pdf"]
    assert (out_dir / "old.pdf").read_bytes() == b"%PDF-1.4 the previous report"


def test_a_change_is_real_only_where_an_mdc_is_known():
    from trainer.clinic.history import changes_since

    now = {"conditions": {"left": {"held_s": 20.0, "completed": True}, "right": {"held_s": 9.0}}}
    earlier = [(1, "2026-01-01T10:00:00+00:00", {"conditions": {"left": {"held_s": 5.0}, "right": {"held_s": 8.0}}}),
               (2, "2026-01-08T10:00:00+00:00", {"conditions": {"left": {"held_s": 12.0}}})]
    mdc = {("single-leg-stance", "held_s"): (4.0, "s", "a source")}
    rows, previous = changes_since("single-leg-stance", now, earlier, mdc)
    assert previous == {"left": {"id": 2, "started_utc": "2026-01-08T10:00:00+00:00"},  # the latest with it
                        "right": {"id": 1, "started_utc": "2026-01-01T10:00:00+00:00"}}
    by_condition = {r["condition"]: r for r in rows}
    assert by_condition["left"]["change"] == 8.0 and by_condition["left"]["flag"] == "real change"
    assert by_condition["right"]["change"] == 1.0 and by_condition["right"]["flag"] == "within the MDC"
    assert by_condition["left"]["mdc"] == "MDC 4 s"
    rows, _ = changes_since("single-leg-stance", now, earlier, {})
    assert {r["flag"] for r in rows} == {""} and {r["mdc"] for r in rows} == {"no MDC known"}
    # Like with like: a test of another trial length is not compared (the measures depend on the duration).
    longer = {"conditions": {"eo-firm": {"trial_s": 60.0, "held_s": 60.0}}}
    shorter = {"conditions": {"eo-firm": {"trial_s": 30.0, "held_s": 30.0}}}
    assert changes_since("mctsib", shorter, [(1, "2026-01-01", longer)]) == ([], {})
    rows, previous = changes_since("mctsib", shorter, [(1, "2026-01-01", shorter), (2, "2026-01-02", longer)])
    assert previous == {"eo-firm": {"id": 1, "started_utc": "2026-01-01"}} and rows[0]["change"] == 0.0


def test_the_calibration_record_of_a_plate_is_found_by_its_uid():
    from trainer.calibration import Calibration, CalibrationStore
    from trainer.clinic.history import calibration_lines, calibration_record

    store = CalibrationStore()
    store.save(Calibration("0a1b2c3d", [0.0] * 4, [1e-4] * 4, created_utc="2026-02-01T08:00:00+00:00"))
    identity = "FP1 plate uid 0a1b2c3d on /dev/ttyACM0 (HX711, 80 Hz, calibrated 2026-02-01T08:00:00+00:00)"
    record = calibration_record(identity)
    assert record is not None and record.device_id == "0a1b2c3d"
    assert calibration_record("FP1 plate uid 0a1b2c3dff on /dev/ttyACM0") is None  # a whole uid, not a prefix
    assert calibration_lines(record, "2026-03-01T10:00:00+00:00") == [
        "calibration record of 0a1b2c3d: made 2026-02-01",
        "no complete accuracy check in it: the board's accuracy is unknown"]
    record.accuracy = {"date_utc": "2026-04-01T10:00:00+00:00", "cop_error_max_mm": 3.0,
                       "total_load_error_max_kg": 0.1}
    assert calibration_lines(record, "2026-03-01T10:00:00+00:00")[1:] == [
        "accuracy check 2026-04-01: COP within 3.0 mm, load within 0.10 kg",
        "(the check is later than this test: it describes the board since then)"]
    assert calibration_lines(None, "2026-03-01") == ["no calibration record: the board's accuracy is unknown"]


def test_best_attempt_is_the_completed_one_else_the_longest():
    from trainer.clinic.history import best_attempt

    result = {"trial_s": 30.0, "attempts": [{"held_s": 12.0, "stepped_at_s": 12.0, "start_s": 0.0},
                                            {"held_s": 30.0, "stepped_at_s": None, "start_s": 12.5}]}
    assert best_attempt(result)["start_s"] == 12.5
    result = {"trial_s": 30.0, "attempts": [{"held_s": 5.0, "stepped_at_s": 5.0, "start_s": 0.0},
                                            {"held_s": 8.0, "stepped_at_s": 13.0, "start_s": 5.3},
                                            {"held_s": 8.0, "stepped_at_s": None, "start_s": 20.0}]}  # cut short
    assert best_attempt(result)["start_s"] == 5.3  # the first of equals: a cut-short attempt is not completed


def test_single_leg_stance_draws_the_time_held_per_leg(capsys, tmp_path):
    from test_clinic_single_leg_stance import Track

    from trainer.test_report import gather_test, render_test_pages

    db = f"sqlite:///{tmp_path / 'db' / 'tracker.db'}"
    _add_user(capsys, db)
    track = Track().both(2).one("left", 31).both(2).one("right", 12).both(2).one("right", 15).both(2)
    track.one("right", 9).both(2)
    session_id = _test(capsys, db, "single-leg-stance", f"replay://{track.write(tmp_path / 'r')}")
    code, out, err = _report(capsys, db, "kiwi", session_id, tmp_path / "sls.pdf")
    assert code == 0, err
    pages, reader = pdf_text(tmp_path / "sls.pdf")
    _check_pages(reader, pages, len(pages))
    text = "\n".join(pages)
    assert "Test report: single-leg-stance for kiwi" in text and "Time held per leg" in text
    assert re.search(r"measure\s+left-eo\s+right-eo\n", text)  # the conditions side by side
    assert re.search(r"held_s\s+30\s+15\n", text)
    assert "right-eo attempts (time held): 12.0 s (cop-jump), 15.0 s (cop-jump), 9.0 s (cop-jump)" in text
    assert re.search(r"differences: left_minus_right_held_eo_s\s+15\n", text)
    assert re.search(r"differences: left_minus_right_held_ec_s\s+-\n", text)  # not tested: no number
    with open_store(db) as store, store.transaction() as session:
        data = gather_test(session, "kiwi", str(session_id))
    render_test_pages(type("Sink", (), {"savefig": lambda self, figure: None})(), data)
    assert data.drawn["per_leg"] == [{"eyes": "open", "leg": "left", "held_s": 30.0},
                                     {"eyes": "open", "leg": "right", "held_s": 15.0}]
    assert "statokinesigrams" not in data.drawn


def test_the_alternate_step_tests_documented_mdc_flags_a_real_change(capsys, tmp_path):
    from test_clinic_steps import write_placements

    from games.clinic.stepping_tests import LEAD_IN_S
    from hardware.samples import WII_BALANCE_BOARD
    from hardware.sources import make_source

    probe = write_placements(tmp_path / "probe", WII_BALANCE_BOARD, [], duration_s=0.1)
    source = make_source(f"replay://{probe}?speed=max")
    source.open()
    geometry = source.geometry
    source.close()
    db = f"sqlite:///{tmp_path / 'db' / 'tracker.db'}"
    _add_user(capsys, db)
    ids, times = [], []
    for name, gap in (("slow", 1.5), ("quick", 0.8)):
        sides = ["right", "left"] * 4
        placements = [(LEAD_IN_S + 0.5 + gap * k, side) for k, side in enumerate(sides)]
        ids.append(_test(capsys, db, "alternate-step",
                         f"replay://{write_placements(tmp_path / name, geometry, placements, duration_s=20.0)}"))
    with open_store(db) as store, store.transaction() as session:
        for session_id in ids:
            times.append(json.loads(sessions.get_session(session, session_id).scores_json)
                         ["conditions"]["alternate"]["time_from_go_s"])
    assert times[0] - times[1] == pytest.approx(7 * 0.7, abs=1e-4)  # 4.9 s quicker: beyond the MDC of 3.26 s
    code, out, err = _report(capsys, db, "kiwi", ids[1], tmp_path / "ast.pdf", "--json")
    assert code == 0, err
    assert json.loads(out)["previous"] == {"alternate": ids[0]}
    text = "\n".join(pdf_text(tmp_path / "ast.pdf")[0])
    change = f"{times[1] - times[0]:+.3g} s"
    assert re.search(rf"alternate\s+time_from_go_s\s+{times[0]:.4g}\s+{times[1]:.4g}\s+{re.escape(change)}\s+"
                     r"MDC 3.26 s\s+real change", text)
    assert re.search(r"alternate\s+placements\s+8\s+8\s+\+0\s+no MDC known", text)
    assert "MDC source: Chung et al., J Rehabil Med 2014" in text
    assert "reference: cut_off_source: Tiedemann" in text  # the test's own notes, as they are


def test_a_limits_of_stability_session_draws_its_polygon_from_its_scores(capsys, tmp_path):
    """The LOS's scores as trainer/clinic/los.py writes them: "polygon_mm" (each direction's maximal excursion) and
    "theoretical_polygon_mm", in the order of "directions"; one direction without data (NaN)."""
    from trainer.test_report import gather_test, render_test_pages

    db = f"sqlite:///{tmp_path / 'db' / 'tracker.db'}"
    _add_user(capsys, db)
    r = 1 / np.sqrt(2)
    units = {"F": (0, 1), "FR": (r, r), "R": (1, 0), "BR": (r, -r), "B": (0, -1), "BL": (-r, -r), "L": (-1, 0),
             "FL": (-r, r)}
    reach = {"F": 80.0, "FR": 70.0, "R": 90.0, "BR": 40.0, "B": 35.0, "BL": None, "L": 85.0, "FL": 72.0}
    scores = {"height_cm": 170.0, "limits_mm": {d: 100.0 for d in units},
              "theoretical_polygon_mm": [[100 * ux, 100 * uy] for ux, uy in units.values()],
              "directions": {d: {"max_excursion_mm": v, "reaction_time_s": 0.5, "no_data": v is None}
                             for d, v in reach.items()},
              "polygon_mm": [[float("nan") if v is None else v * units[d][0],
                              float("nan") if v is None else v * units[d][1]] for d, v in reach.items()],
              "composite": {"reaction_time_s": 0.5}, "cut_short": False}
    with open_store(db) as store, store.transaction() as session:
        row = sessions.start_session(session, records.get_user(session, "kiwi"), kind="test", name="los",
                                     started_utc="2026-03-02T10:00:00.000+00:00", board_url="sim://",
                                     board_identity="simulated person")
        sessions.finish_session(row, scores=scores, valid=True, score_version="los/1", summary={"duration_s": 91.0},
                                events_lines=[])
        session_id = row.id
    code, out, err = _report(capsys, db, "kiwi", session_id, tmp_path / "los.pdf")
    assert code == 0, err
    pages, reader = pdf_text(tmp_path / "los.pdf")
    _check_pages(reader, pages, len(pages))
    text = "\n".join(pages)
    assert "Limits of Stability: the polygon of maximal excursions" in text
    assert "a missing point: a direction without data" in text
    assert re.search(r"measure\s+F\s+FR\s+R\s+BR\s+B\n", text) and re.search(r"measure\s+BL\s+L\s+FL\n", text)
    assert re.search(r"max_excursion_mm\s+80\s+70\s+90\s+40\s+35\n", text)
    assert re.search(r"limits_mm: F\s+100", text) and re.search(r"composite: reaction_time_s\s+0.5", text)
    assert "This test's results have no conditions to compare" in flat(text)
    with open_store(db) as store, store.transaction() as session:
        data = gather_test(session, "kiwi", str(session_id))
    render_test_pages(type("Sink", (), {"savefig": lambda self, figure: None})(), data)
    drawn = data.drawn["los_polygon"]
    assert drawn["labels"] == list(units)
    assert drawn["reached"][0] == pytest.approx((0.0, 80.0)) and np.isnan(drawn["reached"][5]).all()
    assert drawn["theoretical"][2] == pytest.approx((100.0, 0.0))


def test_a_real_limits_of_stability_test_gets_its_polygon(capsys, tmp_path):
    from test_clinic_los import HEIGHT_CM, REACH, lean_track

    from clinic_tracks import write_track
    from trainer.clinic import los
    from trainer.test_report import gather_test, render_test_pages

    db = f"sqlite:///{tmp_path / 'db' / 'tracker.db'}"
    _add_user(capsys, db)
    folder = write_track(tmp_path / "r", *lean_track(), rate_hz=100.0)
    session_id = _test(capsys, db, "los", f"replay://{folder}", "--height-cm", str(HEIGHT_CM))
    code, out, err = _report(capsys, db, "kiwi", session_id, tmp_path / "los.pdf")
    assert code == 0, err
    text = "\n".join(pdf_text(tmp_path / "los.pdf")[0])
    assert "Limits of Stability: the polygon of maximal excursions" in text and "Directions" in text
    with open_store(db) as store, store.transaction() as session:
        data = gather_test(session, "kiwi", str(session_id))
    render_test_pages(type("Sink", (), {"savefig": lambda self, figure: None})(), data)
    drawn = data.drawn["los_polygon"]
    assert drawn["labels"] == list(los.DIRECTIONS)
    limits = los.limits_mm(HEIGHT_CM)
    for direction, (x, y) in zip(los.DIRECTIONS, drawn["reached"]):  # each lean's known reach, around the centre
        assert math.hypot(x, y) == pytest.approx(REACH[direction] * limits[direction], abs=1.5), direction
    assert np.allclose(drawn["theoretical"], los.theoretical_polygon(HEIGHT_CM))


def test_a_lateral_step_down_session_is_its_numbers_and_its_sources(capsys, tmp_path):
    from test_clinic_step_down import script, write

    db = f"sqlite:///{tmp_path / 'db' / 'tracker.db'}"
    _add_user(capsys, db)
    t, total, x, y, _ = script()
    folder = write(tmp_path / "rec", t, total, x, y)
    session_id = _test(capsys, db, "lateral-step-down", f"replay://{folder}", "--quality-left", "1",
                       "--quality-right", "4")
    with open_store(db) as store, store.transaction() as session:
        scores = json.loads(sessions.get_session(session, session_id).scores_json)
    code, out, err = _report(capsys, db, "kiwi", session_id, tmp_path / "lsd.pdf")
    assert code == 0, err
    pages, reader = pdf_text(tmp_path / "lsd.pdf")
    _check_pages(reader, pages, len(pages))
    text = "\n".join(pages)
    left, right = scores["conditions"]["left"], scores["conditions"]["right"]
    assert re.search(r"measure\s+left\s+right\n", text)
    assert re.search(rf"reps\s+{left['reps']:.4g}\s+{right['reps']:.4g}\n", text)
    assert re.search(rf"tempo_error_pct\s+{left['tempo_error_pct']:.4g}\s+{right['tempo_error_pct']:.4g}\n", text)
    assert re.search(r"quality_score\s+1\s+4\n", text) and "right: quality: poor" in text
    assert re.search(r"differences: quality_score\s+-3\n", text)
    assert "Statokinesigram" not in text and "Time held per leg" not in text and "polygon" not in text


@pytest.mark.parametrize("year_of_birth, age_words, norm_words", [
    (None, "no year of birth in the profile: no age group, no percentiles", "no percentile: no age"),
    (dt.date.today().year - 90, "90 years: outside the BDS norms (18 to under 86 years), no percentiles",
     "no percentile: age outside the norms"),
])
def test_without_an_age_in_the_norms_there_is_no_percentile_and_it_says_why(capsys, tmp_path, year_of_birth,
                                                                            age_words, norm_words):
    db = f"sqlite:///{tmp_path / 'db' / 'tracker.db'}"
    extra = [] if year_of_birth is None else ["--year-of-birth", str(year_of_birth)]
    assert run(capsys, "user", "add", "kiwi", *extra, "--db", db)[0] == 0
    rng = np.random.default_rng(5)
    writer = RecordingWriter(tmp_path / "r", board_url="crafted://", board_identity="crafted", geometry=FORCE_PLATE)
    xy = np.cumsum(rng.normal(size=(3100, 2)), axis=0) * 0.05
    writer.add_samples([LoadSample(i / 100, *map(float, cop_to_corners([x], [y], 70.0, FORCE_PLATE)[0]))
                        for i, (x, y) in enumerate(xy)])
    writer.close()
    session_id = _test(capsys, db, "mctsib", f"replay://{tmp_path / 'r'}", "--condition", "ec-firm")
    code, out, err = _report(capsys, db, "kiwi", session_id, tmp_path / "a.pdf")
    assert code == 0, err
    text = "\n".join(pdf_text(tmp_path / "a.pdf")[0])
    assert age_words in flat(text)
    assert len(re.findall(rf"ec-firm\s+(95 % ellipse area|mean velocity|mean frequency)\s+[0-9.]+ \S+\s+"
                          rf"{re.escape(norm_words)}", text)) == 3
    assert "percentile (" not in text.replace("percentile (age group", "")  # no percentile given anywhere
