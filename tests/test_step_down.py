"""The step-down game, played headless from scripted recordings whose truth is known, and from the BMC jumps.

Scripted recordings are written as B.4 folders (RecordingWriter) with corner loads that put the scripted load at the
scripted COP (cop_to_corners on the force-plate geometry a replayed folder is read with), then played with
`play_headless("step-down", "replay://FOLDER?speed=max", ...)`: the same round, clock and scoring as the window.
The BMC jump files hold vertical force only: it is put on the board as a centred load split over the corners.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pygame
import pytest

from games.headless import play_headless
from games.live_view import board_to_screen, board_view_rect
from games.round import RoundOptions
from games.step_down import StepDownRound, cue_schedule, level_of
from games import style
from hardware.replay import ReplaySource
from hardware.samples import FORCE_PLATE, G_M_S2, LoadSample
from trainer.balance_input import STEP_S, BalanceInput
from trainer.cop import cop_to_corners
from trainer.recorder import RecordingWriter
from trainer.scoring import step_down as scoring

BMC = Path(__file__).resolve().parents[2] / "shared" / "data" / "bmc"
WEIGHT_KG = 70.0


def write_recording(folder: Path, t_s, total_kg, x_mm, y_mm) -> Path:
    corners = cop_to_corners(x_mm, y_mm, total_kg, FORCE_PLATE)
    # cop_to_corners leaves an unknown COP's corners empty: an unloaded board still carries its (tiny) load.
    empty = ~(np.isfinite(x_mm) & np.isfinite(y_mm))
    corners[empty] = np.asarray(total_kg)[empty, None] / 4.0
    with RecordingWriter(folder, board_url="script://", board_identity="scripted", geometry=FORCE_PLATE) as writer:
        writer.add_samples([LoadSample(float(t), *map(float, c)) for t, c in zip(t_s, corners)])
    return folder


def read_vertical_force(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(t_s, force_n) of a BMC jump file: `Time[s] GRF[N]` at 450 Hz, or one column of N at 600 Hz."""
    if path.name == "GRFZjump.txt":
        force = np.loadtxt(path)
        return np.arange(len(force)) / 600.0, force
    data = np.loadtxt(path, skiprows=1)
    return data[:, 0], data[:, 1]


# --- scripted step-downs --------------------------------------------------------------------------------------------
FS_STEP_HZ = 100.0  # a Wii board's rate
REACTION_S = 0.3  # the scripted person starts down this long after each cue
SHIFT_MM = (-10.0, 30.0)  # where the stance foot's COP goes during a descent (ML, AP)
TOUCH_RAMP_S, TOUCH_HOLD_S = 0.1, 0.3


def script_step_downs(level: int, descents_s, touch_pct, *, weight_kg=WEIGHT_KG, seed=1, gap=None):
    """Samples of a person doing the level's reps with the given descent times (movement onset to touch) and touch
    loads (% BW), on the game's own cue schedule. Returns (t, total, x, y, truth) with per-rep truth."""
    lv = level_of(level)
    schedule = cue_schedule(level, start_s=STEP_S)  # the round sees the person standing at its first frame
    end_s = schedule[-1][3] + lv.rest_s + 2.0
    t = np.arange(0.0, end_s, 1.0 / FS_STEP_HZ)
    rng = np.random.default_rng(seed)
    total = np.full(len(t), weight_kg)
    x = np.full(len(t), 5.0)
    y = np.full(len(t), -20.0)
    truth = []
    for (down, _, _, _), descent, load in zip(schedule, descents_s, touch_pct):
        onset = down + REACTION_S
        touch = onset + descent
        back = touch + 2 * TOUCH_RAMP_S + TOUCH_HOLD_S
        up_end = back + lv.ascent_s
        going = (t >= onset) & (t < touch)
        frac = np.clip((t - onset) / descent, 0, 1)
        frac = np.where(t < touch, frac, np.clip(1 - (t - back) / lv.ascent_s, 0, 1))
        active = (t >= onset) & (t < up_end)
        x[active] = 5.0 + SHIFT_MM[0] * frac[active]
        y[active] = -20.0 + SHIFT_MM[1] * frac[active]
        dip = np.interp(t, [touch, touch + TOUCH_RAMP_S, touch + TOUCH_RAMP_S + TOUCH_HOLD_S, back],
                        [0, load, load, 0], left=0, right=0)
        total -= weight_kg * dip / 100.0
        truth.append({"onset": onset, "touch": touch, "descent": descent, "load": load, "going": going})
    # Single-leg sway and sensor noise on top.
    x += 2.0 * np.sin(2 * np.pi * 0.7 * t) + rng.normal(0, 0.5, len(t))
    y += 1.5 * np.sin(2 * np.pi * 0.4 * t + 1) + rng.normal(0, 0.5, len(t))
    total += rng.normal(0, 0.2, len(t))
    for rep in truth:
        rep["ml_sd"] = float(np.std(x[rep["going"]]))
    if gap is not None:  # samples missing (the board stopped sending) from gap[0] for gap[1] seconds
        keep = (t < gap[0]) | (t >= gap[0] + gap[1])
        t, total, x, y = t[keep], total[keep], x[keep], y[keep]
    return t, total, x, y, truth


