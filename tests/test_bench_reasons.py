"""Preset reason chips (supervisor call, override) and the weight keypad, through the bench routes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select
from werkzeug.test import TestResponse

from station.context import StationContext
from station.db.models import AuditEvent
from station.policy import PolicyError, default_policy, parse_policy
from tests.conftest import make_settings
from tests.factories import seed_rma, walk_to_graded
from tests.support.bench import OPERATOR, add_people, csrf, html, migrated, signed_in, snapshot
from web.app import create_app
from web.bench import labels

SHIPPED = Path(__file__).resolve().parent.parent / "station" / "policy" / "default_policy.toml"
HTML = {"Accept": "text/html"}
OVERRIDE = {"override": "1", "grade": "C", "disposition": "refurbish",
            "recommendation": "partial_refund"}


@pytest.fixture
def station(tmp_path: Path, database_url: str) -> Iterator[StationContext]:
    ctx = migrated(make_settings(tmp_path, database_url, web={"secret_key": "reasons-test-key"}))
    add_people(ctx, (OPERATOR,))
    seed_rma(ctx)  # RMA-1001, label TRKRMA-1001
    yield ctx
    ctx.close()


class Bench:
    """One operator's browser at a bench without devices."""

    def __init__(self, ctx: StationContext) -> None:
        self.ctx = ctx
        self.app: Flask = create_app(ctx.settings, ctx, devices=None)
        self.client: FlaskClient = signed_in(self.app, OPERATOR)
        self.token = csrf(self.client)

    def post(self, path: str, **form: str) -> TestResponse:
        return self.client.post(path, data={**form, "csrf_token": self.token}, headers=HTML)

    def page(self, path: str) -> str:
        response = html(self.client, path)
        assert response.status_code == 200, (path, response.status_code, response.location)
        return response.get_data(as_text=True)

    def receive(self) -> str:
        received = self.post("/bench/receive", code="TRKRMA-1001")
        assert received.status_code == 302, received.location
        return received.location.split("/")[3]

    def refused(self, path: str, screen: str, error: str, **form: str) -> None:
        """Back to ``screen`` with the error's message; nothing stored, nothing audited."""
        before = snapshot(self.ctx)
        response = self.post(path, **form)
        assert response.status_code == 302 and response.location.endswith(screen), (
            form, response.status_code, response.location)
        assert snapshot(self.ctx) == before, form
        with self.app.test_request_context():
            shown = str(escape(str(labels.ERRORS[error])))
        assert shown in self.page(response.location), (form, error)


def flag_audit(ctx: StationContext, inspection_id: str) -> dict[str, object]:
    with ctx.db.reader() as session:
        event = session.execute(select(AuditEvent).where(
            AuditEvent.entity_id == inspection_id, AuditEvent.action == "inspection.flagged")
        ).scalars().one()
        return dict(event.data)


@pytest.mark.parametrize(("form", "stored"), [
    ({"reason_id": "flag.item_not_as_pictured"}, "Item does not match the photo"),
    ({"reason_id": "flag.parcel_tampered", "reason": "  tape cut twice "},
     "Parcel opened / tampered — tape cut twice"),
    ({"reason_id": "", "reason": "smells of smoke"}, "smells of smoke"),
    ({"reason": "smells of smoke"}, "smells of smoke"),
])
def test_a_supervisor_call_stores_the_chip_in_english_and_the_free_text(
        station: StationContext, form: dict[str, str], stored: str) -> None:
    bench = Bench(station)
    inspection_id = bench.receive()
    done = bench.post(f"/bench/i/{inspection_id}/flag", back=f"/bench/i/{inspection_id}/parcel",
                      **form)
    assert done.status_code == 302 and done.location == f"/bench/i/{inspection_id}/done"
    inspection = station.inspections.get(inspection_id)
    assert inspection.state == "flagged" and "operator_flag" in inspection.flags
    assert inspection.review["operator_note"] == stored
    assert flag_audit(station, inspection_id)["reason"] == stored


def test_a_supervisor_call_without_chip_and_text_or_with_an_unknown_chip_is_refused(
        station: StationContext) -> None:
    bench = Bench(station)
    inspection_id = bench.receive()
    path, back = f"/bench/i/{inspection_id}/flag", f"/bench/i/{inspection_id}/parcel"
    bench.refused(path, "/parcel", "reason_required", back=back)
    bench.refused(path, "/parcel", "reason_required", back=back, reason_id="", reason="   ")
    bench.refused(path, "/parcel", "bad_input", back=back, reason_id="flag.no_such_reason",
                  reason="it is odd")
    # an override chip is not a supervisor-call chip
    bench.refused(path, "/parcel", "bad_input", back=back,
                  reason_id="override.supervisor_instructed")
    bench.refused(path, "/parcel", "bad_input", back=back, reason_id="x" * 101)
    bench.refused(path, "/parcel", "bad_input", back=back, reason="n" * 2001)
    assert station.inspections.get(inspection_id).state == "received"


