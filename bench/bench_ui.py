"""Bench UI in Chromium against a real `station run --demo`: scan to screen, weight to stable, RSS.

One daemon (``python -m station.cli run --demo`` in a temporary working dir, simulated devices)
and Debian's Chromium driven by Playwright (never a downloaded browser). An operator signs in
with the printed badge + PIN and opens the T-shirt demo parcel. All page timings use the page's
own clock (``performance.now()``), so no two clocks are compared:

1. Weight (weigh screen): ``PLACEMENTS`` placements alternating two weights via
   POST /bench/sim/scale; the endpoint places with settle_s = 0.6 s, so the simulator's settle
   instant is (placement + 0.6 s), and the placement happens between the POST being sent and
   its answer arriving. Latency = first ``#stable.yes`` (its data-stable-at) after an unstable
   reading minus that settle instant; given from the POST sent (upper bound) and from the answer
   (lower bound). Goal: p99 <= one sample period (the profile's poll interval) + 20 ms.
2. Scan to screen (items screen): ``SCANS`` scans alternating the parcel's item and the demo's
   wrong GTIN via POST /bench/sim/scan, which returns after the simulated serial scanner wrote
   the last byte. The last byte is written between the POST being sent and its answer arriving,
   so "answer -> #verdict data-shown-at" is a lower bound and "sent -> verdict" an upper bound
   of last byte -> DOM update. The verdict includes the page's item POST round trip (the scan
   arrives over SSE, the page posts it to /bench/i/<id>/item and shows the answer). Goal: p99
   <= 20 ms. Extra scans are recorded on the (throwaway) inspection.
3. Camera: codes held under the simulated camera until the verdict shows
   (bench/bench_ui_camera.py). Goal: p95 < 300 ms.
4. RSS: VmRSS of the daemon from /proc while the photos screen shows the MJPEG preview for
   ``RSS_SECONDS``; the simulated camera streams at most 640 px wide and takes its stills at
   devices.sim_camera_size (default 1280x720). A second daemon with
   STATION_DEVICES__SIM_CAMERA_SIZE=[1920, 1080] gives the 1080p-stills figure.
   Goal: < 200 MB.

Run: ``.venv/bin/python -m bench.bench_ui`` (also run by ``python -m bench.run_all``).
"""

from __future__ import annotations

import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.bench_ui_camera import NEXT_VERDICT_JS, bench_camera
from bench.common import summary_ms, write_result

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCANS = int(os.environ.get("BENCH_UI_SCANS", "200"))
WARMUP_SCANS = 10
PLACEMENTS = int(os.environ.get("BENCH_UI_PLACEMENTS", "30"))
RSS_SECONDS = float(os.environ.get("BENCH_UI_RSS_S", "20"))
SIM_SETTLE_S = 0.6  # what web/bench/sim.py passes to SimulatedScale.place
SCAN_GOAL_P99_MS = 20.0
WEIGHT_MARGIN_MS = 20.0
RSS_GOAL_MB = 200.0
WRONG_GTIN = "04012345000016"  # station.demo.WRONG_ITEM_GTIN: on no return
ROOT = Path(__file__).resolve().parent.parent
TOUCHES = ROOT / "test-output" / "touches.json"
START_TIMEOUT_S = 60.0

LAUNCHER = """
import sys
from station.cli import main
sys.exit(main(sys.argv[1:]))
"""

SCAN_JS = "async (code) => {" + NEXT_VERDICT_JS + """
  performance.clearResourceTimings();
  const data = new FormData();
  data.append("code", code);
  const sent = performance.now();
  const response = await fetch("/bench/sim/scan", {method: "POST", body: data,
    credentials: "same-origin", headers: {"X-CSRFToken": csrf, "Accept": "application/json"}});
  const returned = performance.now();
  const answer = await response.json();
  if (!answer.ok) throw new Error("sim scan refused: " + answer.message);
  const shownAt = await shown;
  // the parcel's last item starts the bench's "moving on" to the photos: the operator stays
  if (document.getElementById("moving-on")) {
    document.dispatchEvent(new PointerEvent("pointerdown", {bubbles: true}));
  }
  const scan = window.__lastScan || {};
  const posts = performance.getEntriesByType("resource").filter((e) => e.name.endsWith("/item"));
  const itemPost = posts.length ? posts[posts.length - 1] : null;
  return {itemPostMs: itemPost ? itemPost.responseEnd - itemPost.startTime : null,
          itemServerMs: itemPost ? itemPost.responseStart - itemPost.requestStart : null,
          sent, returned, sseAt: scan.at, sseRaw: scan.raw, shownAt,
          echoAt: Number(document.getElementById("scan-echo").dataset.shownAt || NaN),
          verdict: box.className, verdictScan: box.dataset.scan,
          title: document.getElementById("verdict-title").textContent};
}
"""

