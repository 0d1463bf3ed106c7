"""The `station` command: run, demo, db, config, user, rma, evidence and audit subcommands."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from station.config import ConfigError, Settings, load_settings, masked
from station.context import StationContext
from station.returns.errors import DomainError, IntakeError

Handler = Callable[[argparse.Namespace, Settings], int]


def _context(settings: Settings) -> StationContext:
    from station.context import build
    from station.db.migrate import current_revision, head_revision

    ctx = build(settings)
    if current_revision(ctx.db.engine) != head_revision(ctx.db.engine):
        ctx.close()
        raise DomainError("schema_outdated", "the database schema is not current: run "
                          "`station db upgrade` first")
    return ctx


def cmd_config_check(args: argparse.Namespace, settings: Settings) -> int:
    print(json.dumps(masked(settings), indent=2, ensure_ascii=False))
    print("configuration OK", file=sys.stderr)
    return 0


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from station.db.engine import make_engine
    from station.db.migrate import current_revision, upgrade

    engine = make_engine(settings.database.url, settings.database.busy_timeout_ms)
    upgrade(engine, args.revision)
    print(f"database at revision {current_revision(engine)} ({engine.url.render_as_string()})")
    engine.dispose()
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from station.demo import run_demo

    ctx = _context(settings)
    try:
        run_demo(ctx)
    finally:
        ctx.close()
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
    ctx = _context(settings)
    try:
        with ctx.db.transaction() as session:
            person = add_user(session, username=args.username, display_name=args.name or "",
                              role=args.role, badge_id=args.badge, pin=pin, password=password,
                              locale=args.locale, actor="cli")
        print(f"added {person.role} {person.username} ({person.id}); {shown}")
    finally:
        ctx.close()
    return 0


def cmd_user_list(args: argparse.Namespace, settings: Settings) -> int:
    from station.users import list_users

    ctx = _context(settings)
    try:
        with ctx.db.reader() as session:
            for person in list_users(session):
                state = "active" if person.active else "disabled"
                print(f"{person.username:20} {person.role:10} {person.badge_id or '-':14} "
                      f"{person.locale:11} {state}")
    finally:
        ctx.close()
    return 0


def cmd_rma_import(args: argparse.Namespace, settings: Settings) -> int:
    from station.returns.importer import read_rma_file
    from station.returns.intake import upsert_rma

    records = read_rma_file(Path(args.file))
    ctx = _context(settings)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    try:
        with ctx.db.transaction() as session:
            for record in records:
                _, outcome = upsert_rma(
                    session, record, actor="cli:rma-import",
                    no_reason_window_days=settings.returns.no_reason_window_days,
                    default_window_days=settings.returns.default_window_days,
                )
                counts[outcome] += 1
    finally:
        ctx.close()
    print(", ".join(f"{n} {k}" for k, n in counts.items()))
    return 0


def cmd_evidence_verify(args: argparse.Namespace, settings: Settings) -> int:
    from station.evidence.integrity import check_all

    ctx = _context(settings)
    bad = total = 0
    try:
        with ctx.db.reader() as session:
            for check in check_all(session, ctx.store):
                total += 1
                if check.status != "ok":
                    bad += 1
                    print(f"{check.status.upper():9} photo {check.photo_id} of inspection "
                          f"{check.inspection_id}: {check.detail}")
    finally:
        ctx.close()
    print(f"{total} photos checked, {bad} problems")
    return 1 if bad else 0


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    from station import audit

    ctx = _context(settings)
    try:
        with ctx.db.reader() as session:
            problems = audit.verify(session, ctx.anchors.read())
            seq, head_hash = audit.head(session)
    finally:
        ctx.close()
    for problem in problems:
        print(f"row {problem.seq}: {problem.problem}")
    print(f"{seq} events, head {head_hash[:16]}…, "
          f"{'chain intact' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="station",
        description="Returns-inspection station: bench daemon, tools and simulators.",
    )
    parser.add_argument("--config", help="station.toml path (default: ./station.toml or "
                        "$STATION_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, handler: Handler, help_: str,
        parent: argparse._SubParsersAction[argparse.ArgumentParser] = sub,
    ) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, help=help_, description=help_)
        p.set_defaults(handler=handler)
        return p

    from station import cli_run
    cli_run.register(add)
    from station import cli_report
    cli_report.register(add, sub)
    add("demo", cmd_demo, "seed demo data and walk one simulated parcel through the workflow")

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db", required=True)
    up = add("upgrade", cmd_db_upgrade, "apply the Alembic migrations", db)
    up.add_argument("revision", nargs="?", default="head")

    config = sub.add_parser("config", help="configuration").add_subparsers(dest="cfg",
                                                                            required=True)
    add("check", cmd_config_check, "validate and print the effective configuration", config)

    user = sub.add_parser("user", help="people who sign in").add_subparsers(dest="user",
                                                                            required=True)
    ua = add("add", cmd_user_add, "add an operator (badge + PIN) or a supervisor/admin "
             "(password read from the terminal or stdin)", user)
    ua.add_argument("username")
    ua.add_argument("--role", choices=("operator", "supervisor", "admin"), required=True)
    ua.add_argument("--name", help="display name")
    ua.add_argument("--badge", help="badge id (operators)")
    ua.add_argument("--pin", help="PIN, 4-8 digits (operators; generated and shown if omitted)")
    ua.add_argument("--locale", default="en", choices=("en", "zh_Hans_CN"))
    add("list", cmd_user_list, "list people", user)

    rma = sub.add_parser("rma", help="return authorizations").add_subparsers(dest="rma",
                                                                             required=True)
    ri = add("import", cmd_rma_import, "import RMAs from a JSON or CSV file (all or nothing)", rma)
    ri.add_argument("file")

    evidence = sub.add_parser("evidence", help="photo evidence").add_subparsers(
        dest="evidence", required=True)
    add("verify", cmd_evidence_verify, "re-hash every stored photo; report mismatches and "
        "missing files", evidence)

    aud = sub.add_parser("audit", help="audit log").add_subparsers(dest="audit", required=True)
    add("verify", cmd_audit_verify, "verify the hash chain and its external anchors", aud)
    from station import cli_platform
    cli_platform.register(sub, add)
    from station import cli_devices
    cli_devices.register(sub, add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
        handler: Handler = args.handler
        return handler(args, settings)
    except ConfigError as exc:
        print(f"configuration error:\n{exc}", file=sys.stderr)
        return 2
    except IntakeError as exc:
        print("invalid return authorization data:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem.field}: {problem.reason}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
