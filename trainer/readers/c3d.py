"""Force platforms of a C3D file, read with ezc3d (the file) and numpy (the platform formulas).

ezc3d parses the file; the force platform wrench is computed here, vectorised, from the analog channels and the
FORCE_PLATFORM parameters exactly as ezc3d's own ForcePlatform module does it (C3D types 1, 2, 3 and 4), because
ezc3d's Python side assembles its platform arrays one sample at a time (about 70 ms for 3,400 samples of two
plates; this takes under a millisecond). tests/test_readers.py checks the two against each other.

- `platform=` picks the plate (0-based, default 0).
- Time: the first frame's time (C3D frame 1 is t = 0) plus the analog samples at ANALOG:RATE; fs_hz is that rate.
- The plate's corners must be plausible (finite, sides between 5 cm and 5 m, the plate level in a lab axis): the
  first file of shared/data/c3d holds three plates whose corners are uninitialised memory, and those are refused
  with a clear error rather than read as metres of COP.
- Vertical: the lab axis normal to the plate's corners. The lab's two horizontal axes, taken in right-handed order
  (A, B) with A x B = up, are the axes sources: Z up gives (X, Y), Y up gives (Z, X), X up gives (Y, Z). Default
  axes: ml = +A, ap = +B, i.e. the plate seen from above like a map, x to the right and y away (for a Y-up lab this
  is ml=+Z, ap=+X, the subject facing +X). A C3D file does not say which way the subject faced: pass `axes=`.
- COP origin: the plate's centre (mean of its corners), as B.1 wants; the centre's lab position is in metadata.
- Load: the vertical force, its sign chosen so that the largest vertical force of the recording is positive (labs
  store either the action or the reaction force); total_kg = that / g. The COP is NaN below MIN_STANDING_KG, so a
  plate nobody stands on reads as all-NaN COP rather than failing.
- A file cut short (fewer analog samples than the header's frame range promises) is an error, as ezc3d reads what
  is there without a word.
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from trainer.errors import ReaderOptionError, RecordingFormatError
from trainer.readers.common import NEWTONS_PER_KGF, AxesMap, loaded_rows, masked, resolve_axes
from trainer.recording import Recording

AXIS_NAMES = ("X", "Y", "Z")
# up axis index -> the horizontal axes (A, B) with A x B = up
_HORIZONTAL = {2: (0, 1), 1: (2, 0), 0: (1, 2)}
_MM_PER_UNIT = {"mm": 1.0, "cm": 10.0, "m": 1000.0}
_SUPPORTED_TYPES = (1, 2, 3, 4)


def sniff_c3d(head: bytes) -> bool:
    return len(head) >= 2 and head[1] == 0x50 and head[0] >= 2


def default_axes_for_up(up: int) -> str:
    a, b = _HORIZONTAL[up]
    return f"ml=+{AXIS_NAMES[a]},ap=+{AXIS_NAMES[b]}"


def read_c3d(path: str | Path, *, axes: str | AxesMap | None = None, platform: int = 0) -> Recording:
    """One force platform of a C3D file: COP in mm about the plate's centre, total load in kgf."""
    if isinstance(platform, bool) or not isinstance(platform, (int, np.integer)) or platform < 0:
        raise ReaderOptionError(f"c3d: platform must be a plate number 0, 1, ..., not {platform!r}")
    platform = int(platform)
    path = Path(path)
    c3d = _open(path)
    params = c3d["parameters"]
    group = params.get("FORCE_PLATFORM")
    n_plates = int(_value(group, "USED", [0])[0]) if group else 0
    if n_plates <= 0:
        raise RecordingFormatError(path, "has no force platform (FORCE_PLATFORM:USED is 0 or missing)")
    if platform >= n_plates:
        raise RecordingFormatError(path, f"has {n_plates} force platform(s), numbered 0 to {n_plates - 1}; "
                                         f"platform={platform} does not exist")

    analogs = np.asarray(c3d["data"]["analogs"], dtype=np.float64)
    analogs = analogs.reshape(analogs.shape[-2], analogs.shape[-1]) if analogs.size else np.zeros((0, 0))
    analog_rate = float(_value(params.get("ANALOG"), "RATE", [0.0])[0])
    point_rate = float(c3d["header"]["points"]["frame_rate"])
    _check_complete(path, c3d, analogs.shape[1], analog_rate, point_rate)
    if analogs.shape[1] == 0:
        raise RecordingFormatError(path, "holds no analog samples, so no force platform data")

    units = _value(params.get("POINT"), "UNITS", ["m"])
    unit = str(units[0]).strip() if len(units) else "m"
    if unit not in _MM_PER_UNIT:
        raise RecordingFormatError(path, f"POINT:UNITS is {unit!r}; only mm, cm and m are understood")
    mm = _MM_PER_UNIT[unit]

    plate_type = int(_value(group, "TYPE", [])[platform]) if len(_value(group, "TYPE", [])) > platform else -1
    if plate_type not in _SUPPORTED_TYPES:
        raise RecordingFormatError(path, f"force platform {platform} is of C3D type {plate_type}; "
                                         f"types {', '.join(map(str, _SUPPORTED_TYPES))} are supported")
    corners = _plate_array(path, group, "CORNERS", platform, (3, 4))  # lab frame, POINT units
    up = _check_corners(path, platform, corners * mm)
    force, cop = _wrench(path, group, platform, plate_type, corners, analogs)

    centre = corners.mean(axis=1)
    vertical = force[up]
    peak = int(np.argmax(np.abs(vertical))) if len(vertical) else 0
    sign = -1.0 if vertical[peak] < 0 else 1.0
    total_kg = sign * vertical / NEWTONS_PER_KGF
    loaded = loaded_rows(total_kg)

    a, b = _HORIZONTAL[up]
    axes_map = resolve_axes(axes, sources=(AXIS_NAMES[a], AXIS_NAMES[b]), default=default_axes_for_up(up),
                            format="c3d")
    with np.errstate(invalid="ignore"):
        sources = {AXIS_NAMES[i]: masked((cop[i] - centre[i]) * mm, loaded) for i in (a, b)}
    cop_x, cop_y = axes_map.apply(sources)

    first_frame = int(c3d["header"]["points"]["first_frame"])
    t0 = first_frame / point_rate if point_rate > 0 else 0.0
    t_s = t0 + np.arange(analogs.shape[1]) / analog_rate
    return Recording(
        path=str(path), format="c3d", t_s=t_s, cop_x_mm=cop_x, cop_y_mm=cop_y, total_kg=total_kg,
        fs_hz=analog_rate,
        metadata={"axes": str(axes_map), "device": f"C3D force platform {platform} (type {plate_type})",
                  "platform": platform, "n_platforms": n_plates, "platform_type": plate_type,
                  "vertical_axis": AXIS_NAMES[up], "vertical_force_sign": sign,
                  "plate_centre_lab_mm": (centre * mm).tolist(), "plate_corners_lab_mm": (corners * mm).T.tolist(),
                  "loaded_rows": int(loaded.sum()),
                  "channels": {"Fx": force[0], "Fy": force[1], "Fz": force[2]}},
    )


