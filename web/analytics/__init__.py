"""Returns analytics for supervisors: charts and tables, drill-down, CSV export (/analytics)."""

from __future__ import annotations

from flask import Flask

from station.analytics.reader import AnalyticsReader
from web.analytics import views


def init_app(app: Flask) -> None:
    ctx = app.extensions["station"]
    app.extensions["analytics_reader"] = AnalyticsReader(
        ctx.db, ctx.settings.database.busy_timeout_ms)
    app.register_blueprint(views.bp)
