"""Tamper checks an auditor runs: `station evidence verify` and `station audit verify`."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from station.cli.base import Subparsers, command, group, open_context
from station.config import Settings
from station.evidence.integrity import DEFAULT_GRACE_S

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from station.evidence.video import VideoStore


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
        video_problems = verify_videos(args, settings, session)
    return 1 if bad or left or video_problems else 0


def verify_videos(args: argparse.Namespace, settings: Settings, session: Session) -> int:
    """Re-hash every unboxing video chunk kept and sweep the video folder; how many problems."""
    from station.evidence.integrity import quarantine_batch
    from station.evidence.video import check_chunks, sweep_videos

    videos = video_store(settings)
    checks = list(check_chunks(session, videos))
    strays, recent = sweep_videos(session, videos, grace_s=args.older_than)
    if not checks and not strays and not recent:
        return 0  # this station has never recorded video: nothing to say
    bad = total = pruned = 0
    for check in checks:
        total += 1
        if check.status == "pruned":
            pruned += 1
        elif check.status != "ok":
            bad += 1
            print(f"{check.status.upper():9} video chunk {check.sequence} ({check.chunk_id}) of "
                  f"inspection {check.inspection_id}: {check.detail}")
    print(f"{total} video chunks: {total - pruned} checked, {pruned} pruned by retention, "
          f"{bad} problems")
    for stray in strays:
        print(f"ORPHAN    {stray.key} ({stray.size_bytes} B, {stray.age_s / 60:.0f} min old): "
              "no video chunk row names it")
    print(f"{len(strays)} video files without a row"
          + (f"; {recent} newer than {args.older_than:g} s left alone" if recent else ""))
    left = len(strays)
    if args.repair and strays:
        batch = quarantine_batch()
        moved = videos.quarantine([s.key for s in strays], batch)
        print(f"moved {len(moved)} video files to .quarantine/{batch} in the evidence folder; "
              "nothing was deleted")
        left -= len(moved)
    return bad + left


def video_store(settings: Settings) -> VideoStore:
    """The unboxing video chunks: in the local evidence folder whatever the photo backend."""
    from pathlib import Path

    from station.evidence.video import VideoStore

    return VideoStore(Path(settings.evidence.photo_dir), settings.evidence.min_free_mb)


def cmd_evidence_prune_video(args: argparse.Namespace, settings: Settings) -> int:
    from station.evidence.video import prune

    days = args.days if args.days is not None else settings.video.retention_days
    with open_context(settings) as ctx:
        done = prune(ctx.work, video_store(settings), days)
    print(f"pruned {done.chunks} video chunks of {done.inspections} inspections older than "
          f"{days} days ({done.bytes / 1024 / 1024:.1f} MB, {done.files_deleted} files deleted); "
          "open and flagged cases are kept")
    return 0


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


def _days(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 3650:
        raise argparse.ArgumentTypeError("days must be a whole number from 1 to 3650")
    return int(text)


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
    prune_video = command(evidence, "prune-video", cmd_evidence_prune_video, "delete unboxing "
                          "video chunks older than video.retention_days (audited; their rows stay)")
    prune_video.add_argument("--days", type=_days, metavar="DAYS",
                             help="retention in days (default video.retention_days)")
    aud = group(sub, "audit", "audit log")
    command(aud, "verify", cmd_audit_verify, "verify the hash chain and its external anchors")
