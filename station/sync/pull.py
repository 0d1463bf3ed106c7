"""Pulling from central into the spool: the open returns and the people who sign in, and one label on demand.

Central's rows keep their ids in the spool, so what the bench inspects names the same return
lines and people central has. A return the spool already works on is not overwritten; only its
cancellation (or closing) centrally is copied while the spool still has it open, so a bench
refuses a return cancelled meanwhile once it has heard of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from station.db.models import ExpectedItem, Operator, ReturnAuthorization
from station.db.types import utcnow
from station.returns.identify import find_rma
from station.sync.central import Central
from station.sync.push import columns
from station.unit_of_work import UnitOfWork

#: At most this many returns are pulled in one round (the most recently changed first).
PULL_LIMIT = 5000
#: How far before the newest change seen a later round looks again.
SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class Pulled:
    """How many rows one pull changed in the spool."""

    rmas: int = 0
    operators: int = 0


def _rma_rows(session: Session, query: Any) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    found = session.execute(query.options(selectinload(ReturnAuthorization.items))).scalars()
    return [(columns(r), [columns(i) for i in r.items]) for r in found]


def _known(session: Session, rows: list[tuple[dict[str, Any], list[dict[str, Any]]]]
           ) -> tuple[set[str], set[str]]:
    """(primary keys, RMA ids) of these returns that the spool holds already (500 per query)."""
    pks: set[str] = set()
    rma_ids: set[str] = set()
    for start in range(0, len(rows), 500):
        chunk = [rma for rma, _ in rows[start:start + 500]]
        found = session.execute(select(ReturnAuthorization.id, ReturnAuthorization.rma_id).where(
            ReturnAuthorization.id.in_([r["id"] for r in chunk])
            | ReturnAuthorization.rma_id.in_([r["rma_id"] for r in chunk])))
        for pk, rma_id in found:
            pks.add(pk)
            rma_ids.add(rma_id)
    return pks, rma_ids


def _central_statuses(session: Session, pks: list[str]) -> dict[str, str]:
    """Central's status of each of these returns (500 per query)."""
    statuses: dict[str, str] = {}
    for start in range(0, len(pks), 500):
        found = session.execute(select(ReturnAuthorization.id, ReturnAuthorization.status)
                                .where(ReturnAuthorization.id.in_(pks[start:start + 500])))
        statuses.update({pk: status for pk, status in found})
    return statuses


def _store_rmas(session: Session, rows: list[tuple[dict[str, Any], list[dict[str, Any]]]],
                statuses: dict[str, str]) -> int:
    changed = 0
    # one query per 500 for what the spool has already (a later round sees the same rows again)
    known_pks, known_rma_ids = _known(session, rows)
    for rma, items in rows:
        if rma["id"] in known_pks or rma["rma_id"] in known_rma_ids:
            continue  # pulled before, or the spool has another return of that id (made here)
        session.add(ReturnAuthorization(**rma))  # the flush writes returns before their lines
        session.add_all(ExpectedItem(**item) for item in items)
        changed += 1
    for pk, status in statuses.items():
        local = session.get(ReturnAuthorization, pk)
        if local is not None and local.status == "open" and status != "open":
            local.status = status  # cancelled (or closed) centrally while the spool had it open
            changed += 1
    return changed


def _store_operators(session: Session, people: list[dict[str, Any]]) -> int:
    changed = 0
    for person in people:
        local = session.get(Operator, person["id"])
        if local is None:
            same = Operator.username == person["username"]
            if person["badge_id"]:
                same = same | (Operator.badge_id == person["badge_id"])
            if session.execute(select(Operator.id).where(same)).first() is None:
                session.add(Operator(**person))
                changed += 1
        elif columns(local) != person:
            for key, value in person.items():
                setattr(local, key, value)
            changed += 1
    return changed


class Puller:
    """Copies central's open returns and its people into the spool."""

    def __init__(self, central: Central, spool: UnitOfWork, station_id: str,
                 prefetch: bool = True) -> None:
        self.central = central
        self.spool = spool
        self.station_id = station_id
        #: False: no return is copied ahead; a label's return is looked up when it is scanned
        #: and each round asks only after the spool's open returns ([central] prefetch_returns).
        self.prefetch = prefetch
        #: The newest return change pulled so far (None: the next round is a full one).
        self.since: datetime | None = None

    def pull(self) -> Pulled:
        """One round. The first: every open return, the central status of the spool's open
        ones, every person. Later ones: only the returns changed since the newest change seen
        (less ``SLACK``: a transaction that commits late, clocks a little apart), and the people."""
        started = utcnow()
        with self.spool.db.reader() as session:
            local_open = [] if self.since is not None and self.prefetch else list(session.execute(
                select(ReturnAuthorization.id).where(ReturnAuthorization.status == "open")
            ).scalars())
        if not self.prefetch:
            return self._statuses_only(local_open)
        with self.central.db.reader() as session:
            query = select(ReturnAuthorization)
            if self.since is None:
                query = query.where(ReturnAuthorization.status == "open")
            else:
                query = query.where(ReturnAuthorization.updated_at >= self.since - SLACK)
            rows = _rma_rows(session, query.order_by(ReturnAuthorization.updated_at.desc())
                             .limit(PULL_LIMIT))
            statuses = {rma["id"]: rma["status"] for rma, _ in rows}
            statuses.update(_central_statuses(session, local_open))
            people = [columns(o) for o in session.execute(select(Operator)).scalars()]
        pulled = self._store([r for r in rows if r[0]["status"] == "open"], statuses, people,
                             "pull")
        newest = max((rma["updated_at"] for rma, _ in rows), default=None)
        self.since = max(newest, self.since or newest) if newest is not None else (
            self.since or started)
        return pulled

    def _statuses_only(self, local_open: list[str]) -> Pulled:
        """A round without prefetch: central's status of the spool's open returns, and the people."""
        with self.central.db.reader() as session:
            statuses = _central_statuses(session, local_open)
            people = [columns(o) for o in session.execute(select(Operator)).scalars()]
        return self._store([], statuses, people, "pull")

    def lookup(self, label: str) -> bool:
        """The return a scanned label names, fetched from central now (True: the spool has it)."""
        with self.central.db.reader() as session:
            rma = find_rma(session, label)
            if rma is None:
                return False
            rows = [(columns(rma), [columns(i) for i in rma.items])]
            statuses = {rma.id: rma.status}
        self._store(rows, statuses, [], "lookup")
        return True

    def _store(self, rows: list[tuple[dict[str, Any], list[dict[str, Any]]]],
               statuses: dict[str, str], people: list[dict[str, Any]], how: str) -> Pulled:
        with self.spool() as work:
            pulled = Pulled(_store_rmas(work.session, rows, statuses),
                            _store_operators(work.session, people))
            if pulled.rmas or pulled.operators:
                work.audit(actor="sync", action="central.pulled", entity_type="station",
                           entity_id=self.station_id, station_id=self.station_id,
                           data={"how": how, "rmas": pulled.rmas, "operators": pulled.operators})
            return pulled
