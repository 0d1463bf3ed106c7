"""Barcode readers (zxing-cpp, ZBar) and cheap image stages of the camera decode cascade."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
import zxingcpp
from pyzbar import pyzbar
from pyzbar.pyzbar import ZBarSymbol

from drivers.scanner.aim import Symbology

Grey = npt.NDArray[np.uint8]
Affine = npt.NDArray[np.float64]  # 2x3, maps frame coordinates -> stage image coordinates
Corners = tuple[tuple[int, int], ...]

#: The formats the bench reads; restricting the readers to them is faster and avoids false reads.
ZXING_FORMATS = zxingcpp.barcode_formats_from_str("EAN13,EAN8,UPCA,Code128,QRCode,DataMatrix")
ZBAR_SYMBOLS = [ZBarSymbol.EAN13, ZBarSymbol.EAN8, ZBarSymbol.UPCA, ZBarSymbol.CODE128,
                ZBarSymbol.QRCODE]

_ZXING_NAMES = {
    "EAN13": Symbology.EAN13,
    "EAN8": Symbology.EAN8,
    "UPCA": Symbology.UPCA,
    "Code128": Symbology.CODE128,
    "QRCode": Symbology.QR,
    "DataMatrix": Symbology.DATAMATRIX,
}
_GS1_OF = {
    Symbology.CODE128: Symbology.GS1_128,
    Symbology.QR: Symbology.GS1_QR,
    Symbology.DATAMATRIX: Symbology.GS1_DATAMATRIX,
}
# AIM identifiers for ZBar reads, which carry none (GS1 General Specifications fig. 5.1.2-2).
_ZBAR = {
    "EAN13": (Symbology.EAN13, "]E0"),
    "UPCA": (Symbology.UPCA, "]E0"),
    "EAN8": (Symbology.EAN8, "]E4"),
    "CODE128": (Symbology.CODE128, "]C0"),
    "QRCODE": (Symbology.QR, "]Q1"),
}


@dataclass(frozen=True)
class Read:
    """One symbol a reader found: data (FNC1 as GS), symbology, AIM id, corners in its image."""

    text: str
    symbology: Symbology
    aim_id: str
    corners: Corners


def ean_upc(symbology: Symbology, text: str) -> tuple[Symbology, str]:
    """UPC-A as 13 digits (as ]E0 sends it); an EAN-13 with a leading 0 is a UPC-A symbol."""
    if symbology is Symbology.UPCA and len(text) == 12:
        return symbology, "0" + text
    if symbology is Symbology.EAN13 and text.startswith("0"):
        return Symbology.UPCA, text
    return symbology, text


def read_zxing(image: Grey) -> list[Read]:
    """zxing-cpp on one grey image (it tries rotations, downscaling and inversion itself)."""
    reads: list[Read] = []
    for code in zxingcpp.read_barcodes(
        image, formats=ZXING_FORMATS, text_mode=zxingcpp.TextMode.Plain
    ):
        symbology = _ZXING_NAMES.get(code.format.name)
        if symbology is None or not code.text:
            continue
        if code.content_type == zxingcpp.ContentType.GS1:
            symbology = _GS1_OF.get(symbology, symbology)
        symbology, text = ean_upc(symbology, code.text)
        pos = code.position
        corners = tuple(
            (int(p.x), int(p.y))
            for p in (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)
        )
        reads.append(Read(text, symbology, code.symbology_identifier or "", corners))
    return reads


def read_zbar(image: Grey) -> list[Read]:
    """ZBar (pyzbar) on one grey image; reads EAN/UPC on real photos better than zxing-cpp."""
    reads: list[Read] = []
    height, width = image.shape[:2]
    for code in pyzbar.decode((image.tobytes(), width, height), symbols=ZBAR_SYMBOLS):
        known = _ZBAR.get(code.type)
        if known is None:
            continue
        try:
            text = code.data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        symbology, aim_id = known
        symbology, text = ean_upc(symbology, text)
        if symbology is Symbology.CODE128 and "\x1d" in text:
            # ZBar does not report a leading FNC1; a GS inside only occurs in GS1-128.
            symbology, aim_id = Symbology.GS1_128, "]C1"
        corners = tuple((int(p.x), int(p.y)) for p in code.polygon)
        reads.append(Read(text, symbology, aim_id, corners))
    return reads


# -- image stages: each yields (image, affine frame->image) -------------------------------------
def identity() -> Affine:
    """The 2x3 affine of an untransformed image."""
    return np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def map_back(corners: Corners, affine: Affine) -> Corners:
    """Corners found in a stage image -> frame coordinates."""
    if not corners:
        return corners
    inverse = cv2.invertAffineTransform(affine)
    points = np.array(corners, dtype=np.float64)
    mapped = points @ inverse[:, :2].T + inverse[:, 2]
    return tuple((round(float(x)), round(float(y))) for x, y in mapped)


def rotated(image: Grey, angle_deg: float) -> tuple[Grey, Affine]:
    """``image`` rotated by ``angle_deg`` about its centre on a canvas that holds all of it."""
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle_deg, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(height * sin + width * cos), int(height * cos + width * sin)
    matrix[0, 2] += new_w / 2 - width / 2
    matrix[1, 2] += new_h / 2 - height / 2
    out = cv2.warpAffine(image, matrix, (new_w, new_h), borderValue=255)
    return out, matrix  # type: ignore[return-value]


def adaptive_threshold(image: Grey, block_px: int = 31) -> Grey:
    """Local-mean binarisation: survives glare gradients and uneven light."""
    return cv2.adaptiveThreshold(  # type: ignore[return-value]
        image, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block_px | 1, 5
    )


def equalised(image: Grey) -> Grey:
    """Contrast-limited histogram equalisation (lifts dark, low-contrast frames)."""
    clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
    return clahe.apply(image)  # type: ignore[return-value]


def inverted(image: Grey) -> Grey:
    """Light-on-dark codes (laser-etched DataMatrix, dark labels) made dark-on-light."""
    return cv2.bitwise_not(image)  # type: ignore[return-value]


def candidate_crops(
    image: Grey, max_crops: int = 3, target_px: int = 480, analysis_width_px: int = 640
) -> Iterator[tuple[Grey, Affine]]:
    """Regions dense in edges (where barcodes are), deskewed and upscaled to ~``target_px``.

    Classic gradient + morphological closing localisation on a downscaled copy; each region is
    rotated so its long side is horizontal (helps ZBar's scan lines on tilted linear codes).
    """
    width = image.shape[1]
    scale = min(1.0, analysis_width_px / width)
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    grad_x = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    grad_y = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = cv2.convertScaleAbs(cv2.magnitude(grad_x, grad_y))
    blurred = cv2.blur(magnitude, (7, 7))
    _, mask = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
    small_kernel = np.ones((3, 3), np.uint8)
    mask = cv2.erode(mask, small_kernel, iterations=2)
    mask = cv2.dilate(mask, small_kernel, iterations=3)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    min_area = (small.shape[0] * small.shape[1]) * 0.002
    contours = sorted(
        (c for c in contours if cv2.contourArea(c) >= min_area), key=cv2.contourArea, reverse=True
    )
    for contour in contours[:max_crops]:
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
        if rw < rh:
            rw, rh, angle = rh, rw, angle - 90
        margin = 1.25
        out_w = max(8, int(rw / scale * margin))
        out_h = max(8, int(rh / scale * margin))
        zoom = float(np.clip(target_px / max(out_w, out_h), 1.0, 3.0))
        matrix = cv2.getRotationMatrix2D((cx / scale, cy / scale), angle, zoom)
        crop_w, crop_h = int(out_w * zoom), int(out_h * zoom)
        matrix[0, 2] += crop_w / 2 - cx / scale
        matrix[1, 2] += crop_h / 2 - cy / scale
        crop = cv2.warpAffine(
            image, matrix, (crop_w, crop_h), flags=cv2.INTER_CUBIC, borderValue=255
        )
        yield crop, matrix  # type: ignore[misc]
