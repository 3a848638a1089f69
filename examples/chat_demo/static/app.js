// The demo's page: one pane per person (Mia's phone, Alex's phone), each rendered from
// /api/state. Every safety text comes from nudeguard in the page's language; only the chat's
// own labels are here. A pane is built from parts (header, messages, composer, dialog), so a
// new part, such as a video call, is one more function and one more entry in paneView.
"use strict";

const LABELS = {
  en: {
    subtitle: "chat demo", language: "Language",
    footnote: "Photos are checked on this computer and kept in the demo server's memory only; nothing is uploaded anywhere.",
    message: "Message", send: "Send", photo: "Photo", checking: "Checking the photo…",
    sent: "Sent.", not_sent: "Not sent.", block: "Block {name}", unblock: "Unblock {name}", report: "Report",
    get_help: "Get help", hide_photo: "Hide photo", kept_hidden: "Photo kept hidden.",
    blocked: "You blocked {name}. The conversation is hidden.",
    report_saved: "Report saved as nudeguard-report.json: hashes of {n} photo(s), no pictures.",
    protection_on: "Sensitive photos are blurred", not_checked: "This photo could not be checked.",
    no_preview: "Photo hidden",
    video_call: "Video call", hang_up: "Hang up", call_mode: "Camera check",
    mode_strict: "Strict check", mode_low_latency: "Low latency",
    camera_checked: "Your camera is checked on this phone before it is sent to {name}.",
    camera_blurred: "{name} sees a blurred picture.",
    camera_resumed: "Protection paused: {name} sees your camera until it is clear again.",
    call_with: "Video call with {name}", waiting_video: "Waiting for {name}'s video…",
    requests: "Requests ({n})", hidden_requests: "Hidden requests ({n})", back_to_chat: "Back to chat",
    no_requests: "Nothing here.", report_threat: "Report threat", report_threat_title: "Report a threat",
    report_threat_body: "Choose the messages to put in the report. Photos go in as hashes only, never the pictures.",
    make_report: "Make report", cancel: "Cancel", close: "Close", report_ready: "Your report",
    download_page: "Download page", download_json: "Download JSON",
    report_made: "Report made from your evidence log: {n} message(s), chain verified.",
    report_chain_broken: "Report made: {n} message(s). The evidence log was changed; the report says where.",
    not_delivered: "Not delivered: {name} can't get messages from you.", stranger: "Not in {name}'s contacts",
  },
  de: {
    subtitle: "Chat-Demo", language: "Sprache",
    footnote: "Fotos werden auf diesem Computer geprüft und nur im Speicher des Demo-Servers gehalten; nichts wird irgendwohin hochgeladen.",
    message: "Nachricht", send: "Senden", photo: "Foto", checking: "Das Foto wird geprüft…",
    sent: "Gesendet.", not_sent: "Nicht gesendet.", block: "{name} blockieren", unblock: "{name} nicht mehr blockieren",
    report: "Melden", get_help: "Hilfe holen", hide_photo: "Foto verbergen", kept_hidden: "Foto bleibt verborgen.",
    blocked: "Du hast {name} blockiert. Die Unterhaltung ist ausgeblendet.",
    report_saved: "Meldung als nudeguard-report.json gespeichert: Hashes von {n} Foto(s), keine Bilder.",
    protection_on: "Heikle Fotos werden verschwommen angezeigt", not_checked: "Dieses Foto konnte nicht geprüft werden.",
    no_preview: "Foto verborgen",
    video_call: "Videoanruf", hang_up: "Auflegen", call_mode: "Kameraprüfung",
    mode_strict: "Strenge Prüfung", mode_low_latency: "Geringe Verzögerung",
    camera_checked: "Deine Kamera wird auf diesem Handy geprüft, bevor sie an {name} geht.",
    camera_blurred: "{name} sieht ein verschwommenes Bild.",
    camera_resumed: "Schutz pausiert: {name} sieht deine Kamera, bis sie wieder unbedenklich ist.",
    call_with: "Videoanruf mit {name}", waiting_video: "Warte auf das Video von {name}…",
    requests: "Anfragen ({n})", hidden_requests: "Verborgene Anfragen ({n})", back_to_chat: "Zurück zum Chat",
    no_requests: "Hier ist nichts.", report_threat: "Drohung melden", report_threat_title: "Eine Drohung melden",
    report_threat_body: "Wähle die Nachrichten für die Meldung aus. Fotos gehen nur als Hashes hinein, nie die Bilder.",
    make_report: "Meldung erstellen", cancel: "Abbrechen", close: "Schließen", report_ready: "Deine Meldung",
    download_page: "Seite herunterladen", download_json: "JSON herunterladen",
    report_made: "Meldung aus deinem Beweisprotokoll erstellt: {n} Nachricht(en), Kette geprüft.",
    report_chain_broken: "Meldung erstellt: {n} Nachricht(en). Das Beweisprotokoll wurde verändert; die Meldung sagt, wo.",
    not_delivered: "Nicht zugestellt: {name} kann keine Nachrichten von dir bekommen.",
    stranger: "Nicht in den Kontakten von {name}",
  },
};

