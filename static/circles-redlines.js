// A joint action's risk audit and readiness gate, on its page (static/action.html, drawn by
// circles-action.js): every participant's red lines (what they will not do or risk) in the page's
// language where someone translated them (marked by a person or by machine, and stale when the
// line changed since), the original on demand, each line's versions; the form that names one,
// named or anonymous; the change and withdraw buttons of the lines this browser wrote; a translate
// form per line; each circle's acknowledgement of the audit's version; and the readiness checklist
// with the proceed-anyway decision on the record.
//
// Anonymity: an anonymous line's record holds no author and no circle (circles/redlines.py). What
// proves a writer is a key this page draws for each line (24 random bytes) and keeps in this
// browser's localStorage under the network, action and line; the server keeps only its hash. A
// line named from another browser cannot be changed from this one, by design.
import {
  $,
  LANG,
  download,
  fill,
  h,
  languageName,
  momentText,
  networkId,
  request,
  setAttr,
  setText,
  t,
} from "/static/circles.js";
import { SERVED } from "/static/i18n.js";

/** Events of the audit and the gate: each carries the action's id. */
export const AUDIT_EVENTS = new Set([
  "red_line_named",
  "red_line_changed",
  "red_line_withdrawn",
  "red_line_translated",
  "red_lines_acknowledged",
  "proceeded_anyway",
]);

const CHECKS = ["red_lines", "figures", "communique", "pledges"];
let actionId = 0;
const tools = new Map(); // line id -> its change/withdraw/translate controls (kept across renders)
const opened = new Set(); // the <details> a person opened ("original-3"), kept open across renders
const armed = new Set(); // lines whose withdraw button was clicked once

// The writer's keys ------------------------------------------------------------------------------

function keyName(line) {
  return `mayday-red-line:${networkId}:${actionId}:${line}`;
}

function heldKey(line) {
  try {
    return localStorage.getItem(keyName(line));
  } catch {
    return null; // storage refused (private mode): this browser holds no key
  }
}

function keepKey(line, key) {
  try {
    localStorage.setItem(keyName(line), key);
    return true;
  } catch {
    return false;
  }
}

