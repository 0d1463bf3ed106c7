"""Many benches, one central: N fleet benches, the platform's API clients and one network outage, loopback only.

In one run, on one machine:

- **central**: a throw-away PostgreSQL server, moto's S3 server, ``station serve`` (gunicorn,
  gthread, its webhook dispatcher) on that PostgreSQL, and a webhook receiver on loopback that
  answers 204 and notes when each event arrived.
- **benches**: ``BENCH_FLEET_BENCHES`` fleet benches (default 200) as threads of this process,
  each with its own SQLite spool, photo folder, sync worker (station/sync) and fleet heartbeat
  (station/fleet), inspecting one parcel every ``BENCH_FLEET_PARCEL_S`` seconds (default 60, a
  bench's pace) through the inspection service the bench routes call (receive .. complete, three
  photos). Their network to central runs through a cuttable TCP proxy (PostgreSQL and S3).
  Two hundred ``station run`` daemons would need about 35 GB here; the bench steps are driven
  in-process, so their latencies are the station's work, not HTTP.
- **platform**: ``BENCH_FLEET_API_CLIENTS`` clients (default 50), each with its own API key, at
  ``BENCH_FLEET_API_RPS`` requests/s in all (default 100): half GET /api/v1/inspections/{id},
  half POST /api/v1/returns, against ``station serve``.
- **outage**: at half time the benches' network to central is pulled for ``BENCH_FLEET_OUTAGE_S``
  seconds (default 60): benches keep inspecting into their spools and sync when it is back.

Reported (bench/results/bench_fleet.json): p50/p99 of each API route and of the bench steps
(per parcel, and per step), errors, heartbeats, the sync lag (parcel completed at the bench ->
synced centrally) and the webhook lag (synced centrally -> delivered to the receiver), and the
counts that must match: parcels completed at benches = inspections central holds = distinct
``inspection.completed`` events delivered; photos rows central holds = objects in S3. Events lost
and photos lost must be 0. Run: ``.venv/bin/python -m bench.bench_fleet`` (``BENCH_FLEET_MINUTES``,
default 10).
"""

from __future__ import annotations

import http.server
import json
import logging
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import postgres_databases, station_settings, summary_ms, write_result

BENCHES = int(os.environ.get("BENCH_FLEET_BENCHES", "200"))
MINUTES = float(os.environ.get("BENCH_FLEET_MINUTES", "10"))
PARCEL_S = float(os.environ.get("BENCH_FLEET_PARCEL_S", "60"))
API_CLIENTS = int(os.environ.get("BENCH_FLEET_API_CLIENTS", "50"))
API_RPS = float(os.environ.get("BENCH_FLEET_API_RPS", "100"))
OUTAGE_S = float(os.environ.get("BENCH_FLEET_OUTAGE_S", "60"))
#: A fleet this size copies no return ahead ([central] prefetch_returns, docs/configuration.md):
#: with prefetch every bench copies every open return of the company each round.
PREFETCH = os.environ.get("BENCH_FLEET_PREFETCH", "0") == "1"
DRAIN_TIMEOUT_S = float(os.environ.get("BENCH_FLEET_DRAIN_S", "300"))
#: Two pooled connections per bench (its sync and its heartbeat) and the server's: PostgreSQL's
#: default of 100 is far too few for a fleet (docs/deployment.md: put PgBouncer in front).
MAX_CONNECTIONS = 4 * BENCHES + 200
log = logging.getLogger("bench_fleet")


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return int(sock.getsockname()[1])


class Receiver:
    """The platform's webhook endpoint: 204 for every POST, the arrival time per webhook-id."""

    def __init__(self) -> None:
        self.arrived: dict[str, tuple[float, str, str]] = {}  # id -> (time, type, inspection id)
        self.posts = 0
        lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.time()
                try:
                    event = json.loads(body)
                    kind = str(event.get("type", ""))
                    data = event.get("data") or {}
                    inspection = str(data.get("inspection_id") or data.get("id") or "")
                except ValueError:
                    kind = inspection = ""
                with lock:
                    outer.posts += 1
                    outer.arrived.setdefault(self.headers.get("webhook-id", ""), (now, kind, inspection))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

