"""The instrumented lateral step-down (docs/clinic.md): five reps per side on the step-down engine, run headless on a
crafted recording whose truth is known, through the round engine and the `test` command; the clinician's quality
score stored with the result.

The crafted person (100 Hz, 70 kg, no noise) stands on the board on the left leg, does five reps in the test's
tempo (the engine's level 1: cues every 6.5 s from 3 s after stepping on), steps off, and does five on the right
leg. A rep: 0.3 s after its cue the stance foot's COP moves in a straight line (-10 mm ML, +30 mm AP) for the rep's
descent time, the floor takes the rep's load (a 0.1-s ramp, held 0.3 s, a 0.1-s ramp back), and the COP returns
over 1.5 s. The engine times a descent from the COP's break point to the first sample below 98 % of body weight;
the truth below is taken at that same sample, so what is left is the fit's break point: within 0.03 s (the COP
stops moving at the heel's contact, a few samples before the 2 % crossing, which bends the fitted line a little).
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from games.clinic.lateral_step_down_test import LEVEL, LateralStepDownOptions, LateralStepDownTest
from games.headless import play_headless
from games.round import RoundOptions
from games.step_down import cue_schedule, level_of
from hardware.samples import FORCE_PLATE, LoadSample
from trainer.cli import main
from trainer.clinic import lateral_step_down as lsd
from trainer.clinic.report_values import result_lines
from trainer.cop import cop_to_corners
from trainer.recorder import RecordingWriter
from trainer.store import open_store, records, sessions

RATE_HZ = 100.0
WEIGHT_KG = 70.0
REACTION_S = 0.3
SHIFT_MM = (-10.0, 30.0)
# Descents end 3 ms off the sample grid: no 2 % crossing falls on a sample, where the recording's 1e-4-kg rounding
# could put it on either side.
RAMP_S, HOLD_S, BACK_S = 0.1, 0.3, 1.5
DESCENT_TOL_S = 0.03
SIDES = {"left": {"descents": [2.203, 2.403, 1.803, 2.003, 2.603], "loads": [8.0, 12.0, 16.0, 10.0, 14.0]},
         "right": {"descents": [1.503, 1.703, 2.903, 2.103, 1.903], "loads": [20.0, 18.0, 25.0, 22.0, 30.0]}}


def script(sides=("left", "right"), *, extra_rep: bool = False):
    """(t, total, x, y, truth): the sides in turn, stepping off for 1 s between them."""
    stand = {}
    t_end = 0.5
    for side in sides:
        stand[side] = t_end + (1.0 if stand else 0.0)  # the first side: on the board at 0.5 s; later: 1 s off first
        t_end = stand[side] + 3.0 + 5 * 6.5 + 2.0
    t = np.round(np.arange(0.0, t_end + 1.0, 1.0 / RATE_HZ), 6)
    total = np.zeros_like(t)
    x, y = np.full_like(t, np.nan), np.full_like(t, np.nan)
    truth = {}
    for side in sides:
        on = (t >= stand[side]) & (t < stand[side] + 3.0 + 5 * 6.5 + 1.0)
        total[on], x[on], y[on] = WEIGHT_KG, 5.0, -20.0
        reps = []
        cues = [c[0] for c in cue_schedule(LEVEL, start_s=stand[side])]
        plan = list(zip(cues, SIDES[side]["descents"], SIDES[side]["loads"]))
        if extra_rep:
            plan.append((cues[-1] + 6.5, 2.0, 10.0))
        for cue, descent, load in plan:
            onset = round(cue + REACTION_S, 2)
            touch = onset + descent
            frac = np.clip((t - onset) / descent, 0.0, 1.0)
            back = np.clip((t - (touch + 2 * RAMP_S + HOLD_S)) / BACK_S, 0.0, 1.0)
            moving = (t >= onset) & (t < touch + 2 * RAMP_S + HOLD_S + BACK_S)
            x[moving] = 5.0 + SHIFT_MM[0] * (frac - back)[moving]
            y[moving] = -20.0 + SHIFT_MM[1] * (frac - back)[moving]
            dip = np.interp(t, [touch, touch + RAMP_S, touch + RAMP_S + HOLD_S, touch + 2 * RAMP_S + HOLD_S],
                            [0.0, load, load, 0.0], left=0.0, right=0.0)
            total -= WEIGHT_KG * dip / 100.0 * on
            reps.append({"onset": onset, "load": load})
        for rep in reps:  # the engine's touch start: the first sample below 98 % of body weight after the onset
            rep["touch_start"] = float(t[np.flatnonzero((t > rep["onset"]) & (total < 0.98 * WEIGHT_KG))[0]])
            rep["descent"] = rep["touch_start"] - rep["onset"]
            going = (t >= rep["onset"]) & (t < rep["touch_start"])
            rep["ml_sd"] = float(np.std(x[going]))
        truth[side] = reps
    return t, total, x, y, truth


def write(folder, t, total, x, y):
    corners = cop_to_corners(np.nan_to_num(x), np.nan_to_num(y), total, FORCE_PLATE)
    with RecordingWriter(folder, board_url="crafted://", board_identity="crafted step-downs",
                         geometry=FORCE_PLATE) as writer:
        writer.add_samples([LoadSample(float(ti), *map(float, c)) for ti, c in zip(t, corners)])
    return folder


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    t, total, x, y, truth = script()
    return write(tmp_path_factory.mktemp("lsd") / "rec", t, total, x, y), truth


def expected(truth_reps, cued_s=2.0):
    descents = np.array([r["descent"] for r in truth_reps])
    return {"mean_descent_s": descents.mean(),
            "tempo_error_pct": float(np.mean(np.abs(descents - cued_s)) / cued_s * 100),
            "mean_touch_load_pct_bw": float(np.mean([r["load"] for r in truth_reps])),
            "ml_wavering_mm": float(np.mean([r["ml_sd"] for r in truth_reps]))}


def test_five_reps_per_side_with_the_known_tempo_touch_load_and_wavering(recording):
    folder, truth = recording
    options = LateralStepDownOptions(quality_left=2, quality_right=5)
    result = play_headless("lateral-step-down", f"replay://{folder}?speed=max", options, kind="test")
    conditions = result.scores["conditions"]
    assert result.valid and list(conditions) == ["left", "right"]
    for side in ("left", "right"):
        got, want = conditions[side], expected(truth[side])
        assert got["reps"] == 5 and got["body_weight_kg"] == pytest.approx(WEIGHT_KG)
        for rep, true in zip(got["rep_details"], truth[side]):
            assert rep["onset_from"] == "cop"
            assert rep["touch_s"] == pytest.approx(true["touch_start"], abs=1e-6)
            assert rep["descent_s"] == pytest.approx(true["descent"], abs=DESCENT_TOL_S)
            assert rep["touch_load_pct_bw"] == pytest.approx(true["load"], abs=0.01)
        assert got["mean_descent_s"] == pytest.approx(want["mean_descent_s"], abs=DESCENT_TOL_S)
        assert got["tempo_error_pct"] == pytest.approx(want["tempo_error_pct"], abs=DESCENT_TOL_S / 2.0 * 100)
        assert got["mean_touch_load_pct_bw"] == pytest.approx(want["mean_touch_load_pct_bw"], abs=0.01)
        assert got["ml_wavering_mm"] == pytest.approx(want["ml_wavering_mm"], abs=0.1)
    assert (conditions["left"]["quality_score"], conditions["left"]["quality"]) == (2, "moderate")
    assert (conditions["right"]["quality_score"], conditions["right"]["quality"]) == (5, "poor")
    differences = result.scores["differences"]
    assert differences["quality_score"] == -3 and differences["reps"] == 0
    assert differences["mean_touch_load_pct_bw"] == pytest.approx(
        conditions["left"]["mean_touch_load_pct_bw"] - conditions["right"]["mean_touch_load_pct_bw"])
    assert differences["mean_touch_load_pct_bw"] == pytest.approx(12.0 - 23.0, abs=0.02)
    lines = result_lines("lateral-step-down", result.scores)
    assert "  left: 5 of 5 reps; quality 2 of 6 (moderate)" in lines, lines
    assert any("Piva et al." in line for line in lines)


def test_one_side_with_leg_and_no_score_is_not_scored(recording, tmp_path):
    t, total, x, y, truth = script(("right",))
    folder = write(tmp_path / "rec", t, total, x, y)
    options = RoundOptions(setup=LateralStepDownTest.setup_for("right", None))
    result = play_headless("lateral-step-down", f"replay://{folder}?speed=max", options, kind="test")
    (side, got), = result.scores["conditions"].items()
    assert side == "right" and got["reps"] == 5 and got["quality_score"] is None and got["quality"] is None
    assert got["mean_touch_load_pct_bw"] == pytest.approx(expected(truth["right"])["mean_touch_load_pct_bw"],
                                                         abs=0.01)
    assert all(v is None for v in result.scores["differences"].values())
    assert "  right: 5 of 5 reps; quality not scored" in result_lines("lateral-step-down", result.scores)


def test_the_count_stops_at_five():
    t, total, x, y, truth = script(("left",), extra_rep=True)
    stand = 0.5
    cues = [c[0] for c in cue_schedule(LEVEL, start_s=stand)] + [stand + 3.0 + 5 * 6.5]
    got = lsd.side_result(t, total, x, y, cue_down_s=cues, cued_descent_s=level_of(LEVEL).descent_s)
    assert got["reps"] == 5 and len(got["rep_details"]) == 5
    assert got["mean_touch_load_pct_bw"] == pytest.approx(np.mean(SIDES["left"]["loads"]), abs=0.01)


def test_quality_scores_are_whole_numbers_from_0_to_6():
    assert [lsd.check_quality(v) for v in (None, 0, 6)] == [None, 0, 6]
    assert [lsd.quality_class(v) for v in (0, 1, 2, 3, 4, 6)] == ["good", "good", "moderate", "moderate", "poor",
                                                                  "poor"]
    for bad in (7, -1, 2.5, True, "3"):
        with pytest.raises(ValueError, match="0 to 6"):
            lsd.check_quality(bad)


def test_the_clinician_types_the_score_in_the_window(recording):
    import pygame

    from hardware.sources import make_source
    from games.round import round_sink
    from trainer.balance_input import STEP_S, BalanceInput

    folder, _ = recording
    source = make_source(f"replay://{folder}?speed=max")
    source.open()
    try:
        board = BalanceInput(source)
        test = LateralStepDownTest(board, RoundOptions(setup="left"), wait_between=True)
        board.sample_sink = round_sink(test, None)
        test.proceed()
        surface = pygame.Surface((1280, 720))
        pygame.font.init()
        test.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_3))  # before standing: the side to come
        assert test.quality == {"left": 3, "right": None}
        for _ in range(20000):
            test.update(STEP_S)
            if test.awaiting_scores:
                break
        test.draw(surface)
        assert test.awaiting_scores and not test.finished and test.results["left"]["reps"] == 5
        test.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_4))  # after the side: the side just done
        test.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_9))  # not a score: ignored
        test.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN))
        assert test.finished and test.scores()["conditions"]["left"]["quality_score"] == 4
    finally:
        source.close()


def run(capsys, *argv):
    """(exit code, stdout, stderr) of the command line; argparse's own refusals exit (SystemExit) with their code."""
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_the_test_command_keeps_the_scores_in_the_patients_session(capsys, recording, store_url):
    folder, _ = recording
    assert run(capsys, "user", "add", "moa", "--year-of-birth", "1990", "--db", store_url)[0] == 0
    code, out, err = run(capsys, "test", "lateral-step-down", "--board", f"replay://{folder}", "--headless",
                         "--quality-left", "1", "--quality-right", "4", "--user", "moa", "--db", store_url, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["results"]["conditions"]["right"]["quality"] == "poor"
    with open_store(store_url) as store, store.transaction() as session:
        (row,) = sessions.sessions_of(session, records.get_user(session, "moa"))
        assert (row.kind, row.name, row.status) == ("test", "lateral-step-down", "complete")
        stored = json.loads(row.scores_json)
        assert stored["conditions"]["left"]["quality_score"] == 1 and stored["differences"]["quality_score"] == -3
        assert stored["conditions"]["left"]["reps"] == 5


@pytest.mark.parametrize("argv, message", [
    (["--quality-left", "7"], "a quality score is 0 to 6, not 7"),
    (["--quality-right", "two"], "whole number from 0 to 6"),
    (["--trial-s", "20"], "no trial length"),
    (["--trial-s", "0"], "more than 0 s"),
    (["--condition", "middle"], "set-up must be one of"),
])
def test_bad_input_is_one_line(capsys, argv, message):
    code, out, err = run(capsys, "test", "lateral-step-down", "--board", "sim://", "--headless", *argv)
    assert code != 0 and out == "" and message in err and len(err.strip().splitlines()) == 1


def test_a_quality_score_for_another_test_is_one_line(capsys):
    code, out, err = run(capsys, "test", "step-test", "--board", "sim://", "--headless", "--quality-left", "2")
    assert code != 0 and out == "" and "lateral step-down's, not step-test's" in err
    assert len(err.strip().splitlines()) == 1
