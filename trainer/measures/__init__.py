"""Posturography measures, grouped in profiles (DESIGN.md B.3): `default`, `bds2016`, `quijoux2021`.

A profile is a function `(recording, start_s, end_s) -> {name: value}`; each lives in a module of its own and is
imported only when asked for, so `analyze --profile bds2016` does not pay for the others.
"""
from __future__ import annotations

import importlib
from typing import Callable

PROFILES: dict[str, tuple[str, str]] = {
    "default": ("trainer.measures.default", "profile_default"),
    "bds2016": ("trainer.measures.bds2016", "profile_bds2016"),
    "quijoux2021": ("trainer.measures.quijoux2021", "profile_quijoux2021"),
}


def get_profile(name: str) -> Callable:
    if name not in PROFILES:
        raise ValueError(f"unknown profile '{name}' (known: {', '.join(PROFILES)})")
    module, function = PROFILES[name]
    return getattr(importlib.import_module(module), function)
