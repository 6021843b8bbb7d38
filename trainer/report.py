"""The clinician's summary of one user as an A4 PDF (docs/program.md, "Pictures: progress plot and report").

Pages: the header (pseudonym, dates covered, generated time, today's phase), the baseline and latest check side by
side, the latest check's flags and the rules' messages; the trends (the progress figure); the recent rounds and
the clinic tests; the MDC values with their sources. Every page ends with the same footer: not a diagnosis.

Text stays text in the PDF (TrueType fonts embedded, `pdf.fonttype` 42), so it can be searched and copied.
matplotlib is imported inside the functions, with the non-interactive Agg backend.
"""
from __future__ import annotations

import datetime as _dt
import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from trainer.errors import BalanceTrainerError

A4_IN = (8.27, 11.69)
MARGIN_IN = 0.6
FOOTER = ("Made by balance-trainer from home measurements and game scores. It is not a diagnosis: read it "
          "with the person and their clinician.")
BODY_PT, SMALL_PT, HEADING_PT, TITLE_PT = 11, 9, 14, 18
LINE_IN = {BODY_PT: 0.2, SMALL_PT: 0.165, BODY_PT + 1: 0.23, HEADING_PT: 0.3, TITLE_PT: 0.36}
WRAP = {BODY_PT: 92, SMALL_PT: 106}  # characters per line that fit the A4 width at that size (sans serif)

# The check's fields as the report shows them: (label, how to read it from a Check, unit).
CHECK_ROWS = [
    ("Knee-to-wall left", lambda c: c.knee_to_wall_left_cm, "cm"),
    ("Knee-to-wall right", lambda c: c.knee_to_wall_right_cm, "cm"),
    ("Heel lifted (left / right)", lambda c: f"{_yes(c.heel_lift_left)} / {_yes(c.heel_lift_right)}", ""),
    ("Pain at rest", lambda c: c.pain_rest, "/10"),
    ("Pain during activity", lambda c: c.pain_activity, "/10"),
    ("Sharp pain this week", lambda c: _yes(c.pain_sharp), ""),
    ("Stiffness after sessions", lambda c: c.stiffness, "/10"),
    ("Swelling this week", lambda c: _yes(c.swelling), ""),
    ("Step length left", lambda c: c.step_left_cm, "cm"),
    ("Step length right", lambda c: c.step_right_cm, "cm"),
    ("Step symmetry index", lambda c: c.step_symmetry_pct, "% points"),
    ("Compensations seen", lambda c: ", ".join(c.compensations) or "none", ""),
    ("Balance score (single-leg time in zone)", lambda c: c.balance_zone_pct, "%"),
]


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _value(value, unit: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g} {unit}".strip() if unit else f"{value:.3g}"
    return f"{value} {unit}".strip()


@dataclass
class ReportData:
    name: str
    generated_utc: str
    today: _dt.date
    profile: object
    checks: list
    trends: list
    round_days: set
    phase_lines: list[str]
    flag_lines: list[str]
    rounds: list[dict]  # the most recent, oldest first
    round_count: int
    tests: list[dict]
    mdc_rows: list[tuple[str, str, str, str]]  # measure, better, MDC, source
    covered: tuple[_dt.date, _dt.date] | None = None
    extra: dict = field(default_factory=dict)


def _main_score(content: dict, game: str, scores: dict) -> str:
    spec = content.get("game_progress", {}).get(game)
    if isinstance(spec, dict) and spec["score"] in scores:
        names = [spec["score"]] + [k for k in scores if k != spec["score"]][:1]
    else:
        names = list(scores)[:2]
    parts = []
    for key in names:
        value = scores[key]
        parts.append(f"{key} {value:.3g}" if isinstance(value, float) else f"{key} {value}")
    return "; ".join(parts) or "-"


