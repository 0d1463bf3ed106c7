"""The offline bench: inspecting into the spool while central PostgreSQL and S3 are cut off, syncing when back."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, func, select, text

from station.config import ConfigError, load_settings
from station.context import StationContext, build
from station.db.models import (
    AuditEvent,
    Inspection,
    InspectionUnit,
    OutboxEvent,
    Photo,
    ReturnAuthorization,
    Tote,
)
from station.db.sync_models import SpoolForwarded, SpoolSync
from station.evidence.store_s3 import checksum_hex
from station.returns.errors import DomainError
from station.returns.intake import cancel_rma
from station.review import QueueFilters, flagged_queue
from station.sync.worker import SpoolSync as SyncWorker
from station.sync.worker import fleet_sync
from station.users import add_user
from tests.conftest import make_settings
from tests.factories import seed_rma, walk_to_graded
from tests.support.postgres import PostgresServer
from tests.support.proxy import CuttableProxy
from tests.support.s3 import S3Server, running_s3_server
from tests.support.templates import migrate_fresh
from tests.support.wait import wait_until
from web.app import create_app

pytestmark = pytest.mark.postgres
_benches = itertools.count(1)  # each bench its own plate prefix: plates are unique centrally


@dataclass
class Fleet:
    """Central (its own database on the test PostgreSQL, an S3 server) behind two cuttable cables."""

    central: StationContext
    central_url: str
    pg: CuttableProxy
    s3: S3Server
    s3_cable: CuttableProxy
    bucket: str
    root: Path

    def pull_the_network(self) -> None:
        self.pg.cut()
        self.s3_cable.cut()

    def plug_it_back(self) -> None:
        self.pg.restore()
        self.s3_cable.restore()


@pytest.fixture(scope="module")
def fleet(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Fleet]:
    root = tmp_path_factory.mktemp("fleet")
    name = f"station_central_{os.getpid()}"
    admin = create_engine(postgres_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    direct = postgres_server.url(name)
    migrate_fresh(direct)
    central = build(make_settings(root / "central", direct))
    pg = CuttableProxy("127.0.0.1", postgres_server.port)
    with running_s3_server() as s3:
        host, port = s3.endpoint_url.removeprefix("http://").split(":")
        cable = CuttableProxy(host, int(port))
        proxied = direct.replace(f":{postgres_server.port}/", f":{pg.port}/")
        yield Fleet(central, proxied, pg, s3, cable, s3.new_bucket(), root)
        pg.cut()
        cable.cut()
    central.close()


@pytest.fixture
def bench(fleet: Fleet, tmp_path: Path) -> Iterator[StationContext]:
    """A fleet bench: its own SQLite spool and photo folder, syncing with ``fleet``'s central."""
    yield from fleet_bench(fleet, tmp_path, f"T{next(_benches)}")


def fleet_bench(fleet: Fleet, tmp_path: Path, plate_code: str, prefetch: bool = True
                ) -> Iterator[StationContext]:
    s3 = fleet.s3.evidence_settings(fleet.bucket, s3_timeout_s=1.0)
    s3["s3_endpoint_url"] = f"http://127.0.0.1:{fleet.s3_cable.port}"
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'spool.db'}", central={
        "database_url": fleet.central_url, "backend": "s3", "photo_dir": str(tmp_path / "cache"),
        "anchor_file": str(tmp_path / "central-anchors.log"), "sync_interval_s": 1.0,
        "timeout_s": 1.0, "prefetch_returns": prefetch, **s3}, labels={"station_code": plate_code})
    migrate_fresh(settings.database.url)
    ctx = build(settings)
    ctx.sync = fleet_sync(settings, ctx.work, ctx.store)
    yield ctx
    if ctx.sync is not None:
        ctx.sync.stop()
    ctx.close()


def sync_of(ctx: StationContext) -> SyncWorker:
    assert ctx.sync is not None
    return ctx.sync


def inspect_parcel(ctx: StationContext, label: str) -> str:
    inspection_id = walk_to_graded(ctx, label)
    ctx.inspections.complete(inspection_id, "op")
    return inspection_id