/** 24 random bytes, base64url (32 characters): the proof that this browser wrote a line. */
function newKey() {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

// Who is reading -----------------------------------------------------------------------------

/** The circle this link belongs to when it is one of the action's (its coordinators' or a member's). */
function participant(page, v) {
  const me = page.ownCircle;
  return me && v.action.circles.includes(me) ? me : null;
}

/** Every language of the action's circles, then the page's: where red lines travel. */
function audienceLanguages(page, v) {
  const out = [];
  for (const c of v.action.circles) {
    for (const lang of page.shape.circles.find((x) => x.id === c)?.languages || []) if (!out.includes(lang)) out.push(lang);
  }
  if (!out.includes(LANG)) out.push(LANG);
  return out;
}

function options(select, items, keep) {
  const key = items.join(",") + document.documentElement.lang;
  if (select.dataset.key === key) return;
  const chosen = select.value;
  select.dataset.key = key;
  fill(select, items.map((lang) => h("option", { value: lang, lang }, languageName(lang))));
  select.value = items.includes(chosen) ? chosen : items.includes(keep) ? keep : items[0] || "";
}

/** A <details> whose open state survives the next rendering. */
function details(id, summary, ...content) {
  const box = h("details", { class: "sub", open: opened.has(id), dataset: { testid: id } }, h("summary", {}, summary), ...content);
  box.addEventListener("toggle", () => (box.open ? opened.add(id) : opened.delete(id)));
  return box;
}

// The readiness gate ---------------------------------------------------------------------------

function circlesText(page, ids) {
  return ids.map((c) => page.circleName(c)).join(", ");
}

function checkDetails(page, c) {
  const lines = [];
  if (c.check === "red_lines" || c.check === "figures") {
    if (c.missing.length) lines.push(t("ac_ready_waiting", { circles: circlesText(page, c.missing) }));
    if (c.stale.length) lines.push(t("ac_ready_older", { circles: circlesText(page, c.stale) }));
  } else if (c.check === "communique") {
    if (c.missing.length) lines.push(t("ac_ready_missing_langs", { languages: c.missing.map(languageName).join(", ") }));
    if (c.stale.length) lines.push(t("ac_ready_stale_langs", { languages: c.stale.map(languageName).join(", ") }));
  } else if (c.check === "pledges") {
    for (const o of c.overdue) {
      lines.push(t("ac_ready_overdue", { debtor: page.circleName(o.debtor), creditor: page.circleName(o.creditor), date: o.since }));
    }
    if (c.others) lines.push(t("ac_ready_overdue_others", { count: c.others }));
  }
  return lines;
}

export function renderReadiness(page, v) {
  const r = v.readiness;
  const status = $("readiness-status");
  setAttr(status, "data-ready", String(r.ready));
  setAttr(status, "data-go", String(r.go));
  const p = r.proceeded;
  const by = p ? (p.by === "coordinator" ? t("ac_by_coordinator") : page.circleName(p.by)) : "";
  let words;
  if (r.ready) words = t("ac_ready_status_ready");
  else if (p) words = t("ac_ready_status_proceeding", { name: p.name, date: momentText(p.at), reason: p.reason });
  else words = t("ac_ready_status_not", { count: r.checks.filter((c) => !c.ok).length });
  setText(status, words);
  fill(
    $("checklist"),
    r.checks.map((c) =>
      h(
        "li",
        { class: c.ok ? "ok" : "failed", dataset: { testid: `check-${c.check}`, ok: String(c.ok) } },
        h("span", { class: "check-mark", "aria-hidden": "true" }, c.ok ? "✓" : "✗"),
        h("span", { class: "sr-only" }, c.ok ? t("ac_ready_holds") : t("ac_ready_fails")),
        h("span", { class: "check-title" }, t(`ac_ready_check_${c.check}`, { n: c.version ?? 0 })),
        checkDetails(page, c).map((line) => h("span", { class: "check-detail meta" }, line)),
      ),
    ),
  );
  const record = $("proceeded");
  record.hidden = !p;
  if (p) {
    const missing = p.missing.filter((m) => CHECKS.includes(m)).map((m) => t(`ac_ready_name_${m}`));
    setText(record, t("ac_ready_record", { name: p.name, by, date: momentText(p.at), reason: p.reason, missing: missing.join(", ") }));
  }
  const organiser = page.role === "coordinator" || (page.actingCircle && v.action.circles.includes(page.actingCircle));
  $("proceed-box").hidden = !organiser || r.ready || Boolean(p);
}

export function wireReadiness(page) {
  $("proceed-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const command = { type: "proceed_anyway", action: actionId, name: $("proceed-name").value.trim(), reason: $("proceed-reason").value.trim() };
    const lines = { status: $("proceed-status"), error: $("proceed-error"), button: $("proceed-submit"), done: "ac_ready_proceed_done" };
    if (await page.command(command, lines)) {
      $("proceed-name").value = "";
      $("proceed-reason").value = "";
    }
  });
}

// The risk audit ------------------------------------------------------------------------------

/** How a line reads in the page's language: its translation into it, else the original. */
function shown(line) {
  if (line.language === LANG) return { text: line.text, lang: line.language, how: "original" };
  const tr = line.translations.find((x) => x.language === LANG);
  if (tr) return { text: tr.text, lang: tr.language, how: tr.how, stale: tr.stale, version: tr.version };
  return { text: line.text, lang: line.language, how: "untranslated" };
}

function byWords(page, line) {
  return line.author === null ? t("ac_rl_anonymous") : t("ac_rl_named_by", { author: line.author, circle: line.circle ? page.circleName(line.circle) : "" });
}

