"""The `station` command: builds the parser from the command modules and turns failures into one line.

Every command module has ``register(sub)``; its handlers take ``(args, settings)`` and open the
station's services with ``with open_context(settings) as ctx``. This package is the composition
root: the only code that imports ``web/`` (to serve it) as well as ``station/`` and ``drivers/``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from station.cli import (
    admin,
    backup,
    devices,
    doctor,
    fleet,
    install,
    integrity,
    platform,
    report,
    run,
    serve,
    sim_printer,
)
from station.cli.base import Handler
from station.config import ConfigError, load_settings
from station.returns.errors import DomainError, IntakeError

#: The command modules, in the order `station --help` lists their commands.
MODULES = (run, serve, admin, fleet, integrity, report, platform, devices, sim_printer, doctor, backup, install)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="station",
        description="Returns-inspection station: bench daemon, tools and simulators.",
    )
    parser.add_argument("--config", help="station.toml path (default: ./station.toml or "
                        "$STATION_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in MODULES:
        module.register(sub)
    return parser


def _database_error(exc: Exception) -> str:
    """The driver's first line, without the SQL or the parameters (they may hold secrets)."""
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return first[:300]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; an expected failure is one line on stderr and exit code 2, never a traceback."""
    from sqlalchemy.exc import OperationalError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
        handler: Handler = args.handler
        return handler(args, settings)
    except ConfigError as exc:
        problems = str(exc).strip().splitlines()
        print(f"configuration error: {'; '.join(p.strip() for p in problems)}", file=sys.stderr)
        return 2
    except IntakeError as exc:
        listed = "; ".join(f"{p.field}: {p.reason}" for p in exc.problems)
        print(f"invalid return authorization data: {listed}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except NotImplementedError as exc:
        print(f"not available yet: {exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:
        print(f"database error: {_database_error(exc)} (check database.url / DATABASE_URL and "
              "that the server is running)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
