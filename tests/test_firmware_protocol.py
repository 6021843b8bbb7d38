"""The firmware speaks FP1 (DESIGN.md B.5) byte for byte as hardware/fp1.py does.

hardware/firmware/fp1_plate/fp1_protocol.cpp (the plate's framing, encoders and command parser, with no Arduino
header) is compiled once per test module with the host's C++ compiler together with tests/firmware_harness.cpp,
a line-oriented driver: each test sends all its cases through one run of it and compares every answer with what
hardware/fp1.py gives for the same input. Where the compiler has AddressSanitizer and UBSan, the harness is built
with them, and every buffer it hands the firmware code is exactly as large as fp1_protocol.h promises, so a write
past a frame buffer or an overflowing shift fails the test.
"""
from __future__ import annotations

import random
import shutil
import statistics
import subprocess
from pathlib import Path

import pytest

from hardware import fp1
from hardware.fp1 import (ACK, COMMANDS, GET_INFO, HELLO, LOG, MAX_DECODED_BYTES, PING, SAMPLE, START, STATUS, STOP,
                          Ack, FrameParser, Hello, Log, Sample, Status, ack_frame, cobs_decode, cobs_encode,
                          command_frame, crc16, encode_frame, hello_frame, log_frame, sample_frame, status_frame)

REPO_ROOT = Path(__file__).resolve().parents[1]
FIRMWARE_DIR = REPO_ROOT / "hardware" / "firmware" / "fp1_plate"
HARNESS_SOURCE = Path(__file__).resolve().parent / "firmware_harness.cpp"
WARNINGS = ["-Wall", "-Wextra", "-Wpedantic", "-Wshadow", "-Wconversion", "-Werror"]
SANITIZERS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
DEVICE_PARSER_BUFFER = 16  # CommandParser::BUFFER_BYTES: longer runs without a delimiter are dropped as garbage

INT32_EDGES = (0, 1, -1, 2**31 - 1, -2**31, 0x7FFFFF, -0x800000, 0x800000, -0x7FFFFF, 0x100, 0x10000, 0x1000000,
               -0x100, 255, -256, 0x01000001)


def _hex(data: bytes) -> str:
    return data.hex() if data else "-"


def _bytes(answer: str) -> bytes:
    return b"" if answer == "-" else bytes.fromhex(answer)


