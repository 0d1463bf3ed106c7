"""Server-side SVG charts (line, horizontal bars, donut) styled only by classes from analytics.css.

No inline style attributes or scripts (the CSP allows neither): colours come from the classes
``s0``..``s7``; every point, bar and slice is wrapped in an ``<a href>`` to its drill-down list.
Labels are never cut off: they wrap onto a second line inside their column (widths estimated
per character, CJK as a full em), and a label longer still ends in "…" with the whole text in
its tooltip (``<title>``). Charts are drawn for a ~460 px dashboard card at 1:1 scale.
"""

from __future__ import annotations

import math
import re
import unicodedata
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


#: Font size of chart labels (px, analytics.css ``svg.chart text``) and of the axis labels.
FONT_PX = 12
AXIS_FONT_PX = 11
LINE_PX = 14
#: Width of a Latin character as a share of the font size: an upper bound for digits and capitals
#: in the sans-serif fonts a bench has (measured widths stay below it), so an estimate never
#: undershoots.
NARROW_EM = 0.62
_TOKENS = re.compile(r"\s+|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+|.")


def text_px(text: str, font_px: float = FONT_PX) -> float:
    """An upper estimate of how wide ``text`` is drawn: wide (CJK) characters 1 em, others 0.62."""
    return sum(font_px if unicodedata.east_asian_width(c) in "WF" else font_px * NARROW_EM
               for c in text)


def wrap(text: str, width_px: float, lines: int = 2, font_px: float = FONT_PX) -> list[str]:
    """``text`` in at most ``lines`` lines no wider than ``width_px``; the last ends in "…" if cut.

    Breaks between words, and between any two CJK characters; a word wider than a line is broken.
    """
    out: list[str] = [""]
    for token in _TOKENS.findall(text.strip()):
        if token.isspace():
            if out[-1]:
                out[-1] += " "
            continue
        while token:
            if text_px(out[-1] + token, font_px) <= width_px:
                out[-1] += token
                break
            if out[-1].strip():  # the next line, unless this one is empty
                out[-1] = out[-1].rstrip()
                out.append("")
                continue
            fit = len(token)  # a word longer than a whole line: break it
            while fit > 1 and text_px(token[:fit], font_px) > width_px:
                fit -= 1
            out[-1], token = token[:fit], token[fit:]
            out.append("")
    out = [line.rstrip() for line in out if line.strip()] or [""]
    if len(out) <= lines:
        return out
    last = " ".join(out[lines - 1:])
    while last and text_px(last + "…", font_px) > width_px:
        last = last[:-1]
    return [*out[: lines - 1], last.rstrip() + "…"]


def _tspans(lines: list[str], x: float, first_y: float) -> str:
    return "".join(f'<tspan x="{x:.1f}" y="{first_y + i * LINE_PX:.1f}">{escape(line)}</tspan>'
                   for i, line in enumerate(lines))


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _open(kind: str, title: str, width: float, height: float) -> list[str]:
    """The ``<svg>`` drawn at its own size (width attribute): CSS only shrinks it to fit a card."""
    return [f'<svg class="chart {kind}" xmlns="http://www.w3.org/2000/svg" role="img" '
            f'width="{width:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'aria-label="{escape(title)}">',
            f"<title>{escape(title)}</title>"]


def _tip(d: Datum) -> str:
    return str(escape(d.title or f"{d.label}: {_number(d.value)}"))


