"""One managed device per driver: start, close and reconnect it the same way for every kind."""

from __future__ import annotations

from collections.abc import Callable

from drivers.camera.capture import CameraCapture, FrameSource, Still
from drivers.camera.profile import CameraProfile, load_camera_profile, shipped_camera_profiles
from drivers.profiles import ProfileError
from drivers.scale.profile import ScaleProfile, find_scale_profile, load_scale_profile
from drivers.scale.reading import Reading
from drivers.scale.session import ScaleSession
from drivers.scanner.camera_decode import CameraScanSource, DecoderConfig
from drivers.scanner.evdev_source import EvdevScannerSource
from drivers.scanner.events import ScanEvent
from drivers.scanner.profile import ScannerProfile, scanner_profile
from drivers.scanner.serial_source import SerialScannerSource
from drivers.state import DeviceStatus
from station.config import ConfigError

OnStatus = Callable[[DeviceStatus], None]
OnScan = Callable[[ScanEvent], None]
OnReading = Callable[[Reading], None]
#: Where a device is plugged in now, given where it was (simulators move to a new pty on replug).
UrlFor = Callable[[str], str]


class ManagedDevice:
    """What the manager needs of every device; subclasses wrap one driver each."""

    name: str
    #: True when reconnect() closes the driver (its "closed" state is then not news).
    closes_on_reconnect = False

    def start(self) -> None:
        """Start the driver thread(s); never blocks on the device."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop the driver thread(s) and release the device."""
        raise NotImplementedError

    def reconnect(self, retry_s: float) -> None:
        """Try the device again (on its current port); let its own retries wait ``retry_s``."""
        raise NotImplementedError

    def moved(self) -> bool:
        """True when the device is now on another port than the driver reads (replugged)."""
        return False


class ScaleDevice(ManagedDevice):
    """A ScaleSession; reconnecting restarts it on the port the scale is on now."""

    closes_on_reconnect = True

    def __init__(
        self, name: str, profile: ScaleProfile, url_for: UrlFor, *, retry_s: float,
        on_reading: OnReading, on_status: OnStatus,
    ) -> None:
        self.name = name
        self._url_for = url_for
        self.session = ScaleSession(
            profile, url_for(""), name=name, on_reading=on_reading, on_status=on_status,
            retry_s=retry_s,
        )

    def start(self) -> None:
        self.session.start()

    def close(self) -> None:
        self.session.close()

    def reconnect(self, retry_s: float) -> None:
        self.session.retry_s = retry_s
        self.session.restart(self._url_for(self.session.url))

    def moved(self) -> bool:
        return self._url_for(self.session.url) != self.session.url


class ScannerSourceDevice(ManagedDevice):
    """A scanner source thread that reopens its device itself, every ``reopen_interval_s``."""

    source: SerialScannerSource | EvdevScannerSource

    def start(self) -> None:
        self.source.start()

    def close(self) -> None:
        self.source.close()

    def reconnect(self, retry_s: float) -> None:
        self.source.reopen_interval_s = retry_s


class SerialScannerDevice(ScannerSourceDevice):
    """A serial / CDC-ACM scanner; reconnecting points it at the scanner's current port."""

    source: SerialScannerSource

    def __init__(
        self, name: str, profile: ScannerProfile, url_for: UrlFor, *, retry_s: float,
        on_scan: OnScan, on_status: OnStatus,
    ) -> None:
        self.name = name
        self._url_for = url_for
        self.source = SerialScannerSource.from_profile(
            url_for(""), profile, device=name, on_scan=on_scan, on_status=on_status
        )
        self.source.reopen_interval_s = retry_s

    def reconnect(self, retry_s: float) -> None:
        super().reconnect(retry_s)
        url = self._url_for(self.source.url)
        if url != self.source.url:
            self.source.retarget(url)

    def moved(self) -> bool:
        return self._url_for(self.source.url) != self.source.url


class WedgeScannerDevice(ScannerSourceDevice):
    """A keyboard-wedge scanner through evdev; it re-finds its device itself, at our pace."""

    def __init__(
        self, name: str, profile: ScannerProfile, path: str, *, retry_s: float,
        on_scan: OnScan, on_status: OnStatus,
    ) -> None:
        self.name = name
        self.source = EvdevScannerSource.from_profile(
            profile, path=path or None, device=name, on_scan=on_scan, on_status=on_status
        )
        self.source.reopen_interval_s = retry_s


class CameraDevice(ManagedDevice):
    """A CameraCapture plus, when enabled, the barcode decoder reading its frames."""

    closes_on_reconnect = True

    def __init__(
        self, name: str, profile: CameraProfile, source: int | str | FrameSource, *,
        decoder: DecoderConfig | None, on_scan: OnScan, on_status: OnStatus,
    ) -> None:
        self.name = name
        self.capture = CameraCapture(profile, source, on_status=on_status, name=name)
        self.scan_source = (
            CameraScanSource(self.capture, on_scan, decoder, on_status=on_status, device=name)
            if decoder is not None else None
        )

    def start(self) -> None:
        self.capture.start()
        if self.scan_source is not None:
            self.scan_source.start()

    def close(self) -> None:
        if self.scan_source is not None:
            self.scan_source.close()
        self.capture.close()

    def reconnect(self, retry_s: float) -> None:
        del retry_s  # CameraCapture reopens on its own fixed interval between our attempts
        self.capture.close()
        self.capture.start()
        if self.scan_source is not None:
            self.scan_source.start()  # replaces a decode thread that died

    def still(self) -> Still | None:
        """An evidence photo, or None while the camera has no frame."""
        return self.capture.still()


def camera_source_spec(text: str) -> int | str:
    """``devices.camera_source`` as VideoCapture wants it: "" is camera 0, digits an index."""
    stripped = text.strip()
    if not stripped:
        return 0
    return int(stripped) if stripped.isdigit() else stripped


def scale_profile_named(name: str) -> ScaleProfile:
    """A shipped scale profile by name or a .toml path; ConfigError names the key."""
    try:
        return load_scale_profile(find_scale_profile(name))
    except (FileNotFoundError, ProfileError) as exc:
        raise ConfigError(f"devices.scale_profile: {exc}") from exc


def scanner_profile_named(name: str) -> ScannerProfile:
    """A shipped scanner profile by name; ConfigError names the key."""
    try:
        return scanner_profile(name)
    except KeyError as exc:
        raise ConfigError(f"devices.scanner_profiles: {exc.args[0]}") from exc


def camera_profile_named(name: str) -> CameraProfile:
    """A shipped camera profile by name; ConfigError names the key."""
    for path in shipped_camera_profiles():
        if path.stem == name:
            try:
                return load_camera_profile(path)
            except ProfileError as exc:
                raise ConfigError(f"devices.camera_profile: {exc}") from exc
    known = ", ".join(p.stem for p in shipped_camera_profiles())
    raise ConfigError(f"devices.camera_profile: no camera profile {name!r}; shipped: {known}")
