"""The simulators' frames for each state, read through a real pty, fit the manuals' layouts and parse."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from drivers.scale.profile import find_scale_profile, load_scale_profile
from drivers.scale.protocols import BoundProtocol, bind
from drivers.scale.reading import Reading, ScaleStatus
from drivers.scale.transport import FrameReader, open_link
from drivers.sim.scale import SimulatedScale
from tests.support.wait import wait_until

OK, OVER, UNDER, BUSY = ScaleStatus.OK, ScaleStatus.OVERLOAD, ScaleStatus.UNDERLOAD, ScaleStatus.BUSY
ACK, CMD_ERR = ScaleStatus.ACKNOWLEDGED, ScaleStatus.COMMAND_ERROR
ZERO_ERR, TARE_ERR = ScaleStatus.ZERO_ERROR, ScaleStatus.TARE_ERROR
ANY = math.inf  # tolerance: some weight, whatever it is (a scale that never settles)


@dataclass(frozen=True)
class Want:
    """What the parser must read from the simulator's frame."""

    weight_g: float | None
    stable: bool = True
    status: ScaleStatus = OK
    tare_g: float | None = None
    net: bool = False
    stable_known: bool = True
    tol_g: float = 0.06  # half a display step of the simulated resolution

    def fits(self, reading: Reading) -> bool:
        flags = (reading.stable, reading.status, reading.net, reading.stable_known)
        return (
            flags == (self.stable, self.status, self.net, self.stable_known)
            and _near(reading.weight_mg, self.weight_g, self.tol_g)
            and _near(reading.tare_mg, self.tare_g, self.tol_g)
        )


def _near(mg: int | None, grams: float | None, tol_g: float) -> bool:
    if mg is None or grams is None:
        return mg is None and grams is None
    return abs(mg / 1000 - grams) <= tol_g


Action = Callable[[SimulatedScale], None]


def place(grams: float) -> Action:
    return lambda sim: sim.place(grams, settle_s=0.0)


def fault(name: str) -> Action:
    return lambda sim: sim.fault(name)


@dataclass(frozen=True)
class Step:
    """Do ``before``, send ``request`` (None: take the next streamed frame), check the frame."""

    request: bytes | None
    want: Want
    shape: bytes  # the manual's layout, as a regular expression over the bytes
    before: tuple[Action, ...] = ()


@dataclass(frozen=True)
class Scenario:
    name: str
    profile: str
    source: str
    steps: tuple[Step, ...]
    unit: str | None = None
    status_bytes: int = 2


def streamed(reader: FrameReader, protocol: BoundProtocol, want: Want, seen: list[bytes]) -> bytes:
    """The first streamed frame that reads as ``want`` (earlier ones may show the old state)."""

    def arrived() -> bool:
        frame = reader.read_frame(0.5)
        if frame is None:
            return False
        seen.append(frame)
        return want.fits(protocol.parse(frame))

    assert wait_until(arrived, 5.0), seen[-3:]
    return seen[-1]


def run(scenario: Scenario) -> None:
    profile = load_scale_profile(find_scale_profile(scenario.profile))
    if scenario.unit and profile.unit:  # frames without a unit: the profile says which it is
        profile = profile.model_copy(update={"unit": scenario.unit})
    protocol = bind(profile)
    with SimulatedScale(profile, unit=scenario.unit, status_bytes=scenario.status_bytes) as sim:
        link = open_link(profile, sim.port)
        try:
            reader = FrameReader(link, protocol.framing)
            for step in scenario.steps:
                for action in step.before:
                    action(sim)
                seen: list[bytes] = []
                if step.request is None:
                    frame: bytes | None = streamed(reader, protocol, step.want, seen)
                else:
                    reader.discard()
                    link.write(step.request)
                    frame = reader.read_frame(2.0)
                    seen.append(frame or b"")
                assert frame is not None, f"{scenario.name}: no reply to {step.request!r}"
                for each in seen:  # every frame the simulator sent has the manual's layout
                    assert re.fullmatch(step.shape, each, re.DOTALL), (scenario.name, each)
                reading = protocol.parse(frame)
                assert step.want.fits(reading), (scenario.name, frame, reading)
        finally:
            link.close()


