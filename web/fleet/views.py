"""The fleet page (/fleet/) and its JSON (/fleet/benches.json), for supervisors and admins only."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template
from flask_babel import lazy_gettext as _l

from station.fleet import registry
from web.app import station_context
from web.auth.roles import SUPERVISOR_ROLES, protect

bp = Blueprint("fleet", __name__, url_prefix="/fleet")
protect(bp, SUPERVISOR_ROLES)

STATUS_WORDS = {"up": _l("Up"), "stale": _l("Stale"), "down": _l("Not reporting")}


@bp.get("/")
def fleet_page() -> str:
    """Every bench: down and stale first, its devices not ready, policy and queue."""
    ctx = station_context(current_app)
    with ctx.db.reader() as session:
        view = registry.fleet(session)
    return render_template("fleet/index.html", view=view, status_words=STATUS_WORDS,
                           up_within=registry.UP_WITHIN, down_after=registry.DOWN_AFTER)


@bp.get("/benches.json")
def fleet_json() -> Response:
    ctx = station_context(current_app)
    with ctx.db.reader() as session:
        return jsonify(registry.fleet_data(registry.fleet(session)))