def line_chart(points: Sequence[Datum], title: str, width: int = 440, height: int = 190) -> Markup:
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
    label_w = max((text_px(p.label, AXIS_FONT_PX) for p in points), default=0) + 12
    every = max(1, math.ceil(len(points) / max(1, min(8, int(plot_w // label_w) + 1))))
    for i, (p, (x, y)) in enumerate(zip(points, coords, strict=True)):
        out.append(f'<a href="{escape(p.href)}"><circle class="point s0" cx="{x:.1f}" '
                   f'cy="{y:.1f}" r="4"><title>{_tip(p)}</title></circle></a>')
        last = i == len(points) - 1 and i % every >= every / 2  # not on top of the one before
        if i % every == 0 or last:
            out.append(f'<text class="axis" x="{x:.1f}" y="{height - bottom + 18}" '
                       f'text-anchor="middle">{escape(p.label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def bar_chart(bars: Sequence[Datum], title: str, width: int = 440, lines: int = 2) -> Markup:
    """A ranking: one linked horizontal bar per row, the label left (in up to ``lines`` lines,
    the whole label in the tooltip), the value right."""
    label_w, value_w, pad, gap = round(width * 0.42), 56, 2, 8
    plot_w = width - label_w - value_w
    wrapped = [wrap(b.label, label_w - gap, lines) for b in bars]
    heights = [max(20, 6 + LINE_PX * len(rows)) for rows in wrapped]
    height = max(20, sum(heights)) + 2 * pad
    top_value = max((b.value for b in bars), default=0) or 1
    out = _open("bars", title, width, height)
    y = float(pad)
    for i, (b, label, row_h) in enumerate(zip(bars, wrapped, heights, strict=True)):
        w = max(1.0, plot_w * b.value / top_value) if b.value else 0.0
        mid = y + row_h / 2
        first = mid + 4 - (len(label) - 1) * LINE_PX / 2
        out.append(
            f'<a href="{escape(b.href)}"><g class="bar">'
            f'<text class="label" x="{label_w - gap}" y="{first:.1f}" text-anchor="end">'
            f"{_tspans(label, label_w - gap, first)}</text>"
            f'<rect class="s{i % PALETTE_SIZE}" x="{label_w}" y="{mid - 7:.1f}" width="{w:.1f}" '
            f'height="14" rx="3"/>'
            f'<text class="value" x="{label_w + w + 6:.1f}" y="{mid + 4:.1f}">'
            f"{_number(b.value)}</text><title>{_tip(b)}</title></g></a>")
        y += row_h
    out.append("</svg>")
    return Markup("".join(out))


def _arc(cx: float, cy: float, r_out: float, r_in: float, start: float, end: float) -> str:
    """A ring segment from angle ``start`` to ``end`` (radians, clockwise from 12 o'clock)."""
    large = 1 if end - start > math.pi else 0

    def at(r: float, a: float) -> tuple[float, float]:
        return cx + r * math.sin(a), cy - r * math.cos(a)

    (x1, y1), (x2, y2) = at(r_out, start), at(r_out, end)
    (x3, y3), (x4, y4) = at(r_in, end), at(r_in, start)
    return (f"M{x1:.2f},{y1:.2f} A{r_out},{r_out} 0 {large} 1 {x2:.2f},{y2:.2f} "
            f"L{x3:.2f},{y3:.2f} A{r_in},{r_in} 0 {large} 0 {x4:.2f},{y4:.2f} Z")


def donut_chart(slices: Sequence[Datum], title: str, size: int = 160) -> Markup:
    """Shares: a linked ring segment per slice and a linked legend with counts and percent."""
    legend_w = 280
    total = sum(s.value for s in slices)
    entries = []
    for s in slices:
        pct = f" ({100 * s.value / total:.0f}%)" if total else ""
        entries.append(wrap(f"{s.label} · {_number(s.value)}{pct}", legend_w - 34))
    heights = [max(20, 6 + LINE_PX * len(lines)) for lines in entries]
    height = max(size, sum(heights) + 8)
    out = _open("donut", title, size + legend_w, height)
    cx = cy = size / 2
    r_out, r_in = size / 2 - 6, size / 2 - 34
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
    y = 6.0
    for i, (s, lines, row_h) in enumerate(zip(slices, entries, heights, strict=True)):
        out.append(f'<a href="{escape(s.href)}"><g class="legend">'
                   f'<rect class="s{i % PALETTE_SIZE}" x="{size + 10}" y="{y + 1:.1f}" width="14" '
                   f'height="14" rx="2"/><text class="label" x="{size + 30}" y="{y + 12:.1f}">'
                   f"{_tspans(lines, size + 30, y + 12)}</text>"
                   f"<title>{_tip(s)}</title></g></a>")
        y += row_h
    out.append("</svg>")
    return Markup("".join(out))
