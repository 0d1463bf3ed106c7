"""The built-in simulators a bench runs when `devices.simulated` is true (scale, scanner, camera, printer)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from drivers.camera.profile import CameraProfile
from drivers.scale.profile import ScaleProfile
from drivers.scanner.profile import ScannerInterface, ScannerProfile, scanner_profile
from drivers.sim.camera import SyntheticCamera
from drivers.sim.printer import SimulatedPrinter
from drivers.sim.scale import SimulatedScale
from drivers.sim.scanner import SimulatedSerialScanner

#: Decode stages for the simulated camera: its codes are clean renders, the cheap readers do.
SIM_DECODE_STAGES = ("zxing", "zbar")
#: Default size of the simulated camera's stills (devices.sim_camera_size): big enough to judge a
#: scratch in the review lightbox at 1:1.
SIM_CAMERA_SIZE_PX = (1280, 720)
#: The stream it decodes and previews is at most this wide (same aspect): rendering, noise and
#: decoding 1280x720 frames at 10 fps took 32 % of a core idle, 640x360 10 %.
SIM_STREAM_MAX_WIDTH_PX = 640
#: Standard deviation of the simulated sensor noise (grey levels).
SIM_SENSOR_NOISE = 2.0


@dataclass
class Simulators:
    """Handles the demo and browser tests drive: place grams, scan a code, present a code."""

    scale: SimulatedScale
    scanner: SimulatedSerialScanner
    camera: SyntheticCamera
    #: The label printer behind a real TCP socket (None: the bench has no labels configured).
    printer: SimulatedPrinter | None = None

    def scale_port(self, fallback: str) -> str:
        """Where the simulated scale is plugged in now (``fallback`` while it is unplugged)."""
        return self.scale.port or fallback

    def scanner_port(self, fallback: str) -> str:
        """Where the simulated scanner is plugged in now (``fallback`` while it is unplugged)."""
        return self.scanner.port if self.scanner.connected else fallback

    def close(self) -> None:
        """Stop every simulator (their ptys close)."""
        self.scale.close()
        self.scanner.close()
        self.camera.set_fault(None)
        if self.printer is not None:
            self.printer.close()


def start_simulators(
    scale: ScaleProfile, scanner: ScannerProfile, camera: CameraProfile, camera_fps: float,
    camera_size: tuple[int, int] = SIM_CAMERA_SIZE_PX, printer: tuple[str, int] | None = None,
) -> Simulators:
    """Start a simulated scale and serial scanner behind real ptys and a synthetic camera.

    ``printer`` (profile name, dpi) also starts a simulated label printer on a TCP port.
    """
    del camera  # the synthetic camera renders at camera_size whatever the profile says
    scale_sim = SimulatedScale(scale)
    try:
        scanner_sim = SimulatedSerialScanner(scanner)
    except Exception:
        scale_sim.close()
        raise
    width_px, height_px = sim_stream_size(camera_size)
    camera_sim = SyntheticCamera(width_px, height_px, fps=camera_fps, still_size=camera_size)
    camera_sim.noise_std = SIM_SENSOR_NOISE  # like a real sensor: no two stills are byte-identical
    printer_sim = None
    if printer is not None:
        try:
            printer_sim = SimulatedPrinter(printer[0], dpi=printer[1])
        except Exception:
            scale_sim.close()
            scanner_sim.close()
            raise
    return Simulators(scale_sim, scanner_sim, camera_sim, printer_sim)


def sim_stream_size(still_size: tuple[int, int]) -> tuple[int, int]:
    """The simulated camera's stream size for stills of ``still_size``: same aspect, <= 640 wide."""
    width_px, height_px = still_size
    if width_px <= SIM_STREAM_MAX_WIDTH_PX:
        return still_size
    scale = SIM_STREAM_MAX_WIDTH_PX / width_px
    return SIM_STREAM_MAX_WIDTH_PX, max(160, round(height_px * scale))


def sim_scanner_profile(configured: list[ScannerProfile]) -> ScannerProfile:
    """The first configured serial scanner profile, else generic-serial (wedges need uinput)."""
    serial = [p for p in configured if p.interface == ScannerInterface.SERIAL]
    return serial[0] if serial else scanner_profile("generic-serial")


def close_quietly(simulators: Simulators | None) -> None:
    """Close ``simulators`` if there are any, ignoring errors of already closed ptys."""
    if simulators is not None:
        with contextlib.suppress(OSError):
            simulators.close()
