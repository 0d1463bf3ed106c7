"""Pure keyboard-wedge decoder: evdev key events of one scanner -> the texts it typed.

Follows the approach of the Odoo IoT box keyboard driver (odoo addons/hw_drivers,
KeyboardUSBDriver): key-down
events only, Shift / Caps Lock tracked here (never from the desktop), codes mapped through the US
layout, Enter ends the code, codes older than ``max_age_s`` are not handed out. Added here: an
inter-key gap timer (a scanner types a whole code within milliseconds; a pause means the code
is over), Tab as an alternative suffix, Ctrl+] as GS (FNC1), Alt+keypad decimal codes, and a
length limit. AltGr has no characters in the US layout and is ignored. Knows nothing of devices
or threads; ``WedgeHub`` keeps one decoder per scanner.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum

from drivers.scanner.keymap import (
    CTRL_CHARS,
    CTRL_KEYS,
    KEY_CAPSLOCK,
    KEY_ENTER,
    KEY_KPENTER,
    KEY_LEFTALT,
    KEY_TAB,
    KEYPAD,
    SHIFT_KEYS,
    US_KEYMAP,
)

KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2


class WedgeSuffix(StrEnum):
    """The key the scanner sends after each code (programmed in the scanner)."""

    ENTER = "enter"
    TAB = "tab"
    NONE = "none"  # only the inter-key gap ends a code


@dataclass(frozen=True)
class KeyEvent:
    """One EV_KEY event: evdev key code, value (0 up, 1 down, 2 repeat), kernel timestamp in s."""

    code: int
    value: int
    at: float


@dataclass(frozen=True)
class WedgeScan:
    """One complete code as typed: the text (suffix removed) and the time of its last key."""

    text: str
    at: float


@dataclass
class WedgeStats:
    """Counters a device page can show: what was delivered and what was dropped, and why."""

    scans: int = 0
    dropped_old: int = 0
    dropped_too_long: int = 0
    ignored_keys: int = 0


@dataclass
class WedgeDecoder:
    """Key events in, complete scans out; feed() and poll() never raise on any event."""

    suffix: WedgeSuffix = WedgeSuffix.ENTER
    gap_timeout_s: float = 0.1
    max_age_s: float = 5.0
    max_chars: int = 4096
    caps_lock_on: bool = False
    stats: WedgeStats = field(default_factory=WedgeStats)

    def __post_init__(self) -> None:
        self._buffer: list[str] = []
        self._too_long = False
        self._last_key_at: float | None = None
        self._shift_down: set[int] = set()
        self._ctrl_down: set[int] = set()
        self._alt_down = False
        self._alt_digits = ""

    def feed(self, event: KeyEvent, now: float | None = None) -> list[WedgeScan]:
        """Take one key event; return the scans it completed (usually none, at most two)."""
        now = time.time() if now is None else now
        done: list[WedgeScan] = []
        code, value = event.code, event.value
        last = self._last_key_at
        if value == KEY_DOWN and last is not None and event.at - last > self.gap_timeout_s:
            done += self._finish(last, now)
        if code in SHIFT_KEYS:
            self._toggle(self._shift_down, code, value)
        elif code in CTRL_KEYS:
            self._toggle(self._ctrl_down, code, value)
        elif code == KEY_LEFTALT:
            self._alt_key(value)
        elif value == KEY_DOWN:
            done += self._key_down(code, event.at, now)
        return done

    def poll(self, now: float | None = None) -> list[WedgeScan]:
        """Call when no key arrived for a while: ends a code whose gap timeout has passed."""
        now = time.time() if now is None else now
        last = self._last_key_at
        if last is not None and now - last > self.gap_timeout_s:
            return self._finish(last, now)
        return []

    @property
    def pending_chars(self) -> int:
        """Characters typed of a code not yet ended."""
        return len(self._buffer)

    def _toggle(self, held: set[int], code: int, value: int) -> None:
        if value == KEY_UP:
            held.discard(code)
        elif value == KEY_DOWN:
            held.add(code)

    def _alt_key(self, value: int) -> None:
        if value == KEY_DOWN:
            self._alt_down, self._alt_digits = True, ""
        elif value == KEY_UP:
            self._alt_down = False
            if self._alt_digits:
                self._append(chr(int(self._alt_digits) % 256))
            self._alt_digits = ""

    def _key_down(self, code: int, at: float, now: float) -> list[WedgeScan]:
        self._last_key_at = at
        if code == KEY_CAPSLOCK:
            self.caps_lock_on = not self.caps_lock_on
            return []
        if (self.suffix == WedgeSuffix.ENTER and code in (KEY_ENTER, KEY_KPENTER)) or (
            self.suffix == WedgeSuffix.TAB and code == KEY_TAB
        ):
            return self._finish(at, now)
        if self._alt_down and code in KEYPAD and KEYPAD[code].isdigit():
            self._alt_digits = (self._alt_digits + KEYPAD[code])[-3:]
            return []
        char = self._char_for(code)
        if char is None:
            self.stats.ignored_keys += 1
            return []
        self._append(char)
        return []

    def _char_for(self, code: int) -> str | None:
        if self._ctrl_down:
            return CTRL_CHARS.get(code)
        if code in US_KEYMAP:
            plain, shifted = US_KEYMAP[code]
            upper = bool(self._shift_down)
            if plain.isalpha() and self.caps_lock_on:
                upper = not upper
            return shifted if upper else plain
        if code in KEYPAD:
            return KEYPAD[code]
        if code in (KEY_TAB, KEY_ENTER, KEY_KPENTER):
            return "\t" if code == KEY_TAB else "\r"
        return None

    def _append(self, char: str) -> None:
        if len(self._buffer) >= self.max_chars:
            self._too_long = True
            return
        self._buffer.append(char)

    def _finish(self, at: float, now: float) -> list[WedgeScan]:
        text, too_long = "".join(self._buffer), self._too_long
        self._buffer, self._too_long, self._last_key_at = [], False, None
        if not text:
            return []
        if too_long:
            self.stats.dropped_too_long += 1
            return []
        if now - at > self.max_age_s:
            self.stats.dropped_old += 1
            return []
        self.stats.scans += 1
        return [WedgeScan(text=text, at=at)]


@dataclass
class WedgeHub:
    """Several wedge scanners at once: one WedgeDecoder per device, so their keys never mix."""

    suffix: WedgeSuffix = WedgeSuffix.ENTER
    gap_timeout_s: float = 0.1
    max_age_s: float = 5.0
    decoders: dict[str, WedgeDecoder] = field(default_factory=dict)

    def decoder(self, device: str) -> WedgeDecoder:
        """The decoder of ``device``, created with the hub's settings on first use."""
        if device not in self.decoders:
            self.decoders[device] = WedgeDecoder(
                suffix=self.suffix, gap_timeout_s=self.gap_timeout_s, max_age_s=self.max_age_s
            )
        return self.decoders[device]

    def feed(self, device: str, event: KeyEvent, now: float | None = None) -> list[WedgeScan]:
        """Route one key event to its device's decoder."""
        return self.decoder(device).feed(event, now)

    def poll(self, now: float | None = None) -> dict[str, list[WedgeScan]]:
        """Gap-timeout every device; only devices that completed a scan appear."""
        result = {name: dec.poll(now) for name, dec in self.decoders.items()}
        return {name: scans for name, scans in result.items() if scans}
