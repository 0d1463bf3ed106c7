"""Review and analytics pages speak Simplified Chinese completely, strings built in Python included."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from station.context import StationContext
from station.db.models import (
    AuditEvent,
    ExpectedItem,
    Inspection,
    InspectionUnit,
    Operator,
    ReturnAuthorization,
    Station,
    Tote,
)
from station.db.types import utcnow
from station.policy import Checklist
from station.returns.rules.types import ScannedItem
from station.returns.states import InspectionState
from station.vocabulary import FunctionTest
from tests.factories import HEADPHONES_GTIN, photograph, seed_rma, walk_to_graded
from tests.support.bench import OPERATOR, SUPERVISOR, api_key_header, html, signed_in
from tests.test_i18n import ROOT, english_left, english_words, extracted_msgids, html_lang, zh_catalog
from web.review.audit_words import SENTENCES, person, sentence
from web.review.words import VERDICT_DETAILS, policy_reasons, verdict_text

WRONG_GTIN = "04006381333931"  # a valid GTIN that is not on the return
# the analytics pages' station (seeded March 2026 history at bench-1) and its app
from tests.test_analytics_web import MARCH, app, station  # noqa: E402

__all__ = ["app", "station"]  # fixtures


def operator_actor(ctx: StationContext) -> tuple[str, str]:
    with ctx.db.reader() as session:
        row = session.execute(select(Operator).where(Operator.username == OPERATOR.username)).scalar_one()
        return row.id, f"operator:{row.username}"


def wrong_item_case(ctx: StationContext) -> str:
    """A parcel too heavy, with a wrong item, overridden at the bench and flagged; a unit decided."""
    seed_rma(ctx, "RMA-7001", delivered_at=(utcnow() - timedelta(days=40)).isoformat())
    op_id, actor = operator_actor(ctx)
    service = ctx.inspections
    inspection = service.receive("TRKRMA-7001", "bench-1", op_id, actor)
    service.record_weight(inspection.id, 1_204_000, "scale", actor)
    service.record_scan(inspection.id, ScannedItem(raw=WRONG_GTIN, gtin=WRONG_GTIN), actor)
    service.record_scan(inspection.id, ScannedItem(raw="x", gtin=HEADPHONES_GTIN, serial="SN-009"), actor)
    service.finish_items(inspection.id, actor)
    photograph(ctx, inspection.id)
    service.finish_photos(inspection.id, actor)
    service.record_checklist(inspection.id, Checklist(function_test=FunctionTest.PASSED), actor)
    service.grade(inspection.id, actor)
    service.complete(inspection.id, actor, override={"grade": "C", "disposition": "refurbish",
                                                     "reason": "耳机壳有裂纹"})
    with ctx.db.reader() as session:
        row = session.get(Inspection, inspection.id)
        assert row is not None and row.state == "flagged"
        unit = session.execute(select(InspectionUnit).where(InspectionUnit.inspection_id == row.id)
                               .order_by(InspectionUnit.position)).scalars().first()
        assert unit is not None
        sup = session.execute(select(Operator).where(Operator.username == SUPERVISOR.username)).scalar_one()
    ctx.reviews.decide_unit(inspection.id, unit.id, sup.id, f"supervisor:{sup.username}",
                            grade="B", note="外观完好")
    ctx.sorting.reprint(f"supervisor:{sup.username}", unit_id=unit.id, why="标签被撕破")
    return inspection.id


def reviewed_case(ctx: StationContext, app: Flask) -> str:
    """A parcel a supervisor approved, whose refund the platform then reported."""
    seed_rma(ctx, "RMA-7002")
    inspection_id = walk_to_graded(ctx, label="TRKRMA-7002")
    ctx.inspections.flag(inspection_id, "盒子有烟味", "op")
    with ctx.db.reader() as session:
        sup = session.execute(select(Operator).where(Operator.username == SUPERVISOR.username)).scalar_one()
    ctx.reviews.decide(inspection_id, sup.id, f"supervisor:{sup.username}", "看过了")
    reported = app.test_client().post("/api/v1/returns/RMA-7002/refund-status", headers=api_key_header(ctx),
                                      json={"status": "refunded", "amount": "89.00", "currency": "EUR",
                                            "reference": "R-77"})
    assert reported.status_code == 200, reported.get_data(as_text=True)
    return inspection_id


def chinese(app: Flask) -> FlaskClient:
    client = signed_in(app, SUPERVISOR)
    with client.session_transaction() as session:
        session["lang"] = "zh_Hans_CN"
    return client


def shown_data(ctx: StationContext) -> set[str]:
    """What the pages show as data: ids, codes, product names, people, stations, plates."""
    with ctx.db.reader() as session:
        data = {"RMA-7001", "SO-RMA-7001", "TRKRMA-7001", "HP-200-BLK", HEADPHONES_GTIN, WRONG_GTIN,
                "SN-009", "SN-001", "cable", "bench-1", "bench-2", "Sue.Super", "Ana.Op", "Ben.Op",
                "Ada.Admin", "English", "op", ctx.settings.station.name or "bench-1"}
        data |= {i.description for i in session.execute(select(ExpectedItem)).scalars()}
        data |= {i.sku for i in session.execute(select(ExpectedItem)).scalars()}
        data |= {i.category for i in session.execute(select(ExpectedItem)).scalars() if i.category}
        data |= {s.name for s in session.execute(select(Station)).scalars()}
        data |= {r.rma_id for r in session.execute(select(ReturnAuthorization)).scalars()}
        data |= {r.order_id for r in session.execute(select(ReturnAuthorization)).scalars() if r.order_id}
        data |= {o.display_name for o in session.execute(select(Operator)).scalars()}
        for unit in session.execute(select(InspectionUnit)).scalars():
            data |= {v for v in (unit.lpn, unit.destination, unit.sku, unit.gtin, unit.serial) if v}
        data |= {t.code for t in session.execute(select(Tote)).scalars()}
        data |= {str(i.label) for i in session.execute(select(Inspection)).scalars()}
    return {d for d in data if d}


#: Identifiers and key names that stay as they are on a Chinese page.
KEPT = {"RMA", "KiB", "kg", "Ctrl", "Esc", "Enter", "Shift"}


def kept_msgids() -> set[str]:
    """Msgids whose Chinese is the same text on purpose ("CSV", "SKU", "1:1")."""
    return {m.id for m in zh_catalog() if isinstance(m.id, str) and m.string == m.id}


def english_on(page: str, data: set[str]) -> list[str]:
    """English UI text left on a Chinese page (tests/test_i18n.py's check, with the kept words)."""
    kept = kept_msgids()
    found = []
    for piece in english_left(page, data):
        rest = piece
        for value in sorted(data | KEPT, key=len, reverse=True):
            rest = rest.replace(value, " ")
        if piece in kept or (piece not in extracted_msgids() and not english_words(rest)):
            continue
        found.append(piece)
    return found


PAGES = ("/review/", "/review/inspections/{id}", "/review/totes", "/review/search?q=RMA-7001",
         f"/analytics/?{MARCH}", f"/analytics/operators?{MARCH}", f"/analytics/inspections?{MARCH}")


def test_review_and_analytics_pages_in_chinese_show_no_english(app: Flask, station: StationContext) -> None:
    inspection_id = wrong_item_case(station)
    reviewed_id = reviewed_case(station, app)
    client = chinese(app)
    data = shown_data(station) | {"EUR", "R-77"}
    problems: dict[str, list[str]] = {}
    for path in (*PAGES, f"/review/inspections/{reviewed_id}"):
        response = html(client, path.format(id=inspection_id))
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert html_lang(page) == "zh-CN", path
        left = english_on(page, data)
        if left:
            problems[path] = left
    case = html(client, f"/review/inspections/{inspection_id}").get_data(as_text=True)
    assert "包裹过重：测得 1,204 g，预期 550 g ± 50 g（超出 654 g）。" in case  # a verdict's detail
    assert "Ana.Op 称重了包裹：1.204 kg（电子秤）。" in case  # the audit trail in words
    assert "等级：A → C" in case and "{'before'" not in case  # the override in words, not a dict
    done = html(client, f"/review/inspections/{reviewed_id}").get_data(as_text=True)
    assert re.search(r"已处理。\s*已批准", done) and "已退款：89.00 EUR · 参考号 R-77" in done
    assert "平台 报告了退款：已退款：89.00 EUR · 参考号 R-77。" in done
    assert not problems, "\n".join(f"{path}: {left}" for path, left in problems.items())


def test_the_check_finds_english_left_on_a_review_page(app: Flask, station: StationContext) -> None:
    inspection_id = wrong_item_case(station)
    page = html(signed_in(app, SUPERVISOR), f"/review/inspections/{inspection_id}").get_data(as_text=True)
    left = english_on(page, shown_data(station))
    assert "Audit trail" in left and any("weighed the parcel" in p for p in left)


def test_the_audit_trail_says_who_did_what_with_the_facts(app: Flask, station: StationContext) -> None:
    inspection_id = wrong_item_case(station)
    page = html(signed_in(app, SUPERVISOR), f"/review/inspections/{inspection_id}").get_data(as_text=True)
    summaries = [re.sub(r"<[^>]+>", "", s) for s in re.findall(r"<summary><time.*?</summary>", page)]
    with station.db.reader() as session:
        rows = session.execute(select(AuditEvent).where(AuditEvent.entity_id == inspection_id)).scalars().all()
    assert len(summaries) == len(rows) + 1 > 10  # the inspection's rows and its unit's reprint
    text = "\n".join(summaries)
    assert "Ana.Op weighed the parcel: 1.204 kg (scale)." in text
    assert "Ana.Op scanned 04006381333931: Wrong item. This GTIN is not on this return." in text
    assert "Ana.Op confirmed the result with a change of their own. It went to a supervisor because of:" in text
    assert "Sue.Super changed unit 1: Grade: A → B. Reason: 外观完好" in text  # credited to its person
    assert re.search(r"Sue.Super asked for the label of B1-\d+ again\.", text)  # a unit's own row
    assert "{" not in text and "operator:" not in text and "inspection." not in text  # no raw row
    for row in rows:  # the raw row and the full hash are one click away
        assert row.hash in page and f'id="audit-{row.seq}"' in page


#: Every action the station's code writes about an inspection, its units, totes and labels.
ACTION = re.compile(r'(?:action=|record\([^"]*)"((?:inspection|unit|units|tote|label|review)\.[a-z_]+)"')


def station_actions() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "station").rglob("*.py"):
        found |= set(ACTION.findall(path.read_text(encoding="utf-8")))
    found |= {f"inspection.{state.value}" for state in InspectionState}
    found.add("inspection.attached_to_rma")
    return found


