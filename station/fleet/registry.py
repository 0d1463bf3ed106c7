"""The fleet registry: one heartbeat row per bench (upserted in one statement) and the fleet as supervisors see it."""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from station.db.engine import Database
from station.db.fleet_models import BenchHeartbeat
from station.db.models import OPEN_STATE_SQL, Inspection, Station
from station.db.types import utcnow
from station.fleet.publishing import newest_versions

#: A bench is up while its last heartbeat is at most this many periods old, stale up to
#: ``DOWN_AFTER`` periods, down after that (or when it stopped cleanly).
UP_WITHIN = 3
DOWN_AFTER = 20
#: Device details are cut to this length (a reason a human acts on, not a log).
DETAIL_CHARS = 120
#: ``user:password@`` in a URL a device reason might quote.
_CREDENTIALS = re.compile(r"//[^/@\s]+@")


def software_version() -> str:
    try:
        return metadata.version("returns-station")
    except metadata.PackageNotFoundError:
        return "unknown"


def device_detail(reason: str) -> str:
    """A device state's reason, short and without credentials."""
    return _CREDENTIALS.sub("//***@", reason.strip())[:DETAIL_CHARS]


@dataclass(frozen=True)
class BenchReport:
    """What a bench says about itself in one heartbeat."""

    station_id: str
    policy_version: str
    sort_rules_version: str | None
    devices: Mapping[str, Mapping[str, str]]
    heartbeat_s: int
    started_at: datetime
    #: {"open_inspection": id or null, "done_today": n}, read from the bench's own database.
    queue: Mapping[str, Any] = field(default_factory=dict)
    host: str = field(default_factory=socket.gethostname)
    software_version: str = field(default_factory=software_version)


def queue_of(session: Session, station_id: str, timezone: str) -> dict[str, Any]:
    """The bench's open parcel (if any) and how many it finished today (its own time zone)."""
    open_id = session.execute(select(Inspection.id).where(
        Inspection.station_id == station_id, text(OPEN_STATE_SQL)).limit(1)).scalar_one_or_none()
    midnight = datetime.now(ZoneInfo(timezone)).replace(hour=0, minute=0, second=0, microsecond=0)
    done = session.execute(select(func.count()).select_from(Inspection).where(
        Inspection.station_id == station_id, Inspection.completed_at >= midnight)).scalar_one()
    return {"open_inspection": open_id, "done_today": int(done)}


def bench_queue(db: Database, station_id: str, timezone: str) -> dict[str, Any]:
    """``queue_of`` in a read session of ``db`` (the bench's own database)."""
    with db.reader() as session:
        return queue_of(session, station_id, timezone)


def _upsert(db: Database, values: dict[str, Any], update: list[str]) -> Any:
    make_insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    statement = make_insert(BenchHeartbeat).values(**values)
    return statement.on_conflict_do_update(
        index_elements=[BenchHeartbeat.station_id],
        set_={name: statement.excluded[name] for name in update})


def register(db: Database, report: BenchReport, name: str) -> None:
    """A bench starts: its station row (once) and its heartbeat row with ``started_at`` now.

    ``db`` is the database the fleet shares: the bench's own, or the central one of a bench
    that inspects into a local spool."""
    make_insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    station = make_insert(Station).values(id=report.station_id, name=name, created_at=utcnow())
    with db.transaction() as session:
        session.execute(station.on_conflict_do_nothing(index_elements=[Station.id]))
        values = _values(report)
        session.execute(_upsert(db, {**values, "stopped_at": None},
                                [*values.keys() - {"station_id"}, "stopped_at"]))


def heartbeat(db: Database, report: BenchReport) -> None:
    """One heartbeat: the bench's row brought up to date in one statement."""
    with db.transaction() as session:
        values = _values(report)
        session.execute(_upsert(db, values, [*values.keys() - {"station_id", "started_at"}]))


def stopped(db: Database, station_id: str) -> None:
    """The bench stops cleanly: the page shows it down at once, not after the stale time."""
    with db.transaction() as session:
        row = session.get(BenchHeartbeat, station_id)
        if row is not None:
            row.stopped_at = utcnow()


def _values(report: BenchReport) -> dict[str, Any]:
    return {
        "station_id": report.station_id, "host": report.host[:200],
        "software_version": report.software_version[:50], "policy_version": report.policy_version[:50],
        "sort_rules_version": report.sort_rules_version, "heartbeat_s": report.heartbeat_s,
        "devices": {name: {"state": str(d.get("state", "")), "detail": device_detail(d.get("detail", ""))}
                    for name, d in report.devices.items()},
        "queue": dict(report.queue),
        "started_at": report.started_at, "last_heartbeat_at": utcnow(),
    }


@dataclass(frozen=True)
class BenchView:
    """One bench on the fleet page."""

    row: BenchHeartbeat
    name: str
    status: str  # up | stale | down
    age_s: float
    broken: dict[str, dict[str, str]]
    policy_current: bool
    sort_rules_current: bool


@dataclass(frozen=True)
class FleetView:
    """Every bench that ever sent a heartbeat, the published versions, and the counts by status."""

    benches: list[BenchView]
    published: dict[str, str]

    def count(self, status: str) -> int:
        return sum(1 for b in self.benches if b.status == status)


def status_of(row: BenchHeartbeat, now: datetime) -> tuple[str, float]:
    age = (now - row.last_heartbeat_at).total_seconds()
    if row.stopped_at is not None or age > DOWN_AFTER * row.heartbeat_s:
        return "down", age
    return ("up" if age <= UP_WITHIN * row.heartbeat_s else "stale"), age


def fleet(session: Session, now: datetime | None = None) -> FleetView:
    """The fleet as it stands: down benches first, then stale, then up; by station id within."""
    now = now or utcnow()
    published = newest_versions(session)
    names = dict(session.execute(select(Station.id, Station.name)).tuples().all())
    order = {"down": 0, "stale": 1, "up": 2}
    benches = []
    for row in session.execute(select(BenchHeartbeat)).scalars():
        status, age = status_of(row, now)
        broken = {name: dict(d) for name, d in sorted(row.devices.items()) if d.get("state") != "ready"}
        benches.append(BenchView(
            row, names.get(row.station_id, row.station_id), status, age, broken,
            policy_current="policy" not in published or row.policy_version == published["policy"],
            sort_rules_current=("sort_rules" not in published
                                or row.sort_rules_version == published["sort_rules"])))
    benches.sort(key=lambda b: (order[b.status], b.row.station_id))
    return FleetView(benches, published)


def fleet_data(view: FleetView) -> dict[str, Any]:
    """The fleet as JSON (GET /api/v1/fleet)."""
    return {
        "published": view.published,
        "benches": [{
            "station_id": b.row.station_id, "name": b.name, "status": b.status,
            "last_heartbeat_at": b.row.last_heartbeat_at.isoformat(), "age_s": round(b.age_s, 1),
            "heartbeat_s": b.row.heartbeat_s, "host": b.row.host,
            "software_version": b.row.software_version, "policy_version": b.row.policy_version,
            "policy_current": b.policy_current, "sort_rules_version": b.row.sort_rules_version,
            "sort_rules_current": b.sort_rules_current, "devices": b.row.devices,
            "queue": b.row.queue, "started_at": b.row.started_at.isoformat(),
            "stopped_at": b.row.stopped_at.isoformat() if b.row.stopped_at else None,
        } for b in view.benches],
    }
