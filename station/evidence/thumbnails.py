"""Thumbnails are derivatives: made from the original, stored apart, never replacing it."""

from __future__ import annotations

import contextlib

import cv2
import numpy as np

from station.evidence.store import EvidenceError, PhotoStore, PhotoStoreError


def decode_image(data: bytes) -> np.ndarray:
    """Decode JPEG/PNG bytes; a clear error for anything else."""
    array = np.frombuffer(data, dtype=np.uint8)
    image = cv2.imdecode(array, cv2.IMREAD_COLOR) if data else None
    if image is None:
        raise EvidenceError("not a JPEG or PNG image")
    return image


def make_thumbnail(data: bytes, max_px: int = 320, quality: int = 80) -> bytes:
    """A JPEG no larger than ``max_px`` on its long side."""
    image = decode_image(data)
    height, width = image.shape[:2]
    scale = min(1.0, max_px / max(height, width))
    if scale < 1.0:
        image = cv2.resize(
            image, (max(1, round(width * scale)), max(1, round(height * scale))),
            interpolation=cv2.INTER_AREA,
        )
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise EvidenceError("could not encode thumbnail")
    return encoded.tobytes()


def cached_thumbnail(store: PhotoStore, sha256: str, storage_key: str, max_px: int) -> bytes:
    """The thumbnail of one original, made once and kept in the store as a derivative.

    A full or read-only store still shows it (made again next time): reading the evidence
    already confirmed never depends on room for a cache file.
    """
    name = f"thumb-{max_px}-{sha256}.jpg"
    data = store.get_derivative(name)
    if data is None:
        data = make_thumbnail(store.get_original(storage_key), max_px)
        with contextlib.suppress(PhotoStoreError):
            store.put_derivative(name, data)
    return data
