"""/readyz and /metrics report the bench's device states from a real device manager with simulators."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from drivers.state import DeviceState
from station.config import DevicesSection
from station.context import StationContext
from station.devices import DeviceManager
from tests.test_devices import wait_until
from web.app import create_app


@pytest.fixture
def devices() -> Iterator[DeviceManager]:
    manager = DeviceManager(DevicesSection.model_validate(
        {"simulated": True, "reconnect_base_s": 5.0, "reconnect_max_s": 5.0}))
    manager.start()
    try:
        assert wait_until(lambda: all(
            s.state is DeviceState.READY for s in manager.states().values())), manager.states()
        yield manager
    finally:
        manager.stop()


@pytest.fixture
def app(ctx: StationContext, devices: DeviceManager) -> Flask:
    app = create_app(ctx.settings, ctx)
    app.extensions["devices"] = devices
    return app


def metric(text: str, sample: str) -> float:
    """The value of one exposition line such as ``station_device_up{device="scale"}``."""
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{sample} not in /metrics:\n{text}")


def test_ready_devices_are_listed_in_readyz_and_up_in_metrics(app: Flask) -> None:
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.get_json()
    assert body["devices"]["scale"] == {"state": "ready", "reason": body["devices"]["scale"][
        "reason"]}
    assert {name for name in body["devices"]} == {"scale", "scanner", "camera"}
    text = client.get("/metrics").get_data(as_text=True)
    for device in ("scale", "scanner", "camera"):
        assert metric(text, f'station_device_up{{device="{device}"}}') == 1
    assert metric(text, 'station_device_state{device="scale",state="ready"}') == 1
    assert metric(text, 'station_device_state{device="scale",state="error"}') == 0


def test_an_unplugged_scale_is_reported_down_but_the_station_stays_ready(
    app: Flask, devices: DeviceManager
) -> None:
    assert devices.simulators is not None
    devices.simulators.scale.disconnect()
    assert wait_until(lambda: devices.states()["scale"].state is not DeviceState.READY)
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200, "a device being down does not make the station unready"
    scale = ready.get_json()["devices"]["scale"]
    assert scale["state"] in ("error", "disconnected", "connecting") and scale["reason"]
    assert ready.get_json()["devices"]["scanner"]["state"] == "ready"
    text = client.get("/metrics").get_data(as_text=True)
    assert metric(text, 'station_device_up{device="scale"}') == 0
    assert metric(text, 'station_device_up{device="scanner"}') == 1
    assert metric(text, 'station_device_state{device="scale",state="ready"}') == 0
    assert metric(text, f'station_device_state{{device="scale",state="{scale["state"]}"}}') == 1


def test_without_a_device_manager_readyz_lists_no_devices_and_metrics_no_device_samples(
    ctx: StationContext,
) -> None:
    client = create_app(ctx.settings, ctx).test_client()
    assert client.get("/readyz").get_json()["devices"] == {}
    text = client.get("/metrics").get_data(as_text=True)
    assert "station_device_up{" not in text
