"""Clinical tests (docs/clinic.md): the mCTSIB and weight-bearing symmetry, run headless on real BDS trials and on
crafted recordings whose truth is known, through the same round engine and the `test` command."""
from __future__ import annotations

import json

import numpy as np
import pytest

from games.headless import play_headless
from games.round import RoundOptions
from hardware.samples import FORCE_PLATE, WII_BALANCE_BOARD, LoadSample
from trainer.cli import main
from trainer.clinic import norms
from trainer.clinic.mctsib import ratios
from trainer.clinic.report_values import with_norms
from trainer.clinic.quiet_stance import QuietStanceTrial
from trainer.clinic.symmetry import load_shares
from trainer.cop import cop_to_corners
from trainer.recorder import RecordingWriter
from trainer.store import open_store, records, sessions

CONDITION = {("Open", "Firm"): "eo-firm", ("Closed", "Firm"): "ec-firm", ("Open", "Foam"): "eo-foam",
             ("Closed", "Foam"): "ec-foam"}


def published(shared_data) -> dict[str, tuple[str, float, float, float]]:
    """{trial: (condition, COParea cm², COPvelo cm/s, COPmfreq Hz)} for subject 1, from BDSinfoCOP.txt."""
    lines = (shared_data / "bds" / "BDSinfoCOP.txt").read_text().splitlines()
    header = lines[0].split("\t")
    out = {}
    for line in lines[1:]:
        cells = dict(zip(header, line.split("\t")))
        if cells["Subject"] == "1":
            out[cells["Trial"]] = (CONDITION[(cells["Vision"], cells["Surface"])], float(cells["COParea"]),
                                   float(cells["COPvelo"]), float(cells["COPmfreq"]))
    return out


def test_a_bds_trial_replayed_as_its_mctsib_condition_gets_the_authors_values(shared_data):
    trials = published(shared_data)
    assert len(trials) == 12 and {c for c, *_ in trials.values()} == set(CONDITION.values())
    for trial, (condition, area, velocity, frequency) in sorted(trials.items()):
        result = play_headless("mctsib", f"replay://{shared_data / 'bds' / (trial + '.txt')}?speed=max",
                               RoundOptions(setup=condition, seconds=60.0), kind="test")
        outcome = result.scores["conditions"][condition]
        assert outcome["completed"] and outcome["held_s"] == 60.0 and outcome["samples"] == 6000, trial
        measured = outcome["measures"]["bds2016"]
        assert measured["sway_area_ellipse95_cm2"] == pytest.approx(area, rel=1e-9), trial
        assert measured["mean_velocity_cm_s"] == pytest.approx(velocity, rel=1e-9), trial
        assert measured["mean_frequency_hz"] == pytest.approx(frequency, rel=1e-9), trial
        assert "mean_velocity_mm_s" in outcome["measures"]["default"]
        # ... and the percentile those published values have in the shipped table, for her age (33: "young").
        shown = with_norms("mctsib", result.scores, 33)["conditions"][condition]["norms"]
        for measure, value in (("sway_area_ellipse95_cm2", area), ("mean_velocity_cm_s", velocity),
                               ("mean_frequency_hz", frequency)):
            percentiles, values = norms.row(measure, condition, 33)
            expected = norms.lookup(measure, condition, 33, value)
            assert shown[measure]["position"] == expected.position, (trial, measure)
            assert shown[measure]["outside_5_95"] == (value < values[1] or value > values[-2])
            if expected.percentile is not None:  # between two knots: numpy's own linear interpolation
                assert shown[measure]["percentile"] == pytest.approx(np.interp(value, values, percentiles), abs=1e-6)


def write_stance(folder, pieces, *, geometry=WII_BALANCE_BOARD, rate_hz=100.0, cop_mm=(0.0, 0.0), left_share=None):
    """A crafted recording: `pieces` = [(seconds, total kg), ...] in turn, COP at cop_mm (or, with left_share, the
    load split left/right by it); returns the folder."""
    writer = RecordingWriter(folder, board_url="crafted://", board_identity="crafted stance", geometry=geometry)
    samples = []
    for seconds, load_kg in pieces:
        for _ in range(round(seconds * rate_hz)):
            if left_share is None:
                corners = cop_to_corners([cop_mm[0]], [cop_mm[1]], load_kg, geometry)[0]
            else:
                left, right = load_kg * left_share / 2, load_kg * (1 - left_share) / 2
                corners = np.array([left, right, left, right])
            samples.append(LoadSample(len(samples) / rate_hz, *map(float, corners)))
    writer.add_samples(samples)
    writer.close()
    return folder


