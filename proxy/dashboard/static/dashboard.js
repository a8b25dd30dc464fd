// Switchyard dashboard: every number comes from the documented JSON API
// (/v0/management/*, /v0/usage), authenticated by the session cookie.
// Untrusted text (labels, models, actors) only ever goes in via textContent;
// the one markup inserted is the server's usage chart, escaped there.
"use strict";

const CSRF = document.querySelector('meta[name="csrf-token"]').content;
const ROLE = document.body.dataset.role;
const LIVE_ROWS = 200;
const POLL_MS = 5000;

async function api(path, options = {}) {
  const headers = Object.assign({ Accept: "application/json" }, options.headers || {});
  if (options.method && options.method !== "GET") headers["X-CSRF-Token"] = CSRF;
  const response = await fetch(path, Object.assign({}, options, { headers, credentials: "same-origin" }));
  if (response.status === 401) { location.reload(); throw new Error("logged out"); }
  const type = response.headers.get("Content-Type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw new Error((body.error && body.error.message) || response.statusText);
  return body;
}

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

function row(cells, attrs = {}) {
  const tr = el("tr", null, attrs);
  for (const cell of cells) {
    if (cell instanceof Node) { const td = el("td"); td.append(cell); tr.append(td); }
    else if (typeof cell === "number") tr.append(el("td", cell.toLocaleString("en-US"), { class: "num" }));
    else tr.append(el("td", cell));
  }
  return tr;
}

function secondsLeft(iso) {
  const left = Math.max(0, Math.round((Date.parse(iso) - Date.now()) / 1000));
  return left >= 120 ? `${Math.round(left / 60)} min` : `${left} s`;
}

function rate(counts) {
  if (!counts) return "–";
  return counts.requests ? `${counts.errors} (${Math.round(100 * counts.errors / counts.requests)}%)` : "0";
}

// ---- tabs ------------------------------------------------------------------

const loaders = {};
let poller = null;

function showTab(name) {
  const tabs = [...document.querySelectorAll('[role="tab"]')].map((b) => b.dataset.tab);
  if (!tabs.includes(name)) name = tabs[0];
  for (const button of document.querySelectorAll('[role="tab"]')) {
    button.setAttribute("aria-selected", String(button.dataset.tab === name));
  }
  for (const panel of document.querySelectorAll('[role="tabpanel"]')) {
    panel.hidden = panel.id !== `tab-${name}`;
  }
  clearInterval(poller);
  if (loaders[name]) {
    loaders[name]();
    if (name === "credentials") poller = setInterval(loaders[name], POLL_MS);
  }
}

// ---- credentials -----------------------------------------------------------

function stateText(cred) {
  if (cred.state === "cooling") {
    const why = cred.last_error ? `${cred.last_error.kind}, ` : "";
    return `cooling (${why}${cred.cooling_until ? secondsLeft(cred.cooling_until) + " left" : ""})`;
  }
  return cred.state;
}

function windows(cred) {
  const items = [];
  if (cred.cooling_until && cred.state !== "ready") items.push(`all models until ${cred.cooling_until}`);
  for (const [model, cd] of Object.entries(cred.model_cooldowns || {})) {
    items.push(`${model}: ${cd.state} (${cd.kind}${cd.status ? " " + cd.status : ""}) until ${cd.until}`);
  }
  // windows the provider reported on its latest answer: remaining of limit (API keys),
  // share used (a Claude subscription's unified windows), or only a status (a
  // Codex usage limit, Google's RetryInfo)
  for (const [name, w] of Object.entries((cred.quota && cred.quota.windows) || {})) {
    const count = (n) => (n === null || n === undefined ? "?" : n.toLocaleString("en-US"));
    const reset = w.resets_at_iso ? `, resets ${w.resets_at_iso.slice(11, 19)} UTC` : "";
    const status = w.status ? ` (${w.status})` : "";
    let what = w.status || "reported";
    if ("limit" in w || "remaining" in w) what = `${count(w.remaining)} of ${count(w.limit)} left`;
    else if (typeof w.utilization === "number") what = `${Math.round(w.utilization * 100)}% used${status}`;
    items.push(`${name}: ${what}${reset}`);
  }
  return items.length ? items.join("; ") : "–";
}

function actionButtons(cred) {
  const box = el("span", null, { class: "actions" });
  const act = (label, action) => {
    const button = el("button", label, { "data-action": action });
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await api(`/v0/management/credentials/${encodeURIComponent(cred.id)}/${action}`, { method: "POST" });
      } catch (err) { alert(`${label} failed: ${err.message}`); }
      loaders.credentials();
    });
    box.append(button);
  };
  act("Reset cooldown", "reset-cooldown");
  if (cred.state === "disabled") act("Enable", "enable"); else act("Disable", "disable");
  return box;
}

