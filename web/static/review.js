// Review page: photo lightbox with zoom, on-demand integrity check.
"use strict";
(function () {
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const box = document.getElementById("lightbox");
  const img = document.getElementById("lightbox-img");
  document.querySelectorAll("[data-full]").forEach((button) => button.addEventListener("click", () => {
    img.src = button.dataset.full;
    img.classList.remove("zoomed");
    box.showModal();
  }));
  if (img) img.addEventListener("click", () => img.classList.toggle("zoomed"));
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
