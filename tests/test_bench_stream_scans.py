"""The station decides items-screen scans from its live stream, and replays scans a loading page missed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from station.context import StationContext
from station.db.models import Scan, SigninSession
from station.demo import WRONG_ITEM_GTIN
from station.devices import DeviceManager
from tests.factories import HEADPHONES_GTIN, seed_rma
from tests.support.bench import OPERATOR, add_people, csrf, migrated, signed_in, sqlite_settings
from tests.support.wait import wait_until
from tests.test_bench_flow import devices
from web.app import create_app

__all__ = ["devices"]  # the simulated bench devices (a fixture)
HTML = {"Accept": "text/html"}
HEADPHONES_EAN13 = HEADPHONES_GTIN.removeprefix("0")


@pytest.fixture
def station(tmp_path: Path) -> Iterator[StationContext]:
    ctx = migrated(sqlite_settings(tmp_path))
    add_people(ctx, (OPERATOR,))
    seed_rma(ctx)  # RMA-1001: one pair of headphones (serial SN-001), label TRKRMA-1001
    yield ctx
    ctx.close()


def scans(ctx: StationContext, inspection_id: str) -> int:
    with ctx.db.reader() as session:
        return int(session.execute(select(func.count(Scan.id))
                                   .where(Scan.inspection_id == inspection_id)).scalar_one())


def weighed(app_client: object, ctx: StationContext) -> str:
    from flask.testing import FlaskClient

    assert isinstance(app_client, FlaskClient)
    token = csrf(app_client)
    received = app_client.post("/bench/receive", data={"code": "TRKRMA-1001", "csrf_token": token},
                               headers=HTML)
    inspection_id = received.location.split("/")[3]
    app_client.post(f"/bench/i/{inspection_id}/weight",
                    data={"source": "manual", "grams": "552", "csrf_token": token}, headers=HTML)
    return inspection_id


def next_event(chunks: Iterator[bytes]) -> str:
    """The next scan or verdict the stream sends (states and scale readings skipped)."""
    for chunk in chunks:
        text = chunk.decode()
        if text.startswith(("event: verdict", "event: scan")):
            return text
    raise AssertionError("the stream ended")


def data_of(event: str) -> dict[str, object]:
    line = next(x for x in event.splitlines() if x.startswith("data: "))
    parsed: dict[str, object] = json.loads(line.removeprefix("data: "))
    return parsed


def test_an_items_screen_scan_is_recorded_by_the_station_and_its_verdict_streamed(
        station: StationContext, devices: DeviceManager) -> None:
    app = create_app(station.settings, station, devices)
    client = signed_in(app, OPERATOR)
    inspection_id = weighed(client, station)
    page = client.get(f"/bench/i/{inspection_id}/items", headers=HTML).get_data(as_text=True)
    assert f"screen=items&amp;i={inspection_id}" in page or f"i={inspection_id}&amp;screen=items" in page
    response = client.get(f"/bench/events?after=0&screen=items&i={inspection_id}", buffered=False)
    chunks = iter(response.response)
    assert next(chunks).decode().startswith("retry:")
    assert devices.simulators is not None
    scanner = devices.simulators.scanner

    scanner.scan(WRONG_ITEM_GTIN)
    wrong = next_event(chunks)
    assert wrong.startswith("event: verdict"), wrong
    assert data_of(wrong)["result"] == "mismatch" and scans(station, inspection_id) == 1

    scanner.scan(HEADPHONES_EAN13)
    match = data_of(next_event(chunks))
    assert match["result"] == "match" and match["needs_serial"] is True
    assert match["lines"] == [{"line_id": "1", "found": 1, "expected": 1, "serials": []}]

    scanner.scan("SN-001")  # the next scan is the serial number label the verdict asked for
    serial = data_of(next_event(chunks))
    assert serial["result"] == "serial"
    assert serial["lines"] == [{"line_id": "1", "found": 1, "expected": 1, "serials": ["SN-001"]}]
    assert scans(station, inspection_id) == 2

    scanner.scan(OPERATOR.badge or "")  # a badge is answered, not counted
    badge = data_of(next_event(chunks))
    assert badge["result"] == "badge" and scans(station, inspection_id) == 2
    response.close()


def test_a_scan_no_screen_took_is_acted_on_by_the_next_screen_once(
        station: StationContext, devices: DeviceManager) -> None:
    app = create_app(station.settings, station, devices)
    client = signed_in(app, OPERATOR)
    inspection_id = weighed(client, station)
    assert devices.simulators is not None
    drawn_at = devices.bus.last_scan_seq
    devices.simulators.scanner.scan(WRONG_ITEM_GTIN)  # between two pages: nobody subscribed
    assert wait_until(lambda: devices.bus.last_scan_seq > drawn_at, 5)
    response = client.get(f"/bench/events?after={drawn_at}&screen=items&i={inspection_id}",
                          buffered=False)
    chunks = iter(response.response)
    assert data_of(next_event(chunks))["result"] == "mismatch"
    assert scans(station, inspection_id) == 1
    response.close()
    again = client.get(f"/bench/events?after={drawn_at}&screen=items&i={inspection_id}",
                       buffered=False)
    chunks = iter(again.response)
    devices.simulators.scanner.scan(HEADPHONES_EAN13)  # the replayed one is not taken twice
    assert data_of(next_event(chunks))["result"] == "match"
    assert scans(station, inspection_id) == 2
    again.close()


def test_an_unknown_inspection_or_a_signed_out_person_gets_no_decisions(
        station: StationContext, devices: DeviceManager) -> None:
    app = create_app(station.settings, station, devices)
    client = signed_in(app, OPERATOR)
    inspection_id = weighed(client, station)
    assert client.get("/bench/events?screen=items&i=NO-SUCH-ONE").status_code == 404
    response = client.get(f"/bench/events?screen=items&i={inspection_id}&after=x", buffered=False)
    chunks = iter(response.response)
    next(chunks)
    token = csrf(client, f"/bench/i/{inspection_id}/items")
    assert client.post("/auth/sign-out", data={"csrf_token": token}, headers=HTML).status_code == 302
    assert devices.simulators is not None
    devices.simulators.scanner.scan(WRONG_ITEM_GTIN)
    plain = next_event(chunks)
    assert plain.startswith("event: scan"), plain  # the page gets the code; its POST is refused
    assert scans(station, inspection_id) == 0
    response.close()


def test_a_scan_two_screens_got_is_acted_on_by_the_first_post_only(
        station: StationContext, devices: DeviceManager) -> None:
    app = create_app(station.settings, station, devices)
    first, second = signed_in(app, OPERATOR), signed_in(app, OPERATOR)
    assert devices.simulators is not None
    drawn_at = devices.bus.last_scan_seq
    devices.simulators.scanner.scan("TRKRMA-1001")
    assert wait_until(lambda: devices.bus.last_scan_seq > drawn_at, 5)
    seq = str(devices.bus.last_scan_seq)
    headers = {"X-Requested-With": "fetch", "Accept": "application/json"}
    opened = first.post("/bench/scan", data={"code": "TRKRMA-1001", "seq": seq},
                        headers={**headers, "X-CSRFToken": csrf(first)}).get_json()
    assert opened["ok"] is True and opened["redirect"].endswith("/parcel"), opened
    again = second.post("/bench/scan", data={"code": "TRKRMA-1001", "seq": seq},
                        headers={**headers, "X-CSRFToken": csrf(second)}).get_json()
    assert again == {"ok": True, "taken": True, "message": "", "sound": "none", "redirect": None}
    assert devices.bus.recent_scans(drawn_at, 60) == []  # acted on: not replayed either


def test_a_stream_its_page_left_behind_decides_nothing(
        station: StationContext, devices: DeviceManager) -> None:
    app = create_app(station.settings, station, devices)
    client = signed_in(app, OPERATOR)
    inspection_id = weighed(client, station)
    left = client.get(f"/bench/events?screen=items&i={inspection_id}&after=0", buffered=False)
    chunks = iter(left.response)
    next(chunks)
    with station.db.reader() as session:
        (signin_id,) = session.execute(select(SigninSession.id)
                                       .where(SigninSession.ended_at.is_(None))).one()
    services = app.extensions["bench"]
    services.open_stream(signin_id)  # the same person's next page opened its own stream
    assert devices.simulators is not None
    devices.simulators.scanner.scan(WRONG_ITEM_GTIN)
    assert next_event(chunks).startswith("event: scan")  # passed on, not recorded here
    assert scans(station, inspection_id) == 0
    assert devices.bus.recent_scans(0, 60)  # nobody claimed it: the newest page acts on it
    left.close()
    first, second = services.open_stream("other"), services.open_stream("other")
    assert not services.newest_stream("other", first) and services.newest_stream("other", second)
    assert services.newest_stream(signin_id, first) is False
