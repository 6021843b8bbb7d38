"""The FP1 plate simulator: it speaks B.5 on a real pseudo-terminal, read here with plain pyserial and the parser."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import serial

from hardware import fp1
from hardware.fp1_device import Faults
from hardware.samples import WII_BALANCE_BOARD
from trainer.cop import corners_to_cop

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def open_port():
    ports = []

    def open_(path, **kwargs):
        port = serial.Serial(path, 115200, timeout=0.05, **kwargs)
        ports.append(port)
        return port

    yield open_
    for port in ports:
        port.close()


def read_messages(port, seconds: float, parser: fp1.FrameParser | None = None) -> list:
    parser = parser or fp1.FrameParser()
    messages = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        messages += parser.feed(port.read(max(1, port.in_waiting)))
    return messages


def samples_of(messages) -> list[fp1.Sample]:
    return [m for m in messages if isinstance(m, fp1.Sample)]


def test_boot_hello_samples_and_status_on_a_pty(make_device, open_port):
    device = make_device(load=(10.0, 20.0, 30.0, 40.0), rate_hz=200.0, uid=bytes.fromhex("0102030405"))
    assert device.path.startswith("/dev/pts/")
    # Opened without pyserial, which clears the input at open: the boot delimiter and HELLO are waiting there.
    fd = os.open(device.path, os.O_RDWR | os.O_NOCTTY)
    try:
        time.sleep(0.05)
        boot = os.read(fd, 4096)
    finally:
        os.close(fd)
    assert boot[:1] == b"\x00" and isinstance(fp1.FrameParser().feed(boot)[0], fp1.Hello)
    port = open_port(device.path)
    port.write(fp1.command_frame(fp1.GET_INFO, 1))
    messages = read_messages(port, 1.3)
    messages = messages[[isinstance(m, fp1.Hello) for m in messages].index(True):]
    hello = messages[0]
    assert hello.uid == bytes.fromhex("0102030405") and hello.n_channels == 4 and hello.nominal_hz == 200
    assert hello.labels == ("TL", "TR", "BL", "BR")
    assert any(isinstance(m, fp1.Status) for m in messages)
    samples = samples_of(messages)
    seqs = [s.seq for s in samples]
    assert seqs == list(range(seqs[0], seqs[0] + len(samples))) and len(samples) > 150
    # raw = offset + counts_per_kg * kg, per corner, and every sample is in `sent` under its seq
    assert samples[0].raw == (8000 + 200000, -3000 + 400000, 12000 + 600000, 500 + 800000)
    assert all(device.sent[0][s.seq] == s.raw for s in samples)
    assert all(s.flags == 0 for s in samples)
    t_us = np.array([s.t_us for s in samples])
    assert np.all(np.diff(t_us) == 5000)  # the device clock steps by exactly one period


def test_commands_are_answered(make_device, open_port):
    device = make_device(rate_hz=100.0)
    port = open_port(device.path)
    port.reset_input_buffer()
    port.write(fp1.command_frame(fp1.GET_INFO, 7) + fp1.command_frame(fp1.PING, 8)
               + fp1.command_frame(fp1.STOP, 9))
    messages = read_messages(port, 0.3)
    assert any(isinstance(m, fp1.Hello) for m in messages)
    acks = [m for m in messages if isinstance(m, fp1.Ack)]
    assert fp1.Ack(fp1.PING, 8, 0) in acks and fp1.Ack(fp1.STOP, 9, 0) in acks
    assert [(c, s) for _, c, s in device.commands] == [(fp1.GET_INFO, 7), (fp1.PING, 8), (fp1.STOP, 9)]
    time.sleep(0.05)
    port.reset_input_buffer()
    assert samples_of(read_messages(port, 0.3)) == []  # stopped
    port.write(fp1.command_frame(fp1.START, 10))
    messages = read_messages(port, 0.3)
    assert fp1.Ack(fp1.START, 10, 0) in messages and len(samples_of(messages)) > 10
    seqs = [s.seq for s in samples_of(messages)]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # a pause is not a gap


def test_placed_loads_and_gain_errors_give_the_raw_counts(make_device, open_port):
    device = make_device(rate_hz=100.0, gain_error=(0.02, -0.01, 0.0, 0.03), offset_counts=(1, 2, 3, 4),
                         counts_per_kg=(10000.0, 20000.0, 30000.0, 40000.0))
    port = open_port(device.path)
    device.place((1.0, 2.0, 3.0, 4.0))
    time.sleep(0.05)
    port.reset_input_buffer()
    raw = samples_of(read_messages(port, 0.2))[-1].raw
    assert raw == (1 + round(10000 * 1.02), 2 + round(20000 * 0.99 * 2), 3 + 90000, 4 + round(40000 * 1.03 * 4))
    device.place_mass(60.0, 50.0, -30.0, WII_BALANCE_BOARD)
    time.sleep(0.05)
    port.reset_input_buffer()
    raw = np.array(samples_of(read_messages(port, 0.2))[-1].raw, dtype=float)
    kg = (raw - (1, 2, 3, 4)) / (np.array([10000.0, 20000.0, 30000.0, 40000.0]) * (1.02, 0.99, 1.0, 1.03))
    total, x, y = corners_to_cop(kg[None, :], WII_BALANCE_BOARD)
    assert total[0] == pytest.approx(60.0, abs=1e-3)
    assert x[0] == pytest.approx(50.0, abs=0.01) and y[0] == pytest.approx(-30.0, abs=0.01)


def test_a_sim_url_drives_the_raw_counts(make_device, open_port):
    device = make_device(load="sim://?seed=2&weight_kg=80&noise_kg=0", rate_hz=100.0, offset_counts=(0, 0, 0, 0))
    port = open_port(device.path)
    port.reset_input_buffer()
    samples = samples_of(read_messages(port, 0.5))
    kg = np.array([s.raw for s in samples], dtype=float) / 20000.0
    assert np.allclose(kg.sum(axis=1), 80.0, atol=1e-3)
    assert np.ptp(kg[:, 0]) > 0  # the person sways


def test_the_wire_faults_are_counted_exactly_as_a_parser_sees_them(make_device, open_port):
    device = make_device(rate_hz=400.0, load=(5.0, 5.0, 5.0, 5.0))
    port = open_port(device.path)
    parser = fp1.FrameParser()
    read_messages(port, 0.2, parser)  # in step with the stream
    bad_before = parser.counters.frames_bad
    device.faults = Faults(garbage=0.02, bit_flips=0.003, truncate=0.01, drop=0.01)
    messages = read_messages(port, 3.0, parser)
    device.faults = Faults()
    messages += read_messages(port, 0.3, parser)
    wire = device.wire
    assert wire.frames_damaged > 20 and wire.garbage_bursts > 20 and wire.samples_dropped > 3
    assert parser.counters.frames_bad - bad_before == wire.bad_pieces
    assert wire.frames_corrupted <= wire.bad_pieces <= wire.frames_corrupted + wire.garbage_bursts
    samples = samples_of(messages)
    assert all(device.sent[0][s.seq] == s.raw for s in samples)  # nothing corrupted got through
    flagged = [s for s in samples if s.flags & fp1.FLAG_DEVICE_DROPPED]
    assert len(flagged) >= wire.samples_dropped // 2


def test_reset_restarts_seq_and_says_hello(make_device, open_port):
    device = make_device(rate_hz=100.0)
    port = open_port(device.path)
    port.reset_input_buffer()
    before = samples_of(read_messages(port, 0.3))
    device.reset()
    messages = read_messages(port, 0.3)
    hellos = [i for i, m in enumerate(messages) if isinstance(m, fp1.Hello)]
    assert hellos, "no HELLO after the reset"
    after = samples_of(messages[hellos[0]:])
    assert after[0].seq == 0 and after[0].t_us == 0 and device.generation == 1
    assert before[-1].seq > 10 and all(device.sent[1][s.seq] == s.raw for s in after)


def test_unplug_removes_the_port_and_comes_back_under_a_new_path(make_device, open_port, tmp_path):
    link = tmp_path / "by-id-plate"
    device = make_device(rate_hz=100.0, link_path=str(link))
    first_path = device.path
    assert os.path.realpath(link) == first_path
    held = open_port(first_path)  # a host holding the port keeps the old pts number taken
    device.unplug(0.5)
    assert device.path is None and not link.exists() and not os.path.exists(first_path)
    with pytest.raises(serial.SerialException):
        held.read(10)
    assert device.wait_plugged(3.0)
    assert device.path != first_path and os.path.realpath(link) == device.path
    port = open_port(str(link))
    port.write(fp1.command_frame(fp1.GET_INFO, 1))
    messages = read_messages(port, 0.3)
    assert any(isinstance(m, fp1.Hello) for m in messages) and samples_of(messages)
    assert device.generation == 1  # the plate lost power


def test_command_line_prints_the_paths_and_stops_on_ctrl_c(tmp_path):
    link = tmp_path / "plate"
    process = subprocess.Popen([sys.executable, "-m", "hardware.simulator", "--board", "empty", "--rate-hz", "50",
                                "--link", str(link), "--uid", "0badc0de"], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        path = process.stdout.readline().strip()
        assert path.startswith("/dev/pts/") and process.stdout.readline().strip() == str(link)
        with serial.Serial(str(link), timeout=0.05) as port:
            port.write(fp1.command_frame(fp1.GET_INFO, 1))
            hellos = [m for m in read_messages(port, 0.5) if isinstance(m, fp1.Hello)]
        assert hellos and hellos[0].uid == bytes.fromhex("0badc0de")
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert not link.exists()


def test_command_line_rejects_a_bad_gain_error():
    result = subprocess.run([sys.executable, "-m", "hardware.simulator", "--gain-error", "0.1,0.2"], cwd=REPO,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "four values" in result.stderr
