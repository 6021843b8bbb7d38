"""Leaderboards that reward improvement and consistency, and badges (docs/leaderboards.md).

Pure: plain rows in, plain tables out; no database here (trainer.leaderboard_cli reads the rows from the store).

- Rounds that count: kind "game", status complete or imported, valid True, and the game's followed score
  (content.json "game_progress") present and finite. They are grouped per game, set-up and level.
- `by="improvement"`: this week's best as a percentage of the player's own baseline (the best of their first week
  in the group); above 100 % is better, for higher- and lower-is-better scores alike.
- `by="consistency"`: distinct UTC days with a counting round in the 28 days ending on the date, then the current
  streak.
- `by="best"`: personal bests; one table per level, so players at different levels are never ranked together.
- Only opted-in players are ranked, by their pseudonym. `me` always sees their own rank: an opted-out `me` is
  placed where they would be, visible only to them, without moving anybody else.
- Ties: equal values (as shown) share a rank ("1, 2, 2, 4") and are listed alphabetically by name.
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field

from trainer.program.progress import _week_start, check_trends
from trainer.program.rules import Check, real_changes

BY = ("improvement", "consistency", "best")
COUNTING_STATUSES = ("complete", "imported")
WINDOW_DAYS = 28
STREAK_BADGES = (3, 7, 14, 28)
TIE_RULE = "Ties: equal values share a rank (1, 2, 2, 4) and are listed alphabetically by name."
# Values are compared as they are shown: improvement to 0.1 %, scores to 0.01.
IMPROVEMENT_DIGITS = 1
SCORE_DIGITS = 2


@dataclass(frozen=True)
class Round:
    """One stored round, as the leaderboard needs it: whose, when (UTC date), what, and its scores."""

    player: str
    date: _dt.date
    game: str
    setup: str | None
    level: int | None
    scores: dict
    kind: str = "game"
    status: str = "complete"
    valid: bool | None = True


@dataclass(frozen=True)
class Badge:
    kind: str  # real_improvement | streak
    what: str  # "single-leg level 1", "knee-to-wall left", "7 days"
    label: str  # as shown beside the name


@dataclass
class Entry:
    name: str
    rank: int | None
    values: dict  # the board's numbers (improvement_pct, this_week_best, ...)
    badges: list[Badge] = field(default_factory=list)
    me: bool = False
    visible_only_to_you: bool = False  # `me`, opted out: computed as if they were in, shown to them only
    note: str = ""  # why an entry has no rank


@dataclass
class Board:
    by: str
    game: str
    setup: str | None
    level: int | None
    score: str
    better: str
    top: int = 10
    rows: list[Entry] = field(default_factory=list)  # ranked, top N (and `me` wherever they are)
    unranked: list[Entry] = field(default_factory=list)  # listed, with the reason they have no rank
    me_note: str = ""  # `me` played this group but has no rank on it (e.g. no round this week)

    @property
    def title(self) -> str:
        game = self.game + (f" {self.setup}" if self.setup else "")
        level = f"level {self.level}" if self.level is not None else "no level"
        return f"{game}, {level}"


def week_start(date: _dt.date) -> _dt.date:
    """The Monday of the date's week (weeks start on Monday, as in progress)."""
    return _week_start(date)


def followed_value(item: Round, content: dict) -> float | None:
    """The round's followed score when the round counts, else None."""
    spec = content.get("game_progress", {}).get(item.game)
    if not isinstance(spec, dict) or item.kind != "game" or item.status not in COUNTING_STATUSES \
            or item.valid is not True:
        return None
    value = (item.scores or {}).get(spec["score"])
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def counting(rounds, content: dict, date: _dt.date) -> list[tuple[Round, float]]:
    """The rounds that count, up to and including `date` (later rounds do not exist yet as of `date`)."""
    out = []
    for item in rounds:
        if item.date > date:
            continue
        value = followed_value(item, content)
        if value is not None:
            out.append((item, value))
    return out


def _better(a: float, b: float, better: str) -> bool:
    return a > b if better == "higher" else a < b


def _best(values, better: str) -> float:
    return max(values) if better == "higher" else min(values)


