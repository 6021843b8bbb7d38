"""The clinician's PDF of one clinical test session (docs/clinic.md, "Reports"):
`balance-trainer report --user NAME --test SESSION --out FILE.pdf`.

A4 pages, text as text (as trainer.report): the header (pseudonym, the age group used for the norms, the test, its
date and time, the board and its calibration record, validity); per protocol what clinicians expect to see:

- mCTSIB: a statokinesigram per condition (the best attempt's COP path from the session's raw samples, mm, equal
  axes, one scale for every panel, with the 95 % prediction ellipse drawn by
  `trainer.measures.sway.prediction_ellipse_outline`), the time held and the attempts, the three bds2016 measures
  with their percentile in words and the 5th-95th flag (`trainer.clinic.report_values.with_norms`), the Romberg and
  foam/firm ratios, and the norms' caveat;
- symmetry: the left/right and front/back shares;
- any other test: a table of its numbers per condition, read from its scores as they are (no key is assumed);

then the change since the previous test of the same name for that patient, condition by condition, with "real
change" only where a minimal detectable change is documented (`MDC`; none is for the mCTSIB's measures: "no MDC
known"). Every page ends with the same footer: not a diagnosis.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from trainer.errors import BalanceTrainerError
from trainer.clinic.history import (
    NORM_WORDS, best_attempt_path, calibration_lines, calibration_record, changes_since, numbers_of, sample_table,
)
from trainer.report import A4_IN, BODY_PT, MARGIN_IN, SMALL_PT, TITLE_PT, _Pages, write_pdf

FOOTER = ("Made by balance-trainer from a clinical test on a balance board. It is not a diagnosis: read it with "
          "the person and their clinician.")
TEST_TITLES = {"mctsib": "mCTSIB (modified Clinical Test of Sensory Interaction on Balance)",
               "symmetry": "Weight-bearing symmetry", "single-leg-stance": "Single-leg stance",
               "los": "Limits of Stability", "alternate-step": "Alternate Step Test", "step-test": "Step test",
               "lateral-step-down": "Lateral step-down"}
MEASURE_WORDS = {"held_s": ("time held", "s"), "left_pct": ("left share", "%"), "front_pct": ("front share", "%"),
                 "asymmetry_pct": ("asymmetry", "%")}
RATIO_WORDS = {"romberg_firm": "Romberg quotient, firm (eyes closed / open)",
               "romberg_foam": "Romberg quotient, foam (eyes closed / open)",
               "foam_firm_eo": "foam / firm, eyes open", "foam_firm_ec": "foam / firm, eyes closed"}
SYMMETRY_ROWS = (("left_pct", "left"), ("right_pct", "right"), ("front_pct", "front"), ("back_pct", "back"),
                 ("asymmetry_pct", "asymmetry |left - right|"))

GAP_IN = 0.75  # between two rows of statokinesigrams: the upper one's axis label, the lower one's title


@dataclass
class Panel:
    """One statokinesigram: the path drawn and its ellipse (what the tests and the README check)."""

    condition: str
    x_mm: object
    y_mm: object
    ellipse: tuple | None  # (x, y) outline
    ellipse_area_cm2: float | None
    note: str = ""


@dataclass
class TestReportData:
    name: str  # the patient's pseudonym (the page header)
    session_id: int
    test: str
    setup: str | None
    started_utc: str
    status: str
    valid: bool | None
    age_years: int | None
    age_line: str
    board_url: str
    board_identity: str
    calibration_lines: list[str]
    scores: dict  # with the norms added (mCTSIB)
    panels: list[Panel]
    changes: list[dict]  # condition, measure, before, now, change, unit, mdc words, flag, previous session/date
    previous: dict  # condition -> {"id", "started_utc"} of the test it is compared with
    generated_utc: str
    drawn: dict = field(default_factory=dict)


# --- reading ------------------------------------------------------------------------------------------------------
def _age_at(user, started_utc: str) -> int | None:
    year = getattr(user, "year_of_birth", None)
    return int(started_utc[:4]) - int(year) if year else None


def _age_line(test: str, age: int | None) -> str:
    if test != "mctsib":  # the only test with norms
        return "no year of birth in the profile" if age is None else f"{age} years at the test"
    if age is None:
        return "no year of birth in the profile: no age group, no percentiles"
    from trainer.clinic import norms

    try:
        group = norms.age_group(age)
    except ValueError:
        return f"{age} years: outside the BDS norms (18 to under 86 years), no percentiles"
    words = f"{group['name']} adults, {group['age_min_years']}-{group['age_below_years'] - 1} years, of the BDS norms"
    return f"{age} years at the test: {words}"


def _panels(scores: dict, samples) -> list[Panel]:
    from trainer.measures.sway import prediction_ellipse, prediction_ellipse_outline

    panels = []
    for condition, result in scores.get("conditions", {}).items():
        x, y = best_attempt_path(samples, result)
        if len(x) < 3:
            panels.append(Panel(condition, x, y, None, None, "no samples of this condition to draw"))
            continue
        outline = prediction_ellipse_outline(x, y, 0.95, n_points=180)
        panels.append(Panel(condition, x, y, outline, prediction_ellipse(x, y, 0.95)[0] / 100.0))
    return panels


def gather_test(session, user_name: str, session_ref: str) -> TestReportData:
    """Everything one test's report shows. One clear BalanceTrainerError for an unknown session, one that is not a
    test, one of another user, one without results."""
    from trainer.clinic.report_values import with_norms
    from trainer.store import records, sessions

    user = records.get_user(session, user_name)
    row = sessions.get_session(session, session_ref)
    if row.user_id != user.id:
        raise BalanceTrainerError(f"session {session_ref} is not a session of '{user_name}' (see "
                                  f"'balance-trainer session list --user {user_name}')")
    if row.kind != "test":
        raise BalanceTrainerError(f"session {session_ref} is a {row.kind} ({row.name}), not a test: a test report is "
                                  "of a session of kind 'test' ('balance-trainer test NAME --user ...')")
    raw_scores = json.loads(row.scores_json or "{}")
    if not raw_scores:
        raise BalanceTrainerError(f"session {session_ref} ({row.name}) has no results: it is {row.status}")
    age = _age_at(user, row.started_utc)
    record = calibration_record(row.board_identity or "")
    scores = with_norms(row.name, raw_scores, age, device_id=record.device_id if record is not None else None)
    panels = _panels(scores, sample_table(sessions.samples_csv(session, row))) if row.name == "mctsib" else []
    earlier = [(r.id, r.started_utc, json.loads(r.scores_json or "{}"))
               for r in sessions.sessions_of(session, user, name=row.name)
               if r.kind == "test" and r.id != row.id and r.status in ("complete", "imported") and r.valid is not False
               and (r.started_utc, r.id) < (row.started_utc, row.id)]
    changes, previous = changes_since(row.name, scores, earlier)
    return TestReportData(
        name=user.name, session_id=row.id, test=row.name, setup=row.setup, started_utc=row.started_utc,
        status=row.status, valid=row.valid, age_years=age, age_line=_age_line(row.name, age),
        board_url=row.board_url or "", board_identity=row.board_identity or "",
        calibration_lines=calibration_lines(record, row.started_utc),
        scores=scores, panels=panels, changes=changes, previous=previous,
        generated_utc=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))


# --- drawing ------------------------------------------------------------------------------------------------------
class _TestPages(_Pages):
    """The program report's page filler with this report's footer."""

    def finish(self):
        if self.fig is not None:
            import textwrap

            from trainer.report import WRAP

            self.fig.text(MARGIN_IN / A4_IN[0], 0.35 / A4_IN[1], "\n".join(textwrap.wrap(FOOTER, WRAP[SMALL_PT])),
                          ha="left", va="bottom", fontsize=SMALL_PT, style="italic", color="#333333")
            self.pdf.savefig(self.fig)
            self.fig = None


def _fmt(value, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _when(started_utc: str) -> str:
    try:
        moment = _dt.datetime.fromisoformat(started_utc)
    except ValueError:
        return started_utc
    return moment.astimezone(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def write_test_report(path: Path, data: TestReportData) -> int:
    """Write the PDF atomically; returns the number of pages."""
    return write_pdf(path, f"balance-trainer test report: {data.name}, {data.test}", render_test_pages, data)


def render_test_pages(sink, data: TestReportData) -> int:
    """Draw every page into sink.savefig(figure) (PdfPages, or docs/make_test_report_image.py's PNG writer)."""
    pages = _TestPages(sink, data)
    _header(pages, data)
    if data.test == "mctsib":
        _statokinesigrams(pages, data)
        _mctsib_results(pages, data)
    elif data.test == "symmetry":
        _symmetry_results(pages, data)
    else:
        _generic_results(pages, data)
    _changes(pages, data)
    pages.finish()
    return pages.count


def _header(pages: _TestPages, data: TestReportData) -> None:
    pages.new_page()
    title = TEST_TITLES.get(data.test, data.test)
    pages.line(f"Test report: {data.test} for {data.name}", TITLE_PT, fontweight="bold")
    pages.para(title)
    pages.para(f"Pseudonym: {data.name}     Age: {data.age_line}")
    conditions = ", ".join(data.scores.get("conditions", {}))
    pages.line(f"Test: {data.test}, session {data.session_id}     Date: {_when(data.started_utc)}")
    if conditions:
        pages.para(f"Conditions: {conditions}")
    valid = {True: "valid", False: "NOT VALID (the board went away during the test)", None: "validity not recorded"}
    notes = [c for c, r in data.scores.get("conditions", {}).items() if r.get("cut_short")]
    pages.line(f"Validity: {valid[data.valid]}; status {data.status}"
               + (f"; cut short: {', '.join(notes)}" if notes else ""),
               fontweight="bold" if data.valid is False or notes else "normal")
    pages.para(f"Board: {data.board_url or 'not recorded'}", SMALL_PT)
    pages.para(f"Board identity: {data.board_identity or 'not recorded'}", SMALL_PT)
    for text in data.calibration_lines:
        pages.para(f"Calibration: {text}" if text is data.calibration_lines[0] else text, SMALL_PT, indent="    ")
    pages.line(f"Generated: {data.generated_utc}", SMALL_PT, color="#555555")


def _statokinesigrams(pages: _TestPages, data: TestReportData) -> None:
    import numpy as np

    from trainer.clinic.mctsib import CONDITION_WORDS
    from trainer.plots import BLUE, VERMILLION

    drawable = [p for p in data.panels if p.ellipse is not None]
    pages.heading("Statokinesigrams: COP path and 95 % prediction ellipse")
    if not drawable:
        pages.para("No condition has samples to draw.")
        return
    n = len(drawable)
    cols = 1 if n == 1 else 2
    rows = math.ceil(n / cols)
    caption_in = 0.6
    room = pages.y - (MARGIN_IN + 0.5) - caption_in - 0.4
    panel_in = min(3.35 if n > 1 else 4.2, room / rows - GAP_IN)
    if panel_in < 2.4:  # too little room left on this page: a new one
        pages.new_page()
        room = pages.y - (MARGIN_IN + 0.5) - caption_in - 0.4
        panel_in = min(3.35 if n > 1 else 4.2, room / rows - GAP_IN)
    fig = pages.fig
    # One scale for every panel, each centred on its own mean COP: the spread compares across conditions.
    half = max(float(np.max(np.abs(np.concatenate((p.x_mm, p.ellipse[0])) - np.mean(p.x_mm))))
               for p in drawable)
    half = max(half, max(float(np.max(np.abs(np.concatenate((p.y_mm, p.ellipse[1])) - np.mean(p.y_mm))))
                         for p in drawable))
    half = max(1.0, 1.08 * half)  # every path and ellipse inside its panel
    width_in = A4_IN[0] - 2 * MARGIN_IN
    top = pages.y - 0.4
    drawn = []
    for i, panel in enumerate(drawable):
        r, c = divmod(i, cols)
        left_in = MARGIN_IN + 0.55 + c * (width_in / cols)
        bottom_in = top - (r + 1) * (panel_in + GAP_IN) + GAP_IN
        size = min(panel_in, width_in / cols - 0.75)
        ax = fig.add_axes((left_in / A4_IN[0], bottom_in / A4_IN[1], size / A4_IN[0], size / A4_IN[1]))
        cx, cy = float(np.mean(panel.x_mm)), float(np.mean(panel.y_mm))
        ax.plot(panel.x_mm, panel.y_mm, color=BLUE, linewidth=0.6, alpha=0.85)
        ex, ey = panel.ellipse
        ax.plot(np.append(ex, ex[0]), np.append(ey, ey[0]), color=VERMILLION, linewidth=1.8, linestyle="--")
        ax.set_xlim(cx - half, cx + half)
        ax.set_ylim(cy - half, cy + half)
        ax.set_aspect("equal", adjustable="box")
        ax.grid(True, color="#dddddd", linewidth=0.6)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("left - right (mm)", fontsize=7.5)
        ax.set_ylabel("back - front (mm)", fontsize=7.5)
        result = data.scores["conditions"].get(panel.condition, {})
        ax.set_title(f"{panel.condition}: {CONDITION_WORDS.get(panel.condition, '')}\n"
                     f"held {result.get('held_s', 0):.1f} of {result.get('trial_s', 0):g} s, ellipse "
                     f"{panel.ellipse_area_cm2:.3g} cm²", fontsize=8, loc="left")
        drawn.append({"condition": panel.condition, "points": len(panel.x_mm), "ellipse_area_cm2":
                      panel.ellipse_area_cm2, "half_range_mm": half})
    data.drawn["statokinesigrams"] = drawn
    pages.y = top - rows * (panel_in + GAP_IN) - 0.1
    pages.para(f"Blue: the COP path of the attempt the results are from; dashed: its 95 % prediction ellipse. Every "
               f"panel has the same scale ({2 * half:.0f} mm across), centred on that condition's mean COP.",
               SMALL_PT)
    missing = [p.condition for p in data.panels if p.ellipse is None]
    if missing:
        pages.para(f"Not drawn (too few samples): {', '.join(missing)}", SMALL_PT)


def _attempts_text(result: dict) -> str:
    parts = []
    for attempt in result.get("attempts", []):
        text = f"{attempt.get('held_s', 0):.1f} s"
        if attempt.get("stepped_at_s") is not None:
            text += " (step)"
        elif attempt.get("cause"):
            text += f" ({attempt['cause']})"
        parts.append(text)
    return ", ".join(parts) or "-"


def _why_no_percentile(reason: str) -> str:
    """with_norms' reason for giving no percentile, short enough for the table (the header says it in full)."""
    if reason.startswith("no age"):
        return "no percentile: no age"
    if "outside the BDS norms" in reason:
        return "no percentile: age outside the norms"
    return "no percentile" + (f": {reason[:40]}" if reason else "")


def _mctsib_results(pages: _TestPages, data: TestReportData) -> None:
    from trainer.clinic import norms as norms_table

    conditions = data.scores.get("conditions", {})
    pages.heading("Time held and attempts")
    pages.table(["condition", "held (s)", "of (s)", "completed", "attempts (time held)"],
                [[c, f"{r.get('held_s', 0):.1f}", f"{r.get('trial_s', 0):g}", "yes" if r.get("completed") else "NO",
                  _attempts_text(r)] for c, r in conditions.items()], size=SMALL_PT)
    pages.heading("Sway measures (bds2016) and normative percentiles")
    rows = []
    for condition, result in conditions.items():
        measures = result.get("measures", {}).get("bds2016", {})
        norm = result.get("norms", {})
        if "not_measured" in measures:
            rows.append([condition, "not measured", "", "", measures["not_measured"][:60]])
            continue
        for measure, (words, unit) in NORM_WORDS.items():
            value = measures.get(measure)
            found = norm.get(measure, {}) if isinstance(norm, dict) else {}
            if "position" in found:
                where = f"{found['position']} ({found['age_group']}, n {found['n_people']})"
                band = "OUTSIDE 5th-95th" if found["outside_5_95"] else "within 5th-95th"
            else:
                where, band = _why_no_percentile(found.get("not_given") or norm.get("not_given") or ""), ""
            rows.append([condition, words, f"{_fmt(value)} {unit}", where, band])
    pages.table(["condition", "measure", "value", "percentile (age group, n people)", "5th-95th"], rows,
                size=SMALL_PT)
    directions = [f"{NORM_WORDS[m][0]}: a high percentile is more sway" for m in NORM_WORDS
                  if norms_table.higher_is_worse(m)]
    pages.para("Reading: " + "; ".join(directions) + "; the mean frequency has no better or worse direction on "
               "its own. A low percentile of area or velocity is not a problem to flag.", SMALL_PT)

    pages.heading("Ratios")
    ratios = {k: v for k, v in (data.scores.get("ratios") or {}).items()}
    shown = []
    for key, value in ratios.items():
        if value is None:
            continue
        name = next((words for prefix, words in RATIO_WORDS.items() if key.startswith(prefix + "_")), key)
        measure = key.split("_", 2)[-1]
        measure = next((m for m in NORM_WORDS if key.endswith(m)), measure)
        shown.append([name, NORM_WORDS.get(measure, (measure,))[0], f"{value:.3g}"])
    if shown:
        pages.table(["ratio", "of", "value"], shown, size=SMALL_PT)
        pages.para("Above 1: more sway without vision (Romberg) or on foam (foam/firm).", SMALL_PT)
    else:
        pages.para("No ratio: each needs both of its conditions completed in this test (this one has "
                   f"{', '.join(c for c, r in conditions.items() if r.get('completed')) or 'none'} completed).",
                   SMALL_PT)
    if data.scores.get("norms_caveat"):
        pages.heading("Caveat of the norms", size=BODY_PT + 1)
        pages.para(data.scores["norms_caveat"] + " (docs/clinic-norms.md)", SMALL_PT)


def _symmetry_results(pages: _TestPages, data: TestReportData) -> None:
    pages.heading("Weight-bearing symmetry: share of the load on each side")
    for condition, result in data.scores.get("conditions", {}).items():
        pages.line(f"{condition}: held {result.get('held_s', 0):.1f} of {result.get('trial_s', 0):g} s"
                   + ("" if result.get("completed") else " (not completed)"), fontweight="bold")
        rows = [[words, f"{result[key]:.1f} %" if key != "asymmetry_pct" else f"{result[key]:.1f} % points"]
                for key, words in SYMMETRY_ROWS if isinstance(result.get(key), (int, float))]
        if rows:
            pages.table(["side", "share of the load"], rows, size=SMALL_PT)
        else:
            pages.para("No shares: nobody stood on the board long enough.", SMALL_PT)
    pages.para("Left = the two left sensors, front = the two front ones, each over the whole trial; an even stance "
               "is 50 / 50 (docs/clinic.md, \"Weight-bearing symmetry\").", SMALL_PT)
    _generic_extras(pages, data)


def _generic_results(pages: _TestPages, data: TestReportData) -> None:
    """Any test, from its scores as they are: each group of items (its conditions, or e.g. directions) as a table of
    measures by item, then its other numbers, then its notes; a bar chart of the time held per leg where the
    conditions say which leg they are ("leg" and "held_s")."""
    pages.heading(f"Results of {data.test}")
    _per_leg_chart(pages, data)
    _los_polygon(pages, data)
    groups = [(key, value) for key, value in data.scores.items() if isinstance(value, dict) and value
              and all(isinstance(item, dict) for item in value.values())]
    for key, group in groups:
        if key != "conditions":
            pages.heading(key.replace("_", " ").capitalize(), size=BODY_PT + 1)
        _items_table(pages, group)
    if not groups:
        pages.para("No conditions in this test's results.", SMALL_PT)
    _generic_extras(pages, data, skip={key for key, _ in groups})


def _items_table(pages: _TestPages, group: dict) -> None:
    numbers = {item: numbers_of(result) for item, result in group.items()}
    names = list(dict.fromkeys(name for values in numbers.values() for name in values))
    if not names:
        pages.para("no numbers in these results", SMALL_PT)
        return
    items = list(group)
    for first in range(0, len(items), 5):  # at most five columns side by side
        chunk = items[first:first + 5]
        pages.table(["measure", *chunk], [[name, *(_fmt(numbers[item].get(name)) for item in chunk)]
                                          for name in names], size=SMALL_PT)
    for item, result in group.items():
        attempts = result.get("attempts")
        if isinstance(attempts, list) and attempts and all(isinstance(a, dict) and "held_s" in a for a in attempts):
            pages.para(f"{item} attempts (time held): {_attempts_text(result)}", SMALL_PT)
    words = {item: [f"{k}: {v}" for k, v in result.items() if isinstance(v, str) and k not in ("condition",)]
             for item, result in group.items()}
    for item, texts in words.items():
        if texts:
            pages.para(f"{item}: " + "; ".join(texts), SMALL_PT)


def _per_leg_chart(pages: _TestPages, data: TestReportData) -> None:
    """Time held per leg (the single-leg stance's conditions carry "leg" and "held_s"), one pair of bars per
    eyes condition, the trial's length dashed."""
    conditions = data.scores.get("conditions", {})
    legs = {c: r for c, r in conditions.items() if isinstance(r, dict) and r.get("leg") in ("left", "right")
            and isinstance(r.get("held_s"), (int, float))}
    if not legs:
        return
    from trainer.plots import BLUE, VERMILLION

    pages.heading("Time held per leg", size=BODY_PT + 1)
    height_in = 2.6
    if pages.y - height_in - 0.5 < MARGIN_IN + 0.5:
        pages.new_page()
    groups = list(dict.fromkeys(str(r.get("eyes", "")) for r in legs.values()))
    fig = pages.fig
    ax = fig.add_axes(((MARGIN_IN + 0.7) / A4_IN[0], (pages.y - height_in) / A4_IN[1], 4.6 / A4_IN[0],
                       (height_in - 0.2) / A4_IN[1]))
    bars = []
    for g, eyes in enumerate(groups):
        for offset, leg, colour, hatch in ((-0.2, "left", BLUE, ""), (0.2, "right", VERMILLION, "//")):
            found = [r for r in legs.values() if r.get("leg") == leg and str(r.get("eyes", "")) == eyes]
            if not found:
                continue
            held = float(found[0]["held_s"])
            ax.bar(g + offset, held, width=0.36, color=colour, hatch=hatch, edgecolor="black",
                   label=leg if g == 0 or leg not in [b["leg"] for b in bars] else None)
            ax.text(g + offset, held, f"{held:.1f} s", ha="center", va="bottom", fontsize=7.5)
            bars.append({"eyes": eyes, "leg": leg, "held_s": held})
            trial = found[0].get("trial_s")
            if isinstance(trial, (int, float)):
                ax.plot([g + offset - 0.19, g + offset + 0.19], [trial, trial], color="black", linestyle="--",
                        linewidth=1)
    ax.set_xticks(range(len(groups)), [f"eyes {e}" if e else "-" for e in groups], fontsize=8)
    ax.set_xlim(-0.8, len(groups) - 0.2)
    ax.set_ylabel("time held (s)", fontsize=8)
    ax.tick_params(labelsize=7.5)
    ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    ax.margins(y=0.15)
    data.drawn["per_leg"] = bars
    pages.y -= height_in + 0.4
    pages.para("Dashed: the trial's length (the most that can be held).", SMALL_PT)


def _points(value) -> list[tuple[float, float]] | None:
    """A list of (x, y) pairs of numbers (None stands for a missing point), else None."""
    if not isinstance(value, list) or len(value) < 3:
        return None
    points = []
    for point in value:
        if not isinstance(point, (list, tuple)) or len(point) != 2:
            return None
        try:
            points.append((float("nan") if point[0] is None else float(point[0]),
                           float("nan") if point[1] is None else float(point[1])))
        except (TypeError, ValueError):
            return None
    return points


def _los_polygon(pages: _TestPages, data: TestReportData) -> None:
    """The Limits of Stability polygon (trainer.clinic.los: the scores' "polygon_mm", each direction's maximal
    excursion around the centre) over the theoretical one ("theoretical_polygon_mm"), where the scores have them."""
    reached = _points(data.scores.get("polygon_mm"))
    if reached is None:
        return
    import numpy as np

    from trainer.plots import BLUE, GREY

    theory = _points(data.scores.get("theoretical_polygon_mm"))
    pages.heading("Limits of Stability: the polygon of maximal excursions", size=BODY_PT + 1)
    size_in = 4.0
    if pages.y - size_in - 0.6 < MARGIN_IN + 0.5:
        pages.new_page()
    ax = pages.fig.add_axes(((MARGIN_IN + 0.7) / A4_IN[0], (pages.y - size_in) / A4_IN[1], size_in / A4_IN[0],
                             (size_in - 0.1) / A4_IN[1]))
    drawn = {"reached": reached, "theoretical": theory}
    for points, style, colour, label in ((theory, "--", GREY, "theoretical limit"),
                                         (reached, "-o", BLUE, "maximal excursion")):
        if points is None:
            continue
        xs = [p[0] for p in points] + [points[0][0]]
        ys = [p[1] for p in points] + [points[0][1]]
        ax.plot(xs, ys, style, color=colour, label=label, linewidth=1.8, markersize=4)
    directions = data.scores.get("directions")
    if isinstance(directions, dict) and len(directions) == len(reached):
        for name, (x, y) in zip(directions, theory or reached):
            if math.isfinite(x) and math.isfinite(y):
                ax.annotate(str(name), (1.15 * x, 1.15 * y), ha="center", va="center", fontsize=8)
        drawn["labels"] = list(directions)
    ax.plot([0], [0], "+k")
    every = np.array([p for p in (theory or []) + reached if math.isfinite(p[0]) and math.isfinite(p[1])])
    reach = 1.3 * float(np.abs(every).max()) if len(every) else 1.0
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)
    ax.set_aspect("equal", adjustable="box")
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.tick_params(labelsize=7.5)
    ax.set_xlabel("left - right (mm)", fontsize=8)
    ax.set_ylabel("back - front (mm)", fontsize=8)
    ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    data.drawn["los_polygon"] = drawn
    pages.y -= size_in + 0.45
    missing = sum(not (math.isfinite(x) and math.isfinite(y)) for x, y in reached)
    pages.para("Around the upright centre (+); a missing point: a direction without data." if missing else
               "Around the upright centre (+).", SMALL_PT)


