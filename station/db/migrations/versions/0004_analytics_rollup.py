"""analytics rollup: inspections per UTC hour and dimension; duration indexes for medians

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
    # The median of received -> completed per station / operator walks these in duration
    # order (no sort; station/analytics/throughput.py). SQLite has no interval type: there the
    # duration is julianday(completed_at) - julianday(received_at), and the index is not
    # declared in models.py (see the comment there).
    sqlite = op.get_bind().dialect.name == "sqlite"
    duration = "julianday(completed_at) - julianday(received_at)" if sqlite \
        else "completed_at - received_at"
    for key in ("station", "operator"):
        op.create_index(f"ix_inspection_{key}_minutes", "inspection",
                        [f"{key}_id", sa.text(f"({duration})"), "received_at", "completed_at"],
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
    op.drop_index("ix_inspection_operator_minutes", table_name="inspection")
    op.drop_index("ix_inspection_station_minutes", table_name="inspection")
