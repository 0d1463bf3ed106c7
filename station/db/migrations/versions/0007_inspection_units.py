"""inspection units: one row per physical item with its own outcome; scan/photo.unit_id; backfill

Every stored inspection that got past "items identified" gets one unit per matched scan (the
unit of an RMA line it identified), carrying the parcel's old outcome (grade, disposition,
recommendation, deduction) and a refund worked out from the line's price, so history stays
readable and unit analytics stay exact. Undeclared and missing units did not exist before.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from station.db.types import new_id

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # scan and photo first: on SQLite a batch alter recreates the table, which a foreign key
    # from inspection_unit to scan would then block
    for table in ("scan", "photo"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("unit_id", sa.String(length=26), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{table}_unit_id"), ["unit_id"], unique=False)
    op.create_table(
        "inspection_unit",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("inspection_id", sa.String(length=26), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("expected_item_id", sa.String(length=26), nullable=True),
        sa.Column("line_id", sa.String(length=100), nullable=True),
        sa.Column("unit_index", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.String(length=26), nullable=True),
        sa.Column("sku", sa.String(length=100), nullable=True),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.Column("serial", sa.String(length=100), nullable=True),
        sa.Column("lot", sa.String(length=100), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=True),
        sa.Column("checklist", JSON, nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=True),
        sa.Column("disposition", sa.String(length=30), nullable=True),
        sa.Column("recommendation", sa.String(length=30), nullable=True),
        sa.Column("deduction_pct", sa.Integer(), nullable=False),
        sa.Column("refund_minor", sa.BigInteger(), nullable=True),
        sa.Column("decision", JSON, nullable=False),
        sa.Column("flags", JSON, nullable=False),
        sa.Column("review", JSON, nullable=False),
        sa.ForeignKeyConstraint(["expected_item_id"], ["expected_item.id"],
                                name=op.f("fk_inspection_unit_expected_item_id_expected_item")),
        sa.ForeignKeyConstraint(["inspection_id"], ["inspection.id"],
                                name=op.f("fk_inspection_unit_inspection_id_inspection")),
        sa.ForeignKeyConstraint(["scan_id"], ["scan.id"],
                                name=op.f("fk_inspection_unit_scan_id_scan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_unit")),
        sa.UniqueConstraint("inspection_id", "position", name="uq_inspection_unit_position"),
    )
    with op.batch_alter_table("inspection_unit", schema=None) as batch_op:
        batch_op.create_index("ix_inspection_unit_grade", ["grade"], unique=False)
        batch_op.create_index("ix_inspection_unit_disposition", ["disposition"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspection_unit_inspection_id"), ["inspection_id"],
                              unique=False)
    backfill(op.get_bind())


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def unit_refund(price_minor: int | None, recommendation: str | None, deduction: int) -> int | None:
    """The refund one unit earns under a parcel outcome (None when it is not decided)."""
    if price_minor is None or recommendation is None:
        return None
    if recommendation in ("full_refund", "exchange"):
        return price_minor
    if recommendation == "partial_refund":
        return (price_minor * (100 - deduction) + 50) // 100
    if recommendation == "deny":
        return 0
    return None


def backfill(bind: sa.Connection) -> None:
    """One unit per matched scan of every inspection past "items identified"."""
    inspection = sa.table("inspection", *(sa.column(n) for n in (
        "id", "state", "grade", "disposition", "recommendation", "deduction_pct")),
        *(sa.column(n, JSON) for n in ("flags", "checklist")))
    scan = sa.table("scan", *(sa.column(n) for n in (
        "id", "inspection_id", "gtin", "serial", "lot", "matched_item_id", "result", "scanned_at",
        "unit_id")))
    item = sa.table("expected_item", *(sa.column(n) for n in (
        "id", "line_id", "sku", "category", "price_minor")))
    unit = sa.table("inspection_unit", *(sa.column(n) for n in (
        "id", "inspection_id", "position", "kind", "expected_item_id", "line_id", "unit_index",
        "scan_id", "sku", "gtin", "serial", "lot", "category", "price_minor", "state", "grade",
        "disposition", "recommendation", "deduction_pct", "refund_minor")),
        *(sa.column(n, JSON) for n in ("checklist", "decision", "flags", "review")))
    rows = bind.execute(
        sa.select(scan.c.id, scan.c.inspection_id, scan.c.gtin, scan.c.serial, scan.c.lot,
                  item.c.id.label("item_id"), item.c.line_id, item.c.sku, item.c.category,
                  item.c.price_minor, inspection.c.grade, inspection.c.disposition,
                  inspection.c.recommendation, inspection.c.deduction_pct, inspection.c.flags,
                  inspection.c.checklist)
        .join(item, item.c.id == scan.c.matched_item_id)
        .join(inspection, inspection.c.id == scan.c.inspection_id)
        .where(scan.c.result == "match")
        .where(inspection.c.state.notin_(("received", "weighed")))
        .order_by(scan.c.inspection_id, scan.c.scanned_at, scan.c.id)
    ).all()
    position: dict[str, int] = {}
    per_line: dict[tuple[str, str], int] = {}
    for row in rows:
        position[row.inspection_id] = position.get(row.inspection_id, 0) + 1
        key = (row.inspection_id, row.item_id)
        per_line[key] = per_line.get(key, 0) + 1
        unit_id = new_id()
        bind.execute(unit.insert().values(
            id=unit_id, inspection_id=row.inspection_id, position=position[row.inspection_id],
            kind="expected", expected_item_id=row.item_id, line_id=row.line_id,
            unit_index=per_line[key], scan_id=row.id, sku=row.sku, gtin=row.gtin,
            serial=row.serial, lot=row.lot, category=row.category or "",
            price_minor=row.price_minor, state=None, checklist=_loads(row.checklist) or {},
            grade=row.grade, disposition=row.disposition, recommendation=row.recommendation,
            deduction_pct=row.deduction_pct or 0,
            refund_minor=unit_refund(row.price_minor, row.recommendation, row.deduction_pct or 0),
            decision={"migrated": True, "from": "parcel outcome (revision 0007)"},
            flags=_loads(row.flags) or [], review={},
        ))
        bind.execute(scan.update().where(scan.c.id == row.id).values(unit_id=unit_id))


def downgrade() -> None:
    with op.batch_alter_table("inspection_unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_unit_inspection_id"))
        batch_op.drop_index("ix_inspection_unit_disposition")
        batch_op.drop_index("ix_inspection_unit_grade")
    op.drop_table("inspection_unit")
    for table in ("photo", "scan"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_unit_id"))
            batch_op.drop_column("unit_id")
