"""Browser sign-in: operators with badge + PIN, supervisors and admins with a password; sessions kept on the server."""

from __future__ import annotations

from flask import Flask, redirect, request, url_for
from flask_login import LoginManager
from werkzeug.wrappers import Response

from web.app import station_context
from web.auth import badge_stream, views
from web.auth.throttle import LoginThrottle
from web.auth.users import BenchUser, load_user


def init_app(app: Flask) -> None:
    manager = LoginManager()
    manager.session_protection = "basic"
    manager.init_app(app)
    app.extensions["login_throttle"] = LoginThrottle(station_context(app).work)

    @manager.user_loader
    def _load(cookie_value: str) -> BenchUser | None:
        # every request: the cookie's token must name an open signin_session row (a read)
        return load_user(station_context(app), cookie_value)

    @manager.unauthorized_handler
    def _unauthorized() -> Response:
        return redirect(url_for("auth.sign_in", next=request.path))

    app.register_blueprint(views.bp)

    @app.context_processor
    def _badge_events() -> dict[str, object]:
        """The sign-in and lock screens on the bench itself hear its scanners (badges)."""
        wanted = request.endpoint in ("auth.sign_in", "auth.lock_screen", "auth.unlock")
        on = wanted and app.extensions.get("devices") is not None and badge_stream.on_the_bench()
        return {"badge_events_url": url_for("auth.badge_events") if on else ""}
