"""Simulated barcode scanners: a serial scanner behind a real pty, a keyboard wedge's key events.

Fault knobs (OctoPrint virtual-printer style): garbage bytes, a partial line then silence,
disconnect / reconnect on a new port, slow typing. ``python -m drivers.sim.scanner --profile
NAME`` prints the port and scans every line read from stdin.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence

from drivers.scanner.keymap import (
    KEY_CAPSLOCK,
    KEY_ENTER,
    KEY_LEFTALT,
    KEY_LEFTCTRL,
    KEY_LEFTSHIFT,
    KEY_TAB,
    KEYPAD,
    US_CHAR_KEYS,
)
from drivers.scanner.profile import ScannerInterface, ScannerProfile, scanner_profile
from drivers.scanner.wedge import KEY_DOWN, KEY_UP, KeyEvent
from drivers.sim.commands import serve, stop_on_signals
from drivers.sim.pty import PtyLink

#: Garbage a noisy line produces: NUL, bytes that are not UTF-8, a stray control character.
NOISE_BYTES = b"\x00\xff\xfe\x07\x80"


class SimulatedSerialScanner:
    """A serial scanner model behind a pty: ``port`` is what the driver opens."""

    def __init__(self, profile: ScannerProfile, *, char_delay_s: float = 0.0) -> None:
        if profile.interface != ScannerInterface.SERIAL:
            raise ValueError(f"{profile.vendor} {profile.model} is not a serial scanner")
        self.profile = profile
        self.suffix = profile.suffix_bytes
        self.char_delay_s = char_delay_s  # slow typing knob: pause between bytes
        self._link: PtyLink | None = PtyLink()
        self.last_write_at = 0.0  # perf_counter() as the write of the last byte starts

    @property
    def port(self) -> str:
        """The pty path a driver opens (changes after ``reconnect``)."""
        if self._link is None:
            raise RuntimeError("simulated scanner is disconnected")
        return self._link.port

    @property
    def connected(self) -> bool:
        """False between ``disconnect`` and ``reconnect``."""
        return self._link is not None

    def _write(self, data: bytes) -> None:
        if self._link is None:
            raise RuntimeError("simulated scanner is disconnected")
        if self.char_delay_s > 0:
            for i in range(len(data) - 1):
                self._link.write(data[i : i + 1])
                time.sleep(self.char_delay_s)
            data = data[-1:]
        self.last_write_at = time.perf_counter()
        self._link.write(data)

    def scan(self, text: str, aim_id: str = "") -> None:
        """Send one code as the scanner would: optional AIM prefix, UTF-8 data, suffix."""
        self._write((aim_id + text).encode("utf-8") + self.suffix)

    def send_garbage(self, data: bytes = NOISE_BYTES) -> None:
        """Line noise followed by the suffix (a driver must count it, not crash)."""
        self._write(data + self.suffix)

    def send_raw(self, data: bytes) -> None:
        """Bytes exactly as given, no suffix (noise on a line that never ends)."""
        self._write(data)

    def send_partial(self, text: str) -> None:
        """The start of a code and then silence (cable pulled mid-scan)."""
        self._write(text.encode("utf-8"))

    def disconnect(self) -> None:
        """Unplug: the driver's reads fail from now on."""
        if self._link is not None:
            self._link.close()
            self._link = None

    def reconnect(self) -> str:
        """Plug back in; the scanner appears on a new pty, whose path is returned."""
        self.disconnect()
        self._link = PtyLink()
        return self._link.port

    def close(self) -> None:
        """Unplug for good."""
        self.disconnect()

    def __enter__(self) -> SimulatedSerialScanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SimulatedWedge:
    """Key-event sequences a US-layout keyboard-wedge scanner sends for a text."""

    def __init__(
        self, *, suffix: str = "enter", key_interval_s: float = 0.002, caps_lock: bool = False
    ) -> None:
        self.suffix = suffix
        self.key_interval_s = key_interval_s
        self.caps_lock = caps_lock  # press Caps Lock first and type around it, as some do

    def key_events(self, text: str, start_at: float = 0.0) -> list[KeyEvent]:
        """Every key down/up for ``text`` plus the suffix, ``key_interval_s`` apart."""
        events: list[KeyEvent] = []
        clock = iter(start_at + i * self.key_interval_s for i in range(10**9))
        if self.caps_lock:
            events += self._tap(KEY_CAPSLOCK, clock)
        for char in text:
            events += self._type_char(char, clock)
        if self.suffix == "enter":
            events += self._tap(KEY_ENTER, clock)
        elif self.suffix == "tab":
            events += self._tap(KEY_TAB, clock)
        if self.caps_lock:
            events += self._tap(KEY_CAPSLOCK, clock)
        return events

    def _tap(self, code: int, clock: Iterator[float]) -> list[KeyEvent]:
        return [KeyEvent(code, KEY_DOWN, next(clock)), KeyEvent(code, KEY_UP, next(clock))]

    def _held(self, modifier: int, keys: list[int], clock: Iterator[float]) -> list[KeyEvent]:
        events = [KeyEvent(modifier, KEY_DOWN, next(clock))]
        for code in keys:
            events += self._tap(code, clock)
        return [*events, KeyEvent(modifier, KEY_UP, next(clock))]

    def _type_char(self, char: str, clock: Iterator[float]) -> list[KeyEvent]:
        if char == "\x1d":  # GS / FNC1 as Ctrl+]
            return self._held(KEY_LEFTCTRL, [27], clock)
        if char in US_CHAR_KEYS:
            code, shifted = US_CHAR_KEYS[char]
            if self.caps_lock and char.isalpha():
                shifted = not shifted
            if shifted:
                return self._held(KEY_LEFTSHIFT, [code], clock)
            return self._tap(code, clock)
        if ord(char) < 256:  # Alt + keypad decimal code
            digit_keys = {digit: code for code, digit in KEYPAD.items() if digit.isdigit()}
            keys = [digit_keys[d] for d in f"{ord(char):03d}"]
            return self._held(KEY_LEFTALT, keys, clock)
        raise ValueError(f"a US keyboard wedge cannot type {char!r}")


