"""What every reader shares: the minimum load, the axes mapping, and the few formulas applied at the file boundary.

Readers convert once, here at the boundary, into DESIGN.md B.1: x medio-lateral (+ right), y antero-posterior
(+ forward), millimetres, kilograms-force, seconds. Each file format has its own names for its two horizontal axes
(BDS `COPx`/`COPy`, the Wii recorder `CpX`/`CpY`, C3D lab `X`/`Y`/`Z` ...); an `AxesMap` says which of them, with
which sign, becomes B.1 x (ml) and y (ap). Every reader takes `axes=` as a string such as `"ml=+COPy,ap=+COPx"` or
an `AxesMap`, and has a documented default.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from hardware.samples import G_M_S2, BoardGeometry
from trainer.cop import MIN_STANDING_KG
from trainer.errors import ReaderOptionError

# The minimum load is the project's one constant, trainer.cop.MIN_STANDING_KG: a file read here masks exactly the
# rows that the live board (BalanceInput) and the recorder mask. Every reader masks with it before dividing.

NEWTONS_PER_KGF = G_M_S2


@dataclass(frozen=True)
class AxesMap:
    """Which source axis, with which sign, becomes B.1 x (medio-lateral) and y (antero-posterior)."""

    ml: str
    ml_sign: int
    ap: str
    ap_sign: int

    def __str__(self) -> str:
        def term(sign: int) -> str:
            return "+" if sign > 0 else "-"

        return f"ml={term(self.ml_sign)}{self.ml},ap={term(self.ap_sign)}{self.ap}"

    def apply(self, sources: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) in B.1 from the source arrays (already in millimetres, already centred)."""
        x = sources[self.ml] if self.ml_sign > 0 else -sources[self.ml]
        y = sources[self.ap] if self.ap_sign > 0 else -sources[self.ap]
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


_TERM = re.compile(r"^\s*(ml|ap)\s*=\s*([+-]?)\s*([A-Za-z_][A-Za-z0-9_.]*)\s*$", re.IGNORECASE)


def resolve_axes(axes: str | AxesMap | None, *, sources: Sequence[str], default: str, format: str) -> AxesMap:
    """The reader's `axes=` option checked against the format's two horizontal source axes.

    `axes` is None (the format's default), an AxesMap, or `"ml=[+|-]SOURCE,ap=[+|-]SOURCE"` (order free, sign
    optional and + by default, source names case-insensitive). The two sources must differ.
    """
    if axes is None:
        axes = default
    if isinstance(axes, AxesMap):
        text = str(axes)
    elif isinstance(axes, str):
        text = axes
    else:
        raise ReaderOptionError(f"axes must be a string like {default!r} or an AxesMap, not {type(axes).__name__}")
    canonical = {name.lower(): name for name in sources}
    choices = ", ".join(sources)
    example = f" (e.g. {default!r})"
    terms = [part for part in text.split(",")]
    found: dict[str, tuple[int, str]] = {}
    for part in terms:
        match = _TERM.match(part)
        if match is None:
            raise ReaderOptionError(f"axes {text!r}: cannot read {part.strip()!r}; write ml=[+|-]SOURCE,ap=[+|-]SOURCE"
                                    f" with SOURCE one of {choices} for {format} files{example}")
        role, sign, source = match.group(1).lower(), match.group(2), match.group(3)
        if role in found:
            raise ReaderOptionError(f"axes {text!r}: {role} is given twice{example}")
        if source.lower() not in canonical:
            raise ReaderOptionError(f"axes {text!r}: {format} files have no horizontal axis {source!r}; "
                                    f"choose from {choices}{example}")
        found[role] = (-1 if sign == "-" else 1, canonical[source.lower()])
    missing = [role for role in ("ml", "ap") if role not in found]
    if missing:
        raise ReaderOptionError(f"axes {text!r}: {' and '.join(missing)} missing{example}")
    (ml_sign, ml), (ap_sign, ap) = found["ml"], found["ap"]
    if ml == ap:
        raise ReaderOptionError(f"axes {text!r}: ml and ap both come from {ml}; they must use different axes{example}")
    return AxesMap(ml=ml, ml_sign=ml_sign, ap=ap, ap_sign=ap_sign)


