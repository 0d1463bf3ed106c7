"""Pushing one finished inspection of the spool to central: photos first, then its rows in one transaction.

Idempotent by the ids made at the bench (ULIDs, station/db/types.py ``new_id``): central already
holding the inspection's id means an earlier push committed, and nothing is written again. The
events the platform receives (``return.received`` / ``return.unexpected``, then the finished
state's event) are emitted in central's transaction, with central's audit head; one audited
``inspection.synced`` event names the bench's audit hash of the inspection. A return cancelled
or inspected elsewhere meanwhile is a conflict: the inspection is stored flagged, with the
reason, in the supervisor queue; nothing already central is overwritten (a license plate
central already has, from a spool whose plate counter started again, is left off the unit and
kept in its review as ``bench_lpn`` for relabelling).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from station.db.engine import Database
from station.db.models import (
    AuditEvent,
    Base,
    ChecklistAnswer,
    Inspection,
    InspectionUnit,
    LabelPrint,
    Operator,
    Photo,
    ReturnAuthorization,
    Scan,
    Station,
    Tote,
)
from station.db.sync_models import SpoolSync
from station.db.types import utcnow
from station.evidence.store import EvidenceError, PhotoStore, sha256_hex
from station.returns.states import CLOSED_STATES, EVENT_ON_ENTER, OPEN_STATES, InspectionState
from station.returns.transitions import Transitions
from station.sync.central import Central
from station.unit_of_work import UnitOfWork

S = InspectionState
FINISHED = sorted(s.value for s in CLOSED_STATES)
#: Why a synced inspection went to the supervisor queue (its flag is ``sync_<reason>``).
CONFLICTS = ("rma_cancelled", "rma_inspected_elsewhere", "rma_in_progress_elsewhere",
             "rma_unknown", "plate_taken")


def columns(row: Base) -> dict[str, Any]:
    """Every column of ``row`` as plain values (what a copy on the other database is made of)."""
    return {attr.key: getattr(row, attr.key) for attr in inspect(type(row)).column_attrs}


@dataclass
class Spooled:
    """One finished inspection read from the spool, with everything that is pushed with it."""

    inspection: dict[str, Any]
    rma_id: str | None
    rma_status: str | None
    #: Spool expected_item id -> its RMA line id (central's item ids are found by line id).
    lines: dict[str, str]
    audit_seq: int
    audit_hash: str
    scans: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)
    photos: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)
    totes: list[dict[str, Any]] = field(default_factory=list)
    operators: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.inspection["id"])


@dataclass(frozen=True)
class PushResult:
    """What central did with one pushed inspection."""

    inspection_id: str
    already: bool = False
    conflict: str | None = None
    central_audit_seq: int | None = None


def _waiting_query() -> Any:
    return (select(Inspection.id).where(Inspection.state.in_(FINISHED))
            .where(Inspection.id.notin_(select(SpoolSync.inspection_id))))


def waiting_ids(spool: Database, limit: int = 100) -> list[str]:
    """Finished inspections central has not confirmed yet, oldest first."""
    with spool.reader() as session:
        query = _waiting_query().order_by(Inspection.received_at, Inspection.id).limit(limit)
        return list(session.execute(query).scalars())


def waiting_count(spool: Database) -> int:
    """How many finished inspections wait for central."""
    with spool.reader() as session:
        return int(session.execute(select(func.count()).select_from(
            _waiting_query().subquery())).scalar_one())


def read_spooled(spool: Database, inspection_id: str) -> Spooled:
    """The inspection and its rows as plain values, from one read of the spool."""
    with spool.reader() as session:
        row = session.get(Inspection, inspection_id)
        if row is None:
            raise EvidenceError(f"inspection {inspection_id} is not in the spool")
        rma = row.rma
        last = session.execute(
            select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.entity_type == "inspection")
            .where(AuditEvent.entity_id == inspection_id).order_by(AuditEvent.seq.desc()).limit(1)
        ).first()
        spooled = Spooled(
            columns(row), rma.rma_id if rma else None, rma.status if rma else None,
            {item.id: item.line_id for item in rma.items} if rma else {},
            int(last.seq) if last else 0, str(last.hash) if last else "",
            scans=[columns(s) for s in row.scans], units=[columns(u) for u in row.units],
            photos=[columns(p) for p in row.photos],
        )
        spooled.answers = [columns(a) for a in session.execute(
            select(ChecklistAnswer).where(ChecklistAnswer.inspection_id == inspection_id)
        ).scalars()]
        unit_ids = [u["id"] for u in spooled.units]
        tote_ids = {u["tote_id"] for u in spooled.units if u["tote_id"]}
        if unit_ids:
            spooled.labels = [columns(x) for x in session.execute(
                select(LabelPrint).where(LabelPrint.unit_id.in_(unit_ids))).scalars()]
        if tote_ids:
            spooled.totes = [columns(t) for t in session.execute(
                select(Tote).where(Tote.id.in_(tote_ids))).scalars()]
        people = {row.operator_id, row.reviewed_by, *(p["taken_by"] for p in spooled.photos),
                  *(a["answered_by"] for a in spooled.answers)} - {None}
        if people:
            spooled.operators = [columns(o) for o in session.execute(
                select(Operator).where(Operator.id.in_(people))).scalars()]
        return spooled


def upload_photos(spooled: Spooled, bench: PhotoStore, central: PhotoStore) -> int:
    """Every photo the rows name, into central's store and checked there, before the rows go.

    The spool's file is read and re-hashed (a damaged local copy is never sent); the S3 store
    uploads with the SHA-256 the server verifies and reads it back with HeadObject; a folder
    store is read back and hashed. The local file stays either way.
    """
    for photo in spooled.photos:
        key, digest = photo["storage_key"], photo["sha256"]
        data = bench.get_original(key)
        if sha256_hex(data) != digest:
            raise EvidenceError(f"photo {photo['id']}: the spool's file does not match its SHA-256")
        stored = central.put_original(data, digest)
        attested = central.attested(stored.storage_key)
        if attested is None:
            attested = sha256_hex(central.get_original(stored.storage_key)), stored.size_bytes
        if attested != (digest, len(data)):
            raise EvidenceError(f"photo {photo['id']}: central's copy does not match its SHA-256")
    return len(spooled.photos)


def _operators(session: Session, people: list[dict[str, Any]]) -> dict[str, str | None]:
    """Spool operator id -> central id: the same id, copied when central lacks it; None when
    its username or badge belongs to someone else there (the inspection keeps no wrong name)."""
    mapping: dict[str, str | None] = {}
    for person in people:
        if session.get(Operator, person["id"]) is not None:
            mapping[person["id"]] = person["id"]
            continue
        same = Operator.username == person["username"]
        if person["badge_id"]:
            same = same | (Operator.badge_id == person["badge_id"])
        if session.execute(select(Operator.id).where(same)).first() is None:
            session.add(Operator(**person))
            mapping[person["id"]] = person["id"]
        else:
            mapping[person["id"]] = None
    session.flush()
    return mapping


def _conflict(session: Session, spooled: Spooled, rma: ReturnAuthorization | None) -> str | None:
    if spooled.rma_id is None:
        return None  # an unexpected parcel: no return to disagree with
    if rma is None:
        return "rma_unknown"
    if rma.status == "cancelled":
        return "rma_cancelled"
    other = session.execute(
        select(Inspection).where(Inspection.rma_pk == rma.id).where(Inspection.id != spooled.id)
        .order_by(Inspection.received_at.desc()).limit(1)
    ).scalar_one_or_none()
    if other is None:
        return None
    if S(other.state) in OPEN_STATES:
        return "rma_in_progress_elsewhere"
    return None if other.review.get("outcome") == "reinspect" else "rma_inspected_elsewhere"


class Pusher:
    """Writes spooled inspections to central; ``after_central_commit`` is the test's crash point."""

    def __init__(self, central: Central, spool: UnitOfWork) -> None:
        self.central = central
        self.spool = spool
        self.steps = Transitions(central.public_url)
        #: Called with the inspection id after central committed, before the spool records it.
        self.after_central_commit: Callable[[str], None] | None = None

    def push(self, spooled: Spooled) -> PushResult:
        """One central transaction for the inspection (or none when central has it already)."""
        result = self._write_central(spooled)
        if self.after_central_commit is not None:
            self.after_central_commit(spooled.id)
        self._confirm(result)
        return result

    def _write_central(self, spooled: Spooled) -> PushResult:
        with self.central.work() as work:
            session = work.session
            there = session.get(Inspection, spooled.id)
            if there is not None:  # an earlier push committed; its answer was lost
                return PushResult(spooled.id, already=True,
                                  conflict=there.review.get("sync_conflict", {}).get("reason"))
            values = dict(spooled.inspection)
            if session.get(Station, values["station_id"]) is None:
                session.add(Station(id=values["station_id"], name=values["station_id"]))
            people = _operators(session, spooled.operators)
            rma = None
            if spooled.rma_id is not None:
                rma = session.execute(select(ReturnAuthorization).where(
                    ReturnAuthorization.rma_id == spooled.rma_id).with_for_update()
                ).scalar_one_or_none()
            conflict = _conflict(session, spooled, rma)
            plates = [u["lpn"] for u in spooled.units if u["lpn"]]
            taken = set(session.execute(select(InspectionUnit.lpn).where(
                InspectionUnit.lpn.in_(plates))).scalars()) if plates else set()
            if taken and conflict is None:
                conflict = "plate_taken"  # the spool's plate counter restarted (a new spool)
            items = {i.line_id: i.id for i in rma.items} if rma is not None else {}

            def item(spool_item_id: str | None) -> str | None:
                return items.get(spooled.lines.get(spool_item_id or "", ""))

            values["rma_pk"] = rma.id if rma is not None else None
            values["operator_id"] = people.get(values["operator_id"] or "")
            values["reviewed_by"] = people.get(values["reviewed_by"] or "")
            if conflict is not None:
                values["review"] = {**values["review"], "sync_conflict": {
                    "reason": conflict, "bench_state": values["state"]}}
                values["state"] = S.FLAGGED.value
                values["flags"] = sorted({*values["flags"], f"sync_{conflict}"}
                                         | ({"sync_plate_taken"} if taken else set()))
                values["reviewed_by"] = values["reviewed_at"] = None
            inspection = Inspection(**values)
            session.add(inspection)
            for tote in spooled.totes:
                if session.get(Tote, tote["id"]) is None:
                    sscc_taken = tote["sscc"] and session.execute(select(Tote.id).where(
                        Tote.sscc == tote["sscc"])).first() is not None
                    session.add(Tote(**{**tote, "sscc": None}) if sscc_taken else Tote(**tote))
            session.flush()
            for scan in spooled.scans:
                session.add(Scan(**{**scan, "matched_item_id": item(scan["matched_item_id"])}))
            session.flush()
            for unit in spooled.units:
                row = {**unit, "expected_item_id": item(unit["expected_item_id"])}
                if unit["lpn"] in taken:  # central's plate stays; the bench's is kept for relabelling
                    row.update(lpn=None, review={**unit["review"], "bench_lpn": unit["lpn"]})
                session.add(InspectionUnit(**row))
            for photo in spooled.photos:
                session.add(Photo(**{**photo, "taken_by": people.get(photo["taken_by"] or "")}))
            for answer in spooled.answers:
                session.add(ChecklistAnswer(**{**answer,
                                               "answered_by": people.get(answer["answered_by"] or "")}))
            for label in spooled.labels:
                session.add(LabelPrint(**label))
            if rma is not None and conflict is None and spooled.rma_status is not None:
                rma.status, rma.updated_at = spooled.rma_status, utcnow()
            session.flush()
            session.expire(inspection, ["rma", "scans", "photos", "units"])
            event = work.audit(
                actor=f"bench:{values['station_id']}", action="inspection.synced",
                entity_type="inspection", entity_id=spooled.id, station_id=values["station_id"],
                data={"bench_audit_seq": spooled.audit_seq, "bench_audit_hash": spooled.audit_hash,
                      "conflict": conflict, "photos": len(spooled.photos)})
            work.touch(inspection)
            self.steps.emit(work, "return.unexpected" if inspection.unexpected
                            else "return.received", inspection)
            final = EVENT_ON_ENTER.get(S(inspection.state))
            if final is not None:
                self.steps.emit(work, final, inspection)
            return PushResult(spooled.id, conflict=conflict, central_audit_seq=event.seq)

    def _confirm(self, result: PushResult) -> None:
        """The spool's record that central holds it (audited in the bench's own chain)."""
        with self.spool() as work:
            work.session.add(SpoolSync(inspection_id=result.inspection_id,
                                       central_audit_seq=result.central_audit_seq,
                                       conflict=result.conflict))
            work.audit(actor="sync", action="inspection.sync_confirmed", entity_type="inspection",
                       entity_id=result.inspection_id,
                       data={"central_audit_seq": result.central_audit_seq,
                             "conflict": result.conflict, "already_central": result.already})
