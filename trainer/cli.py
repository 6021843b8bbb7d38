"""The command line (DESIGN.md B.3). Every user error ends as one line on stderr and a non-zero exit."""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

from trainer import __version__, clinic_cli, leaderboard_cli, sessions_cli, tracker_cli
from trainer.arguments import positive_kg
from trainer.errors import BalanceTrainerError

EXIT_USAGE = 2
EXIT_FAILED = 1


class OneLineParser(argparse.ArgumentParser):
    """argparse prints its usage block on errors; a user wants the one line that says what is wrong."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def _non_negative_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"seconds must be zero or more, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="balance-trainer", description="Balance training and testing on a board.")
    parser.add_argument("--version", action="version", version=f"balance-trainer {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    play = commands.add_parser("play", help="the trainer in a window: weighing, the games, the live view")
    play.add_argument("--board", default="auto", help="board URL (default: auto)")
    play.add_argument("--user", help="who is playing (a tracker user: their rounds are kept as sessions)")
    play.add_argument("--db", help="tracker database URL (default: BALANCE_TRAINER_DB, else the data folder's)")
    play.add_argument("--seconds", type=_non_negative_seconds, help="stop after this much game time")
    play.add_argument("--screenshot", help="save the last frame as this PNG file")

    analyze = commands.add_parser("analyze", help="posturography measures of recordings")
    analyze.add_argument("files", nargs="+", metavar="FILE")
    analyze.add_argument("--profile", default="default", choices=("default", "bds2016", "quijoux2021"))
    analyze.add_argument("--start-s", type=_non_negative_seconds, help="window start, seconds from the first sample")
    analyze.add_argument("--end-s", type=_non_negative_seconds, help="window end (exclusive)")
    analyze.add_argument("--json", action="store_true", help="one JSON object per file on stdout")
    analyze.add_argument("--jobs", type=int, default=None, help="processes to use (default: every core)")

    record = commands.add_parser("record", help="record a board to a folder")
    record.add_argument("--board", required=True, help="board URL")
    record.add_argument("--seconds", type=_non_negative_seconds, required=True)
    record.add_argument("--out", required=True, help="new folder to write the recording into")

    calibrate = commands.add_parser("calibrate", help="tare, per-corner gains and an accuracy check, step by step")
    calibrate.add_argument("--board", required=True, help="board URL")
    calibrate.add_argument("--mass-kg", type=positive_kg, default=10.0,
                           help="the known mass you will put on the marks (default 10 kg)")
    calibrate.add_argument("--check-only", action="store_true", help="only the accuracy check, keep the gains")

    game = commands.add_parser("game", help="one round of a game; --headless plays it without a window")
    game.add_argument("name", choices=("foot-taps", "single-leg", "step-down"))
    game.add_argument("--board", required=True, help="board URL")
    game.add_argument("--headless", action="store_true", help="no window: print the scores")
    game.add_argument("--seconds", type=_non_negative_seconds, help="round length (default: the game's)")
    game.add_argument("--setup", help="foot-taps: target|clock; step-down: step|landing")
    game.add_argument("--leg", choices=("left", "right"), default="right")
    game.add_argument("--level", type=int, default=1)
    game.add_argument("--eyes", choices=("open", "closed"), default="open")
    game.add_argument("--weight-kg", type=positive_kg, help="body weight (default: weighed on the board)")
    game.add_argument("--foam", action="store_true", help="standing on a foam pad")
    game.add_argument("--user", help="who is playing (a tracker user: the round is kept as their session)")
    game.add_argument("--db", help="tracker database URL (default: BALANCE_TRAINER_DB, else the data folder's)")
    game.add_argument("--out", help="write the round's recording folder (samples, events, scores) here "
                                    "(default with --user: the data folder's rounds/GAME/TIME)")
    game.add_argument("--json", action="store_true", help="the scores as one JSON object")

    commands.add_parser("boards", help="which boards are attached, and why not where none is")
    tracker_cli.add_parsers(commands)
    sessions_cli.add_parsers(commands)
    leaderboard_cli.add_parsers(commands)
    clinic_cli.add_parsers(commands)
    return parser


def _json_line(value) -> str:
    """JSON with NaN and infinities as null: other programs read this, and bare NaN is not JSON."""
    def clean(item):
        if isinstance(item, float) and not math.isfinite(item):
            return None
        if isinstance(item, dict):
            return {key: clean(inner) for key, inner in item.items()}
        if isinstance(item, (list, tuple)):
            return [clean(inner) for inner in item]
        return item

    return json.dumps(clean(value), allow_nan=False)


def _command_analyze(args) -> int:
    from trainer.analyze import analyze_files

    if args.start_s is not None and args.end_s is not None and args.end_s <= args.start_s:
        raise BalanceTrainerError(f"--end-s ({args.end_s:g}) must be after --start-s ({args.start_s:g})")
    failures = 0
    # Progress for long batches, only where a person watches (a terminal), and on stderr so JSON stays clean.
    show_progress = len(args.files) >= 10 and sys.stderr.isatty()
    for done, result in enumerate(analyze_files(args.files, args.profile, args.start_s, args.end_s,
                                                jobs=args.jobs), start=1):
        if show_progress:
            print(f"\ranalyzed {done}/{len(args.files)} files", end="" if done < len(args.files) else "\n",
                  file=sys.stderr, flush=True)
        if result.error:
            failures += 1
            print(f"balance-trainer analyze: {result.error}", file=sys.stderr)
        elif args.json:
            print(_json_line(result.as_json()), flush=True)
        else:
            print(f"{result.file} ({result.profile}, {result.n_samples} samples at {result.fs_hz:.4g} Hz)")
            for name, value in result.measures.items():
                print(f"  {name:40s} {value:.6g}")
    return EXIT_FAILED if failures else 0


def _resolve_board(url: str) -> tuple[str, str | None]:
    if url != "auto":
        return url, None
    from hardware.discovery import discover_boards, fallback_board_url

    discovery = discover_boards()
    if discovery.found:
        return discovery.found[0][0], None
    for line in discovery.tried:
        print(f"balance-trainer: {line}", file=sys.stderr)
    fallback, why = fallback_board_url()
    print(f"balance-trainer: {why} ({fallback})", file=sys.stderr)
    return fallback, why


def _command_play(args) -> int:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # pygame's banner is not ours to print
    from games.trainer_app import run_trainer_app
    from hardware.sources import open_source

    if args.user:
        _check_user_exists(args.db, args.user)  # before the window: an unknown player is one line, not a screen
    url, notice = _resolve_board(args.board)
    source = open_source(url)
    return run_trainer_app(source, user=args.user, notice=notice, seconds=args.seconds,
                           screenshot_path=args.screenshot, db_url=args.db)


def _check_user_exists(db_url: str | None, name: str) -> None:
    from trainer.store import open_store
    from trainer.store.records import get_user

    with open_store(db_url) as store, store.transaction() as session:
        get_user(session, name)


def _command_record(args) -> int:
    from trainer.record_command import record_board

    summary = record_board(args.board, args.seconds, args.out)
    counters = summary["counters"]
    print(f"recorded {counters['samples']} samples ({summary['duration_s']:.2f} s) into {args.out}")
    return 0


def _ask_at_the_keyboard(prompt: str) -> None:
    try:
        input(f"{prompt} ")
    except EOFError:
        raise BalanceTrainerError("calibrate needs someone at the keyboard to press Enter at each step") from None


def _command_calibrate(args) -> int:
    from hardware.sources import open_source
    from trainer.calibrate import calibrate_board

    source = open_source(args.board)
    try:
        calibration = calibrate_board(source, mass_kg=args.mass_kg, ask=_ask_at_the_keyboard,
                                      say=lambda line: print(line, flush=True), check_only=args.check_only)
    finally:
        source.close()
    accuracy = calibration.accuracy
    print(f"Saved for {calibration.device_id}: COP within {accuracy['cop_error_max_mm']:.1f} mm, "
          f"load within {accuracy['total_load_error_max_kg']:.2f} kg ({accuracy['date_utc']}).")
    return 0


def _command_game(args) -> int:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # stdout carries the JSON scores only
    from games.headless import play_headless
    from games.round import RoundOptions

    if not args.headless:
        raise BalanceTrainerError("the game window comes with 'balance-trainer play'; add --headless to play a "
                                  "round without a window")
    board_url = args.board
    if board_url.startswith("replay://") and "speed=" not in board_url:
        # B.3: a replay is played on the recording's own time, as fast as the machine allows.
        board_url += ("&" if "?" in board_url else "?") + "speed=max"
    options = RoundOptions(setup=args.setup, leg=args.leg, level=args.level, eyes=args.eyes,
                           weight_kg=args.weight_kg, seconds=args.seconds, foam=args.foam)
    out_folder = args.out
    if args.user:
        _check_user_exists(args.db, args.user)
        if out_folder is None:
            from games.screens.history import new_round_folder
            from trainer.calibration import data_dir

            out_folder = new_round_folder(data_dir() / "rounds", args.name)
    try:
        result = play_headless(args.name, board_url, options, out_folder=out_folder, user=args.user,
                               db_url=args.db)
    except ValueError as error:
        raise BalanceTrainerError(str(error)) from None
    if args.json:
        print(_json_line({"game": result.game, "setup": result.setup, "valid": result.valid,
                          "scores": result.scores, "session": result.session_id,
                          "recording": str(result.recording) if result.recording else None,
                          "database_error": result.database_error}))
    else:
        print(f"{result.game} ({result.setup or 'default set-up'}){'' if result.valid else ' - NOT VALID'}")
        for name, value in result.scores.items():
            print(f"  {name:28s} {value:.6g}" if isinstance(value, float) else f"  {name:28s} {value}")
        if result.session_id is not None:
            print(f"kept as session {result.session_id} of '{args.user}' (recording: {result.recording})")
    if result.database_error:
        print(f"balance-trainer game: the round is in {result.recording} but not in the database "
              f"({result.database_error}); 'balance-trainer import {result.recording}' adds it later",
              file=sys.stderr)
    return 0


def _command_boards(args) -> int:
    from hardware.discovery import discover_boards, fallback_board_url

    discovery = discover_boards()
    for url, description in discovery.found:
        print(f"found   {url}  {description}")
    for line in discovery.tried:
        print(f"not found  {line}")
    if not discovery.found:
        print(f"auto would use: {fallback_board_url()[0]}")
    _print_calibrations()
    return 0


def _print_calibrations() -> None:
    from trainer.calibration import CalibrationStore

    for calibration in CalibrationStore().all():
        accuracy = calibration.accuracy or {}
        checked = (f"checked {accuracy['date_utc'][:10]}: COP within {accuracy['cop_error_max_mm']:.1f} mm, "
                   f"load within {accuracy['total_load_error_max_kg']:.2f} kg") if accuracy else "never checked"
        print(f"calibration  {calibration.device_id}  from {calibration.created_utc[:10]}  {checked}")


COMMANDS = {"play": _command_play, "analyze": _command_analyze, "record": _command_record,
            "calibrate": _command_calibrate, "game": _command_game, "boards": _command_boards,
            **tracker_cli.COMMANDS, **sessions_cli.COMMANDS, **clinic_cli.COMMANDS,
            **leaderboard_cli.COMMANDS}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except BalanceTrainerError as error:
        print(f"balance-trainer {args.command}: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"balance-trainer {args.command}: stopped", file=sys.stderr)
        return 130
