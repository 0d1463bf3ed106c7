"""`station run` (one bench in one process: devices, touchscreen UI, webhooks) and `station demo`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING

from station.cli.base import Subparsers, command, open_context
from station.cli.serve import listen, start_dispatcher_thread
from station.config import Settings
from station.context import StationContext
from station.fleet.heartbeat import FleetHeartbeat
from station.install import watchdog as systemd
from station.printing.spooler import PrintSpooler, bench_spooler
from station.process_memory import cap_malloc_arenas

if TYPE_CHECKING:
    from station.devices import DeviceManager
    from station.evidence.video_recording import BenchVideo
    from station.sync.worker import SpoolSync


def _interrupt_on_term() -> None:
    """SIGTERM stops the bench like Ctrl-C: devices closed, nothing half-written (all committed)."""
    def handle(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handle)


def demo_intro(ctx: StationContext, url: str) -> None:
    from station.demo import WRONG_ITEM_GTIN, seed_rmas, seed_users
    from station.demo_history import seed_history

    print("Demo mode: simulated scale, scanner and camera; demo data:")
    seed_users(ctx, print)
    seed_rmas(ctx, print)
    seed_history(ctx, print)
    print(f"""
Open {url} , sign in with the badge and PIN above (type them, or scan the badge).
The yellow DEMO panel (bottom centre) drives the simulated devices:
  - a matching parcel: "Label" of a return, put its expected weight on the scale, scan its item;
  - a wrong item: scan "wrong item" (GTIN {WRONG_ITEM_GTIN}, on no return) at the items step;
  - a weight mismatch: "too heavy" at the weigh step;
  - an unexpected parcel: scan "unknown label" on the idle screen.
Supervisors: {url}review/ (flagged cases) and {url}analytics/ hold a few finished demo inspections.""")


def start_spooler(ctx: StationContext, devices: DeviceManager) -> PrintSpooler | None:
    """The bench's print spooler on the manager's printer (None: no printer, or labels off)."""
    from station.printing.content import LabelContent

    if devices.printers is None or ctx.settings.labels.print_at == "never":
        return None
    content = LabelContent(ctx.sorting.rules, ctx.sorting.code, ctx.settings.station.timezone)
    spooler = bench_spooler(ctx.db, ctx.settings.station.id, content.zpl, devices.printers.send,
                            on_failure=devices.printer_problem)
    ctx.work.on_label = spooler.notify
    spooler.start()
    return spooler


def start_video(ctx: StationContext, devices: DeviceManager) -> BenchVideo | None:
    """The unboxing recorder on the camera's frames (None: video off, or no camera)."""
    from pathlib import Path

    from station.evidence.video import VideoStore
    from station.evidence.video_recording import BenchVideo

    frames = devices.camera_frames()
    if not ctx.settings.video.enabled or frames is None:
        return None
    evidence = ctx.settings.evidence
    videos = VideoStore(Path(evidence.photo_dir), evidence.min_free_mb)
    return BenchVideo(ctx.settings.video, ctx.work, videos, ctx.settings.station.id,
                      frames).start()


def start_sync(ctx: StationContext) -> SpoolSync | None:
    """A fleet bench's sync with central (None: no ``[central] database_url``), woken by every
    commit that queued an event (the bench runs no dispatcher: central emits the webhooks)."""
    from station.sync.worker import fleet_sync

    sync = fleet_sync(ctx.settings, ctx.work, ctx.store)
    if sync is None:
        return None
    ctx.sync = sync
    ctx.work.on_event = sync.notify
    return sync.start()


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    import waitress

    from station.devices import DeviceManager
    from web.app import create_app

    if args.demo and not settings.devices.simulated:
        print("--demo needs simulated devices (devices.simulated = true)", file=sys.stderr)
        return 2
    cap_malloc_arenas()  # before the device, camera and request threads start
    host = args.host or settings.web.host
    port = args.port or settings.web.port
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    with open_context(settings) as ctx:
        sock = listen(host, port)  # before demo data and devices: a busy port is one clear line
        devices = DeviceManager(settings.devices, labels=settings.labels)
        stop = threading.Event()
        spooler: PrintSpooler | None = None
        video: BenchVideo | None = None
        pinger: systemd.Watchdog | None = None
        beats: FleetHeartbeat | None = None
        _interrupt_on_term()
        ctx.work.anchor_in_background()  # the anchor's fsync leaves the operator's requests
        try:
            if args.demo:
                demo_intro(ctx, url)
            devices.start()
            app = create_app(settings, ctx, devices)
            spooler = start_spooler(ctx, devices)
            video = start_video(ctx, devices)
            sync = start_sync(ctx)
            # registers and pulls the published policy before the first parcel; a spool bench
            # reports to central, from its thread (central may be out of reach at start)
            beats = (FleetHeartbeat(ctx, devices.states).start() if sync is None else
                     FleetHeartbeat(ctx, devices.states, shared=sync.central.db).start(first_now=False))
            if not args.no_dispatcher and sync is None:  # a fleet bench's events go out centrally
                start_dispatcher_thread(ctx, stop)
            kind = "simulated" if settings.devices.simulated else "configured"
            print(f"\nbench {settings.station.id} with {kind} devices: open {url}", flush=True)
            pinger = systemd.serving(url)  # under systemd: READY=1, then WATCHDOG=1 pings
            waitress.serve(app, sockets=[sock], threads=args.threads, ident="station",
                           channel_timeout=60)
        except KeyboardInterrupt:
            pass
        finally:
            systemd.stopping(pinger)
            stop.set()
            if spooler is not None:
                spooler.stop()
            if video is not None:
                video.stop()  # the chunk being written is closed and kept
            if beats is not None:
                beats.stop()
            if ctx.sync is not None:
                ctx.sync.stop()
            devices.stop()
            ctx.work.close_anchor_writer()
            sock.close()
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from station.demo import run_demo

    with open_context(settings) as ctx:
        run_demo(ctx)
    return 0


def register(sub: Subparsers) -> None:
    """Add `station run` and `station demo` to the `station` parser."""
    run = command(sub, "run", cmd_run, "run the bench: devices + touchscreen UI + webhook dispatcher")
    run.add_argument("--host", help="address to listen on (default web.host)")
    run.add_argument("--port", type=int, help="port (default web.port)")
    run.add_argument("--threads", type=int, default=16,
                     help="request threads (each open screen holds one for its live stream)")
    run.add_argument("--no-dispatcher", action="store_true", help="do not deliver webhooks here")
    run.add_argument("--demo", action="store_true",
                     help="seed demo returns, users and a few finished inspections (fresh "
                          "credentials printed)")
    command(sub, "demo", cmd_demo, "seed demo data and walk one simulated parcel through the "
            "workflow in the terminal")
