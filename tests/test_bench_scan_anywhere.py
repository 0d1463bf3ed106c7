"""Scans on screens without their own field are acted on or answered; captures answer in place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from station.context import StationContext
from station.devices import DeviceManager
from tests.conftest import make_settings
from tests.factories import jpeg, seed_rma
from tests.support.bench import OPERATOR, add_people, migrated, snapshot
from tests.test_bench_flow import Bench, devices, services_pending
from tests.test_units import CABLE, HEADPHONES, line
from web.app import create_app

__all__ = ["devices"]  # the simulated bench devices (a fixture)

#: What the headphones' EAN-13 barcode reads (14 bare digits are taken for a tracking number).
EAN13 = HEADPHONES.removeprefix("0")


@pytest.fixture
def station(tmp_path: Path, database_url: str) -> Iterator[StationContext]:
    ctx = migrated(make_settings(tmp_path, database_url, web={"secret_key": "scan-test-key"}))
    add_people(ctx, (OPERATOR,))
    seed_rma(ctx, "RMA-S1", items=[line("1", HEADPHONES, "50.00")])
    seed_rma(ctx, "RMA-S2", items=[line("1", HEADPHONES, "50.00")])
    yield ctx
    ctx.close()


@pytest.fixture
def bench(station: StationContext) -> Bench:
    return Bench(create_app(station.settings, station, devices=None), station)


def scan(bench: Bench, code: str) -> dict[str, object]:
    response = bench.fetch("/bench/scan", code=code, source="scanner")
    body = response.get_json()
    assert isinstance(body, dict) and body["message"], (code, response.status_code)
    return body


def test_idle_answers_an_item_opens_a_label_and_refuses_garbage(bench: Bench,
                                                                station: StationContext) -> None:
    before = snapshot(station)
    item = scan(bench, EAN13)
    assert item["ok"] is False and "return label" in str(item["message"])
    badge = scan(bench, OPERATOR.badge or "")
    assert badge["ok"] is False and "badge" in str(badge["message"])
    garbage = bench.fetch("/bench/scan", code="\x00\x01")
    assert garbage.status_code == 200 and garbage.get_json()["ok"] is False
    assert snapshot(station) == before  # nothing was opened
    opened = scan(bench, "RMA-S1")
    assert opened["ok"] is True and str(opened["redirect"]).endswith("/parcel")
    again = scan(bench, "RMA-S1")
    assert again["ok"] is True and "open already" in str(again["message"])
    other = scan(bench, "RMA-S2")
    assert other["ok"] is False and "Finish this parcel" in str(other["message"])


def test_an_item_scanned_before_the_weight_is_kept_and_counted_with_it(
        bench: Bench, station: StationContext) -> None:
    opened = scan(bench, "RMA-S1")
    inspection_id = str(opened["redirect"]).split("/")[3]
    kept = scan(bench, EAN13)  # no scale on this server
    assert kept["ok"] is True and kept["redirect"] is None
    assert bench.inspection(inspection_id).scans == []
    bench.post(f"/bench/i/{inspection_id}/weight", source="manual", grams="450")
    (counted,) = bench.inspection(inspection_id).scans
    assert counted.result == "match"


def test_after_the_items_a_scan_opens_its_unit_or_is_answered(bench: Bench,
                                                               station: StationContext) -> None:
    inspection_id = str(scan(bench, "RMA-S1")["redirect"]).split("/")[3]
    bench.post(f"/bench/i/{inspection_id}/weight", source="manual", grams="450")
    weighed = scan(bench, EAN13)  # weighed: recorded, on to the items screen
    assert weighed["ok"] is True and str(weighed["redirect"]).endswith("/items")
    bench.post(f"/bench/i/{inspection_id}/items/done")
    early = scan(bench, EAN13)  # the parcel photos come first
    assert early["ok"] is False and "Photograph the parcel" in str(early["message"])
    service = station.inspections
    for n, angle in enumerate(service.required_angles(bench.inspection(inspection_id))):
        service.add_photo(inspection_id, jpeg(n), angle=angle, width=320, height=200, actor="op")
    service.finish_photos(inspection_id, "op")
    found = scan(bench, EAN13)
    assert str(found["redirect"]).endswith(f"/bench/i/{inspection_id}/units/1")
    before = snapshot(station)
    stranger = scan(bench, CABLE.removeprefix("0"))
    assert stranger["ok"] is False and stranger["redirect"] is None
    assert snapshot(station) == before


def test_a_capture_answers_in_place_and_the_last_one_says_where_next(
        station: StationContext, devices: DeviceManager) -> None:
    bench = Bench(create_app(station.settings, station, devices), station)
    inspection_id = str(scan(bench, "RMA-S1")["redirect"]).split("/")[3]
    bench.post(f"/bench/i/{inspection_id}/weight", source="manual", grams="450")
    bench.fetch(f"/bench/i/{inspection_id}/item", code=EAN13)
    bench.post(f"/bench/i/{inspection_id}/items/done")
    angles = station.inspections.required_angles(bench.inspection(inspection_id))
    answers = []
    for angle in angles:
        answer = bench.fetch(f"/bench/i/{inspection_id}/photo", angle=angle).get_json()
        if answer.get("pending"):
            assert answer["problems"] and services_pending(bench.app, inspection_id)
            answer = bench.fetch(f"/bench/i/{inspection_id}/photo", angle=angle,
                                 keep="1").get_json()
        answers.append(answer)
    assert all(a["ok"] and a["thumb"] and len(a["sha256"]) == 64 for a in answers)
    assert answers[0]["next"] is None or len(angles) == 1
    assert answers[-1]["missing"] == [] and answers[-1]["next"]["method"] == "post"
    assert answers[-1]["next"]["url"].endswith("/photos/done")
