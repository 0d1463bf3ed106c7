"""ZPL II tokenizer, label splitter and well-formedness checker for the simulated Zebra printer.

Source: "ZPL II Programming Guide" (Zebra P1012728-009). Format commands start with the caret,
control commands with the tilde; ^CC/~CC change the caret, ^CT/~CT the tilde, ^CD/~CD the parameter
delimiter (default comma). A label format runs from ^XA to ^XZ; ~ commands (host commands such as ~HS)
may stand between formats. Carriage returns and line feeds in the stream are ignored; field data runs
to the next caret or tilde (so both must come in through ^FH or changed prefixes, see ^FD). ^GFB
carries binary data whose length is its byte count, read without looking for prefixes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Every ZPL II command name in the guide's command reference (caret or tilde form; ^A takes a font).
_NAMES = """A A@ B0 B1 B2 B3 B4 B5 B7 B8 B9 BA BB BC BD BE BF BI BJ BK BL BM BO BP BQ BR BS BT BU BX BY BZ
    CC CD CF CI CM CN CO CP CT CV CW DB DE DF DG DN DS DT DU DY EG FA FB FC FD FE FH FL FM FN FO FP FR
    FS FT FV FW FX GB GC GD GE GF GS HB HD HF HG HH HI HL HM HQ HR HS HT HU HV HW HY HZ ID IL IM IS JA
    JB JC JD JE JF JG JH JI JJ JL JM JN JO JP JQ JR JS JT JU JW JX JZ KB KC KD KL KN KP KV LF LH LL LR
    LS LT MA MC MD MF MI ML MM MN MP MT MU MW NB NC ND NI NN NP NR NS NT NW PA PF PH PI PL PM PN PO PP
    PQ PR PS PW RB RE RF RI RL RM RN RO RQ RR RS RT RU RW SC SD SE SF SI SL SN SO SP SQ SR SS ST SX SZ
    TA TB TO WA WC WD WE WF WI WL WP WR WS WT XA XB XF XG XS XZ ZZ"""
KNOWN = frozenset(_NAMES.split())
PREFIX_CHANGES = frozenset({"CC", "CT", "CD"})
NO_PARAMETERS = frozenset({"XA", "XZ", "FS", "FR"})
# Parameter kinds per command: i = integer, s = signed integer, f = number, '.' = anything.
NUMERIC = {
    "FO": "iii", "FT": "iii", "PW": "i", "LL": "i", "LH": "ii", "LS": "s", "LT": "s", "GB": "iii.i",
    "BY": "ifi", "BC": ".i", "BQ": ".ii.i", "A": ".ii", "CF": ".ii", "FB": "iis.i", "PQ": "iii",
    "CI": "iiiiiiiiiiiiiiiiiii", "MD": "f", "GF": ".iii", "FW": ".i", "GC": "ii.", "GD": "iii..",
    "GE": "iii.",
}  # fmt: skip


@dataclass(frozen=True)
class Command:
    """One command: role prefix ('^' format or '~' control), name, raw parameter bytes, where it began."""

    prefix: str
    name: str
    raw: bytes
    offset: int
    delimiter: str = ","

    def params(self) -> list[str]:
        """The parameters split on the delimiter in force (bytes kept as latin-1 characters)."""
        return self.raw.decode("latin-1").split(self.delimiter) if self.raw else []

    def param(self, index: int, default: str = "") -> str:
        """Parameter ``index`` (0-based), ``default`` when missing or empty."""
        values = self.params()
        return values[index] if index < len(values) and values[index] != "" else default

    def __str__(self) -> str:
        return f"{self.prefix}{self.name}"


@dataclass
class Label:
    """The commands of one format between ^XA and ^XZ (``closed`` False: no ^XZ arrived)."""

    commands: list[Command] = field(default_factory=list)
    offset: int = 0
    closed: bool = False


@dataclass
class Stream:
    """A byte stream read like the printer: labels, host commands between them, structural problems."""

    labels: list[Label] = field(default_factory=list)
    host_commands: list[Command] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def tokenize(data: bytes) -> tuple[list[Command], list[tuple[int, bytes]]]:
    """Commands in order and the stray bytes that stand before any command (offset, bytes)."""
    caret, tilde, delim = ord("^"), ord("~"), ","
    commands: list[Command] = []
    stray: list[tuple[int, bytes]] = []
    i, n = 0, len(data)
    while i < n:
        if data[i] not in (caret, tilde):
            j = i
            while j < n and data[j] not in (caret, tilde):
                j += 1
            text = data[i:j].replace(b"\r", b"").replace(b"\n", b"")
            if text.strip():
                stray.append((i, text))
            i = j
            continue
        role = "^" if data[i] == caret else "~"
        name = data[i + 1 : i + 3].decode("latin-1").upper()
        start = i + 3
        if role == "^" and name[:1] == "A":
            name, start = ("A@", i + 3) if name == "A@" else ("A", i + 2)
        if name in PREFIX_CHANGES:
            new = data[start : start + 1]
            commands.append(Command(role, name, new, i, delim))
            if new and new not in b"\r\n":
                if name == "CC":
                    caret = new[0]
                elif name == "CT":
                    tilde = new[0]
                else:
                    delim = new.decode("latin-1")
            i = start + 1
            continue
        end = start
        if role == "^" and name == "GF":
            end = _graphic_end(data, start, caret, tilde, delim)
        while end < n and data[end] not in (caret, tilde):
            end += 1
        raw = data[start:end]
        if not (name == "GF" and raw[:1].upper() == b"B"):
            raw = raw.replace(b"\r", b"").replace(b"\n", b"")
        commands.append(Command(role, name, raw, i, delim))
        i = end
    return commands, stray


def _graphic_end(data: bytes, start: int, caret: int, tilde: int, delim: str) -> int:
    """For ^GFB the binary data (byte count b after the fourth delimiter) may hold any byte."""
    head = data[start : start + 64].decode("latin-1").split(delim)
    if len(head) < 5 or head[0].strip().upper() != "B" or not head[1].strip().isdigit():
        return start
    skip = sum(len(part) + 1 for part in head[:4])
    return min(len(data), start + skip + int(head[1]))


def split_labels(data: bytes) -> Stream:
    """Split the stream into labels; report data outside formats and formats without ^XZ."""
    commands, stray = tokenize(data)
    out = Stream()
    current: Label | None = None
    for offset, text in stray:
        out.problems.append(f"byte {offset}: data outside ^XA..^XZ or a command: {text[:30]!r}")
    for cmd in commands:
        if cmd.name == "XA":
            if current is not None:
                out.problems.append(f"byte {cmd.offset}: ^XA before the ^XZ of the label at byte {current.offset}")
                out.labels.append(current)
            current = Label(offset=cmd.offset)
        elif cmd.name == "XZ":
            if current is None:
                out.problems.append(f"byte {cmd.offset}: ^XZ without ^XA")
            else:
                current.closed = True
                out.labels.append(current)
                current = None
        elif current is not None:
            current.commands.append(cmd)
        elif cmd.prefix == "~" or cmd.name in PREFIX_CHANGES:
            out.host_commands.append(cmd)
        else:
            out.problems.append(f"byte {cmd.offset}: {cmd} outside ^XA..^XZ: {cmd.raw[:30]!r}")
        if cmd.name in NO_PARAMETERS and cmd.raw.strip():
            out.problems.append(f"byte {cmd.offset}: data after {cmd} is not part of any field: {cmd.raw[:30]!r}")
    if current is not None:
        out.problems.append(f"byte {current.offset}: label has no ^XZ (the printer does not print it)")
        out.labels.append(current)
    return out


def number_problems(cmd: Command) -> list[str]:
    """Non-numeric values where the guide expects numbers (an empty parameter takes its default)."""
    kinds = NUMERIC.get(cmd.name, "")
    problems = []
    for index, (kind, value) in enumerate(zip(kinds, cmd.params(), strict=False)):
        value = value.strip()
        if kind == "." or value == "":
            continue
        ok = value.isdigit() if kind == "i" else _is_signed(value) if kind == "s" else _is_number(value)
        if not ok:
            problems.append(f"byte {cmd.offset}: {cmd} parameter {index + 1} {value!r} is not a number")
    return problems


def _is_signed(value: str) -> bool:
    return value.lstrip("+-").isdigit() and value.count("-") + value.count("+") <= 1


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def to_int(value: str, default: int) -> int:
    """The printer's reading of an integer parameter: the default when empty or not a number."""
    value = value.strip()
    return int(value) if _is_signed(value) else default


def check_zpl(data: bytes, dpi: int = 203) -> list[str]:
    """Human-readable problems in a ZPL II stream; an empty list means it is well formed.

    Structure (data outside formats, a format without ^XZ, ^FD/^FV without ^FS, ^FS without a field,
    unknown commands, non-numeric parameters) and content (field origin outside ^PW/^LL, ^BC data its
    subsets cannot encode, ^BQ data without the "QA," style prefix, malformed ^FH escapes, non-ASCII
    bytes without ^CI28, invalid UTF-8 under ^CI28, ^GF data that does not match its counts).
    """
    from drivers.sim.zpl_fields import interpret  # the field interpreter builds on this module

    stream = split_labels(data)
    problems = list(stream.problems)
    for cmd in stream.host_commands:
        if cmd.name not in KNOWN:
            problems.append(f"byte {cmd.offset}: unknown command {cmd}")
    for label in interpret(stream, dpi):
        problems.extend(label.problems)
    return problems
