// The case page's unboxing video: when one chunk ends, the next one plays.
"use strict";
(() => {
  const player = document.getElementById("unboxing-video");
  if (!player) return;
  const chunks = (player.dataset.chunks || "").split(" ").filter(Boolean);
  let at = 0;
  player.addEventListener("ended", () => {
    if (at + 1 >= chunks.length) return;
    at += 1;
    player.src = chunks[at];
    player.play();
  });
})();
