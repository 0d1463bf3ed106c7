"""The bench touchscreen: the operator's inspection, driven by scans, with live devices."""

from __future__ import annotations

from flask import Flask, redirect, url_for
from werkzeug.wrappers import Response

from station.devices import DeviceManager
from web.bench import (
    actions,
    labels,
    live,
    scan_anywhere,
    screens,
    sim,
    sort_screen,
    unit_actions,
    unit_screens,
)
from web.bench.codes import readable
from web.bench.services import BenchServices

__all__ = ["actions", "live", "scan_anywhere", "sort_screen", "unit_actions", "unit_screens"]  # routes on screens.bp


def init_app(app: Flask, devices: DeviceManager | None) -> None:
    settings = app.extensions["station"].settings
    simulated = devices is not None and devices.simulators is not None
    app.extensions["bench"] = BenchServices(settings.station.id, devices, simulated)
    app.extensions["devices"] = devices
    app.config["IDLE_LOCK_S"] = settings.web.idle_lock_s
    app.register_blueprint(screens.bp)
    app.add_template_filter(readable, "readable_code")
    if simulated:
        sim.init_app(app)
    else:
        @app.context_processor
        def _no_demo() -> dict[str, object]:
            return {"demo_mode": False}

    @app.context_processor
    def _bench_page() -> dict[str, object]:
        from flask import request
        from flask_login import current_user

        services = app.extensions["bench"]
        on_bench = request.blueprint == "bench"
        shown = services.device_states() if current_user.is_authenticated and on_bench else []
        return {
            "station_name": settings.station.name or settings.station.id,
            "idle_lock_s": settings.web.idle_lock_s,
            "devices_shown": shown,
            "device_names": labels.DEVICE_NAMES,
            "device_states": labels.DEVICE_STATES,
            "js_strings": labels.js_strings(),
            "labels": labels,
            "live": False,
            # the newest scan when the page was drawn: its stream replays any taken after it
            "scan_seq": services.devices.bus.last_scan_seq if services.devices is not None else 0,
        }

    @app.get("/")
    def index() -> Response:
        return redirect(url_for("bench.home"))
