"""Races between benches, decided by the database: one open inspection per return and per bench."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from station.context import StationContext
from station.db.models import OPEN_STATE_SQL, Inspection, Station
from station.db.types import utcnow
from station.returns.errors import DomainError
from station.returns.states import OPEN_STATES
from tests.factories import seed_rma

BENCHES = 8


def race(ctx: StationContext, label: str, stations: list[str]) -> list[object]:
    """Every bench scans ``label`` at the same moment (a barrier releases them together)."""
    barrier = threading.Barrier(len(stations))
    results: list[object] = [None] * len(stations)

    def bench(index: int) -> None:
        barrier.wait()
        try:
            results[index] = ctx.inspections.receive(label, stations[index], None, f"op:{index}")
        except DomainError as exc:
            results[index] = exc

    threads = [threading.Thread(target=bench, args=(i,)) for i in range(len(stations))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.parametrize("attempt", range(3))
def test_benches_scanning_one_label_at_once_open_one_inspection(ctx: StationContext,
                                                                attempt: int) -> None:
    seed_rma(ctx)
    stations = [f"bench-{n}" for n in range(BENCHES)]
    with ctx.work() as work:  # the benches exist already (their first scan is not the race)
        work.session.add_all(Station(id=s, name=s) for s in stations)
    results = race(ctx, "TRKRMA-1001", stations)
    winners = [r for r in results if isinstance(r, Inspection)]
    losers = [r for r in results if isinstance(r, DomainError)]
    assert len(winners) == 1 and len(losers) == BENCHES - 1, results
    assert Counter(e.code for e in losers) == {"rma_in_progress": BENCHES - 1}
    where = winners[0].station_id
    assert all(e.params == {"station": where} and f"bench {where}" in e.message for e in losers)
    with ctx.db.reader() as session:
        assert session.execute(select(func.count()).select_from(Inspection)).scalar_one() == 1


def test_the_database_itself_refuses_a_second_open_inspection(ctx: StationContext) -> None:
    """Not only the workflow's checks: a raw second row for the same return or bench fails."""
    seed_rma(ctx)
    first = ctx.inspections.receive("TRKRMA-1001", "bench-a", None, "op")
    with ctx.db.transaction() as session:
        session.add(Station(id="bench-b", name="bench-b"))
    for station_id, rma_pk in (("bench-b", first.rma_pk), ("bench-a", None)):
        with pytest.raises(IntegrityError), ctx.db.transaction() as session:
            session.add(Inspection(rma_pk=rma_pk, station_id=station_id, state="received",
                                   label="x", received_at=utcnow()))
    # once the first is finished (closed), the return may be inspected again
    with ctx.db.transaction() as session:
        session.execute(update(Inspection).values(state="flagged"))
        session.add(Inspection(rma_pk=first.rma_pk, station_id="bench-b", state="received",
                               label="again", received_at=utcnow()))


def test_the_index_condition_names_exactly_the_open_states() -> None:
    named = set(OPEN_STATE_SQL.split("(", 1)[1].rstrip(")").replace("'", "").replace(" ", "")
                .split(","))
    assert named == {s.value for s in OPEN_STATES}
