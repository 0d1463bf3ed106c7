"""Flask app factory: services on ``app.extensions["station"]``, blueprints registered by their init_app."""

from __future__ import annotations

from flask import Flask

from station.config import Settings
from station.context import StationContext
from station.devices import DeviceManager

#: Largest request body accepted (an RMA with 200 lines is far below this).
MAX_CONTENT_LENGTH = 1024 * 1024


def create_app(
    settings: Settings, ctx: StationContext | None = None, devices: DeviceManager | None = None
) -> Flask:
    """The web application; builds the station's services unless ``ctx`` is given.

    ``devices`` is the bench's running device manager (`station run`); without it (`station serve`)
    the bench screens work with typed weights and scans only.
    """
    if ctx is None:
        from station.context import build

        ctx = build(settings)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    app.extensions["station"] = ctx

    from flask_wtf.csrf import CSRFProtect

    from web import analytics, api, auth, bench, fleet, i18n, offline, review, security

    security.init_app(app, settings)
    csrf = CSRFProtect(app)
    i18n.init_app(app)
    auth.init_app(app)
    bench.init_app(app, devices)
    analytics.init_app(app)
    review.init_app(app)
    offline.init_app(app)  # the fleet bench's sync banner
    fleet.init_app(app)
    api.init_app(app)
    for name, blueprint in app.blueprints.items():
        if name == "api" or name.startswith("api."):
            csrf.exempt(blueprint)  # the platform API authenticates by key, not by cookie

    @app.context_processor
    def _endpoints() -> dict[str, object]:
        return {"url_endpoints": app.view_functions}

    return app


def station_context(app: Flask) -> StationContext:
    """The services of ``app`` (typed accessor for blueprints)."""
    ctx: StationContext = app.extensions["station"]
    return ctx
