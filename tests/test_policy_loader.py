"""The strict policy loader: bad files are refused with the file name and the key path."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from station.policy import PolicyError, default_policy, load_policy
from station.policy.loader import DEFAULT_POLICY_NAME

SHIPPED = Path(__file__).resolve().parent.parent / "station" / "policy" / DEFAULT_POLICY_NAME


def write_variant(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    """The shipped policy with ``old`` replaced by ``new`` (which must occur), as policy.toml."""
    text = SHIPPED.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} is not in the shipped policy"
    path = tmp_path / "policy.toml"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path


def test_shipped_policy_loads_from_the_package_and_from_its_file() -> None:
    packaged = default_policy()
    assert packaged.version == "2026.12-4"
    assert load_policy(SHIPPED) == packaged
    assert tomllib.loads(SHIPPED.read_text(encoding="utf-8"))["version"] == packaged.version


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('max_defect_severity = "minor"', 'max_defect_severity = "tiny"',
         "policy.toml: grades.B.max_defect_severity: Input should be 'none', 'minor', "
         "'moderate' or 'severe' (got 'tiny')"),
        ("allow_opened = true", 'allow_opened = "yes"',
         "policy.toml: grades.B.allow_opened: Input should be a valid boolean"),
        ("allow_opened = true", "allow_opened = 1",
         "policy.toml: grades.B.allow_opened: Input should be a valid boolean"),
        ("per_missing_accessory_pct = 5", "per_missing_accessory_pct = 5\nper_box_pct = 3",
         "policy.toml: deductions.per_box_pct: Extra inputs are not permitted"),
        ("max_pct = 60", "max_pct = 160",
         "policy.toml: deductions.max_pct: Input should be less than or equal to 100"),
        ("max_pct = 60", "max_pct = 60.5",
         "policy.toml: deductions.max_pct: Input should be a valid integer"),
        ('version = "2026.12-4"', 'version = "latest"',
         "policy.toml: version: String should match pattern"),
        ("grade_pct = { A = 0, B = 10, C = 25, D = 50 }", "grade_pct = { A = 0, B = 10, C = 25 }",
         "policy.toml: deductions.grade_pct.D: Field required"),
        ('when = { grade = ["D"] }', 'when = { grade = ["E"] }',
         "policy.toml: disposition_rules[1].when.grade[0]: Input should be 'A', 'B', 'C' or 'D'"),
        ('when = { unexpected_parcel = true }', 'when = { unexpected_parsel = true }',
         "policy.toml: flag_rules[3].when.unexpected_parsel: Extra inputs are not permitted"),
        ('value = "RESTOCKED"', 'value = "BACK_ON_SHELF"',
         "policy.toml: platform.shopify_disposition[0].value: Input should be 'RESTOCKED'"),
        ('value = "CARRIER_DAMAGED"', 'value = "LOST"',
         "policy.toml: platform.amazon_condition[1].value: Input should be 'SELLABLE'"),
    ],
)
def test_wrong_types_and_unknown_keys_name_file_and_key(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(write_variant(tmp_path, old, new))
    assert str(caught.value).startswith(str(tmp_path))
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # a partial refund open to every reason would deduct on merchant fault
        ("when = { merchant_fault = false, used = true }", "when = { used = true }",
         "refund_rules[8].recommendation: partial_refund could apply to a merchant-fault reason"),
        ("when = { merchant_fault = false, used = true }",
         'when = { reason = ["no_reason", "damaged_in_transit"], used = true }',
         "refund_rules[8].recommendation: partial_refund could apply to a merchant-fault reason"),
        ("when = { merchant_fault = true }\nrecommendation = \"full_refund\"",
         "when = { merchant_fault = true }\nrecommendation = \"partial_refund\"",
         "refund_rules[6].recommendation: partial_refund could apply to a merchant-fault reason"),
    ],
)
def test_a_policy_that_would_deduct_on_merchant_fault_is_refused(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    with pytest.raises(PolicyError, match=re.escape(f"policy.toml: {message}")):
        load_policy(write_variant(tmp_path, old, new))


def test_a_partial_refund_limited_to_customer_reasons_is_accepted(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "when = { merchant_fault = false, used = true }",
                         'when = { reason = ["no_reason", "size_mismatch"], used = true }')
    assert load_policy(path).refund_rules[8].when.reason is not None


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('id = "flag.manual_weight"', 'id = "flag.unexpected_parcel"',
         "flag_rules[4].id: 'flag.unexpected_parcel' is already used by flag_rules[3]"),
        ('explain = "A grade B item is sold as open box."',
         'explain = "A grade B item is sold as {colour} open box."',
         "disposition_rules[4].explain: unknown field(s) colour"),
        ('explain = "A grade B item is sold as open box."',
         'explain = "A grade B item is sold {grade!r}."',
         "disposition_rules[4].explain: fields take no format spec or conversion"),
        ('explain = "A grade B item is sold as open box."',
         'explain = "A grade B item is sold {."',
         "disposition_rules[4].explain: not a valid sentence template"),
        ('when = { operator_override = true }', 'when = { flagged = true }',
         "flag_rules[5].when.flagged: not known yet when flag_rules are evaluated"),
        ('when = { grade = ["B"] }', 'when = { disposition = ["open_box"] }',
         "disposition_rules[4].when.disposition: not known yet"),
        ('id = "refund.full"', 'id = "refund.full"\nwhen = { grade = ["A"] }',
         "refund_rules[10].when: the last rule must have no conditions"),
        ('[[platform.ctia_grade]]\nvalue = "D"',
         '[[platform.ctia_grade]]\nwhen = { grade = ["D"] }\nvalue = "D"',
         "platform.ctia_grade[3].when: the last mapping must have no conditions"),
    ],
)
def test_rules_that_cannot_work_are_refused_with_their_key(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    with pytest.raises(PolicyError, match=re.escape(f"policy.toml: {message}")):
        load_policy(write_variant(tmp_path, old, new))


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "max_pct = 60", "max_pct = -1\nbonus = 1")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert "deductions.max_pct" in str(caught.value) and "deductions.bonus" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b'version = "2026.11-1"\n[grades\n', "not valid TOML"),
     (b"\xff\xfe not utf-8", "not UTF-8 text")],
)
def test_unreadable_files_are_refused_by_name(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "broken.toml"
    path.write_bytes(content)
    with pytest.raises(PolicyError, match=re.escape(f"broken.toml: {message}")):
        load_policy(path)


def test_a_missing_file_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=re.escape("nowhere.toml: cannot read")):
        load_policy(tmp_path / "nowhere.toml")
