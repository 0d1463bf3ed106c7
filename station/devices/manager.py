"""Device manager: owns the device drivers, their states, reconnects with backoff, the event bus.

A device in error (or gone) is tried again after ``reconnect_base_s``, doubling up to
``reconnect_max_s``, and starts at the base again once READY. Nothing here blocks a caller:
drivers and reconnects run on their own threads; the bus drops what a lagging subscriber misses.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from drivers.camera.capture import Frame, Still
from drivers.scale.reading import Reading
from drivers.scanner.camera_decode import DecoderConfig
from drivers.scanner.events import ScanEvent
from drivers.scanner.profile import ScannerInterface, ScannerProfile
from drivers.state import DeviceState, DeviceStatus
from station.config import DevicesSection, LabelsSection
from station.devices import adapters as managed
from station.devices.adapters import CameraDevice, ManagedDevice, OnScan, OnStatus, ScaleDevice
from station.devices.bus import DeviceEvent, EventBus, Subscription
from station.devices.printer import PRINTER, PrinterDevice
from station.devices.simulators import (
    SIM_DECODE_STAGES,
    Simulators,
    close_quietly,
    sim_scanner_profile,
    start_simulators,
)
from station.printing.printers import Printers

log = logging.getLogger(__name__)
SCALE, CAMERA = "scale", "camera"


@dataclass
class _Track:
    """The manager's view of one device: its state and where its backoff stands."""

    status: DeviceStatus
    configured: bool = True
    attempts: int = 0
    next_retry_at: float | None = None
    restarting: bool = False


