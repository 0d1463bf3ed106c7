"""server-side sign-in sessions (signin_session) and the persistent login throttle (login_throttle)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from station.db.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signin_session",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.String(length=26), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.CheckConstraint(
            "end_reason IN ('signed_out','locked_out','pin_changed','deactivated','expired')",
            name=op.f("ck_signin_session_end_reason"),
        ),
        sa.ForeignKeyConstraint(["operator_id"], ["operator.id"],
                                name=op.f("fk_signin_session_operator_id_operator")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_signin_session_token_hash")),
    )
    op.create_index("ix_signin_session_operator_open", "signin_session",
                    ["operator_id", "ended_at"], unique=False)
    op.create_table(
        "login_throttle",
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("allowed", sa.Integer(), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_login_throttle")),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    op.drop_index("ix_signin_session_operator_open", table_name="signin_session")
    op.drop_table("signin_session")
