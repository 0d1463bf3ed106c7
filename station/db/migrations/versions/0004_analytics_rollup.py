"""analytics rollup: inspections per UTC hour and dimension; covering index for medians

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from station.db.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.create_index("ix_inspection_received_timing",
                              ["received_at", "station_id", "operator_id", "completed_at"],
                              unique=False)
    op.create_table(
        "analytics_hour",
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
        sa.PrimaryKeyConstraint("dim", "hour", "key", "key2", "key3",
                                name=op.f("pk_analytics_hour")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_analytics_hour_hour", "analytics_hour", ["hour"], unique=False)
    # fill it from the inspections already there (one pass per dimension)
    from sqlalchemy.orm import Session

    from station.analytics.rollup import rebuild

    with Session(bind=op.get_bind()) as session:
        rebuild(session)
        session.flush()


def downgrade() -> None:
    op.drop_index("ix_analytics_hour_hour", table_name="analytics_hour")
    op.drop_table("analytics_hour")
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.drop_index("ix_inspection_received_timing")
