"""The stepping tests (docs/clinic.md): the Alternate Step Test and the Hill step test, run headless on crafted
recordings whose truth is known, through the round engine and the `test` command.

A crafted placement is the foot-taps tests' shape: the board's load ramps from 0 to its peak over 50 ms, holds,
and ramps back over 50 ms, with the COP on that foot's half of the board. With no noise, the onset (the load through
max(3 kg, 5 % of 70 kg) = 3.5 kg, interpolated between samples) is known exactly: the ramp is a straight line. The
recordings are written at 100 Hz (a Wii board's rate) and start at t = 0, so each side's go is at a known time.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from games.clinic.stepping_tests import LEAD_IN_S, SWITCH_S
from games.headless import play_headless
from games.round import RoundOptions
from hardware.samples import WII_BALANCE_BOARD, LoadSample
from hardware.sources import make_source
from trainer.cli import main
from trainer.clinic import stepping
from trainer.clinic.report_values import result_lines
from trainer.cop import cop_to_corners
from trainer.recorder import RecordingWriter
from trainer.store import open_store, records, sessions

RATE_HZ = 100.0
RISE_S, HOLD_S, FALL_S = 0.05, 0.20, 0.05
PEAK_KG = 20.0
ONSET_KG = 3.5  # tap_onset_kg(70 kg): the default weight of the target set-up
SIDE_X_MM = {"left": -120.0, "right": 120.0}
EXACT_S = 1e-5  # the recording keeps t to 1e-6 s and loads to 1e-4 kg: the onsets move by well under this


def onset_truth(start_s: float) -> float:
    return start_s + RISE_S * ONSET_KG / PEAK_KG


def release_truth(start_s: float) -> float:
    return start_s + RISE_S + HOLD_S + FALL_S * (1.0 - 0.5 * ONSET_KG / PEAK_KG)


@pytest.fixture(scope="module")
def geometry(tmp_path_factory):
    """The geometry a replayed folder reports: placements are put on it so that the replayed COP is the scripted
    one (as in tests/test_foot_taps.py)."""
    folder = tmp_path_factory.mktemp("probe")
    write_placements(folder, WII_BALANCE_BOARD, [], duration_s=0.1)
    source = make_source(f"replay://{folder}?speed=max")
    source.open()
    try:
        return source.geometry
    finally:
        source.close()


def write_placements(folder, geometry, placements, *, duration_s: float):
    """A recording of feet put on an empty board: `placements` = [(start_s, 'left'|'right'|'middle'), ...]."""
    t = np.arange(0.0, duration_s, 1.0 / RATE_HZ)
    total, x = np.zeros_like(t), np.zeros_like(t)
    for start, side in placements:
        up = np.clip((t - start) / RISE_S, 0.0, 1.0)
        down = np.clip((t - (start + RISE_S + HOLD_S)) / FALL_S, 0.0, 1.0)
        load = PEAK_KG * (up - down)
        total += load
        x[load > 0] = SIDE_X_MM.get(side, 0.0)
    corners = cop_to_corners(x, np.zeros_like(t), total, geometry)
    with RecordingWriter(folder, board_url="crafted://", board_identity="crafted steps", geometry=geometry) as w:
        w.add_samples([LoadSample(float(ti), *map(float, c)) for ti, c in zip(t, corners)])
    return folder


def run(capsys, *argv):
    """(exit code, stdout, stderr) of the command line; argparse's own refusals exit (SystemExit) with their code."""
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


