"""The command line: every wrong argument or file is one clear line on stderr and a non-zero exit."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from trainer.cli import main


def run_cli(*args, timeout=180):
    return subprocess.run([sys.executable, "-m", "trainer", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("args, message", [
    (["analyze"], "required: FILE"),
    (["analyze", "x.txt", "--profile", "nope"], "invalid choice: 'nope'"),
    (["analyze", "x.txt", "--start-s", "soon"], "'soon' is not a number of seconds"),
    (["analyze", "x.txt", "--start-s", "-3"], "zero or more"),
    (["record", "--board", "sim://", "--seconds", "1"], "required: --out"),
    (["fly"], "invalid choice: 'fly'"),
    ([], "required: command"),
])
def test_wrong_arguments_give_one_line(args, message, capsys):
    with pytest.raises(SystemExit) as stop:
        main(args)
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert len(err.strip().splitlines()) == 1 and message in err


def test_missing_and_corrupt_files_give_one_line_each_and_the_good_file_still_counts(tmp_path, shared_data):
    corrupt = tmp_path / "corrupt.txt"
    corrupt.write_text("Time[s]\tFx[N]\n0.01\tabc\n")
    good = shared_data / "bds" / "BDS00001.txt"
    run = run_cli("analyze", tmp_path / "missing.txt", corrupt, good, "--json")
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 2 and "missing.txt" in lines[0] and "corrupt.txt" in lines[1]
    assert "Traceback" not in run.stderr
    assert json.loads(run.stdout)["file"] == str(good)


def test_window_after_the_end_is_one_line(shared_data):
    run = run_cli("analyze", shared_data / "bds" / "BDS00001.txt", "--start-s", "100", "--end-s", "200")
    assert run.returncode == 1 and "no samples between" in run.stderr and "Traceback" not in run.stderr


def test_end_before_start_is_refused(shared_data, capsys):
    assert main(["analyze", str(shared_data / "bds" / "BDS00001.txt"), "--start-s", "5", "--end-s", "2"]) == 1
    assert "must be after --start-s" in capsys.readouterr().err


def test_bad_board_url_is_one_line(tmp_path):
    run = run_cli("record", "--board", "warp://", "--seconds", "1", "--out", tmp_path / "r")
    assert run.returncode == 1 and run.stderr.count("\n") == 1 and "unknown board type" in run.stderr


def test_default_profile_on_the_irregular_wii_recording(shared_data):
    run = run_cli("analyze", shared_data / "wii_balance_board_recording.txt", "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    measures = result["measures"]
    # The person holds lateral weight shifts of about ±12 cm: the ML range must show them, the AP range not.
    assert 180 < measures["range_ml_mm"] < 320 and measures["range_ap_mm"] < measures["range_ml_mm"] / 2
    assert 30 < result["fs_hz"] < 50


def test_boards_explains_what_was_looked_for():
    run = run_cli("boards")
    assert run.returncode == 0
    assert "wiiboard://" in run.stdout and "serial://" in run.stdout and "auto would use" in run.stdout


def test_play_without_a_screen_is_one_line():
    import os

    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["SDL_VIDEODRIVER"] = "x11"  # no X server here: the window cannot open
    run = subprocess.run([sys.executable, "-m", "trainer", "play", "--board", "sim://", "--seconds", "1"],
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "cannot open a window" in run.stderr.strip().splitlines()[-1]


def test_play_with_a_bad_board_is_one_line():
    run = run_cli("play", "--board", "replay:///no/such/file.txt", "--seconds", "1")
    assert run.returncode == 1 and "Traceback" not in run.stderr and "no/such/file.txt" in run.stderr


def test_play_headless_runs_and_saves_a_screenshot(tmp_path):
    shot = tmp_path / "shot.png"
    run = run_cli("play", "--board", "sim://?seed=2", "--seconds", "1", "--screenshot", shot)
    assert run.returncode == 0, run.stderr
    assert shot.stat().st_size > 10_000


def test_long_batches_show_progress_on_a_terminal_and_keep_stdout_clean(shared_data):
    import os
    import pty

    files = [shared_data / "bds" / f"BDS{i:05d}.txt" for i in range(1, 13)]
    controller, terminal = pty.openpty()  # stderr is a real terminal, as for a person at the keyboard
    try:
        run = subprocess.run([sys.executable, "-m", "trainer", "analyze", *map(str, files), "--json", "--jobs", "1"],
                             stdout=subprocess.PIPE, stderr=terminal, text=True, timeout=180)
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal is closed once everything is read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(controller)
    assert run.returncode == 0
    assert b"analyzed 12/12 files" in shown and b"analyzed 1/12 files" in shown
    assert len(run.stdout.strip().splitlines()) == 12  # one JSON object per file, nothing else


@pytest.mark.parametrize("url, message", [
    ("serial:///dev/no-such-plate", "no such serial port"),
    ("evdev:///dev/input/event-none", "does not exist"),
    ("wiiboard://", "wiiboard://"),
    ("mouse://?weight_kg=heavy", "'weight_kg' must be a number"),
])
@pytest.mark.parametrize("command", ["play", "record"])
def test_a_board_that_is_not_there_is_one_line_for_play_and_record(command, url, message, tmp_path):
    extra = ["--seconds", "1"] + (["--out", str(tmp_path / "r")] if command == "record" else [])
    run = run_cli(command, "--board", url, *extra)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_json_never_holds_a_bare_nan():
    from trainer.cli import _json_line

    assert _json_line({"a": float("nan"), "b": [1.0, float("inf")], "c": 2.5}) == '{"a": null, "b": [1.0, null], "c": 2.5}'
