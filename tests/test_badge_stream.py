"""A badge read by the bench's serial scanner reaches the sign-in screen; nothing else leaks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from station.context import StationContext
from station.devices import DeviceManager
from tests.support.bench import OPERATOR, add_people, migrated, sqlite_settings
from tests.test_bench_flow import devices
from web.app import create_app

__all__ = ["devices"]  # the simulated bench devices (a fixture)


@pytest.fixture
def station(tmp_path: Path) -> Iterator[StationContext]:
    ctx = migrated(sqlite_settings(tmp_path))
    add_people(ctx, (OPERATOR,))
    yield ctx
    ctx.close()


def next_event(chunks: Iterator[bytes]) -> str:
    for chunk in chunks:
        text = chunk.decode()
        if text.startswith("event:"):
            return text
    raise AssertionError("the stream ended")


def test_a_badge_fills_the_sign_in_and_other_scans_are_only_answered(
        station: StationContext, devices: DeviceManager) -> None:
    app = create_app(station.settings, station, devices)
    client = app.test_client()
    page = client.get("/auth/sign-in").get_data(as_text=True)
    assert 'data-badge-events-url="/auth/badge-events"' in page
    response = client.get("/auth/badge-events", buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    chunks = iter(response.response)
    assert next(chunks).decode().startswith("retry:")  # subscribed from here on
    assert devices.simulators is not None
    devices.simulators.scanner.scan("05012345678900")
    other = next_event(chunks)
    assert other.startswith("event: other") and "05012345678900" not in other
    devices.simulators.scanner.scan(OPERATOR.badge or "")
    badge = next_event(chunks)
    assert badge.startswith("event: badge") and (OPERATOR.badge or "-") in badge
    response.close()


def test_the_badge_stream_is_only_for_the_bench_itself(station: StationContext,
                                                       devices: DeviceManager) -> None:
    remote = create_app(station.settings, station, devices).test_client()
    assert remote.get("/auth/badge-events",
                      environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 404
    page = remote.get("/auth/sign-in", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert 'data-badge-events-url=""' in page.get_data(as_text=True)
    served = create_app(station.settings, station, devices=None).test_client()
    assert served.get("/auth/badge-events").status_code == 404
