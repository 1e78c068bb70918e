// Sarraf web chat: posts messages, draws replies, and collects replies pushed later (after bank login).
(() => {
  "use strict";
  const log = document.getElementById("log");
  const quick = document.getElementById("quick");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const lang = document.documentElement.lang;

  const randomId = () => Array.from(crypto.getRandomValues(new Uint8Array(18)), b => b.toString(16).padStart(2, "0")).join("");
  let session = localStorage.getItem("sarraf.session");
  if (!session) { session = randomId(); localStorage.setItem("sarraf.session", session); }
  let cursor = Number(localStorage.getItem("sarraf.cursor") || 0);
  const history = JSON.parse(sessionStorage.getItem("sarraf.history") || "[]");

  function remember(entry) {
    history.push(entry);
    sessionStorage.setItem("sarraf.history", JSON.stringify(history.slice(-100)));
  }

  function bubble(who, text, dir, actions) {
    const li = document.createElement("li");
    li.className = `bubble ${who}`;
    li.setAttribute("dir", dir || "auto");
    li.textContent = text;
    if (actions && actions.length) {
      const box = document.createElement("div");
      box.className = "actions";
      for (const b of actions) {
        const a = document.createElement("a");
        a.href = b.url; a.textContent = b.title; a.rel = "noopener";
        box.appendChild(a);
      }
      li.appendChild(box);
    }
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }

  function showQuick(replies) {
    quick.replaceChildren();
    for (const q of replies || []) {
      const b = document.createElement("button");
      b.type = "button"; b.textContent = q.title; b.setAttribute("dir", "auto");
      b.addEventListener("click", () => send({ payload: q.payload, shown: q.title }));
      quick.appendChild(b);
    }
  }

  function draw(reply, save = true) {
    bubble("bot", reply.text, reply.dir, (reply.buttons || []).filter(b => b.url));
    showQuick(reply.quick_replies);
    if (save) remember({ who: "bot", reply });
  }

  async function send({ text, payload, shown }) {
    const said = shown || text;
    bubble("me", said, "auto");
    remember({ who: "me", text: said });
    const body = { session, text: text || null, payload: payload || null, locale: navigator.language || lang, message_id: randomId() };
    const res = await fetch("/webchat/api/messages", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    // A 503 carries a reply saying what went wrong (and that nothing was changed): show it like any other.
    const data = await res.json().catch(() => null);
    if (!res.ok && !(data && data.replies)) { bubble("bot", `⚠ ${res.status}`, "auto"); return; }
    data.replies.forEach(r => draw(r));
  }

  // Read receipts: what the server handed this page counts as read once the page is on screen.
  let unseen = false;
  async function seen() {
    if (!unseen || document.visibilityState !== "visible") return;
    unseen = false;
    try {
      await fetch("/webchat/api/receipts", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ session, status: "read" }) });
    } catch (e) { unseen = true; /* offline for a moment: said again at the next chance */ }
  }
  document.addEventListener("visibilitychange", seen);

  async function poll() {
    try {
      const res = await fetch(`/webchat/api/updates?session=${session}&after=${cursor}`);
      if (res.ok) {
        const data = await res.json();
        for (const r of data.replies) { draw(r); cursor = Math.max(cursor, r.id); }
        localStorage.setItem("sarraf.cursor", String(cursor));
        if (data.replies.length) { unseen = true; seen(); }
      }
    } catch (e) { /* offline for a moment: the next poll catches up */ }
  }

  for (const h of history) { if (h.who === "me") bubble("me", h.text, "auto"); else draw(h.reply, false); }
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({ text });
  });
  poll();
  setInterval(poll, 1500);
})();
