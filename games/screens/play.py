"""A round from start to results: the 3-2-1 countdown, the round itself (with the overlay while the board is
lost: the round pauses its own clock, this screen says why), and the results beside last time and the best."""
from __future__ import annotations

import math

import pygame

from games import style
from games.round import RoundOptions, round_sink
from games.score_meta import better, score_meta
from games.screens.cards import GameChoice
from games.round_record import RoundRecord
from games.screens.history import last_and_best, new_round_folder, past_rounds
from games.screens.ui import (
    MARGIN_PX, POINTER_EVENTS, Screen, Services, clip, forward_pointer, format_value, is_click, is_confirm,
)
from hardware.sources import SourceState
from trainer.store.database import StoreError

COUNTDOWN_S = 3.0
OVERLAY_FILL = (0, 0, 0, 190)


def round_options(services: Services, choice: GameChoice) -> RoundOptions:
    settings = services.settings
    return RoundOptions(setup=choice.setup, leg=settings.leg, weight_kg=services.body_weight_kg, foam=choice.foam,
                        level=settings.level_for(choice), eyes=settings.eyes_for(choice.game))


def advance_level(services: Services, choice: GameChoice, played: int, scores: dict, *, valid: bool) -> int:
    """The level of the next round (games.levels.next_level; a round that is not valid leaves it), kept in the
    settings and saved. Returns it."""
    from games.levels import clamp_level, next_level

    new = next_level(choice.game, choice.setup, played, scores) if valid else \
        clamp_level(choice.game, choice.setup, played)
    services.settings.levels[choice.key] = new
    try:
        services.settings.save(services.settings_path)
    except OSError:
        pass  # kept for the session; the settings screen says so when it cannot save
    return new


