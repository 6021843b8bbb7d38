"""Draws the README's test report page: the first page of `balance-trainer report --user kiwi --test 1`.

    .venv/bin/python docs/make_test_report_image.py    # writes docs/images/test-report-page1.png

The test is an mCTSIB with 60-s trials, its four conditions being four real trials of subject 1 of the BDS data set
(Santos & Duarte 2016, ../shared/data/bds: BDS00001 eyes open firm, BDS00004 eyes closed firm, BDS00007 eyes open
foam, BDS00010 eyes closed foam) one after the other as one recording, run through `balance-trainer test` for a
patient of her age (33) in a throwaway database and data folder. The page is the PDF's first page drawn as a PNG.
"""
from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

IMAGES = ROOT / "docs" / "images"
BDS = ROOT.parent / "shared" / "data" / "bds"
TRIALS = ("BDS00001", "BDS00004", "BDS00007", "BDS00010")  # eo-firm, ec-firm, eo-foam, ec-foam


def four_conditions(folder: Path) -> Path:
    """The four trials back to back on one clock, through the one COP inverse (trainer.cop.cop_to_corners)."""
    import numpy as np

    from hardware.samples import FORCE_PLATE, LoadSample
    from trainer.cop import cop_to_corners
    from trainer.readers import read_recording
    from trainer.recorder import RecordingWriter

    samples = []
    for trial in TRIALS:
        recording = read_recording(BDS / f"{trial}.txt")
        corners = cop_to_corners(recording.cop_x_mm, recording.cop_y_mm, recording.total_kg, FORCE_PLATE)
        for row in np.asarray(corners):
            samples.append(LoadSample(len(samples) / 100.0, *map(float, row)))
    writer = RecordingWriter(folder, board_url="replay://", board_identity="BDS subject 1", geometry=FORCE_PLATE)
    writer.add_samples(samples)
    writer.close()
    return folder


def make() -> None:
    with tempfile.TemporaryDirectory() as folder:
        os.environ["BALANCE_TRAINER_DATA_DIR"] = str(Path(folder) / "data")  # never the real data folder
        from trainer.cli import main
        from trainer.store import open_store
        from trainer.report import FirstPageAsPng
        from trainer.test_report import gather_test, render_test_pages

        db = f"sqlite:///{Path(folder) / 'tracker.db'}"
        recording = four_conditions(Path(folder) / "bds-subject-1-mctsib")
        year = dt.date.today().year - 33
        assert main(["user", "add", "kiwi", "--year-of-birth", str(year), "--db", db]) == 0
        assert main(["test", "mctsib", "--board", f"replay://{recording}", "--headless", "--trial-s", "60",
                     "--user", "kiwi", "--db", db]) == 0
        with open_store(db) as store, store.transaction() as session:
            data = gather_test(session, "kiwi", "1")
        render_test_pages(FirstPageAsPng(IMAGES / "test-report-page1.png"), data)
    print(f"wrote {IMAGES / 'test-report-page1.png'}")


if __name__ == "__main__":
    make()
