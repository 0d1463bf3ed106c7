"""Keyboard-wedge scanner source: one evdev input device, grabbed exclusively, read in a thread.

As the Odoo IoT box keyboard driver does it (odoo addons/hw_drivers, KeyboardUSBDriver): find
the device by path or USB VID:PID, grab it so its keys never reach the desktop, and decode
key-down events ourselves (drivers.scanner.wedge).
Unplugging gives state ERROR with the reason; the thread looks for the device again every
``reopen_interval_s`` and re-grabs it when it is back.
"""

from __future__ import annotations

import contextlib
import errno
import select
import time

import evdev
from evdev import ecodes

from drivers.scanner.plausibility import DEFAULT_MIN_CHARS
from drivers.scanner.profile import ScannerProfile
from drivers.scanner.status import OnScan, OnStatus, ScanSink, SourceThread
from drivers.scanner.wedge import KeyEvent, WedgeDecoder, WedgeSuffix
from drivers.state import DeviceState


def find_input_device(usb_id: str) -> str | None:
    """The /dev/input/event* path of a keyboard-like device with this "vid:pid", or None."""
    vendor, product = (int(part, 16) for part in usb_id.split(":"))
    for path in evdev.list_devices():
        try:
            candidate = evdev.InputDevice(path)
        except OSError:
            continue
        try:
            keys = candidate.capabilities().get(ecodes.EV_KEY, [])
            if (
                candidate.info.vendor == vendor
                and candidate.info.product == product
                and ecodes.KEY_A in keys
            ):
                return str(path)
        finally:
            candidate.close()
    return None


class EvdevScannerSource(SourceThread):
    """Reads one wedge scanner in a daemon thread; ``on_scan`` / ``on_status`` run in it."""

    def __init__(
        self,
        *,
        path: str | None = None,
        usb_id: str | None = None,
        device: str | None = None,
        suffix: WedgeSuffix = WedgeSuffix.ENTER,
        gap_timeout_s: float = 0.1,
        max_age_s: float = 5.0,
        max_chars: int = 4096,
        min_chars: int = DEFAULT_MIN_CHARS,
        grab: bool = True,
        on_scan: OnScan | None = None,
        on_status: OnStatus | None = None,
        reopen_interval_s: float = 1.0,
    ) -> None:
        if (path is None) == (usb_id is None):
            raise ValueError("give exactly one of path or usb_id")
        self.path = path
        self.usb_id = usb_id
        self.grab = grab
        self.reopen_interval_s = reopen_interval_s
        self.decoder = WedgeDecoder(
            suffix=suffix, gap_timeout_s=gap_timeout_s, max_age_s=max_age_s, max_chars=max_chars
        )
        self._sink = ScanSink(device or path or f"usb:{usb_id}", on_scan, on_status, min_chars)
        super().__init__()
        self.thread_name = "wedge-scanner"

    @classmethod
    def from_profile(
        cls,
        profile: ScannerProfile,
        *,
        path: str | None = None,
        device: str | None = None,
        on_scan: OnScan | None = None,
        on_status: OnStatus | None = None,
    ) -> EvdevScannerSource:
        """A source for a wedge profile: its path if given, else its first USB id."""
        if path is None and not profile.usb_ids:
            raise ValueError(f"{profile.vendor} {profile.model} has no USB id: give a path")
        return cls(
            path=path,
            usb_id=None if path is not None else profile.usb_ids[0],
            device=device,
            suffix=WedgeSuffix(profile.suffix),
            gap_timeout_s=profile.gap_timeout_s,
            max_chars=profile.max_chars,
            min_chars=profile.min_chars,
            on_scan=on_scan,
            on_status=on_status,
        )

    def _open(self) -> evdev.InputDevice | None:
        self._sink.report(DeviceState.CONNECTING, "looking for the scanner")
        path = self.path
        if path is None and self.usb_id is not None:
            path = find_input_device(self.usb_id)
            if path is None:
                self._sink.report(DeviceState.ERROR, f"no input device with USB id {self.usb_id}")
                return None
        assert path is not None
        try:
            dev = evdev.InputDevice(path)
        except OSError as exc:
            self._sink.report(DeviceState.ERROR, f"cannot open {path}: {exc.strerror or exc}")
            return None
        if self.grab:
            try:
                dev.grab()
            except OSError as exc:
                dev.close()
                reason = "grabbed by another program" if exc.errno == errno.EBUSY else str(exc)
                self._sink.report(DeviceState.ERROR, f"cannot grab {path}: {reason}")
                return None
        with contextlib.suppress(OSError):
            self.decoder.caps_lock_on = ecodes.LED_CAPSL in dev.leds()
        self._sink.report(DeviceState.READY, f"reading {path} ({dev.name})")
        return dev

    def _run(self) -> None:
        while not self._stop.is_set():
            dev = self._open()
            if dev is None:
                self._stop.wait(self.reopen_interval_s)
                continue
            reason = self._read(dev)
            with contextlib.suppress(OSError):
                dev.close()
            if reason and not self._stop.is_set():
                self._sink.report(DeviceState.ERROR, reason)
                self._stop.wait(self.reopen_interval_s)

    def _read(self, dev: evdev.InputDevice) -> str:
        """Decode keys until stop or the device goes away; return the reason ('' on stop)."""
        poll_s = max(0.005, self.decoder.gap_timeout_s / 2)
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([dev.fd], [], [], poll_s)
                raw_events = list(dev.read()) if ready else []
            except BlockingIOError:
                continue
            except OSError as exc:
                return f"scanner unplugged ({dev.path!s}): {exc.strerror or exc}"
            now = time.time()
            for raw in raw_events:
                if raw.type == ecodes.EV_KEY:
                    key = KeyEvent(raw.code, raw.value, raw.timestamp())
                    for scan in self.decoder.feed(key, now):
                        self._sink.deliver(scan.text, at=scan.at)
            for scan in self.decoder.poll(now):
                self._sink.deliver(scan.text, at=scan.at)
        return ""
