"""The measure pages list exactly the measures the code computes."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from trainer.measures.default import default_measures

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _table_names(markdown: str, heading: str) -> set[str]:
    section = markdown.split(heading, 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z0-9_]+)` \|", section, flags=re.MULTILINE))


def test_default_profile_table_matches_the_code():
    t = np.arange(1000) / 100.0
    names = set(default_measures(np.sin(t), np.cos(0.7 * t), 100.0))
    assert _table_names((DOCS / "measures.md").read_text(), "## Profile `default`") == names


def test_bds2016_table_matches_the_code():
    from trainer.measures.bds2016 import bds2016_measures

    t = np.arange(1000) / 100.0
    names = set(bds2016_measures(np.sin(t), np.cos(0.7 * t), 100.0))
    assert _table_names((DOCS / "measures.md").read_text(), "## Profile `bds2016`") == names
