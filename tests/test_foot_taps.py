"""Foot taps: headless rounds on scripted corner-load recordings whose truth is known.

Each recording is a B.4 folder written with RecordingWriter: 100 Hz, the four corners built with cop_to_corners on
the geometry the replay will use, plus 0.05 kgf of noise per corner. A scripted tap is a ramp of the load over
50 ms to its peak, held 150 ms, released over 50 ms (clock taps: the same shape as a dip below body weight).

Tolerances, and why:
- counts (taps, hits, misses, cues): exact; every scripted tap is well above the thresholds and well apart.
- reaction times: 20 ms. A cue's time is the board time of the 60 Hz frame it is shown on: up to one frame
  (16.7 ms) after its scheduled time, or up to one sample (10 ms) before it when the newest sample lags the frame;
  onsets are interpolated between samples, so they add well under 1 ms.
- tap rate: 2 % (the scored duration is known to about one sample; 1 tap in 30 s is 3 %).
- stabilisation: 60 ms: the COP speed is a central difference over ±50 ms, so the end of a movement is seen up to
  50 ms early or late, plus one 10 ms sample.
- tap load: 0.5 % of body weight: the peak of a noisy signal sits up to ~2.5 σ (0.25 kg, 0.36 % of 70 kg) above
  the scripted depth.
"""
from __future__ import annotations

import math

import numpy as np
import pygame
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from games import style
from games.foot_taps import (FIRST_CUE_S, FootTapsRound, LEVELS, arrow_points, cue_arrow_centre, cue_schedule,
                             layout)
from games.headless import play_headless
from games.live_view import board_to_screen
from games.round import RoundOptions
from hardware.samples import WII_BALANCE_BOARD, LoadSample
from hardware.sources import SourceState, make_source
from trainer.balance_input import STEP_S, BalanceInput
from trainer.cop import cop_to_corners
from trainer.recorder import RecordingWriter
from trainer.scoring import foot_taps as scoring
from trainer.scoring.foot_taps import CENTRE, LEFT, RIGHT

RATE_HZ = 100.0
RISE_S, HOLD_S, FALL_S = 0.05, 0.15, 0.05
NOISE_KG = 0.05
BW_KG = 70.0
ONSET_KG = scoring.tap_onset_kg(BW_KG)  # 3.5 kg
RELEASE_KG = scoring.TAP_RELEASE_FRACTION * ONSET_KG
RT_TOL_S = 0.020
SIDE_X_MM = {LEFT: -120.0, RIGHT: 120.0}


# --- scripting ----------------------------------------------------------------------------------------------------
def pulse(t, start_s, peak_kg, hold_s=HOLD_S):
    """A tap's load: 0 → peak over RISE_S from start_s, held hold_s, back to 0 over FALL_S."""
    up = np.clip((t - start_s) / RISE_S, 0.0, 1.0)
    down = np.clip((t - (start_s + RISE_S + hold_s)) / FALL_S, 0.0, 1.0)
    return peak_kg * (up - down)


def onset_truth(start_s, peak_kg):
    return start_s + RISE_S * ONSET_KG / peak_kg


def release_truth(start_s, peak_kg, hold_s=HOLD_S):
    return start_s + RISE_S + hold_s + FALL_S * (1.0 - RELEASE_KG / peak_kg)


def write_folder(folder, geometry, t, total, x, y, *, seed=0, noise_kg=NOISE_KG):
    corners = cop_to_corners(x, y, total, geometry)
    corners += np.random.default_rng(seed).normal(0.0, noise_kg, corners.shape)
    with RecordingWriter(folder, board_url="scripted://", board_identity="scripted foot taps",
                         geometry=geometry) as writer:
        writer.add_samples([LoadSample(float(ti), *map(float, c)) for ti, c in zip(t, corners)])
    return folder


def end_details(out_folder) -> dict:
    """The round's details logged with its end (`FootTapsRound.details()` less the scores), from events.csv."""
    rows = [line.split(",", 2) for line in (out_folder / "events.csv").read_text().splitlines()[1:]]
    ends = [detail for _, kind, detail in rows if kind == "end"]
    assert len(ends) == 1
    return {k: float(v) for k, v in (item.split("=") for item in ends[0].split())}


def play(folder, options, out_folder):
    """play_headless on a scripted folder: (scores, the details logged with the round's end)."""
    result = play_headless("foot-taps", f"replay://{folder}?speed=max", options, out_folder=out_folder)
    assert result.valid
    return result.scores, end_details(out_folder)


