"""Strict loader for label layouts (station/labels/layouts/*.toml); errors name the file and key.

A layout file describes one label size for every resolution: positions and sizes are in the
file's ``unit`` ("mm" or "in") and become dots only when a label is drawn
(``dots = round(mm * dpi / 25.4)``). See docs in ``station/labels/__init__.py``.
"""

from __future__ import annotations

import string
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

MM_PER_INCH = 25.4

#: Fields a unit label's text templates may use.
UNIT_FIELDS = frozenset({
    "lpn", "rma_id", "station_code", "printed_on", "grade", "disposition", "destination",
    "sku", "description", "gtin", "serial"})
#: Fields a tote label's text templates may use.
TOTE_FIELDS = frozenset({"tote_code", "sscc", "destination", "station_code", "closed_on", "count"})


class LayoutError(ValueError):
    """A layout file that cannot be used, or a layout name / dpi that does not exist."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Box(_Strict):
    """A rectangle in the file's unit (converted to mm by the loader)."""

    x: float = Field(ge=0)
    y: float = Field(ge=0)
    w: float = Field(gt=0)
    h: float = Field(gt=0)

    def scaled(self, factor: float) -> dict[str, float]:
        return {"x": self.x * factor, "y": self.y * factor, "w": self.w * factor, "h": self.h * factor}


class TextElement(Box):
    """Text from a template such as ``"RMA {rma_id}"``; omitted when a field it uses is None.

    ``size`` is the font height (default: the box height / lines); ``shrink`` lets a single
    line get down to 60 % of ``size`` before it is truncated.
    """

    text: str
    size: float | None = Field(default=None, gt=0)
    lines: int = Field(default=1, ge=1, le=20)
    justify: Literal["L", "C", "R"] = "L"
    shrink: bool = False


class BarcodeElement(Box):
    """A 1D code centred in its box; the box holds the quiet zones, bars and the text line.

    ``module`` is the narrow bar width (0.25 mm is 2 dots at 203 dpi and 3 at 300);
    ``hr_size`` the human-readable line's font height (0 = none), printed under the bars.
    """

    module: float = Field(gt=0)
    hr_size: float = Field(default=0, ge=0)


class QrElement(_Strict):
    """A QR code in a square of side ``size`` (quiet zone of 4 modules inside it)."""

    x: float = Field(ge=0)
    y: float = Field(ge=0)
    size: float = Field(gt=0)


class ManifestElement(Box):
    """The tote's LPN list: rows of ``line_height`` in ``columns``; "+N more" when it overflows."""

    line_height: float = Field(gt=0)
    columns: int = Field(default=1, ge=1, le=6)
    size: float | None = Field(default=None, gt=0)


class UnitLayout(_Strict):
    """Elements of a unit (license-plate) label; ``lpn`` and ``grade`` are always there."""

    lpn: BarcodeElement
    gs1: BarcodeElement | None = None
    qr: QrElement | None = None
    texts: dict[str, TextElement] = Field(default_factory=dict)


class ToteLayout(_Strict):
    """Elements of a tote label: its code (SSCC or tote code), texts and the manifest."""

    code: BarcodeElement
    manifest: ManifestElement | None = None
    texts: dict[str, TextElement] = Field(default_factory=dict)


class LabelSize(_Strict):
    """The ``[label]`` table: size, unit of every length in the file and resolutions served."""

    title: str = ""
    unit: Literal["mm", "in"]
    width: float = Field(gt=0)
    height: float = Field(gt=0)
    dpi: list[Literal[203, 300]] = Field(min_length=1)


class LayoutFile(_Strict):
    """A whole layout file as written."""

    label: LabelSize
    unit: UnitLayout
    tote: ToteLayout

    @model_validator(mode="after")
    def _templates_use_known_fields(self) -> LayoutFile:
        for kind, texts, allowed in (("unit", self.unit.texts, UNIT_FIELDS), ("tote", self.tote.texts, TOTE_FIELDS)):
            for name, element in texts.items():
                try:
                    parts = list(string.Formatter().parse(element.text))
                except ValueError as exc:
                    raise ValueError(f"{kind}.texts.{name}.text: not a valid template: {exc}") from exc
                unknown = sorted({f for _, f, _, _ in parts if f is not None and f not in allowed})
                if unknown or any(f == "" for _, f, _, _ in parts):
                    raise ValueError(f"{kind}.texts.{name}.text: unknown field(s) {unknown}; "
                                     f"allowed: {', '.join(sorted(allowed))}")
        if "grade" not in self.unit.texts:
            raise ValueError("unit.texts.grade: every unit layout prints the grade")
        return self