// Auth files that serve nothing (needs re-login, unsupported, malformed): a row
// each, saying why, so an account that dropped out of rotation stays visible.
function idleAccounts(credentials, accounts) {
  const serving = new Set(credentials.map((cred) => cred.id));
  return accounts.filter((account) => !serving.has(account.id)).map((account) => {
    const name = el("span", account.label || account.id);
    name.append(el("small", account.id));
    return row([name, account.type || "–", el("span", account.status, { class: "state state-idle" }),
      account.reason || "–", "–", "–", "–", "–", "–", ""],
      { "data-id": account.id, "data-state": account.status });
  });
}

loaders.credentials = async function () {
  const status = document.getElementById("credentials-status");
  try {
    const { credentials, accounts = [] } = await api("/v0/management/pool");
    const body = document.querySelector("#credentials tbody");
    body.replaceChildren(...credentials.map((cred) => {
      const name = el("span", cred.label || cred.key_hint);
      name.append(el("small", cred.id));
      const error = cred.last_error ? `${cred.last_error.status || "no answer"} ${cred.last_error.kind} at ${cred.last_error.at}` : "–";
      const activity = cred.activity || {};
      return row([name, cred.provider, el("span", stateText(cred), { class: `state state-${cred.state}` }), error,
        activity["5m"] ? activity["5m"].requests : "–", rate(activity["5m"]),
        activity["24h"] ? activity["24h"].requests : "–", rate(activity["24h"]),
        windows(cred), actionButtons(cred)], { "data-id": cred.id, "data-state": cred.state });
    }), ...idleAccounts(credentials, accounts));
    status.textContent = `${credentials.length} credentials · updated ${new Date().toLocaleTimeString()}`;
  } catch (err) { status.textContent = `Could not load the pool: ${err.message}`; }
};

// ---- usage -----------------------------------------------------------------

const TOKEN_COLUMNS = ["input_tokens", "output_tokens", "cached_tokens", "cache_creation_tokens", "reasoning_tokens"];
const TOTAL_NAMES = { input_tokens: "input tokens", output_tokens: "output tokens", cached_tokens: "cached tokens",
  cache_creation_tokens: "cache write tokens", reasoning_tokens: "reasoning tokens" };

function usageQuery(form, extra = {}) {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) if (value && name !== "metric") params.set(name, value);
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  return params;
}

function isoDay(date) { return date.toISOString().slice(0, 10); }

