"""Strict policy loader: TOML -> Policy; every error names the file and the key path."""

from __future__ import annotations

import string
import tomllib
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from station.policy.model import (
    AmazonRule,
    CtiaRule,
    DispositionRule,
    FlagRule,
    LoopOutcomeRule,
    LoopRule,
    Policy,
    RefundRule,
    RestockingFeeRule,
    ShopifyRule,
    When,
)
from station.vocabulary import MERCHANT_FAULT_REASONS, Recommendation

DEFAULT_POLICY_NAME = "default_policy.toml"

#: Fields an ``explain`` sentence may use, e.g. "Grade {grade}: {deduction_pct}% deducted."
EXPLAIN_FIELDS = frozenset({
    "grade", "reason", "disposition", "recommendation", "deduction_pct", "category",
    "failed", "missing_accessories", "flag_reasons", "worst_defect", "function_test",
    "restocking_fee_pct", "restocking_fee_fixed",
})

#: Conditions not yet known at a stage (grade -> flags -> disposition -> refund -> platform).
_UNKNOWN_AT_STAGE = {
    "flag_rules": {"flagged", "disposition"},
    "disposition_rules": {"disposition"},
    "refund_rules": set(),
    "restocking_fees": set(),
}


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the key path."""


def _loc(parts: Iterable[int | str]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<root>"


def _got(value: object, error_type: str) -> str:
    """' (got ...)' for a scalar input that was refused, so the operator sees the bad value."""
    if error_type == "missing" or isinstance(value, dict | list):
        return ""
    return f" (got {value!r})"


def _explain_problems(key: str, template: str) -> list[str]:
    try:
        parts = [p for p in string.Formatter().parse(template) if p[1] is not None]
    except ValueError as exc:
        return [f"{key}: not a valid sentence template: {exc}"]
    if any(spec or conversion for _, _, spec, conversion in parts):
        return [f"{key}: fields take no format spec or conversion, write just {{name}}"]
    names = {name for _, name, _, _ in parts if name is not None}
    unknown = sorted(n for n in names if n not in EXPLAIN_FIELDS)
    if unknown:
        allowed = ", ".join(sorted(EXPLAIN_FIELDS))
        return [f"{key}: unknown field(s) {', '.join(unknown)}; allowed: {allowed}"]
    return []


def _could_be_merchant_fault(when: When) -> bool:
    if when.merchant_fault is False:
        return False
    return when.reason is None or bool(set(when.reason) & MERCHANT_FAULT_REASONS)


AnyRule = FlagRule | DispositionRule | RefundRule | RestockingFeeRule
AnyMapping = ShopifyRule | LoopRule | AmazonRule | CtiaRule | LoopOutcomeRule


def _rule_lists(policy: Policy) -> Sequence[tuple[str, Sequence[AnyRule]]]:
    return (
        ("flag_rules", policy.flag_rules),
        ("disposition_rules", policy.disposition_rules),
        ("refund_rules", policy.refund_rules),
        ("restocking_fees", policy.restocking_fees),
    )


def semantic_problems(policy: Policy) -> list[str]:
    """Problems the types cannot express, each as 'key.path: message'."""
    problems: list[str] = []
    seen_ids: dict[str, str] = {}
    for section, rules in _rule_lists(policy):
        for index, rule in enumerate(rules):
            key = f"{section}[{index}]"
            rule_id = rule.id
            if rule_id in seen_ids:
                problems.append(f"{key}.id: {rule_id!r} is already used by {seen_ids[rule_id]}")
            seen_ids.setdefault(rule_id, key)
            when = rule.when
            for name in sorted(when.keys_set() & _UNKNOWN_AT_STAGE[section]):
                problems.append(f"{key}.when.{name}: not known yet when {section} are evaluated")
            problems.extend(_explain_problems(f"{key}.explain", rule.explain))
            if (
                isinstance(rule, RefundRule)
                and rule.recommendation == Recommendation.PARTIAL_REFUND
                and _could_be_merchant_fault(when)
            ):
                problems.append(
                    f"{key}.recommendation: partial_refund could apply to a merchant-fault reason "
                    f"({', '.join(sorted(MERCHANT_FAULT_REASONS))}), which never gets a deduction;"
                    " restrict the rule with when.reason or when.merchant_fault = false"
                )
            if (isinstance(rule, RestockingFeeRule) and (rule.pct or rule.fixed_minor)
                    and _could_be_merchant_fault(when)):
                problems.append(
                    f"{key}.when: a restocking fee could apply to a merchant-fault reason "
                    f"({', '.join(sorted(MERCHANT_FAULT_REASONS))}), which never pays one;"
                    " restrict the rule with when.reason or when.merchant_fault = false"
                )
    for section, rules in (("disposition_rules", policy.disposition_rules),
                           ("refund_rules", policy.refund_rules)):
        if rules and rules[-1].when.keys_set():
            problems.append(f"{section}[{len(rules) - 1}].when: the last rule must have no "
                            "conditions, so every item gets an outcome")
    mappings: tuple[tuple[str, Sequence[AnyMapping]], ...] = (
        ("shopify_disposition", policy.platform.shopify_disposition),
        ("loop_condition", policy.platform.loop_condition),
        ("amazon_condition", policy.platform.amazon_condition),
        ("ctia_grade", policy.platform.ctia_grade),
        ("loop_outcome", policy.platform.loop_outcome),
    )
    for name, mapping in mappings:
        if mapping[-1].when.keys_set():
            problems.append(f"platform.{name}[{len(mapping) - 1}].when: the last mapping must "
                            "have no conditions, so every item gets a value")
    for kind, presets in (("flag", policy.reasons.flag), ("override", policy.reasons.override)):
        first: dict[str, int] = {}
        for index, preset in enumerate(presets):
            if preset.id in first:
                problems.append(f"reasons.{kind}[{index}].id: {preset.id!r} is already used by "
                                f"reasons.{kind}[{first[preset.id]}]")
            first.setdefault(preset.id, index)
    grades = policy.grades
    for grade, explain in (("A", grades.A.explain), ("B", grades.B.explain),
                           ("C", grades.C.explain), ("D", grades.D.explain)):
        problems.extend(_explain_problems(f"grades.{grade}.explain", explain))
    return problems


def parse_policy(text: str, source: str) -> Policy:
    """Parse policy TOML ``text``; ``source`` (file name) starts every error message."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from exc
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_loc(err['loc'])}: {err['msg']}{_got(err.get('input'), err['type'])}"
            for err in exc.errors()
        )
        raise PolicyError(f"{source}: {problems}") from exc
    problems_list = semantic_problems(policy)
    if problems_list:
        raise PolicyError(f"{source}: " + "; ".join(problems_list))
    return policy


def load_policy(path: Path) -> Policy:
    """Read one policy file; raise PolicyError naming ``path`` and the bad key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path}: not UTF-8 text: {exc}") from exc
    return parse_policy(text, str(path))


def default_policy() -> Policy:
    """The policy shipped with the package (station/policy/default_policy.toml)."""
    text = resources.files("station.policy").joinpath(DEFAULT_POLICY_NAME).read_text("utf-8")
    return parse_policy(text, DEFAULT_POLICY_NAME)
