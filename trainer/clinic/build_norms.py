"""Build the shipped normative table `norms_bds.json` from the BDS data set's `BDSinfoCOP.txt` (docs/clinic-norms.md).

    python -m trainer.clinic.build_norms [--source PATH] [--out PATH]

Source: Santos DA, Duarte M. A public data set of human balance evaluations. PeerJ 2016;4:e2648 (CC BY 4.0): one row
per 60-s trial with the subject, age, vision, surface and the authors' COParea (cm²), COPvelo (cm/s) and COPmfreq (Hz).

Method, per age group, condition and measure: every trial of every person in that group and condition, each trial
weighted 1/k where k is that person's number of trials in the condition (so each person counts once, and the spread
is that of a single trial, which is what an mCTSIB condition gives); the percentile of the i-th smallest trial is the
share of the group's weight strictly below it plus half its own (Hazen's plotting position; for equal weights exactly
numpy's `percentile(..., method="hazen")`), linear between trials. The table holds the values at PERCENTILES, rounded
to 6 significant digits. The output is deterministic: the same file gives the same bytes.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import re
import sys
from pathlib import Path

import numpy as np

DEFAULT_SOURCE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "bds" / "BDSinfoCOP.txt"
DEFAULT_OUT = Path(__file__).resolve().parent / "norms_bds.json"

PERCENTILES = (1, 5, 10, 25, 50, 75, 90, 95, 99)
SIGNIFICANT_DIGITS = 6

# Our measure names (trainer.measures.bds2016) -> the authors' column, unit, and whether a higher value is worse.
MEASURES = {
    "sway_area_ellipse95_cm2": {"bds_column": "COParea", "unit": "cm²", "higher_is_worse": True,
                                "what": "area of the 95 % prediction ellipse of the COP"},
    "mean_velocity_cm_s": {"bds_column": "COPvelo", "unit": "cm/s", "higher_is_worse": True,
                           "what": "mean COP velocity: total path length / trial duration"},
    "mean_frequency_hz": {"bds_column": "COPmfreq", "unit": "Hz", "higher_is_worse": None,
                          "what": "mean power frequency of the COP (AP and ML weighted by their power); "
                                  "no better/worse direction"},
}
CONDITIONS = {"eo-firm": ("Open", "Firm"), "ec-firm": ("Closed", "Firm"),
              "eo-foam": ("Open", "Foam"), "ec-foam": ("Closed", "Foam")}
# The data set's own split (its AgeGroup column: Young < 60 years <= Old); decades would leave 2 to 15 people in
# each of 30-59 (docs/clinic-norms.md). The upper bound is exclusive: the oldest person is 85.8 years old.
AGE_GROUPS = (
    {"name": "young", "bds_age_group": "Young", "age_min_years": 18, "age_below_years": 60},
    {"name": "old", "bds_age_group": "Old", "age_min_years": 60, "age_below_years": 86},
)

SOURCE = {
    "citation": "Santos DA, Duarte M. A public data set of human balance evaluations. PeerJ 2016;4:e2648",
    "doi": "10.7717/peerj.2648",
    "url": "https://github.com/BMClab/datasets/tree/master/BDS",
    "file": "BDSinfoCOP.txt",
    "licence": "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
    "attribution": "Derived from the BDS data set by Damiana A. dos Santos and Marcos Duarte (CC BY 4.0): "
                   "percentiles computed by balance-trainer from the authors' per-trial COParea, COPvelo and "
                   "COPmfreq; the authors do not endorse this table.",
    "recording": "AMTI force plate, 100 Hz, low-passed at 10 Hz by the authors, 60-s trials, three per condition; "
                 "measures over the whole 60 s (shared/data/README.md)",
}

METHOD = (
    "Per age group and condition, every trial of every person, each weighted 1/k (k = that person's trials in the "
    "condition, 3 for all but one person), so each person counts once and the spread is that of a single 60-s "
    "trial. The "
    "percentile of a trial value is the weight below it plus half its own (Hazen plotting position; with equal "
    "weights numpy.percentile(method='hazen')), linear between trials; the table gives the values at the listed "
    "percentiles, rounded to 6 significant digits. Between two listed percentiles trainer.clinic.norms "
    "interpolates linearly in percentile; outside the 1st-99th it says 'below the 1st' or 'above the 99th' and "
    "never extrapolates."
)


class SourceError(ValueError):
    """BDSinfoCOP.txt is not what this script expects (a missing column, an unknown condition, a bad number)."""


def read_trials(path: Path) -> list[dict]:
    """One dict per trial: subject, age, condition, and our-named measures (floats)."""
    wanted = ["Trial", "Subject", "Age", "AgeGroup", "Vision", "Surface"] + [m["bds_column"] for m in MEASURES.values()]
    by_coding = {coding: name for name, coding in CONDITIONS.items()}
    trials = []
    with open(path, newline="", encoding="utf-8") as table:
        reader = csv.DictReader(table, delimiter="\t")
        missing = [column for column in wanted if column not in (reader.fieldnames or [])]
        if missing:
            raise SourceError(f"{path}: no column {', '.join(missing)} (is this BDSinfoCOP.txt?)")
        for line, row in enumerate(reader, start=2):
            condition = by_coding.get((row["Vision"], row["Surface"]))
            if condition is None:
                raise SourceError(f"{path}, line {line}: unknown condition {row['Vision']!r}/{row['Surface']!r}")
            trial = {"trial": row["Trial"], "subject": row["Subject"], "age_years": float(row["Age"]),
                     "bds_age_group": row["AgeGroup"], "condition": condition}
            for name, measure in MEASURES.items():
                value = float(row[measure["bds_column"]])
                if not (math.isfinite(value) and value > 0):
                    raise SourceError(f"{path}, line {line}: {measure['bds_column']} = {row[measure['bds_column']]}")
                trial[name] = value
            trials.append(trial)
    return trials


def age_group_of(age_years: float) -> dict:
    for group in AGE_GROUPS:
        if group["age_min_years"] <= age_years < group["age_below_years"]:
            return group
    raise SourceError(f"age {age_years} is outside every age group")


def weighted_hazen(values, weights, percentiles) -> np.ndarray:
    """The values at `percentiles` (0-100) of a weighted sample: the i-th smallest sits at 100·(W_<i + w_i/2)/W."""
    values = np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order] / weights.sum()
    positions = 100.0 * (np.cumsum(weights) - weights / 2.0)
    percentiles = np.asarray(percentiles, dtype=np.float64)
    if percentiles.min() < positions[0] or percentiles.max() > positions[-1]:
        raise SourceError(f"too few trials for the {percentiles.min():g}th-{percentiles.max():g}th percentiles")
    return np.interp(percentiles, positions, values)


def rounded(value: float) -> float:
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def build(source: Path) -> dict:
    trials = read_trials(source)
    ages = {}
    for trial in trials:
        if ages.setdefault(trial["subject"], trial["age_years"]) != trial["age_years"]:
            raise SourceError(f"subject {trial['subject']} has two ages")
        if age_group_of(trial["age_years"])["bds_age_group"] != trial["bds_age_group"]:
            raise SourceError(f"{trial['trial']}: age {trial['age_years']} is not in its AgeGroup "
                              f"{trial['bds_age_group']}")
    cells = {}
    for group in AGE_GROUPS:
        cells[group["name"]] = {}
        for condition in CONDITIONS:
            chosen = [t for t in trials if t["condition"] == condition and age_group_of(t["age_years"]) is group]
            per_person = {}
            for trial in chosen:
                per_person[trial["subject"]] = per_person.get(trial["subject"], 0) + 1
            weights = [1.0 / per_person[t["subject"]] for t in chosen]
            people_ages = [ages[s] for s in per_person]
            cell = {"n_people": len(per_person), "n_trials": len(chosen),
                    "age_years": [round(min(people_ages), 1), round(max(people_ages), 1)]}
            for name in MEASURES:
                values = [rounded(v) for v in weighted_hazen([t[name] for t in chosen], weights, PERCENTILES)]
                if any(b <= a for a, b in zip(values, values[1:])):
                    raise SourceError(f"{group['name']} {condition} {name}: percentiles not strictly increasing")
                cell[name] = values
            cells[group["name"]][condition] = cell
    return {
        "table": "BDS normative percentiles of quiet stance (mCTSIB conditions)",
        "built_by": "python -m trainer.clinic.build_norms",
        "source": dict(SOURCE, sha256=hashlib.sha256(source.read_bytes()).hexdigest(),
                       n_trials=len(trials), n_people=len(ages)),
        "method": METHOD,
        "percentile_means": "the share of the group's single trials with a value at or below it; for area and "
                            "velocity a high percentile means more sway (worse)",
        "percentiles": list(PERCENTILES),
        "measures": MEASURES,
        "conditions": {name: {"vision": vision, "surface": surface} for name, (vision, surface) in CONDITIONS.items()},
        "age_groups": list(AGE_GROUPS),
        "cells": cells,
    }


def dumps(table: dict) -> str:
    """Indented JSON with each list of numbers on one line."""
    text = json.dumps(table, indent=1, ensure_ascii=False)
    return re.sub(r"\[\s*([-+.eE0-9,\s]+?)\s*\]", lambda m: "[" + ", ".join(re.split(r",\s*", m.group(1))) + "]",
                  text) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer.clinic.build_norms", description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help=f"BDSinfoCOP.txt (default {DEFAULT_SOURCE})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"the JSON to write (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    try:
        text = dumps(build(args.source))
    except (OSError, SourceError, ValueError) as error:
        print(f"build_norms: {error}", file=sys.stderr)
        return 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text.encode('utf-8'))} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