def central_count(fleet: Fleet, inspection_id: str) -> int:
    with fleet.central.db.reader() as session:
        return int(session.execute(select(func.count()).select_from(Inspection)
                                   .where(Inspection.id == inspection_id)).scalar_one())


def central_events(fleet: Fleet, inspection_id: str) -> list[str]:
    with fleet.central.db.reader() as session:
        rows = session.execute(select(OutboxEvent).order_by(OutboxEvent.created_at)).scalars()
        return [r.event_type for r in rows if r.payload["data"].get("inspection_id") == inspection_id]


def test_two_parcels_inspected_offline_sync_once_with_their_photos(
        fleet: Fleet, bench: StationContext) -> None:
    seed_rma(fleet.central, "RMA-OFF-1")
    seed_rma(fleet.central, "RMA-OFF-2")
    sync = sync_of(bench).start()
    assert wait_until(lambda: sync.online is True)
    with bench.db.reader() as session:  # pulled while central was reachable
        assert session.execute(select(func.count()).select_from(ReturnAuthorization).where(
            ReturnAuthorization.rma_id.in_(["RMA-OFF-1", "RMA-OFF-2"]))).scalar_one() == 2
    first = bench.inspections.receive("TRKRMA-OFF-1", "bench-test", None, "op")
    fleet.pull_the_network()  # in the middle of the first inspection
    sync.notify()
    assert wait_until(lambda: sync.online is False)
    bench.inspections.flag(first.id, "seal broken", "op")
    second = inspect_parcel(bench, "TRKRMA-OFF-2")
    sync.notify()
    assert wait_until(lambda: sync.status().waiting == 2)
    assert sync.status().shown and sync.online is False
    assert central_count(fleet, first.id) == central_count(fleet, second) == 0
    client = create_app(bench.settings, bench).test_client()
    assert "Offline — 2 waiting" in client.get("/auth/sign-in").get_data(as_text=True)
    chinese = client.get("/auth/sign-in", headers={"Accept-Language": "zh-CN"})
    assert "离线 — 2 条待同步" in chinese.get_data(as_text=True)

    fleet.plug_it_back()
    sync.notify()
    assert wait_until(lambda: sync.status().waiting == 0 and sync.online is True, 10)
    assert not sync.status().shown
    assert 'id="sync-status"' not in client.get("/auth/sign-in").get_data(as_text=True)
    assert central_count(fleet, first.id) == central_count(fleet, second) == 1
    with fleet.central.db.reader() as session:
        photos = list(session.execute(select(Photo).where(Photo.inspection_id == second)).scalars())
        synced = list(session.execute(select(AuditEvent).where(
            AuditEvent.action == "inspection.synced").where(
            AuditEvent.entity_id.in_([first.id, second]))).scalars())
        states = {pk: state for pk, state in session.execute(select(
            Inspection.id, Inspection.state).where(Inspection.id.in_([first.id, second])))}
        rma = session.execute(select(ReturnAuthorization.status).where(
            ReturnAuthorization.rma_id == "RMA-OFF-2")).scalar_one()
    assert photos and states == {first.id: "flagged", second: "completed"} and rma == "inspected"
    client = fleet.s3.client()
    for photo in photos:  # in the bucket, and the server's SHA-256 is the one taken at the bench
        head = client.head_object(Bucket=fleet.bucket, Key=photo.sha256, ChecksumMode="ENABLED")
        assert checksum_hex(head["ChecksumSHA256"]) == photo.sha256
        assert (bench.settings.evidence.photo_dir / photo.storage_key).exists()  # kept locally
    with bench.db.reader() as session:
        bench_hash = session.execute(select(AuditEvent.hash).where(
            AuditEvent.entity_id == second).where(AuditEvent.action == "inspection.completed")
        ).scalar_one()
    assert sorted(e.entity_id for e in synced) == sorted([first.id, second])
    assert {e.entity_id: e.data["bench_audit_hash"] for e in synced}[second] == bench_hash
    assert central_events(fleet, second) == ["return.received", "inspection.completed"]
    assert central_events(fleet, first.id) == ["return.received", "inspection.flagged"]


