"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from station.db.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "api_key",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=200), nullable=False),
        sa.Column(
            "scopes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_key_prefix")),
    )
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_entity_id"), ["entity_id"], unique=False)

    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "operator",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("badge_id", sa.String(length=100), nullable=True),
        sa.Column("pin_hash", sa.String(length=200), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "role IN ('operator','supervisor','admin')", name=op.f("ck_operator_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator")),
        sa.UniqueConstraint("badge_id", name=op.f("uq_operator_badge_id")),
        sa.UniqueConstraint("username", name=op.f("uq_operator_username")),
    )
    op.create_table(
        "outbox_event",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=60), nullable=False),
        sa.Column("ordering_key", sa.String(length=100), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_event")),
    )
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_outbox_ordering", ["ordering_key", "created_at"], unique=False)

    op.create_table(
        "return_authorization",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("rma_id", sa.String(length=100), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("reason_note", sa.Text(), nullable=False),
        sa.Column("requested_resolution", sa.String(length=20), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("window_end", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open','received','inspected','cancelled')",
            name=op.f("ck_return_authorization_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_authorization")),
        sa.UniqueConstraint("rma_id", name=op.f("uq_return_authorization_rma_id")),
    )
    with op.batch_alter_table("return_authorization", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_return_authorization_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_return_authorization_tracking_number"), ["tracking_number"], unique=False
        )

    op.create_table(
        "station",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station")),
    )
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("previous_secret", sa.String(length=200), nullable=True),
        sa.Column("previous_secret_until", UTCDateTime(), nullable=True),
        sa.Column(
            "event_types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoint")),
    )
    op.create_table(
        "expected_item",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("rma_pk", sa.String(length=26), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.String(length=100), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "expected_serials",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("unit_weight_mg", sa.BigInteger(), nullable=True),
        sa.Column("weight_tolerance_mg", sa.BigInteger(), nullable=True),
        sa.Column("weight_tolerance_pct", sa.Float(), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=True),
        sa.Column(
            "accessories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("image_url", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["rma_pk"],
            ["return_authorization.id"],
            name=op.f("fk_expected_item_rma_pk_return_authorization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expected_item")),
        sa.UniqueConstraint("rma_pk", "line_id", name="uq_expected_item_line"),
    )
    with op.batch_alter_table("expected_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expected_item_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_expected_item_gtin"), ["gtin"], unique=False)
        batch_op.create_index(batch_op.f("ix_expected_item_sku"), ["sku"], unique=False)

    op.create_table(
        "inspection",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("rma_pk", sa.String(length=26), nullable=True),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.String(length=26), nullable=True),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("unexpected", sa.Boolean(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("measured_weight_mg", sa.BigInteger(), nullable=True),
        sa.Column("expected_weight_mg", sa.BigInteger(), nullable=True),
        sa.Column("weight_source", sa.String(length=20), nullable=True),
        sa.Column(
            "verdicts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "checklist",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("grade", sa.String(length=1), nullable=True),
        sa.Column("disposition", sa.String(length=30), nullable=True),
        sa.Column("recommendation", sa.String(length=30), nullable=True),
        sa.Column("deduction_pct", sa.Integer(), nullable=False),
        sa.Column(
            "decision",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("policy_version", sa.String(length=50), nullable=True),
        sa.Column(
            "override",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "flags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("reviewed_by", sa.String(length=26), nullable=True),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        sa.Column(
            "review",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "refund_status",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operator.id"], name=op.f("fk_inspection_operator_id_operator")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["operator.id"], name=op.f("fk_inspection_reviewed_by_operator")
        ),
        sa.ForeignKeyConstraint(
            ["rma_pk"],
            ["return_authorization.id"],
            name=op.f("fk_inspection_rma_pk_return_authorization"),
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["station.id"], name=op.f("fk_inspection_station_id_station")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection")),
    )
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspection_grade"), ["grade"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_inspection_operator_id"), ["operator_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_inspection_rma_pk"), ["rma_pk"], unique=False)
        batch_op.create_index(
            "ix_inspection_state_received", ["state", "received_at"], unique=False
        )
        batch_op.create_index("ix_inspection_station_state", ["station_id", "state"], unique=False)

    op.create_table(
        "checklist_answer",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("inspection_id", sa.String(length=26), nullable=False),
        sa.Column("question", sa.String(length=100), nullable=False),
        sa.Column("answer", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.Column("answered_by", sa.String(length=26), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by"], ["operator.id"], name=op.f("fk_checklist_answer_answered_by_operator")
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
            name=op.f("fk_checklist_answer_inspection_id_inspection"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_answer")),
        sa.UniqueConstraint("inspection_id", "question", name="uq_checklist_question"),
    )
    with op.batch_alter_table("checklist_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checklist_answer_inspection_id"), ["inspection_id"], unique=False
        )

    op.create_table(
        "photo",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("inspection_id", sa.String(length=26), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("angle", sa.String(length=50), nullable=False),
        sa.Column("camera", sa.String(length=100), nullable=False),
        sa.Column(
            "quality",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("taken_at", UTCDateTime(), nullable=False),
        sa.Column("taken_by", sa.String(length=26), nullable=True),
        sa.ForeignKeyConstraint(
            ["inspection_id"], ["inspection.id"], name=op.f("fk_photo_inspection_id_inspection")
        ),
        sa.ForeignKeyConstraint(
            ["taken_by"], ["operator.id"], name=op.f("fk_photo_taken_by_operator")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photo")),
    )
    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photo_inspection_id"), ["inspection_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_photo_sha256"), ["sha256"], unique=False)

    op.create_table(
        "scan",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("inspection_id", sa.String(length=26), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("symbology", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.Column("sku", sa.String(length=100), nullable=True),
        sa.Column("serial", sa.String(length=100), nullable=True),
        sa.Column("lot", sa.String(length=100), nullable=True),
        sa.Column("matched_item_id", sa.String(length=26), nullable=True),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("scanned_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"], ["inspection.id"], name=op.f("fk_scan_inspection_id_inspection")
        ),
        sa.ForeignKeyConstraint(
            ["matched_item_id"],
            ["expected_item.id"],
            name=op.f("fk_scan_matched_item_id_expected_item"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan")),
    )
    with op.batch_alter_table("scan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scan_gtin"), ["gtin"], unique=False)
        batch_op.create_index(batch_op.f("ix_scan_inspection_id"), ["inspection_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_scan_serial"), ["serial"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("scan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scan_serial"))
        batch_op.drop_index(batch_op.f("ix_scan_inspection_id"))
        batch_op.drop_index(batch_op.f("ix_scan_gtin"))

    op.drop_table("scan")
    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photo_sha256"))
        batch_op.drop_index(batch_op.f("ix_photo_inspection_id"))

    op.drop_table("photo")
    with op.batch_alter_table("checklist_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checklist_answer_inspection_id"))

    op.drop_table("checklist_answer")
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.drop_index("ix_inspection_station_state")
        batch_op.drop_index("ix_inspection_state_received")
        batch_op.drop_index(batch_op.f("ix_inspection_rma_pk"))
        batch_op.drop_index(batch_op.f("ix_inspection_operator_id"))
        batch_op.drop_index(batch_op.f("ix_inspection_grade"))

    op.drop_table("inspection")
    with op.batch_alter_table("expected_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expected_item_sku"))
        batch_op.drop_index(batch_op.f("ix_expected_item_gtin"))
        batch_op.drop_index(batch_op.f("ix_expected_item_category"))

    op.drop_table("expected_item")
    op.drop_table("webhook_endpoint")
    op.drop_table("station")
    with op.batch_alter_table("return_authorization", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_authorization_tracking_number"))
        batch_op.drop_index(batch_op.f("ix_return_authorization_order_id"))

    op.drop_table("return_authorization")
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_ordering")
        batch_op.drop_index("ix_outbox_due")

    op.drop_table("outbox_event")
    op.drop_table("operator")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_entity_id"))

    op.drop_table("audit_event")
    op.drop_table("api_key")
