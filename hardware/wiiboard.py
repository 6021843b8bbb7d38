"""`wiiboard://` and `evdev:///dev/input/eventN`: the Nintendo Wii Balance Board through the kernel's hid-wiimote.

What the kernel sends
---------------------
Once paired and connected (docs/hardware.md), the `hid-wiimote` driver (Linux >= 3.11) makes an input device
named "Nintendo Wii Remote Balance Board". It reads the board's factory calibration (0, 17 and 34 kg per sensor)
and reports each sensor already calibrated, 1 unit = 10 g, 0 to 65535, clamped at 0 from below:
    ABS_HAT0X = top-right, ABS_HAT0Y = bottom-right, ABS_HAT1X = top-left, ABS_HAT1Y = bottom-left,
plus the front button as BTN_A (EV_KEY 0x130), each batch closed by EV_SYN/SYN_REPORT. "Top" and "bottom" are the
driver's names (the Wii protocol's): the power button sits on the bottom edge.
The input core sends a value only when it changes: a sensor missing from a batch keeps its last value, and a board
nobody touches may send nothing at all. Silence is therefore not a disconnect; a disconnect is the device file
going away (read error ENODEV or EIO, end of file, the node vanishing). A device that goes away is looked for again
and reopened (`WiiBoardSource`: DISCONNECTED meanwhile, events "disconnected" and "reconnected"). The driver
declares a fuzz of 2 units, with which the input core drops changes of 1 unit and averages changes of 2-3 units
with the old value; `open()` sets the fuzz to 0 (EVIOCSABS) so that every 10 g change arrives (`kernel_fuzz_units`
says what is in effect).

The byte stream
---------------
A read returns whole `struct input_event` records (linux/input.h), decoded here with struct "llHHi" in native
byte order and sizes: `struct timeval` (tv_sec, tv_usec: two C longs), u16 type, u16 code, s32 value. On 64-bit
Linux that is 8 + 8 + 2 + 2 + 4 = 24 bytes, little-endian on x86-64, ARM64 and RISC-V; on a 32-bit system the
longs are 4 bytes and the record 16, which the native format follows by itself. The same decoder reads a
recorded stream from a file or a FIFO (`evdev:///path/to/fifo`): such a stream has no frame markers, so a record
that cannot be an input event (tv_usec >= 10^6, an unknown type, a code out of range, time running backwards)
makes the decoder skip byte by byte until two consecutive records look right again (`counters.bad_bytes`).

Samples
-------
One `LoadSample` per SYN_REPORT with the current four corners in kg (value / 100), `t_s` the event's timestamp in
seconds from the stream's first SYN_REPORT (`t0_us` keeps that origin; on a device the clock is switched to
CLOCK_MONOTONIC with EVIOCSCLOCKID so it never jumps). `raw_*` stay None: the kernel hands out calibrated 10 g
units, not ADC counts. On a device the starting values are read with EVIOCGABS; in a recorded stream they start
at 0, as in the kernel. After SYN_DROPPED (the kernel's buffer overflowed) the batch is thrown away and, on a
device, the values are read again. On a device with no event for `REPEAT_AFTER_S`, the unchanged loads are
handed out again every `REPEAT_AFTER_S` (timed from the last event), so that a still board is not taken for a
stale one.

Orientation (`?orientation=normal|reversed`)
-------------------------------------------
normal: the user stands facing away from the power button, which is behind the heels (the way Wii Fit places the
board: power button towards the user, the far edge towards the TV). The driver's top edge is then the front
(toes) and its left is the user's left: tl, tr, bl, br = top-left, top-right, bottom-left, bottom-right.
reversed: the user faces the power button; front/back and left/right swap (tl = bottom-right, and so on), which
turns the COP by 180 degrees.

The front button
----------------
`drain_buttons()` returns the `ButtonEvent`s (presses and releases of "A", with the batch's t_s) since the last
call; `button_down` is its current state. A game that wants a press to mean "start" takes the presses from there.
"""
from __future__ import annotations

import errno
import os
import re
import select
import stat
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from hardware.samples import WII_BALANCE_BOARD, LoadSample
from hardware.sources import BoardUrl, SourceState, register_scheme
from trainer.errors import BoardError

WII_BOARD_NAME = "Nintendo Wii Remote Balance Board"
SYSFS_ROOT = Path("/sys")
DEV_INPUT = Path("/dev/input")
UDEV_RULE = ('SUBSYSTEM=="input", KERNEL=="event*", ATTRS{name}=="Nintendo Wii Remote Balance Board", '
             'TAG+="uaccess"')
