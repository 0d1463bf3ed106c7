"""Requests a simulated request/response scale understands, and its replies."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from drivers.scale import toledo8213
from drivers.scale.profile import ScaleProfile
from drivers.scale.protocols import BoundProtocol
from drivers.scale.reading import MG_PER_UNIT, ProtocolError, canonical_unit
from drivers.sim import scale_frames as frames

SERIAL = '"SIM0000001"'
_PRESET_TARE = re.compile(r"TA +(?P<value>[0-9]+(?:\.[0-9]+)?) +(?P<unit>\S+)")


@dataclass(frozen=True)
class Reply:
    """What the scale sends for one request, and what the request changes.

    ``zero``: set zero at the present load (a tare is cleared with it); ``tare_g``: the new
    tare (0.0 clears it; None leaves it); ``repeat``: a request the scale answers again every
    period until the next request (MT-SICS ``SIR``), None for no repetition.
    """

    data: bytes = b""
    zero: bool = False
    tare_g: float | None = None
    repeat: bytes | None = None


def split_requests(
    profile: ScaleProfile, protocol: BoundProtocol, buffer: bytes
) -> tuple[list[bytes], bytes]:
    """Complete requests in ``buffer`` and the incomplete rest."""
    if profile.protocol == "toledo8213":
        return [bytes([b]) for b in buffer], b""
    if profile.protocol == "hid_pos":
        count = len(buffer) // 2
        return [buffer[i * 2 : i * 2 + 2] for i in range(count)], buffer[count * 2 :]
    if profile.protocol in ("mt_sics", "nci_scp01"):
        separator = b"\n" if profile.protocol == "mt_sics" else b"\r"
        *done, rest = buffer.split(separator)
        return [d.strip() for d in done if d.strip()], rest[-64:]
    known = sorted(
        (kind for kind in ("weigh", "zero", "tare", "clear_tare") if protocol.supports(kind)),
        key=lambda kind: -len(protocol.command(kind)),
    )
    requests: list[bytes] = []
    while True:
        hits = [(buffer.find(protocol.command(k)), k) for k in known]
        hits = [(index, k) for index, k in hits if index >= 0]
        if not hits:
            return requests, buffer[-64:]
        index, kind = min(hits)
        requests.append(kind.encode())
        buffer = buffer[index + len(protocol.command(kind)) :]


def reply_to(
    profile: ScaleProfile,
    unit: str,
    request: bytes,
    state: frames.ScaleState,
    status_bytes: int = 2,
) -> Reply:
    """The reply to one request in ``state`` (``status_bytes``: how many SCP-01 sends)."""
    if profile.protocol == "mt_sics":
        return _mt_sics(request.decode("ascii", "replace"), unit, state)
    if profile.protocol == "toledo8213":
        return _toledo(request, unit, state)
    if profile.protocol == "nci_scp01":
        return _nci(request, unit, state, status_bytes)
    if profile.protocol == "hid_pos":
        return Reply(zero=request == b"\x02\x02" and not state.zero_limit())
    kind = request.decode()
    if kind == "weigh":
        return Reply(frames.generic_line(state, unit, profile.line_format or ""))
    if kind == "zero":
        return Reply(zero=not state.zero_limit())
    if kind == "tare":
        return Reply(tare_g=state.from_zero_g)
    return Reply(tare_g=0.0 if kind == "clear_tare" else None)


def _zeroed(state: frames.ScaleState) -> frames.ScaleState:
    return dataclasses.replace(state, weight_g=0.0, tare_g=0.0)


def _mt_sics(line: str, unit: str, state: frames.ScaleState) -> Reply:
    """MT-SICS Reference Manual 11780711B §4.1 (level 0) and §4.2 (level 1) replies."""
    words = line.split()
    name = words[0] if words else ""
    if name in ("SI", "SIR"):
        return Reply(frames.mt_sics_weight(state, unit), repeat=b"SI" if name == "SIR" else None)
    if name == "S":
        if state.stable or state.overload or state.underload:
            return Reply(frames.mt_sics_weight(state, unit))
        return Reply(b"S I\r\n")  # no stability within the timeout
    if name in ("Z", "ZI"):
        if name == "Z" and not state.stable:
            return Reply(b"Z I\r\n")
        limit = state.zero_limit()
        if limit:
            return Reply(f"{name} {limit}\r\n".encode())
        if name == "Z":
            return Reply(b"Z A\r\n", zero=True)
        return Reply(f"ZI {'S' if state.stable else 'D'}\r\n".encode(), zero=True)
    if name in ("T", "TI"):
        if state.overload:
            return Reply(f"{name} +\r\n".encode())
        if state.underload or state.from_zero_g < 0:
            return Reply(f"{name} -\r\n".encode())
        if name == "T" and not state.stable:
            return Reply(b"T I\r\n")
        tare = state.from_zero_g
        code = "S" if state.stable else "D"
        text = f"{name} {code} {frames.mt_sics_value(tare, unit)}\r\n"
        return Reply(text.encode(), tare_g=tare)
    if name == "TA":
        return _preset_tare(line, unit, state)
    if name == "TAC":
        return Reply(b"TAC A\r\n", tare_g=0.0)
    if name in ("@", "I4"):
        return Reply(f"I4 A {SERIAL}\r\n".encode(), tare_g=0.0 if name == "@" else None)
    return Reply(b"ES\r\n")


def _preset_tare(line: str, unit: str, state: frames.ScaleState) -> Reply:
    """``TA`` answers the tare; ``TA <value> <unit>`` sets it (in the display unit only)."""
    if line.strip() == "TA":
        return Reply(f"TA A {frames.mt_sics_value(state.tare_g, unit)}\r\n".encode())
    preset = _PRESET_TARE.fullmatch(line.strip())
    if preset is None:
        return Reply(b"ES\r\n")
    try:
        if canonical_unit(preset.group("unit")) != unit:
            return Reply(b"TA L\r\n")
    except ProtocolError:
        return Reply(b"TA L\r\n")
    tare_g = float(preset.group("value")) * float(MG_PER_UNIT[unit]) / 1000
    return Reply(f"TA A {frames.mt_sics_value(tare_g, unit)}\r\n".encode(), tare_g=tare_g)


def _toledo(request: bytes, unit: str, state: frames.ScaleState) -> Reply:
    """Brecknell 3700LP manual p. 11: W weighs; Z, T, C answer with the status byte."""
    if request == b"W":
        return Reply(frames.toledo_weigh(state, unit))
    if request == b"Z":
        if state.zero_limit():
            status = frames.toledo_status(state, unit, toledo8213.OUTSIDE_ZERO_CAPTURE)
            return Reply(frames.toledo_status_reply(status))
        if not state.stable:
            return Reply(frames.toledo_status_reply(frames.toledo_status(state, unit)))
        status = frames.toledo_status(_zeroed(state), unit)
        return Reply(frames.toledo_status_reply(status), zero=True)
    if request == b"T":
        if not state.stable or state.overload:
            return Reply(frames.toledo_status_reply(frames.toledo_status(state, unit)))
        tared = dataclasses.replace(state, weight_g=0.0, tare_g=state.from_zero_g)
        status = frames.toledo_status(tared, unit)
        return Reply(frames.toledo_status_reply(status), tare_g=state.from_zero_g)
    if request == b"C":
        cleared = dataclasses.replace(state, weight_g=state.from_zero_g, tare_g=0.0)
        return Reply(frames.toledo_status_reply(frames.toledo_status(cleared, unit)), tare_g=0.0)
    return Reply()


def _nci(request: bytes, unit: str, state: frames.ScaleState, count: int) -> Reply:
    """SCP-01: W weight and status, S status, Z zero and status, anything else ``?``."""
    if request == b"W":
        return Reply(frames.nci_weigh(state, unit, count))
    if request == b"S":
        return Reply(frames.nci_status(state, unit, count))
    if request == b"Z":
        if state.stable and not state.zero_limit():
            return Reply(frames.nci_status(_zeroed(state), unit, count), zero=True)
        return Reply(frames.nci_status(state, unit, count))
    return Reply(b"\n?\r\x03")
