"""Typed, strict model of the policy file (unknown keys and wrong types are errors)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator

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

StrictBool = Annotated[bool, Strict()]
Percent = Annotated[int, Strict(), Field(ge=0, le=100)]
Count = Annotated[int, Strict(), Field(ge=0)]
RuleId = Annotated[str, Field(min_length=1, pattern=r"^[a-z0-9_.\-]+$")]
Sentence = Annotated[str, Field(min_length=1)]


class PolicyModel(BaseModel):
    """Base of every policy table: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class When(PolicyModel):
    """Conditions of a rule; every given key must hold (a list means any of its values)."""

    reason: tuple[ReturnReason, ...] | None = None
    merchant_fault: StrictBool | None = None
    grade: tuple[Grade, ...] | None = None
    disposition: tuple[Disposition, ...] | None = None
    category: tuple[str, ...] | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    within_vendor_terms: StrictBool | None = None
    requested_resolution: tuple[Literal["refund", "exchange"], ...] | None = None
    failed_rule: tuple[str, ...] | None = None
    failed_code: tuple[str, ...] | None = None
    unexpected_parcel: StrictBool | None = None
    manual_weight: StrictBool | None = None
    operator_override: StrictBool | None = None
    flagged: StrictBool | None = None
    used: StrictBool | None = None
    incomplete: StrictBool | None = None
    function_test: tuple[FunctionTest, ...] | None = None
    worst_defect: tuple[DefectSeverity, ...] | None = None
    undeclared: StrictBool | None = None
    unit_state: tuple[UnitState, ...] | None = None

    def keys_set(self) -> set[str]:
        """Names of the conditions this rule actually uses."""
        return {name for name in type(self).model_fields if getattr(self, name) is not None}


class GradeCriteria(PolicyModel):
    """What an item must satisfy to earn a grade (A, B, C are tried in that order)."""

    description: Sentence
    explain: Sentence
    require_packaging_intact: StrictBool
    allow_opened: StrictBool
    allow_signs_of_use: StrictBool
    max_defect_severity: DefectSeverity
    max_severity_by_kind: dict[DefectKind, DefectSeverity] = Field(default_factory=dict)
    max_missing_accessories: Count
    allow_missing_essential: StrictBool
    function_test: tuple[FunctionTest, ...] = Field(min_length=1)


class GradeFallback(PolicyModel):
    """Grade D: whatever earns none of A, B, C."""

    description: Sentence
    explain: Sentence


class Grades(PolicyModel):
    """The four grades; A, B, C carry criteria, D is the fallback."""

    A: GradeCriteria
    B: GradeCriteria
    C: GradeCriteria
    D: GradeFallback


class GradePercent(PolicyModel):
    """A percentage per grade."""

    A: Percent
    B: Percent
    C: Percent
    D: Percent


class Deductions(PolicyModel):
    """Partial-refund deductions: per grade plus per missing accessory, capped."""

    grade_pct: GradePercent
    per_missing_accessory_pct: Percent
    max_pct: Percent


class VendorTerms(PolicyModel):
    """When the vendor takes a defective item back (return_to_vendor)."""

    reasons: tuple[ReturnReason, ...] = (ReturnReason.QUALITY_DEFECT,)
    categories: tuple[str, ...] = ()
    max_days_since_delivery: Count | None = None
    min_price: Decimal | None = None


class FlagRule(PolicyModel):
    """Every flag rule whose conditions hold fires and adds its flag reason."""

    id: RuleId
    when: When = Field(default_factory=When)
    flag_reason: RuleId
    explain: Sentence


class DispositionRule(PolicyModel):
    """First disposition rule whose conditions hold decides where the item goes."""

    id: RuleId
    when: When = Field(default_factory=When)
    disposition: Disposition
    explain: Sentence


class RefundRule(PolicyModel):
    """First refund rule whose conditions hold decides the recommendation."""

    id: RuleId
    when: When = Field(default_factory=When)
    recommendation: Recommendation
    explain: Sentence


class RestockingFeeRule(PolicyModel):
    """The first restocking-fee rule whose conditions hold sets the fee of one unit.

    The fee is ``pct`` % of the unit's price (rounded half up to the minor unit) plus
    ``fixed_minor`` (minor units of the return's currency), at most ``max_minor``. A rule needs
    ``pct``, ``fixed_minor`` or both; ``pct = 0`` with no ``fixed_minor`` is an exemption that
    stops later rules. It is charged only on a full or partial refund, never on a merchant-fault
    reason, a missing or an undeclared unit, and never makes a refund negative (code guards).
    """

    id: RuleId
    when: When = Field(default_factory=When)
    pct: Percent | None = None
    fixed_minor: Count | None = None
    max_minor: Count | None = None
    explain: Sentence

    @model_validator(mode="after")
    def _has_an_amount(self) -> RestockingFeeRule:
        if self.pct is None and self.fixed_minor is None:
            raise ValueError("a restocking fee needs pct, fixed_minor or both")
        return self


class ShopifyRule(PolicyModel):
    """Shopify ReverseFulfillmentOrderDispositionType value (GraphQL Admin API enum)."""

    when: When = Field(default_factory=When)
    value: Literal["RESTOCKED", "PROCESSING_REQUIRED", "NOT_RESTOCKED", "MISSING"]


