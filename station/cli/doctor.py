"""`station doctor`: what breaks this bench, and what to do about it (English or Chinese)."""

from __future__ import annotations

import argparse
import json
import os

from station.cli.base import Subparsers, command
from station.config import Settings
from station.doctor.texts import Lang


def default_lang(environ: dict[str, str] | None = None) -> Lang:
    """Chinese when LC_ALL, LC_MESSAGES, LANGUAGE or LANG (the first set) starts with zh."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE", "LANG"):
        value = env.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from station.doctor import diagnose, exit_code, render_json, render_text

    lang: Lang = args.lang or default_lang()
    findings = diagnose(settings, args.user, args.timeout)
    if args.json:
        print(json.dumps(render_json(findings, lang), ensure_ascii=False, indent=2))
    else:
        print(render_text(findings, lang))
    return exit_code(findings)


def register(sub: Subparsers) -> None:
    """Add this module's commands to the `station` parser."""
    doctor = command(sub, "doctor", cmd_doctor, "check devices, permissions, serial settings, "
                     "disk, clock, database, printer and webhook endpoints; say what to do about "
                     "each failure (exit 1 on any FAIL)")
    doctor.add_argument("--lang", choices=("en", "zh"), help="language of the report (default: "
                        "zh when LANG starts with zh, else en)")
    doctor.add_argument("--json", action="store_true", help="one JSON document for machines")
    doctor.add_argument("--user", help="the account the bench service runs as (default: the "
                        "system user `station install` makes, when there is one, else the "
                        "current user)")
    doctor.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                        help="longest wait for any one check (default %(default)g)")
