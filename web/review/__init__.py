"""Supervisor review: the flagged queue, one inspection's evidence, decisions, search, evidence packs."""

from __future__ import annotations

from flask import Flask

from web.review import views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
