"""`serial:///dev/ttyUSB0?baud=115200`: a load-cell plate on a serial port, speaking FP1 (DESIGN.md B.5).

A reader thread reads the port with pyserial and feeds `hardware.fp1.FrameParser`; `read()` hands out, without
blocking, the samples that arrived since the last call. What the driver does, in order of arrival:

- HELLO: the plate's uid, channel count, nominal rate and channel labels. One comes at boot; when none has come
  `HELLO_WAIT_S` after opening (the boot HELLO is usually gone: the input buffer is cleared at open), the driver
  sends GET_INFO, and again every `HELLO_WAIT_S`. The uid picks the calibration (`CalibrationStore().get(uid)`);
  a plate never calibrated runs on nominal gains, says so in `identity`, and has `calibrated = False`.
- SAMPLE: `seq` (u16) and `t_us` (u32) are unwrapped; the device clock is mapped to host monotonic seconds with a
  running minimum of (arrival − device time), which keeps USB batching out of the timestamps (`DeviceClock`).
  A jump in `seq` is a gap (an event, with the count); the device's dropped flag says the device lost them. Device
  time running backwards, or seq jumping backwards, is a reset (the plate rebooted). Raw counts become kg with the
  calibration: (raw − tare) · gain per corner; a channel flagged as timed out gives NaN kg.
- STATUS (about 1 Hz) is kept in `device_status`; LOG text becomes a `device-log` event.

States: CONNECTING until the first sample, STREAMING while samples come, STALE when none came for
max(5 periods, 250 ms), DISCONNECTED when the port is gone (the driver then reopens it with back-off, under a new
device path too when the URL names a /dev/serial/by-id/... link or a USB serial number, clears the input buffer
and asks for a HELLO at once), ENDED after `close()`. Every state change, gap, reset, HELLO is an event:
`drain_events()` returns (t_s, kind, detail) tuples, t_s on the samples' clock.

`format=text` reads plain `a,b,c,d` lines of raw counts instead: no integrity check, no device time (samples are
stamped on arrival), no sequence numbers, so no gap detection; malformed lines are dropped and counted.

URL parameters: baud (115200), format (fp1 | text), serial_number (find the port by USB serial number instead of
a path), sensor_x_mm and sensor_y_mm (the plate's sensor spacing, 400 and 400), give_up_s (stop with an error after
that long disconnected; default: never).
"""
from __future__ import annotations

import errno
import grp
import math
import os
import threading
import time
from collections import deque

import serial
from serial.tools import list_ports

from hardware import fp1
from hardware.samples import BoardGeometry, LoadSample
from hardware.sources import BoardUrl, SourceState, register_scheme
from trainer.calibration import Calibration, CalibrationStore
from trainer.errors import BoardError

FP1_PLATE = BoardGeometry("FP1 plate", 400.0, 400.0)

HELLO_WAIT_S = 1.0  # GET_INFO when no HELLO came this long after opening, and again as long as none comes
NO_HELLO_GIVE_UP_S = 3.0  # samples but still no HELLO: go on with the calibration we have (or nominal gains)
OPEN_TIMEOUT_S = 3.5  # open() fails when nothing valid arrived by then
STALE_PERIODS = 5
MIN_STALE_S = 0.25
READ_TIMEOUT_S = 0.02  # the reader thread wakes at least this often when the line is quiet
PRESENCE_POLL_S = 0.05  # how often a port that went away is looked for (a stat of its path) ...
SERIAL_NUMBER_POLL_S = 0.2  # ... or, for ?serial_number=, a walk through the USB serial ports
RECONNECT_FIRST_S = 0.05  # back-off between failed attempts to open a port that is there (busy, denied) ...
RECONNECT_MAX_S = 1.0  # ... doubling up to this
PERMISSION_GRACE_S = 5.0  # a port that stays denied this long after it came back is an error, not udev being slow
MAX_CLOCK_LEAD_S = 1.0  # device time may run ahead of host arrivals by this much before it is a reboot
DRIFT_ALLOWANCE = 500e-6  # s/s the clock offset may creep up by before the drift is measured
TEXT_MAX_LINE_BYTES = 200
PRE_HELLO_MAX_SAMPLES = 20000  # samples kept while waiting for a HELLO (a few seconds at the fastest rates)
CORNER_LABELS = ("TL", "TR", "BL", "BR")
PARSER_KINDS = (("cobs", "bad_cobs"), ("crc", "bad_crc"), ("length", "bad_length"),
                ("unknown_type", "unknown_type"), ("overlong", "overlong"))


