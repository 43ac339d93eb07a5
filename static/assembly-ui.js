// What the four assembly pages (chair, delegate, interpreter, watch) share: the live connection
// (live.js) folding events into the model (assembly-model.js), the shared language picker
// (i18n.js), who you are ("You are: delegate Rosa Quispe (lpb)"), the read-only notice of a page
// opened without its link, the not-found state, a reload when another #t= link is opened in the
// tab, the connection pill, and renderers for the floor, the speaking order, texts and ballots.
// Words come from i18n-assembly.js: tn() picks plural forms by count, rich() isolates names and
// user texts in <bdi> inside translated sentences, num()/listText() write numbers and lists
// through Intl.
import {
  LANG,
  LOCALE,
  STRINGS,
  bestLanguage,
  chosenLanguage,
  formatNumber,
  languagePicker,
  pluralCategory,
  setLanguage,
  t,
} from "/static/i18n.js";
import "/static/i18n-assembly.js";
import { CLOSE_NOT_FOUND, LiveStream } from "/static/live.js";
import {
  applyEvent,
  emptyModel,
  formatWeight,
  liveTally,
  milli,
  nameOf,
  personOf,
  speakingOrder,
  textIn,
  textStatus,
} from "/static/assembly-model.js";
import { clock, fill, fragmentParam, h, setAttr, setText, showConnection } from "/static/util.js";

export const $ = (id) => document.getElementById(id);
/** The page each role's link opens. */
const ROLE_PAGES = { chair: "chair", delegate: "delegate", interpreter: "interpreter", viewer: "watch", public: "watch" };

// Words, plurals and numbers ---------------------------------------------------------------------

/** The raw string of `key` in the UI language (English when missing); a plural table gives the
 * form Intl.PluralRules picks for `count`. */
function template(key, count) {
  let v = key in (STRINGS[LANG] || {}) ? STRINGS[LANG][key] : key in STRINGS.en ? STRINGS.en[key] : key;
  if (v && typeof v === "object") v = v[pluralCategory(count ?? 0)] ?? v.other ?? "";
  return String(v);
}

/** A number for people, in the page's locale ("1,5" in French); weights keep up to 3 decimals. */
export function num(value, maximumFractionDigits = 3) {
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value ?? "");
  try {
    return formatNumber(n, { maximumFractionDigits });
  } catch {
    return String(n);
  }
}

/** The string `key` in the plural form for `count` (which fills {count}). */
export function tn(key, count, vars = {}) {
  return t(key, { ...vars, count: Number(count) });
}

function listFormat(type) {
  try {
    return new Intl.ListFormat(LOCALE, { type, style: "long" });
  } catch {
    return null; // an old browser: commas
  }
}

/** Words as a list in the UI language ("English and Arabic", "الإنجليزية والعربية"). `type`:
 * "conjunction" (and), "unit" (a plain enumeration). */
export function listText(values, type = "conjunction") {
  const f = listFormat(type);
  return f ? f.format(values.map(String)) : values.join(", ");
}

/** Like listText, with each value isolated in a <bdi> (names in a sentence of another script). */
export function listNodes(values, type = "conjunction") {
  const f = listFormat(type);
  if (!f) return values.flatMap((v, i) => (i ? [", ", h("bdi", {}, String(v))] : [h("bdi", {}, String(v))]));
  return f.formatToParts(values.map(String)).map((p) => (p.type === "element" ? h("bdi", {}, p.value) : p.value));
}

/** A value isolated from the sentence around it (a name, a user's text): <bdi>, so an Arabic
 * name in an English sentence, or a Latin one in Arabic, keeps its own direction. */
export function iso(text, lang = null) {
  return { iso: String(text ?? ""), lang };
}

/** The nodes of string `key` with `vars` filled in; iso() values become <bdi> elements, arrays
 * of nodes go in as they are, numbers are written in the locale. `count` picks a plural form (and
 * fills {count}). */
export function rich(key, vars = {}, count = null) {
  const all = count === null ? { ...vars } : { ...vars, count: Number(count) };
  const text = template(key, count);
  const out = [];
  let last = 0;
  for (const m of text.matchAll(/\{(\w+)\}/g)) {
    if (!(m[1] in all)) continue;
    out.push(text.slice(last, m.index));
    const v = all[m[1]];
    if (Array.isArray(v)) out.push(...v); // nodes already made (a clause of their own)
    else if (v && typeof v === "object" && "iso" in v) out.push(h("bdi", { lang: v.lang }, v.iso));
    else out.push(typeof v === "number" ? num(v) : String(v));
    last = m.index + m[0].length;
  }
  out.push(text.slice(last));
  return out.filter((x) => x !== "");
}

/** Fill `el` with rich(key, vars, count), only when the words changed. */
export function setRich(el, key, vars = {}, count = null) {
  setNodes(el, rich(key, vars, count));
}

