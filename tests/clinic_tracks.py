"""Crafted recordings for the clinical tests' tests: a COP track (x, y, load per sample) written as a recording
folder (DESIGN.md B.4) through the one COP inverse (trainer.cop.cop_to_corners), so a replay gives it back."""
from __future__ import annotations

import numpy as np

from hardware.samples import WII_BALANCE_BOARD, LoadSample
from trainer.cop import cop_to_corners
from trainer.recorder import RecordingWriter


def write_track(folder, x_mm, y_mm, load_kg, *, rate_hz: float = 100.0, geometry=WII_BALANCE_BOARD):
    """Sample i at t = i / rate_hz with its COP (x_mm[i], y_mm[i]) and total load_kg[i]; returns the folder."""
    x = np.asarray(x_mm, dtype=np.float64)
    y = np.broadcast_to(np.asarray(y_mm, dtype=np.float64), x.shape)
    load = np.broadcast_to(np.asarray(load_kg, dtype=np.float64), x.shape)
    corners = cop_to_corners(x, np.ascontiguousarray(y), np.ascontiguousarray(load), geometry)
    writer = RecordingWriter(folder, board_url="crafted://", board_identity="crafted track", geometry=geometry)
    writer.add_samples([LoadSample(i / rate_hz, *map(float, c)) for i, c in enumerate(corners)])
    writer.close()
    return folder


def pieces_track(pieces, *, rate_hz: float = 100.0):
    """(x, y, load) arrays from [(seconds, x_mm, y_mm, load_kg), ...] held in turn (each a whole number of samples)."""
    xs, ys, loads = [], [], []
    for seconds, x, y, load in pieces:
        n = round(seconds * rate_hz)
        xs.append(np.full(n, float(x)))
        ys.append(np.full(n, float(y)))
        loads.append(np.full(n, float(load)))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(loads)
