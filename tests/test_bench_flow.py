"""A whole inspection through the bench's browser routes, on SQLite and PostgreSQL, with bad input on the way."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from werkzeug.test import TestResponse

from drivers.state import DeviceState
from station.config import DevicesSection
from station.context import StationContext
from station.db.models import Inspection
from station.demo import WRONG_ITEM_GTIN
from station.devices import DeviceManager
from tests.conftest import make_settings
from tests.factories import HEADPHONES_GTIN, seed_rma
from tests.support.bench import OPERATOR, add_people, csrf, html, migrated, signed_in, snapshot
from tests.support.wait import wait_until
from web.app import create_app
from web.bench import labels

HTML = {"Accept": "text/html"}
#: What the headphones' EAN-13 barcode reads (14 bare digits are not taken for a GTIN).
HEADPHONES_EAN13 = HEADPHONES_GTIN.removeprefix("0")


@pytest.fixture
def station(tmp_path: Path, database_url: str) -> Iterator[StationContext]:
    settings = make_settings(tmp_path, database_url, web={"secret_key": "flow-test-key"})
    ctx = migrated(settings)
    add_people(ctx, (OPERATOR,))
    seed_rma(ctx)  # RMA-1001: one pair of headphones (serial SN-001), label TRKRMA-1001
    yield ctx
    ctx.close()


@pytest.fixture
def devices() -> Iterator[DeviceManager]:
    manager = DeviceManager(DevicesSection.model_validate({"simulated": True}))
    manager.start()
    assert wait_until(lambda: camera_ready(manager), 10), manager.states()
    yield manager
    manager.stop()


def camera_ready(manager: DeviceManager) -> bool:
    camera = manager.states().get("camera")
    return camera is not None and camera.state is DeviceState.READY


class Bench:
    """One signed-in browser at the bench, posting forms with the page's CSRF token."""

    def __init__(self, app: Flask, ctx: StationContext) -> None:
        self.app, self.ctx = app, ctx
        self.client: FlaskClient = signed_in(app, OPERATOR)
        self.token = csrf(self.client)

    def post(self, path: str, **form: str) -> TestResponse:
        return self.client.post(path, data={**form, "csrf_token": self.token}, headers=HTML)

    def fetch(self, path: str, **form: str) -> TestResponse:
        return self.client.post(path, data=form, headers={
            "X-Requested-With": "fetch", "X-CSRFToken": self.token, "Accept": "application/json"})

    def page(self, path: str) -> str:
        response = html(self.client, path)
        assert response.status_code == 200, (path, response.status_code, response.location)
        return response.get_data(as_text=True)

    def refused(self, path: str, screen: str, error: str, **form: str) -> None:
        """The action goes back to ``screen`` with the error's message, and nothing changed."""
        before = snapshot(self.ctx)
        response = self.post(path, **form)
        assert response.status_code == 302 and response.location.endswith(screen), (
            form, response.status_code, response.location)
        assert snapshot(self.ctx) == before, form
        assert message(self.app, error) in self.page(response.location), (form, error)

    def inspection(self, inspection_id: str) -> Inspection:
        return self.ctx.inspections.get(inspection_id)


def message(app: Flask, code: str) -> str:
    """The operator's message for a domain error code, as the page shows it (English)."""
    with app.test_request_context():
        return str(escape(str(labels.ERRORS[code])))


