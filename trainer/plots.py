"""The progress picture (docs/program.md, "Pictures: progress plot and report").

`progress_figure` draws, from the progress trends (trainer.program.progress) and the days trained:

- knee-to-wall left and right (cm) with the minimal-detectable-change band (baseline +- MDC) of each ankle and a
  marker at each real change (improved: up triangle, worse: down triangle);
- pain during activity, step symmetry and the check's balance score, each in its own panel;
- each game's followed score (the week's best valid round, per set-up), one panel each;
- an adherence calendar: the days with a counting round or a check, one column per week (GitHub style).

One line per trend, and `Drawn` records what was drawn (lines, MDC bands, calendar) so the tests can check it.
matplotlib is imported inside the functions, with the non-interactive Agg backend: other commands do not pay for
it at start-up, and no window is ever opened.
"""
from __future__ import annotations

import datetime as _dt
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from trainer.errors import BalanceTrainerError

# Okabe & Ito's colour-blind-safe palette; every series also has its own marker and line style.
BLUE, VERMILLION, ORANGE, SKY, GREEN, YELLOW, PURPLE, GREY = (
    "#0072B2", "#D55E00", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#CC79A7", "#999999")
SIDE_STYLE = {"left": (BLUE, "o", "-"), "right": (VERMILLION, "s", "--")}
SERIES = [(GREEN, "D", "-"), (PURPLE, "^", "-"), (ORANGE, "v", "-"), (SKY, "P", "-"), (BLUE, "X", "-.")]

FONT = {"font.size": 15, "axes.titlesize": 17, "axes.labelsize": 15, "xtick.labelsize": 13,
        "ytick.labelsize": 13, "legend.fontsize": 13, "figure.titlesize": 20, "pdf.fonttype": 42,
        "ps.fonttype": 42}
WIDTH_IN, PANEL_HEIGHT_IN, CALENDAR_HEIGHT_IN, DPI = 14.0, 4.0, 3.4, 100
CALENDAR_WEEKS = 12  # at most; at least MIN_CALENDAR_WEEKS
MIN_CALENDAR_WEEKS = 4

TITLES = {"knee_to_wall_cm": "Knee-to-wall distance", "pain_activity": "Pain during activity",
          "step_symmetry_pct": "Step-length symmetry (0 = symmetric)",
          "balance_zone_pct": "Balance score at the check"}
AXIS = {"knee_to_wall_cm": "distance (cm)", "pain_activity": "pain (0-10 points)",
        "step_symmetry_pct": "asymmetry (% points)", "balance_zone_pct": "single-leg time in zone (%)"}
GAME_AXIS = {"time_in_zone_pct": "time in zone (%)", "hits": "hits (count)", "tempo_error_pct": "tempo error (%)"}


@dataclass
class Drawn:
    """What the figure shows: one entry per line, per MDC band, and the calendar's days."""

    size_px: tuple[int, int]
    lines: list[dict] = field(default_factory=list)  # measure, side, label, points, panel
    mdc_bands: list[dict] = field(default_factory=list)  # measure, side, baseline, low, high
    real_changes: list[dict] = field(default_factory=list)  # measure, side, date, flag
    calendar: dict = field(default_factory=dict)  # first, last (Mondays/Sundays), round_days, check_days
    panels: list[str] = field(default_factory=list)


def _panels(trends) -> list[tuple[str, list]]:
    """Group the trends into panels: knee-to-wall (both sides), then each other trend alone, in order."""
    panels: list[tuple[str, list]] = []
    ktw = [t for t in trends if t.measure == "knee_to_wall_cm"]
    if ktw:
        panels.append(("knee_to_wall_cm", ktw))
    for t in trends:
        if t.measure != "knee_to_wall_cm":
            panels.append((t.measure + (f" ({t.side})" if t.side else ""), [t]))
    return panels


def _title_and_axis(trend) -> tuple[str, str]:
    if ":" in trend.measure:
        game, score = trend.measure.split(":", 1)
        setup = f" ({trend.side})" if trend.side else ""
        label = GAME_AXIS.get(score, f"{score} ({trend.unit})" if trend.unit else score)
        return f"Game {game}{setup}: {label.split(' (')[0]}", "week's best, " + label
    return TITLES.get(trend.measure, trend.measure), AXIS.get(trend.measure, trend.unit)


def _calendar_span(days: set[_dt.date]) -> tuple[_dt.date, _dt.date]:
    """Whole weeks (Monday..Sunday) up to the week of the last day trained: at most CALENDAR_WEEKS."""
    last = max(days)
    end = last + _dt.timedelta(days=6 - last.weekday())  # Sunday
    first_monday = min(days) - _dt.timedelta(days=min(days).weekday())
    weeks = (end - first_monday).days // 7 + 1
    weeks = max(MIN_CALENDAR_WEEKS, min(CALENDAR_WEEKS, weeks))
    return end - _dt.timedelta(days=7 * weeks - 1), end


def figure_size_px(n_panels: int, width_in: float = WIDTH_IN) -> tuple[int, int]:
    rows = math.ceil(n_panels / 2)
    return round(width_in * DPI), round((rows * PANEL_HEIGHT_IN + CALENDAR_HEIGHT_IN + 0.9) * DPI)


def progress_figure(name: str, trends, round_days=(), check_days=(), *, target=None, fonts: dict | None = None,
                    title: str | None = None):
    """The progress figure and what it drew. Raises BalanceTrainerError when there is nothing to draw.

    target: draw into this matplotlib (sub)figure (the report's page) instead of a new figure of our size;
    fonts: rc settings over FONT (smaller type for an A4 page)."""
    round_days, check_days = set(round_days), set(check_days)
    if not trends and not round_days and not check_days:
        raise BalanceTrainerError(f"'{name}' has no checks or counting rounds yet: nothing to plot")
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    panels = _panels(trends)
    width_px, height_px = figure_size_px(len(panels))
    drawn = Drawn(size_px=(width_px, height_px))
    with matplotlib.rc_context({**FONT, **(fonts or {})}):
        fig = target if target is not None else Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI,
                                                       layout="constrained")
        rows = math.ceil(len(panels) / 2)
        grid = fig.add_gridspec(rows + 1, 2, height_ratios=[PANEL_HEIGHT_IN] * rows + [CALENDAR_HEIGHT_IN])
        fig.suptitle(title or f"Progress of {name}", fontweight="bold")
        all_dates = [p.date for t in trends for p in t.points]
        # One time axis for every panel, a few days of margin (one check alone still gets a readable axis).
        span = (min(all_dates) - _dt.timedelta(days=3), max(all_dates) + _dt.timedelta(days=3)) if all_dates else None
        for i, (panel, group) in enumerate(panels):
            ax = fig.add_subplot(grid[i // 2, i % 2])
            drawn.panels.append(panel)
            heading, ylabel = _title_and_axis(group[0])
            ax.set_title(heading, loc="left")
            ax.set_ylabel(ylabel)
            ax.grid(True, color="#dddddd", linewidth=0.8)
            for j, trend in enumerate(group):
                color, marker, style = SIDE_STYLE.get(trend.side) if trend.measure == "knee_to_wall_cm" \
                    else SERIES[i % len(SERIES)]
                dates = [p.date for p in trend.points]
                values = [p.value for p in trend.points]
                label = trend.side if trend.measure == "knee_to_wall_cm" else (
                    "week's best round" if ":" in trend.measure else "at each check")
                ax.plot(dates, values, color=color, marker=marker, linestyle=style, linewidth=2.5, markersize=8,
                        label=label)
                drawn.lines.append({"measure": trend.measure, "side": trend.side, "label": label, "panel": panel,
                                    "points": len(values)})
                if trend.mdc is not None and trend.measure == "knee_to_wall_cm":
                    base = values[0]
                    ax.axhspan(base - trend.mdc, base + trend.mdc, color=color, alpha=0.13, linewidth=0)
                    drawn.mdc_bands.append({"measure": trend.measure, "side": trend.side, "baseline": base,
                                            "low": base - trend.mdc, "high": base + trend.mdc})
                for p in trend.points:
                    if p.flag:
                        ax.scatter([p.date], [p.value], s=260, marker="^" if p.flag == "improved" else "v",
                                   facecolor=color, edgecolor="black", linewidth=1.8, zorder=5)
                        drawn.real_changes.append({"measure": trend.measure, "side": trend.side, "date": p.date,
                                                   "flag": p.flag})
            handles = list(ax.get_legend_handles_labels()[0])
            if any(t.mdc is not None and t.measure == "knee_to_wall_cm" for t in group):
                handles.append(Patch(color=GREY, alpha=0.35, label=f"baseline \u00b1 MDC ({group[0].mdc:g} cm)"))
            if any(p.flag for t in group for p in t.points):
                handles.append(Line2D([], [], marker="^", linestyle="", markersize=12, markerfacecolor="white",
                                      markeredgecolor="black", label="real change"))
            if len(handles) > 1 or trend.measure == "knee_to_wall_cm":
                ax.legend(handles=handles, loc="best", framealpha=0.9)
            if group[0].measure == "pain_activity":
                ax.set_ylim(-0.3, 10.3)
            ax.set_xlim(*span)
            ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=5))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
        _calendar(fig.add_subplot(grid[rows, :]), round_days, check_days, drawn)
    return fig, drawn


