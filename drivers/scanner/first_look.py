"""The cheap first look at a camera frame: "no code here" fast, else where the candidates are.

Most frames of a waiting bench hold no code. Before any reader runs, one channel of the frame is
sampled down to about ``analysis_width_px`` (strided, no copy of the full frame, no colour
conversion) and cut into cells, at two scales. A cell is *busy* when, the frame's sensor noise
taken out, it holds many edges for its contrast (barcode bars and matrix modules) that alternate
in sign (a box edge or a shadow is one step, not a pattern). Busy cells are closed into blobs; a
blob is a candidate when it is at least ``min_cells`` cells and not a thin streak (the rim of a
box). The slow readers then run on the full-resolution crop of each candidate only. Small
printed text is busy too: it is a candidate, read once and then skipped while it stays still.

The same sampled image, averaged down to a thumbnail, tells a static scene: ``SceneWatch``
compares each frame's thumbnail, or the part under a candidate, with that of the last frame
that was read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

Grey = npt.NDArray[np.uint8]
Cells = npt.NDArray[np.float32]


@dataclass(frozen=True)
class LookConfig:
    """Thresholds of the first look (defaults tuned on drivers.sim.photoset and empty scenes)."""

    analysis_width_px: int = 640
    cell_px: int = 8
    #: Mean |gradient| per unit of the cell's standard deviation (edges per pixel, any exposure).
    min_density: float = 0.9
    #: Cells flatter than this (grey levels of standard deviation) are paper, not print.
    min_std: float = 6.0
    #: 1 - |sum of signed gradients| / sum of |gradients|: 0 for one step edge, ~1 for bars.
    min_alternation: float = 0.6
    min_cells: int = 1
    #: Longest side over shortest of a blob's rotated box; text lines and rims are longer.
    max_aspect: float = 12.0
    max_candidates: int = 4
    margin: float = 0.35

    def __post_init__(self) -> None:
        if self.analysis_width_px < 64 or self.cell_px < 2:
            raise ValueError("first look: analysis_width_px must be >= 64 and cell_px >= 2")


@dataclass(frozen=True)
class Candidate:
    """Where a code may be: an axis-aligned box in frame pixels (margin included) and its size."""

    x: int
    y: int
    width: int
    height: int
    cells: int


@dataclass
class Look:
    """What the first look saw: candidate boxes, the scene thumbnail, how long it took."""

    candidates: list[Candidate] = field(default_factory=list)
    thumbnail: Grey | None = None
    elapsed_ms: float = 0.0

    @property
    def empty(self) -> bool:
        """True when no region of the frame looks like a code."""
        return not self.candidates


def sampled(frame: npt.NDArray[np.uint8], width_px: int) -> tuple[Grey, int]:
    """One channel of ``frame`` (green of BGR/BGRA), every ``step``-th pixel; (image, step).

    Strided sampling keeps the bars' contrast (averaging would blur 1 px modules to grey) and
    touches only the pixels it keeps.
    """
    step = max(1, frame.shape[1] // width_px)
    plane = frame[::step, ::step, 1 if frame.shape[2] >= 3 else 0] if frame.ndim == 3 else \
        frame[::step, ::step]
    return np.ascontiguousarray(plane), step


def _pool(image: Cells, cells_w: int, cells_h: int, cell: int) -> Cells:
    return cv2.resize(  # type: ignore[return-value]
        image[: cells_h * cell, : cells_w * cell], (cells_w, cells_h),
        interpolation=cv2.INTER_AREA,
    )


def busy_cells(small: Grey, config: LookConfig) -> npt.NDArray[np.uint8]:
    """255 where a cell of ``small`` holds an alternating pattern of edges, else 0."""
    cell = config.cell_px
    cells_h, cells_w = small.shape[0] // cell, small.shape[1] // cell
    if cells_h < 1 or cells_w < 1:
        return np.zeros((1, 1), np.uint8)
    image: Cells = small.astype(np.float32)
    grad_x: Cells = cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3)  # type: ignore[assignment]
    grad_y: Cells = cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3)  # type: ignore[assignment]
    magnitude = _pool(np.abs(grad_x) + np.abs(grad_y), cells_w, cells_h, cell)
    net = np.abs(_pool(grad_x, cells_w, cells_h, cell)) + np.abs(
        _pool(grad_y, cells_w, cells_h, cell)
    )
    mean = _pool(image, cells_w, cells_h, cell)
    variance = np.maximum(_pool(image * image, cells_w, cells_h, cell) - mean * mean, 0.0)
    # Sensor noise: the spread of the flattest quarter of the cells (paper, bench, quiet zones).
    # It is taken out of each cell's spread and gradient (i.i.d. noise of deviation s gives
    # |gx| + |gy| of about 5.5 s under the 3x3 Sobel), so a faint edge in a noisy dark frame
    # is not mistaken for a pattern of edges.
    noise = float(np.sqrt(np.percentile(variance, 25)))
    std = np.sqrt(np.maximum(variance - noise * noise, 0.0))
    signal = np.maximum(magnitude - 5.5 * noise, 0.0)
    # a Sobel 3x3 gradient of a bar edge of contrast C is ~4C; density ~ edges per pixel
    density = signal / (4.0 * std + 1e-3)
    alternation = 1.0 - net / (signal + 1e-3)
    busy = (std >= config.min_std) & (density >= config.min_density) & (
        alternation >= config.min_alternation
    )
    return busy.astype(np.uint8) * 255


def candidates(
    busy: npt.NDArray[np.uint8], step: int, frame_w: int, frame_h: int, config: LookConfig
) -> list[Candidate]:
    """Blobs of busy cells that are big enough and not thin streaks, as boxes in the frame."""
    closed = cv2.morphologyEx(busy, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    scale = config.cell_px * step
    found: list[Candidate] = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        cells = int(np.count_nonzero(busy[y:y + h, x:x + w]))
        if cells < config.min_cells:
            continue
        (_, _), (side_a, side_b), _ = cv2.minAreaRect(contour)
        long_side, short_side = max(side_a, side_b, 1.0), max(min(side_a, side_b), 1.0)
        if long_side / short_side > config.max_aspect:
            continue
        pad_x, pad_y = config.margin * w + 1, config.margin * h + 1
        left, top = max(0, int((x - pad_x) * scale)), max(0, int((y - pad_y) * scale))
        right = min(frame_w, int((x + w + pad_x) * scale))
        bottom = min(frame_h, int((y + h + pad_y) * scale))
        found.append(Candidate(left, top, right - left, bottom - top, cells))
    return found


def _inside(box: Candidate, other: Candidate) -> bool:
    """True when ``box`` lies wholly within ``other`` (the readers see it there already)."""
    return other.x <= box.x and other.y <= box.y and \
        box.x + box.width <= other.x + other.width and box.y + box.height <= other.y + other.height


def _merged(boxes: list[Candidate]) -> list[Candidate]:
    """Overlapping boxes as one (a blurred code falls apart into pieces that overlap)."""
    boxes = list(boxes)
    changed = True
    while changed:
        changed = False
        for i, a in enumerate(boxes):
            for j in range(i + 1, len(boxes)):
                b = boxes[j]
                if a.x < b.x + b.width and b.x < a.x + a.width and \
                        a.y < b.y + b.height and b.y < a.y + a.height:
                    left, top = min(a.x, b.x), min(a.y, b.y)
                    right = max(a.x + a.width, b.x + b.width)
                    bottom = max(a.y + a.height, b.y + b.height)
                    boxes[i] = Candidate(left, top, right - left, bottom - top, a.cells + b.cells)
                    del boxes[j]
                    changed = True
                    break
            if changed:
                break
    return boxes


def thumbnail(small: Grey, width_px: int = 160) -> Grey:
    """The sampled image averaged down to ``width_px`` (sensor noise averages out)."""
    factor = max(1, small.shape[1] // width_px)
    size = (max(1, small.shape[1] // factor), max(1, small.shape[0] // factor))
    return cv2.resize(small, size, interpolation=cv2.INTER_AREA)  # type: ignore[return-value]


def first_look(frame: npt.NDArray[np.uint8], config: LookConfig | None = None) -> Look:
    """Candidate regions of ``frame`` (8-bit grey, BGR or BGRA) and its thumbnail."""
    config = config or LookConfig()
    started = time.perf_counter()
    small, step = sampled(frame, config.analysis_width_px)
    look = look_at(small, step, frame.shape[1], frame.shape[0], config)
    look.elapsed_ms = (time.perf_counter() - started) * 1000.0
    return look


def look_at(small: Grey, step: int, frame_w: int, frame_h: int, config: LookConfig) -> Look:
    """The first look on an image ``sampled`` already (the scan thread samples only once).

    It looks at two scales: modules of 1 to 3 sampled pixels make busy cells in ``small``; a
    code held close to the lens (wider bars, a cell inside one bar is flat) in ``small`` sampled
    once more by 2.
    """
    coarse = np.ascontiguousarray(small[::2, ::2])
    fine = _merged(candidates(busy_cells(small, config), step, frame_w, frame_h, config))
    wide = _merged(candidates(busy_cells(coarse, config), step * 2, frame_w, frame_h, config))
    both = fine + wide
    merged = [box for i, box in enumerate(both)
              if not any(_inside(box, other) and (not _inside(other, box) or j < i)
                         for j, other in enumerate(both) if j != i)]
    merged.sort(key=lambda c: c.cells, reverse=True)
    return Look(merged[: config.max_candidates], thumbnail(small))


class SceneWatch:
    """Tells whether a frame, or a region of it, shows what the last frame that was read showed.

    Same scene: no thumbnail pixel moved by more than ``max_change`` grey levels (a code held up,
    even a small one, changes a few thumbnail pixels by far more; sensor noise, averaged over the
    pixels of one thumbnail pixel, by a few levels).
    """

    def __init__(self, max_change: int = 12) -> None:
        self.max_change = max_change
        self._reference: Grey | None = None

    def unchanged(self, thumb: Grey) -> bool:
        """True when ``thumb`` matches the reference (the last frame passed to ``remember``)."""
        reference = self._reference
        if reference is None or reference.shape != thumb.shape:
            return False
        return bool(cv2.absdiff(reference, thumb).max() <= self.max_change)

    def unchanged_within(self, thumb: Grey, box: Candidate, frame_w: int, frame_h: int) -> bool:
        """True when the part of ``thumb`` under ``box`` (frame pixels) matches the reference."""
        reference = self._reference
        if reference is None or reference.shape != thumb.shape:
            return False
        scale_x, scale_y = thumb.shape[1] / frame_w, thumb.shape[0] / frame_h
        left, top = int(box.x * scale_x), int(box.y * scale_y)
        right = max(left + 1, int(np.ceil((box.x + box.width) * scale_x)))
        bottom = max(top + 1, int(np.ceil((box.y + box.height) * scale_y)))
        part = cv2.absdiff(reference[top:bottom, left:right], thumb[top:bottom, left:right])
        return bool(part.max() <= self.max_change)

    def remember(self, thumb: Grey) -> None:
        """``thumb`` is the scene the readers have now seen."""
        self._reference = thumb
