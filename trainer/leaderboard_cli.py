"""The tracker's leaderboard command (docs/leaderboards.md): reads plain rows from the store, ranks them with the
pure trainer.leaderboard, prints a table per game/set-up/level or one JSON value."""
from __future__ import annotations

import datetime as _dt
import json

from trainer.errors import BalanceTrainerError
from trainer.tracker_cli import _common, _date, _emit, _open, _whole


def add_parsers(commands) -> None:
    board = commands.add_parser("leaderboard", help="opted-in players ranked by improvement, consistency or best, "
                                                    "per game, set-up and level")
    board.add_argument("--game", help="only this game (foot-taps, single-leg, step-down)")
    board.add_argument("--level", type=_whole, help="only this level (best: one table per level without it)")
    board.add_argument("--by", choices=("improvement", "consistency", "best"), default="improvement",
                       help="improvement (default): this week's best against your first week; consistency: days "
                            "trained in the last 28, then the current streak; best: personal bests")
    board.add_argument("--user", help="me: always show this player's own rank (even opted out: to them only)")
    board.add_argument("--date", type=_date, help="YYYY-MM-DD: the leaderboard as of this day (default: today, UTC)")
    board.add_argument("--top", type=_whole, default=10, help="how many ranks to list (default 10)")
    _common(board)


def _utc_date(started_utc: str) -> _dt.date:
    try:
        when = _dt.datetime.fromisoformat(started_utc)
    except ValueError:
        return _dt.date.fromisoformat(started_utc[:10])
    if when.tzinfo is not None:
        when = when.astimezone(_dt.timezone.utc)
    return when.date()


def read_rows(session) -> tuple[list, dict[str, bool]]:
    """Every game round (as trainer.leaderboard.Round) and every player's opt-in, from the store."""
    from sqlalchemy import select

    from trainer.leaderboard import Round
    from trainer.store.models import SessionRow, User

    opted_in = {name: bool(flag) for name, flag in session.execute(select(User.name, User.leaderboard))}
    query = (select(User.name, SessionRow.kind, SessionRow.name, SessionRow.setup, SessionRow.level,
                    SessionRow.started_utc, SessionRow.status, SessionRow.valid, SessionRow.scores_json)
             .join(User, SessionRow.user_id == User.id).where(SessionRow.kind == "game")
             .order_by(SessionRow.started_utc, SessionRow.id))
    rounds = []
    for player, kind, game, setup, level, started, status, valid, scores in session.execute(query):
        try:
            scores = json.loads(scores or "{}")
        except ValueError:
            continue  # a damaged scores field: the round does not count
        rounds.append(Round(player, _utc_date(started), game, setup, level, scores if isinstance(scores, dict)
                            else {}, kind=kind, status=status, valid=valid))
    return rounds, opted_in


def boards_from(session, content: dict, *, by: str, date: _dt.date, game: str | None = None,
                level: int | None = None, me: str | None = None, top: int = 10) -> list:
    """The leaderboards of the database's opted-in players (and `me`), as the command and the app's screen show
    them. Raises BalanceTrainerError for options the leaderboard refuses."""
    from trainer import leaderboard
    from trainer.store import records

    rounds, opted_in = read_rows(session)
    players = {name for name, flag in opted_in.items() if flag} | ({me} if me else set())
    checks = {user.name: records.checks_of(session, user, up_to=date)
              for user in records.list_users(session) if user.name in players}
    try:
        return leaderboard.leaderboards(rounds, opted_in, content, by=by, date=date, game=game, level=level, me=me,
                                        top=top, checks=checks)
    except ValueError as error:
        raise BalanceTrainerError(str(error)) from None


def command_leaderboard(args) -> int:
    from trainer import leaderboard
    from trainer.program import load_content
    from trainer.store import records

    content = load_content()
    date = args.date or _dt.datetime.now(_dt.timezone.utc).date()
    try:  # checked before the database is opened
        leaderboard.check_options(content, by=args.by, game=args.game, level=args.level, top=args.top)
    except ValueError as error:
        raise BalanceTrainerError(str(error)) from None
    with _open(args) as store, store.transaction() as session:
        me = records.get_user(session, args.user).name if args.user else None
        boards = boards_from(session, content, by=args.by, date=date, game=args.game, level=args.level, me=me,
                             top=args.top)
    week = leaderboard.week_start(date)
    data = {"by": args.by, "date": date, "week_start": week, "window_start": date - _dt.timedelta(
                days=leaderboard.WINDOW_DAYS - 1),
            "game": args.game, "level": args.level, "me": me, "top": args.top, "tie_rule": leaderboard.TIE_RULE,
            "boards": [leaderboard.board_dict(b) for b in boards]}
    what = {"improvement": f"this week's best (week of {week}) against each player's first week",
            "consistency": f"days trained in the {leaderboard.WINDOW_DAYS} days to {date}, then the current streak",
            "best": "personal bests, players at the same level only"}[args.by]
    lines = [f"Leaderboard by {args.by} as of {date}: {what}. Opted-in players only, by pseudonym.",
             leaderboard.TIE_RULE]
    if not boards:
        lines.append("The leaderboard is empty: no opted-in player has a counting round"
                     + (f" of {args.game}" if args.game else "") + (f" at level {args.level}" if args.level else "")
                     + {"improvement": " this week", "consistency": f" in the {leaderboard.WINDOW_DAYS} days",
                        "best": ""}[args.by] + ".")
    for board in boards:
        lines.append("")
        lines += leaderboard.board_lines(board)
    return _emit(args, data, lines)


COMMANDS = {"leaderboard": command_leaderboard}
