"""Hands-free reading in Chromium: a code held under the simulated camera until the screen shows its verdict.

Part of bench/bench_ui.py (same daemon, same items screen). Each trial holds one code in front of
the simulated camera (POST /bench/sim/camera: from the next frame on it is in view), waits for
``#verdict`` to show a new verdict, then takes the code away. The camera's reader does not
repeat a code seen within ``hold_s`` (2 s, drivers/scanner/camera_decode.py), so the same code
is held up again only after that. Latency = the POST's answer -> ``data-shown-at`` on the
page's clock (the code is drawn into frames from that answer on): the first look, the slow
reader on the candidate, the bus, the station's record and the pushed verdict. Goal: p95 <
300 ms (the bench-kit issue).
"""

from __future__ import annotations

import os
import time
from typing import Any

from bench.common import summary_ms

TRIALS = int(os.environ.get("BENCH_UI_CAMERA_TRIALS", "20"))
GOAL_P95_MS = 300.0
HOLD_S = 2.0  # drivers.scanner.camera_decode.DecoderConfig.hold_s

#: The page's next verdict: ``shown`` resolves to its ``data-shown-at`` (bench_ui's scans use it too).
NEXT_VERDICT_JS = """
  const box = document.getElementById("verdict");
  const before = box.dataset.shownAt || "";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const shown = new Promise((resolve, reject) => {
    const obs = new MutationObserver(() => {
      if (box.dataset.shownAt && box.dataset.shownAt !== before) {
        obs.disconnect(); resolve(Number(box.dataset.shownAt));
      }
    });
    obs.observe(box, {attributes: true, attributeFilter: ["data-shown-at"]});
    setTimeout(() => { obs.disconnect(); reject(new Error("no verdict within 5 s")); }, 5000);
  });
"""

CAMERA_JS = "async ([code, symbology]) => {" + NEXT_VERDICT_JS + """
  const hold = (form) => fetch("/bench/sim/camera", {method: "POST", body: form,
    credentials: "same-origin", headers: {"X-CSRFToken": csrf, "Accept": "application/json"}});
  const data = new FormData();
  data.append("code", code);
  data.append("symbology", symbology);
  const response = await hold(data);
  const held = performance.now();
  const answer = await response.json();
  if (!answer.ok) throw new Error("sim camera refused: " + answer.message);
  const shownAt = await shown;
  await hold(new FormData());  // take it away
  if (document.getElementById("moving-on")) {
    document.dispatchEvent(new PointerEvent("pointerdown", {bubbles: true}));
  }
  return {held, shownAt, scan: box.dataset.scan, verdict: box.className};
}
"""


def bench_camera(page: Any, codes: tuple[str, str]) -> dict[str, Any]:
    """``TRIALS`` codes held up in turn (EAN-13 digits); latency from held to verdict shown."""
    latencies: list[float] = []
    verdicts: dict[str, int] = {}
    last_held: dict[str, float] = {}
    for i in range(TRIALS):
        code = codes[i % 2]
        wait = last_held.get(code, 0.0) + HOLD_S + 0.2 - time.monotonic()
        if wait > 0:
            time.sleep(wait)  # the reader would not repeat the code yet (its hold, not a race)
        got = page.evaluate(CAMERA_JS, [code, "ean13"])
        last_held[code] = time.monotonic()
        latencies.append((got["shownAt"] - got["held"]) / 1000)
        verdicts[got["verdict"]] = verdicts.get(got["verdict"], 0) + 1
    summary = summary_ms(latencies)
    return {
        "trials": TRIALS, "codes": list(codes), "verdict_classes": verdicts,
        "held_to_verdict_shown": summary,
        "measured": "page clock: POST /bench/sim/camera answered (the code is in the next frames) "
                    "-> #verdict data-shown-at; the simulated camera streams 640x360",
        "goal_p95_ms": GOAL_P95_MS, "goal_met": summary["p95_ms"] < GOAL_P95_MS,
    }