def test_a_step_at_a_known_second_ends_the_attempt_and_the_next_attempt_completes(tmp_path):
    # 12 s standing, a step off the board at 12.0 s (20 kg left on it for 0.5 s), back on, then 31 s standing.
    folder = write_stance(tmp_path / "r", [(12.0, 70.0), (0.5, 20.0), (31.0, 70.0)])
    result = play_headless("mctsib", f"replay://{folder}?speed=max", RoundOptions(setup="ec-foam"), kind="test")
    outcome = result.scores["conditions"]["ec-foam"]
    first, second = outcome["attempts"]
    assert first["held_s"] == pytest.approx(12.0, abs=1e-6) and first["stepped_at_s"] == pytest.approx(12.0)
    assert second["start_s"] == pytest.approx(12.5) and second["held_s"] == 30.0 and second["stepped_at_s"] is None
    assert outcome["completed"] and outcome["held_s"] == 30.0 and outcome["samples"] == 3000
    assert outcome["body_weight_kg"] == pytest.approx(70.0)


def test_three_failed_attempts_end_the_condition_with_the_longest_held(tmp_path):
    pieces = [(5.0, 70.0), (0.3, 0.0), (8.0, 70.0), (0.3, 0.0), (3.0, 70.0), (0.3, 0.0), (40.0, 70.0)]
    folder = write_stance(tmp_path / "r", pieces)
    result = play_headless("mctsib", f"replay://{folder}?speed=max", RoundOptions(setup="eo-firm"), kind="test")
    outcome = result.scores["conditions"]["eo-firm"]
    assert [a["held_s"] for a in outcome["attempts"]] == pytest.approx([5.0, 8.0, 3.0], abs=1e-6)
    assert not outcome["completed"] and outcome["held_s"] == pytest.approx(8.0, abs=1e-6)  # the protocol's 3


def test_a_brief_dip_is_not_a_step():
    trial = QuietStanceTrial(10.0)
    for i in range(1200):
        t = i / 100
        total = 30.0 if 500 <= i < 505 else 70.0  # 50 ms at 30 kg: shorter than STEP_MIN_S
        trial.feed(t, [total / 4] * 4)
    assert trial.done and trial.attempts[0].completed and len(trial.attempts) == 1
    assert len(trial.attempts[0].rows) == 1000 and trial.attempts[0].rows[0][0] == 0.0


def test_all_four_conditions_in_turn_give_the_ratios(tmp_path):
    # One board, four 30-s trials back to back; sway grows with each condition by a known factor.
    rng = np.random.default_rng(1)
    writer = RecordingWriter(tmp_path / "r", board_url="crafted://", board_identity="crafted", geometry=FORCE_PLATE)
    samples = []
    for scale in (1.0, 2.0, 3.0, 6.0):  # eo-firm, ec-firm, eo-foam, ec-foam
        xy = np.cumsum(rng.normal(size=(3000, 2)), axis=0) * 0.05 * scale
        for x, y in xy:
            corners = cop_to_corners([x], [y], 70.0, FORCE_PLATE)[0]
            samples.append(LoadSample(len(samples) / 100, *map(float, corners)))
    writer.add_samples(samples)
    writer.close()
    result = play_headless("mctsib", f"replay://{tmp_path / 'r'}?speed=max", RoundOptions(), kind="test")
    conditions = result.scores["conditions"]
    assert list(conditions) == ["eo-firm", "ec-firm", "eo-foam", "ec-foam"]
    assert all(c["completed"] and c["samples"] == 3000 for c in conditions.values())
    area = {k: v["measures"]["bds2016"]["sway_area_ellipse95_cm2"] for k, v in conditions.items()}
    got = result.scores["ratios"]
    assert got["romberg_firm_sway_area_ellipse95_cm2"] == pytest.approx(area["ec-firm"] / area["eo-firm"])
    assert got["foam_firm_ec_sway_area_ellipse95_cm2"] == pytest.approx(area["ec-foam"] / area["ec-firm"])
    assert got["romberg_firm_sway_area_ellipse95_cm2"] > 1.0


def test_ratios_need_both_conditions_completed():
    done = {"completed": True, "measures": {"bds2016": {"sway_area_ellipse95_cm2": 2.0, "mean_velocity_cm_s": 1.0}}}
    worse = {"completed": True, "measures": {"bds2016": {"sway_area_ellipse95_cm2": 5.0, "mean_velocity_cm_s": 1.5}}}
    got = ratios({"eo-firm": done, "ec-firm": worse, "eo-foam": {**worse, "completed": False}})
    assert got["romberg_firm_sway_area_ellipse95_cm2"] == 2.5 and got["romberg_firm_mean_velocity_cm_s"] == 1.5
    assert got["foam_firm_eo_sway_area_ellipse95_cm2"] is None and got["romberg_foam_mean_velocity_cm_s"] is None


