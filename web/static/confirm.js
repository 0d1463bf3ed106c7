// Confirm steps on the page (no window.confirm: it breaks kiosk touch): a <details data-confirm>
// closes on its "no" button, a touch elsewhere, Escape, or by itself after 10 s.
(() => {
  "use strict";
  const OPEN_MS = 10000;
  const boxes = Array.from(document.querySelectorAll("details[data-confirm]"));
  const close = (box) => { box.open = false; };
  boxes.forEach((box) => {
    let timer = 0;
    box.addEventListener("toggle", () => {
      clearTimeout(timer);
      if (box.open) timer = setTimeout(() => close(box), OPEN_MS);
    });
    box.querySelectorAll("[data-close-details]").forEach((button) => {
      button.addEventListener("click", () => close(box));
    });
  });
  document.addEventListener("click", (ev) => {
    boxes.forEach((box) => { if (box.open && !box.contains(ev.target)) close(box); });
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") boxes.forEach(close);
  });
})();
