"""MATLAB .mat files holding a COP trajectory: `cop_x`, `cop_y` (mm) and `time` (s), read with scipy.io.loadmat.

The layout of postural-time-to-boundary's `example_cop.mat`: COP in the force plate's own frame, origin at a plate
corner, with optional `fp_pts` (the plate's four corners, mm) and `bound_pts` (the base-of-support polygon, mm).
Where `fp_pts` is there the COP is re-centred on the plate's centre (B.1's origin) and the polygons are carried
into B.1 as `metadata["plate_corners_mm"]` and `metadata["boundary_mm"]`; otherwise the file's origin is kept.

Default axes `"ml=+cop_x,ap=+cop_y"` (in that file the base of support is about 40 cm wide along cop_x and 28 cm
long along cop_y: two feet side by side, so x is medio-lateral).

The file holds no load: total_kg is NaN throughout, and the COP is taken as recorded (no row is masked).
MATLAB v7.3 files (HDF5) are not readable by scipy; the error says to save them with `-v7`. Binary files have no
lines: errors name the variable instead.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from trainer.errors import RecordingFormatError
from trainer.readers.common import AxesMap, nominal_rate_hz, resolve_axes
from trainer.recording import Recording

MAT_SOURCES = ("cop_x", "cop_y")
MAT_DEFAULT_AXES = "ml=+cop_x,ap=+cop_y"


def sniff_mat(head: bytes) -> bool:
    return head.startswith(b"MATLAB 5.0 MAT-file") or head.startswith(b"MATLAB 7.3 MAT-file")


def read_mat(path: str | Path, *, axes: str | AxesMap | None = None) -> Recording:
    """A .mat COP file; total_kg is NaN (the file has no load)."""
    import scipy.io

    axes_map = resolve_axes(axes, sources=MAT_SOURCES, default=MAT_DEFAULT_AXES, format="mat")
    path = Path(path)
    if path.is_dir():
        raise RecordingFormatError(path, "is a folder, not a MATLAB file")
    try:
        head = path.open("rb").read(128)
    except OSError as exc:
        raise RecordingFormatError(path, f"cannot be read: {exc.strerror or exc}") from None
    if not head:
        raise RecordingFormatError(path, "is empty")
    if head.startswith(b"MATLAB 7.3 MAT-file"):
        raise RecordingFormatError(path, "is a MATLAB v7.3 (HDF5) file, which scipy cannot read; "
                                         "save it again in MATLAB with save(..., '-v7')")
    try:
        contents = scipy.io.loadmat(str(path), squeeze_me=False)
    except Exception as exc:  # scipy raises ValueError/TypeError/OSError/... for a broken or foreign file
        raise RecordingFormatError(path, f"is not a readable MATLAB file (scipy: {exc})") from None

    columns = {name: _vector(path, contents, name) for name in ("time", "cop_x", "cop_y")}
    n = len(columns["time"])
    for name in ("cop_x", "cop_y"):
        if len(columns[name]) != n:
            raise RecordingFormatError(path, f"variable {name} has {len(columns[name])} values, time has {n}")
    t_s = columns["time"]
    if not np.all(np.isfinite(t_s)):
        bad = int(np.argmax(~np.isfinite(t_s)))
        raise RecordingFormatError(path, f"variable time is not finite at element {bad + 1}")
    if np.any(np.diff(t_s) < 0):
        bad = int(np.argmax(np.diff(t_s) < 0)) + 1
        raise RecordingFormatError(path, f"variable time goes back in time at element {bad + 1}")

    metadata: dict = {"axes": str(axes_map), "device": "MATLAB COP file", "units": "mm",
                      "header": contents.get("__header__", b"").decode("latin-1", "replace")}
    centre = np.zeros(2)
    plate = _points(path, contents, "fp_pts")
    if plate is not None and len(plate) == 4:
        centre = plate.mean(axis=0)
        metadata["plate_centre_file_mm"] = centre.tolist()
        metadata["plate_corners_mm"] = _mapped(axes_map, plate - centre)
    boundary = _points(path, contents, "bound_pts")
    if boundary is not None:
        metadata["boundary_mm"] = _mapped(axes_map, boundary - centre)
    cop_x, cop_y = axes_map.apply({"cop_x": columns["cop_x"] - centre[0], "cop_y": columns["cop_y"] - centre[1]})
    return Recording(
        path=str(path), format="mat", t_s=t_s, cop_x_mm=cop_x, cop_y_mm=cop_y, total_kg=np.full(n, np.nan),
        fs_hz=nominal_rate_hz(t_s), metadata=metadata,
    )


def _vector(path: Path, contents: dict, name: str) -> np.ndarray:
    if name not in contents:
        found = ", ".join(key for key in contents if not key.startswith("__")) or "nothing"
        raise RecordingFormatError(path, f"has no variable {name!r} (needs time, cop_x, cop_y; found {found})")
    value = contents[name]
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiub":
        kind = getattr(value, "dtype", type(value))
        raise RecordingFormatError(path, f"variable {name} holds {kind}, not numbers")
    if value.ndim > 2 or (value.ndim == 2 and min(value.shape) > 1):
        raise RecordingFormatError(path, f"variable {name} is a {value.shape} matrix, not a vector")
    if value.size == 0:
        raise RecordingFormatError(path, f"variable {name} is empty")
    return value.astype(np.float64).ravel()


def _points(path: Path, contents: dict, name: str) -> np.ndarray | None:
    value = contents.get(name)
    if value is None:
        return None
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu" or value.ndim != 2 or value.shape[1] != 2:
        raise RecordingFormatError(path, f"variable {name} should be an (n, 2) matrix of mm, "
                                         f"found {getattr(value, 'shape', type(value))}")
    return value.astype(np.float64)


def _mapped(axes_map: AxesMap, points: np.ndarray) -> list[list[float]]:
    x, y = axes_map.apply({"cop_x": points[:, 0], "cop_y": points[:, 1]})
    return np.column_stack([x, y]).tolist()
