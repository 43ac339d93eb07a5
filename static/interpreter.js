// The interpreter page (/assembly/{id}/interpreter#t=…): who has the floor and in which language,
// and every demand and amendment with a translation box for the booth's language; translations of
// an earlier revision (stale) and missing ones are highlighted.
import { LANG, t } from "/static/i18n.js";
import {
  $,
  AssemblyPage,
  act,
  keyed,
  languageName,
  orderSummary,
  renderClock,
  renderFloor,
  renderOrderList,
  setupMinutes,
  textLabel,
  textsInOrder,
} from "/static/assembly-ui.js";
import { nameOf } from "/static/assembly-model.js";
import { h, setAttr, setText } from "/static/util.js";

const page = new AssemblyPage("interpreter", { render, tick: renderClock });

function booth(p) {
  return p.me?.booth || null;
}

function render(p) {
  const m = p.model;
  document.body.dataset.role = p.role || "";
  renderFloor(p);
  const lang = booth(p);
  setText($("booth"), lang ? t("booth_is", { language: languageName(lang, LANG) }) : t("booth_none"));
  setAttr($("booth"), "data-language", lang || "");
  const understands = p.me?.understands || [];
  setText($("booth-understands"), understands.length ? t("booth_understands", { list: understands.map((l) => languageName(l, LANG)).join(", ") }) : "");
  const order = p.order;
  setText($("order-summary"), orderSummary(p, order));
  renderOrderList(p, $("order"), order);
  renderTexts(p, lang);
  setupMinutes(p);
}

function renderTexts(p, lang) {
  const items = textsInOrder(p.model);
  $("texts-empty").hidden = items.length > 0;
  let missing = 0;
  let stale = 0;
  for (const x of items) {
    if (!lang || x.language === lang) continue;
    const tr = x.translations.get(lang);
    if (!tr) missing += 1;
    else if (tr.sourceRev < x.rev) stale += 1;
  }
  setText($("texts-todo"), lang ? t("todo_summary", { missing, stale }) : "");
  keyed($("texts"), items, (x) => x.id, (x) => createItem(x), (el, x) => updateItem(p, el, x, lang));
}

function createItem(x) {
  const id = x.id;
  const text = h("textarea", { id: `tr-${id}`, rows: 4, maxlength: 4000, dir: "auto", dataset: { testid: "translate-text" } });
  const submit = h("button", { type: "submit", class: "btn btn-primary", dataset: { testid: "translate-submit" } });
  const status = h("p", { class: "control-status", role: "status" });
  const error = h("p", { class: "control-error", role: "alert" });
  const label = h("label", { for: text.id });
  const form = h("form", { class: "interp-form" }, label, text, submit, status, error);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const value = text.value.trim();
    const lang = booth(page);
    if (!value || !lang) {
      setText(error, t("write_first"));
      return;
    }
    const ack = await act(page, { button: submit, error, status, done: t("translation_saved") }, () =>
      page.command({ type: "translate", id, language: lang, text: value }),
    );
    if (ack) text.dataset.dirty = "";
  });
  text.addEventListener("input", () => (text.dataset.dirty = "1"));
  const el = h(
    "li",
    { class: "text-item interp-item", dataset: { testid: `text-${id}`, id } },
    h("div", { class: "text-head" }, h("h3", { class: "text-id" }), h("span", { class: "badge text-status" }), h("span", { class: "text-by" })),
    h("blockquote", { class: "text-original", dir: "auto", dataset: { testid: "text-original" } }),
    h("div", { class: "current-tr" }, h("p", { class: "tr-state", dataset: { testid: "translation-state" } }), h("blockquote", { class: "text-body", dir: "auto", dataset: { testid: "text-translation" } })),
    form,
  );
  el._refs = {
    id: el.querySelector(".text-id"),
    status: el.querySelector(".text-status"),
    by: el.querySelector(".text-by"),
    original: el.querySelector(".text-original"),
    state: el.querySelector(".tr-state"),
    current: el.querySelector(".current-tr blockquote"),
    form,
    label,
    text,
    submit,
  };
  return el;
}

function updateItem(p, el, x, lang) {
  const r = el._refs;
  setText(r.id, textLabel(x));
  setText(r.status, t(`status_${x.status}`));
  setAttr(r.status, "data-status", x.status);
  setText(r.by, t("proposed_by", { name: nameOf(p.model, x.proposer), language: languageName(x.language, LANG) }));
  setText(r.original, x.text);
  setAttr(r.original, "lang", x.language);
  const tr = lang ? x.translations.get(lang) : null;
  const own = lang === x.language;
  let state = "none";
  if (own) state = "own";
  else if (tr && tr.sourceRev < x.rev) state = "stale";
  else if (tr) state = "current";
  setAttr(el, "data-translation", state);
  setText(
    r.state,
    {
      own: t("tr_own_language"),
      stale: t("tr_stale", { rev: tr?.sourceRev, now: x.rev }),
      current: t("tr_current", { name: nameOf(p.model, tr?.by) }),
      none: t("tr_missing"),
    }[state],
  );
  // the box below holds the current translation; the quote is for readers without the box
  r.current.hidden = !tr || own || p.role === "interpreter";
  setText(r.current, tr ? tr.text : "");
  if (lang) setAttr(r.current, "lang", lang);
  r.form.hidden = own || !lang || p.role !== "interpreter";
  setText(r.label, t("translation_into", { language: lang ? languageName(lang, LANG) : "" }));
  setText(r.submit, tr ? t("translation_update") : t("translate_submit"));
  // prefill with the current translation until the interpreter starts typing
  if (!r.text.dataset.dirty && document.activeElement !== r.text) r.text.value = tr ? tr.text : "";
  if (lang) setAttr(r.text, "lang", lang);
}

page.start();
