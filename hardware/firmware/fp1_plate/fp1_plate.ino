// fp1_plate: firmware for a balance plate of four load cells, speaking FP1 (balance-trainer, DESIGN.md B.5).
//
// Boards: Arduino Uno / Nano (ATmega328P) and ESP32. ADC: four HX711 at 80 Hz by default, bit-banged (no library);
// `#define FP1_ADC_NAU7802` or `#define FP1_ADC_ADS1220` (below, or -D on the compiler's command line) selects a
// faster ADC. The HX711 path is the reference one; the NAU7802 and ADS1220 paths follow the chips' datasheets and
// have been compiled for the Uno (avr-gcc, Debian's Arduino AVR core) but not run on hardware. See README.md.
//
// On the wire (115200 baud 8N1 unless FP1_BAUD says otherwise), nothing but FP1 frames:
// - at boot a lone 0x00 (it closes whatever the boot loader or the ESP32 ROM printed), then HELLO, then LOG lines;
// - SAMPLE from boot on: one per set of four conversions (seq:u16 wraps, t_us = micros() wraps at 2^32);
//   flags bit i: channel i timed out (its raw value is then the last one it gave, or 0), bit 4: samples were
//   dropped since the previous SAMPLE, bit 5: a channel of this set saturated (0x7FFFFF or 0x800000);
// - STATUS about once a second; LOG for anything worth telling a person (never unframed text);
// - commands: GET_INFO -> HELLO then ACK; START / STOP -> resume / pause the SAMPLE stream, ACK; PING -> ACK;
//   any other command type -> ACK with result 1. Frames with bad COBS, CRC or length are dropped and counted.
//
// Acquisition. Each ADC free-runs on its own oscillator, so the four never convert at quite the same instant.
// Every pass of loop() reads each channel whose conversion is ready; when every channel has a new conversion
// since the last SAMPLE, they make the next SAMPLE, stamped with micros() at that moment. A channel that gives
// nothing for CHANNEL_TIMEOUT_US after the first channel of a set (a broken wire, a dead amplifier) does not hold
// the others up: the SAMPLE goes out with that channel's timeout bit set, and the following sets wait only for
// the channels that answered (so the rate stays the ADCs' own) until the lost one converts again. With no ADC
// answering at all, SAMPLEs still come every CHANNEL_TIMEOUT_US, all flagged, so the host sees a live plate
// with dead channels rather than a silent port. The first SAMPLE comes when every ADC has converted once (some
// 60 ms after the HX711s are reset at boot) or after SETTLE_US (0.5 s), whichever is first.
//
// Dropped samples. A SAMPLE never waits for the serial port: when the transmit buffer has no room for it, it is
// dropped. When loop() was held up (a long LOG, a slow bus) for longer than 1.5 sample periods, the conversions
// that went by are dropped too. Either way the samples' seq numbers are used up, n_dropped counts them, and the
// next SAMPLE sent carries flag bit 4, so the host's count of seq gaps and the device's count agree. While the
// stream is paused by STOP, sets are made and counted in n_samples but neither sent nor dropped, and seq stands.
// HELLO, ACK, STATUS and LOG frames are written whole, waiting for room if need be. LOG lines are rare (boot,
// and a channel going bad or coming back), but one of 80-100 bytes holds a Uno's loop for several milliseconds
// (its transmit buffer holds 64 bytes), which can cost a sample, counted as above.
//
// STATUS: uptime_ms = millis(); n_samples = sets made since boot (sent, dropped, or held back by STOP);
// n_dropped = samples dropped; n_adc_timeouts = channel timeouts (one per channel per SAMPLE flagged), stopping
// at 65535.

// ------------------------------------------------------------------------------------------------ build options
// #define FP1_ADC_NAU7802   // four NAU7802 behind a TCA9548A I2C multiplexer, 320 Hz
// #define FP1_ADC_ADS1220   // four ADS1220 on SPI, 330 Hz

#include <Arduino.h>
#include <string.h>

#include "fp1_protocol.h"

#if defined(FP1_ADC_NAU7802) && defined(FP1_ADC_ADS1220)
#error "define at most one of FP1_ADC_NAU7802 and FP1_ADC_ADS1220"
#endif

#if defined(FP1_ADC_NAU7802)
#include <Wire.h>
#elif defined(FP1_ADC_ADS1220)
#include <SPI.h>
#endif

#if defined(ARDUINO_ARCH_AVR)
#include <EEPROM.h>
#elif !defined(ARDUINO_ARCH_ESP32)
#error "fp1_plate knows where to find a unique id on AVR (EEPROM) and ESP32 (efuse MAC) boards only"
#endif

