"""The BDS normative table (trainer/clinic/norms_bds.json): rebuilt from BDSinfoCOP.txt by its script, checked against
plain numpy and the data README, and looked up by trainer.clinic.norms (docs/clinic-norms.md)."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import defaultdict

import numpy as np
import pytest

from trainer.clinic import norms
from trainer.clinic.build_norms import DEFAULT_OUT

MEASURES = {"sway_area_ellipse95_cm2": "COParea", "mean_velocity_cm_s": "COPvelo", "mean_frequency_hz": "COPmfreq"}
CONDITIONS = {"eo-firm": ("Open", "Firm"), "ec-firm": ("Closed", "Firm"),
              "eo-foam": ("Open", "Foam"), "ec-foam": ("Closed", "Foam")}
SUBJECT_1 = [f"BDS{i:05d}" for i in range(1, 13)]


@pytest.fixture(scope="module")
def source(shared_data):
    return shared_data / "bds" / "BDSinfoCOP.txt"


@pytest.fixture(scope="module")
def rows(source):
    with open(source, newline="") as table:
        return list(csv.DictReader(table, delimiter="\t"))


@pytest.fixture(scope="module")
def table():
    return json.loads(DEFAULT_OUT.read_text(encoding="utf-8"))


def trials_of(rows, bds_age_group, condition):
    vision, surface = CONDITIONS[condition]
    return [r for r in rows if r["AgeGroup"] == bds_age_group and (r["Vision"], r["Surface"]) == (vision, surface)]


def test_the_script_rebuilds_the_shipped_table_byte_for_byte(source, tmp_path):
    out = tmp_path / "norms.json"
    run = subprocess.run([sys.executable, "-m", "trainer.clinic.build_norms", "--source", str(source),
                          "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == DEFAULT_OUT.read_bytes()
    assert len(out.read_bytes()) < 20_000  # a small derived table, not the data set


def test_the_script_refuses_a_file_that_is_not_bdsinfocop(tmp_path):
    bad = tmp_path / "BDSinfoCOP.txt"
    bad.write_text("Trial\tSubject\tAge\nBDS00001\t1\t33\n")
    run = subprocess.run([sys.executable, "-m", "trainer.clinic.build_norms", "--source", str(bad),
                          "--out", str(tmp_path / "out.json")], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "no column" in run.stderr and "COParea" in run.stderr
    assert not (tmp_path / "out.json").exists()


def test_the_table_says_where_it_comes_from(table, source):
    import hashlib

    assert "Santos DA, Duarte M" in table["source"]["citation"] and "PeerJ 2016;4:e2648" in table["source"]["citation"]
    assert table["source"]["licence"].startswith("CC BY 4.0")
    assert table["source"]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert (table["source"]["n_trials"], table["source"]["n_people"]) == (1930, 163)
    assert table["percentiles"] == [1, 5, 10, 25, 50, 75, 90, 95, 99]
    assert [g["name"] for g in table["age_groups"]] == ["young", "old"]
    assert {m: table["measures"][m]["higher_is_worse"] for m in MEASURES} == {
        "sway_area_ellipse95_cm2": True, "mean_velocity_cm_s": True, "mean_frequency_hz": None}


def test_n_per_cell_counts_each_person_once(table, rows):
    for group, bds_group in (("young", "Young"), ("old", "Old")):
        for condition in CONDITIONS:
            chosen = trials_of(rows, bds_group, condition)
            cell = table["cells"][group][condition]
            assert cell["n_trials"] == len(chosen)
            assert cell["n_people"] == len({r["Subject"] for r in chosen}) >= 70


@pytest.mark.parametrize("group, bds_group, condition", [("young", "Young", "eo-firm"), ("young", "Young", "ec-foam"),
                                                         ("old", "Old", "eo-foam"), ("old", "Old", "ec-foam")])
def test_shipped_percentiles_agree_with_plain_numpy(table, rows, group, bds_group, condition):
    """In these cells everyone has 3 trials, so the person weighting is uniform and the table is plain Hazen."""
    chosen = trials_of(rows, bds_group, condition)
    counts = defaultdict(int)
    for r in chosen:
        counts[r["Subject"]] += 1
    assert set(counts.values()) == {3}
    for measure, column in MEASURES.items():
        values = np.array([float(r[column]) for r in chosen])
        expected = np.percentile(values, table["percentiles"], method="hazen")
        np.testing.assert_allclose(table["cells"][group][condition][measure], expected, rtol=6e-6)
        assert table["cells"][group][condition][measure][4] == pytest.approx(np.median(values), rel=6e-6)


def test_the_one_person_with_a_single_trial_counts_once_not_a_third(table, rows):
    """Subject 122 (old) has one eyes-closed firm trial: weighted 1, like everyone's three trials together."""
    chosen = trials_of(rows, "Old", "ec-firm")
    weights = defaultdict(int)
    for r in chosen:
        weights[r["Subject"]] += 1
    assert [s for s, k in weights.items() if k == 1] == ["122"]
    # Independently: repeat that trial three times; with all weights equal the Hazen median is the plain median,
    # and Hazen positions of the repeated trial bracket the single weight-3 position, so the medians agree here.
    values = np.array([float(r["COPvelo"]) for r in chosen for _ in range(3 if r["Subject"] == "122" else 1)])
    assert table["cells"]["old"]["ec-firm"]["mean_velocity_cm_s"][4] == pytest.approx(np.median(values), rel=6e-6)
    unweighted = np.median([float(r["COPvelo"]) for r in chosen])
    assert unweighted != pytest.approx(np.median(values), rel=1e-6)  # the weighting did change something


