"""The tracker's commands (DESIGN.md B.3): user, assess, diary, plan. One transaction per command, validated first."""
from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import math
from pathlib import Path

from trainer.errors import BalanceTrainerError


def _date(text: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"'{text}' is not a finite number")
    return value


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database URL (default: BALANCE_TRAINER_DB, else tracker.db in the data folder)")
    parser.add_argument("--json", action="store_true", help="JSON on stdout")


def add_parsers(commands) -> None:
    user = commands.add_parser("user", help="tracker users: add, list, show, delete")
    actions = user.add_subparsers(dest="action", required=True, parser_class=type(user))
    add = actions.add_parser("add", help="a new user (a nickname, not a real name)")
    add.add_argument("name")
    add.add_argument("--year-of-birth", type=_whole)
    add.add_argument("--sex", choices=("female", "male", "other"))
    add.add_argument("--height-cm", type=_number)
    add.add_argument("--leg-length-cm", type=_number)
    add.add_argument("--affected-side", choices=("left", "right", "both"))
    add.add_argument("--prior-sprains", type=_whole, default=0)
    add.add_argument("--leaderboard", action=argparse.BooleanOptionalAction, default=False,
                     help="show this user on leaderboards (default: no)")
    _common(add)
    _common(actions.add_parser("list", help="every user"))
    for name, text in (("show", "one user, with their checks and diary count"),
                       ("delete", "a user and everything stored about them")):
        action = actions.add_parser(name, help=text)
        action.add_argument("name")
        _common(action)

    assess = commands.add_parser("assess", help="store a weekly check (the first is the baseline)")
    assess.add_argument("--user", required=True)
    assess.add_argument("--date", type=_date, help="YYYY-MM-DD (default: today)")
    for side in ("left", "right"):
        assess.add_argument(f"--knee-to-wall-{side}-cm", type=_number, required=True)
    assess.add_argument("--pain-rest", type=_number, default=0.0, help="0-10 (default 0)")
    assess.add_argument("--pain-activity", type=_number, default=0.0, help="0-10 (default 0)")
    assess.add_argument("--sharp-pain", action="store_true")
    assess.add_argument("--stiffness", type=_number, default=0.0, help="after sessions, 0-10 (default 0)")
    assess.add_argument("--swelling", action="store_true")
    for side in ("left", "right"):
        assess.add_argument(f"--step-{side}-cm", type=_number, required=True)
        assess.add_argument(f"--heel-lift-{side}", action="store_true", help="the heel lifted in knee-to-wall")
    assess.add_argument("--compensation", action="append", default=[],
                        help="seen while walking (repeatable): early-heel-rise, toe-walking, wide-base, "
                             "foot-turned-out")
    assess.add_argument("--balance-zone-pct", type=_number, help="single-leg game, the week's best time in zone")
    _common(assess)

    diary = commands.add_parser("diary", help="a user's diary: add, list")
    actions = diary.add_subparsers(dest="action", required=True, parser_class=type(diary))
    add = actions.add_parser("add", help="a diary entry")
    add.add_argument("--user", required=True)
    add.add_argument("--date", type=_date, help="YYYY-MM-DD (default: today)")
    add.add_argument("text")
    _common(add)
    listing = actions.add_parser("list", help="a user's diary entries, oldest first")
    listing.add_argument("--user", required=True)
    _common(listing)

    plan = commands.add_parser("plan", help="the day's plan from the user's profile and checks")
    plan.add_argument("--user", required=True)
    plan.add_argument("--date", type=_date, help="YYYY-MM-DD (default: today)")
    _common(plan)


def _open(args):
    from trainer.store import open_store

    return open_store(args.db)


def _plain(value):
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _emit(args, data, lines) -> int:
    from trainer.cli import _json_line

    if args.json:
        print(_json_line(_plain(data)))
    else:
        for line in lines:
            print(line)
    return 0


