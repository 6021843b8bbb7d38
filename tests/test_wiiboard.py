"""wiiboard:// and evdev://: the kernel's input_event stream of a Wii Balance Board, decoded through the same path
the device uses (a reader thread on a file descriptor), from a file, a FIFO and a pipe.

The stream is built from the real Wii recording in ../shared/data the way hid-wiimote and the input core would send
it: each corner in units of 10 g (rounded), an ABS event only for a sensor whose value changed, a SYN_REPORT after
each batch and no batch at all when nothing changed.
"""
from __future__ import annotations

import dataclasses
import errno
import os
import random
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hardware.wiiboard as wiiboard
from games.round import GameRound, RoundOptions
from hardware.samples import WII_BALANCE_BOARD
from hardware.sources import SourceState, make_source
from hardware.wiiboard import (
    ABS_HAT0X, ABS_HAT0Y, ABS_HAT1X, ABS_HAT1Y, BTN_A, EV_ABS, EV_KEY, EV_SYN, EVENT_SIZE, INPUT_EVENT, SYN_DROPPED,
    SYN_REPORT, UDEV_RULE, WII_BOARD_NAME, ButtonEvent, EvdevDecoder, WiiBoardSource, encode_events, find_wii_boards,
)
from trainer.balance_input import BalanceInput
from trainer.cop import MIN_STANDING_KG, corners_to_cop
from trainer.errors import BoardError

WII_RECORDING = Path(__file__).resolve().parents[2] / "shared" / "data" / "wii_balance_board_recording.txt"
# The kernel sensor of each corner tl, tr, bl, br with the board the normal way round.
CORNER_CODES = (ABS_HAT1X, ABS_HAT0X, ABS_HAT1Y, ABS_HAT0Y)
HALF_UNIT_KG = 0.005
T_BASE_S = 5000  # the event clock is CLOCK_MONOTONIC on a device: seconds since boot


@pytest.fixture(autouse=True)
def no_reader_thread_left():
    yield
    left = [t for t in threading.enumerate() if t.name.startswith("wiiboard-reader")]
    assert not left, f"reader threads still running: {left}"


@pytest.fixture(scope="module")
def recording():
    if not WII_RECORDING.is_file():
        pytest.skip(f"the shared Wii recording is not beside this checkout ({WII_RECORDING})")
    from trainer.readers import read_recording

    return read_recording(WII_RECORDING)


def kernel_stream(t_s, corners_kg, *, codes=CORNER_CODES):
    """(bytes, indices of the rows that produced a batch, units (n, 4)): what the kernel would send."""
    units = np.rint(np.asarray(corners_kg) * 100.0).astype(np.int64)
    previous = np.zeros(4, dtype=np.int64)  # the input core's starting state
    events, emitted = [], []
    for i, (t, row) in enumerate(zip(t_s, units)):
        changed = np.flatnonzero(row != previous)
        if len(changed) == 0:
            continue  # an empty batch never reaches user space
        t_us = round((T_BASE_S + t) * 1e6)
        sec, usec = divmod(t_us, 1_000_000)
        events += [(sec, usec, EV_ABS, codes[c], int(row[c])) for c in changed]
        events.append((sec, usec, EV_SYN, SYN_REPORT, 0))
        emitted.append(i)
        previous = row
    return encode_events(events), np.array(emitted), units


@pytest.fixture(scope="module")
def stream(recording):
    return kernel_stream(recording.t_s, recording.corners_kg)


def read_until_done(source, timeout_s=20.0):
    samples = []
    deadline = time.monotonic() + timeout_s
    while source.state is SourceState.STREAMING and time.monotonic() < deadline:
        got = source.read()
        samples += got
        if not got:
            time.sleep(0.005)
    assert source.state is SourceState.ENDED, f"the stream did not end in {timeout_s} s"
    return samples


def as_arrays(samples):
    return np.array([s.t_s for s in samples]), np.array([s.corners_kg for s in samples])


def held_at(sample_t, sample_corners, t_rows):
    """The decoded corners in effect at each of the recording's times (the last sample at or before it)."""
    index = np.searchsorted(sample_t, t_rows + 1e-9, side="right") - 1
    assert np.all(index >= 0)
    return sample_corners[index]


