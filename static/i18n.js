// Every UI string of the browser pages lives in STRINGS (one object per language). The relay board
// ships English; the assembly pages add their own tables (static/i18n-assembly.js, with Spanish,
// French, Portuguese and Arabic) through addStrings(), and switch language at run time with
// setLanguage(). To add a language, copy `en`, translate the values and keep the {names}.
// HTML elements carry data-i18n="key" (text) or data-i18n-attr="attr:key;attr:key".

export const STRINGS = {
  en: {
    app_name: "Mayday",
    skip_to_main: "Skip to content",

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
    admin_needed_heading: "Creating relays",
    admin_needed_text:
      "Creating a relay needs this server's admin link. Whoever runs the server can print it again, on the server machine (with the same --data directory or MAYDAY_SECRET), with:",
    admin_needed_command: "mayday invite admin --base https://your.server",
    admin_needed_after: "Open that link in this browser; it ends in #admin=… and stays on your device.",
    admin_heading: "Create a relay",
    relays_heading: "Relays on this server",
    relays_loading: "Loading relays…",
    relays_none: "No relays yet.",
    relays_error: "Could not list relays: {message}",
    relay_untitled: "(untitled)",
    definition_label: "Relay definition (YAML or JSON)",
    definition_hint:
      "Each site needs an id, a name, an IANA time zone (e.g. Africa/Lagos) and legs: a local date, start time and a duration or local end. Optional: backup (another site's id), checkin_grace, board: private.",
    upload_label: "…or load a file",
    preview_button: "Preview plan",
    create_button: "Create relay",
    working: "Working…",
    preview_heading: "Plan preview",
    preview_summary: "{legs} legs, {handoffs} handoffs, tz database {tzdb}.",
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
      "Send each link only to the people it is for: a site link lets its holder check in and post for that site. The links are not shown again here, but coordinators can list them on the board.",
    link_board: "Public board",
    link_coordinator: "Coordinator link",
    link_viewer: "Viewer link (read-only)",
    link_site: "Site {site}",
    link_ics: "Calendar (.ics)",
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
    utc_now: "UTC now",
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
    role_public: "Public board (read-only)",
    role_viewer: "Viewer (read-only)",
    role_site: "Site link: {site}",
    role_coordinator: "Coordinator",
    holder_heading: "Baton with",
    holder_nobody: "Nobody yet",
    holder_gap: "Nobody — gap in the relay",
    holder_finished: "Relay finished",
    holder_local: "{time} local time ({tz})",
    holder_since: "since {time}",
    holder_not_checked_in: "Not checked in yet",
    holder_checked_in: "Checked in",
    handed_late: "Handed over late by {late}",
    handed_on_time: "Handed over on time",
    next_heading: "Next",
    next_none: "No more handoffs",
    next_end: "End of relay",
    next_gap: "Gap — nobody on strike",
    next_at: "at {time}",
    countdown_label: "Time to next handoff:",
    countdown_due: "due now",
    starts_in: "Relay starts {time}",
    controls_heading: "Your site",
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
    checkin_acting_for: "You hold this leg as backup for {site}.",
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
    acting_for: "holding {site}'s leg as backup",
    coverage_span: "{n} sites on strike, {from} – {to} UTC",
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
    legend_backup: "backup took it",
    legend_gap: "gap",
    leg_label: "Leg {n}",
    leg_summary: "{site}, leg {n}: {local_start} – {local_end} local, {utc_start} – {utc_end} UTC. {state}",
    details_site: "Site",
    details_zone: "Time zone",
    details_local: "Local time",
    details_utc: "UTC",
    details_hours: "Length",
    details_hours_value: "{h} h",
    details_state: "Check-in",
    details_handoff: "Handoff",
    details_warnings: "Warnings",
    details_acting: "Held by",
    details_close: "Close",
    phase_upcoming: "upcoming",
    phase_striking: "on strike",
    phase_done: "done",
    state_pending: "pending",
    state_checked_in: "checked in",
    state_checked_in_at: "checked in {time}",
    state_checked_in_late: "checked in {time}, {late} late",
    state_missed_backup: "missed check-in — backup {site} alerted",
    state_missed_no_backup: "missed check-in — no backup",
    state_backup_took: "{site} (backup) took the leg",
    state_pending_by: "check in by {time}",
    state_no_legs: "no legs",
    feed_heading: "Dispatches",
    feed_empty: "No dispatches yet.",
    feed_from_coordinators: "Coordinators",
    feed_local: "{time} in {site}",
    activity_heading: "Relay log",
    activity_empty: "Nothing has happened yet.",
    act_created: "Relay created with {legs} legs",
    act_start: "Baton to {to}",
    act_pass: "Baton {from} → {to}",
    act_end: "Baton leaves {from}: nobody on strike",
    act_late: "late by {late}",
    act_checked_in: "{site} checked in",
    act_checked_in_late: "{site} checked in, {late} after the deadline",
    act_missed: "{site} missed check-in; backup {backup} alerted",
    act_missed_no_backup: "{site} missed check-in (no backup)",
    act_backup: "{backup} took {site}'s leg",
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
    cannot_open: "This board cannot be opened: {message}",
    unknown_relay: "There is no relay with this id on this server.",
    no_relay_id: "No relay id in this address.",
    dur_s: "{s} s",
    dur_ms: "{m} min {s} s",
    dur_m: "{m} min",
    dur_hm: "{h} h {m} min",
    dur_dh: "{d} d {h} h",
    utc_suffix: "{time} UTC",
    utc_offset: "UTC{offset}",
    clock_offset_title: "Server clock − this device: {ms} ms (± {pm} ms)",
  },
};