WEIGH_JS = """
async (grams) => {
  const el = document.getElementById("stable");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  let sawUnstable = false;
  const stable = new Promise((resolve, reject) => {
    const obs = new MutationObserver(() => {
      if (el.classList.contains("no")) sawUnstable = true;
      else if (sawUnstable && el.classList.contains("yes")) {
        obs.disconnect();
        resolve({stableAt: Number(el.dataset.stableAt),
                 weight: document.getElementById("weight").textContent});
      }
    });
    obs.observe(el, {attributes: true});
    setTimeout(() => { obs.disconnect(); reject(new Error("not stable within 5 s")); }, 5000);
  });
  const data = new FormData();
  data.append("grams", String(grams));
  const sent = performance.now();
  const response = await fetch("/bench/sim/scale", {method: "POST", body: data,
    credentials: "same-origin", headers: {"X-CSRFToken": csrf, "Accept": "application/json"}});
  const returned = performance.now();
  const answer = await response.json();
  if (!answer.ok) throw new Error("sim scale refused: " + answer.message);
  return {sent, returned, ...(await stable)};
}
"""


@dataclass
class Daemon:
    """A running `station run --demo` child and what it printed."""

    process: subprocess.Popen[bytes]
    url: str
    badge: str
    pin: str
    labels: list[str]
    log: Path

    def rss_kb(self) -> dict[str, int]:
        """VmRSS / VmHWM of the daemon process in kB, from /proc."""
        fields: dict[str, int] = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
        return fields

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_daemon(workdir: Path, camera_size: str = "") -> Daemon:
    """`station db upgrade`, then `station run --demo` on a free port; wait for its URL."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "STATION_WEB__IDLE_LOCK_S": "86400",
           "PYTHONPATH": str(ROOT)}
    env.pop("STATION_CONFIG", None)
    if camera_size:  # devices.sim_camera_size, e.g. "1920x1080" -> [1920, 1080]
        width, height = camera_size.split("x")
        env["STATION_DEVICES__SIM_CAMERA_SIZE"] = f"[{int(width)}, {int(height)}]"
    base = [sys.executable, "-c", LAUNCHER]
    subprocess.run([*base, "db", "upgrade"], cwd=workdir, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    log = workdir / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen([*base, "run", "--demo", "--port", str(free_port())],
                                   cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT_S
    text = ""
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if (found := re.search(r"simulated devices: open (\S+)", text)) is not None:
            credentials = re.search(r"badge (\S+)\s+PIN (\d+)", text)
            assert credentials is not None, text
            labels = re.findall(r"\(label (\S+)\)", text)
            return Daemon(process, found.group(1), credentials.group(1), credentials.group(2),
                          labels, log)
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"station run did not start:\n{text[-2000:]}")


def wait_for_chromium(timeout_s: float = 600.0) -> None:
    """Debian's Chromium may still be being installed by apt: wait for it."""
    deadline = time.monotonic() + timeout_s
    while not os.access(CHROMIUM, os.X_OK):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{CHROMIUM} is not there")
        time.sleep(5)


def sign_in_and_open(page: Any, daemon: Daemon, label: str) -> None:
    """Badge + PIN sign-in, scan the return label, go to the weigh screen."""
    page.goto(daemon.url)
    page.fill("#badge", daemon.badge)
    page.fill("#pin", daemon.pin)
    page.click("button.primary")
    page.wait_for_url("**/bench/")
    page.fill("#code", label)
    page.keyboard.press("Enter")
    page.wait_for_url("**/parcel")
    page.click("text=Weigh the parcel")
    page.wait_for_url("**/weigh")
    page.wait_for_selector("#stable")
    time.sleep(1.0)  # the page's EventSource connects


def expected_grams(page: Any) -> float:
    """The 'as expected' weight the demo panel offers for this parcel."""
    return float(page.locator("[data-sim=scale]").first.get_attribute("data-grams"))


def accept_weight(page: Any, grams: float) -> None:
    page.evaluate(WEIGH_JS, grams)
    page.wait_for_selector("#accept-weight:not([disabled])", timeout=10_000)
    page.click("#accept-weight")
    page.wait_for_url("**/items")
    time.sleep(1.0)  # the page's EventSource connects


def bench_weight(page: Any) -> dict[str, Any]:
    """Placements alternating two weights: settle instant -> #stable.yes in the page."""
    target = expected_grams(page)
    period_s = poll_interval_s()
    jitter = random.Random(5)
    upper, lower, weights = [], [], []
    for i in range(PLACEMENTS):
        # a placement right after a stable reading would always land at the same poll phase
        time.sleep(jitter.uniform(0.0, period_s))
        grams = target if i % 2 else target + 600.0
        got = page.evaluate(WEIGH_JS, grams)
        upper.append((got["stableAt"] - got["sent"] - SIM_SETTLE_S * 1000) / 1000)
        lower.append((got["stableAt"] - got["returned"] - SIM_SETTLE_S * 1000) / 1000)
        weights.append(got["weight"])
    accept_weight(page, target)
    return {"upper": upper, "lower": lower, "weights_shown": weights[:4]}


