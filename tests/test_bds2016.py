"""Profile bds2016 reproduces the values Santos & Duarte (2016) published for subject 1 of the BDS data set."""
from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from trainer.measures.bds2016 import bds2016_measures
from trainer.measures.sway import path_length, prediction_ellipse

PUBLISHED = {"sway_area_ellipse95_cm2": "COParea", "mean_velocity_cm_s": "COPvelo", "mean_frequency_hz": "COPmfreq"}
TRIALS = [f"BDS{i:05d}" for i in range(1, 13)]


@pytest.fixture(scope="module")
def published(shared_data):
    with open(shared_data / "bds" / "BDSinfoCOP.txt", newline="") as table:
        return {row["Trial"]: row for row in csv.DictReader(table, delimiter="\t") if row["Trial"] in TRIALS}


@pytest.mark.parametrize("trial", TRIALS)
def test_profile_reproduces_published_values(trial, shared_data, published):
    from trainer.measures.bds2016 import profile_bds2016
    from trainer.readers import read_recording

    measures = profile_bds2016(read_recording(shared_data / "bds" / f"{trial}.txt"))
    for name, column in PUBLISHED.items():
        assert measures[name] == pytest.approx(float(published[trial][column]), rel=1e-9), name


def test_command_line_prints_the_published_values_as_json(shared_data, published):
    path = shared_data / "bds" / "BDS00001.txt"
    run = subprocess.run([sys.executable, "-m", "trainer", "analyze", str(path), "--profile", "bds2016", "--json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["profile"] == "bds2016" and result["fs_hz"] == 100.0 and result["n_samples"] == 6000
    for name, column in PUBLISHED.items():
        assert result["measures"][name] == pytest.approx(float(published["BDS00001"][column]), rel=1e-9)


def test_ellipse_of_a_known_distribution():
    """Analytic truth: for many samples the F-based 95 % prediction ellipse tends to π·χ²₂(0.95)·σx·σy."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(0, 2.0, 200_000), rng.normal(0, 0.5, 200_000)
    area, major, minor = prediction_ellipse(x, y)
    chi2_95 = -2 * np.log(0.05)
    assert area == pytest.approx(np.pi * chi2_95 * 2.0 * 0.5, rel=0.01)
    assert major == pytest.approx(np.sqrt(chi2_95) * 2.0, rel=0.01)


def test_velocity_of_a_circle_is_its_circumference_per_lap():
    t = np.arange(6000) / 100.0
    ap, ml = np.cos(2 * np.pi * t / 60.0), np.sin(2 * np.pi * t / 60.0)
    assert path_length(ap, ml) == pytest.approx(2 * np.pi, rel=1e-3)
    assert bds2016_measures(ap, ml, 100.0)["mean_velocity_cm_s"] == pytest.approx(2 * np.pi / 60, rel=1e-3)


def test_a_trial_with_nobody_standing_is_refused():
    from trainer.errors import MeasureError

    ap = np.ones(100)
    ap[5] = np.nan
    with pytest.raises(MeasureError, match="nobody stands"):
        bds2016_measures(ap, np.ones(100), 100.0)


def test_closed_form_f_quantile_equals_scipy():
    from scipy.special import fdtri

    from trainer.measures.sway import f_quantile_2

    for m in (1, 3, 10, 748, 5998, 10**7):
        for p in (0.5, 0.95, 0.99):
            assert f_quantile_2(p, m) == pytest.approx(fdtri(2, m, p), rel=1e-12)


def test_path_length_kernel_equals_numpy_and_skips_gaps():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=500), rng.normal(size=500)
    assert path_length(x, y) == pytest.approx(np.sum(np.hypot(np.diff(x), np.diff(y))), rel=1e-12)
    x[100] = np.nan  # nobody standing for one sample: the two steps touching it are not counted
    steps = np.hypot(np.diff(x), np.diff(y))
    assert path_length(x, y) == pytest.approx(np.nansum(steps), rel=1e-12)
