"""The FP1 serial plate protocol (DESIGN.md B.5): frames, messages and an incremental parser.

Every message is one frame on the wire: COBS(type:u8 | body | crc:u16le) followed by a single 0x00. The CRC is
CRC-16/CCITT-FALSE over type | body. All integers are little-endian; a decoded frame is at most 253 bytes.
This module knows bytes only: the host driver (hardware/serial_plate.py), the device simulator and the tests
share it, and the firmware in hardware/firmware/ implements the same rules in C.

The parser takes bytes in any chunks, returns the messages of every complete good frame, and drops (and counts)
any frame with a bad COBS code, a bad CRC, an unknown type or a wrong length, resynchronising at the next 0x00.
Its buffer never holds more than one maximal frame: longer runs without a 0x00 are garbage and are dropped.
"""
from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass, field

PROTOCOL_VERSION = 1
MAX_DECODED_BYTES = 253
MAX_ENCODED_BYTES = MAX_DECODED_BYTES + 1  # COBS adds one byte per 254 (one here); the 0x00 delimiter is apart
DEFAULT_BAUD = 115200
DEFAULT_CHANNELS = 4

# Message types, device -> host.
SAMPLE, HELLO, STATUS, ACK, LOG = 0x01, 0x02, 0x03, 0x04, 0x05
# Commands, host -> device; each body is cmd_seq:u8.
GET_INFO, START, STOP, PING = 0x81, 0x82, 0x83, 0x84
COMMANDS = (GET_INFO, START, STOP, PING)

# SAMPLE flags.
FLAG_CHANNEL_TIMEOUT_MASK = 0x0F  # bit i: channel i timed out
FLAG_DEVICE_DROPPED = 0x10  # the device dropped samples since the previous frame
FLAG_ADC_SATURATED = 0x20

ADC_KINDS = {1: "HX711", 2: "HX71708", 3: "NAU7802", 4: "ADS1220", 5: "ADS1256"}

