"""US keyboard layout for Linux evdev key codes (linux/input-event-codes.h): code -> characters.

Keyboard-wedge scanners "type" their data as USB HID keys; the kernel reports them as evdev key
codes, which name key positions, not characters. A scanner set to the US layout (the factory
default of the models in firmware_configs/scanners/) types characters through this table.
"""

from __future__ import annotations

from collections.abc import Mapping

KEY_ESC = 1
KEY_BACKSPACE = 14
KEY_TAB = 15
KEY_ENTER = 28
KEY_LEFTCTRL = 29
KEY_LEFTSHIFT = 42
KEY_RIGHTSHIFT = 54
KEY_LEFTALT = 56
KEY_SPACE = 57
KEY_CAPSLOCK = 58
KEY_NUMLOCK = 69
KEY_KPENTER = 96
KEY_RIGHTCTRL = 97
KEY_RIGHTALT = 100

SHIFT_KEYS = frozenset({KEY_LEFTSHIFT, KEY_RIGHTSHIFT})
CTRL_KEYS = frozenset({KEY_LEFTCTRL, KEY_RIGHTCTRL})


def _row(first_code: int, plain: str, shifted: str) -> dict[int, tuple[str, str]]:
    return {first_code + i: (p, s) for i, (p, s) in enumerate(zip(plain, shifted, strict=True))}


#: Main-block keys: code -> (character, character with Shift). Letters are lower/upper case.
US_KEYMAP: Mapping[int, tuple[str, str]] = {
    **_row(2, "1234567890-=", "!@#$%^&*()_+"),
    **_row(16, "qwertyuiop[]", "QWERTYUIOP{}"),
    **_row(30, "asdfghjkl;'`", 'ASDFGHJKL:"~'),
    **_row(43, "\\zxcvbnm,./", "|ZXCVBNM<>?"),
    KEY_SPACE: (" ", " "),
    86: ("\\", "|"),  # KEY_102ND, the extra key of ISO keyboards
}

#: Keypad keys (Num Lock on): code -> character. Digits here also form Alt+keypad codes.
KEYPAD: Mapping[int, str] = {
    55: "*",
    71: "7",
    72: "8",
    73: "9",
    74: "-",
    75: "4",
    76: "5",
    77: "6",
    78: "+",
    79: "1",
    80: "2",
    81: "3",
    82: "0",
    83: ".",
    98: "/",
}

#: Ctrl + key -> control character; GS (0x1D, the GS1 FNC1 separator) is Ctrl+].
CTRL_CHARS: Mapping[int, str] = {
    **{code: chr(ord(plain) & 0x1F) for code, (plain, _) in US_KEYMAP.items() if plain.isalpha()},
    26: "\x1b",  # Ctrl+[
    27: "\x1d",  # Ctrl+]  GS
    43: "\x1c",  # Ctrl+\  FS
    7: "\x1e",  # Ctrl+6 / Ctrl+^  RS
    12: "\x1f",  # Ctrl+-  US
}

#: Character -> (code, needs shift), the inverse used by the simulator to type text.
US_CHAR_KEYS: Mapping[str, tuple[int, bool]] = {
    **{shifted: (code, True) for code, (_, shifted) in US_KEYMAP.items() if code != 86},
    **{plain: (code, False) for code, (plain, _) in US_KEYMAP.items() if code != 86},
}
