"""replay:// hands a recording out as a board: paced by the clock, or as fast as asked, and looping."""
from __future__ import annotations

import numpy as np
import pytest

from hardware.sources import SourceState, make_source, open_source, parse_board_url
from trainer.cop import corners_to_cop
from trainer.errors import BoardError


class FakeClock:
    """The replay's clock, moved by hand so pacing can be checked without sleeping."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_paced_replay_hands_out_what_is_due(shared_data):
    from hardware.replay import ReplaySource

    clock = FakeClock()
    source = ReplaySource(str(shared_data / "bds" / "BDS00001.txt"), speed=2.0, clock=clock)
    source.open()
    first = source.read()
    assert len(first) == 1 and first[0].t_s == 0.0  # only the sample at t = 0 is due at the start
    clock.now += 0.5  # half a second at double speed: one second of the 100 Hz recording
    due = source.read()
    assert len(due) == 100 and due[-1].t_s == pytest.approx(1.0)
    assert source.read() == []


def test_fast_replay_gives_back_the_plate_cop(shared_data):
    source = open_source(f"replay://{shared_data / 'bds' / 'BDS00002.txt'}?speed=max")
    samples = []
    while source.state is SourceState.STREAMING:
        samples.extend(source.read())
    assert len(samples) == 6000 and source.state is SourceState.ENDED
    data = np.loadtxt(shared_data / "bds" / "BDS00002.txt", skiprows=1)
    corners = np.array([s.corners_kg for s in samples])
    total, x, y = corners_to_cop(corners, source.geometry)
    np.testing.assert_allclose(y, 10 * data[:, 7], atol=1e-9)  # COPx is AP, cm
    np.testing.assert_allclose(x, 10 * data[:, 8], atol=1e-9)  # COPy is ML, cm
    np.testing.assert_allclose(total, data[:, 3] / 9.80665, rtol=1e-12)


def test_loop_keeps_time_going(shared_data):
    source = open_source(f"replay://{shared_data / 'bds' / 'BDS00003.txt'}?speed=max&loop=1")
    times = []
    for _ in range(4):
        times.extend(s.t_s for s in source.read())
    assert len(times) > 6000 and np.all(np.diff(times) > 0)
    assert source.state is SourceState.STREAMING


@pytest.mark.parametrize("url, message", [
    ("nothing-here", "not a board URL"),
    ("warp://x", "unknown board type"),
    ("replay://", "give the recording's path"),
    ("replay:///tmp/x.txt?speed=fast", "'speed' must be a number"),
    ("replay:///tmp/x.txt?speed=-1", "'speed' must be positive"),
    ("replay:///tmp/x.txt?loop=2", "'loop' must be 0 or 1"),
    ("replay:///tmp/x.txt?colour=red", "unknown parameter 'colour'"),
    ("replay:///tmp/x.txt?speed=1&speed=2", "given twice"),
])
def test_bad_urls_say_what_is_wrong(url, message):
    with pytest.raises(BoardError, match=message):
        make_source(url)


def test_a_missing_or_corrupt_file_is_a_board_error(tmp_path):
    with pytest.raises(BoardError, match="replay"):
        open_source(f"replay://{tmp_path / 'missing.txt'}")
    corrupt = tmp_path / "corrupt.txt"
    corrupt.write_bytes(b"\x00\xff garbage\n1,2,3\n")
    with pytest.raises(BoardError, match="corrupt.txt"):
        open_source(f"replay://{corrupt}")


def test_relative_paths_survive_url_parsing():
    assert parse_board_url("replay://data/trial.txt?speed=2").path == "data/trial.txt"
    assert parse_board_url("replay:///abs/trial.txt").path == "/abs/trial.txt"