class LoopRule(PolicyModel):
    """Loop Returns condition_category (a merchant-defined string, e.g. grade_a)."""

    when: When = Field(default_factory=When)
    value: Annotated[str, Field(min_length=1, max_length=255)]


class AmazonRule(PolicyModel):
    """Amazon customer-return disposition / detailed condition."""

    when: When = Field(default_factory=When)
    value: Literal["SELLABLE", "DEFECTIVE", "CUSTOMER_DAMAGED", "CARRIER_DAMAGED"]


class LoopOutcomeRule(PolicyModel):
    """Loop Returns outcome of one item (back_to_stock, resale_hold, recycle, donate, missing)."""

    when: When = Field(default_factory=When)
    value: Literal["back_to_stock", "resale_hold", "recycle", "donate", "missing"]


class CtiaRule(PolicyModel):
    """CTIA Wireless Device Grading Scales cosmetic grade."""

    when: When = Field(default_factory=When)
    value: Literal["A", "B", "C", "D"]


class Platform(PolicyModel):
    """Mappings to platform vocabularies; first matching rule in each list gives the value."""

    shopify_disposition: tuple[ShopifyRule, ...] = Field(min_length=1)
    loop_condition: tuple[LoopRule, ...] = Field(min_length=1)
    amazon_condition: tuple[AmazonRule, ...] = Field(min_length=1)
    ctia_grade: tuple[CtiaRule, ...] = Field(min_length=1)
    loop_outcome: tuple[LoopOutcomeRule, ...] = (LoopOutcomeRule(value="resale_hold"),)


#: The checklist questions an SOP can pick (``station.vocabulary.CHECKLIST_QUESTIONS``).
Question = Literal["packaging_intact", "original_packaging_opened", "signs_of_use",
                   "function_test", "accessories", "defects"]


class Sop(PolicyModel):
    """A standard operating procedure for one SKU or category: what the operator is told and asked.

    ``default_disposition`` replaces the rules' disposition when the unit is clean (grade A, no
    flag); ``backup_disposition`` when a check failed (grade below A or a flag).
    """

    instructions: str = ""
    #: The instructions in other UI languages, by locale ("zh_Hans_CN"); English is ``instructions``.
    instructions_by_locale: dict[Annotated[str, Field(pattern=r"^[a-z]{2}(_[A-Za-z]+)*$")], str] = Field(
        default_factory=dict)
    reference_picture: str | None = None
    questions: tuple[Question, ...] | None = None
    photo_angles: tuple[str, ...] | None = None
    sealed_photo_angles: tuple[str, ...] | None = None
    default_disposition: Disposition | None = None
    backup_disposition: Disposition | None = None

    def instructions_for(self, locale: str) -> str:
        """The instructions in ``locale`` (falling back to English)."""
        return self.instructions_by_locale.get(locale) or self.instructions


#: A UI language of the bench, as the catalogs name it ("zh_Hans_CN").
LocaleName = Annotated[str, Field(pattern=r"^[a-z]{2}(_[A-Za-z]+)*$")]
#: A short preset reason shown on a chip: not empty, not only spaces.
ChipText = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]


class PresetReason(PolicyModel):
    """One preset reason the bench offers as a chip; ``text`` (English) is what is stored."""

    id: RuleId
    text: ChipText
    #: The chip's text in other UI languages, by locale; shown only, never stored.
    text_by_locale: dict[LocaleName, ChipText] = Field(default_factory=dict)

    def text_for(self, locale: str) -> str:
        """The chip's text in ``locale`` (falling back to English)."""
        return self.text_by_locale.get(locale) or self.text


class Reasons(PolicyModel):
    """Preset reasons: for calling a supervisor (``flag``) and for overriding a proposal."""

    flag: tuple[PresetReason, ...] = ()
    override: tuple[PresetReason, ...] = ()


class Policy(PolicyModel):
    """A whole policy file."""

    version: Annotated[str, Field(pattern=r"^\d{4}\.\d{2}-\d+$")]
    description: str = ""
    essential_accessories: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    vendor_terms: VendorTerms = Field(default_factory=VendorTerms)
    deductions: Deductions
    grades: Grades
    flag_rules: tuple[FlagRule, ...] = ()
    disposition_rules: tuple[DispositionRule, ...] = Field(min_length=1)
    refund_rules: tuple[RefundRule, ...] = Field(min_length=1)
    #: Tried in order after the refund rules; the first that holds sets the unit's fee.
    restocking_fees: tuple[RestockingFeeRule, ...] = ()
    platform: Platform
    #: SOPs by "sku:<SKU>" or "category:<category>"; a SKU's SOP wins over its category's.
    sops: dict[Annotated[str, Field(pattern=r"^(sku|category):.+$")], Sop] = Field(
        default_factory=dict)
    #: The preset reasons (chips) of the bench's "Call a supervisor" and override forms.
    reasons: Reasons = Field(default_factory=Reasons)

    def sop_for(self, sku: str | None, category: str | None) -> Sop | None:
        """The SOP for a unit: its SKU's, else its category's, else none."""
        return self.sops.get(f"sku:{sku}") or self.sops.get(f"category:{category}")