# -- MT-SICS (Reference Manual 11780711B §3.2.1 p. 10, §4.1 pp. 13-22, §4.2 pp. 23-29) ----------
SICS = "METTLER TOLEDO MT-SICS Reference Manual 11780711B, §3.2.1 p. 10, §4.1, §4.2"
VALUE = rb"(?= *-?[0-9])[ 0-9.-]{10} [A-Za-z]+\r\n"  # right-aligned in 10, sign before digits
SICS_W = rb"S [SD] " + VALUE


def sics(text: str) -> bytes:
    return re.escape(text.encode() + b"\r\n")


def ask(request: str, want: Want, shape: bytes, *before: Action) -> Step:
    return Step(request.encode() + b"\r\n", want, shape, before)


MT_SICS = [
    Scenario("stable", "generic-mt-sics", SICS, (ask("SI", Want(100.0), SICS_W, place(100.0)),)),
    Scenario("S when stable", "generic-mt-sics", SICS, (ask("S", Want(42.5), SICS_W, place(42.5)),)),
    Scenario("dynamic", "generic-mt-sics", SICS, (
        ask("SI", Want(700.0, stable=False, tol_g=ANY), SICS_W, fault("unstable"), place(700.0)),
        ask("S", Want(None, stable=False, status=BUSY), sics("S I")),
    )),
    Scenario("overload", "generic-mt-sics", SICS, (
        ask("SI", Want(None, stable=False, status=OVER), sics("S +"), fault("overload")),
        ask("S", Want(None, stable=False, status=OVER), sics("S +")),
    )),
    Scenario("underload", "generic-mt-sics", SICS, (
        ask("SI", Want(None, stable=False, status=UNDER), sics("S -"), fault("underload")),
    )),
    Scenario("tare, net and negative", "generic-mt-sics", SICS, (
        ask("T", Want(None, status=ACK, tare_g=500.0), rb"T S " + VALUE, place(500.0)),
        ask("SI", Want(0.0), SICS_W),
        ask("TA", Want(None, status=ACK, tare_g=500.0), rb"TA A " + VALUE),
        ask("SI", Want(-500.0), SICS_W, place(0.0)),
        ask("TAC", Want(None, status=ACK), sics("TAC A")),
        ask("SI", Want(0.0), SICS_W),
    )),
    Scenario("tare immediately while moving", "generic-mt-sics", SICS, (
        ask("TI", Want(None, stable=False, status=ACK, tare_g=300.0, tol_g=ANY), rb"TI D " + VALUE,
            fault("unstable"), place(300.0)),
        ask("T", Want(None, stable=False, status=BUSY), sics("T I")),
    )),
    Scenario("zero", "generic-mt-sics", SICS, (
        ask("Z", Want(None, status=ACK), sics("Z A"), place(50.0)),
        ask("SI", Want(0.0), SICS_W),
        ask("ZI", Want(None, status=ACK), sics("ZI S")),
        ask("Z", Want(None, stable=False, status=BUSY), sics("Z I"), fault("unstable")),
    )),
    Scenario("zero and tare range", "mettler_toledo-at-balance", SICS, (  # zero within ±4.1 g
        ask("Z", Want(None, stable=False, status=ZERO_ERR), sics("Z +"), place(50.0)),
        ask("Z", Want(None, stable=False, status=ZERO_ERR), sics("Z -"), place(-50.0)),
        ask("T", Want(None, stable=False, status=TARE_ERR), sics("T -")),
        ask("ZI", Want(None, stable=False, status=ZERO_ERR), sics("ZI -")),
    )),
    Scenario("errors and identity", "generic-mt-sics", SICS, (
        ask("XYZ", Want(None, stable=False, status=CMD_ERR), sics("ES")),
        ask("@", Want(None, status=ACK), sics('I4 A "SIM0000001"')),
    )),
    Scenario("SIR repeats", "generic-mt-sics", SICS, (
        ask("SIR", Want(80.0), SICS_W, place(80.0)),
        Step(None, Want(80.0), SICS_W),
        Step(None, Want(80.0), SICS_W),
    )),
    *(
        Scenario(f"unit {unit}", "generic-mt-sics", SICS, (ask("SI", Want(1234.5, tol_g=tol), SICS_W,
                                                                place(1234.5)),), unit=unit)
        for unit, tol in (("kg", 0.06), ("lb", 0.03), ("oz", 0.02), ("ct", 0.02), ("mg", 0.001))
    ),
]

