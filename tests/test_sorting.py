"""Plates at confirm and the directed sort on a real database: right place recorded, wrong refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from biip import parse
from sqlalchemy import func, select

from station.context import StationContext, build
from station.db.engine import make_engine
from station.db.migrate import upgrade
from station.db.models import AuditEvent, InspectionUnit, LabelPrint, OutboxEvent, Tote
from station.sorting.plates import is_plate, next_plates, station_code
from station.sorting.rules import SortRulesError, parse_sort_rules
from tests.conftest import make_settings
from tests.factories import seed_rma, walk_to_graded

RULES = """
version = "test-1"
container_pattern = "^TOTE-[0-9]{4}$"

[[destinations]]
code = "HOLD"
kind = "location"
name = "Hold shelf"
barcode = "LOC-HOLD"

[[destinations]]
code = "RESTOCK"
kind = "tote"
name = "Restock tote"
capacity = 2

[[destinations]]
code = "SCRAP"
kind = "bin"
name = "Scrap bin"
barcode = "BIN-SCRAP"

[[rules]]
destination = "RESTOCK"
dispositions = ["restock"]

[[rules]]
destination = "SCRAP"
dispositions = ["scrap"]

[[rules]]
destination = "HOLD"
"""
PREFIX = "0614141"  # the example company prefix of the GS1 General Specifications


@pytest.fixture
def sort_ctx(tmp_path: Path, database_url: str) -> Iterator[StationContext]:
    rules = tmp_path / "sort.toml"
    rules.write_text(RULES, encoding="utf-8")
    settings = make_settings(tmp_path, database_url, labels={
        "sort_rules": str(rules), "gs1_company_prefix": PREFIX, "station_code": "T1"})
    engine = make_engine(settings.database.url)
    upgrade(engine)
    engine.dispose()
    context = build(settings)
    yield context
    context.close()


def confirmed(ctx: StationContext, rma_id: str = "RMA-1001") -> str:
    seed_rma(ctx, rma_id)
    inspection_id = walk_to_graded(ctx, label=f"TRK{rma_id}")
    ctx.inspections.complete(inspection_id, "op")
    return inspection_id


def unit_of(ctx: StationContext, inspection_id: str) -> InspectionUnit:
    with ctx.db.reader() as session:
        return session.execute(select(InspectionUnit).where(
            InspectionUnit.inspection_id == inspection_id)).scalars().one()


def count(ctx: StationContext, model: type) -> int:
    with ctx.db.reader() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_confirm_gives_every_unit_a_plate_a_destination_and_a_queued_label(
    sort_ctx: StationContext,
) -> None:
    inspection_id = confirmed(sort_ctx)
    unit = unit_of(sort_ctx, inspection_id)
    assert unit.lpn is not None and is_plate(unit.lpn) and unit.lpn.startswith("T1-")
    assert unit.lpn.endswith("00001")
    assert (unit.disposition, unit.destination) == ("restock", "RESTOCK")
    with sort_ctx.db.reader() as session:
        (job,) = session.execute(select(LabelPrint)).scalars()
        event = session.execute(select(OutboxEvent).where(
            OutboxEvent.event_type == "inspection.completed")).scalars().one()
    assert (job.kind, job.unit_id, job.status) == ("unit", unit.id, "queued")
    (published,) = event.payload["data"]["units"]
    assert (published["lpn"], published["destination"], published["sorted_at"]) == (
        unit.lpn, "RESTOCK", None)


def test_a_wrong_place_is_refused_and_changes_nothing(sort_ctx: StationContext) -> None:
    inspection_id = confirmed(sort_ctx)
    audits, events = count(sort_ctx, AuditEvent), count(sort_ctx, OutboxEvent)
    for code, scanned_for in (("BIN-SCRAP", "SCRAP"), ("LOC-HOLD", "HOLD"), ("PALLET-9", None)):
        answer = sort_ctx.sorting.sort_scan(inspection_id, code, "op")
        assert not answer.ok and answer.destination == "RESTOCK"
        assert answer.scanned_for == scanned_for
        assert answer.result == ("unknown_code" if scanned_for is None else "wrong_place")
    unit = unit_of(sort_ctx, inspection_id)
    assert unit.sorted_at is None and unit.tote_id is None
    assert (count(sort_ctx, AuditEvent), count(sort_ctx, OutboxEvent)) == (audits, events)
    assert count(sort_ctx, Tote) == 0


def test_the_right_tote_records_the_sort_and_a_full_tote_closes_with_its_manifest(
    sort_ctx: StationContext,
) -> None:
    first = confirmed(sort_ctx, "RMA-1001")
    answer = sort_ctx.sorting.sort_scan(first, "tote-0042", "op")  # scanners may send lower case
    assert (answer.result, answer.tote, answer.position) == ("tote_opened", "TOTE-0042", 1)
    unit = unit_of(sort_ctx, first)
    assert unit.sorted_at is not None and unit.sorted_by == "op" and unit.tote_id is not None
    assert sort_ctx.sorting.sort_scan(first, "TOTE-0042", "op").result == "nothing_to_sort"

    second = confirmed(sort_ctx, "RMA-1002")
    # another fresh tote while TOTE-0042 is open for RESTOCK: refused, points at the open one
    elsewhere = sort_ctx.sorting.sort_scan(second, "TOTE-0043", "op")
    assert (elsewhere.result, elsewhere.tote) == ("tote_elsewhere", "TOTE-0042")
    closed = sort_ctx.sorting.sort_scan(second, "TOTE-0042", "op")
    assert closed.result == "tote_closed" and closed.closed_tote_id == unit.tote_id

    with sort_ctx.db.reader() as session:
        tote = session.get(Tote, unit.tote_id)
        assert tote is not None
        plates = [u.lpn for u in session.execute(select(InspectionUnit).order_by(
            InspectionUnit.sorted_at)).scalars()]
        types = [e.event_type for e in session.execute(
            select(OutboxEvent).order_by(OutboxEvent.created_at, OutboxEvent.id)).scalars()]
        closed_event = session.execute(select(OutboxEvent).where(
            OutboxEvent.event_type == "tote.closed")).scalars().one()
        tote_jobs = session.execute(select(LabelPrint).where(LabelPrint.kind == "tote")).all()
    assert (tote.status, tote.units_in, tote.capacity) == ("closed", 2, 2)
    assert types.count("unit.sorted") == 2 and types[-1] == "tote.closed"
    data = closed_event.payload["data"]
    assert data["lpns"] == plates and data["units"] == 2 and data["reason"] == "full"
    assert tote.sscc is not None and data["sscc"] == tote.sscc
    parsed = parse(f"00{tote.sscc}")
    assert parsed.gs1_message is not None
    assert parsed.gs1_message.element_strings[0].value == tote.sscc  # valid check digit
    assert tote.sscc.startswith("0" + PREFIX)
    assert len(tote_jobs) == 1
    # the tote's code is free again: scanning it opens a new tote for a later unit
    third = confirmed(sort_ctx, "RMA-1003")
    assert sort_ctx.sorting.sort_scan(third, "TOTE-0042", "op").result == "tote_opened"


def test_a_plate_scan_selects_its_unit(sort_ctx: StationContext) -> None:
    inspection_id = confirmed(sort_ctx)
    unit = unit_of(sort_ctx, inspection_id)
    assert unit.lpn is not None
    answer = sort_ctx.sorting.sort_scan(inspection_id, unit.lpn.lower(), "op")
    assert (answer.result, answer.position, answer.destination) == ("selected", 1, "RESTOCK")
    assert unit_of(sort_ctx, inspection_id).sorted_at is None


def test_closing_a_tote_by_hand_queues_its_label_and_refuses_a_second_close(
    sort_ctx: StationContext,
) -> None:
    inspection_id = confirmed(sort_ctx)
    sort_ctx.sorting.sort_scan(inspection_id, "TOTE-0007", "op")
    tote_id = unit_of(sort_ctx, inspection_id).tote_id
    assert tote_id is not None
    tote = sort_ctx.sorting.close_tote(tote_id, "op")
    assert (tote.status, tote.units_in) == ("closed", 1)
    from station.returns.errors import DomainError

    with pytest.raises(DomainError, match="closed already"):
        sort_ctx.sorting.close_tote(tote_id, "op")


def test_plates_continue_the_days_sequence_and_station_codes_derive_from_the_id(
    sort_ctx: StationContext,
) -> None:
    from datetime import date

    confirmed(sort_ctx)
    with sort_ctx.db.reader() as session:
        day = sort_ctx.sorting.today()
        assert next_plates(session, "T1", day, 2) == [f"T1-{day:%y%m%d}00002",
                                                     f"T1-{day:%y%m%d}00003"]
        assert next_plates(session, "T2", date(2026, 1, 2), 1) == ["T2-26010200001"]
    assert station_code("bench-01") == "B01"
    assert station_code("bench-test") == "BENC"
    assert station_code("bay-12", "BAY12") == "BAY12"
    assert not is_plate("TOTE-0001") and is_plate("B01-26120300042")


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: t.replace('[[rules]]\ndestination = "HOLD"\n', ""), "last rule must match"),
    (lambda t: t.replace('destination = "SCRAP"', 'destination = "NOWHERE"'), "unknown destinations"),
    (lambda t: t.replace("capacity = 2\n", ""), "needs a capacity"),
    (lambda t: t.replace('"^TOTE-[0-9]{4}$"', '"^TOTE-[0-9"'), "not a regular expression"),
    (lambda t: t.replace('version = "test-1"', 'version = "test-1"\ncolour = "red"'), "colour"),
    (lambda t: t.replace('barcode = "BIN-SCRAP"', 'barcode = "TOTE-0001"'), "looks like a tote"),
    (lambda t: t.replace('barcode = "BIN-SCRAP"', 'barcode = "LOC-HOLD"'), "must be unique"),
    (lambda t: t + "[[", "not valid TOML"),
])
def test_a_bad_sort_rules_file_names_the_problem(change, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SortRulesError, match=message):
        parse_sort_rules(change(RULES), "site.toml")


def test_the_shipped_rules_send_every_disposition_somewhere_and_wrong_items_to_hold() -> None:
    from station.sorting.rules import load_sort_rules
    from station.vocabulary import Disposition

    rules = load_sort_rules()
    for disposition in Disposition:
        assert rules.destination_for(disposition.value, "A", "general", set()).code
    assert rules.destination_for("restock", "A", "general", set()).code == "RESTOCK"
    assert rules.destination_for("restock", "A", "general", {"undeclared_item"}).code == "HOLD"
    assert rules.destination_for("hold", "C", "general", set()).code == "HOLD"
    assert rules.destination("HOLD").name_for("zh_Hans_CN") == "待定货架（隔离）"


@pytest.fixture
def unit_print_ctx(tmp_path: Path, database_url: str) -> Iterator[StationContext]:
    settings = make_settings(tmp_path, database_url, labels={"print_at": "unit",
                                                             "station_code": "T1"})
    engine = make_engine(settings.database.url)
    upgrade(engine)
    engine.dispose()
    context = build(settings)
    yield context
    context.close()


def test_print_at_unit_labels_a_unit_when_its_outcome_is_done_and_again_only_if_it_changed(
    unit_print_ctx: StationContext,
) -> None:
    ctx = unit_print_ctx
    seed_rma(ctx)
    inspection_id = walk_to_graded(ctx)
    unit = unit_of(ctx, inspection_id)
    ctx.sorting.label_unit(inspection_id, unit.id, "op")
    labelled = unit_of(ctx, inspection_id)
    assert labelled.lpn is not None and labelled.destination == "RESTOCK"
    ctx.sorting.label_unit(inspection_id, unit.id, "op")  # nothing changed: no second label
    with ctx.db.reader() as session:
        (job,) = session.execute(select(LabelPrint)).scalars()
    assert job.printed_as == {"grade": "A", "disposition": "restock", "destination": "RESTOCK"}

    with ctx.db.transaction() as session:  # the outcome changes before the confirm
        row = session.get(InspectionUnit, unit.id)
        assert row is not None
        row.disposition, row.grade = "open_box", "B"
    ctx.inspections.complete(inspection_id, "op")
    final = unit_of(ctx, inspection_id)
    assert final.lpn == labelled.lpn and final.destination == "OPENBOX"
    with ctx.db.reader() as session:
        first, second = session.execute(select(LabelPrint).order_by(LabelPrint.created_at,
                                                                    LabelPrint.id)).scalars()
    assert second.reprint_of == first.id
    assert second.printed_as == {"grade": "B", "disposition": "open_box", "destination": "OPENBOX"}