function lineItem(page, v, line) {
  const s = shown(line);
  const id = line.id;
  const marks = [];
  if (s.how === "human" || s.how === "machine") {
    marks.push(h("span", { class: `badge badge-${s.how}`, dataset: { testid: `red-line-how-${id}` } }, t(`ac_rl_how_${s.how}`)));
  }
  if (s.stale) marks.push(h("span", { class: "badge badge-stale", dataset: { testid: `red-line-stale-${id}` } }, t("ac_rl_stale", { n: s.version, current: line.version })));
  if (s.how === "untranslated") {
    marks.push(h("span", { class: "meta", dataset: { testid: `red-line-untranslated-${id}` } }, t("ac_rl_untranslated", { language: languageName(line.language) })));
  }
  const history = line.history.map((x) =>
    h(
      "li",
      { dataset: { testid: `red-line-${id}-v${x.version}` } },
      h("span", { class: "meta" }, t("ac_rl_version_line", { n: x.version, date: momentText(x.at), by: byWords(page, line) })),
      " ",
      h("bdi", { lang: line.language, dir: "auto" }, x.text),
    ),
  );
  return h(
    "li",
    {
      class: `red-line${line.withdrawn ? " withdrawn" : ""}`,
      dataset: { testid: `red-line-${id}`, shown: s.how, stale: String(Boolean(s.stale)), version: String(line.version), withdrawn: String(Boolean(line.withdrawn)) },
    },
    h("p", { class: "rl-text", lang: s.lang, dir: "auto", dataset: { testid: `red-line-text-${id}` } }, s.text),
    marks.length ? h("p", { class: "rl-marks" }, marks) : null,
    h("p", { class: `rl-by${line.author === null ? " anonymous" : ""}`, dataset: { testid: `red-line-by-${id}` } }, byWords(page, line), " · ", t("nw_version", { n: line.version })),
    line.withdrawn ? h("p", { class: "flag", dataset: { testid: `red-line-withdrawn-${id}` } }, t("ac_rl_withdrawn", { date: momentText(line.withdrawn) })) : null,
    s.how === "original"
      ? null
      : details(
          `red-line-original-${id}`,
          t("ac_rl_original", { language: languageName(line.language) }),
          h("p", { lang: line.language, dir: "auto", dataset: { testid: `red-line-original-text-${id}` } }, line.text),
        ),
    details(`red-line-history-${id}`, t("ac_rl_history", { count: line.history.length }), h("ol", { class: "rl-history" }, history)),
    line.withdrawn ? null : lineTools(page, v, line),
  );
}

/** The writer's change and withdraw controls (when this browser holds the line's key) and the
 * translate form, made once per line and moved into each rendering, so typed text survives. */
