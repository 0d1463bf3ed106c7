"""'Parcels done today' counts from midnight in the station's time zone, not UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from station.context import StationContext
from station.db.models import Inspection, Station
from web.bench.services import done_today

SHANGHAI = ZoneInfo("Asia/Shanghai")  # UTC+8, no DST


def test_done_today_starts_at_local_midnight(ctx: StationContext) -> None:
    with ctx.db.transaction() as session:
        session.add(Station(id="bench-sh", name="Shanghai bench"))
        session.flush()
        for label, completed in (("yesterday-local", datetime(2026, 12, 2, 15, 30, tzinfo=UTC)),
                                 ("today-local", datetime(2026, 12, 2, 16, 30, tzinfo=UTC))):
            session.add(Inspection(station_id="bench-sh", state="completed", label=label,
                                   received_at=completed, completed_at=completed))
    # 02:00 on 3 December in Shanghai = 18:00 UTC on 2 December
    now = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
    assert done_today(ctx.db, "bench-sh", SHANGHAI, now) == 1  # 23:30 local yesterday is not today
    assert done_today(ctx.db, "bench-sh", ZoneInfo("UTC"), now) == 2