def item_code(page: Any) -> str:
    """The parcel's own item code offered by the demo panel (not the wrong one)."""
    codes = [c for c in page.locator("[data-sim=scan]").evaluate_all(
        "els => els.map(e => e.dataset.code)") if c != WRONG_GTIN]
    if not codes:
        raise RuntimeError("the demo panel offers no item code")
    return str(codes[0])


def ean13(code: str) -> str:
    """The EAN-13 a GTIN-14 with a leading 0 is printed as (what the camera is shown)."""
    return code[1:] if code.isdigit() and len(code) == 14 and code.startswith("0") else code


def with_aim_id(code: str) -> str:
    """A plain EAN-13 (or 0-padded GTIN-14) as a scanner sending AIM ids transmits it (]E0)."""
    if code.isdigit() and len(code) == 14 and code.startswith("0"):
        return "]E0" + code[1:]
    if code.isdigit() and len(code) == 13:
        return "]E0" + code
    return code


def bench_scans(page: Any) -> dict[str, Any]:
    """Scans alternating the right item and the wrong GTIN through the simulated serial scanner."""
    panel_code = item_code(page)
    plain = page.evaluate(SCAN_JS, panel_code)  # the code exactly as the demo panel sends it
    right = with_aim_id(panel_code)
    rows: list[dict[str, Any]] = []
    for i in range(WARMUP_SCANS + SCANS):
        code = right if i % 2 == 0 else WRONG_GTIN
        got = page.evaluate(SCAN_JS, code)
        if got["sseRaw"] != code or got["verdictScan"] != code:
            raise RuntimeError(f"scan {i}: sent {code!r}, page saw {got['sseRaw']!r} / "
                               f"verdict for {got['verdictScan']!r}")
        if i >= WARMUP_SCANS:
            rows.append(got)
    verdicts: dict[str, int] = {}
    for row in rows:
        key = f"{row['verdict']} ({row['title']})"
        verdicts[key] = verdicts.get(key, 0) + 1

    def series(start: str, end: str) -> list[float]:
        return [(row[end] - row[start]) / 1000 for row in rows]

    return {
        "right_code_sent": right,
        "panel_code_probe": {"code": panel_code, "verdict": f"{plain['verdict']} ({plain['title']})"},
        "verdict_classes": verdicts,
        "a_sim_answer_to_sse_arrival": summary_ms(series("returned", "sseAt")),
        "a_sim_sent_to_sse_arrival": summary_ms(series("sent", "sseAt")),
        "b_sse_arrival_to_verdict": summary_ms(series("sseAt", "shownAt")),
        "echo_sim_answer_to_code_shown": summary_ms(series("returned", "echoAt")),
        "echo_sim_sent_to_code_shown": summary_ms(series("sent", "echoAt")),
        "c_sim_answer_to_verdict": summary_ms(series("returned", "shownAt")),
        "c_sim_sent_to_verdict": summary_ms(series("sent", "shownAt")),
        "sim_post_round_trip": summary_ms(series("sent", "returned")),
        # the station decides the scans itself: the page should have posted none of them
        "page_item_posts": sum(1 for row in rows if row["itemPostMs"] is not None),
    }


def bench_rss(page: Any, daemon: Daemon) -> dict[str, Any]:
    """Open the photos screen (MJPEG preview) and sample the daemon's RSS for RSS_SECONDS."""
    before = daemon.rss_kb()
    page.click("text=All items scanned")
    page.wait_for_url("**/photos")
    page.wait_for_function(
        "document.getElementById('preview') && document.getElementById('preview').naturalWidth > 0",
        timeout=15_000)
    preview_px = page.evaluate(
        "[document.getElementById('preview').naturalWidth, "
        "document.getElementById('preview').naturalHeight]")
    samples: list[int] = []
    end = time.monotonic() + RSS_SECONDS
    while time.monotonic() < end:
        samples.append(daemon.rss_kb()["VmRSS"])
        time.sleep(1.0)
    after = daemon.rss_kb()
    return {
        "preview_frame_px": preview_px,
        "rss_before_preview_mb": round(before["VmRSS"] / 1024, 1),
        "rss_with_preview_max_mb": round(max(samples) / 1024, 1),
        "rss_with_preview_last_mb": round(samples[-1] / 1024, 1),
        "rss_peak_hwm_mb": round(after["VmHWM"] / 1024, 1),
        "samples": len(samples),
        "seconds": RSS_SECONDS,
        "goal_mb": RSS_GOAL_MB,
        "goal_met": max(samples) / 1024 < RSS_GOAL_MB,
    }


