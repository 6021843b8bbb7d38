"""Normative percentiles of the mCTSIB's quiet-stance measures, from the BDS data set (docs/clinic-norms.md).

The shipped table `norms_bds.json` is derived from Santos DA, Duarte M. A public data set of human balance
evaluations. PeerJ 2016;4:e2648 (CC BY 4.0) by `python -m trainer.clinic.build_norms`.

Measures, named as trainer.measures.bds2016 names them, in the table's units:
- `sway_area_ellipse95_cm2` in cm² (higher is worse: more sway),
- `mean_velocity_cm_s` in cm/s (higher is worse: more sway),
- `mean_frequency_hz` in Hz (no better or worse direction: `higher_is_worse` is None).
Conditions: `eo-firm`, `ec-firm`, `eo-foam`, `ec-foam`. Age in years (a float); the table covers 18 to under 86.

A percentile is the share of the age group's single 60-s trials (each person counted once) with a value at or below
the given one, interpolated linearly in percentile between the table's percentiles (1, 5, 10, 25, 50, 75, 90, 95,
99). Below the 1st or above the 99th the table says only that: `percentile_of` raises OutsideNormsError (a
ValueError) and `lookup` gives no percentile, never an extrapolated one.
"""
from __future__ import annotations

import bisect
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from numbers import Real
from pathlib import Path

from trainer.errors import BalanceTrainerError

TABLE_PATH = Path(__file__).resolve().parent / "norms_bds.json"
BAND = (5.0, 95.0)


class NormsError(BalanceTrainerError, ValueError):
    """An unknown measure or condition, an age outside the table, or a value that is not a number."""


class OutsideNormsError(NormsError):
    """The value lies below the table's lowest percentile or above its highest: no percentile is given."""

    def __init__(self, message: str, side: str, bound_percentile: float, bound_value: float):
        super().__init__(message)
        self.side = side  # "below" or "above"
        self.bound_percentile = bound_percentile
        self.bound_value = bound_value


@lru_cache(maxsize=4)
def load_table(path: Path = TABLE_PATH) -> dict:
    """The shipped table (or another built by build_norms), checked: strictly increasing values per cell."""
    table = json.loads(Path(path).read_text(encoding="utf-8"))
    for group, conditions in table["cells"].items():
        for condition, cell in conditions.items():
            for measure in table["measures"]:
                values = cell[measure]
                if len(values) != len(table["percentiles"]) or any(b <= a for a, b in zip(values, values[1:])):
                    raise ValueError(f"{path}: {group} {condition} {measure} is not a strictly increasing row")
    return table


def measures() -> tuple[str, ...]:
    return tuple(load_table()["measures"])


def conditions() -> tuple[str, ...]:
    return tuple(load_table()["conditions"])


def _measure(measure: str) -> dict:
    table = load_table()
    if measure not in table["measures"]:
        raise NormsError(f"no norms for the measure {measure!r}; the table has {', '.join(table['measures'])}")
    return table["measures"][measure]


def unit(measure: str) -> str:
    return _measure(measure)["unit"]


def higher_is_worse(measure: str) -> bool | None:
    """True for area and velocity (a high percentile = more sway); None for the mean frequency (no direction)."""
    return _measure(measure)["higher_is_worse"]


def age_group(age_years) -> dict:
    """The table's age group of this age: {"name", "age_min_years", "age_below_years", ...}."""
    if isinstance(age_years, bool) or not isinstance(age_years, Real) or not math.isfinite(age_years):
        raise NormsError(f"an age in years is a number, not {age_years!r}")
    groups = load_table()["age_groups"]
    for group in groups:
        if group["age_min_years"] <= age_years < group["age_below_years"]:
            return group
    low, high = groups[0]["age_min_years"], groups[-1]["age_below_years"]
    raise NormsError(f"age {age_years:g} is outside the BDS norms ({low} to under {high} years)")


def row(measure: str, condition: str, age_years) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(percentiles, values) of one measure in one condition for this age's group."""
    table = load_table()
    _measure(measure)
    if condition not in table["conditions"]:
        raise NormsError(f"no norms for the condition {condition!r}; the table has {', '.join(table['conditions'])}")
    cell = table["cells"][age_group(age_years)["name"]][condition]
    return tuple(float(p) for p in table["percentiles"]), tuple(cell[measure])


def _describe(measure: str, condition: str, age_years) -> str:
    group = age_group(age_years)
    return (f"{group['name']} adults ({group['age_min_years']}-{group['age_below_years'] - 1} years), "
            f"{condition}, in the BDS norms")


def _number(value, measure: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise NormsError(f"{measure}: a value is a finite number, not {value!r}")
    return float(value)


def percentile_of(measure: str, condition: str, age_years, value) -> float:
    """The percentile (1 to 99) of `value` (in the measure's unit) in its condition and age group: linear in
    percentile between the table's values. OutsideNormsError below the 1st or above the 99th."""
    percentiles, values = row(measure, condition, age_years)
    value = _number(value, measure)
    if value < values[0] or value > values[-1]:
        side, index = ("below", 0) if value < values[0] else ("above", -1)
        raise OutsideNormsError(
            f"{measure} = {value:g} {unit(measure)} is {side} the {_ordinal(round(percentiles[index]))} percentile "
            f"({values[index]:g} {unit(measure)}) of {_describe(measure, condition, age_years)}; "
            f"the table does not extrapolate", side, percentiles[index], values[index])
    upper = bisect.bisect_left(values, value)
    if values[upper] == value:
        return percentiles[upper]
    lower = upper - 1
    share = (value - values[lower]) / (values[upper] - values[lower])
    return percentiles[lower] + share * (percentiles[upper] - percentiles[lower])


def outside_band(measure: str, condition: str, age_years, value, band: tuple[float, float] = BAND) -> bool:
    """True when `value` lies strictly below the band's low percentile or above its high one (5th-95th by default;
    both must be percentiles of the table). Defined for every value, including those beyond the 1st-99th."""
    percentiles, values = row(measure, condition, age_years)
    value = _number(value, measure)
    low, high = band
    if low not in percentiles or high not in percentiles or not low < high:
        raise NormsError(f"a band runs between two of the table's percentiles {percentiles}, not {band}")
    return value < values[percentiles.index(low)] or value > values[percentiles.index(high)]


@dataclass(frozen=True)
class NormResult:
    measure: str
    condition: str
    age_group: str
    value: float
    unit: str
    percentile: float | None  # None beyond the table's ends: see `position`
    position: str  # "37th percentile", "below the 1st percentile", "above the 99th percentile"
    outside_band: bool  # outside the 5th-95th
    higher_is_worse: bool | None
    n_people: int


def lookup(measure: str, condition: str, age_years, value) -> NormResult:
    """Everything a result line needs: the percentile (or where it lies beyond the table) and the band."""
    try:
        percentile = percentile_of(measure, condition, age_years, value)
        position = f"{_ordinal(round(percentile))} percentile"
    except OutsideNormsError as error:
        percentile = None
        position = f"{error.side} the {_ordinal(round(error.bound_percentile))} percentile"
    group = age_group(age_years)["name"]
    return NormResult(measure, condition, group, float(value), unit(measure), percentile, position,
                      outside_band(measure, condition, age_years, value), higher_is_worse(measure),
                      load_table()["cells"][group][condition]["n_people"])


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
