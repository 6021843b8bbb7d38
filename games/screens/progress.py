"""The progress screen: the same picture as `balance-trainer progress --plot` (trainer.plots), in the window, with
the latest real changes written out beside it in words."""
from __future__ import annotations

import io

import pygame

from games import style
from games.screens.ui import MARGIN_PX, Screen, Services, clip, is_click, is_confirm
from trainer.errors import BalanceTrainerError


def progress_picture(services: Services):
    """(pygame image of the progress figure, trends) for the player; raises BalanceTrainerError with nothing to show."""
    from trainer.plots import DPI, progress_figure
    from trainer.program import load_content
    from trainer.program.progress import check_trends, game_trends
    from trainer.sessions_cli import round_scores, counting_days
    from trainer.store import records

    content = load_content()
    with services.store().transaction() as session:
        user = records.get_user(session, services.user)
        checks = records.checks_of(session, user)
        rounds = round_scores(session, user)
    trends = check_trends(checks, content) + game_trends(rounds, content)
    figure, _ = progress_figure(services.user, trends, counting_days(rounds), [c.date for c in checks])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    buffer.seek(0)
    return pygame.image.load(buffer, "progress.png"), trends


def change_words(trends) -> list[str]:
    """One line per measure whose latest point is a real change."""
    words = []
    for t in trends:
        latest = t.points[-1]
        if latest.flag:
            label = t.measure.replace("_", " ") + (f" {t.side}" if t.side else "")
            words.append(f"{label}: {'better' if latest.flag == 'improved' else 'worse'} for real on {latest.date} "
                         f"({latest.value:g} {t.unit})".replace(" )", ")"))
    return words


class ProgressScreen(Screen):
    """Drawing the figure takes a second or two (matplotlib): the first frame says so, the next step draws it."""

    def __init__(self, services: Services, *, draw_now: bool = True):
        super().__init__(services)
        self.image = None
        self.trends = []
        self.error: str | None = None
        self.ready = False
        if draw_now:
            self.make_picture()

    def make_picture(self) -> None:
        try:
            self.image, self.trends = progress_picture(self.services)
        except (BalanceTrainerError, ValueError) as error:
            self.error = str(error)
        self.ready = True

    def tick(self, dt_s: float) -> None:
        if not self.ready:
            self.make_picture()

    def handle(self, event) -> None:
        if is_confirm(event) or is_click(event) or event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.finished = True

    def draw(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        width, height = self.size
        self.title(surface, "Your progress")
        if not self.ready:
            self.text(surface, "Drawing your progress...", 1.4, style.YELLOW, (width // 2, height // 2),
                      anchor="center")
            return
        if self.error or self.image is None:
            self.lines(surface, self.error or "Nothing to show yet.", 1.1, style.TEXT, (MARGIN_PX, 140),
                       width - 2 * MARGIN_PX)
            self.keys_line(surface, "Enter or Esc: back")
            return
        words = change_words(self.trends) or ["No real change this week yet: changes count once they pass the "
                                              "measure's minimal detectable change."]
        room = pygame.Rect(MARGIN_PX, 100, width - 2 * MARGIN_PX, height - 150 - 34 * min(3, len(words)))
        scale = min(room.width / self.image.get_width(), room.height / self.image.get_height())
        picture = pygame.transform.smoothscale(self.image, (int(self.image.get_width() * scale),
                                                            int(self.image.get_height() * scale)))
        surface.blit(picture, picture.get_rect(midtop=room.midtop))
        y = room.bottom + 8
        for line in words[:3]:
            y = self.text(surface, clip(line, self.font(0.9), width - 2 * MARGIN_PX), 0.9, style.YELLOW,
                          (MARGIN_PX, y)).bottom + 4
        self.keys_line(surface, "Enter or Esc: back")
