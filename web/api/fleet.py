"""/api/v1/fleet: every bench of the fleet as its heartbeats left it (scope fleet:read)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from station.fleet import registry
from web.api.auth import require
from web.api.schemas import FleetOut
from web.app import station_context

bp = Blueprint("api_fleet", __name__)


@bp.get("/fleet")
@require("fleet:read")
def get_fleet() -> Response:
    """Down and stale benches first: status, devices, versions against the published ones, queue."""
    with station_context(current_app).db.reader() as session:
        data = registry.fleet_data(registry.fleet(session))
    return jsonify(FleetOut.model_validate(data).model_dump(mode="json"))
