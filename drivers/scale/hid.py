"""USB HID point-of-sale scale (usage page 0x8D): 6-byte report parser, zero report, hidraw reader.

Source: USB HID Point of Sale Usage Tables (scale usage page 0x8D, usage 0x20 weighing device:
scale data report = report id 3, status, weight unit, signed exponent, weight LSB, MSB; scale
control output report id 2 with bit "zero scale"), as used by the usbscale
project (scales.h, usbscale.c).
"""

from __future__ import annotations

import os
import select
from decimal import Decimal

from drivers.scale.framing import Framing
from drivers.scale.reading import ProtocolError, Reading, ScaleStatus, to_milligrams

NAME = "hid_pos"
REPORT_ID = 0x03
REPORT_LEN = 6
FRAMING = Framing(terminator=b"", start=bytes([REPORT_ID]), fixed_len=REPORT_LEN)
CONTINUOUS = True
ZERO_REPORT = b"\x02\x02"

#: Unit codes of the usage tables; 5 (taels) has no single definition and is refused.
UNITS: dict[int, str] = {
    1: "mg",
    2: "g",
    3: "kg",
    4: "ct",
    6: "gr",
    7: "dwt",
    8: "t",
    9: "ton",
    10: "ozt",
    11: "oz",
    12: "lb",
}

FAULT, STABLE_ZERO, IN_MOTION, STABLE, UNDER_ZERO, OVER_WEIGHT, NEEDS_CAL, NEEDS_REZERO = range(
    1, 9
)


def command(kind: str) -> bytes:
    """Output report for ``kind``: only ``zero`` exists; reports stream on their own."""
    if kind == "zero":
        return ZERO_REPORT
    raise ProtocolError(f"HID POS scale has no {kind!r} command")


def parse(frame: bytes) -> Reading:
    """One 6-byte input report -> Reading."""
    if len(frame) != REPORT_LEN:
        raise ProtocolError(f"HID scale report has {len(frame)} bytes, expected {REPORT_LEN}")
    report_id, status, unit_code, exponent_byte, lsb, msb = frame
    if report_id != REPORT_ID:
        raise ProtocolError(f"HID report id {report_id} is not a scale data report")
    exponent = exponent_byte - 256 if exponent_byte > 127 else exponent_byte
    if status == FAULT:
        return Reading(None, False, "", ScaleStatus.FAULT, detail="scale reports a fault")
    if status == OVER_WEIGHT:
        return Reading(None, False, "", ScaleStatus.OVERLOAD, detail="over weight")
    if status == NEEDS_CAL:
        return Reading(None, False, "", ScaleStatus.NEEDS_CALIBRATION, detail="needs calibration")
    if status == NEEDS_REZERO:
        return Reading(None, False, "", ScaleStatus.NEEDS_REZERO, detail="needs re-zeroing")
    if status == STABLE_ZERO:
        return Reading(0, True, UNITS.get(unit_code, ""))
    if status not in (IN_MOTION, STABLE, UNDER_ZERO):
        raise ProtocolError(f"HID scale status {status} unknown")
    if unit_code not in UNITS:
        raise ProtocolError(f"HID scale unit code {unit_code} not supported")
    if not -9 <= exponent <= 6:
        raise ProtocolError(f"HID scale exponent {exponent} out of range")
    unit = UNITS[unit_code]
    raw = lsb | msb << 8
    weight_mg = to_milligrams(Decimal(raw).scaleb(exponent), unit)
    if status == UNDER_ZERO:
        # the report has no sign: the magnitude under zero is reported as negative weight
        return Reading(-weight_mg, True, unit, ScaleStatus.UNDERLOAD, detail="under zero")
    return Reading(weight_mg, status == STABLE, unit)


class HidLink:
    """A /dev/hidraw* node (or any file-like device: FIFO, pty) read with a timeout via select."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_NOCTTY)

    def read(self, timeout_s: float) -> bytes:
        """Bytes available within ``timeout_s`` (b'' if none); OSError when the device is gone."""
        ready, _, _ = select.select([self._fd], [], [], timeout_s)
        if not ready:
            return b""
        try:
            data = os.read(self._fd, 64)
        except BlockingIOError:
            return b""
        if not data:
            raise OSError(f"{self.path}: device closed")
        return data

    def write(self, data: bytes) -> None:
        """Send an output report (first byte = report id)."""
        os.write(self._fd, data)

    def close(self) -> None:
        """Release the device node."""
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)
