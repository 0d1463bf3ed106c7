"""A bench's heartbeat thread: registers at start, reports every ``fleet.heartbeat_s``, follows published policies.

The heartbeat never blocks or breaks the bench: it runs on its own thread, a failed beat is
logged once (and its recovery once) and retried at the next period, never raised anywhere.
On each beat the bench also looks for a newer published policy or sort rules and adopts it:
the next grading step (and the next confirm's destinations) use it; a step already stored
keeps the version it recorded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from sqlalchemy import select

from drivers.state import DeviceStatus
from station.db.engine import Database
from station.db.fleet_models import PolicyPublication
from station.db.types import utcnow
from station.fleet import registry
from station.fleet.publishing import Kind, parse
from station.policy import Policy
from station.returns.errors import DomainError
from station.sorting.rules import SortRules

if TYPE_CHECKING:
    from station.context import StationContext

log = logging.getLogger(__name__)

DeviceStates = Callable[[], Mapping[str, DeviceStatus]]


def first_line(exc: BaseException) -> str:
    """The driver's first line without the SQL or its parameters (like `station` prints it)."""
    orig = getattr(exc, "orig", None) or exc
    return ((str(orig).strip().splitlines() or [type(orig).__name__])[0])[:200]


class PolicyFollower:
    """Keeps one process's policy and sort rules on the newest publication (none: its own files)."""

    def __init__(self, ctx: StationContext, db: Database | None = None) -> None:
        self.ctx = ctx
        #: Where publications are read: the fleet's shared database (default: the bench's own).
        self.db = db or ctx.db
        #: Publications this process could not use (kind -> seq), logged once each.
        self._refused: dict[str, int] = {}

    def check(self) -> list[str]:
        """Adopt what was published since; returns e.g. ``["policy 2026.12-5"]`` for what changed."""
        changed: list[str] = []
        in_use = {"policy": self.ctx.policy.version, "sort_rules": self.ctx.sorting.rules.version}
        with self.db.reader() as session:
            for kind in ("policy", "sort_rules"):
                newest = session.execute(
                    select(PolicyPublication.seq, PolicyPublication.version)
                    .where(PolicyPublication.kind == kind)
                    .order_by(PolicyPublication.seq.desc()).limit(1)).first()
                if newest is None or newest.version == in_use[kind] or self._refused.get(kind) == newest.seq:
                    continue
                content = session.execute(select(PolicyPublication.content).where(
                    PolicyPublication.seq == newest.seq)).scalar_one()
                if self._adopt(kind, newest.seq, content):
                    changed.append(f"{kind} {newest.version}")
        for what in changed:
            log.info("now using the published %s", what)
        return changed

    def _adopt(self, kind: Kind, seq: int, content: str) -> bool:
        try:
            parsed = parse(kind, content, f"published {kind} #{seq}")
        except DomainError as exc:  # e.g. published by newer software: keep what is in use
            self._refused[kind] = seq
            log.error("cannot use the published %s: %s", kind, exc.message)
            return False
        if isinstance(parsed, Policy):
            self.ctx.adopt_policy(parsed)
        elif isinstance(parsed, SortRules):
            self.ctx.adopt_sort_rules(parsed)
        return True


class FleetHeartbeat:
    """The bench's registration and heartbeat thread (``report=False``: only follow publications,
    what each worker of `station serve` does).

    ``shared`` is the database the fleet shares, where the row is written and publications are
    read; by default the bench's own (``ctx.db``). A bench that inspects into a local spool
    passes the central one; its queue is still read from its own database.
    """

    def __init__(self, ctx: StationContext, devices: DeviceStates | None = None, *,
                 report: bool = True, shared: Database | None = None) -> None:
        self.ctx = ctx
        self.devices = devices
        self.report = report
        self.db = shared or ctx.db
        self.period_s = ctx.settings.fleet.heartbeat_s
        self.follower = PolicyFollower(ctx, self.db)
        self.started_at = utcnow()
        self._registered = False
        self._failing = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def bench_report(self) -> registry.BenchReport:
        states = self.devices() if self.devices is not None else {}
        station = self.ctx.settings.station
        return registry.BenchReport(
            station_id=station.id, policy_version=self.ctx.policy.version,
            sort_rules_version=self.ctx.sorting.rules.version,
            devices={name: {"state": s.state.value, "detail": s.reason} for name, s in states.items()},
            heartbeat_s=self.period_s, started_at=self.started_at,
            queue=registry.bench_queue(self.ctx.db, station.id, station.timezone))

    def beat(self) -> bool:
        """One heartbeat and publication check; False (logged once per outage) when it failed."""
        try:
            self.follower.check()
            if self.report:
                if not self._registered:
                    registry.register(self.db, self.bench_report(), self.ctx.settings.station.name)
                    self._registered = True
                else:
                    registry.heartbeat(self.db, self.bench_report())
        except Exception as exc:  # whatever the database says, the bench goes on
            if not self._failing:
                log.warning("fleet heartbeat failed (retrying every %d s): %s", self.period_s,
                            first_line(exc))
            self._failing = True
            return False
        if self._failing:
            log.warning("fleet heartbeat restored")
        self._failing = False
        return True

    def start(self, *, first_now: bool = True) -> FleetHeartbeat:
        """Register and pull the published policy now (before the first parcel), then every period;
        ``first_now=False``: the first beat too on the thread (a shared database that may be out
        of reach must not hold up the bench's start)."""
        if first_now:
            self.beat()
        self._thread = threading.Thread(target=self._run, args=(not first_now,),
                                        name="fleet-heartbeat", daemon=True)
        self._thread.start()
        return self

    def _run(self, beat_first: bool) -> None:
        if beat_first:
            self.beat()
        while not self._stop.wait(self.period_s):
            self.beat()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread; a registered bench is marked stopped (shown down at once)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        if self.report and self._registered:
            try:
                registry.stopped(self.db, self.ctx.settings.station.id)
            except Exception as exc:  # stopping must finish
                log.warning("could not mark the bench stopped: %s", type(exc).__name__)