class CountdownScreen(Screen):
    """3, 2, 1 in very large type, then the round replaces it. A game that cannot start says why here."""

    def __init__(self, services: Services, choice: GameChoice):
        super().__init__(services)
        self.choice = choice
        self.error: str | None = None

    @property
    def remaining(self) -> int:
        return max(1, math.ceil(COUNTDOWN_S - self.t_s - 1e-9))

    def handle(self, event) -> None:
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE or (self.error and (is_confirm(event)
                                                                                              or is_click(event))):
            self.finished = True

    def tick(self, dt_s: float) -> None:
        if self.error is None and self.t_s >= COUNTDOWN_S - 1e-9:
            try:
                round_class = self.services.game_class(self.choice.game)
                game_round = round_class(self.services.board, round_options(self.services, self.choice))
            except (ValueError, ImportError) as error:
                self.error = f"{self.choice.title} cannot start: {error}"
                return
            self.services.stack.replace(RoundScreen(self.services, self.choice, game_round,
                                                    ghost=load_ghost(self.services, self.choice)))

    def draw(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        width, height = self.size
        self.title(surface, self.choice.title)
        if self.error:
            self.lines(surface, self.error, 1.2, style.WARN, (MARGIN_PX, height // 3), width - 2 * MARGIN_PX)
            self.keys_line(surface, "Enter or Esc: back")
            return
        self.text(surface, str(self.remaining), 10.0, style.YELLOW, (width // 2, height // 2), anchor="center")
        self.text(surface, "Get ready", 1.6, style.TEXT, (width // 2, height - 120), anchor="center")
        self.keys_line(surface, "Esc: back")


def pause_message(state: SourceState) -> tuple[str, str]:
    """(headline, what happens) for the overlay while the round is paused."""
    if state is SourceState.DISCONNECTED:
        return "Board lost — waiting for it to come back", "The round is paused. Reconnect the board; Esc ends it."
    if state is SourceState.CONNECTING:
        return "Waiting for the board", "The round starts when it sends data."
    return "No data from the board", "The round is paused and goes on when data comes back."


def load_ghost(services: Services, choice: GameChoice):
    """The earlier round to race (settings.ghost), or None: off, or no earlier round of this game and player."""
    from games.ghost import Ghost, ghost_folder

    mode = services.settings.ghost
    folder = ghost_folder(services.rounds_dir, choice, services.user, mode)
    return Ghost.from_folder(folder, "your last round" if mode == "last" else "your best") if folder else None


GHOST_COLOUR = style.PURPLE


class RoundScreen(Screen):
    """Runs a GameRound, records it as a B.4 folder, draws the pause overlay; on the round's end, the results."""

    def __init__(self, services: Services, choice: GameChoice, game_round, ghost=None):
        super().__init__(services)
        self.choice = choice
        self.round = game_round
        self.ghost = ghost  # games.ghost.Ghost: an earlier round's marker, at the same round time
        self.record: RoundRecord | None = None
        self.folder = None
        self.write_error: str | None = None

    def enter(self) -> None:
        board = self.services.board
        source = board.source
        kept_in = self.services.rounds_dir if getattr(self.round, "kind", "game") == "game" else \
            self.services.rounds_dir.parent / "tests"  # like `balance-trainer test --user`: data folder's tests/
        self.folder = new_round_folder(kept_in, self.choice.game)
        try:
            self.record = RoundRecord(self.folder, game=self.choice.game, setup=self.round.setup,
                                      options=self.round.options, board_url=getattr(source, "url", ""),
                                      board_identity=getattr(source, "identity", ""), geometry=board.geometry,
                                      user=self.services.user, db_url=self.services.db_url,
                                      kind=getattr(self.round, "kind", "game"))
        except (OSError, StoreError) as error:
            self.write_error, self.record = f"this round is not saved: {error}", None
        board.sample_sink = round_sink(self.round, self.record.sink if self.record else None)
        self.round.enter()

    def exit(self) -> None:
        self.services.board.sample_sink = None
        self.round.exit()
        if self.record is not None:
            self.record.abandon()  # a round left early keeps its samples, with no scores

    @property
    def paused(self) -> bool:
        return bool(self.round.round.paused)

    def handle(self, event) -> None:
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.finished = True  # the round is abandoned: not scored
            return
        if event.type in POINTER_EVENTS:
            forward_pointer(self.services.board.source, event, self.pointer_mm)
        self.round.handle(event)

    def pointer_mm(self, pos) -> tuple[float, float]:
        """Where the pointer is on the board: the round's own mapping if it has one (`screen_to_board(pos)`), else
        the live view's board area, which is where the games draw the board."""
        mapping = getattr(self.round, "screen_to_board", None)
        if mapping is not None:
            return mapping(pos)
        from games.live_view import board_view_rect, screen_to_board

        return screen_to_board(*pos, self.services.board.geometry, board_view_rect(self.size))

    def update(self, dt_s: float) -> None:
        self.t_s += dt_s
        self.services.button_presses()  # a press during a round means nothing: dropped, not kept for later
        self.round.update(dt_s)
        self.frame = self.services.board.frame
        if self.round.finished:
            self._finish()

    def _finish(self) -> None:
        valid = self.services.board.error is None and not self.paused
        options = self.round.options
        if self.record is not None:
            scores = self.record.finish(self.round, valid=valid)
            if self.record.database_error:
                self.write_error = (f"kept in {self.folder} but not in the database ({self.record.database_error}); "
                                    f"'balance-trainer import {self.folder}' adds it later")
            self.record = None
        else:
            scores = dict(self.round.scores())
        self.services.board.sample_sink = None
        earlier = past_rounds(self.services.rounds_dir, self.choice.game, setup=self.round.setup,
                              foam=self.choice.foam, user=self.services.user, exclude=self.folder)
        last, best = last_and_best(earlier)
        played = int(getattr(options, "level", 1))
        new = advance_level(self.services, self.choice, played, scores, valid=valid)
        trace = round_trace(self.folder) if self.folder is not None else None
        self.services.stack.replace(ResultsScreen(self.services, self.choice, scores, last, best, valid=valid,
                                                  note=self.write_error, level=played, next_level=new,
                                                  trace=trace))

    def ghost_pixel(self, size) -> tuple[int, int] | None:
        """Where the ghost's marker is drawn now (None: no ghost, or it is off the board)."""
        position = self.ghost.position(self.round.round.t_s) if self.ghost is not None else None
        return self.round.board_to_screen(*position, size) if position is not None else None

    def draw(self, surface) -> None:
        self.round.draw(surface)
        pixel = self.ghost_pixel(surface.get_size())
        if pixel is not None:  # hollow and labelled: never mistaken for the player's own (filled) marker
            pygame.draw.circle(surface, GHOST_COLOUR, pixel, 14, width=4)
            self.text(surface, "ghost", 0.6, GHOST_COLOUR, (pixel[0], pixel[1] + 18), anchor="midtop")
        if self.ghost is not None:
            self.text(surface, f"Ghost: {self.ghost.label}", 0.7, GHOST_COLOUR, (MARGIN_PX, surface.get_height() - 8),
                      anchor="bottomleft")
        if self.paused:
            draw_pause_overlay(surface, self.services, self.services.board.frame.state)


def draw_pause_overlay(surface, services: Services, state: SourceState) -> None:
    width, height = surface.get_size()
    shade = pygame.Surface((width, height), pygame.SRCALPHA)
    shade.fill(OVERLAY_FILL)
    surface.blit(shade, (0, 0))
    band = pygame.Rect(0, height // 2 - 110, width, 220)
    pygame.draw.rect(surface, style.PANEL, band)
    pygame.draw.rect(surface, style.WARN, band, width=6)
    headline, detail = pause_message(state)
    why = getattr(services.board.source, "error", None)
    if state is SourceState.DISCONNECTED and why:  # what the board's driver knows (e.g. a permission to fix)
        detail = why
    log = services.extra.get("drawn_texts")
    if log is not None:  # as Screen.text does: what the overlay says, for tests
        log += [headline, detail]
    font = services.font(1.8)
    headline = clip(headline, font, width - 2 * MARGIN_PX)
    image = font.render(headline, True, style.YELLOW)
    surface.blit(image, image.get_rect(center=(width // 2, band.centery - 35)))
    small = services.font(1.1)
    image = small.render(clip(detail, small, width - 2 * MARGIN_PX), True, style.TEXT)
    surface.blit(image, image.get_rect(center=(width // 2, band.centery + 45)))


RESULT_COLUMNS = (0.0, 0.46, 0.64, 0.82)
TRACE_LABEL = "Sway path of the whole round, with its 95 % ellipse"  # fractions of the table's width: score, this round, last time, best


class ResultsScreen(Screen):
    def __init__(self, services: Services, choice: GameChoice, scores: dict, last: dict, best: dict, *,
                 valid: bool = True, note: str | None = None, level: int | None = None,
                 next_level: int | None = None, trace=None):
        super().__init__(services)
        self.trace = trace  # (cop_x_mm, cop_y_mm) of the round while someone stood on the board, or None
        self.level = level  # the level played; None: not shown
        self.next_level = next_level
        self.choice = choice
        self.scores = scores
        self.last = last
        self.best = best
        self.valid = valid
        self.note = note

    def rows(self) -> list[tuple[str, str, str, str, bool | None, bool]]:
        """(label, this round, last time, best, better than last time?, a new best?) per score."""
        rows = []
        for name, value in self.scores.items():
            label, unit, higher = score_meta(name)
            number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            last, best = self.last.get(name), self.best.get(name)
            vs_last = better(name, value, last) if number and last is not None else None
            # A first round has nothing to beat: "new best" only when it beats an earlier best.
            new_best = bool(self.valid and number and best is not None and better(name, value, best))
            rows.append((label, format_value(value, unit), format_value(last, unit),
                         format_value(best, unit) if higher is not None else "", vs_last, new_best))
        return rows

    def level_line(self) -> str | None:
        """"Next time: level N" and whether it went up or down; None when the levels are not known."""
        if self.next_level is None:
            return None
        if self.level is None or self.next_level == self.level:
            change = "same level" if self.level is not None else ""
        else:
            change = f"{'up' if self.next_level > self.level else 'down'} from level {self.level}"
        return f"Next time: level {self.next_level}" + (f" ({change})" if change else "")

    def handle(self, event) -> None:
        if is_confirm(event) or is_click(event) or event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.finished = True

    def draw_trace(self, surface, box: pygame.Rect) -> None:
        """The statokinesigram: the COP path (mm, seen from above) with its 95 % prediction ellipse."""
        pygame.draw.rect(surface, style.PANEL, box, border_radius=10)
        scale = draw_sway_path(surface, box, self.trace, max_points=1500, line_px=2, lift_px=10)
        bar_px = 10 * scale  # a 10 mm scale bar
        left = box.left + 16
        pygame.draw.line(surface, style.TEXT, (left, box.bottom - 18), (left + bar_px, box.bottom - 18), 3)
        self.text(surface, "10 mm", 0.7, style.TEXT, (left + bar_px + 8, box.bottom - 18), anchor="midleft")
        # The whole round's raw path: the game's own sway scores (in the table) may use a part of it, filtered.
        self.text(surface, TRACE_LABEL, 0.7, style.MUTED, (box.left, box.top - 4), anchor="bottomleft")

    def draw(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        width, height = self.size
        y = self.title(surface, f"Results: {self.choice.title}")
        if not self.valid:
            y = self.text(surface, "Not valid: the board went away during the round", 1.0, style.BAD,
                          (MARGIN_PX, y)).bottom + 8
        level_line = self.level_line()
        if level_line:
            up = self.level is not None and self.next_level > self.level
            down = self.level is not None and self.next_level < self.level
            colour = style.GOOD if up else style.WARN if down else style.TEXT
            rect = self.text(surface, level_line, 1.1, colour, (MARGIN_PX, y))
            if up or down:  # not colour alone: the words say it, and a triangle points the way
                draw_triangle(surface, colour, (rect.right + 20, rect.centery), rect.height // 3, up=up)
            y = rect.bottom + 8
        table_w = width - 2 * MARGIN_PX
        if self.trace is not None:  # the statokinesigram takes the right third
            trace_box = pygame.Rect(0, y, int(table_w * 0.32), min(height - y - 90, int(table_w * 0.32)))
            trace_box.right = width - MARGIN_PX
            self.draw_trace(surface, trace_box)
            table_w = trace_box.left - MARGIN_PX - 30
        xs = [MARGIN_PX + int(f * table_w) for f in RESULT_COLUMNS]
        for x, head in zip(xs, ("Score", "This round", "Last time", "Best")):
            self.text(surface, head, 1.0, style.MUTED, (x, y))
        y += self.font(1.0).get_linesize() + 8
        rows = self.rows()
        if not rows:
            self.text(surface, "This round has no scores.", 1.2, style.TEXT, (MARGIN_PX, y))
        # As large as eight scores allow; large text is larger still, within the same room.
        row = 1.0 if self.services.settings.large_text else 1.3
        row_h = self.font(row).get_linesize() + 8
        for label, now, last, best, vs_last, new_best in rows:
            if y + row_h > height - 80:
                break
            self.text(surface, clip(label, self.font(row), xs[1] - xs[0] - 10), row, style.TEXT, (xs[0], y))
            colour = style.GOOD if vs_last else style.BAD if vs_last is False else style.TEXT
            value_rect = self.text(surface, now, row, colour, (xs[1], y))
            if vs_last is not None:  # not colour alone: a triangle pointing up (better) or down (worse)
                draw_triangle(surface, colour, (value_rect.right + 18, value_rect.centery), value_rect.height // 3,
                              up=vs_last)
            self.text(surface, last, row, style.MUTED, (xs[2], y))
            self.text(surface, "new best!" if new_best else best, row, style.YELLOW if new_best else style.MUTED,
                      (xs[3], y))
            y += row_h
        if self.note:
            self.text(surface, clip(self.note, self.font(0.9), table_w), 0.9, style.WARN,
                      (MARGIN_PX, height - 56), anchor="bottomleft")
        legend_y = height - 26 - self.font(0.9).get_linesize() * 3 // 2
        draw_triangle(surface, style.GOOD, (MARGIN_PX + 10, legend_y), 9, up=True)
        x = self.text(surface, "better than last time", 0.9, style.MUTED, (MARGIN_PX + 26, legend_y),
                      anchor="midleft").right
        draw_triangle(surface, style.BAD, (x + 30, legend_y), 9, up=False)
        self.text(surface, "worse", 0.9, style.MUTED, (x + 46, legend_y), anchor="midleft")
        self.keys_line(surface, "Enter, click or the board's button: back to the games")


def round_trace(folder) -> tuple | None:
    """The COP of a kept round while someone stood on the board (mm), from its recording folder; None if there is
    too little to draw."""
    import numpy as np

    from trainer.errors import BalanceTrainerError
    from trainer.readers.folder import read_folder

    try:
        recording = read_folder(folder)
    except (BalanceTrainerError, OSError):
        return None
    standing = np.isfinite(recording.cop_x_mm) & np.isfinite(recording.cop_y_mm)
    if standing.sum() < 10:
        return None
    return recording.cop_x_mm[standing], recording.cop_y_mm[standing]


def trace_layout(trace, box: pygame.Rect) -> tuple[float, float, float]:
    """(centre x mm, centre y mm, pixels per mm): the trace and its ellipse fill the box, the same scale on both
    axes so the sway's shape is true."""
    from trainer.measures.sway import prediction_ellipse_outline

    x, y = trace
    ex, ey = prediction_ellipse_outline(x, y)
    lo_x, hi_x = min(x.min(), ex.min()), max(x.max(), ex.max())
    lo_y, hi_y = min(y.min(), ey.min()), max(y.max(), ey.max())
    span = max(hi_x - lo_x, hi_y - lo_y, 5.0)  # at least 5 mm across: a very still round stays small
    return (lo_x + hi_x) / 2, (lo_y + hi_y) / 2, (min(box.width, box.height) - 40) / span


def draw_sway_path(surface, box: pygame.Rect, trace, *, max_points: int, line_px: int, lift_px: int = 0) -> float:
    """The COP path (sky blue) and its 95 % prediction ellipse (yellow) filling box, on one scale both ways (the
    results screen's statokinesigram, the clinic's thumbnails); returns the pixels per mm."""
    from trainer.measures.sway import prediction_ellipse_outline

    x, y = trace
    cx, cy, scale = trace_layout(trace, box)

    def to_px(xs, ys):
        return [(box.centerx + (a - cx) * scale, box.centery - lift_px - (b - cy) * scale) for a, b in zip(xs, ys)]

    step = max(1, len(x) // max_points)  # enough points for the eye, few enough to draw at once
    pygame.draw.lines(surface, style.SKY_BLUE, False, to_px(x[::step], y[::step]), line_px)
    pygame.draw.lines(surface, style.YELLOW, True, to_px(*prediction_ellipse_outline(x, y)), line_px + 1)
    return scale


def draw_triangle(surface, colour, centre, half_px: int, *, up: bool) -> None:
    x, y = centre
    tip = -half_px if up else half_px
    pygame.draw.polygon(surface, colour, [(x - half_px, y - tip), (x + half_px, y - tip), (x, y + tip)])