#ifndef FP1_BAUD
#define FP1_BAUD 115200
#endif

// Raised with every change of behaviour a host could notice; the host shows it and keys nothing on it.
const uint16_t FW_VERSION = 1;
const uint8_t N_CHANNELS = 4;
// Channel i is corner i, seen from above by the user standing on the plate and facing forward (DESIGN.md B.1):
// TL front-left, TR front-right, BL back-left, BR back-right.
static const char CHANNEL_LABELS[] = "TL,TR,BL,BR";
static const char* const CHANNEL_NAMES[N_CHANNELS] = {"TL", "TR", "BL", "BR"};

// ------------------------------------------------------------------------------------------------ pins
// Override any of these with -D or by editing here; README.md has the wiring tables.
#if defined(FP1_ADC_NAU7802)
// I2C on the board's SDA/SCL (Uno/Nano A4/A5, ESP32 GPIO21/22); NAU7802 i on multiplexer port i.
#ifndef FP1_MUX_ADDRESS
#define FP1_MUX_ADDRESS 0x70
#endif
#elif defined(FP1_ADC_ADS1220)
// SPI on the board's SCK/MISO/MOSI (Uno/Nano D13/D12/D11, ESP32 GPIO18/19/23); one CS and one DRDY per chip.
#if defined(ARDUINO_ARCH_ESP32)
static const uint8_t CS_PINS[N_CHANNELS] = {25, 26, 27, 4};
static const uint8_t DRDY_PINS[N_CHANNELS] = {32, 33, 14, 13};
#else
static const uint8_t CS_PINS[N_CHANNELS] = {10, 9, 8, 7};
static const uint8_t DRDY_PINS[N_CHANNELS] = {2, 3, 4, 5};
#endif
#else
// HX711: one DOUT and one SCK per amplifier (see README.md for why the clocks are not shared).
#if defined(ARDUINO_ARCH_ESP32)
static const uint8_t DOUT_PINS[N_CHANNELS] = {32, 25, 14, 13};
static const uint8_t SCK_PINS[N_CHANNELS] = {33, 26, 27, 4};
#else
static const uint8_t DOUT_PINS[N_CHANNELS] = {2, 4, 6, 8};
static const uint8_t SCK_PINS[N_CHANNELS] = {3, 5, 7, 9};
#endif
#endif

// ------------------------------------------------------------------------------------------------ state
static uint8_t frame[fp1::MAX_FRAME_BYTES];  // one outgoing frame at a time
static fp1::CommandParser command_parser;
static uint8_t uid[8];
static uint8_t uid_length = 0;

static bool streaming = true;
static uint16_t seq = 0;
static uint32_t n_samples = 0;
static uint32_t n_dropped = 0;
static uint16_t n_adc_timeouts = 0;
static bool dropped_since_last_frame = false;

static int32_t latest_raw[N_CHANNELS];
static bool channel_saturated[N_CHANNELS];
const uint8_t ALL_CHANNELS = (1 << N_CHANNELS) - 1;
static uint8_t fresh_mask = 0;              // bit i: channel i converted since the last set
static uint8_t expected_mask = ALL_CHANNELS;  // the channels the set in progress waits for: those of the last set
static uint32_t set_started_us = 0;         // when the first channel of the set in progress converted
static uint32_t last_set_us = 0;            // when the previous set was made
static bool last_set_complete = false;      // whether it was made without a timeout
static bool settling = true;                // see SETTLE_US
static uint32_t adc_ready_since_us = 0;

// Per-second bookkeeping for STATUS and for the LOG lines about channels.
static uint32_t next_status_ms = 1000;
static uint16_t conversions_this_second[N_CHANNELS];
static uint16_t timeouts_this_second[N_CHANNELS];
static bool channel_reported_down[N_CHANNELS];
static bool channel_reported_slow[N_CHANNELS];
static uint32_t bad_frames_reported = 0;

// ------------------------------------------------------------------------------------------------ ADC: HX711
#if !defined(FP1_ADC_NAU7802) && !defined(FP1_ADC_ADS1220)
const uint8_t ADC_KIND = fp1::ADC_HX711;
const uint16_t NOMINAL_HZ = 80;  // RATE pin high; with RATE low the chip gives 10 Hz and a LOG line says so

#if defined(ARDUINO_ARCH_ESP32)
static portMUX_TYPE hx711_mux = portMUX_INITIALIZER_UNLOCKED;
#endif

// SCK must not stay high for 60 us or the HX711 powers down, so no interrupt may run while it is high.
void enter_sck_high_section() {
#if defined(ARDUINO_ARCH_ESP32)
    portENTER_CRITICAL(&hx711_mux);
#else
    noInterrupts();
#endif
}

