// Bench touchscreen behaviour: live devices over SSE, scans, keypad, idle lock, sounds, demo panel.
"use strict";
(function () {
  const body = document.body;
  const strings = JSON.parse((document.getElementById("i18n") || {}).textContent || "{}");
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  // ---- sounds (generated, no files): short high beep = good, low double buzz = wrong ----------
  let audio = null;
  function tone(freq, ms, type, at) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = type || "sine";
      osc.frequency.value = freq;
      gain.gain.value = 0.25;
      osc.connect(gain).connect(audio.destination);
      const start = audio.currentTime + (at || 0);
      osc.start(start);
      osc.stop(start + ms / 1000);
    } catch (e) { /* no audio device: colour and icon still tell */ }
  }
  const sounds = {
    good: () => tone(1046, 140, "sine"),
    bad: () => { tone(196, 260, "square"); tone(196, 260, "square", 0.33); },
    attention: () => { tone(784, 120, "triangle"); tone(988, 120, "triangle", 0.16); },
  };

  // ---- posting with the CSRF token ------------------------------------------------------------
  async function post(url, data) {
    const response = await fetch(url, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "X-Requested-With": "fetch", "Accept": "application/json" },
    });
    let json = {};
    try { json = await response.json(); } catch (e) { json = { ok: false, message: response.statusText }; }
    if (response.status === 401 || response.status === 423) { window.location.reload(); }
    return json;
  }

  function message(text, kind) {
    const box = $("#messages");
    if (!box) return;
    const div = document.createElement("div");
    div.className = "flash " + (kind || "error");
    div.setAttribute("role", "alert");
    div.textContent = text;
    box.replaceChildren(div);
  }

  // ---- the always-ready scan input ------------------------------------------------------------
  const scanInput = $("[data-scan-input]");
  function refocus() {
    if (!scanInput) return;
    const active = document.activeElement;
    const busy = active && active !== body && active !== scanInput &&
      (["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName) || active.closest("details[open], dialog"));
    if (!busy) scanInput.focus({ preventScroll: true });
  }
  if (scanInput) {
    scanInput.addEventListener("blur", () => setTimeout(refocus, 250));
    const next = scanInput.dataset.nextField;
    if (next) {
      scanInput.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter" || ev.key === "Tab") { ev.preventDefault(); $("#" + next).focus(); }
      });
    }
  }

  // ---- item scans: answered in place, big, coloured, with a sound -----------------------------
  function showVerdict(result) {
    const box = $("#verdict");
    if (!box) return;
    box.hidden = false;
    box.className = "verdict " + (result.result || (result.ok ? "match" : "mismatch"));
    $("#verdict-title").textContent = result.title || "";
    $("#verdict-message").textContent = result.message || "";
    box.dataset.scan = result.code || "";
    box.dataset.shownAt = String(performance.now());
  }
  function updateLines(lines) {
    (lines || []).forEach((line) => {
      const row = document.getElementById("line-" + line.line_id);
      if (!row) return;
      $(".found", row).textContent = String(line.found);
      row.classList.toggle("done", line.found === line.expected);
      $(".serials", row).textContent = (line.serials || []).join(", ");
    });
  }
  async function submitItem(form) {
    const data = new FormData(form);
    const serialFor = $("#serial-for");
    const result = await post(form.action, data);
    scanInput.value = "";
    if (serialFor) serialFor.value = "";
    $("#scan-source") && ($("#scan-source").value = "typed");
    if (result.result === "serial") {
      showVerdict({ result: "match", title: "✔", message: result.message }); sounds.good();
    } else if (result.result) {
      showVerdict(result);
      result.ok ? sounds.good() : sounds.bad();
      if (result.needs_serial && serialFor) {
        serialFor.value = result.scan_id;
        $("#verdict-message").textContent = result.message + " " + (strings.scan_serial || "");
        $("#verdict").className = "verdict serial";
        sounds.attention();
      }
      const list = $("#scans");
      if (list) {
        const li = document.createElement("li");
        li.textContent = result.title + ": " + result.code;
        list.prepend(li);
      }
    } else {
      showVerdict({ result: "mismatch", title: "✖", message: result.message }); sounds.bad();
    }
    updateLines(result.lines);
    refocus();
  }
  const scanForm = $("[data-scan-form]");
  if (scanForm && scanForm.dataset.fetch === "items") {
    scanForm.addEventListener("submit", (ev) => { ev.preventDefault(); submitItem(scanForm); });
  }
  function deliverScan(scan) {
    const echo = $("#scan-echo");
    if (echo) {  // the code shows at once; the verdict follows when the bench has recorded it
      echo.textContent = scan.raw;
      echo.dataset.shownAt = String(performance.now());
    }
    if (!scanForm || !scanInput) return false;
    scanInput.value = scan.raw;
    const source = $("#scan-source");
    if (source) source.value = scan.device || "scanner";
    const note = $("#last-scan");
    if (note) note.textContent = scan.raw;
    if (scanForm.dataset.fetch === "items") submitItem(scanForm);
    else scanForm.requestSubmit();
    return true;
  }

  // ---- live weight --------------------------------------------------------------------------
  const panel = $("#scale-panel");
  let scaleReady = true;
  function showReading(r) {
    if (!panel) return;
    const weight = $("#weight");
    const stable = $("#stable");
    const accept = $("#accept-weight");
    weight.textContent = r.weight_g === null ? "–" : r.weight_g + " g";
    const isStable = r.stable && r.weight_mg !== null && r.weight_mg > 0;
    stable.className = "stable " + (isStable ? "yes" : "no");
    stable.textContent = r.weight_mg === null ? strings.no_weight : (r.stable ? strings.stable : strings.unstable);
    stable.dataset.stableAt = isStable ? String(performance.now()) : "";
    if (accept) accept.disabled = !(isStable && scaleReady);
    const expected = Number(panel.dataset.expectedMg || 0);
    const allowance = Number(panel.dataset.allowanceMg || 0);
    const needle = $("#needle");
    if (needle && expected && r.weight_mg !== null) {
      // The band shows expected ± 2 × allowance; the green middle half is the tolerance.
      const span = Math.max(allowance * 4, 1);
      const pos = Math.min(100, Math.max(0, 50 + ((r.weight_mg - expected) / span) * 100));
      needle.style.left = pos + "%";
      needle.hidden = false;
      const within = Math.abs(r.weight_mg - expected) <= allowance;
      const verdict = $("#band-verdict");
      verdict.textContent = within ? strings.within : strings.outside;
      verdict.className = "tag " + (within ? "" : "flag");
    }
  }

  // ---- device states -------------------------------------------------------------------------
  function showState(s) {
    $$('[data-device="' + s.device + '"]').forEach((pill) => {
      pill.className = "pill " + s.state;

      const label = $(".dstate", pill);
      if (label) label.textContent = s.label;
    });
    const row = $('[data-device-row="' + s.device + '"] .dreason');
    if (row) row.textContent = s.state === "ready" ? "" : s.reason;
    if (s.device === "scale" && panel) {
      scaleReady = s.state === "ready";
      const accept = $("#accept-weight");
      if (!scaleReady) {
        if (accept) accept.disabled = true;
        $("#weight").textContent = "–";
        const stable = $("#stable");
        stable.className = "stable no";
        stable.textContent = strings.scale_down;
        const note = $("#scale-down-note");
        if (note) note.classList.add("flash", "warning");
        // No scale, no measurement: the band must not keep judging the last reading it had.
        const needle = $("#needle");
        if (needle) needle.hidden = true;
        const verdict = $("#band-verdict");
        if (verdict) { verdict.textContent = ""; verdict.className = "tag"; }
      }
    }
  }

  // ---- the event stream -----------------------------------------------------------------------
  if (body.dataset.eventsUrl) {
    const source = new EventSource(body.dataset.eventsUrl);
    source.addEventListener("state", (ev) => showState(JSON.parse(ev.data)));
    source.addEventListener("reading", (ev) => showReading(JSON.parse(ev.data)));
    source.addEventListener("scan", (ev) => {
      const scan = JSON.parse(ev.data);
      window.__lastScan = { raw: scan.raw, at: performance.now() };
      deliverScan(scan);
    });
    source.onerror = () => { if (source.readyState === EventSource.CLOSED) message(strings.network); };
  }

  // ---- PIN keypad -----------------------------------------------------------------------------
  $$("[data-keypad-for]").forEach((pad) => {
    const field = document.getElementById(pad.dataset.keypadFor);
    pad.addEventListener("click", (ev) => {
      const key = ev.target.closest("button");
      if (!key || !key.dataset.key || !field) return;
      if (key.dataset.key === "clear") field.value = "";
      else if (field.value.length < 8) field.value += key.dataset.key;
    });
  });

  // ---- idle lock ------------------------------------------------------------------------------
  const lockUrl = body.dataset.lockUrl;
  const idleMs = Number(body.dataset.idleLockS || 0) * 1000;
  if (lockUrl && idleMs > 0 && !window.location.pathname.startsWith("/auth/")) {
    let timer = null;
    const arm = () => { clearTimeout(timer); timer = setTimeout(() => { window.location.href = lockUrl; }, idleMs); };
    ["pointerdown", "keydown", "touchstart"].forEach((name) => document.addEventListener(name, arm, { passive: true }));
    arm();
  }

  // ---- after completion: back to idle ---------------------------------------------------------
  const back = $("[data-return-after]");
  if (back) setTimeout(() => { window.location.href = back.dataset.returnUrl; }, Number(back.dataset.returnAfter) * 1000);

  // ---- demo panel (simulated devices only) ----------------------------------------------------
  const simBase = "/bench/sim/";
  async function sim(kind, fields) {
    const data = new FormData();
    Object.entries(fields).forEach(([k, v]) => data.append(k, v));
    const result = await post(simBase + kind, data);
    if (!result.ok) message((strings.demo_failed || "") + " " + (result.message || ""));
    refocus();
  }
  $$("[data-sim]").forEach((button) => button.addEventListener("click", () => {
    const d = button.dataset;
    if (d.sim === "scan") sim("scan", { code: d.code });
    else if (d.sim === "scale") sim("scale", { grams: d.grams });
    else if (d.sim === "camera") sim("camera", { code: d.code, symbology: "qr" });
    else if (d.sim === "plug") sim("plug", { device: d.simDevice, action: d.action });
    else if (d.sim === "picture") sim("picture", { quality: d.quality });
  }));
  $$("[data-sim-form]").forEach((form) => form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const fields = Object.fromEntries(new FormData(form).entries());
    if (form.dataset.simForm === "camera") fields.symbology = "qr";
    sim(form.dataset.simForm, fields);
  }));

  refocus();
})();
