"""The tables, as SQLAlchemy 2 models. The migrations in trainer/store/migrations create them."""
from __future__ import annotations

import datetime as _dt

from sqlalchemy import (Boolean, Date, Float, ForeignKey, Integer, LargeBinary, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class User(Base):
    """A pseudonymous user: a display name, never a real name is asked for."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    year_of_birth: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(8))
    height_cm: Mapped[float | None] = mapped_column(Float)
    leg_length_cm: Mapped[float | None] = mapped_column(Float)
    affected_side: Mapped[str | None] = mapped_column(String(8))
    prior_sprains: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    leaderboard: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_utc: Mapped[str] = mapped_column(String(32), nullable=False)

    checks: Mapped[list["CheckRow"]] = relationship(back_populates="user", cascade="all, delete-orphan",
                                                    passive_deletes=True)
    diary: Mapped[list["DiaryEntry"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    sessions: Mapped[list["SessionRow"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class CheckRow(Base):
    """One weekly check (trainer.program.Check), one per user and date."""

    __tablename__ = "checks"
    __table_args__ = (UniqueConstraint("user_id", "date", name="uq_checks_user_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    date: Mapped[_dt.date] = mapped_column(Date, nullable=False)
    knee_to_wall_left_cm: Mapped[float] = mapped_column(Float, nullable=False)
    knee_to_wall_right_cm: Mapped[float] = mapped_column(Float, nullable=False)
    pain_rest: Mapped[float] = mapped_column(Float, nullable=False)
    pain_activity: Mapped[float] = mapped_column(Float, nullable=False)
    stiffness: Mapped[float] = mapped_column(Float, nullable=False)
    step_left_cm: Mapped[float] = mapped_column(Float, nullable=False)
    step_right_cm: Mapped[float] = mapped_column(Float, nullable=False)
    pain_sharp: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    swelling: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    heel_lift_left: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    heel_lift_right: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    compensations: Mapped[str] = mapped_column(String(200), nullable=False, default="")  # comma-separated
    balance_zone_pct: Mapped[float | None] = mapped_column(Float)

    user: Mapped[User] = relationship(back_populates="checks")


class DiaryEntry(Base):
    __tablename__ = "diary"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    date: Mapped[_dt.date] = mapped_column(Date, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)


class SessionRow(Base):
    """One game round or test on the board, with its scores and (in SessionChunk) its raw samples.

    `status`: recording (started, samples arriving; a process that died leaves it so), complete (finished, scored),
    abandoned (left before its end: samples, no scores), imported (from a recording folder or an export). `uid` is
    also written into the round's recording folder (summary.json "session_uid"), so `import` of that folder finds
    the session it belongs to.
    """

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # game | test | exercise | recording
    name: Mapped[str] = mapped_column(String(40), nullable=False)  # foot-taps, single-leg, ... or "recording"
    setup: Mapped[str | None] = mapped_column(String(40))
    level: Mapped[int | None] = mapped_column(Integer)
    options_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    board_url: Mapped[str] = mapped_column(Text, nullable=False, default="")
    board_identity: Mapped[str] = mapped_column(Text, nullable=False, default="")
    started_utc: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    valid: Mapped[bool | None] = mapped_column(Boolean)
    scores_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    score_version: Mapped[str | None] = mapped_column(String(40))
    duration_s: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    sample_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    summary_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")  # the recording's summary.json
    events_csv: Mapped[str] = mapped_column(Text, nullable=False, default="")  # the recording's events.csv rows
    folder: Mapped[str | None] = mapped_column(Text)  # where the recording folder was written, if any

    user: Mapped[User] = relationship(back_populates="sessions")


class SessionChunk(Base):
    """Raw samples of a session at the board's native rate: rows of the recording's samples.csv (DESIGN.md B.4),
    zlib-compressed, about one second per chunk (each chunk is its own transaction, so a crash loses at most the
    last second)."""

    __tablename__ = "session_samples"

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    chunk: Mapped[int] = mapped_column(Integer, primary_key=True)
    rows: Mapped[int] = mapped_column(Integer, nullable=False)
    csv_zlib: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
