"""^FB field block layout for the simulated Zebra printer: word wrap, justification, hanging indent.

Source: "ZPL II Programming Guide" (Zebra P1012728-009), ^FB Field Block, pp. 185-186: "\\&" is a
line break, a word too long for a line is hyphenated at the block's right edge, normal line breaks
and word spaces at line ends are discarded, text exceeding the maximum number of lines overwrites
the last line, J justifies every line but the last (left justified), the hanging indent moves the
second and remaining lines right.
"""

from __future__ import annotations

from collections.abc import Callable


def _wrap(words: list[str], width: int, indent: int, measure: Callable[[str], int]) -> list[list[str]]:
    lines: list[list[str]] = []
    line: list[str] = []
    while words:
        room = width - (indent if lines else 0)
        word = words.pop(0)
        candidate = " ".join([*line, word])
        if measure(candidate) <= room:
            line.append(word)
            continue
        if line:
            lines.append(line)
            line = []
            words.insert(0, word)
            continue
        cut = len(word) - 1  # a single word wider than the line: hyphenate at the right edge
        while cut > 1 and measure(word[:cut] + "-") > room:
            cut -= 1
        lines.append([word[:cut] + "-"])
        words.insert(0, word[cut:])
    if line:
        lines.append(line)
    return lines


def block_lines(
    text: str, width: int, indent: int, justify: str, count: int, measure: Callable[[str], int]
) -> list[tuple[int, int, str]]:
    """(row, x offset, text) pieces of a ^FB block; rows beyond ``count`` land on the last row."""
    lines: list[list[str]] = []
    for paragraph in text.split("\\&"):
        wrapped = _wrap(paragraph.split(), width, indent if lines else 0, measure)
        lines.extend(wrapped or [[]])
    pieces: list[tuple[int, int, str]] = []
    for n, words in enumerate(lines):
        row = min(n, count - 1)
        left = indent if n else 0
        room = width - left
        joined = " ".join(words)
        used = measure(joined)
        if justify == "J" and n < len(lines) - 1 and len(words) > 1:
            gap = (room - sum(measure(w) for w in words)) / (len(words) - 1)
            x = float(left)
            for word in words:
                pieces.append((row, round(x), word))
                x += measure(word) + gap
            continue
        dx = left + (room - used if justify == "R" else (room - used) // 2 if justify == "C" else 0)
        pieces.append((row, dx, joined))
    return pieces
