"""Kistler force plate recorded as its 8 raw voltage channels (the BMClab `kistler_fp_data.txt` layout).

Tab-separated, header `Time (s)  Channel 0 ... Channel 7`; the channels are, in volts,
[fx12, fx34, fy14, fy23, fz1, fz2, fz3, fz4]. Force in N is 1000·V/S with S the channel's sensitivity in mV/N.
Then, with the plate constants a, b (sensor offsets from the centre) and az0 (the top plate's height above the
sensors' plane, negative):
    Fx = fx12 + fx34, Fy = fy14 + fy23, Fz = fz1 + fz2 + fz3 + fz4
    Mx = b(fz1 + fz2 - fz3 - fz4),  My = a(-fz1 + fz2 + fz3 - fz4)
    Mx' = Mx + Fy·az0,  My' = My - Fx·az0
    ax = -My'/Fz,  ay = Mx'/Fz   (plate frame, metres)
The defaults are those of the BMClab Kistler 9281EA (shared/data/README.md).

Default axes `"ml=+ax,ap=+ay"`: the plate's x axis is taken as medio-lateral (+ right) and its y axis as
antero-posterior (+ forward). The file does not say how the subject faced the plate; pass `axes=` if otherwise.
Forces (N) and moments (N·m) are kept in `metadata["channels"]`; total_kg is Fz / g.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np

from trainer.errors import ReaderOptionError, RecordingFormatError
from trainer.readers.common import (NEWTONS_PER_KGF, AxesMap, loaded_rows, plate_cop_mm,
                                    nominal_rate_hz, resolve_axes)
from trainer.readers.textfile import TextTable, read_text_lines
from trainer.recording import Recording

KISTLER_SOURCES = ("ax", "ay")
KISTLER_DEFAULT_AXES = "ml=+ax,ap=+ay"
CHANNELS = ("fx12", "fx34", "fy14", "fy23", "fz1", "fz2", "fz3", "fz4")
# Kistler 9281EA of the BMClab: fx/fy at the 0.25 kN range, fz at the 5 kN range (mV/N).
KISTLER_9281EA_SENSITIVITIES_MV_PER_N = (38.117, 37.723, 38.062, 38.008, 3.898, 3.889, 3.885, 3.891)
KISTLER_9281EA_A_M = 0.120
KISTLER_9281EA_B_M = 0.200
KISTLER_9281EA_AZ0_M = -0.048


def sniff_kistler(head: str) -> bool:
    names = [name.strip() for name in head.lstrip("\ufeff").split("\n", 1)[0].split("\t")]
    return len(names) == 9 and names[0].startswith("Time") and names[1:] == [f"Channel {i}" for i in range(8)]


def read_kistler(path: str | Path, *, axes: str | AxesMap | None = None, a_m: float = KISTLER_9281EA_A_M,
                 b_m: float = KISTLER_9281EA_B_M, az0_m: float = KISTLER_9281EA_AZ0_M,
                 sensitivities_mv_per_n: Sequence[float] = KISTLER_9281EA_SENSITIVITIES_MV_PER_N) -> Recording:
    """A Kistler 8-channel voltage file. The plate constants default to the BMClab 9281EA's."""
    axes_map = resolve_axes(axes, sources=KISTLER_SOURCES, default=KISTLER_DEFAULT_AXES, format="kistler")
    for name, value in (("a_m", a_m), ("b_m", b_m)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ReaderOptionError(f"kistler: {name} must be a positive distance in metres, not {value!r}")
    if not (isinstance(az0_m, (int, float)) and math.isfinite(az0_m)):
        raise ReaderOptionError(f"kistler: az0_m must be a finite distance in metres, not {az0_m!r}")
    sensitivity = np.asarray(sensitivities_mv_per_n, dtype=np.float64)
    if sensitivity.shape != (8,) or not np.all(np.isfinite(sensitivity)) or np.any(sensitivity <= 0):
        raise ReaderOptionError(f"kistler: sensitivities_mv_per_n must be 8 positive numbers (mV/N) for "
                                f"{', '.join(CHANNELS)}, not {sensitivities_mv_per_n!r}")

    lines = read_text_lines(path)
    table = TextTable(path, lines, 0, "\t")
    if len(table.names) != 9 or not table.names[0].startswith("Time"):
        raise RecordingFormatError(path, f"expected a header 'Time (s)' then 8 channels (fx12, fx34, fy14, fy23, "
                                         f"fz1..fz4), found {lines[0].strip()[:80]!r}", line=1)
    values = table.numbers()
    t_s = values[:, 0].copy()
    table.check_time(t_s, table.names[0])

    force_n = 1000.0 * values[:, 1:] / sensitivity
    fx12, fx34, fy14, fy23, fz1, fz2, fz3, fz4 = force_n.T
    fx, fy, fz = fx12 + fx34, fy14 + fy23, fz1 + fz2 + fz3 + fz4
    mx = b_m * (fz1 + fz2 - fz3 - fz4) + fy * az0_m
    my = a_m * (-fz1 + fz2 + fz3 - fz4) - fx * az0_m
    total_kg = fz / NEWTONS_PER_KGF
    loaded = loaded_rows(total_kg)
    plate_x_mm, plate_y_mm = plate_cop_mm(fz, mx, my, loaded)
    cop_x, cop_y = axes_map.apply({"ax": plate_x_mm, "ay": plate_y_mm})
    return Recording(
        path=str(path), format="kistler", t_s=t_s, cop_x_mm=cop_x, cop_y_mm=cop_y, total_kg=total_kg,
        fs_hz=nominal_rate_hz(t_s),
        metadata={"axes": str(axes_map), "device": "Kistler force plate (8 channels)",
                  "plate": {"a_m": a_m, "b_m": b_m, "az0_m": az0_m,
                            "sensitivities_mv_per_n": dict(zip(CHANNELS, sensitivity.tolist()))},
                  "channels": {"Fx": fx, "Fy": fy, "Fz": fz, "Mx": mx, "My": my,
                               **{f"{name}_v": values[:, 1 + i] for i, name in enumerate(CHANNELS)}}},
    )