class Stats:
    """Latency samples and error counts by name, from many threads."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_texts: dict[str, str] = {}
        self._lock = threading.Lock()

    def add(self, name: str, seconds: float) -> None:
        with self._lock:
            self.samples[name].append(seconds)

    def fail(self, name: str, text: str) -> None:
        with self._lock:
            self.errors[name] += 1
            self.error_texts.setdefault(name, text[:300])

    def report(self) -> dict[str, Any]:
        return {name: {**summary_ms(values), "errors": self.errors.get(name, 0),
                       **({"first_error": self.error_texts[name]} if name in self.error_texts else {})}
                for name, values in sorted(self.samples.items()) if values} | {
            f"{name} (errors only)": {"errors": count, "first": self.error_texts.get(name)}
            for name, count in self.errors.items() if not self.samples.get(name)}


class Bench:
    """One fleet bench: its spool context, sync worker, heartbeat and a parcel every PARCEL_S."""

    def __init__(self, index: int, root: Path, template: Path, central: dict[str, Any]) -> None:
        from station.context import build
        from station.fleet.heartbeat import FleetHeartbeat
        from station.sync.worker import fleet_sync

        self.index = index
        self.station_id = f"bench-{index:03d}"
        folder = root / self.station_id
        folder.mkdir()
        shutil.copyfile(template, folder / "spool.db")
        self.settings = station_settings(folder, f"sqlite:///{folder / 'spool.db'}",
                                  station={"id": self.station_id},
                                  labels={"station_code": f"B{index:03d}"},
                                  central={**central, "photo_dir": str(folder / "cache"),
                                           "anchor_file": str(folder / "central-anchors.log")})
        self.ctx = build(self.settings)
        self.ctx.work.anchor_in_background()
        sync = fleet_sync(self.settings, self.ctx.work, self.ctx.store)
        assert sync is not None
        self.sync = sync
        self.beats = FleetHeartbeat(self.ctx, None, shared=sync.central.db)
        self.completed: dict[str, float] = {}  # inspection id -> completed at (time.time())

    def start(self) -> None:
        self.sync.start()
        self.beats.start(first_now=False)

    def inspect(self, label: str, stats: Stats) -> None:
        """One parcel through the bench's steps, each step timed."""
        from drivers.scanner.interpret import interpret
        from station.demo import product_photo
        from station.policy import Checklist
        from station.returns.rules.types import ScannedItem
        from station.vocabulary import FunctionTest
        from tests.factories import HEADPHONES_GTIN

        service = self.ctx.inspections
        started = time.perf_counter()

        def step(name: str, call: Any) -> Any:
            begun = time.perf_counter()
            result = call()
            stats.add(f"bench step {name}", time.perf_counter() - begun)
            return result

        step("know label (spool or central lookup)", lambda: self.sync.know_label(label))
        inspection = step("receive", lambda: service.receive(label, self.station_id, None, "op"))
        step("weigh", lambda: service.record_weight(inspection.id, 550_000, "scale", "op"))
        scan = interpret(f"]d201{HEADPHONES_GTIN}21SN-001", "scanner")  # the demo RMA's serial
        item = ScannedItem(raw=scan.raw, gtin=scan.gtin, sku=None, serial=scan.serial)
        step("scan", lambda: service.record_scan(
            inspection.id, item, "op", symbology=scan.symbology, source=scan.source, lot=scan.lot))
        step("finish items", lambda: service.finish_items(inspection.id, "op"))
        def photograph() -> None:  # distinct bytes per parcel: every photo is its own object
            needed = service.photos_needed(service.get(inspection.id))
            for index, (unit, angle) in enumerate(needed):
                # short text: the 320 px photo must show all of it for the bytes to differ
                data = product_photo(f"{self.index}.{label.rsplit('-', 1)[1]}.{index}",
                                     seed=self.index, size=(320, 200))
                service.add_photo(inspection.id, data, angle=angle, width=320, height=200,
                                  actor="op", unit_id=unit.id if unit is not None else None)

        step("photos (all needed)", photograph)
        step("finish photos", lambda: service.finish_photos(inspection.id, "op"))
        step("checklist", lambda: service.record_checklist(
            inspection.id, Checklist(function_test=FunctionTest.PASSED), "op"))
        step("grade", lambda: service.grade(inspection.id, "op"))
        step("complete", lambda: service.complete(inspection.id, "op"))
        self.completed[inspection.id] = time.time()
        stats.add("bench parcel (all steps)", time.perf_counter() - started)
        self.sync.notify()

    def close(self) -> None:
        self.beats.stop()
        self.sync.stop()
        self.ctx.close()


