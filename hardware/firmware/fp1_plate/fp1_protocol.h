// FP1 serial plate protocol (DESIGN.md B.5), device side: framing, message encoders and the command parser.
//
// Plain portable C++11 with no Arduino header, so that the host tests (tests/test_firmware_protocol.py) compile
// this very file with g++ and compare its bytes with hardware/fp1.py. No heap, no STL, no exceptions: it runs
// unchanged on an ATmega328P (2 KiB of RAM), an ESP32 and a PC.
//
// On the wire every message is one frame: COBS(type:u8 | body | crc:u16le) followed by a single 0x00.
// crc is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor) over type | body.
// All integers are little-endian. A decoded frame (type, body and crc) is at most 253 bytes.
#ifndef FP1_PROTOCOL_H
#define FP1_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

namespace fp1 {

const uint8_t PROTOCOL_VERSION = 1;
const size_t MAX_DECODED_BYTES = 253;                    // type + body + crc
const size_t MAX_BODY_BYTES = MAX_DECODED_BYTES - 3;     // 250
const size_t MAX_ENCODED_BYTES = MAX_DECODED_BYTES + 1;  // COBS adds one byte (frames never reach 254 bytes)
const size_t MAX_FRAME_BYTES = MAX_ENCODED_BYTES + 1;    // with the 0x00 delimiter: the size of a frame buffer

// Message types, device -> host.
const uint8_t SAMPLE = 0x01, HELLO = 0x02, STATUS = 0x03, ACK = 0x04, LOG = 0x05;
// Commands, host -> device; each body is cmd_seq:u8.
const uint8_t GET_INFO = 0x81, START = 0x82, STOP = 0x83, PING = 0x84;

// SAMPLE flags.
const uint8_t FLAG_CHANNEL_TIMEOUT_MASK = 0x0F;  // bit i: channel i timed out
const uint8_t FLAG_DEVICE_DROPPED = 0x10;        // samples were dropped on the device since the previous frame
const uint8_t FLAG_ADC_SATURATED = 0x20;

// HELLO adc_kind.
const uint8_t ADC_HX711 = 1, ADC_HX71708 = 2, ADC_NAU7802 = 3, ADC_ADS1220 = 4, ADC_ADS1256 = 5;

// ACK result. B.5 fixes only 0 = ok; the others are this firmware's.
const uint8_t RESULT_OK = 0;
const uint8_t RESULT_UNKNOWN_COMMAND = 1;  // a good frame whose type is a command type (0x80-0xFF) not known here

// CRC-16/CCITT-FALSE. Pass a previous result as `crc` to continue over more bytes.
uint16_t crc16(const uint8_t* data, size_t length, uint16_t crc = 0xFFFF);

// COBS-encodes `length` bytes into `out`, which must hold length + length / 254 + 1 bytes; returns the encoded
// length. The output holds no 0x00 and no delimiter is added. `out` may be `data - 1` (encoding in place, one byte
// to the left) when `data` has no run of 254 non-zero bytes, which holds for every FP1 frame.
size_t cobs_encode(const uint8_t* data, size_t length, uint8_t* out);

// COBS-decodes `length` bytes (without the delimiter) into `out` (capacity `capacity`). Returns false where the
// encoding is invalid (a 0x00 inside, a code running past the end) or the result would not fit. `out` may equal
// `data` (decoding in place).
bool cobs_decode(const uint8_t* data, size_t length, uint8_t* out, size_t capacity, size_t* decoded_length);

// Message encoders. Each writes one complete frame, delimiter included, into `out` (MAX_FRAME_BYTES bytes) and
// returns its length, or 0 where the message would not fit in a frame (nothing sensible is written then).
size_t encode_frame(uint8_t type, const uint8_t* body, size_t body_length, uint8_t* out);
size_t encode_sample(uint16_t seq, uint32_t t_us, uint8_t flags, const int32_t* raw, uint8_t n_channels,
                     uint8_t* out);

struct Hello {
    uint8_t proto_ver;
    uint16_t fw_ver;
    uint8_t adc_kind;
    uint8_t n_channels;
    uint16_t nominal_hz;
    const uint8_t* uid;
    uint8_t uid_length;
    const char* labels;  // comma-separated, NUL-terminated, e.g. "TL,TR,BL,BR"
};
size_t encode_hello(const Hello& hello, uint8_t* out);

size_t encode_status(uint32_t uptime_ms, uint32_t n_samples, uint32_t n_dropped, uint16_t n_adc_timeouts,
                     uint8_t* out);
size_t encode_ack(uint8_t cmd_type, uint8_t cmd_seq, uint8_t result, uint8_t* out);

// LOG: text bytes (utf-8), cut to MAX_BODY_BYTES like hardware.fp1.log_frame (a cut may split a utf-8 sequence;
// the host decodes with replacement). The first form takes a NUL-terminated string, the second any bytes.
size_t encode_log(const char* text, uint8_t* out);
size_t encode_log(const uint8_t* text, size_t length, uint8_t* out);

// True for the four commands of B.5.
bool is_known_command(uint8_t type);

struct Command {
    uint8_t type;  // 0x80-0xFF; may be a command this firmware does not know (see is_known_command)
    uint8_t seq;
};

struct ParserCounters {
    uint32_t frames_ok;
    uint32_t bad_cobs;    // invalid COBS, or shorter than type + crc
    uint32_t bad_crc;
    uint32_t bad_type;    // a good frame whose type is not a command (0x00-0x7F: device -> host messages)
    uint32_t bad_length;  // a command whose body is not exactly cmd_seq:u8
    uint32_t overlong;    // runs without a delimiter longer than any command frame: garbage, dropped
};

// Host -> device frames, one byte at a time. A command frame is 5 encoded bytes; anything that is not a good
// command frame is dropped and counted, and the parser resynchronises at the next 0x00 as the host's does.
class CommandParser {
public:
    CommandParser();
    // Feeds one byte; returns true (and fills `command`) when the byte completed a good command frame.
    bool feed(uint8_t byte, Command* command);
    const ParserCounters& counters() const { return counters_; }
    uint32_t frames_bad() const;
    void reset();

private:
    // A command frame decodes to 4 bytes and encodes to 5; the buffer allows longer frames from a future
    // protocol version to be recognised as well-formed but of the wrong length rather than as garbage.
    static const size_t BUFFER_BYTES = 16;
    uint8_t buffer_[BUFFER_BYTES];
    uint8_t length_;
    bool discarding_;
    ParserCounters counters_;
    bool decode(Command* command);
};

}  // namespace fp1

#endif  // FP1_PROTOCOL_H
