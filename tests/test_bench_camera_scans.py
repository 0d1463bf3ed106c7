"""Hands-free: a return label held under the bench camera opens the parcel, an item counts.

The simulated bench (devices.simulated) decodes its camera stream on the camera-scan thread; the
scan arrives on the device bus, and the page hands it to /bench/scan as it does any scanner's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.scanner.aim import Symbology
from drivers.scanner.events import ScanEvent
from station.context import StationContext
from station.devices import DeviceManager
from tests.conftest import make_settings
from tests.factories import seed_rma
from tests.support.bench import OPERATOR, add_people, migrated
from tests.test_bench_flow import Bench, devices
from tests.test_devices import next_event
from tests.test_units import HEADPHONES, line
from web.app import create_app

__all__ = ["devices"]  # the simulated bench devices (a fixture)


@pytest.fixture
def station(tmp_path: Path, database_url: str) -> Iterator[StationContext]:
    ctx = migrated(make_settings(tmp_path, database_url, web={"secret_key": "camera-scan-key"}))
    add_people(ctx, (OPERATOR,))
    seed_rma(ctx, "RMA-CAM-7", items=[line("1", HEADPHONES, "50.00")])
    yield ctx
    ctx.close()


def camera_scan(devices: DeviceManager, text: str, symbology: Symbology) -> ScanEvent:
    """Hold ``text`` under the simulated camera until its scan comes off the bus."""
    sims = devices.simulators
    assert sims is not None
    with devices.subscribe() as subscription:
        sims.camera.present(text, symbology, module_px=3)
        event = next_event(subscription, lambda e: e.kind == "scan" and e.device == "camera",
                           timeout_s=10)
    sims.camera.clear()
    assert event is not None and isinstance(event.payload, ScanEvent), "no camera scan"
    return event.payload


def test_a_label_under_the_camera_opens_the_parcel_and_an_item_under_it_is_counted(
        station: StationContext, devices: DeviceManager) -> None:
    bench = Bench(create_app(station.settings, station, devices), station)
    label = camera_scan(devices, "RMA-CAM-7", Symbology.CODE128)
    assert (label.text, label.source) == ("RMA-CAM-7", "camera")
    opened = bench.fetch("/bench/scan", code=label.raw, source="camera").get_json()
    assert opened["ok"] is True and str(opened["redirect"]).endswith("/parcel"), opened
    inspection_id = str(opened["redirect"]).split("/")[3]
    bench.post(f"/bench/i/{inspection_id}/weight", source="manual", grams="450")
    item = camera_scan(devices, HEADPHONES.removeprefix("0"), Symbology.EAN13)
    assert item.gtin == HEADPHONES
    counted = bench.fetch("/bench/scan", code=item.raw, source="camera").get_json()
    assert counted["ok"] is True and str(counted["redirect"]).endswith("/items"), counted
    (scan,) = bench.inspection(inspection_id).scans
    assert (scan.result, scan.source) == ("match", "camera")