def _platform_return(client: int, n: int) -> dict[str, Any]:
    return {"rma_id": f"API-{client}-{n}", "order_id": f"O-{client}-{n}", "reason": "no_reason",
            "delivered_at": "2026-11-24T10:00:00+00:00",
            "items": [{"line_id": "1", "sku": "SKU-1", "gtin": "05012345678900", "quantity": 1,
                       "unit_weight_g": "400", "category": "general"}]}


def _api_client(index: int, base: str, key: str, inspection_ids: list[str], until: float,
                every_s: float, stats: Stats) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {key}"}
    rng = random.Random(index)
    n = 0
    with httpx.Client(base_url=base, headers=headers, timeout=10.0) as client:
        next_at = time.monotonic() + rng.random() * every_s
        while time.monotonic() < until:
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # paced (open loop per client), not a test's synchronisation
            next_at += every_s
            n += 1
            get = bool(n % 2 and inspection_ids)
            name = "GET /api/v1/inspections/{id}" if get else "POST /api/v1/returns"
            begun = time.perf_counter()
            try:
                if get:
                    response = client.get(f"/api/v1/inspections/{rng.choice(inspection_ids)}")
                else:
                    response = client.post("/api/v1/returns", json=_platform_return(index, n),
                                           headers={"Idempotency-Key": f"k-{index}-{n}"})
            except httpx.HTTPError as exc:
                stats.fail(name, repr(exc))
                continue
            elapsed = time.perf_counter() - begun
            if get and response.status_code == 404:  # asked before its bench's sync reached central
                stats.add(f"{name} 404 (not synced yet)", elapsed)
            elif response.status_code >= 400:
                stats.fail(name, f"{response.status_code} {response.text[:200]}")
            else:
                stats.add(name, elapsed)


