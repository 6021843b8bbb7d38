"""Game frame times and input-to-screen latency for `make bench` (bench/run.py calls bench_games).

Frame time: one fixed 60 Hz update plus one draw of the round at 1280 x 720 with SDL's software renderer (the
dummy video driver: no GPU, no vsync), p99 over 1,500 frames of a round played on a simulated person.
Latency: a board whose COP jumps at a known frame; the number of frames until the jump is on screen (read back
from the pixels at the marker's new place).
"""
from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402

SIZE = (1280, 720)
FRAMES = 1500


def _verdict(met: bool, detail: str) -> str:
    return ("met" if met else "MISSED") + (f" ({detail})" if detail else "")


def _round(game: str, options):
    from games.registry import game_class
    from hardware.sources import open_source
    from trainer.balance_input import BalanceInput

    source = open_source("sim://?seed=3&profile=single-leg&speed=max")
    return game_class(game)(BalanceInput(source), options), source


def frame_times_ms(game: str, setup: str | None) -> np.ndarray:
    from games.round import RoundOptions

    game_round, source = _round(game, RoundOptions(setup=setup, weight_kg=70.0, seconds=FRAMES / 60 + 5))
    surface = pygame.display.set_mode(SIZE)
    times = []
    try:
        for _ in range(FRAMES):
            start = time.perf_counter()
            game_round.update(1 / 60)
            game_round.draw(surface)
            pygame.display.flip()
            times.append(time.perf_counter() - start)
            if game_round.finished:
                break
    finally:
        source.close()
    return np.array(times[60:]) * 1e3  # the first second warms caches and fonts


def bench_games(rows: list) -> None:
    from games.registry import GAMES

    pygame.display.init()
    pygame.font.init()
    setups = {"foot-taps": ("target", "clock"), "single-leg": (None,), "step-down": ("step", "landing")}
    for game in GAMES:
        for setup in setups.get(game, (None,)):
            try:
                times = frame_times_ms(game, setup)
            except ValueError as error:  # a game this version does not have yet
                rows.append((f"frame time, {game}", "-", "p99 < 8 ms", f"not measured: {error}"))
                continue
            p99 = float(np.percentile(times, 99))
            rows.append((f"frame time at 1280×720, {game}{f' ({setup})' if setup else ''}, p99",
                         f"{p99:.2f} ms", "< 8 ms", _verdict(p99 < 8.0, f"median {statistics.median(times):.2f} ms")))
    pygame.display.quit()


class _JumpingBoard:
    """A paced board standing still at the centre until frame `jump_at`, where its COP jumps to (150, 60) mm."""

    url = "jump://"
    identity = "latency probe"
    paced = True

    def __init__(self, jump_at: int):
        from hardware.samples import WII_BALANCE_BOARD
        from hardware.sources import SourceState

        self.geometry = WII_BALANCE_BOARD
        self.state = SourceState.STREAMING
        self.jump_at = jump_at
        self.reads = 0
        self.arrived_at_read: int | None = None

    def open(self):
        pass

    def close(self):
        pass

    def read(self):
        from hardware.samples import LoadSample
        from trainer.cop import cop_to_corners

        self.reads += 1
        x, y = (150.0, 60.0) if self.reads >= self.jump_at else (0.0, 0.0)
        if self.reads == self.jump_at:
            self.arrived_at_read = self.reads
        corners = cop_to_corners([x], [y], 70.0, self.geometry)[0]
        return [LoadSample(self.reads / 60.0, *corners)]


def _dot_centre(surface) -> tuple[float, float] | None:
    from games.live_view import DOT

    rgb = pygame.surfarray.array3d(surface)
    where = np.argwhere(np.all(rgb == DOT, axis=2))
    return tuple(where.mean(axis=0)) if len(where) else None


def latency_frames(lowpass_hz: float | None) -> list[int]:
    """Frames from the update that receives the jumped sample to the first drawn frame where the dot has moved."""
    from games.live_view import Fonts, LiveViewScene
    from trainer.balance_input import BalanceInput
    from trainer.measures.default import sway_summary

    results = []
    surface = pygame.Surface(SIZE)
    for jump_at in (30, 45, 61, 90, 121):
        board = _JumpingBoard(jump_at)
        scene = LiveViewScene(BalanceInput(board, lowpass_hz=lowpass_hz, fs_hz=60.0), Fonts(),
                              identity=board.identity, sway_summary=sway_summary, size=SIZE)
        before = None
        for frame in range(1, 200):
            scene.update(1 / 60)  # one update per frame, one read per update
            scene.draw(surface)
            centre = _dot_centre(surface)
            if board.arrived_at_read is None:
                before = centre
            elif centre != before:
                results.append(frame - board.arrived_at_read)
                break
    return results


def bench_latency(rows: list) -> None:
    pygame.display.init()
    pygame.font.init()
    from games.live_view import LOW_PASS_HZ

    for label, lowpass_hz in (("raw COP", None), (f"COP low-passed at {LOW_PASS_HZ:g} Hz as in play", LOW_PASS_HZ)):
        frames = latency_frames(lowpass_hz)
        worst = max(frames) if len(frames) == 5 else None
        rows.append((f"sample to screen, {label}: frames from arrival to the dot moving (worst of 5)",
                     f"{worst} frames" if worst is not None else "not seen", "≤ 1 frame",
                     _verdict(worst is not None and worst <= 1, "0 = drawn in the frame whose update read it")))
    pygame.display.quit()
