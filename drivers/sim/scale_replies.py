"""Requests a simulated request/response scale understands, and its replies."""

from __future__ import annotations

from drivers.scale.profile import ScaleProfile
from drivers.scale.protocols import BoundProtocol
from drivers.sim import scale_frames as frames


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
    profile: ScaleProfile, unit: str, request: bytes, state: frames.ScaleState, tare_g: float
) -> tuple[bytes, bool, float | None]:
    """(reply bytes, zero the scale?, new tare in grams or None) for one request."""
    if profile.protocol == "mt_sics":
        return _mt_sics(request.decode("ascii", "replace"), unit, state, tare_g)
    if profile.protocol == "toledo8213":
        ack = b"\x02?@\r"
        if request == b"W":
            return frames.toledo_weigh(state, unit), False, None
        if request == b"Z":
            return ack, True, None
        if request == b"T":
            return ack, False, tare_g + state.weight_g
        if request == b"C":
            return ack, False, 0.0
        return b"", False, None
    if profile.protocol == "nci_scp01":
        if request == b"W":
            return frames.nci_weigh(state, unit), False, None
        if request == b"S":
            return frames.nci_status(state), False, None
        if request == b"Z":
            return frames.nci_status(state), True, None
        return b"\n?\r\x03", False, None
    if profile.protocol == "hid_pos":
        return b"", request == b"\x02\x02", None
    kind = request.decode()
    if kind == "weigh":
        return frames.generic_line(state, unit, profile.line_format or ""), False, None
    return b"", kind == "zero", (tare_g + state.weight_g if kind == "tare" else None)


def _mt_sics(
    command: str, unit: str, state: frames.ScaleState, tare_g: float
) -> tuple[bytes, bool, float | None]:
    if command in ("SI", "SIR"):
        return frames.mt_sics_weight(state, unit), False, None
    if command == "S":
        if state.stable or state.overload:
            return frames.mt_sics_weight(state, unit), False, None
        return b"S I\r\n", False, None
    if command == "Z":
        return (b"Z A\r\n", True, None) if state.stable else (b"Z I\r\n", False, None)
    if command == "T":
        if not state.stable:
            return b"T I\r\n", False, None
        new_tare = tare_g + state.weight_g
        shown = frames.ScaleState(new_tare, True)
        return frames.mt_sics_weight(shown, unit, "T"), False, new_tare
    if command == "TAC":
        return b"TAC A\r\n", False, 0.0
    if command == "@":
        return b'I4 A "SIM0000001"\r\n', False, None
    return b"ES\r\n", False, None