def gather(session, user, *, recent: int = 20, today: _dt.date | None = None) -> ReportData:
    """Everything the report shows, read in one transaction. Raises BalanceTrainerError when there is no data."""
    from trainer.program import flags, load_content, plan_for
    from trainer.program.progress import check_trends, game_trends
    from trainer.sessions_cli import round_scores, counting_days
    from trainer.store import records, sessions

    content = load_content()
    today = today or _dt.datetime.now(_dt.timezone.utc).date()
    checks = records.checks_of(session, user)
    rows = sessions.sessions_of(session, user)
    games = [r for r in rows if r.kind == "game"]
    if not checks and not games:
        raise BalanceTrainerError(f"'{user.name}' has no checks or rounds yet: nothing to report")
    scored = round_scores(session, user)
    try:
        trends = check_trends(checks, content) + game_trends(scored, content)
    except ValueError as error:
        raise BalanceTrainerError(str(error)) from None
    profile = records.profile_of(user)

    phase_lines, flag_lines = [], []
    if checks:
        try:
            plan = plan_for(profile, [c for c in checks if c.date <= today] or checks, max(today, checks[0].date),
                            content)
            phase_lines.append(f"{plan.phase} phase, week {plan.week_in_phase}" + (" - PAUSED" if plan.paused
                                                                                   else ""))
            if plan.reason:
                phase_lines.append(f"reason: {plan.reason}")
            flag_lines += [f"note: {note}" for note in plan.notes]
        except ValueError as error:
            phase_lines.append(f"no plan: {error}")
        for flag in flags(checks, content, profile.affected_side):
            what = " ".join(part for part in (flag.measure, flag.side) if part)
            numbers = ""
            if flag.value is not None:
                numbers = f" (value {flag.value:+.3g}" if flag.kind in ("improved", "stall") \
                    else f" (value {flag.value:.3g}"
                numbers += f", threshold {flag.threshold:g})" if flag.threshold is not None else ")"
            flag_lines.insert(0, f"{flag.kind}: {what}{numbers}" + (f" - {flag.detail}" if flag.detail else ""))
    else:
        phase_lines.append("no checks yet: do the baseline assessment (balance-trainer assess) for a plan")

    recent_rows = games[-recent:]
    rounds = [{"date": r.started_utc[:10], "game": r.name, "setup": r.setup or "-",
               "level": "-" if r.level is None else str(r.level),
               "scores": _main_score(content, r.name, json.loads(r.scores_json or "{}")),
               "valid": {True: "yes", False: "NO", None: "-"}[r.valid], "status": r.status} for r in recent_rows]
    tests = [{"date": r.started_utc[:10], "name": r.name, "status": r.status,
              "scores": _main_score(content, r.name, json.loads(r.scores_json or "{}"))}
             for r in rows if r.kind == "test"]

    mdc_rows = []
    for key, spec in content["measures"].items():
        mdc = "none known" if spec.get("mdc") is None else f"{spec['mdc']:g} {spec.get('unit', '')}".strip()
        mdc_rows.append((key, spec["better"], mdc, spec.get("source", "")))
    for game, spec in content.get("game_progress", {}).items():
        if isinstance(spec, dict):
            mdc = "none known" if spec.get("mdc") is None else f"{spec['mdc']:g}"
            mdc_rows.append((f"{game}: {spec['score']}", spec["better"], mdc, spec.get("source", "")))

    days = [c.date for c in checks] + [_dt.date.fromisoformat(r.started_utc[:10]) for r in games]
    return ReportData(name=user.name, generated_utc=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                      today=today, profile=profile, checks=checks, trends=trends,
                      round_days=counting_days(scored), phase_lines=phase_lines, flag_lines=flag_lines,
                      rounds=rounds, round_count=len(games), tests=tests, mdc_rows=mdc_rows,
                      covered=(min(days), max(days)))


