"""`station sim printer`: run the simulated ZPL label printer in the foreground, obey stdin commands.

It prints its address (``tcp://127.0.0.1:9100``, plus the pty path with ``--pty``), then reads
one command per line: ``fault paper_out|head_open|paused|ribbon_out|offline``, ``heal NAME``,
``slow BYTES_PER_S``, ``drop N``, ``clear``, ``status``, ``labels``, ``quit``. Without stdin it
serves until SIGTERM / Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from station.cli.base import Subparsers, command, group
from station.config import Settings


def obey(sim: object, line: str, out: TextIO) -> bool:
    """Carry out one command line on a SimulatedPrinter; False when it says quit."""
    from drivers.sim.printer import SimulatedPrinter
    from drivers.sim.printer_faults import BLOCKING_KNOBS

    assert isinstance(sim, SimulatedPrinter)
    words = line.split()
    if not words:
        return True
    verb, rest = words[0], words[1:]
    try:
        if verb == "quit":
            return False
        if verb in ("fault", "heal") and len(rest) == 1 and rest[0] in (*BLOCKING_KNOBS, "offline"):
            if rest[0] == "offline":
                sim.offline = verb == "fault"
            else:
                sim.set_fault(rest[0], verb == "fault")
        elif verb == "slow" and len(rest) == 1:
            rate = float(rest[0])
            sim.slow = rate if rate > 0 else None
        elif verb == "drop" and len(rest) == 1:
            count = int(rest[0])
            sim.drop_after = count if count > 0 else None
        elif verb == "clear":
            sim.clear_faults()
        elif verb == "labels":
            for number, label in enumerate(sim.labels, 1):
                problems = "unchecked" if label.problems is None else (
                    "; ".join(label.problems) or "well-formed")
                print(f"{number}: {len(label.zpl)} bytes via {label.via}: {problems}", file=out)
        elif verb != "status":
            print(f"unknown command {line.strip()!r}; use fault/heal NAME "
                  f"({', '.join((*BLOCKING_KNOBS, 'offline'))}), slow BYTES_PER_S, drop N, clear, "
                  "status, labels, quit", file=sys.stderr, flush=True)
            return True
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return True
    status = sim.status()
    print(f"ok: {', '.join(status.problems()) or 'ready'}; {len(sim.labels)} printed, "
          f"{status.formats_in_buffer} waiting", file=out, flush=True)
    return True


def run_sim_printer(profile: str, host: str, port: int, dpi: int | None, pty: bool) -> int:
    """Serve one simulated printer until quit or a signal."""
    from drivers.printer.profile import printer_profile
    from drivers.profiles import ProfileError
    from drivers.sim.commands import serve, stop_on_signals
    from drivers.sim.printer import SimulatedPrinter

    try:
        model = printer_profile(profile)
        sim = SimulatedPrinter(model, dpi=dpi, host=host, port=port, pty=pty)
    except (FileNotFoundError, ProfileError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot listen on {host}:{port}: {exc.strerror or exc} (port busy? try "
              "--port 0)", file=sys.stderr)
        return 2
    stop = stop_on_signals()
    try:
        print(f"simulated {model.vendor} {model.model} ({sim.dpi} dpi) on {sim.address}"
              + (f" and usb:{sim.usb_path}" if pty else ""), flush=True)
        serve(lambda line: obey(sim, line, sys.stdout), stop)
    finally:
        sim.close()
    return 0


def cmd_sim_printer(args: argparse.Namespace, settings: Settings) -> int:
    return run_sim_printer(args.profile, args.host, args.port, args.dpi, args.pty)


def _sim_group(sub: Subparsers) -> Subparsers:
    """The `station sim` group another module made already, or a new one."""
    parser = sub.choices.get("sim")
    if parser is not None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action
    return group(sub, "sim", "run a device simulator standalone")


def register(sub: Subparsers) -> None:
    """Add `station sim printer` to the parser."""
    printer = command(_sim_group(sub), "printer", cmd_sim_printer,
                      "simulated ZPL label printer on TCP (and a pty with --pty): prints the "
                      "address, then reads commands (fault NAME, heal NAME, slow, drop, clear, "
                      "status, labels, quit)")
    printer.add_argument("--profile", default="zebra-zd421",
                         help="shipped printer profile name or TOML path")
    printer.add_argument("--host", default="127.0.0.1", help="address to listen on")
    printer.add_argument("--port", type=int, default=9100, help="TCP port (0 = any free port)")
    printer.add_argument("--dpi", type=int, default=None, help="printhead resolution (default: "
                         "the profile's lowest)")
    printer.add_argument("--pty", action="store_true", help="also serve a pty standing in for "
                         "/dev/usb/lpN")