@pytest.fixture(scope="module")
def geometry(tmp_path_factory):
    """The geometry a replayed B.4 folder reports (the board's own once the reader keeps it; a force plate's
    until then): scripts are built on it so that the replayed COP is the scripted one."""
    folder = tmp_path_factory.mktemp("probe")
    t = np.arange(10) / RATE_HZ
    write_folder(folder, WII_BALANCE_BOARD, t, np.full(10, 50.0), np.zeros(10), np.zeros(10))
    source = make_source(f"replay://{folder}?speed=max")
    source.open()
    try:
        return source.geometry
    finally:
        source.close()


def target_script(cues, *, duration_s):
    """Answers to target cues with known truth: every 7th cue (from the 4th) left unanswered, every 7th (from the
    6th) answered on the wrong side, two extra taps before the first cue; the rest answered on the cued side after
    0.30-0.45 s."""
    t = np.arange(0.0, duration_s, 1.0 / RATE_HZ)
    total, x, y = np.zeros_like(t), np.zeros_like(t), np.full_like(t, 30.0)
    truth = {"taps": 0, "hits": 0, "rt": [], "hits_by_side": {LEFT: 0, RIGHT: 0}, "cues_by_side": {LEFT: 0, RIGHT: 0}}

    def tap(start, side, peak):
        nonlocal total
        load = pulse(t, start, peak)
        total = total + load
        x[load > 0] = SIDE_X_MM[side]
        truth["taps"] += 1

    for start, side in ((0.5, LEFT), (1.2, RIGHT)):
        tap(start, side, 15.0)
    for i, cue in enumerate(cues):
        truth["cues_by_side"][cue.side] += 1
        if i % 7 == 3:
            continue
        peak = 12.0 + (i % 5) * 3.0
        start = cue.round_s + 0.30 + 0.05 * (i % 4)
        if i % 7 == 5:
            tap(start, -cue.side, peak)
            continue
        tap(start, cue.side, peak)
        truth["hits"] += 1
        truth["hits_by_side"][cue.side] += 1
        truth["rt"].append(onset_truth(start, peak) - cue.round_s)
    return t, total, x, y, truth


# --- target ---------------------------------------------------------------------------------------------------
def test_target_round_scores_the_scripted_taps(tmp_path, geometry):
    cues = cue_schedule("target", 4, 3, 30.0)
    assert len(cues) >= 10 and {c.side for c in cues} == {LEFT, RIGHT}
    t, total, x, y, truth = target_script(cues, duration_s=31.0)
    folder = write_folder(tmp_path / "target", geometry, t, total, x, y)
    s, d = play(folder, RoundOptions(setup="target", level=4, seed=3, seconds=30.0), tmp_path / "out")
    assert set(s) == {"taps", "hits", "misses", "mean_reaction_ms", "tap_rate_hz", "left_right_symmetry_pct"}
    assert d["cues"] == len(cues) and d["level"] == 4 and d["voided_cues"] == 0
    assert s["taps"] == truth["taps"]
    assert s["hits"] == truth["hits"]
    assert s["misses"] == len(cues) - truth["hits"]
    assert d["wrong_side_taps"] == sum(1 for i in range(len(cues)) if i % 7 == 5)
    assert d["extra_taps"] == 2
    assert s["mean_reaction_ms"] == pytest.approx(1000 * np.mean(truth["rt"]), abs=1000 * RT_TOL_S)
    assert s["tap_rate_hz"] == pytest.approx(truth["taps"] / 30.0, rel=0.02)
    rates = [truth["hits_by_side"][side] / truth["cues_by_side"][side] for side in (LEFT, RIGHT)]
    assert s["left_right_symmetry_pct"] == pytest.approx(100 * min(rates) / max(rates), abs=1e-9)
    assert d["weight_kg"] == scoring.DEFAULT_TARGET_WEIGHT_KG
    # The recording holds the round's events: the cues shown and the judgements.
    events = (tmp_path / "out" / "events.csv").read_text().splitlines()
    assert sum(",cue," in line for line in events) == len(cues)
    assert sum(",hit," in line for line in events) == truth["hits"]


