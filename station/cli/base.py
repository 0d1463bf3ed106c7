"""What every command module shares: the register signature, command groups and `open_context`."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from station.config import Settings
from station.context import StationContext
from station.returns.errors import DomainError

Handler = Callable[[argparse.Namespace, Settings], int]
Subparsers = argparse._SubParsersAction


class SchemaOutdated(DomainError):
    """The database exists but its schema is older (or newer) than this software's."""


def command(parent: Subparsers, name: str, handler: Handler, help_: str) -> argparse.ArgumentParser:
    """One subcommand that runs ``handler(args, settings)``."""
    parser: argparse.ArgumentParser = parent.add_parser(name, help=help_, description=help_)
    parser.set_defaults(handler=handler)
    return parser


def group(parent: Subparsers, name: str, help_: str) -> Subparsers:
    """A command with subcommands of its own (``station db upgrade``, ``station user add``...)."""
    return parent.add_parser(name, help=help_, description=help_).add_subparsers(
        dest=f"{name}_command", required=True, metavar="COMMAND")


@contextmanager
def open_context(settings: Settings) -> Iterator[StationContext]:
    """The station's services on a migrated database, closed again when the block ends."""
    from station.context import build
    from station.db.migrate import current_revision, head_revision

    ctx = build(settings)
    try:
        if current_revision(ctx.db.engine) != head_revision(ctx.db.engine):
            raise SchemaOutdated("schema_outdated", "the database schema is not current: run "
                                 "`station db upgrade` first")
        yield ctx
    finally:
        ctx.close()


def split_words(values: list[str]) -> list[str]:
    """``["a,b", "c"]`` -> ``["a", "b", "c"]``: options that take several words or a comma list."""
    return [word for value in values for word in value.replace(",", " ").split()]