// How long a status line ("Sent.") stays, in milliseconds.
const STATUS_MS = 4000;
// A call's camera frames go to the call guard, and the other phone asks for the newest
// transmitted one, at most this often: 10 a second keeps every frame checked on one core.
const FRAME_INTERVAL_MS = 100;

let locale = "en";
let pendingActions = 0;
const ui = {};  // per user: what only the page knows (dialogs, hidden photos, status, draft text)
const latest = {};  // per user: the last /api/state

function label(key, values = {}) {
  return LABELS[locale][key].replace(/\{(\w+)\}/g, (_, name) => values[name]);
}

// Builds an element; strings become text nodes, so chat text is never parsed as HTML.
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
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
  if (!response.ok) throw Object.assign(new Error(`${method} ${path}: ${response.status}`), { status: response.status });
  return response;
}

// ----------------------------------------------------------------------------- parts

// Block, Report and Get help: the actions a worried reader needs, the tips and helplines
// folded away behind "Get help" until asked for (and kept open across redraws, by ``key``).
// The sender's speed bump has Get help only.
function safetyActions(user, warning, key, { reportable = true } = {}) {
  const open = ui[user].helpOpen;
  const help = el("details", { class: "get-help", open: open.has(key) },
      el("summary", {}, label("get_help")),
      el("h4", { class: "tips-title" }, warning.tips_title),
      el("ul", { class: "tips" }, warning.tips.map((tip) => el("li", {}, tip))),
      el("ul", { class: "resources" }, warning.resources.map((r) => el("li", {},
        r.url ? el("a", { href: r.url, target: "_blank", rel: "noopener" }, r.name) : r.name,
        r.phone ? ` (${r.phone})` : "", ` – ${r.description}`))));
  help.addEventListener("toggle", () => {
    if (help.open === open.has(key)) return;  // drawn open, not opened now
    if (help.open) {
      open.add(key);
      help.scrollIntoView({ block: "nearest" });
    } else {
      open.delete(key);
    }
  });
  const other = latest[user].other.name;
  return el("div", { class: "safety" },
    reportable ? el("button", { class: "block", onclick: () => setBlocked(user, true) }, label("block", { name: other })) : null,
    reportable ? el("button", { class: "report", onclick: () => report(user) }, label("report")) : null,
    help);
}

// A decision the user has to make before anything else: over the pane, focused, Escape = the safe choice.
function dialog(kind, title, body, safe, risky, ...more) {
  const titleId = `${kind}-title`;
  const node = el("div", { class: `dialog ${kind}`, role: "alertdialog", "aria-modal": "true", "aria-labelledby": titleId },
    el("h3", { class: "title", id: titleId }, title),
    el("p", { class: "body" }, body),
    el("div", { class: "choices" }, safe, risky),
    more);
  node.addEventListener("keydown", (event) => { if (event.key === "Escape") safe.click(); });
  return el("div", { class: "overlay" }, node);
}

// A photo on the hash list: the warning and "Close", never "send anyway" (nothing was kept to send).
function blockedPhoto(user, bump) {
  const w = bump.warning;
  const close = () => { ui[user].bump = null; ui[user].helpOpen.delete("blocked-photo"); setStatus(user, "not_sent"); render(); };
  return dialog("blocked-photo", w.title, w.body,
    el("button", { class: "close primary", "data-focus": "", onclick: close }, w.cancel_label), null,
    safetyActions(user, w, "blocked-photo", { reportable: false }));
}

