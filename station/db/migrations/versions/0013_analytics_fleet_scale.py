"""analytics at fleet scale: the sliced rollup analytics_slice (one dashboard filter per slice)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from station.db.types import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_slice",
        sa.Column("slice", sa.String(length=120), nullable=False),
        sa.Column("dim", sa.String(length=20), nullable=False),
        sa.Column("hour", UTCDateTime(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("key2", sa.String(length=100), nullable=False),
        sa.Column("key3", sa.String(length=100), nullable=False),
        sa.Column("inspections", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("overridden", sa.Integer(), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("slice", "dim", "hour", "key", "key2", "key3",
                                name=op.f("pk_analytics_slice")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_analytics_slice_hour", "analytics_slice", ["hour"], unique=False)
    # Recount the whole rollup from the inspections already there: analytics_hour (its unit
    # dims too, which 0004 / 0005 could not count) and every slice, as 0004 did.
    from sqlalchemy.orm import Session

    from station.analytics.rollup import rebuild

    with Session(bind=op.get_bind()) as session:
        rebuild(session)
        session.flush()


def downgrade() -> None:
    op.drop_index("ix_analytics_slice_hour", table_name="analytics_slice")
    op.drop_table("analytics_slice")