def competition_ranks(items: list[tuple[str, tuple]]) -> list[tuple[int, str, tuple]]:
    """(name, key) pairs, a larger key is better -> (rank, name, key), best first. Equal keys share a rank and the
    next rank skips ("1, 2, 2, 4"); equal keys are listed alphabetically by name."""
    ordered = sorted(items, key=lambda pair: (tuple(-k for k in pair[1]), pair[0].casefold(), pair[0]))
    out, rank = [], 0
    for position, (name, key) in enumerate(ordered, 1):
        if position == 1 or key != out[-1][2]:
            rank = position
        out.append((rank, name, key))
    return out


def rank_among(key: tuple, others: list[tuple]) -> int:
    """The rank `key` would have among `others` (standard competition ranking): 1 + how many are strictly better."""
    return 1 + sum(1 for other in others if other > key)


def streaks(days: set[_dt.date], date: _dt.date) -> tuple[int, int]:
    """(current, longest): the current streak is the run of consecutive days ending on `date`, or on the day before
    (today's round may not have been played yet); the longest is the longest run up to `date`."""
    days = {d for d in days if d <= date}
    current = 0
    day = date if date in days else date - _dt.timedelta(days=1)
    while day in days:
        current += 1
        day -= _dt.timedelta(days=1)
    longest, run, previous = 0, 0, None
    for day in sorted(days):
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        longest, previous = max(longest, run), day
    return current, longest


def badges_of(player_rounds: list[tuple[Round, float]], checks: list[Check], content: dict,
              date: _dt.date) -> list[Badge]:
    """A player's badges as of `date`: a real improvement (the weekly best of a followed score, or knee-to-wall in
    the checks, changed by at least its MDC: trainer.program.rules.real_changes) in each game/set-up/level or ankle
    where there was one; and the highest streak badge (3, 7, 14, 28 days) their longest streak reached."""
    specs = content.get("game_progress", {})
    weekly: dict[tuple, dict[_dt.date, float]] = {}
    for item, value in player_rounds:
        if item.date > date:
            continue
        better = specs[item.game]["better"]
        weeks = weekly.setdefault((item.game, item.setup or "", item.level), {})
        week = _week_start(item.date)
        if week not in weeks or _better(value, weeks[week], better):
            weeks[week] = value
    found: list[Badge] = []
    for (game, setup, level), weeks in sorted(weekly.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or 0)):
        spec = specs[game]
        flags = real_changes([v for _, v in sorted(weeks.items())], spec["better"], spec.get("mdc"))
        if any(flag == "improved" for flag, _ in flags):
            what = f"{game}{' ' + setup if setup else ''} level {level if level is not None else '-'}"
            found.append(Badge("real_improvement", what, f"improved {what}"))
    for trend in check_trends([c for c in checks if c.date <= date], content):
        if trend.measure == "knee_to_wall_cm" and any(p.flag == "improved" for p in trend.points):
            what = f"knee-to-wall {trend.side}"
            found.append(Badge("real_improvement", what, f"improved {what}"))
    _, longest = streaks({item.date for item, _ in player_rounds}, date)
    reached = [n for n in STREAK_BADGES if longest >= n]
    if reached:
        found.append(Badge("streak", f"{reached[-1]} days", f"{reached[-1]}-day streak"))
    return found


def _improvement(values: list[tuple[_dt.date, float]], better: str, week: _dt.date) -> tuple[dict | None, str]:
    """This week's best against the first week's best: (values, "") or (None, why not ranked) or (None, "") when
    the player has no round this week."""
    this_week = [v for d, v in values if _week_start(d) == week]
    if not this_week:
        return None, ""
    first_week = min(_week_start(d) for d, _ in values)
    baseline = _best([v for d, v in values if _week_start(d) == first_week], better)
    now = _best(this_week, better)
    data = {"improvement_pct": None, "this_week_best": now, "baseline": baseline, "baseline_week": first_week}
    if baseline < 0 or now < 0:
        return data, "a negative score has no percentage"
    top, bottom = (now, baseline) if better == "higher" else (baseline, now)
    if bottom == 0:
        if top == 0:  # 0 then 0: no change
            data["improvement_pct"] = 100.0
            return data, ""
        if better == "higher":  # from nothing: any score would be "infinitely" better, and a bad first week pays
            return data, "baseline 0: no percentage"
        data["perfect"] = True  # lower is better and this week is 0: a perfect round, above every percentage
        return data, ""
    data["improvement_pct"] = round(100.0 * top / bottom, IMPROVEMENT_DIGITS)
    return data, ""


