"""`balance-trainer calibrate`: tare, per-corner gains from known masses, and an accuracy check.

The user is walked through it: step off (tare, averaged, only accepted when the board is still), then put a known
mass on marked spots one after the other. Each spot gives three equations in the four unknown gains g (kg per
count), since the mass M and its position (x, y) are known while the split over the corners is not:
    Σ g_c·r_c = M,   Σ g_c·r_c·X_c = M·x,   Σ g_c·r_c·Y_c = M·y,
with r_c the tared counts of corner c and (X_c, Y_c) its sensor position. Five spots give fifteen equations; the
gains are their least-squares solution. The accuracy check then puts the mass on the spots again and reports, with
the new calibration, the COP error in mm and the load error per corner in kg: a dated record kept with the
calibration and shown by `balance-trainer boards`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import numpy as np

from hardware.samples import BoardGeometry
from trainer.calibration import Calibration, CalibrationStore
from trainer.cop import calibrate_corners, cop_to_corners, corners_to_cop
from trainer.errors import BalanceTrainerError, BoardError

SETTLE_S = 1.0  # after the user presses Enter: hands off, the mass stops rocking
MEASURE_S = 2.0  # averaging window
STILL_KG = 0.05  # the board counts as still when every corner's spread (sd) stays under this
TRIES = 3
POLL_S = 0.005


class CalibrationError(BalanceTrainerError):
    """The procedure could not finish: the board never kept still, a spot gave no usable reading, ..."""


@dataclass(frozen=True)
class Spot:
    name: str
    x_mm: float
    y_mm: float


def default_spots(geometry: BoardGeometry) -> list[Spot]:
    """The centre and four spots halfway to each sensor: far enough apart to separate the four gains."""
    hx, hy = geometry.half_x_mm / 2.0, geometry.half_y_mm / 2.0
    return [Spot("centre", 0.0, 0.0), Spot("front-left", -hx, hy), Spot("front-right", hx, hy),
            Spot("back-left", -hx, -hy), Spot("back-right", hx, -hy)]


def sensor_positions(geometry: BoardGeometry) -> np.ndarray:
    hx, hy = geometry.half_x_mm, geometry.half_y_mm
    return np.array([[-hx, hy], [hx, hy], [-hx, -hy], [hx, -hy]])  # tl, tr, bl, br


def collect_raw(source, seconds: float, *, clock=time.monotonic, sleep=time.sleep) -> np.ndarray:
    """(n, 4) raw counts of the samples covering `seconds` of the board's own time."""
    rows: list[tuple] = []
    first_t_s = None
    deadline = clock() + 2.0 * seconds + 3.0
    while clock() < deadline:
        for sample in source.read():
            raw = (sample.raw_tl, sample.raw_tr, sample.raw_bl, sample.raw_br)
            if None in raw:
                raise CalibrationError(f"{source.url}: this board sends no raw counts, so it cannot be calibrated "
                                       "here (a Wii Balance Board is calibrated at the factory; use --check-only)")
            first_t_s = sample.t_s if first_t_s is None else first_t_s
            rows.append(raw)
            if sample.t_s - first_t_s >= seconds:
                return np.array(rows, dtype=np.float64)
        sleep(POLL_S)
    raise BoardError(f"{source.url}: only {len(rows)} samples in {2.0 * seconds + 3.0:g} s; is the board connected?")


def still_mean(source, counts_per_kg: np.ndarray, say: Callable[[str], None], *, settle_s: float = SETTLE_S,
               measure_s: float = MEASURE_S, **collect) -> np.ndarray:
    """Mean raw counts over `measure_s`, after `settle_s` of samples are let go by (hands off, the mass stops
    rocking, the samples in flight from before the prompt pass), once the board is still (at most TRIES tries)."""
    source.read()
    if settle_s > 0:
        collect_raw(source, settle_s, **collect)
    for attempt in range(TRIES):
        raw = collect_raw(source, measure_s, **collect)
        spread_kg = raw.std(axis=0) / counts_per_kg
        if np.all(spread_kg < STILL_KG):
            return raw.mean(axis=0)
        say(f"The board is moving (spread up to {spread_kg.max():.2f} kg); keep still, measuring again ...")
    raise CalibrationError(f"the board did not keep still in {TRIES} tries (spread {spread_kg.max():.2f} kg)")


def fit_gains(tared_counts: np.ndarray, masses_kg: np.ndarray, spots_mm: np.ndarray,
              geometry: BoardGeometry) -> np.ndarray:
    """Least-squares gains (kg per count) from tared counts (k, 4) of masses (k,) at spots (k, 2)."""
    sensors = sensor_positions(geometry)
    rows = []
    targets = []
    for counts, mass, (x, y) in zip(tared_counts, masses_kg, spots_mm):
        rows += [counts, counts * sensors[:, 0], counts * sensors[:, 1]]
        targets += [mass, mass * x, mass * y]
    design = np.array(rows)
    # Scale the moment rows to kilograms so that millimetres do not outweigh the load equations.
    scale = np.tile([1.0, 1.0 / geometry.half_x_mm, 1.0 / geometry.half_y_mm], len(masses_kg))
    gains, *_ = np.linalg.lstsq(design * scale[:, None], np.array(targets) * scale, rcond=None)
    if np.any(gains <= 0):
        raise CalibrationError("the fitted gains are not all positive: were the masses on the marks named?")
    return gains