_SAMPLE_HEAD = struct.Struct("<HIB")
_HELLO_HEAD = struct.Struct("<BHBBHB")
_STATUS = struct.Struct("<IIIH")
_ACK = struct.Struct("<BBB")


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor (check: b"123456789" -> 0x29B1)."""
    return binascii.crc_hqx(data, 0xFFFF)


def cobs_encode(data: bytes) -> bytes:
    """Consistent Overhead Byte Stuffing: the result holds no 0x00 byte."""
    out = bytearray()
    block = bytearray()
    for byte in data:
        if byte == 0:
            out.append(len(block) + 1)
            out += block
            block.clear()
        else:
            block.append(byte)
            if len(block) == 254:
                out.append(255)
                out += block
                block.clear()
    out.append(len(block) + 1)
    out += block
    return bytes(out)


def cobs_decode(data: bytes) -> bytes | None:
    """The decoded bytes, or None where the encoding is invalid (a 0x00 inside, or a code running past the end)."""
    out = bytearray()
    index = 0
    end = len(data)
    while index < end:
        code = data[index]
        if code == 0 or index + code > end:
            return None
        block = data[index + 1:index + code]
        if 0 in block:
            return None
        out += block
        index += code
        if code != 255 and index < end:  # a block shorter than 254 stood for a 0x00, except at the very end
            out.append(0)
    return bytes(out)


def encode_frame(message_type: int, body: bytes = b"") -> bytes:
    """One frame ready for the wire, delimiter included."""
    payload = bytes((message_type,)) + body
    if len(payload) + 2 > MAX_DECODED_BYTES:
        raise ValueError(f"an FP1 frame holds at most {MAX_DECODED_BYTES} bytes, this one {len(payload) + 2}")
    return cobs_encode(payload + struct.pack("<H", crc16(payload))) + b"\x00"


@dataclass(frozen=True, slots=True)
class Sample:
    seq: int
    t_us: int
    flags: int
    raw: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Hello:
    proto_ver: int
    fw_ver: int
    adc_kind: int
    n_channels: int
    nominal_hz: int
    uid: bytes
    labels: tuple[str, ...]

    @property
    def uid_hex(self) -> str:
        return self.uid.hex()

    @property
    def adc_name(self) -> str:
        return ADC_KINDS.get(self.adc_kind, f"ADC kind {self.adc_kind}")


@dataclass(frozen=True, slots=True)
class Status:
    uptime_ms: int
    n_samples: int
    n_dropped: int
    n_adc_timeouts: int


@dataclass(frozen=True, slots=True)
class Ack:
    cmd_type: int
    cmd_seq: int
    result: int


@dataclass(frozen=True, slots=True)
class Log:
    text: str


Message = Sample | Hello | Status | Ack | Log


def sample_frame(seq: int, t_us: int, flags: int, raw) -> bytes:
    body = _SAMPLE_HEAD.pack(seq & 0xFFFF, t_us & 0xFFFFFFFF, flags) + struct.pack(f"<{len(raw)}i", *raw)
    return encode_frame(SAMPLE, body)


def hello_frame(hello: Hello) -> bytes:
    body = (_HELLO_HEAD.pack(hello.proto_ver, hello.fw_ver, hello.adc_kind, hello.n_channels, hello.nominal_hz,
                             len(hello.uid)) + hello.uid + ",".join(hello.labels).encode("utf-8"))
    return encode_frame(HELLO, body)


def status_frame(status: Status) -> bytes:
    return encode_frame(STATUS, _STATUS.pack(status.uptime_ms, status.n_samples, status.n_dropped,
                                             status.n_adc_timeouts))


def ack_frame(ack: Ack) -> bytes:
    return encode_frame(ACK, _ACK.pack(ack.cmd_type, ack.cmd_seq, ack.result))


def log_frame(text: str) -> bytes:
    return encode_frame(LOG, text.encode("utf-8")[:MAX_DECODED_BYTES - 3])


def command_frame(command: int, cmd_seq: int) -> bytes:
    if command not in COMMANDS:
        raise ValueError(f"0x{command:02X} is not an FP1 command")
    return encode_frame(command, bytes((cmd_seq & 0xFF,)))


@dataclass
class ParserCounters:
    frames_ok: int = 0
    bad_cobs: int = 0
    bad_crc: int = 0
    unknown_type: int = 0
    bad_length: int = 0
    overlong: int = 0  # runs without a delimiter longer than any frame: garbage, dropped

    @property
    def frames_bad(self) -> int:
        return self.bad_cobs + self.bad_crc + self.unknown_type + self.bad_length + self.overlong


@dataclass
class FrameParser:
    """Bytes in, messages out. `n_channels` comes from the device's HELLO (4 until one arrives)."""

    n_channels: int = DEFAULT_CHANNELS
    counters: ParserCounters = field(default_factory=ParserCounters)
    _pending: bytearray = field(default_factory=bytearray)
    _discarding: bool = False  # inside an overlong run: drop everything up to the next 0x00

    def feed(self, data: bytes) -> list[Message]:
        messages: list[Message] = []
        pieces = bytes(data).split(b"\x00")
        # Every piece but the last was closed by a delimiter; the last one waits for more bytes.
        for index, piece in enumerate(pieces):
            closed = index < len(pieces) - 1
            if self._discarding:
                if closed:
                    self._discarding = False
                continue
            if len(self._pending) + len(piece) > MAX_ENCODED_BYTES:
                self.counters.overlong += 1
                self._pending.clear()
                self._discarding = not closed
                continue
            self._pending += piece
            if closed:
                frame = bytes(self._pending)
                self._pending.clear()
                if frame:  # two delimiters in a row (an idle line, or a resync) are not a frame
                    message = self._decode(frame)
                    if message is not None:
                        messages.append(message)
        return messages

    def _decode(self, encoded: bytes) -> Message | None:
        decoded = cobs_decode(encoded)
        if decoded is None or len(decoded) < 3:
            self.counters.bad_cobs += 1
            return None
        payload, crc = decoded[:-2], decoded[-2:]
        if crc16(payload) != int.from_bytes(crc, "little"):
            self.counters.bad_crc += 1
            return None
        message = self._message(payload[0], payload[1:])
        if message is not None:
            self.counters.frames_ok += 1
        return message

    def _message(self, message_type: int, body: bytes) -> Message | None:
        try:
            if message_type == SAMPLE:
                if len(body) != _SAMPLE_HEAD.size + 4 * self.n_channels:
                    return self._wrong_length()
                seq, t_us, flags = _SAMPLE_HEAD.unpack_from(body)
                return Sample(seq, t_us, flags, struct.unpack_from(f"<{self.n_channels}i", body, _SAMPLE_HEAD.size))
            if message_type == HELLO:
                return self._hello(body)
            if message_type == STATUS:
                return Status(*_STATUS.unpack(body)) if len(body) == _STATUS.size else self._wrong_length()
            if message_type == ACK:
                return Ack(*_ACK.unpack(body)) if len(body) == _ACK.size else self._wrong_length()
            if message_type == LOG:
                return Log(body.decode("utf-8", errors="replace"))
        except struct.error:
            return self._wrong_length()
        self.counters.unknown_type += 1
        return None

    def _hello(self, body: bytes) -> Hello | None:
        if len(body) < _HELLO_HEAD.size:
            return self._wrong_length()
        proto_ver, fw_ver, adc_kind, n_channels, nominal_hz, uid_len = _HELLO_HEAD.unpack_from(body)
        uid_end = _HELLO_HEAD.size + uid_len
        if len(body) < uid_end or n_channels == 0:
            return self._wrong_length()
        labels_text = body[uid_end:].decode("utf-8", errors="replace")
        labels = tuple(label.strip() for label in labels_text.split(",")) if labels_text else ()
        self.n_channels = n_channels
        return Hello(proto_ver, fw_ver, adc_kind, n_channels, nominal_hz, bytes(body[_HELLO_HEAD.size:uid_end]),
                     labels)

    def _wrong_length(self) -> None:
        self.counters.bad_length += 1
        return None