void leave_sck_high_section() {
#if defined(ARDUINO_ARCH_ESP32)
    portEXIT_CRITICAL(&hx711_mux);
#else
    interrupts();
#endif
}

bool adc_begin() {
    for (uint8_t ch = 0; ch < N_CHANNELS; ++ch) {
        // A pull-up keeps the DOUT of a missing amplifier high ("not ready"), so it times out instead of
        // reading as a stream of zeros. The HX711 drives DOUT both ways, so the pull-up does not disturb it.
        pinMode(DOUT_PINS[ch], INPUT_PULLUP);
        pinMode(SCK_PINS[ch], OUTPUT);
        digitalWrite(SCK_PINS[ch], HIGH);  // SCK high for more than 60 us: power down...
    }
    delayMicroseconds(100);
    for (uint8_t ch = 0; ch < N_CHANNELS; ++ch) {
        digitalWrite(SCK_PINS[ch], LOW);  // ...and low again: power up and reset, channel A, gain 128
    }
    return true;
}

bool adc_ready(uint8_t ch) { return digitalRead(DOUT_PINS[ch]) == LOW; }

// 24 clock pulses shift the conversion out, MSB first; a 25th selects channel A at gain 128 for the next one.
int32_t adc_read(uint8_t ch) {
    const uint8_t dout = DOUT_PINS[ch];
    const uint8_t sck = SCK_PINS[ch];
    uint32_t value = 0;
    for (uint8_t pulse = 0; pulse < 25; ++pulse) {
        enter_sck_high_section();
        digitalWrite(sck, HIGH);
#if !defined(ARDUINO_ARCH_AVR)
        delayMicroseconds(1);  // the HX711 wants SCK high for 0.2 us and DOUT settles 0.1 us after the edge
#endif
        const uint8_t bit = digitalRead(dout) == HIGH ? 1 : 0;
        digitalWrite(sck, LOW);
        leave_sck_high_section();
        if (pulse < 24) {
            value = (value << 1) | bit;
        }
#if !defined(ARDUINO_ARCH_AVR)
        delayMicroseconds(1);
#endif
    }
    // Sign-extend the 24-bit two's complement value.
    return (value & 0x800000UL) ? static_cast<int32_t>(value | 0xFF000000UL) : static_cast<int32_t>(value);
}

const char* adc_hint(uint8_t ch) {
    static char hint[48];
    snprintf(hint, sizeof hint, "HX711 DOUT pin %u, SCK pin %u", DOUT_PINS[ch], SCK_PINS[ch]);
    return hint;
}
#endif

// ------------------------------------------------------------------------------------------------ ADC: NAU7802
#if defined(FP1_ADC_NAU7802)
const uint8_t ADC_KIND = fp1::ADC_NAU7802;
const uint16_t NOMINAL_HZ = 320;

// The NAU7802 has one fixed I2C address, so the four sit behind a TCA9548A multiplexer, chip i on port i.
const uint8_t NAU7802_ADDRESS = 0x2A;
const uint8_t NAU_PU_CTRL = 0x00, NAU_CTRL1 = 0x01, NAU_CTRL2 = 0x02, NAU_ADCO_B2 = 0x12, NAU_ADC = 0x15,
              NAU_PGA = 0x1B, NAU_PGA_PWR = 0x1C;
// PU_CTRL bits
const uint8_t NAU_RR = 0x01, NAU_PUD = 0x02, NAU_PUA = 0x04, NAU_PUR = 0x08, NAU_CS = 0x10, NAU_CR = 0x20,
              NAU_AVDDS = 0x80;
// CTRL1: LDO 3.0 V (VLDO = 0b101; below the 3.3 V supply of an ESP32 too), gain 128 (0b111); DRDY pin = data
// ready, active high.
const uint8_t NAU_CTRL1_VALUE = (0x5 << 3) | 0x7;
// CTRL2: 320 samples/s (CRS = 0b111), internal offset calibration (CALMOD = 0b00); CALS starts a calibration.
const uint8_t NAU_CTRL2_VALUE = 0x7 << 4;
const uint8_t NAU_CALS = 0x04, NAU_CAL_ERR = 0x08;
const uint8_t NAU_ADC_CHPS_OFF = 0x30;     // ADC register: chopper clock off, as the datasheet's power-up asks
const uint8_t NAU_PGA_LDOMODE = 0x40;      // PGA register: 0 = the LDO for low-ESR capacitors
const uint8_t NAU_PGA_CAP_EN = 0x80;       // PGA_PWR register: the PGA output's stabilising capacitor

static int8_t mux_port = -1;
static bool nau_present[N_CHANNELS];