function speedBump(user, bump) {
  const w = bump.warning;
  if (bump.action === "block") return blockedPhoto(user, bump);
  return dialog("speed-bump", w.title, w.body,
    el("button", { class: "dont-send primary", "data-focus": "", onclick: () => discard(user, bump.draft) }, w.cancel_label),
    el("button", { class: "send-anyway", onclick: () => sendDraft(user, bump.draft) }, w.confirm_label),
    bump.error ? el("p", { class: "error" }, label("not_checked")) : null,
    safetyActions(user, w, "speed-bump", { reportable: false }));
}

function viewConfirmation(user, message) {
  const c = message.photo.warning.confirmation;
  return dialog("confirmation", c.title, c.body,
    el("button", { class: "go-back primary", "data-focus": "", onclick: () => { ui[user].confirming = null; render(); } },
      c.cancel_label),
    el("button", { class: "confirm-view", onclick: () => reveal(user, message.id) }, c.confirm_label));
}

function photoView(user, message) {
  const photo = message.photo;
  if (photo.action === "show") return el("img", { class: "photo original", src: photo.src, alt: "" });
  const w = photo.warning;
  if (photo.revealed) {
    return el("div", { class: "revealed" },
      el("img", { class: "photo original", src: photo.src, alt: "" }),
      el("button", { class: "hide-photo", onclick: () => hidePhoto(user, message.id) }, label("hide_photo")));
  }
  const preview = photo.preview ? el("img", { class: "photo veiled", src: photo.preview, alt: w.title })
                                : el("div", { class: "photo veiled missing" }, label("no_preview"));
  const view = el("button", { class: "view", onclick: () => { ui[user].confirming = message.id; render(); } }, w.confirm_label);
  if (ui[user].hidden.has(message.id)) {
    return el("div", {}, preview, el("div", { class: "kept-hidden" }, el("span", {}, label("kept_hidden")), view));
  }
  return el("div", {}, preview,
    el("div", { class: "veil-notice card" },
      el("strong", { class: "title" }, w.title),
      el("p", { class: "body" }, w.body),
      el("div", { class: "choices" },
        el("button", { class: "keep-hidden primary", onclick: () => { ui[user].hidden.add(message.id); render(); } },
          w.cancel_label),
        view),
      safetyActions(user, w, `photo-${message.id}`)));
}

function messageView(user, message) {
  return el("div", { class: `message ${message.mine ? "mine" : "theirs"}`, "data-id": message.id },
    message.mine ? null : el("span", { class: "sender" }, message.sender),
    message.text !== null ? el("p", { class: "text" }, message.text) : null,
    message.delivered ? null : el("p", { class: "not-delivered" }, label("not_delivered", { name: latest[user].other.name })),
    message.photo ? photoView(user, message) : null,
    message.notice ? el("div", { class: `notice card ${message.notice.level}`, role: "alert" },
      el("strong", { class: "title" }, message.notice.title),
      el("p", { class: "body" }, message.notice.body),
      safetyActions(user, message.notice, `notice-${message.id}`)) : null);
}

function paneHeader(user, state) {
  const me = state.user;
  return el("div", { class: "pane-header" },
    el("h2", {}, `${me.name}, ${me.age}`),
    me.age >= 18 && me.protected ? el("span", { class: "protection" }, label("protection_on")) : null,
    state.stranger ? el("span", { class: "stranger-note" }, label("stranger", { name: state.other.name })) : null,
    state.call || state.blocked || state.stranger ? null : callStart(user));
}

// ----------------------------------------------------------------------------- requests and threat reports

// Message requests and hidden requests (filed there by route_message): counted in a bar above
// the chat, their messages shown only when the person opens the folder.
function folderBar(user, state) {
  const count = (folder) => state.requests[folder].reduce((n, group) => n + group.messages.length, 0);
  const open = ui[user].folder;
  const theirs = state.messages.filter((m) => !m.mine);
  return el("div", { class: "folders" },
    ["requests", "hidden"].map((folder) => el("button", {
      class: `folder ${folder}${open === folder ? " open" : ""}`, "aria-pressed": String(open === folder),
      onclick: () => { ui[user].folder = open === folder ? null : folder; render(); },
    }, label(folder === "hidden" ? "hidden_requests" : "requests", { n: count(folder) }))),
    theirs.length ? el("button", { class: "report-threat chat", onclick: () => startReport(user, state.other.id,
      state.other.name, theirs) }, label("report_threat")) : null);
}

