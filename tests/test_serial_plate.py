"""The serial:// driver over real pseudo-terminals and real pyserial, against the FP1 plate simulator."""
from __future__ import annotations

import csv
import errno
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import serial
from serial.tools import list_ports
from serial.tools.list_ports_common import ListPortInfo

from hardware import fp1
from hardware.fp1_device import CommandParser, Faults
from hardware.serial_plate import FP1_PLATE, DeviceClock, open_error_text
from hardware.sources import SourceState, make_source, open_source
from trainer.calibration import Calibration, CalibrationStore
from trainer.errors import BoardError
from trainer.record_command import record_board

REPO = Path(__file__).resolve().parents[1]
UID = bytes.fromhex("a1b2c3d4e5f6")
GAP = re.compile(r"seq (\d+) to (\d+)")


@pytest.fixture
def opened():
    """Opens serial:// URLs; closes them after the test and checks that no reader thread is left behind."""
    sources = []

    def open_(url: str):
        source = open_source(url)
        sources.append(source)
        return source

    yield open_
    for source in sources:
        source.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("serial-plate")], "a reader thread leaked"


def collect(source, seconds: float, until=None):
    """(samples, events) read for `seconds`, or until until(samples, events) holds."""
    samples, events = [], []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        samples += source.read()
        events += source.drain_events()
        if until is not None and until(samples, events):
            break
        time.sleep(0.005)
    return samples, events


def kinds(events) -> list[str]:
    return [kind for _, kind, _ in events]


def test_samples_carry_what_the_plate_sent_on_nominal_gains_when_uncalibrated(make_device, opened):
    device = make_device(load=(10.0, 20.0, 30.0, 40.0), rate_hz=200.0, noise_counts=50.0)
    opened_at = time.monotonic()
    source = opened(f"serial://{device.path}")
    assert source.state in (SourceState.CONNECTING, SourceState.STREAMING)
    # pyserial clears the input at open, so the boot HELLO is usually gone and the driver asks for one, but only
    # after waiting for it. (On a busy machine the device thread may say its boot HELLO after the port opened;
    # then nothing needs asking.)
    get_infos = [t for t, command, _ in device.commands if command == fp1.GET_INFO]
    assert not get_infos or get_infos[0] - opened_at > 0.5
    assert not source.calibrated and "UNCALIBRATED" in source.identity and UID.hex() in source.identity
    assert source.device_id == UID.hex() and source.geometry is FP1_PLATE and source.paced
    samples, events = collect(source, 0.5)
    assert kinds(events)[:3] == ["hello", "uncalibrated", "streaming"]
    assert source.state is SourceState.STREAMING and len(samples) > 50
    for s in samples:
        raw = (s.raw_tl, s.raw_tr, s.raw_bl, s.raw_br)
        assert device.sent[0][s.seq] == raw
        assert s.corners_kg == pytest.approx(tuple(r / 20000.0 for r in raw), abs=1e-12)
    seqs = [s.seq for s in samples]
    assert seqs == sorted(set(seqs))
    # Normally nothing is lost; on a starved machine a sample may be, and then it must be counted as a gap.
    missing = set(range(seqs[0], seqs[-1] + 1)) - set(seqs)
    assert len(missing) <= source.samples_missing and len(missing) < len(samples) / 10
    t_s = np.array([s.t_s for s in samples])
    assert np.all(np.diff(t_s) >= 0) and t_s[-1] <= time.monotonic()
    assert np.median(np.diff(t_s)) == pytest.approx(1 / 200.0, rel=0.05)


def test_the_stored_calibration_of_the_uid_converts_the_counts(make_device, opened):
    CalibrationStore().save(Calibration(UID.hex(), [8000.0, -3000.0, 12000.0, 500.0],
                                        [1 / 20000.0, 1 / 19800.0, 1 / 20000.0, 1 / 20600.0]))
    device = make_device(load=(10.0, 20.0, 30.0, 40.0), rate_hz=100.0, gain_error=(0.0, -0.01, 0.0, 0.03))
    source = opened(f"serial://{device.path}")
    assert source.calibrated and "UNCALIBRATED" not in source.identity
    samples, events = collect(source, 0.3)
    assert "uncalibrated" not in kinds(events) and samples
    assert samples[-1].corners_kg == pytest.approx((10.0, 20.0, 30.0, 40.0), abs=1e-4)