loaders.usage = async function () {
  const form = document.getElementById("usage-form");
  if (!form.elements.from.value) {
    form.elements.from.value = isoDay(new Date(Date.now() - 86400000));
    form.elements.to.value = isoDay(new Date());
  }
  const query = usageQuery(form);
  document.getElementById("usage-csv").href = `/v0/usage?${usageQuery(form, { format: "csv" })}`;
  const totals = document.getElementById("usage-totals");
  try {
    const [report, svg] = await Promise.all([
      api(`/v0/usage?${query}`),
      api(`/v0/usage?${usageQuery(form, { format: "svg", metric: form.elements.metric.value })}`),
    ]);
    totals.replaceChildren();
    for (const name of ["requests", "errors", ...TOKEN_COLUMNS]) {
      const value = report.totals[name];
      const item = el("div", null, { "data-total": name });
      item.append(el("dt", TOTAL_NAMES[name] || name), el("dd", value.toLocaleString("en-US")));
      totals.append(item);
    }
    // The server's SVG (labels escaped there); parsed as XML, not HTML.
    const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
    document.getElementById("usage-chart").replaceChildren(document.importNode(doc.documentElement, true));
    document.querySelector("#usage-rows tbody").replaceChildren(...report.rows.map((r) =>
      row([r.label, r.requests, r.errors, ...TOKEN_COLUMNS.map((c) => r[c])], { "data-key": r.key ?? "" })));
  } catch (err) {
    totals.textContent = `Could not load usage: ${err.message}`;
  }
};

// ---- live ------------------------------------------------------------------

const live = { rows: [], source: null, clients: new Set() };

function liveMatches(r) {
  const status = document.getElementById("live-status").value;
  const client = document.getElementById("live-client").value;
  if (client && r.client !== client) return false;
  if (status === "ok") return r.status < 400;
  if (status === "error") return r.status >= 400;
  if (status) return String(r.status).startsWith(status);
  return true;
}

function renderLive() {
  const body = document.querySelector("#live tbody");
  body.replaceChildren(...live.rows.filter(liveMatches).map((r) => row([
    r.iso.slice(11, 23), r.client || "(no key)", `${r.dialect} → ${r.provider || "–"}`,
    r.upstream_model && r.upstream_model !== r.model ? `${r.model} → ${r.upstream_model}` : r.model,
    r.status, r.latency_ms ?? "–", r.ttft_ms ?? "–", r.input_tokens ?? "–", r.output_tokens ?? "–",
  ], { "data-request-id": r.request_id, class: r.status >= 400 ? "failed" : "" })));
}

function addClientOption(name) {
  if (!name || live.clients.has(name)) return;
  live.clients.add(name);
  document.getElementById("live-client").append(el("option", name, { value: name }));
}

loaders.live = function () {
  if (live.source) return;
  const state = document.getElementById("live-state");
  live.source = new EventSource("/v0/management/requests/live?backlog=100");
  live.source.addEventListener("open", () => { state.textContent = "live"; });
  live.source.addEventListener("error", () => { state.textContent = "reconnecting…"; });
  live.source.addEventListener("request", (event) => {
    const record = JSON.parse(event.data);
    live.rows.unshift(record);
    live.rows.length = Math.min(live.rows.length, LIVE_ROWS);
    addClientOption(record.client);
    renderLive();
  });
};

// ---- config ----------------------------------------------------------------

loaders.config = async function () {
  const { config, pending, file_error: fileError } = await api("/v0/management/config");
  const list = document.getElementById("config-pending");
  list.replaceChildren();
  if (fileError) list.append(el("li", `The config file does not load: ${fileError}`, { class: "error" }));
  for (const change of pending) {
    const values = "running" in change ? `: running ${JSON.stringify(change.running)}, file ${JSON.stringify(change.file)}` : " (changed in the file)";
    list.append(el("li", `${change.key} waits for a ${change.needs}${values}`, { "data-key": change.key }));
  }
  if (!list.children.length) list.append(el("li", "Nothing: the running config is the file's."));
  document.getElementById("config-json").textContent = JSON.stringify(config, null, 2);
};

// ---- start -----------------------------------------------------------------

for (const button of document.querySelectorAll('[role="tab"]')) {
  button.addEventListener("click", () => { location.hash = button.dataset.tab; });
}
document.getElementById("usage-form").addEventListener("submit", (event) => {
  event.preventDefault();
  loaders.usage();
});
for (const id of ["live-status", "live-client"]) {
  const select = document.getElementById(id);
  if (select) select.addEventListener("change", renderLive);
}
window.addEventListener("hashchange", () => showTab(location.hash.slice(1)));
showTab(location.hash.slice(1) || (ROLE === "management" ? "credentials" : "usage"));
