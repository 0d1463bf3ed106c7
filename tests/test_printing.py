"""Labels from confirm to the simulated printer over TCP: printed, decoded, paper out, reprint once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from drivers.sim.printer import SimulatedPrinter
from drivers.state import DeviceState, DeviceStatus
from station.context import StationContext, build
from station.db.engine import make_engine
from station.db.migrate import upgrade
from station.db.models import AuditEvent, InspectionUnit, LabelPrint
from station.devices.printer import PrinterDevice
from station.printing.content import LabelContent
from station.printing.printers import Printers
from station.printing.spooler import PrintSpooler
from tests.conftest import make_settings
from tests.factories import HEADPHONES_GTIN, seed_rma, walk_to_graded


@pytest.fixture
def printer() -> Iterator[SimulatedPrinter]:
    sim = SimulatedPrinter("zebra-zd421", dpi=203)
    yield sim
    sim.close()


@pytest.fixture
def bench(tmp_path: Path, database_url: str, printer: SimulatedPrinter
          ) -> Iterator[tuple[StationContext, PrintSpooler, Printers]]:
    settings = make_settings(tmp_path, database_url, labels={
        "printer_url": printer.address, "layout": "4x2", "station_code": "T1"})
    engine = make_engine(settings.database.url)
    upgrade(engine)
    engine.dispose()
    ctx = build(settings)
    printers = Printers("zebra-zd421", printer.address)
    content = LabelContent(ctx.sorting.rules, ctx.sorting.code)
    spooler = PrintSpooler(ctx.db, settings.station.id, content.zpl, printers.send)
    yield ctx, spooler, printers
    printers.close()
    ctx.close()


def confirm(ctx: StationContext) -> InspectionUnit:
    seed_rma(ctx)
    inspection_id = walk_to_graded(ctx)
    ctx.inspections.complete(inspection_id, "op")
    with ctx.db.reader() as session:
        return session.execute(select(InspectionUnit)).scalars().one()


def jobs(ctx: StationContext) -> list[LabelPrint]:
    with ctx.db.reader() as session:
        return list(session.execute(select(LabelPrint).order_by(LabelPrint.created_at)).scalars())


def decoded(pngs: list[bytes] | None) -> dict[str, str]:
    """Text -> symbology identifier of every code on the printed label (one PNG per format)."""
    import io

    assert pngs is not None and len(pngs) == 1, "one format, rendered"
    image = Image.open(io.BytesIO(pngs[0]))
    return {r.text: r.symbology_identifier for r in zxingcpp.read_barcodes(image)}


def test_a_confirmed_unit_prints_its_label_and_the_png_decodes_to_its_plate(
    bench: tuple[StationContext, PrintSpooler, Printers], printer: SimulatedPrinter,
) -> None:
    ctx, spooler, _ = bench
    unit = confirm(ctx)
    (result,) = spooler.run_once()
    assert result.status == "printed", result.error
    assert printer.wait_for_labels(1, timeout_s=10)
    (label,) = printer.labels
    assert label.problems == [], label.problems
    codes = decoded(label.png)
    assert unit.lpn in codes
    gs1 = [text for text, symbology in codes.items() if symbology == "]C1"]
    assert gs1 and HEADPHONES_GTIN in gs1[0] and "SN-001" in gs1[0]
    assert f"https://id.gs1.org/01/{HEADPHONES_GTIN}/21/SN-001" in codes
    (job,) = jobs(ctx)
    assert (job.status, job.attempts, job.error) == ("printed", 1, "")
    assert job.printed_at is not None


def test_paper_out_leaves_the_outcome_stored_and_the_reprint_prints_once(
    bench: tuple[StationContext, PrintSpooler, Printers], printer: SimulatedPrinter,
) -> None:
    ctx, spooler, printers = bench
    printer.paper_out = True
    unit = confirm(ctx)
    (result,) = spooler.run_once()
    assert result.status == "failed" and "paper out" in result.error
    (job,) = jobs(ctx)
    assert job.status == "failed" and "paper out" in job.error
    with ctx.db.reader() as session:
        stored = session.get(InspectionUnit, unit.id)
        assert stored is not None and stored.grade == unit.grade and stored.lpn == unit.lpn
    states: list[DeviceStatus] = []
    device = PrinterDevice(printers, states.append)
    assert device.check().state is DeviceState.ERROR and "paper out" in device.check().reason

    printer.paper_out = False
    assert device.check().state is DeviceState.READY
    assert printer.labels == [] and printer.waiting == []  # nothing was sent while paper was out
    reprint_id = ctx.sorting.reprint("op", unit_id=unit.id, why="paper was out")
    (again,) = spooler.run_once()
    assert (again.job_id, again.status) == (reprint_id, "printed")
    assert printer.wait_for_labels(1, timeout_s=10)
    assert len(printer.labels) == 1
    assert unit.lpn in decoded(printer.labels[0].png)
    first, second = jobs(ctx)
    assert second.reprint_of == first.id and second.requested_by == "op"
    with ctx.db.reader() as session:
        actions = [a.action for a in session.execute(select(AuditEvent)).scalars()]
    assert "label.reprint_requested" in actions


def test_a_printer_that_is_gone_fails_the_job_with_a_reason_and_nothing_is_lost(
    bench: tuple[StationContext, PrintSpooler, Printers], printer: SimulatedPrinter,
) -> None:
    ctx, spooler, printers = bench
    printer.offline = True
    unit = confirm(ctx)
    (result,) = spooler.run_once()
    assert result.status == "failed" and result.error
    assert PrinterDevice(printers, lambda s: None).check().state in (
        DeviceState.DISCONNECTED, DeviceState.ERROR)
    with ctx.db.reader() as session:
        assert session.get(InspectionUnit, unit.id) is not None
    printer.offline = False
    ctx.sorting.reprint("op", unit_id=unit.id)
    (again,) = spooler.run_once()
    assert again.status == "printed", again.error
    assert printer.wait_for_labels(1, timeout_s=10)


def test_a_job_left_sending_by_a_crash_is_failed_not_sent_again(
    bench: tuple[StationContext, PrintSpooler, Printers], printer: SimulatedPrinter,
) -> None:
    ctx, spooler, _ = bench
    confirm(ctx)
    with ctx.db.transaction() as session:
        job = session.execute(select(LabelPrint)).scalars().one()
        job.status = "sending"  # the bench died between claiming and finishing the job
    assert spooler.recover() == 1
    assert spooler.run_once() == []
    (job,) = jobs(ctx)
    assert job.status == "failed" and "interrupted" in job.error
    assert printer.labels == []


def test_the_spooler_thread_prints_when_the_confirm_commits(
    bench: tuple[StationContext, PrintSpooler, Printers], printer: SimulatedPrinter,
) -> None:
    ctx, spooler, _ = bench
    ctx.work.on_label = spooler.notify
    spooler.start()
    try:
        unit = confirm(ctx)
        assert printer.wait_for_labels(1, timeout_s=15)
        assert unit.lpn in decoded(printer.labels[0].png)
    finally:
        spooler.stop()
