"""/healthz, /readyz and /metrics (Prometheus text exposition format, written by hand).

Device states (when the app has a device manager, ``app.extensions["devices"]``) are reported
by both, but a device that is down does not make the station unready: the bench keeps working
with typed weights and scans, and a restart (what a failing readiness probe leads to) would not
plug the scale back in. The device manager reconnects on its own; /metrics lets alerting see it.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from sqlalchemy import func, select, text

from drivers.state import DeviceState, DeviceStatus
from station.db.models import Inspection, WebhookDelivery
from station.devices import DeviceManager
from station.evidence.store import PhotoStore, PhotoStoreError
from station.webhooks.admin import queue_depth
from web.app import station_context

bp = Blueprint("ops", __name__)

LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class RequestLatency:
    """A Prometheus histogram of request latency per endpoint (this process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(LATENCY_BUCKETS_S))
        self.sums: dict[str, float] = defaultdict(float)
        self.totals: dict[str, int] = defaultdict(int)

    def observe(self, endpoint: str, seconds: float) -> None:
        with self._lock:
            counts = self.counts[endpoint]
            for index, bound in enumerate(LATENCY_BUCKETS_S):
                if seconds <= bound:
                    counts[index] += 1
            self.sums[endpoint] += seconds
            self.totals[endpoint] += 1

    def lines(self) -> list[str]:
        name = "station_http_request_duration_seconds"
        out = [f"# HELP {name} API request latency", f"# TYPE {name} histogram"]
        with self._lock:
            for endpoint, counts in sorted(self.counts.items()):
                for bound, count in zip(LATENCY_BUCKETS_S, counts, strict=True):
                    out.append(f'{name}_bucket{{endpoint="{endpoint}",le="{bound}"}} {count}')
                total = self.totals[endpoint]
                out.append(f'{name}_bucket{{endpoint="{endpoint}",le="+Inf"}} {total}')
                out.append(f'{name}_sum{{endpoint="{endpoint}"}} {self.sums[endpoint]:.6f}')
                out.append(f'{name}_count{{endpoint="{endpoint}"}} {total}')
        return out


def install_timing(app: Flask) -> None:
    latency = RequestLatency()
    app.extensions["api_latency"] = latency

    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()

    @app.teardown_request
    def _stop(_exc: BaseException | None) -> None:
        started = g.pop("request_started", None)
        if started is not None and request.url_rule is not None:
            latency.observe(request.url_rule.endpoint, time.perf_counter() - started)


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers."""
    return jsonify({"status": "ok"})


def device_states() -> dict[str, DeviceStatus]:
    """Each device's state, or nothing when this process runs without devices (station serve)."""
    devices: DeviceManager | None = current_app.extensions.get("devices")
    if devices is None:
        return {}
    try:
        return devices.states()
    except Exception:  # a probe reports, it never raises
        return {}


def photo_store_checks(store: PhotoStore, min_free_mb: float) -> dict[str, object]:
    """Can a photo be taken now: the folder takes a probe file (created, fsynced, removed) and
    at least ``min_free_mb`` (evidence.min_free_mb) is free; each answered on its own."""
    detail: dict[str, object] = {"min_free_mb": min_free_mb}
    try:
        store.probe_writable()
        detail["writable"] = "ok"
    except PhotoStoreError as exc:
        detail["writable"] = f"error: {exc.message}"
    except Exception as exc:  # readiness reports any failure, it never raises
        detail["writable"] = f"error: {type(exc).__name__}: {exc}"[:300]
    try:
        free = store.free_mb()
        detail["free_mb"] = round(free, 1)
        detail["free_space"] = "ok" if free >= min_free_mb else \
            f"error: {free:.1f} MB free, below the {min_free_mb:g} MB floor"
    except Exception as exc:
        detail["free_space"] = f"error: {type(exc).__name__}"
    return detail


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Database reachable, photo store writable with room, audit anchors written; device states
    reported, not required. ``photo_store`` says which of its checks failed."""
    ctx = station_context(current_app)
    checks: dict[str, str] = {}
    try:
        with ctx.db.reader() as session:
            session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # readiness reports any failure, it never raises
        checks["database"] = f"error: {type(exc).__name__}"
    store = photo_store_checks(ctx.store, ctx.settings.evidence.min_free_mb)
    failed = [f"{name}: {value.removeprefix('error: ')}" for name in ("writable", "free_space")
              if (value := str(store[name])) != "ok"]
    checks["photo_store"] = "error: " + "; ".join(failed) if failed else "ok"
    # a committed step whose audit head could not be anchored (see station/unit_of_work.py)
    problem = ctx.work.anchor_problem
    checks["audit_anchor"] = "ok" if problem is None else f"error: {problem}"
    ready = all(v == "ok" for v in checks.values())
    devices = {
        name: {"state": status.state.value, "reason": status.reason}
        for name, status in sorted(device_states().items())
    }
    body = {"status": "ready" if ready else "not_ready", "checks": checks, "photo_store": store,
            "devices": devices}
    return jsonify(body), (200 if ready else 503)


def _gauge(name: str, help_: str, kind: str, samples: list[tuple[str, float]]) -> list[str]:
    return [f"# HELP {name} {help_}", f"# TYPE {name} {kind}"] + [
        f"{name}{labels} {value:g}" for labels, value in samples
    ]


@bp.get("/metrics")
def metrics() -> Response:
    ctx = station_context(current_app)
    with ctx.db.reader() as session:
        by_result = session.execute(
            select(Inspection.state, Inspection.grade, func.count())
            .group_by(Inspection.state, Inspection.grade)
        ).all()
        deliveries = session.execute(
            select(WebhookDelivery.outcome, func.count()).group_by(WebhookDelivery.outcome)
        ).all()
        depth = queue_depth(session)
    lines = _gauge(
        "station_inspections", "Inspections by state and grade", "gauge",
        [(f'{{state="{s}",grade="{g_ or "none"}"}}', n) for s, g_, n in by_result],
    )
    lines += _gauge(
        "station_webhook_deliveries_total", "Webhook delivery attempts by outcome", "counter",
        [(f'{{outcome="{o}"}}', n) for o, n in deliveries],
    )
    lines += _gauge(
        "station_webhook_outbox_events", "Outbox events by status (queue depth = pending)",
        "gauge", [(f'{{status="{s}"}}', n) for s, n in sorted(depth.items())],
    )
    states = sorted(device_states().items())
    lines += _gauge(
        "station_device_up", "1 when the device is ready, else 0", "gauge",
        [(f'{{device="{name}"}}', float(st.state is DeviceState.READY)) for name, st in states],
    )
    lines += _gauge(
        "station_device_state", "The device's current state (1) among all states (0)", "gauge",
        [(f'{{device="{name}",state="{state.value}"}}', float(st.state is state))
         for name, st in states for state in DeviceState],
    )
    latency: RequestLatency = current_app.extensions["api_latency"]
    lines += latency.lines()
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")