class DeviceClock:
    """The device's microsecond clock (u32, wrapping) mapped to host monotonic seconds.

    t_host = t_device + offset, offset being the smallest (arrival − t_device) seen: the sample that travelled
    fastest sets it, so samples delivered in USB batches keep the device's own spacing. A device clock is not the
    host's: a crystal is off by some 50 ppm, the ceramic resonator of many Arduino boards by up to 0.5 %. A device
    clock running fast lowers the minimum by itself; for one running slow the estimate creeps up at the drift
    rate measured from the minima of 1-s blocks (least squares over the last BLOCKS of them; DRIFT_ALLOWANCE until
    three blocks are in), plus DRIFT_MARGIN. A mapped time is never later than the sample's arrival, and never
    earlier than the previous one."""

    BLOCK_S = 1.0
    BLOCKS = 10
    DRIFT_MARGIN = 50e-6
    MAX_DRIFT = 0.02

    def __init__(self):
        self.restart()
        self._last_t_s = -math.inf

    def restart(self) -> None:
        """The device rebooted (or another one came): its clock starts again."""
        self._last_raw_us: int | None = None
        self._device_us = 0
        self._offset_s: float | None = None
        self._offset_at_s = 0.0
        self.drift = DRIFT_ALLOWANCE  # s/s the offset may creep up by
        self._blocks: deque[tuple[float, float]] = deque(maxlen=self.BLOCKS)
        self._block_start_s: float | None = None
        self._block_min = (math.inf, 0.0)  # (offset, device_s) of the fastest sample of the current block

    def jumped(self, t_us: int, arrival_s: float) -> bool:
        """True when t_us cannot follow the last device time: behind it, or ahead of it by more than the host's
        clock moved (plus MAX_CLOCK_LEAD_S): the device rebooted (or another one came), it did not wrap."""
        if self._last_raw_us is None:
            return False
        delta_us = ((t_us - self._last_raw_us + 2**31) & 0xFFFFFFFF) - 2**31
        return delta_us < 0 or delta_us * 1e-6 > arrival_s - self._last_arrival_s + MAX_CLOCK_LEAD_S

    def map(self, t_us: int, arrival_s: float) -> float:
        if self._last_raw_us is not None:
            self._device_us += (t_us - self._last_raw_us) & 0xFFFFFFFF
        else:
            self._device_us = t_us
        self._last_raw_us = t_us
        self._last_arrival_s = arrival_s
        device_s = self._device_us * 1e-6
        offset = arrival_s - device_s
        self._measure_drift(device_s, offset)
        estimate = (offset if self._offset_s is None
                    else self._offset_s + self.drift * (device_s - self._offset_at_s))
        if offset <= estimate:
            self._offset_s, self._offset_at_s, estimate = offset, device_s, offset
        t_s = max(min(device_s + estimate, arrival_s), self._last_t_s)
        self._last_t_s = t_s
        return t_s

    def _measure_drift(self, device_s: float, offset: float) -> None:
        if self._block_start_s is None:
            self._block_start_s = device_s
        elif device_s - self._block_start_s >= self.BLOCK_S:
            self._blocks.append((self._block_min[1], self._block_min[0]))
            self._block_start_s = device_s
            self._block_min = (math.inf, 0.0)
            if len(self._blocks) >= 3:
                times = [t for t, _ in self._blocks]
                mean_t = sum(times) / len(times)
                mean_o = sum(o for _, o in self._blocks) / len(times)
                spread = sum((t - mean_t) ** 2 for t in times)
                if spread > 0:
                    slope = sum((t - mean_t) * (o - mean_o) for t, o in self._blocks) / spread
                    self.drift = min(max(slope, 0.0), self.MAX_DRIFT) + self.DRIFT_MARGIN
        if offset < self._block_min[0]:
            self._block_min = (offset, device_s)


