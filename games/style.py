"""The look every screen shares: readable from 2 m, high contrast, and a colour-blind-safe palette.

Colours are the Okabe–Ito palette (distinguishable with every common colour-vision deficiency); never let colour
alone carry meaning: pair it with a shape, a word or a position.
"""
from __future__ import annotations

from functools import lru_cache

import pygame

BACKGROUND = (18, 20, 26)
PANEL = (34, 38, 48)
TEXT = (240, 240, 240)
MUTED = (160, 166, 178)
# Okabe–Ito
ORANGE = (230, 159, 0)
SKY_BLUE = (86, 180, 233)
GREEN = (0, 158, 115)
YELLOW = (240, 228, 66)
BLUE = (0, 114, 178)
VERMILLION = (213, 94, 0)
PURPLE = (204, 121, 167)

GOOD = GREEN
WARN = ORANGE
BAD = VERMILLION
MARKER = YELLOW  # the player's COP marker
TARGET = SKY_BLUE

BASE_TEXT_PX = 28  # body text at 1280 x 720; titles twice that; large-text setting scales everything by 1.5


@lru_cache(maxsize=32)
def font(size_px: int) -> pygame.font.Font:
    if not pygame.font.get_init():
        pygame.font.init()
    return pygame.font.Font(None, size_px)


def text_px(scale: float = 1.0, large_text: bool = False) -> int:
    return int(round(BASE_TEXT_PX * scale * (1.5 if large_text else 1.0)))
