"""`balance-trainer play`: the whole program in a window, as a stack of screens on one board.

Start (board, player) → step-off tare and step-on weighing → game choice → instruction card → 3-2-1 → the
round (paused, with an overlay, while the board is lost) → results beside last time and the best → back to the
choice. The live view and the settings are screens of the choice. Keyboard, mouse and the Wii board's button (a
press is Enter) all work. Rounds are kept under data_dir()/rounds/<game>/<time> (games.screens.history), and, for
a named player, as their sessions in the tracker database (games.round_record); the settings in
data_dir()/settings.json.
"""
from __future__ import annotations

import os
from pathlib import Path

import pygame

from games.app import open_window, run_scenes, save_screenshot
from games.scene import SceneStack
from games.screens.start import StartScreen
from games.screens.ui import DEFAULT_SIZE, SETTINGS_FILE, Services, Settings
from hardware.sources import LoadSource, SourceState, open_source
from trainer.balance_input import BalanceInput
from trainer.calibration import data_dir


def with_orientation(url: str, orientation: str) -> str:
    """A Wii board's URL with its orientation; other boards have none and keep their URL."""
    if orientation == "normal" or not url.startswith(("wiiboard://", "evdev://")) or "orientation=" in url:
        return url
    return url + ("&" if "?" in url else "?") + f"orientation={orientation}"


def make_services(source: LoadSource, *, user: str | None = None, notice: str | None = None,
                  size: tuple[int, int] = DEFAULT_SIZE, folder: Path | None = None,
                  round_factory=None, db_url: str | None = None) -> Services:
    """The services the screens share, on an open source; settings and rounds live in `folder` (data_dir())."""
    folder = Path(folder) if folder is not None else data_dir()
    settings_path = folder / SETTINGS_FILE
    settings = Settings.load(settings_path, board_url=getattr(source, "url", ""))
    stack = SceneStack()
    services = Services(board=BalanceInput(source), stack=stack, settings=settings, rounds_dir=folder / "rounds",
                        user=user, db_url=db_url, size=size, settings_path=settings_path, notice=notice,
                        round_factory=round_factory)

    def open_board(url: str) -> BalanceInput:
        new_source = open_source(with_orientation(url, services.settings.orientation))
        services.board.source.close()
        return BalanceInput(new_source)

    services.open_board = open_board
    return services


def run_trainer_app(source: LoadSource, *, user: str | None = None, notice: str | None = None,
                    seconds: float | None = None, screenshot_path=None, size: tuple[int, int] = DEFAULT_SIZE,
                    realtime: bool = True, db_url: str | None = None) -> int:
    """Run the trainer on `source` until its window is closed, Esc is pressed on the start screen, or `seconds` of
    game time have passed; saves the last frame to screenshot_path if given. Opens the source if needed and closes
    the board at the end. Returns 0."""
    if source.state is SourceState.CONNECTING:
        source.open()
    services = None
    try:
        screen = open_window(size, "balance-trainer")
        services = make_services(source, user=user, notice=notice, size=size, db_url=db_url)
        if not (os.environ.get("SDL_VIDEODRIVER") == "dummy" and "SDL_AUDIODRIVER" not in os.environ):
            services.apply_sound()  # a run with no screen wants no sound device either (nor ALSA's complaints)
        services.stack.push(StartScreen(services))
        run_scenes(services.stack, screen, seconds=seconds, realtime=realtime)
        if screenshot_path is not None:
            if services.stack.top is not None:
                services.stack.top.draw(screen)
            save_screenshot(screen, screenshot_path)
    finally:
        if services is not None:
            services.stack.clear()  # a round cut short closes its recording
            services.close_store()
            services.board.source.close()
        source.close()
        if pygame.mixer.get_init():
            pygame.mixer.quit()
        pygame.display.quit()
    return 0