def _describe_hello(hello: fp1.Hello) -> str:
    return (f"uid {hello.uid_hex}, {hello.adc_name}, {hello.n_channels} channels "
            f"({','.join(hello.labels) or 'no labels'}), {hello.nominal_hz} Hz, "
            f"firmware {hello.fw_ver >> 8}.{hello.fw_ver & 0xFF}")


def _corner_order(labels: tuple[str, ...]) -> tuple[int, int, int, int]:
    """Channel index of each corner tl, tr, bl, br: from the HELLO's labels when they name the four corners."""
    upper = [label.upper() for label in labels]
    if sorted(upper) == sorted(CORNER_LABELS):
        return tuple(upper.index(corner) for corner in CORNER_LABELS)
    return (0, 1, 2, 3)


def open_error_text(path: str, error: BaseException) -> str:
    """One line saying why a port cannot be opened, and what to do about it."""
    code = getattr(error, "errno", None)
    if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        return f"no such serial port {path}: is the plate plugged in? see `balance-trainer boards`"
    if code in (errno.EACCES, errno.EPERM):
        try:
            group = grp.getgrgid(os.stat(path).st_gid).gr_name
        except (OSError, KeyError):
            group = "dialout"
        return (f"permission denied on {path}: add yourself to the '{group}' group "
                f"(sudo usermod -aG {group} $USER, then log out and in) or install the udev rule in "
                f"docs/hardware.md")
    if code in (errno.EBUSY, errno.EAGAIN):
        return (f"{path} is busy: another program has it open (a serial monitor, another balance-trainer, "
                f"ModemManager); close it and try again")
    return f"cannot open {path}: {error}"


