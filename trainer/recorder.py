"""Writes a recording folder as it goes (DESIGN.md B.4): a crash loses at most the last second.

samples.csv gets one row per sample received, events.csv one row per event, and summary.json is rewritten (to a
temporary file, then renamed, so it is never half-written) every time the buffers are flushed and at the end.
A `listener` (the database's copy of a session, trainer.store.session_log) is handed the sample rows of each flush,
after they are on disk.
"""
from __future__ import annotations

import json
import math
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from hardware.samples import BoardGeometry, LoadSample
from trainer.cop import corners_to_cop

SCHEMA_VERSION = 1
SAMPLE_COLUMNS = ("t_s,seq,raw_tl,raw_tr,raw_bl,raw_br,tl_kg,tr_kg,bl_kg,br_kg,total_kg,cop_x_mm,cop_y_mm,flags")
EVENT_COLUMNS = "t_s,kind,detail"
FLUSH_INTERVAL_S = 1.0


def _cell(value, digits: int) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


class RecordingWriter:
    def __init__(self, folder, *, board_url: str, board_identity: str, geometry: BoardGeometry,
                 calibration: dict | None = None, clock=time.monotonic, extra_summary: dict | None = None,
                 listener=None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        for name in ("samples.csv", "events.csv"):
            if (self.folder / name).exists():
                raise FileExistsError(f"{self.folder / name} exists already: choose a new folder")
        self.geometry = geometry
        self._clock = clock
        self._samples = open(self.folder / "samples.csv", "w", encoding="utf-8", newline="")
        self._events = open(self.folder / "events.csv", "w", encoding="utf-8", newline="")
        self._samples.write(SAMPLE_COLUMNS + "\n")
        self._events.write(EVENT_COLUMNS + "\n")
        self.summary = {
            "schema_version": SCHEMA_VERSION,
            "board_url": board_url,
            "board_identity": board_identity,
            "geometry": {"name": geometry.name, "sensor_spacing_x_mm": geometry.sensor_spacing_x_mm,
                         "sensor_spacing_y_mm": geometry.sensor_spacing_y_mm},
            "calibration": calibration or {},
            "start_time_utc": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "duration_s": 0.0,
            "counters": {"samples": 0, "frames_bad_checksum": 0, "sequence_gaps": 0},
            "scores": {},
            **(extra_summary or {}),
        }
        self.listener = listener  # .samples_flushed(rows): called after each flush with the rows it wrote
        self.event_rows: list[str] = []  # events.csv's rows, also kept here (they are few) for the listener
        self._unsent_rows: list[str] = []
        self._first_t_s: float | None = None
        self._last_seq: int | None = None
        self._last_flush = self._clock()
        self.flush()

    def add_samples(self, samples: list[LoadSample]) -> None:
        if samples:
            corners = np.array([s.corners_kg for s in samples], dtype=np.float64)
            totals, cop_x, cop_y = corners_to_cop(corners, self.geometry)
            lines = []
            for s, total, x, y in zip(samples, totals.tolist(), cop_x.tolist(), cop_y.tolist()):
                self._count_sequence(s.seq)
                lines.append(",".join((
                    _cell(float(s.t_s), 6), _cell(s.seq, 0), _cell(s.raw_tl, 0), _cell(s.raw_tr, 0),
                    _cell(s.raw_bl, 0), _cell(s.raw_br, 0), *(_cell(float(v), 4) for v in s.corners_kg),
                    _cell(total, 4), _cell(x, 3), _cell(y, 3), str(s.flags))))
            if self._first_t_s is None:
                self._first_t_s = samples[0].t_s
            self.summary["duration_s"] = round(samples[-1].t_s - self._first_t_s, 6)
            self.summary["counters"]["samples"] += len(samples)
            self._samples.write("\n".join(lines) + "\n")
            if self.listener is not None:
                self._unsent_rows.extend(lines)
        self._flush_if_due()

    def _count_sequence(self, seq: int | None) -> None:
        if seq is None:
            return
        if self._last_seq is not None and seq != (self._last_seq + 1) % 65536:
            self.summary["counters"]["sequence_gaps"] += 1
        self._last_seq = seq

    def add_event(self, t_s: float, kind: str, detail: str = "") -> None:
        detail = detail.replace("\n", " ").replace(",", ";")
        row = f"{t_s:.6f},{kind},{detail}"
        self._events.write(row + "\n")
        self.event_rows.append(row)
        self._flush_if_due()

    def count(self, counter: str, n: int = 1) -> None:
        self.summary["counters"][counter] = self.summary["counters"].get(counter, 0) + n

    def _flush_if_due(self) -> None:
        if self._clock() - self._last_flush >= FLUSH_INTERVAL_S:
            self.flush()

    def flush(self) -> None:
        self._samples.flush()
        self._events.flush()
        temporary = self.folder / "summary.json.tmp"
        temporary.write_text(json.dumps(self.summary, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, self.folder / "summary.json")
        self._last_flush = self._clock()
        if self.listener is not None and self._unsent_rows:
            rows, self._unsent_rows = self._unsent_rows, []
            self.listener.samples_flushed(rows)

    def close(self) -> None:
        if self._samples.closed:
            return
        self.flush()
        self._samples.close()
        self._events.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
