"""The fleet: benches register and beat into one database, policies are published centrally and adopted."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from drivers.state import DeviceState, DeviceStatus
from station.config import Settings
from station.context import StationContext, build
from station.db.fleet_models import BenchHeartbeat, PolicyPublication
from station.db.models import Inspection, InspectionUnit, OutboxEvent, Station
from station.db.types import utcnow
from station.fleet import publishing, registry
from station.fleet.heartbeat import FleetHeartbeat, PolicyFollower
from station.returns.errors import DomainError
from tests.conftest import make_settings
from tests.factories import seed_rma, walk_to_graded
from tests.support.bench import audit_count, migrated
from tests.support.wait import wait_until

ROOT = Path(__file__).resolve().parents[1]
POLICY_TEXT = (ROOT / "station/policy/default_policy.toml").read_text(encoding="utf-8")
RULES_TEXT = (ROOT / "station/sorting/default_sort_rules.toml").read_text(encoding="utf-8")


def policy_version(text: str, version: str) -> str:
    """The shipped policy (or sort rules) under another version."""
    head, _, rest = text.partition('\nversion = "')
    return f'{head}\nversion = "{version}"{rest.partition(chr(34))[2]}'


def bench_states(scale: DeviceState = DeviceState.READY, reason: str = "") -> dict[str, DeviceStatus]:
    return {"scale": DeviceStatus("scale", scale, reason),
            "camera": DeviceStatus("camera", DeviceState.READY)}


@pytest.fixture
def bench_b(tmp_path: Path, ctx: StationContext) -> Iterator[StationContext]:
    """A second bench on the same database."""
    other = build(make_settings(tmp_path, ctx.settings.database.url,
                                station={"id": "bench-b", "name": "Bench B"}))
    yield other
    other.close()


def test_two_benches_register_and_beat_into_one_row_each(ctx: StationContext,
                                                         bench_b: StationContext) -> None:
    seed_rma(ctx)
    opened = ctx.inspections.receive("TRKRMA-1001", "bench-test", None, "op")
    a = FleetHeartbeat(ctx, lambda: bench_states(DeviceState.ERROR,
                                                 "no reply from tcp://user:secret@10.0.0.5:4001"))
    b = FleetHeartbeat(bench_b, bench_states)
    assert a.beat() and b.beat()
    with ctx.db.reader() as session:
        first = {r.station_id: r for r in session.execute(select(BenchHeartbeat)).scalars()}
        names = dict(session.execute(select(Station.id, Station.name)).tuples().all())
    assert set(first) == {"bench-test", "bench-b"} and names["bench-b"] == "Bench B"
    row = first["bench-test"]
    assert row.policy_version == ctx.policy.version and row.software_version
    assert row.sort_rules_version == ctx.sorting.rules.version and row.heartbeat_s == 15
    assert row.queue == {"open_inspection": opened.id, "done_today": 0}
    assert row.devices["scale"] == {"state": "error", "detail": "no reply from tcp://***@10.0.0.5:4001"}

    assert a.beat() and a.beat()
    with ctx.db.reader() as session:
        rows = list(session.execute(select(BenchHeartbeat)).scalars())
        again = session.get(BenchHeartbeat, "bench-test")
    assert len(rows) == 2 and again is not None
    assert again.started_at == row.started_at and again.last_heartbeat_at > row.last_heartbeat_at

    b.stop()  # a clean stop shows the bench down at once
    with ctx.db.reader() as session:
        view = registry.fleet(session)
    assert {v.row.station_id: v.status for v in view.benches} == {"bench-b": "down", "bench-test": "up"}
    assert list(view.benches[1].broken) == ["scale"]


def test_a_failed_heartbeat_is_logged_once_and_never_raised(tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    unmigrated = build(make_settings(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}"))
    try:
        beats = FleetHeartbeat(unmigrated, bench_states)
        with caplog.at_level(logging.WARNING, logger="station.fleet.heartbeat"):
            assert beats.beat() is False and beats.beat() is False
        failures = [r for r in caplog.records if "heartbeat failed" in r.getMessage()]
        assert len(failures) == 1 and "no such table" in failures[0].getMessage()
    finally:
        unmigrated.close()


def test_published_policy_is_adopted_at_the_next_check_and_recorded_on_the_outcome(
        ctx: StationContext) -> None:
    local = ctx.policy.version
    assert PolicyFollower(ctx).check() == []  # nothing published: the local file stays
    done = publishing.publish(ctx.work, "policy", policy_version(POLICY_TEXT, "2026.12-99"),
                              "central.toml", "cli:lead")
    assert done.new and ctx.policy.version == local  # not before the check
    assert FleetHeartbeat(ctx, report=False).beat()
    assert ctx.policy.version == ctx.inspections.policy.version == ctx.reviews.policy.version == "2026.12-99"

    seed_rma(ctx)
    inspection_id = walk_to_graded(ctx)
    ctx.inspections.complete(inspection_id, "op")
    with ctx.db.reader() as session:
        inspection = session.get(Inspection, inspection_id)
        units = list(session.execute(select(InspectionUnit).where(
            InspectionUnit.inspection_id == inspection_id)).scalars())
        event = session.execute(select(OutboxEvent).where(
            OutboxEvent.event_type == "inspection.completed")).scalar_one()
    assert inspection is not None and inspection.policy_version == "2026.12-99"
    assert units and {u.policy_version for u in units} == {"2026.12-99"}
    assert event.payload["data"]["policy_version"] == "2026.12-99"
    assert {u["policy_version"] for u in event.payload["data"]["units"]} == {"2026.12-99"}
    assert PolicyFollower(ctx).check() == []  # in use already: nothing to do


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # dialect-free: SQLite only
def test_publishing_refuses_bad_files_and_changed_content_and_stores_nothing(
        ctx: StationContext) -> None:
    before = audit_count(ctx)
    with pytest.raises(DomainError) as bad:
        publishing.publish(ctx.work, "policy", POLICY_TEXT.replace("[deductions]", "[deductionz]"),
                           "broken.toml", "cli:lead")
    assert bad.value.code == "invalid_policy" and "broken.toml" in bad.value.message
    assert "deductionz" in bad.value.message
    with ctx.db.reader() as session:
        assert session.execute(select(func.count()).select_from(PolicyPublication)).scalar_one() == 0
    assert audit_count(ctx) == before

    text = policy_version(POLICY_TEXT, "2026.12-50")
    assert publishing.publish(ctx.work, "policy", text, "a.toml", "cli:lead").new
    assert not publishing.publish(ctx.work, "policy", text, "a.toml", "cli:lead").new
    changed = text.replace("min_price = 10", "min_price = 20")
    with pytest.raises(DomainError) as again:
        publishing.publish(ctx.work, "policy", changed, "b.toml", "cli:lead")
    assert again.value.code == "version_published"
    with ctx.db.reader() as session:
        rows = list(session.execute(select(PolicyPublication)).scalars())
    assert [(r.kind, r.version, r.published_by) for r in rows] == [("policy", "2026.12-50", "cli:lead")]
    assert audit_count(ctx) == before + 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # dialect-free: SQLite only
def test_published_sort_rules_are_adopted_and_a_bench_on_old_versions_is_highlighted(
        ctx: StationContext, bench_b: StationContext) -> None:
    old = FleetHeartbeat(bench_b, bench_states)
    assert old.beat()  # bench B reports before anything is published
    publishing.publish(ctx.work, "sort_rules", policy_version(RULES_TEXT, "site-7"), "rules.toml", "x")
    publishing.publish(ctx.work, "policy", policy_version(POLICY_TEXT, "2026.12-70"), "p.toml", "x")
    assert sorted(PolicyFollower(ctx).check()) == ["policy 2026.12-70", "sort_rules site-7"]
    assert ctx.sorting.rules.version == "site-7"
    assert FleetHeartbeat(ctx, bench_states).beat()
    with ctx.db.transaction() as session:  # bench B's last word was long ago
        session.execute(update(BenchHeartbeat).where(BenchHeartbeat.station_id == "bench-b")
                        .values(last_heartbeat_at=utcnow() - timedelta(seconds=100)))
    with ctx.db.reader() as session:
        view = {v.row.station_id: v for v in registry.fleet(session).benches}
    assert view["bench-b"].status == "stale" and not view["bench-b"].policy_current
    assert not view["bench-b"].sort_rules_current
    assert view["bench-test"].status == "up" and view["bench-test"].policy_current


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # dialect-free: SQLite only
def test_station_policy_publish_cli(tmp_path: Path, settings: Settings, ctx: StationContext,
                                    capsys: pytest.CaptureFixture[str], clean_env: None) -> None:
    from station.cli import main

    config = tmp_path / "station.toml"
    config.write_text(f'[database]\nurl = "{settings.database.url}"\n[audit]\nanchor_file = '
                      f'"{tmp_path / "anchors.log"}"\n[evidence]\nphoto_dir = "{tmp_path / "photos"}"\n')
    bad = tmp_path / "bad.toml"
    bad.write_text(POLICY_TEXT.replace('version = "', 'versio = "', 1))
    assert main(["--config", str(config), "policy", "publish", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "bad.toml" in err and len(err.splitlines()) == 1
    good = tmp_path / "good.toml"
    good.write_text(policy_version(POLICY_TEXT, "2026.12-80"))
    assert main(["--config", str(config), "policy", "publish", str(good), "--by", "lead"]) == 0
    assert "published policy version 2026.12-80" in capsys.readouterr().out
    assert main(["--config", str(config), "policy", "published"]) == 0
    listed = capsys.readouterr().out
    assert "2026.12-80" in listed and "cli:lead" in listed
    assert main(["--config", str(config), "policy", "publish", str(tmp_path / "none.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # dialect-free: SQLite only
def test_a_spool_bench_reports_to_and_follows_the_shared_database(tmp_path: Path,
                                                                  ctx: StationContext) -> None:
    """A bench inspecting into its own SQLite file (the offline spool) beats into the fleet's
    database, with its queue read from its own file, and adopts what was published there."""
    own = tmp_path / "spool"
    own.mkdir()
    spool = migrated(make_settings(own, f"sqlite:///{own / 'spool.db'}", station={"id": "bench-s"}))
    try:
        seed_rma(spool)
        opened = spool.inspections.receive("TRKRMA-1001", "bench-s", None, "op")
        publishing.publish(ctx.work, "policy", policy_version(POLICY_TEXT, "2026.12-60"), "p.toml", "x")
        assert FleetHeartbeat(spool, bench_states, shared=ctx.db).beat()
        assert spool.policy.version == "2026.12-60"
        with ctx.db.reader() as session:
            row = session.get(BenchHeartbeat, "bench-s")
        with spool.db.reader() as session:
            assert session.get(BenchHeartbeat, "bench-s") is None
        assert row is not None and row.queue["open_inspection"] == opened.id
        assert row.policy_version == "2026.12-60"
    finally:
        spool.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # dialect-free: SQLite only
def test_the_heartbeat_thread_beats_first_from_its_thread_and_stops_cleanly(ctx: StationContext) -> None:
    beats = FleetHeartbeat(ctx, bench_states).start(first_now=False)

    def row() -> BenchHeartbeat | None:
        with ctx.db.reader() as session:
            return session.get(BenchHeartbeat, "bench-test")

    try:
        assert wait_until(lambda: row() is not None)
    finally:
        beats.stop()
    assert beats._thread is not None and not beats._thread.is_alive()
    stopped = row()
    assert stopped is not None and stopped.stopped_at is not None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # dialect-free: SQLite only
def test_a_publication_this_bench_cannot_read_is_logged_once_and_the_policy_kept(
        ctx: StationContext, caplog: pytest.LogCaptureFixture) -> None:
    """What newer software published (a key this loader does not know) leaves the bench as it is."""
    in_use = ctx.policy.version
    newer = policy_version(POLICY_TEXT, "2027.01-1") + "\n[future_rules]\nx = 1\n"
    with ctx.db.transaction() as session:
        session.add(PolicyPublication(kind="policy", version="2027.01-1", sha256="0" * 64,
                                      content=newer, published_by="newer station"))
    follower = PolicyFollower(ctx)
    with caplog.at_level(logging.ERROR, logger="station.fleet.heartbeat"):
        assert follower.check() == [] and follower.check() == []
    assert ctx.policy.version == in_use
    refused = [r.getMessage() for r in caplog.records]
    assert len(refused) == 1 and "future_rules" in refused[0]
