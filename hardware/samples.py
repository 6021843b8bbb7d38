"""The record every board hands out, and the geometry that turns its four loads into a COP.

Coordinates and units follow DESIGN.md B.1: seen from above with the user facing forward, x is medio-lateral
(positive to the user's right), y is antero-posterior (positive forward), origin at the centre between the four
sensors, millimetres; loads are kilograms-force per corner; time is seconds.
"""
from __future__ import annotations

from dataclasses import dataclass

G_M_S2 = 9.80665  # standard gravity: newtons per kilogram-force


@dataclass(frozen=True, slots=True)
class BoardGeometry:
    """Distances between the load sensors' centres, in millimetres."""

    name: str
    sensor_spacing_x_mm: float  # left-right (medio-lateral) distance between sensor columns
    sensor_spacing_y_mm: float  # front-back (antero-posterior) distance between sensor rows

    @property
    def half_x_mm(self) -> float:
        return self.sensor_spacing_x_mm / 2.0

    @property
    def half_y_mm(self) -> float:
        return self.sensor_spacing_y_mm / 2.0


# Nintendo Wii Balance Board: sensors 433 mm apart (ML) and 238 mm apart (AP); see shared/data/README.md.
WII_BALANCE_BOARD = BoardGeometry("Wii Balance Board", 433.0, 238.0)
# A force plate replayed as a board: corners are synthesised for an AMTI-sized plate (sensors 400 x 600 mm).
FORCE_PLATE = BoardGeometry("force plate", 400.0, 600.0)


@dataclass(frozen=True, slots=True)
class LoadSample:
    """One reading of the four corners (tl, tr, bl, br = front-left, front-right, back-left, back-right)."""

    t_s: float
    tl_kg: float
    tr_kg: float
    bl_kg: float
    br_kg: float
    seq: int | None = None  # the device's sequence number, where it has one
    raw_tl: int | None = None  # raw ADC counts, where the device has them
    raw_tr: int | None = None
    raw_bl: int | None = None
    raw_br: int | None = None
    flags: int = 0  # device flags (FP1 SAMPLE flags for the serial plate), 0 elsewhere

    @property
    def total_kg(self) -> float:
        return self.tl_kg + self.tr_kg + self.bl_kg + self.br_kg

    @property
    def corners_kg(self) -> tuple[float, float, float, float]:
        return (self.tl_kg, self.tr_kg, self.bl_kg, self.br_kg)