def _open(path: Path) -> dict:
    try:
        import ezc3d
    except ImportError as exc:  # a declared dependency; say so plainly if the install is broken
        raise RecordingFormatError(path, f"C3D files need the ezc3d package ({exc})") from None
    if path.is_dir():
        raise RecordingFormatError(path, "is a folder, not a C3D file")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise RecordingFormatError(path, f"cannot be read: {exc.strerror or exc}") from None
    if size == 0:
        raise RecordingFormatError(path, "is empty")
    with open(path, "rb") as handle:
        head = handle.read(2)
    if not sniff_c3d(head):
        raise RecordingFormatError(path, "is not a C3D file (its second byte is not the C3D key 0x50)")
    try:
        return ezc3d.c3d(str(path))
    except Exception as exc:  # ezc3d raises OSError/RuntimeError/... with a message of its own
        raise RecordingFormatError(path, f"is not a readable C3D file (ezc3d: {exc})") from None


def _value(group: dict | None, name: str, default):
    if not group or name not in group:
        return np.asarray(default)
    return np.asarray(group[name]["value"])


def _plate_array(path: Path, group: dict, name: str, platform: int, shape: tuple[int, ...]) -> np.ndarray:
    value = _value(group, name, [])
    if value.ndim != len(shape) + 1 or value.shape[:-1] != shape or value.shape[-1] <= platform:
        raise RecordingFormatError(path, f"FORCE_PLATFORM:{name} has shape {value.shape}, which does not describe "
                                         f"force platform {platform}")
    return np.asarray(value[..., platform], dtype=np.float64)