def _wait_healthy(base: str, process: subprocess.Popen[bytes], log_file: Path,
                  timeout_s: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = log_file.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise RuntimeError(f"station serve exited with {process.returncode}:\n{said}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("station serve did not answer /healthz")


def main() -> dict[str, Any]:
    from moto.server import ThreadedMotoServer
    from sqlalchemy import func, select

    from station.apikeys import create_api_key
    from station.context import build
    from station.db.engine import make_engine
    from station.db.fleet_models import BenchHeartbeat
    from station.db.migrate import upgrade
    from station.db.models import AuditEvent, Inspection, Photo
    from station.db.types import utcnow
    from station.db.webhook_models import OutboxEvent
    from station.webhooks.admin import create_endpoint
    from tests.factories import seed_rma
    from tests.support.proxy import CuttableProxy
    from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Server

    logging.basicConfig(level=logging.WARNING)
    load_start = os.getloadavg()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, s3_port = moto.get_host_and_port()
    s3 = S3Server(moto, f"http://{host}:{s3_port}")
    bucket = s3.new_bucket()
    receiver = Receiver()
    stats = Stats()
    parcels_per_bench = int(MINUTES * 60 / PARCEL_S) + 2
    with postgres_databases("central", max_connections=MAX_CONNECTIONS) as urls, \
            tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR", "var")) as tmp:
        if urls is None:
            raise SystemExit("PostgreSQL server binaries not installed")
        root = Path(tmp).resolve()
        central_url = urls[0]
        engine = make_engine(central_url)
        upgrade(engine)
        engine.dispose()
        store = {"backend": "s3", "s3_endpoint_url": s3.endpoint_url, "s3_region": REGION,
                 "s3_access_key": ACCESS_KEY, "s3_secret_key": SECRET_KEY, "s3_bucket": bucket}
        central = build(station_settings(root / "central", central_url,
                                  evidence={"photo_dir": str(root / "central-cache"), **store}))
        started = time.perf_counter()
        for b in range(BENCHES):
            for n in range(parcels_per_bench):
                seed_rma(central, f"F{b:03d}-{n}")
        seed_s = time.perf_counter() - started
        keys = []
        with central.work() as work:
            for client in range(API_CLIENTS):
                keys.append(create_api_key(work.session, f"platform {client}",
                                           ["returns:write", "inspections:read"])[1])
            create_endpoint(work.session, receiver.url, secret=None)

        # the central server, as production runs it
        config = root / "central.toml"
        config.write_text(
            f'[database]\nurl = "{central_url}"\n[evidence]\nbackend = "s3"\n'
            f'photo_dir = "{root / "serve-cache"}"\ns3_endpoint_url = "{s3.endpoint_url}"\n'
            f's3_region = "{REGION}"\ns3_bucket = "{bucket}"\n'
            f'[audit]\nanchor_file = "{root / "serve-anchors.log"}"\n', encoding="utf-8")
        port = _free_port()
        env = {**os.environ, "STATION_EVIDENCE__S3_ACCESS_KEY": ACCESS_KEY,
               "STATION_EVIDENCE__S3_SECRET_KEY": SECRET_KEY}
        env.pop("DATABASE_URL", None)
        serve = subprocess.Popen(
            [sys.executable, "-m", "station.cli", "--config", str(config), "serve", "--host",
             "127.0.0.1", "--port", str(port)], cwd=root, env=env,
            stdout=subprocess.DEVNULL, stderr=open(root / "serve.log", "wb"))  # noqa: SIM115
        base = f"http://127.0.0.1:{port}"
        benches: list[Bench] = []
        try:
            _wait_healthy(base, serve, root / "serve.log")
            pg_port = int(central_url.rsplit(":", 1)[1].split("/")[0])
            pg_proxy, s3_proxy = CuttableProxy("127.0.0.1", pg_port), CuttableProxy(host, s3_port)
            bench_central = {
                "database_url": central_url.replace(f":{pg_port}/", f":{pg_proxy.port}/"),
                **store, "s3_endpoint_url": f"http://127.0.0.1:{s3_proxy.port}",
                "sync_interval_s": 5.0, "timeout_s": 3.0, "prefetch_returns": PREFETCH}
            template = root / "spool-template.db"
            engine = make_engine(f"sqlite:///{template}")
            upgrade(engine)
            engine.dispose()
            started = time.perf_counter()
            (root / "benches").mkdir()
            benches = [Bench(b, root / "benches", template, bench_central) for b in range(BENCHES)]
            for bench in benches:
                bench.start()
            start_s = time.perf_counter() - started

            run_s = MINUTES * 60
            t0 = time.monotonic()
            until = t0 + run_s
            outage_at, outage_end = t0 + run_s / 2 - OUTAGE_S / 2, t0 + run_s / 2 + OUTAGE_S / 2
            inspection_ids: list[str] = []  # filled as benches sync, for the GETs

            def drive(bench: Bench) -> None:
                next_at = t0 + bench.index * PARCEL_S / max(1, BENCHES)  # spread over a period
                n = 0
                while n < parcels_per_bench:
                    delay = next_at - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)  # a bench's pace, not synchronisation
                    if time.monotonic() >= until:
                        return
                    next_at += PARCEL_S
                    try:
                        bench.inspect(f"TRKF{bench.index:03d}-{n}", stats)
                        inspection_ids.append(next(reversed(bench.completed)))
                    except Exception as exc:  # counted, the bench goes on with the next parcel
                        stats.fail("bench parcel (all steps)", f"{type(exc).__name__}: {exc}")
                    n += 1

            drivers = [threading.Thread(target=drive, args=(b,), daemon=True) for b in benches]
            clients = [threading.Thread(target=_api_client, args=(
                c, base, keys[c], inspection_ids, until, API_CLIENTS / API_RPS, stats), daemon=True)
                for c in range(API_CLIENTS)]
            for thread in [*drivers, *clients]:
                thread.start()
            outage = {"planned_s": OUTAGE_S}
            while time.monotonic() < outage_at:
                time.sleep(0.5)
            pg_proxy.cut()
            s3_proxy.cut()
            outage["cut_at_s"] = round(time.monotonic() - t0, 1)
            offline_seen = 0
            while time.monotonic() < outage_end:
                offline_seen = max(offline_seen, sum(b.sync.status().online is False for b in benches))
                time.sleep(1)
            waiting_at_restore = sum(b.sync.status().waiting for b in benches)
            pg_proxy.restore()
            s3_proxy.restore()
            outage |= {"restored_at_s": round(time.monotonic() - t0, 1),
                       "benches_that_said_offline": offline_seen,
                       "parcels_waiting_at_restore": waiting_at_restore}
            for thread in [*drivers, *clients]:
                thread.join(timeout=max(1.0, until - time.monotonic() + 120))
            load_end = os.getloadavg()

            # drain: every bench's spool synced, every event delivered (bounded)
            drained_at = time.monotonic()
            deadline = drained_at + DRAIN_TIMEOUT_S
            for bench in benches:
                bench.sync.notify()
            while time.monotonic() < deadline and any(
                    b.sync.status().waiting for b in benches):
                time.sleep(1)
            sync_drain_s = time.monotonic() - drained_at
            completed = {i: at for b in benches for i, at in b.completed.items()}
            with central.db.reader() as session:
                central_ids = set(session.execute(select(Inspection.id).where(
                    Inspection.id.in_(list(completed)))).scalars()) if completed else set()
                synced_at = {e: a.timestamp() for e, a in session.execute(
                    select(AuditEvent.entity_id, AuditEvent.at)
                    .where(AuditEvent.action == "inspection.synced"))}
                photo_keys = list(session.execute(select(Photo.storage_key).where(
                    Photo.inspection_id.in_(list(central_ids)))).scalars()) if central_ids else []
                outbox_total = session.execute(select(func.count()).select_from(OutboxEvent)).scalar_one()
            while time.monotonic() < deadline and len(receiver.arrived) < outbox_total:
                time.sleep(1)
            final_kinds = ("inspection.completed", "inspection.flagged")  # a conflict is flagged
            delivered_completed = {ins for _, kind, ins in receiver.arrived.values()
                                   if kind in final_kinds}
            kinds: dict[str, int] = defaultdict(int)
            for _, kind, _ins in receiver.arrived.values():
                kinds[kind] += 1
            missing_objects = sum(1 for key in set(photo_keys)
                                  if not central.store.exists(key))
            sync_lag = [synced_at[i] - at for i, at in completed.items() if i in synced_at]
            arrived_by_inspection = {ins: at for at, kind, ins in receiver.arrived.values()
                                     if kind in final_kinds}
            webhook_lag = [arrived_by_inspection[i] - synced_at[i] for i in completed
                           if i in arrived_by_inspection and i in synced_at]
            fresh = utcnow() - timedelta(seconds=3 * benches[0].beats.period_s)
            with central.db.reader() as session:
                beating = session.execute(select(func.count()).select_from(BenchHeartbeat).where(
                    BenchHeartbeat.last_heartbeat_at >= fresh)).scalar_one()
        finally:
            for bench in benches:
                bench.close()
            serve.terminate()
            try:
                serve.wait(timeout=30)
            except subprocess.TimeoutExpired:
                serve.kill()
            central.close()
    receiver.server.shutdown()
    moto.stop()
    lost_events = len(set(completed) - delivered_completed)
    return write_result("bench_fleet", {
        "benches": BENCHES, "minutes": MINUTES, "parcel_every_s": PARCEL_S,
        "prefetch_returns": PREFETCH,
        "api_clients": API_CLIENTS, "api_rps_planned": API_RPS, "cpus": os.cpu_count(),
        "load_average_start": [round(v, 2) for v in load_start],
        "load_average_end_of_run": [round(v, 2) for v in load_end],
        "setup": {"rmas_seeded": BENCHES * parcels_per_bench, "seed_s": round(seed_s, 1),
                  "benches_started_s": round(start_s, 1)},
        "latency": stats.report(),
        "outage": outage,
        "sync_lag_completed_to_central": summary_ms(sync_lag) if sync_lag else None,
        "webhook_lag_central_to_receiver": summary_ms(webhook_lag) if webhook_lag else None,
        "sync_drain_after_run_s": round(sync_drain_s, 1),
        "benches_beating_at_end_of_drain": beating,
        "counts": {"parcels_completed_at_benches": len(completed),
                   "inspections_central_holds": len(central_ids),
                   "inspections_with_final_event_delivered": len(delivered_completed),
                   "events_delivered_by_type": dict(kinds),
                   "outbox_events_central": outbox_total,
                   "webhook_posts_received": receiver.posts,
                   "photo_objects_checked": len(set(photo_keys))},
        "lost": {"inspections_not_central": len(set(completed) - central_ids),
                 "events_not_delivered": lost_events, "photos_missing_in_s3": missing_objects},
        "goals": {"bench_route_p99_ms": 100, "api_p99_ms": 50, "lost": 0},
    })


if __name__ == "__main__":
    main()