def test_target_metronome_level_takes_taps_on_the_beat(tmp_path, geometry):
    """Level 1: a metronome; a tap up to 0.25 s before the beat answers it (negative reaction time)."""
    cues = cue_schedule("target", 1, 1, 12.0)
    assert [c.side for c in cues[:4]] == [LEFT, RIGHT, LEFT, RIGHT]
    assert np.allclose(np.diff([c.round_s for c in cues]), 1.5)
    t = np.arange(0.0, 13.0, 1.0 / RATE_HZ)
    total, x = np.zeros_like(t), np.zeros_like(t)
    rts = []
    for i, cue in enumerate(cues):
        start = cue.round_s - 0.15 if i % 2 else cue.round_s + 0.2
        load = pulse(t, start, 20.0)
        total += load
        x[load > 0] = SIDE_X_MM[cue.side]
        rts.append(onset_truth(start, 20.0) - cue.round_s)
    folder = write_folder(tmp_path / "metronome", geometry, t, total, x, np.zeros_like(t))
    s = play_headless("foot-taps", f"replay://{folder}?speed=max",
                      RoundOptions(level=1, seconds=12.0)).scores
    assert s["hits"] == len(cues) and s["misses"] == 0
    assert s["mean_reaction_ms"] == pytest.approx(1000 * np.mean(rts), abs=1000 * RT_TOL_S)
    assert s["left_right_symmetry_pct"] == pytest.approx(100.0)


def test_hill_step_test_counts_taps_of_one_foot_in_15_s(tmp_path, geometry):
    """Level 7: taps of the right foot from the go (2 s) for 15 s; left taps are misses, taps before the go and
    after the 15 s do not count. Reaction: from the go or the previous tap's release to the next onset."""
    t = np.arange(0.0, 18.0, 1.0 / RATE_HZ)
    total, x = np.zeros_like(t), np.zeros_like(t)
    starts = [1.0] + list(np.arange(FIRST_CUE_S + 0.35, FIRST_CUE_S + 15.6, 0.62))
    sides = [RIGHT] + [LEFT if k % 6 == 4 else RIGHT for k in range(len(starts) - 1)]
    for start, side in zip(starts, sides):
        load = pulse(t, start, 18.0)
        total += load
        x[load > 0] = SIDE_X_MM[side]
    go = FIRST_CUE_S
    counted = [(s, side) for s, side in zip(starts, sides) if go <= onset_truth(s, 18.0) < go + 15.0]
    hits = sum(side == RIGHT for _, side in counted)
    rts, cue_t = [], go
    for s, side in counted:
        if side == RIGHT:
            rts.append(onset_truth(s, 18.0) - cue_t)
        cue_t = release_truth(s, 18.0)
    folder = write_folder(tmp_path / "hill", geometry, t, total, x, np.zeros_like(t))
    s = play_headless("foot-taps", f"replay://{folder}?speed=max", RoundOptions(level=7, leg="right")).scores
    assert s["taps"] == len(counted) and s["hits"] == hits and s["misses"] == len(counted) - hits
    assert 20 <= hits <= 24  # the script is what it says
    assert s["mean_reaction_ms"] == pytest.approx(1000 * np.mean(rts), abs=1000 * RT_TOL_S)
    assert s["tap_rate_hz"] == pytest.approx(len(counted) / 15.0, rel=0.02)
    assert math.isnan(s["left_right_symmetry_pct"])  # one foot only: no symmetry


def test_alternate_step_test_times_8_alternating_taps(tmp_path, geometry):
    """Level 8: 8 alternating taps, starting with the `leg` foot; a repeated side is a miss and does not count
    towards the 8; the round ends at the 8th."""
    t = np.arange(0.0, 20.0, 1.0 / RATE_HZ)
    total, x = np.zeros_like(t), np.zeros_like(t)
    sides = [LEFT, RIGHT, LEFT, LEFT, RIGHT, LEFT, RIGHT, LEFT, RIGHT, LEFT, RIGHT]  # the 4th is a repeat
    starts = FIRST_CUE_S + 0.4 + 0.7 * np.arange(len(sides))
    for start, side in zip(starts, sides):
        load = pulse(t, start, 20.0)
        total += load
        x[load > 0] = SIDE_X_MM[side]
    eighth_hit = starts[8]  # 9 taps, one of them a miss
    folder = write_folder(tmp_path / "ast", geometry, t, total, x, np.zeros_like(t))
    result = play_headless("foot-taps", f"replay://{folder}?speed=max", RoundOptions(level=8, leg="left"))
    s = result.scores
    assert s["hits"] == 8 and s["misses"] == 1 and s["taps"] == 9
    assert s["alternate_step_time_s"] == pytest.approx(onset_truth(eighth_hit, 20.0) - FIRST_CUE_S, abs=RT_TOL_S)
    assert s["left_right_symmetry_pct"] == pytest.approx(100 * (4 / 5) / (4 / 4))  # hit rates: left 4/5, right 4/4