@pytest.fixture(scope="module")
def step_recording(tmp_path_factory):
    descents = [2.6, 3.0, 3.4, 2.8, 3.2]
    loads = [8.0, 12.0, 16.0, 10.0, 14.0]
    t, total, x, y, truth = script_step_downs(2, descents, loads)
    folder = write_recording(tmp_path_factory.mktemp("step") / "rec", t, total, x, y)
    return folder, truth


# Tolerances (why): mean descent ±0.15 s and each onset ±0.25 s (the onset is the least-squares break point of a COP
# that sways ±2 mm while it shifts 32 mm in 3 s: the sway moves the break by up to 0.25 s, 0.1 s on average; the touch
# starts where the load crosses 2 % BW, 0.02 s into a 0.1 s ramp); tempo error ±5 points (follows from the descents); touch load ±0.5 % BW (the lowest 50 ms mean of 0.2 kgf noise: 0.2 % BW of bias); ML wavering ±0.5 mm (the window's ends
# may move by a few samples).
@pytest.mark.parametrize("weight_kg", [WEIGHT_KG, None], ids=["weight-given", "weighed-on-board"])
def test_step_scores_match_the_script(step_recording, weight_kg):
    folder, truth = step_recording
    result = play_headless("step-down", f"replay://{folder}?speed=max",
                           RoundOptions(setup="step", level=2, weight_kg=weight_kg))
    scores = result.scores
    assert result.valid and result.setup == "step"
    assert scores["reps"] == len(truth)
    descents = np.array([r["descent"] for r in truth])
    assert scores["mean_descent_s"] == pytest.approx(descents.mean(), abs=0.15)
    cued = level_of(2).descent_s
    assert scores["tempo_error_pct"] == pytest.approx(np.mean(np.abs(descents - cued)) / cued * 100, abs=5.0)
    assert scores["mean_touch_load_pct_bw"] == pytest.approx(np.mean([r["load"] for r in truth]), abs=0.5)
    assert scores["ml_wavering_mm"] == pytest.approx(np.mean([r["ml_sd"] for r in truth]), abs=0.5)


def test_each_rep_is_found_where_the_script_put_it(step_recording):
    folder, truth = step_recording
    from trainer.readers import read_recording

    rec = read_recording(folder)
    schedule = cue_schedule(2, start_s=STEP_S)
    result = scoring.score_step(rec.t_s, rec.total_kg, rec.cop_x_mm, rec.cop_y_mm, body_weight_kg=WEIGHT_KG,
                                cue_down_s=[s[0] for s in schedule])
    assert len(result.reps) == len(truth)
    for rep, want in zip(result.reps, truth):
        assert rep.onset_from == "cop"
        assert rep.touch_start_s == pytest.approx(want["touch"], abs=0.05)
        assert rep.onset_s == pytest.approx(want["onset"], abs=0.25)
        assert rep.touch_load_pct_bw == pytest.approx(want["load"], abs=0.5)


def test_without_a_visible_onset_the_descent_is_timed_from_the_cue():
    """A stance foot whose COP does not move: the descent runs from the down cue to the touch."""
    t = np.arange(0.0, 20.0, 0.01)
    total = np.full(len(t), WEIGHT_KG)
    total -= WEIGHT_KG * 0.1 * np.interp(t, [6.0, 6.1, 6.4, 6.5], [0, 1, 1, 0], left=0, right=0)
    still = np.zeros(len(t))
    result = scoring.score_step(t, total, still, still, body_weight_kg=WEIGHT_KG, cue_down_s=[3.0])
    assert len(result.reps) == 1
    assert result.reps[0].onset_from == "cue"
    assert result.reps[0].descent_s == pytest.approx(3.0, abs=0.03)  # the touch shows at 2 % of a 10 % ramp
    assert result.scores(3.0)["tempo_error_pct"] == pytest.approx(0.0, abs=1.0)


