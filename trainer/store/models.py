"""The tables, as SQLAlchemy 2 models. The migrations in trainer/store/migrations create them."""
from __future__ import annotations

import datetime as _dt

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
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
