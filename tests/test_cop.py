"""The COP kernels against a plain numpy reference of the same definition, on random and real inputs."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hardware.samples import G_M_S2, WII_BALANCE_BOARD, BoardGeometry
from trainer.cop import MIN_STANDING_KG, calibrate_corners, cop_to_corners, corners_to_cop


def reference_cop(corners, half_x, half_y, min_load):
    tl, tr, bl, br = corners.T
    total = tl + tr + bl + br
    with np.errstate(invalid="ignore", divide="ignore"):
        x = half_x * ((tr + br) - (tl + bl)) / total
        y = half_y * ((tl + tr) - (bl + br)) / total
    nobody = ~(total >= min_load)
    x[nobody] = np.nan
    y[nobody] = np.nan
    return total, x, y


corner_arrays = arrays(np.float64, st.tuples(st.integers(0, 50), st.just(4)),
                       elements=st.floats(-5, 80, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(corner_arrays)
def test_corners_to_cop_equals_numpy_reference(corners):
    got = corners_to_cop(corners, WII_BALANCE_BOARD)
    want = reference_cop(corners, 216.5, 119.0, MIN_STANDING_KG)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-9, equal_nan=True)


def test_nobody_standing_is_nan_not_a_division_by_a_tiny_number():
    corners = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.9], [np.nan, 20, 20, 20], [10, 10, 10, 10]])
    total, x, y = corners_to_cop(corners, WII_BALANCE_BOARD)
    assert np.isnan(x[:3]).all() and np.isnan(y[:3]).all()
    assert x[3] == 0.0 and y[3] == 0.0 and total[3] == 40.0


def test_all_weight_on_one_corner_puts_the_cop_on_that_sensor():
    corners = np.array([[0, 60.0, 0, 0]])  # front-right
    _, x, y = corners_to_cop(corners, WII_BALANCE_BOARD)
    assert x[0] == pytest.approx(216.5) and y[0] == pytest.approx(119.0)


@settings(max_examples=40, deadline=None)
@given(st.floats(-200, 200), st.floats(-110, 110), st.floats(10, 150))
def test_cop_to_corners_is_the_inverse_of_corners_to_cop(x_mm, y_mm, total_kg):
    corners = cop_to_corners(np.array([x_mm]), np.array([y_mm]), total_kg, WII_BALANCE_BOARD)
    total, x, y = corners_to_cop(corners, WII_BALANCE_BOARD)
    assert total[0] == pytest.approx(total_kg, rel=1e-12)
    assert x[0] == pytest.approx(x_mm, abs=1e-9) and y[0] == pytest.approx(y_mm, abs=1e-9)


def test_calibration_is_tare_then_gain_per_corner():
    rng = np.random.default_rng(3)
    raw = rng.integers(0, 2**16, size=(100, 4)).astype(float)
    tare, gain = rng.uniform(0, 1000, 4), rng.uniform(0.001, 0.01, 4)
    np.testing.assert_allclose(calibrate_corners(raw, tare, gain), (raw - tare) * gain, rtol=1e-14)


def test_bad_shapes_are_refused_clearly():
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        corners_to_cop(np.zeros((3, 3)), WII_BALANCE_BOARD)
    with pytest.raises(ValueError, match="4 values"):
        calibrate_corners(np.zeros((2, 4)), np.zeros(3), np.ones(4))


def test_wii_recording_cop_columns_are_reproduced_from_its_corners(shared_data):
    """Real data: the Wii Balance Board Recorder's own CpX/CpY (cm) from its four sensor columns (N)."""
    table = np.genfromtxt(shared_data / "wii_balance_board_recording.txt", skip_header=1)
    cpx_cm, cpy_cm, bottom_left, bottom_right, top_left, top_right = table[:, 1:7].T
    corners = np.column_stack((top_left, top_right, bottom_left, bottom_right)) / G_M_S2
    board = BoardGeometry("recorder", 433.0, 238.0)
    total, x, y = corners_to_cop(corners, board)
    loaded = total > 20
    assert loaded.sum() > 6000
    np.testing.assert_allclose(x[loaded], 10 * cpx_cm[loaded], atol=5.5e-3)
    np.testing.assert_allclose(y[loaded], 10 * cpy_cm[loaded], atol=5.5e-3)