class _Pages:
    """A4 pages filled from the top: headings, wrapped text and monospaced tables, a new page when one is full."""

    def __init__(self, pdf, data: ReportData):
        self.pdf, self.data, self.fig, self.count = pdf, data, None, 0

    def new_page(self):
        from matplotlib.figure import Figure

        self.finish()
        self.fig = Figure(figsize=A4_IN)
        self.count += 1
        self.y = A4_IN[1] - MARGIN_IN
        self.fig.text(1 - MARGIN_IN / A4_IN[0], 1 - 0.35 / A4_IN[1], f"{self.data.name} - page {self.count}",
                      ha="right", va="top", fontsize=SMALL_PT, color="#555555")
        return self.fig

    def finish(self):
        if self.fig is not None:
            self.fig.text(MARGIN_IN / A4_IN[0], 0.35 / A4_IN[1], "\n".join(textwrap.wrap(FOOTER, WRAP[SMALL_PT])),
                          ha="left", va="bottom", fontsize=SMALL_PT, style="italic", color="#333333")
            self.pdf.savefig(self.fig)
            self.fig = None

    def _room(self, inches: float):
        if self.fig is None or self.y - inches < MARGIN_IN + 0.5:
            self.new_page()

    def line(self, text: str, size: int = BODY_PT, **style):
        self._room(LINE_IN[size])
        self.fig.text(MARGIN_IN / A4_IN[0], self.y / A4_IN[1], text, ha="left", va="top", fontsize=size, **style)
        self.y -= LINE_IN[size]

    def heading(self, text: str, size: int = HEADING_PT):
        self._room(LINE_IN[size] + 4 * LINE_IN[BODY_PT])  # a heading is never alone at the bottom of a page
        self.y -= 0.12
        self.line(text, size, fontweight="bold")

    def para(self, text: str, size: int = BODY_PT, indent: str = "", **style):
        for i, part in enumerate(textwrap.wrap(text, WRAP[size] - len(indent)) or [""]):
            self.line((indent if i else "") + part, size, **style)

    def table(self, header: list[str], rows: list[list[str]], size: int = BODY_PT):
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

        def fmt(row):
            return "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip()

        self._room(3 * LINE_IN[size])
        self.line(fmt(header), size, family="monospace", fontweight="bold")
        for row in rows:
            if self.y - LINE_IN[size] < MARGIN_IN + 0.5:
                self.new_page()
                self.line(fmt(header), size, family="monospace", fontweight="bold")
            self.line(fmt(row), size, family="monospace")


class FirstPageAsPng:
    """A page sink (like PdfPages: `savefig(figure)`) that keeps only the first page, as a PNG: the README's
    pictures of the reports (docs/make_report_images.py, docs/make_test_report_image.py)."""

    def __init__(self, path: Path):
        self.path, self.pages = path, 0

    def savefig(self, figure) -> None:
        self.pages += 1
        if self.pages == 1:
            figure.savefig(self.path, dpi=100, metadata={"Software": None})