def test_the_data_readmes_population_medians_are_the_tables_medians(table, rows):
    """shared/data/README.md: young eyes open firm 2.02 cm², 0.80 cm/s, 0.22 Hz; old eyes closed foam 23.3 cm²,
    4.15 cm/s, 0.36 Hz. They are medians over single trials in the data set's AgeGroup split (= the table's medians,
    as everyone in these cells has three trials); medians of per-person means would give 2.05 cm², 0.81 cm/s and
    23.7 cm², 4.23 cm/s instead."""
    young, old = table["cells"]["young"]["eo-firm"], table["cells"]["old"]["ec-foam"]
    assert [round(young[m][4], 2) for m in MEASURES] == [2.02, 0.80, 0.22]
    assert [round(old["sway_area_ellipse95_cm2"][4], 1), round(old["mean_velocity_cm_s"][4], 2),
            round(old["mean_frequency_hz"][4], 2)] == [23.3, 4.15, 0.36]
    per_person = defaultdict(list)
    for r in trials_of(rows, "Young", "eo-firm"):
        per_person[r["Subject"]].append(float(r["COParea"]))
    assert round(float(np.median([np.mean(v) for v in per_person.values()])), 2) == 2.05


def every_row():
    for measure in MEASURES:
        for condition in CONDITIONS:
            for age in (30.0, 70.0):
                yield measure, condition, age


def test_percentile_of_is_monotonic_and_exact_at_the_knots():
    for measure, condition, age in every_row():
        percentiles, values = norms.row(measure, condition, age)
        for p, v in zip(percentiles, values):
            assert norms.percentile_of(measure, condition, age, v) == p
        grid = np.linspace(values[0], values[-1], 400)
        found = [norms.percentile_of(measure, condition, age, float(v)) for v in grid]
        assert all(b > a for a, b in zip(found, found[1:])), (measure, condition, age)
        assert found[0] == 1.0 and found[-1] == 99.0
        # halfway between two knots in value is halfway in percentile
        middle = (values[3] + values[4]) / 2
        halfway = (percentiles[3] + percentiles[4]) / 2
        assert norms.percentile_of(measure, condition, age, middle) == pytest.approx(halfway)


def test_values_beyond_the_table_are_not_extrapolated():
    percentiles, values = norms.row("sway_area_ellipse95_cm2", "eo-firm", 33)
    with pytest.raises(norms.OutsideNormsError, match=r"below the 1st percentile .* does not extrapolate") as low:
        norms.percentile_of("sway_area_ellipse95_cm2", "eo-firm", 33, values[0] * 0.99)
    assert (low.value.side, low.value.bound_percentile, low.value.bound_value) == ("below", 1.0, values[0])
    with pytest.raises(norms.OutsideNormsError, match=r"above the 99th percentile") as high:
        norms.percentile_of("sway_area_ellipse95_cm2", "eo-firm", 33, values[-1] * 1.01)
    assert high.value.side == "above" and isinstance(high.value, ValueError)
    result = norms.lookup("sway_area_ellipse95_cm2", "eo-firm", 33, values[-1] * 1.01)
    assert result.percentile is None and result.position == "above the 99th percentile" and result.outside_band
    assert norms.outside_band("sway_area_ellipse95_cm2", "eo-firm", 33, values[0] * 0.99)


