"""Serving commands: `station serve` (API, review, analytics under gunicorn) and the pieces `station run` shares.

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
    from station.cli import gunicorn_app

    if (args.workers is not None and args.workers < 1) or args.threads < 1:
        print("--workers and --threads must be at least 1", file=sys.stderr)
        return 2
    host = args.host or settings.web.host
    port = args.port or settings.web.port
    with open_context(settings):
        pass  # the schema is current; the arbiter keeps no engine (each worker opens its own)
    listen(host, port).close()  # a busy port is one clear line before gunicorn starts
    print(f"serving http://{host}:{port}/ with gunicorn: review /review/, analytics /analytics/, "
          f"bench without devices /bench/, platform API /api/v1 (OpenAPI at "
          f"/api/v1/openapi.json)", file=sys.stderr)
    gunicorn_app.serve(args, settings, host, port)
    return 0


def register(sub: Subparsers) -> None:
    """Add `station serve` to the `station` parser."""
    serve = command(sub, "serve", cmd_serve, "serve the API, review and analytics (gunicorn, "
                    "gthread workers) with one webhook dispatcher process")
    serve.add_argument("--host", help="address to listen on (default web.host)")
    serve.add_argument("--port", type=int, help="port (default web.port)")
    serve.add_argument("--workers", type=int, default=None,
                       help="worker processes (default: one per core on PostgreSQL, one on "
                            "SQLite; see docs/deployment.md)")
    serve.add_argument("--threads", type=int, default=4,
                       help="threads per worker (default 4; 4-8, see docs/deployment.md)")
    serve.add_argument("--no-dispatcher", action="store_true",
                       help="do not start the webhook dispatcher process (run `station webhooks "
                            "worker` elsewhere)")
