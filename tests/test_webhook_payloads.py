"""Every event a full inspection emits matches the documented, versioned payload schema."""

from __future__ import annotations

from sqlalchemy import select

from station import apikeys
from station.context import StationContext
from station.db.models import OutboxEvent
from station.demo import run_demo
from web.api.schemas import InspectionOut, WebhookEvent
from web.app import create_app


def test_a_completed_inspection_emits_events_that_validate_against_the_schema(
    ctx: StationContext,
) -> None:
    inspection_id = run_demo(ctx, say=lambda _line: None)
    with ctx.db.reader() as session:
        events = list(
            session.execute(select(OutboxEvent).order_by(OutboxEvent.created_at)).scalars()
        )
    for event in events:
        parsed = WebhookEvent.model_validate(event.payload)
        assert parsed.type == event.event_type
        assert parsed.schema_version == "2" and parsed.data.audit_anchor is not None
    assert {"return.received", "inspection.completed"} <= {e.event_type for e in events}

    with ctx.db.transaction() as session:
        _, secret = apikeys.create_api_key(session, "reader", ["inspections:read"])
    client = create_app(ctx.settings, ctx).test_client()
    response = client.get(f"/api/v1/inspections/{inspection_id}",
                          headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    detail = InspectionOut.model_validate(response.get_json())
    assert detail.grade is not None and detail.state == "completed"
    assert detail.decision, "the decision with its reasons is included"
