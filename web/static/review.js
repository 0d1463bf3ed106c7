// Review page: on-demand integrity check of a photo (the lightbox is lightbox.js).
"use strict";
(function () {
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  document.querySelectorAll("[data-verify]").forEach((button) => button.addEventListener("click", async () => {
    const out = button.parentElement.querySelector(".verify-result");
    const response = await fetch(button.dataset.verify, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "X-Requested-With": "fetch", "Accept": "application/json" },
    });
    const result = await response.json();
    out.textContent = result.message || "";
    out.className = "verify-result tag " + (result.status === "ok" ? "ok" : "flag");
    out.dataset.status = result.status || "";
  }));
})();
