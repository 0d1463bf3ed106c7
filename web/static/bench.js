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

  let armIdle = () => {};  // the idle lock's timer, re-armed by work the page sees (set below)
  // A page on its way out leaves scans alone: the next page's stream replays them (unclaimed).
  let leaving = false;
  window.addEventListener("beforeunload", () => { leaving = true; });
  window.addEventListener("pageshow", () => { leaving = false; });

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

  // ---- moving on by itself: a step whose condition is met advances after a visible pause ------
  // Any touch while the bar shows cancels it (the operator stays on the screen); body[data-moving]
  // tells tests and the screen reader that the bench is about to move.
  const MOVE_MS = 1500;
  let moving = null;
  function moveOn(why, action, kind) {
    if (moving) return;
    const bar = document.createElement("div");
    bar.className = "moving-on";
    bar.id = "moving-on";
    bar.setAttribute("role", "status");
    const text = document.createElement("strong");
    text.textContent = (why ? why + " " : "") + (strings.moving_on || "");
    const hint = document.createElement("span");
    hint.textContent = strings.touch_to_stay || "";
    const progress = document.createElement("span");
    progress.className = "progress";
    bar.append(text, hint, progress);
    body.append(bar);
    body.dataset.moving = "1";
    requestAnimationFrame(() => requestAnimationFrame(() => progress.classList.add("run")));
    const stop = () => {
      clearTimeout(timer);
      document.removeEventListener("pointerdown", cancel, true);
      bar.remove();
      delete body.dataset.moving;
      moving = null;
    };
    const cancel = () => { stop(); body.dataset.movedOn = "stayed"; message(strings.stayed || "", "info"); };
    const timer = setTimeout(() => { stop(); body.dataset.movedOn = "going"; action(); }, MOVE_MS);
    document.addEventListener("pointerdown", cancel, true);
    moving = { stop, kind: kind || "" };
  }
  function go(next) {
    if (!next) return;
    if ((next.method || "get") === "post") {
      const form = document.createElement("form");
      form.method = "post";
      form.action = next.url;
      const token = document.createElement("input");
      token.type = "hidden"; token.name = "csrf_token"; token.value = csrf;
      form.append(token);
      body.append(form);
      form.submit();
    } else {
      window.location.href = next.url;
    }
  }

  // ---- scans on screens without their own field: acted on or answered, never lost ------------
  // The newest scan this tab acted on: the next page's stream replays any later one nobody took.
  function acted(seq) {
    if (!seq) return;
    try {
      if (seq > Number(sessionStorage.getItem("scanSeq") || 0)) sessionStorage.setItem("scanSeq", String(seq));
    } catch (e) { /* no storage: the page's own drawn-at number is used */ }
  }
  async function scanAnywhere(raw, source, seq) {
    const data = new FormData();
    data.append("code", raw);
    data.append("source", source || "scanner");
    if (seq) data.append("seq", String(seq));
    const result = await post("/bench/scan", data);
    acted(seq);
    if (result.taken) return;  // another screen acted on this scan already
    message(result.message || "", result.ok ? "success" : "error");
    (sounds[result.sound] || (result.ok ? sounds.good : sounds.bad))();
    if (result.redirect) { leaving = true; window.location.href = result.redirect; }
  }
  // A keyboard-wedge scanner types fast and ends with Enter; on a screen where no field has the
  // focus those keys would go nowhere, so they are collected here.
  let wedge = "";
  let wedgeAt = 0;
  document.addEventListener("keydown", (ev) => {
    const active = document.activeElement;
    if (active && ["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName)) return;
    const now = performance.now();
    if (now - wedgeAt > 100) wedge = "";
    wedgeAt = now;
    if (ev.key === "Enter") {
      if (wedge.length >= 3) { ev.preventDefault(); scanAnywhere(wedge, "wedge"); }
      wedge = "";
    } else if (ev.key.length === 1) {
      wedge += ev.key;
    }
  });

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
  async function submitItem(form, seq) {
    const data = new FormData(form);
    if (seq) data.append("seq", String(seq));
    const result = await post(form.action, data);
    acted(seq);
    scanInput.value = "";
    $("#scan-source") && ($("#scan-source").value = "typed");
    if (!result.taken) showItemResult(result);
  }
  // What the station said of an item: the answer to the page's POST, or the verdict it pushed
  // down the event stream for a scan it recorded itself (web/bench/item_scans.py).
  function showItemResult(result) {
    const serialFor = $("#serial-for");
    if (serialFor) serialFor.value = "";
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
        li.textContent = result.title + ": " + (result.readable || result.code);
        list.prepend(li);
      }
    } else {
      showVerdict({ result: "mismatch", title: "✖", message: result.message }); sounds.bad();
    }
    updateLines(result.lines);
    const rows = $$("table.lines tr[id^=line-]");
    const serialPending = serialFor && serialFor.value;
    if (result.ok && !serialPending && rows.length && rows.every((row) => row.classList.contains("done"))) {
      const done = $("form[action$='/items/done']");
      if (done) moveOn(strings.all_items, () => done.requestSubmit());
    }
    refocus();
  }
  const scanForm = $("[data-scan-form]");
  if (scanForm && scanForm.dataset.fetch === "items") {
    scanForm.addEventListener("submit", (ev) => { ev.preventDefault(); submitItem(scanForm); });
  } else if (scanForm && scanInput) {
    scanForm.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const raw = scanInput.value;
      scanInput.value = "";
      if (raw.trim()) scanAnywhere(raw, "typed");
    });
  }
  let scanQueue = Promise.resolve();
  function deliverScan(scan) {
    const echo = $("#scan-echo");
    if (echo) {  // the code shows at once; the verdict follows when the bench has recorded it
      echo.textContent = scan.readable || scan.raw;
      echo.dataset.shownAt = String(performance.now());
    }
    if (!scanForm || !scanInput || scanForm.dataset.fetch !== "items") {
      // one at a time: a scan that follows one sending the bench elsewhere is left to that screen
      scanQueue = scanQueue.then(() => (leaving ? null : scanAnywhere(scan.raw, scan.device || "scanner", scan.seq)))
        .catch(() => null);  // a failed POST does not stop the next scan
      return true;
    }
    scanInput.value = scan.raw;
    const source = $("#scan-source");
    if (source) source.value = scan.device || "scanner";
    const note = $("#last-scan");
    if (note) note.textContent = scan.raw;
    submitItem(scanForm, scan.seq);
    return true;
  }

  // ---- photo captures answered in place (no page load) -----------------------------------------
  function markTaken(angle, result) {
    const row = $('.angle[data-angle="' + angle + '"]');
    if (!row) return;
    row.classList.add("taken");
    $$(".doubt", row).forEach((el) => el.remove());
    let img = $("img.thumb", row);
    if (!img) {
      img = document.createElement("img");
      img.className = "thumb";
      $(".name", row).after(img);
    }
    img.src = result.thumb;
    img.alt = $(".name", row).textContent;
    img.title = "SHA-256 " + result.sha256;
    const button = $("form button", row);
    if (button) { button.textContent = strings.retake || button.textContent; button.classList.remove("primary"); }
  }
  function showDoubt(form, result) {
    const row = form.closest(".angle");
    $$(".doubt", row).forEach((el) => el.remove());
    const box = document.createElement("div");
    box.className = "doubt flash warning";
    box.setAttribute("role", "alert");
    box.textContent = (result.problems || []).join(" ") + " " + (strings.retake_or_keep || "");
    const keep = document.createElement("button");
    keep.type = "button";
    keep.textContent = strings.keep_anyway || "Keep";
    keep.addEventListener("click", () => capture(form, true));
    box.append(keep);
    row.append(box);
    sounds.attention();
  }
  async function capture(form, keepIt) {
    const data = new FormData(form);
    if (keepIt) data.append("keep", "1");
    $$("button", form).forEach((b) => { b.disabled = true; });
    const result = await post(form.action, data);
    $$("button", form).forEach((b) => { b.disabled = false; });
    if (result.pending) { showDoubt(form, result); return; }
    if (!result.ok) { message(result.message || "", "error"); sounds.bad(); return; }
    sounds.good();
    markTaken(result.angle, result);
    const done = $("#photos-done");
    if (done) done.disabled = (result.missing || []).length > 0;
    if (result.next) moveOn(strings.photos_ok, () => go(result.next));
  }
  $$(".angles form").forEach((form) => form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    capture(form, Boolean(ev.submitter && ev.submitter.name === "keep"));
  }));

  // ---- a unit's answers: nothing pre-filled, changes shown, moves on once all are answered ----
  const answers = $("form[data-answers]");
  if (answers) {
    const defects = $("#defects[data-hidden-until]");
    const showDefects = () => {
      if (defects) defects.hidden = !$("#" + defects.dataset.hiddenUntil).checked;
    };
    const groups = () => $$(".choice[role=radiogroup]", answers).filter((g) => !g.closest("[hidden]"));
    const value = (group) => { const c = $("input:checked", group); return c ? c.value : null; };
    const before = new Map(groups().map((g) => [g, value(g)]));
    const complete = () => groups().every((g) => !$("input[required]", g) || value(g) !== null);
    answers.addEventListener("change", (ev) => {
      const group = ev.target.closest(".choice[role=radiogroup]");
      showDefects();
      if (group) {
        const old = before.get(group);
        const now = value(group);
        if (old !== null && old !== undefined && old !== now) {
          group.classList.add("changed");
          const question = document.getElementById(group.getAttribute("aria-labelledby"));
          const label = (v) => { const l = $('label[for="' + $('input[value="' + v + '"]', group).id + '"]', group); return l ? l.textContent : v; };
          message((strings.answer_changed || "") + " " + (question ? question.textContent.trim() : "") + ": " + label(old) + " → " + label(now), "warning");
          sounds.attention();
        }
        before.set(group, now);
      }
      if (complete()) moveOn(strings.answers_ok, () => answers.requestSubmit());
      else if (moving) moving.stop();
    });
    const looksNew = $("[data-looks-new]");
    if (looksNew) looksNew.addEventListener("click", () => {
      [["packaging_intact", "yes"], ["signs_of_use", "no"], ["has_defects", "no"]].forEach(([name, v]) => {
        const input = document.getElementById(name + "-" + v);
        if (input && !input.checked) { input.checked = true; input.dispatchEvent(new Event("change", { bubbles: true })); }
      });
    });
    showDefects();
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
    if (expected && r.weight_mg !== null) {
      const within = Math.abs(r.weight_mg - expected) <= allowance;
      if (needle) {
        // The band shows expected ± 2 × allowance; the green middle half is the tolerance.
        const span = Math.max(allowance * 4, 1);
        needle.style.left = Math.min(100, Math.max(0, 50 + ((r.weight_mg - expected) / span) * 100)) + "%";
        needle.hidden = false;
      }
      const verdict = $("#band-verdict");
      if (verdict) {
        verdict.textContent = within ? strings.within : strings.outside;
        verdict.className = "tag " + (within ? "" : "flag");
      }
      // A weight that was already on the scale when the screen opened may be the last parcel's:
      // only a reading that changed since (a parcel put on, or settling) moves on by itself.
      if (baselineMg === null) { baselineMg = r.weight_mg; weightMoveDone = isStable; }
      else if (Math.abs(r.weight_mg - baselineMg) > 2000) { baselineMg = r.weight_mg; weightMoveDone = false; }
      if (isStable && scaleReady && within && accept && !weightMoveDone) {
        weightMoveDone = true;  // once per stable reading: a touch that cancels it is respected
        moveOn(strings.weight_ok, () => { if (!accept.disabled) accept.closest("form").requestSubmit(); }, "weight");
      }
    }
    if (!isStable) {
      weightMoveDone = false;
      if (moving && moving.kind === "weight") moving.stop();
    }
  }
  let weightMoveDone = false;
  let baselineMg = null;

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
    const eventsUrl = new URL(body.dataset.eventsUrl, window.location.href);
    try {  // replay from the last scan this tab acted on (the drawn-at number when none yet)
      const seen = Number(sessionStorage.getItem("scanSeq") || 0);
      const drawnAt = Number(eventsUrl.searchParams.get("after") || 0);
      if (seen && seen <= drawnAt) eventsUrl.searchParams.set("after", String(seen));
    } catch (e) { /* no storage */ }
    const source = new EventSource(eventsUrl.toString());
    source.addEventListener("open", () => { body.dataset.stream = "open"; });
    let activeSaidAt = performance.now();
    source.addEventListener("verdict", (ev) => {
      const result = JSON.parse(ev.data);
      acted(result.seq);
      window.__lastScan = { raw: result.code || "", at: performance.now() };
      const echo = $("#scan-echo");
      if (echo) { echo.textContent = result.readable || result.code || ""; echo.dataset.shownAt = String(performance.now()); }
      showItemResult(result);
      armIdle();
      if (performance.now() - activeSaidAt > 30000) {  // scans are work: the server's idle lock hears of it
        activeSaidAt = performance.now();
        post("/bench/active", new FormData());
      }
    });
    source.addEventListener("state", (ev) => showState(JSON.parse(ev.data)));
    source.addEventListener("reading", (ev) => showReading(JSON.parse(ev.data)));
    source.addEventListener("scan", (ev) => {
      if (leaving) return;
      const scan = JSON.parse(ev.data);
      window.__lastScan = { raw: scan.raw, at: performance.now() };
      deliverScan(scan);
    });
    source.onerror = () => { if (source.readyState === EventSource.CLOSED) message(strings.network); };
  }

  // ---- sign-in and lock screens: a badge read by the serial or camera scanner -------------------
  if (body.dataset.badgeEventsUrl) {
    const badges = new EventSource(body.dataset.badgeEventsUrl);
    badges.addEventListener("badge", (ev) => {
      const field = $("#badge");
      const read = JSON.parse(ev.data);
      acted(read.seq);  // the screen after sign-in does not take the badge again
      if (!field) return;
      field.value = read.badge;
      sounds.good();
      const pin = $("#pin");
      if (pin) pin.focus();
      message(strings.badge_read || "", "success");
    });
    badges.addEventListener("other", (ev) => {
      const other = JSON.parse(ev.data);
      acted(other.seq);
      message(other.message, "error"); sounds.bad();
    });
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
    armIdle = arm;
    ["pointerdown", "keydown", "touchstart"].forEach((name) => document.addEventListener(name, arm, { passive: true }));
    arm();
  }

  // ---- after completion: a label still printing shows how it went a moment later --------------
  if ($("[data-printing]")) setTimeout(() => { window.location.reload(); }, 1200);

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
    else if (d.sim === "printer") sim("printer", { fault: d.fault });
  }));
  $$("[data-sim-form]").forEach((form) => form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const fields = Object.fromEntries(new FormData(form).entries());
    if (form.dataset.simForm === "camera") fields.symbology = "qr";
    sim(form.dataset.simForm, fields);
  }));

  refocus();
})();
