"""The tracker's session commands (DESIGN.md B.3): session list|show, progress, export, import, rescore."""
from __future__ import annotations

import datetime as _dt
import json
import math
from pathlib import Path

from trainer.tracker_cli import _common, _emit, _open, _plain


def add_parsers(commands) -> None:
    session = commands.add_parser("session", help="stored game rounds and tests: list, show")
    actions = session.add_subparsers(dest="action", required=True, parser_class=type(session))
    listing = actions.add_parser("list", help="sessions, oldest first")
    listing.add_argument("--user", help="only this user's")
    listing.add_argument("--game", help="only this game's")
    _common(listing)
    show = actions.add_parser("show", help="one session: what was played, on which board, its scores")
    show.add_argument("id", help="the session's number (see 'session list') or its uid")
    _common(show)

    progress = commands.add_parser("progress", help="the trend of each measure, with real-change flags")
    progress.add_argument("--user", required=True)
    progress.add_argument("--plot", metavar="FILE.png",
                          help="also draw the trends, the MDC band and the days trained into this PNG")
    _common(progress)

    report = commands.add_parser("report", help="a clinician's summary of one user as a PDF")
    report.add_argument("--user", required=True)
    report.add_argument("--test", metavar="SESSION",
                        help="instead: the report of this clinical test session of the user (its number or uid)")
    report.add_argument("--out", required=True, metavar="FILE.pdf", help="the PDF to write (replaced if it exists)")
    report.add_argument("--rounds", type=int, default=20, help="how many recent rounds to list (default 20)")
    _common(report)

    export = commands.add_parser("export", help="everything about one user as CSV/JSON plus the raw recordings")
    export.add_argument("--user", required=True)
    export.add_argument("--out", required=True, help="a new (or empty) folder")
    _common(export)

    imports = commands.add_parser("import", help="a recording folder or an export into the database")
    imports.add_argument("path", help="a recording folder (samples.csv ...) or an export folder (export.json)")
    imports.add_argument("--user", help="a recording: whose it is (not needed when it was recorded for a "
                                        "session of this database); an export: import under this name")
    _common(imports)

    rescore = commands.add_parser("rescore", help="score stored rounds again from their raw samples")
    rescore.add_argument("--user", help="only this user's rounds")
    rescore.add_argument("--session", help="only this session")
    rescore.add_argument("--force", action="store_true",
                         help="also rounds whose score version is current (default: only older versions)")
    _common(rescore)


def _number(value) -> str:
    if isinstance(value, float):
        return "-" if not math.isfinite(value) else f"{value:.4g}"
    return str(value)


def command_session(args) -> int:
    from trainer.store import records, sessions

    with _open(args) as store, store.transaction() as session:
        if args.action == "list":
            user = records.get_user(session, args.user) if args.user else None
            rows = [sessions.session_dict(r) for r in sessions.sessions_of(session, user, name=args.game)]
            lines = [f"{r['id']:>5}  {r['started_utc'][:16]}  {r['user']:12s} {r['name']:11s} "
                     f"{r['setup'] or '':8s} level {r['level'] if r['level'] is not None else '-':>2}  "
                     f"{r['status']:9s} {'' if r['valid'] in (True, None) else 'not valid'}".rstrip()
                     for r in rows]
            return _emit(args, rows, lines or ["no sessions yet"])
        row = sessions.get_session(session, args.id)
        data = sessions.session_dict(row)
    lines = [f"{key:15s} {value}" for key, value in data.items() if key not in ("scores", "options")]
    lines.append("options         " + json.dumps(data["options"]))
    lines += [f"  {name:28s} {_number(value)}" for name, value in data["scores"].items()]
    return _emit(args, data, lines)


def round_scores(session, user):
    from trainer.program.progress import RoundScore
    from trainer.store import sessions

    rounds = []
    for row in sessions.sessions_of(session, user):
        if row.kind != "game" or row.status not in ("complete", "imported"):
            continue
        date = _dt.date.fromisoformat(row.started_utc[:10])
        rounds.append(RoundScore(date, row.name, row.setup, row.valid, json.loads(row.scores_json or "{}")))
    return rounds


def command_progress(args) -> int:
    from trainer.program import load_content
    from trainer.program.progress import check_trends, game_trends
    from trainer.store import records

    content = load_content()
    target = None
    if args.plot:  # a bad path is found before anything is read or drawn
        from trainer.plots import writable_target

        target = writable_target(Path(args.plot), ".png", "the progress plot")
    with _open(args) as store, store.transaction() as session:
        user = records.get_user(session, args.user)
        checks = records.checks_of(session, user)
        rounds = round_scores(session, user)
    try:
        trends = check_trends(checks, content) + game_trends(rounds, content)
    except ValueError as error:
        from trainer.errors import BalanceTrainerError

        raise BalanceTrainerError(str(error)) from None
    data = [{"measure": t.measure, "side": t.side, "unit": t.unit, "better": t.better, "mdc": t.mdc,
             "change": t.change, "per_week": t.per_week, "latest_flag": t.latest_flag,
             "points": [{"date": p.date, "value": p.value, "flag": p.flag} for p in t.points]} for t in trends]
    result, lines = {"user": args.user, "trends": data}, progress_lines(args.user, trends)
    if target is not None:
        from trainer.plots import save_progress_plot

        drawn = save_progress_plot(target, args.user, trends, counting_days(rounds), [c.date for c in checks])
        result["plot"] = {"path": str(target), "size_px": list(drawn.size_px), "lines": drawn.lines,
                          "mdc_bands": drawn.mdc_bands, "calendar": drawn.calendar}
        lines.append(f"wrote the plot to {target} ({len(drawn.lines)} lines, {drawn.size_px[0]} x "
                     f"{drawn.size_px[1]} px)")
    return _emit(args, result, lines)


