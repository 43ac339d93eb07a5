// The shared i18n base of every Mayday page.
//
// STRINGS holds one table per language. Every language in SERVED has every key of `en`
// (tests/test_i18n.py fails otherwise); the assembly pages merge their own tables in with
// addStrings() (static/i18n-assembly.js). To add a language: add its code to SERVED and its
// native name to LANGUAGE_NAMES, copy `en`, translate the values and keep every {name}.
//
// A value is either a string or a plural form: an object keyed by the CLDR plural categories of
// the language (zero, one, two, few, many, other; `other` is required), chosen by the `count`
// variable through Intl.PluralRules:
//     legs: {one: "{count} leg", other: "{count} legs"}     t("legs", {count: 3}) -> "3 legs"
// Numbers passed as variables are written with Intl.NumberFormat in the page's locale; dates and
// times go through util.js (Intl.DateTimeFormat in the same locale).
//
// HTML elements carry data-i18n="key" (text) or data-i18n-attr="attr:key;attr:key"; applyI18n()
// fills them and sets <html lang> and dir (rtl for Arabic). The language is the one chosen with
// languagePicker() on this device (localStorage "mayday.lang"), else the first of the browser's
// languages that is served, else English.

/** The languages every page is translated into, in the order the picker lists them. */
export const SERVED = ["en", "es", "fr", "pt", "ar", "sw", "fil", "hi"];

/** Each served language's name in itself (the picker's labels; old browsers lack DisplayNames). */
export const LANGUAGE_NAMES = {
  en: "English",
  es: "Español",
  fr: "Français",
  pt: "Português",
  ar: "العربية",
  sw: "Kiswahili",
  fil: "Filipino",
  hi: "हिन्दी",
};

/** Languages written right to left: <html dir="rtl"> and logical CSS properties do the rest. */
export const RTL_LANGUAGES = new Set(["ar", "fa", "he", "ur", "ps", "yi"]);

/** Codes a browser or a definition may use for a served language. */
const ALIASES = { tl: "fil", tgl: "fil", swa: "sw", swh: "sw", hin: "hi", ara: "ar" };

/** Where the chosen language is remembered on this device (shared with the assembly pages). */
export const LANGUAGE_KEY = "mayday.lang";

