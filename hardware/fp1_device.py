"""A simulated FP1 plate (DESIGN.md B.5) on a pseudo-terminal: the real serial path, without the hardware.

`PlateDevice` owns the master side of a pty and behaves like the firmware in hardware/firmware/fp1_plate: it boots
with a delimiter and a HELLO, streams SAMPLEs at `rate_hz` from a monotonic clock, sends a STATUS about once a
second, answers GET_INFO with a HELLO and an ACK, PING/START/STOP with an ACK; STOP pauses the stream and seq
stands. The host opens the slave side (`device.path`) with pyserial like any port. Raw counts are
offset + counts_per_kg · (1 + gain_error) · corner_kg (+ Gaussian noise), rounded to int32, per corner tl, tr, bl,
br (the HELLO's channel order is TL,TR,BL,BR).

Faults, for testing a host against a bad line (all off by default, changeable while running via `device.faults`):
- `garbage`: the fraction of the bytes on the wire that are noise, in bursts of 1-16 random non-zero bytes before a
  frame; half of the bursts end in a 0x00 (a break), the others run into the next frame and spoil it.
- `bit_flips`: the probability, per byte of a frame (delimiter included), that one of its bits flips. A flip can
  make a 0x00 inside a frame (two bad pieces) or remove a delimiter (two frames become one bad piece).
- `truncate`: the probability per frame that it is cut short and delimited where it was cut.
- `drop`: the probability per sample that the device drops it (its seq is used; the next SAMPLE sent carries the
  dropped flag), as firmware does when its output buffer is full.
- `reset_after_s`, `unplug_after_s` / `unplug_for_s`: one reset, one unplug, that long after the first boot.

Ground truth for the host's counters: the device follows the byte stream it writes and counts every
delimiter-separated piece that is not an intact frame. `wire.frames_corrupted` counts those that hold bytes of a
frame (damaged, or spoiled by noise running into it), `wire.garbage_pieces` those of noise alone; their sum
`wire.bad_pieces` is what a correct parser must drop, no more and no fewer (garbage bursts hold no 0x00, so
frames_corrupted <= bad <= frames_corrupted + garbage_bursts).

An unplug closes the pty (the slave path disappears, `link_path` is removed); after the given time the device opens a
new pty, under a new /dev/pts path, and points `link_path` at it, like a USB adapter that comes back under a new
ttyUSB number while its /dev/serial/by-id link stays the same. A bus-powered plate loses power when unplugged, so by
default it boots again: seq and the device clock restart at 0 and `generation` counts the boots.

Command line: `python -m hardware.simulator [--board URL] [--rate-hz HZ] [--garbage F] [--bit-flips F] ...`
prints the tty path (and the link) and runs until Ctrl-C.
"""
from __future__ import annotations

import argparse
import math
import os
import select
import signal
import sys
import threading
import time
import tty
from collections import deque
from dataclasses import dataclass

import numpy as np

from hardware import fp1
from hardware.samples import BoardGeometry

DEFAULT_UID = bytes.fromhex("a1b2c3d4e5f6")
DEFAULT_LABELS = ("TL", "TR", "BL", "BR")
STATUS_INTERVAL_S = 1.0
MAX_PENDING_BYTES = 64 * 1024  # what the device buffers for a host that does not read; beyond, frames are lost
GARBAGE_BURST_MAX = 16
BOOT_BANNER = b"\r\nets Jun  8 2016 00:22:57\r\nrst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"
INT32_MIN, INT32_MAX = -2**31, 2**31 - 1


@dataclass
class Faults:
    garbage: float = 0.0
    bit_flips: float = 0.0
    drop: float = 0.0
    truncate: float = 0.0
    reset_after_s: float | None = None
    unplug_after_s: float | None = None
    unplug_for_s: float = 2.0

    def __post_init__(self):
        for name in ("garbage", "bit_flips", "drop", "truncate"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"Faults.{name} must lie in [0, 1), not {value}")


@dataclass
class WireCounters:
    """What the device put on the wire; `bad_pieces` is the ground truth for the host parser's bad-frame count."""

    frames_sent: int = 0
    frames_damaged: int = 0  # frames with a bit flipped or cut short
    bits_flipped: int = 0
    frames_truncated: int = 0
    garbage_bursts: int = 0
    garbage_bytes: int = 0
    frames_corrupted: int = 0  # bad pieces that hold bytes of a frame
    garbage_pieces: int = 0  # bad pieces of noise alone
    samples_sent: int = 0
    samples_dropped: int = 0  # dropped on purpose (`drop`), flagged on the next sample
    frames_not_delivered: int = 0  # the host did not read and the device's buffer was full

    @property
    def bad_pieces(self) -> int:
        return self.frames_corrupted + self.garbage_pieces