def _key(by: str, data: dict, better: str) -> tuple:
    """The ranking key: larger is better."""
    if by == "improvement":
        return (math.inf,) if data.get("perfect") else (data["improvement_pct"],)
    if by == "consistency":
        return (data["days"], data["streak"])
    value = round(data["best"], SCORE_DIGITS)
    return (value,) if better == "higher" else (-value,)


def check_options(content: dict, *, by: str, game: str | None, level: int | None, top: int) -> None:
    """ValueError (one line) for an unknown --by or game, a level or --top below 1."""
    if by not in BY:
        raise ValueError(f"--by is one of {', '.join(BY)}, not {by!r}")
    games = [k for k, v in content.get("game_progress", {}).items() if isinstance(v, dict)]
    if game is not None and game not in games:
        raise ValueError(f"no leaderboard for game {game!r}: the games are {', '.join(games)}")
    if level is not None and (isinstance(level, bool) or not isinstance(level, int) or level < 1):
        raise ValueError(f"a level is a whole number from 1, not {level!r}")
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(f"--top is a whole number from 1, not {top!r}")


def leaderboards(rounds, opted_in: dict[str, bool], content: dict, *, by: str, date: _dt.date,
                 game: str | None = None, level: int | None = None, me: str | None = None, top: int = 10,
                 checks: dict[str, list[Check]] | None = None) -> list[Board]:
    """One board per game/set-up/level (filtered by `game` and `level`) with at least one ranked opted-in player,
    or `me`'s own rank or note. `opted_in` maps every known player to their opt-in; players missing from it are
    taken as opted out. `checks` (per player) give the knee-to-wall badges."""
    check_options(content, by=by, game=game, level=level, top=top)
    specs = content.get("game_progress", {})
    checks = checks or {}
    counted = counting(rounds, content, date)
    per_player: dict[str, list[tuple[Round, float]]] = {}
    groups: dict[tuple, dict[str, list[tuple[_dt.date, float]]]] = {}
    for item, value in counted:
        per_player.setdefault(item.player, []).append((item, value))
        if (game is not None and item.game != game) or (level is not None and item.level != level):
            continue
        groups.setdefault((item.game, item.setup or "", item.level), {}).setdefault(item.player, []).append(
            (item.date, value))
    badge_cache: dict[str, list[Badge]] = {}

    def badges(name: str) -> list[Badge]:
        if name not in badge_cache:
            found = badges_of(per_player.get(name, []), checks.get(name, []), content, date)
            # Knee-to-wall comes from the player's clinical checks: its badge is theirs to see, not everyone's.
            badge_cache[name] = found if name == me else [b for b in found if not b.what.startswith("knee-to-wall")]
        return badge_cache[name]

    week = _week_start(date)
    window_start = date - _dt.timedelta(days=WINDOW_DAYS - 1)
    boards = []
    for (game_name, setup, lvl) in sorted(groups, key=lambda k: (k[0], k[1], k[2] is None, k[2] or 0)):
        spec = specs[game_name]
        better = spec["better"]
        board = Board(by, game_name, setup or None, lvl, spec["score"], better, top)
        ranked: dict[str, tuple[dict, tuple]] = {}
        me_unranked = ""
        for name, values in groups[(game_name, setup, lvl)].items():
            if not opted_in.get(name) and name != me:
                continue  # never listed, never counted
            if by == "improvement":
                data, why = _improvement(values, better, week)
                if data is None:
                    me_unranked = "no counting round this week" if name == me else me_unranked
                    continue
                if why:
                    entry = Entry(name, None, data, badges(name), me=name == me,
                                  visible_only_to_you=name == me and not opted_in.get(name), note=why)
                    board.unranked.append(entry)
                    continue
            elif by == "consistency":
                days = {d for d, _ in values}
                in_window = {d for d in days if window_start <= d <= date}
                if not in_window:
                    me_unranked = f"no counting round in the {WINDOW_DAYS} days" if name == me else me_unranked
                    continue
                current, _ = streaks(days, date)
                data = {"days": len(in_window), "streak": current}
            else:
                data = {"best": _best([v for _, v in values], better)}
            ranked[name] = (data, _key(by, data, better))
        public = [(name, key) for name, (_, key) in ranked.items() if opted_in.get(name)]
        for rank, name, _ in competition_ranks(public):
            if rank <= top or name == me:
                board.rows.append(Entry(name, rank, ranked[name][0], badges(name), me=name == me))
        if me is not None and me in ranked and not opted_in.get(me):
            data, key = ranked[me]
            entry = Entry(me, rank_among(key, [k for _, k in public]), data, badges(me), me=True,
                          visible_only_to_you=True)
            # Where they would stand: after the public entries with a better value, or an equal value and a name
            # that sorts before theirs.
            index = sum(1 for row in board.rows if ranked[row.name][1] > key or (
                ranked[row.name][1] == key and (row.name.casefold(), row.name) < (me.casefold(), me)))
            board.rows.insert(index, entry)
        if me is not None and me not in ranked and not any(e.me for e in board.unranked) and me_unranked:
            board.me_note = me_unranked
        board.unranked.sort(key=lambda e: (e.name.casefold(), e.name))
        if board.rows or board.unranked or board.me_note:
            boards.append(board)
    return boards