function folderView(user, state) {
  const groups = state.requests[ui[user].folder];
  return el("div", { class: `messages folder-view ${ui[user].folder}` },
    el("button", { class: "back-to-chat", onclick: () => { ui[user].folder = null; render(); } }, label("back_to_chat")),
    groups.length ? null : el("p", { class: "empty" }, label("no_requests")),
    groups.map((group) => el("div", { class: "request", "data-sender": group.id },
      el("span", { class: "sender" }, group.name),
      group.notice ? el("div", { class: "contact-notice card" },
        el("strong", { class: "title" }, group.notice.title),
        el("p", { class: "body" }, group.notice.body),
        el("ul", { class: "facts" }, group.notice.facts.map((fact) => el("li", {}, fact)))) : null,
      group.messages.map((m) => el("p", { class: "text", "data-id": m.id }, m.photo ? label("photo") : m.text)),
      el("div", { class: "safety" },
        el("button", { class: "report-threat", onclick: () => startReport(user, group.id, group.name, group.messages) },
          label("report_threat"))))));
}

// "Report threat": the person picks the messages (all, to begin with); the server makes the
// report from their evidence log.
function startReport(user, sender, name, messages) {
  ui[user].reporting = { sender, name, messages: messages.map((m) => ({ id: m.id, text: m.photo ? label("photo") : m.text })),
                         chosen: new Set(messages.map((m) => m.id)) };
  render();
}

function reportChoice(user) {
  const reporting = ui[user].reporting;
  const cancel = el("button", { class: "cancel", onclick: () => { ui[user].reporting = null; render(); } }, label("cancel"));
  const node = el("div", { class: "dialog report-choice", role: "alertdialog", "aria-modal": "true",
                           "aria-labelledby": "report-choice-title" },
    el("h3", { class: "title", id: "report-choice-title" }, `${label("report_threat_title")}: ${reporting.name}`),
    el("p", { class: "body" }, label("report_threat_body")),
    el("ul", { class: "picks" }, reporting.messages.map((m) => {
      const box = el("input", { type: "checkbox", class: "pick", value: m.id, checked: reporting.chosen.has(m.id) });
      box.addEventListener("change", () => {
        if (box.checked) reporting.chosen.add(m.id); else reporting.chosen.delete(m.id);
        render();
      });
      return el("li", {}, el("label", {}, box, " ", m.text));
    })),
    el("div", { class: "choices" }, cancel,
      el("button", { class: "make-report primary", "data-focus": "", disabled: reporting.chosen.size === 0,
                     onclick: () => makeReport(user) }, label("make_report"))));
  node.addEventListener("keydown", (event) => { if (event.key === "Escape") cancel.click(); });
  return el("div", { class: "overlay" }, node);
}

function reportReady(user) {
  const made = ui[user].threatReport;
  const url = (kind) => `/api/threat_reports/${made.id}/${kind}?user=${user}&locale=${locale}`;
  return dialog("threat-report", label("report_ready"), made.summary,
    el("button", { class: "close primary", "data-focus": "", onclick: () => { ui[user].threatReport = null; render(); } },
      label("close")), null,
    el("iframe", { class: "report-page", src: url("html"), title: label("report_ready") }),
    el("div", { class: "choices downloads" },
      el("a", { class: "download-page", href: url("html"), download: "nudeguard-threat-report.html" }, label("download_page")),
      el("a", { class: "download-json", href: url("json"), download: "nudeguard-threat-report.json" }, label("download_json"))));
}

// ----------------------------------------------------------------------------- video call

// The caller's camera frames go to the demo server (standing in for the caller's phone) as
// JPEGs, through the call guard; the other pane shows the newest frame the guard released:
// what would be transmitted. The <video>, <img> and canvas live across redraws.

function callStart(user) {
  const mode = el("select", { class: "call-mode", "aria-label": label("call_mode") },
    ["strict", "low_latency"].map((value) => el("option", { value, selected: value === ui[user].call.mode },
      label(`mode_${value}`))));
  mode.addEventListener("change", () => { ui[user].call.mode = mode.value; });
  return el("div", { class: "call-start" }, mode,
    el("button", { class: "start-call", onclick: () => startCall(user) }, label("video_call")));
}