bool mux_select(uint8_t ch) {
    if (mux_port == static_cast<int8_t>(ch)) {
        return true;
    }
    Wire.beginTransmission(static_cast<uint8_t>(FP1_MUX_ADDRESS));
    Wire.write(static_cast<uint8_t>(1 << ch));
    const bool ok = Wire.endTransmission() == 0;
    mux_port = ok ? static_cast<int8_t>(ch) : -1;
    return ok;
}

bool nau_write(uint8_t reg, uint8_t value) {
    Wire.beginTransmission(NAU7802_ADDRESS);
    Wire.write(reg);
    Wire.write(value);
    return Wire.endTransmission() == 0;
}

bool nau_read(uint8_t reg, uint8_t* values, uint8_t count) {
    Wire.beginTransmission(NAU7802_ADDRESS);
    Wire.write(reg);
    if (Wire.endTransmission(false) != 0) {
        return false;
    }
    if (Wire.requestFrom(NAU7802_ADDRESS, count) != count) {
        return false;
    }
    for (uint8_t i = 0; i < count; ++i) {
        values[i] = static_cast<uint8_t>(Wire.read());
    }
    return true;
}

bool nau_update(uint8_t reg, uint8_t clear, uint8_t set) {
    uint8_t value = 0;
    return nau_read(reg, &value, 1) && nau_write(reg, static_cast<uint8_t>((value & ~clear) | set));
}

// Power-up sequence of the datasheet: register reset, digital power-up (wait for PUR), analog power-up on the
// internal LDO, then gain, rate and the recommended analog settings.
bool nau_power_up(uint8_t ch) {
    if (!mux_select(ch) || !nau_write(NAU_PU_CTRL, NAU_RR)) {
        return false;
    }
    delay(1);
    if (!nau_write(NAU_PU_CTRL, NAU_PUD)) {
        return false;
    }
    uint8_t pu_ctrl = 0;
    for (uint8_t tries = 0; tries < 20; ++tries) {
        delay(1);
        if (nau_read(NAU_PU_CTRL, &pu_ctrl, 1) && (pu_ctrl & NAU_PUR)) {
            break;
        }
    }
    if (!(pu_ctrl & NAU_PUR)) {
        return false;
    }
    return nau_write(NAU_PU_CTRL, NAU_PUD | NAU_PUA | NAU_AVDDS) && nau_write(NAU_CTRL1, NAU_CTRL1_VALUE) &&
           nau_write(NAU_CTRL2, NAU_CTRL2_VALUE) && nau_update(NAU_ADC, 0, NAU_ADC_CHPS_OFF) &&
           nau_update(NAU_PGA, NAU_PGA_LDOMODE, 0) && nau_update(NAU_PGA_PWR, 0, NAU_PGA_CAP_EN);
}

// Starts conversions and runs the internal offset calibration; false when the chip reports a calibration error.
bool nau_start(uint8_t ch) {
    if (!mux_select(ch) || !nau_update(NAU_PU_CTRL, 0, NAU_CS) || !nau_write(NAU_CTRL2, NAU_CTRL2_VALUE | NAU_CALS)) {
        return false;
    }
    const uint32_t started_ms = millis();
    uint8_t ctrl2 = NAU_CALS;
    while (millis() - started_ms < 1000) {
        if (nau_read(NAU_CTRL2, &ctrl2, 1) && !(ctrl2 & NAU_CALS)) {
            break;
        }
        delay(2);
    }
    return !(ctrl2 & (NAU_CALS | NAU_CAL_ERR));
}

bool adc_begin() {
    Wire.begin();
    Wire.setClock(400000);
#if defined(WIRE_HAS_TIMEOUT)
    Wire.setWireTimeout(3000, true);  // a stuck bus must not hang the plate
#endif
    bool all = true;
    for (uint8_t ch = 0; ch < N_CHANNELS; ++ch) {
        nau_present[ch] = nau_power_up(ch);
        all = all && nau_present[ch];
    }
    delay(600);  // the analog front end settles after PUA before a calibration means anything
    for (uint8_t ch = 0; ch < N_CHANNELS; ++ch) {
        if (nau_present[ch]) {
            nau_present[ch] = nau_start(ch);
            all = all && nau_present[ch];
        }
    }
    return all;
}

bool adc_ready(uint8_t ch) {
    uint8_t pu_ctrl = 0;
    return nau_present[ch] && mux_select(ch) && nau_read(NAU_PU_CTRL, &pu_ctrl, 1) && (pu_ctrl & NAU_CR);
}

