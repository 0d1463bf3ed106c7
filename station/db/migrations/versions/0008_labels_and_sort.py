"""labels and directed sort: unit license plate, destination, tote, sorted at; tote; label_print

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from station.db.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OPEN_TOTE = sa.text("status = 'open'")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("inspection_unit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lpn", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("destination", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("tote_id", sa.String(length=26), nullable=True))
        batch_op.add_column(sa.Column("sorted_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("sorted_by", sa.String(length=100), nullable=True))
        batch_op.create_index("uq_inspection_unit_lpn", ["lpn"], unique=True)
        batch_op.create_index(batch_op.f("ix_inspection_unit_tote_id"), ["tote_id"], unique=False)
    op.create_table(
        "tote",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("destination", sa.String(length=60), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("units_in", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sscc", sa.String(length=18), nullable=True),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tote")),
        sa.UniqueConstraint("sscc", name=op.f("uq_tote_sscc")),
    )
    op.create_index("uq_tote_open_code", "tote", ["code"], unique=True,
                    sqlite_where=OPEN_TOTE, postgresql_where=OPEN_TOTE)
    op.create_index("ix_tote_status_destination", "tote", ["status", "destination"])
    op.create_table(
        "label_print",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("unit_id", sa.String(length=26), nullable=True),
        sa.Column("tote_id", sa.String(length=26), nullable=True),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("printer", sa.String(length=200), nullable=False),
        sa.Column("layout", sa.String(length=10), nullable=False),
        sa.Column("dpi", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("reprint_of", sa.String(length=26), nullable=True),
        sa.Column("requested_by", sa.String(length=100), nullable=True),
        sa.Column("printed_as", JSON, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("printed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_print")),
    )
    op.create_index("ix_label_print_station_status", "label_print", ["station_id", "status"])
    op.create_index(op.f("ix_label_print_unit_id"), "label_print", ["unit_id"])
    op.create_index(op.f("ix_label_print_tote_id"), "label_print", ["tote_id"])


def downgrade() -> None:
    op.drop_table("label_print")
    op.drop_table("tote")
    with op.batch_alter_table("inspection_unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_unit_tote_id"))
        batch_op.drop_index("uq_inspection_unit_lpn")
        for column in ("sorted_by", "sorted_at", "tote_id", "destination", "lpn"):
            batch_op.drop_column(column)