def poll_interval_s(profile_name: str = "generic-mt-sics") -> float:
    from drivers.scale.profile import find_scale_profile, load_scale_profile

    return load_scale_profile(find_scale_profile(profile_name)).poll_interval_s


def run_daemon(camera_size: str, measure_latency: bool) -> dict[str, Any]:
    """One daemon + one Chromium: the latency benches (if asked) and the RSS with the preview."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        workdir = Path(tmp)
        daemon = start_daemon(workdir, camera_size)
        try:
            # the T-shirt return (2 items, GTIN, no serial): scans need no serial prompts
            label = daemon.labels[1] if len(daemon.labels) > 1 else daemon.labels[0]
            with sync_playwright() as pw:
                context = pw.chromium.launch_persistent_context(
                    str(workdir / "chromium-profile"), executable_path=CHROMIUM, headless=True,
                    args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 800})
                try:
                    page = context.new_page()
                    sign_in_and_open(page, daemon, label)
                    result: dict[str, Any] = {}
                    if measure_latency:
                        result["weight"] = bench_weight(page)
                        result["scan"] = bench_scans(page)
                        result["camera"] = bench_camera(page, (ean13(item_code(page)),
                                                               ean13(WRONG_GTIN)))
                    else:
                        accept_weight(page, expected_grams(page))
                    result["rss"] = bench_rss(page, daemon)
                    return result
                finally:
                    context.close()
        finally:
            daemon.stop()


def touch_counts() -> dict[str, Any]:
    """The touches per parcel that tests/e2e/test_touches.py counted in Chromium (its last run)."""
    if not TOUCHES.exists():
        return {"missing": f"{TOUCHES} not written yet: run `make test` (tests/e2e/test_touches.py)"}
    counted: dict[str, Any] = json.loads(TOUCHES.read_text())
    return {"counted_by": "tests/e2e/test_touches.py (Debian Chromium, touch enabled; scans, "
                          "captures and the PIN not counted)",
            "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(TOUCHES.stat().st_mtime)),
            "parcels": counted}


def main() -> dict[str, Any]:
    """Both daemons, then print and write bench/results/ui.json."""
    wait_for_chromium()
    period_s = poll_interval_s()
    default = run_daemon("", measure_latency=True)
    full_hd = run_daemon("1920x1080", measure_latency=False)
    weight, scan = default["weight"], default["scan"]
    weight_upper, weight_lower = summary_ms(weight["upper"]), summary_ms(weight["lower"])
    weight_goal_ms = period_s * 1000 + WEIGHT_MARGIN_MS
    scan_lower, scan_upper = scan["c_sim_answer_to_verdict"], scan["c_sim_sent_to_verdict"]
    result = {
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
        "cpus": os.cpu_count(),
        "what": "bench UI in headless Debian Chromium against station run --demo (simulated devices)",
        "scan_to_screen": {
            **scan,
            "scans": SCANS,
            "measured": "page clock; the simulator writes the last byte between the sim POST being "
                        "sent and its answer: last byte -> #verdict data-shown-at lies between "
                        "c_sim_answer_to_verdict and c_sim_sent_to_verdict; the station records "
                        "the scan itself and pushes the verdict over the live stream (no page "
                        "POST, web/bench/item_scans.py); paint not included",
            "goal_p99_ms": SCAN_GOAL_P99_MS,
            "goal_met_upper_bound": scan_upper["p99_ms"] <= SCAN_GOAL_P99_MS,
            "goal_met_lower_bound": scan_lower["p99_ms"] <= SCAN_GOAL_P99_MS,
        },
        "weight_settle_to_stable": {
            "placements": PLACEMENTS,
            "profile": "generic-mt-sics (poll mode, SI every poll_interval_s; stable from the "
                       "scale's own flag: use_device_flag, so 1 stable sample suffices)",
            "sample_period_ms": round(period_s * 1000, 1),
            "stable_samples_needed": 1,
            "sim_settle_s": SIM_SETTLE_S,
            "from_sim_post_sent_upper_bound": weight_upper,
            "from_sim_post_answer_lower_bound": weight_lower,
            "weights_shown": weight["weights_shown"],
            "goal_p99_ms": weight_goal_ms,
            "goal_met": weight_upper["p99_ms"] <= weight_goal_ms,
        },
        "camera_code_to_screen": default["camera"],
        "touches": touch_counts(),
        "daemon_rss_640x480_default": {**default["rss"], "camera_px": "640x480 (default)"},
        "daemon_rss_1920x1080": {**full_hd["rss"],
                                 "camera_px": "1920x1080 (devices.sim_camera_size)"},
    }
    return write_result("ui", result)


if __name__ == "__main__":
    main()
