"""RMA intake: idempotent by the platform's RMA id, precise errors, parcels found by any label."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from station.context import StationContext
from station.db.models import AuditEvent, ExpectedItem, ReturnAuthorization
from station.returns.errors import DomainError, IntakeError
from station.returns.identify import LabelError, clean_label, find_rma
from station.returns.importer import ImportFileError, read_rma_file
from station.returns.intake import cancel_rma, parse_rma, upsert_rma
from tests.factories import rma_body, seed_rma


def count(ctx: StationContext, model: type) -> int:
    with ctx.db.reader() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_the_same_rma_twice_changes_nothing(ctx: StationContext) -> None:
    body = rma_body()
    with ctx.work() as work:
        assert upsert_rma(work, parse_rma(body), actor="api")[1] == "created"
    audit_rows = count(ctx, AuditEvent)
    with ctx.work() as work:
        assert upsert_rma(work, parse_rma(body), actor="api")[1] == "unchanged"
    assert count(ctx, AuditEvent) == audit_rows
    assert count(ctx, ReturnAuthorization) == 1 and count(ctx, ExpectedItem) == 1


def test_an_update_replaces_the_lines_until_a_bench_received_it(ctx: StationContext) -> None:
    seed_rma(ctx)
    body = rma_body()
    body["items"][0]["quantity"] = 2
    body["items"][0]["serials"] = ["SN-001", "SN-002"]
    with ctx.work() as work:
        assert upsert_rma(work, parse_rma(body), actor="api")[1] == "updated"
    assert count(ctx, ExpectedItem) == 1
    ctx.inspections.receive("RMA-1001", "bench-test", None, "op")
    body["reason"] = "quality_defect"
    with pytest.raises(DomainError, match="no longer change"), ctx.work() as work:
        upsert_rma(work, parse_rma(body), actor="api")


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"reason": "didnt_like_it"}, "reason", "Input should be"),
        ({"items": []}, "items", "at least 1"),
        ({"delivered_at": "2026-11-01T10:00:00"}, "delivered_at", "timezone"),
        ({"rma_id": "RMA 1"}, "rma_id", "pattern"),
        ({"surprise": 1}, "surprise", "Extra inputs"),
    ],
)
def test_bad_rmas_name_the_field_and_reason(change: dict[str, object], field: str,
                                            reason: str) -> None:
    with pytest.raises(IntakeError) as caught:
        parse_rma(rma_body(**change))
    assert any(p.field == field and reason in p.reason for p in caught.value.problems), \
        caught.value.problems


@pytest.mark.parametrize(
    ("item_change", "field", "reason"),
    [
        ({"gtin": "05012345678901"}, "items.0.gtin", "check digit"),
        ({"quantity": 0}, "items.0.quantity", "greater than or equal to 1"),
        ({"serials": ["A", "A"]}, "items.0", "listed twice"),
        ({"unit_weight_g": "-3"}, "items.0.unit_weight_g", "greater than or equal to 0"),
        ({"image_url": "javascript:alert(1)"}, "items.0.image_url", "pattern"),
    ],
)
def test_bad_lines_name_the_line_and_field(item_change: dict[str, object], field: str,
                                           reason: str) -> None:
    body = rma_body()
    body["items"][0].update(item_change)
    with pytest.raises(IntakeError) as caught:
        parse_rma(body)
    assert any(p.field == field and reason in p.reason for p in caught.value.problems), \
        caught.value.problems


def test_a_gtin_is_stored_as_fourteen_digits() -> None:
    body = rma_body()
    body["items"][0]["gtin"] = "5012345678900"
    assert parse_rma(body).items[0].gtin == "05012345678900"


@pytest.mark.parametrize("label", ["RMA-1001", "TRKRMA-1001", "SO-RMA-1001", "  ]C1RMA-1001 ",
                                   "trkrma-1001"])
def test_a_parcel_is_found_by_rma_tracking_or_order(ctx: StationContext, label: str) -> None:
    seed_rma(ctx)
    with ctx.db.reader() as session:
        found = find_rma(session, label)
    assert found is not None and found.rma_id == "RMA-1001"


@pytest.mark.parametrize("label", ["", "   ", "A" * 201, "RMA\x07"])
def test_a_label_that_cannot_be_a_label_is_refused(label: str) -> None:
    with pytest.raises(LabelError):
        clean_label(label)


def test_cancel_only_while_nothing_was_inspected(ctx: StationContext) -> None:
    seed_rma(ctx, "RMA-A")
    seed_rma(ctx, "RMA-B")
    with ctx.work() as work:
        assert cancel_rma(work, "RMA-A", actor="api").status == "cancelled"
    with pytest.raises(DomainError, match="cancelled"):
        ctx.inspections.receive("RMA-A", "bench-test", None, "op")
    ctx.inspections.receive("RMA-B", "bench-test", None, "op")
    with pytest.raises(DomainError), ctx.work() as work:
        cancel_rma(work, "RMA-B", actor="api")


def test_an_rma_file_with_one_bad_record_imports_nothing(tmp_path: Path) -> None:
    good, bad = rma_body("RMA-G"), rma_body("RMA-B", reason="whatever")
    path = tmp_path / "rmas.json"
    path.write_text(json.dumps([good, bad]), encoding="utf-8")
    with pytest.raises(IntakeError) as caught:
        read_rma_file(path)
    assert [p.field for p in caught.value.problems] == ["RMA-B: reason"]


def test_a_csv_file_has_one_row_per_line(tmp_path: Path) -> None:
    path = tmp_path / "rmas.csv"
    path.write_text(
        "rma_id,order_id,reason,delivered_at,line_id,sku,gtin,quantity,serials,unit_weight_g\n"
        "R-1,O-1,size_mismatch,2026-11-20T10:00:00+00:00,1,TS-M,,1,,180\n"
        "R-1,O-1,size_mismatch,2026-11-20T10:00:00+00:00,2,TS-L,,2,A1|A2,180\n",
        encoding="utf-8",
    )
    (rma,) = read_rma_file(path)
    assert [i.sku for i in rma.items] == ["TS-M", "TS-L"] and rma.items[1].serials == ["A1", "A2"]


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00bad", b"[]"])
def test_broken_files_get_a_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "rmas.json"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=str(path)):
        read_rma_file(path)
