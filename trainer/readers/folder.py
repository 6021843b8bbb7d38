"""The project's own recording folder (DESIGN.md B.4): samples.csv, and summary.json and events.csv where present.

`samples.csv` has the header `t_s,seq,raw_tl,raw_tr,raw_bl,raw_br,tl_kg,tr_kg,bl_kg,br_kg,total_kg,cop_x_mm,cop_y_mm,
flags`; columns are found by name, so columns appended by a later version are tolerated (listed in
`metadata["extra_columns"]`). Empty cells: COP -> NaN (nobody standing); `seq` and the raw counts may be empty where
the board has none: a column empty throughout gives None, a fully present one int64, a partly empty one float64 with
NaN. `t_s`, the four corners, `total_kg` and `flags` must be present on every row. The values are already in B.1 and
are taken as recorded (the COP is not recomputed).

A last row cut short without its line end (the program or the machine stopped while writing it) is dropped and
`metadata["dropped_partial_last_row"]` says so; anything else malformed is an error naming the line.

`path` is the folder or its samples.csv. summary.json goes to `metadata["summary"]`, events.csv to
`metadata["events"]` as a list of {"t_s", "kind", "detail"}. fs_hz: summary.json's `nominal_hz` (top level or under
`board`) when present, else the timestamps' rate when they are regular, else None.

Default axes `"ml=+x,ap=+y"` (the file is in B.1 already); another mapping re-labels corners and raw counts too.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

from hardware.samples import BoardGeometry
from trainer.errors import RecordingFormatError
from trainer.readers.common import AxesMap, corners_for_axes, nominal_rate_hz, resolve_axes
from trainer.readers.textfile import TextTable, read_text_lines
from trainer.recording import Recording

SAMPLES_HEADER = ("t_s", "seq", "raw_tl", "raw_tr", "raw_bl", "raw_br", "tl_kg", "tr_kg", "bl_kg", "br_kg",
                  "total_kg", "cop_x_mm", "cop_y_mm", "flags")
EVENTS_HEADER = ("t_s", "kind", "detail")
FOLDER_SOURCES = ("x", "y")
FOLDER_DEFAULT_AXES = "ml=+x,ap=+y"
_REQUIRED = ("t_s", "tl_kg", "tr_kg", "bl_kg", "br_kg", "total_kg", "flags")


def sniff_folder_samples(head: str) -> bool:
    names = [name.strip() for name in head.lstrip("\ufeff").split("\n", 1)[0].split(",")]
    return names[:len(SAMPLES_HEADER)] == list(SAMPLES_HEADER)


def sample_lines(samples_path: Path) -> tuple[list[str], bool]:
    """samples.csv's lines (header first), and whether a half-written last row was dropped: a recording cut by a
    crash or a pulled plug may end in half a row; that row is dropped, the rest is kept."""
    lines = read_text_lines(samples_path)
    partial_last_row = len(lines) > 2 and lines[-1] != "" and lines[-1].count(",") < len(SAMPLES_HEADER) - 1
    return (lines[:-1] if partial_last_row else lines), partial_last_row


def read_folder(path: str | Path, *, axes: str | AxesMap | None = None) -> Recording:
    """A B.4 recording folder (or its samples.csv)."""
    axes_map = resolve_axes(axes, sources=FOLDER_SOURCES, default=FOLDER_DEFAULT_AXES, format="folder")
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    samples_path = folder / "samples.csv" if path.is_dir() else path
    if path.is_dir() and not samples_path.exists():
        raise RecordingFormatError(path, "is a folder without samples.csv (not a B.4 recording)")

    lines, partial_last_row = sample_lines(samples_path)
    table = TextTable(samples_path, lines, 0, ",")
    missing = [name for name in SAMPLES_HEADER if name not in table.columns]
    if missing:
        raise RecordingFormatError(samples_path, f"header lacks {', '.join(missing)}; expected "
                                                 f"{','.join(SAMPLES_HEADER)}", line=1)
    values = table.numbers(empty_as_nan=True)
    col = {name: values[:, table.columns[name]] for name in SAMPLES_HEADER}
    for name in _REQUIRED:
        empty = np.isnan(col[name])
        if empty.any():
            raise RecordingFormatError(samples_path, f"{name} is empty", line=table.row_line(int(np.argmax(empty))))
    t_s = col["t_s"].copy()
    table.check_time(t_s, "t_s")

    order, _ = corners_for_axes(axes_map, FOLDER_SOURCES, None)
    corners_kg = np.column_stack([col[f"{c}_kg"] for c in ("tl", "tr", "bl", "br")])[:, order]
    raw = np.column_stack([col[f"raw_{c}"] for c in ("tl", "tr", "bl", "br")])[:, order]
    cop_x, cop_y = axes_map.apply({"x": col["cop_x_mm"], "y": col["cop_y_mm"]})

    in_folder = samples_path.name == "samples.csv"  # a lone CSV copied elsewhere has no siblings of its own
    summary = _summary(folder / "summary.json") if in_folder else None
    events = _events(folder / "events.csv") if in_folder else None
    metadata = {"axes": str(axes_map), "device": "balance-trainer recording (B.4)",
                "flags": _integers(table, "flags", col["flags"]), "summary": summary, "events": events,
                "extra_columns": [name for name in table.names if name not in SAMPLES_HEADER],
                "dropped_partial_last_row": partial_last_row}
    return Recording(
        path=str(folder if path.is_dir() else samples_path), format="folder", t_s=t_s, cop_x_mm=cop_x,
        cop_y_mm=cop_y, total_kg=col["total_kg"].copy(), fs_hz=_rate(summary, t_s), corners_kg=corners_kg,
        raw_counts=_integers(table, "raw counts", raw), seq=_integers(table, "seq", col["seq"]), metadata=metadata,
        geometry=_geometry(summary),
    )


def _geometry(summary: dict | None) -> BoardGeometry | None:
    """The board the recording was made on, as the recorder wrote it into summary.json (None if it did not)."""
    saved = (summary or {}).get("geometry")
    try:
        return BoardGeometry(str(saved["name"]), float(saved["sensor_spacing_x_mm"]),
                             float(saved["sensor_spacing_y_mm"]))
    except (TypeError, KeyError, ValueError):
        return None


def _integers(table: TextTable, name: str, values: np.ndarray) -> np.ndarray | None:
    """int64 when all present, float64 with NaN when partly present, None when empty throughout."""
    present = ~np.isnan(values)
    if not present.any():
        return None
    fractional = present & (values != np.rint(np.where(present, values, 0.0)))
    if fractional.any():
        row = int(np.argmax(fractional.any(axis=1) if fractional.ndim == 2 else fractional))
        raise RecordingFormatError(table.path, f"{name} must be whole numbers", line=table.row_line(row))
    return values.astype(np.int64) if present.all() else values.copy()


def _summary(path: Path) -> dict | None:
    if not path.exists():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordingFormatError(path, f"cannot be read: {exc}") from None
    if not text.strip():
        raise RecordingFormatError(path, "is empty", line=1)
    try:
        summary = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordingFormatError(path, f"is not valid JSON: {exc.msg}", line=exc.lineno) from None
    if not isinstance(summary, dict):
        raise RecordingFormatError(path, "must hold a JSON object", line=1)
    return summary


def _events(path: Path) -> list[dict] | None:
    if not path.exists():
        return None
    try:
        if not path.read_bytes().strip():
            return []  # created, nothing happened yet
    except OSError as exc:
        raise RecordingFormatError(path, f"cannot be read: {exc.strerror or exc}") from None
    lines = read_text_lines(path)
    rows = csv.reader(io.StringIO("\n".join(lines)))
    header = [name.strip() for name in next(rows, [])]
    if header[:3] != list(EVENTS_HEADER):
        raise RecordingFormatError(path, f"expected the header {','.join(EVENTS_HEADER)}", line=1)
    events = []
    for row in rows:
        line_no = rows.line_num
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < 2:
            raise RecordingFormatError(path, "expected t_s,kind,detail", line=line_no)
        try:
            t_s = float(row[0])
        except ValueError:
            raise RecordingFormatError(path, f"t_s holds {row[0]!r}, not a number", line=line_no) from None
        events.append({"t_s": t_s, "kind": row[1].strip(), "detail": ",".join(row[2:]) if len(row) > 2 else ""})
    return events


def _rate(summary: dict | None, t_s: np.ndarray) -> float | None:
    for place in (summary or {}, (summary or {}).get("board") or {}):
        value = place.get("nominal_hz") if isinstance(place, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return float(value)
    return nominal_rate_hz(t_s)