/** Fill `el` with `nodes` (strings and elements), only when what they say changed. */
export function setNodes(el, nodes) {
  const sig = nodes.map((x) => (typeof x === "string" ? x : `\u2068${x.getAttribute?.("lang") || ""}|${x.textContent}\u2069`)).join("");
  if (el.dataset.sig === sig && el.childNodes.length) return;
  el.dataset.sig = sig;
  fill(el, nodes);
}

/** A time of day on this device's clock, in the UI language ("14:05"). */
export function localTime(ms, { seconds = false } = {}) {
  const opts = { hour: "2-digit", minute: "2-digit" };
  if (seconds) opts.second = "2-digit";
  try {
    return new Intl.DateTimeFormat(LOCALE, opts).format(ms);
  } catch {
    return new Date(ms).toISOString().slice(11, seconds ? 19 : 16);
  }
}

export function assemblyIdFromPath() {
  try {
    return decodeURIComponent(location.pathname.split("/")[2] || "");
  } catch {
    return "";
  }
}

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled: the page still works, it just forgets
  }
}

export function load(key) {
  try {
    const raw = storage()?.getItem(key);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

export function save(key, value) {
  try {
    if (value === null || value === undefined) storage()?.removeItem(key);
    else storage()?.setItem(key, JSON.stringify(value));
    return true;
  } catch {
    return false;
  }
}

/** A language's name in `inLanguage` ("inglés" inside a Spanish sentence), or by default its own
 * name, capitalised for lists ("Español", "العربية"); the code when the browser has no name. */
export function languageName(code, inLanguage = code) {
  try {
    const name = new Intl.DisplayNames([inLanguage], { type: "language" }).of(code);
    if (name && name !== code) {
      return inLanguage === code ? name.charAt(0).toLocaleUpperCase(inLanguage) + name.slice(1) : name;
    }
  } catch {
    // an old browser without DisplayNames
  }
  return code;
}

/**
 * One live assembly page. `hooks`: render(page), tick(page) (every second), event(page, frame)
 * after an event is applied, role(page) when the role is known or changes.
 */
export class AssemblyPage {
  constructor(kind, hooks) {
    this.kind = kind; // chair | delegate | interpreter | watch
    this.hooks = hooks;
    this.assemblyId = assemblyIdFromPath();
    this.token = fragmentParam("t");
    this.model = emptyModel();
    this.role = null;
    this.subject = null;
    this.synced = false;
    this.renderQueued = false;
    this.chosenLang = chosenLanguage(); // an explicit choice on this device (the picker) wins
    setLanguage(bestLanguage(this.chosenLang ? [this.chosenLang] : []));
    this.readLang = LANG; // the language texts are read in (an assembly language, maybe not served)
    this.langFromPerson = false;
    this.welcomes = 0; // how many times the server said welcome (reconnections + 1)
    this.listeners = new Set(); // {frame(f), status(s)}: media.js follows the socket through these
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.stream = new LiveStream(
      `${scheme}://${location.host}/ws/assembly/${encodeURIComponent(this.assemblyId)}`,
      this.token,
      {
        afterOffset: () => this.model.offset,
        onWelcome: (f) => this.onWelcome(f),
        onEvent: (f) => this.onEvent(f),
        onStatus: (s) => this.onStatus(s),
        onFrame: (f) => {
          for (const l of this.listeners) l.frame?.(f);
        },
        onSynced: () => {
          this.synced = true;
          this.adoptPersonLanguage();
          this.scheduleRender();
        },
      },
    );
    // the shared picker (i18n.js) lists the served languages; it remembers the choice itself
    const pick = $("lang-pick");
    if (pick) languagePicker(pick, { onChange: (code) => this.chooseLanguage(code, true) });
    $("conn-retry")?.addEventListener("click", () => this.stream.retryNow());
    // Another link opened in this tab changes only the #t= fragment: the page would go on as the
    // old identity. Start again as the new one.
    window.addEventListener("hashchange", () => {
      const token = fragmentParam("t");
      if (token && token !== this.token) location.reload();
    });
    // Sections folded away on a phone start open where there is room for them.
    if (window.matchMedia?.("(min-width: 760px)").matches) {
      for (const d of document.querySelectorAll("details[data-open-wide]")) d.open = true;
    }
    // The skip link must not replace the fragment (and with it the link token) with #main.
    document.querySelector("a.skip")?.addEventListener("click", (e) => {
      e.preventDefault();
      $("main")?.focus();
    });
    // for tests and the curious: the folded model (read-only use)
    Object.defineProperty(window, "mayday", { value: { page: this }, configurable: true });
  }

  start() {
    if (!this.assemblyId) {
      this.notFound("asm_no_id");
      return;
    }
    this.stream.start();
    const tick = () => {
      if (this.model.created) this.hooks.tick?.(this);
      setTimeout(tick, 1020 - (this.now() % 1000));
    };
    tick();
  }

  now() {
    return this.stream.clock.now();
  }

  get me() {
    return personOf(this.model, this.subject);
  }

  get order() {
    return speakingOrder(this.model);
  }

  onWelcome(frame) {
    if (frame.offset < this.model.offset) {
      // the server's log is shorter than what we hold (it was reset): start again from nothing
      this.model = emptyModel();
      this.hooks.reset?.(this);
      return "reset";
    }
    this.welcomes += 1;
    const changed = this.role !== frame.role || this.subject !== frame.subject;
    this.role = frame.role;
    this.subject = frame.subject;
    this.synced = false;
    if (changed) this.hooks.role?.(this);
    this.scheduleRender();
    return "ok";
  }

  onEvent(frame) {
    const r = applyEvent(this.model, frame.offset, frame.event, frame.data);
    if (r !== "ok") return r;
    const d = frame.data || {};
    if (frame.event === "assembly_created" || (frame.event === "person_added" && d.id === this.subject)) {
      // the participant's own language, before the first render (no flash of another language)
      this.adoptPersonLanguage();
      document.title = t("asm_page_title", { title: this.model.title, page: t(`page_${this.kind}`) });
      if (!this.langFromPerson) this.readLang = this.assemblyCodeFor(LANG);
    }
    if (frame.event === "link_revoked" && this.synced && this.subject && d.person === this.subject) {
      // our link was replaced: say hello again, and a revoked link is refused (4001) and shown
      setTimeout(() => this.stream.reconnect(), 0);
    }
    this.hooks.event?.(this, frame);
    this.scheduleRender();
    return r;
  }

  onStatus(status) {
    this.lastStatus = status;
    if (!$("connection")) return;
    showConnection(status, "asm_conn_failed");
    if (status.state === "failed") this.showFailure(status);
    if (status.state !== "live") this.synced = false;
    document.body.dataset.conn = status.state;
    for (const l of this.listeners) l.status?.(status);
    this.scheduleRender();
  }

  showFailure(status) {
    const message = status.error?.message || "";
    this.role = null;
    this.hooks.role?.(this);
    if (status.closeCode === CLOSE_NOT_FOUND) {
      this.notFound("asm_unknown");
      return;
    }
    let text;
    if (!this.token) text = this.kind === "watch" ? t("asm_needs_link") : t("asm_needs_own_link");
    else text = t("asm_bad_link", { message });
    this.fatal(text);
  }

  fatal(text) {
    const box = $("fatal");
    fill(box, h("p", {}, text));
    if (this.token && this.kind !== "watch" && this.assemblyId) {
      box.append(h("p", {}, h("a", { href: `/assembly/${encodeURIComponent(this.assemblyId)}/watch` }, t("asm_open_watch"))));
    }
    box.hidden = false;
    box.dataset.state = "failed";
    $("loading").hidden = true;
    $("app").hidden = true;
  }

  /** No such assembly: say so plainly, and offer nothing that belongs to one (no minutes). */
  notFound(key) {
    this.notFoundKey = key;
    this.stream.stop();
    const box = $("fatal");
    fill(
      box,
      h("h2", { dataset: { testid: "not-found-heading" } }, t("asm_not_found_title")),
      h("p", {}, t(key)),
      h("p", {}, t("asm_not_found_hint")),
      h("p", {}, h("a", { href: "/", class: "btn" }, t("asm_front_page"))),
    );
    box.hidden = false;
    box.dataset.state = "not-found";
    document.body.dataset.state = "not-found";
    document.title = t("asm_not_found_page_title");
    $("loading").hidden = true;
    $("app").hidden = true;
    const footer = document.querySelector(".footer");
    if (footer) footer.hidden = true;
    const conn = $("connection");
    if (conn) conn.hidden = true;
  }

  /** The assembly's code for UI language `ui` ("tl" in a definition that says tl for Filipino). */
  assemblyCodeFor(ui) {
    return this.model.languages.find((l) => l === ui) || this.model.languages.find((l) => bestLanguage([l]) === ui) || ui;
  }

  /** Default to the participant's own language (from the definition) unless chosen here. */
  adoptPersonLanguage() {
    if (this.chosenLang || this.langFromPerson) return;
    const me = this.me;
    if (me && me.language) {
      this.langFromPerson = true;
      this.chooseLanguage(me.language, false);
    }
  }

  /** Read (and show the pages) in `code`: a served language chosen with the picker, or the
   * participant's own language from the definition (texts in it even when the pages cannot be). */
  chooseLanguage(code, explicit) {
    if (explicit) this.chosenLang = code;
    const served = setLanguage(code); // a served language, or an alias of one ("tl" -> "fil")
    if (!served) setLanguage(bestLanguage([]));
    this.readLang = served ? this.assemblyCodeFor(LANG) : code;
    if (this.model.created) {
      document.title = t("asm_page_title", { title: this.model.title, page: t(`page_${this.kind}`) });
    } else if (this.notFoundKey) {
      this.notFound(this.notFoundKey);
    }
    if (this.lastStatus && this.lastStatus.state !== "failed") this.onStatus(this.lastStatus);
    this.hooks.language?.(this);
    this.renderNow();
  }

  scheduleRender() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    const run = () => {
      if (!this.renderQueued) return;
      this.renderNow();
    };
    requestAnimationFrame(run);
    setTimeout(run, 250); // rAF does not run in a hidden tab; the page should still catch up
  }

  renderNow() {
    this.renderQueued = false;
    if (!this.model.created) return;
    $("loading").hidden = true;
    $("app").hidden = false;
    const footer = document.querySelector(".footer");
    if (footer) footer.hidden = false;
    setText($("title"), this.model.title);
    renderRole(this);
    renderReadOnly(this);
    this.hooks.render(this);
  }

  /** Send a command; resolves with the ack, rejects with {code, message}. */
  command(command, opts = {}) {
    return this.stream.command(command, opts);
  }
}

/** Who this page acts as, in words: "You are: delegate Rosa Quispe (lpb)". */
export function identityNodes(page) {
  const me = page.me;
  const name = iso(nameOf(page.model, page.subject));
  switch (page.role) {
    case "chair":
      return rich("you_are_chair", { name });
    case "delegate": {
      const place = me?.site || me?.region;
      return place ? rich("you_are_delegate_at", { name, site: iso(place) }) : rich("you_are_delegate", { name });
    }
    case "interpreter":
      return me?.booth
        ? rich("you_are_interpreter_booth", { name, language: languageName(me.booth, LANG) })
        : rich("you_are_interpreter", { name });
    case "viewer":
      return rich("you_are_viewer");
    case "public":
      return rich("you_are_public");
    default:
      return [];
  }
}

function renderRole(page) {
  const el = $("role");
  if (!el) return;
  setNodes(el, identityNodes(page));
  setAttr(el, "data-role", page.role || "");
}

/** A participant's page opened without that participant's link is read-only: say so and why. */
function renderReadOnly(page) {
  const box = $("readonly");
  if (!box) return;
  const expected = page.kind; // chair | delegate | interpreter
  const role = page.role;
  const readOnly = Boolean(role) && role !== expected;
  box.hidden = !readOnly;
  setAttr(box, "data-reason", readOnly ? (page.token ? "other-link" : "no-token") : null);
  if (!readOnly) return;
  const key = `${LANG}|${role}|${Boolean(page.token)}`;
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  const head = h("strong", {}, t("readonly_title"));
  if (!page.token) {
    fill(box, h("p", {}, head, " ", t(`readonly_no_token_${expected}`)), h("p", { class: "hint" }, t("readonly_no_token_hint")));
    return;
  }
  const target = ROLE_PAGES[role];
  const link = target
    ? h("a", { href: `/assembly/${encodeURIComponent(page.assemblyId)}/${target}#t=${encodeURIComponent(page.token)}`, dataset: { testid: "readonly-open" } }, t(`readonly_open_${target}`))
    : null;
  fill(box, h("p", {}, head, " ", t(`readonly_other_${role}`) || ""), link ? h("p", {}, link) : null);
}

/** A refused or failed command in words. */
export function commandError(err) {
  if (!err) return "";
  if (err.offline) return t("asm_offline");
  if (err.unconfirmed) return t("asm_unconfirmed");
  return t("asm_refused", { message: err.message || err.code });
}

/** Run `fn` (a command) with `button` busy and `status`/`error` elements told the outcome. */
export async function act(page, { button = null, error = null, status = null, done = null }, fn) {
  if (error) setText(error, "");
  if (status) setText(status, "");
  if (button) button.disabled = true;
  try {
    const ack = await fn();
    if (status && done) {
      setText(status, done);
      setTimeout(() => status.textContent === done && setText(status, ""), 4000);
    }
    return ack;
  } catch (err) {
    if (error) setText(error, commandError(err));
    return null;
  } finally {
    if (button) button.disabled = false;
    page.scheduleRender();
  }
}

// Keyed lists ------------------------------------------------------------------------------------

/**
 * Make `container`'s children match `items` (by key), creating an element once per key with
 * create(item) and refreshing it with update(el, item). Elements (and any text typed into
 * their fields, and focus) survive re-renders.
 */
export function keyed(container, items, key, create, update) {
  const focused = document.activeElement;
  const hadFocus = focused && focused !== document.body && container.contains(focused);
  const old = new Map();
  for (const el of container.children) old.set(el.dataset.key, el);
  let prev = null;
  for (const item of items) {
    const k = String(key(item));
    let el = old.get(k);
    if (el) old.delete(k);
    else {
      el = create(item);
      el.dataset.key = k;
    }
    update(el, item);
    const want = prev ? prev.nextElementSibling : container.firstElementChild;
    if (want !== el) container.insertBefore(el, want);
    prev = el;
  }
  for (const el of old.values()) el.remove();
  // moving an element blurs whatever inside it had focus (a "move up" button, say): give it back
  if (hadFocus && focused.isConnected && document.activeElement !== focused) focused.focus();
}

// The floor --------------------------------------------------------------------------------------

export function kindLabel(kind) {
  return t(`kind_${kind}`);
}

function regionText(page, id) {
  const p = personOf(page.model, id);
  return p?.region || p?.site || "";
}

/** Speaker, kind, region, floor language; the countdown is renderClock's (every second). */
export function renderFloor(page) {
  const m = page.model;
  const f = m.floor;
  const card = $("floor");
  setAttr(card, "data-person", f ? f.person : "");
  const speaker = $("floor-speaker");
  setText(speaker, f ? nameOf(m, f.person) : t("floor_empty"));
  setAttr(speaker, "dir", f ? "auto" : null); // a name keeps its own direction
  const meta = [];
  if (f) {
    meta.push(kindLabel(f.kind));
    const region = regionText(page, f.person);
    if (region) meta.push(h("bdi", {}, region));
    if (f.person === page.subject) meta.push(t("floor_you"));
  }
  setNodes($("floor-meta"), meta.flatMap((x, i) => (i ? [" · ", x] : [x])));
  const fl = $("floor-language");
  if (fl) {
    // the interpreters' page always says it; elsewhere only once the speaker or chair has set it
    const language = m.floorLanguage ? languageName(m.floorLanguage, LANG) : fl.dataset.always ? t("floor_language_unset") : "";
    setText(fl, language ? t("floor_language_is", { language }) : "");
    setAttr(fl, "data-language", m.floorLanguage || "");
  }
  renderClock(page);
}

/** The countdown to the server's deadline, with the server clock; over time once it passes. */
export function renderClock(page) {
  const f = page.model.floor;
  const card = $("floor");
  const cd = $("floor-countdown");
  const over = $("floor-overtime");
  if (!f) {
    setAttr(card, "data-state", "empty");
    setText(cd, "");
    setAttr(cd, "data-ms", null);
    setText(over, "");
    return;
  }
  const left = f.deadline - page.now();
  const overtime = f.overtime || left <= 0;
  setAttr(card, "data-state", overtime ? "overtime" : "speaking");
  setText(cd, overtime ? `+${clock(-left)}` : clock(left));
  setAttr(cd, "data-ms", Math.round(left));
  setAttr(cd, "aria-label", overtime ? t("floor_over_by", { time: clock(-left) }) : t("floor_left", { time: clock(left) }));
  // screen readers hear when time runs out, not every second
  setText(over, overtime ? t("floor_overtime") : "");
}

// The speaking order ----------------------------------------------------------------------------

/** "3 waiting · next: Rosa" for the aria-live summary line. */
export function orderSummary(page, order) {
  const m = page.model;
  if (!order.length) return m.listOpen ? [t("order_empty")] : [`${t("order_empty")} · ${t("list_closed")}`];
  const parts = [tn("order_waiting", order.length), " · ", ...rich("order_next", { name: iso(nameOf(m, order[0].person)) })];
  if (!m.listOpen) parts.push(` · ${t("list_closed")}`);
  return parts;
}

/** Fill the order summary line ("3 waiting · next: Rosa"). */
export function renderOrderSummary(page, el, order = page.order) {
  setNodes(el, orderSummary(page, order));
}

/** A person's name, isolated, with " (you)" after it when it is this page's participant. */
export function nameNodes(page, id) {
  const nodes = [h("bdi", {}, nameOf(page.model, id))];
  if (id && id === page.subject) nodes.push(` (${t("you")})`);
  return nodes;
}

/** The read-only speaking order (delegate, interpreter, viewer). */
export function renderOrderList(page, list, order = page.order) {
  const m = page.model;
  keyed(
    list,
    order.map((e, i) => ({ e, i })),
    ({ e }) => e.id,
    () =>
      h(
        "li",
        { class: "order-item" },
        h("span", { class: "order-pos", "aria-hidden": "true" }),
        h("span", { class: "order-name" }),
        h("span", { class: "order-kind badge" }),
        h("span", { class: "order-region", dir: "auto" }),
      ),
    (el, { e, i }) => {
      const [pos, name, kind, region] = el.children;
      setText(pos, num(i + 1));
      setNodes(name, nameNodes(page, e.person));
      setText(kind, kindLabel(e.kind));
      setAttr(kind, "data-kind", e.kind);
      setText(region, regionText(page, e.person));
      setAttr(el, "data-person", e.person);
      setAttr(el, "data-entry", e.id);
      setAttr(el, "data-testid", `order-${e.person}-${e.kind}`);
      el.classList.toggle("is-me", e.person === page.subject);
      el.classList.toggle("is-point", e.kind === "point_of_order");
    },
  );
}

// Texts ----------------------------------------------------------------------------------------

export function textNumber(id) {
  return Number.parseInt(String(id).slice(1), 10) || 0;
}

export function textLabel(t_) {
  return t_.demand
    ? t("amendment_label", { n: textNumber(t_.id), demand: textNumber(t_.demand) })
    : t("demand_label", { n: textNumber(t_.id) });
}

/** A short quote of a text in the reading language, for ballot titles. */
export function textSnippet(page, tid, max = 140) {
  const tx = page.model.texts.get(tid);
  if (!tx) return tid;
  const shown = textIn(tx, page.readLang).text;
  return shown.length > max ? `${shown.slice(0, max - 1)}…` : shown;
}

/** Demands in order, each followed by its amendments: [{text, depth}]. */
export function textsInOrder(m) {
  const all = [...m.texts.values()];
  const demands = all.filter((x) => !x.demand).sort((a, b) => textNumber(a.id) - textNumber(b.id));
  const out = [];
  for (const d of demands) {
    out.push(d);
    for (const a of all.filter((x) => x.demand === d.id).sort((a, b) => textNumber(a.id) - textNumber(b.id))) out.push(a);
  }
  return out;
}

/**
 * The shared part of a text: head, the text in the reading language (or the original when not
 * translated), the original one click away, stale marker, and (opts.translations) every
 * translation. Returns the element; `extra` is a persistent slot for page-specific forms.
 */
export function createTextItem(tx) {
  const body = h("blockquote", { class: "text-body", dir: "auto", dataset: { testid: "text-body" } });
  const original = h("blockquote", { class: "text-original", dir: "auto", hidden: true, dataset: { testid: "text-original" } });
  const toggle = h("button", { type: "button", class: "btn btn-small btn-link", "aria-expanded": "false", dataset: { testid: "toggle-original" } });
  toggle.addEventListener("click", () => {
    const open = original.hidden;
    original.hidden = !open;
    setAttr(toggle, "aria-expanded", open ? "true" : "false");
    toggle.dispatchEvent(new CustomEvent("toggled", { bubbles: true }));
  });
  const el = h(
    "li",
    { class: `text-item${tx.demand ? " is-amendment" : ""}`, dataset: { testid: `text-${tx.id}`, id: tx.id } },
    h(
      "div",
      { class: "text-head" },
      h("h3", { class: "text-id" }),
      h("span", { class: "badge text-status" }),
      h("span", { class: "text-by" }),
    ),
    body,
    h("p", { class: "text-note", dataset: { testid: "text-note" } }),
    toggle,
    original,
    h("details", { class: "text-translations", hidden: true }, h("summary"), h("ul", { class: "tr-list" })),
    h("div", { class: "text-extra" }),
  );
  el._refs = {
    id: el.querySelector(".text-id"),
    status: el.querySelector(".text-status"),
    by: el.querySelector(".text-by"),
    body,
    note: el.querySelector(".text-note"),
    toggle,
    original,
    translations: el.querySelector(".text-translations"),
    extra: el.querySelector(".text-extra"),
  };
  return el;
}

export function updateTextItem(page, el, tx, { translations = false } = {}) {
  const m = page.model;
  const r = el._refs;
  const shown = textIn(tx, page.readLang);
  const status = textStatus(m, tx);
  setText(r.id, textLabel(tx));
  setText(r.status, t(`status_${status}`));
  setAttr(r.status, "data-status", status);
  setAttr(el, "data-status", status);
  setRich(r.by, "proposed_by", { name: iso(nameOf(m, tx.proposer)), language: languageName(tx.language, LANG) });
  setText(r.body, shown.text);
  setAttr(r.body, "lang", shown.language);
  setAttr(el, "data-shown-language", shown.language);
  setAttr(el, "data-stale", shown.stale ? "true" : "false");
  let note = "";
  if (shown.translated) {
    note = t("translated_from", { language: languageName(tx.language, LANG) });
    if (shown.stale) note = `${t("translation_stale")} ${note}`;
  } else if (shown.missing) {
    note = t("no_translation", { language: languageName(page.readLang, LANG), original: languageName(tx.language, LANG) });
  }
  setText(r.note, note);
  r.note.classList.toggle("is-stale", shown.stale);
  r.toggle.hidden = !shown.translated;
  if (!shown.translated) r.original.hidden = true;
  setAttr(r.toggle, "aria-expanded", r.original.hidden ? "false" : "true");
  setText(r.toggle, t("show_original", { language: languageName(tx.language, LANG) }));
  setText(r.original, tx.text);
  setAttr(r.original, "lang", tx.language);
  r.translations.hidden = !translations || tx.translations.size === 0;
  if (translations && tx.translations.size) {
    const [summary, list] = r.translations.children;
    setText(summary, t("translations_count", { n: num(tx.translations.size) }));
    keyed(
      list,
      [...tx.translations.values()],
      (tr) => tr.language,
      (tr) => h("li", { dataset: { testid: `translation-${tr.language}` } }, h("strong"), h("span", { class: "badge badge-stale" }), h("span", { class: "tr-text", dir: "auto" })),
      (li, tr) => {
        const [name, stale, text] = li.children;
        const isStale = tr.sourceRev < tx.rev;
        setText(name, `${languageName(tr.language, LANG)}: `);
        setText(stale, isStale ? t("stale") : "");
        stale.hidden = !isStale;
        setAttr(li, "data-stale", isStale ? "true" : "false");
        setText(text, tr.text);
        setAttr(text, "lang", tr.language);
      },
    );
  }
}

// Ballots --------------------------------------------------------------------------------------

export function ballotsInOrder(m) {
  // open ballots first (newest first), then closed ones, newest first
  return [...m.ballots.values()].sort((a, b) => (a.status === b.status ? b.id - a.id : a.status === "open" ? -1 : 1));
}

export function createBallotItem(b) {
  const el = h(
    "li",
    { class: "ballot", dataset: { testid: `ballot-${b.id}`, ballot: b.id } },
    h("div", { class: "ballot-head" }, h("h3", { class: "ballot-title" }), h("span", { class: "badges" })),
    h("p", { class: "ballot-target" }),
    h("div", { class: "tally", "aria-live": "polite", dataset: { testid: "tally" } }),
    h("div", { class: "result", dataset: { testid: "result" }, hidden: true }),
    h("div", { class: "ballot-extra" }),
  );
  el._refs = {
    title: el.querySelector(".ballot-title"),
    badges: el.querySelector(".badges"),
    target: el.querySelector(".ballot-target"),
    tally: el.querySelector(".tally"),
    result: el.querySelector(".result"),
    extra: el.querySelector(".ballot-extra"),
  };
  return el;
}

function badge(text, cls) {
  return h("span", { class: `badge ${cls}` }, text);
}

export function updateBallotItem(page, el, b) {
  const m = page.model;
  const r = el._refs;
  setAttr(el, "data-status", b.status);
  setAttr(el, "data-secret", b.secret ? "true" : "false");
  setAttr(el, "data-kind", b.kind);
  setText(r.title, b.kind === "ranking" ? t("ranking_title", { n: b.id }) : t("ballot_title", { n: b.id }));
  const badges = [badge(b.status === "open" ? t("ballot_open") : t("ballot_closed"), `b-${b.status}`)];
  badges.push(badge(b.secret ? t("secret") : t("open_vote"), b.secret ? "b-secret" : "b-public"));
  if (b.kind === "motion") {
    badges.push(badge(t(`majority_${b.majority}`), "b-majority"));
    badges.push(badge(t("quorum_is", { pct: num(Math.round(Number(b.quorum) * 100)) }), "b-quorum"));
  } else {
    badges.push(badge(t("schulze"), "b-majority"));
  }
  const key = badges.map((x) => x.textContent).join("|");
  if (r.badges.dataset.key !== key) {
    r.badges.dataset.key = key;
    fill(r.badges, badges);
  }
  let targetKey;
  if (b.kind === "motion") {
    const tx = m.texts.get(b.target);
    const shown = tx ? textIn(tx, page.readLang) : null;
    targetKey = `${LANG}|${shown?.language}|${textSnippet(page, b.target)}`;
    if (r.target.dataset.key !== targetKey) {
      r.target.dataset.key = targetKey;
      fill(
        r.target,
        tx ? `${textLabel(tx)}: ` : "",
        // the quote keeps its own direction inside a page of another script
        h("bdi", { lang: shown?.language || null }, tx ? textSnippet(page, b.target) : b.target || ""),
      );
    }
  } else {
    setText(r.target, t("ranking_of", { list: listText(b.candidates.map((c) => textLabel(m.texts.get(c) || { id: c }))) }));
  }
  renderTally(page, r.tally, b);
  renderResult(page, r.result, b);
}

function renderTally(page, box, b) {
  const open = b.status === "open";
  box.hidden = !open;
  if (!open) return;
  const voters = b.voters.size;
  let key;
  if (b.secret || b.kind === "ranking") {
    key = `v${voters}|${LANG}`;
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    fill(box, h("p", { class: "voters", dataset: { testid: "voters", n: voters } }, tn(b.secret ? "voters_secret" : "voters_count", voters)));
    return;
  }
  const totals = liveTally(b);
  key = `${totals.yes}|${totals.no}|${totals.abstain}|${voters}|${LANG}`;
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  const sum = totals.yes + totals.no + totals.abstain || 1;
  const rows = ["yes", "no", "abstain"].map((c) => {
    const bar = h("span", { class: `bar bar-${c}` });
    bar.style.inlineSize = `${(totals[c] / sum) * 100}%`;
    return h(
      "div",
      { class: "tally-row", dataset: { choice: c, testid: `tally-${c}`, weight: formatWeight(totals[c]) } },
      h("span", { class: "tally-label" }, t(`choice_${c}`)),
      h("span", { class: "tally-bar", "aria-hidden": "true" }, bar),
      h("span", { class: "tally-num" }, num(totals[c] / 1000)),
    );
  });
  fill(box, h("p", { class: "voters", dataset: { testid: "voters", n: voters } }, tn("voters_count", voters)), rows);
}

function renderResult(page, box, b) {
  const res = b.result;
  box.hidden = !res;
  if (!res) return;
  const key = JSON.stringify(res) + page.readLang + LANG;
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  const m = page.model;
  if (b.kind === "motion") {
    setAttr(box, "data-outcome", res.outcome);
    fill(
      box,
      h("p", { class: `outcome outcome-${res.outcome}`, dataset: { testid: "outcome" } }, t(`outcome_${res.outcome}`)),
      h(
        "p",
        { class: "result-numbers", dataset: { testid: "result-numbers", yes: res.yes, no: res.no, abstain: res.abstain } },
        t("result_numbers", { yes: num(res.yes), no: num(res.no), abstain: num(res.abstain) }),
      ),
      h(
        "p",
        { class: "hint" },
        tn("result_detail", b.voters.size, {
          present: num(res.present_weight),
          quorum: res.quorum_met ? t("quorum_met") : t("quorum_not_met"),
        }),
      ),
    );
    return;
  }
  setAttr(box, "data-outcome", "ranked");
  const label = (c) => textLabel(m.texts.get(c) || { id: c });
  const tiers = h(
    "ol",
    { class: "ranking-tiers", dataset: { testid: "ranking" } },
    (res.ranking || []).map((tier) =>
      h(
        "li",
        {},
        tier.flatMap((c, i) => [...(i ? [" = "] : []), `${label(c)} — `, h("bdi", {}, textSnippet(page, c, 60))]),
      ),
    ),
  );
  const names = b.candidates;
  const table = h(
    "table",
    { class: "pairwise", dataset: { testid: "pairwise" } },
    h("caption", {}, t("pairwise_caption")),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, ""), names.map((y) => h("th", { scope: "col" }, label(y))))),
    h(
      "tbody",
      {},
      names.map((x) =>
        h("tr", {}, h("th", { scope: "row" }, label(x)), names.map((y) => h("td", {}, x === y ? "—" : num(res.pairwise?.[x]?.[y] ?? 0)))),
      ),
    ),
  );
  fill(
    box,
    h("p", { class: "outcome outcome-ranked" }, t("ranking_result")),
    tiers,
    h("div", { class: "table-wrap" }, table),
    h("p", { class: "hint" }, tn("result_voters", b.voters.size)),
  );
}

