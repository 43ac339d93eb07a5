// What the circles' pages share (network, circle, pair, ledger, integrity, reader under
// /network/{id}/...): the link (#t=, never in a URL), the network's shape read over REST, the live
// stream (live.js) that says when to read again, who the page acts as, commands and their refusals,
// and numbers written exactly in the page's language.
//
// The event stream carries no amounts (circles/events.py "outward"): a page folds nothing itself.
// It reads its REST view (which holds only what its reader may see), follows the stream's offsets,
// and reads again, a moment later and once for a burst, when an event touches what it shows.
import { LANG, LOCALE, RTL_LANGUAGES, applyI18n, formatNumber, languagePicker, setLanguage, t } from "/static/i18n.js";
import "/static/i18n-circles.js";
import { CLOSE_NOT_FOUND, LiveStream } from "/static/live.js";
import { errorMessage, fill, fragmentParam, h, isLinkFragment, setAttr, setText, showConnection, skipLinks } from "/static/util.js";

export const $ = (id) => document.getElementById(id);

applyI18n();

// /network/{id}/circle/{circle}/ledger -> ["network", id, "circle", circle, "ledger"]
const PARTS = location.pathname
  .split("/")
  .filter(Boolean)
  .map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return "";
    }
  });
const STREAM_ID = /^[A-Za-z0-9_-]{1,64}$/;

export const networkId = PARTS[0] === "network" ? PARTS[1] || "" : "";
/** The path's part after the network id: circle id, pair id, dispatch number. */
export const pathParam = PARTS[3] || "";
export const token = fragmentParam("t");

const REREAD_DELAY = 150; // ms: a burst of events (a pair's three) is read once

/** A page of this network: `/network/{id}` + `path`, the link kept in the fragment only. */
export function pageHref(path = "") {
  return `/network/${encodeURIComponent(networkId)}${path}${token ? `#t=${token}` : ""}`;
}

export function apiPath(path = "") {
  return `/api/networks/${encodeURIComponent(networkId)}${path}`;
}