def test_symmetry_gives_the_known_load_split(tmp_path):
    folder = write_stance(tmp_path / "r", [(31.0, 80.0)], left_share=0.6)
    result = play_headless("symmetry", f"replay://{folder}?speed=max", RoundOptions(), kind="test")
    outcome = result.scores["conditions"]["both-feet"]
    assert outcome["completed"] and outcome["left_pct"] == pytest.approx(60.0, abs=1e-9)
    assert outcome["right_pct"] == pytest.approx(40.0) and outcome["asymmetry_pct"] == pytest.approx(20.0)
    assert outcome["front_pct"] == pytest.approx(50.0)
    with pytest.raises(ValueError, match="nobody stood"):
        load_shares(np.zeros((10, 4)))


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as stop:  # argparse refusing an argument: exit 2, one line on stderr
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


def test_the_test_command_keeps_the_test_as_the_patients_session(capsys, tmp_path, store_url):
    folder = write_stance(tmp_path / "r", [(12.0, 70.0), (0.5, 20.0), (31.0, 70.0)])
    assert run(capsys, "user", "add", "kiwi", "--year-of-birth", "1961", "--db", store_url)[0] == 0
    code, out, err = run(capsys, "test", "mctsib", "--board", f"replay://{folder}", "--headless", "--condition",
                         "ec-firm", "--user", "kiwi", "--db", store_url, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["age"] >= 64 and data["results"]["conditions"]["ec-firm"]["completed"] is True
    with open_store(store_url) as store, store.transaction() as session:
        (row,) = sessions.sessions_of(session, records.get_user(session, "kiwi"))
        assert (row.kind, row.name, row.setup, row.status) == ("test", "mctsib", "ec-firm", "complete")
        assert json.loads(row.scores_json)["conditions"]["ec-firm"]["attempts"][0]["held_s"] == pytest.approx(12.0)
        assert row.sample_count == 4350 and row.score_version == "mctsib/1"
    code, out, _ = run(capsys, "test", "mctsib", "--board", f"replay://{folder}", "--headless", "--condition",
                       "ec-firm")
    assert code == 0 and "ec-firm: held 30.0 of 30 s  attempts: 12.0 s, 30.0 s" in out


@pytest.mark.parametrize("argv, message", [
    (["test", "mctsib", "--board", "sim://", "--headless", "--condition", "eyes-shut"], "set-up must be one of"),
    (["test", "mctsib", "--board", "sim://", "--headless", "--trial-s", "45"], "30 s, or 60 s"),
    (["test", "mctsib", "--board", "sim://", "--headless", "--weight-kg", "-5"], "more than 0 kg"),
    (["test", "mctsib", "--board", "sim://"], "add --headless"),
    (["test", "los", "--board", "sim://", "--headless"], "need the person's height"),
    (["test", "mctsib", "--board", "sim://", "--headless", "--user", "nobody"], "no user called 'nobody'"),
    (["test", "mctsib", "--board", "replay:///no/such/file.txt", "--headless"], "no/such/file.txt"),
])
def test_bad_input_is_one_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code != 0 and out == "" and message in err and len(err.strip().splitlines()) == 1


def test_the_norms_caveat_names_the_boards_own_accuracy(tmp_path):
    from trainer.calibration import Calibration, CalibrationStore
    from trainer.clinic.report_values import board_accuracy

    assert "no calibration record" in board_accuracy(None)
    assert "not calibrated" in board_accuracy("0a1b")  # an FP1 uid with nothing stored
    store = CalibrationStore()
    store.save(Calibration("0a1b", [0.0] * 4, [1e-4] * 4, accuracy={"cop_error_max_mm": 2.34,
                                                                   "total_load_error_max_kg": 0.051,
                                                                   "date_utc": "2026-03-01T10:00:00+00:00"}))
    assert board_accuracy("0a1b") == "board 0a1b: COP within 2.3 mm, load within 0.05 kg (checked 2026-03-01)"
    shown = with_norms("mctsib", {"conditions": {}}, 40, device_id="0a1b")
    assert shown["norms_caveat"].endswith("This test: board 0a1b: COP within 2.3 mm, load within 0.05 kg "
                                          "(checked 2026-03-01).")