def test_a_push_cut_after_central_committed_is_not_duplicated(
        fleet: Fleet, bench: StationContext) -> None:
    seed_rma(fleet.central, "RMA-OFF-3")
    sync = sync_of(bench)
    assert sync.sync_once().online
    seed_rma(fleet.central, "RMA-OFF-5")  # after the pull: a label the spool does not know
    assert sync.know_label("TRKRMA-OFF-5") is True  # looked up centrally at the scan
    with bench.db.reader() as session:
        assert session.execute(select(ReturnAuthorization.status).where(
            ReturnAuthorization.rma_id == "RMA-OFF-5")).scalar_one() == "open"
    inspection_id = inspect_parcel(bench, "TRKRMA-OFF-3")

    def cut_before_the_bench_hears(_: str) -> None:
        fleet.pull_the_network()
        raise ConnectionResetError("central's answer was lost")

    sync.pusher.after_central_commit = cut_before_the_bench_hears
    assert not sync.sync_once().online
    assert central_count(fleet, inspection_id) == 1 and sync.status().waiting == 1
    sync.pusher.after_central_commit = None
    fleet.plug_it_back()
    done = sync.sync_once()
    assert done.online and done.pushed == 1 and sync.status().waiting == 0
    assert central_count(fleet, inspection_id) == 1
    assert central_events(fleet, inspection_id) == ["return.received", "inspection.completed"]
    with fleet.central.db.reader() as session:
        assert session.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "inspection.synced").where(
            AuditEvent.entity_id == inspection_id)).scalar_one() == 1
    with bench.db.reader() as session:
        confirmed = session.get(SpoolSync, inspection_id)
        assert confirmed is not None and confirmed.central_audit_seq is None  # central had it


def test_a_return_cancelled_centrally_meanwhile_goes_to_the_supervisor_queue(
        fleet: Fleet, bench: StationContext) -> None:
    seed_rma(fleet.central, "RMA-OFF-4")
    seed_rma(fleet.central, "RMA-OFF-10")
    sync = sync_of(bench)
    assert sync.sync_once().online
    fleet.pull_the_network()
    inspection_id = inspect_parcel(bench, "TRKRMA-OFF-4")
    assert not sync.sync_once().online
    assert sync.know_label("TRKRMA-NOT-PULLED") is None  # offline: inspected as unexpected
    with fleet.central.work() as work:  # the platform cancels them while the bench is cut off
        cancel_rma(work, "RMA-OFF-4", actor="platform")
        cancel_rma(work, "RMA-OFF-10", actor="platform")
    fleet.plug_it_back()
    done = sync.sync_once()
    assert done.pushed == 1 and done.conflicts == 1 and sync.status().waiting == 0
    with pytest.raises(DomainError) as refused:  # the one not opened yet: cancelled here too
        bench.inspections.receive("TRKRMA-OFF-10", "bench-test", None, "op")
    assert refused.value.code == "rma_cancelled"
    with fleet.central.db.reader() as session:
        row = session.get(Inspection, inspection_id)
        assert row is not None and row.state == "flagged"
        assert "sync_rma_cancelled" in row.flags
        assert row.review["sync_conflict"] == {"reason": "rma_cancelled", "bench_state": "completed"}
        queue = flagged_queue(session, QueueFilters(reason="sync_rma_cancelled"),
                              warn_hours=24, breach_hours=48)
        assert [r.inspection.id for r in queue] == [inspection_id]
        assert session.execute(select(ReturnAuthorization.status).where(
            ReturnAuthorization.rma_id == "RMA-OFF-4")).scalar_one() == "cancelled"
    assert central_events(fleet, inspection_id) == ["return.received", "inspection.flagged"]


