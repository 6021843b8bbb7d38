"""Progress: the trend of each measure over the weeks, with "real change" flags (docs/program.md, "Progress").

A change is real when it reaches the measure's minimal detectable change (MDC, in content.json), measured from a
reference as the rules' `improved` flag does (trainer.program.rules.real_changes); a value worse than the
reference by at least the MDC is flagged `worse`. Measures with no known MDC show their trend with no flags.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

import numpy as np

from trainer.program.rules import Check, real_changes, sorted_checks


@dataclass(frozen=True)
class Point:
    date: _dt.date
    value: float
    flag: str | None = None  # improved | worse | None


@dataclass
class Trend:
    measure: str  # knee_to_wall_cm, step_symmetry_pct, ..., or "GAME:SCORE" for a game
    side: str  # left | right | "" ; for a game: its set-up
    unit: str
    better: str  # higher | lower
    mdc: float | None
    points: list[Point] = field(default_factory=list)

    @property
    def change(self) -> float | None:
        return self.points[-1].value - self.points[0].value if len(self.points) > 1 else None

    @property
    def per_week(self) -> float | None:
        """The least-squares slope, per 7 days (None with fewer than two dates)."""
        if len({p.date for p in self.points}) < 2:
            return None
        days = np.array([(p.date - self.points[0].date).days for p in self.points], dtype=float)
        values = np.array([p.value for p in self.points], dtype=float)
        return float(np.polyfit(days, values, 1)[0] * 7.0)

    @property
    def latest_flag(self) -> str | None:
        return self.points[-1].flag if self.points else None


def _trend(measure, side, spec, dated_values) -> Trend:
    dated_values = [(d, v) for d, v in dated_values if v is not None]
    changes = real_changes([v for _, v in dated_values], spec["better"], spec.get("mdc"))
    return Trend(measure, side, spec.get("unit", ""), spec["better"], spec.get("mdc"),
                 [Point(d, float(v), flag) for (d, v), (flag, _) in zip(dated_values, changes)])


def check_trends(checks: list[Check], content: dict) -> list[Trend]:
    """Knee-to-wall per ankle, step symmetry, pain during activity and the balance score, over the checks."""
    checks = sorted_checks(checks)
    measures = content["measures"]
    trends = [_trend("knee_to_wall_cm", side, measures["knee_to_wall_cm"],
                     [(c.date, c.knee_to_wall(side)) for c in checks]) for side in ("left", "right")]
    for name, read in (("step_symmetry_pct", lambda c: c.step_symmetry_pct),
                       ("pain_activity", lambda c: c.pain_activity),
                       ("balance_zone_pct", lambda c: c.balance_zone_pct)):
        trends.append(_trend(name, "", measures[name], [(c.date, read(c)) for c in checks]))
    return [t for t in trends if t.points]


@dataclass(frozen=True)
class RoundScore:
    """One stored round, as progress needs it."""

    date: _dt.date
    game: str
    setup: str | None
    valid: bool | None
    scores: dict


def _week_start(date: _dt.date) -> _dt.date:
    return date - _dt.timedelta(days=date.weekday())  # Monday


def game_trends(rounds: list[RoundScore], content: dict) -> list[Trend]:
    """Each game's followed score (content "game_progress"), the week's best valid round, per set-up."""
    specs = content.get("game_progress", {})
    best: dict[tuple[str, str], dict[_dt.date, float]] = {}
    for item in rounds:
        spec = specs.get(item.game)
        value = item.scores.get(spec["score"]) if isinstance(spec, dict) else None
        if not item.valid or not isinstance(value, (int, float)) or value != value:
            continue
        weeks = best.setdefault((item.game, item.setup or ""), {})
        week = _week_start(item.date)
        better = spec["better"] == "higher"
        if week not in weeks or (value > weeks[week] if better else value < weeks[week]):
            weeks[week] = float(value)
    trends = []
    for (game, setup), weeks in sorted(best.items()):
        spec = dict(specs[game])
        spec.setdefault("unit", "")
        trends.append(_trend(f"{game}:{spec['score']}", setup, spec, sorted(weeks.items())))
    return trends
