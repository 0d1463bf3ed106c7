"""What a print job prints: a unit's or a tote's label drawn from the stored rows (ZPL or PDF)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from station.db.models import ExpectedItem, Inspection, InspectionUnit, LabelPrint, Tote
from station.db.types import utcnow
from station.labels.pdf import label_pdf
from station.labels.render import ToteLabel, UnitLabel, tote_label_zpl, unit_label_zpl
from station.sorting.rules import SortRules
from station.sorting.service import tote_lpns

#: Dispositions in the large print of a label (English: the warehouse floor's shared words).
DISPOSITION_WORDS = {
    "restock": "RESTOCK", "open_box": "OPEN BOX", "refurbish": "REFURBISH",
    "return_to_vendor": "RETURN TO VENDOR", "liquidate": "LIQUIDATE", "scrap": "SCRAP",
    "hold": "HOLD", "donate": "DONATE", "recycle": "RECYCLE",
}


class LabelContent:
    """Turns ``label_print`` rows into label data; shared by the spooler and the PDF route."""

    def __init__(self, rules: SortRules, station_code: str, timezone: str = "UTC") -> None:
        self.rules = rules
        self.station_code = station_code
        self.zone = ZoneInfo(timezone)

    def destination_words(self, code: str | None, tote: str | None = None) -> str:
        if code is None:
            return "-"
        place = self.rules.find_destination(code)
        name = place.name if place is not None else code  # rules that no longer know it: the code
        return f"{name.upper()} {tote}" if tote else name.upper()

    def unit_label(self, session: Session, unit: InspectionUnit) -> UnitLabel:
        if unit.lpn is None:
            raise ValueError(f"unit {unit.id} has no license plate yet")
        inspection = session.get(Inspection, unit.inspection_id)
        item = session.get(ExpectedItem, unit.expected_item_id) if unit.expected_item_id else None
        rma_id = inspection.rma.rma_id if inspection is not None and inspection.rma else ""
        return UnitLabel(
            lpn=unit.lpn, rma_id=rma_id or (inspection.label if inspection else ""),
            station_code=self.station_code,
            printed_on=utcnow().astimezone(self.zone).date(), grade=unit.grade,
            disposition=DISPOSITION_WORDS.get(unit.disposition or "", "-"),
            destination=self.destination_words(unit.destination), sku=unit.sku,
            description=item.description if item is not None else "Not on the return",
            gtin=unit.gtin, serial=unit.serial)

    def tote_label(self, session: Session, tote: Tote) -> ToteLabel:
        closed = tote.closed_at or utcnow()
        return ToteLabel(tote_code=tote.code, sscc=tote.sscc,
                         destination=self.destination_words(tote.destination),
                         station_code=self.station_code,
                         closed_on=closed.astimezone(self.zone).date(),
                         lpns=tote_lpns(session, tote.id))

    def label_of(self, session: Session, job: LabelPrint) -> UnitLabel | ToteLabel:
        if job.kind == "unit" and job.unit_id:
            unit = session.get(InspectionUnit, job.unit_id)
            if unit is not None:
                return self.unit_label(session, unit)
        if job.kind == "tote" and job.tote_id:
            tote = session.get(Tote, job.tote_id)
            if tote is not None:
                return self.tote_label(session, tote)
        raise ValueError(f"label job {job.id}: its {job.kind} is gone")

    def zpl(self, session: Session, job: LabelPrint) -> bytes:
        """The job's label as ZPL II in the job's layout and resolution."""
        label = self.label_of(session, job)
        if isinstance(label, UnitLabel):
            return unit_label_zpl(label, job.layout, job.dpi)
        return tote_label_zpl(label, job.layout, job.dpi)

    def pdf(self, session: Session, job: LabelPrint) -> bytes:
        """The job's label as a PDF (any office printer, when the label printer fails)."""
        return label_pdf(self.label_of(session, job), job.layout)
