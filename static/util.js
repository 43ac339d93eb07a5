// Small helpers shared by the pages: DOM building, time formatting, link tokens, clipboard.
import { LOCALE, t } from "/static/i18n.js";

/** h("p", {class: "x", dataset: {testid: "y"}}, "text", child) -> element. Never uses innerHTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace the children of `el` (keeps `el` itself, so its attributes and listeners stay). */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Set text only when it changed (keeps screen readers and layout calm on every tick). */
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

export function setAttr(el, name, value) {
  if (value === null || value === undefined) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  } else if (el.getAttribute(name) !== String(value)) {
    el.setAttribute(name, String(value));
  }
}

/** The value of `name` in the URL fragment (#t=TOKEN or #admin=TOKEN), or null. Fragments never
 * reach the server, a Referer header or a query string. */
export function fragmentParam(name) {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const v = params.get(name);
  return v && v.trim() ? v.trim() : null;
}

/** Whether the fragment now is a link's (#t=..., #admin=..., or none at all) rather than an
 * anchor inside the page (#main): only a change of link changes who the page acts as. */
export function isLinkFragment() {
  const hash = location.hash.replace(/^#/, "");
  return hash === "" || hash.includes("=");
}

/** "Skip to content" links move the focus without touching the fragment, which holds the link. */
export function skipLinks() {
  for (const a of document.querySelectorAll("a.skip[href^='#']")) {
    a.addEventListener("click", (e) => {
      const target = document.getElementById(a.getAttribute("href").slice(1));
      if (!target) return;
      e.preventDefault();
      if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
      target.focus();
      target.scrollIntoView({ block: "start" });
    });
  }
}

// Time formatting -------------------------------------------------------------------------

const fmtCache = new Map();
function fmt(options) {
  const key = LOCALE + JSON.stringify(options); // the locale changes when the language does
  let f = fmtCache.get(key);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat(LOCALE, options);
    } catch {
      // an old phone that does not know this zone: fall back to UTC rather than crash
      f = new Intl.DateTimeFormat(LOCALE, { ...options, timeZone: "UTC" });
    }
    fmtCache.set(key, f);
  }
  return f;
}

const DAY = 86400000;

/** "15:04" (or "15:04:05"; seconds: "auto" shows them unless zero), with the day in front
 * when `withDay`. UTC. */