# --- clock ----------------------------------------------------------------------------------------------------
def clock_script(cues, *, duration_s):
    """One leg on the board (70 kg, a slow 5 mm sway); each cue answered by a dip after 0.35-0.43 s, 6 or 10.5 kg
    deep, then the COP swings at 2 Hz, 20 mm (250 mm/s) for 0.375 or 0.625 s and stops; every 5th cue (from the
    3rd) unanswered."""
    t = np.arange(0.0, duration_s, 1.0 / RATE_HZ)
    x = 5.0 * np.sin(2 * np.pi * 0.3 * t)
    y = 20.0 + 3.0 * np.cos(2 * np.pi * 0.2 * t)
    dip = np.zeros_like(t)
    truth = {"rt": [], "depth": [], "settle": [], "hits_by_side": {LEFT: 0, RIGHT: 0},
             "cues_by_side": {LEFT: 0, RIGHT: 0}}
    for i, cue in enumerate(cues):
        if cue.side in (LEFT, RIGHT):
            truth["cues_by_side"][cue.side] += 1
        if i % 5 == 2:
            continue
        start = cue.round_s + 0.35 + 0.04 * (i % 3)
        depth = 6.0 if i % 2 else 10.5
        dip += pulse(t, start, depth)
        swing_s = 0.375 if i % 2 else 0.625
        back = start + RISE_S + HOLD_S + FALL_S
        tau = np.clip(t - back, 0.0, swing_s)
        x += np.where(t >= back, 20.0 * np.sin(2 * np.pi * 2.0 * tau), 0.0)
        truth["rt"].append(onset_truth(start, depth) - cue.round_s)
        truth["depth"].append(depth)
        truth["settle"].append(back + swing_s - release_truth(start, depth))
        if cue.side in (LEFT, RIGHT):
            truth["hits_by_side"][cue.side] += 1
    return t, BW_KG - dip, x, y, truth


def test_clock_round_scores_dips_and_settling(tmp_path, geometry):
    cues = cue_schedule("clock", 1, 1, 30.0)
    assert [c.label for c in cues[:4]] == ["12", "3", "6", "9"]
    t, total, x, y, truth = clock_script(cues, duration_s=31.0)
    folder = write_folder(tmp_path / "clock", geometry, t, total, x, y, seed=4)
    s, d = play(folder, RoundOptions(setup="clock", leg="left", level=1, seconds=30.0), tmp_path / "out")
    n = len(truth["rt"])
    assert d["weight_kg"] == pytest.approx(BW_KG, abs=0.1)  # the first second on the board
    weighed = [line for line in (tmp_path / "out" / "events.csv").read_text().splitlines() if ",weighed," in line]
    assert len(weighed) == 1 and weighed[0].endswith(f"{d['weight_kg']:.1f} kg")  # live and final agree
    assert d["cues"] == len(cues) and s["taps"] == n and s["hits"] == n and s["misses"] == len(cues) - n
    assert s["mean_reaction_ms"] == pytest.approx(1000 * np.mean(truth["rt"]), abs=1000 * RT_TOL_S)
    assert s["mean_tap_load_pct_bw"] == pytest.approx(100 * np.mean(truth["depth"]) / BW_KG, abs=0.5)
    assert d["settled_taps"] == n
    assert s["mean_stabilization_ms"] == pytest.approx(1000 * np.mean(truth["settle"]), abs=60)
    rates = [truth["hits_by_side"][side] / truth["cues_by_side"][side] for side in (LEFT, RIGHT)]
    assert s["left_right_symmetry_pct"] == pytest.approx(100 * min(rates) / max(rates))
    assert s["tap_rate_hz"] == pytest.approx(n / 30.0, rel=0.02)


def test_clock_stabilization_per_tap_follows_the_swing():
    """The stabilisation of single taps, from the scoring functions: a longer swing settles later, by the swing's
    difference."""
    cues = [scoring_cue(3.0), scoring_cue(6.0)]
    t, total, x, y, truth = clock_script(cues, duration_s=9.0)
    taps = scoring.detect_taps(t, BW_KG - total, onset_kg=ONSET_KG)
    speed = scoring.cop_speed_mm_s(t, x, y)
    settle = [scoring.stabilization_s(t, speed, r, r + 2.0) for r in taps.release_s]
    assert len(taps) == 2
    assert settle[0] == pytest.approx(truth["settle"][0], abs=0.06)
    assert settle[1] == pytest.approx(truth["settle"][1], abs=0.06)
    assert settle[0] - settle[1] == pytest.approx(0.25, abs=0.03)


def scoring_cue(t_s):
    from games.foot_taps import Cue
    return Cue(t_s, CENTRE, "12", (0.0, 1.0))


