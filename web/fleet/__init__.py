"""Supervisor fleet page: which bench is up, what is broken, policy version and queue per bench."""

from __future__ import annotations

from flask import Flask

from web.fleet import views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
