"""API limits shared by every worker and node: api_rate_bucket (per-key token bucket), api_idempotency_key

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from station.db.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "api_rate_bucket",
        sa.Column("api_key_id", sa.String(length=26), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("refilled_at", sa.Float(), nullable=False),
        sa.Column("granted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("api_key_id", name=op.f("pk_api_rate_bucket")),
    )
    op.create_table(
        "api_idempotency_key",
        sa.Column("api_key_id", sa.String(length=26), nullable=False),
        sa.Column("key_sha256", sa.String(length=64), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", JSON, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("api_key_id", "key_sha256", name=op.f("pk_api_idempotency_key")),
    )
    op.create_index("ix_api_idempotency_key_created_at", "api_idempotency_key", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_api_idempotency_key_created_at", table_name="api_idempotency_key")
    op.drop_table("api_idempotency_key")
    op.drop_table("api_rate_bucket")
