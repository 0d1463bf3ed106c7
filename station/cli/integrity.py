"""Tamper checks an auditor runs: `station evidence verify` and `station audit verify`."""

from __future__ import annotations

import argparse

from station.cli.base import Subparsers, command, group, open_context
from station.config import Settings


def cmd_evidence_verify(args: argparse.Namespace, settings: Settings) -> int:
    from station.evidence.integrity import check_all

    bad = total = 0
    with open_context(settings) as ctx, ctx.db.reader() as session:
        for check in check_all(session, ctx.store):
            total += 1
            if check.status != "ok":
                bad += 1
                print(f"{check.status.upper():9} photo {check.photo_id} of inspection "
                      f"{check.inspection_id}: {check.detail}")
    print(f"{total} photos checked, {bad} problems")
    return 1 if bad else 0


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    from station import audit

    with open_context(settings) as ctx, ctx.db.reader() as session:
        problems = audit.verify(session, ctx.anchors.read())
        seq, head_hash = audit.head(session)
    for problem in problems:
        print(f"row {problem.seq}: {problem.problem}")
    print(f"{seq} events, head {head_hash[:16]}…, "
          f"{'chain intact' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


def register(sub: Subparsers) -> None:
    """Add this module's commands to the `station` parser."""
    evidence = group(sub, "evidence", "photo evidence")
    command(evidence, "verify", cmd_evidence_verify, "re-hash every stored photo; report "
            "mismatches and missing files")
    aud = group(sub, "audit", "audit log")
    command(aud, "verify", cmd_audit_verify, "verify the hash chain and its external anchors")
