"""The sync thread of a fleet bench: pull from central, push what waits, and say whether central is reachable."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from station.config import ConfigError, Settings
from station.db.engine import Database
from station.evidence.store import PhotoStore
from station.returns.identify import LabelError, find_rma
from station.sync.central import Central, is_unreachable, open_central
from station.sync.forward import Forwarder
from station.sync.pull import Puller
from station.sync.push import Pusher, read_spooled, upload_photos, waiting_count, waiting_ids
from station.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
#: Inspections read from the spool at a time.
BATCH = 100


@dataclass(frozen=True)
class SyncStatus:
    """What the bench shows: is central reachable (None: not tried yet), and how many wait."""

    online: bool | None
    waiting: int

    @property
    def shown(self) -> bool:
        return self.online is False or self.waiting > 0


@dataclass(frozen=True)
class SyncRound:
    """What one round did."""

    pushed: int = 0
    conflicts: int = 0
    pulled: int = 0
    failed: int = 0
    online: bool = True
    #: Later events forwarded (sort scans, closed totes).
    forwarded: int = 0


def describe(exc: BaseException) -> str:
    """A short reason for the log and the status: the first line, never a URL (it may hold a
    password)."""
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return type(exc).__name__ + (f": {text}" if text and "://" not in text else "")


class SpoolSync:
    """Keeps the spool and central in step; ``sync_once`` is one round, ``start`` the thread."""

    def __init__(self, spool: UnitOfWork, bench_store: PhotoStore, central: Central,
                 station_id: str, interval_s: float = 5.0, prefetch: bool = True) -> None:
        self.spool = spool
        self.bench_store = bench_store
        self.central = central
        self.interval_s = interval_s
        self.puller = Puller(central, spool, station_id, prefetch)
        self.pusher = Pusher(central, spool)
        self.forwarder = Forwarder(central, spool)
        #: False while central (database or store) cannot be reached; None before the first try.
        self.online: bool | None = None
        #: The last problem of a round (unreachable central, or an inspection that failed).
        self.problem: str | None = None
        self._lock = threading.Lock()  # one round at a time (the thread, a lookup, a test)
        #: Finished inspections central has not confirmed, as of the last count (status()).
        self.waiting = waiting_count(spool.db)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def spool_db(self) -> Database:
        return self.spool.db

    def status(self) -> SyncStatus:
        """What the banner shows, without a query: the count is taken at the start and end of
        each round and goes down with each push (a page is drawn without reading the spool)."""
        return SyncStatus(self.online, self.waiting)

    def sync_once(self) -> SyncRound:
        """Pull, then push every waiting inspection (photos first); stop at the first sign that
        central is unreachable. An inspection that fails otherwise stays waiting, logged."""
        with self._lock:
            try:
                return self._round()
            finally:
                self.waiting = waiting_count(self.spool.db)

    def _round(self) -> SyncRound:
        """One round of ``sync_once`` (under its lock)."""
        pushed = conflicts = failed = 0
        self.waiting = waiting_count(self.spool.db)
        try:
            pulled = self.puller.pull()
            batch = [""] * BATCH
            while len(batch) == BATCH:  # a long backlog drains in one round, a batch at a time
                batch = waiting_ids(self.spool.db, BATCH)
                before = pushed
                for inspection_id in batch:
                    try:
                        spooled = read_spooled(self.spool.db, inspection_id)
                        upload_photos(spooled, self.bench_store, self.central.store)
                        result = self.pusher.push(spooled)
                    except Exception as exc:
                        if is_unreachable(exc):
                            raise
                        failed += 1
                        self.problem = f"inspection {inspection_id}: {describe(exc)}"
                        log.exception("sync of inspection %s failed; it stays waiting",
                                      inspection_id)
                        continue
                    pushed += 1
                    self.waiting = max(0, self.waiting - 1)
                    conflicts += result.conflict is not None
                if pushed == before:
                    break  # only failures left: the next round tries them again
            forwarded = self.forwarder.forward_all()  # sorts and closed totes, in their order
        except Exception as exc:
            if not is_unreachable(exc):
                raise
            if self.online is not False:
                log.warning("central cannot be reached (%s): inspecting into the spool",
                            describe(exc))
            self.online, self.problem = False, describe(exc)
            return SyncRound(pushed, conflicts, 0, failed, online=False)
        if self.online is False:
            log.info("central reachable again")
        self.online = True
        if not failed:
            self.problem = None
        return SyncRound(pushed, conflicts, pulled.rmas + pulled.operators, failed, forwarded=forwarded)

    def lookup(self, label: str) -> bool | None:
        """Fetch the return of an unknown label from central now: True found, False central has
        none, None central cannot be reached (the bench says so and offers the unexpected path)."""
        try:
            found = self.puller.lookup(label)
        except Exception as exc:
            if not is_unreachable(exc):
                raise
            self.online, self.problem = False, describe(exc)
            return None
        return found

    def know_label(self, label: str) -> bool | None:
        """Before a label opens a parcel: True when the spool has its return (or central had it
        and the spool has it now), False when central has none either, None when central could
        not be asked (offline: the parcel opens as unexpected and a supervisor attaches it)."""
        with self.spool.db.reader() as session:
            try:
                if find_rma(session, label) is not None:
                    return True
            except LabelError:
                return True  # the workflow refuses it with its own message
        if self.online is False:
            return None  # known offline: the operator does not wait for a connect timeout
        return self.lookup(label)

    def notify(self) -> None:
        """Something finished (a commit that queued an event): sync soon."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sync_once()
            except Exception:  # the thread never dies; the next round tries again
                log.exception("sync round failed")
            self._wake.wait(self.interval_s)
            self._wake.clear()

    def start(self) -> SpoolSync:
        self._thread = threading.Thread(target=self._run, name="spool-sync", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.central.close()


def fleet_sync(settings: Settings, spool: UnitOfWork, bench_store: PhotoStore) -> SpoolSync | None:
    """The sync of a bench with ``[central] database_url`` set (None: not a fleet bench)."""
    section = settings.central
    if not section.database_url:
        return None
    if settings.evidence.backend != "local" or settings.database.url.startswith("postgresql"):
        raise ConfigError("[central] database_url is set: this bench inspects into a local "
                          "spool ([database] url = sqlite:///..., [evidence] backend = local)")
    return SpoolSync(spool, bench_store, open_central(section), settings.station.id,
                     section.sync_interval_s, section.prefetch_returns)