export function utcTime(ms, { seconds = false, withDay = false } = {}) {
  const opts = { timeZone: "UTC", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  if (seconds === true || (seconds === "auto" && ms % 60000 !== 0)) opts.second = "2-digit";
  if (withDay) Object.assign(opts, { weekday: "short", day: "numeric", month: "short" });
  return fmt(opts).format(ms);
}

/** UTC time with " UTC" after it; the day is added when the range spans more than a day. */
export function utcLabel(ms, opts = {}) {
  return t("utc_suffix", { time: utcTime(ms, opts) });
}

/** The wall-clock time now in `tz` ("14:03"). */
export function zoneTime(ms, tz, { withDay = false } = {}) {
  const opts = { timeZone: tz, hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  if (withDay) Object.assign(opts, { weekday: "short", day: "numeric", month: "short" });
  return fmt(opts).format(ms);
}

const LOCAL_ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?([+-]\d{2}:\d{2}|Z)?$/;

/** A server local time ("2027-05-01T06:00:00+01:00") as written there: "Sat 1 May 06:00". The
 * wall clock comes from the server's tz database, so an old phone's zone data cannot move it. */
export function localIso(iso, { withDay = true, withOffset = false } = {}) {
  const m = LOCAL_ISO.exec(iso || "");
  if (!m) return iso || "";
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
  let text = utcTime(wall, { withDay, seconds: Boolean(m[6] && m[6] !== "00") });
  if (withOffset && m[7]) text += ` (${t("utc_offset", { offset: m[7] === "Z" ? "+00:00" : m[7] })})`;
  return text;
}

/** The UTC offset part of a local ISO time ("+05:45"), or "". */
export function isoOffset(iso) {
  const m = LOCAL_ISO.exec(iso || "");
  return m && m[7] ? (m[7] === "Z" ? "+00:00" : m[7]) : "";
}

/** A duration in words: "42 s", "3 min 5 s", "2 h 5 min", "1 d 3 h" (units translated, numbers
 * in the page's locale). */
export function duration(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  if (total < 90) return t("dur_s", { s: total });
  const m = Math.floor(total / 60);
  if (m < 10 && total % 60) return t("dur_ms", { m, s: total % 60 });
  if (m < 60) return t("dur_m", { m });
  const hh = Math.floor(m / 60);
  if (hh < 48) return t("dur_hm", { h: hh, m: m % 60 });
  return t("dur_dh", { d: Math.floor(hh / 24), h: hh % 24 });
}

/** A countdown clock: "0:42", "12:05", "3:04:05", "2 d 03:04:05" (the day unit translated). */
export function clock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const hrs = Math.floor(total / 3600);
  const pad = (n) => String(n).padStart(2, "0");
  if (hrs >= 48) {
    const d = Math.floor(hrs / 24);
    return t("clock_days", { d, time: `${pad(hrs % 24)}:${pad(m)}:${pad(s)}` });
  }
  return hrs > 0 ? `${hrs}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

export function spansDays(startMs, endMs) {
  return endMs - startMs > DAY || new Date(startMs).getUTCDate() !== new Date(endMs).getUTCDate();
}

// Clipboard -------------------------------------------------------------------------------

/** Copy `text`; navigator.clipboard needs a secure context, so fall back to a selected field. */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the old way
  }
  const area = h("textarea", { readonly: true, class: "offscreen" });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

/** A text field holding `value` and a Copy button next to it. */
export function copyField(value, { label, testid } = {}) {
  const input = h("input", {
    type: "text",
    readonly: true,
    value,
    dir: "ltr", // a URL reads left to right, on an Arabic page too
    class: "copy-input",
    "aria-label": label,
    dataset: testid ? { testid } : {},
  });
  const status = h("span", { class: "copy-status", role: "status" });
  const button = h("button", {
    type: "button",
    class: "btn btn-small",
    text: t("copy"),
    onclick: async () => {
      const ok = await copyText(value);
      status.textContent = ok ? t("copied") : t("copy_failed");
      if (!ok) input.select();
      setTimeout(() => (status.textContent = ""), 2500);
    },
  });
  input.addEventListener("focus", () => input.select());
  return h("div", { class: "copy-field" }, input, button, status);
}

/** fetch() returning {ok, status, body}; `body.error.message` explains refusals. */
export async function api(path, { method = "GET", token = null, body = undefined, type = null } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (type) headers["content-type"] = type;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body,
      credentials: "omit",
      referrerPolicy: "no-referrer",
      cache: "no-store",
    });
  } catch {
    return { ok: false, status: 0, body: { error: { code: "network", message: t("network_error") } } };
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = { error: { code: "http_" + res.status, message: `${res.status} ${res.statusText}` } };
  }
  return { ok: res.ok, status: res.status, body: data };
}

export function errorMessage(result) {
  return (result.body && result.body.error && result.body.error.message) || `HTTP ${result.status}`;
}

const CONNECTION_TEXT = {
  connecting: "conn_connecting",
  syncing: "conn_syncing",
  live: "conn_live",
  offline: "conn_offline",
};

/**
 * The connection pill every live page has (#connection, #conn-text, #conn-live, #conn-retry): the
 * live stream's state in words, a retry button while waiting to reconnect or offline. `failedKey`
 * names the text for a connection that cannot go on (the pages word it differently).
 */
export function showConnection(status, failedKey = "conn_failed") {
  const el = document.getElementById("connection");
  if (!el) return;
  setAttr(el, "data-state", status.state);
  let text;
  if (status.state === "failed") text = t(failedKey);
  else if (CONNECTION_TEXT[status.state]) text = t(CONNECTION_TEXT[status.state]);
  else text = status.retryIn > 0 ? t("conn_reconnecting", { s: status.retryIn }) : t("conn_reconnecting_now");
  setText(document.getElementById("conn-text"), text);
  // screen readers hear the state change, not every tick of the retry countdown
  setText(document.getElementById("conn-live"), status.state === "reconnecting" ? t("conn_reconnecting_now") : text);
  document.getElementById("conn-retry").hidden =
    !(status.state === "reconnecting" && status.retryIn > 0) && status.state !== "offline";
}
