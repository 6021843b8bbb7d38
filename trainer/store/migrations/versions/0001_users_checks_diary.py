"""users, checks, diary

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40), nullable=False, unique=True),
        sa.Column("year_of_birth", sa.Integer),
        sa.Column("sex", sa.String(8)),
        sa.Column("height_cm", sa.Float),
        sa.Column("leg_length_cm", sa.Float),
        sa.Column("affected_side", sa.String(8)),
        sa.Column("prior_sprains", sa.Integer, nullable=False, server_default="0"),
        sa.Column("leaderboard", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_utc", sa.String(32), nullable=False),
    )
    op.create_table(
        "checks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("knee_to_wall_left_cm", sa.Float, nullable=False),
        sa.Column("knee_to_wall_right_cm", sa.Float, nullable=False),
        sa.Column("pain_rest", sa.Float, nullable=False),
        sa.Column("pain_activity", sa.Float, nullable=False),
        sa.Column("stiffness", sa.Float, nullable=False),
        sa.Column("step_left_cm", sa.Float, nullable=False),
        sa.Column("step_right_cm", sa.Float, nullable=False),
        sa.Column("pain_sharp", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("swelling", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("heel_lift_left", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("heel_lift_right", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("compensations", sa.String(200), nullable=False, server_default=""),
        sa.Column("balance_zone_pct", sa.Float),
        sa.UniqueConstraint("user_id", "date", name="uq_checks_user_date"),
    )
    op.create_index("ix_checks_user_id", "checks", ["user_id"])
    op.create_table(
        "diary",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_diary_user_id", "diary", ["user_id"])


def downgrade() -> None:
    op.drop_table("diary")
    op.drop_table("checks")
    op.drop_table("users")