// Reading the three ADCO bytes also clears CR until the next conversion.
int32_t adc_read(uint8_t ch) {
    uint8_t bytes[3] = {0, 0, 0};
    if (!mux_select(ch) || !nau_read(NAU_ADCO_B2, bytes, 3)) {
        return latest_raw[ch];
    }
    const uint32_t value = (static_cast<uint32_t>(bytes[0]) << 16) | (static_cast<uint32_t>(bytes[1]) << 8) | bytes[2];
    return (value & 0x800000UL) ? static_cast<int32_t>(value | 0xFF000000UL) : static_cast<int32_t>(value);
}

const char* adc_hint(uint8_t ch) {
    static char hint[48];
    snprintf(hint, sizeof hint, "NAU7802 on TCA9548A port %u", ch);
    return hint;
}
#endif

// ------------------------------------------------------------------------------------------------ ADC: ADS1220
#if defined(FP1_ADC_ADS1220)
const uint8_t ADC_KIND = fp1::ADC_ADS1220;
const uint16_t NOMINAL_HZ = 330;

const uint8_t ADS_RESET = 0x06, ADS_START = 0x08, ADS_RDATA = 0x10, ADS_RREG = 0x20, ADS_WREG = 0x40;
// Configuration registers 0-3:
//   0: MUX AIN0-AIN1 (0000), gain 128 (111), PGA on (0)                                      -> 0x0E
//   1: 330 samples/s (100) in normal mode (00), continuous conversion (1), no temperature, no burn-out -> 0x84
//   2: reference AVDD-AVSS (11): the bridge is excited from AVDD, so the reading is ratiometric;
//      no 50/60 Hz filter (it only applies at 20 samples/s), no low-side switch, no IDAC        -> 0xC0
//   3: IDACs off, DRDY only on its own pin                                                      -> 0x00
static const uint8_t ADS_CONFIG[4] = {0x0E, 0x84, 0xC0, 0x00};
static const SPISettings ADS_SPI(2000000, MSBFIRST, SPI_MODE1);
static bool ads_present[N_CHANNELS];

void ads_command(uint8_t ch, const uint8_t* bytes, uint8_t count, uint8_t* answer, uint8_t answer_count) {
    SPI.beginTransaction(ADS_SPI);
    digitalWrite(CS_PINS[ch], LOW);
    for (uint8_t i = 0; i < count; ++i) {
        SPI.transfer(bytes[i]);
    }
    for (uint8_t i = 0; i < answer_count; ++i) {
        answer[i] = SPI.transfer(0xFF);  // 0xFF is no command, so clocking it in is harmless
    }
    digitalWrite(CS_PINS[ch], HIGH);
    SPI.endTransaction();
}

bool adc_begin() {
    SPI.begin();
    for (uint8_t ch = 0; ch < N_CHANNELS; ++ch) {
        pinMode(CS_PINS[ch], OUTPUT);
        digitalWrite(CS_PINS[ch], HIGH);  // DOUT is high-impedance while CS is high: the four share MISO
        pinMode(DRDY_PINS[ch], INPUT_PULLUP);
    }
    bool all = true;
    for (uint8_t ch = 0; ch < N_CHANNELS; ++ch) {
        const uint8_t reset = ADS_RESET;
        ads_command(ch, &reset, 1, 0, 0);
        delay(1);  // 50 us + 32 clock periods after RESET before the next command
        const uint8_t write[5] = {static_cast<uint8_t>(ADS_WREG | 0x03), ADS_CONFIG[0], ADS_CONFIG[1], ADS_CONFIG[2],
                                  ADS_CONFIG[3]};
        ads_command(ch, write, 5, 0, 0);
        // Read the configuration back: a missing chip answers 0xFF (MISO pulled up) or 0x00.
        const uint8_t read = ADS_RREG | 0x03;
        uint8_t config[4] = {0, 0, 0, 0};
        ads_command(ch, &read, 1, config, 4);
        ads_present[ch] = memcmp(config, ADS_CONFIG, 4) == 0;
        all = all && ads_present[ch];
        if (ads_present[ch]) {
            const uint8_t start = ADS_START;
            ads_command(ch, &start, 1, 0, 0);
        }
    }
    return all;
}

bool adc_ready(uint8_t ch) { return ads_present[ch] && digitalRead(DRDY_PINS[ch]) == LOW; }

int32_t adc_read(uint8_t ch) {
    const uint8_t rdata = ADS_RDATA;
    uint8_t bytes[3] = {0, 0, 0};
    ads_command(ch, &rdata, 1, bytes, 3);
    const uint32_t value = (static_cast<uint32_t>(bytes[0]) << 16) | (static_cast<uint32_t>(bytes[1]) << 8) | bytes[2];
    return (value & 0x800000UL) ? static_cast<int32_t>(value | 0xFF000000UL) : static_cast<int32_t>(value);
}