/** Languages written right to left: <html dir="rtl"> and logical CSS properties do the rest. */
export const RTL_LANGUAGES = new Set(["ar", "fa", "he", "ur", "ps", "yi"]);

let lang = pickLanguage();

function pickLanguage(preferred = []) {
  for (const l of [...preferred, ...(navigator.languages || [navigator.language || "en"])]) {
    if (!l) continue;
    const base = String(l).toLowerCase().split("-")[0];
    if (base in STRINGS) return base;
  }
  return "en";
}

function localeFor(language) {
  const own = navigator.language || language;
  try {
    return own.toLowerCase().split("-")[0] === language
      ? Intl.DateTimeFormat.supportedLocalesOf([own])[0] || language
      : language;
  } catch {
    return language;
  }
}

/** The UI language now (a live binding: it changes with setLanguage). */
export let LANG = lang;

/** The locale for dates and numbers: the browser's own (en-GB, en-IN...) when it speaks LANG. */
export let LOCALE = localeFor(lang);

/** Merge string tables ({es: {...}, fr: {...}}) into STRINGS; keys missing in a language fall
 * back to English. */
export function addStrings(tables) {
  for (const [language, table] of Object.entries(tables)) {
    STRINGS[language] = Object.assign(STRINGS[language] || {}, table);
  }
}

/** The languages the UI speaks. */
export function uiLanguages() {
  return Object.keys(STRINGS);
}

/** The first of `preferred` (then the browser's languages) that the UI speaks. */
export function bestLanguage(preferred = []) {
  return pickLanguage(preferred);
}

/** Switch the UI language (one of uiLanguages()); refills data-i18n elements and sets the
 * document's lang and dir. Returns false for a language without strings. */
export function setLanguage(language) {
  if (!(language in STRINGS)) return false;
  lang = language;
  LANG = language;
  LOCALE = localeFor(language);
  applyI18n();
  return true;
}

/** The string `key` with {names} replaced from `vars` (missing keys show the key itself). */
export function t(key, vars = {}) {
  const table = STRINGS[lang];
  let text = key in table ? table[key] : key in STRINGS.en ? STRINGS.en[key] : key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** Fill every data-i18n / data-i18n-attr element under `root`. */
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
