"""Checks run inside the page: layout (no scrolling), accessibility (names, target size, contrast), i18n."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from playwright.sync_api import Page

PO_FILE = Path(__file__).resolve().parents[2] / "web" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"

#: Minimum touch target (issue 5: gloves on a touch panel) and WCAG contrast ratios.
MIN_TARGET_PX = 48
NORMAL_CONTRAST, LARGE_CONTRAST = 4.5, 3.0

OVERFLOW_JS = """() => {
  const s = document.scrollingElement;
  return {scrollHeight: s.scrollHeight, innerHeight: window.innerHeight,
          scrollWidth: s.scrollWidth, innerWidth: window.innerWidth};
}"""

#: Every visible control: an accessible name, a touch target >= 48 x 48 px; every visible text:
#: contrast >= 4.5:1 (3:1 when large) against the background it is drawn on.
A11Y_JS = r"""([minTarget, normal, large]) => {
  const problems = [];
  const shown = (el) => el.checkVisibility({visibilityProperty: true}) && el.getClientRects().length > 0;
  const say = (el) => {
    const classes = typeof el.className === "string" ? el.className.trim() : "";
    const cls = classes ? "." + classes.split(/\s+/).join(".") : "";
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim()
      .replace(/\s+/g, " ").slice(0, 40);
    return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + cls + (text ? ' "' + text + '"' : "");
  };
  const textOf = (ids) => ids.split(/\s+/)
    .map((id) => (document.getElementById(id) || {}).textContent || "").join(" ").trim();
  function accessibleName(el) {
    const aria = (el.getAttribute("aria-label") || "").trim();
    if (aria) return aria;
    if (el.hasAttribute("aria-labelledby")) { const t = textOf(el.getAttribute("aria-labelledby")); if (t) return t; }
    if (el.labels && el.labels.length) {
      const t = Array.from(el.labels).map((l) => l.textContent).join(" ").trim();
      if (t) return t;
    }
    if (el.tagName === "INPUT" && ["submit", "button", "reset"].includes(el.type)) return (el.value || "").trim();
    if (el.tagName === "IMG") return (el.getAttribute("alt") || "").trim();
    if (!["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName)) {
      const t = (el.textContent || "").trim();
      if (t) return t;
      const img = el.querySelector("img[alt]");
      if (img && img.alt.trim()) return img.alt.trim();
    }
    return (el.getAttribute("title") || "").trim();
  }
  // The thing a finger hits: a visually hidden radio / checkbox is operated through its label.
  function target(el) {
    const hidden = el.tagName === "INPUT" && ["radio", "checkbox"].includes(el.type);
    if (hidden && el.labels && el.labels.length) return el.labels[0];
    return el;
  }
  const controls = "button, a[href], input:not([type=hidden]), select, textarea, summary";
  for (const el of document.querySelectorAll(controls)) {
    const hit = target(el);
    if (!shown(hit)) continue;
    if (!accessibleName(el)) problems.push("no accessible name: " + say(el));
    const inlineLink = el.tagName === "A" && !el.matches(".button, .steps a");
    const plainSummary = el.tagName === "SUMMARY" && !el.matches(".button, .demo summary");
    if (inlineLink || plainSummary) continue;  // text links and disclosure text: inline, exempt (WCAG 2.5.8)
    const r = hit.getBoundingClientRect();
    if (r.width < minTarget - 0.5 || r.height < minTarget - 0.5)
      problems.push(`target ${Math.round(r.width)}x${Math.round(r.height)} px < ${minTarget}: ` + say(hit));
  }
  for (const img of document.querySelectorAll("img")) {
    if (shown(img) && !img.hasAttribute("alt")) problems.push("image without alt: " + say(img));
  }
  // ---- contrast ----
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a), a: 1});
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  // The colours behind an element: its own and its ancestors' backgrounds (every stop of a gradient).
  function backgrounds(el) {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const cs = getComputedStyle(node);
      if (cs.backgroundImage && cs.backgroundImage !== "none") {
        const stops = (cs.backgroundImage.match(/rgba?\([^)]+\)/g) || []).map(parse).filter(Boolean);
        if (stops.length) { layers.push(stops); if (stops.every((s) => s.a === 1)) return layers; }
      }
      const bg = parse(cs.backgroundColor);
      if (bg && bg.a > 0) { layers.push([bg]); if (bg.a === 1) return layers; }
    }
    layers.push([{r: 255, g: 255, b: 255, a: 1}]);
    return layers;
  }
  function flatten(layers) {
    let result = layers[layers.length - 1];
    for (let i = layers.length - 2; i >= 0; i--) result = layers[i].flatMap((top) => result.map((u) => over(top, u)));
    return result;
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || seen.has(el) || ["SCRIPT", "STYLE", "OPTION"].includes(el.tagName)) continue;
    seen.add(el);
    if (!shown(el) || el.closest(":disabled, [aria-disabled=true]")) continue;  // disabled controls: exempt
    const cs = getComputedStyle(el);
    let fg = parse(cs.color);
    let opacity = 1;
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) opacity *= Number(getComputedStyle(n).opacity);
    const behind = flatten(backgrounds(el));
    const size = parseFloat(cs.fontSize);
    const isLarge = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
    const need = isLarge ? large : normal;
    const worst = Math.min(...behind.map((bg) => ratio(over({...fg, a: fg.a * opacity}, bg), bg)));
    if (worst < need) {
      const under = behind.map((b) => `rgb(${Math.round(b.r)},${Math.round(b.g)},${Math.round(b.b)})`).join("|");
      problems.push(`contrast ${worst.toFixed(2)} < ${need}: ${cs.color} on ${under} ` + say(el));
    }
  }
  return problems;
}"""

#: Every string a person can see or hear read out: visible text nodes and the naming attributes.
VISIBLE_TEXT_JS = r"""() => {
  const out = [];
  const shown = (el) => el.checkVisibility({visibilityProperty: true}) && el.getClientRects().length > 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    const text = node.textContent.trim();
    if (!text || !el || ["SCRIPT", "STYLE"].includes(el.tagName) || el.closest("[lang=en]") || !shown(el)) continue;
    out.push(text);
  }
  for (const el of document.querySelectorAll("[placeholder], [aria-label], [title], img[alt], input[type=submit]")) {
    if (!shown(el) || el.closest("[lang=en]")) continue;
    for (const attr of ["placeholder", "aria-label", "title", "alt"]) {
      const v = (el.getAttribute(attr) || "").trim();
      if (v) out.push(v);
    }
    if (el.tagName === "INPUT" && el.value) out.push(el.value);
  }
  out.push(document.title);
  return out;
}"""


def overflow(page: Page) -> dict[str, int]:
    result: dict[str, int] = page.evaluate(OVERFLOW_JS)
    return result


def accessibility_problems(page: Page) -> list[str]:
    problems: list[str] = page.evaluate(A11Y_JS, [MIN_TARGET_PX, NORMAL_CONTRAST, LARGE_CONTRAST])
    return problems


def visible_texts(page: Page) -> list[str]:
    texts: list[str] = page.evaluate(VISIBLE_TEXT_JS)
    return texts


@dataclass(frozen=True)
class EnglishUi:
    """The English UI strings a Chinese screen must not show (the catalog's msgids)."""

    phrases: tuple[tuple[str, re.Pattern[str]], ...]
    source: str

    def found_in(self, text: str) -> list[str]:
        return [msgid for msgid, pattern in self.phrases if pattern.search(text)]


#: Used when the zh-CN catalog is not there: English words of the bench UI that must not appear.
FALLBACK_WORDS = (
    "Scan", "Weigh", "Weight", "Accept", "Expected", "Items", "Photos", "Capture", "Retake", "Checklist",
    "Grade", "Confirm", "Disposition", "Refund", "Back", "Next", "Lock", "Sign out", "Scale", "Scanner",
    "Camera", "Ready", "Parcel", "Result", "Packaging", "Supervisor", "Done", "Today", "Devices", "Return",
)
#: Data and codes that stay as they are in every language (not UI strings).
NOT_UI = re.compile(r"\b(SKU|GTIN|RMA|PIN|SHA-256|DEMO)\b")


@cache
def english_ui() -> EnglishUi:
    """Msgids of the zh-CN catalog (with %(name)s as a wildcard); a fixed word list without it."""
    texts: list[str]
    if PO_FILE.exists():
        from babel.messages.pofile import read_po

        with PO_FILE.open("rb") as handle:
            catalog = read_po(handle, locale="zh_Hans_CN")
        texts = []
        for message in catalog:
            ids = tuple(message.id) if isinstance(message.id, tuple | list) else (str(message.id),)
            strs = tuple(message.string) if isinstance(message.string, tuple | list) else (str(message.string),)
            for msgid, msgstr in zip(ids, strs, strict=False):
                # A msgid kept as is on purpose (a name, a symbol) is not an untranslated string.
                if msgid and msgstr != msgid and re.search(r"[A-Za-z]{2,}", msgid):
                    texts.append(msgid)
        source = f"msgids of {PO_FILE.name} ({len(texts)})"
    else:
        texts = list(FALLBACK_WORDS)
        source = f"fallback word list ({len(texts)} words; {PO_FILE} missing)"
    patterns = []
    for text in sorted(set(texts), key=len, reverse=True):
        parts = re.split(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdfr]|\{\w*\}", text.replace("%%", "%"))
        body = r".+?".join(re.escape(p.strip()) for p in parts if p.strip())
        if re.search(r"[A-Za-z]{2,}", body):
            patterns.append((text, re.compile(rf"(?<![A-Za-z]){body}(?![A-Za-z])")))
    return EnglishUi(tuple(patterns), source)


def untranslated(texts: list[str], data: list[str]) -> list[str]:
    """Visible texts that still carry an English UI string, after removing data (names, products)."""
    ui = english_ui()
    found = []
    for text in texts:
        cleaned = text
        for value in sorted(data, key=len, reverse=True):
            cleaned = cleaned.replace(value, " ")
        cleaned = NOT_UI.sub(" ", cleaned)
        hits = ui.found_in(cleaned)
        if hits:
            found.append(f"{text!r} shows {hits[0]!r}")
    return found