def test_stepping_off_is_not_a_touch_and_an_unfinished_touch_waits():
    t = np.arange(0.0, 10.0, 0.01)
    total = np.where((t > 4) & (t < 5), 0.5, WEIGHT_KG)  # off the board for a second
    assert scoring.find_touches(t, total, WEIGHT_KG) == []
    total = np.where(t > 9.5, WEIGHT_KG * 0.8, WEIGHT_KG)  # still touching at the end
    assert scoring.find_touches(t, total, WEIGHT_KG) == []


# --- scripted landings ----------------------------------------------------------------------------------------------
FS_LANDING_HZ = 500.0


def script_landing(peak_bw=2.5, *, weight_kg=WEIGHT_KG, contact_s=1.5, seed=2):
    """An empty board, then a contact at contact_s rising to peak_bw in 50 ms, an undershoot to 0.8 BW, an overshoot
    to 1.08 BW, settling to body weight; ±0.5 % load noise and an ML COP that wobbles and dies out."""
    t = np.arange(0.0, contact_s + 6.0, 1.0 / FS_LANDING_HZ)
    rel = t - contact_s
    shape = np.interp(rel, [0, 0.05, 0.25, 0.6, 0.9, 1.2], [0.04 * peak_bw, peak_bw, 0.8, 1.08, 0.97, 1.0],
                      left=0.0, right=1.0)
    rng = np.random.default_rng(seed)
    total = weight_kg * shape
    on = rel >= 0
    total[on] *= 1 + rng.uniform(-0.005, 0.005, on.sum())
    x = np.where(on, 15.0 * np.exp(-np.clip(rel, 0, None) / 0.5) * np.sin(2 * np.pi * 1.5 * rel) + 3.0, np.nan)
    y = np.where(on, -10.0, np.nan)
    # Truth, on the noise-free shape: the first sample from which the load stays within ±5 % to the end.
    outside = np.flatnonzero(np.abs(shape[on] - 1.0) > 0.05)
    tts = (outside[-1] + 1) / FS_LANDING_HZ
    window = on & (rel <= scoring.POST_LANDING_S)
    truth = {"peak_bw": peak_bw, "rise_s": 0.05, "tts": tts, "ml_sd": float(np.std(x[window]))}
    return t, total, x, y, truth


# Tolerances (why): peak ±1 % (±0.5 % noise on the peak sample); loading rate ±2 % (the peak sample and the contact
# sample are on the 500 Hz grid); TTS ±0.03 s (noise of ±0.5 % moves the last band crossing of a ramp that crosses
# ±5 % at 0.1-0.4 BW/s by a few samples); ML wavering ±0.3 mm.
@pytest.mark.parametrize("weight_kg", [WEIGHT_KG, None], ids=["weight-given", "weight-after-landing"])
def test_landing_scores_match_the_script(tmp_path, weight_kg):
    t, total, x, y, truth = script_landing()
    folder = write_recording(tmp_path / "landing", t, total, x, y)
    result = play_headless("step-down", f"replay://{folder}?speed=max",
                           RoundOptions(setup="landing", weight_kg=weight_kg), out_folder=tmp_path / "round")
    scores = result.scores
    assert result.valid and result.setup == "landing"
    assert scores["peak_force_bw"] == pytest.approx(truth["peak_bw"], rel=0.01)
    assert scores["loading_rate_bw_s"] == pytest.approx(truth["peak_bw"] / truth["rise_s"], rel=0.02)
    assert scores["time_to_stabilization_s"] == pytest.approx(truth["tts"], abs=0.03)
    assert scores["ml_wavering_mm"] == pytest.approx(truth["ml_sd"], abs=0.3)
    events = (tmp_path / "round" / "events.csv").read_text()
    assert ",landing," in events and ",settled," in events
    # One landing per round: it ends once settled and POST_LANDING_S after contact, not at the recording's end.
    settled_t = float([line for line in events.splitlines() if ",settled," in line][0].split(",")[0])
    assert settled_t < t[-1] - 2.0


