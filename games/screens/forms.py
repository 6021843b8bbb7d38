"""Forms for people, not programmers: a few large fields per page, each page with its help and a picture.

Keyboard: Up/Down (or Tab) choose a field; Left/Right or −/+ change it (a yes/no field flips); digits type a number;
letters type a name or a note; Enter goes to the next page (the last page submits); Esc goes back a page (on the
first page it leaves the form). Mouse: click a field, its − and + buttons, Next and Back. Nothing is stored until
the last page submits and the `submit` callback accepts the values; its refusal (a value out of range ...) is shown
on the page, in words.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import pygame

from games import style
from games.screens.ui import MARGIN_PX, Screen, Services, clip, is_click

ROW_TOP_PX = 200
TEXT_MAX = 200


@dataclass
class FormField:
    key: str
    label: str
    kind: str  # number | yesno | text | choice
    value: object = None
    unit: str = ""
    lo: float = 0.0
    hi: float = 100.0
    step: float = 1.0
    choices: tuple = ()
    optional: bool = False  # may be left empty (None)

    def shown(self) -> str:
        if self.kind == "yesno":
            return "yes" if self.value else "no"
        if self.value is None or self.value == "":
            return "(empty)" if self.optional or self.kind == "text" else "?"
        if self.kind == "number":
            return f"{self.value:g} {self.unit}".strip()
        return str(self.value)

    def adjust(self, direction: int) -> None:
        if self.kind == "yesno":
            self.value = not self.value
        elif self.kind == "choice" and self.choices:
            i = self.choices.index(self.value) if self.value in self.choices else -1
            self.value = self.choices[(i + direction) % len(self.choices)]
        elif self.kind == "number":
            start = self.value if isinstance(self.value, (int, float)) else (self.lo if direction > 0 else self.hi)
            value = round(min(self.hi, max(self.lo, start + direction * self.step)), 6)
            self.value = int(value) if float(self.step).is_integer() and float(value).is_integer() else value


@dataclass
class FormPage:
    title: str
    help: str
    fields: list[FormField] = field(default_factory=list)
    picture: Callable | None = None  # (surface, rect) -> None


def form_layout(size, n_fields: int, large_text: bool) -> dict:
    """Hit boxes shared by drawing and the mouse: field rows, their − and + buttons, Back and Next."""
    width, height = size
    left_w = int((width - 2 * MARGIN_PX) * 0.58)
    row_h = min(int(style.text_px(1.2, large_text) * 1.9), 84)
    rows = [pygame.Rect(MARGIN_PX, ROW_TOP_PX + 110 + i * (row_h + 10), left_w, row_h) for i in range(n_fields)]
    minus = [pygame.Rect(r.right - 2 * r.height - 10, r.top + 6, r.height - 12, r.height - 12) for r in rows]
    plus = [pygame.Rect(r.right - r.height, r.top + 6, r.height - 12, r.height - 12) for r in rows]
    next_button = pygame.Rect(width - MARGIN_PX - 260, height - 120, 260, 70)
    back_button = pygame.Rect(width - MARGIN_PX - 540, height - 120, 250, 70)
    picture = pygame.Rect(MARGIN_PX + left_w + 30, ROW_TOP_PX - 20, width - 2 * MARGIN_PX - left_w - 30,
                          height - ROW_TOP_PX - 160)
    return {"rows": rows, "minus": minus, "plus": plus, "next": next_button, "back": back_button,
            "picture": picture}


class FormScreen(Screen):
    def __init__(self, services: Services, title: str, pages: list[FormPage],
                 submit: Callable[[dict], str | None], *, submit_label: str = "Save",
                 after: Callable[[], Screen | None] | None = None):
        super().__init__(services)
        self.form_title = title
        self.pages = pages
        self.submit = submit  # returns None when stored (the form then closes), else what is wrong, in words
        self.submit_label = submit_label
        self.after = after  # once stored: the screen that takes the form's place (None: back to the one below)
        self.page = 0
        self.focus = 0
        self.typed: str | None = None  # digits being typed into the focused number field
        self.error: str | None = None

    # --- state -------------------------------------------------------------------------------------------------
    @property
    def fields(self) -> list[FormField]:
        return self.pages[self.page].fields

    @property
    def focused(self) -> FormField | None:
        return self.fields[self.focus] if self.fields else None

    def values(self) -> dict:
        return {f.key: f.value for page in self.pages for f in page.fields}

    def _commit_typed(self) -> bool:
        """Take the typed number into the field; False (and an error) when it is not a number in range."""
        if self.typed is None:
            return True
        item, text, self.typed = self.focused, self.typed, None
        if text == "":
            if item.optional:
                item.value = None
                return True
            self.error = f"{item.label}: type a number from {item.lo:g} to {item.hi:g}"
            return False
        try:
            value = float(text)
        except ValueError:
            self.error = f"{item.label}: '{text}' is not a number"
            return False
        if not math.isfinite(value) or not item.lo <= value <= item.hi:
            self.error = f"{item.label} must be from {item.lo:g} to {item.hi:g} {item.unit}".rstrip()
            return False
        item.value = int(value) if float(item.step).is_integer() and value.is_integer() else value
        return True

    def _move_focus(self, step: int) -> None:
        if self._commit_typed() and self.fields:
            self.focus = (self.focus + step) % len(self.fields)

    def next_page(self) -> None:
        if not self._commit_typed():
            return
        missing = [f.label for f in self.fields if f.kind == "number" and f.value is None and not f.optional]
        missing += [f.label for f in self.fields if f.kind == "text" and not f.optional and not str(f.value or "")
                    .strip()]
        if missing:
            self.error = f"Please fill in: {', '.join(missing)}"
            return
        self.error = None
        if self.page + 1 < len(self.pages):
            self.page, self.focus = self.page + 1, 0
            return
        problem = self.submit(self.values())
        if problem:
            self.error = problem
            return
        following = self.after() if self.after is not None else None
        if following is not None:
            self.services.stack.replace(following)
        else:
            self.finished = True

    def previous_page(self) -> None:
        self.typed, self.error = None, None
        if self.page == 0:
            self.finished = True
        else:
            self.page, self.focus = self.page - 1, 0

    # --- input -------------------------------------------------------------------------------------------------
    def handle(self, event) -> None:
        if event.type == pygame.KEYDOWN:
            self._key(event)
        elif is_click(event):
            self._click(event.pos)

    def _key(self, event) -> None:
        item = self.focused
        key = event.key
        if key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            self.next_page()
        elif key == pygame.K_ESCAPE:
            self.previous_page()
        elif key in (pygame.K_DOWN, pygame.K_TAB):
            self._move_focus(1)
        elif key == pygame.K_UP:
            self._move_focus(-1)
        elif item is None:
            return
        elif item.kind == "text":
            self._type_text(item, event)
        elif key in (pygame.K_LEFT, pygame.K_RIGHT, pygame.K_MINUS, pygame.K_PLUS, pygame.K_KP_MINUS,
                     pygame.K_KP_PLUS, pygame.K_SPACE):
            if self._commit_typed():
                item.adjust(-1 if key in (pygame.K_LEFT, pygame.K_MINUS, pygame.K_KP_MINUS) else 1)
                self.error = None
        elif item.kind == "number" and (event.unicode or "") in "0123456789.," and event.unicode:
            self.typed = (self.typed or "") + event.unicode.replace(",", ".")
        elif item.kind == "number" and key == pygame.K_BACKSPACE:
            self.typed = (self.typed if self.typed is not None else item.shown().split(" ")[0].strip("?"))[:-1]
        elif item.kind == "yesno" and (event.unicode or "").lower() in ("y", "n"):
            item.value = event.unicode.lower() == "y"

    def _type_text(self, item: FormField, event) -> None:
        text = str(item.value or "")
        if event.key == pygame.K_BACKSPACE:
            item.value = text[:-1]
        elif event.unicode and event.unicode.isprintable() and len(text) < TEXT_MAX:
            item.value = text + event.unicode

    def _click(self, pos) -> None:
        layout = form_layout(self.size, len(self.fields), self.services.settings.large_text)
        if layout["next"].collidepoint(pos):
            self.next_page()
            return
        if layout["back"].collidepoint(pos):
            self.previous_page()
            return
        for i, row in enumerate(layout["rows"][:len(self.fields)]):
            if not row.collidepoint(pos):
                continue
            if i != self.focus:
                self._move_focus(i - self.focus)
            item = self.fields[i]
            if item.kind != "text" and layout["minus"][i].collidepoint(pos):
                item.adjust(-1)
            elif item.kind != "text" and (layout["plus"][i].collidepoint(pos) or item.kind == "yesno"):
                item.adjust(1)
            return

    # --- drawing -----------------------------------------------------------------------------------------------
    def draw(self, surface) -> None:
        surface.fill(style.BACKGROUND)
        width, height = self.size
        page = self.pages[self.page]
        self.title(surface, self.form_title)
        self.text(surface, f"{page.title}   ({self.page + 1} of {len(self.pages)})", 1.3, style.YELLOW,
                  (MARGIN_PX, ROW_TOP_PX - 100))
        layout = form_layout(self.size, len(page.fields), self.services.settings.large_text)
        self.lines(surface, page.help, 0.9, style.TEXT, (MARGIN_PX, ROW_TOP_PX - 50), layout["rows"][0].width
                   if layout["rows"] else width - 2 * MARGIN_PX)
        for i, item in enumerate(page.fields):
            self._draw_field(surface, item, layout["rows"][i], layout["minus"][i], layout["plus"][i],
                             i == self.focus)
        if page.picture is not None:
            page.picture(surface, layout["picture"])
        for name, label in (("back", "Back" if self.page else "Cancel"),
                            ("next", "Next" if self.page + 1 < len(self.pages) else self.submit_label)):
            rect = layout[name]
            pygame.draw.rect(surface, style.PANEL if name == "back" else style.YELLOW, rect, border_radius=12)
            self.text(surface, label, 1.2, style.TEXT if name == "back" else style.BACKGROUND, rect.center,
                      anchor="center")
        if self.error:
            self.lines(surface, self.error, 1.0, style.WARN, (MARGIN_PX, height - 140),
                       layout["back"].left - 2 * MARGIN_PX)
        self.keys_line(surface, "Up/Down: field   Left/Right or digits: change   Enter: next   Esc: back")

    def _draw_field(self, surface, item: FormField, row, minus, plus, focused: bool) -> None:
        pygame.draw.rect(surface, style.PANEL, row, border_radius=10)
        pygame.draw.rect(surface, style.YELLOW if focused else style.MUTED, row, width=5 if focused else 1,
                         border_radius=10)
        label_w = row.width * 0.55
        self.text(surface, clip(item.label, self.font(1.0), int(label_w) - 20), 1.0, style.TEXT,
                  (row.left + 16, row.centery), anchor="midleft")
        shown = (self.typed + "_") if focused and self.typed is not None else item.shown()
        if item.kind == "text" and focused:
            shown = str(item.value or "") + "_"
        value_x = row.left + int(label_w)
        value_w = (minus.left if item.kind != "text" else row.right) - value_x - 10
        self.text(surface, clip(shown, self.font(1.2), value_w), 1.2, style.YELLOW if focused else style.TEXT,
                  (value_x, row.centery), anchor="midleft")
        if item.kind != "text":
            for rect, sign in ((minus, "−"), (plus, "+")):
                pygame.draw.rect(surface, style.BACKGROUND, rect, border_radius=8)
                pygame.draw.rect(surface, style.MUTED, rect, width=2, border_radius=8)
                self.text(surface, sign, 1.3, style.TEXT, rect.center, anchor="center")


