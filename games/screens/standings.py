"""The leaderboard screen: the same boards as `balance-trainer leaderboard` (trainer.leaderboard), one at a time.

Left/Right: by improvement, consistency or best. Up/Down: the next game, set-up and level. The player's own row is
always there and marked (also when they are opted out: then only they see it), ties are stated on screen.
"""
from __future__ import annotations

import pygame

from games import style
from games.screens.checks import today
from games.screens.ui import MARGIN_PX, Screen, Services, clip, is_click, is_confirm
from trainer.errors import BalanceTrainerError

ORDERS = ("improvement", "consistency", "best")
ORDER_WORDS = {"improvement": "Improvement: this week's best against your own first week",
               "consistency": "Consistency: days trained in the last 28, then the streak",
               "best": "Best: personal bests, among players at the same level"}
TABLE_TOP_PX = 200


class LeaderboardScreen(Screen):
    def __init__(self, services: Services):
        super().__init__(services)
        self.by = ORDERS[0]
        self.index = 0
        self.boards: list = []
        self.error: str | None = None
        self._first_load = True
        self.reload()

    def reload(self) -> None:
        from trainer.leaderboard_cli import boards_from
        from trainer.program import load_content

        try:
            with self.services.store().transaction() as session:
                self.boards = boards_from(session, load_content(), by=self.by, date=today(self.services),
                                          me=self.services.user, top=8)
            self.error = None
        except BalanceTrainerError as error:
            self.boards, self.error = [], str(error)
        mine = [i for i, b in enumerate(self.boards) if any(e.me for e in b.rows + b.unranked)]
        if self._first_load and mine:
            self.index = mine[0]  # open on a board the player is on
        self._first_load = False
        self.index = min(self.index, max(0, len(self.boards) - 1))

    @property
    def board(self):
        return self.boards[self.index] if self.boards else None

    def handle(self, event) -> None:
        if event.type == pygame.KEYDOWN and event.key in (pygame.K_LEFT, pygame.K_RIGHT):
            step = 1 if event.key == pygame.K_RIGHT else -1
            self.by = ORDERS[(ORDERS.index(self.by) + step) % len(ORDERS)]
            self.reload()
        elif event.type == pygame.KEYDOWN and event.key in (pygame.K_UP, pygame.K_DOWN) and self.boards:
            self.index = (self.index + (1 if event.key == pygame.K_DOWN else -1)) % len(self.boards)
        elif is_confirm(event) or is_click(event) or event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.finished = True

    def draw(self, surface) -> None:
        from trainer.leaderboard import TIE_RULE, entry_cells

        surface.fill(style.BACKGROUND)
        width, height = self.size
        self.title(surface, "Leaderboard")
        self.text(surface, clip(ORDER_WORDS[self.by], self.font(1.0), width - 2 * MARGIN_PX), 1.0, style.YELLOW,
                  (MARGIN_PX, 100))
        board = self.board
        if self.error or board is None:
            self.lines(surface, self.error or "Nobody is on this leaderboard yet: play a round, and choose "
                       "'Show me on leaderboards' in your profile.", 1.1, style.TEXT, (MARGIN_PX, TABLE_TOP_PX),
                       width - 2 * MARGIN_PX)
            self.keys_line(surface, "Left/Right: order   Esc: back")
            return
        self.text(surface, f"{board.title}   ({self.index + 1} of {len(self.boards)})", 1.2, style.TEXT,
                  (MARGIN_PX, 140))
        xs = (MARGIN_PX, MARGIN_PX + 90, MARGIN_PX + 420, MARGIN_PX + 640)
        y = TABLE_TOP_PX
        for x, head in zip(xs, ("Rank", "Player", "Score", "")):
            self.text(surface, head, 0.9, style.MUTED, (x, y))
        y += self.font(0.9).get_linesize() + 6
        row_h = self.font(1.1).get_linesize() + 8
        for entry in board.rows + board.unranked:
            if y + row_h > height - 110:
                break
            rank, name, value, detail = entry_cells(board, entry)
            if entry.me:  # not colour alone: a frame and the word "you"
                pygame.draw.rect(surface, style.YELLOW, pygame.Rect(MARGIN_PX - 10, y - 4, width - 2 * MARGIN_PX + 20,
                                                                    row_h), width=3, border_radius=8)
                name += " (you" + (", only you see this)" if entry.visible_only_to_you else ")")
            badges = "  ".join(b.label for b in entry.badges)
            cells = (rank, name, value, (detail + ("   " if detail and badges else "") + badges) or entry.note)
            for x, cell, scale in zip(xs, cells, (1.1, 1.1, 1.1, 0.8)):
                limit = (xs[xs.index(x) + 1] - x - 12) if x != xs[-1] else width - MARGIN_PX - x
                self.text(surface, clip(cell, self.font(scale), limit), scale, style.TEXT, (x, y + 4))
            y += row_h
        if board.me_note:
            self.text(surface, clip(f"You: not ranked here ({board.me_note})", self.font(0.9), width - 2 * MARGIN_PX),
                      0.9, style.MUTED, (MARGIN_PX, height - 96))
        self.text(surface, clip(TIE_RULE, self.font(0.8), width - 2 * MARGIN_PX), 0.8, style.MUTED,
                  (MARGIN_PX, height - 60))
        self.keys_line(surface, "Left/Right: order   Up/Down: game and level   Esc: back")
