"""The inspection workflow: each bench step is one transaction with its audit event and outbox event."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from station.db.models import ChecklistAnswer, Inspection, Photo, Scan, Station
from station.db.types import new_id, utcnow
from station.evidence.store import PhotoStore, original_key, sha256_hex
from station.policy.inputs import Checklist
from station.policy.model import Policy
from station.returns import angles, grading
from station.returns.errors import DomainError, IllegalTransition, NotFound
from station.returns.identify import find_rma
from station.returns.line_counts import LineCount, line_counts, matched_serials
from station.returns.rules.types import ScannedItem
from station.returns.scan_match import match_scan
from station.returns.states import OPEN_STATES, InspectionState
from station.returns.transitions import Transitions, load, require_open
from station.returns.unit_outcomes import decide_unit, parcel_totals
from station.returns.unit_steps import UnitSteps
from station.returns.units import sync_units
from station.unit_of_work import UnitOfWork, Work

S = InspectionState


@dataclass(frozen=True)
class ReturnSettings:
    """The knobs of the workflow that come from station.toml [returns]."""

    no_reason_window_days: int = 7
    default_window_days: int = 30
    weight_tolerance_g: float = 50.0
    weight_tolerance_pct: float = 5.0
    packaging_allowance_g: float = 150.0
    photo_angles: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {"general": ("parcel", "item", "label")}
    )


@dataclass(frozen=True)
class ScanResult:
    """What the bench shows after an item scan: match / mismatch / extra and why."""

    scan_id: str
    result: str
    detail: str
    line_id: str | None
    code: str = ""
    needs_serial: bool = False
    #: Each RMA line's counts after this scan (what the bench shows next to the verdict).
    lines: tuple[LineCount, ...] = ()


class InspectionService(UnitSteps):
    """Runs the bench steps against the database, photo store and policy, one unit of work each."""

    def __init__(
        self,
        work: UnitOfWork,
        store: PhotoStore,
        policy: Policy,
        settings: ReturnSettings | None = None,
        public_url: str = "",
    ) -> None:
        self.work = work
        self.db = work.db
        self.store = store
        self.policy = policy
        self.settings = settings or ReturnSettings()
        self.steps = Transitions(public_url)
        #: Labels the units at confirm (plates, destinations, print jobs): the sort service's
        #: ``label_units``, set by station/context.py; None labels nothing.
        self.on_confirm: Callable[[Work, Inspection, str], object] | None = None
        #: Writes photo originals while their step's transaction runs (add_photo).
        self._photo_writer = ThreadPoolExecutor(max_workers=2, thread_name_prefix="photo-write")

    def _inputs_changed(self, work: Work, inspection: Inspection, actor: str) -> None:
        """A graded inspection whose inputs change must be graded again."""
        if inspection.state == S.GRADED:
            self.steps.move(work, inspection, S.CHECKLIST_DONE, actor, why="inputs changed")
            _clear_decision(inspection)

    # -- queries ----------------------------------------------------------------------------

    def get(self, inspection_id: str) -> Inspection:
        with self.db.reader() as session:
            inspection = session.get(Inspection, inspection_id)
            if inspection is None:
                raise NotFound("inspection_not_found", f"no inspection {inspection_id}")
            _ = inspection.rma, inspection.scans, inspection.photos, inspection.units
            if inspection.rma is not None:
                _ = inspection.rma.items
            return inspection

    def open_inspection(self, station_id: str) -> Inspection | None:
        """The inspection this bench was working on (resumed after a restart or power loss)."""
        with self.db.reader() as session:
            found = session.execute(
                select(Inspection.id)
                .where(Inspection.station_id == station_id)
                .where(Inspection.state.in_([s.value for s in OPEN_STATES]))
                .order_by(Inspection.received_at.desc())
                .limit(1)
            ).scalar_one_or_none()
        return self.get(found) if found else None

    # -- steps ------------------------------------------------------------------------------

    def receive(self, label: str, station_id: str, operator_id: str | None, actor: str) -> Inspection:
        """Identify a parcel by its label; unknown labels open a flagged 'unexpected return'.

        The database holds at most one open inspection per return and per bench (migration
        0005). When another bench won the race for this label in the same instant, this one's
        insert is refused; the step is then run once more, and its checks now see the winner
        and say where the return is being inspected.
        """
        try:
            return self._receive(label, station_id, operator_id, actor)
        except IntegrityError:
            return self._receive(label, station_id, operator_id, actor)

    def _receive(self, label: str, station_id: str, operator_id: str | None, actor: str) -> Inspection:
        with self.work() as work:
            session = work.session
            if session.get(Station, station_id) is None:
                session.add(Station(id=station_id, name=station_id))
                session.flush()
            rma = find_rma(session, label)
            if rma is not None:
                if rma.status == "cancelled":
                    raise DomainError("rma_cancelled", f"RMA {rma.rma_id} was cancelled")
                current = session.execute(
                    select(Inspection).where(Inspection.rma_pk == rma.id).order_by(
                        Inspection.received_at.desc()
                    )
                ).scalars().first()
                if current is not None and S(current.state) in OPEN_STATES:
                    if current.station_id != station_id:
                        raise DomainError(
                            "rma_in_progress",
                            f"RMA {rma.rma_id} is being inspected at bench {current.station_id}",
                            station=current.station_id,
                        )
                    return current
                reinspect = current is not None and current.review.get("outcome") == "reinspect"
                if current is not None and not reinspect:
                    raise DomainError(
                        "rma_already_inspected",
                        f"RMA {rma.rma_id} was already inspected ({current.state}); "
                        "a supervisor can request a re-inspection",
                    )
            busy = session.execute(
                select(Inspection.id)
                .where(Inspection.station_id == station_id)
                .where(Inspection.state.in_([s.value for s in OPEN_STATES]))
            ).first()
            if busy:
                raise DomainError(
                    "bench_busy", f"finish inspection {busy[0]} on this bench first"
                )
            inspection = Inspection(
                rma_pk=rma.id if rma else None,
                station_id=station_id,
                operator_id=operator_id,
                state=S.RECEIVED.value,
                label=label.strip()[:200],
                unexpected=rma is None,
                flags=[] if rma else ["unexpected_parcel"],
                received_at=utcnow(),
            )
            session.add(inspection)
            session.flush()
            if rma is not None:
                rma.status = "received"
                inspection.expected_weight_mg = grading.expected_weight_mg(
                    rma.items, self.settings
                )
            self.steps.record(
                work, inspection, actor, "inspection.received", label=inspection.label,
                rma_id=rma.rma_id if rma else None, unexpected=rma is None,
            )
            self.steps.emit(work, "return.received" if rma else "return.unexpected", inspection)
            return inspection

    def record_weight(self, inspection_id: str, weight_mg: int, source: str, actor: str) -> None:
        """The parcel's weight from the scale, or typed in when the scale is down (flagged)."""
        if source not in ("scale", "manual"):
            raise DomainError("bad_weight_source", f"weight source {source!r} is not scale/manual")
        if not 0 < weight_mg <= 1_000_000_000:
            raise DomainError("bad_weight", "weight must be above 0 g and at most 1000 kg")
        with self.work() as work:
            session = work.session
            inspection = load(session, inspection_id)
            require_open(inspection, S.RECEIVED)
            self._inputs_changed(work, inspection, actor)
            inspection.measured_weight_mg = weight_mg
            inspection.weight_source = source
            if source == "manual" and "manual_weight" not in inspection.flags:
                inspection.flags = [*inspection.flags, "manual_weight"]
            if inspection.state == S.RECEIVED:
                self.steps.move(work, inspection, S.WEIGHED, actor, weight_mg=weight_mg, source=source)
            else:
                self.steps.record(work, inspection, actor, "inspection.reweighed",
                             weight_mg=weight_mg, source=source)

    def record_scan(
        self,
        inspection_id: str,
        item: ScannedItem,
        actor: str,
        symbology: str | None = None,
        source: str = "scanner",
        lot: str | None = None,
    ) -> ScanResult:
        """One item scanned (or typed): matched against the expected lines at once.

        Reads the inspection row, its lines and the (line, serial) pairs of its matched scans,
        not every scan; the result carries each line's counts (``lines``) so the bench answers
        from this transaction. A late scan (units exist already) joins the units.
        """
        with self.work() as work:
            session = work.session
            inspection = load(session, inspection_id, with_lines=True)
            require_open(inspection, S.WEIGHED)
            self._inputs_changed(work, inspection, actor)
            tally = matched_serials(session, inspection.id)
            found = match_scan(inspection, item, ())
            verdict, matched, result = found.verdict, found.item, found.result
            if matched is not None and len(tally.get(matched.id, ())) >= matched.quantity:
                result = "extra"  # match_scan's rule, counted by the query above
            line_id = verdict.data.get("line_id") if verdict.ok else None
            scan = Scan(
                inspection=inspection,  # not loaded: appended without reading every scan
                raw=item.raw[:4096],
                symbology=symbology,
                source=source,
                gtin=item.gtin,
                sku=item.sku,
                serial=item.serial,
                lot=lot,
                matched_item_id=matched.id if matched else None,
                result=result,
                scanned_at=utcnow(),
            )
            session.add(scan)
            session.flush()
            if matched is not None:
                tally.setdefault(matched.id, []).append(scan.serial)
            counted = result == "mismatch"  # the analytics' wrong-item count reads these
            if inspection.state != S.WEIGHED:  # units exist already: the new scan joins them
                sync_units(session, inspection)
                self._units_answered(work, inspection, actor)
                counted = True
            audit_step = self.steps.record if counted else self.steps.note
            audit_step(work, inspection, actor, "inspection.item_scanned", scan_id=scan.id,
                       raw=scan.raw, result=result, code=verdict.code)
            needs_serial = bool(matched is not None and matched.expected_serials and not scan.serial)
            return ScanResult(scan.id, result, verdict.detail, str(line_id) if line_id else None,
                              verdict.code, needs_serial, line_counts(inspection, tally))

    def record_serial(self, inspection_id: str, scan_id: str, serial: str, actor: str
                      ) -> tuple[LineCount, ...]:
        """The serial number label of an item scanned without one (scanned or typed).

        Returns each line's counts with the new serial, for the bench to show.
        """
        serial = serial.strip()
        if not serial or len(serial) > 100 or not serial.isprintable():
            raise DomainError("bad_serial", "a serial number is 1-100 printable characters")
        with self.work() as work:
            session = work.session
            inspection = load(session, inspection_id)
            require_open(inspection, S.WEIGHED)
            scan = session.get(Scan, scan_id)
            if scan is None or scan.inspection_id != inspection.id:
                raise NotFound("scan_not_found", f"no scan {scan_id} in inspection {inspection_id}")
            self._inputs_changed(work, inspection, actor)
            scan.serial = serial
            self.steps.record(work, inspection, actor, "inspection.serial_recorded", scan_id=scan.id,
                         serial=serial)
            return line_counts(inspection, matched_serials(session, inspection.id))

    def finish_items(self, inspection_id: str, actor: str) -> None:
        """The operator says every item in the parcel was scanned."""
        with self.work() as work:
            session = work.session
            inspection = load(session, inspection_id)
            if inspection.state == S.WEIGHED:
                units = sync_units(session, inspection)
                self.steps.move(work, inspection, S.ITEMS_IDENTIFIED, actor,
                           scans=len(inspection.scans), units=len(units))
            else:
                require_open(inspection, S.ITEMS_IDENTIFIED)
                sync_units(session, inspection)

    def required_angles(self, inspection: Inspection) -> tuple[str, ...]:
        """The parcel's own photo angles (its outside, its label); units have theirs."""
        return angles.parcel_angles(self.settings.photo_angles, inspection)

    def _require_unit_photos(self, inspection: Inspection) -> None:
        missing = [f"{unit.position}:{angle}" for unit, angle in self.photos_needed(inspection)
                   if unit is not None]
        if missing:
            raise DomainError("photos_missing", "unit photos still needed: " + ", ".join(missing))

    def add_photo(
        self,
        inspection_id: str,
        jpeg: bytes,
        *,
        angle: str,
        width: int,
        height: int,
        actor: str,
        operator_id: str | None = None,
        camera: str = "",
        quality: dict[str, Any] | None = None,
        unit_id: str | None = None,
        sha256: str | None = None,
    ) -> Photo:
        """Store the original (hashed once, fsynced, renamed, folder fsynced), then record it.

        ``sha256`` is the digest the camera driver already took of these very bytes
        (``Still.sha256``, same process); without it the bytes are hashed here.

        A closed inspection is refused before anything is written (the locked row's state).
        The file is written on the photo writer thread while this transaction builds its rows;
        the commit waits for the file to be durable, so a row never names a file a crash could
        lose. ``unit_id`` files the photo under one unit;
        without it, it is a parcel photo. Nothing is rewritten.
        """
        if not angle or len(angle) > 50:
            raise DomainError("bad_angle", "photo angle must be 1-50 characters")
        digest = sha256 if sha256 is not None and len(sha256) == 64 else sha256_hex(jpeg)
        writing: Future[object] | None = None
        try:
            with self.work() as work:
                session = work.session
                inspection = load(session, inspection_id)
                require_open(inspection, S.ITEMS_IDENTIFIED)
                # refused before anything is written; from here the file is written on the
                # photo writer thread while this transaction builds its rows
                writing = self._photo_writer.submit(self.store.put_original, jpeg, digest)
                if unit_id is not None:
                    self._unit(inspection, unit_id)
                self._inputs_changed(work, inspection, actor)
                key, size = original_key(digest), len(jpeg)
                photo = Photo(
                    id=new_id(), unit_id=unit_id, inspection_id=inspection.id, sha256=digest,
                    size_bytes=size, width=width, height=height, angle=angle, camera=camera,
                    quality=quality or {}, storage_key=key, taken_at=utcnow(),
                    taken_by=operator_id,
                )
                session.add(photo)
                # photos count in no analytics figure: no recount marker
                self.steps.note(work, inspection, actor, "inspection.photo_added",
                                  photo_id=photo.id, sha256=digest, size_bytes=size, angle=angle,
                                  unit_id=unit_id)
                self._units_answered(work, inspection, actor,  # the last unit photo moves on
                                     inputs_changed=False)
                writing.result()  # durable before the commit; a store error rolls the step back
                return photo
        finally:
            if writing is not None:  # a refused step still lets the write finish (an orphan
                wait([writing])      # is swept)

    def finish_photos(self, inspection_id: str, actor: str) -> None:
        """Every required angle has a photo: go on to the checklist."""
        with self.work() as work:
            session = work.session
            inspection = load(session, inspection_id)
            if inspection.state != S.ITEMS_IDENTIFIED:
                require_open(inspection, S.PHOTOS_TAKEN)
                return
            taken = {photo.angle for photo in inspection.photos if photo.unit_id is None}
            missing = [a for a in self.required_angles(inspection) if a not in taken]
            if missing:
                raise DomainError("photos_missing", "photos still needed: " + ", ".join(missing))
            self.steps.move(work, inspection, S.PHOTOS_TAKEN, actor, photos=len(inspection.photos))
            self._units_answered(work, inspection, actor, inputs_changed=False)

    def record_checklist(
        self, inspection_id: str, checklist: Checklist, actor: str, operator_id: str | None = None,
        notes: str = "", unit_id: str | None = None,
    ) -> None:
        """The condition checklist: packaging, accessories, defects, function test, notes.

        With ``unit_id`` it is that unit's own checklist (``record_unit_checklist``); without,
        it is the parcel's, used for every unit that has none of its own. The parcel moves on
        once every unit has the photos it needs.
        """
        if unit_id is not None:
            self.record_unit_checklist(inspection_id, unit_id, checklist, actor, notes)
            return
        with self.work() as work:
            session = work.session
            inspection = load(session, inspection_id)
            require_open(inspection, S.PHOTOS_TAKEN)
            self._inputs_changed(work, inspection, actor)
            answers = grading.checklist_answers(checklist)
            existing = {
                row.question: row
                for row in session.execute(
                    select(ChecklistAnswer).where(ChecklistAnswer.inspection_id == inspection.id)
                ).scalars()
            }
            for question, (answer, severity) in answers.items():
                row = existing.get(question) or ChecklistAnswer(
                    inspection_id=inspection.id, question=question
                )
                row.answer, row.severity = answer, severity
                row.note = notes if question == "notes" else ""
                row.answered_at, row.answered_by = utcnow(), operator_id
                session.add(row)
            inspection.checklist = {**grading.checklist_to_dict(checklist), "notes": notes[:2000]}
            if inspection.state == S.PHOTOS_TAKEN:
                self._require_unit_photos(inspection)
                self.steps.move(work, inspection, S.CHECKLIST_DONE, actor)
            else:
                self.steps.record(work, inspection, actor, "inspection.checklist_changed")

    def grade(self, inspection_id: str, actor: str) -> dict[str, Any]:
        """Run the verification rules and the policy; store verdicts, grade and the reasons."""
        with self.work() as work:
            session = work.session
            inspection = load(session, inspection_id)
            if inspection.state not in (S.CHECKLIST_DONE, S.GRADED):
                raise IllegalTransition(inspection.id, inspection.state, S.GRADED)
            policy = self.policy  # read once: a publication swapped in meanwhile waits for the next
            verdicts, base, decision = grading.evaluate(inspection, policy, self.settings, utcnow())
            units = sync_units(session, inspection)
            outcomes = [decide_unit(u, base, policy, verdicts) for u in units]
            inspection.verdicts = [v.to_dict() for v in verdicts]
            grading.apply_decision(inspection, decision, parcel_totals(outcomes, decision), units)
            if inspection.state == S.CHECKLIST_DONE:
                self.steps.move(work, inspection, S.GRADED, actor, grade=decision.grade.value,
                           recommendation=decision.recommendation.value)
            else:
                self.steps.record(work, inspection, actor, "inspection.regraded",
                             grade=decision.grade.value)
            return dict(inspection.decision)

    def complete(
        self, inspection_id: str, actor: str, override: dict[str, Any] | None = None
    ) -> Inspection:
        """Confirm (or override, with a reason) the proposal; flagged cases go to a supervisor."""
        with self.work() as work:
            session = work.session
            inspection = load(session, inspection_id)
            if inspection.state != S.GRADED:
                raise IllegalTransition(inspection.id, inspection.state, S.COMPLETED)
            if override:
                grading.apply_override(inspection, override, self.policy)
                inspection.flags = sorted({*inspection.flags, "operator_override"})
            inspection.completed_at = utcnow()
            if inspection.rma is not None:
                inspection.rma.status = "inspected"
            if self.on_confirm is not None:
                self.on_confirm(work, inspection, actor)  # before the event: it carries the plates
            target = S.FLAGGED if inspection.flags else S.COMPLETED
            self.steps.move(work, inspection, target, actor, flags=list(inspection.flags),
                       override=bool(override))
            return inspection

    def flag(self, inspection_id: str, reason: str, actor: str) -> None:
        """Hand the parcel to a supervisor from any working step (e.g. something is odd)."""
        if not reason.strip():
            raise DomainError("reason_required", "say why the inspection needs a supervisor")
        with self.work() as work:
            session = work.session
            inspection = load(session, inspection_id)
            inspection.flags = sorted({*inspection.flags, "operator_flag"})
            inspection.review = {**inspection.review, "operator_note": reason.strip()[:2000]}
            self.steps.move(work, inspection, S.FLAGGED, actor, reason=reason.strip()[:2000])


def _clear_decision(inspection: Inspection) -> None:
    inspection.grade = inspection.disposition = inspection.recommendation = None
    inspection.deduction_pct = 0
    inspection.decision = {}

