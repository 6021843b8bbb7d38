/* Runs the fp1_plate firmware, built for the Arduino Uno, in simavr with four emulated HX711s on its pins.
 *
 * Used by tests/test_firmware_protocol.py where Debian's simavr (libsimavr-dev) is installed. Arguments:
 *   firmware.elf SECONDS [absent=CHIP] [slow=CHIP] [at=MS:HEX]...
 * absent=CHIP: that HX711 is missing (its DOUT stays high); slow=CHIP: it converts at 10 Hz (RATE pin low);
 * at=MS:HEX: these bytes reach the UART at MS milliseconds of simulated time (one byte per 100 us).
 *
 * Output on stdout, one event per line, times in microseconds of simulated time:
 *   U T BYTE          a byte the firmware sent on the UART (decimal)
 *   R CHIP K VALUE T  the firmware clocked out conversion K of CHIP, whose value is VALUE
 *   L CHIP HIGH_US T  SCK stayed high longer than 60 us (the HX711 would power down)
 *   X CHIP T          a clock pulse reached a chip with no conversion ready
 *   E T               end of the run
 *
 * The emulated HX711: conversion K of chip C is C's base + K * step (chip 2 saturates at 0x7FFFFF for
 * conversions 40-44); the first comes 50 ms after power-up, then one per period (80 Hz give or take 1 % per chip,
 * as separate oscillators do). A ready chip pulls DOUT low; each rising SCK edge puts the next bit (MSB first) on
 * DOUT; the 25th raises DOUT until the next conversion. An unread conversion is replaced by the next one. SCK
 * high for more than 60 us powers the chip down; it starts again when SCK falls, with 50 ms of settling before
 * its next conversion. DOUT is pushed through simavr's "external" pin state as well as its IRQ: simavr 1.6 sets
 * every input pin that has its pull-up on to 1 whenever the firmware writes that port, unless the pin has an
 * external value, and a real HX711 drives DOUT harder than the AVR's pull-up.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avr_ioport.h"
#include "avr_uart.h"
#include "sim_avr.h"
#include "sim_cycle_timers.h"
#include "sim_elf.h"
#include "sim_irq.h"
#include "sim_time.h"

#define N_CHIPS 4
#define MAX_INPUT 4096

typedef struct {
    int index;
    int present;
    uint32_t period_us;
    avr_irq_t* dout;
    int ready;
    int pulses;
    int32_t latched;
    uint32_t k_latched;
    uint32_t k_next;
    int sck_high;
    avr_cycle_count_t high_since;
    avr_cycle_count_t settled_at;  /* no conversion before this cycle (after a power-down) */
} chip_t;

static avr_t* avr;
static chip_t chips[N_CHIPS];
static const int32_t BASE[N_CHIPS] = {100000, -200000, 3000000, -5000000};
static const int32_t STEP[N_CHIPS] = {1, -1, 7, -3};
/* Uno pins: DOUT D2, D4, D6, D8 and SCK D3, D5, D7, D9 (PD2, PD4, PD6, PB0 / PD3, PD5, PD7, PB1). */
static const char DOUT_PORT[N_CHIPS] = {'D', 'D', 'D', 'B'};
static const int DOUT_BIT[N_CHIPS] = {2, 4, 6, 0};
static const char SCK_PORT[N_CHIPS] = {'D', 'D', 'D', 'B'};
static const int SCK_BIT[N_CHIPS] = {3, 5, 7, 1};
static const uint32_t PERIOD_US[N_CHIPS] = {12500, 12400, 12600, 12550};

static uint8_t input[MAX_INPUT];
static uint64_t input_at_us[MAX_INPUT];
static int n_input = 0;
static int next_input = 0;
static avr_irq_t* uart_in;

static uint64_t now_us(void) { return avr_cycles_to_usec(avr, avr->cycle); }

static uint8_t external_mask[2], external_value[2]; /* ports B and D */

static void drive_dout(chip_t* chip, int level) {
    const int port = DOUT_PORT[chip->index] == 'B' ? 0 : 1;
    const uint8_t bit = (uint8_t)(1 << DOUT_BIT[chip->index]);
    external_mask[port] |= bit;
    external_value[port] = (uint8_t)(level ? (external_value[port] | bit) : (external_value[port] & ~bit));
    avr_ioport_external_t external;
    memset(&external, 0, sizeof external);
    external.name = DOUT_PORT[chip->index];
    external.mask = external_mask[port];
    external.value = external_value[port];
    avr_ioctl(avr, AVR_IOCTL_IOPORT_SET_EXTERNAL(DOUT_PORT[chip->index]), &external);
    avr_raise_irq(chip->dout, (uint32_t)level);
}

static int32_t value_of(int chip, uint32_t k) {
    if (chip == 2 && k >= 40 && k <= 44) {
        return 0x7FFFFF;
    }
    return BASE[chip] + (int32_t)k * STEP[chip];
}

static avr_cycle_count_t convert(avr_t* a, avr_cycle_count_t when, void* param) {
    chip_t* chip = (chip_t*)param;
    (void)a;
    const int reading = chip->ready && chip->pulses > 0 && chip->pulses < 25;
    if (!reading && avr->cycle >= chip->settled_at) {
        chip->latched = value_of(chip->index, chip->k_next);
        chip->k_latched = chip->k_next++;
        chip->ready = 1;
        chip->pulses = 0;
        drive_dout(chip, 0);
    }
    return when + avr_usec_to_cycles(avr, chip->period_us);
}

