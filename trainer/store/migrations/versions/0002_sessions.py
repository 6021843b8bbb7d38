"""sessions and their raw samples

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String(32), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("setup", sa.String(40)),
        sa.Column("level", sa.Integer),
        sa.Column("options_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("board_url", sa.Text, nullable=False, server_default=""),
        sa.Column("board_identity", sa.Text, nullable=False, server_default=""),
        sa.Column("started_utc", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("valid", sa.Boolean),
        sa.Column("scores_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("score_version", sa.String(40)),
        sa.Column("duration_s", sa.Float, nullable=False, server_default="0"),
        sa.Column("sample_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("summary_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("events_csv", sa.Text, nullable=False, server_default=""),
        sa.Column("folder", sa.Text),  # paths and URLs have no sensible length limit
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_table(
        "session_samples",
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("chunk", sa.Integer, primary_key=True),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("csv_zlib", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("session_samples")
    op.drop_table("sessions")
