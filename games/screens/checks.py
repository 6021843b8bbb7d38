"""The weekly check (the first one is the baseline) and a new profile, as guided forms with pictures.

The check's pages follow docs/program.md "The weekly check": knee-to-wall each side (with a picture of the test),
pain, stiffness and swelling, the step-length walk, and the compensations seen. The values are checked by
trainer.program.Check (the same ranges as `balance-trainer assess`) and stored by trainer.store.records.
"""
from __future__ import annotations

import datetime as _dt

import pygame

from games import style
from games.screens.forms import FormField, FormPage, FormScreen
from games.screens.ui import Services
from trainer.store.database import StoreError

COMPENSATIONS = (("early-heel-rise", "Heel comes up early"), ("toe-walking", "Walking on the toes"),
                 ("wide-base", "Feet wide apart"), ("foot-turned-out", "Foot turned out"))


def today(services: Services) -> _dt.date:
    """The app's today (tests may fix it in services.extra["today"])."""
    return services.extra.get("today") or _dt.date.today()


# --- pictures ------------------------------------------------------------------------------------------------------
def draw_knee_to_wall(surface, rect: pygame.Rect, side: str) -> None:
    """The knee-to-wall test seen from the side: wall, heel down, knee touching the wall, the distance marked."""
    pygame.draw.rect(surface, style.PANEL, rect, border_radius=12)
    floor_y = rect.bottom - 60
    wall_x = rect.right - 90
    pygame.draw.line(surface, style.MUTED, (rect.left + 20, floor_y), (rect.right - 20, floor_y), 4)
    pygame.draw.rect(surface, style.MUTED, (wall_x, rect.top + 20, 24, floor_y - rect.top - 20))
    toe_x = wall_x - 130
    heel_x = toe_x - 120
    pygame.draw.polygon(surface, style.SKY_BLUE, [(heel_x, floor_y), (toe_x, floor_y), (toe_x - 10, floor_y - 22),
                                                  (heel_x + 20, floor_y - 40)])
    ankle = (heel_x + 30, floor_y - 45)
    knee = (wall_x - 4, floor_y - int(0.5 * (floor_y - rect.top)))
    hip = (heel_x - 30, rect.top + 70)
    previous_clip = surface.get_clip()
    surface.set_clip(rect)  # the leg stays inside the picture, whatever its size
    for a, b in ((ankle, knee), (knee, hip)):
        pygame.draw.line(surface, style.SKY_BLUE, a, b, 16)
    surface.set_clip(previous_clip)
    pygame.draw.circle(surface, style.YELLOW, knee, 12)
    arrow_y = floor_y + 28
    pygame.draw.line(surface, style.YELLOW, (toe_x, arrow_y), (wall_x, arrow_y), 4)
    for x, d in ((toe_x, 1), (wall_x, -1)):
        pygame.draw.polygon(surface, style.YELLOW, [(x, arrow_y), (x + 14 * d, arrow_y - 8), (x + 14 * d, arrow_y + 8)])
    font = style.font(24)
    surface.blit(font.render("cm from big toe to wall", True, style.TEXT), (toe_x - 150, arrow_y + 10))
    surface.blit(font.render("knee touches the wall", True, style.TEXT), (knee[0] - 250, knee[1] - 10))
    surface.blit(font.render("heel stays down", True, style.TEXT), (heel_x - 60, floor_y - 80))
    surface.blit(style.font(32).render(f"{side} ankle", True, style.YELLOW), (rect.left + 20, rect.top + 16))


def draw_pain_scale(surface, rect: pygame.Rect) -> None:
    """0 to 10 from green to vermillion, with the program's bands: 0-2 fine, 3-5 acceptable, 6+ pause."""
    pygame.draw.rect(surface, style.PANEL, rect, border_radius=12)
    font = style.font(26)
    width = (rect.width - 40) / 11
    for value in range(11):
        colour = style.GOOD if value <= 2 else style.WARN if value <= 5 else style.BAD
        box = pygame.Rect(rect.left + 20 + value * width, rect.top + 80, width - 4, 60)
        pygame.draw.rect(surface, colour, box, border_radius=6)
        label = font.render(str(value), True, style.BACKGROUND)
        surface.blit(label, label.get_rect(center=box.center))
    for i, (text, colour) in enumerate((("0-2: fine, go on", style.GOOD), ("3-5: acceptable, watch it", style.WARN),
                                        ("6 or more, or sharp pain: the program pauses", style.BAD))):
        surface.blit(font.render(text, True, colour), (rect.left + 20, rect.top + 170 + 36 * i))


def draw_walk(surface, rect: pygame.Rect) -> None:
    """Footprints along a tape: left and right step lengths, heel to heel."""
    pygame.draw.rect(surface, style.PANEL, rect, border_radius=12)
    tape_y = rect.centery
    pygame.draw.line(surface, style.YELLOW, (rect.left + 20, tape_y), (rect.right - 20, tape_y), 3)
    x = rect.left + 40
    font = style.font(24)
    for i in range(4):
        left = i % 2 == 0
        y = tape_y - 40 if left else tape_y + 10
        pygame.draw.ellipse(surface, style.SKY_BLUE if left else style.ORANGE, (x, y, 70, 30))
        if i:
            surface.blit(font.render("L step" if left else "R step", True, style.TEXT), (x - 80, tape_y + 50))
        x += (rect.width - 120) // 4
    surface.blit(font.render("measure heel to heel along the tape", True, style.TEXT), (rect.left + 20,
                                                                                         rect.top + 20))


