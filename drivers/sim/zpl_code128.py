"""Code 128 for the simulated Zebra printer: ^BC field data (modes N, A, U, D) to symbol values and bars.

Source: "ZPL II Programming Guide" (Zebra P1012728-009), ^BC Code 128 Bar Code (Subsets A, B and C), pp.
93-94 and the pages after them: Table "Code 128 Invocation Characters" (>< >0 >= >1..>8, start codes >9
>: >;), "If no Start Code is entered, Subset B are used", the subset C rules ("Nonintegers programmed as
the first character of a digit pair (D2) are ignored. However, nonintegers programmed as the second
character of a digit pair (2D) invalidate the entire digit pair, and the pair is ignored. An extra
unpaired digit in the field data string just before a code shift is also ignored"), mode U (19 digits)
and mode D (UCC/EAN: parentheses and spaces stripped, FNC1 after the start, check digit added when
required). The printer ignores what it cannot encode; each such place is reported as a problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from barcode.charsets.code128 import CODES, STOP

FNC1 = 102
START_A, START_B, START_C = 103, 104, 105
CODE_A_IN_B, CODE_B_IN_A, CODE_C = 101, 100, 99
SHIFT = 98
_FNC = object()  # a FNC1 token in an automatic encoding

# GS1 AIs with a predefined data length (GS1 General Specifications, table of predefined lengths),
# keyed by the AI's first two digits: (AI length, data length).
_PREDEFINED = {
    "00": (2, 18), "01": (2, 14), "02": (2, 14), "03": (2, 14), "04": (2, 16),
    "11": (2, 6), "12": (2, 6), "13": (2, 6), "14": (2, 6), "15": (2, 6), "16": (2, 6), "17": (2, 6),
    "18": (2, 6), "19": (2, 6), "20": (2, 2), "31": (4, 6), "32": (4, 6), "33": (4, 6), "34": (4, 6),
    "35": (4, 6), "36": (4, 6), "41": (3, 13),
}  # fmt: skip
_AI_LENGTH_3 = ("23", "24", "25", "40", "41", "42")
_AI_LENGTH_4 = ("31", "32", "33", "34", "35", "36", "39", "70", "71", "72", "80", "81", "82")
_CHECKED = {"00": 18, "01": 14, "02": 14}


@dataclass
class Code128:
    """Symbol values (start code first, no check character, no stop), the interpretation line, problems."""

    values: list[int] = field(default_factory=list)
    text: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def gs1(self) -> bool:
        """A FNC1 right after the start character makes the symbol GS1-128 (AIM ]C1)."""
        return len(self.values) > 1 and self.values[1] == FNC1


def mod10(digits: str) -> str:
    """The GS1 / UCC mod 10 check digit of ``digits`` (weights 3, 1, 3, ... from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def modules(values: list[int]) -> list[bool]:
    """The bars of a symbol, one entry per module (True = bar): values, mod 103 check, stop."""
    check = (values[0] + sum(i * v for i, v in enumerate(values[1:], start=1))) % 103 if values else 0
    pattern = "".join(CODES[v] for v in [*values, check]) + STOP + "11"  # the stop's final 2-module bar
    return [c == "1" for c in pattern]


def encode(data: str, mode: str = "N", ucc_check: bool = False) -> Code128:
    """Encode ^BC field data the way the printer reads it in mode N, A, U or D (anything else: N)."""
    mode = mode.upper() or "N"
    if mode == "D":
        return _encode_ucc_ean(data)
    if mode == "U":
        return _encode_ucc_case(data)
    if ucc_check:
        digits = "".join(ch for ch in _strip_invocations(data) if ch.isdigit())
        data += mod10(digits)
    if mode == "A":
        result = Code128()
        result.values = _auto(list(data), result.problems)
        result.text = data
        return result
    return _encode_mode_n(data)


def _strip_invocations(data: str) -> str:
    out, i = [], 0
    while i < len(data):
        if data[i] == ">" and i + 1 < len(data):
            i += 2
            continue
        out.append(data[i])
        i += 1
    return "".join(out)


def _char_value(ch: str, subset: str) -> int | None:
    code = ord(ch)
    if subset == "A":
        if 32 <= code <= 95:
            return code - 32
        return code + 64 if code < 32 else None
    return code - 32 if 32 <= code <= 127 else None


def _encode_mode_n(data: str) -> Code128:
    """Mode N: the field data is read literally, with the guide's invocation codes (Table 6)."""
    result = Code128()
    values, problems, text = result.values, result.problems, []
    subset, i = "B", 0
    starts = {">9": ("A", START_A), ">:": ("B", START_B), ">;": ("C", START_C)}
    if data[:2] in starts:
        subset, start = starts[data[:2]]
        values.append(start)
        i = 2
    else:
        values.append(START_B)
    shift_next = False
    while i < len(data):
        ch = data[i]
        if ch == ">":
            if i + 1 >= len(data):
                problems.append("^BC: a lone '>' at the end of the data is not an invocation code (ignored)")
                break
            code = data[i + 1]
            i += 2
            subset = _invocation(code, subset, values, problems)
            shift_next = code == "4" and subset in "AB"
            continue
        if subset == "C":
            nxt = data[i + 1] if i + 1 < len(data) else ""
            if not ch.isdigit():
                problems.append(f"^BC subset C: non-digit {ch!r} at the start of a digit pair is ignored")
                i += 1
            elif not nxt or nxt == ">":
                problems.append(f"^BC subset C: the unpaired digit {ch!r} (odd digit count) is ignored")
                i += 1
            elif not nxt.isdigit():
                problems.append(f"^BC subset C: the digit pair {ch + nxt!r} is invalid and ignored")
                i += 2
            else:
                values.append(int(ch + nxt))
                text.append(ch + nxt)
                i += 2
            continue
        use = ("B" if subset == "A" else "A") if shift_next else subset
        shift_next = False
        value = _char_value(ch, use)
        if value is None:
            problems.append(f"^BC subset {use}: {ch!r} cannot be encoded (ignored)")
        else:
            values.append(value)
            text.append(ch)
        i += 1
    result.text = "".join(text)
    return result


def _invocation(code: str, subset: str, values: list[int], problems: list[str]) -> str:
    """Apply one invocation code ('>' + code) in ``subset``; returns the subset now in force."""
    if code in "9:;":
        problems.append(f"^BC: start code '>{code}' is only valid at the start of the data (ignored)")
        return subset
    if code == "8":
        values.append(FNC1)
        return subset
    if subset == "C":
        if code in "67":
            values.append(100 if code == "6" else 101)
            return "B" if code == "6" else "A"
        problems.append(f"^BC subset C: invocation code '>{code}' is not defined in subset C (ignored)")
        return subset
    table = {"<": 62, "0": 30, "=": 94, "1": 95, "2": 96, "3": 97, "4": SHIFT, "5": CODE_C, "6": 100, "7": 101}
    if code not in table:
        problems.append(f"^BC: '>{code}' is not a Code 128 invocation code (ignored)")
        return subset
    values.append(table[code])
    if code == "5":
        return "C"
    if code == "6" and subset == "A":
        return "B"
    if code == "7" and subset == "B":
        return "A"
    return subset


def _digit_run(tokens: list[object], i: int) -> int:
    n = i
    while n < len(tokens) and isinstance(tokens[n], str) and str(tokens[n]).isdigit():
        n += 1
    return n - i


def _auto(tokens: list[object], problems: list[str]) -> list[int]:
    """Mode A / D packing: subset C for runs of four or more digits (or an even run that ends the data)."""
    values: list[int] = []
    subset = ""
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        run = _digit_run(tokens, i)
        if tok is _FNC:
            if not subset:
                nxt = _digit_run(tokens, i + 1)
                subset = "C" if nxt >= 4 or (nxt >= 2 and i + 1 + nxt == len(tokens)) else "B"
                values.append({"A": START_A, "B": START_B, "C": START_C}[subset])
            values.append(FNC1)
            i += 1
            continue
        if subset == "C" and run >= 2:
            values.append(int(str(tokens[i]) + str(tokens[i + 1])))
            i += 2
            continue
        even_run = run % 2 == 0 and (run >= 4 or (run >= 2 and i + run == len(tokens) and not subset))
        if even_run and run >= 2:
            values.append(CODE_C if subset else START_C)
            subset = "C"
            continue
        ch = str(tok)
        a_ok, b_ok = _char_value(ch, "A") is not None, _char_value(ch, "B") is not None
        if not (a_ok or b_ok):
            problems.append(f"^BC: {ch!r} cannot be encoded in Code 128 (ignored)")
            i += 1
            continue
        if not ((subset == "A" and a_ok) or (subset == "B" and b_ok)):
            want = "B" if b_ok else "A"
            if subset:
                values.append(CODE_B_IN_A if want == "B" else CODE_A_IN_B)  # 100 / 101 in every subset
            else:
                values.append(START_B if want == "B" else START_A)
            subset = want
        values.append(_char_value(ch, subset) or 0)
        i += 1
    if not values:
        values.append(START_B)
    return values


def _encode_ucc_case(data: str) -> Code128:
    """Mode U: 19 digits (more are eliminated, fewer padded with zeros on the right), a mod 10 digit."""
    result = Code128()
    digits = "".join(ch for ch in data if ch.isdigit())
    if len(digits) != 19:
        result.problems.append(f"^BC mode U: {len(digits)} digits instead of 19 (truncated or zero-padded)")
    digits = (digits + "0" * 19)[:19]
    digits += mod10(digits)
    result.values = [START_C, FNC1, *(int(digits[k : k + 2]) for k in range(0, 20, 2))]
    result.text = f"({digits[:2]}) {digits[2:]}"
    return result


def _split_ais(data: str, problems: list[str]) -> list[tuple[str, str]]:
    """``(AI)data(AI)data`` or bare AI strings split by the predefined lengths, parentheses stripped."""
    data = data.replace(" ", "")
    pairs: list[tuple[str, str]] = []
    if data.startswith("("):
        for chunk in data[1:].split("("):
            ai, sep, value = chunk.partition(")")
            if not sep or not ai.isdigit() or not 2 <= len(ai) <= 4:
                problems.append(f"^BC mode D: {chunk!r} is not an (AI)data element")
                continue
            pairs.append((ai, value))
        return pairs
    if "(" in data or ")" in data:
        problems.append("^BC mode D: data must start with '(' when parentheses are used")
    rest = data.replace("(", "").replace(")", "")
    while rest:
        head = rest[:2]
        ai_len = 4 if head in _AI_LENGTH_4 else 3 if head in _AI_LENGTH_3 else 2
        ai, rest = rest[:ai_len], rest[ai_len:]
        fixed = _PREDEFINED.get(head)
        take = fixed[1] if fixed else len(rest)
        pairs.append((ai, rest[:take]))
        rest = rest[take:]
    return pairs


def _encode_ucc_ean(data: str) -> Code128:
    """Mode D: GS1-128 with FNC1 after the start and after each variable-length AI that is not last."""
    result = Code128()
    pairs = _split_ais(data, result.problems)
    tokens: list[object] = [_FNC]
    shown = []
    for n, (ai, value) in enumerate(pairs):
        if not ai.isdigit():
            result.problems.append(f"^BC mode D: AI {ai!r} is not numeric")
        want = _CHECKED.get(ai)
        if want and len(value) == want - 1 and value.isdigit():
            value += mod10(value)
        elif want and len(value) == want and value.isdigit() and mod10(value[:-1]) != value[-1]:
            result.problems.append(f"^BC mode D: AI ({ai}) check digit of {value} is wrong")
        fixed = _PREDEFINED.get(ai[:2])
        if fixed and len(value) != fixed[1]:
            result.problems.append(f"^BC mode D: AI ({ai}) needs {fixed[1]} characters, got {len(value)}")
        tokens.extend(ai + value)
        if not fixed and n < len(pairs) - 1:
            tokens.append(_FNC)
        shown.append(f"({ai}){value}")
    result.values = _auto(tokens, result.problems)
    result.text = "".join(shown)
    return result
