// FP1 serial plate protocol, device side. See fp1_protocol.h and DESIGN.md B.5.
#include "fp1_protocol.h"

#include <string.h>

namespace fp1 {

uint16_t crc16(const uint8_t* data, size_t length, uint16_t crc) {
    for (size_t i = 0; i < length; ++i) {
        // Unsigned arithmetic throughout: on AVR an int is 16 bits and a uint8_t << 8 would overflow it.
        crc = static_cast<uint16_t>(crc ^ (static_cast<unsigned int>(data[i]) << 8));
        for (uint8_t bit = 0; bit < 8; ++bit) {
            const bool top = (crc & 0x8000u) != 0;
            crc = static_cast<uint16_t>(static_cast<unsigned int>(crc) << 1);
            if (top) {
                crc = static_cast<uint16_t>(crc ^ 0x1021u);
            }
        }
    }
    return crc;
}

size_t cobs_encode(const uint8_t* data, size_t length, uint8_t* out) {
    // Each byte is read before anything is written at its position, which is what makes encoding one byte to
    // the left in place safe while no 254-byte run forces an extra code byte.
    size_t code_at = 0;
    size_t written = 1;
    uint8_t code = 1;
    for (size_t i = 0; i < length; ++i) {
        const uint8_t byte = data[i];
        if (byte == 0) {
            out[code_at] = code;
            code_at = written++;
            code = 1;
        } else {
            out[written++] = byte;
            if (++code == 0xFF) {
                out[code_at] = code;
                code_at = written++;
                code = 1;
            }
        }
    }
    out[code_at] = code;
    return written;
}

bool cobs_decode(const uint8_t* data, size_t length, uint8_t* out, size_t capacity, size_t* decoded_length) {
    size_t index = 0;
    size_t written = 0;
    while (index < length) {
        const uint8_t code = data[index];
        if (code == 0 || index + code > length) {
            return false;
        }
        ++index;
        for (uint8_t i = 1; i < code; ++i) {
            const uint8_t byte = data[index++];
            if (byte == 0 || written >= capacity) {
                return false;
            }
            out[written++] = byte;
        }
        // A block shorter than 254 bytes stood for a 0x00, except at the very end.
        if (code != 0xFF && index < length) {
            if (written >= capacity) {
                return false;
            }
            out[written++] = 0;
        }
    }
    *decoded_length = written;
    return true;
}

namespace {

// A frame is built in `out` from index 1 on (type, body, crc), COBS-encoded one byte to the left in place, then
// closed with the delimiter. Index 0 is where the first COBS code lands.
const size_t PAYLOAD_AT = 1;

void put_u16(uint8_t* at, uint16_t value) {
    at[0] = static_cast<uint8_t>(value);
    at[1] = static_cast<uint8_t>(value >> 8);
}

void put_u32(uint8_t* at, uint32_t value) {
    at[0] = static_cast<uint8_t>(value);
    at[1] = static_cast<uint8_t>(value >> 8);
    at[2] = static_cast<uint8_t>(value >> 16);
    at[3] = static_cast<uint8_t>(value >> 24);
}

// Finishes a frame whose type and body (body_length bytes) are already at out[PAYLOAD_AT...].
size_t finish_frame(size_t body_length, uint8_t* out) {
    uint8_t* payload = out + PAYLOAD_AT;
    const size_t payload_length = 1 + body_length;
    put_u16(payload + payload_length, crc16(payload, payload_length));
    const size_t encoded_length = cobs_encode(payload, payload_length + 2, out);
    out[encoded_length] = 0;
    return encoded_length + 1;
}

uint8_t* body_of(uint8_t* out) { return out + PAYLOAD_AT + 1; }

}  // namespace

size_t encode_frame(uint8_t type, const uint8_t* body, size_t body_length, uint8_t* out) {
    if (body_length > MAX_BODY_BYTES) {
        return 0;
    }
    out[PAYLOAD_AT] = type;
    if (body_length > 0) {
        memmove(body_of(out), body, body_length);
    }
    return finish_frame(body_length, out);
}

size_t encode_sample(uint16_t seq, uint32_t t_us, uint8_t flags, const int32_t* raw, uint8_t n_channels,
                     uint8_t* out) {
    const size_t body_length = 7 + 4 * static_cast<size_t>(n_channels);
    if (body_length > MAX_BODY_BYTES) {
        return 0;
    }
    out[PAYLOAD_AT] = SAMPLE;
    uint8_t* body = body_of(out);
    put_u16(body, seq);
    put_u32(body + 2, t_us);
    body[6] = flags;
    for (uint8_t channel = 0; channel < n_channels; ++channel) {
        put_u32(body + 7 + 4 * channel, static_cast<uint32_t>(raw[channel]));
    }
    return finish_frame(body_length, out);
}

size_t encode_hello(const Hello& hello, uint8_t* out) {
    const size_t labels_length = hello.labels ? strlen(hello.labels) : 0;
    const size_t body_length = 8 + static_cast<size_t>(hello.uid_length) + labels_length;
    if (body_length > MAX_BODY_BYTES) {
        return 0;
    }
    out[PAYLOAD_AT] = HELLO;
    uint8_t* body = body_of(out);
    body[0] = hello.proto_ver;
    put_u16(body + 1, hello.fw_ver);
    body[3] = hello.adc_kind;
    body[4] = hello.n_channels;
    put_u16(body + 5, hello.nominal_hz);
    body[7] = hello.uid_length;
    if (hello.uid_length > 0) {
        memcpy(body + 8, hello.uid, hello.uid_length);
    }
    if (labels_length > 0) {
        memcpy(body + 8 + hello.uid_length, hello.labels, labels_length);
    }
    return finish_frame(body_length, out);
}

size_t encode_status(uint32_t uptime_ms, uint32_t n_samples, uint32_t n_dropped, uint16_t n_adc_timeouts,
                     uint8_t* out) {
    out[PAYLOAD_AT] = STATUS;
    uint8_t* body = body_of(out);
    put_u32(body, uptime_ms);
    put_u32(body + 4, n_samples);
    put_u32(body + 8, n_dropped);
    put_u16(body + 12, n_adc_timeouts);
    return finish_frame(14, out);
}

size_t encode_ack(uint8_t cmd_type, uint8_t cmd_seq, uint8_t result, uint8_t* out) {
    out[PAYLOAD_AT] = ACK;
    uint8_t* body = body_of(out);
    body[0] = cmd_type;
    body[1] = cmd_seq;
    body[2] = result;
    return finish_frame(3, out);
}

size_t encode_log(const uint8_t* text, size_t length, uint8_t* out) {
    return encode_frame(LOG, text, length > MAX_BODY_BYTES ? MAX_BODY_BYTES : length, out);
}

size_t encode_log(const char* text, uint8_t* out) {
    return encode_log(reinterpret_cast<const uint8_t*>(text), text ? strlen(text) : 0, out);
}

bool is_known_command(uint8_t type) {
    return type == GET_INFO || type == START || type == STOP || type == PING;
}

CommandParser::CommandParser() { reset(); }

void CommandParser::reset() {
    length_ = 0;
    discarding_ = false;
    memset(&counters_, 0, sizeof counters_);
}

uint32_t CommandParser::frames_bad() const {
    return counters_.bad_cobs + counters_.bad_crc + counters_.bad_type + counters_.bad_length + counters_.overlong;
}

bool CommandParser::feed(uint8_t byte, Command* command) {
    if (byte == 0) {
        // Two delimiters in a row (an idle line, or a resync) are not a frame; an overlong run was counted already.
        const bool good = !discarding_ && length_ > 0 && decode(command);
        discarding_ = false;
        length_ = 0;
        return good;
    }
    if (discarding_) {
        return false;
    }
    if (length_ >= BUFFER_BYTES) {
        ++counters_.overlong;
        length_ = 0;
        discarding_ = true;
        return false;
    }
    buffer_[length_++] = byte;
    return false;
}

bool CommandParser::decode(Command* command) {
    size_t decoded_length = 0;
    if (!cobs_decode(buffer_, length_, buffer_, BUFFER_BYTES, &decoded_length) || decoded_length < 3) {
        ++counters_.bad_cobs;
        return false;
    }
    const size_t payload_length = decoded_length - 2;
    const uint16_t crc = static_cast<uint16_t>(buffer_[payload_length] |
                                               (static_cast<unsigned int>(buffer_[payload_length + 1]) << 8));
    if (crc16(buffer_, payload_length) != crc) {
        ++counters_.bad_crc;
        return false;
    }
    const uint8_t type = buffer_[0];
    if (type < 0x80) {
        ++counters_.bad_type;
        return false;
    }
    if (payload_length != 2) {
        ++counters_.bad_length;
        return false;
    }
    command->type = type;
    command->seq = buffer_[1];
    ++counters_.frames_ok;
    return true;
}

}  // namespace fp1
