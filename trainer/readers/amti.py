"""AMTI force plate exported as a Motive-style CSV (OptiTrack Motive's force plate export).

The file opens with `key,value,` metadata lines (31 in shared/data's file, with blank lines between groups), then
the header `MocapFrame, MocapTime, DeviceFrame, Fx, Fy, Fz, Mx, My, Mz, Cx, Cy, Cz` (names after a leading space),
then comma-separated rows: N, N·m, m. The header is found by its names, not by counting lines.

The COP is computed from the moments at full precision (the file's own Cx/Cy columns are rounded to six decimals
of a metre): source `Cx` = -My/Fz and `Cy` = Mx/Fz, in mm. Default axes `"ml=-Cx,ap=+Cy"`, i.e.
x_mm = 1000·My/Fz (medio-lateral) and y_mm = 1000·Mx/Fz (antero-posterior), as Quijoux et al. 2021 used the plate.
Rows with Fz = 0 (the exporter's dropouts) or any load below MIN_STANDING_KG keep their row and time with a NaN COP;
nothing is divided by them. Every column of the file is kept in `metadata["channels"]` (file units) and the
metadata lines in `metadata["file_metadata"]`.
"""
from __future__ import annotations

from pathlib import Path

from trainer.errors import RecordingFormatError
from trainer.readers.common import (NEWTONS_PER_KGF, AxesMap, loaded_rows, plate_cop_mm, nominal_rate_hz,
                                    resolve_axes)
from trainer.readers.textfile import TextTable, find_line, read_text_lines
from trainer.recording import Recording

AMTI_SOURCES = ("Cx", "Cy")
AMTI_DEFAULT_AXES = "ml=-Cx,ap=+Cy"
_HEADER_SEARCH_LINES = 200


def _is_header(line: str) -> bool:
    names = [name.strip() for name in line.split(",")]
    return "MocapFrame" in names and "Fz" in names


def sniff_amti(head: str) -> bool:
    # By the force plate header, not by "Format Version," alone: Motive's marker exports open with it too.
    return any(_is_header(line) for line in head.split("\n")[:_HEADER_SEARCH_LINES])


def read_amti(path: str | Path, *, axes: str | AxesMap | None = None) -> Recording:
    """An AMTI Motive CSV. COP in mm from Mx, My, Fz at full precision; total load from Fz."""
    axes_map = resolve_axes(axes, sources=AMTI_SOURCES, default=AMTI_DEFAULT_AXES, format="amti")
    lines = read_text_lines(path)
    header = find_line(lines, _is_header, limit=_HEADER_SEARCH_LINES)
    if header is None:
        scanned = min(len(lines), _HEADER_SEARCH_LINES)
        if lines[0].startswith("Format Version,") and len(lines) < _HEADER_SEARCH_LINES:
            raise RecordingFormatError(path, "ends in the metadata, before the column header "
                                             "(MocapFrame, MocapTime, ..., Fz, Mx, My, ...): truncated?",
                                       line=len(lines))
        raise RecordingFormatError(path, f"no AMTI column header (MocapFrame, MocapTime, ..., Fz, Mx, My, ...) "
                                         f"in the first {scanned} lines", line=1)
    file_metadata = {}
    for line in lines[:header]:
        key, _, value = line.partition(",")
        if key.strip():
            file_metadata[key.strip()] = value.rstrip(",").strip()
    table = TextTable(path, lines, header, ",")
    t_col, fz_col, mx_col, my_col = table.require("MocapTime", "Fz", "Mx", "My")
    values = table.numbers()
    t_s = values[:, t_col].copy()
    table.check_time(t_s, "MocapTime")
    fz, mx, my = values[:, fz_col], values[:, mx_col], values[:, my_col]
    total_kg = fz / NEWTONS_PER_KGF
    loaded = loaded_rows(total_kg)
    plate_x_mm, plate_y_mm = plate_cop_mm(fz, mx, my, loaded)
    cop_x, cop_y = axes_map.apply({"Cx": plate_x_mm, "Cy": plate_y_mm})
    return Recording(
        path=str(path), format="amti", t_s=t_s, cop_x_mm=cop_x, cop_y_mm=cop_y, total_kg=total_kg,
        fs_hz=nominal_rate_hz(t_s),
        metadata={"axes": str(axes_map), "device": file_metadata.get("Device Name", "AMTI force plate"),
                  "file_metadata": file_metadata, "unloaded_rows": int((~loaded).sum()),
                  "channels": {name: values[:, i] for i, name in enumerate(table.names) if i != t_col}},
    )
