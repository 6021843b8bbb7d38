"""Single-leg stance test (docs/clinic.md, "Single-leg stance") on crafted recordings whose truth is known: both feet
on the board, a lift at a known second (the COP moves 100 mm under the stance foot, the load stays the body
weight) and a touch-down at a known second, through the round engine and the `test` command."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from clinic_tracks import write_track
from games.headless import play_headless
from games.round import RoundOptions
from trainer.cli import main
from trainer.clinic import single_leg_stance as sls

RATE_HZ = 100.0
WEIGHT_KG = 70.0
FOOT_MM = 100.0  # the stance foot's distance from the two-foot COP
SWAY_MM = 3.0  # a 0.5-Hz sway of the stance foot's COP, sideways


class Track:
    """A crafted session, piece by piece: both feet, one foot (with a known sway), a foot on the floor."""

    def __init__(self):
        self.x, self.y, self.load = [], [], []

    @property
    def t_s(self) -> float:
        return sum(len(piece) for piece in self.x) / RATE_HZ

    def add(self, seconds, x_mm, load_kg=WEIGHT_KG, sway_mm=0.0):
        n = round(seconds * RATE_HZ)
        t = np.arange(n) / RATE_HZ
        self.x.append(x_mm + sway_mm * np.sin(2 * np.pi * 0.5 * t))
        self.y.append(np.full(n, 10.0))
        self.load.append(np.full(n, load_kg, dtype=float))
        return self

    def both(self, seconds):
        return self.add(seconds, 0.0)

    def one(self, leg, seconds, load_kg=WEIGHT_KG):
        return self.add(seconds, (-FOOT_MM if leg == "left" else FOOT_MM), load_kg, SWAY_MM)

    def write(self, folder):
        return write_track(folder, np.concatenate(self.x), np.concatenate(self.y), np.concatenate(self.load),
                           rate_hz=RATE_HZ)


def run_test(folder, **options):
    return play_headless("single-leg-stance", f"replay://{folder}?speed=max", RoundOptions(**options), kind="test")


def test_three_attempts_each_timed_from_the_lift_to_the_touch_down_and_the_best_kept(tmp_path):
    track = Track().both(2.0)
    lifts, touch_downs = [], []
    lifts.append(track.t_s)
    track.one("left", 7.0)  # touch-down 1: the other foot back on the board (the COP jumps 100 mm)
    touch_downs.append(track.t_s)
    track.both(2.0)
    lifts.append(track.t_s)
    track.one("left", 9.5)  # touch-down 2: the other foot on the floor (40 kg left on the board)
    touch_downs.append(track.t_s)
    track.one("left", 1.0, load_kg=40.0).both(2.0)
    lifts.append(track.t_s)
    track.one("left", 4.25)  # touch-down 3
    touch_downs.append(track.t_s)
    track.both(5.0)
    result = run_test(track.write(tmp_path / "r"), setup="left-eo")
    outcome = result.scores["conditions"]["left-eo"]
    attempts = outcome["attempts"]
    assert [a["start_s"] for a in attempts] == pytest.approx(lifts, abs=1e-9)
    assert [a["touch_down_s"] for a in attempts] == pytest.approx(touch_downs, abs=1e-9)
    assert [a["held_s"] for a in attempts] == pytest.approx([7.0, 9.5, 4.25], abs=1e-9)
    assert [a["cause"] for a in attempts] == ["cop-jump", "load", "cop-jump"]
    assert outcome["held_s"] == pytest.approx(9.5, abs=1e-9) and not outcome["completed"]
    assert outcome["false_starts"] == 0 and outcome["body_weight_kg"] == pytest.approx(WEIGHT_KG)
    # Sway of the best (the second) attempt: a 3-mm sine sideways, RMS 3/sqrt(2), nothing front-back.
    sway = outcome["measures"]["default"]
    assert sway["rms_ml_mm"] == pytest.approx(SWAY_MM / math.sqrt(2), rel=0.02)
    assert sway["rms_ap_mm"] == pytest.approx(0.0, abs=1e-3)
    assert sway["duration_s"] == pytest.approx(9.5 - sls.LIFT_CONFIRM_S, abs=0.011)
    assert list(result.scores["conditions"]) == ["left-eo"]


def test_a_completed_attempt_ends_the_condition_and_a_short_lift_is_a_false_start(tmp_path):
    track = Track().both(2.0).one("right", 0.3).both(1.0)  # 0.3 s on one foot: not an attempt
    lift = track.t_s
    track.one("right", 46.0).both(2.0)
    result = run_test(track.write(tmp_path / "r"), setup="right-ec", seconds=45.0)
    outcome = result.scores["conditions"]["right-ec"]
    assert outcome["false_starts"] == 1 and len(outcome["attempts"]) == 1
    assert outcome["attempts"][0]["start_s"] == pytest.approx(lift, abs=1e-9)
    assert outcome["completed"] and outcome["held_s"] == 45.0 and outcome["trial_s"] == 45.0
    assert outcome["samples"] == 4500
    assert (outcome["leg"], outcome["eyes"]) == ("right", "closed")


def test_a_recording_that_stops_during_an_attempt_is_cut_short_not_completed(tmp_path):
    track = Track().both(2.0).one("left", 10.0)
    result = run_test(track.write(tmp_path / "r"), setup="left-eo")
    outcome = result.scores["conditions"]["left-eo"]
    assert outcome["cut_short"] and not outcome["completed"]
    assert outcome["held_s"] == pytest.approx(10.0, abs=1e-9)  # to the last sample's end
    assert outcome["attempts"][0]["touch_down_s"] is None and outcome["attempts"][0]["cause"] is None


def test_all_four_conditions_in_order_give_the_left_right_differences(tmp_path):
    # left-eo completes 30 s; right-eo holds 12.0 s three times; left-ec 8.0, 6.0, 7.5 s; right-ec 3.0 s, then 10.0 s,
    # then 2.0 s.
    track = Track().both(2.0).one("left", 31.0).both(2.0)
    for held in (12.0, 12.0, 12.0):
        track.one("right", held).both(2.0)
    for held in (8.0, 6.0, 7.5):
        track.one("left", held).both(2.0)
    for held in (3.0, 10.0, 2.0):
        track.one("right", held).both(2.0)
    result = run_test(track.write(tmp_path / "r"))
    conditions = result.scores["conditions"]
    assert list(conditions) == ["left-eo", "right-eo", "left-ec", "right-ec"]
    held = {name: c["held_s"] for name, c in conditions.items()}
    assert held == pytest.approx({"left-eo": 30.0, "right-eo": 12.0, "left-ec": 8.0, "right-ec": 10.0}, abs=1e-9)
    assert [a["held_s"] for a in conditions["right-ec"]["attempts"]] == pytest.approx([3.0, 10.0, 2.0], abs=1e-9)
    assert len(conditions["left-eo"]["attempts"]) == 1 and conditions["left-eo"]["completed"]
    differences = result.scores["differences"]
    assert differences["left_minus_right_held_eo_s"] == pytest.approx(18.0, abs=1e-9)
    assert differences["left_minus_right_held_ec_s"] == pytest.approx(-2.0, abs=1e-9)


def test_the_trial_alone_starts_at_the_lift_sample_and_not_on_a_weight_shift():
    trial = sls.SingleLegStanceTrial("left", 30.0, body_weight_kg=70.0)
    t = 0.0
    for _ in range(200):  # both feet
        trial.feed(t, 70.0, 0.0, 0.0)
        t += 0.01
    for _ in range(300):  # the weight shifted 40 mm towards the left foot: not a lift (50 mm)
        trial.feed(t, 70.0, -40.0, 0.0)
        t += 0.01
    for _ in range(300):  # towards the right foot: the wrong side for a left-leg stance
        trial.feed(t, 70.0, 100.0, 0.0)
        t += 0.01
    assert not trial.attempts and trial.false_starts == 0
    lift = t
    for _ in range(1000):
        trial.feed(t, 70.0, -60.0, 0.0)
        t += 0.01
    assert trial.attempts[0].start_s == pytest.approx(lift) and trial.running is not None
    assert trial.attempts[0].target_mm == pytest.approx((-60.0, 0.0))


def test_leg_and_eyes_choose_the_conditions():
    assert sls.setup_for("left", "closed") == "left-ec" and sls.setup_for(None, None) is None
    assert sls.conditions_of(sls.setup_for("right", None)) == ("right-eo", "right-ec")
    assert sls.conditions_of(sls.setup_for(None, "open")) == ("left-eo", "right-eo")
    with pytest.raises(ValueError, match="condition must be one of"):
        sls.conditions_of("both")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_test_command_prints_the_attempts_and_the_difference(capsys, tmp_path):
    track = Track().both(2.0).one("left", 5.0).both(2.0).one("left", 31.0).both(2.0)
    folder = track.write(tmp_path / "r")
    code, out, err = run(capsys, "test", "single-leg-stance", "--board", f"replay://{folder}", "--headless",
                         "--leg", "left", "--eyes", "open")
    assert code == 0, err
    assert "left-eo: held 30.0 of 30 s  attempts: 5.0 s (cop-jump), 30.0 s" in out
    code, out, err = run(capsys, "test", "single-leg-stance", "--board", f"replay://{folder}", "--headless",
                         "--leg", "left", "--json")
    data = json.loads(out)
    assert list(data["results"]["conditions"]) == ["left-eo"]  # the data ran out before a left-ec attempt
    assert data["results"]["differences"]["left_minus_right_held_eo_s"] is None


@pytest.mark.parametrize("argv, message", [
    (["test", "single-leg-stance", "--board", "sim://", "--headless", "--trial-s", "20"], "30 s, or 45 s"),
    (["test", "single-leg-stance", "--board", "sim://", "--headless", "--condition", "left-closed"],
     "set-up must be one of"),
])
def test_bad_input_is_one_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code != 0 and out == "" and message in err and len(err.strip().splitlines()) == 1