# --- Alternate Step Test -------------------------------------------------------------------------------------------
def test_the_ast_time_runs_from_the_first_placement_to_the_eighth_exactly(tmp_path, geometry):
    # The right foot starts (either may); the fourth placement repeats the right foot: it does not count.
    sides = ["right", "left", "right", "right", "left", "right", "left", "right", "left", "right"]
    starts = [LEAD_IN_S + 0.63 + 0.71 * k + 0.013 * k * k for k in range(len(sides))]
    folder = write_placements(tmp_path / "ast", geometry, list(zip(starts, sides)), duration_s=20.0)
    result = play_headless("alternate-step", f"replay://{folder}?speed=max", RoundOptions(), kind="test",
                           out_folder=tmp_path / "out")
    outcome = result.scores["conditions"]["alternate"]
    counted = [s for k, s in enumerate(starts) if k != 3][:8]
    assert outcome["completed"] and outcome["placements"] == 8 and outcome["wrong_placements"] == 1
    assert outcome["first_foot"] == "right"
    assert outcome["placement_sides"] == ["right", "left"] * 4
    assert outcome["time_s"] == pytest.approx(onset_truth(counted[7]) - onset_truth(counted[0]), abs=EXACT_S)
    assert outcome["time_from_go_s"] == pytest.approx(onset_truth(counted[7]) - LEAD_IN_S, abs=EXACT_S)
    assert outcome["placement_onsets_s"] == pytest.approx([onset_truth(s) - LEAD_IN_S for s in counted],
                                                          abs=EXACT_S)
    assert result.scores["reference"]["mdc_s"] == 3.26
    # The round ends at the eighth placement (once its foot is off the board), and says so in its events.
    events = (tmp_path / "out" / "events.csv").read_text().splitlines()
    ends = [line for line in events if ",placement," in line]
    assert result.valid and len(ends) == 1 and f"eighth at {outcome['time_from_go_s']:.3f} s from go" in ends[0]


def test_placements_before_the_go_do_not_count_and_seven_are_not_a_result(tmp_path, geometry):
    placements = [(0.6, "left")] + [(LEAD_IN_S + 0.5 + 0.8 * k, "left" if k % 2 else "right") for k in range(7)]
    folder = write_placements(tmp_path / "ast", geometry, placements, duration_s=12.0)
    result = play_headless("alternate-step", f"replay://{folder}?speed=max", RoundOptions(), kind="test")
    outcome = result.scores["conditions"]["alternate"]
    assert outcome["placements"] == 7 and not outcome["completed"] and outcome["cut_short"]
    assert math.isnan(outcome["time_s"]) and math.isnan(outcome["time_from_go_s"])
    lines = result_lines("alternate-step", result.scores)
    assert any("not completed: 7 of 8" in line for line in lines), lines


# --- Hill step test -------------------------------------------------------------------------------------------------
def hill_script(counts: dict[str, int]):
    """Placements of each foot in its 15 s, left side first, then the right after the switch; per side also a
    placement before the go, one with the other foot (not counted), and one still on the board at 15 s."""
    placements, truth = [], {}
    go = {"left": LEAD_IN_S}
    end_left = go["left"] + stepping.HILL_TEST_S
    # The left side ends at its first sample at or after its 15 s; the right side starts with the next sample.
    first_right_sample = (math.ceil(end_left * RATE_HZ - 1e-6) + 1) / RATE_HZ
    go["right"] = first_right_sample + SWITCH_S
    for leg in ("left", "right"):
        other = "right" if leg == "left" else "left"
        placements.append((go[leg] - 1.0, leg))  # before the go
        gap = 13.5 / counts[leg]
        steps = [go[leg] + 0.3 + gap * k for k in range(counts[leg])]
        placements += [(s, leg) for s in steps]
        placements.append((steps[1] + gap / 2, other))  # the other foot: a wrong placement
        placements.append((go[leg] + stepping.HILL_TEST_S - 0.1, leg))  # on the board at the end: not finished
        truth[leg] = [onset_truth(s) - go[leg] for s in steps]
    return sorted(placements), truth, go


def test_hill_counts_each_legs_placements_in_its_15_s(tmp_path, geometry):
    placements, truth, go = hill_script({"left": 9, "right": 12})
    folder = write_placements(tmp_path / "hill", geometry, placements, duration_s=go["right"] + 16.0)
    result = play_headless("step-test", f"replay://{folder}?speed=max", RoundOptions(), kind="test")
    left, right = (result.scores["conditions"][leg] for leg in ("left", "right"))
    assert (left["steps"], right["steps"]) == (9, 12)
    assert left["wrong_placements"] == 1 and right["wrong_placements"] == 1
    assert left["placement_onsets_s"] == pytest.approx(truth["left"], abs=EXACT_S)
    assert right["placement_onsets_s"] == pytest.approx(truth["right"], abs=EXACT_S)
    assert result.scores["difference"]["steps_left_minus_right"] == -3
    lines = result_lines("step-test", result.scores)
    assert "  left: 9 steps in 15 s" in lines and "  right: 12 steps in 15 s" in lines, lines
    assert any("left - right: -3 steps" in line for line in lines), lines