# --- forms ---------------------------------------------------------------------------------------------------------
def check_pages(baseline: bool) -> list[FormPage]:
    which = "baseline" if baseline else "weekly"
    ktw_help = ("Face a wall, big toe {d} cm from it, heel down. Bend the knee to touch the wall. Move the foot back "
                "until the knee only just touches with the heel still down. Best of three tries, in cm.")
    pages = []
    for side in ("left", "right"):
        pages.append(FormPage(
            f"Knee to wall, {side} ankle", ktw_help.format(d="a few"),
            [FormField(f"knee_to_wall_{side}_cm", f"{side.title()} distance", "number", None, "cm", 0, 30, 0.5),
             FormField(f"heel_lift_{side}", "Heel lifted?", "yesno", False)],
            picture=lambda surface, rect, side=side: draw_knee_to_wall(surface, rect, side)))
    pages.append(FormPage(
        "Pain", "0 is no pain, 10 the worst you can imagine. Sharp pain: a stabbing pain, not an ache.",
        [FormField("pain_rest", "Pain at rest", "number", 0, "/10", 0, 10, 1),
         FormField("pain_activity", "Pain when active", "number", 0, "/10", 0, 10, 1),
         FormField("pain_sharp", "Any sharp pain?", "yesno", False)], picture=draw_pain_scale))
    pages.append(FormPage(
        "Stiffness and swelling", "How stiff was the ankle after your sessions this week (0 none, 10 very)?",
        [FormField("stiffness", "Stiffness after sessions", "number", 0, "/10", 0, 10, 1),
         FormField("swelling", "Any swelling?", "yesno", False)], picture=draw_pain_scale))
    pages.append(FormPage(
        "The walk", "Walk ten ordinary steps along a tape on the floor. Have someone mark where each heel lands, "
                    "or use chalk. Type the usual left and right step length, heel to heel.",
        [FormField("step_left_cm", "Left step", "number", None, "cm", 10, 200, 1),
         FormField("step_right_cm", "Right step", "number", None, "cm", 10, 200, 1)], picture=draw_walk))
    pages.append(FormPage(
        "What you noticed while walking", "Yes for anything you or your helper saw.",
        [FormField(key, label, "yesno", False) for key, label in COMPENSATIONS]))
    for page in pages:
        page.title = f"{which.title()} check: {page.title}"
    return pages


def check_from_values(values: dict, date: _dt.date):
    """A trainer.program.Check from the form (raises ValueError in words for a value out of range)."""
    from trainer.program import Check

    return Check(date, values["knee_to_wall_left_cm"], values["knee_to_wall_right_cm"], values["pain_rest"],
                 values["pain_activity"], values["stiffness"], values["step_left_cm"], values["step_right_cm"],
                 pain_sharp=values["pain_sharp"], swelling=values["swelling"],
                 heel_lift_left=values["heel_lift_left"], heel_lift_right=values["heel_lift_right"],
                 compensations=tuple(key for key, _ in COMPENSATIONS if values.get(key)))


def check_form(services: Services, *, baseline: bool, after=None) -> FormScreen:
    def submit(values: dict) -> str | None:
        from trainer.store import records

        try:
            check = check_from_values(values, today(services))
            with services.store().transaction() as session:
                records.add_check(session, records.get_user(session, services.user), check)
        except (ValueError, StoreError) as error:
            return str(error)
        return None

    return FormScreen(services, "Your first check (the baseline)" if baseline else "Weekly check",
                      check_pages(baseline), submit, submit_label="Save check", after=after)


def profile_form(services: Services, after) -> FormScreen:
    """A new profile: a nickname (never a real name) and optional details that set the program's pace."""
    pages = [
        FormPage("Your nickname", "A name for this program, not your real name. Type it, then press Enter.",
                 [FormField("name", "Nickname", "text", "")]),
        FormPage("About your ankle (you can leave these)", "These set the pace of the program.",
                 [FormField("affected_side", "Which ankle", "choice", "both", choices=("left", "right", "both")),
                  FormField("prior_sprains", "Ankle sprains before", "number", 0, "", 0, 20, 1),
                  FormField("year_of_birth", "Year of birth", "number", None, "", 1900, _dt.date.today().year, 1,
                            optional=True),
                  FormField("leaderboard", "Show me on leaderboards", "yesno", False)]),
    ]

    def submit(values: dict) -> str | None:
        from trainer.store import records

        try:
            with services.store().transaction() as session:
                user = records.add_user(session, values["name"], affected_side=values["affected_side"],
                                        prior_sprains=int(values["prior_sprains"] or 0),
                                        year_of_birth=values["year_of_birth"], leaderboard=values["leaderboard"])
                services.user = user.name
        except StoreError as error:
            return str(error)
        return None

    return FormScreen(services, "New profile", pages, submit, submit_label="Create", after=after)
