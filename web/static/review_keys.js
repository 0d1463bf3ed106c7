// Review keyboard shortcuts: decisions on the case page, moving through the queue; never while typing.
"use strict";
(function () {
  const $ = (sel) => document.querySelector(sel);
  const help = $("#keys-help");
  if (!help) return;
  const form = $("#decision-form");
  const queueRows = Array.from(document.querySelectorAll("table.queue tbody tr[data-case]"));
  const NEXT_KEY = "review.next-case";
  // A keyboard-wedge scanner types a burst of characters and Enter: that Enter is left to bench.js.
  let lastOtherKeyAt = -1000;

  const typing = (el) => !!el && (el.isContentEditable || ["TEXTAREA", "SELECT"].includes(el.tagName) ||
    (el.tagName === "INPUT" && !["radio", "checkbox", "button", "submit", "reset"].includes(el.type)));
  const activates = (el) => !!el && (["A", "BUTTON", "SUMMARY"].includes(el.tagName) ||
    (el.tagName === "INPUT" && ["button", "submit", "reset"].includes(el.type)));
  const follow = (link) => { if (link) { window.location.href = link.href; return true; } return false; };

  function choose(id, fieldId) {
    const radio = document.getElementById(id);
    if (!radio) return false;
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    const field = fieldId && document.getElementById(fieldId);
    (field || radio).focus();
    (field || radio.nextElementSibling || radio).scrollIntoView({ block: "nearest" });
    return true;
  }

  function record() {
    if (!form) return false;
    form.requestSubmit();
    return true;
  }
  if (form) form.addEventListener("submit", () => {
    const next = $("#next-case");
    try { sessionStorage.setItem(NEXT_KEY, next ? next.dataset.next : ""); } catch (e) { /* private mode */ }
  });

  // ---- the queue: one highlighted row, J / K move it, Enter opens its case ----------------------
  let current = -1;
  function highlight(index, focus) {
    if (!queueRows.length) return;
    current = Math.max(0, Math.min(queueRows.length - 1, index));
    queueRows.forEach((row, i) => row.classList.toggle("current", i === current));
    const link = queueRows[current].querySelector("a[href]");
    if (focus && link) link.focus();
    queueRows[current].scrollIntoView({ block: "nearest" });
  }
  if (queueRows.length) {
    let remembered = "";
    try { remembered = sessionStorage.getItem(NEXT_KEY) || ""; sessionStorage.removeItem(NEXT_KEY); } catch (e) { /* */ }
    const at = queueRows.findIndex((row) => row.dataset.case === remembered);
    highlight(at >= 0 ? at : 0, false);
  }
  const openCurrent = () => current >= 0 && follow(queueRows[current].querySelector("a[href]"));

  const caseKeys = {
    a: () => choose("d-approve"),
    o: () => choose("d-override", "r-grade"),
    r: () => choose("d-reinspect", "r-note"),
    w: () => { const box = $("#approve-weight"); if (!box) return false; box.checked = !box.checked; box.focus(); return true; },
    j: () => follow($("#next-case")), n: () => follow($("#next-case")),
    k: () => follow($("#prev-case")), p: () => follow($("#prev-case")),
    q: () => { window.location.href = help.dataset.queue; return true; },
  };
  const queueKeys = {
    j: () => { highlight(current + 1, true); return true; }, n: () => { highlight(current + 1, true); return true; },
    k: () => { highlight(current - 1, true); return true; }, p: () => { highlight(current - 1, true); return true; },
    o: openCurrent,
  };
  const keys = queueRows.length ? queueKeys : (form || $("#next-case") || $("#prev-case") ? caseKeys : {});

  window.addEventListener("keydown", (ev) => {
    const now = performance.now();
    if (ev.defaultPrevented || ev.isComposing || ev.altKey) return;
    const target = document.activeElement;
    if (help.open) return;  // the dialog's own keys (Escape closes it)
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      if (form && (!target || target === document.body || form.contains(target))) {
        ev.preventDefault(); ev.stopPropagation(); record();
      }
      return;
    }
    if (ev.ctrlKey || ev.metaKey) return;
    if (ev.key === "Escape" && typing(target)) { target.blur(); return; }
    if (typing(target)) return;
    let done = false;
    if (ev.key === "Enter") {
      if (activates(target) || now - lastOtherKeyAt < 100) return;  // a focused link does what it says
      done = queueRows.length ? openCurrent() : record();
    } else if (ev.key === "?") {
      help.showModal(); done = true;
    } else if (ev.key === "/") {
      const search = $("#q");
      if (search) { search.focus(); search.select(); done = true; }
    } else if (Object.prototype.hasOwnProperty.call(keys, ev.key)) {
      done = keys[ev.key]();
    }
    if (done) { ev.preventDefault(); ev.stopPropagation(); } else if (ev.key.length === 1) { lastOtherKeyAt = now; }
  }, true);

  const showKeys = $("#show-keys");
  if (showKeys) showKeys.addEventListener("click", () => help.showModal());
})();
