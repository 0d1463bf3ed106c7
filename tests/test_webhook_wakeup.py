"""An event committed by the bench is delivered at once by the in-process dispatcher, not at the next poll."""

from __future__ import annotations

import threading

from station.context import StationContext
from station.webhooks import admin
from station.webhooks.dispatcher import Dispatcher
from tests.factories import seed_rma
from tests.support.wait import wait_until
from tests.test_webhook_dispatch import Receiver

LONG_POLL_S = 30.0  # far longer than the wait below: only the wake-up can deliver in time


def test_a_committed_step_wakes_the_dispatcher(ctx: StationContext) -> None:
    receiver = Receiver()
    receiver.start()
    stop = threading.Event()
    try:
        with ctx.db.transaction() as session:
            receiver.secret = admin.create_endpoint(session, receiver.url).secret
        dispatcher = Dispatcher(ctx.db, timeout_s=5)
        ctx.work.on_event = dispatcher.notify
        thread = dispatcher.start_thread(stop, LONG_POLL_S)
        # the thread's first (empty) poll is done; it now idles for LONG_POLL_S
        assert wait_until(lambda: dispatcher.idle_waits >= 1)
        seed_rma(ctx)
        ctx.inspections.receive("TRKRMA-1001", "bench-01", None, "operator:test")
        assert wait_until(receiver.delivered_ids, 10)
        assert len(receiver.delivered_ids()) == 1, "the return.received event was not delivered"
    finally:
        stop.set()
        dispatcher.notify()
        receiver.stop()
    thread.join(timeout=LONG_POLL_S)
    assert not thread.is_alive()
