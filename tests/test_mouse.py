"""mouse://: the pointer's position becomes the COP, paced on the source's clock; and the live view hands the
pointer to it (screen_to_board, the inverse of board_to_screen)."""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame  # noqa: E402

from games.app import run_scenes  # noqa: E402
from games.live_view import (  # noqa: E402
    DOT, Fonts, LiveViewScene, board_scale_px_per_mm, board_to_screen, board_view_rect, screen_to_board,
)
from games.scene import SceneStack  # noqa: E402
from hardware.mouse import MAX_BACKLOG_S, MouseSource  # noqa: E402
from hardware.samples import WII_BALANCE_BOARD  # noqa: E402
from hardware.sources import SourceState, make_source  # noqa: E402
from trainer.balance_input import BalanceInput  # noqa: E402
from trainer.cop import corners_to_cop  # noqa: E402
from trainer.errors import BoardError  # noqa: E402

SIZE = (960, 640)


class FakeClock:
    def __init__(self, t_s: float = 100.0, tick_s: float = 0.0):
        self.t_s = t_s
        self.tick_s = tick_s  # added at every call: time that passes by itself

    def __call__(self) -> float:
        self.t_s += self.tick_s
        return self.t_s


def cop_of(samples):
    return corners_to_cop(np.array([s.corners_kg for s in samples]), WII_BALANCE_BOARD)


def test_samples_are_paced_at_the_rate_and_empty_until_the_pointer_comes():
    clock = FakeClock()
    source = MouseSource(clock=clock)
    source.open()
    first = source.read()
    assert [s.t_s for s in first] == [0.0] and first[0].total_kg == 0.0  # nobody on the board yet
    clock.t_s += 0.105
    samples = source.read()
    assert [round(s.t_s, 6) for s in samples] == [round(i / 100, 6) for i in range(1, 11)]
    assert all(s.total_kg == 0.0 for s in samples)
    assert source.read() == []  # nothing new is due


def test_the_pointer_position_is_the_cop():
    clock = FakeClock()
    source = make_source("mouse://?weight_kg=62.5")
    source._clock = clock
    source.open()
    source.read()
    clock.t_s += 0.05
    source.pointer_at(120.0, -45.0)
    clock.t_s += 0.05
    samples = source.read()
    total, x, y = cop_of(samples)
    # The five samples due before the pointer came are still empty; the rest stand at the pointer.
    assert np.all(total[:5] == 0.0) and np.all(np.isnan(x[:5]))
    np.testing.assert_allclose(total[5:], 62.5)
    np.testing.assert_allclose(x[5:], 120.0, atol=1e-9)
    np.testing.assert_allclose(y[5:], -45.0, atol=1e-9)


def test_positions_beyond_the_sensors_are_held_at_their_edge():
    clock = FakeClock()
    source = MouseSource(clock=clock)
    source.open()
    source.pointer_at(1000.0, -1000.0)
    clock.t_s += 0.01
    samples = source.read()
    total, x, y = cop_of(samples)
    assert source.position_mm == (WII_BALANCE_BOARD.half_x_mm, -WII_BALANCE_BOARD.half_y_mm)
    np.testing.assert_allclose([x[-1], y[-1]], [216.5, -119.0])
    assert min(min(s.corners_kg) for s in samples) >= 0.0  # a corner never pulls
    with pytest.raises(ValueError):
        source.pointer_at(float("nan"), 0.0)


def test_leaving_the_window_and_a_held_button_empty_the_board():
    clock = FakeClock()
    source = MouseSource(clock=clock)
    source.open()
    source.pointer_at(0.0, 50.0)
    assert source.standing
    source.pointer_pressed()  # stepping off
    clock.t_s += 0.02
    assert all(s.total_kg == 0.0 for s in source.read()[1:])
    source.pointer_released()  # back on, where the pointer is
    clock.t_s += 0.02
    total, x, y = cop_of(source.read())
    np.testing.assert_allclose([total[-1], x[-1], y[-1]], [70.0, 0.0, 50.0], atol=1e-9)
    source.pointer_left()
    clock.t_s += 0.02
    assert source.read()[-1].total_kg == 0.0 and source.position_mm is None


def test_a_long_pause_keeps_at_most_the_backlog():
    clock = FakeClock()
    source = MouseSource(rate_hz=50.0, clock=clock)
    source.open()
    clock.t_s += 600.0
    samples = source.read()
    assert len(samples) == round(MAX_BACKLOG_S * 50.0)
    assert samples[-1].t_s == pytest.approx(600.0)
    source.close()
    assert source.state is SourceState.ENDED and source.read() == []


@pytest.mark.parametrize("url, message", [
    ("mouse://?weight_kg=2", "at least 5"),
    ("mouse://?weight_kg=heavy", "must be a number"),
    ("mouse://?rate_hz=0", "rate_hz"),
    ("mouse://?speed=2", "unknown parameter 'speed'"),
    ("mouse:///somewhere", "takes no path"),
])
def test_bad_urls(url, message):
    with pytest.raises(BoardError, match=message):
        make_source(url)


def test_defaults():
    source = make_source("mouse://")
    assert source.weight_kg == 70.0 and source.rate_hz == 100.0 and source.paced
    assert source.geometry == WII_BALANCE_BOARD