# --- pauses ---------------------------------------------------------------------------------------------------
class StallingSource:
    """A paced board (live sync) on a scripted timeline: each read is one 60 Hz step; between `stall` seconds it
    sends nothing, then hands over the whole backlog at once (a radio link catching up)."""

    paced = True

    def __init__(self, t, corners, geometry, stall):
        self.url, self.identity, self.geometry = "stall://", "stalling board", geometry
        self.state = SourceState.CONNECTING
        self.t, self.corners, self.stall = t, corners, stall
        self.now = 0.0
        self.next = 0

    def open(self):
        self.state = SourceState.STREAMING

    def read(self):
        self.now += STEP_S
        if self.stall[0] <= self.now < self.stall[1]:
            return []
        end = int(np.searchsorted(self.t, self.now, side="right"))
        out = [LoadSample(float(self.t[i]), *map(float, self.corners[i])) for i in range(self.next, end)]
        self.next = end
        if end == len(self.t):
            self.state = SourceState.ENDED
        return out

    def close(self):
        self.state = SourceState.ENDED


def test_a_stale_board_pauses_the_round_and_nothing_in_the_gap_is_scored():
    t = np.arange(0.0, 26.0, 1.0 / RATE_HZ)
    stall = (10.0, 13.0)
    starts = list(np.arange(2.35, 24.0, 0.95))
    assert any(s < stall[0] < s + 0.3 for s in starts)  # one tap is cut by the stall
    total = sum(pulse(t, s, 15.0) for s in starts)
    x = np.full_like(t, -120.0)
    corners = cop_to_corners(x, np.zeros_like(t), total, WII_BALANCE_BOARD)
    source = StallingSource(t, corners, WII_BALANCE_BOARD, stall)
    source.open()
    board = BalanceInput(source)
    game = FootTapsRound(board, RoundOptions(level=5, seconds=18.0))
    while not game.finished:
        game.update(STEP_S)
    kinds = [e.kind for e in game.round.events]
    assert game.round.pauses == 1 and "pause" in kinds and "resume" in kinds
    # The round's own clock stopped: 18 s of round took 18 s plus the pause (stall less the 0.5 s to call it stale).
    assert board.frame.t_s == pytest.approx(18.0 + (stall[1] - stall[0]) - 0.5, abs=0.1)
    scored_t, _, _, _ = game.arrays()
    assert not np.any((scored_t > stall[0]) & (scored_t < stall[1]))  # the backlog was not scored
    end_t = board.frame.t_s
    whole = [s for s in starts if s + 0.3 < stall[0] or (s > stall[1] + 0.1 and s + 0.3 < end_t)]
    scores = game.scores()
    assert scores["taps"] == len(whole)
    assert game.details()["voided_cues"] >= 1  # the cue open when the board stalled
    # The judgements logged cue by cue as their windows closed (and shown as HIT / MISS) are what the round scored.
    kinds = [e.kind for e in game.round.events]
    assert (kinds.count("hit"), kinds.count("miss")) == (scores["hits"], scores["misses"])
    assert (game.shown_hits, game.shown_misses) == (scores["hits"], scores["misses"])
    shown = [s for s in game.cue_source_s if math.isfinite(s)]
    assert not any(stall[0] - 0.6 < s < stall[1] for s in shown)


# --- screen, sound, options ----------------------------------------------------------------------------------------
def test_screenshot_shows_the_cop_marker_and_the_cue(tmp_path, geometry):
    t = np.arange(0.0, 6.0, 1.0 / RATE_HZ)
    start = FIRST_CUE_S + 0.3  # answering the first cue (left) with a long press
    total = pulse(t, start, 20.0, hold_s=1.0)
    x = np.where(total > 0, -120.0, 0.0)
    y = np.where(total > 0, 40.0, 0.0)
    folder = write_folder(tmp_path / "shot", geometry, t, total, x, y, noise_kg=0.0)  # the COP exactly
    source = make_source(f"replay://{folder}?speed=max")
    source.open()
    board = BalanceInput(source)
    game = FootTapsRound(board, RoundOptions(level=1, seconds=5.0))
    size = (1280, 720)
    areas = layout(size)
    arrow_centre = cue_arrow_centre(areas["cue"])
    surface = pygame.Surface(size)
    while game.round.t_s < 1.0:
        game.update(STEP_S)
    game.draw(surface)
    assert tuple(surface.get_at(arrow_centre))[:3] != style.TARGET  # no cue yet
    while game.round.t_s < start + 0.5:
        game.update(STEP_S)
    frame = board.frame
    assert frame.standing and frame.cop_x_mm == pytest.approx(-120.0, abs=0.5)
    assert frame.cop_y_mm == pytest.approx(40.0, abs=0.5)
    game.draw(surface)
    pixel = board_to_screen(-120.0, 40.0, board.geometry, areas["board"])
    assert tuple(surface.get_at(pixel))[:3] == style.MARKER
    mirrored = board_to_screen(120.0, 40.0, board.geometry, areas["board"])
    assert tuple(surface.get_at(mirrored))[:3] != style.MARKER
    assert tuple(surface.get_at(arrow_centre))[:3] == style.TARGET  # the cue's arrow
    # It points left: its tip is left of its centre.
    tip = min(arrow_points(arrow_centre, (-1.0, 0.0), areas["cue"][3] * 0.8))
    assert tip[0] < arrow_centre[0]
    assert tuple(surface.get_at((tip[0] + 4, tip[1])))[:3] == style.TARGET
    # A pointer board (mouse://) is told the board point under the pointer: the inverse of the drawing.
    assert game.screen_to_board(pixel) == pytest.approx((-120.0, 40.0), abs=2.0)
    source.close()