def _check_complete(path: Path, c3d: dict, n_analog: int, analog_rate: float, point_rate: float) -> None:
    """Compare the analog samples read with the frame range the file's header announces."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(512)
            handle.seek((header[0] - 1) * 512 + 3)
            processor = handle.read(1)
    except OSError as exc:
        raise RecordingFormatError(path, f"cannot be read: {exc.strerror or exc}") from None
    if len(header) < 12 or len(processor) != 1:
        raise RecordingFormatError(path, "is cut short inside its header")
    endian = ">" if processor[0] == 86 else "<"  # 84 Intel, 85 DEC (both little-endian integers), 86 MIPS
    first, last = struct.unpack(endian + "HH", header[6:10])
    trial = c3d["parameters"].get("TRIAL", {})
    if "ACTUAL_START_FIELD" in trial and "ACTUAL_END_FIELD" in trial:  # frame numbers beyond 65535
        start = np.asarray(trial["ACTUAL_START_FIELD"]["value"]).astype(np.int64) & 0xFFFF
        end = np.asarray(trial["ACTUAL_END_FIELD"]["value"]).astype(np.int64) & 0xFFFF
        if len(start) >= 2 and len(end) >= 2:
            first, last = int(start[0] + 65536 * start[1]), int(end[0] + 65536 * end[1])
    if last < first or point_rate <= 0 or analog_rate <= 0:
        return
    per_frame = analog_rate / point_rate
    expected = int(round((last - first + 1) * per_frame))
    if n_analog < expected:
        raise RecordingFormatError(path, f"is cut short: its header announces frames {first} to {last} "
                                         f"({expected} analog samples), the file holds {n_analog}")


def _check_corners(path: Path, platform: int, corners_mm: np.ndarray) -> int:
    """The lab axis normal to the plate (0, 1, 2), after checking the corners describe a real, level plate."""
    problem = None
    if not np.all(np.isfinite(corners_mm)) or np.max(np.abs(corners_mm)) > 1e6:
        problem = "are not finite or lie kilometres away"
    else:
        sides = np.linalg.norm(corners_mm - np.roll(corners_mm, -1, axis=1), axis=0)
        normal = np.cross(corners_mm[:, 0] - corners_mm[:, 2], corners_mm[:, 1] - corners_mm[:, 3])
        norm = float(np.linalg.norm(normal))
        if np.min(sides) < 50.0 or np.max(sides) > 5000.0:
            problem = f"give sides of {', '.join(f'{s:.3g}' for s in sides)} mm (a plate is 5 cm to 5 m)"
        elif norm == 0.0 or np.max(np.abs(normal)) < 0.98 * norm:
            problem = "do not describe a level plate"
        else:
            return int(np.argmax(np.abs(normal)))
    shown = "; ".join(", ".join(f"{v:.4g}" for v in corner) for corner in corners_mm.T)
    raise RecordingFormatError(path, f"force platform {platform} has implausible corners ({shown} mm): they {problem}; "
                                     f"choose another platform=")


def _wrench(path: Path, group: dict, platform: int, plate_type: int, corners: np.ndarray,
            analogs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(force (3, n) in the lab frame, N; COP (3, n) in the lab frame, POINT units), as ezc3d computes them."""
    n_channels = 8 if plate_type == 3 else 6
    channels = _plate_array(path, group, "CHANNEL", platform, (len(_value(group, "CHANNEL", [])),))
    if len(channels) < n_channels:
        raise RecordingFormatError(path, f"FORCE_PLATFORM:CHANNEL lists {len(channels)} channels for platform "
                                         f"{platform}; type {plate_type} needs {n_channels}")
    index = channels[:n_channels].astype(np.int64) - 1
    if np.any(index < 0) or np.any(index >= analogs.shape[0]):
        raise RecordingFormatError(path, f"FORCE_PLATFORM:CHANNEL of platform {platform} points outside the "
                                         f"{analogs.shape[0]} analog channels")
    ch = analogs[index]
    rotation = _plate_rotation(corners)
    centre = corners.mean(axis=1)
    origin = np.zeros(3) if plate_type == 1 else _plate_array(path, group, "ORIGIN", platform, (3,))
    if origin[2] > 0.0:  # the C3D spec's origin points from the plate's centre down to the sensor origin
        origin = -origin

    with np.errstate(divide="ignore", invalid="ignore"):
        if plate_type == 1:
            force_raw = ch[0:3]
            cop_raw = np.vstack([ch[3], ch[4], np.zeros(ch.shape[1])])
            return rotation @ force_raw, rotation @ cop_raw + centre[:, None]
        if plate_type == 3:
            force_raw = np.vstack([ch[0] + ch[1], ch[2] + ch[3], ch[4] + ch[5] + ch[6] + ch[7]])
            moment_raw = np.vstack([
                origin[1] * (ch[4] + ch[5] - ch[6] - ch[7]),
                origin[0] * (ch[5] + ch[6] - ch[4] - ch[7]),
                origin[1] * (ch[1] - ch[0]) + origin[0] * (ch[2] - ch[3]),
            ])
            moment_raw += np.cross(force_raw, np.array([0.0, 0.0, origin[2]]), axis=0)
        else:
            data = ch[0:6]
            if plate_type == 4:
                data = _calibration(path, group, platform) @ data
            force_raw, moment_raw = data[0:3], data[3:6] + np.cross(data[0:3], origin, axis=0)
        cop_x = -moment_raw[1] / force_raw[2]
        cop_y = moment_raw[0] / force_raw[2]
        if plate_type == 3:
            cop_x, cop_y = _type3_correction(group, platform, cop_x, cop_y)
        cop_raw = np.vstack([cop_x, cop_y, np.zeros_like(cop_x)])
        return rotation @ force_raw, rotation @ cop_raw + centre[:, None]


