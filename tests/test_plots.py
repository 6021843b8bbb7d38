"""`progress --plot`: the PNG and what it drew (one line per trend, the MDC band around the baseline, the days
trained), on SQLite and PostgreSQL; bad input is one line, exit 1, and no file."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from trainer.cli import main
from trainer.plots import figure_size_px, progress_figure
from trainer.program import load_content
from trainer.program.progress import check_trends

from test_program import D0, make_checks  # the scripted eight weeks (docs/program.md)
from test_sessions_cli import _store_round

# A few rounds over the eight weeks: (day after D0, game, set-up, scores, valid).
ROUNDS = [(1, "single-leg", "floor", {"time_in_zone_pct": 42.0}, True),
          (3, "single-leg", "floor", {"time_in_zone_pct": 95.0}, False),  # not valid: no point, no day
          (9, "single-leg", "floor", {"time_in_zone_pct": 51.0}, True),
          (16, "step-down", "step", {"tempo_error_pct": 25.0}, True),
          (30, "single-leg", "floor", {"time_in_zone_pct": 63.0}, True),
          (37, "step-down", "step", {"tempo_error_pct": 18.0}, True),
          (50, "single-leg", "floor", {"time_in_zone_pct": 71.0}, True)]


def run(capsys, db, *argv):
    code = main([*argv, "--db", db])
    out, err = capsys.readouterr()
    return code, out, err


def seed(capsys, db, name="kiwi", extra_checks=()):
    """The scripted eight weeks as stored checks, plus ROUNDS; extra_checks: more `assess` argument lists."""
    assert run(capsys, db, "user", "add", name, "--affected-side", "left", "--prior-sprains", "1")[0] == 0
    for check in make_checks():
        args = ["assess", "--user", name, "--date", check.date.isoformat(),
                "--knee-to-wall-left-cm", str(check.knee_to_wall_left_cm),
                "--knee-to-wall-right-cm", str(check.knee_to_wall_right_cm),
                "--pain-rest", str(check.pain_rest), "--pain-activity", str(check.pain_activity),
                "--stiffness", str(check.stiffness), "--step-left-cm", str(check.step_left_cm),
                "--step-right-cm", str(check.step_right_cm), "--balance-zone-pct", str(check.balance_zone_pct)]
        assert run(capsys, db, *args)[0] == 0
    for args in extra_checks:
        assert run(capsys, db, "assess", "--user", name, *args)[0] == 0
    for days, game, setup, scores, valid in ROUNDS:
        day = D0 + dt.timedelta(days=days)
        _store_round(db, name, f"{day}T10:00:00.000+00:00", game, scores, valid=valid, setup=setup)


def test_progress_plot_draws_one_line_per_measure_and_the_mdc_band(capsys, store_url, tmp_path):
    from PIL import Image

    seed(capsys, store_url)
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "progress.png"
    code, out, err = run(capsys, store_url, "progress", "--user", "kiwi", "--plot", str(target), "--json")
    assert code == 0, err
    data = json.loads(out)
    trends, plot = data["trends"], data["plot"]
    # One line per trend, in the trends' order: 5 from the checks + single-leg (floor) + step-down (step).
    assert len(trends) == 7
    assert [(line["measure"], line["side"]) for line in plot["lines"]] == [(t["measure"], t["side"]) for t in trends]
    assert [line["points"] for line in plot["lines"]] == [len(t["points"]) for t in trends]
    # The MDC band of each ankle: its baseline (week 1 of the script: left 5.0, right 12.0) +- 1.9 cm.
    mdc = load_content()["measures"]["knee_to_wall_cm"]["mdc"]
    first = make_checks()[0]
    bands = {b["side"]: (b["low"], b["high"]) for b in plot["mdc_bands"]}
    assert bands == {"left": pytest.approx((first.knee_to_wall_left_cm - mdc, first.knee_to_wall_left_cm + mdc)),
                     "right": pytest.approx((first.knee_to_wall_right_cm - mdc,
                                             first.knee_to_wall_right_cm + mdc))}
    # The calendar: every check day, and the days of valid rounds only (day 3's round was not valid).
    calendar = plot["calendar"]
    assert calendar["check_days"] == [c.date.isoformat() for c in make_checks()]
    assert calendar["round_days"] == sorted({(D0 + dt.timedelta(days=d)).isoformat()
                                             for d, *_, valid in ROUNDS if valid})
    assert calendar["first"] == D0.isoformat() and calendar["weeks"] == 8  # D0 is a Monday
    # A real PNG of the size the figure promises.
    with Image.open(target) as image:
        image.verify()
    with Image.open(target) as image:
        # six panels: knee-to-wall draws both ankles in one
        assert image.format == "PNG" and image.size == tuple(plot["size_px"]) == figure_size_px(6)
        assert image.size == (1400, 1630)
        assert len(image.convert("RGB").getcolors(1 << 20)) > 50  # drawn, not a blank page
    assert [p.name for p in target.parent.iterdir()] == ["progress.png"]  # no temporary file left
    assert target.stat().st_mode & 0o777 == 0o600  # owner-only, as export's files: health data

    code, out, _ = run(capsys, store_url, "progress", "--user", "kiwi", "--plot", str(target))
    assert code == 0 and f"wrote the plot to {target} (7 lines, 1400 x 1630 px)" in out


def test_the_figure_itself_has_one_line_per_trend_and_the_band_in_data_units():
    checks = make_checks()
    trends = check_trends(checks, load_content())
    fig, drawn = progress_figure("kiwi", trends, set(), {c.date for c in checks})
    trend_axes = fig.axes[:-1]  # the last one is the calendar
    assert sum(len(ax.lines) for ax in trend_axes) == len(trends) == len(drawn.lines) == 5
    ktw = trend_axes[0]
    assert [line.get_label() for line in ktw.lines] == ["left", "right"]
    assert list(ktw.lines[0].get_ydata()) == [c.knee_to_wall_left_cm for c in checks]
    spans = sorted((p.get_bbox().y0, p.get_bbox().y1) for p in ktw.patches)
    assert spans == [pytest.approx((5.0 - 1.9, 5.0 + 1.9)), pytest.approx((12.0 - 1.9, 12.0 + 1.9))]
    # The real changes of the left ankle (weeks 3 and 7) are marked, and nothing on the right.
    assert [(c["side"], (c["date"] - D0).days // 7 + 1) for c in drawn.real_changes
            if c["measure"] == "knee_to_wall_cm"] == [("left", 3), ("left", 7)]
    assert "Days trained: 8 weeks" in fig.axes[-1].get_title(loc="left")


@pytest.mark.parametrize("argv, message", [
    (["progress", "--user", "nobody", "--plot", "{tmp}/p.png"], "no user called 'nobody'"),
    (["progress", "--user", "empty", "--plot", "{tmp}/p.png"], "'empty' has no checks or counting rounds yet"),
    (["progress", "--user", "kiwi", "--plot", "{tmp}/missing/p.png"], "does not exist"),
    (["progress", "--user", "kiwi", "--plot", "{tmp}/a-file/p.png"], "does not exist"),
    (["progress", "--user", "kiwi", "--plot", "{tmp}/folder.png"], "it is a folder"),
    (["progress", "--user", "kiwi", "--plot", "{tmp}/p.jpg"], "give a file name ending in .png"),
])
def test_bad_input_is_one_line_and_no_file(capsys, store_url, tmp_path, argv, message):
    assert run(capsys, store_url, "user", "add", "empty")[0] == 0
    assert run(capsys, store_url, "user", "add", "kiwi")[0] == 0
    _store_round(store_url, "kiwi", "2026-01-05T10:00:00.000+00:00", "single-leg", {"time_in_zone_pct": 40.0})
    (tmp_path / "a-file").write_text("mine")
    (tmp_path / "folder.png").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = run(capsys, store_url, *[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written, nothing half-written


def test_a_failed_write_leaves_no_file(capsys, tmp_path, monkeypatch):
    """The disk fails while the PNG is written: one line, and neither the target nor a temporary file remains."""
    from matplotlib.figure import Figure

    db = f"sqlite:///{tmp_path / 'db' / 'tracker.db'}"
    seed(capsys, db)
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    def full_disk(self, fname, **kwargs):
        with open(fname, "wb") as f:
            f.write(b"\x89PNG half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", full_disk)
    code, out, err = run(capsys, db, "progress", "--user", "kiwi", "--plot", str(out_dir / "p.png"))
    assert code == 1 and "No space left on device" in err and len(err.strip().splitlines()) == 1
    assert list(out_dir.iterdir()) == []


def test_the_calendar_shows_at_most_twelve_whole_weeks_up_to_the_last_day_trained():
    from trainer.plots import _calendar_span

    last = dt.date(2026, 9, 16)  # a Wednesday
    first, end = _calendar_span({dt.date(2026, 1, 7), dt.date(2026, 5, 1), last})
    assert end == dt.date(2026, 9, 20) and first == dt.date(2026, 6, 29)  # Sunday; 12 weeks back, a Monday
    assert (end - first).days + 1 == 12 * 7
    first, end = _calendar_span({last})  # one day: still four weeks, so the grid reads as a calendar
    assert (first, end) == (dt.date(2026, 8, 24), dt.date(2026, 9, 20))


def test_other_commands_do_not_import_matplotlib():
    import subprocess
    import sys

    code = ("import sys; from trainer.cli import main; main(['user', 'list', '--db', 'sqlite://']); "
            "import trainer.sessions_cli, trainer.plots, trainer.report; "
            "print('matplotlib' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_one_check_alone_still_gets_a_readable_time_axis():
    from trainer.program import Check

    check = Check(dt.date(2026, 3, 2), 6.0, 9.0, 0, 0, 0, 50, 55)
    trends = check_trends([check], load_content())
    fig, drawn = progress_figure("solo", trends, set(), {check.date})
    assert len(drawn.lines) == len(trends) == 4 and [b["baseline"] for b in drawn.mdc_bands] == [6.0, 9.0]
    ax = fig.axes[0]
    low, high = ax.get_xlim()
    assert high - low == pytest.approx(6.0)  # three days either side of the only date
    labels = ax.xaxis.get_major_formatter().format_ticks(ax.xaxis.get_major_locator()())
    assert len(set(labels)) == len(labels) >= 3, labels  # not "01 Jan" five times
    assert fig.axes[-1].get_title(loc="left").endswith("1 active day")
