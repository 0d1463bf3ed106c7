"""Keyboard-wedge decoding from key events: shift, caps lock, suffixes, gaps, age, two scanners."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.scanner.events import ScanEvent
from drivers.scanner.interpret import ScanRejected, interpret
from drivers.scanner.wedge import KeyEvent, WedgeDecoder, WedgeHub, WedgeScan, WedgeSuffix
from drivers.sim.scanner import SimulatedWedge

# Linux evdev key codes (linux/input-event-codes.h)
KEY_1, KEY_2, KEY_4, KEY_0, KEY_MINUS = 2, 3, 5, 11, 12
KEY_TAB, KEY_R, KEY_A, KEY_M, KEY_ENTER = 15, 19, 30, 50, 28
KEY_LEFTSHIFT, KEY_CAPSLOCK, KEY_F1, KEY_KP1, KEY_KPENTER = 42, 58, 59, 79, 96

# A DS2208-style capture of "Ra-1" + Enter: code, value (1 down, 0 up, 2 repeat), time in s.
RECORDED_RA_1 = [
    (KEY_LEFTSHIFT, 1, 10.000),
    (KEY_R, 1, 10.001),
    (KEY_R, 0, 10.002),
    (KEY_LEFTSHIFT, 0, 10.003),
    (KEY_A, 1, 10.004),
    (KEY_A, 0, 10.005),
    (KEY_MINUS, 1, 10.006),
    (KEY_MINUS, 0, 10.007),
    (KEY_1, 1, 10.008),
    (KEY_1, 2, 10.009),  # autorepeat: a scanner never means it, ignored
    (KEY_1, 0, 10.010),
    (KEY_ENTER, 1, 10.011),
    (KEY_ENTER, 0, 10.012),
]


def events(rows: list[tuple[int, int, float]]) -> list[KeyEvent]:
    return [KeyEvent(code, value, at) for code, value, at in rows]


def run(decoder: WedgeDecoder, keys: list[KeyEvent], now: float | None = None) -> list[str]:
    scans: list[WedgeScan] = []
    for key in keys:
        scans += decoder.feed(key, now=key.at if now is None else now)
    return [scan.text for scan in scans]


def test_a_recorded_scan_with_shift_and_enter_decodes() -> None:
    decoder = WedgeDecoder()
    assert run(decoder, events(RECORDED_RA_1)) == ["Ra-1"]
    assert decoder.stats.scans == 1


def test_the_scan_time_is_the_time_of_the_last_key() -> None:
    decoder = WedgeDecoder()
    decoder.feed(KeyEvent(KEY_1, 1, 5.0), now=5.0)
    assert decoder.feed(KeyEvent(KEY_ENTER, 1, 5.01), now=5.01) == [WedgeScan("1", 5.01)]


@pytest.mark.parametrize(
    "text",
    [
        "4006381333931",
        "RMA-2024-000123",
        "1Z999AA10123456784",
        "SKU:TSHIRT/M_BLUE",
        string.ascii_letters + string.digits,
        "!@#$%^&*()_+{}|:\"<>?~`-=[]\\;',./ ",
        "https://id.gs1.org/01/09506000134352/21/A?17=251231",
    ],
)
@pytest.mark.parametrize("caps_lock", [False, True])
def test_typed_text_comes_back_exactly_with_or_without_caps_lock(text: str, caps_lock: bool) -> None:
    keys = SimulatedWedge(caps_lock=caps_lock).key_events(text, start_at=100.0)
    assert run(WedgeDecoder(), keys) == [text]


def test_caps_lock_inverts_letters_only() -> None:
    keys = events(
        [
            (KEY_CAPSLOCK, 1, 1.000),
            (KEY_CAPSLOCK, 0, 1.001),
            (KEY_A, 1, 1.002),  # a with caps -> A
            (KEY_LEFTSHIFT, 1, 1.003),
            (KEY_A, 1, 1.004),  # shift + caps -> a
            (KEY_1, 1, 1.005),  # shift + 1 -> ! (caps does not touch digits)
            (KEY_LEFTSHIFT, 0, 1.006),
            (KEY_1, 1, 1.007),
            (KEY_ENTER, 1, 1.008),
        ]
    )
    assert run(WedgeDecoder(), keys) == ["Aa!1"]


def test_a_caps_lock_already_on_is_tracked_from_the_initial_state() -> None:
    keys = events([(KEY_A, 1, 1.0), (KEY_ENTER, 1, 1.001)])
    assert run(WedgeDecoder(caps_lock_on=True), keys) == ["A"]


def test_tab_ends_a_scan_when_the_scanner_sends_tab() -> None:
    keys = SimulatedWedge(suffix="tab").key_events("RMA-1", 1.0)
    assert run(WedgeDecoder(suffix=WedgeSuffix.TAB), keys) == ["RMA-1"]


def test_with_an_enter_suffix_a_tab_is_data_and_enter_ends() -> None:
    keys = events([(KEY_A, 1, 1.0), (KEY_TAB, 1, 1.001), (KEY_A, 1, 1.002), (KEY_ENTER, 1, 1.003)])
    assert run(WedgeDecoder(), keys) == ["a\ta"]


def test_keypad_digits_and_keypad_enter_work() -> None:
    keys = events([(KEY_KP1, 1, 1.0), (KEY_KP1, 0, 1.001), (KEY_KPENTER, 1, 1.002)])
    assert run(WedgeDecoder(), keys) == ["1"]


def test_without_a_suffix_the_inter_key_gap_ends_the_scan() -> None:
    decoder = WedgeDecoder(suffix=WedgeSuffix.NONE, gap_timeout_s=0.05)
    keys = SimulatedWedge(suffix="none").key_events("12", start_at=1.0)
    assert run(decoder, keys) == []
    assert decoder.pending_chars == 2
    assert decoder.poll(now=1.02) == []  # still within the gap
    assert [s.text for s in decoder.poll(now=1.2)] == ["12"]
    assert decoder.pending_chars == 0


def test_a_gap_between_two_bursts_splits_them_into_two_scans() -> None:
    decoder = WedgeDecoder(gap_timeout_s=0.05)
    first = events([(KEY_1, 1, 1.0), (KEY_2, 1, 1.001)])
    second = events([(KEY_4, 1, 2.0), (KEY_ENTER, 1, 2.001)])
    assert run(decoder, first + second) == ["12", "4"]


def test_scans_older_than_the_max_age_are_dropped() -> None:
    decoder = WedgeDecoder(max_age_s=5.0)
    keys = SimulatedWedge().key_events("RMA-1", start_at=100.0)
    assert run(decoder, keys, now=200.0) == []
    assert decoder.stats.dropped_old == 1
    assert run(decoder, SimulatedWedge().key_events("RMA-2", start_at=300.0)) == ["RMA-2"]


def test_an_over_long_scan_is_dropped_and_the_next_one_is_fine() -> None:
    decoder = WedgeDecoder(max_chars=5)
    keys = SimulatedWedge().key_events("1234567", 1.0) + SimulatedWedge().key_events("123", 2.0)
    assert run(decoder, keys) == ["123"]
    assert decoder.stats.dropped_too_long == 1


def test_keys_with_no_character_are_ignored_and_counted() -> None:
    decoder = WedgeDecoder()
    keys = events([(KEY_F1, 1, 1.0), (KEY_1, 1, 1.001), (KEY_ENTER, 1, 1.002)])
    assert run(decoder, keys) == ["1"]
    assert decoder.stats.ignored_keys == 1


def test_ctrl_bracket_types_the_gs1_separator_and_interprets_as_gs1() -> None:
    text = "0109501101020917\x1d21SN-5"
    (scan,) = run(WedgeDecoder(), SimulatedWedge().key_events(text, 1.0))
    event = interpret(scan, "wedge")
    assert (event.gtin, event.serial) == ("09501101020917", "SN-5")


def test_alt_keypad_codes_type_characters_without_a_key() -> None:
    keys = SimulatedWedge().key_events("é\x1e", 1.0)  # Alt+233, Alt+030
    assert run(WedgeDecoder(), keys) == ["é\x1e"]


def test_two_scanners_interleaved_never_mix_their_keys() -> None:
    hub = WedgeHub()
    a = [("left", k) for k in SimulatedWedge().key_events("RMA-77", start_at=1.0)]
    b = [("right", k) for k in SimulatedWedge().key_events("4006381333931", start_at=1.0005)]
    merged = sorted(a + b, key=lambda pair: pair[1].at)
    got: dict[str, list[str]] = {"left": [], "right": []}
    for device, key in merged:
        got[device] += [scan.text for scan in hub.feed(device, key, now=key.at)]
    assert got == {"left": ["RMA-77"], "right": ["4006381333931"]}


def test_the_hub_times_out_each_scanner_on_its_own() -> None:
    hub = WedgeHub(suffix=WedgeSuffix.NONE, gap_timeout_s=0.05)
    for key in SimulatedWedge(suffix="none").key_events("AB", start_at=1.0):
        hub.feed("left", key, now=key.at)
    for key in SimulatedWedge(suffix="none").key_events("CD", start_at=1.5):
        hub.feed("right", key, now=key.at)
    polled = hub.poll(now=1.52)
    assert {name: [s.text for s in scans] for name, scans in polled.items()} == {"left": ["AB"]}


_KEY_EVENT_ROWS = st.lists(
    st.tuples(st.integers(0, 300), st.integers(-1, 3), st.floats(0, 0.3)), max_size=120
)


@settings(max_examples=200, deadline=None)
@given(rows=_KEY_EVENT_ROWS, suffix=st.sampled_from(list(WedgeSuffix)))
def test_any_key_events_give_events_or_scan_rejected_and_nothing_else(
    rows: list[tuple[int, int, float]], suffix: WedgeSuffix
) -> None:
    decoder = WedgeDecoder(suffix=suffix, max_chars=50)
    clock = 1000.0
    scans: list[WedgeScan] = []
    for code, value, step in rows:
        clock += step
        scans += decoder.feed(KeyEvent(code, value, clock), now=clock)
    scans += decoder.poll(now=clock + 10)
    assert decoder.pending_chars == 0
    for scan in scans:
        assert 0 < len(scan.text) <= 50
        try:
            event = interpret(scan.text, "fuzz", at=scan.at)
        except ScanRejected as exc:
            assert str(exc)
        else:
            assert isinstance(event, ScanEvent) and event.at == scan.at


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=string.printable.strip() + " \x1d", min_size=1, max_size=80))
def test_any_ascii_text_typed_by_the_simulator_decodes_to_itself(text: str) -> None:
    keys = SimulatedWedge(caps_lock=len(text) % 2 == 0).key_events(text, start_at=50.0)
    assert run(WedgeDecoder(), keys) == [text]
