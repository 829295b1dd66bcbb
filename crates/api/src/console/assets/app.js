// The operator console. Plain DOM, no framework, nothing loaded from elsewhere: the page's
// Content-Security-Policy allows this script and this origin only. Every value from the server
// is inserted as text (never as HTML): event subjects and list names can hold anything.
"use strict";

const KEY = "custodia-console-token";
const REFRESH_MS = 10000;
let timer = null;

const $ = (id) => document.getElementById(id);

function el(tag, props, children) {
  const e = document.createElement(tag);
  if (props) for (const [k, v] of Object.entries(props)) {
    if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children || []) e.appendChild(c);
  return e;
}

function show(id, on) { $(id).hidden = !on; }

function fail(id, msg) { const e = $(id); e.textContent = msg; e.hidden = !msg; }

async function load(token) {
  const r = await fetch("/v1/console/panels", {
    headers: { "Authorization": "Bearer " + token, "Accept": "application/json" },
    cache: "no-store", credentials: "omit",
  });
  let body = null;
  try { body = await r.json(); } catch (_) { body = null; }
  if (!r.ok) {
    const msg = body && body.msg ? body.msg : ("HTTP " + r.status);
    const err = new Error(msg); err.status = r.status; throw err;
  }
  return body;
}

function renderPanel(p) {
  const status = ["ok", "warn", "error"].includes(p.status) ? p.status : "error";
  const card = el("article", { class: "card panel status-" + status, id: "panel-" + p.id,
                               "data-status": status });
  card.appendChild(el("h2", null, [el("span", { text: p.title }),
                                   el("span", { class: "badge", text: status })]));
  if (p.facts && p.facts.length) {
    const dl = el("dl");
    for (const f of p.facts) { dl.appendChild(el("dt", { text: f.label })); dl.appendChild(el("dd", { text: f.value })); }
    card.appendChild(dl);
  }
  // Tables of five columns or more get two grid columns where the screen has room.
  if (p.table && p.table.columns.length > 4) card.classList.add("wide");
  if (p.table && p.table.rows && p.table.rows.length) {
    const head = el("tr", null, p.table.columns.map((c) => el("th", { scope: "col", text: c })));
    const rows = p.table.rows.map((row) => el("tr", null, row.map((c) => el("td", { text: c }))));
    card.appendChild(el("div", { class: "table-wrap" },
      [el("table", null, [el("thead", null, [head]), el("tbody", null, rows)])]));
  }
  if (p.note) card.appendChild(el("p", { class: "note", text: p.note }));
  return card;
}

function render(view) {
  const box = $("panels");
  box.replaceChildren(...view.panels.map(renderPanel));
  $("who-name").textContent = view.operator + " (" + view.role + ") · v" + view.version;
  $("updated").textContent = "updated " + new Date().toLocaleTimeString();
  show("login", false); show("who", true); show("panels", true);
}

async function refresh() {
  const token = sessionStorage.getItem(KEY);
  if (!token) return signedOut("");
  try {
    render(await load(token));
    fail("load-error", "");
  } catch (e) {
    if (e.status === 401 || e.status === 403) return signedOut(e.message);
    fail("load-error", "Could not refresh: " + e.message);
  }
}

function signedOut(msg) {
  sessionStorage.removeItem(KEY);
  if (timer) { clearInterval(timer); timer = null; }
  show("who", false); show("panels", false); show("login", true);
  $("panels").replaceChildren();
  fail("login-error", msg);
}

async function signIn(ev) {
  ev.preventDefault();
  const token = $("token").value.trim();
  if (!token) return;
  $("login-button").disabled = true;
  try {
    const view = await load(token);
    sessionStorage.setItem(KEY, token);
    $("token").value = "";
    fail("login-error", "");
    render(view);
    timer = setInterval(refresh, REFRESH_MS);
  } catch (e) {
    fail("login-error", e.status === 401 ? "Token refused: " + e.message
      : e.status === 403 ? "This role may not use the console: " + e.message
      : "Sign-in failed: " + e.message);
  } finally {
    $("login-button").disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", signIn);
  $("logout").addEventListener("click", () => signedOut(""));
  $("refresh").addEventListener("click", refresh);
  if (sessionStorage.getItem(KEY)) { refresh(); timer = setInterval(refresh, REFRESH_MS); }
});
