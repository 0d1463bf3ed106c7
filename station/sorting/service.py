"""Plates, destinations and sort scans: each unit leaves the bench labelled and scanned into its place.

At confirm every unit found in the parcel gets its license plate and the destination the site's
sort rules give it, and its label is queued (``label_units``, inside the confirm's unit of
work). The bench then asks for the destination's barcode per unit (``sort_scan``): a fixed
place's own barcode, or the code of a tote or cart. The right one records the sort (audited,
``unit.sorted`` webhook); a wrong one changes nothing and says where the unit goes. A tote is
opened by scanning a fresh tote code for the destination, fills up to its capacity and is then
closed (its label and manifest are queued, ``tote.closed``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from station.config import LabelsSection
from station.db.models import Inspection, InspectionUnit, LabelPrint, Tote
from station.db.types import utcnow
from station.returns.errors import DomainError, NotFound
from station.returns.transitions import load, ordering_key
from station.sorting.plates import next_plates, station_code
from station.sorting.rules import Destination, SortRules
from station.unit_of_work import UnitOfWork, Work
from station.vocabulary import UnitKind

SortResult = Literal["sorted", "tote_opened", "tote_closed", "selected", "wrong_place",
                     "unknown_code", "tote_elsewhere", "nothing_to_sort"]
#: Results that stored something.
STORED = ("sorted", "tote_opened", "tote_closed")


@dataclass(frozen=True)
class SortAnswer:
    """What a sort scan did (or why it did nothing), with the facts the bench shows."""

    result: SortResult
    position: int | None = None
    lpn: str | None = None
    destination: str | None = None
    tote: str | None = None
    #: Where the scanned code belongs instead (wrong_place / tote_elsewhere).
    scanned_for: str | None = None
    closed_tote_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.result in (*STORED, "selected")


@dataclass
class SortService:
    """The directed sort of one bench (or of the central server's review pages)."""

    work: UnitOfWork
    rules: SortRules
    labels: LabelsSection
    station_id: str
    timezone: str = "UTC"
    #: Codes of fixed places and rule names are data; the plate prefix is this bench's.
    code: str = field(init=False)

    def __post_init__(self) -> None:
        self.code = station_code(self.station_id, self.labels.station_code)

    # -- at confirm ------------------------------------------------------------------------
    def today(self, now: datetime | None = None) -> date:
        return (now or utcnow()).astimezone(ZoneInfo(self.timezone)).date()

    def label_units(self, work: Work, inspection: Inspection, actor: str,
                    only: set[str] | None = None) -> list[InspectionUnit]:
        """Plate and destination for every unit found (or the ``only`` ones); queue labels.

        A unit without a plate gets the next one. A unit whose label already printed with
        another grade, disposition or destination (its answers changed, or the parcel was
        flagged at the confirm) gets its destination again and a new label.
        """
        present = [u for u in inspection.units if u.kind != UnitKind.MISSING
                   and (only is None or u.id in only)]
        fresh = [u for u in present if u.lpn is None]
        plates = next_plates(work.session, self.code, self.today(), len(fresh)) if fresh else []
        for unit, plate in zip(fresh, plates, strict=True):
            unit.lpn = plate
        parcel_flags = {str(f) for f in inspection.flags}
        labelled: list[InspectionUnit] = []
        for unit in present:
            unit.destination = self.destination_of(unit, parcel_flags).code
            face = {"grade": unit.grade, "disposition": unit.disposition,
                    "destination": unit.destination}
            last = last_job(work.session, unit_id=unit.id)
            if last is not None and last.printed_as == face:
                continue
            if unit not in fresh and last is None and self.labels.print_at == "never":
                continue
            labelled.append(unit)
            if self.labels.print_at != "never":
                job = self.queue_label(work, unit=unit, actor=actor,
                                       reprint_of=last.id if last is not None else None)
                job.printed_as = face
        if not labelled:
            return []
        work.session.flush()
        work.audit(actor=actor, action="units.labelled", entity_type="inspection",
                   entity_id=inspection.id, station_id=inspection.station_id,
                   data={"units": [{"position": u.position, "lpn": u.lpn,
                                    "destination": u.destination, "grade": u.grade,
                                    "new": u in fresh} for u in labelled]})
        return labelled

    def label_unit(self, inspection_id: str, unit_id: str, actor: str) -> None:
        """``print_at = "unit"``: label one unit as its outcome is done (at the bench)."""
        if self.labels.print_at != "unit":
            return
        with self.work() as work:
            self.label_units(work, load(work.session, inspection_id), actor, only={unit_id})

    def destination_of(self, unit: InspectionUnit, parcel_flags: set[str]) -> Destination:
        flags = {str(f) for f in unit.flags} | parcel_flags
        if unit.kind == UnitKind.UNDECLARED:
            flags.add("undeclared_item")
        return self.rules.destination_for(unit.disposition, unit.grade, unit.category or "", flags)

    def queue_label(self, work: Work, *, unit: InspectionUnit | None = None,
                    tote: Tote | None = None, actor: str | None = None,
                    reprint_of: str | None = None, printer: str = "",
                    station_id: str | None = None) -> LabelPrint:
        """A print job for this bench (or ``station_id``: the bench that labelled the unit)."""
        job = LabelPrint(kind="unit" if unit is not None else "tote",
                         unit_id=unit.id if unit is not None else None,
                         tote_id=tote.id if tote is not None else None,
                         station_id=station_id or self.station_id, printer=printer or self.labels.printer_url,
                         layout=self.labels.layout, dpi=self.labels.dpi, status="queued",
                         attempts=0, error="", reprint_of=reprint_of, requested_by=actor,
                         created_at=utcnow())
        work.session.add(job)
        work.labels_queued += 1
        return job

    def reprint(self, actor: str, *, unit_id: str | None = None, tote_id: str | None = None,
                printer: str = "", why: str = "") -> str:
        """Queue the label of a unit (or tote) again, audited; returns the new job's id."""
        with self.work() as work:
            unit = work.session.get(InspectionUnit, unit_id) if unit_id else None
            tote = work.session.get(Tote, tote_id) if tote_id else None
            if unit is None and tote is None:
                raise NotFound("label_not_found", "no such unit or tote to print")
            if unit is not None and unit.lpn is None:
                raise DomainError("not_labelled", "this unit has no license plate yet")
            last = last_job(work.session, unit_id=unit.id if unit is not None else None,
                            tote_id=tote_id if unit is None else None)
            previous = last.id if last is not None else None
            bench = unit.inspection.station_id if unit is not None else (
                tote.station_id if tote is not None else self.station_id)
            job = self.queue_label(work, unit=unit, tote=None if unit is not None else tote,
                                   actor=actor, reprint_of=previous, printer=printer,
                                   station_id=bench)
            if unit is not None:
                job.printed_as = {"grade": unit.grade, "disposition": unit.disposition,
                                  "destination": unit.destination}
            work.session.flush()
            work.audit(actor=actor, action="label.reprint_requested",
                       entity_type="inspection_unit" if unit is not None else "tote",
                       entity_id=unit.id if unit is not None else str(tote_id),
                       station_id=bench,
                       data={"job": job.id, "reprint_of": previous, "lpn": unit.lpn if unit
                             else None, "printer": printer or "bench", "why": why[:500]})
            return job.id

    # -- at the sort -----------------------------------------------------------------------
    def sort_scan(self, inspection_id: str, code: str, actor: str,
                  position: int | None = None) -> SortAnswer:
        """A scan on the sort screen: an LPN selects its unit, a place or tote sorts it."""
        code = code.strip().upper()
        with self.work() as work:
            inspection = load(work.session, inspection_id)
            waiting = [u for u in inspection.units if u.lpn and u.sorted_at is None]
            by_plate = next((u for u in inspection.units if u.lpn == code), None)
            if by_plate is not None:
                return SortAnswer("selected", by_plate.position, by_plate.lpn,
                                  by_plate.destination)
            chosen = [u for u in waiting if position is None or u.position == position]
            if not chosen:
                return SortAnswer("nothing_to_sort")
            unit = chosen[0]
            return self._sort(work, inspection, unit, code, actor)

    def _sort(self, work: Work, inspection: Inspection, unit: InspectionUnit, code: str,
              actor: str) -> SortAnswer:
        assert unit.destination is not None
        place = self.rules.destination(unit.destination)
        base = SortAnswer("nothing_to_sort", unit.position, unit.lpn, place.code)
        if not place.is_container:
            if code == place.place_barcode:
                self._record(work, inspection, unit, actor, None)
                return replace(base, result="sorted")
            return self._refusal(work.session, code, base)
        if not self.rules.is_container_code(code):
            return self._refusal(work.session, code, base)
        tote = open_tote(work.session, code)
        if tote is not None and tote.destination != place.code:
            return replace(base, result="wrong_place", scanned_for=tote.destination, tote=code)
        result: SortResult = "sorted"
        if tote is None:
            current = self.open_tote_for(work.session, place.code)
            if current is not None:
                return replace(base, result="tote_elsewhere", tote=current.code)
            assert place.capacity is not None
            tote = Tote(code=code, destination=place.code, station_id=self.station_id,
                        capacity=place.capacity, units_in=0, status="open",
                        opened_at=utcnow(), opened_by=actor)
            work.session.add(tote)
            work.session.flush()
            work.audit(actor=actor, action="tote.opened", entity_type="tote", entity_id=tote.id,
                       station_id=self.station_id,
                       data={"code": code, "destination": place.code})
            result = "tote_opened"
        tote.units_in += 1
        self._record(work, inspection, unit, actor, tote)
        if tote.units_in >= tote.capacity:
            self._close(work, tote, actor, reason="full")
            return replace(base, result="tote_closed", tote=code, closed_tote_id=tote.id)
        return replace(base, result=result, tote=code)

    def _refusal(self, session: Session, code: str, base: SortAnswer) -> SortAnswer:
        other = self.rules.place_with_barcode(code)
        if other is not None:
            return replace(base, result="wrong_place", scanned_for=other.code)
        tote = open_tote(session, code) if self.rules.is_container_code(code) else None
        if tote is not None:
            return replace(base, result="wrong_place", scanned_for=tote.destination, tote=code)
        if self.rules.is_container_code(code):
            return replace(base, result="wrong_place", tote=code)
        return replace(base, result="unknown_code")

    def _record(self, work: Work, inspection: Inspection, unit: InspectionUnit, actor: str,
                tote: Tote | None) -> None:
        unit.sorted_at = utcnow()
        unit.sorted_by = actor
        unit.tote_id = tote.id if tote is not None else None
        data = {"unit_id": unit.id, "lpn": unit.lpn, "destination": unit.destination,
                "tote": tote.code if tote is not None else None}
        work.audit(actor=actor, action="unit.sorted", entity_type="inspection_unit",
                   entity_id=unit.id, station_id=inspection.station_id, data=data)
        work.emit("unit.sorted", ordering_key(inspection), {
            **data,
            "inspection_id": inspection.id,
            "rma_id": inspection.rma.rma_id if inspection.rma else None,
            "position": unit.position,
            "sku": unit.sku,
            "grade": unit.grade,
            "disposition": unit.disposition,
            "sorted_at": unit.sorted_at.isoformat(),
            "sorted_by": actor,
            "station_id": inspection.station_id,
        })

    # -- totes -----------------------------------------------------------------------------
    def open_tote_for(self, session: Session, destination: str) -> Tote | None:
        return session.execute(
            select(Tote).where(Tote.status == "open", Tote.destination == destination,
                               Tote.station_id == self.station_id)
            .order_by(Tote.opened_at)
        ).scalars().first()

    def close_tote(self, tote_id: str, actor: str) -> Tote:
        """Close an open tote by hand (it is full before its capacity, or the shift ends)."""
        with self.work() as work:
            tote = work.session.get(Tote, tote_id, with_for_update=True)
            if tote is None:
                raise NotFound("tote_not_found", f"no tote {tote_id}")
            if tote.status != "open":
                raise DomainError("tote_closed", f"tote {tote.code} is closed already")
            self._close(work, tote, actor, reason="closed")
            return tote

    def _close(self, work: Work, tote: Tote, actor: str, reason: str) -> None:
        from station.labels.gs1 import sscc  # the label package sits beside this one

        tote.status = "closed"
        tote.closed_at = utcnow()
        tote.closed_by = actor
        if self.labels.gs1_company_prefix:
            prefix = self.labels.gs1_company_prefix
            tote.sscc = sscc(prefix, next_serial_reference(work.session, prefix))
        work.session.flush()
        lpns = tote_lpns(work.session, tote.id)
        data = {"tote_id": tote.id, "code": tote.code, "destination": tote.destination,
                "sscc": tote.sscc, "units": len(lpns), "lpns": lpns, "reason": reason,
                "station_id": tote.station_id, "closed_at": tote.closed_at.isoformat(),
                "closed_by": actor}
        work.audit(actor=actor, action="tote.closed", entity_type="tote", entity_id=tote.id,
                   station_id=tote.station_id, data=data)
        work.emit("tote.closed", f"tote:{tote.id}", data)
        if self.labels.print_at != "never":
            self.queue_label(work, tote=tote, actor=actor)


def last_job(session: Session, *, unit_id: str | None = None,
             tote_id: str | None = None) -> LabelPrint | None:
    """The newest label job of a unit (or of a tote)."""
    which = LabelPrint.unit_id == unit_id if unit_id is not None else LabelPrint.tote_id == tote_id
    return session.execute(
        select(LabelPrint).where(which)
        .order_by(LabelPrint.created_at.desc(), LabelPrint.id.desc()).limit(1)
    ).scalars().first()


def open_tote(session: Session, code: str) -> Tote | None:
    return session.execute(
        select(Tote).where(Tote.code == code, Tote.status == "open")
    ).scalars().first()


def tote_lpns(session: Session, tote_id: str) -> list[str]:
    """The manifest of a tote: the plates of the units in it, in the order they went in."""
    return [lpn for lpn in session.execute(
        select(InspectionUnit.lpn).where(InspectionUnit.tote_id == tote_id)
        .order_by(InspectionUnit.sorted_at, InspectionUnit.id)
    ).scalars() if lpn]


def next_serial_reference(session: Session, prefix: str) -> str:
    """The next SSCC serial reference under ``prefix``: one after the highest stored.

    An SSCC is extension digit 0, the company prefix, the serial reference and a check digit
    (18 digits). Benches on one database share the sequence; the database refuses a duplicate.
    """
    width = 16 - len(prefix)
    highest = session.execute(
        select(func.max(Tote.sscc)).where(Tote.sscc.like(f"0{prefix}%"))
    ).scalar_one_or_none()
    following = int(highest[1 + len(prefix):17]) + 1 if highest else 1
    if following >= 10 ** width:
        raise DomainError("sscc_exhausted", f"no SSCC serial references left under {prefix}")
    return str(following).zfill(width)
