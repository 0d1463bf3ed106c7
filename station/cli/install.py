"""`station install` and `station uninstall`: a Debian mini PC that boots into the bench screen."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from station.cli.base import Subparsers, command
from station.config import Settings, load_settings
from station.install.bench import (
    CONFIG_FILE,
    InstallOptions,
    bench_url,
    check_options,
    check_privileges,
    install_plan,
    uninstall_plan,
    writable_paths,
)
from station.install.plan import InstallError, Outcome, apply, target


def _options(args: argparse.Namespace, settings: Settings) -> InstallOptions:
    config_text = None
    if args.config:
        try:
            config_text = Path(args.config).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InstallError(f"--config {args.config}: cannot read: {exc}") from exc
    root = Path(args.root) if args.root else Path("/")
    installed = target(root, CONFIG_FILE)
    writable: tuple[PurePosixPath, ...] = ()
    if config_text is None and installed.is_file():  # the bench's own config names its port
        settings = load_settings(installed)
    if config_text is not None or installed.is_file():  # not the starter: its paths are ours
        writable = writable_paths(settings)
    url = getattr(args, "url", None) or bench_url(settings.web.host, settings.web.port)
    return InstallOptions(
        root=root,
        prefix=PurePosixPath(args.prefix),
        user=args.user,
        kiosk_user=args.kiosk_user,
        url=url,
        config_text=config_text,
        source=Path(args.source) if getattr(args, "source", None) else None,
        skip_venv=getattr(args, "skip_venv", False),
        skip_packages=getattr(args, "skip_packages", False),
        kiosk=not (getattr(args, "no_kiosk", False) or getattr(args, "server", False)),
        server=getattr(args, "server", False),
        writable=writable,
    )


def _report(outcomes: Sequence[Outcome], dry_run: bool, verb: str) -> None:
    for outcome in outcomes:
        print(outcome.line())
    changed = [o for o in outcomes if o.changed or o.status.startswith("would-")]
    if dry_run:
        print(f"dry run: {len(changed)} change(s) would be made; nothing was changed")
    elif not changed:
        print(f"nothing to change: the bench is already {verb}")
    else:
        print(f"{len(changed)} change(s) made")


def _run(args: argparse.Namespace, settings: Settings, uninstall: bool) -> int:
    try:
        options = _options(args, settings)
        check_options(options)
        check_privileges(os.geteuid(), options)
        actions = uninstall_plan(options, purge=args.purge) if uninstall else install_plan(options)
        outcomes = apply(actions, options.root, dry_run=args.dry_run)
    except InstallError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    _report(outcomes, args.dry_run, "uninstalled" if uninstall else "installed")
    return 0


def cmd_install(args: argparse.Namespace, settings: Settings) -> int:
    return _run(args, settings, uninstall=False)


def cmd_uninstall(args: argparse.Namespace, settings: Settings) -> int:
    return _run(args, settings, uninstall=True)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", help="write into this folder instead of / (a staged tree: "
                        "nothing is run, no user is created)")
    parser.add_argument("--prefix", default="/opt/returns-station", help="the venv (default "
                        "/opt/returns-station)")
    parser.add_argument("--user", default="returns", help="system user of the bench daemon")
    parser.add_argument("--kiosk-user", default="returns-kiosk",
                        help="system user of the bench screen")
    parser.add_argument("--dry-run", action="store_true",
                        help="print every file and command, change nothing")


def register(sub: Subparsers) -> None:
    """Add `station install` and `station uninstall` to the `station` parser."""
    install = command(sub, "install", cmd_install, "make this Debian machine a bench: user, "
                      "venv, systemd units, udev rules, kiosk screen (root; idempotent)")
    _common(install)
    install.add_argument("--config", help="station.toml to install as "
                         "/etc/returns-station/station.toml (default: keep the one there, or "
                         "write a starter)")
    install.add_argument("--url", help="what the screen opens (default from web.host and "
                         "web.port of the config)")
    install.add_argument("--source", help="project folder to pip install (default: this one)")
    install.add_argument("--skip-venv", action="store_true",
                         help="use the venv already at --prefix (build none)")
    install.add_argument("--skip-packages", action="store_true",
                         help="do not apt-get install the Debian packages")
    install.add_argument("--no-kiosk", action="store_true", help="no screen (a headless node)")
    install.add_argument("--server", action="store_true",
                         help="a central server instead of a bench: station serve and the webhook "
                         "worker, no devices, no screen")
    uninstall = command(sub, "uninstall", cmd_uninstall, "remove what station install made; "
                        "keeps the database, photos and config unless --purge")
    _common(uninstall)
    uninstall.add_argument("--purge", action="store_true",
                           help="also delete the data, the config and the two users")