def counting_days(rounds) -> set:
    """The days with a round that counts (finished or imported, and not marked not valid)."""
    return {r.date for r in rounds if r.valid is not False}


def command_report(args) -> int:
    import time

    if args.test is not None:
        from trainer.test_report import command_test_report

        return command_test_report(args)
    from trainer.plots import writable_target
    from trainer.report import gather, write_report
    from trainer.store import records

    started = time.perf_counter()
    if args.rounds < 1:
        from trainer.errors import BalanceTrainerError

        raise BalanceTrainerError(f"--rounds must be 1 or more, got {args.rounds}")
    target = writable_target(Path(args.out), ".pdf", "the report")
    with _open(args) as store, store.transaction() as session:
        user = records.get_user(session, args.user)
        data = gather(session, user, recent=args.rounds)
    pages = write_report(target, data)
    seconds = time.perf_counter() - started
    return _emit(args, {"user": args.user, "out": str(target), "pages": pages, "checks": len(data.checks),
                        "rounds": data.round_count, "seconds": round(seconds, 2)},
                 [f"wrote the report of '{args.user}' to {target}: {pages} pages, {len(data.checks)} checks, "
                  f"{data.round_count} rounds ({seconds:.1f} s)"])


def progress_lines(name: str, trends) -> list[str]:
    if not trends:
        return [f"'{name}' has no checks or scored rounds yet: nothing to show"]
    lines = [f"Progress of '{name}' (a change is real when it reaches the measure's MDC)"]
    for t in trends:
        label = t.measure + (f" {t.side}" if t.side else "")
        first, last = t.points[0], t.points[-1]
        line = f"  {label:34s} {first.value:7.4g} -> {last.value:7.4g} {t.unit:8s}"
        if t.change is not None:
            line += f" ({t.change:+.3g} over {len(t.points)} weeks)"
        real = [p for p in t.points if p.flag]
        if t.mdc is None:
            line += "  no MDC known: trend only"
        elif real:
            line += "  " + ", ".join(f"{p.flag} {p.date}" for p in real)
        else:
            line += f"  no real change (MDC {t.mdc:g})"
        lines.append(line)
    return lines


def command_export(args) -> int:
    from trainer.store.transfer import export_user

    with _open(args) as store, store.transaction() as session:
        counts = export_user(session, args.user, Path(args.out))
    return _emit(args, {**counts, "out": args.out},
                 [f"exported '{counts['user']}': {counts['checks']} checks, {counts['diary']} diary entries, "
                  f"{counts['sessions']} sessions with their recordings into {args.out}"])


def command_import(args) -> int:
    from trainer.store.transfer import import_path

    with _open(args) as store, store.transaction() as session:  # all or nothing
        result = import_path(session, Path(args.path), user_name=args.user)
    return _emit(args, _plain(result.__dict__),
                 [f"{result.action}: {result.what} of '{result.user}' - {result.detail}"])


def command_rescore(args) -> int:
    import os
    import sys

    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # stdout is ours (--json)
    from games.rescore import needs_rescore, rescore_session
    from trainer.store import records, sessions

    done = []
    with _open(args) as store:
        with store.transaction() as session:
            if args.session:
                rows = [sessions.get_session(session, args.session)]
            else:
                rows = sessions.sessions_of(session, records.get_user(session, args.user) if args.user else None)
            todo = [row.id for row in rows if needs_rescore(row, force=args.force)]
            skipped = len(rows) - len(todo)
        for i, session_id in enumerate(todo, 1):
            if not args.json:
                print(f"rescoring session {session_id} ({i}/{len(todo)})", file=sys.stderr, flush=True)
            with store.transaction() as session:  # one round at a time: other writers wait only that long
                done.append(rescore_session(session, sessions.get_session(session, session_id)))
    lines = [f"session {r.session_id} ({r.game}): {r.old_version or 'no version'} -> {r.new_version}; "
             + (f"changed: {', '.join(r.changed)}" if r.changed else "same scores") for r in done]
    lines.append(f"rescored {len(done)} session(s); {skipped} left as they were (current version, no scores, "
                 "or not a game)")
    data = {"rescored": [{"session": r.session_id, "game": r.game, "old_version": r.old_version,
                          "new_version": r.new_version, "changed": r.changed, "scores": r.new_scores,
                          "valid": r.valid} for r in done], "skipped": skipped}
    return _emit(args, data, lines)


COMMANDS = {"session": command_session, "progress": command_progress, "report": command_report,
            "export": command_export,
            "import": command_import, "rescore": command_rescore}
