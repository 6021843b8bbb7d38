"""BalanceInput turns a source's samples into one CopFrame per game step, and survives a board that goes away."""
from __future__ import annotations

import math

import numpy as np
import pytest

from hardware.samples import WII_BALANCE_BOARD, LoadSample
from hardware.simulator import SimulatorSource
from hardware.sources import SourceState, open_source
from trainer.balance_input import STEP_S, BalanceInput, CopFrame
from trainer.errors import TareError
from trainer.cop import corners_to_cop, cop_to_corners
from trainer.errors import BoardError
from trainer.filters import StreamingLowPass


class FakeClock:
    def __init__(self):
        self.now = 10.0

    def __call__(self):
        return self.now


class ScriptedSource:
    """A LoadSource handing out prepared chunks, one per read, then raising BoardError if told to."""

    def __init__(self, chunks, *, fail_after: int | None = None):
        self.url = "scripted://"
        self.identity = "scripted test source"
        self.paced = True  # like a board: what arrives is what is due
        self.geometry = WII_BALANCE_BOARD
        self.state = SourceState.CONNECTING
        self.chunks = list(chunks)
        self.fail_after = fail_after
        self.reads = 0

    def open(self):
        self.state = SourceState.STREAMING

    def read(self):
        self.reads += 1
        if self.fail_after is not None and self.reads > self.fail_after:
            raise BoardError("scripted://: the board stopped answering (unplugged?)")
        return self.chunks.pop(0) if self.chunks else []

    def close(self):
        self.state = SourceState.ENDED


def samples_at(t_s, x_mm, y_mm, total_kg, offset_kg=0.0):
    t_s = np.atleast_1d(np.asarray(t_s, dtype=float))
    x_mm, y_mm = np.broadcast_to(x_mm, t_s.shape), np.broadcast_to(y_mm, t_s.shape)
    corners = cop_to_corners(x_mm, y_mm, total_kg, WII_BALANCE_BOARD) + offset_kg
    return [LoadSample(float(t), *map(float, c)) for t, c in zip(t_s, corners)]


def test_sample_time_frames_walk_along_the_source_timeline():
    n = 500
    reference = SimulatorSource(seed=3, speed=None, duration_s=n / 100)
    reference.open()
    samples = []
    while reference.state is SourceState.STREAMING:
        samples.extend(reference.read())
    t = np.array([s.t_s for s in samples])
    total, x, y = corners_to_cop(np.array([s.corners_kg for s in samples]), WII_BALANCE_BOARD)

    source = open_source(f"sim://?seed=3&speed=max&duration_s={n / 100}")
    board = BalanceInput(source)
    assert board.sync == "sample-time"
    frames = [board.step() for _ in range(320)]
    for k, frame in enumerate(frames, start=1):
        if frame.state is not SourceState.STREAMING:
            break
        i = np.searchsorted(t, k * STEP_S + 1e-9, side="right") - 1  # newest sample reached by this step
        assert frame.t_s == t[i]
        assert (frame.cop_x_mm, frame.cop_y_mm, frame.total_kg) == (x[i], y[i], total[i])
        assert frame.standing
    assert frames[59].t_s == pytest.approx(1.0)  # 60 steps: one second of the source's time
    assert frames[-1].state is SourceState.ENDED and not frames[-1].standing and math.isnan(frames[-1].cop_x_mm)
    assert board.n_samples == n


def test_live_frames_show_the_newest_sample_and_go_stale():
    clock = FakeClock()
    source = SimulatorSource(seed=1, clock=clock)
    source.open()
    board = BalanceInput(source)
    assert board.sync == "live"
    for _ in range(120):
        clock.now += STEP_S
        frame = board.step()
    assert frame.state is SourceState.STREAMING and frame.standing
    assert frame.t_s == pytest.approx(2.0, abs=0.011) and frame.total_kg == pytest.approx(70.0, abs=0.3)
    assert abs(frame.cop_x_mm) < 30 and abs(frame.cop_y_mm) < 30
    history = board.recent()
    assert len(history.t_s) == board.n_samples == 201 and np.all(np.diff(history.t_s) > 0)
    # The clock stops: no new samples, and after STALE_AFTER_S of steps the input says so.
    states = [board.step().state for _ in range(60)]
    assert states[0] is SourceState.STREAMING and states[-1] is SourceState.STALE
    clock.now += STEP_S
    assert board.step().state is SourceState.STREAMING


def test_board_unplugged_mid_run_is_reported_not_raised():
    chunks = [samples_at(np.arange(k * 10, k * 10 + 10) / 100, 20.0, -10.0, 60.0) for k in range(5)]
    source = ScriptedSource(chunks, fail_after=5)
    source.open()
    board = BalanceInput(source, sync="live")
    frames = [board.step() for _ in range(5)]
    assert all(f.state is SourceState.STREAMING and f.standing for f in frames)
    assert frames[-1].cop_x_mm == pytest.approx(20.0) and frames[-1].cop_y_mm == pytest.approx(-10.0)
    after = [board.step() for _ in range(3)]  # the sixth read raises
    assert all(f.state is SourceState.DISCONNECTED and not f.standing for f in after)
    assert math.isnan(after[-1].cop_x_mm) and after[-1].t_s == pytest.approx(0.49)
    assert "stopped answering" in board.error
    assert source.reads == 6  # once gone, the source is not asked again
    history = board.recent()
    assert len(history.t_s) == 50 and history.t_s[-1] == pytest.approx(0.49)
    np.testing.assert_allclose(history.cop_x_mm, 20.0)
    np.testing.assert_allclose(history.total_kg, 60.0)


