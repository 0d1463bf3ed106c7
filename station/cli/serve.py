"""Serving commands: `station serve` (API, review, analytics) and the pieces `station run` shares.

The CLI package is the one composition root allowed to import ``web/``: it builds the Flask app
from the station's services and hands it to the WSGI server.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
from typing import TYPE_CHECKING

from station.cli.base import Subparsers, command, open_context
from station.config import Settings
from station.context import StationContext
from station.returns.errors import DomainError

if TYPE_CHECKING:
    from station.webhooks.dispatcher import Dispatcher


class PortBusy(DomainError):
    """The address to serve on is taken (another station, or another program)."""


def listen(host: str, port: int) -> socket.socket:
    """A bound, listening socket for the WSGI server, or one clear PortBusy before anything starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        raise PortBusy("port_busy", f"cannot listen on {host}:{port} ({exc.strerror or exc}): "
                       "another station or program uses it; pick another port with --port "
                       "(or STATION_WEB__PORT, or `make run PORT=9000`)") from exc
    return sock


def dispatcher(ctx: StationContext, lease_s: float | None = None) -> Dispatcher:
    from station.webhooks.dispatcher import Dispatcher

    return Dispatcher(ctx.db, timeout_s=ctx.settings.webhooks.timeout_s, lease_s=lease_s)


def start_dispatcher_thread(ctx: StationContext, stop: threading.Event) -> None:
    """The in-process webhook dispatcher (when enabled), woken by each commit that queued an event."""
    if not ctx.settings.webhooks.enabled:
        return
    worker = dispatcher(ctx)
    ctx.work.on_event = worker.notify
    worker.start_thread(stop, ctx.settings.webhooks.poll_interval_s)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import waitress

    from web.app import create_app

    host = args.host or settings.web.host
    port = args.port or settings.web.port
    with open_context(settings) as ctx:
        sock = listen(host, port)
        app = create_app(settings, ctx)
        stop = threading.Event()
        if not args.no_dispatcher:
            start_dispatcher_thread(ctx, stop)
        print(f"serving http://{host}:{port}/ : review /review/, analytics /analytics/, bench "
              f"without devices /bench/, platform API /api/v1 (OpenAPI at /api/v1/openapi.json)",
              file=sys.stderr)
        try:
            waitress.serve(app, sockets=[sock], threads=args.threads)
        finally:
            stop.set()
    return 0


def register(sub: Subparsers) -> None:
    """Add `station serve` to the `station` parser."""
    serve = command(sub, "serve", cmd_serve, "serve the API, review and analytics (waitress) with "
                    "the webhook dispatcher")
    serve.add_argument("--host", help="address to listen on (default web.host)")
    serve.add_argument("--port", type=int, help="port (default web.port)")
    serve.add_argument("--threads", type=int, default=8)
    serve.add_argument("--no-dispatcher", action="store_true",
                       help="do not run the webhook dispatcher in this process")
