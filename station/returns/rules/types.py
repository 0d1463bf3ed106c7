"""Plain inputs and the Verdict result of the return verification rules (no I/O, no DB)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

#: What a verdict carries for the bench UI and the webhook payload.
VerdictValue = str | int | float | None


@dataclass(frozen=True)
class Verdict:
    """Outcome of one verification rule: ``rule`` names the check, ``code`` the specific result."""

    rule: str
    ok: bool
    code: str
    detail: str
    data: dict[str, VerdictValue] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (for the inspection record and the webhook payload)."""
        return {
            "rule": self.rule,
            "ok": self.ok,
            "code": self.code,
            "detail": self.detail,
            "data": dict(self.data),
        }


@dataclass(frozen=True)
class WeightTolerance:
    """How far a measured weight may stray: absolute grams per unit and/or percent of expected.

    When both are given the looser one applies; when neither is given the weight must match.
    """

    abs_g: Decimal | None = None
    pct: Decimal | None = None


@dataclass(frozen=True)
class ExpectedLine:
    """One line of the return authorization: what the customer said they are sending back."""

    line_id: str
    sku: str
    gtin: str | None
    description: str
    quantity: int
    serials: tuple[str, ...] = ()
    unit_weight_g: Decimal | None = None
    weight_tolerance_g: Decimal | None = None
    weight_tolerance_pct: Decimal | None = None
    category: str = ""
    accessories: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScannedItem:
    """One scan at the bench, already decoded by the scanner layer.

    ``gtin`` is set when the scanner layer found one (plain EAN/UPC or AI (01) of a GS1 element
    string), ``serial`` when the code carried AI (21) or the operator scanned a serial label.
    """

    raw: str
    gtin: str | None = None
    sku: str | None = None
    serial: str | None = None