def _generic_extras(pages: _TestPages, data: TestReportData, skip=()) -> None:
    """The scores' other numbers (top level, or in a group of single values such as a test's differences), and its
    words (sources, notes) as they are."""
    numbers, notes = [], []
    for key, value in data.scores.items():
        if key in ("conditions", "ratios", "norms_caveat") or key in skip:
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            numbers.append([key, _fmt(float(value))])
        elif isinstance(value, str):
            notes.append(f"{key}: {value}")
        elif isinstance(value, dict):
            for sub, item in value.items():
                if isinstance(item, (int, float)) and not isinstance(item, bool):
                    numbers.append([f"{key}: {sub}", _fmt(float(item))])
                elif isinstance(item, str):
                    notes.append(f"{key}: {sub}: {item}")
                elif item is None:
                    numbers.append([f"{key}: {sub}", "-"])
    if numbers:
        pages.heading("Other results", size=BODY_PT + 1)
        pages.table(["measure", "value"], numbers, size=SMALL_PT)
    if notes:
        pages.heading("Notes and sources", size=BODY_PT + 1)
        for text in notes:
            pages.para("- " + text, SMALL_PT, indent="   ")


def _changes(pages: _TestPages, data: TestReportData) -> None:
    pages.heading(f"Change since the previous {data.test} test")
    conditions = list(data.scores.get("conditions", {}))
    if not conditions:
        pages.para("This test's results have no conditions to compare with an earlier test's: see the numbers "
                   "above and the earlier report.")
        return
    if not data.previous:
        pages.para(f"No earlier {data.test} test of {data.name} with "
                   + ("these conditions" if len(conditions) != 1 else f"the condition {conditions[0]}")
                   + " and the same trial length: this is the first, the baseline for the next.")
        return
    for condition, previous in data.previous.items():
        pages.line(f"{condition}: compared with session {previous['id']} of {_when(previous['started_utc'])}",
                   SMALL_PT, fontweight="bold")
    words = {**NORM_WORDS, **MEASURE_WORDS}
    rows = [[r["condition"], words.get(r["measure"], (r["measure"],))[0], _fmt(r["before"]), _fmt(r["now"]),
             f"{r['change']:+.3g} {'% points' if r['unit'] == '%' else r['unit']}".strip(), r["mdc"],
             r["flag"] or "-"] for r in data.changes]
    if rows:
        pages.table(["condition", "measure", "before", "now", "change", "MDC", "real change?"], rows, size=SMALL_PT)
    without = [c for c in conditions if c not in data.previous]
    if without:
        pages.para(f"No earlier test with the same trial length: {', '.join(without)}.", SMALL_PT)
    for source in dict.fromkeys(r["mdc_source"] for r in data.changes if r.get("mdc_source")):
        pages.para(f"MDC source: {source}", SMALL_PT)
    if any(r["mdc"] == "no MDC known" for r in data.changes):
        pages.para("No MDC known: no minimal detectable change of these measures is documented in balance-trainer "
                   "for this test, so none of their changes is called real; read the numbers as a trend, with the "
                   "board's accuracy and the day-to-day variation of a single trial in mind.", SMALL_PT)


# --- the command --------------------------------------------------------------------------------------------------
def command_test_report(args) -> int:
    """`report --user NAME --test SESSION --out FILE.pdf`: a bad path is found before anything is read or drawn,
    and the PDF is written atomically (no half-written file)."""
    import time

    from trainer.plots import writable_target
    from trainer.tracker_cli import _emit, _open

    started = time.perf_counter()
    target = writable_target(Path(args.out), ".pdf", "the test report")
    with _open(args) as store, store.transaction() as session:
        data = gather_test(session, args.user, args.test)
    pages = write_test_report(target, data)
    seconds = time.perf_counter() - started
    return _emit(args, {"user": args.user, "session": data.session_id, "test": data.test, "out": str(target),
                        "pages": pages, "previous": {c: p["id"] for c, p in data.previous.items()},
                        "seconds": round(seconds, 2)},
                 [f"wrote the {data.test} test report of '{args.user}' (session {data.session_id}) to {target}: "
                  f"{pages} pages ({seconds:.1f} s)"])