def test_a_careful_step_onto_the_board_is_not_a_landing():
    """A 0.4 s rise to body weight with no overshoot is a step; the landing after it (off and back on) counts."""
    t = np.arange(0.0, 12.0, 0.002)
    total = np.interp(t, [1.0, 1.4, 4.0, 4.05, 5.0, 5.05, 5.1, 5.4, 12], [0, WEIGHT_KG, WEIGHT_KG, 0, 0, 150, 210,
                                                                         WEIGHT_KG, WEIGHT_KG], left=0.0)
    landing = scoring.find_landing(t, total)
    assert landing is not None and landing.contact_s == pytest.approx(5.0, abs=0.01)
    assert landing.peak_force_bw == pytest.approx(3.0, rel=1e-3)
    assert landing.body_weight_kg == pytest.approx(WEIGHT_KG)


# --- the BMC jumps as landings --------------------------------------------------------------------------------------
# Body weight for these files: the median force of the quiet standing before the counter-movement (given to the
# round as weight_kg), in these windows (s):
QUIET_STANDING_S = {"jump1.txt": (2.0, 4.0), "jump2.txt": (2.2, 3.6), "GRFZjump.txt": (0.0, 0.5)}


def _numpy_landing(t, force_n, weight_n):
    """The same definitions in plain numpy: the peak is the file's own maximum; contact is the first sample at or
    above 2 kgf after the flight before it; TTS is the first sample from the peak on whose following second stays
    within ±5 % of body weight (NaN if none)."""
    peak = int(np.argmax(force_n))
    threshold = scoring.CONTACT_KG * G_M_S2
    contact = int(np.flatnonzero(force_n[:peak] < threshold)[-1]) + 1
    peak_bw = force_n[peak] / weight_n
    rate = peak_bw / (t[peak] - t[contact])
    tts = math.nan
    for i in range(peak, len(t)):
        window = (t >= t[i]) & (t <= t[i] + scoring.STABLE_HOLD_S + 1e-9)
        if t[window][-1] - t[i] < scoring.STABLE_HOLD_S - 1e-9:
            break
        if np.all(np.abs(force_n[window] / weight_n - 1) <= scoring.STABLE_BAND_FRACTION):
            tts = t[i] - t[contact]
            break
    return peak_bw, rate, tts


@pytest.fixture(scope="module")
def jump_folders(tmp_path_factory):
    if not BMC.is_dir():
        pytest.skip(f"the BMC jump files are not beside this checkout ({BMC} is missing)")
    folders = {}
    for name in QUIET_STANDING_S:
        t, force = read_vertical_force(BMC / name)
        kg = force / G_M_S2
        folders[name] = (write_recording(tmp_path_factory.mktemp("jump") / "rec", t, kg, np.zeros(len(t)),
                                         np.zeros(len(t))), t, force)
    return folders


@pytest.mark.parametrize("name", list(QUIET_STANDING_S))
def test_bmc_jump_landings(jump_folders, name):
    folder, t, force = jump_folders[name]
    lo, hi = QUIET_STANDING_S[name]
    weight_n = float(np.median(force[(t >= lo) & (t < hi)]))
    result = play_headless("step-down", f"replay://{folder}?speed=max",
                           RoundOptions(setup="landing", weight_kg=weight_n / G_M_S2))
    peak_bw, rate, tts = _numpy_landing(t, force, weight_n)
    # Tolerance 1e-3 relative: the recording keeps the corner loads to 1e-4 kgf; the samples and times are the file's.
    assert result.scores["peak_force_bw"] == pytest.approx(force.max() / weight_n, rel=1e-3)
    assert result.scores["peak_force_bw"] == pytest.approx(peak_bw, rel=1e-3)
    assert result.scores["loading_rate_bw_s"] == pytest.approx(rate, rel=1e-3)
    if math.isnan(tts):  # jump2 steps off 1.3 s after landing, GRFZjump ends 0.6 s after it: neither settles
        assert math.isnan(result.scores["time_to_stabilization_s"])
    else:
        assert result.scores["time_to_stabilization_s"] == pytest.approx(tts, abs=1e-6)
    assert result.scores["ml_wavering_mm"] == pytest.approx(0.0, abs=1e-6)  # a centred load


def test_jump1_weighed_after_landing(jump_folders):
    """Without a weight, body weight is the median of the first stable second after landing: within 2 % of the
    standing weight before the jump, and the peak in body weights with it."""
    folder, t, force = jump_folders["jump1.txt"]
    lo, hi = QUIET_STANDING_S["jump1.txt"]
    weight_n = float(np.median(force[(t >= lo) & (t < hi)]))
    result = play_headless("step-down", f"replay://{folder}?speed=max", RoundOptions(setup="landing"))
    assert result.scores["peak_force_bw"] == pytest.approx(force.max() / weight_n, rel=0.02)
    assert 0.5 < result.scores["time_to_stabilization_s"] < 1.0