def test_one_leg_with_condition(tmp_path, geometry):
    placements, _, go = hill_script({"left": 7, "right": 5})
    folder = write_placements(tmp_path / "hill", geometry, placements, duration_s=go["right"])
    result = play_headless("step-test", f"replay://{folder}?speed=max", RoundOptions(setup="left"), kind="test")
    assert list(result.scores["conditions"]) == ["left"] and result.scores["conditions"]["left"]["steps"] == 7
    assert result.scores["difference"]["steps_left_minus_right"] is None


def test_leg_on_the_command_line_tests_that_leg_only(capsys, tmp_path, geometry):
    placements, _, go = hill_script({"left": 8, "right": 5})
    folder = write_placements(tmp_path / "hill", geometry, placements, duration_s=go["right"])
    code, out, err = run(capsys, "test", "step-test", "--board", f"replay://{folder}", "--headless", "--leg", "left",
                         "--json")
    assert code == 0, err
    conditions = json.loads(out)["results"]["conditions"]
    assert list(conditions) == ["left"] and conditions["left"]["steps"] == 8


def test_the_test_command_keeps_the_step_test_as_the_patients_session(capsys, tmp_path, store_url, geometry):
    placements, _, go = hill_script({"left": 10, "right": 11})
    folder = write_placements(tmp_path / "hill", geometry, placements, duration_s=go["right"] + 16.0)
    assert run(capsys, "user", "add", "tui", "--year-of-birth", "1950", "--db", store_url)[0] == 0
    code, out, err = run(capsys, "test", "step-test", "--board", f"replay://{folder}", "--headless", "--user",
                         "tui", "--db", store_url, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["results"]["conditions"]["right"]["steps"] == 11
    with open_store(store_url) as store, store.transaction() as session:
        (row,) = sessions.sessions_of(session, records.get_user(session, "tui"))
        assert (row.kind, row.name, row.status) == ("test", "step-test", "complete")
        assert json.loads(row.scores_json)["difference"]["steps_left_minus_right"] == -1


@pytest.mark.parametrize("argv, message", [
    (["test", "step-test", "--board", "sim://", "--headless", "--trial-s", "20"], "15 s (Hill et al. 1996)"),
    (["test", "step-test", "--board", "sim://", "--headless", "--condition", "both"], "set-up must be one of"),
    (["test", "alternate-step", "--board", "sim://", "--headless", "--trial-s", "30"], "timed to the eighth"),
    (["test", "alternate-step", "--board", "sim://", "--headless", "--trial-s", "-2"], "more than 0 s"),
])
def test_bad_input_is_one_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code != 0 and out == "" and message in err and len(err.strip().splitlines()) == 1


def test_the_window_waits_for_the_clinician_and_draws_each_state(tmp_path, geometry):
    import pygame

    from games.clinic.stepping_tests import HillStepTest
    from games.round import round_sink
    from trainer.balance_input import STEP_S, BalanceInput

    placements, _, go = hill_script({"left": 6, "right": 6})
    folder = write_placements(tmp_path / "hill", geometry, placements, duration_s=go["right"] + 16.0)
    # Paced like a live board (a few samples a frame), on a clock that moves one 60 Hz step per update: the same
    # samples reach each frame however loaded the machine is.
    from hardware.replay import ReplaySource

    clock = {"now_s": 0.0}
    source = ReplaySource(str(folder), speed=1.0, clock=lambda: clock["now_s"])
    source.open()
    try:
        board = BalanceInput(source)

        def step():
            clock["now_s"] += STEP_S
            test.update(STEP_S)

        test = HillStepTest(board, RoundOptions(), wait_between=True)
        board.sample_sink = round_sink(test, None)
        pygame.init()
        surface = pygame.Surface((1280, 720))
        pictures = []
        for _ in range(3):  # waiting: nothing is taken while the clinician has not pressed Enter
            step()
        assert test.waiting and test.newest_s is None
        test.draw(surface)
        pictures.append(pygame.image.tobytes(surface, "RGB"))
        test.proceed()
        while test.newest_s is None:
            step()
        assert test.newest_s < test.go_s
        test.draw(surface)  # get ready
        pictures.append(pygame.image.tobytes(surface, "RGB"))
        while test.newest_s is not None and test.newest_s < test.go_s + 1.0:
            step()
        test.draw(surface)  # go, counting
        pictures.append(pygame.image.tobytes(surface, "RGB"))
        assert len(set(pictures)) == 3
        while not test.results:
            step()
        assert test.waiting and test.condition == "right" and test.results["left"]["steps"] == 6
    finally:
        source.close()
