"""`station policy publish/published` (central publishing of the policy and sort rules) and `station fleet list`."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from sqlalchemy import select

from station.cli.base import Subparsers, command, group, open_context
from station.config import Settings
from station.db.fleet_models import PolicyPublication
from station.fleet import publishing, registry


def _who(args: argparse.Namespace) -> str:
    if args.by:
        return f"cli:{args.by}"
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def cmd_policy_publish(args: argparse.Namespace, settings: Settings) -> int:
    kind: publishing.Kind = "sort_rules" if args.sort_rules else "policy"
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"{path}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as exc:
        print(f"{path}: not UTF-8 text: {exc}", file=sys.stderr)
        return 2
    publishing.parse(kind, text, str(path))  # a bad file is refused before the database is opened
    with open_context(settings) as ctx:
        done = publishing.publish(ctx.work, kind, text, str(path), _who(args))
    what = "sort rules" if kind == "sort_rules" else "policy"
    if done.new:
        print(f"published {what} version {done.version} (#{done.seq}, sha256 {done.sha256}); "
              "benches use it from their next heartbeat")
    else:
        print(f"{what} version {done.version} is already published with this content (#{done.seq})")
    return 0


def cmd_policy_published(args: argparse.Namespace, settings: Settings) -> int:
    with open_context(settings) as ctx, ctx.db.reader() as session:
        rows = session.execute(select(PolicyPublication.seq, PolicyPublication.kind,
                                      PolicyPublication.version, PolicyPublication.published_at,
                                      PolicyPublication.published_by, PolicyPublication.sha256)
                               .order_by(PolicyPublication.seq)).all()
    if not rows:
        print("nothing published: every bench uses its own policy and sort rules files")
    for row in rows:
        print(f"#{row.seq}  {row.kind:<10}  {row.version:<20}  {row.published_at:%Y-%m-%d %H:%M}Z  "
              f"{row.published_by}  {row.sha256[:12]}")
    return 0


def cmd_fleet_list(args: argparse.Namespace, settings: Settings) -> int:
    with open_context(settings) as ctx, ctx.db.reader() as session:
        view = registry.fleet(session)
    if not view.benches:
        print("no bench has sent a heartbeat yet")
    for bench in view.benches:
        row = bench.row
        broken = ", ".join(f"{name}: {d['state']}" for name, d in bench.broken.items()) or "devices ok"
        behind = "" if bench.policy_current else f" (published {view.published['policy']})"
        print(f"{row.station_id:<20} {bench.status:<6} {bench.age_s:>7.0f} s ago  "
              f"policy {row.policy_version}{behind}  v{row.software_version}  {broken}")
    return 0


def register(sub: Subparsers) -> None:
    """Add `station policy ...` and `station fleet list` to the `station` parser."""
    policy = group(sub, "policy", "the policy (and sort rules) published for every bench")
    publish = command(policy, "publish", cmd_policy_publish, "check FILE with the loader and "
                      "publish it; benches adopt it at their next heartbeat")
    publish.add_argument("file", help="policy TOML (or sort rules TOML with --sort-rules)")
    publish.add_argument("--sort-rules", action="store_true", help="FILE is the site's sort rules")
    publish.add_argument("--by", help="who publishes (default: the login name)")
    command(policy, "published", cmd_policy_published, "list the publications, oldest first")
    fleet = group(sub, "fleet", "the benches of this database")
    command(fleet, "list", cmd_fleet_list, "every bench: up / stale / down, policy, devices")
