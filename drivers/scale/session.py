"""A running scale: polling or continuous loop in a thread, publishing readings and state."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from drivers.scale.profile import ScaleProfile
from drivers.scale.protocols import BoundProtocol, bind
from drivers.scale.reading import ProtocolError, Reading, ScaleStatus
from drivers.scale.stability import StabilityFilter
from drivers.scale.transport import FrameReader, Link, open_link
from drivers.state import DeviceState, DeviceStatus

log = logging.getLogger(__name__)

#: Scale conditions that need a technician, reported as device errors (overload, underload and
#: busy are ordinary readings: the operator fixes them by moving the parcel).
SERVICE_STATUSES = {ScaleStatus.FAULT, ScaleStatus.NEEDS_CALIBRATION, ScaleStatus.NEEDS_REZERO}

ReadingCallback = Callable[[Reading], None]
StatusCallback = Callable[[DeviceStatus], None]


class ScaleSession:
    """Talks to one scale in its own thread; never raises into the caller's thread."""

    def __init__(
        self,
        profile: ScaleProfile,
        url: str,
        *,
        name: str = "scale",
        on_reading: ReadingCallback | None = None,
        on_status: StatusCallback | None = None,
        retry_s: float = 1.0,
    ) -> None:
        self.profile = profile
        self.url = url
        self.name = name
        self.protocol: BoundProtocol = bind(profile)
        self._on_reading = on_reading
        self._on_status = on_status
        self.retry_s = retry_s
        self.status = DeviceStatus(name, DeviceState.DISCONNECTED, "not started")
        self.last_reading: Reading | None = None
        #: The newest stable reading with a weight, and its time.monotonic() instant.
        self.last_stable: tuple[Reading, float] | None = None
        self.bad_frames = 0
        self._stability = StabilityFilter(profile.stability)
        self._requests: list[str] = []
        self._lock = threading.Lock()
        self._life = threading.Lock()  # start / close / thread exit, so one reader at most
        self._reopen = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._garbage_bytes_seen = 0
        self._bad_in_row = 0
        self._last_data_s = 0.0
        self._last_problem = ""

    # -- caller side -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the thread (no-op when running); never a second reader on the port.

        When an earlier ``close`` gave up waiting (the thread was stuck in a blocking open or
        read), that same thread is told to go on and to reopen the port, instead of starting
        another reader next to it.
        """
        with self._life:
            thread = self._thread
            if thread is not None and thread.is_alive():
                if self._stop.is_set():
                    self._stop.clear()
                    self._reopen.set()
                return
            self._stop.clear()
            self._reopen.clear()
            self._thread = threading.Thread(
                target=self._run, name=f"scale-{self.name}", daemon=True
            )
            self._thread.start()

    def close(self, timeout_s: float = 3.0) -> bool:
        """Stop the thread and release the port; True when it ended within ``timeout_s``.

        A thread still blocked after the timeout ends on its own when the call returns (it
        reads nothing more); a later ``start`` reuses it rather than adding a second reader.
        """
        self._stop.set()
        with self._life:
            thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout_s)
        if thread.is_alive():
            log.warning("scale %s: reader did not stop within %.1f s", self.name, timeout_s)
            return False
        return True

    @property
    def readers(self) -> int:
        """Reader threads running for this scale: 0 or 1."""
        with self._life:
            return int(self._thread is not None and self._thread.is_alive())

    def restart(self, url: str | None = None) -> None:
        """Close and start again, optionally on a new port (after the device came back)."""
        self.close()
        if url is not None:
            self.url = url
        self.start()

    def request(self, kind: str) -> bool:
        """Queue ``zero``/``tare``/``clear_tare``; False if this scale cannot do it."""
        if not self.protocol.supports(kind):
            return False
        with self._lock:
            self._requests.append(kind)
        return True

    def zero(self) -> bool:
        """Ask the scale to zero."""
        return self.request("zero")

    def tare(self) -> bool:
        """Ask the scale to tare."""
        return self.request("tare")

    def clear_tare(self) -> bool:
        """Ask the scale to clear its tare."""
        return self.request("clear_tare")

    def __enter__(self) -> ScaleSession:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- thread side -------------------------------------------------------------------------
    def _publish_status(self, state: DeviceState, reason: str = "") -> None:
        if self.status.state == state and self.status.reason == reason:
            return
        self.status = DeviceStatus(self.name, state, reason)
        if state is DeviceState.ERROR:
            log.warning("scale %s: %s", self.name, reason)
        if self._on_status is not None:
            try:
                self._on_status(self.status)
            except Exception:
                log.exception("scale %s: on_status callback failed", self.name)

    def _publish_reading(self, reading: Reading) -> None:
        self.last_reading = reading
        if reading.stable and reading.weight_mg is not None:
            self.last_stable = (reading, time.monotonic())
        if self._on_reading is not None:
            try:
                self._on_reading(reading)
            except Exception:
                log.exception("scale %s: on_reading callback failed", self.name)

    def _run(self) -> None:
        while True:
            self._serve()
            with self._life:
                if not self._stop.is_set():
                    continue  # started again while this thread was stopping: go on reading
                self._thread = None
                return

    def _serve(self) -> None:
        link: Link | None = None
        try:
            while not self._stop.is_set():
                if link is not None and self._reopen.is_set():
                    link.close()  # restarted, maybe on a new port: open it afresh
                    link = None
                if link is None:
                    self._reopen.clear()
                    if self.status.state is not DeviceState.ERROR:  # no flapping on retries
                        self._publish_status(DeviceState.CONNECTING, f"opening {self.url}")
                    try:
                        link = open_link(self.profile, self.url)
                    except OSError as exc:
                        self._publish_status(DeviceState.ERROR, str(exc))
                        self._stop.wait(self.retry_s)
                        continue
                    reader = FrameReader(link, self.protocol.framing)
                    self._reset_counters()
                try:
                    self._cycle(reader)
                except OSError as exc:
                    self._publish_status(DeviceState.ERROR, f"scale disconnected: {exc}")
                    link.close()
                    link = None
                    self._stop.wait(self.retry_s)
                except Exception as exc:  # a bug must not kill the bench: report and go on
                    log.exception("scale %s: unexpected error", self.name)
                    self._publish_status(DeviceState.ERROR, f"internal error: {exc!r}")
                    self._stop.wait(self.retry_s)
        finally:
            if link is not None:
                link.close()
            self._publish_status(DeviceState.DISCONNECTED, "closed")

    def _reset_counters(self) -> None:
        self._garbage_bytes_seen = 0
        self._bad_in_row = 0
        self._last_data_s = time.monotonic()
        self._stability.reset()

    def _pop_requests(self) -> list[str]:
        with self._lock:
            requests, self._requests = self._requests, []
        return requests

    def _cycle(self, reader: FrameReader) -> None:
        started = time.monotonic()
        for kind in self._pop_requests():
            reader.link.write(self.protocol.command(kind))
            if not self.protocol.continuous:
                self._take(reader, reader.read_frame(self.profile.reply_timeout_s))
        if self.protocol.continuous:
            self._take(reader, reader.read_frame(min(0.1, self.profile.silence_s / 4)))
            return
        reader.discard()
        reader.link.write(self.protocol.command("weigh"))
        self._take(reader, reader.read_frame(self.profile.reply_timeout_s))
        rest = self.profile.poll_interval_s - (time.monotonic() - started)
        if rest > 0:
            self._stop.wait(rest)

    def _take(self, reader: FrameReader, frame: bytes | None) -> None:
        now = time.monotonic()
        dropped = reader.garbage_bytes - self._garbage_bytes_seen
        if dropped:
            self._garbage_bytes_seen = reader.garbage_bytes
            self._last_data_s = now
            self._bad(f"{dropped} bytes without a frame")
        if frame is None:
            silent_s = now - self._last_data_s
            if silent_s > self.profile.silence_s:
                self._publish_status(DeviceState.ERROR, f"no data from scale for {silent_s:.1f} s")
            return
        self._last_data_s = now
        try:
            reading = self.protocol.parse(frame)
        except ProtocolError as exc:
            self._bad(str(exc))
            return
        self._bad_in_row = 0
        if reading.status in SERVICE_STATUSES:
            self._publish_status(
                DeviceState.ERROR, f"scale reports {reading.detail or reading.status}"
            )
        else:
            self._publish_status(DeviceState.READY)
        if reading.status is ScaleStatus.ACKNOWLEDGED:
            return
        self._publish_reading(self._stability.apply(reading, now))

    def _bad(self, problem: str) -> None:
        self.bad_frames += 1
        self._bad_in_row += 1
        self._last_problem = problem
        if self._bad_in_row >= self.profile.garbage_frames:
            self._publish_status(
                DeviceState.ERROR, f"unreadable data from scale (wrong baud rate?): {problem}"
            )