def test_no_get_info_when_the_plate_says_hello_within_a_second(make_device, opened):
    device = make_device(rate_hz=100.0)
    threading.Timer(0.3, device.reset).start()  # boots while the driver waits: its HELLO arrives in time
    source = opened(f"serial://{device.path}")
    assert source.hello is not None and source.hello.uid == UID
    assert [command for _, command, _ in device.commands] == []


def test_gaps_and_samples_dropped_on_the_device_are_events(make_device, opened):
    device = make_device(rate_hz=200.0, faults=Faults(drop=0.05))
    source = opened(f"serial://{device.path}")
    source.read(), source.drain_events()
    dropped_before = device.wire.samples_dropped
    samples, events = collect(source, 1.5)
    gaps = [detail for _, kind, detail in events if kind == "gap"]
    jumps = {(a.seq, b.seq) for a, b in zip(samples, samples[1:]) if b.seq != (a.seq + 1) & 0xFFFF}
    assert len(jumps) > 3
    assert jumps <= {tuple(int(v) for v in GAP.search(g).groups()) for g in gaps}
    assert all("dropped on the device" in g for g in gaps)
    assert all(s.flags & fp1.FLAG_DEVICE_DROPPED for a, s in zip(samples, samples[1:]) if (a.seq, s.seq) in jumps)
    assert source.samples_dropped_on_device >= device.wire.samples_dropped - dropped_before - 2
    assert source.sequence_gaps == source.counters["sequence_gaps"] >= len(jumps)


def test_stale_when_the_plate_stops_sending_and_streaming_when_it_resumes(make_device, opened):
    device = make_device(rate_hz=100.0)
    source = opened(f"serial://{device.path}")
    collect(source, 0.2)
    device.set_streaming(False)
    _, events = collect(source, 6.0, until=lambda s, e: "stale" in kinds(e))
    assert "stale" in kinds(events) and source.state is SourceState.STALE
    device.set_streaming(True)
    samples, events = collect(source, 6.0, until=lambda s, e: "streaming" in kinds(e))
    assert source.state is SourceState.STREAMING and samples
    assert "gap" not in kinds(events)  # a pause is not a loss


def test_reconnects_under_a_new_pty_path_through_the_stable_link(make_device, opened, tmp_path):
    link = tmp_path / "usb-FP1_plate_A1B2-if00"
    device = make_device(rate_hz=100.0, link_path=str(link))
    source = opened(f"serial://{link}")
    first = source.device_path
    assert first == device.path
    collect(source, 0.2)
    held = os.open(first, os.O_RDWR | os.O_NOCTTY)  # the old pty stays taken, so the new one gets another number
    try:
        device.unplug(1.0)
        _, events = collect(source, 6.0, until=lambda s, e: "disconnected" in kinds(e))
        assert source.state is SourceState.DISCONNECTED
        assert device.wait_plugged(3.0)
    finally:
        os.close(held)
    back_at = device.plugged_at
    samples, more = collect(source, 5.0, until=lambda s, e: source.state is SourceState.STREAMING and s)
    events += more
    assert source.state is SourceState.STREAMING and samples
    assert time.monotonic() - back_at < 5.0  # the target is 1 s: bench/serial_bench.py measures it
    assert source.device_path == device.path != first
    assert {"disconnected", "reconnected", "reset", "hello"} <= set(kinds(events))
    assert all(device.sent[1][s.seq] == (s.raw_tl, s.raw_tr, s.raw_bl, s.raw_br) for s in samples)
    assert source.counters["disconnects"] == source.counters["reconnects"] == 1


def test_a_port_named_by_usb_serial_number_is_found_again(make_device, opened, monkeypatch):
    device = make_device(rate_hz=100.0)

    def comports():  # a pty has no USB descriptor: the enumeration is the only thing faked
        ports = [ListPortInfo("/dev/ttyS0")]
        if device.path:
            info = ListPortInfo(device.path)
            info.serial_number, info.vid, info.pid = "FP1-0042", 0x303A, 0x1001
            ports.append(info)
        return ports

    monkeypatch.setattr(list_ports, "comports", comports)
    with pytest.raises(BoardError, match="no serial port with serial number NOPE"):
        open_source("serial://?serial_number=NOPE")
    source = opened("serial://?serial_number=FP1-0042")
    first = source.device_path
    held = os.open(first, os.O_RDWR | os.O_NOCTTY)
    device.unplug(0.5)
    device.wait_plugged(3.0)
    os.close(held)
    samples, _ = collect(source, 6.0, until=lambda s, e: "reconnected" in kinds(e) and s)
    assert samples and source.device_path == device.path != first


