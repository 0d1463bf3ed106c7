"""The ZPL II ~HS host status reply: three <STX>...<ETX><CR><LF> strings parsed into PrinterStatus.

Source: ZPL II Programming Guide, 45541L-004 Rev. A (9/15/06), command ~HS "Host Status Return",
pp. 171-172 (strings 1 and 2) and the page after (string 3). When the host sends ``~HS`` the
printer sends three strings back, each starting with <STX> and ended by <ETX><CR><LF>:

String 1 ``aaa,b,c,dddd,eee,f,g,h,iii,j,k,l``: aaa communication (interface) settings (a 3-digit
decimal of the baud/data/stop/parity/handshake bits), b paper out flag, c pause flag, dddd label
length in dots, eee number of formats in the receive buffer, f buffer full flag, g communications
diagnostic mode flag, h partial format flag, iii unused (always 000), j corrupt RAM flag
(configuration data lost), k under temperature, l over temperature.

String 2 ``mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www``: mmm function settings (media type, sensor
profile, communication diagnostics bits), n unused, o head up flag, p ribbon out flag,
q thermal transfer mode flag, r print mode (0 rewind, 1 peel-off, 2 tear-off, 3 cutter,
4 applicator; later guides add more digits), s print width mode, t label waiting flag (peel-off
mode), uuuuuuuu labels remaining in batch, v format while printing flag (always 1), www number
of graphic images stored in memory.

String 3 ``xxxx,y``: xxxx password, y static RAM installed flag.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from drivers.printer.errors import PrinterStatusError

#: The request: a control (tilde) command, answered as soon as the printer reads it.
HOST_STATUS_REQUEST = b"~HS"
STX, ETX = b"\x02", b"\x03"
TERMINATOR = b"\x03\r\n"
#: A reply longer than this is garbage, not a status (three short strings).
MAX_REPLY_BYTES = 256

#: (field name, width in digits, is a 0/1 flag) per string, in the order the guide lists them.
_STRING_1: tuple[tuple[str, int, bool], ...] = (
    ("communication_settings", 3, False), ("paper_out", 1, True), ("paused", 1, True),
    ("label_length_dots", 4, False), ("formats_in_buffer", 3, False), ("buffer_full", 1, True),
    ("diagnostic_mode", 1, True), ("partial_format", 1, True), ("_unused_1", 3, False),
    ("corrupt_ram", 1, True), ("under_temperature", 1, True), ("over_temperature", 1, True),
)
_STRING_2: tuple[tuple[str, int, bool], ...] = (
    ("function_settings", 3, False), ("_unused_2", 1, False), ("head_open", 1, True),
    ("ribbon_out", 1, True), ("thermal_transfer", 1, True), ("print_mode", 1, False),
    ("print_width_mode", 1, False), ("label_waiting", 1, True), ("labels_remaining", 8, False),
    ("format_while_printing", 1, True), ("graphics_stored", 3, False),
)
_STRING_3: tuple[tuple[str, int, bool], ...] = (("password", 4, False), ("static_ram", 1, True))
_STRINGS = (_STRING_1, _STRING_2, _STRING_3)

#: Problems that stop a printer printing: a job sent now would wait in the receive buffer.
BLOCKING = ("paper out", "head open", "paused", "ribbon out")


@dataclass(frozen=True)
class PrinterStatus:
    """One ~HS answer, field by field (flags as bools, numbers as ints)."""

    paper_out: bool = False
    paused: bool = False
    head_open: bool = False
    ribbon_out: bool = False
    buffer_full: bool = False
    under_temperature: bool = False
    over_temperature: bool = False
    corrupt_ram: bool = False
    formats_in_buffer: int = 0
    labels_remaining: int = 0
    label_length_dots: int = 0
    partial_format: bool = False
    diagnostic_mode: bool = False
    communication_settings: int = 0
    function_settings: int = 0
    thermal_transfer: bool = False
    print_mode: int = 2
    print_width_mode: int = 0
    label_waiting: bool = False
    format_while_printing: bool = True
    graphics_stored: int = 0
    password: int = 0
    static_ram: bool = False

    def problems(self) -> list[str]:
        """What a person must fix, in words ("paper out", "head open", "paused", ...)."""
        words = [
            ("paper out", self.paper_out), ("head open", self.head_open),
            ("paused", self.paused), ("ribbon out", self.ribbon_out),
            ("receive buffer full", self.buffer_full),
            ("under temperature", self.under_temperature),
            ("over temperature", self.over_temperature),
            ("configuration lost (corrupt RAM)", self.corrupt_ram),
        ]
        return [word for word, active in words if active]

    def blocking_problems(self) -> list[str]:
        """The problems that stop printing (a job would wait in the buffer)."""
        return [p for p in self.problems() if p in BLOCKING]

    @property
    def ready(self) -> bool:
        """True when nothing stops the printer printing."""
        return not self.blocking_problems()


def reply_complete(buffer: bytes) -> bool:
    """True once ``buffer`` holds three terminated strings (a reader can stop reading)."""
    return buffer.count(TERMINATOR) >= 3


def _frames(data: bytes) -> list[bytes]:
    """The three framed payloads; PrinterStatusError on anything but exactly that framing."""
    if not data:
        raise PrinterStatusError("empty host status reply (the printer sent nothing)")
    if len(data) > MAX_REPLY_BYTES:
        raise PrinterStatusError(f"host status reply too long ({len(data)} bytes): not a ~HS answer")
    payloads: list[bytes] = []
    rest = data
    for number in (1, 2, 3):
        if not rest:
            raise PrinterStatusError(f"host status reply truncated: string {number} of 3 missing")
        if not rest.startswith(STX):
            raise PrinterStatusError(f"host status string {number} does not start with <STX>")
        end = rest.find(TERMINATOR)
        if end < 0:
            raise PrinterStatusError(
                f"host status reply truncated: string {number} has no <ETX><CR><LF>")
        payload = rest[1:end]
        if STX in payload or ETX in payload:
            raise PrinterStatusError(f"host status string {number} has stray framing bytes")
        payloads.append(payload)
        rest = rest[end + len(TERMINATOR):]
    if rest:
        raise PrinterStatusError(f"{len(rest)} unexpected bytes after the three status strings")
    return payloads


def parse_host_status(data: bytes) -> PrinterStatus:
    """Parse a whole ~HS reply; PrinterStatusError (never another exception) if it is not one."""
    values: dict[str, object] = {}
    for number, (payload, layout) in enumerate(zip(_frames(data), _STRINGS, strict=True), 1):
        parts = payload.split(b",")
        if len(parts) != len(layout):
            raise PrinterStatusError(
                f"host status string {number} has {len(parts)} fields, the guide lists {len(layout)}")
        for part, (name, width, flag) in zip(parts, layout, strict=True):
            if len(part) != width or not part.isdigit() or not part.isascii():
                raise PrinterStatusError(
                    f"host status string {number} field {name.lstrip('_')}: {part!r} is not "
                    f"{width} digit(s)")
            number_value = int(part)
            if flag:
                if number_value > 1:
                    raise PrinterStatusError(
                        f"host status string {number} flag {name}: {part!r} is not 0 or 1")
                values[name] = number_value == 1
            elif not name.startswith("_"):
                values[name] = number_value
    known = {f.name for f in fields(PrinterStatus)}
    return PrinterStatus(**{k: v for k, v in values.items() if k in known})  # type: ignore[arg-type]


def format_host_status(status: PrinterStatus) -> bytes:
    """The exact bytes a printer in ``status`` sends in answer to ~HS (used by the simulator)."""
    out = []
    for layout in _STRINGS:
        parts = []
        for name, width, flag in layout:
            value = 0 if name.startswith("_") else getattr(status, name)
            number = int(bool(value)) if flag else int(value)
            if number < 0 or number >= 10**width:
                raise ValueError(f"{name}={number} does not fit {width} digit(s)")
            parts.append(f"{number:0{width}d}")
        out.append(STX + ",".join(parts).encode("ascii") + TERMINATOR)
    return b"".join(out)
