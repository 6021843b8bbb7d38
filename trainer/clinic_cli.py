"""`balance-trainer test NAME --board URL --headless ...` (DESIGN.md B.3): a standardised clinical test, kept as a
session of kind "test" for the named patient (docs/clinic.md)."""
from __future__ import annotations

import argparse
import os
import sys

from trainer.arguments import positive_kg
from trainer.errors import BalanceTrainerError

ALL_TESTS = ("mctsib", "single-leg-stance", "los", "symmetry", "alternate-step", "step-test", "lateral-step-down")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"a trial lasts more than 0 s, not {text}")
    return value


def _height_cm(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a height in cm") from None
    return value  # the test that uses it checks its range (one line, as every wrong argument)


def _quality(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a quality score is a whole number from 0 to 6, not '{text}'") from None
    if not 0 <= value <= 6:
        raise argparse.ArgumentTypeError(f"a quality score is 0 to 6, not {text}")
    return value


def add_parsers(commands) -> None:
    test = commands.add_parser("test", help="a standardised clinical test (mCTSIB, symmetry ...)")
    test.add_argument("name", choices=ALL_TESTS)
    test.add_argument("--board", required=True, help="board URL")
    test.add_argument("--headless", action="store_true", help="no window: print the results")
    test.add_argument("--user", help="the patient (a tracker user: the test is kept as their session)")
    test.add_argument("--db", help="tracker database URL (default: BALANCE_TRAINER_DB, else the data folder's)")
    test.add_argument("--condition", help="mctsib: eo-firm|ec-firm|eo-foam|ec-foam (default: all four in turn)")
    test.add_argument("--leg", choices=("left", "right"),
                      help="single-leg-stance: that leg's conditions only (default: both legs)")
    test.add_argument("--eyes", choices=("open", "closed"),
                      help="single-leg-stance: those conditions only (default: eyes open, then closed)")
    test.add_argument("--trial-s", type=_seconds, help="trial length (mctsib: 30, the default, or 60; "
                                                       "single-leg-stance: 30, the default, or 45)")
    test.add_argument("--height-cm", type=_height_cm, help="los: the person's height (default: the patient's "
                                                           "profile)")
    test.add_argument("--quality-left", type=_quality, help="lateral-step-down: the clinician's 0-6 quality "
                                                           "score of the left side (default: not scored)")
    test.add_argument("--quality-right", type=_quality, help="lateral-step-down: the same for the right side")
    test.add_argument("--plot", metavar="FILE.png", help="los: draw the LOS polygon over the theoretical limits "
                                                          "to this picture (needs matplotlib)")
    test.add_argument("--weight-kg", type=positive_kg, help="body weight (default: weighed on the board)")
    test.add_argument("--age", type=int, help="age in years for the normative percentiles (default: the "
                                              "patient's year of birth)")
    test.add_argument("--out", help="write the test's recording folder here (default with --user: the data "
                                    "folder's tests/NAME/TIME)")
    test.add_argument("--json", action="store_true", help="the results as one JSON object")


def command_test(args) -> int:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # stdout carries the results only
    from games.headless import play_headless
    from games.registry import game_class
    from games.round import RoundOptions

    if args.plot and args.name != "los":
        raise BalanceTrainerError(f"--plot draws the LOS polygon: it applies to 'test los', not '{args.name}'")
    if not args.headless:
        raise BalanceTrainerError("the tests' screens come with 'balance-trainer play'; add --headless to run a "
                                  "test without a window")
    try:
        test_class = game_class(args.name, kind="test")
    except ValueError as error:
        raise BalanceTrainerError(str(error)) from None
    board_url = args.board
    if board_url.startswith("replay://") and "speed=" not in board_url:
        board_url += ("&" if "?" in board_url else "?") + "speed=max"  # as `game`: on the recording's own time
    setup = args.condition
    if setup is None and hasattr(test_class, "setup_for"):  # a test whose --leg/--eyes choose its conditions
        setup = test_class.setup_for(args.leg, args.eyes)
    height_cm = args.height_cm
    age = args.age
    out_folder = args.out
    if args.user:
        from trainer.cli import _check_user_exists

        _check_user_exists(args.db, args.user)
        age = age if age is not None else _age_of(args.db, args.user)
        if height_cm is None:
            height_cm = _height_of(args.db, args.user)
        if out_folder is None:
            from games.screens.history import new_round_folder
            from trainer.calibration import data_dir

            out_folder = new_round_folder(data_dir() / "tests", args.name)
    options = RoundOptions(setup=setup, leg=args.leg or "right", eyes=args.eyes or "open",
                           weight_kg=args.weight_kg, seconds=args.trial_s, height_cm=height_cm)
    if args.quality_left is not None or args.quality_right is not None:
        if not hasattr(test_class, "with_quality"):
            raise BalanceTrainerError(f"--quality-left/--quality-right are the lateral step-down's, not {args.name}'s")
        options = test_class.with_quality(options, args.quality_left, args.quality_right)
    if hasattr(test_class, "longest_s"):
        longest_s = test_class.longest_s(setup, args.trial_s)
    else:
        n_conditions = 1 if args.condition else len(test_class.conditions or (None,))
        longest_s = n_conditions * (args.trial_s or test_class.default_trial_s) * 3
    try:
        result = play_headless(args.name, board_url, options, out_folder=out_folder, user=args.user,
                               db_url=args.db, kind="test", max_seconds=longest_s)
    except ValueError as error:
        raise BalanceTrainerError(str(error)) from None
    from trainer.clinic.report_values import with_norms

    results = with_norms(args.name, result.scores, age, device_id=result.device_id)
    if args.plot:
        _plot_los(results, args.plot)
    data = {"test": args.name, "valid": result.valid, "age": age, "results": results,
            "session": result.session_id, "recording": str(result.recording) if result.recording else None,
            "database_error": result.database_error}
    from trainer.cli import _json_line

    if args.json:
        print(_json_line(data))
    else:
        from trainer.clinic.report_values import result_lines

        for line in result_lines(args.name, results, valid=result.valid):
            print(line)
        if result.session_id is not None:
            print(f"kept as session {result.session_id} of '{args.user}' (recording: {result.recording})")
    if result.database_error:
        print(f"balance-trainer test: the test is in {result.recording} but not in the database "
              f"({result.database_error}); 'balance-trainer import {result.recording}' adds it later", file=sys.stderr)
    return 0


def _age_of(db_url, name: str) -> int | None:
    import datetime as _dt

    from trainer.store import open_store
    from trainer.store.records import get_user

    with open_store(db_url) as store, store.transaction() as session:
        year = get_user(session, name).year_of_birth
    return _dt.date.today().year - year if year else None


def _plot_los(results: dict, path: str) -> None:
    from trainer.clinic.los import plot_los

    try:
        plot_los(results, path)
    except ImportError:
        raise BalanceTrainerError("--plot needs matplotlib (pip install matplotlib)") from None
    except OSError as error:
        raise BalanceTrainerError(f"cannot write the picture {path}: {error.strerror or error}") from None


def _height_of(db_url, name: str) -> float | None:
    from trainer.store import open_store
    from trainer.store.records import get_user

    with open_store(db_url) as store, store.transaction() as session:
        return get_user(session, name).height_cm


COMMANDS = {"test": command_test}
