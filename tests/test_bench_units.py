"""The bench works unit by unit: a state per item on the checklist screen, a result per unit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from station.context import StationContext
from tests.conftest import make_settings
from tests.factories import seed_rma
from tests.support.bench import OPERATOR, add_people, csrf, html, migrated, signed_in
from tests.test_units import CABLE, HEADPHONES, SPEAKER, line, to_photos
from web.app import create_app

HTML = {"Accept": "text/html"}


@pytest.fixture
def station(tmp_path: Path, database_url: str) -> Iterator[StationContext]:
    ctx = migrated(make_settings(tmp_path, database_url, web={"secret_key": "units-test-key"}))
    add_people(ctx, (OPERATOR,))
    yield ctx
    ctx.close()


def test_each_item_gets_its_state_and_the_result_lists_every_unit(station: StationContext) -> None:
    seed_rma(station, "RMA-B3", items=[line("1", HEADPHONES, "50.00"),
                                       line("2", SPEAKER, "80.00", category="electronics")])
    iid = to_photos(station, "RMA-B3", [HEADPHONES, SPEAKER, CABLE], 760)
    client = signed_in(create_app(station.settings, station, devices=None), OPERATOR)
    base = f"/bench/i/{iid}"
    token = csrf(client, f"{base}/checklist")
    page = html(client, f"{base}/checklist").get_data(as_text=True)
    assert "What state is each item in?" in page and "Not on the return" in page
    first, second, third = station.inspections.get(iid).units
    form = {"csrf_token": token, "packaging_intact": "yes", "original_packaging_opened": "yes",
            "signs_of_use": "yes", "function_test": "passed", "defect_scratches": "moderate",
            f"unit_state:{first.id}": "sealed", f"unit_state:{second.id}": "damaged",
            f"unit_state:{third.id}": "opened"}
    bad = client.post(f"{base}/checklist", data={**form, f"unit_state:{first.id}": "exploded"},
                      headers=HTML)
    assert bad.status_code == 302 and bad.location.endswith("/checklist")
    assert station.inspections.get(iid).state == "photos_taken"
    graded = client.post(f"{base}/checklist", data=form, headers=HTML)
    assert graded.status_code == 302 and graded.location.endswith("/result")
    units = station.inspections.get(iid).units
    assert [u.state for u in units] == ["sealed", "damaged", "opened"]
    assert [(u.grade, u.disposition) for u in units] == [("A", "restock"), ("C", "refurbish"),
                                                         ("C", "hold")]
    result = html(client, f"{base}/result").get_data(as_text=True)
    assert result.count('class="unit-') == 3 and "Hold for a supervisor" in result
    done = client.post(f"{base}/complete", data={"csrf_token": token}, headers=HTML)
    assert done.status_code == 302 and station.inspections.get(iid).state == "flagged"
    assert "Handed to a supervisor" in html(client, f"{base}/done").get_data(as_text=True)


def test_all_sealed_is_one_touch_for_every_item(station: StationContext) -> None:
    seed_rma(station, "RMA-B1", items=[line("1", HEADPHONES, "89.00")])
    iid = to_photos(station, "RMA-B1", [HEADPHONES], 450)
    client = signed_in(create_app(station.settings, station, devices=None), OPERATOR)
    token = csrf(client, f"/bench/i/{iid}/checklist")
    form = {"csrf_token": token, "packaging_intact": "yes", "original_packaging_opened": "no",
            "signs_of_use": "no", "function_test": "not_tested", "sealed_all": "1"}
    graded = client.post(f"/bench/i/{iid}/checklist", data=form, headers=HTML)
    assert graded.status_code == 302 and graded.location.endswith("/result")
    (unit,) = station.inspections.get(iid).units
    assert (unit.state, unit.grade, unit.recommendation, unit.refund_minor) == (
        "sealed", "A", "full_refund", 8900)
    assert station.inspections.get(iid).decision["totals"]["auto_refund"] is True


def test_the_products_procedure_is_shown_with_its_item(tmp_path: Path, database_url: str) -> None:
    from importlib import resources

    policy = tmp_path / "policy.toml"
    policy.write_text(resources.files("station.policy").joinpath("default_policy.toml")
                      .read_text("utf-8") + '\n[sops."category:electronics"]\n'
                      'instructions = "Power it on and check the charging port."\n',
                      encoding="utf-8")
    ctx = migrated(make_settings(tmp_path, database_url, web={"secret_key": "units-test-key"},
                                 policy={"path": str(policy)}))
    try:
        add_people(ctx, (OPERATOR,))
        seed_rma(ctx, "RMA-SOP", items=[line("1", HEADPHONES, "50.00"),
                                        line("2", SPEAKER, "80.00", category="electronics")])
        iid = to_photos(ctx, "RMA-SOP", [HEADPHONES, SPEAKER], 760)
        client = signed_in(create_app(ctx.settings, ctx, devices=None), OPERATOR)
        page = html(client, f"/bench/i/{iid}/checklist").get_data(as_text=True)
        assert page.count("Power it on and check the charging port.") == 1
    finally:
        ctx.close()
