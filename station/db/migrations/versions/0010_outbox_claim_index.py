"""outbox claim index: the unsettled rows (pending, delivering) in created order, replacing ix_outbox_due

ix_outbox_due (status, next_attempt_at) let SQLite answer the claim's two due branches with a
multi-index OR and then sort every due row by created_at; the partial index hands them over in
created order and holds only the rows a dispatcher may still claim.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UNSETTLED = sa.text("status IN ('pending', 'delivering')")


def upgrade() -> None:
    op.create_index("ix_outbox_unsettled", "outbox_event", ["created_at", "id"],
                    sqlite_where=UNSETTLED, postgresql_where=UNSETTLED)
    op.drop_index("ix_outbox_due", table_name="outbox_event")


def downgrade() -> None:
    op.create_index("ix_outbox_due", "outbox_event", ["status", "next_attempt_at"])
    op.drop_index("ix_outbox_unsettled", table_name="outbox_event")