UDEV_RULE_FILE = "/etc/udev/rules.d/70-wii-balance-board.rules"
PERMISSION_FIX = (f"put the line  {UDEV_RULE}  in {UDEV_RULE_FILE}, run 'sudo udevadm control --reload-rules', "
                  "then switch the board off and on (see docs/hardware.md)")

INPUT_EVENT = struct.Struct("llHHi")  # struct input_event, native: 24 bytes on 64-bit Linux
EVENT_SIZE = INPUT_EVENT.size

EV_SYN, EV_KEY, EV_ABS = 0x00, 0x01, 0x03
EV_MAX = 0x1F
SYN_REPORT, SYN_DROPPED = 0, 3
SYN_MAX = 0x0F
KEY_MAX = 0x2FF
ABS_MAX = 0x3F
ABS_HAT0X, ABS_HAT0Y, ABS_HAT1X, ABS_HAT1Y = 0x10, 0x11, 0x12, 0x13  # top-right, bottom-right, top-left, bottom-left
SENSOR_CODES = (ABS_HAT0X, ABS_HAT0Y, ABS_HAT1X, ABS_HAT1Y)
BTN_A = 0x130
KG_PER_UNIT = 0.01  # hid-wiimote scales its 17 kg calibration step to 1700 units

# The kernel sensor behind each corner (tl, tr, bl, br) of DESIGN.md B.1, per orientation.
CORNER_SENSORS = {
    "normal": (ABS_HAT1X, ABS_HAT0X, ABS_HAT1Y, ABS_HAT0Y),
    "reversed": (ABS_HAT0Y, ABS_HAT1Y, ABS_HAT0X, ABS_HAT1X),
}
ORIENTATIONS = tuple(CORNER_SENSORS)

BACKWARD_TOLERANCE_US = 1_000_000  # a record more than this before the last good one is garbage
RESYNC_FORGET_BYTES = 64 * EVENT_SIZE  # searched this far in vain: the clock really jumped back; stop comparing
POLL_MS = 50  # the reader thread wakes this often to notice close() and a vanished device
READ_BYTES = 256 * EVENT_SIZE
REPEAT_AFTER_S = 0.1  # well under BalanceInput's STALE_AFTER_S
RETRY_S = 0.5  # a board that went away is looked for in sysfs this long after the drop ...
RETRY_MAX_S = 2.0  # ... and then after every look in vain, the wait doubling up to this
LOST_ERRNOS = (errno.ENODEV, errno.EIO, errno.ENXIO)  # a read error saying the device itself is gone

# ioctl numbers: the generic Linux encoding (x86, ARM, RISC-V): dir << 30 | size << 16 | type << 8 | nr.
_IOC_WRITE, _IOC_READ = 1, 2
_ABSINFO = struct.Struct("6i")  # struct input_absinfo: value, minimum, maximum, fuzz, flat, resolution
CLOCK_MONOTONIC = 1


def _ioc(direction: int, nr: int, size: int) -> int:
    return (direction << 30) | (size << 16) | (ord("E") << 8) | nr


def EVIOCGNAME(length: int) -> int:  # noqa: N802 (the kernel's name)
    return _ioc(_IOC_READ, 0x06, length)


def EVIOCGBIT(event_type: int, length: int) -> int:  # noqa: N802
    return _ioc(_IOC_READ, 0x20 + event_type, length)


def EVIOCGABS(code: int) -> int:  # noqa: N802
    return _ioc(_IOC_READ, 0x40 + code, _ABSINFO.size)


def EVIOCSABS(code: int) -> int:  # noqa: N802
    return _ioc(_IOC_WRITE, 0xC0 + code, _ABSINFO.size)


EVIOCSCLOCKID = _ioc(_IOC_WRITE, 0xA0, 4)


# --- decoding -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ButtonEvent:
    t_s: float  # on the samples' time line
    button: str  # "A": the board's only button, on its front edge
    pressed: bool  # True: pressed, False: released


@dataclass
class DecoderCounters:
    events: int = 0  # records decoded
    reports: int = 0  # SYN_REPORTs, i.e. samples emitted
    dropped: int = 0  # SYN_DROPPED: the kernel's buffer overflowed and a batch was thrown away
    bad_bytes: int = 0  # bytes skipped to get back in step with the records
    ignored: int = 0  # well-formed events the board does not use (other types or codes)