# -- Toledo 8213 (Brecknell 3700LP manual pp. 10-11; PS6L specifications p. A-5) ---------------
TOLEDO = "Brecknell 3700LP manual pp. 10-11; Mettler Toledo PS6L specifications, p. A-5"
T_WEIGHT = rb"\x02[0-9]+\.[0-9]+\r"  # digits with the point, zero-padded, no sign
T_GRAMS = rb"\x020[0-9]{5}\r"  # <STX>0XXXXX<CR>
T_STATUS = rb"\x02\?[\x60-\x7f]\r"  # bits 5 and 6 always set

TOLEDO_SCENARIOS = [
    Scenario("pounds", "brecknell-3700lp", TOLEDO, (Step(b"W", Want(1000.0), T_WEIGHT, (place(1000.0),)),)),
    Scenario("kilograms", "mettler_toledo-ariva-s", TOLEDO, (
        Step(b"W", Want(1234.5), T_WEIGHT, (place(1234.5),)),)),
    Scenario("grams", "brecknell-3700lp", TOLEDO, (
        Step(b"W", Want(1234.0, tol_g=0.5), T_GRAMS, (place(1234.4),)),), unit="g"),
    Scenario("ounces", "brecknell-3700lp", TOLEDO, (
        Step(b"W", Want(283.5, tol_g=0.02), T_WEIGHT, (place(283.5),)),), unit="oz"),
    Scenario("motion, over, under", "brecknell-3700lp", TOLEDO, (
        Step(b"W", Want(None, stable=False), T_STATUS, (fault("unstable"), place(500.0))),
        Step(b"W", Want(None, stable=False, status=OVER), T_STATUS, (fault("overload"),)),
        Step(b"W", Want(None, status=UNDER), T_STATUS, (lambda sim: sim.clear_faults(), fault("underload"))),
    )),
    Scenario("tare, net and negative", "brecknell-3700lp", TOLEDO, (
        Step(b"T", Want(None, status=ACK), T_STATUS, (place(500.0),)),
        Step(b"W", Want(0.0), T_WEIGHT),
        Step(b"W", Want(None, status=UNDER), T_STATUS, (place(0.0),)),  # below zero: status bit
        Step(b"C", Want(0.0), T_STATUS),  # tare cleared: center of zero
    )),
    Scenario("center of zero and zero", "brecknell-3700lp", TOLEDO, (
        Step(b"W", Want(0.0), T_STATUS, (place(0.0),)),
        Step(b"Z", Want(0.0), T_STATUS, (place(300.0),)),
        Step(b"W", Want(0.0), T_STATUS),
        Step(b"Z", Want(None, status=ZERO_ERR), T_STATUS, (place(2000.0),)),  # beyond ±1361 g
    )),
]

# -- NCI SCP-01 (SCP-01 control document; 7821 manual p. 25; Aviator 7000 service manual p. 49) ---
NCI = "SCP-01 8408-14788-01; Avery Weigh-Tronix 7821 manual p. 25; Ohaus Aviator 7000 manual p. 49"


def hh(count: int = 2) -> bytes:
    """``count`` status bytes: bits 4-5 set, bit 6 set on bytes 2 .. count-1 only."""
    return rb"[\x30-\x3f]" + rb"[\x70-\x7f]" * (count - 2) + rb"[\x30-\x3f]"


def nci(field: bytes, count: int = 2) -> bytes:
    return rb"\n" + field + rb"\r\n" + hh(count) + rb"\r\x03"


N_UNIT = rb"(?:lb|kg|oz|g )"
N_WEIGHT = nci(rb"[ 0-9.-]{8}" + N_UNIT)
N_STATUS = rb"\n" + hh() + rb"\r\x03"

