"""Single-leg balance: rounds played headless on scripted recordings whose truth is known, the scoring's pure
functions, sim:// rounds, a stale board, the screen and the eyes-closed tone.

The scripted recording (100 Hz, body weight 70 kgf, written with RecordingWriter as a B.4 folder):
  0.0-0.5 s empty board; from 0.5 s one foot on the board, the COP swaying about (12, -8) mm with 6 mm at 0.4 Hz
  (x) and 4 mm at 0.7 Hz (y); 8-9 s the COP drifts 45 mm to the right (45 mm/s, slower than a COP jump), stays
  there until 12 s and drifts back by 13 s (out of the 30 mm target for a known stretch); 18.5-19.0 s the load
  drops to 60 % of body weight (the other foot on the floor: touch-down 1); 24.0-25.0 s the COP jumps 100 mm to
  the right at full load (the other foot put down on the board: touch-down 2); the recording ends at 34 s.
The round: standing from 0.5 s, GRACE_S + SETTLE_S = 2 s later the hold starts at 2.5 s and runs 30 s (level 1).

Tolerances. hold_s: one 60 Hz step plus one sample (1/60 + 1/100 s): the hold starts at a sample but the round ends
at a game step, and a touch-down's start is dated back to its first low sample, so the 100 ms detection delay
does not enter. time_in_zone_pct: 0.2 percentage points (one 60 Hz step of 30 s is 0.06 points; the target centre
is the same median of the same samples). Sway velocity and ellipse area: 1 % against plain numpy on the unfiltered
scripted COP: the scores low-pass at 10 Hz, which leaves a 0.4-0.7 Hz sway unchanged (gain 1.0000) and only
rounds the corners of the drift ramps.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pygame
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import f as f_distribution

from games import style
from games.headless import play_headless
from games.live_view import board_scale_px_per_mm, board_to_screen, board_view_rect
from games.round import RoundOptions
from games.single_leg import GRACE_S, SETTLE_S, SingleLegRound, tone_for_distance
from hardware.samples import FORCE_PLATE, WII_BALANCE_BOARD, LoadSample
from hardware.sources import SourceState
from trainer.balance_input import STEP_S, BalanceInput
from trainer.cop import cop_to_corners
from trainer.recorder import RecordingWriter
from trainer.scoring.single_leg import (
    OUTSIDE_FOOT_ML_MM, SCORE_NAMES, TOUCH_DOWN_LOAD_S, TouchDownDetector, detect_touch_downs, leg_asymmetry_pct,
    level_settings, sample_durations_s, score_single_leg,
)

RATE_HZ = 100.0
WEIGHT_KG = 70.0
CENTRE = (12.0, -8.0)
STAND_S = 0.5
HOLD_START_S = STAND_S + GRACE_S + SETTLE_S
TOUCH_DOWN_S = 18.5
JUMP_S = 24.0
END_S = 34.0
HOLD_TOLERANCE_S = STEP_S + 1.0 / RATE_HZ


def scripted(end_s: float = END_S):
    """(t_s, total_kg, cop_x_mm, cop_y_mm) of the scripted recording (COP NaN on the empty board)."""
    t = np.arange(round(end_s * RATE_HZ)) / RATE_HZ
    drift = 45.0 * np.clip(t - 8.0, 0, 1) - 45.0 * np.clip(t - 12.0, 0, 1)
    jump = np.where((t >= JUMP_S) & (t < JUMP_S + 1.0), 100.0, 0.0)
    x = CENTRE[0] + 6.0 * np.sin(2 * np.pi * 0.4 * t) + drift + jump
    y = CENTRE[1] + 4.0 * np.sin(2 * np.pi * 0.7 * t + 0.3)
    total = np.full(len(t), WEIGHT_KG)
    total[(t >= TOUCH_DOWN_S) & (t < TOUCH_DOWN_S + 0.5)] = 0.6 * WEIGHT_KG
    total[t < STAND_S] = 0.0
    x[t < STAND_S] = np.nan
    y[t < STAND_S] = np.nan
    return t, total, x, y


def write_folder(folder, t, total, x, y, geometry=FORCE_PLATE):
    # A B.4 folder replays with the force plate's geometry (the reader keeps no board geometry), so the corners
    # are split for that geometry: the replay gives back this COP exactly.
    corners = cop_to_corners(x, y, total, geometry)
    with RecordingWriter(folder, board_url="script://single-leg", board_identity="scripted single-leg",
                         geometry=geometry) as writer:
        writer.add_samples([LoadSample(float(ti), *map(float, c), seq=i)
                            for i, (ti, c) in enumerate(zip(t, corners))])
    return folder


@pytest.fixture(scope="module")
def scripted_folder(tmp_path_factory):
    return write_folder(tmp_path_factory.mktemp("single-leg") / "scripted", *scripted())


def truth():
    """The scores by their definitions, in plain numpy on the scripted COP."""
    t, total, x, y = scripted()
    settle = (t >= STAND_S + GRACE_S) & (t < HOLD_START_S)
    cx, cy = np.median(x[settle]), np.median(y[settle])
    radius, round_s = level_settings(1)
    in_round = (t >= HOLD_START_S - 1e-9) & (t < HOLD_START_S + round_s - 1e-9)
    touching = ((t >= TOUCH_DOWN_S) & (t < TOUCH_DOWN_S + 0.5)) | ((t >= JUMP_S) & (t < JUMP_S + 1.0))
    held = in_round & ~touching
    zone = 100.0 * np.mean(np.hypot(x[held] - cx, y[held] - cy) <= radius)
    path, span = 0.0, 0.0
    for start, stop in ((HOLD_START_S, TOUCH_DOWN_S), (TOUCH_DOWN_S + 0.5, JUMP_S), (JUMP_S + 1.0, HOLD_START_S + 30)):
        part = (t >= start - 1e-9) & (t < stop - 1e-9)
        path += np.hypot(np.diff(x[part]), np.diff(y[part])).sum()
        span += t[part][-1] - t[part][0]
    n = held.sum()
    covariance = np.cov(x[held], y[held])
    area = np.pi * f_distribution.ppf(0.95, 2, n - 2) * 2 * (n - 1) * (n + 1) / (n * (n - 2)) * \
        np.sqrt(np.linalg.det(covariance))
    return {"hold_s": TOUCH_DOWN_S - HOLD_START_S, "time_in_zone_pct": zone, "sway_velocity_mm_s": path / span,
            "sway_area_ellipse95_mm2": area, "touch_downs": 2.0, "centre": (cx, cy)}


def test_scripted_round_scores_match_the_truth(scripted_folder, tmp_path):
    result = play_headless("single-leg", f"replay://{scripted_folder}?speed=max",
                           RoundOptions(weight_kg=WEIGHT_KG, level=1, leg="left"), out_folder=tmp_path / "round")
    expected = truth()
    scores = result.scores
    assert result.valid
    assert all(isinstance(v, float) for v in scores.values())  # numeric scores only; leg stays in the options
    assert scores["touch_downs"] == 2.0
    assert scores["hold_s"] == pytest.approx(expected["hold_s"], abs=HOLD_TOLERANCE_S)
    # Known share: out of the 30 mm target only while the drift holds the COP 45 mm away, about 3.6 s of 28.5 s.
    assert 83.0 < expected["time_in_zone_pct"] < 90.0
    assert scores["time_in_zone_pct"] == pytest.approx(expected["time_in_zone_pct"], abs=0.2)
    assert scores["sway_velocity_mm_s"] == pytest.approx(expected["sway_velocity_mm_s"], rel=0.01)
    assert scores["sway_area_ellipse95_mm2"] == pytest.approx(expected["sway_area_ellipse95_mm2"], rel=0.01)
    assert set(scores) == set(SCORE_NAMES)
    events = (tmp_path / "round" / "events.csv").read_text()
    assert "touch-down,load at 16.00 s" in events and "touch-down,cop-jump at 21.50 s" in events


def body_weight_event(folder) -> str:
    return next(line.split(",", 2)[2] for line in (folder / "events.csv").read_text().splitlines()
                if ",body-weight," in line)


def test_body_weight_measured_when_not_given(scripted_folder, tmp_path):
    result = play_headless("single-leg", f"replay://{scripted_folder}?speed=max", RoundOptions(level=1),
                           out_folder=tmp_path / "round")
    assert body_weight_event(tmp_path / "round") == "70.00 kg measured"
    assert result.scores["touch_downs"] == 2.0


def test_a_longer_touch_down_and_no_touch_down():
    t, total, x, y = scripted()
    hold = t >= HOLD_START_S
    args = dict(target_x_mm=CENTRE[0], target_y_mm=CENTRE[1], target_radius_mm=30.0, body_weight_kg=WEIGHT_KG,
                round_s=30.0)
    quiet = np.where((t >= TOUCH_DOWN_S) & (t < TOUCH_DOWN_S + 0.5), WEIGHT_KG, total)
    x_quiet = np.where((t >= JUMP_S) & (t < JUMP_S + 1.0), x - 100.0, x)
    scores = score_single_leg(t[hold], quiet[hold], x_quiet[hold], y[hold], **args)
    assert scores["touch_downs"] == 0.0 and scores["hold_s"] == pytest.approx(30.0, abs=1e-6)
    # A load dip shorter than the detection time is not a touch-down; one just longer is.
    for dip_s, expected in ((TOUCH_DOWN_LOAD_S - 0.02, 0), (TOUCH_DOWN_LOAD_S + 0.02, 1)):
        dipped = np.where((t >= 10.0) & (t < 10.0 + dip_s), 0.6 * WEIGHT_KG, quiet)
        found = detect_touch_downs(t[hold], dipped[hold], x_quiet[hold], y[hold], body_weight_kg=WEIGHT_KG,
                                   target_x_mm=CENTRE[0], target_y_mm=CENTRE[1])
        assert len(found) == expected
        if expected:
            assert found[0].start_s == pytest.approx(10.0) and found[0].cause == "load"
            assert found[0].detected_s == pytest.approx(10.0 + TOUCH_DOWN_LOAD_S, abs=0.011)


def test_a_foot_put_down_slowly_on_the_board_is_a_touch_down():
    # The COP slides 100 mm to the side over 1 s at full load (too slow for a jump): the other foot bears weight on
    # the board once the COP is beyond the standing foot's edge, OUTSIDE_FOOT_ML_MM from where it settled.
    t = np.arange(1000) / RATE_HZ
    x = np.clip(t - 3.0, 0.0, 1.0) * 100.0
    found = detect_touch_downs(t, np.full(len(t), WEIGHT_KG), x, np.zeros(len(t)), body_weight_kg=WEIGHT_KG,
                               target_x_mm=0.0, target_y_mm=0.0)
    assert [td.cause for td in found] == ["outside-foot"]
    first_outside_s = 3.0 + OUTSIDE_FOOT_ML_MM / 100.0
    assert found[0].start_s == pytest.approx(first_outside_s, abs=0.011)
    assert found[0].end_s is None  # the foot never came back to the mark


def test_sample_durations_skip_gaps_and_leg_asymmetry():
    durations = sample_durations_s([0.0, 0.01, 0.02, 1.5, 1.51])
    assert durations.tolist() == pytest.approx([0.01, 0.01, 0.0, 0.01, 0.01])
    assert leg_asymmetry_pct({"sway_velocity_mm_s": 40.0}, {"sway_velocity_mm_s": 30.0}) == pytest.approx(25.0)
    assert leg_asymmetry_pct({"hold_s": 30.0}, {"hold_s": 30.0}, "hold_s") == 0.0
    with pytest.raises(ValueError):
        leg_asymmetry_pct({"sway_velocity_mm_s": math.nan}, {"sway_velocity_mm_s": 30.0})
    assert level_settings(1) == (30.0, 30.0) and level_settings(5)[1] == 45.0 and level_settings(9) == level_settings(5)
    radii = [level_settings(level)[0] for level in range(1, 6)]
    assert radii == sorted(radii, reverse=True)


@pytest.mark.parametrize("seed", [1, 3])
def test_simulated_single_leg_rounds_are_plausible(seed, tmp_path):
    result = play_headless("single-leg", f"sim://?profile=single-leg&speed=max&seed={seed}&empty_s=1",
                           RoundOptions(level=3, leg="right"), out_folder=tmp_path / "round")
    scores = result.scores
    assert result.valid
    assert scores["touch_downs"] == 0.0
    assert scores["hold_s"] == pytest.approx(45.0, abs=STEP_S)
    assert float(body_weight_event(tmp_path / "round").split(" kg")[0]) == pytest.approx(70.0, abs=0.5)
    # The simulator's single-leg profile sways at 37-39 mm/s with a 9-10 cm² ellipse; a 18 mm target holds most.
    assert 25.0 < scores["sway_velocity_mm_s"] < 55.0
    assert 400.0 < scores["sway_area_ellipse95_mm2"] < 1600.0
    assert 60.0 < scores["time_in_zone_pct"] <= 100.0


class ScriptedLiveSource:
    """A paced source (a live board) that hands out 100 Hz samples of quiet single-leg stance, one game step's
    worth per read, and nothing at all between `silent` reads (the board went quiet)."""

    url = "script://live"
    identity = "scripted live board"
    geometry = WII_BALANCE_BOARD
    paced = True

    def __init__(self, silent=(600, 700)):
        self.silent = silent
        self.state = SourceState.CONNECTING
        self.reads = 0
        self.next_index = 0

    def open(self):
        self.state = SourceState.STREAMING

    def read(self):
        self.reads += 1
        due = math.floor(self.reads * STEP_S * RATE_HZ + 1e-9)
        if self.silent[0] <= self.reads < self.silent[1]:
            self.next_index = due  # those samples are lost
            return []
        samples = []
        for i in range(self.next_index, due):
            t = i / RATE_HZ
            x, y = 3.0 * math.sin(2 * math.pi * 0.5 * t), 2.0 * math.cos(2 * math.pi * 0.3 * t)
            samples.append(LoadSample(t, *cop_to_corners([x], [y], [WEIGHT_KG], self.geometry)[0].tolist(), seq=i))
        self.next_index = due
        return samples

    def close(self):
        self.state = SourceState.ENDED


def test_a_stale_board_pauses_the_round():
    source = ScriptedLiveSource(silent=(600, 700))
    source.open()
    board = BalanceInput(source)
    game = SingleLegRound(board, RoundOptions(weight_kg=WEIGHT_KG, seconds=20.0))
    steps = 0
    paused_seen = False
    while not game.finished and steps < 5000:
        game.update(STEP_S)
        steps += 1
        paused_seen |= game.round.paused
        if game.round.paused:
            held_s = game.hold_now_s
            game.update(STEP_S)  # while paused nothing moves
            steps += 1
            assert game.hold_now_s == held_s
    kinds = [event.kind for event in game.round.events]
    assert paused_seen and "pause" in kinds and "resume" in kinds and game.round.pauses == 1
    # 100 silent steps: the game's clock stopped for those after STALE (0.5 s without samples); the round's time,
    # made of sample intervals, counts none of the gap, so the hold still lasts its full 20 s of samples.
    assert steps * STEP_S > game.round.t_s + 1.0
    scores = game.scores()
    assert scores["touch_downs"] == 0.0
    assert scores["hold_s"] == pytest.approx(20.0, abs=STEP_S)
    assert game.hold_start_s is not None and game.round_time_s == pytest.approx(20.0, abs=STEP_S)


def test_screen_shows_the_marker_and_the_target(scripted_folder):
    from hardware.sources import make_source

    source = make_source(f"replay://{scripted_folder}?speed=max")
    source.open()
    board = BalanceInput(source)
    game = SingleLegRound(board, RoundOptions(weight_kg=WEIGHT_KG))
    while game.round.t_s < 5.0:
        game.update(STEP_S)
    pygame.display.init()
    try:
        screen = pygame.display.set_mode((1280, 720))  # the dummy video driver (tests/conftest.py)
        game.draw(screen)
        size = screen.get_size()
        frame = game.frame
        assert frame.standing
        # The main view: the area round the target, drawn with board_to_screen on a zoomed geometry.
        marker = game.zoom_to_screen(frame.cop_x_mm, frame.cop_y_mm, size)
        assert marker == board_to_screen(frame.cop_x_mm - game.target_mm[0], frame.cop_y_mm - game.target_mm[1],
                                         game.zoom_geometry(), board_view_rect(size))
        assert tuple(screen.get_at(marker))[:3] == style.MARKER
        # The target ring: its outer edge, left of its centre (the marker and trail stay within 20 mm of the centre).
        cx, cy = game.zoom_to_screen(*game.target_mm, size)
        radius_px = int(round(game.target_radius_mm * board_scale_px_per_mm(game.zoom_geometry(),
                                                                            board_view_rect(size))))
        assert tuple(screen.get_at((cx - radius_px + 2, cy)))[:3] in (style.TARGET, style.GOOD)
        assert tuple(screen.get_at((cx - radius_px - 4, cy)))[:3] not in (style.TARGET, style.GOOD)
        # The whole board, small, with the marker where board_to_screen puts it.
        inset = board_to_screen(frame.cop_x_mm, frame.cop_y_mm, board.geometry, game.inset_rect(size))
        assert tuple(screen.get_at(inset))[:3] == style.MARKER
        # A pointer board (mouse://) is handed the board point under the pointer in the zoomed view.
        assert game.zoom_to_screen(*game.screen_to_board((300, 200)), size) == (300, 200)
    finally:
        pygame.display.quit()
        source.close()


def test_eyes_closed_tone_with_and_without_a_mixer(scripted_folder, tmp_path):
    frequencies = [tone_for_distance(d, 20.0) for d in (0.0, 10.0, 20.0, 40.0, 60.0, 500.0)]
    assert [f for f, _ in frequencies] == sorted(f for f, _ in frequencies)
    assert [v for _, v in frequencies] == sorted(v for _, v in frequencies)
    assert frequencies[2][0] == pytest.approx(2 * frequencies[0][0])  # an octave per radius
    options = RoundOptions(weight_kg=WEIGHT_KG, eyes="closed", seconds=5.0, foam=True)
    pygame.mixer.init()
    try:
        result = play_headless("single-leg", f"replay://{scripted_folder}?speed=max", options,
                               out_folder=tmp_path / "round")
        recorded = json.loads((tmp_path / "round" / "summary.json").read_text())["scores"]["options"]
        assert recorded["foam"] is True and recorded["eyes"] == "closed"
        assert result.scores["hold_s"] == pytest.approx(5.0, abs=STEP_S)
        from hardware.sources import make_source

        source = make_source(f"replay://{scripted_folder}?speed=max")
        source.open()
        game = SingleLegRound(BalanceInput(source), options)
        while game.round.t_s < 3.0:
            game.update(STEP_S)
        assert game.tones.available and game.tones.playing is not None and game.tones.sounds
        game.exit()
        assert game.tones.playing is None
        source.close()
    finally:
        pygame.mixer.quit()
    silent = play_headless("single-leg", f"replay://{scripted_folder}?speed=max", options)
    assert silent.scores == pytest.approx(result.scores)


def test_the_doc_lists_exactly_the_scores(scripted_folder):
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "games-single-leg.md").read_text()
    section = doc.split("## Scores", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", section, flags=re.MULTILINE))
    result = play_headless("single-leg", f"replay://{scripted_folder}?speed=max",
                           RoundOptions(weight_kg=WEIGHT_KG, seconds=3.0))
    assert documented == set(result.scores)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=30))
def test_the_detector_fed_in_chunks_finds_what_the_batch_finds(chunk_sizes):
    t, total, x, y = scripted()
    hold = t >= HOLD_START_S
    t, total, x, y = t[hold], total[hold], x[hold], y[hold]
    kwargs = dict(body_weight_kg=WEIGHT_KG, target_x_mm=CENTRE[0], target_y_mm=CENTRE[1])
    detector = TouchDownDetector(**kwargs)
    start = 0
    for size in chunk_sizes * (len(t) // sum(chunk_sizes) + 1):
        detector.feed(t[start:start + size], total[start:start + size], x[start:start + size], y[start:start + size])
        start += size
        if start >= len(t):
            break
    assert detector.touch_downs == detect_touch_downs(t, total, x, y, **kwargs)
    assert [td.cause for td in detector.touch_downs] == ["load", "cop-jump"]


def test_a_round_nobody_held_scores_nothing():
    result = play_headless("single-leg", "sim://?profile=single-leg&speed=max&duration_s=1.5", RoundOptions())
    scores = result.scores
    assert scores["hold_s"] == 0.0 and scores["touch_downs"] == 0.0 and scores["time_in_zone_pct"] == 0.0
    assert math.isnan(scores["sway_velocity_mm_s"]) and math.isnan(scores["sway_area_ellipse95_mm2"])
