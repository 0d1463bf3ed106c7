"""Platform-integration commands: `station apikey ...`, `station webhooks ...`, `station serve`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from station.config import Settings
from station.context import StationContext

Handler = Callable[[argparse.Namespace, Settings], int]
Add = Callable[..., argparse.ArgumentParser]


def _context(settings: Settings) -> StationContext:
    from station.cli import _context as checked_context

    return checked_context(settings)


def _scopes(values: list[str]) -> list[str]:
    return [s for value in values for s in value.replace(",", " ").split()]


def cmd_apikey_create(args: argparse.Namespace, settings: Settings) -> int:
    from station.apikeys import create_api_key

    ctx = _context(settings)
    try:
        with ctx.db.transaction() as session:
            row, secret = create_api_key(session, args.name, _scopes(args.scopes))
    finally:
        ctx.close()
    print(f"created API key {row.id} ({row.prefix}) scopes {', '.join(row.scopes)}")
    print("the key is shown once; store it now:", file=sys.stderr)
    print(secret)
    return 0


def cmd_apikey_list(args: argparse.Namespace, settings: Settings) -> int:
    from station.apikeys import list_api_keys

    ctx = _context(settings)
    try:
        with ctx.db.reader() as session:
            for row in list_api_keys(session):
                state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
                used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
                print(f"{row.prefix:18} {row.name[:30]:30} {','.join(row.scopes):55} "
                      f"{state:18} last used {used}")
    finally:
        ctx.close()
    return 0


def cmd_apikey_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from station.apikeys import revoke_api_key

    ctx = _context(settings)
    try:
        with ctx.db.transaction() as session:
            row = revoke_api_key(session, args.key)
            print(f"revoked {row.prefix} ({row.name})")
    finally:
        ctx.close()
    return 0


def cmd_webhooks_add(args: argparse.Namespace, settings: Settings) -> int:
    from station.webhooks.admin import create_endpoint

    ctx = _context(settings)
    try:
        with ctx.db.transaction() as session:
            endpoint = create_endpoint(session, args.url, _scopes(args.events or []))
            print(f"added endpoint {endpoint.id} -> {endpoint.url}")
            print("signing secret (shown once):", file=sys.stderr)
            print(endpoint.secret)
    finally:
        ctx.close()
    return 0


def cmd_webhooks_list(args: argparse.Namespace, settings: Settings) -> int:
    from station.webhooks.admin import list_endpoints, list_events, queue_depth

    ctx = _context(settings)
    try:
        with ctx.db.reader() as session:
            for e in list_endpoints(session):
                state = "enabled" if e.enabled else f"DISABLED ({e.disabled_reason})"
                events = ",".join(e.event_types) or "all events"
                print(f"{e.id} {e.url} [{events}] {state}")
            depth = queue_depth(session)
            print("outbox: " + (", ".join(f"{n} {s}" for s, n in sorted(depth.items()))
                                or "empty"))
            for event in list_events(session, status=args.status, limit=args.limit):
                print(f"  {event.id} {event.event_type:22} {event.status:10} "
                      f"attempts {event.attempts:2} {event.last_error[:60]}")
    finally:
        ctx.close()
    return 0


def cmd_webhooks_replay(args: argparse.Namespace, settings: Settings) -> int:
    from station.webhooks.admin import replay

    if not args.all and not args.event_id:
        print("give an event id or --all", file=sys.stderr)
        return 2
    ctx = _context(settings)
    try:
        with ctx.db.transaction() as session:
            count = replay(session, None if args.all else args.event_id)
    finally:
        ctx.close()
    print(f"{count} dead letters queued again (same webhook-id)")
    return 0


def cmd_webhooks_test(args: argparse.Namespace, settings: Settings) -> int:
    from station.webhooks.admin import get_endpoint, send_test

    ctx = _context(settings)
    try:
        with ctx.db.reader() as session:
            endpoint = get_endpoint(session, args.endpoint_id)
    finally:
        ctx.close()
    result = send_test(endpoint, settings.webhooks.timeout_s)
    print(f"{endpoint.url}: {result.status_code or result.error} in {result.duration_ms} ms")
    return 0 if result.ok else 1


def _until_signal() -> threading.Event:
    stop = threading.Event()

    def handle(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    return stop


def _dispatcher(ctx: StationContext, lease_s: float | None = None) -> Any:
    from station.webhooks.dispatcher import Dispatcher

    return Dispatcher(ctx.db, timeout_s=ctx.settings.webhooks.timeout_s, lease_s=lease_s)


def cmd_webhooks_worker(args: argparse.Namespace, settings: Settings) -> int:
    if args.lease_s is not None and not args.lease_s > 0:
        print(f"--lease-s must be a positive number of seconds, not {args.lease_s}",
              file=sys.stderr)
        return 2
    ctx = _context(settings)
    stop = _until_signal()
    worker = _dispatcher(ctx, args.lease_s)
    print(f"webhook worker {worker.worker_id} running; Ctrl-C stops", file=sys.stderr)
    try:
        worker.run_forever(stop, settings.webhooks.poll_interval_s)
    finally:
        ctx.close()
    return 0


def start_dispatcher_thread(ctx: StationContext, stop: threading.Event) -> None:
    """The in-process webhook dispatcher (when enabled), woken by each commit that queued an event."""
    if not ctx.settings.webhooks.enabled:
        return
    dispatcher = _dispatcher(ctx)
    ctx.inspections.on_event = dispatcher.notify
    dispatcher.start_thread(stop, ctx.settings.webhooks.poll_interval_s)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import waitress

    from web.app import create_app

    ctx = _context(settings)
    app = create_app(settings, ctx)
    stop = threading.Event()
    if not args.no_dispatcher:
        start_dispatcher_thread(ctx, stop)
    host = args.host or settings.web.host
    port = args.port or settings.web.port
    print(f"serving http://{host}:{port}/ : review /review/, analytics /analytics/, bench without "
          f"devices /bench/, platform API /api/v1 (OpenAPI at /api/v1/openapi.json)", file=sys.stderr)
    try:
        waitress.serve(app, host=host, port=port, threads=args.threads)
    finally:
        stop.set()
        ctx.close()
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], add: Add) -> None:
    """Add this module's commands to the `station` parser (called from cli.build_parser)."""
    keys = sub.add_parser("apikey", help="platform API keys").add_subparsers(
        dest="apikey", required=True)
    create = add("create", cmd_apikey_create, "create an API key (printed once)", keys)
    create.add_argument("--name", required=True)
    create.add_argument("--scopes", nargs="+", required=True,
                        help="returns:write inspections:read photos:read webhooks:admin")
    add("list", cmd_apikey_list, "list API keys (never their secrets)", keys)
    revoke = add("revoke", cmd_apikey_revoke, "revoke an API key by id or prefix", keys)
    revoke.add_argument("key")

    hooks = sub.add_parser("webhooks", help="webhook endpoints and deliveries").add_subparsers(
        dest="webhooks", required=True)
    hook_add = add("add", cmd_webhooks_add, "add an endpoint (secret printed once)", hooks)
    hook_add.add_argument("url")
    hook_add.add_argument("--events", nargs="*", help="event types (default: all)")
    listing = add("list", cmd_webhooks_list, "endpoints, queue depth and recent events", hooks)
    listing.add_argument("--status", choices=("pending", "delivering", "delivered", "dead"))
    listing.add_argument("--limit", type=int, default=20)
    replay = add("replay", cmd_webhooks_replay, "queue dead letters again", hooks)
    replay.add_argument("event_id", nargs="?")
    replay.add_argument("--all", action="store_true")
    test = add("test", cmd_webhooks_test, "send a signed webhook.test to an endpoint", hooks)
    test.add_argument("endpoint_id")
    worker = add("worker", cmd_webhooks_worker, "run the webhook dispatcher until stopped", hooks)
    worker.add_argument(
        "--lease-s", type=float, default=None,
        help="how long a claimed event stays this worker's before another worker may take it "
             "over (default 4 x webhooks.timeout_s + 30 s; keep it above the delivery time)")

    serve = add("serve", cmd_serve, "serve the API (waitress) with the webhook dispatcher")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--threads", type=int, default=8)
    serve.add_argument("--no-dispatcher", action="store_true",
                       help="do not run the webhook dispatcher in this process")