def test_an_operator_inspects_a_parcel_through_the_bench_routes(
    station: StationContext, devices: DeviceManager
) -> None:
    app = create_app(station.settings, station, devices=None)  # `station serve`: no devices
    bench = Bench(app, station)
    assert "TRKRMA-1001" not in bench.page("/bench/")  # idle

    # -- receive: bad labels change nothing --------------------------------------------------
    bench.refused("/bench/receive", "/bench/", "bad_input", code="1Z" * 101)
    bench.refused("/bench/receive", "/bench/", "scan_rejected", code="   ")
    too_long = bench.fetch("/bench/receive", code="X" * 201)
    assert too_long.status_code == 409 and too_long.get_json()["code"] == "bad_input"
    received = bench.post("/bench/receive", code="TRKRMA-1001")
    assert received.status_code == 302 and received.location.endswith("/parcel")
    inspection_id = received.location.split("/")[3]
    assert "Wireless headphones" in bench.page(received.location)
    base = f"/bench/i/{inspection_id}"

    # -- screens: unknown step, step not reached yet, unknown inspection -----------------------
    for step in ("nonsense", "result", "units"):
        response = html(bench.client, f"{base}/{step}")
        assert response.status_code == 302 and response.location == f"{base}/parcel", step
    assert html(bench.client, "/bench/i/NO-SUCH-INSPECTION/parcel").status_code == 404
    assert bench.post("/bench/i/NO-SUCH-INSPECTION/weight", source="manual",
                      grams="500").status_code == 404

    # -- weigh: the scale is absent, typed weights must be sane --------------------------------
    bench.refused(f"{base}/weight", "/weigh", "scale_down", source="scale")
    for grams in ("abc", "", "nan", "NaN", "inf", "-Infinity", "-5", "0", "1e999999",
                  "2000000", "1" * 21):
        error = "bad_input" if len(grams) > 20 else "bad_weight"
        bench.refused(f"{base}/weight", "/weigh", error, source="manual", grams=grams)
    weighed = bench.post(f"{base}/weight", source="manual", grams="552,5")
    assert weighed.status_code == 302 and weighed.location == f"{base}/items"
    inspection = bench.inspection(inspection_id)
    assert inspection.measured_weight_mg == 552_500 and inspection.weight_source == "manual"
    assert "manual_weight" in inspection.flags

    # -- items over fetch: wrong GTIN, match (asks for the serial), serial, one too many -------
    wrong = bench.fetch(f"{base}/item", code=WRONG_ITEM_GTIN, source="typed")
    assert wrong.status_code == 200
    assert wrong.get_json()["result"] == "mismatch" and wrong.get_json()["ok"] is False
    match = bench.fetch(f"{base}/item", code=HEADPHONES_EAN13, source="scanner").get_json()
    assert match["result"] == "match" and match["ok"] is True and match["needs_serial"] is True
    assert match["lines"] == [{"line_id": "1", "found": 1, "expected": 1, "serials": []}]
    before = snapshot(station)
    for form in ({"code": "", "serial_for": match["scan_id"]},
                 {"code": "SN-001", "serial_for": "NO-SUCH-SCAN"},
                 {"code": "X" * 4097}):
        refused = bench.fetch(f"{base}/item", **form)
        assert refused.status_code == 409 and refused.get_json()["ok"] is False, form
        assert refused.get_json()["message"], form
    assert snapshot(station) == before
    serial = bench.fetch(f"{base}/item", code="SN-001", serial_for=match["scan_id"]).get_json()
    assert serial["result"] == "serial"
    assert serial["lines"][0]["serials"] == ["SN-001"]
    extra = bench.fetch(f"{base}/item", code=HEADPHONES_EAN13, source="scanner").get_json()
    assert extra["result"] == "extra" and extra["ok"] is False
    results = sorted(s.result for s in bench.inspection(inspection_id).scans)
    assert results == ["extra", "match", "mismatch"]
    assert bench.post(f"{base}/items/done").location == f"{base}/photos"

    # -- photos: no camera on this server, then the bench's (simulated) camera -----------------
    bench.refused(f"{base}/photo", "/photos", "camera_down", angle="parcel")
    bench.refused(f"{base}/photo", "/photos", "bad_angle", angle="ceiling")
    bench.refused(f"{base}/photos/done", "/photos", "photos_missing")
    with_camera = Bench(create_app(station.settings, station, devices), station)
    angles = station.inspections.required_angles(bench.inspection(inspection_id))
    for angle in angles:
        taken = with_camera.post(f"{base}/photo", angle=angle)
        assert taken.status_code == 302, angle
        if services_pending(with_camera.app, inspection_id):  # quality problem: keep it anyway
            with_camera.post(f"{base}/photo", angle=angle, keep="1")
    photos = bench.inspection(inspection_id).photos
    assert sorted(p.angle for p in photos) == sorted(angles)
    for photo in photos:
        original = station.store.get_original(photo.storage_key)
        assert hashlib.sha256(original).hexdigest() == photo.sha256 and original[:2] == b"\xff\xd8"
    assert bench.post(f"{base}/photos/done").location == f"{base}/units"

    # -- resume: a new app on the same database lands on the open inspection's screen ----------
    restarted = Bench(create_app(station.settings, station, devices=None), station)
    home = html(restarted.client, "/bench/")
    assert home.status_code == 302 and home.location == f"{base}/units"
    assert html(restarted.client, f"{base}/units").location == f"{base}/units/1"
    units = restarted.inspection(inspection_id).units
    assert [u.kind for u in units] == ["expected", "undeclared", "undeclared"]
    first = units[0]
    assert "Item 1 of 3" in restarted.page(f"{base}/units/1")

    # -- one unit: its state, then its answers (asked ones must be answered), then its photo --
    restarted.refused(f"{base}/units/{first.id}/state", "/units/1?phase=state", "bad_unit_state",
                      state="exploded")
    opened = restarted.post(f"{base}/units/{first.id}/state", state="opened")
    assert opened.location == f"{base}/units/1"
    assert 'id="unit-form"' in restarted.page(opened.location)  # the checklist is next
    good = {"packaging_intact": "yes", "signs_of_use": "no", "has_defects": "yes",
            "function_test": "passed",
            "defect_scratches": "minor", "notes": "light scuff"}
    checklist = f"{base}/units/{first.id}/checklist"
    for bad in ({"defect_scratches": "catastrophic"}, {"packaging_intact": "maybe"},
                {"function_test": "exploded"}, {"notes": "n" * 2001}):
        restarted.refused(checklist, "/units/1?phase=checklist", "bad_input", **{**good, **bad})
    for unanswered in ("signs_of_use", "function_test", "packaging_intact"):
        restarted.refused(checklist, "/units/1?phase=checklist", "answers_missing",
                          **{k: v for k, v in good.items() if k != unanswered})
    answered = restarted.post(checklist, **good)
    assert answered.location == f"{base}/units/1"  # its photo is still to take
    assert restarted.inspection(inspection_id).state == "photos_taken"
    camera = Bench(create_app(station.settings, station, devices), station)
    for unit in units:
        if unit is not first:
            camera.post(f"{base}/units/{unit.id}/state", state="sealed")
        for angle in station.inspections.unit_angles(camera.inspection(inspection_id).units[
                unit.position - 1]):
            shot = camera.post(f"{base}/units/{unit.id}/photo", angle=angle)
            if services_pending(camera.app, inspection_id):
                shot = camera.post(f"{base}/units/{unit.id}/photo", angle=angle, keep="1")
        expected_next = f"{base}/units/{unit.position + 1}" if unit.position < 3 \
            else f"{base}/result"
        assert shot.location == expected_next, (unit.position, shot.location)
    graded = restarted.inspection(inspection_id)
    assert graded.state == "graded"
    assert [(u.state, u.disposition) for u in graded.units] == [
        ("opened", graded.units[0].disposition), ("sealed", "hold"), ("sealed", "hold")]
    assert all(p.unit_id for p in graded.photos if p.angle not in ("parcel", "label"))
    assert restarted.page(f"{base}/result")

    # -- complete: an override needs a reason ---------------------------------------------------
    override = {"override": "1", "grade": "C", "disposition": "refurbish",
                "recommendation": "partial_refund"}
    restarted.refused(f"{base}/complete", "/result", "reason_required", **override)
    restarted.refused(f"{base}/complete", "/result", "reason_required", **override, reason="  ")
    restarted.refused(f"{base}/complete", "/result", "bad_override",
                      **{**override, "grade": "Z"}, reason="scuffed case")
    done = restarted.post(f"{base}/complete", **override, reason="scuffed case, one extra unit")
    assert done.status_code == 302 and done.location == f"{base}/done"
    finished = restarted.inspection(inspection_id)
    assert finished.state == "flagged"  # typed weight and an override: a supervisor looks at it
    assert finished.grade == "C" and finished.disposition == "refurbish"
    assert {"manual_weight", "operator_override"} <= set(finished.flags)
    assert restarted.page(f"{base}/done")
    assert html(restarted.client, f"{base}/items").location == f"{base}/done"
    assert "TRKRMA" not in restarted.page("/bench/")  # idle again
    again = restarted.post("/bench/receive", code="TRKRMA-1001")
    assert again.status_code == 302 and again.location == "/bench/"  # already inspected


def services_pending(app: Flask, inspection_id: str) -> bool:
    from web.bench.services import bench_services

    return bench_services(app).pending(inspection_id) is not None
