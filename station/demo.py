"""`station demo`: seeds demo RMAs and users, then walks one simulated parcel through the workflow."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import cv2
import numpy as np
from sqlalchemy import select

from drivers.camera.capture import Still
from drivers.scale.reading import Reading
from drivers.scanner.events import ScanEvent
from drivers.state import DeviceState
from station import audit
from station.context import StationContext
from station.db.models import Operator
from station.db.types import new_id, utcnow
from station.devices import DeviceManager
from station.devices.bus import DeviceEvent
from station.policy import Checklist
from station.returns.errors import DomainError
from station.returns.intake import parse_rma, upsert_rma
from station.returns.rules.types import ScannedItem
from station.users import add_user, generate_password, generate_pin, reset_secret
from station.vocabulary import DefectKind, DefectSeverity, FunctionTest

Printer = Callable[[str], None]
DEMO_OPERATOR, DEMO_SUPERVISOR = "demo.operator", "demo.supervisor"
#: A valid GTIN (EAN-13) that is on no demo return: the demo panel's "wrong item".
WRONG_ITEM_GTIN = "4012345000016"  # EAN-13 as printed on a box

DEMO_ITEMS: list[dict[str, Any]] = [
    {"line_id": "1", "sku": "HP-200-BLK", "gtin": "05012345678900",
     "description": "Wireless headphones HP-200, black", "quantity": 1,
     "serials": ["HP200-A1B2C3"], "unit_weight_g": "412.0", "category": "electronics",
     "price": "89.00", "accessories": ["charging cable", "carry pouch"]},
    {"line_id": "1", "sku": "TS-CTN-M-WHT", "gtin": "04006381333931",
     "description": "Cotton T-shirt, white, M", "quantity": 2, "unit_weight_g": "180.0",
     "category": "apparel", "price": "19.90"},
    {"line_id": "1", "sku": "KT-17-STL", "gtin": "09501101530003",
     "description": "Electric kettle 1.7 l, steel", "quantity": 1, "unit_weight_g": "1250.0",
     "category": "general", "price": "45.00", "accessories": ["base"]},
]
DEMO_REASONS = ["no_reason", "size_mismatch", "quality_defect"]


def demo_rmas(run: str) -> list[dict[str, Any]]:
    """Three return authorizations of the kinds a bench sees every day."""
    now = utcnow()
    rmas = []
    for index, (item, reason) in enumerate(zip(DEMO_ITEMS, DEMO_REASONS, strict=True), start=1):
        rmas.append({
            "rma_id": f"RMA-{run}-{index}",
            "order_id": f"SO-{run}-{index}",
            "tracking_number": f"1Z999AA1{run[-6:]}{index:02d}",
            "reason": reason,
            "delivered_at": (now - timedelta(days=2 + index)).isoformat(),
            "items": [item],
        })
    return rmas


@dataclass(frozen=True)
class DemoCredentials:
    """How to sign in to the demo bench (printed once per start, never stored in clear)."""

    badge: str
    pin: str
    supervisor_password: str


def seed_users(ctx: StationContext, say: Printer) -> DemoCredentials:
    """The demo operator and supervisor, with fresh credentials at every demo start.

    Only the demo accounts are touched; a new PIN and password each time means the credentials
    printed last are always the ones that work, and none is a default.
    """
    pin, password = generate_pin(), generate_password()
    with ctx.work() as work:
        session = work.session
        operator = session.execute(
            select(Operator).where(Operator.username == DEMO_OPERATOR)).scalar()
        if operator is None:
            badge = f"BADGE-{random.randint(10000, 99999)}"
            add_user(session, username=DEMO_OPERATOR, display_name="Demo Operator",
                     role="operator", badge_id=badge, pin=pin, actor="demo")
            add_user(session, username=DEMO_SUPERVISOR, display_name="Demo Supervisor",
                     role="supervisor", password=password, actor="demo")
        else:
            badge = operator.badge_id or ""
            reset_secret(session, DEMO_OPERATOR, pin=pin, actor="demo")
            reset_secret(session, DEMO_SUPERVISOR, password=password, actor="demo")
    say(f"  operator   {DEMO_OPERATOR}    badge {badge}  PIN {pin}")
    say(f"  supervisor {DEMO_SUPERVISOR}  password {password}")
    say("  (new credentials at every demo start; add your own with `station user add`)")
    return DemoCredentials(badge, pin, password)


def seed_rmas(ctx: StationContext, say: Printer, run: str | None = None) -> list[dict[str, Any]]:
    """Demo return authorizations (a new set each call, so every start has parcels to inspect)."""
    rmas = demo_rmas(run or new_id()[-8:])
    with ctx.work() as work:
        for raw in rmas:
            row, outcome = upsert_rma(
                work, parse_rma(raw), actor="demo",
                no_reason_window_days=ctx.settings.returns.no_reason_window_days,
                default_window_days=ctx.settings.returns.default_window_days,
            )
            say(f"  {outcome} {row.rma_id}: {raw['reason']}, {raw['items'][0]['description']}"
                f" (label {raw['tracking_number']})")
    return rmas


def product_photo(text: str, seed: int, size: tuple[int, int] = (1280, 720)) -> bytes:
    """A simulated camera still: a 'product' on the bench with a caption, as JPEG bytes."""
    rng = np.random.default_rng(seed)
    width, height = size
    image = np.full((height, width, 3), 200, dtype=np.uint8)
    image += rng.integers(0, 12, image.shape, dtype=np.uint8)
    cv2.rectangle(image, (width // 4, height // 4), (3 * width // 4, 3 * height // 4),
                  (60, 90, 140), thickness=-1)
    cv2.putText(image, text, (width // 4 + 20, height // 2), cv2.FONT_HERSHEY_SIMPLEX, 1.2,
                (255, 255, 255), 2)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise DomainError("photo_encode_failed", "the demo photo could not be encoded as JPEG")
    return bytes(encoded.tobytes())


class DemoBench:
    """The simulated devices of a bench, driven the way an operator would use the real ones."""

    def __init__(self, ctx: StationContext) -> None:
        devices = ctx.settings.devices.model_copy(update={"simulated": True})
        self.manager = DeviceManager(devices)
        self.manager.start()
        self.events = self.manager.subscribe()
        self._wait_ready(("scale", "scanner", "camera"))

    def _wait_ready(self, names: tuple[str, ...], timeout_s: float = 15.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            states = self.manager.states()
            if all(n in states and states[n].state is DeviceState.READY for n in names):
                return
            time.sleep(0.05)
        raise DomainError("device_down", f"simulated devices not ready: {self.manager.states()}")

    def _next(self, wanted: Callable[[DeviceEvent], bool], timeout_s: float = 10.0) -> DeviceEvent:
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            event = self.events.get(timeout=left)
            if event is not None and wanted(event):
                return event
        raise DomainError("device_timeout", "the simulated device did not answer in time")

    def weigh(self, grams: Decimal) -> Reading:
        """Put the parcel on the simulated scale and wait for its stable reading."""
        assert self.manager.simulators is not None
        self.manager.simulators.scale.place(float(grams), settle_s=0.4, noise_g=0.4)
        target_mg = int(grams * 1000)

        def settled(event: DeviceEvent) -> bool:
            r = event.payload
            return (event.kind == "reading" and isinstance(r, Reading) and r.stable
                    and r.weight_mg is not None and abs(r.weight_mg - target_mg) < 2_000)

        reading = self._next(settled).payload
        assert isinstance(reading, Reading)
        return reading

    def scan(self, code: str) -> ScanEvent:
        """Scan a code with the simulated serial scanner; the event comes back over the bus."""
        assert self.manager.simulators is not None
        self.manager.simulators.scanner.scan(code)
        event = self._next(lambda e: e.kind == "scan" and e.device == "scanner").payload
        assert isinstance(event, ScanEvent)
        return event

    def photo(self, label: str) -> Still:
        """Hold a labelled side of the item in front of the simulated camera and take a still."""
        assert self.manager.simulators is not None
        self.manager.simulators.camera.present(label, "qr")
        time.sleep(0.3)  # a few frames at the simulated camera's rate
        still = self.manager.still()
        if still is None:
            raise DomainError("device_down", "the simulated camera gave no picture")
        return still

    def close(self) -> None:
        self.events.close()
        self.manager.stop()


def run_demo(ctx: StationContext, say: Printer = print) -> str:
    """Seed demo data and inspect one parcel end to end on simulated devices."""
    station_id = ctx.settings.station.id
    run = new_id()[-8:]
    say("1. Seeding demo data")
    seed_users(ctx, say)
    rmas = seed_rmas(ctx, say, run)
    say("   starting simulated scale, scanner and camera (real ptys)")
    bench = DemoBench(ctx)
    try:
        return _walk(ctx, bench, rmas[0], station_id, say)
    finally:
        bench.close()


def _walk(ctx: StationContext, bench: DemoBench, rma: dict[str, Any], station_id: str,
          say: Printer) -> str:
    service = ctx.inspections
    item = rma["items"][0]
    say(f"2. Scanning the return label {rma['tracking_number']}")
    label = bench.scan(rma["tracking_number"])
    inspection = service.receive(label.text, station_id, None, "demo")
    say(f"  -> inspection {inspection.id}, state {inspection.state}, RMA {rma['rma_id']}")
    expected_g = Decimal(item["unit_weight_g"]) + Decimal(str(ctx.settings.returns.packaging_allowance_g))
    reading = bench.weigh(expected_g + Decimal("12.4"))
    say(f"3. Weighing: the simulated scale settles at {reading.weight_g} g, stable "
        f"(expected {expected_g} g)")
    assert reading.weight_mg is not None
    service.record_weight(inspection.id, reading.weight_mg, "scale", "demo")
    event = bench.scan(f"]d2\x1d01{item['gtin']}21{item['serials'][0]}")
    say(f"4. Scanning the item: {event.symbology} -> GTIN {event.gtin}, serial {event.serial}")
    result = service.record_scan(
        inspection.id, ScannedItem(raw=event.raw, gtin=event.gtin, serial=event.serial), "demo",
        symbology=event.symbology, source=event.source, lot=event.lot,
    )
    say(f"  -> {result.result}: {result.detail}")
    service.finish_items(inspection.id, "demo")
    needed = service.photos_needed(service.get(inspection.id))
    say(f"5. Photos for category {item['category']}: "
        + ", ".join(angle if unit is None else f"{angle} (item {unit.position})"
                    for unit, angle in needed))
    for unit, angle in needed:
        still = bench.photo(f"{item['sku']} {angle}")
        photo = service.add_photo(
            inspection.id, still.jpeg, angle=angle, width=still.width_px, height=still.height_px,
            actor="demo", camera="sim-camera", unit_id=unit.id if unit is not None else None,
            quality={"sharpness": still.metrics.sharpness, "problems": list(still.problems)},
        )
        say(f"  {angle}: {still.width_px}x{still.height_px}, {photo.size_bytes} bytes, "
            f"sha256 {photo.sha256[:16]}…" + (f" ({', '.join(still.problems)})"
                                              if still.problems else ""))
    service.finish_photos(inspection.id, "demo")
    checklist = Checklist(
        packaging_intact=True, original_packaging_opened=True, accessories_missing=(),
        defects={DefectKind.SCRATCHES: DefectSeverity.MINOR}, function_test=FunctionTest.PASSED,
        signs_of_use=True,
    )
    say("6. Checklist: packaging intact but opened, accessories complete, minor scratches, "
        "function test passed, signs of use")
    service.record_checklist(inspection.id, checklist, "demo", notes="demo walk-through")
    decision = service.grade(inspection.id, "demo")
    say(f"7. Proposal (policy {decision['policy_version']}): grade {decision['grade']}, "
        f"{decision['disposition']}, {decision['recommendation']}"
        + (f" -{decision['deduction_pct']}%" if decision["deduction_pct"] else ""))
    for rule_id, sentence in zip(decision["fired_rules"], decision["explanation"], strict=True):
        say(f"  [{rule_id}] {sentence}")
    say(f"  platform: {decision['platform']}")
    done = service.complete(inspection.id, "demo")
    say(f"8. Confirmed: inspection {done.id} is {done.state}")
    with ctx.db.reader() as session:
        problems = audit.verify(session, ctx.anchors.read())
        seq, _ = audit.head(session)
    say(f"9. Audit chain: {seq} events, {problems or 'intact'}")
    return inspection.id
