"""Kill campaign: SIGKILL the scripted bench at random points, restart it, prove nothing was lost.

Each round starts ``bench.fault_worker`` on the same database and photo folder, waits until it
has confirmed a random number of further steps, then kills it with SIGKILL after a random
delay of up to 30 ms (so the kill lands anywhere: inside a commit, between a photo's file and
its row, between a commit and its journal line). At the end one clean run finishes the work.
Then the campaign checks:

- every step the worker journalled as confirmed is in the database (weights, scans, photos
  with their files and hashes, every state change) — ``lost`` counts the ones that are not;
- every restart resumed at the right step (the database is at the journalled step, or one
  step further when the kill fell between a commit and its journal line);
- no step was recorded twice (one scan, one photo per angle per inspection);
- ``audit verify`` and ``evidence verify`` are clean (a photo file killed before its row is an
  orphan that ``--repair`` moves aside: counted, never a loss);
- every outbox event reaches a real HTTP receiver (signature checked with the
  standardwebhooks library) exactly once under its one id.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import select
from standardwebhooks import Webhook

from bench.fault_worker import rma_body
from station import audit
from station.config import Settings
from station.context import build
from station.db.engine import make_engine
from station.db.migrate import upgrade
from station.db.models import Inspection, OutboxEvent, Photo
from station.evidence.integrity import check_all, repair, sweep
from station.webhooks import admin
from station.webhooks.dispatcher import Dispatcher
from tests.support.wait import wait_until

WORKER = [sys.executable, "-m", "bench.fault_worker"]
ROUND_TIMEOUT_S = 60.0


@dataclass
class KillReport:
    """What one campaign on one database did and found."""

    backend: str
    kills: int = 0
    rmas: int = 0
    steps_confirmed: int = 0
    lost: int = 0
    duplicates: int = 0
    bad_resumes: int = 0
    resumes: int = 0
    audit_problems: int = 0
    photo_problems: int = 0
    orphans_quarantined: int = 0
    events: int = 0
    events_delivered_once: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was lost, doubled, mis-resumed or left unverifiable."""
        return not (self.lost or self.duplicates or self.bad_resumes or self.audit_problems
                    or self.photo_problems or self.events != self.events_delivered_once
                    or self.problems)


def settings_for(root: Path, database_url: str) -> Settings:
    """A bench on ``database_url`` with its photos and audit anchors under ``root``."""
    return Settings.model_validate({
        "database": {"url": database_url},
        "evidence": {"photo_dir": str(root / "photos"), "min_free_mb": 0},
        "audit": {"anchor_file": str(root / "anchors.log")},
    })


def read_journal(path: Path) -> list[dict[str, Any]]:
    """Every complete line (a kill can cut the last one: it was never confirmed)."""
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return entries


def _steps_of(entries: list[dict[str, Any]]) -> Counter[str]:
    return Counter(e["inspection"] for e in entries if e.get("ev") == "step")