def test_eyes_closed_cues_by_sound_and_plays_without_a_mixer(tmp_path, geometry, monkeypatch):
    from games import foot_taps

    cues = cue_schedule("target", 2, 1, 10.0)
    t, total, x, y, truth = target_script(cues, duration_s=11.0)
    folder = write_folder(tmp_path / "eyes", geometry, t, total, x, y)
    played = []
    try:
        pygame.mixer.init()  # SDL's dummy audio driver (conftest)
    except pygame.error:
        pass
    try:
        real = foot_taps.make_cue_sounds()
        if pygame.mixer.get_init():  # a running mixer: one tone per side, and two beeps for behind
            assert set(real) == {LEFT, RIGHT, CENTRE, "back", "tick"}
            assert real[LEFT].get_length() == pytest.approx(foot_taps.TONE_S, abs=0.01)
            assert real["back"].get_length() > 2 * foot_taps.TONE_S
    finally:
        pygame.mixer.quit()
    assert foot_taps.make_cue_sounds() == {}  # a stopped mixer (sound off) is never started by a round

    class Tone:
        def __init__(self, key):
            self.key = key

        def play(self):
            played.append(self.key)

    monkeypatch.setattr(foot_taps, "make_cue_sounds", lambda: {k: Tone(k) for k in (LEFT, RIGHT, CENTRE, "tick")})
    s = play_headless("foot-taps", f"replay://{folder}?speed=max", RoundOptions(level=2, eyes="closed",
                                                                                seconds=10.0)).scores
    assert played == [c.side for c in cues]
    played.clear()  # eyes open, a metronome level: the beat ticks
    play_headless("foot-taps", f"replay://{folder}?speed=max", RoundOptions(level=2, seconds=10.0))
    assert played == ["tick"] * len(cues)
    # No mixer at all: the same round, silent, same scores.
    monkeypatch.setattr(foot_taps, "make_cue_sounds", lambda: {})
    silent = play_headless("foot-taps", f"replay://{folder}?speed=max", RoundOptions(level=2, eyes="closed",
                                                                                     seconds=10.0)).scores
    assert silent == s and s["hits"] == truth["hits"]


def test_a_broken_mixer_means_no_sounds(monkeypatch):
    from games import foot_taps

    def broken(*args, **kwargs):
        raise pygame.error("audio device gone")

    monkeypatch.setattr(pygame.mixer, "get_init", lambda: (44100, -16, 2))
    monkeypatch.setattr(pygame.sndarray, "make_sound", broken)
    assert foot_taps.make_cue_sounds() == {}


def test_schedules_are_deterministic_and_bad_options_say_why(geometry):
    assert cue_schedule("target", 5, 7, 30.0) == cue_schedule("target", 5, 7, 30.0)
    assert cue_schedule("target", 5, 7, 30.0) != cue_schedule("target", 5, 8, 30.0)
    for level in (4, 5, 6):
        gaps = np.diff([c.round_s for c in cue_schedule("target", level, 2, 60.0)])
        low, high = LEVELS[level].interval_s
        assert gaps.min() >= low - 1e-6 and gaps.max() <= high + 1e-6
    # Within the metronome levels (1-3) and the random ones (4-6), each level asks for quicker answers.
    for levels in ((1, 2, 3), (4, 5, 6)):
        windows = [LEVELS[k].window_s for k in levels]
        intervals = [LEVELS[k].interval_s[1] for k in levels]
        assert windows == sorted(windows, reverse=True) and intervals == sorted(intervals, reverse=True)
    source = make_source("sim://?seed=1")
    board = BalanceInput(source)
    with pytest.raises(ValueError, match="level must be one of"):
        FootTapsRound(board, RoundOptions(level=9))
    with pytest.raises(ValueError, match="target set-up"):
        FootTapsRound(board, RoundOptions(setup="clock", level=7))
    with pytest.raises(ValueError, match="set-up must be one of"):
        FootTapsRound(board, RoundOptions(setup="landing"))


