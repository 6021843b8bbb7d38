"""Per-device calibration: raw counts -> kilograms per corner, stored in the user's data folder by device identity.

corner_kg = (raw_counts - tare_counts) * gain_kg_per_count, per corner (trainer.cop.calibrate_corners does it for
whole arrays). A device that has never been calibrated gets `Calibration.uncalibrated`: nominal gains, no tare,
and `calibrated=False`, which the board reports so nobody trusts its kilograms by mistake.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import platformdirs

# A 50 kg bar load cell behind an HX711 at gain 128 gives roughly 20,000 counts per kg; the real value varies by
# +-30 % between cells, which is why the kilograms of an uncalibrated plate are marked as such.
NOMINAL_COUNTS_PER_KG = 20_000.0
CALIBRATION_FILE = "calibrations.json"


def data_dir() -> Path:
    """The user's data folder for balance-trainer (BALANCE_TRAINER_DATA_DIR overrides it, e.g. in tests)."""
    override = os.environ.get("BALANCE_TRAINER_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir("balance-trainer", appauthor=False))


@dataclass
class Calibration:
    device_id: str  # the board's identity: FP1 uid in hex, or another stable name
    tare_counts: list[float]  # per corner tl, tr, bl, br: raw counts with nothing on the board
    gain_kg_per_count: list[float]  # per corner
    calibrated: bool = True
    created_utc: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    accuracy: dict | None = None  # the last accuracy check: errors in mm and kg, with its date

    @classmethod
    def uncalibrated(cls, device_id: str) -> "Calibration":
        return cls(device_id, [0.0] * 4, [1.0 / NOMINAL_COUNTS_PER_KG] * 4, calibrated=False)


class CalibrationStore:
    """All calibrations of this user, one JSON file, rewritten atomically."""

    def __init__(self, folder: Path | None = None):
        self.path = (folder or data_dir()) / CALIBRATION_FILE

    def _load_all(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            # A damaged file must not stop the board: it is kept aside and the board runs uncalibrated.
            self.path.replace(self.path.with_suffix(".damaged.json"))
            return {}

    def get(self, device_id: str) -> Calibration:
        entry = self._load_all().get(device_id)
        if not isinstance(entry, dict):
            return Calibration.uncalibrated(device_id)
        try:
            return Calibration(**entry)
        except TypeError:
            return Calibration.uncalibrated(device_id)

    def save(self, calibration: Calibration) -> None:
        everything = self._load_all()
        everything[calibration.device_id] = asdict(calibration)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(everything, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, self.path)

    def all(self) -> list[Calibration]:
        return [self.get(device_id) for device_id in self._load_all()]
