"""Preview encoder: reduced-size JPEG of the latest frame for an MJPEG stream, cached per frame."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import numpy.typing as npt

from drivers.camera.quality import downscale

Frame = npt.NDArray[np.uint8]

#: multipart/x-mixed-replace boundary used by mjpeg_part (the web layer sends the same header).
MJPEG_BOUNDARY = "frame"


def encode_jpeg(frame: Frame, quality: int) -> bytes:
    """Encode a BGR or grey frame as JPEG at ``quality`` (1..100); empty bytes on failure."""
    ok, buffer = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return buffer.tobytes() if ok else b""


def mjpeg_part(jpeg: bytes) -> bytes:
    """One part of a multipart/x-mixed-replace MJPEG stream carrying ``jpeg``."""
    head = (
        f"--{MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
        f"Content-Length: {len(jpeg)}\r\n\r\n"
    ).encode("ascii")
    return head + jpeg + b"\r\n"


class PreviewEncoder:
    """Encodes a frame only when asked, and only once per frame sequence number."""

    def __init__(self, width_px: int, jpeg_quality: int) -> None:
        self.width_px = width_px
        self.jpeg_quality = jpeg_quality
        self._lock = threading.Lock()
        self._cached_seq = -1
        self._cached_jpeg = b""
        self.encode_count = 0

    def jpeg_for(self, seq: int, frame: Frame | None) -> bytes:
        """Preview-size JPEG of ``frame`` (sequence ``seq``); cached while seq is unchanged."""
        if frame is None:
            return b""
        with self._lock:
            if seq == self._cached_seq:
                return self._cached_jpeg
            jpeg = encode_jpeg(downscale(frame, self.width_px), self.jpeg_quality)
            self._cached_seq, self._cached_jpeg = seq, jpeg
            self.encode_count += 1
            return jpeg