def test_disconnect_in_sample_time_mode_too():
    source = ScriptedSource([samples_at(np.arange(30) / 100, 0.0, 0.0, 50.0)], fail_after=1)
    source.open()
    board = BalanceInput(source, sync="sample-time")
    first = board.step()
    assert first.state is SourceState.STREAMING and first.standing and board.n_samples == 2  # t = 0 and 0.01
    frames = [board.step() for _ in range(30)]
    assert frames[-1].state is SourceState.DISCONNECTED and "stopped answering" in board.error
    assert board.n_samples == 30 and board.recent().t_s[-1] == pytest.approx(0.29)  # nothing received is lost


def test_nobody_on_the_board():
    source = ScriptedSource([samples_at([0.0, 0.01], 0.0, 0.0, 3.0)])
    source.open()
    frame = BalanceInput(source, sync="live").step()
    assert frame.state is SourceState.STREAMING and not frame.standing
    assert frame.total_kg == pytest.approx(3.0) and math.isnan(frame.cop_x_mm)


def test_first_frame_before_any_sample():
    source = ScriptedSource([])
    source.open()
    frame = BalanceInput(source, sync="live").step()
    assert isinstance(frame, CopFrame) and not frame.standing and math.isnan(frame.t_s)


def test_tare_zeroes_the_empty_board_and_refuses_a_person():
    offset = np.array([1.5, 0.5, -0.25, 1.0])
    empty = [LoadSample(t, *offset) for t in np.arange(100) / 100]
    person = samples_at(1.0 + np.arange(10) / 100, 50.0, 20.0, 70.0, offset_kg=offset)
    source = ScriptedSource([empty, person])
    source.open()
    board = BalanceInput(source, sync="live")
    assert board.step().total_kg == pytest.approx(offset.sum())
    np.testing.assert_allclose(board.tare(), offset)
    frame = board.step()
    assert frame.total_kg == pytest.approx(70.0) and frame.cop_x_mm == pytest.approx(50.0)
    assert frame.cop_y_mm == pytest.approx(20.0)
    with pytest.raises(TareError, match="step off"):
        board.tare()


def test_tare_needs_samples():
    source = ScriptedSource([])
    source.open()
    with pytest.raises(TareError, match="nothing yet"):
        BalanceInput(source).tare()


def test_low_pass_is_the_same_in_chunks_as_in_one_go():
    source = open_source("sim://?seed=2&speed=max&duration_s=20")
    board = BalanceInput(source, lowpass_hz=5.0)
    while board.step().state is SourceState.STREAMING:
        pass
    raw_source = open_source("sim://?seed=2&speed=max&duration_s=20")
    samples = []
    while raw_source.state is SourceState.STREAMING:
        samples.extend(raw_source.read())
    _, x, y = corners_to_cop(np.array([s.corners_kg for s in samples]), WII_BALANCE_BOARD)
    expected = StreamingLowPass(5.0, 100.0).process(np.column_stack((x, y)))
    history = board.recent(20.0)
    np.testing.assert_allclose(history.cop_x_mm, expected[:, 0], atol=1e-9)
    np.testing.assert_allclose(history.cop_y_mm, expected[:, 1], atol=1e-9)
    assert np.std(np.diff(history.cop_x_mm)) < 0.5 * np.std(np.diff(x))  # the sensor noise is smoothed away


def test_history_keeps_the_last_seconds_even_from_a_fast_board():
    source = open_source("sim://?speed=max&rate_hz=1000&duration_s=12")
    board = BalanceInput(source, history_s=5.0)
    while board.step().state is SourceState.STREAMING:
        pass
    history = board.recent()
    assert history.t_s[-1] == pytest.approx(11.999)
    assert history.t_s[0] == pytest.approx(6.999) and len(history.t_s) == 5001
    assert len(board.recent(1.0).t_s) == 1001


def test_replay_of_the_wii_recording(shared_data):
    pytest.importorskip("trainer.readers", reason="trainer.readers (another engineer's) is not importable yet")
    source = open_source(f"replay://{shared_data / 'wii_balance_board_recording.txt'}?speed=max")
    board = BalanceInput(source)
    frames = [board.step() for _ in range(60 * 30)]
    assert all(f.state is SourceState.STREAMING for f in frames)
    assert not frames[0].standing  # the recording starts with an empty board
    standing = [f for f in frames if f.standing]
    assert len(standing) > 60 * 20
    assert np.median([f.total_kg for f in standing]) == pytest.approx(72.0, abs=1.5)
    assert max(f.cop_x_mm for f in standing) > 100.0  # the first weight shift to the right