export const STRINGS = {
  en: {
    app_name: "Mayday",
    skip_to_main: "Skip to content",
    language_label: "Language",

    // index page
    index_title: "Mayday — rolling strike relays",
    index_intro:
      "Mayday coordinates rolling strikes that hop time zones: each site strikes in its own local hours and hands the baton to the next. Coordinators watch a live relay board; site delegates check in and post dispatches from any phone.",
    index_how:
      "A relay is created from a short YAML or JSON definition (sites, time zones, local start times). Creating it gives you one link for the coordinators, one for each site, a read-only viewer link and a public board.",
    open_board_heading: "Open a relay board",
    open_board_label: "Relay id or link",
    open_board_hint: "Paste the link you were sent, or just the relay id (the part after /relay/).",
    open_board_button: "Open board",
    open_board_invalid: "That does not look like a relay id or a link to this server.",
    admin_needed_heading: "Creating relays and assemblies",
    admin_needed_text:
      "Creating a relay or an assembly needs this server's admin link. Whoever runs the server can print it again, on the server machine (with the same --data directory or MAYDAY_SECRET), with:",
    admin_needed_command: "mayday invite admin --base https://your.server",
    admin_needed_after: "Open that link in this browser; it ends in #admin=… and stays on your device.",
    you_are_admin: "You are: the server's admin",
    admin_heading: "Create a relay",
    relays_heading: "Relays on this server",
    relays_loading: "Loading relays…",
    relays_none: "No relays yet.",
    relays_error: "Could not list relays: {message}",
    relay_untitled: "(untitled)",
    assemblies_heading: "Assemblies on this server",
    assemblies_loading: "Loading assemblies…",
    assemblies_none: "No assemblies yet.",
    assemblies_error: "Could not list assemblies: {message}",
    show_links: "Links",
    hide_links: "Hide links",
    links_loading: "Loading links…",
    open_relay_board: "Open board",
    open_watch_page: "Watch",
    definition_label: "Relay definition (YAML or JSON)",
    definition_hint:
      "Each site needs an id, a name, an IANA time zone (e.g. Africa/Lagos) and legs: a local date, start time and a duration or local end. Optional: backup (another site's id), checkin_grace, board: private.",
    upload_label: "…or load a file",
    preview_button: "Preview plan",
    create_button: "Create relay",
    working: "Working…",
    preview_heading: "Plan preview: {name}",
    preview_legs: { one: "{count} leg", other: "{count} legs" },
    preview_handoffs: { one: "{count} handoff", other: "{count} handoffs" },
    preview_summary: "{legs}, {handoffs}, time zone database {tzdb}.",
    preview_gaps: "Gaps with nobody on strike:",
    preview_no_gaps: "No gaps: someone is on strike from the first start to the last end.",
    col_leg: "#",
    col_site: "Site",
    col_local_start: "Local start",
    col_local_end: "Local end",
    col_utc: "UTC",
    col_hours: "Hours",
    col_warnings: "Warnings",
    created_heading: "Relay created: {name}",
    created_intro:
      "Send each link only to the people it is for: a site link lets its holder check in and post for that site. You can list the links again here, and coordinators can list them on the board.",
    link_board: "Public board",
    link_coordinator: "Coordinator link",
    link_viewer: "Viewer link (read-only)",
    link_site: "Site {site}",
    link_ics: "Calendar (.ics)",
    asm_create_heading: "Create an assembly",
    asm_definition_label: "Assembly definition (YAML or JSON)",
    asm_definition_hint:
      "A title, the languages, and the chairs, delegates (with site, region, weight and language) and interpreters (with their booth). Preview it first to check who is in it.",
    asm_preview_button: "Preview assembly",
    asm_create_button: "Create assembly",
    asm_preview_heading: "Assembly preview: {title}",
    asm_languages: "Languages: {list}",
    asm_chairs: { one: "{count} chair", other: "{count} chairs" },
    asm_delegates: { one: "{count} delegate", other: "{count} delegates" },
    asm_interpreters: { one: "{count} interpreter", other: "{count} interpreters" },
    asm_col_name: "Name",
    asm_col_site: "Site",
    asm_col_region: "Region",
    asm_col_weight: "Weight",
    asm_col_language: "Language",
    asm_col_booth: "Booth",
    asm_warnings: "Check before creating:",
    asm_no_warnings: "Nothing to check: no warnings.",
    asm_created_heading: "Assembly created: {title}",
    asm_created_intro:
      "Send each person only their own link: a chair's, delegate's or interpreter's link speaks and votes as that person.",
    link_watch: "Public watch page",
    link_asm_viewer: "Viewer link (read-only)",
    link_chair: "Chair: {name}",
    link_delegate: "Delegate: {name}",
    link_interpreter: "Interpreter: {name}",
    link_minutes: "Minutes (Markdown)",
    copy: "Copy",
    copied: "Copied",
    copy_failed: "Select and copy by hand",
    open: "Open",
    request_failed: "The request failed: {message}",
    network_error: "Could not reach the server. Check your connection and try again.",
    admin_invalid: "This admin link is not valid on this server: {message}",

    // board page
    board_title: "{name} — Mayday relay board",
    board_loading: "Loading relay…",
    utc_now: "UTC now {time}",
    conn_connecting: "Connecting…",
    conn_syncing: "Catching up…",
    conn_live: "Live",
    conn_reconnecting: "Reconnecting in {s} s",
    conn_reconnecting_now: "Reconnecting…",
    conn_offline: "Offline — waiting for a connection",
    conn_failed: "Cannot open this board",
    conn_retry: "Retry now",
    conn_label: "Connection:",
    clock_off: "Your device clock is {s} s off; times here use the server's clock.",
    you_are_checking: "Checking your link…",
    you_are_public: "You are: public board (read-only)",
    you_are_viewer: "You are: viewer (read-only)",
    you_are_site: "You are: site {site} ({id})",
    you_are_coordinator: "You are: coordinator",
    holder_heading: "Baton with",
    holder_nobody: "Nobody yet",
    holder_gap: "Nobody — gap in the relay",
    holder_finished: "Relay finished",
    holder_for: "Holding the leg of {site} as its backup",
    holder_local: "{time} local time ({tz})",
    holder_since: "since {time}",
    holder_since_takeover: "since {time}, when it took over",
    holder_not_checked_in: "Not checked in yet",
    holder_backup_not_checked_in: "Backup not checked in yet",
    holder_checked_in: "Checked in",
    handed_late: "Handed over late by {late}",
    handed_on_time: "Handed over on time",
    next_heading: "Next",
    next_none: "No more handoffs",
    next_end: "End of relay",
    next_gap: "Gap — nobody on strike",
    next_own_leg: "{site}, for its own leg",
    next_at: "at {time}",
    site_for: "{site}, for {planned}",
    countdown_label: "Time to next handoff:",
    countdown_due: "due now",
    starts_in: "Relay starts at {time}",
    controls_heading: "Your site: {site}",
    coord_heading: "Coordinator controls",
    checkin_button: "Check in",
    checkin_for_button: "Check in for this site",
    checkin_site_label: "Site",
    checkin_done: "Checked in ✓",
    coord_checked_in: "Checked in: {site}",
    checkin_sending: "Checking in…",
    checkin_queued: "Offline — will check in as soon as the connection returns",
    checkin_no_leg: "No leg left to check in for",
    checkin_your_leg: "Your leg: {local} ({utc})",
    checkin_acting_for: "You hold this leg as the backup of {site}.",
    checkin_by: "Check in by {time}",
    checkin_hint:
      "Check in when your site is ready to strike. If you have not checked in {grace} after your start, the coordinators are alerted.",
    dispatch_heading: "Post a dispatch",
    dispatch_label: "Dispatch",
    dispatch_from: "From",
    dispatch_from_coordinators: "Coordinators",
    dispatch_placeholder: "What is happening at your site?",
    dispatch_count: "{n} / {max}",
    dispatch_send: "Send dispatch",
    dispatch_sending: "Sending…",
    dispatch_sent: "Sent.",
    dispatch_empty: "Write something first.",
    dispatch_offline: "You are offline. Your text is kept here; send it when the connection returns.",
    dispatch_unconfirmed:
      "The connection dropped before the server confirmed your dispatch. Check the feed before sending it again.",
    timeline_heading: "Timeline (UTC)",
    timeline_coverage: "Sites on strike",
    coverage_now: "{n} now",
    acting_for: "holding the leg of {site} as its backup",
    coverage_span: {
      one: "{count} site on strike, {from} – {to} UTC",
      other: "{count} sites on strike, {from} – {to} UTC",
    },
    coverage_gap: "Gap: nobody on strike, {from} – {to} UTC",
    timeline_now: "now",
    timeline_hint: "Tap a bar for local times and details.",
    legend: "Legend",
    legend_upcoming: "upcoming",
    legend_striking: "on strike",
    legend_done: "done",
    legend_checked_in: "checked in",
    legend_holder: "holds the baton",
    legend_missed: "check-in missed",
    legend_backup: "taken over by the backup",
    legend_gap: "gap",
    leg_label: "Leg {n}",
    leg_heading: "Leg {n}: {site}",
    leg_summary: "{site}, leg {n}: {local_start} – {local_end} local, {utc_start} – {utc_end} UTC. {state}",
    details_site: "Site",
    details_zone: "Time zone",
    details_local: "Local time",
    details_utc: "UTC",
    details_hours: "Length",
    details_hours_value: "{h} h",
    details_state: "State",
    details_handoff: "Handoff",
    details_warnings: "Warnings",
    details_acting: "Held by",
    details_close: "Close",
    phase_upcoming: "upcoming",
    phase_striking: "on strike",
    phase_started: "leg started",
    phase_done: "done",
    state_pending: "not checked in",
    state_not_checked_in: "not checked in yet",
    state_checked_in: "checked in",
    state_checked_in_at: "checked in {time}",
    state_checked_in_late: "checked in {time}, {late} late",
    state_missed: "missed check-in",
    state_missed_backup: "missed check-in — backup {site} alerted",
    state_missed_no_backup: "missed check-in — no backup",
    state_replaced: "replaced by its backup, {site}",
    state_backup_checked_in: "backup checked in {time}",
    state_pending_by: "check in by {time}",
    state_no_legs: "no legs",
    feed_heading: "Dispatches",
    feed_empty: "No dispatches yet.",
    feed_from_coordinators: "Coordinators",
    feed_time_local: "{utc} · {local} in {site}",
    feed_time_same: "{utc} (same in {site})",
    activity_heading: "Relay log",
    activity_empty: "Nothing has happened yet.",
    act_created: { one: "Relay created with {count} leg", other: "Relay created with {count} legs" },
    act_start: "Baton to {to}",
    act_pass: "Baton {from} → {to}",
    act_end: "Baton leaves {from}: nobody on strike",
    act_late: "late by {late}",
    act_checked_in: "{site} checked in",
    act_checked_in_by_coordinators: "The coordinators checked {site} in",
    act_checked_in_late: "{site} checked in, {late} after the deadline",
    act_missed: "{site} missed check-in; backup {backup} alerted",
    act_missed_no_backup: "{site} missed check-in (no backup)",
    act_backup: "{backup} took over the leg of {site}",
    act_rotated: "Link for {site} replaced",
    act_dispatch: "Dispatch from {site}",
    links_heading: "Links",
    links_intro:
      "Send each site its own link. Replacing a site's link revokes the old one at once (use it if a phone is lost).",
    links_rotate: "Replace link",
    links_rotate_confirm: "Replace the link for {site}? The old link stops working immediately.",
    links_error: "Could not load the links: {message}",
    calendar: "Add to calendar (.ics)",
    calendar_site: "My site's calendar (.ics)",
    calendar_error: "Could not download the calendar: {message}",
    error_generic: "Error: {message}",
    open_public_board: "Open the public board instead",
    bad_link: "This link does not work: {message}",
    link_revoked: "This link was replaced by a new one and no longer works. Ask your coordinators for the new link.",
    cannot_open: "This board cannot be opened: {message}",
    not_found_title: "Relay not found",
    not_found_heading: "There is no relay here",
    not_found_text:
      "This server has no relay with the id “{id}”. Check the link you were sent (it must be complete), or ask your coordinators for it again.",
    not_found_home: "Go to the front page",
    no_relay_id: "No relay id in this address.",
    dur_s: "{s} s",
    dur_ms: "{m} min {s} s",
    dur_m: "{m} min",
    dur_hm: "{h} h {m} min",
    dur_dh: "{d} d {h} h",
    clock_days: "{d} d {time}",
    utc_suffix: "{time} UTC",
    utc_offset: "UTC{offset}",
    clock_offset_title: "Server clock − this device: {ms} ms (± {pm} ms)",
  },
};