def test_without_prefetch_a_bench_copies_only_the_returns_it_scanned_and_hears_of_their_cancel(
        fleet: Fleet, tmp_path: Path) -> None:
    seed_rma(fleet.central, "RMA-NOPRE-1")
    seed_rma(fleet.central, "RMA-NOPRE-2")
    for ctx in fleet_bench(fleet, tmp_path, "NP", prefetch=False):
        sync = sync_of(ctx)
        assert sync.sync_once().online
        with ctx.db.reader() as session:  # nothing copied ahead
            assert session.execute(select(func.count()).select_from(ReturnAuthorization)
                                   ).scalar_one() == 0
        assert sync.know_label("TRKRMA-NOPRE-1") is True  # fetched when its label is scanned
        with fleet.central.work() as work:
            cancel_rma(work, "RMA-NOPRE-1", actor="platform")
        assert sync.sync_once().online
        with ctx.db.reader() as session:
            assert dict(session.execute(select(ReturnAuthorization.rma_id,
                                               ReturnAuthorization.status)).tuples().all()) == {
                "RMA-NOPRE-1": "cancelled"}  # its cancellation reached the spool; -2 never came


def test_a_return_inspected_at_another_bench_meanwhile_is_flagged_not_overwritten(
        fleet: Fleet, bench: StationContext) -> None:
    seed_rma(fleet.central, "RMA-OFF-7")
    sync = sync_of(bench)
    assert sync.sync_once().online
    fleet.pull_the_network()
    ours = inspect_parcel(bench, "TRKRMA-OFF-7")
    theirs = inspect_parcel(fleet.central, "TRKRMA-OFF-7")  # a bench working on central directly
    fleet.plug_it_back()
    done = sync.sync_once()
    assert done.pushed == 1 and done.conflicts == 1
    with fleet.central.db.reader() as session:
        mine, other = session.get(Inspection, ours), session.get(Inspection, theirs)
        assert mine is not None and other is not None
        assert mine.state == "flagged" and "sync_rma_inspected_elsewhere" in mine.flags
        assert other.state == "completed" and other.flags == []  # the one central had stays


def test_a_plate_central_already_has_is_kept_aside_not_duplicated(
        fleet: Fleet, tmp_path: Path) -> None:
    seed_rma(fleet.central, "RMA-OFF-8")
    seed_rma(fleet.central, "RMA-OFF-9")
    earlier = inspect_parcel(fleet.central, "TRKRMA-OFF-8")  # this bench, before its spool
    with fleet.central.db.reader() as session:
        plate = session.execute(select(InspectionUnit.lpn).where(
            InspectionUnit.inspection_id == earlier)).scalar_one()
    assert plate is not None
    code = plate.split("-")[0]
    for bench in fleet_bench(fleet, tmp_path, code):  # a new spool: its plate counter starts again
        sync = sync_of(bench)
        assert sync.sync_once().online
        ours = inspect_parcel(bench, "TRKRMA-OFF-9")
        done = sync.sync_once()
        assert done.pushed == 1 and done.conflicts == 1
        with fleet.central.db.reader() as session:
            row = session.get(Inspection, ours)
            assert row is not None and row.state == "flagged" and "sync_plate_taken" in row.flags
            [unit] = row.units
            kept = unit.review["bench_lpn"]
            assert unit.lpn is None and kept.startswith(f"{code}-")
            holder = session.execute(select(InspectionUnit.inspection_id).where(
                InspectionUnit.lpn == kept)).scalar_one()
            assert holder != ours  # the unit central had with that plate keeps it


