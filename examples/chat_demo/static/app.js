// The demo's page: two chat panes rendered from /api/state. Every warning text comes from
// nudeguard (in the chosen language); only the chat's own labels are here.
"use strict";

const LABELS = {
  en: {
    language: "Language",
    footnote: "Photos are checked on this computer and kept in the demo server's memory only; nothing is uploaded anywhere.",
    message: "Message", send: "Send", photo: "Photo…", checking: "Checking the photo…",
    sent: "Sent.", not_sent: "Not sent.", block: "Block", report: "Report", unblock: "Unblock",
    blocked: "You blocked {name}. The conversation is hidden.",
    report_saved: "Report saved as nudeguard-report.json: hashes of {n} photo(s), no pictures.",
    protection_on: "Blurring of sensitive photos is on.", kept_hidden: "Kept hidden.",
    not_checked: "This photo could not be checked.", no_preview: "(photo hidden)",
  },
  de: {
    language: "Sprache",
    footnote: "Fotos werden auf diesem Computer geprüft und nur im Speicher des Demo-Servers gehalten; nichts wird irgendwohin hochgeladen.",
    message: "Nachricht", send: "Senden", photo: "Foto…", checking: "Das Foto wird geprüft…",
    sent: "Gesendet.", not_sent: "Nicht gesendet.", block: "Blockieren", report: "Melden", unblock: "Blockierung aufheben",
    blocked: "Du hast {name} blockiert. Die Unterhaltung ist ausgeblendet.",
    report_saved: "Meldung als nudeguard-report.json gespeichert: Hashes von {n} Foto(s), keine Bilder.",
    protection_on: "Das Verschwommen-Anzeigen heikler Fotos ist an.", kept_hidden: "Bleibt verborgen.",
    not_checked: "Dieses Foto konnte nicht geprüft werden.", no_preview: "(Foto verborgen)",
  },
};

let locale = "en";
const ui = {};  // per user: what only the page knows (open prompts, status line)

function label(key, values = {}) {
  return LABELS[locale][key].replace(/\{(\w+)\}/g, (_, name) => values[name]);
}

// Builds an element; strings become text nodes, so chat text is never parsed as HTML.
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "onclick") node.addEventListener("click", value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

async function api(method, path, user, body) {
  const url = `${path}${path.includes("?") ? "&" : "?"}user=${user}&locale=${locale}`;
  const init = { method };
  if (body instanceof Blob) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "Content-Type": "application/json" };
  }
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
  return response;
}

function help(warning, user) {
  return el("div", { class: "help" },
    el("h4", { class: "tips-title" }, warning.tips_title),
    el("ul", { class: "tips" }, warning.tips.map((tip) => el("li", {}, tip))),
    el("ul", { class: "resources" }, warning.resources.map((r) => el("li", {},
      r.url ? el("a", { href: r.url, target: "_blank", rel: "noopener" }, r.name) : r.name,
      r.phone ? ` (${r.phone})` : "", ` – ${r.description}`))),
    user ? el("div", { class: "actions" },
      el("button", { class: "block", onclick: () => setBlocked(user, true) }, label("block")),
      el("button", { class: "report", onclick: () => report(user) }, label("report"))) : null);
}

function speedBump(user, bump) {
  const w = bump.warning;
  return el("div", { class: "speed-bump", role: "alertdialog" },
    el("strong", { class: "title" }, w.title),
    el("p", { class: "body" }, w.body),
    bump.error ? el("p", { class: "error" }, label("not_checked")) : null,
    el("button", { class: "dont-send primary", onclick: () => discard(user, bump.draft) }, w.cancel_label),
    el("button", { class: "send-anyway", onclick: () => sendDraft(user, bump.draft) }, w.confirm_label),
    help(w, null));
}

function photoView(user, message) {
  const photo = message.photo;
  const state = ui[user];
  if (photo.action === "show" || photo.revealed) {
    return el("img", { class: "photo original", src: photo.src, alt: "" });
  }
  const w = photo.warning;
  const preview = photo.preview ? el("img", { class: "photo veiled", src: photo.preview, alt: w.title })
                                : el("div", { class: "photo veiled" }, label("no_preview"));
  if (state.hidden.has(message.id)) {
    return el("div", {}, preview, el("p", { class: "kept-hidden" }, label("kept_hidden")));
  }
  const c = w.confirmation;
  const asking = state.confirming.has(message.id);
  return el("div", {}, preview,
    el("div", { class: "veil-notice" },
      el("strong", { class: "title" }, w.title),
      el("p", { class: "body" }, w.body),
      asking
        ? el("div", { class: "confirmation", role: "alertdialog" },
            el("strong", { class: "confirmation-title" }, c.title),
            el("p", { class: "confirmation-body" }, c.body),
            el("button", { class: "go-back primary", onclick: () => { state.confirming.delete(message.id); render(); } }, c.cancel_label),
            el("button", { class: "confirm-view", onclick: () => reveal(user, message.id) }, c.confirm_label))
        : el("div", {},
            el("button", { class: "keep-hidden primary", onclick: () => { state.hidden.add(message.id); render(); } }, w.cancel_label),
            el("button", { class: "view", onclick: () => { state.confirming.add(message.id); render(); } }, w.confirm_label)),
      help(w, user)));
}