function navigatorLanguages() {
  try {
    return navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
  } catch {
    return ["en"];
  }
}

/** "pt-BR" -> "pt", "tl" -> "fil", "fil-PH" -> "fil". */
function baseOf(tag) {
  const base = String(tag).toLowerCase().split(/[-_]/)[0];
  return ALIASES[base] || base;
}

function pickLanguage(preferred = []) {
  for (const l of [...preferred, ...navigatorLanguages()]) {
    if (!l) continue;
    const base = baseOf(l);
    if (base in STRINGS) return base;
  }
  return "en";
}

function localeFor(language) {
  // the browser's own variant (en-GB, pt-BR, ar-MA...) when it speaks that language
  for (const own of navigatorLanguages()) {
    if (!own || baseOf(own) !== language) continue;
    try {
      const ok = Intl.DateTimeFormat.supportedLocalesOf([own])[0];
      if (ok) return ok;
    } catch {
      // a malformed tag: try the next
    }
  }
  return language;
}

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled: the choice is not remembered
  }
}

/** The language chosen on this device (languagePicker), or null. */
export function chosenLanguage() {
  try {
    const raw = storage()?.getItem(LANGUAGE_KEY);
    if (!raw) return null;
    try {
      return String(JSON.parse(raw));
    } catch {
      return raw; // written without JSON
    }
  } catch {
    return null;
  }
}