const char* adc_hint(uint8_t ch) {
    static char hint[48];
    snprintf(hint, sizeof hint, "ADS1220 CS pin %u, DRDY pin %u", CS_PINS[ch], DRDY_PINS[ch]);
    return hint;
}
#endif

// Both full-scale codes mean the input is out of range (24-bit ADCs clip there).
bool is_saturated(int32_t raw) { return raw == 0x7FFFFFL || raw == -0x800000L; }

// At 320-330 Hz a set takes 3 ms; CHANNEL_TIMEOUT_US is two periods (25 ms for the HX711).
const uint32_t PERIOD_US = 1000000UL / NOMINAL_HZ;
const uint32_t CHANNEL_TIMEOUT_US = 2 * PERIOD_US;
// After power-up an HX711 needs 50 ms (400 ms with RATE low) before its first conversion: no channel counts as
// timed out before every channel has converted once or this long has passed since the ADCs were set up.
const uint32_t SETTLE_US = 500000UL;

// ------------------------------------------------------------------------------------------------ uid
#if defined(ARDUINO_ARCH_ESP32)
// The factory MAC address burnt into the chip's efuse: unique per chip and never changes.
void load_uid() {
    const uint64_t mac = ESP.getEfuseMac();
    for (uint8_t i = 0; i < 6; ++i) {
        uid[i] = static_cast<uint8_t>(mac >> (8 * i));
    }
    uid_length = 6;
}
#else
// An ATmega328P has no serial number, so the first boot makes 8 random bytes and keeps them in EEPROM (with a
// magic and a CRC), where they stay across power cycles and new uploads of this sketch. Set FP1_EEPROM_ADDRESS
// if another sketch on the same board needs the first bytes of EEPROM.
#ifndef FP1_EEPROM_ADDRESS
#define FP1_EEPROM_ADDRESS 0
#endif
static const uint8_t UID_MAGIC[4] = {'F', 'P', '1', 'u'};
static bool uid_created = false;

// No hardware random generator here: FNV-1a over the time of this build, the low bits of many readings of the
// analog pins (noise on unconnected ones) and micros() between them. That is plenty for an id that only has to
// differ between the plates one person owns; two boards flashed from the same build at the same second and with
// all analog pins tied would be the unlucky case.
void make_random_uid() {
    uint64_t hash = 0xCBF29CE484222325ULL;
    const char* build = __DATE__ " " __TIME__;
    for (const char* c = build; *c; ++c) {
        hash = (hash ^ static_cast<uint8_t>(*c)) * 0x100000001B3ULL;
    }
    for (uint16_t round = 0; round < 512; ++round) {
        const uint16_t reading = static_cast<uint16_t>(analogRead(A0 + (round % 6)));
        const uint32_t now = micros();
        hash = (hash ^ static_cast<uint8_t>(reading)) * 0x100000001B3ULL;
        hash = (hash ^ static_cast<uint8_t>(now)) * 0x100000001B3ULL;
        delayMicroseconds(reading & 0x3F);
    }
    for (uint8_t i = 0; i < 8; ++i) {
        uid[i] = static_cast<uint8_t>(hash >> (8 * i));
    }
}

void load_uid() {
    uint8_t stored[14];  // magic, uid, crc16 of the uid
    for (uint8_t i = 0; i < sizeof stored; ++i) {
        stored[i] = EEPROM.read(FP1_EEPROM_ADDRESS + i);
    }
    const uint16_t crc = static_cast<uint16_t>(stored[12] | (static_cast<uint16_t>(stored[13]) << 8));
    uid_length = 8;
    if (memcmp(stored, UID_MAGIC, 4) == 0 && fp1::crc16(stored + 4, 8) == crc) {
        memcpy(uid, stored + 4, 8);
        return;
    }
    make_random_uid();
    const uint16_t new_crc = fp1::crc16(uid, 8);
    memcpy(stored, UID_MAGIC, 4);
    memcpy(stored + 4, uid, 8);
    stored[12] = static_cast<uint8_t>(new_crc);
    stored[13] = static_cast<uint8_t>(new_crc >> 8);
    for (uint8_t i = 0; i < sizeof stored; ++i) {
        EEPROM.update(FP1_EEPROM_ADDRESS + i, stored[i]);
    }
    uid_created = true;
}
#endif

// ------------------------------------------------------------------------------------------------ output
// Responses and LOG lines wait for room in the transmit buffer; SAMPLEs never do (see send_sample).
void send_frame(size_t length) {
    if (length > 0) {
        Serial.write(frame, length);
    }
}