# --- the detector on its own -------------------------------------------------------------------------------------
def test_detector_hysteresis_side_and_long_contacts():
    t = np.arange(0.0, 10.0, 0.01)
    load = pulse(t, 1.0, 15.0)
    # Chatter around the onset level while the foot settles does not make two taps.
    chatter = (t > 3.0) & (t < 3.3)
    load[chatter] = ONSET_KG + np.where(np.arange(chatter.sum()) % 2, 0.3, -0.3)
    load += pulse(t, 5.0, 15.0, hold_s=2.5)  # a foot left on the board: not a tap
    load += pulse(t, 8.5, 15.0)
    x = np.where(t < 4.0, -150.0, np.where(t > 8.0, 10.0, 150.0))  # the last tap on the middle line
    taps = scoring.detect_taps(t, load, x, onset_kg=ONSET_KG)
    assert len(taps) == 3 and taps.long_contacts == 1
    assert list(taps.side) == [LEFT, LEFT, CENTRE]
    assert taps.onset_s[0] == pytest.approx(onset_truth(1.0, 15.0), abs=1e-6)
    assert taps.release_s[0] == pytest.approx(release_truth(1.0, 15.0), abs=1e-6)
    # A gap in the data cuts the tap that spans it.
    keep = (t < 1.1) | (t > 1.6)
    assert len(scoring.detect_taps(t[keep], load[keep], x[keep], onset_kg=ONSET_KG)) == 2


def test_cue_windows_never_share_a_tap():
    taps = scoring.Taps(np.array([1.15, 1.3, 2.05]), np.array([1.25, 1.45, 2.2]), np.array([1.2, 1.35, 2.1]),
                        np.full(3, 10.0), np.array([LEFT, RIGHT, RIGHT]), 0)
    match = scoring.match_cues([1.0, 2.0, 3.0], [LEFT, RIGHT, LEFT], taps, window_s=1.5)
    assert list(match.tap_index) == [0, -1, -1]  # the 2nd cue's window opens at 2.1 s: 2.05 s is a guess
    assert list(match.hit) == [True, False, False]
    assert match.reaction_s[0] == pytest.approx(0.15)


def test_the_doc_lists_every_score_the_round_gives(tmp_path, geometry):
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "games-foot-taps.md").read_text()

    def names(heading):
        section = doc.split(heading, 1)[1].split("\n## ", 1)[0]
        return set(re.findall(r"`([a-z0-9_]+)`", "\n".join(line.split("|")[1] for line in section.splitlines()
                                                              if line.startswith("| `"))))

    t = np.arange(0.0, 4.0, 1.0 / RATE_HZ)
    folder = write_folder(tmp_path / "doc", geometry, t, np.full_like(t, BW_KG), np.zeros_like(t), np.zeros_like(t))
    scores, details = set(), set()
    for k, options in enumerate((RoundOptions(seconds=3.0), RoundOptions(setup="clock", seconds=3.0),
                                 RoundOptions(level=8, seconds=1.0))):
        s, d = play(folder, options, tmp_path / f"out{k}")
        scores |= set(s)
        details |= set(d)
    assert scores == names("## Scores")
    assert details == names("## Recorded with the round")


def test_an_untared_board_scores_the_same(tmp_path, geometry):
    """A board reading 2.5 kg with nobody on it (not tared): the empty reading of the first second is taken off,
    so the taps and their timing are as on a tared board. Without it the load would never fall back under the
    release level (1.75 kg) and no tap would end."""
    cues = cue_schedule("target", 2, 1, 12.0)
    t, total, x, y, truth = target_script(cues, duration_s=13.0)
    options = RoundOptions(level=2, seconds=12.0)
    tared, tared_d = play(write_folder(tmp_path / "a", geometry, t, total, x, y), options, tmp_path / "a-out")
    offset, offset_d = play(write_folder(tmp_path / "b", geometry, t, total + 2.5, x, y), options, tmp_path / "b-out")
    assert offset_d["empty_board_kg"] == pytest.approx(2.5, abs=0.05) and abs(tared_d["empty_board_kg"]) < 0.05
    assert offset["taps"] == tared["taps"] == truth["taps"] and offset["hits"] == tared["hits"] == truth["hits"]
    assert offset["mean_reaction_ms"] == pytest.approx(tared["mean_reaction_ms"], abs=RT_TOL_S * 1000)


