"""sim:// is a simulated person on a Wii Balance Board: deterministic, paced, plausible, and strict about its URL."""
from __future__ import annotations

import random

import numpy as np
import pytest

from hardware.samples import G_M_S2, WII_BALANCE_BOARD
from hardware.simulator import (
    COM_HEIGHT_PER_BODY_HEIGHT, INERTIA_FACTOR, PROFILES, AxisControl, SimulatorSource, SwayModel, SwayProfile,
    pendulum_kernel, simulate_cop, weight_shift_target,
)
from hardware.sources import SourceState, make_source, open_source
from trainer.cop import MIN_STANDING_KG, corners_to_cop
from trainer.errors import BoardError

CHI2_95_2DOF = 5.991464547107979  # chi-square quantile (0.95, 2 degrees of freedom)


class FakeClock:
    def __init__(self):
        self.now = 50.0

    def __call__(self):
        return self.now


def read_all(url: str) -> list:
    source = open_source(url)
    samples = []
    while source.state is SourceState.STREAMING:
        samples.extend(source.read())
    return samples


def board_cop(samples):
    corners = np.array([s.corners_kg for s in samples])
    return corners_to_cop(corners, WII_BALANCE_BOARD)


def sway(x_mm, y_mm, fs_hz):
    """Mean velocity (mm/s), 95 % ellipse area (mm²) and RMS per axis, the plain way."""
    path_mm = np.sum(np.hypot(np.diff(x_mm), np.diff(y_mm)))
    area_mm2 = np.pi * CHI2_95_2DOF * np.sqrt(np.linalg.det(np.cov(np.vstack((x_mm, y_mm)))))
    return {"velocity_mm_s": path_mm / (len(x_mm) / fs_hz), "area_mm2": area_mm2,
            "rms_ml_mm": np.std(x_mm), "rms_ap_mm": np.std(y_mm)}


def test_same_seed_same_samples_whatever_the_polling():
    clock = FakeClock()
    paced = SimulatorSource(seed=7, profile="eyes-closed", clock=clock)
    paced.open()
    jitter = random.Random(3)
    polled = []
    for _ in range(400):  # irregular polling, sometimes twice at the same instant
        clock.now += jitter.choice([0.0, 0.001, 0.016, 0.05, 0.3])
        polled.extend(paced.read())
    fast = read_all(f"sim://?seed=7&profile=eyes-closed&speed=max&duration_s={len(polled) / 100}")
    assert len(polled) > 2000
    assert [s.t_s for s in polled] == [s.t_s for s in fast]
    assert polled == fast  # every corner load identical, not just close
    other = read_all(f"sim://?seed=8&profile=eyes-closed&speed=max&duration_s={len(polled) / 100}")
    assert [s.corners_kg for s in other] != [s.corners_kg for s in fast]


def test_paced_by_its_clock():
    clock = FakeClock()
    source = SimulatorSource(rate_hz=100, speed=2.0, clock=clock)
    assert source.read() == [] and source.state is SourceState.CONNECTING
    source.open()
    first = source.read()
    assert [s.t_s for s in first] == [0.0]
    clock.now += 0.5  # half a second at double speed: one second of samples
    due = source.read()
    assert len(due) == 100 and due[-1].t_s == pytest.approx(1.0) and due[-1].seq == 100
    assert source.read() == []
    source.close()
    assert source.state is SourceState.ENDED and source.read() == []


def test_duration_and_stepping_on():
    samples = read_all("sim://?speed=max&duration_s=3&empty_s=1&rate_hz=50")
    assert len(samples) == 150 and samples[-1].t_s == pytest.approx(2.98)
    total, x, _ = board_cop(samples)
    t = np.array([s.t_s for s in samples])
    assert np.all(np.abs(total[t < 1.0]) < 0.5) and np.all(np.isnan(x[total < MIN_STANDING_KG]))
    assert np.all(np.abs(total[t >= 1.7] - 70.0) < 0.5)
    assert np.all(np.diff(total[(t > 1.0) & (t < 1.5)]) > 0)  # the load ramps up as the person steps on


