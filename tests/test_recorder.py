"""`record` writes the B.4 folder as it goes; a board failing mid-way keeps what was recorded."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from hardware.samples import WII_BALANCE_BOARD, LoadSample
from hardware.sources import SourceState, register_scheme
from trainer.cli import main
from trainer.errors import BoardError
from trainer.record_command import record_board
from trainer.recorder import SAMPLE_COLUMNS, RecordingWriter


def test_sim_recording_has_the_contract_columns_and_a_summary(tmp_path):
    out = tmp_path / "rec"
    summary = record_board("sim://?seed=3&speed=max", 2.0, out)
    with open(out / "samples.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert ",".join(rows[0].keys()) == SAMPLE_COLUMNS
    assert len(rows) == summary["counters"]["samples"] > 100
    t_s = np.array([float(r["t_s"]) for r in rows])
    assert t_s[-1] - t_s[0] < 2.0 and np.all(np.diff(t_s) > 0)
    saved = json.loads((out / "summary.json").read_text())
    assert saved["schema_version"] == 1 and saved["board_url"].startswith("sim://")
    assert saved["start_time_utc"].endswith("+00:00")
    assert (out / "events.csv").read_text().startswith("t_s,kind,detail\n")


def test_cop_columns_follow_the_core_formula_and_are_empty_when_nobody_stands(tmp_path):
    writer = RecordingWriter(tmp_path / "r", board_url="test://", board_identity="t", geometry=WII_BALANCE_BOARD)
    writer.add_samples([LoadSample(0.0, 0.5, 0.5, 0.5, 0.5), LoadSample(0.01, 10, 30, 10, 30, seq=7)])
    writer.close()
    rows = list(csv.DictReader(open(tmp_path / "r" / "samples.csv", newline="")))
    assert rows[0]["cop_x_mm"] == "" and rows[0]["seq"] == "" and rows[0]["raw_tl"] == ""
    assert float(rows[1]["cop_x_mm"]) == pytest.approx(216.5 * 40 / 80) and float(rows[1]["cop_y_mm"]) == 0.0
    assert rows[1]["seq"] == "7" and float(rows[1]["total_kg"]) == 80.0


def test_rows_are_on_disk_within_a_second(tmp_path):
    clock = [0.0]
    writer = RecordingWriter(tmp_path / "r", board_url="test://", board_identity="t", geometry=WII_BALANCE_BOARD,
                             clock=lambda: clock[0])
    writer.add_samples([LoadSample(0.0, 20, 20, 20, 20)])
    clock[0] = 1.5
    writer.add_samples([LoadSample(1.5, 20, 20, 20, 20)])
    # Not closed, as after a crash: both rows must already be readable from the file.
    assert len((tmp_path / "r" / "samples.csv").read_text().splitlines()) == 3
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["counters"]["samples"] == 2
    writer.close()


class UnpluggedBoard:
    """A board that sends 50 samples and then fails like a pulled USB cable."""

    url = "unplugged://"
    geometry = WII_BALANCE_BOARD
    identity = "test board"
    paced = True

    def __init__(self, url=None):
        self.state = SourceState.CONNECTING
        self.calls = 0

    def open(self):
        self.state = SourceState.STREAMING

    def read(self):
        self.calls += 1
        if self.calls > 1:
            self.state = SourceState.DISCONNECTED
            raise BoardError("unplugged://: the board stopped answering (device unplugged)")
        return [LoadSample(i / 100, 20, 20, 20, 20, seq=i) for i in range(50)]

    def close(self):
        pass


def test_a_board_unplugged_mid_recording_keeps_the_data(tmp_path, capsys):
    register_scheme("unplugged")(UnpluggedBoard)
    out = tmp_path / "rec"
    status = main(["record", "--board", "unplugged://", "--seconds", "10", "--out", str(out)])
    err = capsys.readouterr().err
    assert status != 0 and len(err.strip().splitlines()) == 1 and "stopped answering" in err
    assert len((out / "samples.csv").read_text().splitlines()) == 51
    assert "disconnected" in (out / "events.csv").read_text()


def test_recording_into_an_existing_recording_is_refused(tmp_path):
    record_board("sim://?speed=max", 0.1, tmp_path / "r")
    with pytest.raises(FileExistsError):
        RecordingWriter(tmp_path / "r", board_url="x://", board_identity="", geometry=WII_BALANCE_BOARD)


def test_a_recording_cut_mid_row_by_a_crash_is_still_read(tmp_path):
    from trainer.readers import read_recording

    record_board("sim://?seed=5&speed=max", 1.0, tmp_path / "r")
    samples = tmp_path / "r" / "samples.csv"
    full_rows = len(samples.read_text().splitlines()) - 1
    with open(samples, "a") as f:
        f.write("1.234567,,,,,,20.0,20.0")  # the crash came mid-row: no line end, cells missing
    recording = read_recording(tmp_path / "r")
    assert recording.n_samples == full_rows and recording.metadata["dropped_partial_last_row"]


def test_replayed_wii_recording_round_trips_through_a_recording_folder(tmp_path, shared_data):
    from trainer.readers import read_recording

    original = read_recording(shared_data / "wii_balance_board_recording.txt")
    url = f"replay://{shared_data / 'wii_balance_board_recording.txt'}?speed=max"
    summary = record_board(url, 1000.0, tmp_path / "r")
    copy = read_recording(tmp_path / "r")
    assert summary["counters"]["samples"] == copy.n_samples == original.n_samples
    np.testing.assert_allclose(copy.t_s, original.t_s - original.t_s[0], atol=1e-6)
    np.testing.assert_allclose(copy.corners_kg, original.corners_kg, atol=5e-5)  # 4 decimals in the file
    np.testing.assert_array_equal(copy.raw_counts, original.raw_counts)
    standing = original.standing
    np.testing.assert_array_equal(copy.standing, standing)
    np.testing.assert_allclose(copy.cop_x_mm[standing], original.cop_x_mm[standing], atol=6e-4)


def test_a_recorded_wii_event_stream_records_with_its_decoder_counters(tmp_path):
    from hardware.wiiboard import encode_events

    EV_SYN, EV_ABS, HAT0X, HAT0Y, HAT1X, HAT1Y = 0, 3, 0x10, 0x11, 0x12, 0x13
    events = []
    for i in range(200):  # 2 s at 100 Hz, 20 kg on each corner, the front-right one changing
        sec, usec = divmod(i * 10_000, 1_000_000)
        events += [(sec, usec, EV_ABS, HAT0X, 2000 + i), (sec, usec, EV_ABS, HAT0Y, 2000),
                   (sec, usec, EV_ABS, HAT1X, 2000), (sec, usec, EV_ABS, HAT1Y, 2000), (sec, usec, EV_SYN, 0, 0)]
    stream = tmp_path / "board.events"
    stream.write_bytes(encode_events(events))
    summary = record_board(f"evdev://{stream}", 10.0, tmp_path / "r")
    assert summary["counters"]["samples"] == 200 and summary["counters"]["reports"] == 200
    rows = list(csv.DictReader(open(tmp_path / "r" / "samples.csv", newline="")))
    assert float(rows[-1]["tr_kg"]) == pytest.approx(21.99) and float(rows[-1]["total_kg"]) == pytest.approx(81.99)


def test_a_recorded_wii_board_replays_with_its_own_geometry(tmp_path):
    """The folder keeps the board's sensor spacing in summary.json; replaying it must give back the same COP."""
    from hardware.sources import open_source
    from trainer.cop import corners_to_cop
    from trainer.readers import read_recording

    record_board("sim://?seed=6&speed=max&profile=weight-shift", 3.0, tmp_path / "r")
    recording = read_recording(tmp_path / "r")
    assert recording.geometry == WII_BALANCE_BOARD
    source = open_source(f"replay://{tmp_path / 'r'}?speed=max")
    samples = []
    while source.state is SourceState.STREAMING:
        samples.extend(source.read())
    _, x, _ = corners_to_cop(np.array([s.corners_kg for s in samples]), source.geometry)
    standing = recording.standing
    np.testing.assert_allclose(x[standing], recording.cop_x_mm[standing], atol=2e-3)
