"""Deterministic set of realistic barcode photos (perspective, blur, glare, low light) with truth.

Generated at test / bench time from a seed, never committed. Every photo is a JPEG round trip of a
product scene with one labelled code, like a frame from a USB camera.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from drivers.scanner.aim import Symbology
from drivers.scanner.gtin import gs1_check_digit
from drivers.sim.camera import (
    SUPPORTED_SYMBOLOGIES,
    label_image,
    place,
    product_scene,
    render_code,
)

Frame = npt.NDArray[np.uint8]
CONDITIONS = (
    "clean", "perspective", "blur", "glare", "noise", "low_light", "small", "rotated", "curved",
)
_RENDER_MODULE_PX = 4
_LINEAR = frozenset({Symbology.EAN13, Symbology.UPCA, Symbology.EAN8, Symbology.CODE128,
                     Symbology.GS1_128})


@dataclass(frozen=True)
class Photo:
    """One test photo and its ground truth (``text`` as printed; GS1 in HRI form)."""

    name: str
    condition: str
    symbology: Symbology
    text: str
    image: Frame


def _digits(rng: np.random.Generator, count: int) -> str:
    return "".join(str(int(d)) for d in rng.integers(0, 10, count))


def _gtin13(rng: np.random.Generator) -> str:
    payload = str(int(rng.integers(1, 10))) + _digits(rng, 11)
    return payload + str(gs1_check_digit(payload))


def sample_text(symbology: Symbology, rng: np.random.Generator) -> str:
    """A plausible code of ``symbology`` (valid check digits, GS1 in HRI form)."""
    alnum = string.ascii_uppercase + string.digits
    serial = "".join(alnum[int(i)] for i in rng.integers(0, len(alnum), 8))
    if symbology is Symbology.EAN13:
        return _gtin13(rng)
    if symbology is Symbology.UPCA:
        payload = str(int(rng.integers(1, 10))) + _digits(rng, 10)
        return payload + str(gs1_check_digit(payload))
    if symbology is Symbology.EAN8:
        payload = str(int(rng.integers(1, 10))) + _digits(rng, 6)
        return payload + str(gs1_check_digit(payload))
    if symbology is Symbology.CODE128:
        return f"RMA-{_digits(rng, 6)}"
    if symbology is Symbology.GS1_128:
        return f"(01)0{_gtin13(rng)}(21){serial[:6]}"
    if symbology is Symbology.QR:
        return f"https://returns.example/r/{serial}"
    if symbology is Symbology.DATAMATRIX:
        return f"SN{serial}"
    return f"(01)0{_gtin13(rng)}(17)271231(10)L{_digits(rng, 4)}(21){serial}"


def normalised(text: str) -> str:
    """Comparable form of printed or decoded data: no HRI brackets or GS, GTINs as 13 digits."""
    flat = text.replace("(", "").replace(")", "").replace("\x1d", "")
    if flat.isdigit() and len(flat) in (12, 13):
        return flat.zfill(13)
    return flat


def is_match(photo: Photo, decoded_text: str) -> bool:
    """Whether a decoder's text is this photo's code."""
    return normalised(decoded_text) == normalised(photo.text)


def _curve(label: Frame, arc_deg: float) -> Frame:
    """The label wrapped round a cylinder facing the camera (edges compressed and shaded)."""
    height, width = label.shape[:2]
    half_arc = np.deg2rad(arc_deg) / 2
    radius = width / 2 / half_arc
    out_w = int(2 * radius * np.sin(half_arc))
    x_out = np.arange(out_w, dtype=np.float32) - out_w / 2
    theta = np.arcsin(np.clip(x_out / radius, -1, 1))
    map_x = np.tile((theta * radius + width / 2).astype(np.float32), (height, 1))
    map_y = np.repeat(np.arange(height, dtype=np.float32)[:, None], out_w, axis=1)
    curved = cv2.remap(label, map_x, map_y, cv2.INTER_LINEAR, borderValue=(255, 255, 255))
    shade = (0.55 + 0.45 * np.cos(theta)).astype(np.float32)[None, :, None]
    return (curved * shade).astype(np.uint8)


def _quad(
    rng: np.random.Generator, size: tuple[float, float], frame: tuple[int, int], angle_deg: float,
    jitter: float,
) -> npt.NDArray[np.float32]:
    width, height = size
    half = np.array([[-width, -height], [width, -height], [width, height], [-width, height]]) / 2
    half = half + rng.uniform(-jitter, jitter, (4, 2)) * max(width, height)
    theta = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    centre = [frame[0] * rng.uniform(0.4, 0.6), frame[1] * rng.uniform(0.4, 0.6)]
    return (half @ rot.T + centre).astype(np.float32)


def _glare(image: Frame, rng: np.random.Generator, centre: npt.NDArray[np.float32]) -> Frame:
    height, width = image.shape[:2]
    cx, cy = centre + rng.uniform(-40, 40, 2)
    radius = rng.uniform(0.06, 0.12) * width
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    blob = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * radius**2))) * rng.uniform(170, 230)
    return (image.astype(np.float32) + blob[..., None]).clip(0, 255).astype(np.uint8)


def render_photo(
    symbology: Symbology, text: str, condition: str, rng: np.random.Generator,
    width_px: int = 1280, height_px: int = 720, scene_seed: int = 0,
) -> Frame:
    """One photo of ``text`` as ``symbology`` under ``condition`` (one of CONDITIONS)."""
    if condition not in CONDITIONS:
        raise ValueError(f"unknown photo condition {condition!r}; known: {CONDITIONS}")
    label = label_image(render_code(text, symbology, _RENDER_MODULE_PX), 4 * _RENDER_MODULE_PX)
    if condition == "curved":
        label = _curve(label, rng.uniform(110, 150))
    linear = symbology in _LINEAR
    module_px = rng.uniform(2.2, 3.4) if linear else rng.uniform(3.0, 5.0)
    if condition == "small":
        module_px = rng.uniform(1.2, 1.6) if linear else rng.uniform(1.6, 2.2)
    scale = module_px / _RENDER_MODULE_PX
    size = (label.shape[1] * scale, label.shape[0] * scale)
    fit = min(1.0, 0.85 * width_px / size[0], 0.85 * height_px / size[1])
    size = (size[0] * fit, size[1] * fit)
    angle = rng.uniform(-6, 6)
    if condition == "rotated":
        angle = rng.choice([-1, 1]) * rng.uniform(25, 65)
    jitter = rng.uniform(0.12, 0.2) if condition == "perspective" else 0.01
    quad = _quad(rng, size, (width_px, height_px), angle, jitter)
    image = place(product_scene(width_px, height_px, scene_seed), label, quad)
    if condition == "blur":
        image = cv2.GaussianBlur(image, (0, 0), module_px * rng.uniform(0.45, 0.7))  # type: ignore[assignment]
    elif condition == "glare":
        image = _glare(image, rng, quad.mean(axis=0))
    elif condition == "noise":
        image = (image + rng.normal(0, rng.uniform(18, 28), image.shape)).clip(0, 255).astype(
            np.uint8
        )
    elif condition == "low_light":
        dim = image.astype(np.float32) * rng.uniform(0.12, 0.22)
        image = (dim + rng.normal(0, rng.uniform(2, 4), image.shape)).clip(0, 255).astype(np.uint8)
    else:
        image = cv2.GaussianBlur(image, (0, 0), 0.6)  # type: ignore[assignment]  # optics
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return cv2.imdecode(jpeg, cv2.IMREAD_COLOR) if ok else image  # type: ignore[return-value]


def generate(
    seed: int = 7,
    variants: int = 2,
    width_px: int = 1280,
    height_px: int = 720,
    symbologies: tuple[Symbology, ...] = SUPPORTED_SYMBOLOGIES,
    conditions: tuple[str, ...] = CONDITIONS,
) -> Iterator[Photo]:
    """Every symbology x condition x variant, the same photos for the same arguments."""
    rng = np.random.default_rng(seed)
    for symbology in symbologies:
        for condition in conditions:
            for variant in range(variants):
                text = sample_text(symbology, rng)
                image = render_photo(symbology, text, condition, rng, width_px, height_px,
                                     scene_seed=variant)
                name = f"{symbology}-{condition}-{variant}"
                yield Photo(name, condition, symbology, text, image)


def write(photos: Iterator[Photo] | list[Photo], folder: Path) -> Path:
    """Save photos as JPEG plus truth.json (name -> condition, symbology, text); returns folder."""
    folder.mkdir(parents=True, exist_ok=True)
    truth: dict[str, dict[str, str]] = {}
    for photo in photos:
        cv2.imwrite(str(folder / f"{photo.name}.jpg"), photo.image)
        truth[photo.name] = {"condition": photo.condition, "symbology": str(photo.symbology),
                             "text": photo.text}
    (folder / "truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
    return folder