class _PieceTracker:
    """Follows the bytes written to the wire and classifies each delimiter-separated piece.

    A piece is good only when it is exactly one intact frame, written in one go after a delimiter."""

    def __init__(self, counters: WireCounters):
        self.counters = counters
        self._open_len = 0
        self._open_has_frame = False

    def intact_frame(self, frame: bytes) -> None:
        if self._open_len:  # the frame runs into an open piece (noise, or a frame whose delimiter flipped)
            self._close(True)

    def dirty(self, data: bytes, from_frame: bool) -> None:
        parts = data.split(b"\x00")
        for part in parts[:-1]:
            self._open_len += len(part)
            self._open_has_frame |= from_frame and bool(part)
            self._close(False)
        self._open_len += len(parts[-1])
        self._open_has_frame |= from_frame and bool(parts[-1])

    def _close(self, with_frame: bool) -> None:
        if self._open_len:
            if with_frame or self._open_has_frame:
                self.counters.frames_corrupted += 1
            else:
                self.counters.garbage_pieces += 1
        self._open_len = 0
        self._open_has_frame = False

    def cut(self) -> None:
        """The line went away: an open piece never reaches a host."""
        self._open_len = 0
        self._open_has_frame = False


class CommandParser(fp1.FrameParser):
    """The device's side of the parser: the same framing and checks, host commands instead of device messages."""

    def _message(self, message_type: int, body: bytes):
        if message_type in fp1.COMMANDS:
            if len(body) != 1:
                return self._wrong_length()
            return (message_type, body[0])
        self.counters.unknown_type += 1
        return None


def _source_url(url: str, rate_hz: float) -> str:
    """The load URL, unpaced (one source sample per device sample) and endless."""
    from hardware.sources import parse_board_url

    parsed = parse_board_url(url)
    extra = []
    if "speed" not in parsed.params:
        extra.append("speed=max")
    if parsed.scheme == "sim" and "rate_hz" not in parsed.params and rate_hz <= 1000:
        extra.append(f"rate_hz={rate_hz:g}")
    if parsed.scheme == "replay" and "loop" not in parsed.params:
        extra.append("loop=1")
    if not extra:
        return url
    return url + ("&" if "?" in url else "?") + "&".join(extra)


