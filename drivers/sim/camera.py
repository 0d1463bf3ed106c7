"""Synthetic USB camera: a product with a real barcode on it, image knobs and fault knobs.

``SyntheticCamera.read()`` behaves like ``cv2.VideoCapture.read()`` so it plugs into
drivers.camera.capture.CameraCapture; with ``still_size`` its ``still_frame()`` renders evidence
stills bigger than the (cheaper) stream, like a camera's still-capture mode. ``RecordedCamera``
plays a folder of images or a video file.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import segno
import zxingcpp

from drivers.scanner.aim import Symbology

Frame = npt.NDArray[np.uint8]
Quad = npt.NDArray[np.float32]

#: Symbologies the simulator can draw (text for GS1 kinds in HRI form "(01)...(21)...").
SUPPORTED_SYMBOLOGIES = (
    Symbology.EAN13,
    Symbology.UPCA,
    Symbology.EAN8,
    Symbology.CODE128,
    Symbology.GS1_128,
    Symbology.QR,
    Symbology.DATAMATRIX,
    Symbology.GS1_DATAMATRIX,
)
_WRITER = {
    Symbology.EAN13: (zxingcpp.BarcodeFormat.EAN13, False),
    Symbology.UPCA: (zxingcpp.BarcodeFormat.UPCA, False),
    Symbology.EAN8: (zxingcpp.BarcodeFormat.EAN8, False),
    Symbology.CODE128: (zxingcpp.BarcodeFormat.Code128, False),
    Symbology.GS1_128: (zxingcpp.BarcodeFormat.Code128, True),
    Symbology.DATAMATRIX: (zxingcpp.BarcodeFormat.DataMatrix, False),
    Symbology.GS1_DATAMATRIX: (zxingcpp.BarcodeFormat.DataMatrix, True),
}
#: Faults: "stall" (read blocks, then fails, like a hung V4L2 device), "read_fails" (ok=False at
#: once), "unplugged" (read raises OSError like a vanished /dev/video node).
FAULTS = ("stall", "read_fails", "unplugged")
#: Distinct noise patterns (start offsets into one drawn pattern) before one repeats.
NOISE_OFFSETS = 65_521


def render_code(text: str, symbology: Symbology | str, module_px: int = 3) -> Frame:
    """The barcode as a grey image with its quiet zone, ``module_px`` pixels per module."""
    symbology = Symbology(symbology)
    if symbology is Symbology.QR:
        qr = segno.make_qr(text, error="m")
        modules = 1 - np.array(qr.matrix, dtype=np.uint8)  # 1 = dark in segno
        image = np.kron(modules * 255, np.ones((module_px, module_px), np.uint8))
        return np.pad(image, 4 * module_px, constant_values=255).astype(np.uint8)
    if symbology not in _WRITER:
        raise ValueError(f"the simulator cannot draw {symbology!r}")
    fmt, gs1 = _WRITER[symbology]
    code = zxingcpp.create_barcode(text, fmt, gs1=True) if gs1 else zxingcpp.create_barcode(
        text, fmt
    )
    return np.array(code.to_image(scale=module_px, add_quiet_zones=True), dtype=np.uint8)


def label_image(code: Frame, margin_px: int = 12) -> Frame:
    """The code on a white BGR label with a margin; ink and paper as a camera sees them (25..235)."""
    label = np.pad(code, margin_px, constant_values=255)
    paper = cv2.convertScaleAbs(label, alpha=210 / 255, beta=25)
    return cv2.cvtColor(paper, cv2.COLOR_GRAY2BGR)  # type: ignore[return-value]


def product_scene(width_px: int, height_px: int, seed: int = 0) -> Frame:
    """A bench top with a cardboard box and some printed text (texture for the decoders)."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(90, 140, width_px, dtype=np.float32)
    scene = np.empty((height_px, width_px, 3), np.uint8)
    scene[:] = np.stack([ramp * 0.9, ramp, ramp * 1.05], axis=-1).clip(0, 255).astype(np.uint8)
    box = (int(width_px * 0.08), int(height_px * 0.08), int(width_px * 0.92), int(height_px * 0.92))
    colour = tuple(int(c) for c in rng.integers(120, 200, 3))
    cv2.rectangle(scene, box[:2], box[2:], colour, thickness=-1)
    for row in range(3):
        y = box[1] + 20 + row * max(12, height_px // 14)
        cv2.putText(scene, f"RETURN {rng.integers(1000, 9999)}", (box[0] + 10, y),
                    cv2.FONT_HERSHEY_SIMPLEX, max(0.3, width_px / 1600), (40, 40, 40), 1)
    return scene


def place(scene: Frame, label: Frame, quad: Quad) -> Frame:
    """``label`` warped onto ``quad`` (4 corners TL, TR, BR, BL) of a copy of ``scene``."""
    height, width = label.shape[:2]
    src = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    matrix = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
    size = (scene.shape[1], scene.shape[0])
    warped = cv2.warpPerspective(label, matrix, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((height, width), 255, np.uint8), matrix, size)
    out = scene.copy()
    out[mask > 127] = warped[mask > 127]
    return out


def centred_quad(label: Frame, frame_w: int, frame_h: int, angle_deg: float = 0.0) -> Quad:
    """Corners of ``label`` centred in the frame, rotated by ``angle_deg``, shrunk to fit."""
    height, width = label.shape[:2]
    fit = min(1.0, 0.8 * frame_w / width, 0.8 * frame_h / height)
    half = np.array([[-width, -height], [width, -height], [width, height], [-width, height]]) / 2
    theta = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    return (half * fit @ rot.T + [frame_w / 2, frame_h / 2]).astype(np.float32)


def degrade(frame: Frame, blur_sigma: float = 0.0, gain: float = 1.0) -> Frame:
    """Defocus blur (Gaussian sigma in px) and exposure gain; noise is added per frame."""
    out = frame
    if blur_sigma > 0:
        out = cv2.GaussianBlur(out, (0, 0), blur_sigma)  # type: ignore[assignment]
    if gain != 1.0:
        out = cv2.convertScaleAbs(out, alpha=gain)  # type: ignore[assignment]
    return out


class SyntheticCamera:
    """A camera looking at a product; present() a code, turn the knobs, inject faults."""

    def __init__(
        self, width_px: int = 640, height_px: int = 480, fps: float = 30.0, seed: int = 0,
        paced: bool = True, still_size: tuple[int, int] | None = None,
    ) -> None:
        self.width_px, self.height_px, self.fps, self.paced = width_px, height_px, fps, paced
        #: Size of ``still_frame()`` pictures (None: a still is the stream frame).
        self.still_size = still_size
        self._seed = seed
        self._still_base: Frame | None = None
        self.blur_sigma = 0.0
        self.noise_std = 0.0
        self.gain = 1.0
        self.fault: str | None = None
        self.stall_s = 1.0
        self.frames_served = 0
        self._rng = np.random.default_rng(seed)
        self._base = product_scene(width_px, height_px, seed)
        self._code: tuple[str, Symbology, int, float] | None = None
        self._cache_key: tuple[object, ...] | None = None
        self._cache: Frame = self._base
        self._noise_banks: dict[tuple[int, float], npt.NDArray[np.int8]] = {}
        self._next_at = 0.0
        self._lock = threading.Lock()

    def present(
        self, text: str, symbology: Symbology | str, module_px: int = 3, angle_deg: float = 0.0
    ) -> None:
        """Hold a code in view from the next frame on (raises ValueError if it cannot be drawn)."""
        render_code(text, symbology, module_px)  # fail here, not in the reader thread
        with self._lock:
            self._code = (text, Symbology(symbology), module_px, angle_deg)

    def clear(self) -> None:
        """Take the code out of view."""
        with self._lock:
            self._code = None

    def set_fault(self, fault: str | None) -> None:
        """Inject one of FAULTS, or None to heal."""
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown camera fault {fault!r}; known: {FAULTS}")
        self.fault = fault

    def frame(self) -> Frame:
        """The current picture without pacing or faults (a fresh copy)."""
        with self._lock:
            key = (self._code, self.blur_sigma, self.gain)
            if key != self._cache_key:
                self._cache = degrade(self._compose(), self.blur_sigma, self.gain)
                self._cache_key = key
            frame = self._cache
        return self._noisy(frame)

    def still_frame(self) -> Frame:
        """An evidence still at ``still_size``: the same view as the stream, rendered bigger."""
        if self.still_size is None or self.still_size == (self.width_px, self.height_px):
            return self.frame()
        width_px, height_px = self.still_size
        factor = width_px / self.width_px
        with self._lock:
            code = self._code
            blur_sigma, gain = self.blur_sigma, self.gain
            if self._still_base is None:
                self._still_base = product_scene(width_px, height_px, self._seed)
            still = self._still_base
        if code is not None:
            text, symbology, module_px, angle_deg = code
            label = label_image(render_code(text, symbology, module_px))
            quad = centred_quad(label, self.width_px, self.height_px, angle_deg) * factor
            still = place(still, label, quad.astype(np.float32))
        return self._noisy(degrade(still, blur_sigma * factor, gain))

    def _noisy(self, frame: Frame) -> Frame:
        if self.noise_std > 0:
            noisy = frame.astype(np.int16)
            noisy += self._noise(frame.shape)
            np.clip(noisy, 0, 255, out=noisy)
            return noisy.astype(np.uint8)
        return frame.copy()

    def read(self) -> tuple[bool, Frame | None]:
        """Next frame at ``fps`` like cv2.VideoCapture.read(), honouring the fault knob."""
        if self.fault == "unplugged":
            raise OSError(19, "No such device")
        if self.fault == "stall":
            deadline = time.monotonic() + self.stall_s
            while self.fault == "stall" and time.monotonic() < deadline:
                time.sleep(0.01)
            return False, None
        if self.fault == "read_fails":
            time.sleep(1 / self.fps)
            return False, None
        if self.paced:
            now = time.monotonic()
            self._next_at = max(now, self._next_at + 1 / self.fps)
            time.sleep(max(0.0, self._next_at - now))
        self.frames_served += 1
        return True, self.frame()

    def release(self) -> None:
        """Nothing to free; present for VideoCapture compatibility."""

    def _compose(self) -> Frame:
        if self._code is None:
            return self._base
        text, symbology, module_px, angle_deg = self._code
        label = label_image(render_code(text, symbology, module_px))
        return place(self._base, label, centred_quad(label, self.width_px, self.height_px,
                                                     angle_deg))

    def _noise(self, shape: tuple[int, ...]) -> npt.NDArray[np.int8]:
        """Sensor noise for the next frame: a view into one pre-drawn int8 pattern (no copies).

        The view starts at a frame-dependent offset, so consecutive frames (and so two stills) are
        never byte-identical, as on a real sensor, without drawing new random numbers per frame.
        """
        size = int(np.prod(shape))
        key = (size, self.noise_std)
        bank = self._noise_banks.get(key)
        if bank is None:
            if len(self._noise_banks) >= 2:  # the stream's and the stills' sizes
                self._noise_banks.clear()
            bank = np.empty(size + NOISE_OFFSETS, dtype=np.int8)
            for start in range(0, bank.size, 1 << 20):  # in chunks: no 1080p-sized float arrays
                part = self._rng.standard_normal(min(1 << 20, bank.size - start), dtype=np.float32)
                part *= self.noise_std
                bank[start:start + part.size] = np.clip(np.rint(part), -127, 127)
            self._noise_banks[key] = bank
        offset = (self.frames_served * 7919) % NOISE_OFFSETS
        return bank[offset:offset + size].reshape(shape)


class RecordedCamera:
    """Plays a folder of images (sorted by name) or a video file as a camera, optionally looping."""

    IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")

    def __init__(self, path: Path, fps: float = 15.0, loop: bool = True) -> None:
        self.path, self.fps, self.loop = Path(path), fps, loop
        self._images: list[Path] = []
        self._video: cv2.VideoCapture | None = None
        self._index = 0
        if self.path.is_dir():
            self._images = sorted(
                p for p in self.path.iterdir() if p.suffix.lower() in self.IMAGE_SUFFIXES
            )
            if not self._images:
                raise ValueError(f"{self.path}: no images ({', '.join(self.IMAGE_SUFFIXES)})")
        else:
            self._video = cv2.VideoCapture(str(self.path))
            if not self._video.isOpened():
                raise ValueError(f"{self.path}: not a readable video file or image folder")

    def read(self) -> tuple[bool, Frame | None]:
        """Next image or video frame at ``fps``; (False, None) at the end when not looping."""
        time.sleep(1 / self.fps)
        if self._video is not None:
            ok, frame = self._video.read()
            if not ok and self.loop:
                self._video.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, frame = self._video.read()
            return (True, frame) if ok else (False, None)  # type: ignore[return-value]
        if self._index >= len(self._images):
            if not self.loop:
                return False, None
            self._index = 0
        image = cv2.imread(str(self._images[self._index]), cv2.IMREAD_COLOR)
        self._index += 1
        return (image is not None), image  # type: ignore[return-value]

    def release(self) -> None:
        """Close the video file."""
        if self._video is not None:
            self._video.release()