@dataclass
class BoardCounters(DecoderCounters):
    """The decoder's counters and the source's own (names as the serial plate's)."""

    disconnects: int = 0  # times the device went away
    reconnects: int = 0  # times it was found and opened again


def _plausible(sec: int, usec: int, type_: int, code: int, value: int) -> bool:
    """Could this record be an input event at all (whatever the time)?"""
    if sec < 0 or not 0 <= usec < 1_000_000 or type_ > EV_MAX:
        return False
    if type_ == EV_SYN:
        return code <= SYN_MAX
    if type_ == EV_KEY:
        return code <= KEY_MAX and 0 <= value <= 2
    if type_ == EV_ABS:
        return code <= ABS_MAX
    return True


class EvdevDecoder:
    """The input_event byte stream of a balance board, fed in chunks of any size, to samples and button events.

    `feed(data)` returns the samples of every SYN_REPORT completed by `data`; button events collect in `buttons`
    (the caller takes them). A record cut at the end of a chunk waits for the rest.
    """

    def __init__(self, orientation: str = "normal", *, initial_units: dict[int, int] | None = None,
                 reread_units: Callable[[], dict[int, int] | None] | None = None,
                 counters: DecoderCounters | None = None):
        if orientation not in CORNER_SENSORS:
            raise ValueError(f"orientation must be one of {', '.join(ORIENTATIONS)}, not {orientation!r}")
        self.orientation = orientation
        self._corner_codes = CORNER_SENSORS[orientation]
        self.units = {code: 0 for code in SENSOR_CODES}  # the kernel's own starting state
        self.units.update(initial_units or {})
        self._reread_units = reread_units
        self.button_down = False
        self.buttons: list[ButtonEvent] = []
        self.counters = counters if counters is not None else DecoderCounters()
        self.t0_us: int | None = None  # event time of the first SYN_REPORT: t_s = 0
        self.last_t_s: float | None = None  # t_s of the newest sample
        self._buffer = bytearray()
        self._pending_units: dict[int, int] = {}
        self._pending_keys: list[int] = []
        self._dropping = False
        self._in_step = True
        self._searched = 0
        self._last_us: int | None = None  # time of the newest good record

    def restart(self, initial_units: dict[int, int] | None = None,
                reread_units: Callable[[], dict[int, int] | None] | None = None) -> None:
        """Another device of the same board (it was lost and came back): its sensors start from `initial_units`
        (0 where not given, as in the kernel), the byte stream starts afresh, the button is up. The time line
        (t0_us, last_t_s) and the counters go on: the new device's events are on the same monotonic clock."""
        self.units = {code: 0 for code in SENSOR_CODES}
        self.units.update(initial_units or {})
        self._reread_units = reread_units
        self.button_down = False
        self._buffer.clear()
        self._pending_units.clear()
        self._pending_keys.clear()
        self._dropping = False
        self._in_step = True
        self._searched = 0
        self._last_us = None

    def corners_kg(self) -> tuple[float, float, float, float]:
        tl, tr, bl, br = (self.units[code] * KG_PER_UNIT for code in self._corner_codes)
        return tl, tr, bl, br

    def sample_at(self, t_s: float) -> LoadSample:
        """The current loads as a sample at t_s."""
        return LoadSample(t_s, *self.corners_kg())

    def feed(self, data: bytes) -> list[LoadSample]:
        self._buffer += data
        buffer = self._buffer
        samples: list[LoadSample] = []
        pos = 0
        while len(buffer) - pos >= EVENT_SIZE:
            record = INPUT_EVENT.unpack_from(buffer, pos)
            if self._in_step:
                if not self._good(record):
                    self._in_step = False
                    self._searched = 0
                    continue
            else:
                if len(buffer) - pos < 2 * EVENT_SIZE:
                    break  # two records are needed to trust a position; wait for more bytes
                after = INPUT_EVENT.unpack_from(buffer, pos + EVENT_SIZE)
                if not (self._good(record) and _plausible(*after)
                        and 0 <= self._time_us(after) - self._time_us(record) <= BACKWARD_TOLERANCE_US):
                    pos += 1
                    self.counters.bad_bytes += 1
                    self._searched += 1
                    if self._searched > RESYNC_FORGET_BYTES:
                        self._last_us = None
                    continue
                self._in_step = True
            pos += EVENT_SIZE
            self._event(record, samples)
        del buffer[:pos]
        return samples

    @property
    def pending_bytes(self) -> int:
        """Bytes of an incomplete record (or of a search for the next good one) kept for the next feed."""
        return len(self._buffer)

    @staticmethod
    def _time_us(record) -> int:
        return record[0] * 1_000_000 + record[1]

    def _good(self, record) -> bool:
        if not _plausible(*record):
            return False
        return self._last_us is None or self._time_us(record) >= self._last_us - BACKWARD_TOLERANCE_US

    def _event(self, record, samples: list[LoadSample]) -> None:
        sec, usec, type_, code, value = record
        self.counters.events += 1
        self._last_us = sec * 1_000_000 + usec
        if type_ == EV_ABS and code in self.units:
            if not self._dropping:
                self._pending_units[code] = value
        elif type_ == EV_KEY and code == BTN_A:
            if not self._dropping and value in (0, 1):
                self._pending_keys.append(value)
        elif type_ == EV_SYN and code == SYN_REPORT:
            if self._dropping:
                # The batch after an overflow is incomplete: the evdev rule is to throw it away and ask the device.
                self._dropping = False
                fresh = self._reread_units() if self._reread_units is not None else None
                if fresh:
                    self.units.update(fresh)
                return
            self._report(self._last_us, samples)
        elif type_ == EV_SYN and code == SYN_DROPPED:
            self.counters.dropped += 1
            self._dropping = True
            self._pending_units.clear()
            self._pending_keys.clear()
        else:
            self.counters.ignored += 1

    def _report(self, t_us: int, samples: list[LoadSample]) -> None:
        if self.t0_us is None:
            self.t0_us = t_us
        t_s = (t_us - self.t0_us) / 1e6
        self.units.update(self._pending_units)
        self._pending_units.clear()
        for value in self._pending_keys:
            pressed = value == 1
            if pressed != self.button_down:
                self.button_down = pressed
                self.buttons.append(ButtonEvent(t_s, "A", pressed))
        self._pending_keys.clear()
        self.counters.reports += 1
        self.last_t_s = t_s
        samples.append(self.sample_at(t_s))