class Layout(BaseModel):
    """A loaded layout, every length in millimetres."""

    model_config = ConfigDict(frozen=True)

    name: str
    source: str
    width_mm: float
    height_mm: float
    dpis: tuple[int, ...]
    unit: UnitLayout
    tote: ToteLayout

    def dots(self, mm: float, dpi: int) -> int:
        """Millimetres to dots at ``dpi``, rounded."""
        return round(mm * dpi / MM_PER_INCH)

    def size_dots(self, dpi: int) -> tuple[int, int]:
        """(^PW, ^LL) of this label at ``dpi``."""
        return self.dots(self.width_mm, dpi), self.dots(self.height_mm, dpi)


def _loc(parts: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in parts) or "<root>"


def _scale(value: object, factor: float, key: str = "") -> object:
    """Multiply every length in the raw table by ``factor`` (inches -> mm)."""
    lengths = {"x", "y", "w", "h", "size", "module", "hr_size", "line_height", "width", "height"}
    if isinstance(value, dict):
        return {k: _scale(v, factor, k) for k, v in value.items()}
    if key in lengths and isinstance(value, int | float) and not isinstance(value, bool):
        return value * factor
    return value


def _inside(name: str, x: float, y: float, w: float, h: float, size: LabelSize) -> str | None:
    if x + w > size.width + 1e-6 or y + h > size.height + 1e-6:
        return f"{name}: reaches {x + w:g},{y + h:g} outside the {size.width:g}x{size.height:g} label"
    return None


def parse_layout(text: str, source: str, name: str) -> Layout:
    """Validate one layout file's text; ``source`` names it in errors."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError(f"{source}: not valid TOML: {exc}") from exc
    try:
        unit = raw.get("label", {}).get("unit") if isinstance(raw.get("label"), dict) else None
        factor = MM_PER_INCH if unit == "in" else 1.0
        parsed = LayoutFile.model_validate(_scale(raw, factor) if factor != 1.0 else raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
            problems.append(f"{source}: {_loc(tuple(error['loc']))}: {message}")
        raise LayoutError("\n".join(problems)) from None
    size = parsed.label
    outside: list[str] = []
    for kind, layout in (("unit", parsed.unit), ("tote", parsed.tote)):
        boxes: dict[str, tuple[float, float, float, float]] = {
            f"{kind}.texts.{key}": (e.x, e.y, e.w, e.h) for key, e in layout.texts.items()}
        for attr in ("lpn", "gs1", "code", "manifest"):
            element = getattr(layout, attr, None)
            if isinstance(element, Box):
                boxes[f"{kind}.{attr}"] = (element.x, element.y, element.w, element.h)
        qr = getattr(layout, "qr", None)
        if isinstance(qr, QrElement):
            boxes[f"{kind}.qr"] = (qr.x, qr.y, qr.size, qr.size)
        outside.extend(p for key, b in boxes.items() if (p := _inside(key, *b, size)) is not None)
    if outside:
        raise LayoutError("\n".join(f"{source}: {p}" for p in outside))
    return Layout(
        name=name, source=source,
        width_mm=size.width, height_mm=size.height,
        dpis=tuple(sorted(size.dpi)), unit=parsed.unit, tote=parsed.tote)


def load_layout_file(path: Path) -> Layout:
    """A layout from a file on disk (the name is the file's stem)."""
    return parse_layout(path.read_text(encoding="utf-8"), str(path), path.stem)


def _packaged() -> dict[str, str]:
    folder = resources.files("station.labels") / "layouts"
    return {entry.name.removesuffix(".toml"): entry.name for entry in folder.iterdir()
            if entry.name.endswith(".toml")}


#: Names of the packaged layouts, e.g. ("2x1", "4x2", "4x6").
LAYOUTS: tuple[str, ...] = tuple(sorted(_packaged()))


@cache
def get_layout(name: str, dpi: int | None = None) -> Layout:
    """A packaged layout by name; ``dpi``, when given, must be one the layout serves."""
    files = _packaged()
    if name not in files:
        raise LayoutError(f"unknown label layout {name!r}; known: {', '.join(LAYOUTS)}")
    entry = resources.files("station.labels") / "layouts" / files[name]
    layout = parse_layout(entry.read_text(encoding="utf-8"), f"station/labels/layouts/{files[name]}", name)
    if dpi is not None and dpi not in layout.dpis:
        raise LayoutError(f"label layout {name!r} serves {', '.join(map(str, layout.dpis))} dpi, not {dpi}")
    return layout