def run_round(settings_json: str, journal: Path, rmas: int, rng: random.Random, kill: bool,
              env: dict[str, str]) -> None:
    """One worker life: to the end, or killed after a few more confirmed steps."""
    before = len(read_journal(journal))
    proc = subprocess.Popen([*WORKER, settings_json, str(journal), str(rmas)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if not kill:
            _, err = proc.communicate(timeout=ROUND_TIMEOUT_S * 4)
            if proc.returncode != 0:
                raise RuntimeError(f"final worker failed: {err.decode(errors='replace')[-2000:]}")
            return
        target = before + rng.randint(0, 6)
        if not wait_until(lambda: len(read_journal(journal)) >= target or proc.poll() is not None,
                          ROUND_TIMEOUT_S, interval_s=0.002):  # a file another process appends
            raise RuntimeError("worker made no progress")
        time.sleep(rng.uniform(0, 0.03))  # the random point inside whatever runs now
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        if proc.returncode not in (0, -signal.SIGKILL):
            tail = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"worker failed with {proc.returncode}: {tail[-2000:]}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


def check_resumes(entries: list[dict[str, Any]], report: KillReport) -> None:
    """Each "resume" line must find the steps known so far, or one more.

    Known = the previous resume's count plus the steps journalled since (a step committed just
    before a kill never gets its journal line, so the journal alone falls behind for good).
    """
    known: Counter[str] = Counter()
    for entry in entries:
        if entry.get("ev") == "step":
            known[entry["inspection"]] += 1
        elif entry.get("ev") == "resume":
            report.resumes += 1
            expected = known[entry["inspection"]]
            if not expected <= entry["steps"] <= expected + 1:
                report.bad_resumes += 1
                report.problems.append(f"resume of {entry['inspection']} at {entry['steps']} "
                                       f"steps, {expected} known before it")
            known[entry["inspection"]] = entry["steps"]


def check_database(settings: Settings, entries: list[dict[str, Any]], report: KillReport) -> None:
    """Every confirmed step is in the database, once; audit and evidence verify."""
    ctx = build(settings)
    try:
        with ctx.db.reader() as session:
            inspections = {i.id: i for i in session.execute(select(Inspection)).scalars()}
            photos = {(p.inspection_id, p.sha256) for p in session.execute(select(Photo)).scalars()}
            for inspection in inspections.values():
                _ = inspection.scans, inspection.photos, inspection.rma
            report.rmas = sum(1 for i in inspections.values() if i.state == "completed")
            for entry in (e for e in entries if e.get("ev") == "step"):
                report.steps_confirmed += 1
                found = inspections.get(entry["inspection"])
                if found is None:
                    report.lost += 1
                    report.problems.append(f"inspection {entry['inspection']} missing")
                elif entry.get("sha256") and (found.id, entry["sha256"]) not in photos:
                    report.lost += 1
                    report.problems.append(f"photo {entry['sha256'][:12]} of {found.id} missing")
            for inspection in inspections.values():
                angles = Counter(p.angle for p in inspection.photos)
                report.duplicates += len(inspection.scans) - 1 if inspection.scans else 0
                report.duplicates += sum(n - 1 for n in angles.values())
                if inspection.state != "completed":
                    report.problems.append(f"{inspection.id} left {inspection.state}")
            report.audit_problems = len(audit.verify(session, ctx.anchors.read()))
            report.photo_problems = sum(1 for c in check_all(session, ctx.store) if c.status != "ok")
            strays = sweep(session, ctx.store, grace_s=0).strays
            _, moved = repair(session, ctx.store, strays)
            report.orphans_quarantined = len(moved)
        expected = {rma_body(i)["rma_id"] for i in range(report.rmas)}
        done = {i.rma.rma_id for i in inspections.values() if i.rma and i.state == "completed"}
        if not expected <= done:
            report.problems.append(f"RMAs not completed: {sorted(expected - done)[:5]}")
    finally:
        ctx.close()


class Receiver:
    """The platform's webhook endpoint: verifies each signature, counts arrivals per id."""

    def __init__(self) -> None:
        self.secret = ""
        self.ids: Counter[str] = Counter()
        self.bodies: list[bytes] = []
        self.bad = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                except Exception:
                    with receiver.lock:
                        receiver.bad += 1
                    self.send_response(400)
                    self.end_headers()
                    return
                with receiver.lock:
                    receiver.ids[self.headers["webhook-id"]] += 1
                    receiver.bodies.append(body)
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"


def check_delivery(settings: Settings, report: KillReport) -> None:
    """Deliver the outbox to a real receiver; every event once, under its one id."""
    receiver = Receiver()
    ctx = build(settings)
    try:
        with ctx.db.transaction() as session:
            endpoint = admin.create_endpoint(session, receiver.url)
            receiver.secret = endpoint.secret
        with ctx.db.reader() as session:
            ids = list(session.execute(select(OutboxEvent.id)).scalars())
        dispatcher = Dispatcher(ctx.db, timeout_s=5)
        for _ in range(200):
            if dispatcher.run_once().claimed == 0:
                break
        report.events = len(ids)
        report.events_delivered_once = sum(1 for i in ids if receiver.ids[i] == 1)
        if receiver.bad:
            report.problems.append(f"{receiver.bad} webhooks failed signature verification")
    finally:
        receiver.server.shutdown()
        ctx.close()


def campaign(root: Path, database_url: str, backend: str, kills: int, rmas: int,
             seed: int = 12) -> KillReport:
    """``kills`` SIGKILLs over ``rmas`` scripted inspections on ``database_url``; the report."""
    root.mkdir(parents=True, exist_ok=True)
    settings = settings_for(root, database_url)
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    settings_json = settings.model_dump_json()
    journal = root / "journal.jsonl"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    rng = random.Random(seed)
    report = KillReport(backend)
    for _ in range(kills):
        run_round(settings_json, journal, rmas, rng, kill=True, env=env)
        report.kills += 1
    run_round(settings_json, journal, rmas, rng, kill=False, env=env)
    entries = read_journal(journal)
    if not any(e.get("ev") == "finished" for e in entries):
        report.problems.append("the final run did not finish")
    check_resumes(entries, report)
    check_database(settings, entries, report)
    check_delivery(settings, report)
    return report