def encode_events(events) -> bytes:
    """Bytes of (sec, usec, type, code, value) records, as the kernel writes them (for tests and recordings)."""
    return b"".join(INPUT_EVENT.pack(*event) for event in events)


# --- finding boards in sysfs --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InputDevice:
    event: str  # "event7"
    dev_path: Path  # /dev/input/event7
    name: str  # the kernel's device name
    uniq: str | None  # the board's Bluetooth address, from its HID parent, where sysfs has it


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def _event_number(path: Path) -> int:
    match = re.fullmatch(r"event(\d+)", path.name)
    return int(match.group(1)) if match else -1


def _hid_uniq(event_dir: Path) -> str | None:
    uniq = _read_text(event_dir / "device" / "uniq")
    if uniq:
        return uniq
    uevent = _read_text(event_dir / "device" / "device" / "uevent") or ""
    for line in uevent.splitlines():
        if line.startswith("HID_UNIQ="):
            return line.split("=", 1)[1].strip() or None
    return None


def input_devices(sysfs_root: Path = SYSFS_ROOT, dev_root: Path = DEV_INPUT) -> list[InputDevice]:
    """Every evdev input device the kernel lists in sysfs (class/input/event*/device/name), by event number."""
    devices = []
    for event_dir in sorted((Path(sysfs_root) / "class" / "input").glob("event*"), key=_event_number):
        name = _read_text(event_dir / "device" / "name")
        if name is None:
            continue  # gone while we looked
        devices.append(InputDevice(event_dir.name, Path(dev_root) / event_dir.name, name, _hid_uniq(event_dir)))
    return devices


def find_wii_boards(sysfs_root: Path = SYSFS_ROOT, dev_root: Path = DEV_INPUT) -> list[InputDevice]:
    """The Wii Balance Boards among the input devices, in event-number order."""
    return [device for device in input_devices(sysfs_root, dev_root) if device.name == WII_BOARD_NAME]


def bluetooth_adapters(sysfs_root: Path = SYSFS_ROOT) -> list[str]:
    folder = Path(sysfs_root) / "class" / "bluetooth"
    try:
        return sorted(p.name for p in folder.iterdir() if re.fullmatch(r"hci\d+", p.name))
    except OSError:
        return []