NCI_SCENARIOS = [
    Scenario("pounds", "avery_weigh_tronix-7821", NCI, (Step(b"W\r", Want(1000.0), N_WEIGHT, (place(1000.0),)),)),
    Scenario("kilograms", "nci-3825", NCI, (Step(b"W\r", Want(1234.5), N_WEIGHT, (place(1234.5),)),)),
    Scenario("ounces", "avery_weigh_tronix-7821", NCI, (
        Step(b"W\r", Want(283.5, tol_g=0.02), N_WEIGHT, (place(283.5),)),), unit="oz"),
    Scenario("grams", "avery_weigh_tronix-7821", NCI, (
        Step(b"W\r", Want(1234.5), N_WEIGHT, (place(1234.5),)),), unit="g"),
    Scenario("pounds and ounces", "avery_weigh_tronix-7821", NCI, (
        Step(b"W\r", Want(524.47, tol_g=1.5), nci(rb"[0-9]{2}lb [0-9]{2}\.[0-9]oz"), (place(524.47),)),
        Step(b"Z\r", Want(None, status=ACK), N_STATUS, (place(100.0),)),
        Step(b"W\r", Want(-100.0, tol_g=1.5), nci(rb"-[0-9]{2}lb [0-9]{2}\.[0-9]oz"), (place(0.0),)),
    ), unit="lb-oz"),
    Scenario("motion, over, under, at zero", "avery_weigh_tronix-7821", NCI, (
        Step(b"W\r", Want(600.0, stable=False, tol_g=ANY), N_WEIGHT, (fault("unstable"), place(600.0))),
        Step(b"S\r", Want(None, stable=False), N_STATUS),
        Step(b"W\r", Want(None, stable=False, status=OVER), nci(rb"\^{8}lb"), (fault("overload"),)),
        Step(b"W\r", Want(None, status=UNDER), nci(rb"_{8}lb"), (lambda sim: sim.clear_faults(), fault("underload"))),
        Step(b"W\r", Want(0.0), N_WEIGHT, (lambda sim: sim.clear_faults(), place(0.0))),
    )),
    Scenario("zero and its range", "avery_weigh_tronix-7821", NCI, (  # zero within ±272 g
        Step(b"Z\r", Want(None, status=ACK), N_STATUS, (place(100.0),)),
        Step(b"W\r", Want(0.0), N_WEIGHT),
        Step(b"Z\r", Want(None, status=ACK), N_STATUS, (place(600.0),)),
        Step(b"W\r", Want(500.0), N_WEIGHT),  # not zeroed: outside the zero range
        Step(b"X\r", Want(None, stable=False, status=CMD_ERR), re.escape(b"\n?\r\x03")),
    )),
    *(
        Scenario(f"{count} status bytes", "nci-3825", NCI, (
            Step(b"W\r", Want(750.0), nci(rb"[ 0-9.-]{8}kg", count), (place(750.0),)),
            Step(b"S\r", Want(None, status=ACK), rb"\n" + hh(count) + rb"\r\x03"),
        ), status_bytes=count)
        for count in (3, 4, 5)
    ),
]

# -- CAS / AND continuous (CAS CI-600D manual §10, p. 74) ----------------------------------------
CAS = "CAS CI-600D manual, §10-1 to §10-3, p. 74"
C22 = rb"(?:ST|US|OL),(?:GS|NT),1[\x80-\xff],[ 0-9.-]{8} [ a-z]{2}\r\n"
C10 = rb"[0-9.-]{8}\r\n"
A18 = rb"(?:ST|US|OL),(?:GS|NT),[0-9.-]{8}[ a-z]{2}\r\n"


def stream(want: Want, shape: bytes, *before: Action) -> Step:
    return Step(None, want, shape, before)


