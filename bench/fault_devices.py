"""Line noise on every serial device: random bytes into each simulated scale and the scanner.

For every shipped serial scale profile and the serial scanner, the driver runs against its
simulator behind a real pty; ``noise_bytes`` of seeded random bytes are written into the line
while the device keeps talking. Measured per device: whether the state showed the trouble,
stable readings with a wrong weight (or scans) that the noise produced, whether the device
came back (the placed weight read stable again, the next good scan arrived), and the growth of
resident memory and of the thread count.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

from drivers.scale.profile import load_scale_profile, shipped_scale_profiles
from drivers.scale.reading import Reading
from drivers.scale.session import ScaleSession
from drivers.scanner.events import ScanEvent
from drivers.scanner.profile import scanner_profile
from drivers.scanner.serial_source import SerialScannerSource
from drivers.sim.scale import SimulatedScale
from drivers.sim.scanner import SimulatedSerialScanner
from drivers.state import DeviceState, DeviceStatus
from tests.support.wait import wait_until

PLACED_G = 1234.5
TOLERANCE_MG = 600
WAIT_S = 15.0
CHUNK = 4096


@dataclass
class DeviceNoise:
    """One device's answer to the noise."""

    device: str
    noise_bytes: int
    error_shown: bool = False
    bad_frames: int = 0
    wrong_readings: int = 0
    recovered: bool = False
    rss_growth_kb: int = 0
    threads_delta: int = 0


@dataclass
class DeviceNoiseReport:
    """Every device's answer."""

    devices: list[DeviceNoise] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every device recovered, nothing wrong accepted, threads and memory bounded."""
        return all(d.recovered and d.wrong_readings == 0 and d.threads_delta <= 0
                   and (d.error_shown or d.bad_frames > 0)
                   and d.rss_growth_kb < 64 * 1024 for d in self.devices)


def rss_kb() -> int:
    """Resident memory of this process (kB) from /proc/self/status."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _near(reading: Reading) -> bool:
    return reading.weight_mg is not None and abs(reading.weight_mg - PLACED_G * 1000) <= TOLERANCE_MG


def scale_noise(path_name: str, noise: bytes) -> DeviceNoise:
    """Noise into one simulated scale's line; its session must survive and read true again."""
    profile = load_scale_profile(next(p for p in shipped_scale_profiles() if p.stem == path_name))
    result = DeviceNoise(f"scale:{path_name}", len(noise))
    readings: list[Reading] = []
    statuses: list[DeviceStatus] = []
    with SimulatedScale(profile) as sim:
        sim.place(PLACED_G, settle_s=0.0)
        session = ScaleSession(profile, sim.port, name=f"noise-{path_name}",
                               on_reading=readings.append, on_status=statuses.append, retry_s=0.1)
        with session:
            if not wait_until(lambda: any(r.stable and _near(r) for r in readings), WAIT_S):
                return result
            threads, rss = threading.active_count(), rss_kb()
            mark, status_mark = len(readings), len(statuses)
            for start in range(0, len(noise), CHUNK):
                sim.inject(noise[start:start + CHUNK])
            ended = len(readings)
            result.recovered = wait_until(
                lambda: any(r.stable and _near(r) for r in readings[ended:])
                and session.status.state is DeviceState.READY, WAIT_S)
            result.error_shown = any(s.state is DeviceState.ERROR for s in statuses[status_mark:])
            result.bad_frames = session.bad_frames
            result.wrong_readings = sum(1 for r in readings[mark:]
                                        if r.stable and r.weight_mg is not None and not _near(r))
            result.threads_delta = threading.active_count() - threads
            result.rss_growth_kb = rss_kb() - rss
    return result


def scanner_noise(noise: bytes) -> DeviceNoise:
    """Noise into the serial scanner's line; no scan may come of it, the next real one must."""
    result = DeviceNoise("scanner:generic-serial", len(noise))
    scans: list[ScanEvent] = []
    statuses: list[DeviceStatus] = []
    with SimulatedSerialScanner(scanner_profile("generic-serial")) as sim:
        source = SerialScannerSource(sim.port, device="noise-scanner", on_scan=scans.append,
                                     on_status=statuses.append)
        with source:
            if not wait_until(lambda: source.status.state is DeviceState.READY, WAIT_S):
                return result
            threads, rss = threading.active_count(), rss_kb()
            for start in range(0, len(noise), CHUNK):
                sim.send_raw(noise[start:start + CHUNK])
            # the noise ended
            wait_until(lambda: source.stats.garbage > 0 and not source.line_open, WAIT_S)
            sim.scan("RMA-2026-NOISE-1")
            result.recovered = wait_until(
                lambda: any(s.raw == "RMA-2026-NOISE-1" for s in scans), WAIT_S)
            result.wrong_readings = sum(1 for s in scans if s.raw != "RMA-2026-NOISE-1")
            result.error_shown = source.stats.garbage > 0
            result.bad_frames = source.stats.garbage
            result.threads_delta = threading.active_count() - threads
            result.rss_growth_kb = rss_kb() - rss
    return result


def serial_scale_profiles() -> list[str]:
    """Shipped scale profiles that talk over a serial line (HID POS scales do not)."""
    return [p.stem for p in shipped_scale_profiles()
            if load_scale_profile(p).protocol != "hid_pos"]


def device_noise(noise_bytes: int, scales: list[str] | None = None, seed: int = 5
                 ) -> DeviceNoiseReport:
    """``noise_bytes`` of random bytes into every serial device (or the named scales)."""
    rng = random.Random(seed)
    report = DeviceNoiseReport()
    for name in scales if scales is not None else serial_scale_profiles():
        report.devices.append(scale_noise(name, rng.randbytes(noise_bytes)))
    report.devices.append(scanner_noise(rng.randbytes(noise_bytes)))
    return report