def board_dict(board: Board) -> dict:
    def entry(e: Entry) -> dict:
        out = {"rank": e.rank, "name": e.name, **e.values,
               "badges": [{"kind": b.kind, "what": b.what, "label": b.label} for b in e.badges]}
        if e.me:
            out["me"] = True
        if e.visible_only_to_you:
            out["visible_only_to_you"] = True
        if e.note:
            out["note"] = e.note
        return out

    return {"game": board.game, "setup": board.setup, "level": board.level, "score": board.score,
            "better": board.better, "rows": [entry(e) for e in board.rows],
            "unranked": [entry(e) for e in board.unranked], "me_note": board.me_note or None}


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.{SCORE_DIGITS}f}".rstrip("0").rstrip(".")


def board_lines(board: Board) -> list[str]:
    lines = [f"{board.title} - by {board.by}, {board.score} ({board.better} is better)"]
    if board.by == "improvement":
        lines.append(f"  {'rank':>4}  {'player':16s} {'improvement':>11}  {'this week':>9}  baseline (week of)")
    elif board.by == "consistency":
        lines.append(f"  {'rank':>4}  {'player':16s} {'days/28':>7}  {'streak':>6}")
    else:
        lines.append(f"  {'rank':>4}  {'player':16s} {'best':>9}")
    for e in board.rows:
        if e.me and e.rank is not None and e.rank > board.top:
            lines.append("   ...")
        lines.append(_entry_line(board, e))
    for e in board.unranked:
        lines.append(_entry_line(board, e))
    if board.me_note:
        lines.append(f"  you: not ranked on this board ({board.me_note})")
    return lines


def entry_cells(board: Board, e: Entry) -> tuple[str, str, str, str]:
    """(rank, player, the board's value, its detail) as shown, by the command and by the app's screen."""
    rank = str(e.rank) if e.rank is not None else "-"
    v = e.values
    if board.by == "improvement":
        pct = "perfect" if v.get("perfect") else (f"{v['improvement_pct']:.1f} %" if v["improvement_pct"] is not None
                                                  else "-")
        return rank, e.name, pct, (f"{_number(v['this_week_best'])} this week, {_number(v['baseline'])} in the week "
                                   f"of {v['baseline_week'].isoformat()}")
    if board.by == "consistency":
        return rank, e.name, f"{v['days']} days", f"streak {v['streak']}"
    return rank, e.name, _number(v["best"]), ""


def _entry_line(board: Board, e: Entry) -> str:
    rank, name, value, detail = entry_cells(board, e)
    v = e.values
    if board.by == "improvement":
        text = (f"  {rank:>4}  {name:16s} {value:>11}  {_number(v['this_week_best']):>9}  "
                f"{_number(v['baseline'])} ({v['baseline_week'].isoformat()})")
    elif board.by == "consistency":
        text = f"  {rank:>4}  {name:16s} {v['days']:>7}  {v['streak']:>6}"
    else:
        text = f"  {rank:>4}  {name:16s} {value:>9}"
    text += "".join(f"  [{b.label}]" for b in e.badges)
    if e.me:
        text += "  <- you" + (" (opted out: visible only to you)" if e.visible_only_to_you else "")
    if e.note:
        text += f"  not ranked: {e.note}"
    return text
