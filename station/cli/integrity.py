"""Tamper checks an auditor runs: `station evidence verify` and `station audit verify`."""

from __future__ import annotations

import argparse
import sys

from station.cli.base import Subparsers, command, group, open_context
from station.config import Settings
from station.evidence.integrity import DEFAULT_GRACE_S


def cmd_evidence_verify(args: argparse.Namespace, settings: Settings) -> int:
    from station.evidence.integrity import check_all, repair, sweep

    bad = total = 0
    with open_context(settings) as ctx, ctx.db.reader() as session:
        for check in check_all(session, ctx.store, deep=args.deep):
            total += 1
            if check.status != "ok":
                bad += 1
                print(f"{check.status.upper():9} photo {check.photo_id} of inspection "
                      f"{check.inspection_id}: {check.detail}")
        print(f"{total} photos checked, {bad} problems")
        found = sweep(session, ctx.store, grace_s=args.older_than)
        for stray in found.strays:
            what = "no photo row names it" if stray.kind == "orphan" else "left by an interrupted write"
            print(f"{stray.kind.upper():9} {stray.key} ({stray.size_bytes} B, "
                  f"{stray.age_s / 60:.0f} min old): {what}")
        print(f"{found.count('orphan')} files without a row, {found.count('temp')} temp leftovers"
              + (f"; {found.recent} newer than {args.older_than:g} s left alone" if found.recent
                 else ""))
        left = len(found.strays)
        if args.repair and found.strays:
            folder, moved = repair(session, ctx.store, found.strays)
            orphans = sum(1 for s in moved if s.kind == "orphan")
            print(f"moved {len(moved)} files to {folder} in the photo store ({orphans} without a "
                  f"row, {len(moved) - orphans} temp leftovers); nothing was deleted")
            left -= len(moved)
    return 1 if bad or left else 0


def cmd_evidence_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from station.evidence.migrate import Progress, migrate_to_s3, progress_path
    from station.evidence.store import LocalPhotoStore
    from station.evidence.store_s3 import S3Options, S3PhotoStore

    section = settings.evidence
    if not section.s3_bucket:
        print("error: evidence.s3_bucket is not set: configure the [evidence] s3_* settings "
              "first (backend may stay \"local\" until the copy is verified)", file=sys.stderr)
        return 2
    options = S3Options.from_section(section)
    target = S3PhotoStore(options, Path(section.photo_dir), section.min_free_mb)
    source = LocalPhotoStore(Path(section.photo_dir), section.min_free_mb)
    progress = Progress(progress_path(Path(settings.data_dir), options))
    with open_context(settings) as ctx, ctx.db.reader() as session:
        target.probe_writable()
        report = migrate_to_s3(session, source, target, progress)
    for problem in report.problems:
        print(f"PROBLEM   {problem}")
    print(f"{report.total} originals: {report.copied} copied, {report.present} already in the "
          f"bucket, {report.already} done by an earlier run; {report.verified} verified in "
          f"{target.describe()}, {len(report.problems)} problems")
    return 1 if report.problems else 0


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
    verify = command(evidence, "verify", cmd_evidence_verify, "re-hash every stored photo; report "
                     "mismatches, missing files, files without a row and temp leftovers")
    verify.add_argument("--repair", action="store_true", help="move files without a row and temp "
                        "leftovers to <photo_dir>/.quarantine/<UTC time>/ (never deletes)")
    verify.add_argument("--older-than", type=float, default=DEFAULT_GRACE_S, metavar="SECONDS",
                        help="leave files younger than this alone: a capture may be writing them "
                        "(default %(default)g)")
    verify.add_argument("--deep", action="store_true", help="download and re-hash every "
                        "original even where the store keeps its SHA-256 (an S3 bucket)")
    migrate = command(evidence, "migrate", cmd_evidence_migrate, "copy every local original to "
                      "the S3 bucket (evidence.s3_*), verify each object; a rerun resumes")
    migrate.add_argument("--to", choices=["s3"], required=True, help="the target store")
    aud = group(sub, "audit", "audit log")
    command(aud, "verify", cmd_audit_verify, "verify the hash chain and its external anchors")
