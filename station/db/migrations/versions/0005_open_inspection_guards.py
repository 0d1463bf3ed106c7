"""one open inspection per return and per bench (partial unique indexes); the audit head row

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OPEN = ("state IN ('received', 'weighed', 'items_identified', 'photos_taken', "
        "'checklist_done', 'graded')")
GENESIS_HASH = "0" * 64


def upgrade() -> None:
    for name, column in (("uq_inspection_open_per_rma", "rma_pk"),
                         ("uq_inspection_open_per_station", "station_id")):
        op.create_index(name, "inspection", [column], unique=True,
                        sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    # The chain head exists from the start: the first appends of a fresh database no longer
    # race to insert it (two concurrent first appends used to fail on PostgreSQL).
    op.execute(sa.text("INSERT INTO audit_head (id, seq, hash) SELECT 1, 0, :genesis "
                       "WHERE NOT EXISTS (SELECT 1 FROM audit_head WHERE id = 1)")
               .bindparams(genesis=GENESIS_HASH))


def downgrade() -> None:
    op.drop_index("uq_inspection_open_per_station", table_name="inspection")
    op.drop_index("uq_inspection_open_per_rma", table_name="inspection")
