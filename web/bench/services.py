"""What the bench screens need besides the domain: its devices, its station id, held-back stills."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import func, select

from drivers.camera.capture import Still
from drivers.scanner.events import ScanEvent
from drivers.state import DeviceState, DeviceStatus
from station.db.engine import Database
from station.db.models import Inspection
from station.devices import DeviceManager

#: Devices the bench screen shows, in this order (a bench without one shows it as not set up).
BENCH_DEVICES = ("scale", "scanner", "camera")


@dataclass
class PendingPhoto:
    """A still the quality check found wanting: kept in memory until kept or retaken."""

    angle: str
    still: Still
    unit_id: str | None = None  # None: a photo of the parcel


@dataclass
class BenchServices:
    """One bench's live parts (``devices`` is None under `station serve`)."""

    station_id: str
    devices: DeviceManager | None
    simulated: bool
    _pending: dict[str, PendingPhoto] = field(default_factory=dict)
    _kept_scans: dict[str, list[ScanEvent]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: The newest live stream each signed-in session opened (an older one is a page left behind).
    _streams: dict[str, int] = field(default_factory=dict)
    _stream_count: int = 0

    def open_stream(self, signin_id: str) -> int:
        """Number a session's new live stream; it is that session's newest from now on."""
        with self._lock:
            self._stream_count += 1
            self._streams[signin_id] = self._stream_count
            return self._stream_count

    def newest_stream(self, signin_id: str, number: int) -> bool:
        """True while stream ``number`` is the newest its session opened."""
        with self._lock:
            return self._streams.get(signin_id) == number

    def device_states(self) -> list[DeviceStatus]:
        """Each bench device's state; a device the bench has no driver for is disconnected."""
        states = self.devices.states() if self.devices is not None else {}
        shown = [states.get(name) or DeviceStatus(name, DeviceState.DISCONNECTED, _("not set up"))
                 for name in BENCH_DEVICES]
        extra = [s for name, s in sorted(states.items()) if name not in BENCH_DEVICES]
        return shown + extra

    def device_ready(self, name: str) -> bool:
        states = self.devices.states() if self.devices is not None else {}
        status = states.get(name)
        return status is not None and status.state is DeviceState.READY

    def hold(self, inspection_id: str, photo: PendingPhoto) -> None:
        with self._lock:
            self._pending[inspection_id] = photo

    def take_pending(self, inspection_id: str, angle: str) -> PendingPhoto | None:
        with self._lock:
            pending = self._pending.get(inspection_id)
            if pending is None or pending.angle != angle:
                return None
            return self._pending.pop(inspection_id)

    def pending(self, inspection_id: str) -> PendingPhoto | None:
        with self._lock:
            return self._pending.get(inspection_id)

    def keep_scan(self, inspection_id: str, event: ScanEvent) -> None:
        """An item scanned before the parcel was weighed: counted once the weight is taken."""
        with self._lock:
            self._kept_scans.setdefault(inspection_id, []).append(event)

    def take_kept_scans(self, inspection_id: str) -> list[ScanEvent]:
        with self._lock:
            return self._kept_scans.pop(inspection_id, [])

    def drop_pending(self, inspection_id: str) -> None:
        with self._lock:
            self._pending.pop(inspection_id, None)


def done_today(db: Database, station_id: str, zone: ZoneInfo,
               now: datetime | None = None) -> int:
    """Parcels this bench finished since midnight in the station's time zone (completed or
    handed to a supervisor): a bench in Shanghai starts counting at 00:00 Shanghai time."""
    local = (now or datetime.now(UTC)).astimezone(zone)
    midnight = datetime.combine(local.date(), time(0), tzinfo=zone).astimezone(UTC)
    with db.reader() as session:
        count = session.execute(
            select(func.count(Inspection.id))
            .where(Inspection.station_id == station_id)
            .where(Inspection.completed_at >= midnight)
        ).scalar_one()
    return int(count)


def bench_services(app: Flask) -> BenchServices:
    services: BenchServices = app.extensions["bench"]
    return services
