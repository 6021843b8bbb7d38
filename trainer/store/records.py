"""Reading and writing users, checks and diary entries. Every value is checked before anything is written."""
from __future__ import annotations

import datetime as _dt
import math

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trainer.program import Check, Profile
from trainer.program.rules import SIDES
from trainer.store.database import StoreError
from trainer.store.models import CheckRow, DiaryEntry, User

SEXES = ("female", "male", "other")
NAME_MAX = 40
DIARY_MAX = 10_000
# Plausible ranges only (typing mistakes), like trainer.program.rules.RANGES.
USER_RANGES = {"year_of_birth": (1900, None), "height_cm": (50.0, 250.0), "leg_length_cm": (20.0, 150.0),
               "prior_sprains": (0, 100)}
CHECK_FIELDS = ("date", "knee_to_wall_left_cm", "knee_to_wall_right_cm", "pain_rest", "pain_activity", "stiffness",
                "step_left_cm", "step_right_cm", "pain_sharp", "swelling", "heel_lift_left", "heel_lift_right",
                "balance_zone_pct")


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX or any(not ch.isprintable() for ch in name):
        raise StoreError(f"a user name is 1 to {NAME_MAX} printable characters (a nickname, not a real name), "
                         f"got {name!r}")
    return name


def validate_user(name: str, *, year_of_birth=None, sex=None, height_cm=None, leg_length_cm=None,
                  affected_side=None, prior_sprains=0, leaderboard=False) -> dict:
    values = {"name": _check_name(name), "year_of_birth": year_of_birth, "sex": sex, "height_cm": height_cm,
              "leg_length_cm": leg_length_cm, "affected_side": affected_side,
              "prior_sprains": prior_sprains or 0, "leaderboard": bool(leaderboard)}
    for key, (lo, hi) in USER_RANGES.items():
        value = values[key]
        hi = _dt.date.today().year if hi is None and key == "year_of_birth" else hi
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not lo <= value <= hi:
            raise StoreError(f"{key} must be from {lo:g} to {hi:g}, got {value!r}")
    if sex is not None and sex not in SEXES:
        raise StoreError(f"sex must be one of {', '.join(SEXES)}, got {sex!r}")
    if affected_side is not None and affected_side not in SIDES:
        raise StoreError(f"affected_side must be one of {', '.join(SIDES)}, got {affected_side!r}")
    return values


def add_user(session: Session, name: str, **fields) -> User:
    values = validate_user(name, **fields)
    if find_user(session, values["name"]) is not None:
        raise StoreError(f"there is already a user called '{values['name']}'")
    user = User(created_utc=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), **values)
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == (name or "").strip())).one_or_none()


def get_user(session: Session, name: str) -> User:
    user = find_user(session, name)
    if user is None:
        raise StoreError(f"no user called '{name}' (see 'balance-trainer user list')")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def delete_user(session: Session, name: str) -> list[str]:
    """The user and everything stored about them (checks, diary, sessions and their samples); returns the recording
    folders their sessions were written to (the caller decides which of them to remove)."""
    user = get_user(session, name)
    folders = [row.folder for row in user.sessions if row.folder]
    session.delete(user)
    return folders


def user_dict(user: User) -> dict:
    return {key: getattr(user, key) for key in ("name", "year_of_birth", "sex", "height_cm", "leg_length_cm",
                                                "affected_side", "prior_sprains", "leaderboard", "created_utc")}


def profile_of(user: User) -> Profile:
    return Profile(affected_side=user.affected_side or "both", prior_sprain=(user.prior_sprains or 0) > 0)


def add_check(session: Session, user: User, check: Check) -> CheckRow:
    exists = session.scalar(select(func.count()).select_from(CheckRow)
                            .where(CheckRow.user_id == user.id, CheckRow.date == check.date))
    if exists:
        raise StoreError(f"'{user.name}' already has a check on {check.date}: one check per date")
    row = CheckRow(user_id=user.id, compensations=",".join(check.compensations),
                   **{key: getattr(check, key) for key in CHECK_FIELDS})
    session.add(row)
    session.flush()
    return row


def checks_of(session: Session, user: User, up_to: _dt.date | None = None) -> list[Check]:
    query = select(CheckRow).where(CheckRow.user_id == user.id).order_by(CheckRow.date)
    if up_to is not None:
        query = query.where(CheckRow.date <= up_to)
    return [Check(compensations=tuple(c for c in row.compensations.split(",") if c),
                  **{key: getattr(row, key) for key in CHECK_FIELDS}) for row in session.scalars(query)]


def add_diary(session: Session, user: User, date: _dt.date, text: str) -> DiaryEntry:
    text = (text or "").strip()
    if not text or len(text) > DIARY_MAX:
        raise StoreError(f"a diary entry is 1 to {DIARY_MAX} characters of text")
    entry = DiaryEntry(user_id=user.id, date=date, text=text)
    session.add(entry)
    session.flush()
    return entry


def diary_of(session: Session, user: User) -> list[DiaryEntry]:
    return list(session.scalars(select(DiaryEntry).where(DiaryEntry.user_id == user.id)
                                .order_by(DiaryEntry.date, DiaryEntry.id)))