def test_a_central_database_that_is_not_postgresql_is_one_clear_line(tmp_path: Path,
                                                                      clean_env: None) -> None:
    config = tmp_path / "station.toml"
    config.write_text('[central]\ndatabase_url = "sqlite:///central.db"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(config)
    assert str(refused.value) == (f"{config}: central.database_url: Value error, not a PostgreSQL "
                                  "URL (postgresql+psycopg://user:password@host:port/name)")
    settings = make_settings(tmp_path, "postgresql+psycopg://u:pw@127.0.0.1:1/spool",
                             central={"database_url": "postgresql://u:secret@127.0.0.1:1/c"})
    with pytest.raises(ConfigError, match="inspects into a local spool") as spool_refused:
        fleet_sync(settings, None, None)  # type: ignore[arg-type]  # refused before either is used
    assert "secret" not in str(spool_refused.value)


def csrf_token(page: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_an_operator_pulled_from_central_signs_in_offline_and_an_unknown_label_is_unexpected(
        fleet: Fleet, bench: StationContext) -> None:
    with fleet.central.db.transaction() as session:
        add_user(session, username="off.op", display_name="Offline Operator", role="operator",
                 actor="test", badge_id="BADGE-OFF-1", pin="135790")
    sync = sync_of(bench)
    assert sync.sync_once().online  # the person is pulled into the spool
    fleet.pull_the_network()
    assert not sync.sync_once().online
    client = create_app(bench.settings, bench).test_client()
    page = client.get("/auth/sign-in").get_data(as_text=True)
    signed_in = client.post("/auth/sign-in", data={"badge": "BADGE-OFF-1", "pin": "135790",
                                                   "next": "", "csrf_token": csrf_token(page)})
    assert signed_in.status_code == 302
    home = client.get("/bench/").get_data(as_text=True)
    answer = client.post("/bench/receive", follow_redirects=True,
                         data={"code": "TRK-NOT-IN-THE-SPOOL", "csrf_token": csrf_token(home)})
    shown = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Central cannot be reached, so this label could not be looked up." in shown
    assert "Offline — 0 waiting" in shown
    opened = bench.inspections.open_inspection("bench-test")
    assert opened is not None and opened.unexpected and opened.label == "TRK-NOT-IN-THE-SPOOL"
    fleet.plug_it_back()


def test_sorts_and_a_closed_tote_after_the_sync_are_forwarded_once_in_order(
        fleet: Fleet, bench: StationContext) -> None:
    seed_rma(fleet.central, "RMA-OFF-11")
    sync = sync_of(bench)
    assert sync.sync_once().online
    inspection_id = inspect_parcel(bench, "TRKRMA-OFF-11")
    assert sync.sync_once().pushed == 1
    answer = bench.sorting.sort_scan(inspection_id, "TOTE-9001", "op")  # after the sync
    assert answer.result == "tote_opened"
    with bench.db.reader() as session:
        tote_id = session.execute(select(InspectionUnit.tote_id).where(
            InspectionUnit.inspection_id == inspection_id)).scalar_one()
    assert tote_id is not None
    bench.sorting.close_tote(tote_id, "op")
    fleet.pull_the_network()
    assert not sync.sync_once().online  # they wait in the spool
    fleet.plug_it_back()
    assert sync.sync_once().forwarded == 2
    with bench.db.transaction() as session:  # the spool lost central's answer to the close
        session.execute(delete(SpoolForwarded).where(SpoolForwarded.outbox_id.in_(
            select(OutboxEvent.id).where(OutboxEvent.event_type == "tote.closed"))))
    assert sync.sync_once().forwarded == 1  # asked again: central has it, writes nothing
    with fleet.central.db.reader() as session:
        unit = session.execute(select(InspectionUnit).where(
            InspectionUnit.inspection_id == inspection_id)).scalar_one()
        tote = session.get(Tote, tote_id)
        events = [r.event_type for r in session.execute(select(OutboxEvent).where(
            OutboxEvent.ordering_key.in_(["rma:RMA-OFF-11", f"tote:{tote_id}"]))
            .order_by(OutboxEvent.created_at)).scalars()]
        audited = list(session.execute(select(AuditEvent.action).where(
            AuditEvent.entity_id.in_([unit.id, tote_id])).order_by(AuditEvent.seq)).scalars())
    assert unit.sorted_at is not None and unit.tote_id == tote_id and unit.sorted_by == "op"
    assert tote is not None and tote.status == "closed" and tote.units_in == 1
    assert events == ["return.received", "inspection.completed", "unit.sorted", "tote.closed"]
    assert audited == ["unit.sorted", "tote.closed"]