def calibrate(source, *, device_id: str, geometry: BoardGeometry, mass_kg: float, ask: Callable[[str], None],
              say: Callable[[str], None], spots: list[Spot] | None = None, start: Calibration | None = None,
              **collect) -> Calibration:
    """Tare, then gains from `mass_kg` on each spot. `ask` shows a prompt and returns when the user is ready."""
    spots = spots or default_spots(geometry)
    counts_per_kg = 1.0 / np.asarray((start or Calibration.uncalibrated(device_id)).gain_kg_per_count)
    ask("Step off the board and take everything off it. Press Enter when it is empty.")
    tare = still_mean(source, counts_per_kg, say, **collect)
    say(f"Tare: {', '.join(f'{c:.0f}' for c in tare)} counts.")
    tared = []
    for spot in spots:
        ask(f"Put the {mass_kg:g} kg mass on the {spot.name} mark (x {spot.x_mm:+.0f} mm, y {spot.y_mm:+.0f} mm), "
            "take your hands off, and press Enter.")
        tared.append(still_mean(source, counts_per_kg, say, **collect) - tare)
    gains = fit_gains(np.array(tared), np.full(len(spots), mass_kg),
                      np.array([(s.x_mm, s.y_mm) for s in spots]), geometry)
    return Calibration(device_id, tare.tolist(), gains.tolist())


def accuracy_check(source, calibration: Calibration, *, geometry: BoardGeometry, mass_kg: float,
                   ask: Callable[[str], None], say: Callable[[str], None], spots: list[Spot] | None = None,
                   **collect) -> dict:
    """Known mass on the marks -> COP error (mm) and load error per corner (kg) with this calibration."""
    spots = spots or default_spots(geometry)
    counts_per_kg = 1.0 / np.asarray(calibration.gain_kg_per_count)
    cop_errors_mm, corner_errors_kg, total_errors_kg = [], [], []
    for spot in spots:
        ask(f"Accuracy check: put the {mass_kg:g} kg mass on the {spot.name} mark and press Enter.")
        mean_counts = still_mean(source, counts_per_kg, say, **collect)
        corners = calibrate_corners(mean_counts[None, :], calibration.tare_counts, calibration.gain_kg_per_count)
        total, x, y = corners_to_cop(corners, geometry, min_load_kg=0.0)
        expected = cop_to_corners([spot.x_mm], [spot.y_mm], mass_kg, geometry)[0]
        cop_errors_mm.append(float(np.hypot(x[0] - spot.x_mm, y[0] - spot.y_mm)))
        corner_errors_kg.append(float(np.abs(corners[0] - expected).max()))
        total_errors_kg.append(float(total[0] - mass_kg))
        say(f"  {spot.name}: COP off by {cop_errors_mm[-1]:.1f} mm, load off by {total_errors_kg[-1]:+.2f} kg")
    return {
        "date_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "mass_kg": mass_kg,
        "cop_error_mean_mm": float(np.mean(cop_errors_mm)),
        "cop_error_max_mm": float(np.max(cop_errors_mm)),
        "corner_load_error_max_kg": float(np.max(corner_errors_kg)),
        "total_load_error_max_kg": float(np.max(np.abs(total_errors_kg))),
        "spots": [{"name": s.name, "x_mm": s.x_mm, "y_mm": s.y_mm, "cop_error_mm": e}
                  for s, e in zip(spots, cop_errors_mm)],
    }


def calibrate_board(source, *, mass_kg: float, ask, say, check_only: bool = False,
                    store: CalibrationStore | None = None, **collect) -> Calibration:
    """The whole `calibrate` command on an open source: fit (unless check_only), check, store, and return."""
    store = store or CalibrationStore()
    device_id = getattr(source, "device_id", None) or source.identity
    geometry = source.geometry
    calibration = store.get(device_id)
    if not check_only:
        calibration = calibrate(source, device_id=device_id, geometry=geometry, mass_kg=mass_kg, ask=ask, say=say,
                                start=calibration, **collect)
        say("Gains (g per 1000 counts): " + ", ".join(f"{1e6 * g:.3f}" for g in calibration.gain_kg_per_count))
    calibration.accuracy = accuracy_check(source, calibration, geometry=geometry, mass_kg=mass_kg, ask=ask, say=say,
                                          **collect)
    store.save(calibration)
    apply = getattr(source, "use_calibration", None)
    if apply is not None:
        apply(calibration)
    return calibration
