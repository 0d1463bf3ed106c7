"""Returns analytics for supervisors: charts and tables, drill-down, CSV export (/analytics)."""

from __future__ import annotations

from flask import Flask

from web.analytics import views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