function callView(user, state) {
  const call = ui[user].call;
  const other = state.other.name;
  const hangUpButton = el("button", { class: "hang-up", onclick: () => hangUp(user) }, label("hang_up"));
  if (!state.call.mine) {
    return el("div", { class: "call theirs" },
      el("span", { class: "call-title" }, label("call_with", { name: other })),
      call.remote.src ? null : el("p", { class: "waiting" }, label("waiting_video", { name: other })),
      call.remote, hangUpButton);
  }
  const note = { clear: "camera_checked", veiled: "camera_blurred", resumed: "camera_resumed" }[call.state];
  return el("div", { class: `call mine ${call.state}` },
    el("span", { class: "call-title" }, label("call_with", { name: other })),
    call.video,
    el("p", { class: "call-state", "aria-live": "polite" }, label(note, { name: other })),
    hangUpButton);
}

// The warning when the camera is veiled, over the caller's pane. "Show my camera anyway" asks
// the warning's second question first when there is one (under 18 or age unknown).
function callWarning(user) {
  const call = ui[user].call;
  const w = call.warning;
  if (call.state !== "veiled" || !w || call.dismissed) return null;
  const keepBlurred = (cancelLabel) => el("button", { class: "keep-blurred primary", "data-focus": "",
    onclick: () => { call.dismissed = true; call.confirming = false; render(); } }, cancelLabel);
  if (call.confirming) {
    const c = w.confirmation;
    return dialog("call-confirmation", c.title, c.body, keepBlurred(c.cancel_label),
      el("button", { class: "show-camera", onclick: () => resumeCall(user, true) }, c.confirm_label));
  }
  return dialog("call-warning", w.title, w.body, keepBlurred(w.cancel_label),
    el("button", { class: "show-anyway", onclick: () => {
      if (w.confirmation) { call.confirming = true; render(); } else resumeCall(user, false);
    } }, w.confirm_label),
    safetyActions(user, w, "call-warning", { reportable: false }));
}

function optInCard(user, state) {
  if (!state.opt_in || ui[user].optInDismissed) return null;
  return el("div", { class: "opt-in card" },
    el("strong", { class: "title" }, state.opt_in.title),
    el("p", { class: "body" }, state.opt_in.body),
    el("div", { class: "choices" },
      el("button", { class: "opt-in-yes primary", onclick: () => setOptIn(user, true) }, state.opt_in.confirm_label),
      el("button", { class: "opt-in-no", onclick: () => { ui[user].optInDismissed = true; render(); } },
        state.opt_in.cancel_label)));
}

function composer(user) {
  const mine = ui[user];
  const text = el("input", { type: "text", class: "text-input", placeholder: label("message"), "aria-label": label("message") });
  text.value = mine.draft;
  text.addEventListener("input", () => { mine.draft = text.value; });
  const sendText = () => { if (text.value.trim()) postText(user, text.value); };
  text.addEventListener("keydown", (event) => { if (event.key === "Enter") sendText(); });
  if (latest[user].stranger) {
    return el("div", { class: "composer" }, text, el("button", { class: "send-text primary", onclick: sendText }, label("send")));
  }
  const file = el("input", { type: "file", class: "photo-input", accept: "image/*", tabindex: "-1", "aria-hidden": "true" });
  file.addEventListener("change", () => { if (file.files.length) pickPhoto(user, file.files[0]); file.value = ""; });
  return el("div", { class: "composer" }, text,
    el("button", { class: "send-text primary", onclick: sendText }, label("send")),
    el("button", { class: "photo-button", onclick: () => file.click() }, label("photo")),
    file);
}

function paneView(user, state) {
  const mine = ui[user];
  const status = el("p", { class: "status", "aria-live": "polite" }, mine.status);
  if (state.blocked) {
    return [paneHeader(user, state),
      el("div", { class: "blocked-view" },
        el("p", { class: "blocked" }, label("blocked", { name: state.other.name })),
        el("button", { class: "unblock", onclick: () => setBlocked(user, false) }, label("unblock", { name: state.other.name }))),
      status];
  }
  const confirming = state.messages.find((m) => m.id === mine.confirming && m.photo && !m.photo.revealed);
  const overlay = mine.bump ? speedBump(user, mine.bump) : mine.reporting ? reportChoice(user)
    : mine.threatReport ? reportReady(user) : confirming ? viewConfirmation(user, confirming) : callWarning(user);
  return [paneHeader(user, state), optInCard(user, state), state.call ? callView(user, state) : null,
    state.stranger ? null : folderBar(user, state),
    mine.folder ? folderView(user, state)
      : el("div", { class: "messages" }, state.messages.map((m) => messageView(user, m))),
    status, composer(user), overlay];
}