@pytest.mark.parametrize("profile", list(PROFILES))
def test_noise_free_corners_give_back_the_model_cop(profile):
    n = 1500
    samples = read_all(f"sim://?seed=2&profile={profile}&speed=max&noise_kg=0&weight_kg=81.5&"
                       f"duration_s={n / 100}")
    total, x, y = board_cop(samples)
    t_model, x_model, y_model = simulate_cop(n, seed=2, profile=profile, weight_kg=81.5)
    np.testing.assert_allclose([s.t_s for s in samples], t_model, atol=1e-12)
    np.testing.assert_allclose(x, x_model, atol=1e-9)
    np.testing.assert_allclose(y, y_model, atol=1e-9)
    np.testing.assert_allclose(total, 81.5, atol=1e-9)


def test_sensor_noise_is_the_stated_size():
    n = 3000
    samples = read_all(f"sim://?seed=4&speed=max&noise_kg=0.03&duration_s={n / 100}")
    _, x, y = board_cop(samples)
    _, x_model, y_model = simulate_cop(n, seed=4)
    # Four corners with independent noise σ: the COP error is half_spacing · 2σ / total.
    expected_x = WII_BALANCE_BOARD.half_x_mm * 2 * 0.03 / 70.0
    expected_y = WII_BALANCE_BOARD.half_y_mm * 2 * 0.03 / 70.0
    assert np.std(x - x_model) == pytest.approx(expected_x, rel=0.1)
    assert np.std(y - y_model) == pytest.approx(expected_y, rel=0.1)


# Plausible ranges for 60 s at 100 Hz on the model COP. BDS medians for young adults, eyes open, firm: 8.0 mm/s,
# 202 mm²; single-leg stance is usually reported at 20-50 mm/s.
@pytest.mark.parametrize("profile, velocity_mm_s, area_mm2", [
    ("quiet", (5.0, 12.0), (100.0, 350.0)),
    ("eyes-closed", (7.0, 17.0), (150.0, 600.0)),
    ("single-leg", (20.0, 60.0), (400.0, 2000.0)),
])
def test_sway_is_plausible(profile, velocity_mm_s, area_mm2):
    for seed in (1, 2):
        _, x, y = simulate_cop(6000, seed=seed, profile=profile)
        measured = sway(x, y, 100.0)
        assert velocity_mm_s[0] < measured["velocity_mm_s"] < velocity_mm_s[1], measured
        assert area_mm2[0] < measured["area_mm2"] < area_mm2[1], measured


def test_eyes_closed_sways_more_and_single_leg_more_ml():
    _, xq, yq = simulate_cop(6000, seed=5, profile="quiet")
    _, xe, ye = simulate_cop(6000, seed=5, profile="eyes-closed")
    _, xs, ys = simulate_cop(6000, seed=5, profile="single-leg")
    quiet, closed, single = sway(xq, yq, 100), sway(xe, ye, 100), sway(xs, ys, 100)
    assert closed["velocity_mm_s"] > 1.15 * quiet["velocity_mm_s"]
    assert closed["area_mm2"] > 1.2 * quiet["area_mm2"]
    assert quiet["rms_ap_mm"] > quiet["rms_ml_mm"]  # feet side by side: AP sway dominates
    assert single["rms_ml_mm"] > single["rms_ap_mm"]  # one foot: ML sway dominates
    assert single["rms_ml_mm"] > 2.5 * quiet["rms_ml_mm"]


@pytest.mark.parametrize("leg, centre_mm", [("right", 100.0), ("left", -100.0)])
def test_single_leg_stands_on_one_foot(leg, centre_mm):
    samples = read_all(f"sim://?profile=single-leg&leg={leg}&speed=max&duration_s=30")
    corners = np.array([s.corners_kg for s in samples])
    _, x, _ = board_cop(samples)
    assert abs(np.mean(x) - centre_mm) < 10.0 and np.all(np.abs(x - centre_mm) < 60.0)
    right_share = (corners[:, 1] + corners[:, 3]).sum() / corners.sum()
    assert (right_share > 0.65) if leg == "right" else (right_share < 0.35)


def test_weight_shift_holds_each_side_and_moves_like_a_person():
    t, x, y = simulate_cop(6000, seed=1, profile="weight-shift")
    target, _, _ = weight_shift_target(t)
    holds = {"centre": (t > 3) & (t < 8), "right": (t > 13) & (t < 28), "left": (t > 41) & (t < 56)}
    for name, level in (("centre", 0.0), ("right", 120.0), ("left", -120.0)):
        assert abs(np.mean(x[holds[name]]) - level) < 10.0, name
    assert np.std(y) < 10.0  # the shifts are sideways
    # Before moving right the COP first steps left (to push the body right), then passes the target to stop it.
    moving = (t > 8.0) & (t < 9.5)
    assert np.min(x[moving]) < -10.0
    assert np.max(x[(t > 9.0) & (t < 11.0)]) > 125.0
    assert np.all(target[(t > 13) & (t < 28)] == 120.0)


