"""~HS host status parsing against byte vectors laid out as the ZPL II Programming Guide documents them."""

from __future__ import annotations

import contextlib
import random

import pytest

from drivers.printer.errors import PrinterStatusError
from drivers.printer.status import (
    PrinterStatus,
    format_host_status,
    parse_host_status,
    reply_complete,
)

# ZPL II Programming Guide 45541L-004 Rev. A, ~HS, pp. 171-172: three strings, each
# <STX>...<ETX><CR><LF>; string 1 aaa,b,c,dddd,eee,f,g,h,iii,j,k,l; string 2
# mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www; string 3 xxxx,y.
IDLE = (b"\x02030,0,0,1218,000,0,0,0,000,0,0,0\x03\r\n"
        b"\x02001,0,0,0,0,2,6,0,00000000,1,000\x03\r\n"
        b"\x021234,0\x03\r\n")
# paper out, paused, 3 formats waiting, buffer full, partial format, under temperature;
# head up, ribbon out, thermal transfer, peel-off, label waiting, 42 labels left, 7 graphics.
TROUBLE = (b"\x02030,1,1,0609,003,1,0,1,000,0,1,0\x03\r\n"
           b"\x02001,0,1,1,1,1,6,1,00000042,1,007\x03\r\n"
           b"\x020000,1\x03\r\n")


def test_an_idle_printer_reports_no_problems() -> None:
    status = parse_host_status(IDLE)
    assert status.problems() == [] and status.ready
    assert status.communication_settings == 30 and status.label_length_dots == 1218
    assert status.print_mode == 2 and status.print_width_mode == 6  # tear-off
    assert status.format_while_printing and status.password == 1234 and not status.static_ram


def test_every_field_lands_where_the_guide_puts_it() -> None:
    s = parse_host_status(TROUBLE)
    assert (s.paper_out, s.paused, s.label_length_dots, s.formats_in_buffer) == (True, True, 609, 3)
    assert (s.buffer_full, s.diagnostic_mode, s.partial_format) == (True, False, True)
    assert (s.corrupt_ram, s.under_temperature, s.over_temperature) == (False, True, False)
    assert (s.function_settings, s.head_open, s.ribbon_out, s.thermal_transfer) == (1, True, True, True)
    assert (s.print_mode, s.label_waiting, s.labels_remaining, s.graphics_stored) == (1, True, 42, 7)
    assert (s.password, s.static_ram) == (0, True)
    assert s.problems() == ["paper out", "head open", "paused", "ribbon out",
                            "receive buffer full", "under temperature"]
    assert s.blocking_problems() == ["paper out", "head open", "paused", "ribbon out"]
    assert not s.ready


def test_over_temperature_and_corrupt_ram_are_problems_too() -> None:
    reply = IDLE.replace(b"000,0,0,0\x03", b"000,1,0,1\x03", 1)
    assert parse_host_status(reply).problems() == ["over temperature",
                                                   "configuration lost (corrupt RAM)"]


def test_format_is_the_inverse_of_parse() -> None:
    assert format_host_status(parse_host_status(IDLE)) == IDLE
    assert format_host_status(parse_host_status(TROUBLE)) == TROUBLE
    status = PrinterStatus(paper_out=True, formats_in_buffer=2)
    assert parse_host_status(format_host_status(status)) == status


@pytest.mark.parametrize("cut", range(len(IDLE)))
def test_a_reply_cut_at_any_byte_is_a_status_error(cut: int) -> None:
    with pytest.raises(PrinterStatusError):
        parse_host_status(IDLE[:cut])
    assert not reply_complete(IDLE[:cut])


@pytest.mark.parametrize(
    "reply",
    [
        IDLE + b"x",
        IDLE.replace(b"1218", b"12a8"),
        IDLE.replace(b"1218", b"121"),
        IDLE.replace(b",0,0,1218", b",2,0,1218"),  # a flag that is not 0/1
        IDLE.replace(b"\x021234,0", b"\x021234,0,9"),  # a field too many
        IDLE.replace(b"\x03\r\n", b"\r\n", 1),
        IDLE.replace(b"\x02", b"", 1),
        IDLE.replace(b"1234", b"\xd9\xa1\xd9\xa2"),  # non-ASCII digits
        b"\x02" * 300,
    ],
    ids=["trailing", "letter", "short-field", "flag-2", "extra-field", "no-etx", "no-stx",
         "unicode-digits", "too-long"],
)
def test_malformed_replies_are_status_errors(reply: bytes) -> None:
    with pytest.raises(PrinterStatusError):
        parse_host_status(reply)


def test_random_bytes_never_raise_anything_but_a_status_error() -> None:
    rng = random.Random(1)
    for _ in range(3000):
        size = rng.randint(0, 120)
        data = bytes(rng.randrange(256) for _ in range(size))
        if rng.random() < 0.5:  # mutate a real reply instead: closer to plausible garbage
            data = bytearray(IDLE)
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            data = bytes(data)
        with contextlib.suppress(PrinterStatusError):
            parse_host_status(data)


def test_the_error_says_what_is_wrong() -> None:
    with pytest.raises(PrinterStatusError, match="string 2 of 3 missing"):
        parse_host_status(IDLE[: IDLE.index(b"\x02", 1)])
    with pytest.raises(PrinterStatusError, match="label_length_dots"):
        parse_host_status(IDLE.replace(b"1218", b"12a8"))
