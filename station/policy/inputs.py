"""What the policy evaluator takes (PolicyInput, Checklist) and gives back (Decision)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from station.returns.rules.types import Verdict
from station.vocabulary import (
    DefectKind,
    DefectSeverity,
    Disposition,
    FunctionTest,
    Grade,
    Recommendation,
    ReturnReason,
    UnitState,
)

RequestedResolution = Literal["refund", "exchange"]

#: Severity order, least to worst.
SEVERITY_ORDER: tuple[DefectSeverity, ...] = (
    DefectSeverity.NONE, DefectSeverity.MINOR, DefectSeverity.MODERATE, DefectSeverity.SEVERE,
)


def severity_rank(severity: DefectSeverity) -> int:
    """0 for none ... 3 for severe."""
    return SEVERITY_ORDER.index(severity)


def fee_minor(price_minor: int, pct: int, fixed_minor: int, max_minor: int | None) -> int:
    """A restocking fee in minor units: pct % of the price rounded half up, plus fixed, capped."""
    fee = (max(price_minor, 0) * pct + 50) // 100 + fixed_minor
    return fee if max_minor is None else min(fee, max_minor)


@dataclass(frozen=True)
class Checklist:
    """The operator's condition checklist for one item."""

    packaging_intact: bool = True
    original_packaging_opened: bool = False
    accessories_missing: tuple[str, ...] = ()
    defects: Mapping[DefectKind, DefectSeverity] = field(default_factory=dict)
    function_test: FunctionTest = FunctionTest.NOT_TESTED
    signs_of_use: bool = False

    def worst_defect(self) -> DefectSeverity:
        """The worst severity over all defect kinds (none when no defect was recorded)."""
        return max(self.defects.values(), key=severity_rank, default=DefectSeverity.NONE)


@dataclass(frozen=True)
class PolicyInput:
    """Everything the policy needs about one inspected item and its return."""

    reason: ReturnReason
    checklist: Checklist
    category: str = ""
    price: Decimal | None = None
    unexpected_parcel: bool = False
    failed_verdicts: tuple[Verdict, ...] = ()
    manual_weight: bool = False
    operator_override: bool = False
    requested_resolution: RequestedResolution = "refund"
    days_since_delivery: int | None = None
    undeclared: bool = False
    unit_state: UnitState | None = None

    def failed(self) -> tuple[Verdict, ...]:
        """Only the verdicts that actually failed (passing ones are ignored)."""
        return tuple(v for v in self.failed_verdicts if not v.ok)


@dataclass(frozen=True)
class Decision:
    """The policy's proposal for one item: grade, disposition, refund recommendation and why."""

    grade: Grade
    disposition: Disposition
    recommendation: Recommendation
    deduction_pct: int
    flag: bool
    flag_reasons: tuple[str, ...]
    fired_rules: tuple[str, ...]
    explanation: tuple[str, ...]
    policy_version: str
    platform: dict[str, str]
    #: The restocking-fee rule that applies (None: no fee) and its terms.
    restocking_fee_rule: str | None = None
    restocking_fee_pct: int = 0
    restocking_fee_fixed_minor: int = 0
    restocking_fee_max_minor: int | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (plain strings, ints, bools, lists, dicts)."""
        return {
            "grade": self.grade.value,
            "disposition": self.disposition.value,
            "recommendation": self.recommendation.value,
            "deduction_pct": self.deduction_pct,
            "flag": self.flag,
            "flag_reasons": list(self.flag_reasons),
            "fired_rules": list(self.fired_rules),
            "explanation": list(self.explanation),
            "policy_version": self.policy_version,
            "platform": dict(self.platform),
            "restocking_fee_rule": self.restocking_fee_rule,
            "restocking_fee_pct": self.restocking_fee_pct,
            "restocking_fee_fixed_minor": self.restocking_fee_fixed_minor,
            "restocking_fee_max_minor": self.restocking_fee_max_minor,
        }
