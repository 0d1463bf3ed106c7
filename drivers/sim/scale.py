"""Simulated scale behind a real pty, speaking a profile's protocol, with fault knobs.

Run ``python -m drivers.sim.scale --profile dymo-m10``: it prints the port, then reads commands
from stdin (``place 1234.5 [settle_s] [noise_g]``, ``remove``, ``fault overload``, ``fault slow
1.5``, ``reconnect``, ``clear``, ``quit``). Zeroing works within ±2 % of the profile's capacity
around power-on zero (a simulator choice; without a capacity there is no limit).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import random
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from drivers.scale.profile import ScaleProfile, find_scale_profile, load_scale_profile
from drivers.scale.protocols import bind
from drivers.sim import scale_frames as frames
from drivers.sim.commands import serve, stop_on_signals
from drivers.sim.pty import PtyLink
from drivers.sim.scale_faults import FAULT_NAMES, Faults, mangle
from drivers.sim.scale_replies import reply_to, split_requests

__all__ = ["FAULT_NAMES", "SimulatedScale", "main"]

#: How far from power-on zero the simulated scale can be zeroed, as a fraction of capacity.
ZERO_RANGE_FRACTION = 0.02


class SimulatedScale:
    """A scale on a pty: ``port`` is what a ScaleSession opens; knobs change what it says.

    ``unit`` overrides the display unit (``lb-oz`` for an SCP-01 pound-ounce display);
    ``status_bytes`` is how many status bytes an SCP-01 scale sends (2 or more).
    """

    def __init__(
        self,
        profile: ScaleProfile | str | Path,
        *,
        seed: int = 0,
        unit: str | None = None,
        status_bytes: int = 2,
    ) -> None:
        if not isinstance(profile, ScaleProfile):
            path = profile if isinstance(profile, Path) else find_scale_profile(profile)
            profile = load_scale_profile(path)
        self.profile = profile
        self.protocol = bind(profile)
        self.unit = unit or frames.display_unit(profile)
        if self.unit == frames.LB_OZ and profile.protocol != "nci_scp01":
            raise ValueError("only an SCP-01 scale shows pounds and ounces")
        if status_bytes < 2:
            raise ValueError("an SCP-01 scale sends at least two status bytes")
        self.status_bytes = status_bytes
        capacity = profile.capacity_g
        self.zero_range_g = None if capacity is None else capacity * ZERO_RANGE_FRACTION
        self.faults = Faults()
        self.requests_seen = 0
        self._random = random.Random(seed)
        self._lock = threading.RLock()
        self._from_g = 0.0
        self._target_g = 0.0
        self._placed_at = 0.0
        self._settle_s = 0.0
        self._noise_g = 0.0
        self._zero_g = 0.0
        self._tare_g = 0.0
        self._repeat: bytes | None = None  # MT-SICS SIR: the request answered every period
        self._stop = threading.Event()
        self._link: PtyLink | None = None
        self._thread: threading.Thread | None = None
        self._open_link()
        self._thread = threading.Thread(target=self._run, name="sim-scale", daemon=True)
        self._thread.start()

    # -- scenario ------------------------------------------------------------------------------
    @property
    def port(self) -> str:
        """Path of the current pty (changes after reconnect)."""
        link = self._link
        return link.port if link is not None else ""

    @property
    def settled_at(self) -> float:
        """time.monotonic() instant the current weight stops moving."""
        return self._placed_at + self._settle_s

    def place(self, grams: float, settle_s: float = 0.3, noise_g: float = 0.0) -> None:
        """Put ``grams`` on the platter; it moves for ``settle_s``, then shows ±``noise_g``."""
        with self._lock:
            self._from_g = self._gross_now(time.monotonic())
            self._target_g = grams
            self._settle_s = settle_s
            self._noise_g = noise_g
            self._placed_at = time.monotonic()

    def remove(self, settle_s: float = 0.2) -> None:
        """Take everything off."""
        self.place(0.0, settle_s)

    def fault(self, name: str, value: float | bool = True) -> None:
        """Switch a fault on (``slow`` takes seconds); ``disconnect`` closes the pty."""
        if name == "disconnect":
            self.disconnect()
            return
        self.faults.set(name, value)

    def clear_faults(self) -> None:
        """All knobs back to a healthy scale (the connection is left as it is)."""
        self.faults = Faults()

    def disconnect(self) -> None:
        """Close the pty: the driver sees the port vanish."""
        with self._lock:
            link, self._link = self._link, None
        if link is not None:
            link.close()

    def reconnect(self) -> str:
        """Open a new pty (as a replugged device would appear) and return its port."""
        self.disconnect()
        self._open_link()
        return self.port

    def state(self, now: float | None = None) -> frames.ScaleState:
        """What the display shows at ``now``."""
        now = time.monotonic() if now is None else now
        with self._lock:
            gross = self._gross_now(now)
            moving = now < self.settled_at or self.faults.unstable
            if self.faults.unstable:
                # a 10 g/s sawtooth: no two readings 0.05 s apart agree within 0.5 g, so even a
                # scale without a stable flag never looks settled (random noise sometimes would)
                gross += 5.0 * ((now * 2.0) % 1.0) + self._random.uniform(-0.1, 0.1)
            shown = gross - self._zero_g - self._tare_g
            return frames.ScaleState(
                shown,
                not moving,
                overload=self.faults.overload,
                underload=self.faults.underload and not self.faults.overload,
                tare_g=self._tare_g,
                zero_g=self._zero_g,
                zero_range_g=self.zero_range_g,
            )

    def inject(self, data: bytes) -> None:
        """Bytes into the line as they are, between the scale's own frames (line noise)."""
        link = self._link
        if link is None:
            raise RuntimeError("simulated scale is disconnected")
        with self._lock:
            link.write(data)

    def close(self) -> None:
        """Stop the thread and close the pty."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
        self.disconnect()

    def __enter__(self) -> SimulatedScale:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------------
    def _gross_now(self, now: float) -> float:
        if now >= self.settled_at:
            noise = self._random.uniform(-self._noise_g, self._noise_g) if self._noise_g else 0.0
            return self._target_g + noise
        fraction = (now - self._placed_at) / self._settle_s if self._settle_s else 1.0
        wobble = self._random.uniform(-1.0, 1.0) * max(1.0, abs(self._target_g) * 0.02)
        return self._from_g + (self._target_g - self._from_g) * fraction + wobble

    def _open_link(self) -> None:
        link = PtyLink()
        flags = fcntl.fcntl(link.master_fd, fcntl.F_GETFL)
        fcntl.fcntl(link.master_fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        with self._lock:
            self._link = link

    def _send(self, frame: bytes) -> None:
        data = mangle(frame, self.faults, self.protocol.framing, self._random)
        if not data:
            return
        if self.faults.slow_s:
            self._stop.wait(self.faults.slow_s)
        link = self._link
        if link is None:
            return
        # nobody reading (buffer full) or closed: the bytes are lost, like on a wire
        with contextlib.suppress(OSError):
            link.write(data)

    def _run(self) -> None:
        buffer = b""
        next_emit = time.monotonic()
        period_s = self.profile.poll_interval_s
        while not self._stop.is_set():
            link = self._link
            if link is None:
                self._stop.wait(0.02)
                continue
            repeat = self._repeat
            if self.protocol.continuous or repeat is not None:
                now = time.monotonic()
                if now >= next_emit:
                    self._send(self._stream_frame() if repeat is None else self._reply(repeat))
                    next_emit = max(next_emit + period_s, now)
                wait_s = max(0.0, min(0.02, next_emit - time.monotonic()))
            else:
                next_emit = time.monotonic() + period_s  # a SIR repeats one period after
                wait_s = 0.02
            try:
                data = link.read(wait_s)
            except (OSError, ValueError):  # closed under us by disconnect()
                data = b""
            if data:
                buffer = self._answer(buffer + data)

    def _stream_frame(self) -> bytes:
        state = self.state()
        if self.profile.protocol == "hid_pos":
            return frames.hid_report(state, self.unit)
        if self.profile.protocol == "cas":
            return frames.cas_line(state, self.unit, self.profile.variant or "cas22")
        return frames.generic_line(state, self.unit, self.profile.line_format or "")

    def _answer(self, buffer: bytes) -> bytes:
        """Reply to every complete request in ``buffer``; return the unconsumed rest."""
        requests, rest = split_requests(self.profile, self.protocol, buffer)
        for request in requests:
            self.requests_seen += 1
            with self._lock:
                self._repeat = None  # any request ends an MT-SICS SIR repetition
            reply = self._reply(request)
            if reply:
                self._send(reply)
        return rest

    def _reply(self, request: bytes) -> bytes:
        with self._lock:
            state = self.state()
            reply = reply_to(self.profile, self.unit, request, state, self.status_bytes)
            if reply.zero:
                self._zero_g += state.from_zero_g
                self._tare_g = 0.0
            if reply.tare_g is not None:
                self._tare_g = reply.tare_g
            if reply.repeat is not None:
                self._repeat = reply.repeat
        return reply.data


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line simulator: print the pty path, obey stdin commands, serve until quit/SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m drivers.sim.scale")
    parser.add_argument("--profile", required=True, help="shipped profile name or TOML path")
    args = parser.parse_args(argv)
    try:
        sim = SimulatedScale(args.profile)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = stop_on_signals()
    print(sim.port, flush=True)

    def obey(line: str) -> bool:
        words = line.split()
        if not words:
            return True
        try:
            if words[0] == "quit":
                return False
            if words[0] == "place":
                sim.place(*(float(w) for w in words[1:4]))
            elif words[0] == "remove":
                sim.remove()
            elif words[0] == "fault" and len(words) >= 2:
                sim.fault(words[1], float(words[2]) if len(words) > 2 else True)
            elif words[0] == "reconnect":
                print(sim.reconnect(), flush=True)
            elif words[0] == "clear":
                sim.clear_faults()
            else:
                print(f"unknown command {line.strip()!r}", file=sys.stderr, flush=True)
                return True
            print("ok", flush=True)
        except (ValueError, TypeError) as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)
        return True

    with sim:
        serve(obey, stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