def write_pdf(path: Path, title: str, render, data) -> int:
    """Write render(pdf, data)'s pages as a PDF, atomically, text kept as text (pypdf reads it back); returns the
    number of pages. The program report and the test report (trainer.test_report) both write through this."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.backends.backend_pdf import PdfPages

    from trainer.plots import write_atomically

    pages_written = []

    def write(tmp):
        with matplotlib.rc_context({"pdf.fonttype": 42, "font.size": BODY_PT}), \
                PdfPages(tmp, metadata={"Title": title, "Creator": "balance-trainer"}) as pdf:
            pages_written.append(render(pdf, data))

    write_atomically(Path(path), write)
    return pages_written[0]


def write_report(path: Path, data: ReportData) -> int:
    """Write the PDF atomically; returns the number of pages."""
    return write_pdf(path, f"balance-trainer report: {data.name}", render_pages, data)


def render_pages(sink, data: ReportData) -> int:
    """Draw every page, handing each finished A4 figure to sink.savefig(figure); returns the page count.
    (The PDF's sink is matplotlib's PdfPages; docs/make_report_images.py passes one that writes PNGs.)"""
    pages = _Pages(sink, data)
    _summary(pages, data)
    _trends_page(pages, data)
    _rounds_and_sources(pages, data)
    pages.finish()
    return pages.count


def _summary(pages: _Pages, data: ReportData) -> None:
    pages.new_page()
    pages.line(f"Balance and ankle program: summary for {data.name}", TITLE_PT, fontweight="bold")
    first, last = data.covered
    profile = data.profile
    history = ", ".join(m.replace("_", " ") for m in profile.modifiers()) or "none recorded"
    pages.line(f"Pseudonym: {data.name}     Affected side: {profile.affected_side}     History: {history}")
    pages.line(f"Dates covered: {first:%Y-%m-%d} to {last:%Y-%m-%d}     Checks: {len(data.checks)}     "
               f"Rounds: {data.round_count}")
    pages.line(f"Generated: {data.generated_utc}")
    pages.line(f"Program today ({data.today:%Y-%m-%d}): {data.phase_lines[0]}", fontweight="bold")
    for text in data.phase_lines[1:]:
        pages.para(text, indent="    ")

    pages.heading("Baseline and latest check")
    if not data.checks:
        pages.para("No checks yet.")
    else:
        base, latest = data.checks[0], data.checks[-1]
        header = ["", f"baseline {base.date:%Y-%m-%d}", f"latest {latest.date:%Y-%m-%d}"]
        rows = [[label, _value(read(base), unit), _value(read(latest), unit)] for label, read, unit in CHECK_ROWS]
        if len(data.checks) == 1:
            header, rows = header[:2], [r[:2] for r in rows]
        pages.table(header, rows)
        pages.heading("Every check: knee-to-wall and pain", size=BODY_PT + 1)
        pages.table(["date", "KTW left (cm)", "KTW right (cm)", "pain activity (/10)", "stiffness (/10)"],
                    [[f"{c.date:%Y-%m-%d}", f"{c.knee_to_wall_left_cm:.3g}", f"{c.knee_to_wall_right_cm:.3g}",
                      f"{c.pain_activity:g}", f"{c.stiffness:g}"] for c in data.checks])

    pages.heading("Flags of the latest check and the rules' messages")
    if not data.flag_lines:
        pages.para("No flags and no messages." if data.checks else "No checks: no flags.")
    for text in data.flag_lines:
        pages.para("- " + text, indent="   ")

    pages.heading("Real changes over the weeks (change reaches the MDC)")
    real = [(t, p) for t in data.trends for p in t.points if p.flag]
    if not real:
        pages.para("No real change yet.")
    for trend, point in real:
        label = trend.measure + (f" {trend.side}" if trend.side else "")
        pages.para(f"- {point.date:%Y-%m-%d}  {label}: {point.flag} ({f'{point.value:.3g} {trend.unit}'.strip()})",
                   indent="   ")


def _trends_page(pages: _Pages, data: ReportData) -> None:
    from trainer.plots import progress_figure

    fig = pages.new_page()
    pages.line("Trends", HEADING_PT, fontweight="bold")
    if not data.trends and not data.round_days and not data.checks:
        pages.para("Nothing to draw: no checks and no scored, valid rounds yet.")
        return
    top = pages.y / A4_IN[1]
    sub = fig.add_subfigure(fig.add_gridspec(1, 1, left=MARGIN_IN / A4_IN[0] * 0.5, right=1 - MARGIN_IN / A4_IN[0] * 0.5,
                                             top=top, bottom=1.0 / A4_IN[1])[0, 0])
    progress_figure(data.name, data.trends, data.round_days, [c.date for c in data.checks], target=sub,
                    title=" ", fonts={"font.size": 8, "axes.titlesize": 8.5, "axes.labelsize": 8,
                                      "xtick.labelsize": 7, "ytick.labelsize": 7, "legend.fontsize": 7,
                                      "figure.titlesize": 8, "lines.markersize": 4})
    pages.y = MARGIN_IN + 0.5  # the page is full


def _rounds_and_sources(pages: _Pages, data: ReportData) -> None:
    pages.new_page()
    pages.heading(f"Recent rounds (the last {len(data.rounds)} of {data.round_count})")
    if data.rounds:
        pages.table(["date", "game", "set-up", "level", "main scores", "valid", "status"],
                    [[r["date"], r["game"], r["setup"], r["level"], r["scores"], r["valid"], r["status"]]
                     for r in data.rounds], size=SMALL_PT)
    else:
        pages.para("No rounds played yet.")

    pages.heading("Clinic tests")
    if data.tests:
        pages.table(["date", "test", "status", "scores"],
                    [[t["date"], t["name"], t["status"], t["scores"]] for t in data.tests], size=SMALL_PT)
    else:
        pages.para("None recorded. Clinic tests (stored as sessions of kind 'test') are not available yet; "
                   "they will be listed here.")

    pages.heading("Minimal detectable changes used, and their sources")
    for measure, better, mdc, source in data.mdc_rows:
        pages.line(f"{measure}: MDC {mdc} ({better} is better)", SMALL_PT, fontweight="bold")
        pages.para(source, SMALL_PT, indent="    ")
