"""The drawn 95 % ellipse (trainer.measures.sway.prediction_ellipse_outline) is the measured one."""
from __future__ import annotations

import numpy as np
import pytest

from trainer.measures.sway import f_quantile_2, prediction_ellipse, prediction_ellipse_outline


def test_the_outline_is_the_prediction_ellipse():
    rng = np.random.default_rng(3)
    x, y = (rng.normal(size=(2, 3000)) * [[4.0], [1.5]])
    x, y = x * 0.8 - y * 0.6 + 10.0, x * 0.6 + y * 0.8 - 5.0  # turned by 36.9 degrees and moved
    ox, oy = prediction_ellipse_outline(x, y, n_points=4000)
    # Its area (shoelace formula) is the measured area.
    shoelace = 0.5 * abs(np.dot(ox, np.roll(oy, -1)) - np.dot(oy, np.roll(ox, -1)))
    assert shoelace == pytest.approx(prediction_ellipse(x, y)[0], rel=1e-5)
    # Every point lies on the ellipse: Mahalanobis distance squared = the F-based scale (plain numpy here).
    n = len(x)
    scale = f_quantile_2(0.95, n - 2) * 2 * (n - 1) * (n + 1) / (n * (n - 2))
    centred = np.column_stack((ox - x.mean(), oy - y.mean()))
    inverse = np.linalg.inv(np.cov(np.vstack((x, y)), ddof=1))
    assert np.einsum("ij,jk,ik->i", centred, inverse, centred) == pytest.approx(np.full(len(ox), scale), rel=1e-9)
