// Sarraf web chat: greets, offers suggestions, posts messages, draws replies (text, tables, cards, buttons), and
// collects replies pushed later (after the bank login, alerts).
(() => {
  "use strict";
  const log = document.getElementById("log");
  const quick = document.getElementById("quick");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const lang = document.documentElement.lang;
  const dir = document.documentElement.dir;
  const boot = JSON.parse(document.getElementById("boot").textContent);

  const randomId = () => Array.from(crypto.getRandomValues(new Uint8Array(18)), b => b.toString(16).padStart(2, "0")).join("");
  let session = localStorage.getItem("sarraf.session");
  if (!session) { session = randomId(); localStorage.setItem("sarraf.session", session); }
  let cursor = Number(localStorage.getItem("sarraf.cursor") || 0);
  const past = JSON.parse(sessionStorage.getItem("sarraf.history") || "[]");
  // Bank-login links are single-use: once the customer is back from the bank they are retired, so the
  // "Log in" button of an earlier message cannot be pressed again. url -> "linked" | "used".
  const retired = JSON.parse(sessionStorage.getItem("sarraf.retired") || "{}");

  function remember(entry) {
    past.push(entry);
    sessionStorage.setItem("sarraf.history", JSON.stringify(past.slice(-100)));
  }

  function el(tag, props = {}, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A reply's list as rows: one cell per column, each its own bidi island (dir=auto) so an amount or a card
  // number keeps its order inside Arabic text; figures never wrap.
  function table(t) {
    const box = el("table", { class: "rows" });
    const body = el("tbody");
    for (const row of t.rows) {
      const tr = el("tr");
      row.forEach((cell, i) => tr.appendChild(el("td", { class: `col-${t.columns[i] || "text"}`, dir: "auto" }, cell)));
      body.appendChild(tr);
    }
    box.appendChild(body);
    return box;
  }

  function card(c) {
    const box = el("div", { class: "card-part" });
    box.appendChild(el("strong", { dir: "auto" }, c.title));
    if (c.subtitle) box.appendChild(el("div", { class: "subtitle", dir: "auto" }, c.subtitle));
    if (c.lines && c.lines.length) {
      box.appendChild(table({ columns: ["label", "amount"], rows: c.lines }));
    }
    return box;
  }

  function loginButton(b) {
    const state = retired[b.url];
    if (!state) {
      return el("a", { href: b.url, rel: "noopener", class: "login" }, b.title);
    }
    // Linked, or the link was used: shown, but no longer a link.
    return el("span", { class: `login retired ${state}`, "aria-disabled": "true" }, state === "linked" ? boot.linked : boot.login_used);
  }

  function bubble(who, text, bubbleDir, reply) {
    const li = el("li", { class: `bubble ${who}`, dir: bubbleDir || "auto" });
    const t = reply && reply.table;
    li.appendChild(el("div", { class: "text" }, t ? t.caption : text));
    if (t && t.rows.length) li.appendChild(table(t));
    for (const c of (reply && reply.cards) || []) li.appendChild(card(c));
    const links = ((reply && reply.buttons) || []).filter(b => b.url);
    if (links.length) {
      const box = el("div", { class: "actions" });
      for (const b of links) box.appendChild(b.login ? loginButton(b) : el("a", { href: b.url, rel: "noopener" }, b.title));
      li.appendChild(box);
    }
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    return li;
  }

  function showQuick(replies) {
    quick.replaceChildren();
    for (const q of replies || []) {
      const b = el("button", { type: "button", dir: "auto" }, q.title);
      b.addEventListener("click", () => send(q.payload ? { payload: q.payload, shown: q.title } : { text: q.title }));
      quick.appendChild(b);
    }
  }

  function draw(reply, save = true) {
    bubble("bot", reply.text, reply.dir, reply);
    showQuick(reply.quick_replies);
    if (save) remember({ who: "bot", reply });
  }

  async function send({ text, payload, shown }) {
    const said = shown || text;
    bubble("me", said, "auto");
    remember({ who: "me", text: said });
    showQuick([]);
    const body = { session, text: text || null, payload: payload || null, locale: lang, message_id: randomId() };
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

  // Back from the bank's login (?linked=1 linked, ?linked=0 denied or failed): every login link shown so far
  // has been spent. The outcome itself arrives as a chat message.
  const back = new URLSearchParams(location.search).get("linked");
  if (back === "1" || back === "0") {
    for (const h of past) {
      for (const b of (h.reply && h.reply.buttons) || []) {
        if (b.login && b.url && !retired[b.url]) retired[b.url] = back === "1" ? "linked" : "used";
      }
    }
    sessionStorage.setItem("sarraf.retired", JSON.stringify(retired));
    window.history.replaceState(null, "", location.pathname);
  }

  // The greeting is the page's own, in the page's language, and always opens the conversation.
  bubble("bot greeting", boot.greeting, dir);
  for (const h of past) { if (h.who === "me") bubble("me", h.text, "auto"); else draw(h.reply, false); }
  if (!past.length) {
    const hint = bubble("bot hint", boot.suggestions, dir);
    hint.classList.add("suggestions");
    showQuick(boot.chips.map(title => ({ title })));
  }
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
