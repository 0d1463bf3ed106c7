"""the fleet: bench_heartbeat (one row per bench), policy_publication, inspection_unit.policy_version

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from station.db.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "bench_heartbeat",
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("software_version", sa.String(length=50), nullable=False),
        sa.Column("policy_version", sa.String(length=50), nullable=False),
        sa.Column("sort_rules_version", sa.String(length=50), nullable=True),
        sa.Column("devices", JSON, nullable=False),
        sa.Column("queue", JSON, nullable=False),
        sa.Column("heartbeat_s", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("last_heartbeat_at", UTCDateTime(), nullable=False),
        sa.Column("stopped_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_bench_heartbeat")),
    )
    op.create_table(
        "policy_publication",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint("kind IN ('policy','sort_rules')", name=op.f("ck_policy_publication_kind")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_policy_publication")),
        sa.UniqueConstraint("kind", "version", name=op.f("uq_policy_publication_kind_version")),
    )
    # The policy version each unit was graded with (its parcel's for the rows stored before).
    op.add_column("inspection_unit", sa.Column("policy_version", sa.String(length=50), nullable=True))
    op.execute("UPDATE inspection_unit SET policy_version = (SELECT i.policy_version FROM inspection i"
               " WHERE i.id = inspection_unit.inspection_id) WHERE grade IS NOT NULL OR kind = 'missing'")


def downgrade() -> None:
    with op.batch_alter_table("inspection_unit") as batch:
        batch.drop_column("policy_version")
    op.drop_table("policy_publication")
    op.drop_table("bench_heartbeat")