def check_against_recording(samples, recording, stream):
    """Corner loads to half a unit (5 g) and the COP to the bound that half a unit per corner allows."""
    data, emitted, units = stream
    t, corners = as_arrays(samples)
    assert len(samples) == len(emitted)
    t_rec = recording.t_s - recording.t_s[emitted[0]]
    np.testing.assert_allclose(t, t_rec[emitted], atol=1e-6, rtol=0)
    np.testing.assert_allclose(corners, units[emitted] / 100.0, atol=1e-12, rtol=0)
    # Every row, also those for which the kernel sent nothing, is the held value: the rounded row.
    rows = np.arange(emitted[0], recording.n_samples)
    at_rows = held_at(t, corners, t_rec[rows])
    np.testing.assert_allclose(at_rows, units[rows] / 100.0, atol=1e-12, rtol=0)
    load_error = np.abs(at_rows - recording.corners_kg[rows])
    assert load_error.max() <= HALF_UNIT_KG + 1e-9
    # COP: with each corner off by |e_c| <= 5 g, x' - x = (hx·Σ±e_c − x·Σe_c) / (T + Σe_c), so
    # |x' − x| <= 4·0.005·(hx + |x|) / (T − 4·0.005); the same for y with hy.
    total, x, y = corners_to_cop(at_rows, WII_BALANCE_BOARD)
    x_rec, y_rec = recording.cop_x_mm[rows], recording.cop_y_mm[rows]
    total_rec = recording.total_kg[rows]
    both = np.isfinite(x) & np.isfinite(x_rec)
    near_threshold = np.abs(total_rec - MIN_STANDING_KG) <= 4 * HALF_UNIT_KG
    assert np.array_equal(np.isfinite(x) | near_threshold, np.isfinite(x_rec) | near_threshold)
    assert both.sum() > 0.9 * len(rows)
    slack = 4 * HALF_UNIT_KG
    bound_x = slack * (WII_BALANCE_BOARD.half_x_mm + np.abs(x_rec)) / (total_rec - slack)
    bound_y = slack * (WII_BALANCE_BOARD.half_y_mm + np.abs(y_rec)) / (total_rec - slack)
    err_x, err_y = np.abs(x - x_rec), np.abs(y - y_rec)
    assert np.all(err_x[both] <= bound_x[both] + 1e-9) and np.all(err_y[both] <= bound_y[both] + 1e-9)
    assert np.abs(total - total_rec).max() <= slack + 1e-9
    person = both & (total_rec >= 40.0)  # standing on it, not stepping on or off
    return {"load_kg": load_error.max(), "cop_x_mm": err_x[both].max(), "cop_y_mm": err_y[both].max(),
            "standing_cop_x_mm": err_x[person].max(), "standing_cop_y_mm": err_y[person].max(),
            "standing_rms_x_mm": np.sqrt(np.mean(err_x[person] ** 2)),
            "standing_rms_y_mm": np.sqrt(np.mean(err_y[person] ** 2))}


# --- the recording, through a file, a FIFO and a pipe -------------------------------------------------------------
def test_the_recording_through_a_file(tmp_path, recording, stream):
    path = tmp_path / "board.events"
    path.write_bytes(stream[0])
    source = make_source(f"evdev://{path}")
    source.open()
    try:
        assert source.kind == "file" and not source.paced
        samples = read_until_done(source)
    finally:
        source.close()
    errors = check_against_recording(samples, recording, stream)
    # Measured on the shared recording (72 kg): the COP of the person standing is within 0.07 mm (ML) and 0.03 mm
    # (AP) of the recording's, 0.02 / 0.01 mm RMS; up to 0.27 mm while the load is only 10-20 kg (stepping on).
    assert errors["standing_cop_x_mm"] < 0.1 and errors["standing_cop_y_mm"] < 0.1, errors
    assert errors["cop_x_mm"] < 0.5 and errors["cop_y_mm"] < 0.5, errors
    print("decode accuracy:", {k: round(float(v), 5) for k, v in errors.items()})
    assert source.counters.bad_bytes == 0 and source.decoder.pending_bytes == 0


def _write_slowly(fd: int, data: bytes, seed: int = 1) -> None:
    """Writes in chunks of random size (cutting records anywhere), with short pauses, then closes."""
    rng = random.Random(seed)
    pos = 0
    try:
        while pos < len(data):
            size = rng.randint(1, 5000)
            os.write(fd, data[pos:pos + size])
            pos += size
            if rng.random() < 0.02:
                time.sleep(0.002)
    finally:
        os.close(fd)


@pytest.mark.parametrize("kind", ["fifo", "pipe"])
def test_the_recording_through_a_fifo_and_a_pipe(tmp_path, recording, stream, kind):
    if kind == "fifo":
        path = tmp_path / "board.fifo"
        os.mkfifo(path)
        source = make_source(f"evdev://{path}")
        source.open()  # no writer yet: open() must not wait for one
        writer_fd = os.open(path, os.O_WRONLY)
    else:
        read_fd, writer_fd = os.pipe()
        source = make_source(f"evdev:///proc/self/fd/{read_fd}")
        source.open()  # a descriptor of its own; read_fd stays open so that /proc/self/fd/N does not vanish
    writer = threading.Thread(target=_write_slowly, args=(writer_fd, stream[0]))
    writer.start()
    try:
        assert source.kind == "fifo" and source.paced
        samples = read_until_done(source)
    finally:
        writer.join()
        source.close()
        if kind == "pipe":
            os.close(read_fd)
    check_against_recording(samples, recording, stream)


def test_orientation_reversed_turns_the_cop_round(tmp_path, recording, stream):
    path = tmp_path / "board.events"
    path.write_bytes(stream[0])
    results = {}
    for orientation in ("normal", "reversed"):
        source = make_source(f"evdev://{path}?orientation={orientation}")
        source.open()
        try:
            results[orientation] = corners_to_cop(as_arrays(read_until_done(source))[1], WII_BALANCE_BOARD)
        finally:
            source.close()
    (total_n, x_n, y_n), (total_r, x_r, y_r) = results["normal"], results["reversed"]
    np.testing.assert_allclose(total_n, total_r, atol=1e-9)  # the same loads, summed in another order
    standing = np.isfinite(x_n)
    assert standing.sum() > 1000
    np.testing.assert_allclose(x_r[standing], -x_n[standing], atol=1e-9)
    np.testing.assert_allclose(y_r[standing], -y_n[standing], atol=1e-9)
    # The person shifts weight ±12 cm to the right and left: reversed, the right shift shows on the left.
    assert np.nanmax(x_n) > 80 and np.nanmin(x_r) < -80


