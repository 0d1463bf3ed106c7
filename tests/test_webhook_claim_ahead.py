"""The dispatcher loop claims the next batch while one is on the wire: order per RMA, hand-back, lease renewal."""

from __future__ import annotations

import threading
from datetime import timedelta

from station.context import StationContext
from tests import test_webhook_dispatch as dispatch_tests
from tests.support.wait import wait_until
from tests.test_webhook_dispatch import Clock, Receiver, dispatcher, emit, event

receiver = dispatch_tests.receiver  # the same fixtures: a verifying receiver and its endpoint
endpoint_id = dispatch_tests.endpoint_id


def _backlog(ctx: StationContext) -> dict[str, list[str]]:
    """Two events for each of four RMAs, created A1 B1 C1 D1 A2 B2 C2 D2."""
    ids: dict[str, list[str]] = {rma: [] for rma in "ABCD"}
    for _ in range(2):
        for rma in "ABCD":
            ids[rma].append(emit(ctx, f"RMA-{rma}"))
    return ids


def test_the_batch_claimed_ahead_holds_no_later_event_of_an_rma_on_the_wire_and_is_handed_back(
    ctx: StationContext, receiver: Receiver, endpoint_id: str
) -> None:
    ids = _backlog(ctx)
    clock = Clock()
    worker = dispatcher(ctx, clock, batch_size=2, concurrency=2)
    worker._claim_ahead = True  # what run_forever does
    assert worker.run_once().delivered == 2
    assert sorted(receiver.delivered_ids()) == sorted([ids["A"][0], ids["B"][0]])
    # A2 and B2 waited for A1 and B1 (delivering while the next batch was claimed)
    ahead = [claim.event_id for claim in worker._claimed_ahead]
    assert ahead == [ids["C"][0], ids["D"][0]]
    assert {event(ctx, i).claimed_by for i in ahead} == {worker.worker_id}

    clock.advance(30)
    worker._renew([])
    assert {event(ctx, i).lease_until for i in ahead} == {
        clock.now + timedelta(seconds=worker.lease_s)}

    worker._hand_back()
    assert worker._claimed_ahead == []
    assert {(event(ctx, i).status, event(ctx, i).claimed_by) for i in ahead} == {("pending", None)}


def test_the_loop_delivers_a_backlog_in_order_per_rma_and_leaves_nothing_claimed(
    ctx: StationContext, receiver: Receiver, endpoint_id: str
) -> None:
    ids = _backlog(ctx)
    worker = dispatcher(ctx, Clock(), batch_size=2, concurrency=2)
    stop = threading.Event()
    thread = worker.start_thread(stop, poll_interval_s=0.05)
    try:
        assert wait_until(lambda: len(receiver.delivered_ids()) == 8)
    finally:
        stop.set()
        thread.join(10)
    arrived = receiver.delivered_ids()
    for first, second in ids.values():
        assert arrived.index(first) < arrived.index(second)
    assert {event(ctx, i).status for rma in ids.values() for i in rma} == {"delivered"}