function lineTools(page, v, line) {
  const id = line.id;
  let box = tools.get(id);
  if (!box) {
    const status = h("p", { class: "control-status", role: "status", dataset: { testid: `red-line-status-${id}` } });
    const error = h("p", { class: "control-error", role: "alert", dataset: { testid: `red-line-error-${id}` } });
    // change: an inline form with the line's text
    const editText = h("textarea", { id: `red-line-edit-text-${id}`, rows: 3, dir: "auto", dataset: { testid: `red-line-edit-text-${id}` } });
    const editLabel = h("label", { for: `red-line-edit-text-${id}` });
    const editSave = h("button", { type: "submit", class: "btn btn-primary", dataset: { testid: `red-line-save-${id}` } });
    const editForm = h("form", { class: "rl-edit", novalidate: true, hidden: true }, h("div", { class: "field" }, editLabel, editText), editSave);
    const edit = h("button", { type: "button", class: "btn btn-small", dataset: { testid: `red-line-change-${id}` } });
    const withdraw = h("button", { type: "button", class: "btn btn-small", dataset: { testid: `red-line-withdraw-${id}` } });
    const mine = h("p", { class: "row-links" }, edit, withdraw);
    edit.addEventListener("click", () => {
      editForm.hidden = !editForm.hidden;
      if (!editForm.hidden) {
        editText.value = box.line.text;
        editText.focus();
      }
    });
    editForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      const command = { type: "change_red_line", action: actionId, line: id, text: editText.value.trim(), key: heldKey(id) || "" };
      if (await page.command(command, { status, error, button: editSave, done: "ac_rl_changed" })) editForm.hidden = true;
    });
    withdraw.addEventListener("click", async () => {
      if (!armed.has(id)) {
        armed.add(id);
        withdraw.classList.add("armed");
        setText(withdraw, t("ac_rl_withdraw_confirm"));
        return;
      }
      armed.delete(id);
      withdraw.classList.remove("armed");
      await page.command({ type: "withdraw_red_line", action: actionId, line: id, key: heldKey(id) || "" }, { status, error, button: withdraw, done: "ac_rl_withdrawn_done" });
    });
    // translate
    const trLanguage = h("select", { id: `red-line-tr-language-${id}`, dataset: { testid: `red-line-tr-language-${id}` } });
    const trHow = h("select", { id: `red-line-tr-how-${id}`, dataset: { testid: `red-line-tr-how-${id}` } });
    const trText = h("textarea", { id: `red-line-tr-text-${id}`, rows: 3, dir: "auto", dataset: { testid: `red-line-tr-text-${id}` } });
    const trLabels = {
      language: h("label", { for: `red-line-tr-language-${id}` }),
      how: h("label", { for: `red-line-tr-how-${id}` }),
      text: h("label", { for: `red-line-tr-text-${id}` }),
    };
    const trSubmit = h("button", { type: "submit", class: "btn", dataset: { testid: `red-line-tr-submit-${id}` } });
    const trVersion = h("p", { class: "hint" });
    const trForm = h(
      "form",
      { class: "rl-translate", novalidate: true },
      trVersion,
      h("div", { class: "field-row" }, h("div", { class: "field" }, trLabels.language, trLanguage), h("div", { class: "field" }, trLabels.how, trHow)),
      h("div", { class: "field" }, trLabels.text, trText),
      trSubmit,
    );
    const trSummary = h("summary", {});
    const translate = h("details", { class: "sub", dataset: { testid: `red-line-translate-${id}` } }, trSummary, trForm);
    trForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      const command = {
        type: "translate_red_line",
        action: actionId,
        line: id,
        language: trLanguage.value,
        how: trHow.value,
        text: trText.value.trim(),
        version: box.line.version,
      };
      if (await page.command(command, { status, error, button: trSubmit, done: "ac_rl_translated" })) {
        trText.value = "";
        translate.open = false;
      }
    });
    box = h("div", { class: "rl-tools" }, mine, editForm, translate, status, error);
    box.parts = { mine, edit, withdraw, editLabel, editSave, trLanguage, trHow, trLabels, trSubmit, trSummary, trVersion };
    tools.set(id, box);
  }
  box.line = line;
  const p = box.parts;
  p.mine.hidden = !heldKey(id) || !participant(page, v); // the key proves the writer; the link, a participant
  setText(p.edit, t("ac_rl_change"));
  setText(p.withdraw, armed.has(id) ? t("ac_rl_withdraw_confirm") : t("ac_rl_withdraw"));
  setText(p.editLabel, t("ac_rl_edit_label"));
  setText(p.editSave, t("ac_rl_edit_submit"));
  setText(p.trSummary, t("ac_rl_translate"));
  setText(p.trVersion, t("ac_rl_translate_hint", { n: line.version }));
  setText(p.trLabels.language, t("nw_translate_into"));
  setText(p.trLabels.how, t("ac_rl_how_label"));
  setText(p.trLabels.text, t("nw_translation_label"));
  setText(p.trSubmit, t("nw_translate_submit"));
  const targets = audienceLanguages(page, v).filter((lang) => lang !== line.language);
  const wanting = targets.find((lang) => !line.translations.some((x) => x.language === lang && !x.stale));
  options(p.trLanguage, targets, wanting);
  const hows = ["human", "machine"];
  const key = hows.join(",") + document.documentElement.lang;
  if (p.trHow.dataset.key !== key) {
    const chosen = p.trHow.value || "human";
    p.trHow.dataset.key = key;
    fill(p.trHow, hows.map((how) => h("option", { value: how }, t(`ac_rl_how_option_${how}`))));
    p.trHow.value = chosen;
  }
  // The network's coordinator, and the links of the action's circles, translate.
  box.parts.trSummary.parentElement.hidden = !(page.role === "coordinator" || participant(page, v)) || targets.length === 0;
  return box;
}

