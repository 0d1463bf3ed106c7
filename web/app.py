"""Flask app factory: services on ``app.extensions["station"]``, blueprints registered by their init_app."""

from __future__ import annotations

from flask import Flask

from station.config import Settings
from station.context import StationContext

#: Largest request body accepted (an RMA with 200 lines is far below this).
MAX_CONTENT_LENGTH = 1024 * 1024


def create_app(settings: Settings, ctx: StationContext | None = None) -> Flask:
    """The web application; builds the station's services unless ``ctx`` is given."""
    if ctx is None:
        from station.context import build

        ctx = build(settings)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    secret = settings.web.secret_key.get_secret_value()
    if secret:
        app.config["SECRET_KEY"] = secret
    app.extensions["station"] = ctx

    from web import api

    api.init_app(app)
    return app


def station_context(app: Flask) -> StationContext:
    """The services of ``app`` (typed accessor for blueprints)."""
    ctx: StationContext = app.extensions["station"]
    return ctx