/** Remember `language` on this device (null forgets it). */
export function rememberLanguage(language) {
  try {
    if (language) storage()?.setItem(LANGUAGE_KEY, JSON.stringify(language));
    else storage()?.removeItem(LANGUAGE_KEY);
  } catch {
    // private mode or full: the choice lasts for this page only
  }
}

let lang = pickLanguage([chosenLanguage()]);

/** The UI language now (a live binding: it changes with setLanguage). */
export let LANG = lang;

/** The locale for dates and numbers: the browser's own variant of LANG when it has one. */
export let LOCALE = localeFor(lang);

/** Merge string tables ({es: {...}, fr: {...}}) into STRINGS; a key missing in a language falls
 * back to English (tests/test_i18n.py makes sure none is missing in a served language). */
export function addStrings(tables) {
  for (const [language, table] of Object.entries(tables)) {
    STRINGS[language] = Object.assign(STRINGS[language] || {}, table);
  }
}

/** The languages the UI speaks. */
export function uiLanguages() {
  return Object.keys(STRINGS);
}

/** The first of `preferred` (then the browser's languages) that the UI speaks ("tl" -> "fil"). */
export function bestLanguage(preferred = []) {
  return pickLanguage(preferred);
}

/** Switch the UI language (a code of uiLanguages(), or an alias like "tl"); refills data-i18n
 * elements, sets the document's lang and dir and fires "mayday:language" on document (detail:
 * the code). Returns false for a language without strings. */