# --- the decoder on small hand-made streams -----------------------------------------------------------------------
def batch(t_s, **values):
    """One batch: ABS events for the named sensors (tl=..., br=...) in 10 g units, then SYN_REPORT."""
    sec, usec = divmod(round(t_s * 1e6), 1_000_000)
    code = dict(zip(("tl", "tr", "bl", "br"), CORNER_CODES))
    events = [(sec, usec, EV_ABS, code[name], value) for name, value in values.items()]
    return events + [(sec, usec, EV_SYN, SYN_REPORT, 0)]


def test_a_sensor_not_repeated_keeps_its_last_value():
    decoder = EvdevDecoder()
    data = encode_events(batch(10.0, tl=1000, tr=2000, bl=3000, br=4000) + batch(10.01, tr=2100)
                         + batch(10.02, bl=2900, br=4100) + batch(10.03, tl=0))
    samples = decoder.feed(data)
    assert [s.t_s for s in samples] == pytest.approx([0.0, 0.01, 0.02, 0.03], abs=1e-9)
    assert [s.corners_kg for s in samples] == [
        pytest.approx(c) for c in ((10, 20, 30, 40), (10, 21, 30, 40), (10, 21, 29, 41), (0, 21, 29, 41))]
    assert all(s.raw_tl is None and s.seq is None for s in samples)


def test_sensors_never_sent_start_at_zero_as_in_the_kernel():
    samples = EvdevDecoder().feed(encode_events(batch(1.0, tr=5000)))
    assert samples[0].corners_kg == pytest.approx((0.0, 50.0, 0.0, 0.0))


def test_the_kernel_sensor_names_map_to_the_corners():
    """HAT0X top-right, HAT0Y bottom-right, HAT1X top-left, HAT1Y bottom-left; top = front in normal."""
    events = [(1, 0, EV_ABS, ABS_HAT0X, 100), (1, 0, EV_ABS, ABS_HAT0Y, 200), (1, 0, EV_ABS, ABS_HAT1X, 300),
              (1, 0, EV_ABS, ABS_HAT1Y, 400), (1, 0, EV_SYN, SYN_REPORT, 0)]
    normal = EvdevDecoder("normal").feed(encode_events(events))[0]
    assert (normal.tl_kg, normal.tr_kg, normal.bl_kg, normal.br_kg) == pytest.approx((3, 1, 4, 2))
    reversed_ = EvdevDecoder("reversed").feed(encode_events(events))[0]
    assert (reversed_.tl_kg, reversed_.tr_kg, reversed_.bl_kg, reversed_.br_kg) == pytest.approx((2, 4, 1, 3))


def test_the_record_layout_is_24_bytes_on_64_bit_linux():
    if struct.calcsize("l") != 8:
        pytest.skip("a 32-bit system: struct input_event is 16 bytes there")
    assert EVENT_SIZE == 24
    assert INPUT_EVENT.pack(1, 2, EV_ABS, ABS_HAT0X, -5) == (
        (1).to_bytes(8, "little") + (2).to_bytes(8, "little") + b"\x03\x00\x10\x00" + (-5).to_bytes(4, "little",
                                                                                                  signed=True))


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=20 * 5 * 24), max_size=40))
def test_chunks_of_any_size_decode_the_same(cuts):
    events = []
    for i in range(20):
        events += batch(3.0 + i * 0.01, tl=1000 + i, tr=2000 - i, **({"bl": 7 * i} if i % 3 else {}))
    data = encode_events(events)
    whole = EvdevDecoder().feed(data)
    decoder = EvdevDecoder()
    pieces = []
    last = 0
    for cut in sorted(set(c for c in cuts if c <= len(data))) + [len(data)]:
        pieces += decoder.feed(data[last:cut])
        last = cut
    assert pieces == whole and decoder.pending_bytes == 0


def test_a_stream_cut_mid_event(tmp_path):
    complete = batch(1.0, tl=1000, tr=1000, bl=1000, br=1000) + batch(1.01, tl=1100)
    half_batch = batch(1.02, tr=900)[:1]  # an ABS event whose SYN_REPORT never came
    data = encode_events(complete + half_batch) + encode_events(batch(1.03, bl=5))[:10]
    path = tmp_path / "cut.events"
    path.write_bytes(data)
    source = WiiBoardSource(str(path))
    source.open()
    try:
        samples = read_until_done(source)
    finally:
        source.close()
    assert [s.corners_kg for s in samples] == [pytest.approx((10, 10, 10, 10)), pytest.approx((11, 10, 10, 10))]
    assert source.decoder.pending_bytes == 10  # the cut record, never taken for an event


def test_garbage_bytes_are_skipped_and_counted(stream):
    data = stream[0]
    clean = EvdevDecoder().feed(data)
    rng = random.Random(7)
    n_events = len(data) // EVENT_SIZE
    cuts = sorted(rng.sample(range(1, n_events), 25))
    garbage_total = 0
    pieces = [bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 60)))]  # garbage before anything too
    garbage_total += len(pieces[0])
    last = 0
    for cut in cuts:
        pieces.append(data[last * EVENT_SIZE:cut * EVENT_SIZE])
        junk = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 60)))
        pieces.append(junk)
        garbage_total += len(junk)
        last = cut
    pieces.append(data[last * EVENT_SIZE:])
    decoder = EvdevDecoder()
    samples = decoder.feed(b"".join(pieces))
    assert samples == clean
    assert decoder.counters.bad_bytes == garbage_total