def why_no_wii_board(sysfs_root: Path = SYSFS_ROOT) -> str:
    """One line: why no balance board shows among the input devices."""
    if not bluetooth_adapters(sysfs_root):
        return (f"no Bluetooth adapter ({Path(sysfs_root) / 'class' / 'bluetooth'} is empty or missing): plug one in "
                "or switch Bluetooth on, then pair the board")
    return ("no Wii Balance Board among the kernel's input devices: press the red sync button under its battery "
            "cover and connect it with bluetoothctl (docs/hardware.md)")


def describe(device: InputDevice) -> str:
    who = f"Wii Balance Board {device.uniq}" if device.uniq else "Wii Balance Board"
    return f"{who} at {device.dev_path}"


# --- the source ---------------------------------------------------------------------------------------------------
def _open_device(path: str) -> int:
    """os.open of the device or stream, non-blocking (a FIFO without a writer yet must not hang open())."""
    return os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)


def _read_chunk(fd: int) -> bytes:
    return os.read(fd, READ_BYTES)


@dataclass
class _Probe:
    name: str
    units: dict[int, int] = field(default_factory=dict)
    fuzz_units: int | None = None


def _probe_evdev(fd: int, path: str, url: str) -> _Probe:
    """Ask an evdev character device what it is and where its sensors stand; raise BoardError if not a board."""
    import fcntl  # Unix only: imported here so that the scheme registry still loads elsewhere

    try:
        name = fcntl.ioctl(fd, EVIOCGNAME(256), bytes(256)).split(b"\0", 1)[0].decode("utf-8", "replace")
    except OSError:
        raise BoardError(f"{url}: {path} is not an input event device (it does not answer EVIOCGNAME)") from None
    try:
        bits = fcntl.ioctl(fd, EVIOCGBIT(EV_ABS, (ABS_MAX + 1) // 8), bytes((ABS_MAX + 1) // 8))
    except OSError:
        bits = b""
    has = [len(bits) > code // 8 and bits[code // 8] >> (code % 8) & 1 for code in SENSOR_CODES]
    if not all(has):
        raise BoardError(f"{url}: {path} is '{name}', not a Wii Balance Board (it has no ABS_HAT0X..ABS_HAT1Y sensors)")
    probe = _Probe(name)
    try:
        fcntl.ioctl(fd, EVIOCSCLOCKID, struct.pack("i", CLOCK_MONOTONIC))
    except OSError:
        pass  # old kernels: timestamps stay on the wall clock, which only matters if it is set while we run
    fuzz = []
    for code in SENSOR_CODES:
        try:
            info = list(_ABSINFO.unpack(fcntl.ioctl(fd, EVIOCGABS(code), bytes(_ABSINFO.size))))
        except OSError:
            continue
        probe.units[code] = info[0]
        if info[3] != 0:
            try:  # no hysteresis: every 10 g change is reported
                fcntl.ioctl(fd, EVIOCSABS(code), _ABSINFO.pack(*info[:3], 0, *info[4:]))
                info[3] = 0
            except OSError:
                pass  # the kernel's filter stays; kernel_fuzz_units says so
        fuzz.append(info[3])
    probe.fuzz_units = max(fuzz) if fuzz else None
    return probe


def _reread_units(fd: int) -> dict[int, int] | None:
    import fcntl

    units = {}
    for code in SENSOR_CODES:
        try:
            units[code] = _ABSINFO.unpack(fcntl.ioctl(fd, EVIOCGABS(code), bytes(_ABSINFO.size)))[0]
        except OSError:
            return None
    return units


def _sysfs_for_rdev(rdev: int, sysfs_root: Path, dev_root: Path) -> InputDevice | None:
    link = Path(sysfs_root) / "dev" / "char" / f"{os.major(rdev)}:{os.minor(rdev)}"
    try:
        event_dir = link.resolve(strict=True)
    except OSError:
        return None
    name = _read_text(event_dir / "device" / "name")
    return None if name is None else InputDevice(event_dir.name, Path(dev_root) / event_dir.name, name,
                                                 _hid_uniq(event_dir))


class WiiBoardSource:
    """A Wii Balance Board read from its evdev device (or any file or FIFO holding such a stream).

    `path` None: the first board sysfs lists (wiiboard://). A reader thread decodes the stream into a queue that
    `read()` empties; `drain_buttons()` hands out the front button's presses and releases.

    A device that goes away (read error ENODEV or EIO, end of file, the node vanishing: the board was switched off,
    went out of range or its batteries ran flat) is not an error: the state becomes DISCONNECTED, an event
    "disconnected" is written, and the reader thread looks for the board again in sysfs, RETRY_S after the drop
    and then with the wait doubling up to RETRY_MAX_S: the board with the same Bluetooth address (`uniq`) when it
    is known, else for wiiboard:// the first board, for evdev:///dev/input/eventN the same path. Found, it is
    opened and probed again, the decoder restarts on its sensors, the state is STREAMING again and an event
    "reconnected" says where. A permission error on reopening is kept in `error` (one line, with the udev fix)
    while the search goes on. `drain_events()` returns the (t_s, kind, detail) events; `disconnects` and
    `reconnects` count. A file or FIFO has no board behind it: its end is the end of the stream (ENDED).

    `device_probe` is for tests only: a stand-in for `_probe_evdev(fd, path, url)`. With it, whatever is opened
    that is not a regular file or a folder (a FIFO, a pty) counts as the board's device, so that the reconnection
    runs on real file descriptors where no evdev device can be made (no /dev/uinput). None: the real check (a
    character device, asked with ioctls).
    """

    def __init__(self, path: str | None = None, *, orientation: str = "normal", url: str | None = None,
                 sysfs_root: Path = SYSFS_ROOT, dev_root: Path = DEV_INPUT,
                 repeat_after_s: float | None | str = "auto", clock: Callable[[], float] = time.monotonic,
                 device_probe: Callable[[int, str, str], _Probe] | None = None):
        if orientation not in CORNER_SENSORS:
            raise BoardError(f"orientation must be one of {', '.join(ORIENTATIONS)}, not '{orientation}'")
        self.path = path
        self.orientation = orientation
        self.url = url or (f"evdev://{path}" if path else "wiiboard://")
        self.geometry = WII_BALANCE_BOARD
        self.identity = "Wii Balance Board" if path is None else f"evdev stream {path}"
        self.state = SourceState.CONNECTING
        self.paced = True
        self.kind: str | None = None  # "device", "fifo" or "file" once open
        self.kernel_fuzz_units: int | None = None
        self.error: str | None = None
        self.held_samples = 0  # samples handed out again because the board sent nothing new
        self.uniq: str | None = None  # the board's Bluetooth address, where sysfs has it: how it is found again
        self._first_board = path is None  # wiiboard://: any board will do when the address is unknown
        self._url_path = path  # evdev://PATH: the path looked at again when the address is unknown
        self._sysfs_root = Path(sysfs_root)
        self._dev_root = Path(dev_root)
        self._repeat_after_s = repeat_after_s
        self._clock = clock
        self._device_probe = device_probe
        self._fd: int | None = None
        self._lock = threading.Lock()
        self._queue: deque[LoadSample] = deque()
        self._buttons: list[ButtonEvent] = []
        self._events: list[tuple[float, str, str]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ended = False
        self._failure: str | None = None
        self._last_data_at = clock()
        self.decoder = EvdevDecoder(orientation, counters=BoardCounters())

    # --- LoadSource --------------------------------------------------------------------------------------------
    def open(self) -> None:
        if self.path is None:
            boards = find_wii_boards(self._sysfs_root, self._dev_root)
            if not boards:
                raise BoardError(f"{self.url}: {why_no_wii_board(self._sysfs_root)}")
            self.path = str(boards[0].dev_path)
            self.identity = describe(boards[0])
            self.uniq = boards[0].uniq
        fd = self._open(self.path)
        try:
            mode = os.fstat(fd).st_mode
            probe = None
            if stat.S_ISREG(mode):
                self.kind = "file"
                self.paced = False  # read as fast as the disk goes, like replay://...?speed=max
            elif stat.S_ISDIR(mode):
                raise BoardError(f"{self.url}: {self.path} is a folder, not an input device or event stream")
            elif stat.S_ISCHR(mode) or self._device_probe is not None:
                self.kind = "device"
                probe = self._probe(fd, self.path)
                found = _sysfs_for_rdev(os.fstat(fd).st_rdev, self._sysfs_root, self._dev_root)
                if found is not None and found.uniq and self.uniq is None:
                    self.uniq = found.uniq
                if self.identity.startswith("evdev stream"):
                    self.identity = describe(found) if found and found.uniq else f"{probe.name} at {self.path}"
                self.kernel_fuzz_units = probe.fuzz_units
            else:
                self.kind = "fifo"
        except BaseException:
            os.close(fd)
            raise
        self._stat = os.fstat(fd)
        self._fd = fd
        self.decoder = EvdevDecoder(self.orientation, initial_units=probe.units if probe else None,
                                    reread_units=(lambda: _reread_units(fd)) if probe else None,
                                    counters=self.decoder.counters)
        if self._repeat_after_s == "auto":
            self._repeat_after_s = REPEAT_AFTER_S if self.kind == "device" else None
        self.state = SourceState.STREAMING
        self._last_data_at = self._clock()
        self._thread = threading.Thread(target=self._run, name=f"wiiboard-reader {self.path}", daemon=True)
        self._thread.start()

    def _probe(self, fd: int, path: str) -> _Probe:
        return (self._device_probe or _probe_evdev)(fd, path, self.url)

    def _open(self, path: str) -> int:
        try:
            return _open_device(path)
        except PermissionError:
            raise BoardError(f"{self.url}: permission denied on {path}: {PERMISSION_FIX}") from None
        except FileNotFoundError:
            raise BoardError(f"{self.url}: {path} does not exist (is the board connected? `balance-trainer boards` "
                             "lists what is)") from None
        except OSError as error:
            raise BoardError(f"{self.url}: cannot open {path}: {error.strerror or error}") from None

    def read(self) -> list[LoadSample]:
        with self._lock:
            samples = list(self._queue)
            self._queue.clear()
            if samples:
                return samples
            if self._failure is not None:
                self.state = SourceState.DISCONNECTED
                self.error = self._failure
                raise BoardError(self._failure)
            if self._ended and self.state is SourceState.STREAMING:
                self.state = SourceState.ENDED
        return samples

    def drain_buttons(self) -> list[ButtonEvent]:
        """The front button's presses and releases since the last call, oldest first."""
        with self._lock:
            events, self._buttons = self._buttons, []
        return events

    def drain_events(self) -> list[tuple[float, str, str]]:
        """(t_s, kind, detail) since the last call: "disconnected" and "reconnected"; t_s on the samples' clock."""
        with self._lock:
            events, self._events = self._events, []
        return events

    @property
    def button_down(self) -> bool:
        return self.decoder.button_down

    @property
    def counters(self) -> BoardCounters:
        return self.decoder.counters

    @property
    def disconnects(self) -> int:
        return self.decoder.counters.disconnects

    @property
    def reconnects(self) -> int:
        return self.decoder.counters.reconnects

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        with self._lock:
            fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
        if self.state in (SourceState.STREAMING, SourceState.CONNECTING, SourceState.DISCONNECTED) \
                and self._failure is None:
            self.state = SourceState.ENDED

    # --- the reader thread -------------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                lost = self._stream(self._fd)
                if lost is None:
                    return  # closed, ended or failed
                self._lose(lost)
                if not self._search():
                    return  # closed while looking
        except Exception as error:  # noqa: BLE001 - handed to the caller of read(), never swallowed
            self._fail(f"{self.url}: the reader stopped: {error}")

    def _stream(self, fd: int) -> str | None:
        """Read fd until close(), its end or a failure (None), or until the device is lost (what happened)."""
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
        last_handed = self._clock()
        device = self.kind == "device"
        while not self._stop.is_set():
            if not poller.poll(POLL_MS):
                if self.kind != "file" and self._vanished():
                    if device:
                        return f"{self.path} vanished"
                    self._fail(f"{self.url}: the board went away ({self.path} vanished): switched off, out of range "
                               "or flat batteries? Connect it again and restart")
                    return None
                now = self._clock()
                if (self._repeat_after_s is not None and self.decoder.last_t_s is not None
                        and now - last_handed >= self._repeat_after_s):
                    self._hand_out([self.decoder.sample_at(self._t_now(now))], held=True)
                    last_handed = now
                continue
            try:
                data = _read_chunk(fd)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as error:
                if device and error.errno in LOST_ERRNOS:
                    return f"{self.path}: {error.strerror or os.strerror(error.errno)}"
                if error.errno == errno.ENODEV:
                    self._fail(f"{self.url}: the board went away ({self.path}: no such device): switched off, out "
                               "of range or flat batteries? Connect it again and restart")
                else:
                    self._fail(f"{self.url}: reading {self.path} failed: {error.strerror or error}")
                return None
            if not data:
                if device:
                    return f"{self.path} closed"
                with self._lock:
                    self._ended = True  # the recorded stream is over (EOF, or the FIFO's writer left)
                return None
            samples = self.decoder.feed(data)
            self._last_data_at = last_handed = self._clock()
            self._hand_out(samples)
        return None

    def _t_now(self, now: float) -> float:
        """Now on the samples' time line: the newest sample's time plus the time since the last data."""
        if self.decoder.last_t_s is None:
            return 0.0
        return self.decoder.last_t_s + (now - self._last_data_at)

    def _lose(self, what: str) -> None:
        """The device went away: close it and say so; the search follows."""
        with self._lock:
            fd, self._fd = self._fd, None
            self.decoder.counters.disconnects += 1
            self.state = SourceState.DISCONNECTED
            self._events.append((self._t_now(self._clock()), "disconnected",
                                 f"{what}: the board went away (switched off, out of range or flat batteries?); "
                                 "looking for it"))
        if fd is not None:
            os.close(fd)

    def _search(self) -> bool:
        """Look for the board until it is open again (True) or close() is called (False)."""
        wait_s = RETRY_S
        while not self._stop.wait(wait_s):
            wait_s = min(wait_s * 2, RETRY_MAX_S)
            found = self._find_again()
            if found is None:
                continue
            path, device = found
            try:
                fd = self._open(path)
            except BoardError as error:
                if "permission denied" in str(error):
                    self.error = str(error)  # the user may fix the rule: keep looking
                continue  # not there yet (udev still making the node), or gone again
            try:
                probe = self._probe(fd, path)
                opened = os.fstat(fd)
            except (BoardError, OSError) as error:
                os.close(fd)
                if isinstance(error, BoardError):
                    self.error = str(error)  # something else at that path now: say what, keep looking
                continue
            return self._reopened(fd, opened, path, device, probe)
        return False

    def _find_again(self) -> tuple[str, InputDevice | None] | None:
        """Where the board is now: (path, its sysfs entry where listed), or None while it is away."""
        boards = find_wii_boards(self._sysfs_root, self._dev_root)
        if self.uniq:
            for board in boards:
                if board.uniq and board.uniq.lower() == self.uniq.lower():
                    return str(board.dev_path), board
            return None
        if self._first_board:
            return (str(boards[0].dev_path), boards[0]) if boards else None
        for board in boards:
            if str(board.dev_path) == self._url_path:
                return self._url_path, board
        return (self._url_path, None) if os.path.exists(self._url_path) else None

    def _reopened(self, fd: int, opened: os.stat_result, path: str, device: InputDevice | None,
                  probe: _Probe) -> bool:
        now = self._clock()
        with self._lock:
            if self._stop.is_set():
                os.close(fd)
                return False
            self.path = path
            self._stat = opened
            self._fd = fd
            if device is not None and device.uniq:
                self.uniq = self.uniq or device.uniq
                self.identity = describe(device)
            self.kernel_fuzz_units = probe.fuzz_units
            self.decoder.restart(probe.units, lambda: _reread_units(fd))
            self.decoder.counters.reconnects += 1
            self.error = None
            self.state = SourceState.STREAMING
            self._events.append((self._t_now(now), "reconnected", f"board back as {path}"))
        return True

    def _hand_out(self, samples: list[LoadSample], *, held: bool = False) -> None:
        with self._lock:
            self._queue.extend(samples)
            if held:
                self.held_samples += len(samples)
            if self.decoder.buttons:
                self._buttons.extend(self.decoder.buttons)
                self.decoder.buttons.clear()

    def _vanished(self) -> bool:
        try:
            now = os.stat(self.path)
        except OSError:
            return True
        return (now.st_ino, now.st_dev) != (self._stat.st_ino, self._stat.st_dev)

    def _fail(self, message: str) -> None:
        with self._lock:
            self._failure = message


def _orientation(url: BoardUrl) -> str:
    return url.take_choice("orientation", "normal", ORIENTATIONS)


@register_scheme("wiiboard")
def _wiiboard_from_url(url: BoardUrl) -> WiiBoardSource:
    url.check_known(("orientation",))
    if url.path.strip("/"):
        raise BoardError(f"{url.text}: wiiboard:// takes no path (it finds the first board); for one device use "
                         "evdev:///dev/input/eventN")
    return WiiBoardSource(None, orientation=_orientation(url), url=url.text)


@register_scheme("evdev")
def _evdev_from_url(url: BoardUrl) -> WiiBoardSource:
    url.check_known(("orientation",))
    if not url.path:
        raise BoardError(f"{url.text}: give the device, e.g. evdev:///dev/input/event7 (see `balance-trainer boards`)")
    return WiiBoardSource(url.path, orientation=_orientation(url), url=url.text)
