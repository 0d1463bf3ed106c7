"""Platform-integration commands: `station apikey create|list|revoke` and `station webhooks ...`."""

from __future__ import annotations

import argparse
import sys

from drivers.signals import stop_on_signals
from station.cli.base import Subparsers, command, group, open_context, split_words
from station.cli.serve import dispatcher
from station.config import Settings


def cmd_apikey_create(args: argparse.Namespace, settings: Settings) -> int:
    from station.apikeys import create_api_key

    with open_context(settings) as ctx, ctx.work() as work:
        row, secret = create_api_key(work.session, args.name, split_words(args.scopes))
    print(f"created API key {row.id} ({row.prefix}) scopes {', '.join(row.scopes)}")
    print("the key is shown once; store it now:", file=sys.stderr)
    print(secret)
    return 0


def cmd_apikey_list(args: argparse.Namespace, settings: Settings) -> int:
    from station.apikeys import list_api_keys

    with open_context(settings) as ctx, ctx.db.reader() as session:
        for row in list_api_keys(session):
            state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
            used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
            print(f"{row.prefix:18} {row.name[:30]:30} {','.join(row.scopes):55} "
                  f"{state:18} last used {used}")
    return 0


def cmd_apikey_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from station.apikeys import revoke_api_key

    with open_context(settings) as ctx, ctx.work() as work:
        row = revoke_api_key(work.session, args.key)
        print(f"revoked {row.prefix} ({row.name})")
    return 0


def cmd_webhooks_add(args: argparse.Namespace, settings: Settings) -> int:
    from station.webhooks.admin import create_endpoint

    with open_context(settings) as ctx, ctx.work() as work:
        session = work.session
        endpoint = create_endpoint(session, args.url, split_words(args.events or []))
        print(f"added endpoint {endpoint.id} -> {endpoint.url}")
        print("signing secret (shown once):", file=sys.stderr)
        print(endpoint.secret)
    return 0


def cmd_webhooks_list(args: argparse.Namespace, settings: Settings) -> int:
    from station.webhooks.admin import list_endpoints, list_events, queue_depth

    with open_context(settings) as ctx, ctx.db.reader() as session:
        for e in list_endpoints(session):
            state = "enabled" if e.enabled else f"DISABLED ({e.disabled_reason})"
            events = ",".join(e.event_types) or "all events"
            print(f"{e.id} {e.url} [{events}] {state}")
        depth = queue_depth(session)
        print("outbox: " + (", ".join(f"{n} {s}" for s, n in sorted(depth.items())) or "empty"))
        for event in list_events(session, status=args.status, limit=args.limit):
            print(f"  {event.id} {event.event_type:22} {event.status:10} "
                  f"attempts {event.attempts:2} {event.last_error[:60]}")
    return 0


def cmd_webhooks_replay(args: argparse.Namespace, settings: Settings) -> int:
    from station.webhooks.admin import replay

    if not args.all and not args.event_id:
        print("give an event id or --all", file=sys.stderr)
        return 2
    with open_context(settings) as ctx, ctx.work() as work:
        session = work.session
        count = replay(session, None if args.all else args.event_id)
    print(f"{count} dead letters queued again (same webhook-id)")
    return 0


def cmd_webhooks_test(args: argparse.Namespace, settings: Settings) -> int:
    from station.webhooks.admin import get_endpoint, send_test

    with open_context(settings) as ctx, ctx.db.reader() as session:
        endpoint = get_endpoint(session, args.endpoint_id)
    result = send_test(endpoint, settings.webhooks.timeout_s)
    print(f"{endpoint.url}: {result.status_code or result.error} in {result.duration_ms} ms")
    return 0 if result.ok else 1


def cmd_webhooks_worker(args: argparse.Namespace, settings: Settings) -> int:
    if args.lease_s is not None and not args.lease_s > 0:
        print(f"--lease-s must be a positive number of seconds, not {args.lease_s}",
              file=sys.stderr)
        return 2
    with open_context(settings) as ctx:
        stop = stop_on_signals()
        worker = dispatcher(ctx, args.lease_s)
        print(f"webhook worker {worker.worker_id} running; Ctrl-C stops", file=sys.stderr)
        worker.run_forever(stop, settings.webhooks.poll_interval_s)
    return 0


def register(sub: Subparsers) -> None:
    """Add this module's commands to the `station` parser."""
    keys = group(sub, "apikey", "platform API keys")
    create = command(keys, "create", cmd_apikey_create, "create an API key (printed once)")
    create.add_argument("--name", required=True)
    create.add_argument("--scopes", nargs="+", required=True,
                        help="returns:write inspections:read photos:read webhooks:admin")
    command(keys, "list", cmd_apikey_list, "list API keys (never their secrets)")
    revoke = command(keys, "revoke", cmd_apikey_revoke, "revoke an API key by id or prefix")
    revoke.add_argument("key")

    hooks = group(sub, "webhooks", "webhook endpoints and deliveries")
    hook_add = command(hooks, "add", cmd_webhooks_add, "add an endpoint (secret printed once)")
    hook_add.add_argument("url")
    hook_add.add_argument("--events", nargs="*", help="event types (default: all)")
    listing = command(hooks, "list", cmd_webhooks_list, "endpoints, queue depth and recent events")
    listing.add_argument("--status", choices=("pending", "delivering", "delivered", "dead"))
    listing.add_argument("--limit", type=int, default=20)
    replay = command(hooks, "replay", cmd_webhooks_replay, "queue dead letters again")
    replay.add_argument("event_id", nargs="?")
    replay.add_argument("--all", action="store_true")
    test = command(hooks, "test", cmd_webhooks_test, "send a signed webhook.test to an endpoint")
    test.add_argument("endpoint_id")
    worker = command(hooks, "worker", cmd_webhooks_worker, "run the webhook dispatcher until stopped")
    worker.add_argument(
        "--lease-s", type=float, default=None,
        help="how long a claimed event stays this worker's before another worker may take it "
             "over (default 4 x webhooks.timeout_s + 30 s; keep it above the delivery time)")