/** GET/POST with the link as a bearer header: {ok, status, body} (body.error.message on refusal). */
export async function request(path, { method = "GET", body = undefined } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let res;
  try {
    res = await fetch(apiPath(path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
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
    data = { error: { code: `http_${res.status}`, message: `${res.status} ${res.statusText}` } };
  }
  return { ok: res.ok, status: res.status, body: data };
}

/** Fetch a file with the link's header and hand it to the browser as a download (a link to the
 * file itself would have to carry the token in its URL). Returns null, or the refusal's text. */
export async function download(path, filename) {
  let res;
  try {
    res = await fetch(apiPath(path), {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      credentials: "omit",
      referrerPolicy: "no-referrer",
      cache: "no-store",
    });
  } catch {
    return t("network_error");
  }
  if (!res.ok) {
    try {
      return (await res.json()).error.message;
    } catch {
      return `HTTP ${res.status}`;
    }
  }
  const url = URL.createObjectURL(await res.blob());
  const a = h("a", { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return null;
}

// Numbers ------------------------------------------------------------------------------------

const DIGITS = [
  [0x660, 0x669], // Arabic-Indic
  [0x6f0, 0x6f9], // Extended Arabic-Indic
  [0x966, 0x96f], // Devanagari
];

function asciiDigits(s) {
  return s.replace(/[\u0660-\u0669\u06f0-\u06f9\u0966-\u096f]/g, (d) => {
    const c = d.charCodeAt(0);
    const [lo] = DIGITS.find(([a, b]) => c >= a && c <= b);
    return String(c - lo);
  });
}

function numberParts() {
  const nf = new Intl.NumberFormat(LOCALE);
  const parts = nf.formatToParts(-1234.5);
  const decimal = parts.find((p) => p.type === "decimal")?.value ?? ".";
  const group = parts.find((p) => p.type === "group")?.value ?? ",";
  const firstInt = parts.findIndex((p) => p.type === "integer");
  const minus = parts
    .slice(0, firstInt)
    .map((p) => p.value)
    .join("");
  return { decimal, group, minus };
}

/**
 * Decimal text ("-1234.50") in the page's locale ("-1,234.50", "1.234,50", "١٬٢٣٤٫٥٠"), exactly:
 * the digits are the server's, never a float's. Integer and fraction parts go through
 * Intl.NumberFormat as BigInts (grouping, the locale's digits), joined by its decimal sign.
 */
export function decimalText(text) {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(text ?? "").trim());
  if (!m) return String(text ?? "");
  const [, neg, int, frac] = m;
  const whole = new Intl.NumberFormat(LOCALE, { useGrouping: true }).format(BigInt(int));
  const { decimal, minus } = numberParts();
  let out = whole;
  if (frac) {
    const f = new Intl.NumberFormat(LOCALE, { useGrouping: false, minimumIntegerDigits: Math.min(frac.length, 21) });
    out += decimal + f.format(BigInt(frac));
  }
  const zero = /^0*$/.test(int) && /^0*$/.test(frac || "");
  return neg && !zero ? minus + out : out;
}

const UNITS = ["DAYS", "HOURS", "REACH"];

/** A commodity for people: "USD" stays, DAYS reads "strike-fund days". */
export function unitName(commodity) {
  return UNITS.includes(commodity) ? t(`nw_unit_${commodity}`) : commodity;
}

/** "1,000.00 USD", "0.5 strike-fund days". */
export function amountText(amount, commodity) {
  return t("nw_amount", { amount: decimalText(amount), unit: unitName(commodity) });
}

/** A share ("0.25") as a percentage in the locale ("25%", "25 %"). */
export function shareText(share) {
  const n = Number(share);
  return Number.isFinite(n) ? formatNumber(n, { style: "percent", maximumFractionDigits: 4 }) : String(share);
}

/** True when an amount's text is zero ("0", "0.00", "-0.0"). */
export function isZero(text) {
  return /^-?0*(\.0*)?$/.test(String(text ?? "0"));
}

/**
 * What a person typed as a number, as decimal text ("1 234,50" -> "1234.50"), or null for
 * nothing typed. The locale's separators, the Arabic and Devanagari digits and either decimal
 * sign are understood; what is not a number goes to the server as typed, which says what is wrong.
 */
export function parseDecimal(typed) {
  let s = asciiDigits(String(typed ?? "").trim())
    .replace(/\u066b/g, ".")
    .replace(/[\s\u00a0\u202f'\u066c\u2019]/g, "");
  if (!s) return null;
  const dots = (s.match(/\./g) || []).length;
  const commas = (s.match(/,/g) || []).length;
  const { decimal } = numberParts();
  if (dots && commas) {
    const dec = s.lastIndexOf(".") > s.lastIndexOf(",") ? "." : ",";
    s = s.split(dec === "." ? "," : ".").join("");
    s = s.replace(",", ".");
  } else if (commas === 1) {
    // "1,5" is one and a half; "1,234" is a thousand and more where the decimal sign is "."
    s = decimal === "." && /,\d{3}$/.test(s) ? s.replace(",", "") : s.replace(",", ".");
  } else if (commas > 1) {
    s = s.split(",").join("");
  } else if (dots > 1) {
    s = s.split(".").join("");
  }
  return /^-?\d+(\.\d+)?$/.test(s) ? s : String(typed).trim();
}

/** "25" (per cent, as typed and parsed) -> "0.25", exactly (the decimal point moves). */
export function percentToShare(percent) {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(percent);
  if (!m) return percent;
  const int = m[2].padStart(3, "0");
  const whole = int.slice(0, -2).replace(/^0+(?=\d)/, "");
  const frac = (int.slice(-2) + (m[3] || "")).replace(/0+$/, "");
  return `${m[1]}${whole}${frac ? `.${frac}` : ""}`;
}

/** "0.125" -> "12.5", exactly. */
export function shareToPercent(share) {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(share));
  if (!m) return String(share);
  const frac = (m[3] || "").padEnd(2, "0");
  const whole = (m[2] + frac.slice(0, 2)).replace(/^0+(?=\d)/, "");
  const rest = frac.slice(2).replace(/0+$/, "");
  return `${m[1]}${whole}${rest ? `.${rest}` : ""}`;
}

// Dates ------------------------------------------------------------------------------------

function dateFormat(options) {
  try {
    return new Intl.DateTimeFormat(LOCALE, options);
  } catch {
    return new Intl.DateTimeFormat(LANG, options);
  }
}

/** A calendar day ("2027-05-01") as the locale writes it ("1 May 2027"). */
export function dayText(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
  if (!m) return iso || "";
  return dateFormat({ timeZone: "UTC", day: "numeric", month: "short", year: "numeric" }).format(
    Date.UTC(+m[1], +m[2] - 1, +m[3]),
  );
}

/** An instant ("2027-05-01T12:00:00Z") in the reader's own zone, with the day. */
export function momentText(iso) {
  const ms = Date.parse(iso || "");
  if (!Number.isFinite(ms)) return iso || "";
  return dateFormat({ day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" }).format(ms);
}

/** A language code in the page's language ("nl" -> "Dutch", in Spanish "neerlandés"). */
export function languageName(code) {
  try {
    const name = new Intl.DisplayNames([LANG], { type: "language" }).of(code);
    if (name && name !== code) return name;
  } catch {
    // an old browser without DisplayNames, or a code it does not know
  }
  return code;
}

// The page --------------------------------------------------------------------------------

/**
 * One live page of a network. `hooks`:
 *   load(page)            read the page's own view(s) (page.shape is already fresh); may throw
 *                         a {status, message} to show instead of the page
 *   render(page)          draw everything from what load() read (also after a new language)
 *   relevant(page, e)     does event e ({event, data}) change what this page shows? (default: yes)
 *   role(page)            the link's role is known (or gone)
 */
export class NetworkPage {
  constructor(kind, hooks) {
    this.kind = kind;
    this.hooks = hooks;
    this.shape = null;
    this.offset = 0; // the last event offset this page has read up to
    this.role = null; // coordinator | circle | member | viewer (from the welcome)
    this.subject = null; // the circle a circle's or member's link speaks for
    this.synced = false;
    this.pending = false; // an event came that the page has not read again for
    this.reading = null;
    this.rereadTimer = null;
    this.loaded = false;
    this.lastStatus = null;
    this.stream = new LiveStream(
      `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/network/${encodeURIComponent(networkId)}`,
      token,
      {
        afterOffset: () => this.offset,
        onWelcome: (f) => this.onWelcome(f),
        onEvent: (f) => this.onEvent(f),
        onStatus: (s) => this.onStatus(s),
        onSynced: () => {
          this.synced = true;
          if (this.pending) this.reread();
        },
      },
    );
    // Another link opened in this tab changes only the fragment: start again as that link.
    window.addEventListener("hashchange", () => {
      if (fragmentParam("t") !== token && isLinkFragment()) location.reload();
    });
    $("conn-retry")?.addEventListener("click", () => this.stream.retryNow());
    languagePicker($("lang-slot"), { onChange: () => this.relabel() });
    skipLinks();
    Object.defineProperty(window, "mayday", { value: { page: this }, configurable: true });
  }

  /** The circle this link acts for (a circle's coordinators' link), else null. */
  get actingCircle() {
    return this.role === "circle" ? this.subject : null;
  }

  /** The circle this link belongs to (its coordinators' or a member's), else null. */
  get ownCircle() {
    return this.role === "circle" || this.role === "member" ? this.subject : null;
  }

  circleName(id) {
    return this.shape?.circles.find((c) => c.id === id)?.name || id;
  }

  pair(id) {
    return this.shape?.pairs.find((p) => p.id === id) || null;
  }

  async start() {
    if (!STREAM_ID.test(networkId)) {
      this.notFound();
      return;
    }
    const ok = await this.readAll();
    if (!ok) return;
    this.stream.start();
  }

  /** Read the shape and the page's views; false when the page cannot be shown. */
  async readAll() {
    const r = await request("");
    if (!r.ok) {
      if (r.status === 404) this.notFound();
      else if (r.status === 401 && !token) this.fatal(t("nw_needs_link"));
      else this.fatal(t("nw_bad_link", { message: errorMessage(r) }));
      return false;
    }
    this.shape = r.body;
    if (!this.loaded) this.offset = r.body.offset;
    try {
      await this.hooks.load(this);
    } catch (e) {
      this.failedView = e?.message || String(e);
    }
    this.loaded = true;
    this.renderNow();
    return true;
  }

  /** Read again (soon, once for a burst of events). */
  reread() {
    this.pending = true;
    if (this.rereadTimer || this.reading) return;
    this.rereadTimer = setTimeout(async () => {
      this.rereadTimer = null;
      this.pending = false;
      this.reading = this.readAll();
      await this.reading;
      this.reading = null;
      if (this.pending) this.reread();
    }, REREAD_DELAY);
  }

  onWelcome(frame) {
    if (frame.offset < this.offset) {
      // the server's log is shorter than what we read (it was reset): read it all again
      this.offset = 0;
      this.pending = true;
      return "reset";
    }
    const changed = frame.role !== this.role || frame.subject !== this.subject;
    this.role = frame.role;
    this.subject = frame.subject;
    this.synced = false;
    if (changed) {
      // what this link may see (and do) is known now: read with it in mind
      this.hooks.role?.(this);
      this.renderNow();
      this.reread();
    }
    return "ok";
  }

  onEvent(frame) {
    if (frame.offset <= this.offset) return "skip";
    if (frame.offset !== this.offset + 1) return "gap";
    this.offset = frame.offset;
    const e = { event: frame.event, data: frame.data || {} };
    if (e.event === "links_rotated" && this.ownCircle && e.data.circle === this.ownCircle) {
      // our circle's links were replaced: say hello again, and the old link is refused (4001)
      setTimeout(() => this.stream.reconnect(), 0);
    }
    if (this.hooks.relevant ? this.hooks.relevant(this, e) : true) {
      this.pending = true;
      if (this.synced) this.reread();
    }
    return "ok";
  }

  onStatus(status) {
    this.lastStatus = status;
    showConnection(status, "nw_conn_failed");
    document.body.dataset.conn = status.state;
    if (status.state !== "live") this.synced = false;
    if (status.state === "failed") {
      this.role = null;
      this.subject = null;
      this.hooks.role?.(this);
      if (status.closeCode === CLOSE_NOT_FOUND) this.notFound();
      else this.fatal(t("nw_bad_link", { message: status.error?.message || "" }));
    }
  }

  renderNow() {
    if (!this.shape || this.dead) return;
    $("loading").hidden = true;
    $("app").hidden = false;
    this.renderIdentity();
    this.hooks.render(this);
  }

  renderIdentity() {
    const el = $("role");
    if (!el) return;
    let text = "";
    if (this.role === "coordinator") text = t("nw_you_coordinator");
    else if (this.role === "viewer") text = t("nw_you_viewer");
    else if (this.role === "circle") text = t("nw_you_circle", { circle: this.circleName(this.subject) });
    else if (this.role === "member") text = t("nw_you_member", { circle: this.circleName(this.subject) });
    el.hidden = !text;
    setAttr(el, "data-role", this.role || "");
    setText(el, text);
  }

  relabel() {
    if (this.dead === "not-found") {
      this.notFound();
      return;
    }
    if (this.lastStatus) showConnection(this.lastStatus, "nw_conn_failed");
    if (this.dead) {
      this.fatal(this.deadText?.());
      return;
    }
    this.renderNow();
  }

  fatal(text) {
    const message = typeof text === "function" ? text() : text;
    this.dead = "failed";
    this.deadText = () => message;
    const box = $("fatal");
    fill(box, h("p", {}, message));
    box.hidden = false;
    $("loading").hidden = true;
    $("app").hidden = true;
  }

  notFound() {
    this.dead = "not-found";
    this.stream.stop();
    document.title = `${t("nw_not_found_title")} — ${t("app_name")}`;
    const box = $("fatal");
    fill(
      box,
      h("h2", { dataset: { testid: "not-found-heading" } }, t("nw_not_found_title")),
      h("p", {}, networkId ? t("nw_not_found_text", { id: networkId }) : t("nw_no_id")),
      h("p", {}, h("a", { href: "/", class: "btn" }, t("nw_front_page"))),
    );
    box.hidden = false;
    $("loading").hidden = true;
    $("app").hidden = true;
    $("connection").hidden = true;
  }

  setTitle(text) {
    setText($("title"), text);
    document.title = t("nw_page_title", { title: text, page: t(`nw_page_${this.kind}`) });
  }

  /**
   * Send a command over the live connection; `status` and `error` are the form's lines. The
   * server's refusal is shown as it says it. Resolves true when the server took it.
   */
  async command(command, { status, error, button, done = "nw_sent" } = {}) {
    setText(error, "");
    setText(status, t("nw_sending"));
    if (button) button.disabled = true;
    try {
      await this.stream.command(command);
      setText(status, t(done));
      return true;
    } catch (e) {
      setText(status, "");
      let text;
      if (e?.offline) text = t("nw_offline");
      else if (e?.unconfirmed) text = t("nw_unconfirmed");
      else text = t("nw_refused", { message: e?.message || e?.code || "" });
      setText(error, text);
      return false;
    } finally {
      if (button) button.disabled = false;
    }
  }
}

// Small pieces of the pages -------------------------------------------------------------------

/** A list of shares ("money 25 % · days 10 %…") with the pledge's version and a change mark. */
export function pledgeLine(pledge, testid) {
  const resources = ["money", "DAYS", "HOURS", "REACH"];
  const items = resources
    .filter((r) => pledge.shares[r] !== undefined)
    .map((r) => h("li", { dataset: { resource: r } }, t("nw_share_of", { resource: t(`nw_res_${r}`), share: shareText(pledge.shares[r]) })));
  const changed = pledge.version > 1;
  return h(
    "div",
    { class: "pledge", dataset: { testid, version: String(pledge.version) } },
    h("ul", { class: "shares" }, items),
    h(
      "p",
      { class: "pledge-version" },
      h("span", { dataset: { testid: `${testid}-version` } }, t("nw_version", { n: pledge.version })),
      changed ? h("span", { class: "changed", dataset: { testid: `${testid}-changed` } }, t("nw_changed")) : null,
    ),
  );
}

/** A hash, short on screen, whole for copying and for screen readers' title. */
export function hashCode(hash, testid) {
  return h("code", { class: "hash", dir: "ltr", title: hash, dataset: { testid } }, hash || "—");
}

/** A per-commodity list of amounts ({"USD": "900.00"}), or the empty text. */
export function amountsList(amounts, testid, emptyKey = "nw_nothing") {
  const entries = Object.entries(amounts || {}).filter(([, v]) => !isZero(v));
  if (!entries.length) return h("p", { class: "empty", dataset: { testid } }, t(emptyKey));
  return h(
    "ul",
    { class: "amounts", dataset: { testid } },
    entries.map(([c, v]) => h("li", { dataset: { commodity: c } }, h("bdi", { class: "num" }, amountText(v, c)))),
  );
}

/** One overdue item, both ways worded alike: who owes whom what, due by when, since when. */
export function overdueItem(page, o) {
  return h(
    "li",
    { dataset: { testid: `overdue-${o.debtor}-${o.txn}` } },
    t("nw_overdue_item", {
      debtor: page.circleName(o.debtor),
      creditor: page.circleName(o.creditor),
      amount: amountText(o.amount, o.commodity),
      date: dayText(o.due_by),
    }),
    " ",
    h("span", { class: "meta" }, t("nw_overdue_since", { date: dayText(o.since) })),
  );
}

export function isRtl() {
  return RTL_LANGUAGES.has(LANG);
}

export { LANG, errorMessage, fill, h, setAttr, setLanguage, setText, t };
