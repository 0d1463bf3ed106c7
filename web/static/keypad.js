// Weigh screen: the on-screen keypad types a hand-entered weight in grams (no keyboard needed).
"use strict";
(function () {
  const DECIMALS = 3; // milligrams: the finest the station stores

  function typed(value, key, max) {
    if (key === "clear") return "";
    if (key === "back") return value.slice(0, -1);
    if (value.length >= max) return value;
    const point = value.search(/[.,]/);
    if (key === ".") return point >= 0 ? value : (value || "0") + ".";
    if (!/^[0-9]$/.test(key)) return value;
    if (point >= 0 && value.length - point > DECIMALS) return value;
    return value === "0" ? key : value + key;
  }

  document.querySelectorAll("[data-weight-keypad]").forEach((pad) => {
    const field = document.getElementById(pad.dataset.weightKeypad);
    if (!field) return;
    const max = field.maxLength > 0 ? field.maxLength : 20;
    pad.addEventListener("click", (ev) => {
      const button = ev.target.closest("button[data-key]");
      if (!button) return;
      field.value = typed(field.value, button.dataset.key, max);
      field.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });
})();
