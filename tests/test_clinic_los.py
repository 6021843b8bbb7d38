"""Limits of Stability (docs/clinic.md, "Limits of Stability") on crafted recordings whose truth is known: a COP
that rests at the centre, leaves it at a known moment after each cue at a known speed, leans straight to a known
excursion, holds and comes back; through the round engine and the `test` command.

Tolerances (the COP is low-passed at 5 Hz for everything but the reaction time, which rounds the ends of a movement):
reaction time within one sample (10 ms) of the moment the COP passes 10 mm; endpoint and maximal excursion within
1.5 mm; movement velocity within 3 %; directional control of a straight lean at least 98 % (the filter's ringing
at the ends of a movement adds a little path that is not towards the target), of a lean 45° off the target 70.7 %
within 1 point.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from clinic_tracks import write_track
from games.headless import play_headless
from games.round import RoundOptions
from trainer.cli import main
from trainer.clinic import los

RATE_HZ = 100.0
HEIGHT_CM = 175.0
CENTRE = (6.0, -12.0)
ONSET_S = 0.40  # the COP starts to move this long after each cue
SPEED_MM_S = 120.0
HOLD_UNTIL_S = 8.5  # after the cue; then back to the centre at the same speed
# How far each direction leans, as a share of its limit: FL is not reached (it scores what it reached).
REACH = {"F": 0.9, "FR": 0.75, "R": 1.0, "BR": 0.6, "B": 0.8, "BL": 0.5, "L": 0.95, "FL": 0.3}


def lean_track(reach=REACH, *, start_s=0.5, heading_off_deg=None):
    """(x, y, load) at RATE_HZ: nobody for start_s, then the ready seconds and the eight cued leans."""
    limits = los.limits_mm(HEIGHT_CM)
    n = round((start_s + los.TOTAL_S + 1.0) * RATE_HZ)
    t = np.arange(n) / RATE_HZ
    x, y = np.full(n, CENTRE[0]), np.full(n, CENTRE[1])
    load = np.where(t < start_s - 1e-9, 0.0, 70.0)
    for direction, cue in los.cue_times(start_s).items():
        distance = reach[direction] * limits[direction]
        ux, uy = los.UNIT[direction]
        if heading_off_deg is not None:  # the whole lean goes this many degrees off the target's line
            a = math.radians(heading_off_deg)
            ux, uy = ux * math.cos(a) - uy * math.sin(a), ux * math.sin(a) + uy * math.cos(a)
        since = t - cue
        out = np.clip((since - ONSET_S) * SPEED_MM_S, 0.0, distance)
        back = np.clip((since - HOLD_UNTIL_S) * SPEED_MM_S, 0.0, distance)
        r = np.where((since >= 0) & (since < los.DIRECTION_S), out - back, 0.0)
        x += r * ux
        y += r * uy
    return x, y, load


def run_los(folder, **options):
    return play_headless("los", f"replay://{folder}?speed=max", RoundOptions(height_cm=HEIGHT_CM, **options),
                         kind="test")


def test_the_theoretical_limits_follow_the_height():
    com = 10 * HEIGHT_CM * 0.5527
    limits = los.limits_mm(HEIGHT_CM)
    assert los.com_height_mm(HEIGHT_CM) == pytest.approx(com)
    assert limits["F"] == pytest.approx(com * math.tan(math.radians(8.0)))  # 136 mm at 175 cm
    assert limits["B"] == pytest.approx(com * math.tan(math.radians(4.5)))
    assert limits["L"] == pytest.approx(limits["R"]) == pytest.approx(limits["F"]) == pytest.approx(limits["FR"])
    side, back = limits["R"], limits["B"]
    assert limits["BR"] == pytest.approx(1 / math.sqrt(0.5 / side**2 + 0.5 / back**2))  # on the ellipse
    assert back < limits["BR"] < side
    with pytest.raises(ValueError, match="50 to 250 cm"):
        los.limits_mm(20.0)


def test_known_leans_give_the_known_excursions_reaction_times_and_velocities(tmp_path):
    start_s = 0.5
    folder = write_track(tmp_path / "r", *lean_track(start_s=start_s), rate_hz=RATE_HZ)
    result = run_los(folder)
    scores = result.scores
    assert scores["start_s"] == pytest.approx(start_s) and not scores["cut_short"]
    assert scores["centre_mm"] == pytest.approx(CENTRE, abs=1e-3)  # the recording rounds the corner loads
    limits = los.limits_mm(HEIGHT_CM)
    reaction = ONSET_S + 10.0 / SPEED_MM_S  # the moment the COP is 10 mm from where it rested
    for direction in los.DIRECTIONS:
        got = scores["directions"][direction]
        distance = REACH[direction] * limits[direction]
        assert got["cue_s"] == pytest.approx(start_s + los.READY_S + los.DIRECTIONS.index(direction) * 11.0)
        assert not got["stepped"] and not got["no_data"]
        assert got["reaction_time_s"] == pytest.approx(reaction, abs=1.0 / RATE_HZ), direction
        assert got["reaction_time_s"] >= reaction - 1e-9, direction  # never before the COP got there
        assert got["max_excursion_mm"] == pytest.approx(distance, abs=1.5), direction
        assert got["endpoint_excursion_mm"] == pytest.approx(distance, abs=1.5), direction
        assert got["max_excursion_pct"] == pytest.approx(100 * REACH[direction], abs=100 * 1.5 / limits[direction])
        assert got["movement_velocity_mm_s"] == pytest.approx(SPEED_MM_S, rel=0.03), direction
        assert got["movement_velocity_deg_s"] == pytest.approx(math.degrees(SPEED_MM_S / scores["com_height_mm"]),
                                                               rel=0.03)
        assert got["directional_control_pct"] >= 98.0, direction
    # FL was not reached: it scores the 30 % it reached.
    assert scores["directions"]["FL"]["max_excursion_pct"] == pytest.approx(30.0, abs=1.2)
    composite = scores["composite"]
    assert composite["max_excursion_pct"] == pytest.approx(100 * np.mean(list(REACH.values())), abs=1.0)
    assert composite["reaction_time_s"] == pytest.approx(reaction, abs=1.0 / RATE_HZ)
    polygon = scores["polygon_mm"]
    assert len(polygon) == 8
    assert polygon[0] == pytest.approx((0.0, REACH["F"] * limits["F"]), abs=1.5)
    assert polygon[6] == pytest.approx((-REACH["L"] * limits["L"], 0.0), abs=1.5)
    assert polygon[3][0] > 0 > polygon[3][1]  # BR: right and back


def test_a_lean_45_degrees_off_the_target_has_71_percent_directional_control(tmp_path):
    x, y, load = lean_track(start_s=0.0, heading_off_deg=45.0)
    result = los.analyse(np.arange(len(x)) / RATE_HZ, load, x, y, height_cm=HEIGHT_CM)
    for direction, got in result["directions"].items():
        assert got["directional_control_pct"] == pytest.approx(100 / math.sqrt(2), abs=1.0), direction
        # Only the share along the target's line counts as excursion.
        distance = REACH[direction] * los.limits_mm(HEIGHT_CM)[direction]
        assert got["max_excursion_mm"] == pytest.approx(distance / math.sqrt(2), abs=1.5), direction


def test_a_direction_without_movement_or_data_and_a_step(tmp_path):
    reach = {**REACH, "B": 0.0}
    x, y, load = lean_track(reach, start_s=0.0)
    t = np.arange(len(x)) / RATE_HZ
    cue_r = los.cue_times(0.0)["R"]
    stepped = (t >= cue_r + 2.0) & (t < cue_r + 3.0)
    load = np.where(stepped, 30.0, load)  # a foot off the board in R, 1.6 s after the movement began
    keep = t < los.cue_times(0.0)["FL"] - 1.0  # the recording stops before FL
    result = los.analyse(t[keep], load[keep], x[keep], y[keep], height_cm=HEIGHT_CM)
    directions = result["directions"]
    assert directions["B"]["reaction_time_s"] is None and directions["B"]["movement_velocity_mm_s"] is None
    assert directions["B"]["max_excursion_pct"] == pytest.approx(0.0, abs=0.5)
    assert directions["R"]["stepped"] and directions["R"]["reaction_time_s"] is not None
    # R's window ends at the step, 1.6 s into a lean that would take 1.14 s: the lean was already complete.
    assert directions["R"]["max_excursion_pct"] == pytest.approx(100.0, abs=1.2)
    assert directions["FL"]["no_data"] and directions["FL"]["max_excursion_mm"] is None
    assert math.isnan(result["polygon_mm"][7][0])
    assert result["composite"]["max_excursion_pct"] == pytest.approx(
        np.mean([directions[d]["max_excursion_pct"] for d in los.DIRECTIONS if d != "FL"]))


def test_the_polygon_picture_is_drawn(tmp_path):
    pytest.importorskip("matplotlib", reason="the picture helper needs matplotlib (an optional dependency)")
    x, y, load = lean_track(start_s=0.0)
    result = los.analyse(np.arange(len(x)) / RATE_HZ, load, x, y, height_cm=HEIGHT_CM)
    los.plot_los(result, tmp_path / "los.png")
    assert (tmp_path / "los.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_test_command_takes_the_height_from_the_option_or_the_profile(capsys, tmp_path, store_url):
    folder = write_track(tmp_path / "r", *lean_track(start_s=0.5), rate_hz=RATE_HZ)
    picture = tmp_path / "los.png"
    code, out, err = run(capsys, "test", "los", "--board", f"replay://{folder}", "--headless", "--height-cm", "175",
                         "--plot", str(picture))
    assert code == 0, err
    assert picture.read_bytes()[:4] == b"\x89PNG"
    assert "height 175 cm" in out and "limits (mm): F 136" in out
    assert any(line.split()[:1] == ["R"] and "100" in line for line in out.splitlines())
    assert run(capsys, "user", "add", "kiwi", "--height-cm", "175", "--db", store_url)[0] == 0
    code, out, err = run(capsys, "test", "los", "--board", f"replay://{folder}", "--headless", "--user", "kiwi",
                         "--db", store_url, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["results"]["height_cm"] == 175.0
    assert data["results"]["directions"]["R"]["max_excursion_pct"] == pytest.approx(100.0, abs=1.2)


@pytest.mark.parametrize("argv, message", [
    (["test", "los", "--board", "sim://", "--headless"], "need the person's height"),
    (["test", "los", "--board", "sim://", "--headless", "--height-cm", "20"], "a height is 50 to 250 cm"),
    (["test", "los", "--board", "sim://", "--headless", "--height-cm", "170", "--trial-s", "30"],
     "--trial-s does not apply"),
    (["test", "mctsib", "--board", "sim://", "--headless", "--plot", "x.png"], "applies to 'test los'"),
])
def test_bad_input_is_one_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code != 0 and out == "" and message in err and len(err.strip().splitlines()) == 1


def test_a_profile_without_a_height_is_one_line(capsys, store_url):
    assert run(capsys, "user", "add", "moa", "--db", store_url)[0] == 0
    code, out, err = run(capsys, "test", "los", "--board", "sim://", "--headless", "--user", "moa", "--db", store_url)
    assert code != 0 and out == "" and "need the person's height" in err and len(err.strip().splitlines()) == 1
