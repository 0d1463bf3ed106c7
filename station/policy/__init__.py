"""Grading, disposition and refund policy: a strict TOML data file and a pure evaluator."""

from station.policy.evaluator import (
    MERCHANT_FAULT_GUARD_ID,
    SHOPIFY_MISSING,
    evaluate,
    grade_item,
    platform_for_missing_item,
    within_vendor_terms,
)
from station.policy.inputs import Checklist, Decision, PolicyInput, RequestedResolution
from station.policy.loader import PolicyError, default_policy, load_policy, parse_policy
from station.policy.model import Policy

__all__ = [
    "MERCHANT_FAULT_GUARD_ID", "SHOPIFY_MISSING", "Checklist", "Decision", "Policy",
    "PolicyError", "PolicyInput", "RequestedResolution", "default_policy", "evaluate",
    "grade_item", "load_policy", "parse_policy", "platform_for_missing_item",
    "within_vendor_terms",
]