def test_zero_bytes_and_records_from_the_past_are_garbage_too():
    decoder = EvdevDecoder()
    good = encode_events(batch(100.0, tl=500) + batch(100.01, tr=600))
    later = encode_events(batch(100.02, bl=700) + batch(100.03, br=800))
    samples = decoder.feed(good + bytes(EVENT_SIZE) + later)  # 24 zero bytes: a SYN_REPORT at t = 0
    assert len(samples) == 4 and samples[-1].corners_kg == pytest.approx((5, 6, 7, 8))
    assert decoder.counters.bad_bytes == EVENT_SIZE


def test_syn_dropped_throws_the_batch_away():
    decoder = EvdevDecoder()
    events = batch(1.0, tl=100, tr=100) + [(1, 10_000, EV_ABS, ABS_HAT1X, 999), (1, 10_000, EV_SYN, SYN_DROPPED, 0),
                                           (1, 20_000, EV_ABS, ABS_HAT0X, 888), (1, 20_000, EV_SYN, SYN_REPORT, 0)]
    events += batch(1.03, bl=300)
    samples = decoder.feed(encode_events(events))
    assert [s.corners_kg for s in samples] == [pytest.approx((1, 1, 0, 0)), pytest.approx((1, 1, 3, 0))]
    assert decoder.counters.dropped == 1


def test_other_events_are_ignored():
    events = [(1, 0, 4, 4, 12345), (1, 0, EV_KEY, 0x131, 1), (1, 0, EV_ABS, 0x00, 77)] + batch(1.0, tl=100)
    decoder = EvdevDecoder()
    samples = decoder.feed(encode_events(events))
    assert len(samples) == 1 and samples[0].corners_kg == pytest.approx((1, 0, 0, 0))
    assert decoder.counters.ignored == 3 and not decoder.buttons


def test_front_button_presses_reach_the_game(tmp_path):
    events = batch(2.0, tl=3000, tr=3000, bl=3000, br=3000)
    events += [(2, 50_000, EV_KEY, BTN_A, 1), (2, 50_000, EV_SYN, SYN_REPORT, 0)]  # a key-only batch
    events += batch(2.1, tl=3100)
    events += [(2, 200_000, EV_KEY, BTN_A, 0), (2, 200_000, EV_SYN, SYN_REPORT, 0)]
    events += [(2, 300_000, EV_KEY, BTN_A, 1), (2, 300_000, EV_SYN, SYN_REPORT, 0)]
    path = tmp_path / "buttons.events"
    path.write_bytes(encode_events(events))
    source = WiiBoardSource(str(path))
    source.open()
    try:
        samples = read_until_done(source)
        buttons = source.drain_buttons()
        assert source.drain_buttons() == []  # drained
    finally:
        source.close()
    assert buttons == [ButtonEvent(pytest.approx(0.05), "A", True), ButtonEvent(pytest.approx(0.2), "A", False),
                       ButtonEvent(pytest.approx(0.3), "A", True)]
    assert source.button_down
    # The key-only batch is a sample too: the loads as they stand at that moment.
    assert len(samples) == 5 and samples[1].corners_kg == samples[0].corners_kg


# --- a live stream: silence, vanishing, read errors ---------------------------------------------------------------
@pytest.fixture
def fifo_board(tmp_path):
    """(path, writer fd, make the source): a FIFO playing the device; the writer stays open until closed."""
    path = tmp_path / "event9"
    os.mkfifo(path)
    opened = []

    def make(**options):
        source = WiiBoardSource(str(path), **options)
        source.open()
        opened.append(source)
        return source, os.open(path, os.O_WRONLY)

    yield path, make
    for source in opened:
        source.close()