def test_noise_free_person_follows_the_plan_exactly():
    """With no noise, the feed-forward carries the body along the plan: COP = r − (J / (m g h)) · r''."""
    quiet_axis = AxisControl(1.4, 0.35, 0.0, 1.0, 0.4)
    profile = SwayProfile("test", quiet_axis, quiet_axis, weight_shift=True)
    model = SwayModel(profile, seed=1, weight_kg=70.0, height_cm=175.0)
    starts, cops = zip(*(model.next_block() for _ in range(40)))
    cop = np.concatenate([c[1:] for c in cops])
    t = np.concatenate([s + 0.001 * np.arange(1, 1001) for s in starts])
    r, _, r_acc = weight_shift_target(t)
    h_m = COM_HEIGHT_PER_BODY_HEIGHT * 1.75
    expected = r - INERTIA_FACTOR * h_m / G_M_S2 * r_acc
    np.testing.assert_allclose(cop[:, 0], expected, atol=0.5)
    np.testing.assert_allclose(cop[:, 1], 0.0, atol=1e-12)


def test_kernel_matches_its_python_reference():
    rng = np.random.default_rng(0)
    n, n_hist = 2000, 151

    def arguments():
        return (0.001, 65.0, 620.0, np.array([1116.0, 868.0]), np.array([279.0, 217.0]),
                np.array([0.999, 0.995]), np.array([0.5, 0.3]), np.array([0.9975, 0.99]),
                rng_copy.normal(0, 5, (n, 2)), rng_copy.normal(0, 0.01, (n, 2)), rng_copy.normal(0, 0.01, (n, 2)),
                rng_copy.standard_normal((n, 2)), np.zeros((2, 4)), np.zeros((n_hist, 2)),
                np.zeros((n_hist, 2)), np.zeros(1, dtype=np.int64), np.empty((n, 2)))

    seed = rng.integers(1 << 30)
    rng_copy = np.random.default_rng(seed)
    compiled = arguments()
    rng_copy = np.random.default_rng(seed)
    reference = arguments()
    pendulum_kernel(*compiled)
    pendulum_kernel.py_func(*reference)
    np.testing.assert_allclose(compiled[-1], reference[-1], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(compiled[-2], reference[-2])


@pytest.mark.parametrize("url, message", [
    ("sim://?profile=dancing", "'profile' must be one of"),
    ("sim://?colour=red", "unknown parameter 'colour'"),
    ("sim://?seed=one", "'seed' must be a whole number"),
    ("sim://?rate_hz=0", "'rate_hz' must lie between"),
    ("sim://?rate_hz=5000", "'rate_hz' must lie between"),
    ("sim://?weight_kg=-3", "must be positive"),
    ("sim://?noise_kg=-0.1", "'noise_kg' must be at least 0"),
    ("sim://?speed=-1", "'speed' must be positive"),
    ("sim://?speed=fast", "'speed' must be a number"),
    ("sim://?leg=middle", "'leg' must be one of"),
    ("sim://?duration_s=0", "'duration_s' must be positive"),
    ("sim://?empty_s=-1", "'empty_s' must be at least 0"),
    ("sim://somewhere?seed=1", "a simulator has no path"),
    ("sim://?seed=1&seed=2", "given twice"),
])
def test_bad_urls_say_what_is_wrong(url, message):
    with pytest.raises(BoardError, match=message):
        make_source(url)


def test_url_parameters_reach_the_source():
    source = make_source("sim://?seed=9&profile=single-leg&leg=left&rate_hz=60&weight_kg=55&speed=max")
    assert (source.seed, source.profile, source.leg, source.rate_hz, source.weight_kg, source.speed) == \
        (9, "single-leg", "left", 60.0, 55.0, None)
    assert source.geometry is WII_BALANCE_BOARD
    assert "single-leg" in source.identity and "seed 9" in source.identity
    assert source.state is SourceState.CONNECTING