def test_another_plate_on_the_port_is_a_reset_with_its_own_calibration(make_device, opened):
    other = bytes.fromhex("0011223344556677")
    CalibrationStore().save(Calibration(other.hex(), [0.0] * 4, [1 / 10000.0] * 4))
    device = make_device(rate_hz=100.0, offset_counts=(0, 0, 0, 0), load=(1.0, 1.0, 1.0, 1.0))
    source = opened(f"serial://{device.path}")
    assert not source.calibrated
    device.uid = other
    device.reset()
    samples, events = collect(source, 8.0, until=lambda s, e: "reset" in kinds(e) and len(s) > 10)
    resets = [detail for _, kind, detail in events if kind == "reset"]
    assert resets and f"uid {other.hex()} (was {UID.hex()})" in resets[0]
    assert source.calibrated and source.device_id == other.hex() and other.hex() in source.identity
    assert samples[-1].corners_kg == pytest.approx((2.0, 2.0, 2.0, 2.0))  # 20000 counts/kg read at 10000


def test_text_line_plate(opened):
    master, slave = os.openpty()
    try:
        path = os.ttyname(slave)
        lines = [b"100,200,300,400\n", b"hello world\n", b"1,2,3\n", b"5,6,7,x\n", b"x" * 500 + b"\n",
                 b"9999999999,1,1,1\n", b" 7, 8 ,9,10\r\n", b"\n"]

        def talk():
            time.sleep(0.3)
            for _ in range(10):
                for line in lines:
                    os.write(master, line)
                time.sleep(0.02)

        threading.Thread(target=talk, daemon=True).start()
        source = opened(f"serial://{path}?format=text&sensor_x_mm=500&sensor_y_mm=300")
        assert "text line format: no integrity check" in source.identity
        assert source.geometry.sensor_spacing_x_mm == 500 and source.geometry.sensor_spacing_y_mm == 300
        samples, events = collect(source, 2.0, until=lambda s, e: len(s) == 20)
        assert [(s.raw_tl, s.raw_tr, s.raw_bl, s.raw_br) for s in samples] == [(100, 200, 300, 400), (7, 8, 9, 10)] * 10
        assert all(s.seq is None for s in samples) and samples[0].tl_kg == pytest.approx(100 / 20000.0)
        assert source.frames_bad["text_line"] == source.counters["text_lines_bad"] == 50
        assert np.all(np.diff([s.t_s for s in samples]) >= 0)
    finally:
        os.close(master)
        os.close(slave)


def test_a_port_that_does_not_exist_is_one_clear_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "trainer", "record", "--board", "serial:///dev/nonexistent",
                             "--seconds", "1", "--out", str(tmp_path / "rec")], cwd=REPO, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "no such serial port /dev/nonexistent" in lines[0] and "balance-trainer boards" in lines[0]


def test_a_busy_port_and_a_denied_port_say_what_to_do(make_device):
    device = make_device(rate_hz=50.0)
    with serial.Serial(device.path, exclusive=True):
        with pytest.raises(BoardError, match="busy: another program has it open"):
            open_source(f"serial://{device.path}")
    text = open_error_text("/dev/ttyUSB7", PermissionError(errno.EACCES, "Permission denied"))
    assert "permission denied on /dev/ttyUSB7" in text and "usermod -aG" in text


def test_a_port_that_says_nothing_valid_fails_at_open(opened):
    master, slave = os.openpty()
    try:
        with pytest.raises(BoardError, match="no valid FP1 frame.*format=text"):
            opened(f"serial://{os.ttyname(slave)}")
        commands = CommandParser().feed(os.read(master, 4096))  # it asked for a HELLO, once a second
        assert len(commands) >= 2 and {command for command, _ in commands} == {fp1.GET_INFO}
    finally:
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize("url, message", [
    ("serial:///dev/ttyUSB0?speed=2", "unknown parameter 'speed'"),
    ("serial:///dev/ttyUSB0?format=csv", "format"),
    ("serial:///dev/ttyUSB0?serial_number=X", "either a port path or serial_number"),
    ("serial://", "give the port"),
    ("serial:///dev/ttyUSB0?baud=fast", "baud"),
    ("serial:///dev/ttyUSB0?sensor_x_mm=-4", "positive"),
])
def test_bad_urls_are_one_clear_error(url, message):
    with pytest.raises(BoardError, match=message):
        make_source(url)