export function setLanguage(language) {
  const code = language in STRINGS ? language : baseOf(language || "");
  if (!(code in STRINGS)) return false;
  const changed = code !== lang;
  lang = code;
  LANG = code;
  LOCALE = localeFor(code);
  applyI18n();
  if (changed) document.dispatchEvent(new CustomEvent("mayday:language", { detail: code }));
  return true;
}

const numberFormats = new Map();
const pluralRules = new Map();

function cached(map, key, make) {
  let v = map.get(key);
  if (!v) {
    try {
      v = make(LOCALE);
    } catch {
      v = make(lang);
    }
    map.set(key, v);
  }
  return v;
}

/** A number in the page's locale ("1,234.5", "1 234,5"...). */
export function formatNumber(n, options = {}) {
  const key = LOCALE + JSON.stringify(options);
  return cached(numberFormats, key, (l) => new Intl.NumberFormat(l, options)).format(n);
}

/** The plural category of `count` in the UI language: "one", "few", "other"... */
export function pluralCategory(count) {
  return cached(pluralRules, LOCALE, (l) => new Intl.PluralRules(l)).select(Number(count));
}

function lookup(key) {
  const table = STRINGS[lang] || STRINGS.en;
  if (key in table) return table[key];
  if (key in STRINGS.en) return STRINGS.en[key];
  return key;
}

/**
 * The string `key` with {names} replaced from `vars` (a missing key shows the key itself).
 * A plural value ({one, other, ...}) is chosen by vars.count; numbers are written in the locale.
 */
export function t(key, vars = {}) {
  let text = lookup(key);
  if (text && typeof text === "object") {
    const n = vars.count ?? 0;
    text = text[pluralCategory(n)] ?? text.other ?? "";
  }
  return String(text).replace(/\{(\w+)\}/g, (m, name) => {
    if (!(name in vars)) return m;
    const v = vars[name];
    return typeof v === "number" && Number.isFinite(v) ? formatNumber(v) : String(v);
  });
}

/** Fill every data-i18n / data-i18n-attr element under `root`, and the document's lang and dir. */
export function applyI18n(root = document) {
  document.documentElement.lang = lang;
  document.documentElement.dir = RTL_LANGUAGES.has(lang) ? "rtl" : "ltr";
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":").map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
}

const SVG = "http://www.w3.org/2000/svg";

function globeIcon() {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "lang-icon");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  for (const d of [
    "M12 2a10 10 0 1 0 0 20a10 10 0 1 0 0-20z",
    "M2 12h20",
    "M12 2c2.8 3 4 6.4 4 10s-1.2 7-4 10c-2.8-3-4-6.4-4-10s1.2-7 4-10z",
  ]) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

let pickers = 0;

/**
 * A language picker (a labelled <select> with a globe icon) appended to `container`. It lists
 * `languages` (default SERVED) by their own names, shows the current language, and on a change
 * remembers the choice on this device, calls setLanguage() (which refills data-i18n elements
 * and fires "mayday:language") and then onChange(code), where the page redraws what it wrote
 * itself. It follows setLanguage() calls made elsewhere. Returns the <select>
 * (data-testid="lang-picker").
 */
export function languagePicker(container, { onChange = null, languages = SERVED } = {}) {
  const id = `lang-picker-${++pickers}`;
  const wrap = document.createElement("div");
  wrap.className = "lang-picker";
  const label = document.createElement("label");
  label.htmlFor = id;
  label.className = "sr-only";
  label.dataset.i18n = "language_label";
  label.textContent = t("language_label");
  const select = document.createElement("select");
  select.id = id;
  select.dataset.testid = "lang-picker";
  for (const code of languages) {
    if (!(code in STRINGS)) continue;
    const option = document.createElement("option");
    option.value = code;
    option.lang = code;
    option.dir = RTL_LANGUAGES.has(code) ? "rtl" : "ltr";
    option.textContent = LANGUAGE_NAMES[code] || code;
    select.append(option);
  }
  select.value = lang;
  select.addEventListener("change", () => {
    rememberLanguage(select.value);
    setLanguage(select.value);
    onChange?.(LANG);
  });
  document.addEventListener("mayday:language", () => {
    if (select.value !== lang) select.value = lang;
  });
  wrap.append(globeIcon(), label, select);
  container.append(wrap);
  return select;
}
