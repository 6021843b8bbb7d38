// Host harness for the firmware's FP1 code (hardware/firmware/fp1_plate/fp1_protocol.cpp).
//
// Reads one request per line on stdin and writes one answer line per request on stdout, so that a test can send
// hundreds of cases through a single process. Byte strings travel as lowercase hex, "-" standing for no bytes;
// numbers are decimal (or 0x-prefixed). Requests:
//   crc HEX                              -> crc as 4 hex digits
//   cobs_encode HEX                      -> encoded bytes
//   cobs_encode_in_place HEX             -> encoded bytes, encoding one byte to the left in the same buffer
//   cobs_decode HEX                      -> decoded bytes, or ERR
//   frame TYPE HEX                       -> a frame (delimiter included), or ERR when it does not fit
//   sample SEQ T_US FLAGS RAW...         -> a SAMPLE frame
//   hello PROTO FW ADC N HZ UIDHEX LABELSHEX
//   status UPTIME_MS N_SAMPLES N_DROPPED N_TIMEOUTS
//   ack CMD_TYPE CMD_SEQ RESULT
//   log HEX                              -> a LOG frame from bytes
//   log_cstring HEX                      -> a LOG frame from a NUL-terminated string (HEX holds no 00)
//   parse HEX                            -> a fresh CommandParser fed HEX byte by byte:
//                                           "commands=TT:SS,... ok=N cobs=N crc=N type=N length=N overlong=N"
// Every buffer is allocated at exactly the size the header promises, so an AddressSanitizer build catches any
// write past it.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fp1_protocol.h"