def test_an_override_with_a_chip_stores_its_english_text(station: StationContext) -> None:
    inspection_id = walk_to_graded(station)
    bench = Bench(station)
    path = f"/bench/i/{inspection_id}/complete"
    bench.refused(path, "/result", "reason_required", **OVERRIDE)
    bench.refused(path, "/result", "reason_required", **OVERRIDE, reason_id="", reason=" ")
    bench.refused(path, "/result", "bad_input", **OVERRIDE, reason_id="flag.customer_note")
    done = bench.post(path, **OVERRIDE, reason_id="override.missing_part_found",
                      reason="charger under the insert")
    assert done.status_code == 302 and done.location == f"/bench/i/{inspection_id}/done"
    finished = station.inspections.get(inspection_id)
    assert finished.grade == "C" and "operator_override" in finished.flags
    assert finished.override["reason"] == "Missing part found in the parcel — charger under the insert"


def test_an_override_with_a_chip_only(station: StationContext) -> None:
    inspection_id = walk_to_graded(station)
    bench = Bench(station)
    done = bench.post(f"/bench/i/{inspection_id}/complete", **OVERRIDE,
                      reason_id="override.supervisor_instructed")
    assert done.status_code == 302
    assert station.inspections.get(inspection_id).override["reason"] == "Supervisor instructed"


def test_the_forms_show_the_policy_chips_in_the_page_language(station: StationContext) -> None:
    inspection_id = walk_to_graded(station)
    bench = Bench(station)
    page = bench.page(f"/bench/i/{inspection_id}/result")
    policy = default_policy()
    for preset in (*policy.reasons.flag, *policy.reasons.override):
        assert f'name="reason_id" value="{preset.id}"' in page, preset.id
        assert str(escape(preset.text)) in page, preset.id
    assert 'id="flag-reason" name="reason" maxlength="2000"' in page  # no longer required
    switched = bench.post("/auth/language", lang="zh_Hans_CN",
                          next=f"/bench/i/{inspection_id}/result")
    assert switched.status_code == 302
    chinese = bench.page(f"/bench/i/{inspection_id}/result")
    assert "物品与图片不符" in chinese and "主管指示" in chinese
    assert "Item does not match the photo" not in chinese


def test_the_weigh_screen_has_a_keypad_and_no_os_keyboard(station: StationContext) -> None:
    bench = Bench(station)
    inspection_id = bench.receive()
    page = bench.page(f"/bench/i/{inspection_id}/weigh")
    form = re.search(r'<form[^>]*data-weight-keypad="grams".*?</form>', page, re.S)
    assert form is not None
    keys = re.findall(r'<button type="button" data-key="([^"]+)"', form.group(0))
    assert sorted(keys) == sorted([*"0123456789", ".", "back", "clear"])
    grams = re.search(r'<input id="grams"[^>]*>', form.group(0), re.S)
    assert grams is not None and 'inputmode="none"' in grams.group(0)
    assert 'name="source" value="manual"' in form.group(0)
    assert '/static/keypad.js' in page
    script = bench.client.get("/static/keypad.js")
    assert script.status_code == 200 and b"data-weight-keypad" in script.data
    # what the keypad fills in is the same typed-weight POST as before
    weighed = bench.post(f"/bench/i/{inspection_id}/weight", source="manual", grams="412.5")
    assert weighed.status_code == 302 and weighed.location.endswith("/items")
    assert station.inspections.get(inspection_id).measured_weight_mg == 412_500


def _variant(old: str, new: str) -> str:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.mark.parametrize(("old", "new", "message"), [
    ('id = "flag.customer_note"', 'id = "flag.serial_unreadable"',
     "reasons.flag[5].id: 'flag.serial_unreadable' is already used by reasons.flag[3]"),
    ('text = "Supervisor instructed"', 'text = ""',
     "reasons.override[3].text: String should have at least 1 character"),
    ('text = "Customer note inside"', 'text = "   "',
     "reasons.flag[5].text: String should match pattern"),
    ('text_by_locale = { zh_Hans_CN = "主管指示" }', 'text_by_locale = { zh_Hans_CN = "" }',
     "reasons.override[3].text_by_locale.zh_Hans_CN: String should have at least 1 character"),
    ('id = "flag.customer_note"', 'id = "Customer Note"',
     "reasons.flag[5].id: String should match pattern"),
    ('text = "Supervisor instructed"', 'text = "Supervisor instructed"\ncolour = "red"',
     "reasons.override[3].colour: Extra inputs are not permitted"),
])
def test_the_policy_loader_refuses_a_bad_reasons_section(old: str, new: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(_variant(old, new), "policy.toml")
    assert str(caught.value).startswith("policy.toml: ")
    assert message in str(caught.value)


def test_the_shipped_reasons_have_chinese_texts() -> None:
    reasons = default_policy().reasons
    assert len(reasons.flag) == 6 and len(reasons.override) == 4
    for preset in (*reasons.flag, *reasons.override):
        assert preset.text_for("zh_Hans_CN") != preset.text
        assert preset.text_for("en") == preset.text
