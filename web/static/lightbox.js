// Review page lightbox: the original photo fitted to the screen or at 1:1, panned by drag, touch or keys.
"use strict";
(function () {
  const script = document.currentScript;
  const text = (script && script.dataset) || {};
  const box = document.getElementById("lightbox");
  const img = document.getElementById("lightbox-img");
  const view = box && box.querySelector(".zoom-box");
  if (!box || !img || !view) return;

  const PAN_STEP = 0.1; // of the visible area per arrow key (Shift: half of it)
  const DRAG_SLOP_PX = 5; // a press that moves less than this is a click, not a drag
  let actual = false; // false: fitted to the view; true: one photo pixel per CSS pixel
  let drag = null;
  let dragged = false;

  // The bar above the photo: the hint, the zoom level and the two zoom buttons.
  const bar = box.querySelector("form[method=dialog]");
  const hint = bar && bar.querySelector(".muted");
  if (hint && text.hint) hint.textContent = text.hint;
  const level = document.createElement("span");
  level.id = "lightbox-level";
  level.setAttribute("aria-live", "polite");
  const tools = document.createElement("div");
  tools.className = "lightbox-tools row";
  const fitButton = button(text.fit || "Fit", "lightbox-fit", () => setActual(false));
  const actualButton = button(text.actual || "1:1", "lightbox-actual", () => setActual(true));
  tools.append(level, fitButton, actualButton);
  box.insertBefore(tools, view);
  view.tabIndex = 0;
  view.setAttribute("aria-label", text.hint || "");

  function button(label, id, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "small";
    b.id = id;
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function fitScale() {
    if (!img.naturalWidth) return 1;
    return Math.min(1, view.clientWidth / img.naturalWidth, view.clientHeight / img.naturalHeight);
  }

  function layout() {
    if (!img.naturalWidth) return;
    const scale = actual ? 1 : fitScale();
    img.style.width = Math.round(img.naturalWidth * scale) + "px";
    img.style.height = Math.round(img.naturalHeight * scale) + "px";
    img.classList.toggle("zoomed", actual);
    view.classList.toggle("actual", actual);
    fitButton.setAttribute("aria-pressed", String(!actual));
    actualButton.setAttribute("aria-pressed", String(actual));
    const percent = Math.round(scale * 100) + " %";
    const size = img.naturalWidth + " × " + img.naturalHeight + " px";
    level.textContent = (actual ? (text.actual || "1:1") : (text.fit || "Fit")) + " · " + percent + " · " + size;
  }

  // Switch between fit and 1:1; at (clientX, clientY) the same photo point stays under the pointer.
  function setActual(on, clientX, clientY) {
    const before = img.getBoundingClientRect();
    const frame = view.getBoundingClientRect();
    const x = clientX === undefined ? frame.left + frame.width / 2 : clientX;
    const y = clientY === undefined ? frame.top + frame.height / 2 : clientY;
    const fx = before.width ? (x - before.left) / before.width : 0.5;
    const fy = before.height ? (y - before.top) / before.height : 0.5;
    actual = on;
    layout();
    if (actual) {
      view.scrollLeft = fx * img.naturalWidth - (x - frame.left);
      view.scrollTop = fy * img.naturalHeight - (y - frame.top);
    }
  }

  function open(url) {
    actual = false;
    img.removeAttribute("style");
    img.classList.remove("zoomed");
    view.classList.remove("actual");
    level.textContent = "";
    if (img.getAttribute("src") !== url) img.src = url;
    box.showModal();
    view.focus({ preventScroll: true });
    if (img.complete && img.naturalWidth) layout();
  }

  img.addEventListener("load", layout);
  img.draggable = false;
  window.addEventListener("resize", () => { if (box.open) layout(); });
  document.querySelectorAll("[data-full]").forEach((thumb) => thumb.addEventListener("click", () => open(thumb.dataset.full)));

  // Drag (mouse, pen or finger) pans; a press without movement is a click that toggles fit / 1:1.
  view.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    drag = { id: event.pointerId, x: event.clientX, y: event.clientY, left: view.scrollLeft, top: view.scrollTop };
    dragged = false;
  });
  view.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!dragged && Math.hypot(dx, dy) < DRAG_SLOP_PX) return;
    if (!dragged) {
      dragged = true;
      view.setPointerCapture(event.pointerId);
      view.classList.add("dragging");
    }
    view.scrollLeft = drag.left - dx;
    view.scrollTop = drag.top - dy;
  });
  const endDrag = (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    drag = null;
    view.classList.remove("dragging");
  };
  view.addEventListener("pointerup", endDrag);
  view.addEventListener("pointercancel", endDrag);
  view.addEventListener("click", (event) => {
    if (dragged) { dragged = false; return; }
    if (img.naturalWidth) setActual(!actual, event.clientX, event.clientY);
  });

  // Keys while the photo is open: arrows pan, 1 / 0 / Enter zoom, Escape closes (the dialog's own).
  box.addEventListener("keydown", (event) => {
    event.stopPropagation(); // the case page's shortcuts wait until the photo is closed
    if (event.target instanceof HTMLButtonElement && (event.key === "Enter" || event.key === " ")) return;
    const step = event.shiftKey ? 0.5 : PAN_STEP;
    const moves = {
      ArrowLeft: [-view.clientWidth * step, 0], ArrowRight: [view.clientWidth * step, 0],
      ArrowUp: [0, -view.clientHeight * step], ArrowDown: [0, view.clientHeight * step],
    };
    if (moves[event.key]) {
      view.scrollBy({ left: moves[event.key][0], top: moves[event.key][1] });
    } else if (event.key === "1" || event.key === "+" || event.key === "=") {
      setActual(true);
    } else if (event.key === "0" || event.key === "-") {
      setActual(false);
    } else if (event.key === "Enter" || event.key === " ") {
      setActual(!actual);
    } else {
      return;
    }
    event.preventDefault();
  });
})();