/** Present delegates' weight in words ("3 present, weight 4"). */
export function presentSummary(m) {
  let n = 0;
  let w = 0;
  for (const id of m.present) {
    const p = m.people.get(id);
    if (p && p.role === "delegate") {
      n += 1;
      w += milli(p.weight);
    }
  }
  const total = [...m.people.values()].filter((p) => p.role === "delegate").length;
  return tn("present_summary", total, { present: num(n), weight: num(w / 1000) });
}

// Minutes ----------------------------------------------------------------------------------------

let minutesReady = false;

/** The footer's links to the minutes (Markdown and JSON). A link-only assembly's minutes need the
 * link: they are fetched with the Authorization header (never a ?token= query) and opened here. */
export function setupMinutes(page) {
  if (minutesReady || !page.assemblyId) return;
  minutesReady = true;
  const base = `/api/assemblies/${encodeURIComponent(page.assemblyId)}/minutes`;
  for (const [id, ext] of [["minutes-md", "md"], ["minutes-json", "json"]]) {
    const a = $(id);
    if (!a) continue;
    a.href = `${base}.${ext}`;
    a.addEventListener("click", async (e) => {
      if (page.model.viewers !== "link" || !page.token) return;
      e.preventDefault();
      const res = await fetch(a.getAttribute("href"), {
        headers: { authorization: `Bearer ${page.token}` },
        credentials: "omit",
        cache: "no-store",
      }).catch(() => null);
      if (!res || !res.ok) {
        window.alert(t("minutes_error", { status: res ? res.status : t("network_error") }));
        return;
      }
      const url = URL.createObjectURL(await res.blob());
      window.open(url, "_blank", "noopener");
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    });
  }
}
