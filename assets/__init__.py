"""Fonts, sounds and images shipped with balance-trainer (licences in LICENSES.md)."""
from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parent


def asset_path(name: str) -> Path:
    """Absolute path of an asset file shipped in this folder."""
    return ASSETS_DIR / name