class DeviceManager:
    """One bench's devices, from ``settings.devices``; simulated ones when ``simulated`` is set."""

    def __init__(self, devices: DevicesSection, bus: EventBus | None = None,
                 labels: LabelsSection | None = None) -> None:
        self.config = devices
        #: The label printer's settings (None: this manager has no printer, e.g. a tool).
        self.labels = labels
        self.printers: Printers | None = None
        self.bus = bus or EventBus()
        self.simulators: Simulators | None = None
        self.base_s = devices.reconnect_base_s
        self.max_s = max(devices.reconnect_max_s, devices.reconnect_base_s)
        self.scale_profile = managed.scale_profile_named(devices.scale_profile)
        self.scanner_profiles = [managed.scanner_profile_named(n) for n in devices.scanner_profiles]
        self.camera_profile = managed.camera_profile_named(devices.camera_profile)
        self._devices: dict[str, ManagedDevice] = {}
        self._tracks: dict[str, _Track] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._reconnects: list[threading.Thread] = []

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start the simulators (if simulated), every driver and the reconnect supervisor."""
        if self._supervisor is not None:
            return
        self._stop.clear()
        if self.config.simulated:
            scanner = sim_scanner_profile(self.scanner_profiles)
            printer = None
            if self.labels is not None and not self.labels.printer_url:
                printer = (self.labels.printer_profile, self.labels.dpi)
            self.simulators = start_simulators(self.scale_profile, scanner, self.camera_profile,
                                               self.config.sim_camera_fps,
                                               self.config.sim_camera_size, printer)
        try:
            self._build()
        except Exception:
            close_quietly(self.simulators)
            self.simulators = None
            raise
        for name, device in self._devices.items():
            self._set(name, DeviceStatus(name, DeviceState.CONNECTING, "starting"))
            try:
                device.start()
            except Exception as exc:  # the supervisor tries again; the other devices go on
                log.exception("device %s: start failed", name)
                self._set(name, DeviceStatus(name, DeviceState.ERROR, f"start failed: {exc!r}"))
        self._supervisor = threading.Thread(target=self._supervise, args=(min(0.1, self.base_s / 2),),
                                            name="device-supervisor", daemon=True)
        self._supervisor.start()

    def stop(self, timeout_s: float = 5.0) -> list[str]:
        """Stop every driver, reconnect and simulator thread; states end DISCONNECTED.

        Finishes within about ``timeout_s`` plus each driver's own close bound even when a
        reconnect is stuck in a blocking open: threads still alive then are daemon threads
        that end with the process; their names are logged and returned.
        """
        deadline = time.monotonic() + timeout_s
        self._stop.set()
        stuck: list[str] = []
        if self._supervisor is not None:
            self._supervisor.join(max(0.0, deadline - time.monotonic()))
            if self._supervisor.is_alive():
                stuck.append(self._supervisor.name)
            self._supervisor = None
        for thread in self._reconnects:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                stuck.append(thread.name)
        self._reconnects.clear()
        for name, device in self._devices.items():
            try:
                device.close()
            except Exception:  # one broken driver must not keep the others running
                log.exception("device %s: close failed", name)
        self._devices = {}
        close_quietly(self.simulators)
        for name in list(self._tracks):
            self._set(name, DeviceStatus(name, DeviceState.DISCONNECTED, "stopped"), force=True)
        if stuck:
            log.warning("devices stopped; still blocked (left to end with the process): %s",
                        ", ".join(stuck))
        return stuck

    def __enter__(self) -> DeviceManager:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what callers use ----------------------------------------------------------------------
    def states(self) -> dict[str, DeviceStatus]:
        """Every device's current state with its reason."""
        with self._lock:
            return {name: track.status for name, track in self._tracks.items()}

    def subscribe(self, queue_len: int | None = None) -> Subscription:
        """Events (states, readings, scans) from now on."""
        return self.bus.subscribe(queue_len)

    def tare(self) -> bool:
        """Ask the scale to tare; False when there is no scale or it cannot tare."""
        scale = self._scale()
        return scale is not None and scale.session.tare()

    def zero(self) -> bool:
        """Ask the scale to zero; False when there is no scale or it cannot zero."""
        scale = self._scale()
        return scale is not None and scale.session.zero()

    def latest_weight(self) -> Reading | None:
        """The newest scale reading while the scale is READY, else None (the UI asks by hand)."""
        scale = self._scale()
        if scale is None or self._state_of(SCALE) is not DeviceState.READY:
            return None
        return scale.session.last_reading

    def settled_weight(self, max_age_s: float = 2.0, drift_mg: int = 5_000) -> Reading | None:
        """The weight to record: the newest stable reading if it is recent and the scale still shows
        about the same (within ``drift_mg``), so one noisy frame at the moment of the tap does not
        refuse a weight the operator saw as stable, and a parcel taken off is not recorded.
        """
        scale = self._scale()
        if scale is None or self._state_of(SCALE) is not DeviceState.READY:
            return None
        stable, current = scale.session.last_stable, scale.session.last_reading
        if stable is None or current is None or current.weight_mg is None:
            return None
        reading, at = stable
        fresh = time.monotonic() - at <= max_age_s
        assert reading.weight_mg is not None
        return reading if fresh and abs(current.weight_mg - reading.weight_mg) <= drift_mg else None

    def still(self) -> Still | None:
        """An evidence photo from the camera, or None while it is down."""
        camera = self._camera()
        return camera.still() if camera is not None else None

    def preview_jpeg(self) -> bytes:
        """A reduced-size JPEG for the live preview; b"" while the camera is down."""
        camera = self._camera()
        if camera is None or self._state_of(CAMERA) is not DeviceState.READY:
            return b""
        return camera.capture.preview_jpeg()

    def camera_frames(self) -> Callable[[int, float], tuple[int, Frame] | None] | None:
        """The camera's ``wait_frame`` (the unboxing recorder reads the capture thread's frames;
        the device is not opened twice); None when this bench has no camera."""
        camera = self._camera()
        return None if camera is None else camera.capture.wait_frame

    def _build(self) -> None:
        cfg, sims = self.config, self.simulators
        if sims is not None or cfg.scale_url:
            url_for = sims.scale_port if sims is not None else (lambda _old: cfg.scale_url)
            self._add(ScaleDevice(SCALE, self.scale_profile, url_for, retry_s=self.base_s,
                                  on_reading=self._on_reading, on_status=self._status_cb(SCALE)))
        else:
            self._unconfigured(SCALE, "not configured: set devices.scale_url")
        if sims is not None:
            self._add(managed.SerialScannerDevice(
                "scanner", sim_scanner_profile(self.scanner_profiles), sims.scanner_port, retry_s=self.base_s,
                on_scan=self._scan_cb("scanner"), on_status=self._status_cb("scanner")))
        else:
            for index, profile in enumerate(self.scanner_profiles):
                self._add_scanner(index, profile)
        decoder = None
        if cfg.camera_scan:
            stages = SIM_DECODE_STAGES if sims is not None else DecoderConfig().stages
            decoder = DecoderConfig(stages=stages, source=CAMERA)
        source = sims.camera if sims is not None else managed.camera_source_spec(cfg.camera_source)
        self._add(CameraDevice(CAMERA, self.camera_profile, source, decoder=decoder,
                               on_scan=self._scan_cb(CAMERA), on_status=self._status_cb(CAMERA)))
        self._add_printer()

    def _add_printer(self) -> None:
        if self.labels is None:
            return
        url = self.labels.printer_url
        if not url and self.simulators is not None and self.simulators.printer is not None:
            url = self.simulators.printer.address
        if not url:
            self._unconfigured(PRINTER, "not configured: set labels.printer_url")
            return
        self.printers = Printers(self.labels.printer_profile, url)
        self._add(PrinterDevice(self.printers, self._status_cb(PRINTER)))

    def printer_problem(self) -> None:
        """A print failed: ask the printer for its state now (not at the next poll)."""
        device = self._devices.get(PRINTER)
        if isinstance(device, PrinterDevice):
            device.poll_now()

    def _add_scanner(self, index: int, profile: ScannerProfile) -> None:
        name = "scanner" if index == 0 else f"scanner-{index + 1}"
        urls = self.config.scanner_urls
        url = urls[index] if index < len(urls) else ""
        if profile.interface == ScannerInterface.SERIAL:
            if not url:
                self._unconfigured(name, f"not configured: set devices.scanner_urls[{index}]")
                return
            self._add(managed.SerialScannerDevice(
                name, profile, lambda _old: url, retry_s=self.base_s,
                on_scan=self._scan_cb(name), on_status=self._status_cb(name)))
        elif url or profile.usb_ids:
            self._add(managed.WedgeScannerDevice(
                name, profile, url, retry_s=self.base_s,
                on_scan=self._scan_cb(name), on_status=self._status_cb(name)))
        else:
            self._unconfigured(name, f"not configured: set devices.scanner_urls[{index}]")

    def _add(self, device: ManagedDevice) -> None:
        self._devices[device.name] = device
        with self._lock:
            self._tracks[device.name] = _Track(
                DeviceStatus(device.name, DeviceState.DISCONNECTED, "not started"))

    def _unconfigured(self, name: str, reason: str) -> None:
        with self._lock:
            self._tracks[name] = _Track(
                DeviceStatus(name, DeviceState.DISCONNECTED, reason), configured=False)

    def _scale(self) -> ScaleDevice | None:
        device = self._devices.get(SCALE)
        return device if isinstance(device, ScaleDevice) else None

    def _camera(self) -> CameraDevice | None:
        device = self._devices.get(CAMERA)
        return device if isinstance(device, CameraDevice) else None

    def _state_of(self, name: str) -> DeviceState | None:
        with self._lock:
            track = self._tracks.get(name)
            return track.status.state if track is not None else None

    # -- events from driver threads ------------------------------------------------------------
    def _status_cb(self, name: str) -> OnStatus:
        return functools.partial(self._set, name)

    def _scan_cb(self, name: str) -> OnScan:
        return functools.partial(self._publish_scan, name)

    def _publish_scan(self, name: str, scan: ScanEvent) -> None:
        self.bus.publish(DeviceEvent("scan", name, scan))

    def _on_reading(self, reading: Reading) -> None:
        self.bus.publish(DeviceEvent("reading", SCALE, reading))

    def _set(self, name: str, status: DeviceStatus, *, force: bool = False) -> None:
        if status.device != name:
            status = replace(status, device=name)
        with self._lock:
            track = self._tracks[name]
            current = track.status
            if not force:
                if track.restarting and status.state is DeviceState.DISCONNECTED:
                    return  # our own reconnect closed it: not news
                if status.state is DeviceState.CONNECTING and current.state is DeviceState.ERROR:
                    return  # a retry: stay in error with its reason until it works
                if status.state == current.state and status.reason == current.reason:
                    return
            track.status = status
            if status.state is DeviceState.READY:
                track.attempts, track.next_retry_at = 0, None
        self.bus.publish(DeviceEvent("state", name, status))

    # -- reconnect with backoff ----------------------------------------------------------------
    def delay_s(self, attempts: int) -> float:
        """Wait before the next reconnect after ``attempts`` failed ones (base doubling to max)."""
        return min(self.base_s * 2 ** min(attempts, 30), self.max_s)

    def _supervise(self, tick_s: float) -> None:
        while not self._stop.wait(tick_s):
            now = time.monotonic()
            due: list[tuple[str, ManagedDevice, float]] = []
            with self._lock:
                for name, track in self._tracks.items():
                    if not track.configured or track.restarting:
                        continue
                    device = self._devices[name]
                    if track.status.state is DeviceState.READY and device.moved():
                        track.next_retry_at = now  # replugged elsewhere: follow it at once
                    elif track.status.state in (DeviceState.READY, DeviceState.CONNECTING):
                        continue
                    if track.next_retry_at is None:  # just failed: wait the current delay
                        track.next_retry_at = now + self.delay_s(track.attempts)
                    elif now >= track.next_retry_at:
                        track.attempts += 1
                        track.restarting = True
                        due.append((name, device, self.delay_s(track.attempts)))
            self._reconnects = [t for t in self._reconnects if t.is_alive()]
            for name, device, retry_s in due:
                thread = threading.Thread(target=self._reconnect, args=(name, device, retry_s),
                                          name=f"reconnect-{name}", daemon=True)
                self._reconnects.append(thread)
                thread.start()

    def _reconnect(self, name: str, device: ManagedDevice, retry_s: float) -> None:
        log.info("device %s: reconnecting (next wait %.1f s)", name, retry_s)
        try:
            if not self._stop.is_set():
                device.reconnect(retry_s)
        except Exception as exc:  # report, keep the daemon and the other devices running
            log.exception("device %s: reconnect failed", name)
            self._set(name, DeviceStatus(name, DeviceState.ERROR, f"reconnect failed: {exc!r}"))
        finally:
            with self._lock:
                track = self._tracks[name]
                track.restarting = False
                if track.status.state is not DeviceState.READY:
                    track.next_retry_at = time.monotonic() + retry_s
