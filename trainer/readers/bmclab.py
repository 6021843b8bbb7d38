"""The two BMClab quiet-standing data sets: BDS (Santos & Duarte 2016) and PDS (dos Santos et al. 2017).

BDS `BDSnnnnn.txt`: tab-separated, header `Time[s] Fx[N] Fy[N] Fz[N] Mx[Nm] My[Nm] Mz[Nm] COPx[cm] COPy[cm]`,
one AMTI plate, 100 Hz. `COPx` is antero-posterior (= -100 My/Fz), `COPy` medio-lateral (= 100 Mx/Fz).
Default axes `"ml=+COPy,ap=+COPx"`. The total load is Fz.

PDS `PDSnnCCtgrf.txt`: tab-separated, two plates, metres, Y vertical, X antero-posterior and Z medio-lateral; the
net COP is `COPNET_X` (AP) and `COPNET_Z` (ML), the total load `GRFNET_Y`. With X forward and Y up, the lab's
right-handed Z points to the subject's right, hence the default axes `"ml=+COPNET_Z,ap=+COPNET_X"`.

Both keep every column of the file in `metadata["channels"]` (file units), and mask the COP where the load is
below MIN_STANDING_KG.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from trainer.readers.common import (NEWTONS_PER_KGF, AxesMap, loaded_rows, masked, nominal_rate_hz,
                                    resolve_axes)
from trainer.readers.textfile import TextTable, read_text_lines
from trainer.recording import Recording
from trainer.errors import RecordingFormatError

BDS_COLUMNS = ("Time[s]", "Fx[N]", "Fy[N]", "Fz[N]", "Mx[Nm]", "My[Nm]", "Mz[Nm]", "COPx[cm]", "COPy[cm]")
BDS_SOURCES = ("COPx", "COPy")
BDS_DEFAULT_AXES = "ml=+COPy,ap=+COPx"

PDS_COLUMNS = ("Time", "RGRF_X", "RGRF_Y", "RGRF_Z", "LGRF_X", "LGRF_Y", "LGRF_Z", "GRFNET_X", "GRFNET_Y",
               "GRFNET_Z", "RCOP_X", "RCOP_Y", "RCOP_Z", "LCOP_X", "LCOP_Y", "LCOP_Z", "COPNET_X", "COPNET_Y",
               "COPNET_Z", "RFREEMOMENT_Y", "LFREEMOMENT_Y")
PDS_SOURCES = ("COPNET_X", "COPNET_Z")
PDS_DEFAULT_AXES = "ml=+COPNET_Z,ap=+COPNET_X"


def sniff_bds(head: str) -> bool:
    first = head.lstrip("\ufeff").split("\n", 1)[0]
    return first.startswith("Time[s]\tFx[N]") and "COPx[cm]" in first and "COPy[cm]" in first


def sniff_pds(head: str) -> bool:
    first = head.lstrip("\ufeff").split("\n", 1)[0]
    return "COPNET_X" in first and "GRFNET_Y" in first


def read_bds(path: str | Path, *, axes: str | AxesMap | None = None) -> Recording:
    """A BDS trial. COP in mm from the file's `COPx`/`COPy` (cm), total load from `Fz[N]`."""
    axes_map = resolve_axes(axes, sources=BDS_SOURCES, default=BDS_DEFAULT_AXES, format="bds")
    lines = read_text_lines(path)
    if not lines[0].startswith("Time[s]\t"):
        raise RecordingFormatError(path, f"expected the BDS header {' '.join(BDS_COLUMNS)}, found "
                                         f"{lines[0].strip()[:80]!r}", line=1)
    return _plate_recording(path, lines, "bds", axes_map, time="Time[s]", load_n="Fz[N]",
                            cop={"COPx": "COPx[cm]", "COPy": "COPy[cm]"}, mm_per_unit=10.0,
                            device="AMTI force plate (BMClab BDS)")


def read_pds(path: str | Path, *, axes: str | AxesMap | None = None) -> Recording:
    """A PDS `grf` trial. COP in mm from the net COP (m), total load from `GRFNET_Y` (N)."""
    axes_map = resolve_axes(axes, sources=PDS_SOURCES, default=PDS_DEFAULT_AXES, format="pds")
    lines = read_text_lines(path)
    if not (lines[0].lstrip().startswith("Time") and "\t" in lines[0]):
        raise RecordingFormatError(path, f"expected the PDS header (Time, RGRF_X ... COPNET_Z ...), found "
                                         f"{lines[0].strip()[:80]!r}", line=1)
    return _plate_recording(path, lines, "pds", axes_map, time="Time", load_n="GRFNET_Y",
                            cop={"COPNET_X": "COPNET_X", "COPNET_Z": "COPNET_Z"}, mm_per_unit=1000.0,
                            device="two force plates (BMClab PDS)")


def _plate_recording(path, lines, format: str, axes_map: AxesMap, *, time: str, load_n: str, cop: dict[str, str],
                     mm_per_unit: float, device: str) -> Recording:
    """The shared body of both BMClab readers: a tab-separated table with a time, a vertical load (N) and a COP."""
    table = TextTable(path, lines, 0, "\t")
    t_col, load_col, *cop_cols = table.require(time, load_n, *cop.values())
    values = table.numbers()
    t_s = values[:, t_col].copy()
    table.check_time(t_s, time)
    total_kg = values[:, load_col] / NEWTONS_PER_KGF
    loaded = loaded_rows(total_kg)
    cop_x, cop_y = axes_map.apply({source: mm_per_unit * values[:, col] for source, col in zip(cop, cop_cols)})
    return Recording(
        path=str(path), format=format, t_s=t_s, cop_x_mm=masked(cop_x, loaded), cop_y_mm=masked(cop_y, loaded),
        total_kg=total_kg, fs_hz=nominal_rate_hz(t_s),
        metadata={"axes": str(axes_map), "device": device, "channels": _channels(table, values, skip=t_col)},
    )


def _channels(table: TextTable, values: np.ndarray, *, skip: int) -> dict[str, np.ndarray]:
    return {name: values[:, index] for index, name in enumerate(table.names) if index != skip}
