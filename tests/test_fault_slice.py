"""A fixed-budget slice of `make fault`: a few SIGKILLs, hostile input, device noise, full disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.fault_devices import device_noise
from bench.fault_inputs import hostile_inputs
from bench.fault_kill import campaign
from bench.fault_storage import storage_faults
from tests.conftest import _fresh_postgres_url


def test_sigkill_at_random_points_on_sqlite_loses_nothing(tmp_path: Path) -> None:
    report = campaign(tmp_path, f"sqlite:///{tmp_path / 'station.db'}", "sqlite", kills=6, rmas=3)
    assert report.ok, report
    assert report.kills == 6 and report.rmas == 3 and report.lost == 0
    assert report.steps_confirmed >= 3 * 10 and report.events == report.events_delivered_once == 6


@pytest.mark.postgres
def test_sigkill_at_random_points_on_postgresql_loses_nothing(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = _fresh_postgres_url(request.getfixturevalue("postgres_server"))
    report = campaign(tmp_path, url, "postgres", kills=4, rmas=2, seed=31)
    assert report.ok, report
    assert report.lost == 0 and report.events == report.events_delivered_once == 4


def test_hostile_input_on_every_route_is_never_a_server_error(tmp_path: Path) -> None:
    report = hostile_inputs(tmp_path, budget=2000)
    assert report.requests == 2000
    assert report.server_errors == []
    assert report.by_class["4xx"] > 1000


def test_noise_on_serial_devices_is_survived_and_never_read_as_data() -> None:
    report = device_noise(32 * 1024, scales=["generic-mt-sics", "nci-3825", "cas-ci600d"])
    assert report.ok, report.devices
    assert [d.device for d in report.devices][-1] == "scanner:generic-serial"


def test_a_full_then_read_only_photo_disk_refuses_captures_and_keeps_evidence(tmp_path: Path) -> None:
    report = storage_faults(tmp_path)
    if report.skipped:
        pytest.skip(report.skipped)
    assert report.refused_full >= 1 and report.refused_read_only >= 1
    assert report.half_done == 0 and report.temp_left == 0 and report.verify_problems == 0
    assert report.verified_after == report.stored >= 1
    assert report.readyz_failed == ["full", "read_only"]
