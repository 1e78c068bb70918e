// The console's live parts: each element with data-stream follows a Server-Sent Events stream of server-rendered
// HTML and shows the newest fragment. Everything else is plain forms, so the console works without this script.
"use strict";
document.querySelectorAll("[data-stream]").forEach((target) => {
  const source = new EventSource(target.dataset.stream);
  source.addEventListener("fragment", (event) => {
    if (event.data) {
      target.innerHTML = event.data;
    }
    target.dataset.updated = String(Date.now());
  });
  source.addEventListener("expired", () => {
    source.close();
    window.location.assign("/console/login?why=expired");
  });
});
