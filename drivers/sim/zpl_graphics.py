"""^BQ field data prefixes and ^GF graphic field data for the simulated Zebra printer.

Sources: "ZPL II Programming Guide" (Zebra P1012728): ^BQ QR Code Bar Code (P1012728-008 pp. 126-127 and
the ^FD formats that follow it: "^FD<error correction level><input mode>,<data>", error correction
H/Q/M/L, input mode A automatic or M manual with character mode N, A, B<4-digit count> or K; mixed mode
D for structured append; automatic input cannot set bytes 0x80-0x9F or 0xE0-0xFF) and the ^GF Graphic
Field command (compression A = ASCII hexadecimal, B = binary, C = compressed binary; b = byte count, c =
graphic field count, d = bytes per row), with the guide's "Alternative Data Compression Scheme for ~DG
and ^GF Commands" (G..Y = 1..19, g..z = 20..400 repeats, ',' fills the row with 0, '!' fills it with 1,
':' repeats the previous row) and the :Z64: / :B64: encodings.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass, field

_HEX = set("0123456789ABCDEFabcdef")


@dataclass
class QrData:
    """What a ^BQ field encodes: error correction level, payload bytes, problems found reading it."""

    ecc: str = "M"
    payload: bytes = b""
    mode: str | None = None  # segno mode for a manual character mode, None = automatic
    problems: list[str] = field(default_factory=list)


def parse_qr_data(data: bytes) -> QrData:
    """Read ``<ECC><input mode>,`` (and ``D..,`` mixed mode) the way the printer does.

    Without the prefix the printer still takes the first three characters as ECC, input mode and
    comma: they vanish from the symbol, and an invalid level falls back to M (the guide's default for
    invalid values). That misprint is reproduced and reported.
    """
    out = QrData()
    if data[:1] == b"D":
        head, sep, rest = data.partition(b",")
        if not sep or len(head) != 7 or not head[1:5].isdigit():
            out.problems.append("^BQ mixed mode: expected D<code no.><total no.><parity>, before the data")
        else:
            out.problems.append("^BQ mixed mode (structured append) is rendered as one plain symbol")
        data = rest
    ecc, mode = chr(data[0]) if data else "", chr(data[1]) if len(data) > 1 else ""
    if ecc not in ("H", "Q", "M", "L") or mode not in ("A", "M") or data[2:3] != b",":
        out.problems.append(
            f"^BQ field data {data[:3]!r} lacks the <ECC><input mode>, prefix (e.g. 'QA,'): "
            "the printer eats the first three characters"
        )
    out.ecc = ecc if ecc in ("H", "Q", "M", "L") else "M"
    payload = data[3:]
    if mode == "M":
        kind, payload = chr(payload[0]) if payload else "", payload[1:]
        if kind == "N":
            out.mode = "numeric"
        elif kind == "A":
            out.mode = "alphanumeric"
        elif kind == "B":
            count = payload[:4]
            if not count.isdigit():
                out.problems.append("^BQ manual byte mode needs a 4-digit byte count after B")
            elif int(count) != len(payload) - 4:
                out.problems.append(f"^BQ byte count {int(count)} but {len(payload) - 4} bytes follow")
            payload = payload[4:] if count.isdigit() else payload
            out.mode = "byte"
        else:
            out.problems.append(f"^BQ manual character mode {kind!r} is not N, A or B (Kanji not simulated)")
    if mode == "A" and any(0x80 <= b <= 0x9F or b >= 0xE0 for b in payload):
        out.problems.append(
            "^BQ automatic input cannot set bytes 0x80-0x9F or 0xE0-0xFF (the guide's QR switches): "
            "use manual byte mode (e.g. 'QM,B0012...')"
        )
    out.payload = payload
    if not payload:
        out.problems.append("^BQ field has no data after the prefix")
    return out


@dataclass
class Graphic:
    """A decoded ^GF bitmap: ``rows`` of ``bytes_per_row`` bytes, bit 1 = black, MSB = leftmost dot."""

    bytes_per_row: int
    rows: int
    bitmap: bytes
    problems: list[str] = field(default_factory=list)


def _expand_ascii(text: str, row_hex: int, problems: list[str]) -> str:
    """Undo the guide's ASCII compression scheme; returns plain hex, one row after another."""
    rows: list[str] = []
    row: list[str] = []
    count = 0
    for ch in text:
        if ch in "\r\n\t ":
            continue
        if "G" <= ch <= "Y":
            count += ord(ch) - ord("F")
        elif "g" <= ch <= "z":
            count += (ord(ch) - ord("f")) * 20
        elif ch in _HEX:
            row.extend(ch.upper() * max(count, 1))
            count = 0
        elif ch in ",!":
            row.extend(("0" if ch == "," else "F") * (row_hex - len(row)))
        elif ch == ":":
            rows.append(rows[-1] if rows else "0" * row_hex)
            continue
        else:
            problems.append(f"^GF: {ch!r} is not ASCII hex data")
            continue
        while len(row) >= row_hex:
            rows.append("".join(row[:row_hex]))
            row = row[row_hex:]
    if row:
        rows.append("".join(row).ljust(row_hex, "0"))
    return "".join(rows)


def decode_graphic(params: list[str], data: bytes) -> Graphic | None:
    """Decode ``^GFa,b,c,d,data``; None when the printer would ignore the command (b, c or d missing)."""
    problems: list[str] = []
    kind = (params[0] if params else "A").strip().upper() or "A"
    try:
        total, field_count, per_row = (int(p) for p in params[1:4])
    except ValueError:
        return None
    if per_row <= 0 or field_count <= 0:
        return None
    rows = field_count // per_row
    if field_count % per_row:
        problems.append(f"^GF: graphic field count {field_count} is not a multiple of {per_row} bytes per row")
    raw = b""
    if kind == "B":
        raw = data
    elif kind == "A":
        text = data.decode("latin-1").strip()
        if text[:5] in (":Z64:", ":B64:"):
            body = text[5:].split(":")[0]
            try:
                raw = base64.b64decode(body)
                raw = zlib.decompress(raw) if text[:5] == ":Z64:" else raw
            except (binascii.Error, zlib.error, ValueError):
                problems.append(f"^GF: {text[:5]} data does not decode")
        else:
            hex_text = _expand_ascii(text, per_row * 2, problems)
            if len(hex_text) % 2:
                hex_text += "0"
            raw = bytes.fromhex(hex_text)
            if kind == "A" and total != field_count:
                problems.append(f"^GF: for ASCII data the byte count {total} should match the field count")
    else:
        problems.append(f"^GF compression type {kind!r} is not simulated (C is Zebra's proprietary scheme)")
        return Graphic(per_row, 0, b"", problems)
    if len(raw) < field_count:
        problems.append(f"^GF: {len(raw)} bytes of image data for a graphic field count of {field_count}")
    return Graphic(per_row, rows, raw[:field_count].ljust(field_count, b"\0"), problems)
