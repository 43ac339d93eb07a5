// The rally reader (/network/{id}/dispatch/{n}#t=…): one dispatch from a twin, full screen, in big
// type, to be read out at a rally. In the reader's language when a translation exists, saying
// whether a person or a machine made it; when none does, the original with a note saying so. The
// language picker switches it on the spot. The dispatch's two circles may add a translation.
import { LANG, SERVED } from "/static/i18n.js";
import { $, NetworkPage, fill, h, languageName, momentText, pageHref, pathParam, setAttr, setText, t } from "/static/circles.js";

const dispatchId = Number(pathParam);
const ALIASES = { tl: "fil", tgl: "fil", swa: "sw", swh: "sw", hin: "hi", ara: "ar" };

function baseOf(code) {
  const base = String(code).toLowerCase().split(/[-_]/)[0];
  return ALIASES[base] || base;
}

function dispatchOf(page) {
  return page.shape.dispatches.find((d) => d.id === dispatchId) || null;
}

async function load(page) {
  if (!Number.isInteger(dispatchId) || !dispatchOf(page)) page.fatal(t("nw_no_dispatch", { n: pathParam }));
}

function relevant(page, e) {
  if (e.event === "dispatch_translated") return e.data.dispatch === dispatchId;
  return e.event === "dispatch_posted";
}

/** What to read in the page's language: {text, language, status: original|human|machine|missing}. */
function reading(d) {
  if (baseOf(d.language) === LANG) return { text: d.text, language: d.language, status: "original" };
  const code = Object.keys(d.translations).find((l) => baseOf(l) === LANG);
  if (code) return { text: d.translations[code].text, language: code, status: d.translations[code].how === "machine" ? "machine" : "human" };
  return { text: d.text, language: d.language, status: "missing" };
}

function render(page) {
  const d = dispatchOf(page);
  if (!d) return;
  const from = page.circleName(d.circle);
  const to = page.circleName(d.twin);
  page.setTitle(t("nw_reader_title", { from }));
  fill($("crumbs"), h("a", { href: pageHref("") }, h("bdi", {}, page.shape.name)));
  const r = reading(d);
  setText($("reader-from"), t("nw_reader_from", { from, to, when: momentText(d.at) }));
  const status = $("reader-status");
  setAttr(status, "data-status", r.status);
  const original = languageName(d.language);
  const words = {
    original: t("nw_tr_original", { language: original }),
    human: t("nw_tr_human", { from: original }),
    machine: t("nw_tr_machine", { from: original }),
    missing: t("nw_tr_missing", { language: languageName(LANG), from: original }),
  };
  setText(status, words[r.status]);
  const text = $("reader-text");
  setAttr(text, "lang", r.language);
  setAttr(text, "dir", "auto");
  fill(text, r.text.split(/\n+/).map((para) => h("p", {}, para)));
  const stream = $("reader-stream");
  stream.hidden = !d.stream;
  if (d.stream) fill(stream, t("nw_reader_stream"), " ", h("a", { href: d.stream, rel: "noopener noreferrer", dir: "ltr" }, d.stream));
  const ids = page.shape.dispatches.map((x) => x.id);
  const at = ids.indexOf(dispatchId);
  for (const [id, other] of [
    ["prev", ids[at - 1]],
    ["next", ids[at + 1]],
  ]) {
    $(id).hidden = other === undefined;
    if (other !== undefined) $(id).href = pageHref(`/dispatch/${other}`);
  }
  renderTranslate(page, d);
}

function renderTranslate(page, d) {
  const mine = page.actingCircle && (page.actingCircle === d.circle || page.actingCircle === d.twin);
  $("translate-card").hidden = !mine;
  if (!mine) return;
  const select = $("translate-language");
  const codes = SERVED.filter((l) => baseOf(l) !== baseOf(d.language));
  const key = codes.join(",") + LANG;
  if (select.dataset.key !== key) {
    select.dataset.key = key;
    const keep = select.value;
    fill(select, codes.map((l) => h("option", { value: l, lang: l }, languageName(l))));
    // into the reader's language by default (the page was just opened or its language changed)
    select.value = codes.includes(LANG) ? LANG : codes.includes(keep) ? keep : codes[0];
  }
}

const page = new NetworkPage("reader", { load, render, relevant });

$("translate-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const command = {
    type: "translate_dispatch",
    dispatch: dispatchId,
    language: $("translate-language").value,
    how: $("translate-how").value,
    text: $("translate-text").value.trim(),
  };
  const lines = { status: $("translate-status"), error: $("translate-error"), button: $("translate-submit"), done: "nw_translate_done" };
  if (await page.command(command, lines)) $("translate-text").value = "";
});

const full = $("fullscreen");
if (document.fullscreenEnabled && document.documentElement.requestFullscreen) {
  full.hidden = false;
  full.addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen?.();
    else $("reader").requestFullscreen?.().catch(() => {});
  });
}

page.start();
