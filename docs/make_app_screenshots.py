"""Draws the README's pictures of the program inside the app, at 1280 x 720, on a throwaway database:

    .venv/bin/python docs/make_app_screenshots.py      # writes docs/images/app-*.png

The player "kiwi" has a baseline and three weekly checks; three more players are on the leaderboard. The pictures
are the screens' own `draw`; SDL's dummy video driver, no window opens.
"""
from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame  # noqa: E402

IMAGES = Path(__file__).resolve().parent / "images"
SIZE = (1280, 720)
TODAY = dt.date(2026, 3, 11)


def seed(services) -> None:
    from trainer.program import Check
    from trainer.store import records, sessions

    with services.store().transaction() as session:
        kiwi = records.add_user(session, "kiwi", affected_side="left", prior_sprains=1, leaderboard=True,
                                year_of_birth=1958)
        for week, (left, pain) in enumerate(((5.0, 3), (6.1, 2), (7.4, 2), (7.9, 1))):
            records.add_check(session, kiwi, Check(TODAY - dt.timedelta(weeks=3 - week), left, 11.5, 0, pain, 1,
                                                   56 + week, 62, balance_zone_pct=40.0 + 8 * week))
        for name, first, now in (("kiwi", 40.0, 62.0), ("moa", 55.0, 66.0), ("tui", 50.0, 55.0),
                                 ("weka", 60.0, 61.0)):
            user = kiwi if name == "kiwi" else records.add_user(session, name, leaderboard=True)
            for day, value in ((TODAY - dt.timedelta(days=23), first), (TODAY - dt.timedelta(days=1), now)):
                row = sessions.start_session(session, user, kind="game", name="single-leg", level=1,
                                             started_utc=f"{day}T09:30:00.000+00:00")
                sessions.finish_session(row, scores={"time_in_zone_pct": value}, valid=True,
                                        score_version="single-leg/1", summary={"duration_s": 30.0},
                                        events_lines=[])


def shoot(services, surface, file: str) -> None:
    services.stack.top.draw(surface)
    pygame.image.save(surface, str(IMAGES / file))
    print(f"wrote {IMAGES / file}")


def main() -> int:
    from games.app import FIXED_STEP_S
    from games.screens.cards import choice_by_key
    from games.screens.checks import check_form
    from games.screens.clinic import ClinicMenu
    from games.screens.play import CountdownScreen, RoundScreen
    from games.screens.exercise import ExerciseTimer
    from games.screens.program import TodayScreen
    from games.screens.standings import LeaderboardScreen
    from games.trainer_app import make_services
    from hardware.sources import open_source

    pygame.display.init()
    pygame.font.init()
    surface = pygame.display.set_mode(SIZE)
    IMAGES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        source = open_source("sim://?seed=4&profile=single-leg&speed=max")
        services = make_services(source, folder=Path(folder), size=SIZE, user="kiwi",
                                 db_url=f"sqlite:///{Path(folder) / 'tracker.db'}")
        services.extra["today"] = TODAY
        try:
            seed(services)
            today = TodayScreen(services)
            services.stack.push(today)
            shoot(services, surface, "app-today.png")
            services.stack.push(check_form(services, baseline=False))
            shoot(services, surface, "app-weekly-check.png")
            services.stack.pop()
            item = next(item for kind, item in today.items if kind == "item" and item.hold_s == 30)
            timer = ExerciseTimer(services, item)
            services.stack.push(timer)
            for _ in range(round(12.0 / FIXED_STEP_S)):
                timer.update(FIXED_STEP_S)
            shoot(services, surface, "app-hold-timer.png")
            services.stack.pop()
            services.stack.push(LeaderboardScreen(services))
            shoot(services, surface, "app-leaderboard.png")
            services.stack.pop()
            services.stack.push(ClinicMenu(services))
            services.stack.top.start("mctsib")
            shoot(services, surface, "app-clinic-instructions.png")
            for _ in range(4):  # the clinician's Enter, then the condition's 30 s
                services.stack.top.round.proceed()
                for _ in range(round(31.0 / FIXED_STEP_S)):
                    services.stack.top.update(FIXED_STEP_S)
            shoot(services, surface, "app-clinic-results.png")
            services.stack.pop()
            services.stack.pop()
            services.stack.push(CountdownScreen(services, choice_by_key("single-leg")))
            while not isinstance(services.stack.top, RoundScreen):
                services.stack.top.update(FIXED_STEP_S)
            while isinstance(services.stack.top, RoundScreen):
                services.stack.top.update(FIXED_STEP_S)
            shoot(services, surface, "app-results.png")
        finally:
            services.stack.clear()
            services.close_store()
            source.close()
    pygame.display.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
