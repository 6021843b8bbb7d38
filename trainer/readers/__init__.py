"""Readers for every recording format the project knows, each returning a `Recording` in DESIGN.md B.1.

    read_recording(path, *, format=None, axes=None, **options) -> Recording

detects the format by its content (first bytes, header line), then by its name, and hands the path to the
format's reader; `FORMATS` lists them (name -> RecordingFormat with its reader, default axes and options).
Every reader converts at the boundary, once: x medio-lateral mm (+ right), y antero-posterior mm (+ forward),
loads in kgf, time in s; COP is NaN where the load is below trainer.cop.MIN_STANDING_KG (re-exported here).
`axes=` maps the file's horizontal axes to B.1 (see `trainer.readers.common.resolve_axes`). A file that cannot
be read raises one RecordingFormatError naming the file (and the line, for text); a wrong option raises
ReaderOptionError.
"""
from __future__ import annotations

import fnmatch
import inspect
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from trainer.errors import ReaderOptionError, RecordingFormatError
from trainer.readers import amti, bmclab, c3d, folder, kistler, matfile, wii_recorder
from trainer.cop import MIN_STANDING_KG
from trainer.readers.common import AxesMap, resolve_axes
from trainer.recording import Recording

__all__ = ["FORMATS", "MIN_STANDING_KG", "AxesMap", "ReaderOptionError", "RecordingFormat", "detect_format",
           "read_recording", "resolve_axes"]

_SNIFF_BYTES = 65536


@dataclass(frozen=True)
class RecordingFormat:
    name: str
    description: str
    read: Callable[..., Recording]
    default_axes: str
    sniff_bytes: Callable[[bytes], bool] | None = None
    sniff_text: Callable[[str], bool] | None = None
    name_patterns: tuple[str, ...] = ()
    options: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        keywords = [p.name for p in inspect.signature(self.read).parameters.values()
                    if p.kind is inspect.Parameter.KEYWORD_ONLY]
        object.__setattr__(self, "options", tuple(keywords))


# Order matters for sniffing only where two sniffers could both answer; none of these can.
FORMATS: dict[str, RecordingFormat] = {f.name: f for f in (
    RecordingFormat("bds", "BMClab BDS quiet standing (Time[s] Fx[N] ... COPx[cm] COPy[cm])", bmclab.read_bds,
                    bmclab.BDS_DEFAULT_AXES, sniff_text=bmclab.sniff_bds, name_patterns=("bds*.txt",)),
    RecordingFormat("pds", "BMClab PDS two-plate grf file (Time RGRF_X ... COPNET_Z ...)", bmclab.read_pds,
                    bmclab.PDS_DEFAULT_AXES, sniff_text=bmclab.sniff_pds, name_patterns=("pds*grf.txt",)),
    RecordingFormat("amti", "AMTI force plate, Motive-style CSV (MocapFrame, MocapTime, ..., Fz, Mx, My, ...)",
                    amti.read_amti, amti.AMTI_DEFAULT_AXES, sniff_text=amti.sniff_amti),
    RecordingFormat("wii-recorder", "Wii Balance Board Recorder text (Time CpX CpY BottomLeft ...)",
                    wii_recorder.read_wii_recorder, wii_recorder.WII_DEFAULT_AXES,
                    sniff_text=wii_recorder.sniff_wii_recorder),
    RecordingFormat("kistler", "Kistler plate, 8 voltage channels (Time (s) Channel 0 ... Channel 7)",
                    kistler.read_kistler, kistler.KISTLER_DEFAULT_AXES, sniff_text=kistler.sniff_kistler),
    RecordingFormat("c3d", "C3D force platform (types 1-4)", c3d.read_c3d,
                    "ml=+X,ap=+Y in a Z-up lab (ml=+Z,ap=+X if Y is up, ml=+Y,ap=+Z if X is up)",
                    sniff_bytes=c3d.sniff_c3d, name_patterns=("*.c3d",)),
    RecordingFormat("mat", "MATLAB COP file (cop_x, cop_y in mm, time in s)", matfile.read_mat,
                    matfile.MAT_DEFAULT_AXES, sniff_bytes=matfile.sniff_mat, name_patterns=("*.mat",)),
    RecordingFormat("folder", "balance-trainer recording folder (B.4: samples.csv, summary.json, events.csv)",
                    folder.read_folder, folder.FOLDER_DEFAULT_AXES, sniff_text=folder.sniff_folder_samples,
                    name_patterns=("samples.csv",)),
)}


def _known() -> str:
    return ", ".join(FORMATS)


def detect_format(path: str | os.PathLike) -> str:
    """The name of the format of `path`, by content first and by name second; RecordingFormatError if unknown."""
    path = Path(path)
    if path.is_dir():
        if (path / "samples.csv").exists():
            return "folder"
        raise RecordingFormatError(path, "is a folder without samples.csv, so not a recording folder (B.4)")
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as exc:
        raise RecordingFormatError(path, f"cannot be read: {exc.strerror or exc}") from None
    for spec in FORMATS.values():
        if spec.sniff_bytes is not None and spec.sniff_bytes(head):
            return spec.name
    if head.strip() and b"\x00" not in head:
        text = head.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
        for spec in FORMATS.values():
            if spec.sniff_text is not None and spec.sniff_text(text):
                return spec.name
    name = path.name.lower()
    for spec in FORMATS.values():
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in spec.name_patterns):
            return spec.name
    if not head.strip():
        raise RecordingFormatError(path, f"is empty; known formats: {_known()}", line=1)
    if b"\x00" in head:
        raise RecordingFormatError(path, f"is in no known recording format; known formats: {_known()} "
                                         f"(or pass format=)")
    first = head.decode("utf-8", errors="replace").splitlines()[0].strip()[:80]
    raise RecordingFormatError(path, f"is in no known recording format (its first line is {first!r}); known "
                                     f"formats: {_known()} (or pass format=)", line=1)


def read_recording(path: str | os.PathLike, *, format: str | None = None, axes: str | AxesMap | None = None,
                   **options) -> Recording:
    """Read any known recording into a B.1 `Recording`.

    `format` forces a reader (a key of FORMATS) instead of detecting it; `axes` maps the file's horizontal axes
    to B.1 (each format's default when None); `options` go to the reader (e.g. `platform=1` for c3d, the plate
    constants for kistler).
    """
    path = Path(path)
    if format is None:
        name = detect_format(path)
    elif format in FORMATS:
        name = format
    else:
        raise RecordingFormatError(path, f"unknown format {format!r}; known formats: {', '.join(FORMATS)}")
    spec = FORMATS[name]
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        allowed = ", ".join(o for o in spec.options if o != "axes") or "none besides axes"
        raise ReaderOptionError(f"{name} files take no option {', '.join(map(repr, unknown))} (options: {allowed})")
    return spec.read(path, axes=axes, **options)