CAS_SCENARIOS = [
    Scenario("cas22", "cas-ci600d", CAS, (
        stream(Want(13500.0), C22, place(13500.0)),
        stream(Want(-500.0), C22, place(-500.0)),
        stream(Want(0.0), C22, place(0.0)),  # lamp zero point
        stream(Want(800.0, stable=False, tol_g=ANY), C22, fault("unstable"), place(800.0)),
        stream(Want(None, stable=False, status=OVER), C22, fault("overload")),
    )),
    Scenario("cas22 tonnes", "cas-ci600d", CAS, (stream(Want(1_250_000.0, tol_g=60), C22,
                                                        place(1_250_000.0)),), unit="t"),
    Scenario("cas10", "cas-ci600d-10byte", CAS, (
        stream(Want(13500.0, stable=False, stable_known=False), C10, place(13500.0)),
        stream(Want(-500.0, stable=False, stable_known=False), C10, place(-500.0)),
    )),
    Scenario("and18", "cas-ci600d-and18", CAS, (
        stream(Want(1234.5), A18, place(1234.5)),
        stream(Want(-500.0), A18, place(-500.0)),
        stream(Want(800.0, stable=False, tol_g=ANY), A18, fault("unstable"), place(800.0)),
        stream(Want(None, stable=False, status=OVER), A18, fault("overload")),
    )),
    Scenario("and18 tonnes", "cas-ci600d-and18", CAS, (stream(Want(1_250_000.0, tol_g=60), A18,
                                                              place(1_250_000.0)),), unit="t"),
]

# -- USB HID POS (Usage Tables v1.02 §4, page 0x8D) and Ohaus print / Adam P reply ---------------
HID = "USB HID Point of Sale Usage Tables v1.02, §4 Weighing Devices (0x8D); usbscale report layout"
H6 = rb"\x03[\x01-\x08][\x01-\x0c][\x00-\xff]{3}"
OHAUS = "Ohaus Explorer instruction manual, interface output format, p. EN-156"
OHAUS_LINE = rb"[ 0-9.-]{10} [A-Za-z]{1,5} \??\r\n"
ADAM = "Odoo IoT serial scale driver, Adam protocol record"

OTHER_SCENARIOS = [
    Scenario("hid grams", "generic-hid-pos", HID, (
        stream(Want(1234.0), H6, place(1234.0)),
        stream(Want(0.0), H6, place(0.0)),  # stable at center of zero
        stream(Want(-10.0, status=UNDER), H6, place(-10.0)),  # under zero
        stream(Want(0.0, status=UNDER), H6, place(0.0), fault("underload")),
        stream(Want(None, stable=False, status=OVER), H6, fault("overload")),
    )),
    Scenario("hid motion", "dymo-m10", HID, (stream(Want(500.0, stable=False, tol_g=ANY), H6,
                                                    fault("unstable"), place(500.0)),)),
    *(
        Scenario(f"hid {unit}", name, HID, (stream(Want(2267.96, tol_g=tol), H6, place(2267.96)),), unit=unit)
        for name, unit, tol in (("dymo-m10", "oz", 0.02), ("mettler_toledo-ps60", "lb", 0.03),
                                ("mettler_toledo-ps60", "kg", 0.06), ("generic-hid-pos", "ct", 0.1))
    ),
    Scenario("ohaus", "ohaus-explorer", OHAUS, (
        stream(Want(192.21, tol_g=0.006), OHAUS_LINE, place(192.21)),
        stream(Want(-12.0, tol_g=0.006), OHAUS_LINE, place(-12.0)),
        stream(Want(300.0, stable=False, tol_g=ANY), OHAUS_LINE, fault("unstable"), place(300.0)),
    )),
    Scenario("ohaus kilograms", "ohaus-explorer", OHAUS, (stream(Want(1230.0, tol_g=6), OHAUS_LINE,
                                                                 place(1230.0)),), unit="kg"),
    Scenario("adam P reply", "generic-stream-poll", ADAM, (
        Step(b"P\r\n", Want(1234.0, stable=False, stable_known=False, tol_g=0.6), rb"[ 0-9.]{9}kg\r\n",
             (place(1234.0),)),
    )),
]

ALL = MT_SICS + TOLEDO_SCENARIOS + NCI_SCENARIOS + CAS_SCENARIOS + OTHER_SCENARIOS


@pytest.mark.parametrize("scenario", ALL, ids=[f"{s.profile}:{s.name}" for s in ALL])
def test_the_simulator_speaks_the_manual_and_the_parser_agrees(scenario: Scenario) -> None:
    assert scenario.source
    run(scenario)


def test_every_protocol_is_driven_through_a_pty() -> None:
    protocols = {load_scale_profile(find_scale_profile(s.profile)).protocol for s in ALL}
    assert protocols == {"mt_sics", "toledo8213", "nci_scp01", "cas", "hid_pos", "generic_stream"}