def command_user(args) -> int:
    from trainer.store import records

    with _open(args) as store, store.transaction() as session:
        if args.action == "add":
            user = records.add_user(session, args.name, year_of_birth=args.year_of_birth, sex=args.sex,
                                    height_cm=args.height_cm, leg_length_cm=args.leg_length_cm,
                                    affected_side=args.affected_side, prior_sprains=args.prior_sprains,
                                    leaderboard=args.leaderboard)
            data = records.user_dict(user)
            return _emit(args, data, [f"added user '{user.name}'"])
        if args.action == "list":
            users = [records.user_dict(u) for u in records.list_users(session)]
            return _emit(args, users, [u["name"] for u in users] or ["no users yet"])
        user = records.get_user(session, args.name)
        if args.action == "delete":
            folders = records.delete_user(session, args.name)
        else:
            data = records.user_dict(user)
            data["checks"] = [c.date for c in records.checks_of(session, user)]
            data["diary_entries"] = len(records.diary_of(session, user))
            data["sessions"] = len(user.sessions)
            return _emit(args, data, [f"{key:15s} {value}" for key, value in _plain(data).items()])
    removed, kept = remove_round_folders(folders)  # after the commit: the database is the record of what exists
    lines = [f"deleted user '{args.name}' and their checks, diary and sessions"]
    lines += [f"removed {len(removed)} recording folder(s) from the data folder"] if removed else []
    lines += [f"left in place (written outside the data folder with --out): {folder}" for folder in kept]
    return _emit(args, {"deleted": args.name, "removed_folders": removed, "kept_folders": kept}, lines)


def remove_round_folders(folders: list[str]) -> tuple[list[str], list[str]]:
    """Remove the recording folders that lie in the data folder's rounds/ (ours); others the user chose: kept."""
    import shutil

    from trainer.calibration import data_dir

    rounds = (data_dir() / "rounds").resolve()
    removed, kept = [], []
    for folder in folders:
        path = Path(folder)
        if not path.exists():
            continue
        if rounds in path.resolve().parents:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(folder)
        else:
            kept.append(folder)
    return removed, kept


def command_assess(args) -> int:
    from trainer.program import Check
    from trainer.store import records

    try:  # validated before the database is touched
        check = Check(args.date or _dt.date.today(), args.knee_to_wall_left_cm, args.knee_to_wall_right_cm,
                      args.pain_rest, args.pain_activity, args.stiffness, args.step_left_cm, args.step_right_cm,
                      pain_sharp=args.sharp_pain, swelling=args.swelling, heel_lift_left=args.heel_lift_left,
                      heel_lift_right=args.heel_lift_right, compensations=tuple(args.compensation),
                      balance_zone_pct=args.balance_zone_pct)
    except ValueError as error:
        raise BalanceTrainerError(str(error)) from None
    with _open(args) as store, store.transaction() as session:
        user = records.get_user(session, args.user)
        records.add_check(session, user, check)
    return _emit(args, {"user": args.user, "check": check}, [f"stored the check of {check.date} for '{args.user}'"])


def command_diary(args) -> int:
    from trainer.store import records

    with _open(args) as store, store.transaction() as session:
        user = records.get_user(session, args.user)
        if args.action == "add":
            entry = records.add_diary(session, user, args.date or _dt.date.today(), args.text)
            return _emit(args, {"user": user.name, "date": entry.date, "text": entry.text},
                         [f"added a diary entry for '{user.name}' on {entry.date}"])
        entries = [{"date": e.date, "text": e.text} for e in records.diary_of(session, user)]
        return _emit(args, entries, [f"{e['date']}  {e['text']}" for e in entries] or ["no diary entries yet"])


def command_plan(args) -> int:
    from trainer.program import load_content, plan_for
    from trainer.store import records

    date = args.date or _dt.date.today()
    with _open(args) as store, store.transaction() as session:
        user = records.get_user(session, args.user)
        profile, checks = records.profile_of(user), records.checks_of(session, user, up_to=date)
    try:
        plan = plan_for(profile, checks, date, load_content())
    except ValueError as error:
        raise BalanceTrainerError(str(error)) from None
    return _emit(args, plan, plan_lines(args.user, plan))


def plan_lines(name: str, plan) -> list[str]:
    lines = [f"Plan for '{name}' on {plan.date}: {plan.phase}, week {plan.week_in_phase}"
             + (" - PAUSED" if plan.paused else "")]
    if plan.reason:
        lines.append(f"  {plan.reason}")
    if not plan.paused:
        lines.append(f"  {plan.split}")
    for item in plan.items:
        dose = ", ".join(part for part in (
            f"{item.sets} sets" if item.sets else "", f"{item.reps} reps" if item.reps else "",
            f"hold {item.hold_s} s" if item.hold_s else "", f"{item.minutes:g} min" if item.minutes else "",
            f"game {item.game}" + (f" ({item.setup})" if item.setup else "") + (f" level {item.level}"
                                                                               if item.level else "")
            if item.game else "") if part)
        lines.append(f"  [{item.zone}] {item.name}: {dose}")
    lines += [f"  flag: {f.kind} {f.detail}".rstrip() for f in plan.flags]
    lines += [f"  note: {note}" for note in plan.notes]
    return lines


COMMANDS = {"user": command_user, "assess": command_assess, "diary": command_diary, "plan": command_plan}