def test_the_band_is_the_5th_to_95th():
    percentiles, values = norms.row("mean_velocity_cm_s", "ec-foam", 70)
    p5, p95 = values[percentiles.index(5.0)], values[percentiles.index(95.0)]
    assert not norms.outside_band("mean_velocity_cm_s", "ec-foam", 70, p5)
    assert not norms.outside_band("mean_velocity_cm_s", "ec-foam", 70, p95)
    assert norms.outside_band("mean_velocity_cm_s", "ec-foam", 70, p5 * 0.999)
    assert norms.outside_band("mean_velocity_cm_s", "ec-foam", 70, p95 * 1.001)
    assert norms.outside_band("mean_velocity_cm_s", "ec-foam", 70, p95 * 1.001, band=(1, 99)) is False
    with pytest.raises(norms.NormsError, match="band"):
        norms.outside_band("mean_velocity_cm_s", "ec-foam", 70, p5, band=(3, 97))


def test_bad_arguments_are_clear_value_errors():
    with pytest.raises(ValueError, match=r"condition 'eo-sand'.*eo-firm, ec-firm, eo-foam, ec-foam"):
        norms.percentile_of("mean_velocity_cm_s", "eo-sand", 30, 1.0)
    with pytest.raises(ValueError, match=r"measure 'COPvelo'.*mean_velocity_cm_s"):
        norms.percentile_of("COPvelo", "eo-firm", 30, 1.0)
    for age in (17.9, 86, -1, float("nan")):
        with pytest.raises(ValueError, match=r"age|number"):
            norms.percentile_of("mean_velocity_cm_s", "eo-firm", age, 1.0)
    with pytest.raises(ValueError, match=r"18 to under 86 years"):
        norms.age_group(90)
    for value in (float("nan"), float("inf"), "1.0", True):
        with pytest.raises(ValueError, match="finite number"):
            norms.percentile_of("mean_velocity_cm_s", "eo-firm", 30, value)


def test_age_groups_follow_the_data_sets_split():
    assert norms.age_group(18)["name"] == "young" and norms.age_group(59.99)["name"] == "young"
    assert norms.age_group(60)["name"] == "old" and norms.age_group(85.9)["name"] == "old"
    assert norms.higher_is_worse("sway_area_ellipse95_cm2") is True
    assert norms.higher_is_worse("mean_frequency_hz") is None
    assert norms.unit("sway_area_ellipse95_cm2") == "cm²" and norms.unit("mean_velocity_cm_s") == "cm/s"
    assert set(norms.measures()) == set(MEASURES) and norms.conditions() == tuple(CONDITIONS)


@pytest.mark.parametrize("trial", SUBJECT_1)
def test_subject_1s_trials_replayed_get_the_published_values_and_their_percentile(trial, shared_data, rows, table):
    """Subject 1 (33 years, young): the bds2016 measures of each raw trial are the authors' values, and those values'
    percentile is what the table says, found here with numpy's own interpolation between the table's knots."""
    from trainer.measures.bds2016 import profile_bds2016
    from trainer.readers import read_recording

    row = next(r for r in rows if r["Trial"] == trial)
    condition = next(c for c, coding in CONDITIONS.items() if coding == (row["Vision"], row["Surface"]))
    age = float(row["Age"])
    assert row["AgeGroup"] == "Young" and norms.age_group(age)["name"] == "young"
    replayed = profile_bds2016(read_recording(shared_data / "bds" / f"{trial}.txt"))
    cell = table["cells"]["young"][condition]
    for measure, column in MEASURES.items():
        published = float(row[column])
        assert replayed[measure] == pytest.approx(published, rel=1e-9)
        knots = np.array(cell[measure])
        if published < knots[0] or published > knots[-1]:
            with pytest.raises(norms.OutsideNormsError):
                norms.percentile_of(measure, condition, age, replayed[measure])
            continue
        expected = float(np.interp(published, knots, table["percentiles"]))
        got = norms.percentile_of(measure, condition, age, replayed[measure])
        assert got == pytest.approx(expected, abs=1e-6)
        j = int(np.searchsorted(knots, published, side="right")) - 1
        assert table["percentiles"][j] <= got <= table["percentiles"][min(j + 1, len(knots) - 1)]
        # and it is close to the share of the group's trials at or below it, counted from the raw file
        same = [float(r[column]) for r in trials_of(rows, "Young", condition)]
        share = 100.0 * np.mean(np.array(same) <= published)
        assert got == pytest.approx(share, abs=4.0)
        outside = published < knots[1] or published > knots[7]
        assert norms.outside_band(measure, condition, age, replayed[measure]) == outside