def loaded_rows(total_kg: np.ndarray, min_load_kg: float = MIN_STANDING_KG) -> np.ndarray:
    """True where someone stands: the load is finite and at least `min_load_kg` (NaN loads count as unloaded)."""
    total_kg = np.asarray(total_kg, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.isfinite(total_kg) & (total_kg >= min_load_kg)


def masked_ratio(numerator: np.ndarray, denominator: np.ndarray, loaded: np.ndarray) -> np.ndarray:
    """numerator / denominator on the loaded rows, NaN elsewhere; nothing is ever divided by an unloaded row."""
    out = np.full(len(loaded), np.nan)
    out[loaded] = np.asarray(numerator, dtype=np.float64)[loaded] / np.asarray(denominator, dtype=np.float64)[loaded]
    return out


def plate_cop_mm(fz_n: np.ndarray, mx_nm: np.ndarray, my_nm: np.ndarray,
                 loaded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A force plate's COP in its own axes, mm: x = −My/Fz, y = Mx/Fz (moments about the top surface's origin),
    on the loaded rows; NaN elsewhere."""
    return masked_ratio(-1000.0 * my_nm, fz_n, loaded), masked_ratio(1000.0 * mx_nm, fz_n, loaded)


def masked(values: np.ndarray, loaded: np.ndarray) -> np.ndarray:
    """A float copy of `values` with NaN on the unloaded rows."""
    out = np.array(values, dtype=np.float64)
    out[~loaded] = np.nan
    return out


# Corner positions in a board's own frame: (sign of its x axis, sign of its y axis) for tl, tr, bl, br.
_CORNER_SIGNS = ((-1, 1), (1, 1), (-1, -1), (1, -1))


def corners_for_axes(axes: AxesMap, sources: tuple[str, str],
                     geometry: BoardGeometry | None) -> tuple[list[int], BoardGeometry | None]:
    """How a board's own corners become B.1 corners under `axes`.

    `sources` names the board's (x-like, y-like) axes, whose corners are stored tl, tr, bl, br in the board's own
    frame. Returns the column order that puts them in B.1 order, and the geometry seen in B.1 (the spacings swap
    when ml comes from the board's y axis). With it, trainer.cop.corners_to_cop on the reordered corners equals
    the board's own COP mapped through `axes`.
    """
    order = [0, 0, 0, 0]
    for board_index, (ex, ey) in enumerate(_CORNER_SIGNS):
        along = {sources[0]: ex, sources[1]: ey}
        ux = axes.ml_sign * along[axes.ml]
        uy = axes.ap_sign * along[axes.ap]
        order[_CORNER_SIGNS.index((ux, uy))] = board_index
    if axes.ml == sources[0] or geometry is None:
        return order, geometry
    swapped = BoardGeometry(f"{geometry.name} (turned 90 degrees)", geometry.sensor_spacing_y_mm,
                            geometry.sensor_spacing_x_mm)
    return order, swapped


def nominal_rate_hz(t_s: np.ndarray, *, tolerance: float = 0.01) -> float | None:
    """The sampling rate if every interval is within `tolerance` (relative) of the median, else None.

    Rounded to an integer rate where that is within 1e-6 relative (timestamps printed with few decimals).
    """
    if len(t_s) < 2:
        return None
    dt = np.diff(np.asarray(t_s, dtype=np.float64))
    median = float(np.median(dt))
    if not np.isfinite(median) or median <= 0:
        return None
    if np.max(np.abs(dt - median)) > tolerance * median:
        return None
    rate = 1.0 / median
    nearest = round(rate)
    return float(nearest) if nearest > 0 and abs(rate - nearest) <= 1e-6 * rate else rate