def _plate_rotation(corners: np.ndarray) -> np.ndarray:
    axis_x = corners[:, 0] - corners[:, 1]
    axis_y = corners[:, 0] - corners[:, 3]
    axis_z = np.cross(axis_x, axis_y)
    axis_y = np.cross(axis_z, axis_x)
    return np.column_stack([v / np.linalg.norm(v) for v in (axis_x, axis_y, axis_z)])


def _calibration(path: Path, group: dict, platform: int) -> np.ndarray:
    value = _value(group, "CAL_MATRIX", [])
    if value.size == 0:
        return np.eye(6)
    if value.ndim != 3 or value.shape[:2] != (6, 6) or value.shape[2] <= platform:
        raise RecordingFormatError(path, f"FORCE_PLATFORM:CAL_MATRIX has shape {value.shape}; type 4 platform "
                                         f"{platform} needs a 6 x 6 matrix")
    return np.asarray(value[:, :, platform], dtype=np.float64)


def _type3_correction(group: dict, platform: int, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kistler's COP polynomial correction (FORCE_PLATFORM:FPCOPPOLY, 12 per plate; none if absent)."""
    poly = _value(group, "FPCOPPOLY", [])
    flat = poly.reshape(-1, order="F") if poly.size else poly
    if flat.size < 12 * (platform + 1):
        return x, y
    p = flat[12 * platform: 12 * (platform + 1)].astype(np.float64)
    x_offset = (p[0] * y**4 + p[1] * y**2 + p[2]) * x**3 + (p[3] * y**4 + p[4] * y**2 + p[5]) * x
    y_offset = (p[6] * x**4 + p[7] * x**2 + p[8]) * y**3 + (p[9] * x**4 + p[10] * x**2 + p[11]) * y
    return x - x_offset, y - y_offset

