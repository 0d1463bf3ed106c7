"""The fleet page: supervisors see which bench is up, stale or down and what is broken; nobody else does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import update

from drivers.state import DeviceState, DeviceStatus
from station import apikeys
from station.context import StationContext, build
from station.db.fleet_models import BenchHeartbeat
from station.db.types import utcnow
from station.fleet import publishing
from station.fleet.heartbeat import FleetHeartbeat
from tests.conftest import make_settings
from tests.factories import seed_rma, walk_to_graded
from tests.support.bench import OPERATOR, SUPERVISOR, add_people, bench_app, html, migrated, signed_in
from tests.test_fleet import POLICY_TEXT, policy_version
from web.api.schemas import FleetOut
from web.app import station_context


@pytest.fixture(scope="module")
def fleet_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """A central server's app; bench-a beats with a camera down, bench-b went quiet long ago."""
    tmp = tmp_path_factory.mktemp("fleet")
    url = f"sqlite:///{tmp / 'station.db'}"
    ctx = migrated(make_settings(tmp, url, web={"secret_key": "test-session-key"},
                                 station={"id": "central"}))
    add_people(ctx, (OPERATOR, SUPERVISOR))
    benches: list[StationContext] = []
    for station_id, camera in (("bench-a", DeviceState.ERROR), ("bench-b", DeviceState.READY)):
        bench = build(make_settings(Path(tmp / station_id), url, station={"id": station_id}))
        benches.append(bench)
        states = {"scale": DeviceStatus("scale", DeviceState.READY),
                  "camera": DeviceStatus("camera", camera, "no frames for 5 s")}
        assert FleetHeartbeat(bench, lambda s=states: s).beat()  # type: ignore[misc]
    publishing.publish(ctx.work, "policy", policy_version(POLICY_TEXT, "2026.12-90"), "p.toml", "x")
    with ctx.db.transaction() as session:
        session.execute(update(BenchHeartbeat).where(BenchHeartbeat.station_id == "bench-b")
                        .values(last_heartbeat_at=utcnow() - timedelta(seconds=100)))
    yield bench_app(ctx)
    for bench in benches:
        bench.close()
    ctx.close()


def test_a_supervisor_sees_up_stale_device_trouble_and_old_policies(fleet_app: Flask) -> None:
    supervisor = signed_in(fleet_app, SUPERVISOR)
    page = html(supervisor, "/fleet/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'id="bench-bench-a" class="up" data-status="up"' in body
    assert 'id="bench-bench-b" class="stale" data-status="stale"' in body
    row_a = body.split('id="bench-bench-a"')[1].split("</tr>")[0]
    assert 'data-device="camera"' in row_a and "no frames for 5 s" in row_a
    assert 'data-device="scale"' not in row_a  # a ready device is not trouble
    assert "policy-behind" in row_a and "2026.12-90" in row_a  # benches still on the shipped policy
    assert 'id="nav-fleet"' in body
    data = supervisor.get("/fleet/benches.json").get_json()
    assert data["published"] == {"policy": "2026.12-90"}
    assert {b["station_id"]: b["status"] for b in data["benches"]} == {"bench-a": "up", "bench-b": "stale"}


def test_operators_and_anonymous_people_are_refused(fleet_app: Flask) -> None:
    anonymous = fleet_app.test_client()
    response = html(anonymous, "/fleet/")
    assert response.status_code == 302 and "/auth/sign-in" in response.headers["Location"]
    assert anonymous.get("/fleet/benches.json").status_code == 401
    operator = signed_in(fleet_app, OPERATOR)
    assert html(operator, "/fleet/").status_code == 403
    assert operator.get("/fleet/benches.json").status_code == 403


def test_the_fleet_page_in_chinese(fleet_app: Flask) -> None:
    supervisor = signed_in(fleet_app, SUPERVISOR)
    supervisor.get("/auth/sign-in")
    with supervisor.session_transaction() as session:
        session["lang"] = "zh_Hans_CN"
    body = html(supervisor, "/fleet/").get_data(as_text=True)
    for words in ("检验工作台", "1 台在线", "1 台心跳延迟", "最近心跳", "已发布的策略：2026.12-90", "故障"):
        assert words in body, words
    for english in ("Last heartbeat", "Published policy", "Done today", "Not reporting"):
        assert english not in body, english


def test_the_fleet_api_needs_a_key_with_fleet_read(fleet_app: Flask) -> None:
    ctx = station_context(fleet_app)
    with ctx.db.transaction() as session:
        _, reader = apikeys.create_api_key(session, "fleet monitor", ["fleet:read"])
        _, other = apikeys.create_api_key(session, "platform", ["inspections:read"])
    client = fleet_app.test_client()
    assert client.get("/api/v1/fleet").status_code == 401
    assert client.get("/api/v1/fleet", headers={"Authorization": f"Bearer {other}"}).status_code == 403
    answer = client.get("/api/v1/fleet", headers={"Authorization": f"Bearer {reader}"})
    assert answer.status_code == 200
    body = FleetOut.model_validate(answer.get_json())
    assert body.published == {"policy": "2026.12-90"}
    by_id = {b.station_id: b for b in body.benches}
    assert by_id["bench-a"].devices["camera"].state == "error" and not by_id["bench-a"].policy_current
    assert by_id["bench-b"].status == "stale"
    assert client.get("/api/v1/fleet?x=1", headers={"Authorization": f"Bearer {reader}"}).status_code == 400


def test_the_case_page_shows_the_policy_version_of_the_outcome(fleet_app: Flask) -> None:
    ctx = station_context(fleet_app)
    seed_rma(ctx, "RMA-5501")
    inspection_id = walk_to_graded(ctx, label="TRKRMA-5501")
    ctx.inspections.flag(inspection_id, "look at it", "op")
    body = html(signed_in(fleet_app, SUPERVISOR), f"/review/inspections/{inspection_id}").get_data(as_text=True)
    assert f'id="policy-version">Graded with policy version {ctx.policy.version}<' in body
