"""analytics indexes: inspections by received time, wrong-item scans by result

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.create_index("ix_inspection_received_at", ["received_at"], unique=False)
    with op.batch_alter_table("scan", schema=None) as batch_op:
        batch_op.create_index("ix_scan_result_inspection", ["result", "inspection_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scan", schema=None) as batch_op:
        batch_op.drop_index("ix_scan_result_inspection")
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.drop_index("ix_inspection_received_at")
