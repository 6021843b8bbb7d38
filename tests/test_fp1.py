"""The FP1 protocol (DESIGN.md B.5): COBS, CRC, frames, and a parser that survives any garbage."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.fp1 import (GET_INFO, MAX_DECODED_BYTES, SAMPLE, Ack, FrameParser, Hello, Log, Sample, Status,
                          ack_frame, cobs_decode, cobs_encode, command_frame, crc16, encode_frame, hello_frame,
                          log_frame, sample_frame, status_frame)

HELLO = Hello(1, 0x0102, 1, 4, 80, bytes.fromhex("a1b2c3d4e5f6"), ("TL", "TR", "BL", "BR"))


def test_crc_check_value_of_the_standard():
    assert crc16(b"123456789") == 0x29B1


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=700))
def test_cobs_round_trips_and_never_emits_a_zero(data):
    encoded = cobs_encode(data)
    assert 0 not in encoded and cobs_decode(encoded) == data


def test_cobs_known_vectors():
    # Vectors from the COBS paper's worked examples (Cheshire & Baker 1999).
    assert cobs_encode(b"\x00") == b"\x01\x01"
    assert cobs_encode(b"\x11\x22\x00\x33") == b"\x03\x11\x22\x02\x33"
    assert cobs_encode(bytes(range(1, 255))) == b"\xff" + bytes(range(1, 255)) + b"\x01"


def test_every_message_round_trips():
    stream = (hello_frame(HELLO) + sample_frame(65535, 2**32 - 1, 0x21, (1, -2, 2**31 - 1, -2**31))
              + status_frame(Status(1000, 80, 3, 1)) + ack_frame(Ack(GET_INFO, 7, 0)) + log_frame("boot ok"))
    messages = FrameParser().feed(stream)
    assert messages == [HELLO, Sample(65535, 2**32 - 1, 0x21, (1, -2, 2**31 - 1, -2**31)), Status(1000, 80, 3, 1),
                        Ack(GET_INFO, 7, 0), Log("boot ok")]


def test_a_hello_sets_the_channel_count_of_later_samples():
    six = Hello(1, 1, 5, 6, 1000, b"", ("a", "b", "c", "d", "e", "f"))
    parser = FrameParser()
    messages = parser.feed(hello_frame(six) + sample_frame(1, 2, 0, (1, 2, 3, 4, 5, 6)))
    assert messages[1].raw == (1, 2, 3, 4, 5, 6)
    assert parser.feed(sample_frame(2, 3, 0, (1, 2, 3, 4))) == [] and parser.counters.bad_length == 1


def test_garbage_is_dropped_counted_and_the_parser_resynchronises():
    good = [sample_frame(i, 1000 * i, 0, (i, i, i, i)) for i in range(20)]
    stream = b"\x13\x37garbage" + good[0] + b"\xff" * 600 + b"\x00" + b"".join(good[1:])
    parser = FrameParser()
    messages = parser.feed(stream)
    # The garbage runs into frame 0 (no delimiter between them), so frame 0 is lost with it: that is the protocol.
    assert [m.seq for m in messages] == list(range(1, 20))
    assert parser.counters.overlong == 1 and parser.counters.frames_bad == 2


def test_unknown_type_and_wrong_length_are_counted():
    parser = FrameParser()
    assert parser.feed(encode_frame(0x42, b"x") + encode_frame(SAMPLE, b"\x01\x02")) == []
    assert parser.counters.unknown_type == 1 and parser.counters.bad_length == 1


def test_commands_are_frames_the_device_side_can_parse():
    assert command_frame(GET_INFO, 9) == encode_frame(GET_INFO, b"\x09")
    with pytest.raises(ValueError):
        command_frame(SAMPLE, 1)
    with pytest.raises(ValueError, match="at most"):
        encode_frame(0x05, bytes(MAX_DECODED_BYTES))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.lists(st.integers(0, 10**6), min_size=1, max_size=20))
def test_corruption_is_never_accepted_as_a_sample(seed, flips):
    """Single-bit flips anywhere in a stream of samples: what comes out was sent, byte for byte."""
    rng = random.Random(seed)
    sent = {i: (i, rng.randrange(-2**31, 2**31), rng.randrange(-2**31, 2**31), 0, 5) for i in range(200)}
    stream = bytearray(b"".join(sample_frame(i, i * 3125, 0, raw[1:]) for i, raw in sent.items()))
    for flip in flips:
        stream[flip % len(stream)] ^= 1 << rng.randrange(8)
    parser = FrameParser()
    received = []
    chunk = rng.randrange(1, 64)
    for start in range(0, len(stream), chunk):
        received += parser.feed(bytes(stream[start:start + chunk]))
    for message in received:
        assert isinstance(message, Sample) and message.raw == sent[message.seq][1:]
    assert len(received) + parser.counters.frames_bad >= 200 - len(flips)