void send_hello() {
    fp1::Hello hello;
    hello.proto_ver = fp1::PROTOCOL_VERSION;
    hello.fw_ver = FW_VERSION;
    hello.adc_kind = ADC_KIND;
    hello.n_channels = N_CHANNELS;
    hello.nominal_hz = NOMINAL_HZ;
    hello.uid = uid;
    hello.uid_length = uid_length;
    hello.labels = CHANNEL_LABELS;
    send_frame(fp1::encode_hello(hello, frame));
}

void send_log(const char* text) { send_frame(fp1::encode_log(text, frame)); }

void send_ack(uint8_t type, uint8_t cmd_seq, uint8_t result) {
    send_frame(fp1::encode_ack(type, cmd_seq, result, frame));
}

void send_status() {
    send_frame(fp1::encode_status(millis(), n_samples, n_dropped, n_adc_timeouts, frame));
}

void log_boot() {
    char text[96];
    char uid_hex[2 * sizeof uid + 1];
    for (uint8_t i = 0; i < uid_length; ++i) {
        snprintf(uid_hex + 2 * i, 3, "%02x", uid[i]);
    }
    uid_hex[2 * uid_length] = '\0';
#if defined(ARDUINO_ARCH_AVR)
    const char* uid_note = uid_created ? " (new, kept in EEPROM)" : "";
#else
    const char* uid_note = "";
#endif
    snprintf(text, sizeof text, "fp1_plate fw %u: %s, %u channels at %u Hz, uid %s%s", FW_VERSION,
             ADC_KIND == fp1::ADC_HX711 ? "HX711" : (ADC_KIND == fp1::ADC_NAU7802 ? "NAU7802" : "ADS1220"),
             N_CHANNELS, NOMINAL_HZ, uid_hex, uid_note);
    send_log(text);
}

// ------------------------------------------------------------------------------------------------ acquisition
void count_timeout() {
    if (n_adc_timeouts < 0xFFFF) {
        ++n_adc_timeouts;
    }
}

// Sends one SAMPLE unless the transmit buffer has no room for it; returns whether it was sent.
bool send_sample(uint8_t flags, uint32_t t_us) {
    if (dropped_since_last_frame) {
        flags |= fp1::FLAG_DEVICE_DROPPED;
    }
    const size_t length = fp1::encode_sample(seq, t_us, flags, latest_raw, N_CHANNELS, frame);
    if (static_cast<size_t>(Serial.availableForWrite()) < length) {
        return false;
    }
    Serial.write(frame, length);
    return true;
}

// Makes a sample of the set in progress; `complete` when every expected channel came, false after a timeout.
void finish_set(uint32_t now_us, bool complete) {
    uint8_t flags = 0;
    for (uint8_t ch = 0; ch < N_CHANNELS; ++ch) {
        if (!(fresh_mask & (1 << ch))) {
            flags |= static_cast<uint8_t>(1 << ch);
            count_timeout();
            ++timeouts_this_second[ch];
        } else if (channel_saturated[ch]) {
            flags |= fp1::FLAG_ADC_SATURATED;
        }
    }
    expected_mask = fresh_mask;
    fresh_mask = 0;

    // Conversions that went by while loop() was held up: counted as dropped, their seq numbers used up.
    uint32_t missed = 0;
    const uint32_t gap_us = now_us - last_set_us;
    if (complete && last_set_complete && n_samples > 0 && gap_us > PERIOD_US + PERIOD_US / 2) {
        missed = (gap_us + PERIOD_US / 2) / PERIOD_US - 1;
    }
    last_set_us = now_us;
    last_set_complete = complete;
    n_samples += missed + 1;
    if (!streaming) {
        return;
    }
    if (missed > 0) {
        seq = static_cast<uint16_t>(seq + missed);
        n_dropped += missed;
        dropped_since_last_frame = true;
    }
    if (send_sample(flags, now_us)) {
        dropped_since_last_frame = false;
    } else {
        ++n_dropped;
        dropped_since_last_frame = true;
    }
    ++seq;
}

void poll_adcs() {
    for (uint8_t ch = 0; ch < N_CHANNELS; ++ch) {
        if (!adc_ready(ch)) {
            continue;
        }
        const int32_t raw = adc_read(ch);
        latest_raw[ch] = raw;
        channel_saturated[ch] = is_saturated(raw);
        ++conversions_this_second[ch];
        if (fresh_mask == 0) {
            set_started_us = micros();
        }
        fresh_mask |= static_cast<uint8_t>(1 << ch);
    }
    const uint32_t now_us = micros();
    // With every channel lost, any one that comes back makes a set at once.
    const bool complete = expected_mask != 0 ? (fresh_mask & expected_mask) == expected_mask : fresh_mask != 0;
    if (settling) {
        if (fresh_mask != ALL_CHANNELS && now_us - adc_ready_since_us < SETTLE_US) {
            return;
        }
        settling = false;
    }
    if (complete) {
        finish_set(now_us, true);
    } else if (fresh_mask != 0 ? now_us - set_started_us >= CHANNEL_TIMEOUT_US
                               : now_us - last_set_us >= CHANNEL_TIMEOUT_US) {
        finish_set(now_us, false);
    }
}