@pytest.mark.parametrize("ppm", [0.0, -100.0, 80.0, -5000.0])
def test_the_device_clock_keeps_the_device_spacing_through_batches_wraps_and_drift(ppm):
    """USB batches every 16 ms, each late by 0-3 ms; the device clock off by `ppm` (a ceramic resonator: 0.5 %);
    the u32 microsecond clock wrapping ten seconds in."""
    clock = DeviceClock()
    rate_hz = 320.0
    rng = np.random.default_rng(4)
    start_us = 2**32 - 10_000_000
    t_s, arrivals = [], []
    batch_delay = {}
    last_arrival = 0.0
    for i in range(320 * 40):
        host_s = i / rate_hz  # when the sample was measured, by the host's clock
        t_us = (start_us + round(host_s * 1e6 * (1 + ppm * 1e-6))) & 0xFFFFFFFF
        batch = int(host_s // 0.016)
        delay = batch_delay.setdefault(batch, rng.uniform(0, 0.003))
        arrival = last_arrival = max(last_arrival, 1000.0 + (batch + 1) * 0.016 + delay)
        assert not clock.jumped(t_us, arrival)
        t_s.append(clock.map(t_us, arrival))
        arrivals.append(arrival)
    t_s, arrivals = np.array(t_s), np.array(arrivals)
    steps = np.diff(t_s)
    assert np.all(steps >= 0) and np.all(t_s <= arrivals)
    # The batches are gone from the spacing: 16-ms bunches become even steps, to a few µs mostly, once the drift
    # is measured (3 s; until then a clock slower than 500 ppm falls behind, and catches up in one step).
    error = np.abs(steps[5 * 320:] - 1 / rate_hz)
    assert np.median(error) < 3e-6 + abs(ppm) * 1e-6 / rate_hz and error.max() < 0.003
    # And the times stay with the host's: each sample stamped within the line's own latency of when it was measured
    lag = 1000.0 + np.arange(len(t_s)) / rate_hz - t_s
    assert np.abs(lag[320:]).max() < 0.02
    assert clock.jumped(5, arrival + 0.01)  # back to the start: a reboot
    assert clock.jumped(t_us + 50_000_000, arrival + 2.0)  # 50 s of device time in 2 s: not the same clock


def test_record_keeps_writing_through_an_unplug_and_a_reset(make_device, tmp_path):
    link = tmp_path / "plate-link"
    out = tmp_path / "rec"
    device = make_device(rate_hz=200.0, link_path=str(link), noise_counts=100.0, load=(15.0, 15.0, 20.0, 20.0))

    def faults():
        samples_csv = out / "samples.csv"
        end = time.monotonic() + 10
        while time.monotonic() < end and (not samples_csv.exists() or samples_csv.stat().st_size < 20_000):
            time.sleep(0.05)
        device.unplug(2.0)
        device.wait_plugged(5.0)
        time.sleep(1.5)
        device.reset()

    thread = threading.Thread(target=faults)
    thread.start()
    summary = record_board(f"serial://{link}", 9.0, out)
    thread.join()
    events = list(csv.DictReader(open(out / "events.csv", newline="")))
    event_kinds = [e["kind"] for e in events]
    for kind in ("start", "hello", "disconnected", "reconnected", "reset"):
        assert kind in event_kinds, (kind, event_kinds)
    assert event_kinds.count("reset") >= 2  # the plate lost power while unplugged, then the reset
    rows = list(csv.DictReader(open(out / "samples.csv", newline="")))
    generation, per_generation = 0, [0, 0, 0]
    for row in rows:
        seq, raw = int(row["seq"]), tuple(int(row[k]) for k in ("raw_tl", "raw_tr", "raw_bl", "raw_br"))
        while device.sent[generation].get(seq) != raw:
            generation += 1
            assert generation <= 2, f"row {row} was never sent"
        per_generation[generation] += 1
    assert min(per_generation) > 100, per_generation
    t_s = np.array([float(r["t_s"]) for r in rows])
    assert np.all(np.diff(t_s) >= 0) and np.diff(t_s).max() > 1.9  # the unplug, kept as a hole in time
    assert 8.0 < summary["duration_s"] < 9.0
    saved = json.loads((out / "summary.json").read_text())
    counters = saved["counters"]
    assert counters["disconnects"] == counters["reconnects"] == 1 and counters["device_resets"] >= 2
    assert counters["samples"] == len(rows) and "frames_bad_checksum" in counters
    assert saved["calibration"]["device_id"] == UID.hex() and saved["calibration"]["calibrated"] is False
    assert "UNCALIBRATED" in saved["board_identity"]


def test_record_stops_with_the_error_of_a_driver_that_gives_up(make_device, tmp_path):
    link = tmp_path / "plate-link"
    out = tmp_path / "rec"
    device = make_device(rate_hz=100.0, link_path=str(link))

    def unplug_while_recording():
        end = time.monotonic() + 10
        while time.monotonic() < end and not (out / "events.csv").exists():
            time.sleep(0.02)
        time.sleep(0.5)
        device.unplug(30.0)

    threading.Thread(target=unplug_while_recording, daemon=True).start()
    with pytest.raises(BoardError, match="gone for 0.5 s; giving up"):
        record_board(f"serial://{link}?give_up_s=0.5", 20.0, out)
    event_kinds = [row["kind"] for row in csv.DictReader(open(out / "events.csv", newline=""))]
    assert event_kinds.count("disconnected") == 2  # the driver's event, then the recording's last word
    assert json.loads((out / "summary.json").read_text())["counters"]["samples"] > 20


def test_sixty_seconds_of_a_noisy_line_at_320_hz(make_device, opened):
    """The issue's soak: 1 % garbage bytes, 0.1 % bit flips, 320 Hz, 60 s; nothing corrupted gets through, every bad
    frame is counted (exactly the pieces the simulator spoiled) and every gap is an event."""
    device = make_device(rate_hz=320.0, noise_counts=3000.0, load=(20.0, 20.0, 20.0, 20.0))
    source = opened(f"serial://{device.path}")
    before, _ = collect(source, 0.3)
    bad_before = source.counters["frames_bad"]
    missing_before = source.samples_missing
    wire_before = device.wire.bad_pieces
    device.faults = Faults(garbage=0.01, bit_flips=0.001)
    samples, events = collect(source, 60.0)
    device.faults = Faults()
    more, more_events = collect(source, 0.5)
    samples += more
    events += more_events
    wire = device.wire
    assert source._thread.is_alive() and source.state is SourceState.STREAMING
    assert len(samples) > 320 * 55
    # No corrupted value accepted: each raw sample is what the plate sent under that seq.
    sent = device.sent[0]
    assert all(sent[s.seq] == (s.raw_tl, s.raw_tr, s.raw_bl, s.raw_br) for s in samples)
    # Every bad frame counted: exactly the pieces the simulator spoiled; within the bounds.
    bad = source.counters["frames_bad"] - bad_before
    spoiled = wire.bad_pieces - wire_before
    assert wire.frames_damaged > 200 and wire.garbage_bursts > 200
    assert bad == spoiled
    assert wire_before == 0 and wire.frames_corrupted <= bad <= wire.frames_corrupted + wire.garbage_bursts
    # Every gap marked: each jump in seq has its gap event, and the counters agree.
    chain = [before[-1]] + samples
    jumps = {(a.seq, b.seq) for a, b in zip(chain, chain[1:]) if b.seq != (a.seq + 1) & 0xFFFF}
    marked = {tuple(int(v) for v in GAP.search(d).groups()) for _, kind, d in events if kind == "gap"}
    assert len(jumps) > 100 and jumps == marked
    missing = sum((b - a - 1) & 0xFFFF for a, b in jumps)
    assert missing == (chain[-1].seq - chain[0].seq + 1) - len(chain) == source.samples_missing - missing_before
    assert "reset" not in kinds(events) and "disconnected" not in kinds(events)
    t_s = np.array([s.t_s for s in samples])
    assert np.all(np.diff(t_s) >= 0)
