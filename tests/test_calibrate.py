"""Calibration: tare and per-corner gains from known masses at known spots, then the accuracy check."""
from __future__ import annotations

import numpy as np
import pytest

from hardware.samples import BoardGeometry, LoadSample
from hardware.sources import SourceState
from trainer.calibrate import CalibrationError, calibrate_board, default_spots, fit_gains
from trainer.calibration import CalibrationStore
from trainer.cop import cop_to_corners

PLATE = BoardGeometry("test plate", 400.0, 400.0)
TRUE_COUNTS_PER_KG = np.array([20000.0 * 1.02, 20000.0 * 0.99, 20000.0, 20000.0 * 1.03])
OFFSET_COUNTS = np.array([8000.0, -3000.0, 12000.0, 500.0])


class RawPlate:
    """An in-process plate that reports raw counts of whatever `place` put on it (a stand-in for the FP1 device
    simulator in the fast unit tests; tests/test_serial_plate.py runs the same procedure over a real pty)."""

    url = "rawplate://"
    identity = "raw test plate"
    device_id = "a1b2c3"
    geometry = PLATE
    paced = False

    def __init__(self, noise_counts=0.0, wobble_kg=0.0):
        self.state = SourceState.STREAMING
        self.corners_kg = np.zeros(4)
        self.t_s = 0.0
        self.rng = np.random.default_rng(0)
        self.noise_counts = noise_counts
        self.wobble_kg = wobble_kg

    def place(self, mass_kg, x_mm, y_mm):
        self.corners_kg = cop_to_corners([x_mm], [y_mm], mass_kg, PLATE)[0]

    def read(self):
        samples = []
        for _ in range(20):
            self.t_s += 0.0125
            wobble = self.rng.normal(0, self.wobble_kg, 4) if self.wobble_kg else 0.0
            raw = OFFSET_COUNTS + TRUE_COUNTS_PER_KG * (self.corners_kg + wobble)
            raw = np.rint(raw + self.rng.normal(0, self.noise_counts, 4)) if self.noise_counts else np.rint(raw)
            samples.append(LoadSample(self.t_s, *self.corners_kg, None, *map(int, raw)))
        return samples

    def open(self):
        pass

    def close(self):
        pass


def scripted(plate, mass_kg):
    """`ask` that does what the prompt says: empties the plate, or puts the mass on the named mark."""
    spots = {s.name: s for s in default_spots(PLATE)}

    def ask(prompt):
        for name, spot in spots.items():
            if f"on the {name} mark" in prompt:
                plate.place(mass_kg, spot.x_mm, spot.y_mm)
                return
        assert "Step off" in prompt
        plate.place(0.0, 0.0, 0.0)

    return ask


def test_fit_recovers_exact_gains():
    gains = 1.0 / TRUE_COUNTS_PER_KG
    spots = np.array([(s.x_mm, s.y_mm) for s in default_spots(PLATE)])
    counts = np.array([cop_to_corners([x], [y], 10.0, PLATE)[0] / gains for x, y in spots])
    np.testing.assert_allclose(fit_gains(counts, np.full(5, 10.0), spots, PLATE), gains, rtol=1e-10)


def test_procedure_recovers_injected_gain_errors_and_checks_accuracy():
    plate = RawPlate(noise_counts=40.0)
    store = CalibrationStore()
    said = []
    calibration = calibrate_board(plate, mass_kg=10.0, ask=scripted(plate, 10.0), say=said.append, store=store,
                                  sleep=lambda s: None, settle_s=0.0)
    np.testing.assert_allclose(calibration.gain_kg_per_count, 1.0 / TRUE_COUNTS_PER_KG, rtol=0.005)
    np.testing.assert_allclose(calibration.tare_counts, OFFSET_COUNTS, atol=20)
    assert calibration.accuracy["cop_error_max_mm"] < 1.0 and calibration.accuracy["total_load_error_max_kg"] < 0.02
    assert store.get("a1b2c3").gain_kg_per_count == calibration.gain_kg_per_count  # stored for next time
    assert any("COP off by" in line for line in said)


def test_a_board_that_never_keeps_still_is_refused():
    plate = RawPlate(wobble_kg=0.5)
    with pytest.raises(CalibrationError, match="did not keep still"):
        calibrate_board(plate, mass_kg=10.0, ask=scripted(plate, 10.0), say=lambda s: None, sleep=lambda s: None)


def test_a_board_without_raw_counts_cannot_be_calibrated():
    class Cooked(RawPlate):
        def read(self):
            return [LoadSample(0.0, 1, 1, 1, 1)]

    with pytest.raises(CalibrationError, match="no raw counts"):
        calibrate_board(Cooked(), mass_kg=10.0, ask=lambda p: None, say=lambda s: None, sleep=lambda s: None)


def test_calibrate_without_a_keyboard_is_one_line():
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "trainer", "calibrate", "--board", "sim://?speed=max"],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        "balance-trainer calibrate: calibrate needs someone at the keyboard to press Enter at each step"]


def test_boards_lists_stored_calibrations_with_their_accuracy():
    import subprocess
    import sys

    from trainer.calibration import Calibration

    calibration = Calibration("feedc0de", [0.0] * 4, [5e-5] * 4)
    calibration.accuracy = {"date_utc": "2026-11-28T10:00:00+00:00", "cop_error_max_mm": 2.5,
                            "total_load_error_max_kg": 0.04}
    CalibrationStore().save(calibration)
    run = subprocess.run([sys.executable, "-m", "trainer", "boards"], capture_output=True, text=True, timeout=120)
    assert "calibration  feedc0de" in run.stdout and "COP within 2.5 mm" in run.stdout


def test_calibrate_end_to_end_over_a_real_serial_port_recovers_injected_gains():
    """The FP1 device simulator on a pty, with gain errors injected, through the real serial driver."""
    import time

    from hardware.fp1_device import PlateDevice
    from hardware.serial_plate import FP1_PLATE, SerialPlateSource

    gain_error = (0.02, -0.01, 0.0, 0.03)
    device = PlateDevice(load=None, rate_hz=80.0, gain_error=gain_error, noise_counts=40.0)
    port = device.start()
    source = SerialPlateSource(port)
    spots = {s.name: s for s in default_spots(FP1_PLATE)}

    def ask(prompt):
        for name, spot in spots.items():
            if f"on the {name} mark" in prompt:
                device.place_mass(10.0, spot.x_mm, spot.y_mm, FP1_PLATE)
                break
        else:
            device.place((0.0, 0.0, 0.0, 0.0))

    try:
        source.open()
        assert not source.calibrated
        calibration = calibrate_board(source, mass_kg=10.0, ask=ask, say=lambda line: None, settle_s=0.2,
                                      measure_s=1.0)
        expected = 1.0 / (20000.0 * (1.0 + np.array(gain_error)))
        np.testing.assert_allclose(calibration.gain_kg_per_count, expected, rtol=0.005)
        assert calibration.accuracy["cop_error_max_mm"] < 2.0
        # The live board now converts with the new calibration: 10 kg at the centre reads as 10 kg.
        device.place_mass(10.0, 0.0, 0.0, FP1_PLATE)
        time.sleep(0.3)
        source.read()
        time.sleep(0.3)
        samples = source.read()
        assert source.calibrated and samples
        assert np.mean([s.total_kg for s in samples]) == pytest.approx(10.0, abs=0.05)
    finally:
        source.close()
        device.stop()
    # And the next time this plate is plugged in, its calibration is found by its uid.
    assert CalibrationStore().get("a1b2c3d4e5f6").gain_kg_per_count == calibration.gain_kg_per_count
