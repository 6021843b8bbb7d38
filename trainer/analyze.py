"""`balance-trainer analyze`: recordings in, one result per file out (DESIGN.md B.3)."""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from trainer.errors import BalanceTrainerError, MeasureError
from trainer.measures import get_profile


@dataclass
class AnalysisResult:
    file: str
    profile: str
    fs_hz: float | None = None
    n_samples: int = 0
    measures: dict | None = None
    error: str | None = None  # one line, when this file could not be analysed

    def as_json(self) -> dict:
        return {"file": self.file, "profile": self.profile, "fs_hz": self.fs_hz, "n_samples": self.n_samples,
                "measures": self.measures}


def effective_rate_hz(recording) -> float | None:
    """The nominal rate, or for an irregular recording its median rate."""
    if recording.fs_hz is not None:
        return float(recording.fs_hz)
    steps = np.diff(recording.t_s)
    steps = steps[steps > 0]
    return float(1.0 / np.median(steps)) if steps.size else None


def analyze_file(path: str, profile: str = "default", start_s: float | None = None,
                 end_s: float | None = None) -> AnalysisResult:
    """Measures of one file. A bad file gives a result with `error` set, never an exception."""
    from trainer.readers import read_recording

    try:
        recording = read_recording(path)
        window = recording.window(start_s, end_s)
        if window.n_samples == 0:
            raise MeasureError(f"{path}: no samples between {start_s} s and {end_s} s "
                               f"(the recording lasts {recording.duration_s:.2f} s)")
        measures = get_profile(profile)(recording, start_s, end_s)
    except BalanceTrainerError as error:
        return AnalysisResult(path, profile, error=str(error))
    except OSError as error:
        return AnalysisResult(path, profile, error=f"{path}: {error.strerror or error}")
    return AnalysisResult(path, profile, effective_rate_hz(recording), window.n_samples,
                          {name: float(value) for name, value in measures.items()})


def _analyze_args(args):
    return analyze_file(*args)


def analyze_files(paths, profile="default", start_s=None, end_s=None, jobs: int | None = None):
    """Yield results in the order of `paths`; with more than a few files, on every core."""
    jobs = jobs or os.cpu_count() or 1
    work = [(path, profile, start_s, end_s) for path in paths]
    if jobs == 1 or len(work) < 4:
        yield from map(_analyze_args, work)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(_analyze_args, work, chunksize=max(1, len(work) // (4 * jobs)))