class PlateDevice:
    def __init__(self, load=None, rate_hz: float = 80.0, uid: bytes = DEFAULT_UID,
                 counts_per_kg=(20000.0,) * 4, offset_counts=(8000, -3000, 12000, 500), gain_error=(0, 0, 0, 0),
                 noise_counts: float = 0.0, faults: Faults | None = None, link_path: str | None = None,
                 seed: int = 1, *, adc_kind: int = 1, fw_ver: int = 0x0100, labels=DEFAULT_LABELS,
                 first_seq: int = 0, first_t_us: int = 0, clock_ppm: float = 0.0, power_cycle_on_unplug=True):
        if not 0 < rate_hz <= 5000:
            raise ValueError(f"rate_hz must lie in (0, 5000], not {rate_hz}")
        for name, values in (("counts_per_kg", counts_per_kg), ("offset_counts", offset_counts),
                             ("gain_error", gain_error)):
            if len(values) != 4:
                raise ValueError(f"{name} needs 4 values (tl, tr, bl, br), not {len(values)}")
        if not 0 < len(uid) <= 32:
            raise ValueError("uid must be 1 to 32 bytes")
        self.rate_hz = float(rate_hz)
        self.uid = bytes(uid)
        self.counts_per_kg = tuple(float(v) for v in counts_per_kg)
        self.offset_counts = tuple(float(v) for v in offset_counts)
        self.gain_error = tuple(float(v) for v in gain_error)
        self.noise_counts = float(noise_counts)
        self.faults = faults or Faults()
        self.link_path = link_path
        self.adc_kind, self.fw_ver, self.labels = adc_kind, fw_ver, tuple(labels)
        self.first_seq, self.first_t_us, self.clock_ppm = first_seq, first_t_us, clock_ppm
        self.power_cycle_on_unplug = power_cycle_on_unplug
        self.path: str | None = None
        self.generation = -1  # boots so far minus one: 0 after the first boot
        self.sent: dict[int, dict[int, tuple[int, int, int, int]]] = {}
        self.commands: list[tuple[float, int, int]] = []  # (monotonic s, command type, cmd_seq) received
        self.wire = WireCounters()
        self.plugged_at: float | None = None  # monotonic time the current pty appeared
        self.streaming = True
        self._rng = np.random.default_rng(seed)
        self._tracker = _PieceTracker(self.wire)
        self._load_url = None
        self._static_kg = (0.0, 0.0, 0.0, 0.0)
        self._source = None
        self._source_buffer: deque = deque()
        self.set_load(load)
        self._requests: deque = deque()
        self._master = self._slave = None
        self._out = bytearray()
        self._parser = CommandParser()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = os.pipe()
        self._replug_at: float | None = None
        self._failure: BaseException | None = None

    # ---------------------------------------------------------------- the load on the plate

    def set_load(self, load) -> None:
        """None (empty plate), a (tl, tr, bl, br) tuple of kg, or a sim:// / replay:// URL whose corners drive it."""
        if load is None:
            self._source = None
            self._static_kg = (0.0, 0.0, 0.0, 0.0)
        elif isinstance(load, str):
            from hardware.sources import open_source

            source = open_source(_source_url(load, self.rate_hz))
            self._source_buffer = deque()
            self._source = source
        else:
            corners = tuple(float(v) for v in load)
            if len(corners) != 4:
                raise ValueError("a load is four corner loads in kg (tl, tr, bl, br)")
            self._source = None
            self._static_kg = corners

    def place(self, corners_kg) -> None:
        self.set_load(tuple(corners_kg))

    def place_mass(self, mass_kg: float, x_mm: float, y_mm: float, geometry: BoardGeometry) -> None:
        from trainer.cop import cop_to_corners

        self.set_load(tuple(cop_to_corners([x_mm], [y_mm], mass_kg, geometry)[0].tolist()))

    def raw_for(self, corners_kg) -> tuple[int, int, int, int]:
        """The noise-free raw counts this plate gives for these corner loads."""
        return tuple(int(min(INT32_MAX, max(INT32_MIN, round(o + c * (1.0 + g) * kg))))
                     for o, c, g, kg in zip(self.offset_counts, self.counts_per_kg, self.gain_error, corners_kg))

    def _next_corners(self) -> tuple[float, float, float, float]:
        if self._source is None:
            return self._static_kg
        if not self._source_buffer:
            self._source_buffer.extend(sample.corners_kg for sample in self._source.read())
        if self._source_buffer:
            self._static_kg = self._source_buffer.popleft()
        return self._static_kg  # a source that ended holds its last load

    # ---------------------------------------------------------------- life cycle (API side)

    def start(self) -> str:
        if self._thread is not None:
            raise RuntimeError("the device is running already")
        self._open_pty()
        self._boot(banner=False, first=True)
        self._started_at = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="fp1-device", daemon=True)
        self._thread.start()
        return self.path

    def stop(self) -> None:
        self._stop.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        self._close_pty()
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
        self._wake_r = self._wake_w = -1
        if self._source is not None:
            self._source.close()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def unplug(self, seconds: float) -> None:
        """Pull the cable now (returns once the port is gone); it comes back, as a new pty, after `seconds`."""
        self._request("unplug", float(seconds))

    def reset(self) -> None:
        """Reboot now: boot noise, a delimiter, HELLO; seq and the device clock restart at 0."""
        self._request("reset", None)

    def set_streaming(self, on: bool) -> None:
        """What START (True) and STOP (False) do."""
        self.streaming = bool(on)

    def wait_plugged(self, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.path is not None:
                return True
            time.sleep(0.01)
        return self.path is not None

    def _request(self, kind: str, argument) -> None:
        if self._thread is None:
            raise RuntimeError("start the device first")
        done = threading.Event()
        self._requests.append((kind, argument, done))
        self._wake()
        if not done.wait(5.0):
            raise RuntimeError(f"the device thread did not carry out '{kind}'")
        if self._failure is not None:
            raise RuntimeError("the device thread failed") from self._failure

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"!")
        except OSError:
            pass

    # ---------------------------------------------------------------- the pty

    def _open_pty(self) -> None:
        master, slave = os.openpty()
        # Raw before any host opens it: no echo, no CR/LF translation of the binary frames.
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave  # the device keeps the slave open: no EIO while no host is there
        self.path = os.ttyname(slave)
        self._parser = CommandParser()
        self._out.clear()
        if self.link_path:
            temporary = f"{self.link_path}.tmp{os.getpid()}"
            try:
                os.unlink(temporary)
            except FileNotFoundError:
                pass
            os.symlink(self.path, temporary)
            os.replace(temporary, self.link_path)
        self.plugged_at = time.monotonic()

    def _close_pty(self) -> None:
        if self.link_path and os.path.islink(self.link_path):
            os.unlink(self.link_path)
        for fd in (self._master, self._slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = None
        self.path = None
        self._out.clear()
        self._tracker.cut()

    # ---------------------------------------------------------------- firmware

    def _boot(self, *, banner: bool, first: bool = False) -> None:
        self.generation += 1
        self.sent[self.generation] = {}
        self._boot_at = time.monotonic()
        self._index = 0  # sample periods since boot (the device clock)
        self._seq = self.first_seq if first else 0  # the next sample's seq: counts samples sent or dropped
        self._t0_us = self.first_t_us if first else 0
        self._n_dropped = 0
        self._dropped_since_last = False
        self._next_status_at = self._boot_at + STATUS_INTERVAL_S
        self.streaming = True
        if banner:
            noise = BOOT_BANNER + bytes(self._rng.integers(1, 256, 24, dtype=np.uint8))
            self._put_garbage(noise)
        self._put_raw(b"\x00", from_frame=False)  # the firmware's first byte: a clean start for the host's parser
        self._send(fp1.hello_frame(self.hello()))

    def hello(self) -> fp1.Hello:
        return fp1.Hello(fp1.PROTOCOL_VERSION, self.fw_ver, self.adc_kind, 4, int(round(self.rate_hz)), self.uid,
                         self.labels)

    def _sample_time_us(self, index: int) -> int:
        return int(round(index * 1e6 / self.rate_hz * (1.0 + self.clock_ppm * 1e-6)))

    def _emit_samples(self, now: float) -> None:
        due = math.floor((now - self._boot_at) * self.rate_hz) + 1
        while self._index < due:
            index = self._index
            self._index += 1
            corners = self._next_corners()
            if not self.streaming:
                continue
            raw = self.raw_for(corners)
            if self.noise_counts > 0:
                noise = self._rng.standard_normal(4) * self.noise_counts
                raw = tuple(int(min(INT32_MAX, max(INT32_MIN, r + round(n)))) for r, n in zip(raw, noise))
            seq = self._seq & 0xFFFF
            self._seq += 1
            if self.faults.drop and self._rng.random() < self.faults.drop:
                self._n_dropped += 1
                self.wire.samples_dropped += 1
                self._dropped_since_last = True
                continue
            flags = fp1.FLAG_DEVICE_DROPPED if self._dropped_since_last else 0
            t_us = (self._t0_us + self._sample_time_us(index)) & 0xFFFFFFFF
            if self._send(fp1.sample_frame(seq, t_us, flags, raw)):
                self._dropped_since_last = False
                self.sent[self.generation][seq] = raw
                self.wire.samples_sent += 1
            else:
                self._n_dropped += 1
                self._dropped_since_last = True

    def _emit_status(self, now: float) -> None:
        if now < self._next_status_at:
            return
        self._next_status_at += STATUS_INTERVAL_S
        uptime_ms = int((now - self._boot_at) * 1000) & 0xFFFFFFFF
        self._send(fp1.status_frame(fp1.Status(uptime_ms, self._index & 0xFFFFFFFF, self._n_dropped, 0)))

    def _answer(self, command: int, cmd_seq: int) -> None:
        self.commands.append((time.monotonic(), command, cmd_seq))
        if command == fp1.GET_INFO:  # as the firmware does: the HELLO, then the ACK
            self._send(fp1.hello_frame(self.hello()))
        elif command == fp1.START:
            self.streaming = True
        elif command == fp1.STOP:
            self.streaming = False
        self._send(fp1.ack_frame(fp1.Ack(command, cmd_seq, 0)))

    # ---------------------------------------------------------------- the wire, with its faults

    def _send(self, frame: bytes) -> bool:
        """Queue one frame (with whatever the faults do to it); False when the host's buffer is full."""
        if self._master is None:
            return False
        if len(self._out) > MAX_PENDING_BYTES:
            self.wire.frames_not_delivered += 1
            return False
        faults = self.faults
        rng = self._rng
        self.wire.frames_sent += 1
        if faults.garbage:
            mean_burst = (GARBAGE_BURST_MAX + 1) / 2 + 0.5
            if rng.random() < min(1.0, faults.garbage * len(frame) / (mean_burst * (1.0 - faults.garbage))):
                burst = bytes(rng.integers(1, 256, int(rng.integers(1, GARBAGE_BURST_MAX + 1)), dtype=np.uint8))
                if rng.random() < 0.5:
                    burst += b"\x00"
                self.wire.garbage_bursts += 1
                self._put_garbage(burst)
        damaged = False
        if faults.truncate and rng.random() < faults.truncate:
            frame = frame[:int(rng.integers(1, len(frame) - 1))] + b"\x00"
            self.wire.frames_truncated += 1
            damaged = True
        if faults.bit_flips:
            hits = np.flatnonzero(rng.random(len(frame)) < faults.bit_flips)
            if len(hits):
                data = bytearray(frame)
                for i in hits.tolist():
                    data[i] ^= 1 << int(rng.integers(0, 8))
                frame = bytes(data)
                self.wire.bits_flipped += len(hits)
                damaged = True
        if damaged:
            self.wire.frames_damaged += 1
            self._put_raw(frame, from_frame=True)
        else:
            self._tracker.intact_frame(frame)
            self._out += frame
        return True

    def _put_garbage(self, data: bytes) -> None:
        self.wire.garbage_bytes += len(data)
        self._put_raw(data, from_frame=False)

    def _put_raw(self, data: bytes, *, from_frame: bool) -> None:
        self._tracker.dirty(data, from_frame)
        self._out += data

    def _flush(self) -> None:
        while self._out and self._master is not None:
            try:
                written = os.write(self._master, self._out)
            except BlockingIOError:
                return
            del self._out[:written]

    def _read_commands(self) -> None:
        try:
            data = os.read(self._master, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return
        for command, cmd_seq in self._parser.feed(data):
            self._answer(command, cmd_seq)

    # ---------------------------------------------------------------- the device thread

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as error:  # noqa: BLE001 - kept for the API side, which re-raises it
            self._failure = error
            while self._requests:
                self._requests.popleft()[2].set()

    def _loop(self) -> None:
        reset_done = unplug_done = False
        while not self._stop.is_set():
            now = time.monotonic()
            while self._requests:
                kind, argument, done = self._requests.popleft()
                self._carry_out(kind, argument, now)
                done.set()
            faults = self.faults
            if not reset_done and faults.reset_after_s is not None and now - self._started_at >= faults.reset_after_s:
                reset_done = True
                self._carry_out("reset", None, now)
            if (not unplug_done and faults.unplug_after_s is not None
                    and now - self._started_at >= faults.unplug_after_s):
                unplug_done = True
                self._carry_out("unplug", faults.unplug_for_s, now)
            if self._replug_at is not None and now >= self._replug_at:
                self._replug_at = None
                self._open_pty()
                if self.power_cycle_on_unplug:
                    self._boot(banner=False)
                else:  # it ran on, and what it measured while nobody was there is lost
                    skipped = math.floor((now - self._boot_at) * self.rate_hz) + 1 - self._index
                    if skipped > 0:
                        self._index += skipped
                        self._seq += skipped
                        self._n_dropped += skipped
                        self._dropped_since_last = True
                print_event = getattr(self, "on_event", None)
                if print_event:
                    print_event(f"plugged in again: {self.path}")
            if self._master is not None:
                self._emit_samples(now)
                self._emit_status(now)
                self._flush()
            wait_until = [now + 0.25]
            if self._master is not None:
                wait_until.append(self._boot_at + self._index / self.rate_hz)
            if self._replug_at is not None:
                wait_until.append(self._replug_at)
            timeout = max(0.0, min(wait_until) - time.monotonic())
            readers = [self._wake_r] + ([self._master] if self._master is not None else [])
            writers = [self._master] if self._master is not None and self._out else []
            readable, _, _ = select.select(readers, writers, [], timeout)
            if self._wake_r in readable:
                os.read(self._wake_r, 4096)
            if self._master is not None and self._master in readable:
                self._read_commands()

    def _carry_out(self, kind: str, argument, now: float) -> None:
        print_event = getattr(self, "on_event", None)
        if kind == "reset":
            if self._master is not None:
                self._out.clear()  # a reboot loses what the firmware had not sent yet
                self._tracker.cut()
                self._boot(banner=True)
            if print_event:
                print_event(f"reset (boot {self.generation})")
        elif kind == "unplug":
            if self._master is not None:
                self._close_pty()
                if print_event:
                    print_event(f"unplugged for {argument:g} s")
            self._replug_at = now + argument

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


# -------------------------------------------------------------------- command line


def _four_floats(text: str) -> tuple[float, float, float, float]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not four numbers like 0.02,-0.01,0,0.03") from None
    if len(values) != 4:
        raise argparse.ArgumentTypeError(f"give four values (tl, tr, bl, br), not {len(values)}")
    return values


def _uid(text: str) -> bytes:
    try:
        uid = bytes.fromhex(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not hex (e.g. a1b2c3d4e5f6)") from None
    if not 0 < len(uid) <= 32:
        raise argparse.ArgumentTypeError("a uid is 1 to 32 bytes")
    return uid


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a fraction in [0, 1)")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be positive")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m hardware.simulator",
        description="A simulated FP1 serial plate on a pseudo-terminal: open the printed path with "
                    "--board serial://PATH. Runs until Ctrl-C.")
    parser.add_argument("--board", default="sim://?profile=quiet",
                        help="what stands on the plate: a sim:// or replay:// URL, or 'empty' (default: %(default)s)")
    parser.add_argument("--rate-hz", type=_positive, default=80.0, help="samples per second (default 80)")
    parser.add_argument("--garbage", type=_fraction, default=0.0, help="fraction of noise bytes on the wire")
    parser.add_argument("--bit-flips", type=_fraction, default=0.0, help="probability of a flipped bit, per byte")
    parser.add_argument("--drop", type=_fraction, default=0.0, help="probability that the device drops a sample")
    parser.add_argument("--truncate", type=_fraction, default=0.0, help="probability that a frame is cut short")
    parser.add_argument("--reset-after-s", type=_positive, help="reboot the device once, this long after start")
    parser.add_argument("--unplug-after-s", type=_positive, help="pull the cable once, this long after start")
    parser.add_argument("--unplug-for-s", type=_positive, default=2.0, help="how long it stays unplugged (2 s)")
    parser.add_argument("--link", help="a stable symlink to the pty, re-pointed when it comes back (like by-id)")
    parser.add_argument("--gain-error", type=_four_floats, default=(0.0, 0.0, 0.0, 0.0),
                        help="relative gain error per corner, e.g. 0.02,-0.01,0,0.03")
    parser.add_argument("--uid", type=_uid, default=DEFAULT_UID, help="device uid in hex (default a1b2c3d4e5f6)")
    parser.add_argument("--noise-counts", type=float, default=0.0, help="ADC noise, standard deviation in counts")
    parser.add_argument("--seed", type=int, default=1)
    return parser


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from trainer.errors import BalanceTrainerError

    load = None if args.board in ("", "empty", "none") else args.board
    try:
        device = PlateDevice(load=load, rate_hz=args.rate_hz, uid=args.uid, gain_error=args.gain_error,
                             noise_counts=args.noise_counts, link_path=args.link, seed=args.seed,
                             faults=Faults(args.garbage, args.bit_flips, args.drop, args.truncate,
                                           args.reset_after_s, args.unplug_after_s, args.unplug_for_s))
    except (BalanceTrainerError, ValueError) as error:
        print(f"hardware.simulator: {error}", file=sys.stderr)
        return 2
    device.on_event = lambda text: print(f"hardware.simulator: {text}", file=sys.stderr, flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        path = device.start()
    except OSError as error:
        print(f"hardware.simulator: cannot open a pseudo-terminal: {error}", file=sys.stderr)
        return 1
    print(path, flush=True)
    if args.link:
        print(args.link, flush=True)
    print(f"hardware.simulator: FP1 plate uid {args.uid.hex()} at {args.rate_hz:g} Hz on {path}"
          + (f" (link {args.link})" if args.link else "") + "; Ctrl-C stops it", file=sys.stderr, flush=True)
    try:
        while device.running:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        device.stop()
    if device._failure is not None:
        raise device._failure
    return 0