def _calendar(ax, round_days: set, check_days: set, drawn: Drawn) -> None:
    from matplotlib.colors import ListedColormap

    if not round_days and not check_days:
        ax.set_axis_off()
        ax.set_title("Days trained: no rounds or checks yet", loc="left")
        return
    first, last = _calendar_span(round_days | check_days)
    weeks = (last - first).days // 7 + 1
    grid = [[0] * weeks for _ in range(7)]
    for n in range((last - first).days + 1):
        day = first + _dt.timedelta(days=n)
        grid[day.weekday()][n // 7] = (day in round_days) + 2 * (day in check_days)
    colours = ListedColormap(["#eeeeee", SKY, ORANGE, BLUE])  # none, round, check, both
    ax.imshow(grid, cmap=colours, vmin=-0.5, vmax=3.5, aspect="auto", interpolation="nearest")
    for n in range((last - first).days + 1):  # a dot too, not only a colour: readable without colour
        day = first + _dt.timedelta(days=n)
        if day in check_days:
            ax.text(n // 7, day.weekday(), "C", ha="center", va="center", fontweight="bold",
                    color="white" if day in round_days else "black")
    ax.set_yticks(range(7), ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    ax.set_xticks(range(weeks), [(first + _dt.timedelta(weeks=w)).strftime("%d %b") for w in range(weeks)],
                  rotation=0 if weeks <= 8 else 45, ha="center" if weeks <= 8 else "right")
    ax.set_xticks([w - 0.5 for w in range(weeks + 1)], minor=True)
    ax.set_yticks([d - 0.5 for d in range(8)], minor=True)
    ax.grid(which="minor", color="white", linewidth=2.5)
    ax.tick_params(which="minor", length=0)
    counted = {d for d in round_days | check_days if first <= d <= last}
    ax.set_title(f"Days trained: {weeks} weeks, {first:%d %b %Y} to {last:%d %b %Y}, {len(counted)} active "
                 + ("day" if len(counted) == 1 else "days"),
                 loc="left")
    ax.set_xlabel("week starting (Monday).  Light blue: a counting round;  orange with C: a check;  "
                  "dark blue: both;  grey: nothing")
    drawn.calendar = {"first": first, "last": last, "weeks": weeks,
                      "round_days": sorted(d for d in round_days if first <= d <= last),
                      "check_days": sorted(d for d in check_days if first <= d <= last)}


def writable_target(path: Path, suffix: str, what: str) -> Path:
    """The resolved target, or one clear error: wrong extension, missing folder, a folder, not writable."""
    path = Path(path)
    if path.suffix.lower() != suffix:
        raise BalanceTrainerError(f"{what} is written as {suffix[1:].upper()}: give a file name ending in {suffix}, "
                                  f"not '{path}'")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise BalanceTrainerError(f"cannot write {path}: the folder {folder} does not exist")
    if path.is_dir():
        raise BalanceTrainerError(f"cannot write {path}: it is a folder")
    if not os.access(folder, os.W_OK):
        raise BalanceTrainerError(f"cannot write {path}: the folder {folder} is not writable")
    return path


def write_atomically(path: Path, write) -> None:
    """Call write(temporary_path) in the target's folder, then move it into place: never a half-written file.

    The file is owner-only (0600, mkstemp's mode), as `export`'s files are: it holds a person's health data."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent or ".")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as error:
        raise BalanceTrainerError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_progress_plot(path, name: str, trends, round_days=(), check_days=()) -> Drawn:
    """Write the progress figure as a PNG (atomically) and return what it drew."""
    path = writable_target(Path(path), ".png", "the progress plot")
    fig, drawn = progress_figure(name, trends, round_days, check_days)
    write_atomically(path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None}))
    return drawn