static void sck_changed(avr_irq_t* irq, uint32_t value, void* param) {
    chip_t* chip = (chip_t*)param;
    (void)irq;
    if (value && !chip->sck_high) {
        chip->sck_high = 1;
        chip->high_since = avr->cycle;
        if (!chip->ready) {
            printf("X %d %llu\n", chip->index, (unsigned long long)now_us());
            return;
        }
        if (chip->pulses < 24) {
            drive_dout(chip, (int)(((uint32_t)chip->latched >> (23 - chip->pulses)) & 1));
            if (++chip->pulses == 24) {
                printf("R %d %u %d %llu\n", chip->index, chip->k_latched, chip->latched,
                       (unsigned long long)now_us());
            }
        } else {
            chip->pulses = 25;
            chip->ready = 0;
            drive_dout(chip, 1);
        }
    } else if (!value && chip->sck_high) {
        chip->sck_high = 0;
        const uint64_t high_us = avr_cycles_to_usec(avr, avr->cycle - chip->high_since);
        if (high_us > 60) {
            printf("L %d %llu %llu\n", chip->index, (unsigned long long)high_us, (unsigned long long)now_us());
            chip->ready = 0;  /* powered down: it wakes up now, and settles before converting again */
            chip->pulses = 0;
            chip->settled_at = avr->cycle + avr_usec_to_cycles(avr, 50000);
            drive_dout(chip, 1);
        }
    }
}

static void uart_out(avr_irq_t* irq, uint32_t value, void* param) {
    (void)irq;
    (void)param;
    printf("U %llu %u\n", (unsigned long long)now_us(), value & 0xFF);
}

static avr_cycle_count_t feed_input(avr_t* a, avr_cycle_count_t when, void* param) {
    (void)a;
    (void)param;
    if (next_input < n_input && input_at_us[next_input] <= now_us()) {
        avr_raise_irq(uart_in, input[next_input++]);
    }
    return next_input < n_input ? when + avr_usec_to_cycles(avr, 100) : 0;
}

static void add_input(const char* spec) {
    const unsigned long at_ms = strtoul(spec, NULL, 10);
    const char* hex = strchr(spec, ':');
    if (!hex) {
        fprintf(stderr, "bad at= argument: %s\n", spec);
        exit(2);
    }
    uint64_t at_us = (uint64_t)at_ms * 1000;
    for (++hex; hex[0] && hex[1] && n_input < MAX_INPUT; hex += 2) {
        char pair[3] = {hex[0], hex[1], 0};
        input[n_input] = (uint8_t)strtoul(pair, NULL, 16);
        input_at_us[n_input++] = at_us;
        at_us += 100;
    }
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s firmware.elf SECONDS [absent=CHIP] [slow=CHIP] [at=MS:HEX]...\n", argv[0]);
        return 2;
    }
    elf_firmware_t firmware;
    memset(&firmware, 0, sizeof firmware);
    if (elf_read_firmware(argv[1], &firmware) != 0) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    const double seconds = atof(argv[2]);
    for (int i = 0; i < N_CHIPS; ++i) {
        chips[i].index = i;
        chips[i].present = 1;
        chips[i].period_us = PERIOD_US[i];
    }
    for (int i = 3; i < argc; ++i) {
        if (strncmp(argv[i], "absent=", 7) == 0) {
            chips[atoi(argv[i] + 7)].present = 0;
        } else if (strncmp(argv[i], "slow=", 5) == 0) {
            chips[atoi(argv[i] + 5)].period_us = 100000;
        } else if (strncmp(argv[i], "at=", 3) == 0) {
            add_input(argv[i] + 3);
        } else {
            fprintf(stderr, "unknown argument %s\n", argv[i]);
            return 2;
        }
    }

    avr = avr_make_mcu_by_name("atmega328p");
    if (!avr) {
        fprintf(stderr, "simavr has no atmega328p\n");
        return 2;
    }
    avr_init(avr);
    avr->frequency = 16000000;
    avr_load_firmware(avr, &firmware);
    avr->frequency = 16000000;

    uint32_t flags = 0;
    avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
    flags &= ~(uint32_t)(AVR_UART_FLAG_STDIO | AVR_UART_FLAG_POLL_SLEEP);
    avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT), uart_out, NULL);
    uart_in = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);

    for (int i = 0; i < N_CHIPS; ++i) {
        chips[i].dout = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(DOUT_PORT[i]), DOUT_BIT[i]);
        drive_dout(&chips[i], 1);
        avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(SCK_PORT[i]), SCK_BIT[i]), sck_changed,
                                &chips[i]);
        if (chips[i].present) {
            avr_cycle_timer_register_usec(avr, 50000 + 3000 * (uint32_t)i, convert, &chips[i]);
        }
    }
    if (n_input > 0) {
        avr_cycle_timer_register_usec(avr, (uint32_t)input_at_us[0], feed_input, NULL);
    }

    const avr_cycle_count_t end = (avr_cycle_count_t)(seconds * 16000000.0);
    int state = cpu_Running;
    while (avr->cycle < end && state != cpu_Done && state != cpu_Crashed) {
        state = avr_run(avr);
    }
    printf("E %llu\n", (unsigned long long)now_us());
    if (state == cpu_Crashed) {
        fprintf(stderr, "the firmware crashed at %llu us\n", (unsigned long long)now_us());
        return 1;
    }
    return 0;
}