def test_every_audit_action_has_its_own_sentence_and_unknown_ones_a_plain_one(app: Flask) -> None:
    actions = station_actions()
    assert {"inspection.weighed", "units.labelled", "unit.sorted", "tote.closed",
            "label.reprint_requested", "review.unit_decided"} <= actions
    assert actions - set(SENTENCES) == set(), "give these audit actions a sentence in audit_words.py"
    with app.test_request_context():
        assert person("supervisor:sue.super", {"sue.super": "Sue"}) == "Sue"
        assert person("op", {}) == "op" and person("system", {}) == "The station"
        for action in actions:  # a row without data still reads as a sentence (no 500)
            assert sentence(action, "Li Wei", {}).startswith(("Li Wei", "The inspection", "Tote"))
        plain = sentence("rma.updated", "Li Wei", {"x": {"y": 1}})
        assert plain == "Li Wei recorded a change (rma.updated)." and "{" not in plain
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        text = sentence("inspection.weighed", "李伟", {"weight_mg": 1_204_000, "source": "scale"})
        assert text == "李伟 称重了包裹：1.204 kg（电子秤）。"


#: The verdict codes the verification rules produce (station/returns/rules).
CODE = re.compile(r'Verdict\(\s*(?:rule|"[a-z.]+"), (?:True|False), f?"(\w+)"')


def test_every_verdict_code_has_a_translated_detail(app: Flask) -> None:
    codes: set[str] = set()
    for path in (ROOT / "station" / "returns" / "rules").glob("*.py"):
        codes |= set(CODE.findall(path.read_text(encoding="utf-8")))
    codes = {c for c in codes if "{" not in c} | {"gtin_match", "sku_match", "quantity_short",
                                                  "quantity_over", "over_tolerance", "under_tolerance"}
    assert len(codes) > 25
    assert codes - set(VERDICT_DETAILS) == set()
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        for code in codes:
            said = verdict_text({"code": code, "data": {}})
            assert said and not english_words(said.replace("GTIN", "")), (code, said)
        assert verdict_text({"code": "something_new", "data": {}}) is None  # shown as stored, lang=en


def test_a_site_policy_rule_without_a_translation_keeps_its_own_sentence_marked_english(app: Flask) -> None:
    decision = {"fired_rules": ["grade.B", "site.cracked_case"],
                "explanation": ["Grade B: opened.", "Cracked case: refurbish."]}
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert policy_reasons(decision) == [("B 级：已开封或轻度使用，至多有轻微瑕疵。", True),
                                            ("Cracked case: refurbish.", False)]
        assert policy_reasons(None) == []