def test_a_wii_boards_irregular_sampling_changes_nothing(tmp_path, geometry):
    """A Wii board sends at an irregular ~100 Hz (intervals of 5-15 ms here): the clock round's scores stay
    within the same tolerances of the truth."""
    cues = cue_schedule("clock", 1, 1, 16.0)
    t_regular, *_ = clock_script(cues, duration_s=17.0)
    t = np.cumsum(np.random.default_rng(9).uniform(0.005, 0.015, len(t_regular)))
    t = t[t < 17.0]
    _, total, x, y, truth = clock_script(cues, duration_s=17.0)
    # The same script, sampled at the irregular times (the script is a function of time: re-evaluate it there).
    total, x, y = (np.interp(t, t_regular, v) for v in (total, x, y))
    folder = write_folder(tmp_path / "wii", geometry, t, total, x, y, seed=5)
    s, d = play(folder, RoundOptions(setup="clock", level=1, seconds=16.0), tmp_path / "out")
    n = len(truth["rt"])
    assert s["taps"] == n and s["hits"] == n and d["settled_taps"] == n
    assert s["mean_reaction_ms"] == pytest.approx(1000 * np.mean(truth["rt"]), abs=1000 * RT_TOL_S)
    assert s["mean_stabilization_ms"] == pytest.approx(1000 * np.mean(truth["settle"]), abs=60)
    assert s["mean_tap_load_pct_bw"] == pytest.approx(100 * np.mean(truth["depth"]) / BW_KG, abs=0.5)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0.3, 1.5), st.floats(4.0, 40.0), st.floats(0.06, 1.5)), min_size=1,
                max_size=8),
       st.floats(0.0, 0.01))
def test_detector_finds_every_tap_of_any_train(train, phase_s):
    """Any train of taps (gaps 0.3-1.5 s, peaks 4-40 kg, holds 60 ms-1.5 s), sampled at 100 Hz from any phase:
    every tap is found once, with onset and release within one sample of the truth."""
    starts, t0 = [], 0.5
    for gap, _, hold in train:
        starts.append(t0)
        t0 += RISE_S + hold + FALL_S + gap
    t = np.arange(phase_s, t0 + 0.5, 0.01)
    load = sum(pulse(t, s, peak, hold_s=hold) for s, (_, peak, hold) in zip(starts, train))
    taps = scoring.detect_taps(t, load, np.full_like(t, 100.0), onset_kg=ONSET_KG)
    assert len(taps) == len(train)
    onsets = [onset_truth(s, peak) for s, (_, peak, _) in zip(starts, train)]
    releases = [release_truth(s, peak, hold) for s, (_, peak, hold) in zip(starts, train)]
    np.testing.assert_allclose(taps.onset_s, onsets, atol=0.01)
    np.testing.assert_allclose(taps.release_s, releases, atol=0.01)
    assert set(taps.side) == {RIGHT}


def test_a_clock_round_nobody_stood_on_has_the_same_scores_all_undefined():
    t = np.arange(0.0, 5.0, 0.01)
    x = np.zeros_like(t)
    empty = scoring.score_clock(t, np.zeros_like(t), x, x, [2.0, 3.5], [LEFT, RIGHT], window_s=1.0)
    standing = scoring.score_clock(t, np.full_like(t, BW_KG), x, x, [2.0, 3.5], [LEFT, RIGHT], window_s=1.0)
    assert set(empty) == set(standing)
    assert empty["misses"] == 2 and math.isnan(empty["weight_kg"]) and math.isnan(empty["mean_reaction_ms"])
    assert standing["weight_kg"] == BW_KG and standing["taps"] == 0 and standing["misses"] == 2


def test_a_given_weight_a_few_kg_off_does_not_move_the_clock_taps(tmp_path, geometry):
    """The profile says 75 kg, the board reads 70: the dips are measured from the 70 kg the board read standing
    (with 75 as the baseline every sample would be 5 kg "off the board", above the onset: one endless contact, no
    tap); the given weight sets the % BW."""
    cues = cue_schedule("clock", 1, 1, 16.0)
    t, total, x, y, truth = clock_script(cues, duration_s=17.0)
    folder = write_folder(tmp_path / "heavy", geometry, t, total, x, y, seed=6)
    s, d = play(folder, RoundOptions(setup="clock", level=1, seconds=16.0, weight_kg=75.0), tmp_path / "out")
    n = len(truth["rt"])
    assert d["weight_kg"] == 75.0 and d["standing_kg"] == pytest.approx(BW_KG, abs=0.1)
    assert s["taps"] == n and s["hits"] == n
    assert s["mean_tap_load_pct_bw"] == pytest.approx(100 * np.mean(truth["depth"]) / 75.0, abs=0.5)
