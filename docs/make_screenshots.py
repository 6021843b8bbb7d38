"""Draws the README's pictures: each game on a simulated person, and the live view, at 1280 x 720.

    .venv/bin/python docs/make_screenshots.py      # writes docs/images/*.png

Uses SDL's dummy video driver: no window opens. The pictures are the games' own `draw` on a real round.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame  # noqa: E402

from games.registry import game_class  # noqa: E402
from games.round import RoundOptions  # noqa: E402
from hardware.sources import open_source  # noqa: E402
from trainer.balance_input import BalanceInput  # noqa: E402

IMAGES = Path(__file__).resolve().parent / "images"
SIZE = (1280, 720)
SHOTS = [  # (file, game, set-up, board, seconds into the round)
    ("foot-taps-target.png", "foot-taps", "target", "sim://?seed=4&profile=quiet&speed=max", 6.0),
    ("foot-taps-clock.png", "foot-taps", "clock", "sim://?seed=4&profile=single-leg&speed=max", 6.0),
    ("single-leg.png", "single-leg", None, "sim://?seed=4&profile=single-leg&speed=max", 8.0),
    ("step-down-step.png", "step-down", "step", "sim://?seed=4&profile=single-leg&speed=max", 6.0),
    ("step-down-landing.png", "step-down", "landing", "sim://?seed=4&profile=quiet&speed=max", 6.0),
]


def main() -> int:
    pygame.display.init()
    pygame.font.init()
    surface = pygame.display.set_mode(SIZE)
    IMAGES.mkdir(exist_ok=True)
    for file, game, setup, board_url, seconds in SHOTS:
        source = open_source(board_url)
        try:
            game_round = game_class(game)(BalanceInput(source), RoundOptions(setup=setup, weight_kg=70.0,
                                                                              seconds=60.0))
            for _ in range(int(seconds * 60)):
                game_round.update(1 / 60)
            game_round.draw(surface)
            pygame.image.save(surface, str(IMAGES / file))
            print(f"wrote {IMAGES / file}")
        finally:
            source.close()
    pygame.display.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
