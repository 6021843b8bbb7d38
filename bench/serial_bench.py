"""Speed targets of the serial plate driver (hardware/serial_plate.py), as rows for bench/run.py's table.

- parsing: FP1 bytes per second through the FrameParser alone and through the driver's whole path (frames,
  seq and clock tracking, calibration, queue), against the 115200-baud line rate (11,520 B/s; target >= 100x);
- added latency: from the last byte of a SAMPLE frame written to the pty to the sample coming out of `read()`
  (polled every 0.1 ms, as a game loop that sleeps between polls would), 99th percentile (target < 2 ms);
- reconnection: from the port coming back after a 2-s unplug (the simulator re-points its by-id style link) to
  the driver STREAMING again (target < 1 s).
Every figure is the median of several runs. `python bench/serial_bench.py` prints the rows alone.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import threading
import time
import tty
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LINE_RATE_B_S = 115200 / 10  # 8N1: ten bits a byte


def _verdict(met: bool, detail: str) -> str:
    return ("met" if met else "MISSED") + (f" ({detail})" if detail else "")


def _sample_stream(n_samples: int) -> bytes:
    from hardware import fp1

    frames = []
    for i in range(n_samples):
        raw = (8000 + 37 * i % 5000, -3000 - i % 777, 12000 + (i * 13) % 9000, 500 + i % 300)
        frames.append(fp1.sample_frame(i & 0xFFFF, i * 3125, 0, raw))
        if i % 320 == 0:
            frames.append(fp1.status_frame(fp1.Status(i, i, 0, 0)))
    return b"".join(frames)


def _parse_rates(runs: int = 5) -> tuple[float, float]:
    """(FrameParser alone, whole driver path) in bytes per second; medians of `runs`."""
    from hardware import fp1
    from hardware.serial_plate import SerialPlateSource
    from trainer.calibration import CalibrationStore

    stream = _sample_stream(20_000)
    chunks = [stream[i:i + 4096] for i in range(0, len(stream), 4096)]
    hello = fp1.hello_frame(fp1.Hello(1, 0x100, 1, 4, 320, bytes.fromhex("a1b2c3d4e5f6"), ("TL", "TR", "BL", "BR")))
    parser_rates, driver_rates = [], []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(runs):
            parser = fp1.FrameParser()
            start = time.perf_counter()
            for chunk in chunks:
                parser.feed(chunk)
            parser_rates.append(len(stream) / (time.perf_counter() - start))
            assert parser.counters.frames_bad == 0
            source = SerialPlateSource("/dev/null", store=CalibrationStore(Path(folder)))
            source._connected("/dev/null", time.monotonic(), reconnect=False)
            source._feed_fp1(hello, time.monotonic())
            start = time.perf_counter()
            for chunk in chunks:
                source._feed_fp1(chunk, time.monotonic())
            driver_rates.append(len(stream) / (time.perf_counter() - start))
            assert len(source.read()) == 20_000
    return statistics.median(parser_rates), statistics.median(driver_rates)


def _latency_p99_s(n_samples: int = 1000, rate_hz: float = 320.0) -> float:
    """99th percentile of (sample out of read()) − (its frame's last byte written to the pty)."""
    from hardware import fp1
    from hardware.serial_plate import SerialPlateSource
    from trainer.calibration import CalibrationStore

    master, slave = os.openpty()
    tty.setraw(slave)
    hello = fp1.hello_frame(fp1.Hello(1, 0x100, 1, 4, int(rate_hz), b"\x01\x02", ("TL", "TR", "BL", "BR")))
    with tempfile.TemporaryDirectory() as folder:
        source = SerialPlateSource(os.ttyname(slave), store=CalibrationStore(Path(folder)))
        timer = threading.Timer(0.2, lambda: os.write(master, b"\x00" + hello))
        timer.start()
        try:
            source.open()
            latencies = []
            next_at = time.perf_counter()
            for i in range(n_samples + 50):
                next_at += 1.0 / rate_hz
                time.sleep(max(0.0, next_at - time.perf_counter()))
                frame = fp1.sample_frame(i, int(i * 1e6 / rate_hz), 0, (i, 2 * i, 3 * i, 4 * i))
                os.write(master, frame)
                written = time.perf_counter()
                while True:
                    samples = source.read()
                    if samples:
                        break
                    time.sleep(0.0001)
                arrived = time.perf_counter()
                assert samples[-1].seq == i
                if i >= 50:  # after the warm-up
                    latencies.append(arrived - written)
        finally:
            timer.cancel()
            source.close()
            os.close(master)
            os.close(slave)
    latencies.sort()
    return latencies[int(0.99 * (len(latencies) - 1))]


def _reconnect_s(unplug_s: float = 2.0) -> float:
    """Seconds from the port coming back to the driver STREAMING with samples."""
    from hardware.fp1_device import PlateDevice
    from hardware.serial_plate import SerialPlateSource
    from hardware.sources import SourceState
    from trainer.calibration import CalibrationStore

    with tempfile.TemporaryDirectory() as folder:
        link = os.path.join(folder, "usb-FP1-plate-if00")
        device = PlateDevice(rate_hz=320.0, link_path=link)
        device.start()
        source = SerialPlateSource(link, store=CalibrationStore(Path(folder)))
        try:
            source.open()
            time.sleep(0.3)
            source.read()
            device.unplug(unplug_s)
            if not device.wait_plugged(unplug_s + 5.0):
                raise RuntimeError("the simulated plate did not come back")
            back_at = device.plugged_at
            deadline = back_at + 10.0
            while time.monotonic() < deadline:
                samples = source.read()
                if samples and source.state is SourceState.STREAMING:
                    return time.monotonic() - back_at
                time.sleep(0.001)
            return float("inf")
        finally:
            source.close()
            device.stop()


def bench_serial(rows: list) -> None:
    parser_rate, driver_rate = _parse_rates()
    for label, rate in (("FP1 parsing (FrameParser alone)", parser_rate),
                        ("FP1 parsing, whole driver path (frames → calibrated LoadSample)", driver_rate)):
        ratio = rate / LINE_RATE_B_S
        rows.append((label, f"{rate / 1e6:.2f} MB/s", "≥ 100× the 115200-baud line rate",
                     _verdict(ratio >= 100, f"{ratio:.0f}× the 11,520 B/s line rate")))
    p99 = statistics.median(_latency_p99_s() for _ in range(3))
    rows.append(("serial plate added latency, frame written → sample from read(), 99th percentile",
                 f"{p99 * 1e3:.2f} ms", "< 2 ms", _verdict(p99 < 2e-3, "pty + pyserial + parse + queue, 320 Hz")))
    # Unplugged for 2 s plus a random part, so the port's return falls anywhere between the driver's looks for it.
    rng = random.Random(1)
    reconnect = statistics.median(_reconnect_s(2.0 + rng.uniform(0.0, 0.1)) for _ in range(7))
    rows.append(("serial plate: port back after a 2-s unplug → STREAMING", f"{reconnect * 1e3:.0f} ms", "< 1 s",
                 _verdict(reconnect < 1.0, "reopen with back-off, GET_INFO, HELLO, first sample")))


if __name__ == "__main__":
    results: list = []
    bench_serial(results)
    for row in results:
        print(" | ".join(row))
