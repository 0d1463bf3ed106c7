"""unboxing video: video_chunk (one row per closed chunk file, its SHA-256, times and codec)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from station.db.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "video_chunk",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("inspection_id", sa.String(length=26), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("codec", sa.String(length=20), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("dropped_frames", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=True),
        sa.Column("camera", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("pruned_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["inspection_id"], ["inspection.id"],
                                name=op.f("fk_video_chunk_inspection_id_inspection")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_chunk")),
        sa.UniqueConstraint("inspection_id", "sequence", name="uq_video_chunk_sequence"),
    )
    op.create_index(op.f("ix_video_chunk_inspection_id"), "video_chunk", ["inspection_id"])
    op.create_index(op.f("ix_video_chunk_sha256"), "video_chunk", ["sha256"])


def downgrade() -> None:
    op.drop_index(op.f("ix_video_chunk_sha256"), table_name="video_chunk")
    op.drop_index(op.f("ix_video_chunk_inspection_id"), table_name="video_chunk")
    op.drop_table("video_chunk")