function renderAcks(page, v) {
  fill(
    $("acks"),
    v.acknowledged.map((a) => {
      const name = page.circleName(a.circle);
      const words = {
        current: t("ac_rl_ack_current", { circle: name, n: a.version }),
        stale: t("ac_rl_ack_stale", { circle: name, n: a.version, current: v.audit }),
        none: t("ac_rl_ack_none", { circle: name }),
      };
      return h("li", { class: `acc acc-${a.state === "current" ? "accepted" : a.state}`, dataset: { testid: `ack-${a.circle}`, state: a.state } }, words[a.state]);
    }),
  );
  const me = page.actingCircle && v.action.circles.includes(page.actingCircle) ? page.actingCircle : null;
  const mine = me && v.acknowledged.find((a) => a.circle === me);
  const button = $("ack");
  const wasHidden = button.hidden;
  button.hidden = !me || mine?.state === "current";
  if (wasHidden && !button.hidden) setText($("ack-status"), ""); // an earlier "Acknowledged." is stale now
  setText(button, t("ac_rl_ack", { n: v.audit }));
}

export function renderAudit(page, v) {
  const card = $("audit-card");
  card.hidden = !v.red_lines;
  if (!v.red_lines) return;
  const lines = v.red_lines;
  for (const id of [...tools.keys()]) if (!lines.some((l) => l.id === id && !l.withdrawn)) tools.delete(id);
  $("red-lines-empty").hidden = lines.length > 0;
  fill($("red-lines"), lines.map((line) => lineItem(page, v, line)));
  renderAcks(page, v);
  const me = participant(page, v);
  $("line-form").hidden = !me;
  if (me) options($("line-language"), [...new Set([LANG, ...audienceLanguages(page, v), ...SERVED])], LANG);
  $("line-author-field").hidden = !$("line-named").checked;
}

export function wireAudit(page, id) {
  actionId = id;
  for (const radio of [$("line-named"), $("line-anonymous")]) {
    radio.addEventListener("change", () => {
      $("line-author-field").hidden = !$("line-named").checked;
    });
  }
  $("line-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const named = $("line-named").checked;
    const key = newKey();
    const command = { type: "name_red_line", action: actionId, text: $("line-text").value.trim(), language: $("line-language").value, named, key };
    if (named) command.author = $("line-author").value.trim();
    const status = $("line-status");
    const error = $("line-error");
    const button = $("line-submit");
    setText(error, "");
    setText(status, t("nw_sending"));
    button.disabled = true;
    // Over REST, not the socket: the reply names the line this key is for, to keep the key under.
    const r = await request("/commands", { method: "POST", body: command });
    button.disabled = false;
    if (!r.ok) {
      setText(status, "");
      setText(error, t("nw_refused", { message: r.body?.error?.message || "" }));
      return;
    }
    const kept = r.body.line ? keepKey(r.body.line, key) : false;
    setText(status, kept ? t("ac_rl_named") : t("ac_rl_named_no_key"));
    $("line-text").value = "";
    page.renderNow();
  });
  $("ack").addEventListener("click", async () => {
    const version = page.view?.audit;
    await page.command({ type: "acknowledge_red_lines", action: actionId, version }, { status: $("ack-status"), error: $("ack-error"), button: $("ack"), done: "ac_rl_ack_done" });
  });
  for (const button of [$("export-txt"), $("export-csv"), $("export-json")]) {
    button.addEventListener("click", async () => {
      setText($("export-error"), "");
      const fmt = button.dataset.format;
      const problem = await download(`/actions/${actionId}/red-lines.${fmt}?lang=${encodeURIComponent(LANG)}`, `red-lines-${actionId}-${LANG}.${fmt}`);
      if (problem) setText($("export-error"), t("nw_refused", { message: problem }));
    });
  }
}