// ----------------------------------------------------------------------------- rendering

function render() {
  document.documentElement.lang = locale;
  for (const node of document.querySelectorAll("[data-text]")) node.textContent = label(node.dataset.text);
  for (const pane of document.querySelectorAll(".pane")) {
    const user = pane.dataset.user;
    if (!latest[user]) continue;
    const typing = document.activeElement && pane.contains(document.activeElement)
      && document.activeElement.classList.contains("text-input");
    const list = pane.querySelector(".messages");
    const atEnd = !list || list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
    pane.replaceChildren(...paneView(user, latest[user]).filter(Boolean));
    const messages = pane.querySelector(".messages");
    const count = latest[user].messages.length;
    if (messages && (atEnd || count > ui[user].seen)) messages.scrollTop = messages.scrollHeight;
    ui[user].seen = count;
    const focus = pane.querySelector(".overlay [data-focus]");
    if (focus) {
      focus.focus({ preventScroll: true });
      pane.scrollIntoView({ block: "start" });  // the whole phone, its dialog in the middle
    } else if (typing) {
      pane.querySelector(".text-input").focus();
    }
  }
  document.body.dataset.ready = String(pendingActions === 0);
}

async function refresh() {
  for (const pane of document.querySelectorAll(".pane")) {
    const user = pane.dataset.user;
    latest[user] = await (await api("GET", "/api/state", user)).json();
    const call = latest[user].call;
    if (!call) endCall(user);
    else if (!call.mine && !ui[user].call.watching) watchCall(user);
  }
  render();
}

// A status line says what just happened, then goes: it never outlives the next action.
function setStatus(user, key, values, { stays = false } = {}) {
  const mine = ui[user];
  clearTimeout(mine.statusTimer);
  mine.status = key ? label(key, values) : "";
  if (key && !stays) mine.statusTimer = setTimeout(() => { mine.status = ""; render(); }, STATUS_MS);
}

async function act(user, work) {
  pendingActions += 1;
  document.body.dataset.ready = "false";
  setStatus(user, null);
  try {
    await work();
  } catch (error) {
    ui[user].status = String(error);
  } finally {
    pendingActions -= 1;
  }
  await refresh();
}

// ----------------------------------------------------------------------------- actions

function pickPhoto(user, file) {
  setStatus(user, "checking", {}, { stays: true });
  render();
  act(user, async () => {
    const verdict = await (await api("POST", "/api/drafts", user, file)).json();
    if (verdict.action === "allow") {  // "confirm" brings up the speed bump, "block" the photo's refusal
      await api("POST", `/api/drafts/${verdict.draft}/send`, user);
      setStatus(user, "sent");
    } else {
      ui[user].bump = verdict;
    }
  });
}

function sendDraft(user, draft) {
  act(user, async () => {
    ui[user].bump = null;
    ui[user].helpOpen.delete("speed-bump");
    await api("POST", `/api/drafts/${draft}/send`, user);
    setStatus(user, "sent");
  });
}

function discard(user, draft) {
  act(user, async () => {
    ui[user].bump = null;
    ui[user].helpOpen.delete("speed-bump");
    await api("DELETE", `/api/drafts/${draft}`, user);
    setStatus(user, "not_sent");
  });
}

function postText(user, text) {
  act(user, async () => {
    await api("POST", "/api/messages", user, { text });
    ui[user].draft = "";
  });
}

function reveal(user, id) {
  act(user, async () => {
    await api("POST", `/api/messages/${id}/reveal`, user);
    ui[user].confirming = null;
    ui[user].hidden.delete(id);
  });
}

