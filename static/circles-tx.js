// What the two tactic tracker pages share (the registry, /network/{id}/tactics, and one tactic,
// /network/{id}/tactic/{t}): the events that say "read again", country names in the page's
// language, the mark that says how a tactic's text came to be in this language, the title, the
// selects of circles and languages, who may do what, and posting a CSV file with the link's
// header (the link never goes in a URL).
import "/static/i18n-tactics.js";
import { SERVED } from "/static/i18n.js";
import { $, LANG, apiPath, fill, h, languageName, setText, t, token } from "/static/circles.js";

/** Events that change what the tracker's pages show (circle_added: a new circle's name). */
export const TX_EVENTS = new Set(["tactic_registered", "tactic_translated", "adoption_recorded", "indicator_recorded", "circle_added"]);

export function relevant(_page, e) {
  return TX_EVENTS.has(e.event);
}

/** "NG" -> "Nigeria" in the page's language (the code itself when the browser does not know it). */
export function countryName(code) {
  try {
    const name = new Intl.DisplayNames([LANG], { type: "region" }).of(code);
    if (name && name !== code) return name;
  } catch {
    // an old browser, or a code it does not know ("ZZ": unknown)
  }
  return code;
}

/** Items as a list in the page's language ("a, b and c"; Arabic's own comma). */
export function listText(items) {
  try {
    return new Intl.ListFormat(LANG, { style: "short", type: "unit" }).format(items);
  } catch {
    return items.join(", ");
  }
}

/** The page's title (the top bar and the tab) with the page's name. */
export function setTitle(text, pageKey) {
  setText($("title"), text);
  document.title = t("nw_page_title", { title: text, page: t(pageKey) });
}

/** How a tactic's name and description came to be shown in this language (null: as written, in it). */
export function howMark(text) {
  let key = null;
  if (text.fallback) key = text.how === "original" ? "tx_mark_untranslated" : "tx_mark_fallback";
  else if (text.how === "human") key = "tx_mark_human";
  else if (text.how === "machine") key = "tx_mark_machine";
  if (!key) return null;
  return h(
    "span",
    { class: `mark tx-mark tx-${text.fallback ? "fallback" : text.how}`, dataset: { testid: "how", how: text.how, fallback: String(text.fallback) } },
    t(key, { language: languageName(text.language) }),
  );
}

/** May this link register tactics, record adoptions and indicators, import (coordinator, circle)? */
export function mayRecord(page) {
  return page.role === "coordinator" || page.role === "circle";
}

/** May this link translate a tactic (its coordinator, a circle's links and its members')? */
export function mayTranslate(page) {
  return page.role === "coordinator" || page.role === "circle" || page.role === "member";
}

/**
 * Fill a select of the network's circles (once per change of circles or language): for a circle's
 * link only its own circle (it acts for itself), for the coordinator every one. `none`: an
 * empty first choice with that label key.
 */
export function circleOptions(select, page, { none = null, all = false } = {}) {
  const own = page.actingCircle;
  const circles = page.shape.circles.filter((c) => all || !own || c.id === own);
  const key = [none, ...circles.map((c) => c.id + c.name)].join(",") + document.documentElement.lang;
  if (select.dataset.key === key) return;
  const keep = select.value;
  select.dataset.key = key;
  fill(
    select,
    none ? h("option", { value: "" }, t(none)) : null,
    circles.map((c) => h("option", { value: c.id }, c.name)),
  );
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}

/** Fill a select of languages: `first` ones, then every language the product serves. */
export function languageOptions(select, first = []) {
  const codes = [...new Set([...first, ...SERVED])];
  const key = codes.join(",") + document.documentElement.lang;
  if (select.dataset.key === key) return;
  const keep = select.value;
  select.dataset.key = key;
  fill(select, codes.map((l) => h("option", { value: l, lang: l }, languageName(l))));
  select.value = codes.includes(keep) ? keep : codes[0];
}

/** The datalist of country codes already used, each with its name. */
export function countryList(codes) {
  const dl = $("tx-countries");
  const key = codes.join(",") + document.documentElement.lang;
  if (!dl || dl.dataset.key === key) return;
  dl.dataset.key = key;
  fill(dl, codes.map((c) => h("option", { value: c }, countryName(c))));
}

/** What a person typed as a country: "ng " -> "NG". */
export function countryCode(typed) {
  return String(typed || "")
    .trim()
    .toUpperCase();
}

/** Today's date (UTC), as the server counts it, for a form's default. */
export function todayIso() {
  return new Date().toISOString().slice(0, 10);
}

/** POST a file's bytes with the link's header: {ok, status, body}. */
export async function postFile(path, file, type = "text/csv") {
  let res;
  try {
    res = await fetch(apiPath(path), {
      method: "POST",
      headers: { "content-type": type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: await file.arrayBuffer(),
      credentials: "omit",
      referrerPolicy: "no-referrer",
      cache: "no-store",
    });
  } catch {
    return { ok: false, status: 0, body: { error: { code: "network", message: t("network_error") } } };
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = { error: { code: `http_${res.status}`, message: `${res.status} ${res.statusText}` } };
  }
  return { ok: res.ok, status: res.status, body };
}

/** The words for a fit's refusal code (the server's message is the detail). */
export function refusalText(code) {
  return ["too_few_adoptions", "no_fit"].includes(code) ? t(`tx_refusal_${code}`) : t("tx_refusal_other");
}
