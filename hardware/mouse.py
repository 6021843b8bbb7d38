"""`mouse://?weight_kg=70&rate_hz=100`: the pointer inside the window becomes the centre of pressure.

A board for trying the games without one. The window tells the source where the pointer is, in board millimetres
(DESIGN.md B.1), through `pointer_at(x_mm, y_mm)`; the live view does so on every MOUSEMOTION. The source then
hands out `rate_hz` samples a second (paced on its clock, like a real board) of a person of `weight_kg` standing
with the COP there: the corners come from trainer.cop.cop_to_corners on the Wii Balance Board's geometry, so the
COP that BalanceInput computes back is the pointer's position.

- A position outside the rectangle between the sensors is moved to its edge: no real board's COP can leave it.
- Until the pointer has been inside the window, and after `pointer_left()` (it left the window), the board is
  empty: nobody stands on it (all four corners 0 kg).
- A mouse button held down (`pointer_pressed()` ... `pointer_released()`) is stepping off: the board is empty while
  it is held, and the person steps back on where the pointer is when it is let go. That is how step-off and
  step-on events can be tried with a mouse.
- Each change takes effect at the time it is made: the samples due before it keep the old position.
- If nobody reads the source for a while, at most `MAX_BACKLOG_S` of samples are kept; older ones are skipped
  (a gap in the samples' time, as a board whose reader fell behind would show).
"""
from __future__ import annotations

import math
import time
from typing import Callable

from hardware.samples import WII_BALANCE_BOARD, LoadSample
from hardware.sources import BoardUrl, SourceState, register_scheme
from trainer.cop import MIN_STANDING_KG, cop_to_corners
from trainer.errors import BoardError

DEFAULT_WEIGHT_KG = 70.0
DEFAULT_RATE_HZ = 100.0
MAX_RATE_HZ = 1000.0
MAX_BACKLOG_S = 5.0
_EMPTY = (0.0, 0.0, 0.0, 0.0)


class MouseSource:
    def __init__(self, *, weight_kg: float = DEFAULT_WEIGHT_KG, rate_hz: float = DEFAULT_RATE_HZ,
                 clock: Callable[[], float] = time.monotonic, url: str = "mouse://"):
        if not weight_kg >= MIN_STANDING_KG:
            raise BoardError(f"{url}: weight_kg must be at least {MIN_STANDING_KG:g} (below it nobody stands on a "
                             f"board), not {weight_kg:g}")
        if not 0 < rate_hz <= MAX_RATE_HZ:
            raise BoardError(f"{url}: rate_hz must be above 0 and at most {MAX_RATE_HZ:g}, not {rate_hz:g}")
        self.url = url
        self.geometry = WII_BALANCE_BOARD
        self.identity = f"mouse pointer ({weight_kg:g} kg)"
        self.state = SourceState.CONNECTING
        self.paced = True
        self.weight_kg = float(weight_kg)
        self.rate_hz = float(rate_hz)  # BalanceInput takes the sampling rate from here
        self._clock = clock
        self._position_mm: tuple[float, float] | None = None
        self._held = False
        self._corners = _EMPTY
        self._started = 0.0
        self._next = 0  # index of the next sample; sample i is at t = i / rate_hz
        self._pending: list[LoadSample] = []

    # --- what the window tells it ------------------------------------------------------------------------------
    @property
    def position_mm(self) -> tuple[float, float] | None:
        """Where the COP is (clamped to the sensor rectangle), or None while the pointer is not in the window."""
        return self._position_mm

    @property
    def standing(self) -> bool:
        return self._position_mm is not None and not self._held

    def pointer_at(self, x_mm: float, y_mm: float) -> None:
        """The pointer is over board point (x_mm, y_mm)."""
        if not (math.isfinite(x_mm) and math.isfinite(y_mm)):
            raise ValueError(f"pointer position must be finite, not ({x_mm}, {y_mm})")
        hx, hy = self.geometry.half_x_mm, self.geometry.half_y_mm
        self._change(position=(min(max(x_mm, -hx), hx), min(max(y_mm, -hy), hy)))

    def pointer_left(self) -> None:
        """The pointer left the window: nobody stands on the board."""
        self._change(position=None)

    def pointer_pressed(self) -> None:
        """A mouse button went down: the person steps off until it is released."""
        self._change(held=True)

    def pointer_released(self) -> None:
        self._change(held=False)

    _KEEP = object()

    def _change(self, *, position=_KEEP, held=_KEEP) -> None:
        self._advance()  # the samples due so far keep the old position
        if position is not MouseSource._KEEP:
            self._position_mm = position
        if held is not MouseSource._KEEP:
            self._held = held
        if self.standing:
            x, y = self._position_mm
            self._corners = tuple(float(c) for c in cop_to_corners([x], [y], self.weight_kg, self.geometry)[0])
        else:
            self._corners = _EMPTY

    # --- LoadSource --------------------------------------------------------------------------------------------
    def open(self) -> None:
        self._started = self._clock()
        self._next = 0
        self._pending = []
        self.state = SourceState.STREAMING

    def _advance(self) -> None:
        if self.state is not SourceState.STREAMING:
            return
        # Sample 0 is due at once; the 1e-9 keeps a sample due exactly now from being lost to rounding.
        due = math.floor((self._clock() - self._started) * self.rate_hz + 1e-9) + 1
        backlog = max(1, round(MAX_BACKLOG_S * self.rate_hz))
        first = max(self._next, due - backlog)
        self._pending.extend(LoadSample(i / self.rate_hz, *self._corners) for i in range(first, due))
        self._next = max(self._next, due)
        if len(self._pending) > backlog:
            del self._pending[:-backlog]

    def read(self) -> list[LoadSample]:
        self._advance()
        samples, self._pending = self._pending, []
        return samples

    def close(self) -> None:
        if self.state is SourceState.STREAMING:
            self.state = SourceState.ENDED


@register_scheme("mouse")
def _from_url(url: BoardUrl) -> MouseSource:
    url.check_known(("weight_kg", "rate_hz"))
    if url.path.strip("/"):
        raise BoardError(f"{url.text}: mouse:// takes no path, only ?weight_kg=70&rate_hz=100")
    return MouseSource(weight_kg=url.take_float("weight_kg", DEFAULT_WEIGHT_KG),
                       rate_hz=url.take_float("rate_hz", DEFAULT_RATE_HZ), url=url.text)