# --- pauses, set-ups and the screen ---------------------------------------------------------------------------------
class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_board_that_goes_stale_pauses_the_round(tmp_path):
    """A recording with 2 s missing, replayed in real time on a fake clock: the board goes STALE, the round's clock
    stops and the cues wait; it resumes when samples come again."""
    t, total, x, y, _ = script_step_downs(1, [2.0] * 5, [10.0] * 5, gap=(4.0, 2.0))
    folder = write_recording(tmp_path / "gap", t, total, x, y)
    clock = FakeClock()
    source = ReplaySource(str(folder), speed=1.0, clock=clock)
    source.open()
    game = StepDownRound(BalanceInput(source), RoundOptions(setup="step", level=1, weight_kg=WEIGHT_KG))
    wall_s = 0.0
    while wall_s < 9.0 and not game.finished:
        clock.now += STEP_S
        wall_s += STEP_S
        game.update(STEP_S)
    kinds = [e.kind for e in game.round.events]
    assert "pause" in kinds and "resume" in kinds
    assert kinds.index("pause") < kinds.index("resume")
    assert game.round.pauses == 1
    # The round lost the stale stretch: about 2 s missing minus the 0.5 s before the board counts as stale.
    assert game.round.t_s == pytest.approx(wall_s - 1.5, abs=0.1)
    pause = next(e for e in game.round.events if e.kind == "pause")
    assert pause.t_s == pytest.approx(4.5, abs=0.1)
    source.close()


def test_unknown_setup_and_level_are_refused():
    class Dummy:
        frame = None
    with pytest.raises(ValueError, match="set-up must be one of step, landing"):
        StepDownRound(Dummy(), RoundOptions(setup="box"))
    with pytest.raises(ValueError, match="level"):
        level_of(0)


@pytest.mark.parametrize("setup", ["step", "landing"])
def test_screenshot_shows_the_cop_marker_where_board_to_screen_puts_it(tmp_path, setup):
    pygame.font.init()
    if setup == "step":
        t, total, x, y, _ = script_step_downs(1, [2.0] * 5, [10.0] * 5)
    else:
        t, total, x, y, _ = script_landing()
    folder = write_recording(tmp_path / "rec", t, total, x, y)
    source = ReplaySource(str(folder), speed=None)
    source.open()
    game = StepDownRound(BalanceInput(source), RoundOptions(setup=setup, level=1, weight_kg=WEIGHT_KG))
    for _ in range(int(4.0 / STEP_S)):  # into the first descent / just after the landing
        game.update(STEP_S)
    assert game.frame.standing
    surface = pygame.Surface((1280, 720))
    game.draw(surface)
    pygame.image.save(surface, str(tmp_path / "step-down.png"))
    px, py = board_to_screen(game.frame.cop_x_mm, game.frame.cop_y_mm, source.geometry, board_view_rect((1280, 720)))
    assert tuple(surface.get_at((px, py)))[:3] == style.MARKER
    source.close()


def test_cue_tick_with_and_without_a_mixer(step_recording):
    """With a mixer the cues tick; without one the round plays the same, silently."""
    folder, _ = step_recording
    options = RoundOptions(setup="step", level=2, weight_kg=WEIGHT_KG)
    pygame.mixer.init()
    try:
        assert pygame.mixer.get_init()
        ticking = play_headless("step-down", f"replay://{folder}?speed=max", options)
    finally:
        pygame.mixer.quit()
    silent = play_headless("step-down", f"replay://{folder}?speed=max", options)
    assert ticking.scores == pytest.approx(silent.scores)


