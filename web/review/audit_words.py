"""The audit trail in words: one sentence per audit row, in the UI language, credited to its person."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from flask_babel import format_date, format_decimal, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from station.db.models import AuditEvent, Operator
from web.bench import labels
from web.bench.codes import readable
from web.i18n import format_grams
from web.review import words

SOURCES = {"scale": _l("scale"), "manual": _l("typed by hand")}
#: Why a step went back (the English reason the workflow stores in the row).
WHY_BACK = {"inputs changed": _l("the answers changed"),
            "a unit is not complete": _l("a unit is not complete yet")}
#: Actors that are not a person signed in: the station itself, the platform, set-up scripts.
SYSTEM_ACTORS = {"system": _l("The station"), "demo": _l("The demo set-up"),
                 "apikey": _l("The platform"), "api": _l("The platform"), "migration": _l("The station"),
                 "sync": _l("The station")}


@dataclass(frozen=True)
class AuditLine:
    """One audit row as the case page shows it: when, who, the sentence, and the raw row."""

    seq: int
    at: datetime
    day: str
    time: str
    who: str
    sentence: str
    action: str
    raw: str
    hash: str
    prev_hash: str


def people() -> dict[str, str]:
    """Username and operator id -> display name, for every person the station knows."""
    from web.app import station_context

    with station_context(current_app).db.reader() as session:
        rows = session.execute(select(Operator.id, Operator.username, Operator.display_name)).all()
    names: dict[str, str] = {}
    for op_id, username, display in rows:
        names[str(op_id)] = display or username
        names[username] = display or username
    return names


def person(actor: str, names: Mapping[str, str]) -> str:
    """An audit actor ("supervisor:sue", "operator:<id>", "op", "system") as a person's name."""
    role, _sep, ident = actor.partition(":")
    if ident:
        if ident in names:
            return names[ident]
        if role in SYSTEM_ACTORS:
            return str(SYSTEM_ACTORS[role])
        return ident
    if actor in names:
        return names[actor]
    if actor in SYSTEM_ACTORS:
        return str(SYSTEM_ACTORS[actor])
    return actor or "–"


def weight(milligrams: Any) -> str:
    """A weighed parcel: kilograms with three decimals from 1 kg up, grams below."""
    try:
        mg = int(milligrams)
    except (TypeError, ValueError):
        return "–"
    if mg >= 1_000_000:
        return f"{format_decimal(mg / 1_000_000, format='#,##0.000')} kg"
    return format_grams(mg)


def _flags(values: Iterable[Any]) -> str:
    return _(", ").join(labels.label(labels.FLAGS, str(v)) for v in values)


def _unit(data: Mapping[str, Any], positions: Mapping[str, int]) -> str:
    unit_id = data.get("unit_id")
    return str(positions.get(str(unit_id), "–")) if unit_id else "–"


Words = Callable[[str, Mapping[str, Any], Mapping[str, int]], str]