class SerialPlateSource:
    paced = True

    def __init__(self, port: str = "", *, baud: int = fp1.DEFAULT_BAUD, format: str = "fp1",
                 serial_number: str | None = None, geometry: BoardGeometry = FP1_PLATE, url: str | None = None,
                 give_up_s: float | None = None, store: CalibrationStore | None = None):
        if format not in ("fp1", "text"):
            raise BoardError(f"serial: format must be fp1 or text, not '{format}'")
        if not port and not serial_number:
            raise BoardError("serial: give the port, e.g. serial:///dev/ttyUSB0, or ?serial_number=...")
        self.port = port
        self.baud = int(baud)
        self.format = format
        self.serial_number = serial_number
        self.geometry = geometry
        self.url = url or f"serial://{port}"
        self.give_up_s = give_up_s
        self.state = SourceState.CONNECTING
        self.hello: fp1.Hello | None = None
        self.device_status: fp1.Status | None = None
        self.device_path: str | None = None  # the port actually open (a by-id link or serial number resolved)
        self._store = store
        self.device_id = f"text:{serial_number or port}" if format == "text" else None
        self.calibration: Calibration | None = None
        self.calibrated = False
        self.identity = f"serial plate on {self._where()} (not open)"
        self._serial: serial.Serial | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._identified = threading.Event()
        self._lock = threading.Lock()
        self._samples: list[LoadSample] = []
        self._events: list[tuple[float, str, str]] = []
        self._failure: BaseException | None = None
        self._parser = fp1.FrameParser()
        self._clock = DeviceClock()
        self._last_seq: int | None = None
        self._pre_hello: list[tuple[float, fp1.Sample]] = []
        self._awaiting_hello = format == "fp1"
        self._corners = (0, 1, 2, 3)
        self._cmd_seq = 0
        self._text_pending = bytearray()
        self._text_discarding = False
        self._text_lines = 0
        self._text_first_s: float | None = None
        self._last_t_s = -math.inf
        self.sequence_gaps = 0
        self.samples_missing = 0
        self.samples_dropped_on_device = 0
        self.device_resets = 0
        self.disconnects = 0
        self.reconnects = 0
        self.text_lines_bad = 0

    # ---------------------------------------------------------------- LoadSource

    def open(self) -> None:
        path = self._resolve() if self.serial_number else self.port
        if path is None:
            raise BoardError(f"no serial port with serial number {self.serial_number}: is the plate plugged in? "
                             "see `balance-trainer boards`")
        self._serial = self._open_port(path)
        self._connected(path, time.monotonic(), reconnect=False)
        if self.format == "text":
            self._use_calibration(self.device_id)
        self._thread = threading.Thread(target=self._run, name=f"serial-plate {path}", daemon=True)
        self._thread.start()
        if not self._identified.wait(OPEN_TIMEOUT_S):
            self.close()
            what = "no valid FP1 frame" if self.format == "fp1" else "no valid a,b,c,d line"
            hint = (" (a plain text plate? add ?format=text; another baud rate? add ?baud=...)"
                    if self.format == "fp1" else " (an FP1 plate? drop format=text; another baud rate?)")
            raise BoardError(f"{self.url}: {what} in {OPEN_TIMEOUT_S:g} s{hint}")
        if self._failure is not None:
            failure = self._failure
            self.close()
            raise failure

    def read(self) -> list[LoadSample]:
        if self._failure is not None:
            self.state = SourceState.DISCONNECTED
            raise self._failure
        with self._lock:
            samples, self._samples = self._samples, []
        return samples

    def drain_events(self) -> list[tuple[float, str, str]]:
        with self._lock:
            events, self._events = self._events, []
        return events

    def close(self) -> None:
        self._stop.set()
        port = self._serial
        if port is not None:
            try:
                port.cancel_read()  # wakes the reader thread out of its select
            except (OSError, ValueError, serial.SerialException):
                pass  # the port is closed already: the thread is not waiting on it
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
            self._thread = None
        self._close_port()
        self.state = SourceState.ENDED

    # ---------------------------------------------------------------- counters

    @property
    def frames_bad(self) -> dict[str, int]:
        counters = self._parser.counters
        bad = {kind: getattr(counters, name) for kind, name in PARSER_KINDS}
        bad["text_line"] = self.text_lines_bad
        return bad

    @property
    def counters(self) -> dict[str, int]:
        """Everything counted, flat, for a recording's summary.json."""
        bad = self.frames_bad
        return {
            "frames_ok": self._parser.counters.frames_ok,
            "frames_bad": sum(bad.values()) - bad["text_line"],
            "frames_bad_checksum": bad["crc"],
            "frames_bad_cobs": bad["cobs"],
            "frames_bad_length": bad["length"],
            "frames_unknown_type": bad["unknown_type"],
            "frames_overlong": bad["overlong"],
            "text_lines_bad": self.text_lines_bad,
            "sequence_gaps": self.sequence_gaps,
            "samples_missing": self.samples_missing,
            "samples_dropped_on_device": self.samples_dropped_on_device,
            "device_resets": self.device_resets,
            "disconnects": self.disconnects,
            "reconnects": self.reconnects,
        }

    # ---------------------------------------------------------------- the port

    def _where(self) -> str:
        return f"serial number {self.serial_number}" if self.serial_number else self.port

    def _resolve(self) -> str | None:
        """The device path to open now, or None while the port is absent."""
        if self.serial_number:
            for info in list_ports.comports():
                if info.serial_number == self.serial_number:
                    return info.device
            return None
        return self.port if os.path.exists(self.port) else None

    def _open_port(self, path: str) -> serial.Serial:
        try:
            port = serial.Serial(path, self.baud, timeout=READ_TIMEOUT_S, write_timeout=0.5, exclusive=True)
        except serial.SerialException as error:
            raise BoardError(open_error_text(path, error)) from None
        except OSError as error:
            raise BoardError(open_error_text(path, error)) from None
        except ValueError as error:
            raise BoardError(f"cannot open {path}: {error}") from None
        try:
            port.reset_input_buffer()  # whatever waited there is old, and may end mid-frame
        except (OSError, serial.SerialException):
            pass
        return port

    def _close_port(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            try:
                port.close()
            except (OSError, serial.SerialException):
                pass

    def _connected(self, path: str, now: float, *, reconnect: bool) -> None:
        self.device_path = os.path.realpath(path)
        self._connected_at = now
        self._last_valid_at = now
        self._parser = fp1.FrameParser(n_channels=self._parser.n_channels, counters=self._parser.counters)
        self._text_pending.clear()
        self._text_discarding = False
        if self.format == "fp1":
            self._awaiting_hello = True
            # After a reconnect, ask at once: the boot HELLO went with the cleared buffer. At first open, give the
            # plate a second to say HELLO itself (a board that resets when the port opens is still booting).
            self._next_get_info_at = now if reconnect else now + HELLO_WAIT_S
        if not reconnect:
            self.identity = self._identity_text()

    def _lost(self, error: BaseException, now: float) -> None:
        self._close_port()
        self.disconnects += 1
        self._set_state(SourceState.DISCONNECTED, now, f"{self.device_path}: {error}")
        self._disconnected_at = now
        self._backoff_s = RECONNECT_FIRST_S
        self._next_attempt_at = now
        self._denied_since = None

    def _try_reconnect(self, now: float) -> None:
        if self.give_up_s is not None and now - self._disconnected_at > self.give_up_s:
            self._failure = BoardError(f"{self.url}: the plate has been gone for {self.give_up_s:g} s; giving up")
            return
        if now < self._next_attempt_at:
            self._stop.wait(min(self._next_attempt_at - now, PRESENCE_POLL_S))
            return
        # Looking for the port costs a stat (or a walk of sysfs for a serial number); opening it is what backs off.
        path = self._resolve()
        if path is None:
            self._next_attempt_at = now + (SERIAL_NUMBER_POLL_S if self.serial_number else PRESENCE_POLL_S)
            return
        try:
            self._serial = self._open_port(path)
        except BoardError as error:
            self._next_attempt_at = now + self._backoff_s
            self._backoff_s = min(self._backoff_s * 2, RECONNECT_MAX_S)
            # Right after a USB device appears udev may not have set its group yet: denied for a moment is normal.
            if "permission denied" in str(error):
                if self._denied_since is None:
                    self._denied_since = now
                elif now - self._denied_since > PERMISSION_GRACE_S:
                    self._failure = error
            return
        now = time.monotonic()
        self._denied_since = None
        self.reconnects += 1
        self._connected(path, now, reconnect=True)
        self._event(now, "reconnected", f"port back as {self.device_path}")
        self._set_state(SourceState.CONNECTING, now, None)

    # ---------------------------------------------------------------- the reader thread

    def _run(self) -> None:
        try:
            while not self._stop.is_set() and self._failure is None:
                if self._serial is None:
                    self._try_reconnect(time.monotonic())
                    continue
                port = self._serial
                try:
                    data = port.read(1)
                    if data:
                        waiting = port.in_waiting
                        if waiting:
                            data += port.read(waiting)
                except (serial.SerialException, OSError) as error:
                    if self._stop.is_set():
                        break
                    self._lost(error, time.monotonic())
                    continue
                now = time.monotonic()
                if data:
                    if self.format == "fp1":
                        self._feed_fp1(data, now)
                    else:
                        self._feed_text(data, now)
                self._housekeeping(now)
        except BaseException as error:  # noqa: BLE001 - handed to the caller of read(), never swallowed
            self._failure = error
        finally:
            self._identified.set()  # nobody waits in open() for a thread that is gone

    def _housekeeping(self, now: float) -> None:
        if self.state is SourceState.STREAMING and now - self._last_valid_at > self._stale_after_s():
            self._set_state(SourceState.STALE, now, f"no sample for {now - self._last_valid_at:.2f} s")
        if self.format != "fp1" or not self._awaiting_hello or self._serial is None:
            return
        if now >= self._next_get_info_at:
            self._next_get_info_at = now + HELLO_WAIT_S
            self._cmd_seq = (self._cmd_seq + 1) & 0xFF
            try:
                self._serial.write(fp1.command_frame(fp1.GET_INFO, self._cmd_seq))
            except (serial.SerialException, OSError) as error:
                self._lost(error, now)
                return
        if self._pre_hello and now - self._connected_at > NO_HELLO_GIVE_UP_S:
            # A plate that streams but never says who it is: go on with what we have.
            if self.calibration is None:
                self._use_calibration("unknown FP1 plate")
            self._event(now, "no-hello", f"no HELLO in {NO_HELLO_GIVE_UP_S:g} s; using {self._calibration_text()}")
            self._identify()

    def _stale_after_s(self) -> float:
        if self.hello is not None and self.hello.nominal_hz > 0:
            period = 1.0 / self.hello.nominal_hz
        elif self._text_lines > 1 and self._text_first_s is not None:
            period = (self._last_valid_at - self._text_first_s) / (self._text_lines - 1)
        else:
            period = 0.0
        return max(STALE_PERIODS * period, MIN_STALE_S)

    # ---------------------------------------------------------------- FP1

    def _feed_fp1(self, data: bytes, now: float) -> None:
        for message in self._parser.feed(data):
            if isinstance(message, fp1.Sample):
                self._on_sample(message, now)
            elif isinstance(message, fp1.Hello):
                self._on_hello(message, now)
            elif isinstance(message, fp1.Status):
                self.device_status = message
            elif isinstance(message, fp1.Log):
                self._event(now, "device-log", message.text)
            # ACKs answer commands this driver does not send (START/STOP/PING are for other hosts)

    def _on_hello(self, hello: fp1.Hello, now: float) -> None:
        previous = self.hello
        self.hello = hello
        self._event(now, "hello", _describe_hello(hello))
        if hello.n_channels != 4:
            self._failure = BoardError(f"{self.url}: the plate has {hello.n_channels} channels; a balance plate "
                                       "needs 4 (one per corner)")
            return
        self._corners = _corner_order(hello.labels)
        if previous is not None and previous.uid != hello.uid:
            self.device_resets += 1
            self._event(now, "reset", f"another plate: uid {hello.uid_hex} (was {previous.uid_hex})")
            self._restart_tracking()
        if previous is None or previous.uid != hello.uid or self.calibration is None:
            self._use_calibration(hello.uid_hex)
        self._identify()

    def _restart_tracking(self) -> None:
        self._clock.restart()
        self._last_seq = None

    def _use_calibration(self, device_id: str) -> None:
        store = self._store or CalibrationStore()
        calibration = store.get(device_id)
        self.device_id = device_id
        self.use_calibration(calibration)
        if not calibration.calibrated:
            self._event(time.monotonic(), "uncalibrated", f"no calibration stored for {device_id}: "
                                                          "kilograms from nominal gains")

    def use_calibration(self, calibration: Calibration) -> None:
        """Convert from now on with this calibration (`calibrate` hands over the one it just made). The reader
        thread picks up the new tare and gains at its next sample: each is replaced as a whole tuple."""
        self.calibration = calibration
        self.calibrated = calibration.calibrated
        self._tare = tuple(float(v) for v in calibration.tare_counts)
        self._gain = tuple(float(v) for v in calibration.gain_kg_per_count)
        self.identity = self._identity_text()

    def _calibration_text(self) -> str:
        if self.calibration is None:
            return "no calibration yet"
        if self.calibration.calibrated:
            return f"calibrated {self.calibration.created_utc}"
        return "UNCALIBRATED: nominal gains"

    def _identity_text(self) -> str:
        where = self.device_path or self._where()
        if self.format == "text":
            return f"text plate on {where} (text line format: no integrity check; {self._calibration_text()})"
        if self.hello is None:
            return f"FP1 plate on {where} ({self._calibration_text()})"
        hello = self.hello
        return (f"FP1 plate uid {hello.uid_hex} on {where} ({hello.adc_name}, {hello.nominal_hz} Hz, "
                f"{self._calibration_text()})")

    def _identify(self) -> None:
        self._awaiting_hello = False
        pending, self._pre_hello = self._pre_hello, []
        converted = [self._load_sample(t_s, sample) for t_s, sample in pending]
        if converted:
            self._deliver(converted, time.monotonic())
        self._identified.set()

    def _on_sample(self, sample: fp1.Sample, now: float) -> None:
        self._last_valid_at = now
        if self._clock.jumped(sample.t_us, now) or (
                self._last_seq is not None and (sample.seq - self._last_seq) & 0xFFFF >= 0x8000):
            self.device_resets += 1
            self._event(now, "reset", f"the plate restarted: seq {self._last_seq} then {sample.seq}")
            self._restart_tracking()
        elif self._last_seq is not None:
            missing = (sample.seq - self._last_seq - 1) & 0xFFFF
            if missing:
                self.sequence_gaps += 1
                self.samples_missing += missing
                if sample.flags & fp1.FLAG_DEVICE_DROPPED:
                    self.samples_dropped_on_device += missing
                    why = "dropped on the device"
                else:
                    why = "lost on the line"
                self._event(now, "gap", f"{missing} samples {why}: seq {self._last_seq} to {sample.seq}")
            elif sample.flags & fp1.FLAG_DEVICE_DROPPED:
                self._event(now, "gap", f"the plate says it dropped samples before seq {sample.seq}")
        self._last_seq = sample.seq
        t_s = self._clock.map(sample.t_us, now)
        if self._awaiting_hello:
            if len(self._pre_hello) < PRE_HELLO_MAX_SAMPLES:
                self._pre_hello.append((t_s, sample))
            return
        self._deliver([self._load_sample(t_s, sample)], now)

    def _load_sample(self, t_s: float, sample: fp1.Sample) -> LoadSample:
        raw = sample.raw
        order = self._corners
        corner_raw = (raw[order[0]], raw[order[1]], raw[order[2]], raw[order[3]])
        kg = [(r - tare) * gain for r, tare, gain in zip(corner_raw, self._tare, self._gain)]
        timed_out = sample.flags & fp1.FLAG_CHANNEL_TIMEOUT_MASK
        if timed_out:
            for corner, channel in enumerate(order):
                if timed_out & (1 << channel):
                    kg[corner] = math.nan
        return LoadSample(t_s, kg[0], kg[1], kg[2], kg[3], sample.seq, *corner_raw, sample.flags)

    def _deliver(self, samples: list[LoadSample], now: float) -> None:
        with self._lock:
            self._samples.extend(samples)
        if self.state is not SourceState.STREAMING:
            self._set_state(SourceState.STREAMING, now, "samples arriving")

    # ---------------------------------------------------------------- text lines

    def _feed_text(self, data: bytes, now: float) -> None:
        lines = data.split(b"\n")
        complete: list[tuple[int, int, int, int]] = []
        for index, piece in enumerate(lines):
            closed = index < len(lines) - 1
            if self._text_discarding:
                self._text_discarding = not closed
                continue
            if len(self._text_pending) + len(piece) > TEXT_MAX_LINE_BYTES:
                self.text_lines_bad += 1
                self._text_pending.clear()
                self._text_discarding = not closed
                continue
            self._text_pending += piece
            if closed:
                line = bytes(self._text_pending)
                self._text_pending.clear()
                values = self._text_values(line)
                if values is not None:
                    complete.append(values)
        if not complete:
            return
        if self._text_first_s is None:
            self._text_first_s = now
        self._text_lines += len(complete)
        self._last_valid_at = now
        # Lines that came together were measured one period apart: spread them back from their arrival.
        period = 0.0
        if self._text_lines > len(complete):
            period = (now - self._text_first_s) / (self._text_lines - 1)
        out = []
        for i, raw in enumerate(complete):
            t_s = max(now - (len(complete) - 1 - i) * period, self._last_t_s)
            self._last_t_s = t_s
            kg = [(r - tare) * gain for r, tare, gain in zip(raw, self._tare, self._gain)]
            out.append(LoadSample(t_s, kg[0], kg[1], kg[2], kg[3], None, *raw))
        self._identified.set()
        self._deliver(out, now)

    def _text_values(self, line: bytes) -> tuple[int, int, int, int] | None:
        line = line.strip()
        if not line:
            return None
        parts = line.split(b",")
        try:
            if len(parts) != 4:
                raise ValueError
            values = tuple(int(part) for part in parts)
        except ValueError:
            self.text_lines_bad += 1
            return None
        if not all(_fits_int32(v) for v in values):
            self.text_lines_bad += 1
            return None
        return values

    # ---------------------------------------------------------------- events and states

    def _event(self, t_s: float, kind: str, detail: str) -> None:
        with self._lock:
            self._events.append((t_s, kind, detail))

    def _set_state(self, state: SourceState, now: float, detail: str | None) -> None:
        if state is self.state:
            return
        self.state = state
        if detail is not None:
            self._event(now, state.value, detail)


def _fits_int32(value: int) -> bool:
    return -2**31 <= value < 2**31


@register_scheme("serial")
def _from_url(url: BoardUrl) -> SerialPlateSource:
    url.check_known(("baud", "format", "serial_number", "sensor_x_mm", "sensor_y_mm", "give_up_s"))
    serial_number = url.params.get("serial_number") or None
    if url.path and serial_number:
        raise BoardError(f"{url.text}: give either a port path or serial_number, not both")
    if not url.path and not serial_number:
        raise BoardError(f"{url.text}: give the port, e.g. serial:///dev/ttyUSB0 or "
                         "serial:///dev/serial/by-id/usb-..., or ?serial_number=...")
    baud = url.take_int("baud", fp1.DEFAULT_BAUD)
    if baud <= 0:
        raise BoardError(f"{url.text}: 'baud' must be positive, not {baud}")
    x_mm = url.take_float("sensor_x_mm", FP1_PLATE.sensor_spacing_x_mm)
    y_mm = url.take_float("sensor_y_mm", FP1_PLATE.sensor_spacing_y_mm)
    if x_mm <= 0 or y_mm <= 0:
        raise BoardError(f"{url.text}: 'sensor_x_mm' and 'sensor_y_mm' must be positive")
    geometry = FP1_PLATE if (x_mm, y_mm) == (FP1_PLATE.sensor_spacing_x_mm, FP1_PLATE.sensor_spacing_y_mm) else \
        BoardGeometry(f"FP1 plate {x_mm:g} x {y_mm:g} mm", x_mm, y_mm)
    give_up_text = url.params.get("give_up_s")
    give_up_s = None if give_up_text is None else url.take_float("give_up_s", 0.0, minimum=0.0)
    return SerialPlateSource(url.path, baud=baud, format=url.take_choice("format", "fp1", ("fp1", "text")),
                             serial_number=serial_number, geometry=geometry, url=url.text, give_up_s=give_up_s)
