"""Server-side SVG charts (line, horizontal bars, donut) styled only by classes from analytics.css.

No inline style attributes or scripts (the CSP allows neither): colours come from the classes
``s0``..``s7``; every point, bar and slice is wrapped in an ``<a href>`` to its drill-down list.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext
from markupsafe import Markup, escape

PALETTE_SIZE = 8


@dataclass(frozen=True)
class Datum:
    """One value to draw: its label, the number, where clicking it goes, and its tooltip."""

    label: str
    value: float
    href: str
    title: str = ""


def _nice_max(value: float, ticks: int = 4) -> float:
    """A round axis maximum at or above ``value`` whose ``ticks`` steps are whole 1/2/5 x 10^n.

    Counts never get fractional ticks: the smallest step is 1.
    """
    wanted = max(value, 0.0) / ticks
    if wanted <= 1:
        return float(ticks)
    exponent = 10 ** math.floor(math.log10(wanted))
    step = next((m * exponent for m in (1, 2, 5, 10) if wanted <= m * exponent), 10 * exponent)
    return float(step * ticks)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _open(kind: str, title: str, width: float, height: float) -> list[str]:
    return [f'<svg class="chart {kind}" xmlns="http://www.w3.org/2000/svg" role="img" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" aria-label="{escape(title)}">',
            f"<title>{escape(title)}</title>"]


def _tip(d: Datum) -> str:
    return str(escape(d.title or f"{d.label}: {_number(d.value)}"))


def line_chart(points: Sequence[Datum], title: str, width: int = 720, height: int = 240) -> Markup:
    """Counts over time: a line with a linked dot per bucket, y grid and a few x labels."""
    left, right, top, bottom = 48, 12, 12, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((p.value for p in points), default=0))
    out = _open("line", title, width, height)
    for i in range(5):
        y = top + plot_h - plot_h * i / 4
        out.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f"{_number(top_value * i / 4)}</text>")
    if not points:
        out.append("</svg>")
        return Markup("".join(out))
    step = plot_w / max(1, len(points) - 1)

    def xy(i: int, value: float) -> tuple[float, float]:
        return left + (step * i if len(points) > 1 else plot_w / 2), \
            top + plot_h - plot_h * value / top_value

    coords = [xy(i, p.value) for i, p in enumerate(points)]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(coords))
    out.append(f'<path class="series s0" d="{path}"/>')
    every = max(1, math.ceil(len(points) / 8))
    for i, (p, (x, y)) in enumerate(zip(points, coords, strict=True)):
        out.append(f'<a href="{escape(p.href)}"><circle class="point s0" cx="{x:.1f}" '
                   f'cy="{y:.1f}" r="4"><title>{_tip(p)}</title></circle></a>')
        last = i == len(points) - 1 and i % every >= every / 2  # not on top of the one before
        if i % every == 0 or last:
            out.append(f'<text class="axis" x="{x:.1f}" y="{height - bottom + 18}" '
                       f'text-anchor="middle">{escape(p.label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def bar_chart(bars: Sequence[Datum], title: str, width: int = 720) -> Markup:
    """A ranking: one linked horizontal bar per row, label left, value right."""
    label_w, value_w, row_h, pad = 210, 70, 26, 6
    height = max(1, len(bars)) * row_h + 2 * pad
    plot_w = width - label_w - value_w
    top_value = max((b.value for b in bars), default=0) or 1
    out = _open("bars", title, width, height)
    for i, b in enumerate(bars):
        y = pad + i * row_h
        w = max(1.0, plot_w * b.value / top_value) if b.value else 0.0
        out.append(
            f'<a href="{escape(b.href)}"><g class="bar">'
            f'<text class="label" x="{label_w - 8}" y="{y + row_h / 2 + 4:.1f}" '
            f'text-anchor="end">{escape(_short(b.label, 30))}</text>'
            f'<rect class="s{i % PALETTE_SIZE}" x="{label_w}" y="{y + 3}" width="{w:.1f}" '
            f'height="{row_h - 6}" rx="3"/>'
            f'<text class="value" x="{label_w + w + 6:.1f}" y="{y + row_h / 2 + 4:.1f}">'
            f"{_number(b.value)}</text><title>{_tip(b)}</title></g></a>")
    out.append("</svg>")
    return Markup("".join(out))


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _arc(cx: float, cy: float, r_out: float, r_in: float, start: float, end: float) -> str:
    """A ring segment from angle ``start`` to ``end`` (radians, clockwise from 12 o'clock)."""
    large = 1 if end - start > math.pi else 0

    def at(r: float, a: float) -> tuple[float, float]:
        return cx + r * math.sin(a), cy - r * math.cos(a)

    (x1, y1), (x2, y2) = at(r_out, start), at(r_out, end)
    (x3, y3), (x4, y4) = at(r_in, end), at(r_in, start)
    return (f"M{x1:.2f},{y1:.2f} A{r_out},{r_out} 0 {large} 1 {x2:.2f},{y2:.2f} "
            f"L{x3:.2f},{y3:.2f} A{r_in},{r_in} 0 {large} 0 {x4:.2f},{y4:.2f} Z")


def donut_chart(slices: Sequence[Datum], title: str, size: int = 200) -> Markup:
    """Shares: a linked ring segment per slice and a linked legend with counts and percent."""
    legend_w, row_h = 260, 22
    height = max(size, len(slices) * row_h + 12)
    out = _open("donut", title, size + legend_w, height)
    total = sum(s.value for s in slices)
    cx = cy = size / 2
    r_out, r_in = size / 2 - 6, size / 2 - 40
    angle = 0.0
    for i, s in enumerate(slices):
        if total <= 0 or s.value <= 0:
            continue
        sweep = 2 * math.pi * s.value / total
        shape = "s" + str(i % PALETTE_SIZE)
        if sweep >= 2 * math.pi - 1e-9:  # one slice: the whole ring, drawn as two halves
            d = _arc(cx, cy, r_out, r_in, 0, math.pi) + " " + _arc(cx, cy, r_out, r_in, math.pi,
                                                                  2 * math.pi - 1e-6)
        else:
            d = _arc(cx, cy, r_out, r_in, angle, angle + sweep)
        out.append(f'<a href="{escape(s.href)}"><path class="slice {shape}" d="{d}">'
                   f"<title>{_tip(s)}</title></path></a>")
        angle += sweep
    if total <= 0:
        out.append(f'<circle class="empty" cx="{cx}" cy="{cy}" r="{(r_out + r_in) / 2}" '
                   f'stroke-width="{r_out - r_in}" fill="none"/>')
    out.append(f'<text class="total" x="{cx}" y="{cy + 6}" text-anchor="middle">'
               f"{_number(total) if total > 0 else escape(gettext('No data'))}</text>")
    for i, s in enumerate(slices):
        y = 8 + i * row_h
        pct = f" ({100 * s.value / total:.0f}%)" if total else ""
        out.append(f'<a href="{escape(s.href)}"><g class="legend">'
                   f'<rect class="s{i % PALETTE_SIZE}" x="{size + 10}" y="{y}" width="14" '
                   f'height="14" rx="2"/><text class="label" x="{size + 30}" y="{y + 12}">'
                   f"{escape(_short(s.label, 26))} · {_number(s.value)}{pct}</text>"
                   f"<title>{_tip(s)}</title></g></a>")
    out.append("</svg>")
    return Markup("".join(out))
