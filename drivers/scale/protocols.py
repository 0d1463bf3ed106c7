"""One protocol bound to one profile: framing, command bytes and parse with profile options."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from drivers.scale import cas, generic_stream, hid, mt_sics, nci_scp01, toledo8213
from drivers.scale.framing import Framing
from drivers.scale.profile import ScaleProfile
from drivers.scale.reading import ProtocolError, Reading


def unescape(text: str) -> bytes:
    """Profile strings may spell control bytes as ``\\r``, ``\\x02``; TOML escapes work too."""
    return codecs.escape_decode(text.encode("latin-1"))[0]


@dataclass(frozen=True)
class BoundProtocol:
    """What a session needs from a protocol, with the profile's options applied."""

    name: str
    framing: Framing
    continuous: bool
    parse: Callable[[bytes], Reading]
    _command: Callable[[str], bytes]
    overrides: dict[str, bytes]

    def command(self, kind: str) -> bytes:
        """Bytes for ``kind``: profile override, else the protocol's; ProtocolError if none."""
        if kind in self.overrides:
            return self.overrides[kind]
        return self._command(kind)

    def supports(self, kind: str) -> bool:
        """Whether ``kind`` can be sent to this scale."""
        try:
            self.command(kind)
        except ProtocolError:
            return False
        return True


def bind(profile: ScaleProfile) -> BoundProtocol:
    """The protocol named by ``profile``, configured by it."""
    overrides: dict[str, bytes] = {kind: unescape(text) for kind, text in profile.commands.items()}
    continuous = profile.mode == "continuous"
    unit = profile.unit
    if profile.protocol == "mt_sics":
        return BoundProtocol(
            "mt_sics", mt_sics.FRAMING, continuous, mt_sics.parse, mt_sics.command, overrides
        )
    if profile.protocol == "toledo8213":
        return BoundProtocol(
            "toledo8213",
            toledo8213.FRAMING,
            continuous,
            partial(toledo8213.parse, unit=unit or "lb"),
            toledo8213.command,
            overrides,
        )
    if profile.protocol == "nci_scp01":
        return BoundProtocol(
            "nci_scp01",
            nci_scp01.FRAMING,
            continuous,
            nci_scp01.parse,
            nci_scp01.command,
            overrides,
        )
    if profile.protocol == "cas":
        return BoundProtocol(
            "cas",
            cas.FRAMING,
            continuous,
            partial(cas.parse, variant=profile.variant or "cas22", unit=unit or "kg"),
            cas.command,
            overrides,
        )
    if profile.protocol == "hid_pos":
        return BoundProtocol("hid_pos", hid.FRAMING, continuous, hid.parse, hid.command, overrides)
    pattern = generic_stream.compile_pattern(profile.pattern or generic_stream.DEFAULT_PATTERN)
    terminator = unescape(profile.terminator) if profile.terminator else b"\r\n"
    framing = Framing(terminator=terminator, max_len=generic_stream.FRAMING.max_len)
    return BoundProtocol(
        "generic_stream",
        framing,
        continuous,
        partial(generic_stream.parse, pattern=pattern, unit=unit or "g"),
        generic_stream.command,
        overrides,
    )
