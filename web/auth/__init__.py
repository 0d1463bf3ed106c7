"""Browser sign-in: operators with badge + PIN, supervisors and admins with a password."""

from __future__ import annotations

from flask import Flask, redirect, request, url_for
from flask_login import LoginManager
from werkzeug.wrappers import Response

from web.app import station_context
from web.auth import views
from web.auth.throttle import LoginThrottle
from web.auth.users import BenchUser, load_user


def init_app(app: Flask) -> None:
    manager = LoginManager()
    manager.session_protection = "basic"
    manager.init_app(app)
    app.extensions["login_throttle"] = LoginThrottle()

    @manager.user_loader
    def _load(session_id: str) -> BenchUser | None:
        return load_user(station_context(app).db, session_id)

    @manager.unauthorized_handler
    def _unauthorized() -> Response:
        return redirect(url_for("auth.sign_in", next=request.path))

    app.register_blueprint(views.bp)
