"""Attaching an unexpected parcel to the return it belongs to: re-match, re-grade, still for review."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from station.db.models import Inspection, Operator, ReturnAuthorization
from station.db.types import utcnow
from station.policy.model import Policy
from station.returns import grading
from station.returns.errors import DomainError, NotFound
from station.returns.identify import LabelError, find_rma
from station.returns.scan_match import rematch_scans
from station.returns.states import OPEN_STATES, InspectionState
from station.returns.transitions import Transitions, load
from station.returns.unit_outcomes import decide_unit, parcel_totals
from station.returns.units import sync_units
from station.review import worked_on
from station.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from station.returns.workflow import ReturnSettings

S = InspectionState
ATTACH_ACTION = "inspection.attached_to_rma"
#: Flags a person set that grading does not recompute: they stay after the parcel is re-graded.
KEPT_FLAGS = ("operator_flag", "operator_override", "manual_weight")


def attachable_rma(session: Session, inspection: Inspection, ref: str) -> ReturnAuthorization:
    """The RMA ``ref`` names (its id, tracking number or order id), locked; refused when taken.

    Taken: cancelled, being inspected at a bench, or already inspected by another inspection
    (one that was sent back for re-inspection does not count). There is no tenant or platform
    column on a return, so every RMA of this station's database can be chosen.
    """
    try:
        found = find_rma(session, ref)
    except LabelError as exc:
        raise DomainError("bad_rma_ref", f"not an RMA, tracking or order number: {exc}") from exc
    if found is None:
        raise NotFound("rma_not_found", f"no return authorization {ref.strip()[:200]!r}")
    rma = session.get(ReturnAuthorization, found.id, with_for_update=True, populate_existing=True)
    assert rma is not None  # found a moment ago in this transaction
    if rma.status == "cancelled":
        raise DomainError("rma_cancelled", f"RMA {rma.rma_id} was cancelled")
    others = session.execute(
        select(Inspection).where(Inspection.rma_pk == rma.id).where(Inspection.id != inspection.id)
        .order_by(Inspection.received_at.desc())
    ).scalars().first()
    if others is not None and S(others.state) in OPEN_STATES:
        raise DomainError("rma_in_progress",
                          f"RMA {rma.rma_id} is being inspected at bench {others.station_id}",
                          station=others.station_id)
    sent_back = others is not None and others.review.get("outcome") == "reinspect"
    if (others is not None and not sent_back) or rma.status != "open":
        raise DomainError("rma_already_inspected",
                          f"RMA {rma.rma_id} was already inspected ({rma.status})")
    return rma


def _regrade(session: Session, inspection: Inspection, policy: Policy,
             settings: ReturnSettings) -> list[str]:
    """Units in step with the re-matched scans, graded by the policy (as the bench's grade step).

    Returns the ids of units whose earlier supervisor decision was cleared (the audit keeps it).
    """
    kept = [f for f in inspection.flags if f in KEPT_FLAGS]
    verdicts, base, decision = grading.evaluate(inspection, policy, settings, utcnow())
    units = sync_units(session, inspection)
    cleared = [u.id for u in units if u.review]
    for unit in units:
        unit.review = {}
    outcomes = [decide_unit(u, base, policy, verdicts) for u in units]
    inspection.verdicts = [v.to_dict() for v in verdicts]
    grading.apply_decision(inspection, decision, parcel_totals(outcomes, decision), units)
    flags = sorted({*inspection.flags, *kept})
    inspection.flags = flags
    inspection.decision = {**inspection.decision, "flag": bool(flags), "flag_reasons": flags}
    return cleared


def attach_to_rma(
    uow: UnitOfWork, policy: Policy, settings: ReturnSettings, inspection_id: str, ref: str, *,
    supervisor_id: str, actor: str, four_eyes: bool = False, public_url: str = "",
) -> Inspection:
    """Attach the flagged unexpected parcel ``inspection_id`` to the RMA ``ref`` names.

    The parcel's scans are matched again against the RMA's lines, its expected weight, units
    and their grades follow, the ``unexpected_parcel`` flag goes and the RMA becomes inspected.
    Photos and scans stay. The parcel stays flagged in the supervisor queue so units are
    decided as usual; no webhook is sent now: the decision's ``inspection.reviewed`` carries
    the RMA (its ordering key is then the RMA's). Audited as ``inspection.attached_to_rma``.
    """
    ref = ref.strip()
    if not ref:
        raise DomainError("bad_rma_ref", "give an RMA, tracking or order number")
    steps = Transitions(public_url)
    with uow() as work:
        session = work.session
        inspection = load(session, inspection_id)
        if not inspection.unexpected or inspection.rma_pk is not None:
            raise DomainError("not_unexpected_parcel",
                              f"inspection {inspection.id} is not an unexpected parcel")
        if S(inspection.state) is not S.FLAGGED:
            raise DomainError("attach_not_flagged",
                              f"inspection {inspection.id} is {inspection.state}, not flagged")
        if four_eyes and worked_on(session, inspection, supervisor_id, actor):
            raise DomainError("four_eyes", "you worked on this inspection; another supervisor "
                              "must attach it")
        rma = attachable_rma(session, inspection, ref)
        before = _summary(inspection)
        inspection.rma_pk, inspection.rma = rma.id, rma
        inspection.unexpected = False
        inspection.flags = [f for f in inspection.flags if f != "unexpected_parcel"]
        matches = rematch_scans(inspection)
        inspection.expected_weight_mg = grading.expected_weight_mg(rma.items, settings)
        session.flush()
        cleared = _regrade(session, inspection, policy, settings)
        rma.status = "inspected"
        rma.updated_at = utcnow()
        person = session.get(Operator, supervisor_id)
        by_name = person.display_name if person is not None else actor
        inspection.review = {**inspection.review, "attached": {
            "rma_id": rma.rma_id, "by": supervisor_id, "by_name": by_name,
            "at": utcnow().isoformat(), "ref": ref[:200]}}
        work.touch(rma)
        steps.record(work, inspection, actor, ATTACH_ACTION, rma_id=rma.rma_id,
                     order_id=rma.order_id, ref=ref[:200], by=supervisor_id, by_name=by_name,
                     label=inspection.label, scans=dict(Counter(m.result for m in matches)),
                     before=before, after=_summary(inspection), cleared_unit_reviews=cleared)
        return inspection


def _summary(inspection: Inspection) -> dict[str, Any]:
    """What attaching changes, for the audit row: units by kind, grade, refund, flags."""
    return {
        "units": dict(Counter(u.kind for u in inspection.units)),
        "grade": inspection.grade, "recommendation": inspection.recommendation,
        "flags": list(inspection.flags),
        "expected_weight_mg": inspection.expected_weight_mg,
    }