# --- screen <-> board -----------------------------------------------------------------------------------------------
def test_screen_to_board_inverts_board_to_screen_on_every_pixel():
    view = board_view_rect(SIZE)
    xs, ys = np.meshgrid(np.arange(view[0], view[0] + view[2]), np.arange(view[1], view[1] + view[3]))
    for px, py in zip(xs.ravel()[::7], ys.ravel()[::7]):
        assert board_to_screen(*screen_to_board(int(px), int(py), WII_BALANCE_BOARD, view), WII_BALANCE_BOARD,
                               view) == (px, py)


@given(x=st.floats(-300, 300), y=st.floats(-200, 200), width=st.integers(500, 2000), height=st.integers(400, 1400))
def test_board_to_screen_then_back_is_within_half_a_pixel(x, y, width, height):
    view = board_view_rect((width, height))
    back_x, back_y = screen_to_board(*board_to_screen(x, y, WII_BALANCE_BOARD, view), WII_BALANCE_BOARD, view)
    half_pixel_mm = 0.5 / board_scale_px_per_mm(WII_BALANCE_BOARD, view)
    assert abs(back_x - x) <= half_pixel_mm + 1e-9 and abs(back_y - y) <= half_pixel_mm + 1e-9


def test_screen_to_board_directions():
    view = board_view_rect(SIZE)
    centre = board_to_screen(0, 0, WII_BALANCE_BOARD, view)
    right = screen_to_board(centre[0] + 10, centre[1], WII_BALANCE_BOARD, view)
    up = screen_to_board(centre[0], centre[1] - 10, WII_BALANCE_BOARD, view)
    assert right[0] > 0 and right[1] == pytest.approx(0, abs=0.5)  # right on screen: the user's right
    assert up[1] > 0 and up[0] == pytest.approx(0, abs=0.5)  # up the screen: forward


# --- the live view ------------------------------------------------------------------------------------------------
@pytest.fixture
def live_view():
    pygame.display.init()
    pygame.font.init()
    screen = pygame.display.set_mode(SIZE)
    source = MouseSource(clock=FakeClock(tick_s=0.005))
    source.open()
    board = BalanceInput(source)
    scene = LiveViewScene(board, Fonts(), identity=source.identity, size=SIZE)
    stack = SceneStack()
    stack.push(scene)
    pygame.event.clear()
    yield scene, stack, screen
    source.close()
    pygame.display.quit()


def play(stack, screen, seconds=0.25):
    run_scenes(stack, screen, seconds=seconds, realtime=False)


def test_mouse_motion_in_the_live_view_moves_the_cop(live_view):
    scene, stack, screen = live_view
    play(stack, screen)
    assert not scene.frame.standing  # the pointer has not come yet
    target = board_to_screen(120.0, -60.0, WII_BALANCE_BOARD, scene.view_rect)
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=target, rel=(3, 2), buttons=(0, 0, 0)))
    play(stack, screen)
    frame = scene.frame
    expected = screen_to_board(*target, WII_BALANCE_BOARD, scene.view_rect)
    assert frame.standing and frame.total_kg == pytest.approx(70.0)
    assert (frame.cop_x_mm, frame.cop_y_mm) == pytest.approx(expected, abs=1e-6)
    half_pixel_mm = 0.5 / board_scale_px_per_mm(WII_BALANCE_BOARD, scene.view_rect)
    assert abs(frame.cop_x_mm - 120.0) <= half_pixel_mm and abs(frame.cop_y_mm + 60.0) <= half_pixel_mm
    # The dot is drawn under the pointer.
    scene.draw(screen)
    rgb = pygame.surfarray.array3d(screen)  # indexed [x, y]
    left, top, width, height = scene.view_rect
    inside = np.zeros(rgb.shape[:2], dtype=bool)
    inside[left:left + width, top:top + height] = True  # not the legend's dot
    dot = np.argwhere(np.all(rgb == DOT, axis=2) & inside)
    assert len(dot) > 50 and np.abs(dot.mean(axis=0) - np.array(target)).max() <= 1.0


def test_leaving_the_window_and_pressing_a_button_in_the_live_view(live_view):
    scene, stack, screen = live_view
    centre = board_to_screen(0.0, 0.0, WII_BALANCE_BOARD, scene.view_rect)
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=centre, rel=(0, 0), buttons=(0, 0, 0)))
    play(stack, screen)
    assert scene.frame.standing
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=centre, button=1))
    play(stack, screen)
    assert not scene.frame.standing and scene.status()[0] == "Streaming: nobody on the board"
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=centre, button=1))
    play(stack, screen)
    assert scene.frame.standing
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=centre, button=4))  # the wheel: no step-off
    play(stack, screen)
    assert scene.frame.standing
    pygame.event.post(pygame.event.Event(pygame.WINDOWLEAVE))
    play(stack, screen)
    assert not scene.frame.standing


def test_sources_without_a_pointer_ignore_the_mouse(live_view):
    """A real board has no pointer_at: mouse events must not reach it, nor fail."""
    scene, stack, screen = live_view
    sim = make_source("sim://?speed=max&noise_kg=0")
    sim.open()
    scene.board = BalanceInput(sim)
    for event in (pygame.event.Event(pygame.MOUSEMOTION, pos=(10, 10), rel=(0, 0), buttons=(0, 0, 0)),
                  pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(10, 10), button=1),
                  pygame.event.Event(pygame.WINDOWLEAVE)):
        scene.handle(event)
    sim.close()