function messageView(user, message) {
  return el("div", { class: `message ${message.mine ? "mine" : "theirs"}`, "data-id": message.id },
    message.text !== null ? el("span", { class: "text" }, message.text) : null,
    message.photo ? photoView(user, message) : null,
    message.notice ? el("div", { class: `notice ${message.notice.level}`, role: "alert" },
      el("strong", { class: "title" }, message.notice.title),
      el("p", { class: "body" }, message.notice.body),
      help(message.notice, user)) : null);
}

function paneView(user, state) {
  const mine = ui[user];
  const me = state.user;
  const heading = el("h2", {}, `${me.name}, ${me.age}`);
  const status = el("p", { class: "status", "aria-live": "polite" }, mine.status);
  if (state.blocked) {
    return [heading, el("p", { class: "blocked" }, label("blocked", { name: state.other.name })),
      el("button", { class: "unblock", onclick: () => setBlocked(user, false) }, label("unblock")), status];
  }
  const optIn = state.opt_in && !mine.optInDismissed
    ? el("div", { class: "opt-in" },
        el("strong", { class: "title" }, state.opt_in.title),
        el("p", { class: "body" }, state.opt_in.body),
        el("button", { class: "opt-in-yes primary", onclick: () => setOptIn(user, true) }, state.opt_in.confirm_label),
        el("button", { class: "opt-in-no", onclick: () => { mine.optInDismissed = true; render(); } }, state.opt_in.cancel_label))
    : null;
  const protection = me.age >= 18 && me.protected ? el("p", { class: "protection" }, label("protection_on")) : null;
  const text = el("input", { type: "text", class: "text-input", placeholder: label("message") });
  const sendText = () => { if (text.value.trim()) postText(user, text.value); };
  text.addEventListener("keydown", (event) => { if (event.key === "Enter") sendText(); });
  const file = el("input", { type: "file", class: "photo-input", accept: "image/*" });
  file.addEventListener("change", () => { if (file.files.length) pickPhoto(user, file.files[0]); file.value = ""; });
  return [heading, optIn, protection,
    el("div", { class: "messages" }, state.messages.map((m) => messageView(user, m))),
    mine.bump ? speedBump(user, mine.bump) : null,
    el("div", { class: "composer" }, text,
      el("button", { class: "send-text", onclick: sendText }, label("send")),
      el("label", { class: "photo-label" }, label("photo"), file)),
    status];
}

let latest = {};

async function refresh() {
  for (const pane of document.querySelectorAll(".pane")) {
    const user = pane.dataset.user;
    latest[user] = await (await api("GET", "/api/state", user)).json();
  }
  render();
}

function render() {
  document.documentElement.lang = locale;
  for (const node of document.querySelectorAll("[data-text]")) node.textContent = label(node.dataset.text);
  for (const pane of document.querySelectorAll(".pane")) {
    const user = pane.dataset.user;
    if (latest[user]) pane.replaceChildren(...paneView(user, latest[user]).filter(Boolean));
  }
  document.body.dataset.ready = "true";
}

function setStatus(user, key, values) {
  ui[user].status = label(key, values);
}

async function act(user, work) {
  document.body.dataset.ready = "false";
  try {
    await work();
  } catch (error) {
    ui[user].status = String(error);
  }
  await refresh();
}

function pickPhoto(user, file) {
  setStatus(user, "checking");
  render();
  act(user, async () => {
    const verdict = await (await api("POST", "/api/drafts", user, file)).json();
    if (verdict.action === "allow") {
      await api("POST", `/api/drafts/${verdict.draft}/send`, user);
      setStatus(user, "sent");
    } else {
      ui[user].bump = verdict;
      ui[user].status = "";
    }
  });
}

function sendDraft(user, draft) {
  act(user, async () => {
    ui[user].bump = null;
    await api("POST", `/api/drafts/${draft}/send`, user);
    setStatus(user, "sent");
  });
}

function discard(user, draft) {
  act(user, async () => {
    ui[user].bump = null;
    await api("DELETE", `/api/drafts/${draft}`, user);
    setStatus(user, "not_sent");
  });
}

function postText(user, text) {
  act(user, async () => { await api("POST", "/api/messages", user, { text }); ui[user].status = ""; });
}

function reveal(user, id) {
  act(user, async () => {
    await api("POST", `/api/messages/${id}/reveal`, user);
    ui[user].confirming.delete(id);
  });
}

function setOptIn(user, optedIn) {
  act(user, () => api("POST", "/api/opt_in", user, { opted_in: optedIn }));
}

function setBlocked(user, blocked) {
  act(user, () => api("POST", "/api/block", user, { blocked }));
}

function report(user) {
  act(user, async () => {
    const text = await (await api("GET", "/api/report", user)).text();
    const link = el("a", { href: URL.createObjectURL(new Blob([text], { type: "application/json" })),
                           download: "nudeguard-report.json" });
    link.click();
    setStatus(user, "report_saved", { n: JSON.parse(text).images.length });
  });
}

for (const pane of document.querySelectorAll(".pane")) {
  ui[pane.dataset.user] = { confirming: new Set(), hidden: new Set(), optInDismissed: false, status: "", bump: null };
}
document.getElementById("language").addEventListener("change", (event) => {
  locale = event.target.value;
  refresh();
});
refresh();
