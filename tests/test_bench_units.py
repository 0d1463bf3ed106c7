"""The bench works unit by unit through its routes: state, SOP questions, photos, proposal, summary."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from station.context import StationContext
from station.devices import DeviceManager
from station.returns.rules.types import ScannedItem
from tests.conftest import make_settings
from tests.factories import seed_rma
from tests.support.bench import OPERATOR, add_people, migrated, snapshot
from tests.test_bench_flow import Bench, devices, html, services_pending
from tests.test_units import CABLE, HEADPHONES, SPEAKER, line
from web.app import create_app

__all__ = ["devices"]  # the simulated bench devices (a fixture)

SHIRT = "04012345678901"


@pytest.fixture
def station(tmp_path: Path, database_url: str) -> Iterator[StationContext]:
    settings = make_settings(tmp_path, database_url, web={"secret_key": "units-test-key"})
    ctx = migrated(settings)
    add_people(ctx, (OPERATOR,))
    yield ctx
    ctx.close()


@pytest.fixture
def bench(station: StationContext, devices: DeviceManager) -> Bench:
    return Bench(create_app(station.settings, station, devices), station)


def to_units(bench: Bench, label: str, codes: list[str], weight_g: int) -> str:
    """Receive, weigh, scan, take the parcel photos: the bench is at the first unit."""
    received = bench.post("/bench/receive", code=label)
    inspection_id = received.location.split("/")[3]
    bench.ctx.inspections.record_weight(inspection_id, weight_g * 1000, "scale", "op")
    base = f"/bench/i/{inspection_id}"
    for code in codes:
        assert bench.fetch(f"{base}/item", code=code, source="scanner").status_code == 200
    assert bench.post(f"{base}/items/done").location == f"{base}/photos"
    for angle in bench.ctx.inspections.required_angles(bench.inspection(inspection_id)):
        capture(bench, f"{base}/photo", angle, inspection_id)
    assert bench.post(f"{base}/photos/done").location == f"{base}/units"
    return inspection_id


def capture(bench: Bench, path: str, angle: str, inspection_id: str) -> Any:
    shot = bench.post(path, angle=angle)
    if services_pending(bench.app, inspection_id):  # the quality check doubts it: keep it
        shot = bench.post(path, angle=angle, keep="1")
    assert shot.status_code == 302, (angle, shot.status_code)
    return shot


def photograph(bench: Bench, inspection_id: str, position: int) -> Any:
    """Take every photo the unit asks for; returns the last response (where the bench goes)."""
    unit = bench.inspection(inspection_id).units[position - 1]
    shot = None
    for angle in bench.ctx.inspections.unit_angles(unit):
        shot = capture(bench, f"/bench/i/{inspection_id}/units/{unit.id}/photo", angle,
                       inspection_id)
    return shot


def test_a_sealed_electronics_item_needs_one_photo_and_is_restocked_with_auto_refund(
        bench: Bench, station: StationContext) -> None:
    seed_rma(station, "RMA-E1", items=[line("1", SPEAKER, "80.00", category="electronics")])
    iid = to_units(bench, "RMA-E1", [SPEAKER], 450)
    base = f"/bench/i/{iid}"
    page = bench.page(f"{base}/units/1")
    assert "Item 1 of 1" in page and "Power it on" in page  # the SOP's instructions
    (unit,) = bench.inspection(iid).units
    assert bench.post(f"{base}/units/{unit.id}/state", state="sealed").location == \
        f"{base}/units/1"
    assert station.inspections.unit_angles(bench.inspection(iid).units[0]) == ("item_front",)
    assert photograph(bench, iid, 1).location == f"{base}/result"
    done = bench.inspection(iid)
    assert done.state == "graded"
    (unit,) = done.units
    assert (unit.grade, unit.disposition, unit.recommendation, unit.refund_minor) == (
        "A", "restock", "full_refund", 8000)
    assert done.decision["totals"]["auto_refund"] is True
    summary = bench.page(f"{base}/result")
    assert "Item 1: grade A" in summary  # the unit's proposal, shown once it was complete
    assert [p.angle for p in done.photos if p.unit_id == unit.id] == ["item_front"]
    assert bench.post(f"{base}/complete").location == f"{base}/done"


def test_three_units_each_get_their_own_questions_photos_and_outcome(
        bench: Bench, station: StationContext) -> None:
    seed_rma(station, "RMA-T3", items=[line("1", HEADPHONES, "50.00"),
                                       line("2", SPEAKER, "80.00", category="electronics")])
    iid = to_units(bench, "RMA-T3", [HEADPHONES, SPEAKER, CABLE], 760)
    base = f"/bench/i/{iid}"
    sealed, damaged, undeclared = bench.inspection(iid).units
    assert [u.kind for u in (sealed, damaged, undeclared)] == ["expected", "expected",
                                                                "undeclared"]
    bench.post(f"{base}/units/{sealed.id}/state", state="sealed")
    assert photograph(bench, iid, 1).location == f"{base}/units/2"  # on to the next unit
    bench.post(f"{base}/units/{damaged.id}/state", state="damaged")
    form = {"packaging_intact": "no", "original_packaging_opened": "yes", "signs_of_use": "yes",
            "function_test": "failed"}
    checklist = f"{base}/units/{damaged.id}/checklist"
    bench.refused(checklist, "/units/2?phase=checklist", "damage_not_described", **form)
    answered = bench.post(checklist, **form, defect_breakage="moderate")
    assert answered.location == f"{base}/units/2"  # its photos are next
    assert photograph(bench, iid, 2).location == f"{base}/units/3"
    page = bench.page(f"{base}/units/3")
    assert "HOLD shelf" in page  # an undeclared unit says what to do with it
    bench.post(f"{base}/units/{undeclared.id}/state", state="sealed")
    assert photograph(bench, iid, 3).location == f"{base}/result"
    graded = bench.inspection(iid)
    outcomes = [(u.state, u.grade, u.disposition) for u in graded.units]
    assert outcomes[0] == ("sealed", "A", "restock")
    assert outcomes[1][0] == "damaged" and outcomes[1][1] in ("C", "D")
    assert outcomes[2][2] == "hold" and "undeclared_item" in graded.units[2].flags
    per_unit = {u.id: sorted(p.angle for p in graded.photos if p.unit_id == u.id)
                for u in graded.units}
    assert per_unit[sealed.id] == ["item"]
    assert per_unit[damaged.id] == ["accessories", "item_back", "item_front", "serial_label"]
    assert per_unit[undeclared.id] == ["item"]
    summary = bench.page(f"{base}/result")
    for position in (1, 2, 3):
        assert f'href="{base}/units/{position}"' in summary  # each unit can be changed


def test_the_apparel_sop_asks_no_function_test(bench: Bench, station: StationContext) -> None:
    seed_rma(station, "RMA-A1", items=[line("1", SHIRT, "19.90", category="apparel")])
    iid = to_units(bench, "RMA-A1", [SHIRT], 450)
    base = f"/bench/i/{iid}"
    (unit,) = bench.inspection(iid).units
    bench.post(f"{base}/units/{unit.id}/state", state="opened")
    page = bench.page(f"{base}/units/1")
    assert 'name="function_test"' not in page and 'name="signs_of_use"' in page
    assert 'name="packaging_intact"' in page and "checked" not in page.split('id="unit-form"')[1] \
        .split("defect_")[0]  # nothing answered for the operator
    bench.post(f"{base}/units/{unit.id}/checklist", packaging_intact="yes", signs_of_use="no", has_defects="no")
    (unit,) = bench.inspection(iid).units
    assert unit.checklist["function_test"] == "not_applicable"
    assert station.inspections.unit_angles(unit) == ("item_front", "item_back", "care_label")


def test_a_quality_defect_return_offers_no_untested_answer_and_refuses_one(
        bench: Bench, station: StationContext) -> None:
    seed_rma(station, "RMA-Q1", reason="quality_defect",
             items=[line("1", HEADPHONES, "40.00")])
    iid = to_units(bench, "RMA-Q1", [HEADPHONES], 450)
    base = f"/bench/i/{iid}"
    (unit,) = bench.inspection(iid).units
    bench.post(f"{base}/units/{unit.id}/state", state="opened")
    page = bench.page(f"{base}/units/1")
    assert 'value="not_tested"' not in page and 'value="passed"' in page
    bench.refused(f"{base}/units/{unit.id}/checklist", "/units/1?phase=checklist",
                  "function_test_required", packaging_intact="yes", signs_of_use="no", has_defects="no",
                  function_test="not_tested")


def test_changing_a_unit_after_the_summary_takes_the_parcel_back(
        bench: Bench, station: StationContext) -> None:
    seed_rma(station, "RMA-C1", items=[line("1", HEADPHONES, "50.00")])
    iid = to_units(bench, "RMA-C1", [HEADPHONES], 450)
    base = f"/bench/i/{iid}"
    (unit,) = bench.inspection(iid).units
    bench.post(f"{base}/units/{unit.id}/state", state="sealed")
    photograph(bench, iid, 1)
    assert bench.inspection(iid).state == "graded"
    assert "Change the state" in bench.page(f"{base}/units/1")
    assert 'id="state-opened"' in bench.page(f"{base}/units/1?phase=state")
    back = bench.post(f"{base}/units/{unit.id}/state", state="opened")
    assert back.location == f"{base}/units/1"
    reopened = bench.inspection(iid)
    assert reopened.state == "photos_taken" and reopened.units[0].grade is None
    assert html(bench.client, f"{base}/result").location == f"{base}/parcel" or \
        html(bench.client, f"{base}/result").status_code == 302
    before = snapshot(station)
    bench.post(f"{base}/units/{unit.id}/checklist", packaging_intact="yes", signs_of_use="no", has_defects="no",
               function_test="passed")
    assert snapshot(station) != before
    assert bench.inspection(iid).state == "graded"  # its photo was taken already


def test_a_scan_during_the_units_adds_an_unanswered_unit(bench: Bench,
                                                        station: StationContext) -> None:
    seed_rma(station, "RMA-N1", items=[line("1", HEADPHONES, "50.00")])
    iid = to_units(bench, "RMA-N1", [HEADPHONES], 450)
    base = f"/bench/i/{iid}"
    (unit,) = bench.inspection(iid).units
    bench.post(f"{base}/units/{unit.id}/state", state="sealed")
    photograph(bench, iid, 1)
    assert bench.inspection(iid).state == "graded"
    station.inspections.record_scan(iid, ScannedItem(raw=CABLE, gtin=CABLE.zfill(14)), "op")
    inspection = bench.inspection(iid)
    assert inspection.state == "photos_taken" and len(inspection.units) == 2
    assert html(bench.client, f"{base}/units").location == f"{base}/units/2"


def test_an_item_not_on_the_return_is_asked_its_state_and_photo_only(
        bench: Bench, station: StationContext) -> None:
    seed_rma(station, "RMA-W2", items=[line("1", HEADPHONES, "50.00")])
    iid = to_units(bench, "RMA-W2", [CABLE], 450)  # the wrong item came back
    base = f"/bench/i/{iid}"
    missing, wrong = bench.inspection(iid).units
    assert (missing.kind, wrong.kind) == ("missing", "undeclared")
    assert bench.post(f"{base}/units/{wrong.id}/state", state="opened").location == \
        f"{base}/units/2"
    page = bench.page(f"{base}/units/2")
    assert 'id="unit-form"' not in page and "HOLD shelf" in page  # straight to its photo
    assert photograph(bench, iid, 2).location == f"{base}/result"
    graded = bench.inspection(iid)
    assert graded.units[1].disposition == "hold" and graded.units[0].recommendation == "deny"
    summary = bench.page(f"{base}/result")
    assert 'id="missing-note"' in summary and 'id="hold-note"' in summary


def test_another_benchs_unit_is_not_found_here(bench: Bench, station: StationContext) -> None:
    seed_rma(station, "RMA-X1", items=[line("1", HEADPHONES, "50.00")])
    service = station.inspections
    other = service.receive("RMA-X1", "bench-elsewhere", None, "op")
    service.record_weight(other.id, 450_000, "scale", "op")
    service.record_scan(other.id, ScannedItem(raw=HEADPHONES, gtin=HEADPHONES), "op")
    service.finish_items(other.id, "op")
    (unit,) = service.get(other.id).units
    before = snapshot(station)
    for action, form in (("state", {"state": "sealed"}), ("photo", {"angle": "item"}),
                         ("checklist", {"packaging_intact": "yes"})):
        refused = bench.post(f"/bench/i/{other.id}/units/{unit.id}/{action}", **form)
        assert refused.status_code == 404, action
    assert snapshot(station) == before