class UinputWedge:
    """A virtual USB keyboard (Linux uinput) typing SimulatedWedge key events; needs /dev/uinput."""

    def __init__(
        self, wedge: SimulatedWedge, *, name: str = "sim barcode scanner", usb_id: str = "05e0:1200"
    ) -> None:
        from evdev import UInput, ecodes

        vendor, product = (int(part, 16) for part in usb_id.split(":"))
        self.wedge = wedge
        self._ecodes = ecodes
        keys = sorted({code for code, _ in US_CHAR_KEYS.values()} | set(KEYPAD))
        keys += [KEY_ENTER, KEY_TAB, KEY_LEFTSHIFT, KEY_LEFTCTRL, KEY_LEFTALT, KEY_CAPSLOCK]
        self._uinput = UInput(
            {ecodes.EV_KEY: keys}, name=name, vendor=vendor, product=product, bustype=0x03
        )
        self.device_path = str(self._uinput.device.path)

    def type(self, text: str) -> None:
        """Type ``text`` plus the suffix, in real time."""
        events = self.wedge.key_events(text, start_at=time.monotonic())
        for event in events:
            delay = event.at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._uinput.write(self._ecodes.EV_KEY, event.code, event.value)
            self._uinput.syn()

    def close(self) -> None:
        """Unplug the virtual keyboard."""
        self._uinput.close()

    def __enter__(self) -> UinputWedge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _run_serial(profile: ScannerProfile) -> int:
    with SimulatedSerialScanner(profile) as scanner:
        stop = stop_on_signals()
        print(scanner.port, flush=True)
        serve(lambda line: _each(line, scanner.scan), stop)
    return 0


def _each(line: str, scan: Callable[[str], object]) -> bool:
    """One stdin line is one code to scan (``quit`` ends the simulator)."""
    text = line.rstrip("\r\n")
    if text == "quit":
        return False
    if text:
        scan(text)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m drivers.sim.scanner --profile NAME``: print the pty path, scan stdin lines."""
    parser = argparse.ArgumentParser(prog="python -m drivers.sim.scanner", description=__doc__)
    parser.add_argument("--profile", default="generic-serial", help="firmware_configs name")
    args = parser.parse_args(argv)
    try:
        profile = scanner_profile(args.profile)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    if profile.interface == ScannerInterface.SERIAL:
        return _run_serial(profile)
    if not os.path.exists("/dev/uinput"):
        print(
            f"error: {args.profile} is a keyboard wedge; simulating one needs /dev/uinput",
            file=sys.stderr,
        )
        return 2
    with UinputWedge(SimulatedWedge(suffix=profile.suffix), name=f"sim {profile.model}") as wedge:
        stop = stop_on_signals()
        print(wedge.device_path, flush=True)
        serve(lambda line: _each(line, wedge.type), stop)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
