"""Debian's Chromium plays a case's unboxing video chunks one after another on the review page."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask

from station.context import StationContext
from tests.support.bench import SUPERVISOR
from tests.test_video_web import app, recorded_case, station

__all__ = ["app", "station"]  # fixtures: a station with a recorded case, its web app


def test_debians_chromium_plays_the_chunks_one_after_another(
        app: Flask, station: StationContext, tmp_path: Path, chromium: object) -> None:
    import waitress.server
    from playwright.sync_api import Browser

    assert isinstance(chromium, Browser)
    inspection_id, chunk_ids = recorded_case(station, tmp_path)
    server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=4)
    port = server.socket.getsockname()[1]
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    try:
        context = chromium.new_context()
        try:
            page = context.new_page()
            base = f"http://127.0.0.1:{port}"
            page.goto(f"{base}/auth/password")
            page.fill("#username", SUPERVISOR.username)
            page.fill("#password", SUPERVISOR.password or "")
            page.locator("form[action$='/auth/password'] button.primary").click()
            page.wait_for_url(lambda url: "/auth/" not in url)
            page.goto(f"{base}/review/inspections/{inspection_id}")
            video = page.locator("#unboxing-video")
            video.evaluate("v => { v.muted = true; return v.play(); }")
            # decoded and playing: time advances, no media error
            page.wait_for_function("() => { const v = document.getElementById('unboxing-video');"
                                   " return v.currentTime > 0 && !v.error; }", timeout=10_000)
            assert video.evaluate("v => v.videoWidth") == 320
            # at the end of the first chunk the second one is loaded and plays
            page.wait_for_function(
                f"() => document.getElementById('unboxing-video').src.endsWith('{chunk_ids[1]}')",
                timeout=10_000)
            page.wait_for_function("() => { const v = document.getElementById('unboxing-video');"
                                   " return v.currentTime > 0 && !v.error; }", timeout=10_000)
        finally:
            context.close()
    finally:
        server.close()