def _received(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    if d.get("unexpected") or not d.get("rma_id"):
        return _("%(who)s received the parcel %(label)s: no return was expected for it.",
                 who=who, label=d.get("label") or "–")
    return _("%(who)s received the parcel %(label)s for return %(rma)s.",
             who=who, label=d.get("label") or "–", rma=d.get("rma_id"))


def _weighed(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    return _("%(who)s weighed the parcel: %(weight)s (%(source)s).", who=who,
             weight=weight(d.get("weight_mg")), source=labels.label(SOURCES, d.get("source")))


def _reweighed(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    return _("%(who)s weighed the parcel again: %(weight)s (%(source)s).", who=who,
             weight=weight(d.get("weight_mg")), source=labels.label(SOURCES, d.get("source")))


def _scanned(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    text = _("%(who)s scanned %(code)s: %(result)s.", who=who,
             code=readable(d["raw"]) if d.get("raw") else "–",
             result=labels.label(labels.SCAN_RESULTS, d.get("result")) or "–")
    why = labels.SCAN_CODES.get(str(d.get("code")))
    return f"{text} {why}" if why is not None else text


def _serial(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    return _("%(who)s recorded the serial number %(serial)s.", who=who, serial=d.get("serial") or "–")


def _items_done(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    return _("%(who)s finished the items (scans: %(scans)s, units: %(units)s).", who=who,
             scans=d.get("scans", "–"), units=d.get("units", "–"))


def _photo(who: str, d: Mapping[str, Any], p: Mapping[str, int]) -> str:
    angle = labels.label(labels.ANGLES, d.get("angle")) or "–"
    if d.get("unit_id"):
        return _("%(who)s took a photo of unit %(unit)s: %(angle)s.", who=who, unit=_unit(d, p),
                 angle=angle)
    return _("%(who)s took a photo: %(angle)s.", who=who, angle=angle)


def _photos_done(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    if d.get("why"):
        return _back(who, d, _p)
    return _("%(who)s finished the photos (photos: %(photos)s).", who=who, photos=d.get("photos", "–"))


def _back(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    why = WHY_BACK.get(str(d.get("why")))
    return _("The inspection went back a step after %(who)s's change: %(why)s.", who=who,
             why=str(why) if why is not None else _("something changed"))


def _checklist_done(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    if d.get("why"):
        return _back(who, d, _p)
    if d.get("per_unit"):
        return _("%(who)s answered the questions of every unit.", who=who)
    return _("%(who)s answered the checklist.", who=who)


def _graded(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    return _("%(who)s had the parcel graded: grade %(grade)s, %(refund)s.", who=who,
             grade=d.get("grade") or "–",
             refund=labels.label(labels.RECOMMENDATIONS, d.get("recommendation")) or "–")


def _completed(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    if d.get("override"):
        return _("%(who)s confirmed the result with a change of their own.", who=who)
    return _("%(who)s confirmed the result.", who=who)


def _flagged(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    if d.get("reason"):
        return _("%(who)s handed the parcel to a supervisor: %(reason)s", who=who, reason=d["reason"])
    if d.get("flags"):
        first = _("%(who)s confirmed the result with a change of their own.", who=who) \
            if d.get("override") else _("%(who)s confirmed the result.", who=who)
        return first + " " + _("It went to a supervisor because of: %(flags)s.",
                               flags=_flags(d["flags"]))
    return _("%(who)s handed the parcel to a supervisor.", who=who)


def _reviewed(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    note = str(d.get("note") or "").strip()
    if d.get("decision") == "reinspect":
        text = _("%(who)s sent the parcel back for re-inspection.", who=who)
    elif d.get("override"):
        text = _("%(who)s approved the result with a change: %(changes)s.", who=who,
                 changes=words.set_text(d["override"]))
    else:
        text = _("%(who)s approved the result.", who=who)
    return text + " " + _("Reason: %(reason)s", reason=note) if note else text


def _unit_decided(who: str, d: Mapping[str, Any], p: Mapping[str, int]) -> str:
    before, after = d.get("before") or {}, d.get("after") or {}
    unit = _unit(d, p)
    if d.get("outcome") == "release_hold":
        text = _("%(who)s released the hold on unit %(unit)s: it goes to %(where)s.", who=who,
                 unit=unit, where=labels.label(labels.DISPOSITIONS, after.get("disposition")) or "–")
    elif d.get("outcome") == "override":
        text = _("%(who)s changed unit %(unit)s: %(changes)s.", who=who, unit=unit,
                 changes=words.changes_text(before, after))
    else:
        text = _("%(who)s approved unit %(unit)s as it is.", who=who, unit=unit)
    reason = str(d.get("reason") or "").strip()
    return text + " " + _("Reason: %(reason)s", reason=reason) if reason else text


def _attached(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    return _("%(who)s attached the parcel to return %(rma)s (order %(order)s).",
             who=d.get("by_name") or who, rma=d.get("rma_id") or "–", order=d.get("order_id") or "–")


def _labelled(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    units = [u for u in d.get("units") or [] if isinstance(u, Mapping)]
    plates = _("; ").join(_("unit %(unit)s: %(plate)s to %(where)s", unit=u.get("position", "–"),
                            plate=u.get("lpn") or "–", where=u.get("destination") or "–")
                          for u in units)
    return _("%(who)s had the labels printed: %(plates)s.", who=who, plates=plates or "–")


def _unit_state(who: str, d: Mapping[str, Any], p: Mapping[str, int]) -> str:
    return _("%(who)s marked unit %(unit)s as %(state)s.", who=who, unit=_unit(d, p),
             state=labels.label(labels.UNIT_STATES, d.get("state")) or "–")


def _unit_checklist(who: str, d: Mapping[str, Any], p: Mapping[str, int]) -> str:
    return _("%(who)s answered the questions of unit %(unit)s.", who=who, unit=_unit(d, p))


def _sorted(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    if d.get("tote"):
        return _("%(who)s put %(plate)s into tote %(tote)s at %(where)s.", who=who,
                 plate=d.get("lpn") or "–", tote=d["tote"], where=d.get("destination") or "–")
    return _("%(who)s put %(plate)s away at %(where)s.", who=who, plate=d.get("lpn") or "–",
             where=d.get("destination") or "–")


def _reprint(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    return _("%(who)s asked for the label of %(plate)s again.", who=who, plate=d.get("lpn") or "–")


def _tote_opened(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    return _("%(who)s opened tote %(tote)s for %(where)s.", who=who, tote=d.get("code") or "–",
             where=d.get("destination") or "–")


def _tote_closed(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    if d.get("reason") == "full":
        return _("Tote %(tote)s was full and closed with %(units)s units (%(who)s).",
                 tote=d.get("code") or "–", units=d.get("units", "–"), who=who)
    return _("%(who)s closed tote %(tote)s with %(units)s units.", who=who,
             tote=d.get("code") or "–", units=d.get("units", "–"))


def _refund(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    return _("%(who)s reported the refund: %(refund)s.", who=who, refund=words.refund_text(d))


def _checklist_changed(who: str, _d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    return _("%(who)s changed the checklist answers.", who=who)


def _regraded(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    return _("%(who)s had the parcel graded again: grade %(grade)s.", who=who, grade=d.get("grade") or "–")


def _video(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    return _("%(who)s recorded unboxing video part %(part)s (%(seconds)s s).", who=who,
             part=d.get("sequence", "–"), seconds=d.get("seconds", "–"))


def _video_pruned(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    return _("%(who)s deleted %(count)s unboxing video parts after %(days)s days (retention rule).",
             who=who, count=len(d.get("sequences") or []), days=d.get("retention_days", "–"))


def _synced(who: str, d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    first = _("%(who)s synced the inspection to central (the bench's audit hash %(hash)s).",
              who=who, hash=str(d.get("bench_audit_hash") or "–")[:12])
    if d.get("conflict"):
        return first + " " + _("It went to a supervisor because of: %(flags)s.",
                               flags=_flags([f"sync_{d['conflict']}"]))
    return first


def _sync_confirmed(who: str, _d: Mapping[str, Any], _p: Mapping[str, int]) -> str:
    return _("%(who)s recorded that central holds this inspection.", who=who)


SENTENCES: dict[str, Words] = {
    "inspection.received": _received,
    "inspection.weighed": _weighed,
    "inspection.reweighed": _reweighed,
    "inspection.item_scanned": _scanned,
    "inspection.serial_recorded": _serial,
    "inspection.items_identified": _items_done,
    "inspection.photo_added": _photo,
    "inspection.photos_taken": _photos_done,
    "inspection.video_recorded": _video,
    "inspection.video_pruned": _video_pruned,
    "inspection.unit_state": _unit_state,
    "inspection.unit_checklist": _unit_checklist,
    "inspection.checklist_done": _checklist_done,
    "inspection.checklist_changed": _checklist_changed,
    "inspection.graded": _graded,
    "inspection.regraded": _regraded,
    "inspection.completed": _completed,
    "inspection.flagged": _flagged,
    "inspection.reviewed": _reviewed,
    "inspection.attached_to_rma": _attached,
    "inspection.synced": _synced,
    "inspection.sync_confirmed": _sync_confirmed,
    "review.unit_decided": _unit_decided,
    "units.labelled": _labelled,
    "unit.sorted": _sorted,
    "label.reprint_requested": _reprint,
    "tote.opened": _tote_opened,
    "tote.closed": _tote_closed,
    "inspection.refund_status": _refund,
}


def sentence(action: str, who: str, data: Mapping[str, Any],
             positions: Mapping[str, int] | None = None) -> str:
    """One audit row in words; an action this table does not know gets a plain sentence."""
    words_for = SENTENCES.get(action)
    if words_for is not None:
        try:
            return words_for(who, data if isinstance(data, Mapping) else {}, positions or {})
        except (AttributeError, KeyError, TypeError, ValueError):
            pass  # a row whose data is not as this station writes it: the plain sentence
    return _("%(who)s recorded a change (%(action)s).", who=who, action=action)


def unit_rows(unit_ids: Collection[str]) -> list[AuditEvent]:
    """The audit rows about these units (put away, label printed again), in chain order."""
    from web.app import station_context

    if not unit_ids:
        return []
    with station_context(current_app).db.reader() as session:
        return list(session.execute(
            select(AuditEvent).where(AuditEvent.entity_type == "inspection_unit")
            .where(AuditEvent.entity_id.in_(list(unit_ids))).order_by(AuditEvent.seq)).scalars())


def audit_lines(trail: Iterable[AuditEvent], inspection: Any = None,
                names: Mapping[str, str] | None = None) -> list[AuditLine]:
    """The case page's trail in words, with its units' own rows (``inspection`` numbers the units)."""
    positions = {str(u.id): u.position for u in getattr(inspection, "units", None) or []}
    rows = list(trail)
    if has_app_context():
        names = people() if names is None else names
        seen = {row.seq for row in rows}
        rows = sorted(rows + [r for r in unit_rows(positions) if r.seq not in seen], key=lambda r: r.seq)
    names = names or {}
    lines = []
    for event in rows:
        who = person(event.actor, names)
        lines.append(AuditLine(
            seq=event.seq, at=event.at, day=format_date(event.at), time=format_time(event.at, "short"),
            who=who, sentence=sentence(event.action, who, event.data or {}, positions),
            action=event.action, hash=event.hash, prev_hash=event.prev_hash,
            raw=json.dumps({"seq": event.seq, "at": event.at.isoformat(), "actor": event.actor,
                            "station_id": event.station_id, "action": event.action,
                            "entity_type": event.entity_type, "entity_id": event.entity_id,
                            "data": event.data}, ensure_ascii=False, indent=1, sort_keys=True),
        ))
    return lines
