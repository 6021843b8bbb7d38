"""The game loop: a fixed 60 Hz update on the game's own clock, drawing once per loop.

Wall time only decides how many fixed steps are due (at most `MAX_FRAME_S` worth per loop, so a stalled window
does not make the game race to catch up); the game's time is the number of steps taken times the step. With
`realtime=False` the loop takes exactly one step per drawn frame, as fast as the machine goes: the same game, on
the same clock, for headless runs and tests.
"""
from __future__ import annotations

import time
from typing import Callable

import pygame

from games.scene import SceneStack

FIXED_STEP_S = 1.0 / 60.0
MAX_FRAME_S = 0.25
MAX_FPS = 120  # drawing cap where the display has no vsync (the dummy driver, some X servers)


def open_window(size: tuple[int, int], caption: str):
    """The display surface, or one clear DisplayError where no window can open (no desktop, no video driver)."""
    from trainer.errors import DisplayError

    try:
        pygame.display.init()
        pygame.font.init()
        screen = pygame.display.set_mode(size)
    except pygame.error as error:
        raise DisplayError(f"cannot open a window ({error}): run it from a desktop session, or set "
                           "SDL_VIDEODRIVER=dummy to run without a screen") from None
    pygame.display.set_caption(caption)
    return screen


def save_screenshot(screen, path) -> None:
    """The window's last frame as a PNG, or one clear DisplayError if it cannot be written."""
    from pathlib import Path

    from trainer.errors import DisplayError

    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(screen, str(path))
    except (OSError, pygame.error) as error:
        raise DisplayError(f"cannot save the screenshot {path}: {error}") from None


class GameClock:
    """Game time: advances only with fixed steps, so it pauses when the game does."""

    def __init__(self, step_s: float = FIXED_STEP_S):
        self.step_s = step_s
        self.steps = 0

    @property
    def t_s(self) -> float:
        return self.steps * self.step_s

    def advance(self) -> None:
        self.steps += 1


def run_scenes(stack: SceneStack, screen, *, seconds: float | None = None, realtime: bool = True,
               clock: GameClock | None = None, wall_clock: Callable[[], float] = time.perf_counter) -> GameClock:
    """Run the stack's top scene until the stack is empty, the window is closed, or `seconds` of game time have
    passed. The last state is drawn on `screen` before returning (for a screenshot)."""
    clock = clock or GameClock()
    max_steps = None if seconds is None else round(seconds / clock.step_s)
    frame_pacer = pygame.time.Clock()
    last_wall = wall_clock()
    owed_s = 0.0
    running = True
    while running and stack.top is not None:
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                running = False
            elif stack.top is not None:
                stack.top.handle(event)
        if not running:
            break
        if realtime:
            now = wall_clock()
            owed_s += min(now - last_wall, MAX_FRAME_S)
            last_wall = now
            due = int(owed_s / clock.step_s)
            owed_s -= due * clock.step_s
        else:
            due = 1
        for _ in range(due):
            if max_steps is not None and clock.steps >= max_steps:
                running = False
                break
            scene = stack.top
            if scene is None:
                break
            scene.update(clock.step_s)
            clock.advance()
            if scene.finished:
                stack.pop()
        if max_steps is not None and clock.steps >= max_steps:
            running = False
        if stack.top is not None:
            stack.top.draw(screen)
            pygame.display.flip()
        if realtime and running:
            frame_pacer.tick(MAX_FPS)
    return clock