function hidePhoto(user, id) {
  act(user, async () => {
    await api("POST", `/api/messages/${id}/hide`, user);
    ui[user].hidden.add(id);
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

function makeReport(user) {
  const reporting = ui[user].reporting;
  act(user, async () => {
    const made = await (await api("POST", "/api/threat_reports", user,
      { sender: reporting.sender, messages: [...reporting.chosen] })).json();
    ui[user].reporting = null;
    const n = reporting.chosen.size;
    ui[user].threatReport = { id: made.id, summary: label(made.verified ? "report_made" : "report_chain_broken", { n }) };
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function startCall(user) {
  const call = ui[user].call;
  act(user, async () => {
    call.stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    call.video.srcObject = call.stream;
    await call.video.play();
    showCallStatus(user, await (await api("POST", "/api/call", user, { mode: call.mode })).json());
    sendFrames(user);
  });
}

// The caller's camera, a frame at a time: the next is taken when the last one's answer is in,
// so frames never queue up in front of the call guard.
async function sendFrames(user) {
  const call = ui[user].call;
  const context = call.canvas.getContext("2d");
  call.sending = true;
  while (call.sending) {
    const started = performance.now();
    if (call.video.videoWidth) {
      call.canvas.width = call.video.videoWidth;
      call.canvas.height = call.video.videoHeight;
      context.drawImage(call.video, 0, 0);
      const timestamp = Math.max(Math.round(performance.now()), call.timestamp + 1);
      call.timestamp = timestamp;
      const jpeg = await new Promise((resolve) => call.canvas.toBlob(resolve, "image/jpeg", 0.9));
      if (!call.sending) break;  // hung up meanwhile
      try {
        call.delivery = api("POST", `/api/call/frames?t=${timestamp}`, user, jpeg);
        const status = await (await call.delivery).json();
        if (call.sending) showCallStatus(user, status);
      } catch (error) {  // the call ended (404: the other one hung up) or the server failed
        if (call.sending) act(user, async () => { if (error.status !== 404) throw error; });
        break;
      }
    }
    await sleep(FRAME_INTERVAL_MS - (performance.now() - started));
  }
}

function showCallStatus(user, status) {
  const call = ui[user].call;
  if (status.state === call.state && Boolean(status.warning) === Boolean(call.warning)) return;
  call.state = status.state;
  call.warning = status.warning;
  if (call.state !== "veiled") {  // a new veil brings its warning up again
    call.dismissed = false;
    call.confirming = false;
  }
  render();
}

async function watchCall(user) {
  const call = ui[user].call;
  call.watching = true;
  while (call.watching) {
    const started = performance.now();
    try {
      const response = await api("GET", "/api/call/video", user);
      if (response.status === 200 && call.watching) {
        const old = call.remote.src;
        call.remote.src = URL.createObjectURL(await response.blob());
        if (old) URL.revokeObjectURL(old);
        else render();  // the first frame replaces "Waiting for …"
      }
    } catch (error) {  // the call ended
      break;
    }
    await sleep(FRAME_INTERVAL_MS - (performance.now() - started));
  }
  call.watching = false;
}

function endCall(user) {
  const call = ui[user].call;
  call.sending = call.watching = false;
  if (call.stream) call.stream.getTracks().forEach((track) => track.stop());
  call.stream = call.video.srcObject = null;
  if (call.remote.src) URL.revokeObjectURL(call.remote.src);
  call.remote.removeAttribute("src");
  Object.assign(call, { state: "clear", warning: null, dismissed: false, confirming: false });
}

function resumeCall(user, confirmed) {
  act(user, async () => {
    showCallStatus(user, await (await api("POST", "/api/call/resume", user, { confirmed })).json());
  });
}

function hangUp(user) {
  const call = ui[user].call;
  call.sending = false;
  act(user, async () => {
    if (call.delivery) await call.delivery.catch(() => null);  // the last frame first: no answer to a call gone
    await api("DELETE", "/api/call", user);
  });
}

for (const pane of document.querySelectorAll(".pane")) {
  ui[pane.dataset.user] = { confirming: null, hidden: new Set(), helpOpen: new Set(), optInDismissed: false, status: "",
                            statusTimer: null, bump: null, draft: "", seen: 0, folder: null, reporting: null,
                            threatReport: null,
                            call: { mode: "strict", state: "clear", warning: null, dismissed: false, confirming: false,
                                    sending: false, watching: false, stream: null, timestamp: 0, delivery: null,
                                    video: el("video", { class: "self-view", muted: "", playsinline: "" }),
                                    remote: el("img", { class: "remote-view", alt: "" }),
                                    canvas: document.createElement("canvas") } };
}
document.getElementById("language").addEventListener("change", (event) => {
  locale = event.target.value;
  refresh();
});
refresh();