// ------------------------------------------------------------------------------------------------ commands
void handle_command(const fp1::Command& command) {
    if (!fp1::is_known_command(command.type)) {
        send_ack(command.type, command.seq, fp1::RESULT_UNKNOWN_COMMAND);
        return;
    }
    if (command.type == fp1::GET_INFO) {
        send_hello();
    } else if (command.type == fp1::START) {
        streaming = true;
    } else if (command.type == fp1::STOP) {
        streaming = false;
    }
    send_ack(command.type, command.seq, fp1::RESULT_OK);
}

void poll_commands() {
    // A bounded number of bytes per pass, so that a flood of input cannot starve the ADCs.
    for (uint8_t budget = 32; budget > 0 && Serial.available() > 0; --budget) {
        fp1::Command command;
        if (command_parser.feed(static_cast<uint8_t>(Serial.read()), &command)) {
            handle_command(command);
        }
    }
}

// ------------------------------------------------------------------------------------------------ once a second
void report_channels() {
    char text[112];
    for (uint8_t ch = 0; ch < N_CHANNELS; ++ch) {
        // An HX711 with its RATE pin low converts at 10 Hz: well under half the nominal rate (and its channel
        // then times out in most sets, which the next line reports too).
        if (!channel_reported_slow[ch] && conversions_this_second[ch] > 0 &&
            conversions_this_second[ch] < NOMINAL_HZ / 2) {
            snprintf(text, sizeof text, "channel %s converts %u times a second, not %u%s", CHANNEL_NAMES[ch],
                     conversions_this_second[ch], NOMINAL_HZ,
                     ADC_KIND == fp1::ADC_HX711 ? ": tie the HX711's RATE pin to VCC for 80 Hz" : "");
            send_log(text);
            channel_reported_slow[ch] = true;
        }
        const bool down = timeouts_this_second[ch] > 0;
        if (down && !channel_reported_down[ch]) {
            snprintf(text, sizeof text, "channel %s timed out %u times in the last second: check its %s",
                     CHANNEL_NAMES[ch], timeouts_this_second[ch], adc_hint(ch));
            send_log(text);
        } else if (!down && channel_reported_down[ch]) {
            snprintf(text, sizeof text, "channel %s answers again", CHANNEL_NAMES[ch]);
            send_log(text);
        }
        channel_reported_down[ch] = down;
        conversions_this_second[ch] = 0;
        timeouts_this_second[ch] = 0;
    }
    const uint32_t bad = command_parser.frames_bad();
    if (bad != bad_frames_reported) {
        snprintf(text, sizeof text, "dropped %lu bad command frames since boot",
                 static_cast<unsigned long>(bad));
        send_log(text);
        bad_frames_reported = bad;
    }
}

void every_second() {
    const uint32_t now_ms = millis();
    if (static_cast<int32_t>(now_ms - next_status_ms) < 0) {
        return;
    }
    next_status_ms += 1000;
    if (static_cast<int32_t>(now_ms - next_status_ms) >= 0) {
        next_status_ms = now_ms + 1000;  // fell far behind (a long stall): no burst of STATUS frames
    }
    send_status();
    report_channels();
}

// ------------------------------------------------------------------------------------------------ main
void setup() {
    Serial.begin(FP1_BAUD);
    load_uid();
    const uint8_t delimiter = 0;
    Serial.write(&delimiter, 1);  // ends any boot noise on the line, so the HELLO is the first whole frame
    send_hello();
    log_boot();
    if (!adc_begin()) {
        char text[96];
        for (uint8_t ch = 0; ch < N_CHANNELS; ++ch) {
            snprintf(text, sizeof text, "ADC setup: channel %s uses %s", CHANNEL_NAMES[ch], adc_hint(ch));
            send_log(text);
        }
        send_log("ADC setup failed for at least one channel: its SAMPLEs will be flagged as timed out");
    }
    adc_ready_since_us = micros();
    last_set_us = adc_ready_since_us;
    next_status_ms = millis() + 1000;
}

void loop() {
    poll_commands();
    poll_adcs();
    every_second();
}