def test_the_doc_lists_exactly_the_scores(step_recording, tmp_path):
    import re

    doc = (Path(__file__).resolve().parents[1] / "docs" / "games-step-down.md").read_text()
    section = doc.split("## Scores", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", section, flags=re.MULTILINE))
    folder, _ = step_recording
    step = play_headless("step-down", f"replay://{folder}?speed=max", RoundOptions(setup="step", weight_kg=WEIGHT_KG))
    t, total, x, y, _ = script_landing()
    landing = play_headless("step-down", f"replay://{write_recording(tmp_path / 'l', t, total, x, y)}?speed=max",
                            RoundOptions(setup="landing"))
    assert documented == set(step.scores) | set(landing.scores)


def test_jump1_step_on_is_logged_and_the_landing_scored(jump_folders, tmp_path):
    """BMC jump1 starts with the person stepping onto the plate: a step-on, then the jump's landing."""
    folder, t, force = jump_folders["jump1.txt"]
    result = play_headless("step-down", f"replay://{folder}?speed=max", RoundOptions(setup="landing"),
                           out_folder=tmp_path / "round")
    lines = (tmp_path / "round" / "events.csv").read_text().splitlines()
    kinds = [line.split(",")[1] for line in lines[1:]]
    assert kinds.index("step-on") < kinds.index("landing") < kinds.index("settled")
    assert math.isfinite(result.scores["peak_force_bw"])


# --- the vectorised pieces against plain loops ----------------------------------------------------------------------
from hypothesis import given, settings, strategies as st  # noqa: E402


def _touches_by_loop(t, total, weight):
    """Hysteresis written out: enter below 96 % BW, leave at 98 %, start moved back to the last sample at 98 %."""
    enter, leave = weight * (1 - scoring.TOUCH_ENTER_FRACTION), weight * (1 - scoring.TOUCH_EXIT_FRACTION)
    out, inside, start, previous_end = [], False, 0, 0
    for i, value in enumerate(total):
        if not inside and value < enter:
            inside, start = True, i
            while start > previous_end and total[start - 1] < leave:
                start -= 1
        elif inside and value >= leave:
            inside = False
            if t[i] - t[start] >= scoring.MIN_TOUCH_S and np.min(total[start:i]) >= scoring.MIN_STANDING_KG:
                out.append((start, i))
            previous_end = i
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([70.0, 69.0, 68.0, 66.0, 60.0, 40.0, 2.0]), min_size=2, max_size=80))
def test_find_touches_equals_plain_hysteresis(levels):
    total = np.repeat(np.array(levels), 5)  # each level held 50 ms at 100 Hz
    t = np.arange(len(total)) / 100.0
    assert scoring.find_touches(t, total, 70.0) == _touches_by_loop(t, total, 70.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=200), st.data())
def test_range_reduce_equals_slicing(values, data):
    v = np.array(values)
    starts = np.array(data.draw(st.lists(st.integers(0, len(v) - 1), min_size=1, max_size=20)))
    ends = np.array([data.draw(st.integers(s + 1, len(v))) for s in starts])
    assert np.array_equal(scoring._range_reduce(v, starts, ends, np.maximum),
                          [v[s:e].max() for s, e in zip(starts, ends)])
    assert np.array_equal(scoring._range_reduce(v, starts, ends, np.minimum),
                          [v[s:e].min() for s, e in zip(starts, ends)])


def test_the_doc_levels_table_matches_the_code():
    import re

    from games.step_down import LEVELS

    doc = (Path(__file__).resolve().parents[1] / "docs" / "games-step-down.md").read_text()
    section = doc.split("## Levels", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+)(?: and up)? \| (\S+) s \| (\S+) s \| (\S+) s \| (\S+) % BW \| (\d+) \|", section,
                      flags=re.MULTILINE)
    assert {int(r[0]): (float(r[1]), float(r[2]), float(r[3]), float(r[4]), int(r[5])) for r in rows} == \
        {n: (lv.descent_s, lv.ascent_s, lv.rest_s, lv.max_touch_pct_bw, lv.reps) for n, lv in LEVELS.items()}


def test_sensor_dropouts_neither_break_nor_fake_a_landing_or_a_rep():
    """NaN loads (a sensor that timed out for 10-30 ms) in the middle of a landing and of the step-downs."""
    t, total, x, y, truth = script_landing()
    clean = scoring.score_landing(t, total, x, y)
    total[900:905] = np.nan  # 0.3 s after contact, during the undershoot
    total[2000:2015] = np.nan  # while standing, settled
    x[1000:1010] = np.nan
    scores = scoring.score_landing(t, total, x, y)
    assert scores["peak_force_bw"] == pytest.approx(clean["peak_force_bw"], rel=0.01)
    assert scores["loading_rate_bw_s"] == pytest.approx(clean["loading_rate_bw_s"], rel=0.01)
    assert scores["time_to_stabilization_s"] == pytest.approx(truth["tts"], abs=0.05)
    t, total, x, y, truth = script_step_downs(2, [3.0] * 5, [10.0] * 5)
    total[500:503] = np.nan
    x[800:805] = y[800:805] = np.nan
    result = scoring.score_step(t, total, x, y, cue_down_s=[s[0] for s in cue_schedule(2, start_s=STEP_S)])
    assert len(result.reps) == 5
    assert result.scores(3.0)["mean_touch_load_pct_bw"] == pytest.approx(10.0, abs=0.5)
