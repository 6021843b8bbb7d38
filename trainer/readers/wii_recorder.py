"""Text files of the VU Amsterdam "Wii Balance Board Recorder".

Tab-separated, CRLF, header `Time CpX CpY BottomLeft BottomRight TopLeft TopRight Weight RAWBottomLeft
RAWBottomRight RAWTopLeft RAWTopRight`: time in s (irregular, about 40 Hz), CpX/CpY in cm, the four sensors in N,
Weight in kg, RAW in 16-bit ADC counts.

- Rows whose every column but Time equals the previous row's are the recorder reading the same board report
  twice; they are dropped and counted in `metadata["repeated_rows_dropped"]`.
- Corner loads become kgf (N / G_M_S2) in `corners_kg` as tl, tr, bl, br = TopLeft, TopRight, BottomLeft,
  BottomRight; raw counts go to `raw_counts` in the same order; geometry is WII_BALANCE_BOARD.
- The COP is recomputed from the corners by trainer.cop.corners_to_cop (it matches the file's CpX/CpY x 10 to
  5.5e-3 mm wherever more than a few kgf stand on the board; nearer to zero the three-decimal newtons of the file
  round it more), and is NaN wherever the total is below trainer.cop.MIN_STANDING_KG: the recorder's own CpX/CpY
  divide noise by noise on the empty board.
- Default axes `"ml=+CpX,ap=+CpY"`. Another mapping also re-labels the corners (and swaps the geometry's spacings
  when ml comes from CpY) so that corners, geometry and COP stay consistent in B.1.
- fs_hz is None: the timestamps are irregular.
- The file's Weight column is the recorder's sum of the sensors divided by 9.8 (not 9.80665): kept, as are CpX and
  CpY, in `metadata["channels"]`; total_kg is the sum of corners_kg.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from hardware.samples import WII_BALANCE_BOARD
from trainer.errors import RecordingFormatError
from trainer.cop import corners_to_cop
from trainer.readers.common import NEWTONS_PER_KGF, AxesMap, corners_for_axes, resolve_axes
from trainer.readers.textfile import TextTable, read_text_lines
from trainer.recording import Recording

WII_SOURCES = ("CpX", "CpY")
WII_DEFAULT_AXES = "ml=+CpX,ap=+CpY"
CORNER_COLUMNS = ("TopLeft", "TopRight", "BottomLeft", "BottomRight")
RAW_COLUMNS = ("RAWTopLeft", "RAWTopRight", "RAWBottomLeft", "RAWBottomRight")


def sniff_wii_recorder(head: str) -> bool:
    first = [name.strip() for name in head.lstrip("\ufeff").split("\n", 1)[0].split("\t")]
    return first[:3] == ["Time", "CpX", "CpY"] and all(name in first for name in CORNER_COLUMNS)


def read_wii_recorder(path: str | Path, *, axes: str | AxesMap | None = None) -> Recording:
    """A Wii Balance Board Recorder file: corners in kgf, raw counts, COP recomputed from the corners."""
    axes_map = resolve_axes(axes, sources=WII_SOURCES, default=WII_DEFAULT_AXES, format="wii-recorder")
    lines = read_text_lines(path)
    if lines[0].split("\t", 1)[0].strip() != "Time":
        raise RecordingFormatError(path, f"expected the Wii Balance Board Recorder header (Time, CpX, CpY, "
                                         f"BottomLeft, ...), found {lines[0].strip()[:80]!r}", line=1)
    table = TextTable(path, lines, 0, "\t")
    t_col = table.require("Time")[0]
    corner_cols = table.require(*CORNER_COLUMNS)
    values = table.numbers()
    t_all = values[:, t_col]
    table.check_time(t_all, "Time")

    others = np.ones(values.shape[1], dtype=bool)
    others[t_col] = False
    repeat = np.zeros(len(values), dtype=bool)
    repeat[1:] = np.all(values[1:, others] == values[:-1, others], axis=1)
    kept = values[~repeat]

    order, geometry = corners_for_axes(axes_map, WII_SOURCES, WII_BALANCE_BOARD)
    board_corners_kg = kept[:, corner_cols] / NEWTONS_PER_KGF
    corners_kg = board_corners_kg[:, order]
    total_kg, cop_x, cop_y = corners_to_cop(corners_kg, geometry)

    raw_counts = None
    if all(name in table.columns for name in RAW_COLUMNS):
        raw = kept[:, [table.columns[name] for name in RAW_COLUMNS]][:, order]
        raw_counts = raw.astype(np.int64) if np.all(raw == np.rint(raw)) else raw

    return Recording(
        path=str(path), format="wii-recorder", t_s=kept[:, t_col].copy(), cop_x_mm=cop_x, cop_y_mm=cop_y,
        total_kg=total_kg, fs_hz=None, corners_kg=corners_kg, raw_counts=raw_counts, geometry=geometry,
        metadata={"axes": str(axes_map), "device": "Wii Balance Board (VU Amsterdam Wii Balance Board Recorder)",
                  "repeated_rows_dropped": int(repeat.sum()),
                  "channels": {name: kept[:, i] for i, name in enumerate(table.names) if i != t_col}},
    )