class Harness:
    def __init__(self, executable: Path, sanitized: bool) -> None:
        self.executable = executable
        self.sanitized = sanitized

    def ask(self, requests: list[str]) -> list[str]:
        run = subprocess.run([str(self.executable)], input="\n".join(requests) + "\n", capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 0, f"the harness failed ({run.returncode}):\n{run.stderr[-4000:]}"
        answers = run.stdout.splitlines()
        assert len(answers) == len(requests)
        return answers


def _compiler() -> str | None:
    for name in ("g++", "c++", "clang++"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> Harness:
    compiler = _compiler()
    if compiler is None:
        pytest.skip("no C++ compiler (g++, c++ or clang++) on PATH: the firmware's FP1 code cannot be built here")
    out_dir = tmp_path_factory.mktemp("firmware-harness")
    executable = out_dir / "fp1_harness"
    base = [compiler, "-std=c++11", "-O1", "-g", *WARNINGS, f"-I{FIRMWARE_DIR}",
            str(FIRMWARE_DIR / "fp1_protocol.cpp"), str(HARNESS_SOURCE), "-o", str(executable)]
    sanitized = subprocess.run(base[:1] + SANITIZERS + base[1:], capture_output=True, text=True, timeout=300)
    if sanitized.returncode == 0 and subprocess.run([str(executable)], input="", capture_output=True,
                                                    timeout=60).returncode == 0:
        return Harness(executable, sanitized=True)
    # The sanitizer runtimes are optional; a plain build must still succeed, warnings included.
    plain = subprocess.run(base, capture_output=True, text=True, timeout=300)
    assert plain.returncode == 0, f"fp1_protocol.cpp does not compile:\n{plain.stderr}"
    return Harness(executable, sanitized=False)


# --- CRC and COBS ------------------------------------------------------------------------------------------------

def test_crc_check_value_and_random_inputs(harness):
    rng = random.Random(1)
    inputs = [b"123456789", b"", b"\x00", b"\xff" * 300] + [rng.randbytes(rng.randrange(0, 300)) for _ in range(200)]
    answers = harness.ask([f"crc {_hex(data)}" for data in inputs])
    assert answers[0] == "29b1"
    assert [int(answer, 16) for answer in answers] == [crc16(data) for data in inputs]


# Encodings as hardware/fp1.py writes them: it always ends with a code byte, so where the data ends exactly at a
# 254-byte block it adds a final 0x01 that Cheshire & Baker's (and Wikipedia's) examples leave out. Both forms
# decode to the same bytes; the firmware must write fp1.py's.
COBS_VECTORS = [
    (b"", b"\x01"),
    (b"\x00", b"\x01\x01"),
    (b"\x00\x00", b"\x01\x01\x01"),
    (b"\x00\x11\x00", b"\x01\x02\x11\x01"),
    (b"\x11\x22\x00\x33", b"\x03\x11\x22\x02\x33"),
    (b"\x11\x22\x33\x44", b"\x05\x11\x22\x33\x44"),
    (b"\x11\x00\x00\x00", b"\x02\x11\x01\x01\x01"),
    (bytes(range(1, 255)), b"\xff" + bytes(range(1, 255)) + b"\x01"),
    (b"\x00" + bytes(range(1, 255)), b"\x01\xff" + bytes(range(1, 255)) + b"\x01"),
    (bytes(range(1, 256)), b"\xff" + bytes(range(1, 255)) + b"\x02\xff"),
    (bytes(range(2, 256)) + b"\x00", b"\xff" + bytes(range(2, 256)) + b"\x01\x01"),
    (bytes(range(3, 256)) + b"\x00\x01", b"\xfe" + bytes(range(3, 256)) + b"\x02\x01"),
]
# The short forms of the published examples: no final code after a full block.
COBS_SHORT_FORMS = [
    (b"\xff" + bytes(range(1, 255)), bytes(range(1, 255))),
    (b"\x01\xff" + bytes(range(1, 255)), b"\x00" + bytes(range(1, 255))),
]


def test_cobs_known_vectors(harness):
    for data, encoded in COBS_VECTORS:
        assert cobs_encode(data) == encoded and cobs_decode(encoded) == data  # the vectors are fp1.py's
    requests = [f"cobs_encode {_hex(data)}" for data, _ in COBS_VECTORS]
    requests += [f"cobs_decode {_hex(encoded)}" for _, encoded in COBS_VECTORS]
    requests += [f"cobs_decode {_hex(encoded)}" for encoded, _ in COBS_SHORT_FORMS]
    answers = harness.ask(requests)
    n = len(COBS_VECTORS)
    assert [_bytes(answer) for answer in answers[:n]] == [encoded for _, encoded in COBS_VECTORS]
    assert [_bytes(answer) for answer in answers[n:2 * n]] == [data for data, _ in COBS_VECTORS]
    assert [_bytes(answer) for answer in answers[2 * n:]] == [data for _, data in COBS_SHORT_FORMS]
    assert [cobs_decode(encoded) for encoded, _ in COBS_SHORT_FORMS] == [data for _, data in COBS_SHORT_FORMS]


def _random_bytes(rng: random.Random, max_length: int) -> bytes:
    """Random bytes rich in zeros and in long non-zero runs (the COBS edge cases)."""
    kind = rng.randrange(4)
    length = rng.randrange(0, max_length + 1)
    if kind == 0:
        return rng.randbytes(length)
    if kind == 1:
        return bytes(rng.choice((0, 0, rng.randrange(1, 256))) for _ in range(length))
    if kind == 2:
        return bytes(rng.randrange(1, 256) for _ in range(length))
    runs = [n for n in (253, 254, 255, 508, 509) if n <= max_length] or [max_length]
    data = rng.randbytes(rng.randrange(0, 4)) + bytes(rng.randrange(1, 256) for _ in range(rng.choice(runs)))
    return (data + bytes(rng.randrange(0, 3)))[:max_length]


def test_cobs_encoding_matches_fp1_py_on_random_data(harness):
    rng = random.Random(2)
    inputs = [_random_bytes(rng, 700) for _ in range(300)]
    answers = harness.ask([f"cobs_encode {_hex(data)}" for data in inputs])
    assert [_bytes(answer) for answer in answers] == [cobs_encode(data) for data in inputs]


def test_cobs_in_place_encoding_of_frame_sized_data(harness):
    rng = random.Random(3)
    inputs = [_random_bytes(rng, MAX_DECODED_BYTES) for _ in range(300)]  # no 254-byte run fits in 253 bytes
    answers = harness.ask([f"cobs_encode_in_place {_hex(data)}" for data in inputs])
    assert [_bytes(answer) for answer in answers] == [cobs_encode(data) for data in inputs]


def test_cobs_decoding_agrees_with_fp1_py_on_valid_and_invalid_input(harness):
    rng = random.Random(4)
    valid = [cobs_encode(_random_bytes(rng, 600)) for _ in range(150)]
    invalid = [b"\x00", b"\x05\x11", b"\x02\x00", b"\x03\x11\x00", b"\x01\x00\x01", b"\xff\x01"]
    noise = [rng.randbytes(rng.randrange(1, 40)) for _ in range(300)]  # mostly invalid, some valid
    damaged = []
    for encoded in valid[:60]:
        index = rng.randrange(len(encoded))
        damaged.append(encoded[:index] + bytes((rng.randrange(256),)) + encoded[index + 1:])
    inputs = valid + invalid + noise + damaged
    answers = harness.ask([f"cobs_decode {_hex(data)}" for data in inputs])
    for data, answer in zip(inputs, answers):
        expected = cobs_decode(data)
        assert (None if answer == "ERR" else _bytes(answer)) == expected, data.hex()
    assert all(answer == "ERR" for answer in answers[len(valid):len(valid) + len(invalid)])


# --- device -> host messages ---------------------------------------------------------------------------------------

def _sample_cases() -> list[tuple[int, int, int, tuple[int, ...]]]:
    rng = random.Random(5)
    cases = [
        (0, 0, 0, (0, 0, 0, 0)),
        (65535, 2**32 - 1, 0x3F, (1, -2, 2**31 - 1, -2**31)),
        (65536, 2**32, 0, (0x7FFFFF, -0x800000, 0x800000, -1)),  # wrap: seq and t_us are taken modulo 2^16, 2^32
        (65537, 2**32 + 12_500, 0x20, (0x7FFFFF, 0, 0, 0)),
        (0x7FFF, 0x8000_0000, 0x10, (-1, -1, -1, -1)),
        (256, 0x0100_0000, 0x01, (0x100, 0x10000, 0x1000000, 0x01000001)),  # zero bytes everywhere
        (1, 80, 0x0F, (123456, -123456, 8_388_607, -8_388_608)),
    ]
    for _ in range(200):
        n_channels = rng.choice((4, 4, 4, 1, 2, 3, 8, 16, 60))
        raw = tuple(rng.choice(INT32_EDGES) if rng.random() < 0.3 else rng.randrange(-2**31, 2**31)
                    for _ in range(n_channels))
        cases.append((rng.choice((rng.randrange(0, 2**16), 0, 0xFFFF, 0x10000 + rng.randrange(2**16))),
                      rng.choice((rng.randrange(0, 2**32), 0, 2**32 - 1, 2**32 + rng.randrange(2**20))),
                      rng.randrange(0, 0x40), raw))
    return cases


def test_sample_frames_match_byte_for_byte(harness):
    cases = _sample_cases()
    answers = harness.ask([f"sample {seq} {t_us} {flags} {' '.join(map(str, raw))}" for seq, t_us, flags, raw in cases])
    for (seq, t_us, flags, raw), answer in zip(cases, answers):
        assert _bytes(answer) == sample_frame(seq, t_us, flags, raw), (seq, t_us, flags, raw)
    # And the host reads them back, wrap applied.
    four = [(case, answer) for case, answer in zip(cases, answers) if len(case[3]) == 4]
    messages = FrameParser().feed(b"".join(_bytes(answer) for _, answer in four))
    assert messages == [Sample(seq & 0xFFFF, t_us & 0xFFFFFFFF, flags, raw) for (seq, t_us, flags, raw), _ in four]


def test_a_sample_that_cannot_fit_a_frame_is_refused(harness):
    largest = tuple(range(60))  # 1 + 7 + 4·60 + 2 = 250 bytes: fits
    answers = harness.ask([f"sample 1 2 0 {' '.join(map(str, largest))}",
                           f"sample 1 2 0 {' '.join(map(str, largest + (60,)))}"])
    assert _bytes(answers[0]) == sample_frame(1, 2, 0, largest)
    assert answers[1] == "ERR"
    with pytest.raises(ValueError):
        sample_frame(1, 2, 0, largest + (60,))


HELLO_CASES = [
    Hello(1, 1, 1, 4, 80, bytes.fromhex("0011223300445566"), ("TL", "TR", "BL", "BR")),  # AVR: 8 random bytes
    Hello(1, 1, 1, 4, 80, bytes.fromhex("a1b2c3d4e5f6"), ("TL", "TR", "BL", "BR")),  # ESP32: the efuse MAC
    Hello(1, 0xFFFF, 3, 4, 320, bytes.fromhex("000000000000"), ("TL", "TR", "BL", "BR")),
    Hello(1, 0x0100, 4, 4, 330, bytes(range(0, 32)), ("TL", "TR", "BL", "BR")),
    Hello(1, 2, 5, 8, 1000, b"", ("A", "B", "C", "D", "E", "F", "G", "H")),
    Hello(1, 2, 2, 1, 0xFFFF, b"\x00", ("gauche avant é",)),
    Hello(1, 7, 1, 4, 10, bytes(range(255, 0, -1))[:200], ("TL", "TR", "BL", "BR")),
    Hello(1, 7, 1, 60, 80, b"\x00" * 8, tuple(f"c{i}" for i in range(60))),
]


def _hello_request(hello: Hello) -> str:
    labels = ",".join(hello.labels).encode("utf-8")
    return (f"hello {hello.proto_ver} {hello.fw_ver} {hello.adc_kind} {hello.n_channels} {hello.nominal_hz} "
            f"{_hex(hello.uid)} {_hex(labels)}")


def test_hello_frames_match_byte_for_byte(harness):
    answers = harness.ask([_hello_request(hello) for hello in HELLO_CASES])
    for hello, answer in zip(HELLO_CASES, answers):
        assert _bytes(answer) == hello_frame(hello), hello
    assert FrameParser().feed(_bytes(answers[0])) == [HELLO_CASES[0]]


def test_hello_at_the_size_limit(harness):
    fits = Hello(1, 1, 1, 4, 80, b"\x01" * 8, ("x" * 234,))  # body 8 + 8 + 234 = 250
    too_long = Hello(1, 1, 1, 4, 80, b"\x01" * 8, ("x" * 235,))
    answers = harness.ask([_hello_request(fits), _hello_request(too_long)])
    assert _bytes(answers[0]) == hello_frame(fits)
    assert answers[1] == "ERR"
    with pytest.raises(ValueError):
        hello_frame(too_long)


def test_status_frames_match_byte_for_byte(harness):
    rng = random.Random(6)
    cases = [Status(0, 0, 0, 0), Status(2**32 - 1, 2**32 - 1, 2**32 - 1, 0xFFFF), Status(1000, 80, 0, 0),
             Status(0x0100, 0x010000, 0x01000000, 0x0100)]
    cases += [Status(rng.randrange(2**32), rng.randrange(2**32), rng.randrange(2**32), rng.randrange(2**16))
              for _ in range(100)]
    answers = harness.ask([f"status {s.uptime_ms} {s.n_samples} {s.n_dropped} {s.n_adc_timeouts}" for s in cases])
    assert [_bytes(answer) for answer in answers] == [status_frame(status) for status in cases]
    assert FrameParser().feed(b"".join(_bytes(answer) for answer in answers)) == cases


def test_ack_frames_match_byte_for_byte(harness):
    cases = [Ack(command, seq, result) for command in (*COMMANDS, 0x85, 0xFF) for seq in (0, 1, 0x7F, 0xFF, 0x10)
             for result in (0, 1)]
    answers = harness.ask([f"ack {a.cmd_type} {a.cmd_seq} {a.result}" for a in cases])
    assert [_bytes(answer) for answer in answers] == [ack_frame(ack) for ack in cases]


def test_log_frames_match_byte_for_byte(harness):
    rng = random.Random(7)
    texts = ["", "boot", "fp1_plate fw 1, HX711 80 Hz, uid 0011223300445566", "déjà vu — ошибка 🙂",
             "a" * 249, "b" * 250, "c" * 251, "d" * 253, "e" * 400, "é" * 126, "é" * 125 + "x" + "é" * 10,
             "🙂" * 70]
    texts += ["".join(rng.choice("abc XYZ0189,.:éß€🙂") for _ in range(rng.randrange(0, 300))) for _ in range(60)]
    answers = harness.ask([f"log_cstring {_hex(text.encode('utf-8'))}" for text in texts])
    for text, answer in zip(texts, answers):
        assert _bytes(answer) == log_frame(text), text
    # A cut inside a multi-byte character is the same cut on both sides; the host replaces the broken tail.
    assert FrameParser().feed(_bytes(answers[texts.index("é" * 126)])) == [Log("é" * 125)]


def test_log_bodies_with_zero_bytes_and_at_the_limit(harness):
    bodies = [b"\x00", b"\x00" * 250, b"a\x00b\x00\x00c", bytes(range(256))[:250], bytes(range(256)),
              b"\x01" * 253, (b"\x00\xff" * 200)]
    answers = harness.ask([f"log {_hex(body)}" for body in bodies])
    for body, answer in zip(bodies, answers):
        assert _bytes(answer) == encode_frame(LOG, body[:250]), body.hex()
        assert len(cobs_decode(_bytes(answer)[:-1])) <= MAX_DECODED_BYTES


def test_generic_frames_with_zeros_and_at_the_limit(harness):
    rng = random.Random(8)
    cases = [(SAMPLE, b""), (ACK, b"\x00\x00\x00"), (STATUS, bytes(14)), (HELLO, b"\x00" * 250),
             (0x7F, b"\xff" * 250), (0x00, b"\x00")]
    cases += [(rng.randrange(256), _random_bytes(rng, 250)[:250]) for _ in range(150)]
    answers = harness.ask([f"frame {kind} {_hex(body)}" for kind, body in cases] + [f"frame 5 {'61' * 251}"])
    for (kind, body), answer in zip(cases, answers):
        frame = _bytes(answer)
        assert frame == encode_frame(kind, body)
        assert frame.endswith(b"\x00") and b"\x00" not in frame[:-1]
    assert answers[-1] == "ERR"
    with pytest.raises(ValueError):
        encode_frame(LOG, b"a" * 251)


# --- host -> device: the command parser --------------------------------------------------------------------------

def _parse(harness: Harness, streams: list[bytes]) -> list[dict]:
    results = []
    for answer in harness.ask([f"parse {_hex(stream)}" for stream in streams]):
        fields = dict(item.split("=", 1) for item in answer.split())
        commands = [] if fields["commands"] == "-" else [tuple(int(part, 16) for part in command.split(":"))
                                                         for command in fields["commands"].split(",")]
        results.append({"commands": commands, **{key: int(value) for key, value in fields.items()
                                                  if key != "commands"}})
    return results


def _reference_device_parser(stream: bytes) -> dict:
    """What the device must do, written with fp1.py's pieces: split at 0x00, drop runs longer than the device's
    buffer, and accept a frame only when its COBS, CRC, type (a command, 0x80-0xFF) and length (cmd_seq) are good."""
    result = {"commands": [], "ok": 0, "cobs": 0, "crc": 0, "type": 0, "length": 0, "overlong": 0}
    pending = bytearray()
    discarding = False
    for byte in stream:
        if byte == 0:
            if not discarding and pending:
                decoded = cobs_decode(bytes(pending))
                if decoded is None or len(decoded) < 3:
                    result["cobs"] += 1
                elif crc16(decoded[:-2]) != int.from_bytes(decoded[-2:], "little"):
                    result["crc"] += 1
                elif decoded[0] < 0x80:
                    result["type"] += 1
                elif len(decoded) != 4:
                    result["length"] += 1
                else:
                    result["ok"] += 1
                    result["commands"].append((decoded[0], decoded[1]))
            discarding = False
            pending.clear()
        elif not discarding:
            if len(pending) >= DEVICE_PARSER_BUFFER:
                result["overlong"] += 1
                pending.clear()
                discarding = True
            else:
                pending.append(byte)
    result["bad"] = sum(result[key] for key in ("cobs", "crc", "type", "length", "overlong"))
    return result


def test_good_commands_are_accepted(harness):
    cases = [(command, seq) for command in COMMANDS for seq in range(256)]
    results = _parse(harness, [command_frame(command, seq) for command, seq in cases])
    for (command, seq), result in zip(cases, results):
        assert result["commands"] == [(command, seq)] and result["ok"] == 1 and result["bad"] == 0
    # Many in one stream, with idle delimiters between them (not frames, not counted).
    stream = b"\x00\x00" + b"\x00".join(command_frame(command, seq) for command, seq in cases[::7]) + b"\x00"
    (result,) = _parse(harness, [stream])
    assert result["commands"] == cases[::7] and result["bad"] == 0


def test_every_single_bit_flip_is_rejected(harness):
    streams, expected = [], []
    for command, seq in ((GET_INFO, 0), (START, 1), (STOP, 0x80), (PING, 0xFF), (PING, 0x2A), (GET_INFO, 0x10)):
        frame = command_frame(command, seq)
        for index in range(len(frame)):
            for bit in range(8):
                damaged = bytearray(frame)
                damaged[index] ^= 1 << bit
                streams.append(bytes(damaged))
                expected.append(_reference_device_parser(bytes(damaged)))
    results = _parse(harness, streams)
    assert results == expected
    assert all(result["commands"] == [] for result in results)
    # Every damaged frame that reached a delimiter was counted as bad.
    assert all(result["bad"] >= 1 for stream, result in zip(streams, results) if stream.endswith(b"\x00"))


def test_truncated_and_garbage_prefixed_frames_are_rejected_then_the_parser_resyncs(harness):
    rng = random.Random(9)
    frame = command_frame(PING, 0x33)
    streams = [frame[:cut] + b"\x00" for cut in range(1, len(frame) - 1)]  # truncated: each must be dropped
    streams += [frame[:-1][:cut] + frame[-1:] for cut in range(1, 4)]
    garbage = [bytes(rng.randrange(1, 256) for _ in range(n)) for n in (1, 2, 5, 11, 15, 16, 17, 40, 300)]
    streams += [junk + frame for junk in garbage]  # garbage glued to the frame: one bad frame
    streams += [junk + b"\x00" + frame for junk in garbage]  # garbage closed by a delimiter: the frame survives
    streams += [rng.randbytes(n) + b"\x00" + frame for n in (3, 20, 500)]
    results = _parse(harness, streams)
    assert results == [_reference_device_parser(stream) for stream in streams]
    n_truncated = (len(frame) - 2) + 3
    for result in results[:n_truncated + len(garbage)]:
        assert result["commands"] == [] and result["bad"] >= 1
    for result in results[n_truncated + len(garbage):]:
        assert result["commands"] == [(PING, 0x33)]
    assert any(result["overlong"] for result in results)


def test_frames_that_are_not_good_commands_are_rejected(harness):
    streams = [
        ack_frame(Ack(GET_INFO, 1, 0)),  # a device -> host type: bad type
        log_frame("hi"),
        sample_frame(1, 2, 0, (1, 2, 3, 4)),  # longer than any command: overlong
        encode_frame(GET_INFO, b""),  # no cmd_seq: bad length
        encode_frame(PING, b"\x01\x02"),
        b"\x01\x00",  # decodes to one byte: too short
        b"\x02\x81\x00",
        encode_frame(0x7F, b"\x01"),  # shaped like a command, but of a device -> host type
        encode_frame(0x00, b"\x01"),
    ]
    results = _parse(harness, streams)
    assert results == [_reference_device_parser(stream) for stream in streams]
    assert all(result["commands"] == [] and result["bad"] == 1 for result in results)
    assert [results[i]["type"] for i in (0, 1)] == [1, 1]
    assert results[2]["overlong"] == 1
    assert [results[i]["length"] for i in (3, 4)] == [1, 1]
    assert [results[i]["type"] for i in (7, 8)] == [1, 1]


def test_an_unknown_command_is_parsed_so_that_the_device_can_refuse_it(harness):
    (result,) = _parse(harness, [encode_frame(0x85, b"\x07") + encode_frame(0xFF, b"\x00")])
    assert result["commands"] == [(0x85, 0x07), (0xFF, 0x00)]


def test_random_streams_of_commands_and_noise_agree_with_the_reference(harness):
    rng = random.Random(10)
    streams = []
    for _ in range(300):
        pieces = []
        for _ in range(rng.randrange(1, 12)):
            kind = rng.randrange(6)
            if kind <= 1:
                pieces.append(command_frame(rng.choice(COMMANDS), rng.randrange(256)))
            elif kind == 2:
                frame = bytearray(command_frame(rng.choice(COMMANDS), rng.randrange(256)))
                frame[rng.randrange(len(frame))] = rng.randrange(256)
                pieces.append(bytes(frame))
            elif kind == 3:
                pieces.append(rng.randbytes(rng.randrange(1, 30)))
            elif kind == 4:
                pieces.append(b"\x00" * rng.randrange(1, 3))
            else:
                pieces.append(rng.choice((sample_frame(rng.randrange(2**16), rng.randrange(2**32), 0, (1, 2, 3, 4)),
                                          ack_frame(Ack(PING, 1, 0)), encode_frame(0x90, b"\x01"))))
        streams.append(b"".join(pieces))
    results = _parse(harness, streams)
    assert results == [_reference_device_parser(stream) for stream in streams]
    assert sum(len(result["commands"]) for result in results) > 300


# --- the whole sketch, built for the Uno and the Nano where Debian's AVR toolchain is installed ------------------

ARDUINO_HARDWARE = Path("/usr/share/arduino/hardware")
AVR_PACKAGES = "gcc-avr avr-libc binutils-avr arduino-core-avr arduino-builder arduino-ctags"
AVR_BUILDS = [
    ("arduino:avr:uno", None),
    ("arduino:avr:nano:cpu=atmega328", None),
    ("arduino:avr:uno", "FP1_ADC_NAU7802"),
    ("arduino:avr:uno", "FP1_ADC_ADS1220"),
]
ATMEGA328P_RAM_BYTES = 2048


_BUILDS: dict[tuple[str, str | None], tuple[Path, str]] = {}


def _build_sketch(fqbn: str, adc_flag: str | None, tmp_path_factory) -> tuple[Path, str]:
    """Builds fp1_plate.ino with Debian's arduino-builder (once per board and flag in a test session); returns
    the build folder and the builder's output."""
    if (fqbn, adc_flag) in _BUILDS:
        return _BUILDS[fqbn, adc_flag]
    if not (shutil.which("arduino-builder") and shutil.which("avr-g++")
            and (ARDUINO_HARDWARE / "arduino" / "avr" / "platform.txt").is_file()):
        pytest.skip(f"no AVR Arduino toolchain here (Debian packages: {AVR_PACKAGES})")
    # Debian's arduino-core-avr 1.8.7 expects an avr-gcc whose <float.h> gives C++ DECIMAL_DIG; 5.4's does not.
    flags = "-DDECIMAL_DIG=__DECIMAL_DIG__" + (f" -D{adc_flag}" if adc_flag else "")
    build_dir = tmp_path_factory.mktemp("fp1-avr-build")
    build = subprocess.run(
        ["arduino-builder", "-compile", "-hardware", str(ARDUINO_HARDWARE), "-tools", str(ARDUINO_HARDWARE / "tools"),
         "-tools", "/usr/share/arduino-builder", "-fqbn", fqbn, "-build-path", str(build_dir), "-warnings", "all",
         f"-prefs=compiler.cpp.extra_flags={flags}", str(FIRMWARE_DIR / "fp1_plate.ino")],
        capture_output=True, text=True, timeout=300)
    output = build.stdout + build.stderr
    assert build.returncode == 0, output[-6000:]
    _BUILDS[fqbn, adc_flag] = build_dir, output
    return build_dir, output


@pytest.mark.parametrize(("fqbn", "adc_flag"), AVR_BUILDS, ids=lambda value: str(value).replace(":", "-"))
def test_sketch_builds_for_avr(fqbn, adc_flag, tmp_path_factory):
    _, output = _build_sketch(fqbn, adc_flag, tmp_path_factory)
    # The core has warnings of its own; the sketch and the protocol code have none.
    sketch_warnings = [line for line in output.splitlines()
                       if ("fp1_plate.ino" in line or "fp1_protocol" in line) and "warning" in line]
    assert sketch_warnings == []
    ram = [line for line in output.splitlines() if line.startswith("Global variables use")]
    assert ram, output[-2000:]
    used = int(ram[0].split()[3])
    assert used <= 0.75 * ATMEGA328P_RAM_BYTES, f"{used} bytes of static RAM leave too little stack: {ram[0]}"


# --- the Uno build running in simavr, with four emulated HX711s (tests/firmware_avr_sim.c) -------------------------

SIM_SOURCE = Path(__file__).resolve().parent / "firmware_avr_sim.c"
SIMAVR_INCLUDE = Path("/usr/include/simavr")
HX711_BASE = (100000, -200000, 3000000, -5000000)  # as in firmware_avr_sim.c
HX711_PERIOD_US = 12500


@pytest.fixture(scope="module")
def avr_simulation(tmp_path_factory):
    """A function running the Uno firmware in simavr: (seconds, *options) -> SimulationRun."""
    build_dir, _ = _build_sketch("arduino:avr:uno", None, tmp_path_factory)
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None or not (SIMAVR_INCLUDE / "sim_avr.h").is_file():
        pytest.skip("no simavr here (Debian packages: simavr libsimavr-dev)")
    simulator = tmp_path_factory.mktemp("simavr") / "firmware_avr_sim"
    compiled = subprocess.run([compiler, "-O2", "-Wall", "-Wextra", "-Werror", f"-I{SIMAVR_INCLUDE}", str(SIM_SOURCE),
                               "-o", str(simulator), "-lsimavr"], capture_output=True, text=True, timeout=120)
    assert compiled.returncode == 0, compiled.stderr
    elf = build_dir / "fp1_plate.ino.elf"

    def run(seconds: float, *options: str) -> SimulationRun:
        done = subprocess.run([str(simulator), str(elf), str(seconds), *options], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return SimulationRun(done.stdout)

    return run


class SimulationRun:
    """What the emulated plate did: the FP1 messages it sent (with the time each frame started, in us of
    simulated time) and the conversions it clocked out of each HX711."""

    def __init__(self, output: str) -> None:
        self.messages: list[tuple[int, object]] = []
        self.reads: list[list[tuple[int, int]]] = [[] for _ in range(4)]  # per chip: (t_us, value)
        self.long_highs: list[int] = []
        self.stray_pulses: list[int] = []
        self.wire = bytearray()
        self.parser = FrameParser()
        frame_started_us = None
        for line in output.splitlines():
            fields = line.split()
            if not fields:
                continue
            if fields[0] == "U":
                t_us, byte = int(fields[1]), int(fields[2])
                self.wire.append(byte)
                if frame_started_us is None:
                    frame_started_us = t_us
                for message in self.parser.feed(bytes((byte,))):
                    self.messages.append((frame_started_us, message))
                if byte == 0:
                    frame_started_us = None
            elif fields[0] == "R":
                self.reads[int(fields[1])].append((int(fields[4]), int(fields[3])))
            elif fields[0] == "L":
                self.long_highs.append(int(fields[1]))
            elif fields[0] == "X":
                self.stray_pulses.append(int(fields[1]))

    def of(self, kind) -> list:
        return [message for _, message in self.messages if isinstance(message, kind)]

    def timed(self, kind) -> list:
        return [(t_us, message) for t_us, message in self.messages if isinstance(message, kind)]

    def last_read_before(self, chip: int, t_us: int) -> int | None:
        values = [value for read_us, value in self.reads[chip] if read_us <= t_us]
        return values[-1] if values else None


def _commands(*items: tuple[int, bytes]) -> list[str]:
    return [f"at={at_ms}:{data.hex()}" for at_ms, data in items]


def test_emulated_plate_streams_fp1_and_answers_commands(avr_simulation):
    corrupted_ping = bytearray(command_frame(PING, 7))
    corrupted_ping[2] ^= 0x04
    run = avr_simulation(2.3, *_commands(
        (600, command_frame(GET_INFO, 1) + command_frame(PING, 2)),
        (1000, command_frame(STOP, 3)),
        (1300, command_frame(START, 4)),
        (1500, encode_frame(0x85, b"\x05") + bytes(corrupted_ping) + b"\x13\x37\x00" + command_frame(PING, 6)),
    ))
    # Nothing but good frames on the wire, the first of them a HELLO right after a lone delimiter.
    assert run.wire[0] == 0 and run.parser.counters.frames_bad == 0
    first = run.messages[0][1]
    assert first == Hello(1, 1, 1, 4, 80, first.uid, ("TL", "TR", "BL", "BR")) and len(first.uid) == 8
    assert run.of(Log)[0].text.startswith("fp1_plate fw 1: HX711, 4 channels at 80 Hz, uid " + first.uid.hex())

    # Commands: HELLO then ACK for GET_INFO, ACKs in order, result 1 for the unknown command; the two bad frames
    # are dropped, and said so in a LOG line.
    acks = run.of(Ack)
    assert acks == [Ack(GET_INFO, 1, 0), Ack(PING, 2, 0), Ack(STOP, 3, 0), Ack(START, 4, 0), Ack(0x85, 5, 1),
                    Ack(PING, 6, 0)]
    kinds = [type(message) for _, message in run.messages]
    get_info_ack = next(i for i, (_, m) in enumerate(run.messages) if m == Ack(GET_INFO, 1, 0))
    assert kinds[get_info_ack - 1] is Hello
    assert any("dropped 2 bad command frames" in log.text for log in run.of(Log))

    # SAMPLEs: consecutive seq (none dropped, none while stopped), about 80 Hz, no timeouts.
    samples = run.timed(Sample)
    assert [s.seq for _, s in samples] == list(range(len(samples)))
    stop_at = next(t for t, m in run.messages if m == Ack(STOP, 3, 0))
    start_at = next(t for t, m in run.messages if m == Ack(START, 4, 0))
    assert not [s for t, s in samples if stop_at < t < start_at]
    assert [s for t, s in samples if t > start_at], "streaming resumes after START"
    running = [s for t, s in samples if t < stop_at]
    intervals = [b.t_us - a.t_us for a, b in zip(running, running[1:])]
    assert abs(sum(intervals) / len(intervals) - HX711_PERIOD_US) < 0.02 * HX711_PERIOD_US
    assert all(s.flags & 0x1F == 0 for _, s in samples)

    # Each SAMPLE carries the conversion last clocked out of each HX711 by its t_us, and the saturation flag
    # exactly when one of them is at full scale. micros() runs some 400 us behind the simulated clock (it starts
    # with the firmware's init()); a set is made right after the read that completes it, and reading a chip takes
    # some 250 us, so 100 us of slack cannot take in the next read.
    offset_us = statistics.median(
        max(read_us for chip in range(4) for read_us, _ in run.reads[chip] if read_us <= frame_us) - sample.t_us
        for frame_us, sample in samples)
    for _, sample in samples:
        assert sample.raw == tuple(run.last_read_before(chip, sample.t_us + offset_us + 100) for chip in range(4))
        assert bool(sample.flags & 0x20) == any(raw in (0x7FFFFF, -0x800000) for raw in sample.raw)
    assert any(sample.flags & 0x20 for _, sample in samples)
    assert [raw - base for raw, base in zip(samples[0][1].raw, HX711_BASE)] != [0, 0, 0, 0]

    # The HX711 clock: SCK high for more than 60 us only in the deliberate reset at boot, once per chip (the
    # critical section holds), and never a pulse to a chip with nothing ready.
    assert sorted(run.long_highs) == [0, 1, 2, 3]
    assert run.stray_pulses == []

    status = run.of(Status)
    assert len(status) == 2 and 1000 <= status[0].uptime_ms <= 1150 and 1000 <= status[1].uptime_ms - status[0].uptime_ms <= 1020
    assert status[-1].n_dropped == 0 and status[-1].n_adc_timeouts == 0 and status[0].n_samples >= 70


def test_emulated_plate_with_a_missing_hx711_keeps_its_rate_and_flags_the_channel(avr_simulation):
    run = avr_simulation(2.0, "absent=3")
    assert run.parser.counters.frames_bad == 0
    samples = run.of(Sample)
    assert samples and all(s.flags & 0x0F == 0x08 for s in samples)
    assert [s.seq for s in samples] == list(range(len(samples)))
    intervals = [b.t_us - a.t_us for a, b in zip(samples, samples[1:])]
    assert abs(sum(intervals) / len(intervals) - HX711_PERIOD_US) < 0.02 * HX711_PERIOD_US
    assert any(log.text.startswith("channel BR timed out") for log in run.of(Log))
    assert run.of(Status)[0].n_adc_timeouts > 0


def test_emulated_plate_says_when_an_hx711_runs_at_10_hz(avr_simulation):
    run = avr_simulation(1.5, "slow=1")
    assert run.parser.counters.frames_bad == 0
    assert any("channel TR converts" in log.text and "RATE pin" in log.text for log in run.of(Log))
    # Here the LOG lines hold up a Uno's loop long enough to lose a sample or two: a seq gap, and the dropped flag
    # on the next SAMPLE, go together.
    samples = run.of(Sample)
    for previous, sample in zip(samples, samples[1:]):
        assert (sample.seq != previous.seq + 1) == bool(sample.flags & 0x10)
