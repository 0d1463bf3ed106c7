"""A scan answers with its lines' counts from its own transaction and never reads every scan."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select

from station.context import StationContext
from station.db.models import Photo
from station.evidence.store import sha256_hex
from station.returns.rules.types import ScannedItem
from tests.factories import HEADPHONES_GTIN, jpeg, seed_rma


@contextmanager
def statements(ctx: StationContext) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: object, _cursor: object, sql: str, *_rest: object) -> None:
        seen.append(" ".join(sql.split()))

    event.listen(ctx.db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", note)


def weighed(ctx: StationContext) -> str:
    seed_rma(ctx)
    inspection = ctx.inspections.receive("RMA-1001", "bench-test", None, "op")
    ctx.inspections.record_weight(inspection.id, 550_000, "scale", "op")
    return inspection.id


def test_each_scan_carries_the_line_counts_the_screen_shows(ctx: StationContext) -> None:
    inspection_id = weighed(ctx)
    service = ctx.inspections
    first = service.record_scan(inspection_id, ScannedItem(raw="a", gtin=HEADPHONES_GTIN,
                                                           serial="SN-001"), "op")
    assert first.result == "match"
    assert [(c.found, c.expected, c.serials) for c in first.lines] == [(1, 1, ("SN-001",))]
    extra = service.record_scan(inspection_id, ScannedItem(raw="b", gtin=HEADPHONES_GTIN), "op")
    assert extra.result == "extra"
    wrong = service.record_scan(inspection_id, ScannedItem(raw="4006381333931",
                                                           gtin="04006381333931"), "op")
    assert wrong.result == "mismatch"
    stored = service.get(inspection_id)
    assert stored.rma is not None
    line = stored.rma.items[0]
    matched = [s for s in stored.scans if s.matched_item_id == line.id]
    assert [(c.line_id, c.found, c.expected) for c in wrong.lines] == [
        (line.line_id, len(matched), line.quantity)]
    assert wrong.lines[0].serials == ("SN-001",)
    assert service.record_serial(inspection_id, extra.scan_id, "SN-002", "op")[0].serials == (
        "SN-001", "SN-002")


def test_a_scan_reads_no_scan_rows_before_the_units_exist(ctx: StationContext) -> None:
    inspection_id = weighed(ctx)
    for index in range(5):
        ctx.inspections.record_scan(inspection_id, ScannedItem(raw=f"x{index}", gtin="04006381333931"),
                                    "op")
    with statements(ctx) as seen:
        ctx.inspections.record_scan(inspection_id, ScannedItem(raw="y", gtin=HEADPHONES_GTIN),
                                    "op")
    reads = [s for s in seen if s.startswith("SELECT") and "FROM scan" in s]
    assert reads and all(s.startswith("SELECT scan.matched_item_id, scan.serial") for s in reads)


def test_a_late_scan_still_joins_the_units(ctx: StationContext) -> None:
    inspection_id = weighed(ctx)
    ctx.inspections.finish_items(inspection_id, "op")
    assert [u.kind for u in ctx.inspections.get(inspection_id).units] == ["missing"]
    result = ctx.inspections.record_scan(inspection_id, ScannedItem(raw="z", gtin=HEADPHONES_GTIN),
                                         "op")
    assert result.result == "match" and result.lines[0].found == 1
    assert [u.kind for u in ctx.inspections.get(inspection_id).units] == ["expected"]


def test_a_photo_is_stored_under_its_hash_before_its_row(ctx: StationContext) -> None:
    inspection_id = weighed(ctx)
    ctx.inspections.finish_items(inspection_id, "op")
    data = jpeg(7)
    photo = ctx.inspections.add_photo(inspection_id, data, angle="parcel", width=320, height=200,
                                      actor="op")
    assert photo.sha256 == sha256_hex(data)
    assert ctx.store.get_original(photo.storage_key) == data
    with ctx.db.reader() as session:
        assert session.execute(select(Photo.sha256).where(Photo.id == photo.id)).scalar_one() == (
            sha256_hex(data))
