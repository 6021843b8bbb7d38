"""Argument types the commands share (argparse `type=`): a wrong value is one line from the parser."""
from __future__ import annotations

import argparse
import math


def positive_kg(text: str) -> float:
    """A mass or body weight in kg: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a mass in kg") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"the mass must be more than 0 kg, not {text}")
    return value
