"""Installer and admin commands: `station config check`, `db upgrade`, `user add|list`, `rma import`."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from station.cli.base import Subparsers, command, group, open_context
from station.config import Settings, masked


def cmd_config_check(args: argparse.Namespace, settings: Settings) -> int:
    print(json.dumps(masked(settings), indent=2, ensure_ascii=False))
    print("configuration OK", file=sys.stderr)
    return 0


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from station.db.engine import make_engine
    from station.db.migrate import current_revision, upgrade

    engine = make_engine(settings.database.url, settings.database.busy_timeout_ms)
    try:
        upgrade(engine, args.revision)
        print(f"database at revision {current_revision(engine)} ({engine.url.render_as_string()})")
    finally:
        engine.dispose()
    return 0


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> int:
    from station.users import add_user, generate_pin

    pin = password = None
    if args.role == "operator":
        pin = args.pin or generate_pin()
        shown = f"PIN {pin}" if not args.pin else "PIN as given"
    else:
        password = getpass.getpass(f"password for {args.username} (min 12 characters): ") \
            if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
        shown = "password as typed"
    with open_context(settings) as ctx, ctx.work() as work:
        person = add_user(work.session, username=args.username, display_name=args.name or "",
                          role=args.role, badge_id=args.badge, pin=pin, password=password,
                          locale=args.locale, actor="cli")
    print(f"added {person.role} {person.username} ({person.id}); {shown}")
    return 0


def cmd_user_list(args: argparse.Namespace, settings: Settings) -> int:
    from station.users import list_users

    with open_context(settings) as ctx, ctx.db.reader() as session:
        for person in list_users(session):
            state = "active" if person.active else "disabled"
            print(f"{person.username:20} {person.role:10} {person.badge_id or '-':14} "
                  f"{person.locale:11} {state}")
    return 0


def cmd_user_active(args: argparse.Namespace, settings: Settings) -> int:
    """`station user disable|enable NAME`: disabling ends the person's sessions at once."""
    from station.returns.errors import DomainError
    from station.users import set_active

    active = args.command_name == "enable"
    try:
        with open_context(settings) as ctx, ctx.work() as work:
            set_active(work.session, args.username, active, actor="cli")
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(f"{args.username} {'enabled' if active else 'disabled; signed out everywhere'}")
    return 0


def cmd_rma_import(args: argparse.Namespace, settings: Settings) -> int:
    from station.returns.importer import read_rma_file
    from station.returns.intake import upsert_rma

    records = read_rma_file(Path(args.file))
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with open_context(settings) as ctx, ctx.work() as work:
        for record in records:
            _, outcome = upsert_rma(
                work, record, actor="cli:rma-import",
                no_reason_window_days=settings.returns.no_reason_window_days,
                default_window_days=settings.returns.default_window_days,
            )
            counts[outcome] += 1
    print(", ".join(f"{n} {k}" for k, n in counts.items()))
    return 0


def register(sub: Subparsers) -> None:
    """Add this module's commands to the `station` parser."""
    config = group(sub, "config", "configuration")
    command(config, "check", cmd_config_check, "validate and print the effective configuration "
            "(secrets masked)")

    db = group(sub, "db", "database schema")
    up = command(db, "upgrade", cmd_db_upgrade, "apply the Alembic migrations")
    up.add_argument("revision", nargs="?", default="head")

    user = group(sub, "user", "people who sign in")
    add = command(user, "add", cmd_user_add, "add an operator (badge + PIN) or a supervisor/admin "
                  "(password read from the terminal or stdin)")
    add.add_argument("username")
    add.add_argument("--role", choices=("operator", "supervisor", "admin"), required=True)
    add.add_argument("--name", help="display name")
    add.add_argument("--badge", help="badge id (operators)")
    add.add_argument("--pin", help="PIN, 4-8 digits (operators; generated and shown if omitted)")
    add.add_argument("--locale", default="en", choices=("en", "zh_Hans_CN"))
    command(user, "list", cmd_user_list, "list people")
    for name, what in (("disable", "stop NAME signing in; ends their sessions at once"),
                       ("enable", "let a disabled NAME sign in again")):
        toggle = command(user, name, cmd_user_active, what)
        toggle.add_argument("username")
        toggle.set_defaults(command_name=name)

    rma = group(sub, "rma", "return authorizations")
    imp = command(rma, "import", cmd_rma_import, "import RMAs from a JSON or CSV file (all or nothing)")
    imp.add_argument("file")
