"""Device commands: `station sim scale|scanner|camera` and `station devices list|watch`."""

from __future__ import annotations

import argparse
import signal
import threading
import time
from typing import Any

from station.cli.base import Subparsers, command, group
from station.config import Settings


def cmd_sim_scale(args: argparse.Namespace, settings: Settings) -> int:
    from drivers.sim.scale import main

    return main(["--profile", args.profile])


def cmd_sim_scanner(args: argparse.Namespace, settings: Settings) -> int:
    from drivers.sim.scanner import main

    return main(["--profile", args.profile])


def cmd_sim_camera(args: argparse.Namespace, settings: Settings) -> int:
    from station.cli.sim_camera import run_sim_camera

    return run_sim_camera(args.width, args.height, args.fps, args.seconds)


def cmd_devices_list(args: argparse.Namespace, settings: Settings) -> int:
    from drivers.discovery import discover

    found = discover()
    if not found:
        print("no devices found (serial by-id, hidraw, evdev by-id, video)")
        return 0
    for device in found:
        names = ", ".join(f"{m.kind}/{m.name}" for m in device.profiles) or "no matching profile"
        print(f"{device.kind:7} {device.path}  {device.usb_id or '????:????'}  "
              f"{device.product or '-'}  profiles: {names}")
    return 0


def _describe(event: Any) -> str | None:
    from drivers.scale.reading import Reading
    from drivers.scanner.events import ScanEvent
    from drivers.state import DeviceStatus

    payload = event.payload
    if isinstance(payload, DeviceStatus):
        reason = f" ({payload.reason})" if payload.reason else ""
        return f"{event.device}: {payload.state}{reason}"
    if isinstance(payload, ScanEvent):
        kind = payload.symbology or "unknown symbology"
        gtin = f" gtin {payload.gtin}" if payload.gtin else ""
        return f"{event.device}: scan {payload.raw!r} ({kind}){gtin}"
    if isinstance(payload, Reading):
        weight = "-" if payload.weight_g is None else f"{payload.weight_g} g"
        stable = "stable" if payload.stable else "moving"
        status = "" if payload.status == "ok" else f" {payload.status}"
        return f"{event.device}: {weight} {stable}{status}"
    return None


def cmd_devices_watch(args: argparse.Namespace, settings: Settings) -> int:
    from station.devices import DeviceManager

    devices = settings.devices
    if args.simulated:
        devices = devices.model_copy(update={"simulated": True})
    manager = DeviceManager(devices)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    subscription = manager.subscribe()
    manager.start()
    if manager.simulators is not None:
        print(f"simulated devices: scale on {manager.simulators.scale.port}, "
              f"scanner on {manager.simulators.scanner.port}", flush=True)
    deadline = time.monotonic() + args.seconds if args.seconds else None
    last_weight = ""
    try:
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            event = subscription.get(timeout=0.2)
            line = _describe(event) if event is not None else None
            if line is None:
                continue
            if event is not None and event.kind == "reading":
                if line == last_weight:
                    continue  # print a weight only when it or its stability changed
                last_weight = line
            print(line, flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        subscription.close()
        manager.stop()
        signal.signal(signal.SIGTERM, previous)
    for name, status in manager.states().items():
        print(f"{name}: {status.state} ({status.reason})")
    return 0


def register(sub: Subparsers) -> None:
    """Add this module's commands to the `station` parser."""
    sim = group(sub, "sim", "run a device simulator standalone")
    scale = command(sim, "scale", cmd_sim_scale, "simulated scale behind a pty: prints the port, then "
                "reads commands (place GRAMS [SETTLE_S [NOISE_G]], remove, fault NAME, "
                "reconnect, clear, quit)")
    scale.add_argument("--profile", default="generic-mt-sics",
                       help="shipped scale profile name or TOML path")
    scanner = command(sim, "scanner", cmd_sim_scanner, "simulated scanner: prints the port (a pty, or a "
                  "uinput keyboard for wedge profiles), then scans every line of stdin")
    scanner.add_argument("--profile", default="generic-serial", help="shipped scanner profile")
    camera = command(sim, "camera", cmd_sim_camera, "synthetic camera: prints frames/s; stdin lines: "
                 "present CODE SYMBOLOGY, clear, fault NAME, heal, quit")
    camera.add_argument("--width", type=int, default=640)
    camera.add_argument("--height", type=int, default=480)
    camera.add_argument("--fps", type=float, default=15.0)
    camera.add_argument("--seconds", type=float, default=0.0, help="stop after N s (0 = never)")

    devices = group(sub, "devices", "bench devices")
    command(devices, "list", cmd_devices_list, "list candidate devices and the profiles that match")
    watch = command(devices, "watch", cmd_devices_watch, "run the configured devices and print states, "
                "weights and scans until Ctrl-C")
    watch.add_argument("--seconds", type=float, default=0.0, help="stop after N s (0 = never)")
    watch.add_argument("--simulated", action="store_true", help="use the simulators whatever "
                       "the configuration says")
