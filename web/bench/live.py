"""Live bench data: device events over SSE, the camera preview as MJPEG, photo thumbnails."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from flask import Response, abort, current_app, jsonify, request, stream_with_context
from flask_login import current_user

from drivers.scale.reading import Reading
from drivers.scanner.events import ScanEvent
from drivers.state import DeviceStatus
from station.devices.bus import DeviceEvent
from station.evidence.thumbnails import cached_thumbnail
from web.app import station_context
from web.auth.roles import passive
from web.bench import labels
from web.bench.codes import readable
from web.bench.item_scans import ItemScans
from web.bench.screens import bp, load
from web.bench.services import bench_services

#: A stream ends after this long; the browser's EventSource reconnects at once (frees threads).
STREAM_S = 300.0
#: A scan no screen took (the page was loading) is acted on by the next screen this soon after.
REPLAY_S = 5.0
HEARTBEAT_S = 15.0
PREVIEW_FPS = 8.0
BOUNDARY = "frame"


def status_json(status: DeviceStatus) -> dict[str, Any]:
    return {"device": status.device, "state": status.state.value,
            "label": labels.label(labels.DEVICE_STATES, status.state.value),
            "name": labels.label(labels.DEVICE_NAMES, status.device), "reason": status.reason}


def reading_json(reading: Reading) -> dict[str, Any]:
    grams = reading.weight_g
    return {"weight_mg": reading.weight_mg, "weight_g": None if grams is None else f"{grams:.1f}",
            "stable": reading.stable, "status": reading.status.value, "net": reading.net}


def scan_json(event: ScanEvent) -> dict[str, Any]:
    return {"raw": event.raw, "readable": readable(event.raw), "source": event.source,
            "symbology": event.symbology,
            "gtin": event.gtin, "serial": event.serial, "at": event.at}


def encode(event: DeviceEvent) -> str:
    payload = event.payload
    if isinstance(payload, DeviceStatus):
        data = status_json(payload)
    elif isinstance(payload, Reading):
        data = reading_json(payload)
    elif isinstance(payload, ScanEvent):
        data = {**scan_json(payload), "device": event.device, "seq": event.seq}
    else:  # pragma: no cover - the bus carries only these three
        return ""
    return f"event: {event.kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@bp.get("/events")
def events() -> Response:
    """Server-sent events: device states, scale readings, scans; snapshot first, then live.

    ``?after=<scan seq>`` (the last scan this browser tab acted on, else the newest when the page
    was drawn) replays the scans nobody acted on while the page loaded. On the items screen
    (``?screen=items&i=<inspection>``) the station records each scanned item itself and sends
    its verdict (``event: verdict``), one round trip less than the page posting it; elsewhere
    the page acts on the ``scan`` and claims it with its POST.
    """
    services = bench_services(current_app)
    devices = services.devices
    after = bounded_int(request.args.get("after", ""), 0)
    items_of = request.args.get("i", "")[:40] if request.args.get("screen") == "items" else ""
    if items_of:
        load(items_of)  # this bench's inspection, or a 404 before anything streams
    signin_id = str(getattr(current_user, "signin_id", ""))
    stream_no = services.open_stream(signin_id)  # older streams of this session: pages left
    deciding = ItemScans(items_of, signin_id, stream_no) if items_of and devices is not None \
        else None

    def handle(event: DeviceEvent) -> Iterator[str]:
        assert devices is not None
        scan = event.payload
        if deciding is not None and isinstance(scan, ScanEvent) and deciding.counting():
            if not devices.bus.claim(event.seq):
                return  # another screen acted on it already
            verdict = deciding.decide(scan)
            if verdict is not None:
                verdict["seq"] = event.seq
                yield f"event: verdict\ndata: {json.dumps(verdict, separators=(',', ':'))}\n\n"
                return
            devices.bus.release(event.seq)  # the person is gone: the page posts it (and is refused)
        yield encode(event)  # the page acts on it and claims it with its POST (``seq``)

    def stream() -> Iterator[str]:
        yield "retry: 1000\n\n"
        for status in services.device_states():
            yield f"event: state\ndata: {json.dumps(status_json(status))}\n\n"
        if devices is None:
            yield ": no devices on this server\n\n"
            return
        reading = devices.latest_weight()
        if reading is not None:
            yield f"event: reading\ndata: {json.dumps(reading_json(reading))}\n\n"
        end = time.monotonic() + STREAM_S
        with devices.subscribe() as subscription:
            for missed in devices.bus.recent_scans(after, REPLAY_S):
                yield from handle(missed)
            while (left := end - time.monotonic()) > 0:
                event = subscription.get(timeout=min(HEARTBEAT_S, left))
                if event is None:
                    yield ": ping\n\n"
                elif event.kind == "scan":
                    yield from handle(event)
                else:
                    yield encode(event)

    response = Response(stream_with_context(stream()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def bounded_int(text: str, default: int) -> int:
    """A non-negative integer query value (anything else: ``default``)."""
    return int(text) if text.isdigit() and len(text) < 12 else default


passive("bench.events")


@bp.get("/preview.mjpg")
def preview() -> Response:
    """The camera's live preview (multipart MJPEG); frames are encoded only while someone watches."""
    devices = bench_services(current_app).devices
    if devices is None:
        abort(404)

    def frames() -> Iterator[bytes]:
        end = time.monotonic() + STREAM_S
        period = 1.0 / PREVIEW_FPS
        while time.monotonic() < end:
            started = time.monotonic()
            jpeg = devices.preview_jpeg()
            if jpeg:
                yield (f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                       f"Content-Length: {len(jpeg)}\r\n\r\n").encode() + jpeg + b"\r\n"
            time.sleep(max(0.0, period - (time.monotonic() - started)) if jpeg else 0.5)

    response = Response(frames(), mimetype=f"multipart/x-mixed-replace; boundary={BOUNDARY}")
    response.headers["Cache-Control"] = "no-store"
    return response


passive("bench.preview")


@bp.get("/i/<inspection_id>/photo/<photo_id>.jpg")
def photo_image(inspection_id: str, photo_id: str) -> Response:
    """A thumbnail of a photo of this bench's inspection (the original stays in the store)."""
    inspection = load(inspection_id)
    photo = next((p for p in inspection.photos if p.id == photo_id), None)
    if photo is None:
        abort(404)
    ctx = station_context(current_app)
    thumb = cached_thumbnail(ctx.store, photo.sha256, photo.storage_key,
                             ctx.settings.evidence.thumbnail_px)
    response = Response(thumb, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=86400, immutable"
    return response


@bp.get("/status")
def status() -> Response:
    """Device states as JSON (for a screen without SSE)."""
    return jsonify([status_json(s) for s in bench_services(current_app).device_states()])


passive("bench.status")


@bp.post("/active")
def active() -> Response:
    """The operator is at work (scans the station decided from the stream): keeps the idle lock off.

    Not passive: like any other bench action it refreshes the session's activity time.
    """
    return Response(status=204)
