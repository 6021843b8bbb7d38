"""Boards opened from URLs (DESIGN.md B.2) and the `LoadSource` protocol they all follow.

A source is opened once, then polled: `read()` returns, without blocking, every sample that has arrived since the
last call. Devices fill that queue from a reader thread of their own; replays and the simulator compute their
samples from the clock, so they need none. The game cannot tell a replay from a board.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Callable, Protocol, runtime_checkable
from urllib.parse import parse_qsl, unquote, urlsplit

from hardware.samples import BoardGeometry, LoadSample
from trainer.errors import BoardError


class SourceState(str, enum.Enum):
    CONNECTING = "connecting"
    STREAMING = "streaming"
    STALE = "stale"  # open, but no sample for a while
    DISCONNECTED = "disconnected"
    ENDED = "ended"  # a replay that reached its end


@runtime_checkable
class LoadSource(Protocol):
    url: str
    geometry: BoardGeometry
    identity: str  # what the board says it is (device uid, file name, simulator profile)
    state: SourceState
    paced: bool  # samples arrive in real time (boards, paced replays); False: as fast as they are asked for

    def open(self) -> None: ...

    def read(self) -> list[LoadSample]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class BoardUrl:
    """A parsed board URL: scheme, path and query parameters (each parameter name used at most once)."""

    text: str
    scheme: str
    path: str
    params: dict[str, str]

    def take_float(self, name: str, default: float, *, minimum: float | None = None) -> float:
        raw = self.params.get(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise BoardError(f"{self.text}: '{name}' must be a number, not '{raw}'") from None
        if minimum is not None and value < minimum:
            raise BoardError(f"{self.text}: '{name}' must be at least {minimum:g}, not {raw}")
        return value

    def take_int(self, name: str, default: int) -> int:
        raw = self.params.get(name)
        if raw is None:
            return default
        try:
            return int(raw)
        except ValueError:
            raise BoardError(f"{self.text}: '{name}' must be a whole number, not '{raw}'") from None

    def take_bool(self, name: str, default: bool) -> bool:
        raw = self.params.get(name)
        if raw is None:
            return default
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise BoardError(f"{self.text}: '{name}' must be 0 or 1, not '{raw}'")

    def take_speed(self) -> float | None:
        """`speed=`: a positive factor of real time (default 1), or `max` (or 0) for as fast as asked: None."""
        raw = self.params.get("speed", "1")
        if raw.lower() in ("max", "0"):
            return None
        speed = self.take_float("speed", 1.0)
        if speed <= 0:
            raise BoardError(f"{self.text}: 'speed' must be positive, or 'max' for as fast as possible")
        return speed

    def take_choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.params.get(name, default)
        if value not in choices:
            raise BoardError(f"{self.text}: '{name}' must be one of {', '.join(choices)}, not '{value}'")
        return value

    def check_known(self, known: tuple[str, ...]) -> None:
        unknown = sorted(set(self.params) - set(known))
        if unknown:
            allowed = ", ".join(known) if known else "none"
            raise BoardError(f"{self.text}: unknown parameter '{unknown[0]}' (allowed: {allowed})")


def parse_board_url(text: str) -> BoardUrl:
    if "://" not in text:
        raise BoardError(f"'{text}' is not a board URL (expected e.g. sim://, replay://PATH, serial:///dev/ttyUSB0)")
    parts = urlsplit(text)
    params: dict[str, str] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name in params:
            raise BoardError(f"{text}: parameter '{name}' is given twice")
        params[name] = value
    # replay://relative/path puts the first folder in netloc; keep it part of the path.
    path = unquote(parts.netloc + parts.path)
    return BoardUrl(text=text, scheme=parts.scheme.lower(), path=path, params=params)


SourceFactory = Callable[[BoardUrl], LoadSource]
_FACTORIES: dict[str, SourceFactory] = {}


def register_scheme(scheme: str):
    """Class or function decorator: `@register_scheme("sim")` makes `sim://...` URLs open with it."""

    def register(factory):
        _FACTORIES[scheme] = factory
        return factory

    return register


def _load_builtin_schemes() -> None:
    # Imported here, not at module import, so that importing hardware.sources has no side effects and no cycle.
    import hardware.mouse  # noqa: F401
    import hardware.replay  # noqa: F401
    import hardware.serial_plate  # noqa: F401
    import hardware.simulator  # noqa: F401
    import hardware.wiiboard  # noqa: F401


def known_schemes() -> list[str]:
    _load_builtin_schemes()
    return sorted(_FACTORIES)


def make_source(url: str) -> LoadSource:
    """The source for a URL, not yet opened. Raises BoardError with one clear line for a bad URL."""
    parsed = parse_board_url(url)
    _load_builtin_schemes()
    factory = _FACTORIES.get(parsed.scheme)
    if factory is None:
        raise BoardError(f"{url}: unknown board type '{parsed.scheme}://' (known: "
                         + ", ".join(f"{s}://" for s in sorted(_FACTORIES)) + ")")
    return factory(parsed)


def open_source(url: str) -> LoadSource:
    source = make_source(url)
    source.open()
    return source
