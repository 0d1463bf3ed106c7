"""offline bench: spool_sync (the spooled inspections central confirmed), spool_forwarded (later events)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from station.db.types import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spool_sync",
        sa.Column("inspection_id", sa.String(length=26), nullable=False),
        sa.Column("synced_at", UTCDateTime(), nullable=False),
        sa.Column("central_audit_seq", sa.BigInteger(), nullable=True),
        sa.Column("conflict", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["inspection_id"], ["inspection.id"],
                                name=op.f("fk_spool_sync_inspection_id_inspection")),
        sa.PrimaryKeyConstraint("inspection_id", name=op.f("pk_spool_sync")),
    )
    op.create_table(
        "spool_forwarded",
        sa.Column("outbox_id", sa.String(length=40), nullable=False),
        sa.Column("forwarded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("outbox_id", name=op.f("pk_spool_forwarded")),
    )


def downgrade() -> None:
    op.drop_table("spool_forwarded")
    op.drop_table("spool_sync")