def wait_for(condition, timeout_s=3.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_silence_is_not_a_disconnect(fifo_board):
    path, make = fifo_board
    source, writer = make()
    got = []
    os.write(writer, encode_events(batch(1.0, tl=2000, tr=2000, bl=2000, br=2000)))
    assert wait_for(lambda: got.extend(source.read()) or len(got) == 1)
    time.sleep(0.7)  # longer than BalanceInput's STALE_AFTER_S: nothing changed, so the kernel sends nothing
    assert source.read() == [] and source.state is SourceState.STREAMING
    os.write(writer, encode_events(batch(1.8, tl=2100)))
    assert wait_for(lambda: got.extend(source.read()) or len(got) == 2)
    assert got[1].corners_kg == pytest.approx((21, 20, 20, 20)) and got[1].t_s == pytest.approx(0.8)
    os.close(writer)


def test_a_still_board_is_handed_out_again(fifo_board):
    path, make = fifo_board
    source, writer = make(repeat_after_s=0.05)
    os.write(writer, encode_events(batch(1.0, tl=2000, tr=2000, bl=2000, br=2000)))
    got = []
    assert wait_for(lambda: got.extend(source.read()) or len(got) >= 6)
    assert all(s.corners_kg == pytest.approx((20, 20, 20, 20)) for s in got)
    t = [s.t_s for s in got]
    assert t[0] == 0.0 and all(b > a for a, b in zip(t, t[1:]))
    assert source.held_samples >= 5
    board = BalanceInput(source)
    for _ in range(60):  # a second of game steps: a still board is never stale
        frame = board.step()
        time.sleep(1 / 60)
    assert frame.state is SourceState.STREAMING and frame.standing
    os.close(writer)


def test_the_device_file_vanishing_is_a_disconnect(fifo_board):
    path, make = fifo_board
    source, writer = make()
    board = BalanceInput(source)
    os.write(writer, encode_events(batch(1.0, tl=2000, tr=2000, bl=2000, br=2000)))
    assert wait_for(lambda: board.step().standing)
    path.unlink()  # hid-wiimote removes the input device when the board goes
    assert wait_for(lambda: board.step().state is SourceState.DISCONNECTED)
    assert "went away" in board.error and str(path) in board.error and "\n" not in board.error
    assert source.state is SourceState.DISCONNECTED
    with pytest.raises(BoardError, match="went away"):
        source.read()
    os.close(writer)


def test_a_read_error_enodev_is_a_disconnect(fifo_board, monkeypatch):
    path, make = fifo_board

    def unplugged(fd):
        raise OSError(errno.ENODEV, "No such device")

    source, writer = make()
    monkeypatch.setattr(wiiboard, "_read_chunk", unplugged)
    os.write(writer, b"x")
    assert wait_for(lambda: source._failure is not None)
    with pytest.raises(BoardError, match="no such device"):
        source.read()
    assert source.state is SourceState.DISCONNECTED
    os.close(writer)


def test_close_stops_the_reader_thread(fifo_board):
    path, make = fifo_board
    source, writer = make()
    thread = source._thread
    assert thread.is_alive()
    source.close()
    assert not thread.is_alive() and source.state is SourceState.ENDED
    source.close()  # twice is harmless
    os.close(writer)


# --- opening: permissions, wrong files, URLs ----------------------------------------------------------------------
def test_permission_denied_is_one_line_with_the_udev_rule(monkeypatch):
    def denied(path):
        raise PermissionError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr(wiiboard, "_open_device", denied)
    with pytest.raises(BoardError) as caught:
        make_source("evdev:///dev/input/event7").open()
    message = str(caught.value)
    assert "permission denied on /dev/input/event7" in message and UDEV_RULE in message and "\n" not in message
    assert "udevadm control --reload-rules" in message


def test_a_missing_device_and_a_non_input_device(tmp_path):
    with pytest.raises(BoardError, match="does not exist"):
        make_source(f"evdev://{tmp_path}/event99").open()
    if os.path.exists("/dev/null"):
        with pytest.raises(BoardError, match="not an input event device"):
            make_source("evdev:///dev/null").open()
    with pytest.raises(BoardError, match="is a folder"):
        make_source(f"evdev://{tmp_path}").open()


@pytest.mark.parametrize("url, message", [
    ("wiiboard://?orientation=sideways", "'orientation' must be one of normal, reversed"),
    ("wiiboard://?speed=2", "unknown parameter 'speed'"),
    ("wiiboard:///dev/input/event3", "takes no path"),
    ("evdev://", "give the device"),
])
def test_bad_urls(url, message):
    with pytest.raises(BoardError, match=message):
        make_source(url)


# --- finding the board in sysfs -----------------------------------------------------------------------------------
def fake_sysfs(root: Path, devices: dict[str, str], *, uniq: dict[str, str] | None = None,
               bluetooth=("hci0",)) -> tuple[Path, Path]:
    """A /sys and a /dev/input in tmp_path: class/input/eventN/device/name (and the HID parent's uevent)."""
    sysfs, dev = root / "sys", root / "dev" / "input"
    dev.mkdir(parents=True)
    for event, name in devices.items():
        folder = sysfs / "class" / "input" / event / "device"
        folder.mkdir(parents=True)
        (folder / "name").write_text(name + "\n")
        if uniq and event in uniq:
            (folder / "device").mkdir()
            (folder / "device" / "uevent").write_text(f"DRIVER=wiimote\nHID_UNIQ={uniq[event]}\n")
    for adapter in bluetooth:
        (sysfs / "class" / "bluetooth" / adapter).mkdir(parents=True)
    return sysfs, dev


def test_boards_are_found_by_name_in_sysfs(tmp_path):
    sysfs, dev = fake_sysfs(tmp_path, {"event2": "AT Translated Set 2 keyboard", "event10": WII_BOARD_NAME,
                                       "event3": WII_BOARD_NAME, "event4": "Nintendo Wii Remote"},
                            uniq={"event3": "00:1f:32:aa:bb:cc"})
    boards = find_wii_boards(sysfs, dev)
    assert [b.event for b in boards] == ["event3", "event10"]  # by number, not by text
    assert boards[0].dev_path == dev / "event3" and boards[0].uniq == "00:1f:32:aa:bb:cc"
    assert boards[1].uniq is None


def test_wiiboard_url_opens_the_first_board_found(tmp_path, recording, stream):
    sysfs, dev = fake_sysfs(tmp_path, {"event5": WII_BOARD_NAME}, uniq={"event5": "00:1f:32:aa:bb:cc"})
    (dev / "event5").write_bytes(stream[0][:200 * EVENT_SIZE])
    source = WiiBoardSource(None, sysfs_root=sysfs, dev_root=dev)
    source.open()
    try:
        samples = read_until_done(source)
    finally:
        source.close()
    assert source.path == str(dev / "event5") and "00:1f:32:aa:bb:cc" in source.identity
    assert len(samples) == len(EvdevDecoder().feed(stream[0][:200 * EVENT_SIZE])) > 30


def test_wiiboard_url_without_a_board_says_why(tmp_path):
    sysfs, dev = fake_sysfs(tmp_path, {"event2": "keyboard"}, bluetooth=())
    with pytest.raises(BoardError, match="no Bluetooth adapter"):
        WiiBoardSource(None, sysfs_root=sysfs, dev_root=dev).open()
    (sysfs / "class" / "bluetooth" / "hci0").mkdir(parents=True)
    with pytest.raises(BoardError, match="red sync button.*bluetoothctl"):
        WiiBoardSource(None, sysfs_root=sysfs, dev_root=dev).open()


# --- the board drops and comes back -------------------------------------------------------------------------------
# No evdev device can be made here (no /dev/uinput), so these tests give the source what it would find on a real
# machine, made of files: a fake sysfs tree (fake_sysfs above) whose /dev/input/eventN is a FIFO, and
# `device_probe`, WiiBoardSource's test-only stand-in for the evdev ioctls (a FIFO cannot answer EVIOCGNAME), with
# which the FIFO counts as the board's device. Everything else is the real code on real file descriptors: the
# reader thread, poll(), read(), the search through sysfs, the reopening and the decoder. The kernel's side of a
# drop is played by hand: the input device's sysfs entry and node go away and the reader's read() ends (EOF when
# the FIFO's writer closes; ENODEV through the injectable `_read_chunk`); the board's return is a new entry and a
# new FIFO (under another event number, as the kernel may give it).
BOARD_ADDRESS = "00:1f:32:aa:bb:cc"


def add_board(sysfs: Path, dev: Path, event: str, uniq: str | None = BOARD_ADDRESS) -> Path:
    """The kernel making a board's input device: its sysfs entry, then its node (here a FIFO)."""
    folder = sysfs / "class" / "input" / event / "device"
    folder.mkdir(parents=True)
    (folder / "name").write_text(WII_BOARD_NAME + "\n")
    if uniq:
        (folder / "uniq").write_text(uniq + "\n")
    os.mkfifo(dev / event)
    return dev / event


def remove_board(sysfs: Path, dev: Path, event: str) -> None:
    """The kernel removing the input device: the node and the sysfs entry go."""
    import shutil

    (dev / event).unlink()
    shutil.rmtree(sysfs / "class" / "input" / event)


class FakeProbe:
    """Stands in for `_probe_evdev` (the fake part): what the board's ioctls would answer, one answer per opening."""

    def __init__(self, *units):
        self.units = list(units)
        self.paths = []

    def __call__(self, fd, path, url):
        self.paths.append(path)
        units = self.units.pop(0) if self.units else {}
        return wiiboard._Probe(WII_BOARD_NAME, dict(zip(CORNER_CODES, units)), 0)


class CountingRound(GameRound):
    """The smallest round: it keeps the frames it played."""

    name = "counting"

    def __init__(self, board):
        super().__init__(board, RoundOptions())
        self.played = []

    def on_frame(self, frame, dt_s):
        self.played.append(frame)

    def scores(self):
        return {}


def play_until(game_round, condition, timeout_s=5.0):
    """Game steps, about 100 a second, until condition() holds."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        game_round.update()
        if condition():
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def quick_retry(monkeypatch):
    monkeypatch.setattr(wiiboard, "RETRY_S", 0.02)
    monkeypatch.setattr(wiiboard, "RETRY_MAX_S", 0.1)


def test_the_board_drops_and_comes_back_and_the_round_goes_on(tmp_path, quick_retry):
    sysfs, dev = fake_sysfs(tmp_path, {})
    first = add_board(sysfs, dev, "event9")
    probe = FakeProbe((2000, 2000, 2000, 2000), (2500, 2500, 2500, 2500))
    source = WiiBoardSource(None, sysfs_root=sysfs, dev_root=dev, repeat_after_s=None, device_probe=probe)
    source.open()
    writer = os.open(first, os.O_WRONLY)
    got = []
    board = BalanceInput(source, sample_sink=got.extend)
    game_round = CountingRound(board)
    try:
        assert source.kind == "device" and source.uniq == BOARD_ADDRESS and BOARD_ADDRESS in source.identity
        for i in range(5):
            os.write(writer, encode_events(batch(T_BASE_S + i * 0.01, tl=2000 + i)))
        assert play_until(game_round, lambda: len(got) == 5 and game_round.played
                          and game_round.played[-1].standing)
        assert not game_round.round.paused and source.state is SourceState.STREAMING

        remove_board(sysfs, dev, "event9")  # the board is switched off: hid-wiimote removes its input device ...
        os.close(writer)  # ... and the reader's read() comes back empty
        assert play_until(game_round, lambda: board.frame.state is SourceState.DISCONNECTED)
        assert source.state is SourceState.DISCONNECTED and source.read() == []  # no BoardError
        assert board.error is None and game_round.round.paused
        events = source.drain_events()
        assert [kind for _, kind, _ in events] == ["disconnected"] and str(first) in events[0][2]
        assert events[0][0] >= got[-1].t_s
        assert source.disconnects == 1 and source.reconnects == 0
        paused_at = game_round.round.t_s
        for _ in range(30):  # the round's clock stands while the board is away
            game_round.update()
            time.sleep(0.005)
        assert game_round.round.t_s == paused_at and board.frame.state is SourceState.DISCONNECTED

        second = add_board(sysfs, dev, "event10")  # switched on again: a new input device, another number
        assert wait_for(lambda: source.state is SourceState.STREAMING)
        events = source.drain_events()
        assert [kind for _, kind, _ in events] == ["reconnected"] and str(second) in events[0][2]
        assert source.path == str(second) and probe.paths == [str(first), str(second)]
        assert source.disconnects == 1 and source.reconnects == 1 and source.error is None
        assert dataclasses.asdict(source.counters)["reconnects"] == 1  # what `record` copies into summary.json
        writer = os.open(second, os.O_WRONLY)
        for i in range(5):  # only the front-left corner changes: the others are the new device's starting values
            os.write(writer, encode_events(batch(T_BASE_S + 3.0 + i * 0.01, tl=3000 + i)))
        assert play_until(game_round, lambda: len(got) == 10 and not game_round.round.paused)
        assert [s.corners_kg for s in got[5:]] == [pytest.approx((30 + i / 100, 25, 25, 25)) for i in range(5)]
        assert [s.t_s for s in got] == pytest.approx([i * 0.01 for i in range(5)] + [3 + i * 0.01 for i in range(5)])
        assert game_round.played[-1].standing and game_round.played[-1].total_kg == pytest.approx(105.04)
        assert [(e.kind, e.detail) for e in game_round.round.events] == [("pause", "disconnected"), ("resume", "")]
        assert game_round.round.t_s > paused_at
        os.close(writer)
    finally:
        source.close()
    assert source.state is SourceState.ENDED


def test_enodev_then_permission_denied_then_the_same_path_again(tmp_path, quick_retry, monkeypatch):
    """evdev:///dev/input/eventN of a board whose address sysfs does not give: the same path is looked at again."""
    sysfs, dev = fake_sysfs(tmp_path, {})
    path = dev / "event7"
    os.mkfifo(path)
    gone, denied = threading.Event(), threading.Event()

    def read_chunk(fd):  # the injectable read: ENODEV, as evdev answers once the kernel removed the device
        if gone.is_set():
            raise OSError(errno.ENODEV, "No such device")
        return os.read(fd, wiiboard.READ_BYTES)

    def open_device(path_text):  # the udev rule is missing for the new device
        if denied.is_set():
            raise PermissionError(errno.EACCES, "Permission denied", path_text)
        return os.open(path_text, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)

    monkeypatch.setattr(wiiboard, "_read_chunk", read_chunk)
    monkeypatch.setattr(wiiboard, "_open_device", open_device)
    source = WiiBoardSource(str(path), sysfs_root=sysfs, dev_root=dev, repeat_after_s=None,
                            device_probe=FakeProbe((1000, 1000, 1000, 1000), (1000, 1000, 1000, 1000)))
    source.open()
    writer = os.open(path, os.O_WRONLY)
    got = []
    try:
        assert source.kind == "device" and source.uniq is None
        os.write(writer, encode_events(batch(T_BASE_S, tl=1200)))
        assert wait_for(lambda: got.extend(source.read()) or len(got) == 1)
        denied.set()
        gone.set()
        os.write(writer, b"x")  # wakes the reader, whose read() now fails with ENODEV
        assert wait_for(lambda: source.state is SourceState.DISCONNECTED)
        assert wait_for(lambda: source.error is not None)  # the path is there, but may not be opened
        assert f"permission denied on {path}" in source.error and UDEV_RULE in source.error
        assert "\n" not in source.error
        assert source.read() == [] and source.state is SourceState.DISCONNECTED  # still looking, no BoardError
        (_, kind, detail), = source.drain_events()
        assert kind == "disconnected" and "No such device" in detail
        time.sleep(0.3)
        assert source.state is SourceState.DISCONNECTED and source.reconnects == 0

        os.close(writer)
        path.unlink()
        os.mkfifo(path)  # the board's new device under the same name
        gone.clear()
        denied.clear()  # the user installed the rule
        assert wait_for(lambda: source.state is SourceState.STREAMING)
        assert source.error is None and source.reconnects == 1
        assert [kind for _, kind, _ in source.drain_events()] == ["reconnected"]
        writer = os.open(path, os.O_WRONLY)
        os.write(writer, encode_events(batch(T_BASE_S + 2.0, br=1500)))
        assert wait_for(lambda: got.extend(source.read()) or len(got) == 2)
        assert got[1].corners_kg == pytest.approx((10, 10, 10, 15)) and got[1].t_s == pytest.approx(2.0)
        os.close(writer)
    finally:
        source.close()


def test_close_while_looking_for_the_board_stops_at_once(tmp_path):
    sysfs, dev = fake_sysfs(tmp_path, {})
    first = add_board(sysfs, dev, "event3")
    source = WiiBoardSource(None, sysfs_root=sysfs, dev_root=dev, device_probe=FakeProbe())
    source.open()
    thread = source._thread
    os.close(os.open(first, os.O_WRONLY))  # a writer came and went: EOF, the board is lost
    remove_board(sysfs, dev, "event3")
    assert wait_for(lambda: source.state is SourceState.DISCONNECTED)
    time.sleep(wiiboard.RETRY_S + 0.1)  # into the back-off
    start = time.monotonic()
    source.close()
    assert time.monotonic() - start < 0.3 and not thread.is_alive()
    assert source.state is SourceState.ENDED and source.disconnects == 1


def test_a_fifo_still_ends_when_its_writer_leaves(fifo_board):
    """No board behind a plain FIFO: its end is the end of the stream, not a disconnect."""
    path, make = fifo_board
    source, writer = make()
    os.write(writer, encode_events(batch(1.0, tl=100)))
    os.close(writer)
    assert len(read_until_done(source, 3.0)) == 1
    assert source.drain_events() == [] and source.disconnects == 0


# --- a real virtual board, where the kernel lets us make one ------------------------------------------------------
UINPUT = Path("/dev/uinput")
UI_DEV_CREATE, UI_DEV_DESTROY = 0x5501, 0x5502
UI_SET_EVBIT, UI_SET_KEYBIT, UI_SET_ABSBIT = 0x40045564, 0x40045565, 0x40045567
UI_SET_PHYS = 0x4008556C  # _IOW('U', 108, char *)
BUS_BLUETOOTH = 0x05


@pytest.mark.skipif(not UINPUT.exists(), reason="no /dev/uinput on this machine")
def test_a_virtual_balance_board_through_uinput():
    """hid-wiimote's device rebuilt with uinput: same name, axes, fuzz and button; read through sysfs and evdev."""
    import fcntl

    try:
        ui = os.open(UINPUT, os.O_WRONLY | os.O_NONBLOCK)
    except PermissionError:
        pytest.skip("/dev/uinput exists but this user may not write to it")
    phys = f"balance-trainer-test/{os.getpid()}"
    try:
        fcntl.ioctl(ui, UI_SET_EVBIT, EV_KEY)
        fcntl.ioctl(ui, UI_SET_KEYBIT, BTN_A)
        fcntl.ioctl(ui, UI_SET_EVBIT, EV_ABS)
        absmax, absmin, absfuzz, absflat = [0] * 64, [0] * 64, [0] * 64, [0] * 64
        for code in (ABS_HAT0X, ABS_HAT0Y, ABS_HAT1X, ABS_HAT1Y):
            fcntl.ioctl(ui, UI_SET_ABSBIT, code)
            absmax[code], absfuzz[code], absflat[code] = 65535, 2, 4  # as hid-wiimote declares them
        fcntl.ioctl(ui, UI_SET_PHYS, phys.encode() + b"\0")
        os.write(ui, struct.pack("80sHHHHI64i64i64i64i", WII_BOARD_NAME.encode(), BUS_BLUETOOTH, 0x057E, 0x0306, 1,
                                 0, *absmax, *absmin, *absfuzz, *absflat))
        fcntl.ioctl(ui, UI_DEV_CREATE)

        def ours():
            for board in find_wii_boards():
                event_dir = Path("/sys/class/input") / board.event
                if (event_dir / "device" / "phys").read_text().strip() == phys and board.dev_path.exists():
                    return board
            return None

        assert wait_for(lambda: ours() is not None, 5.0), "the virtual board never showed in sysfs"
        board = ours()
        source = make_source(f"evdev://{board.dev_path}")
        try:
            source.open()
        except BoardError as error:
            if "permission denied" in str(error):
                pytest.skip(f"cannot read {board.dev_path}: {error}")
            raise
        try:
            assert source.kind == "device" and source.kernel_fuzz_units == 0
            values = [(3000, 3100, 2900, 3050), (3001, 3100, 2900, 3050), (3001, 3102, 2900, 3050)]
            for tl, tr, bl, br in values:  # changes of 1 and 2 units: the kernel's fuzz would hide or halve them
                for code, value in zip(CORNER_CODES, (tl, tr, bl, br)):
                    os.write(ui, INPUT_EVENT.pack(0, 0, EV_ABS, code, value))
                os.write(ui, INPUT_EVENT.pack(0, 0, EV_SYN, SYN_REPORT, 0))
                time.sleep(0.02)
            os.write(ui, INPUT_EVENT.pack(0, 0, EV_KEY, BTN_A, 1) + INPUT_EVENT.pack(0, 0, EV_SYN, SYN_REPORT, 0))
            got = []
            assert wait_for(lambda: got.extend(source.read()) or len(got) >= 4, 3.0)
            assert [s.corners_kg for s in got[:3]] == [pytest.approx(np.array(v) / 100) for v in values]
            assert [b.pressed for b in source.drain_buttons()] == [True]
            fcntl.ioctl(ui, UI_DEV_DESTROY)  # the board goes: DISCONNECTED, looking for it, no BoardError
            assert wait_for(lambda: source.read() == [] and source.state is SourceState.DISCONNECTED, 3.0)
            assert [kind for _, kind, _ in source.drain_events()] == ["disconnected"] and source.disconnects == 1
        finally:
            source.close()
    finally:
        try:
            fcntl.ioctl(ui, UI_DEV_DESTROY)
        except OSError:
            pass
        os.close(ui)