namespace {

typedef std::vector<uint8_t> Bytes;

Bytes from_hex(const std::string& text) {
    Bytes bytes;
    if (text == "-") {
        return bytes;
    }
    if (text.size() % 2 != 0) {
        throw std::runtime_error("odd hex length");
    }
    for (size_t i = 0; i < text.size(); i += 2) {
        bytes.push_back(static_cast<uint8_t>(std::stoul(text.substr(i, 2), nullptr, 16)));
    }
    return bytes;
}

std::string to_hex(const uint8_t* data, size_t length) {
    static const char digits[] = "0123456789abcdef";
    if (length == 0) {
        return "-";
    }
    std::string text;
    for (size_t i = 0; i < length; ++i) {
        text += digits[data[i] >> 4];
        text += digits[data[i] & 0x0F];
    }
    return text;
}

long long number(std::istringstream& in) {
    std::string token;
    if (!(in >> token)) {
        throw std::runtime_error("missing number");
    }
    return std::stoll(token, nullptr, 0);
}

std::string word(std::istringstream& in) {
    std::string token;
    if (!(in >> token)) {
        throw std::runtime_error("missing argument");
    }
    return token;
}

// Runs an encoder into a heap buffer of exactly MAX_FRAME_BYTES and returns its answer line.
template <typename Encode>
std::string framed(Encode encode) {
    std::vector<uint8_t> out(fp1::MAX_FRAME_BYTES);
    const size_t length = encode(out.data());
    return length == 0 ? "ERR" : to_hex(out.data(), length);
}

std::string answer(const std::string& line) {
    std::istringstream in(line);
    const std::string op = word(in);
    if (op == "crc") {
        const Bytes data = from_hex(word(in));
        char text[8];
        std::snprintf(text, sizeof text, "%04x", fp1::crc16(data.data(), data.size()));
        return text;
    }
    if (op == "cobs_encode") {
        const Bytes data = from_hex(word(in));
        std::vector<uint8_t> out(data.size() + data.size() / 254 + 1);
        const size_t length = fp1::cobs_encode(data.data(), data.size(), out.data());
        return to_hex(out.data(), length);
    }
    if (op == "cobs_encode_in_place") {
        const Bytes data = from_hex(word(in));
        std::vector<uint8_t> buffer(data.size() + 1);
        std::copy(data.begin(), data.end(), buffer.begin() + 1);
        const size_t length = fp1::cobs_encode(buffer.data() + 1, data.size(), buffer.data());
        return to_hex(buffer.data(), length);
    }
    if (op == "cobs_decode") {
        const Bytes data = from_hex(word(in));
        std::vector<uint8_t> out(data.size());
        size_t length = 0;
        const bool good = fp1::cobs_decode(data.data(), data.size(), out.data(), out.size(), &length);
        return good ? to_hex(out.data(), length) : "ERR";
    }
    if (op == "frame") {
        const uint8_t type = static_cast<uint8_t>(number(in));
        const Bytes body = from_hex(word(in));
        return framed([&](uint8_t* out) { return fp1::encode_frame(type, body.data(), body.size(), out); });
    }
    if (op == "sample") {
        const uint16_t seq = static_cast<uint16_t>(number(in));
        const uint32_t t_us = static_cast<uint32_t>(number(in));
        const uint8_t flags = static_cast<uint8_t>(number(in));
        std::vector<int32_t> raw;
        std::string token;
        while (in >> token) {
            raw.push_back(static_cast<int32_t>(std::stoll(token, nullptr, 0)));
        }
        return framed([&](uint8_t* out) {
            return fp1::encode_sample(seq, t_us, flags, raw.data(), static_cast<uint8_t>(raw.size()), out);
        });
    }
    if (op == "hello") {
        fp1::Hello hello;
        hello.proto_ver = static_cast<uint8_t>(number(in));
        hello.fw_ver = static_cast<uint16_t>(number(in));
        hello.adc_kind = static_cast<uint8_t>(number(in));
        hello.n_channels = static_cast<uint8_t>(number(in));
        hello.nominal_hz = static_cast<uint16_t>(number(in));
        const Bytes uid = from_hex(word(in));
        const Bytes labels_bytes = from_hex(word(in));
        const std::string labels(labels_bytes.begin(), labels_bytes.end());
        hello.uid = uid.data();
        hello.uid_length = static_cast<uint8_t>(uid.size());
        hello.labels = labels.c_str();
        return framed([&](uint8_t* out) { return fp1::encode_hello(hello, out); });
    }
    if (op == "status") {
        const uint32_t uptime_ms = static_cast<uint32_t>(number(in));
        const uint32_t n_samples = static_cast<uint32_t>(number(in));
        const uint32_t n_dropped = static_cast<uint32_t>(number(in));
        const uint16_t n_timeouts = static_cast<uint16_t>(number(in));
        return framed([&](uint8_t* out) {
            return fp1::encode_status(uptime_ms, n_samples, n_dropped, n_timeouts, out);
        });
    }
    if (op == "ack") {
        const uint8_t type = static_cast<uint8_t>(number(in));
        const uint8_t seq = static_cast<uint8_t>(number(in));
        const uint8_t result = static_cast<uint8_t>(number(in));
        return framed([&](uint8_t* out) { return fp1::encode_ack(type, seq, result, out); });
    }
    if (op == "log") {
        const Bytes text = from_hex(word(in));
        return framed([&](uint8_t* out) { return fp1::encode_log(text.data(), text.size(), out); });
    }
    if (op == "log_cstring") {
        const Bytes text_bytes = from_hex(word(in));
        const std::string text(text_bytes.begin(), text_bytes.end());
        return framed([&](uint8_t* out) { return fp1::encode_log(text.c_str(), out); });
    }
    if (op == "parse") {
        const Bytes data = from_hex(word(in));
        fp1::CommandParser parser;
        std::string commands;
        for (size_t i = 0; i < data.size(); ++i) {
            fp1::Command command;
            if (parser.feed(data[i], &command)) {
                char text[8];
                std::snprintf(text, sizeof text, "%s%02x:%02x", commands.empty() ? "" : ",", command.type,
                              command.seq);
                commands += text;
            }
        }
        const fp1::ParserCounters& c = parser.counters();
        std::ostringstream out;
        out << "commands=" << (commands.empty() ? "-" : commands) << " ok=" << c.frames_ok << " cobs=" << c.bad_cobs
            << " crc=" << c.bad_crc << " type=" << c.bad_type << " length=" << c.bad_length
            << " overlong=" << c.overlong << " bad=" << parser.frames_bad();
        return out.str();
    }
    throw std::runtime_error("unknown request " + op);
}

}  // namespace

int main() {
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.empty()) {
            continue;
        }
        try {
            std::cout << answer(line) << '\n';
        } catch (const std::exception& error) {
            std::cerr << "harness: " << error.what() << " in: " << line << '\n';
            return 2;
        }
    }
    return 0;
}
