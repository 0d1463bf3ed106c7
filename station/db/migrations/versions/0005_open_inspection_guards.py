"""one open inspection per return and per bench (partial unique indexes); the audit head row;
outbox_event.throttled

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


def _close_duplicates() -> int:
    """Before the guard: an older open inspection of a return or bench that has a newer open one
    (left by the race this migration closes) goes to the supervisor queue, flagged
    ``duplicate_open`` and audited; nothing is deleted."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from station import audit
    from station.analytics.rollup import rebuild
    from station.db.models import Inspection
    from station.db.types import utcnow

    with Session(bind=op.get_bind()) as session:
        open_rows = session.execute(select(Inspection).where(sa.text(OPEN)).order_by(
            Inspection.received_at.desc(), Inspection.id.desc())).scalars().all()
        seen: set[tuple[str, str]] = set()
        closed = 0
        for row in open_rows:  # newest first: the first of each key stays open
            keys = {("station", row.station_id)} | ({("rma", row.rma_pk)} if row.rma_pk else set())
            if not keys & seen:
                seen |= keys
                continue
            previous = row.state
            row.state, row.updated_at = "flagged", utcnow()
            row.flags = sorted({*row.flags, "duplicate_open"})
            audit.append(session, actor="migration:0005", action="inspection.flagged",
                         entity_type="inspection", entity_id=row.id, station_id=row.station_id,
                         data={"from": previous, "reason": "another open inspection of the same "
                               "return or bench is newer"})
            closed += 1
        if closed:
            session.flush()
            rebuild(session)
        session.flush()
    return closed


def upgrade() -> None:
    op.add_column("outbox_event", sa.Column("throttled", sa.Integer(), nullable=False,
                                            server_default="0"))
    _close_duplicates()
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
    op.drop_column("outbox_event", "throttled")
    op.drop_index("uq_inspection_open_per_station", table_name="inspection")
    op.drop_index("uq_inspection_open_per_rma", table_name="inspection")
