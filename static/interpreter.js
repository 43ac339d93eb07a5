// The interpreter page (/assembly/{id}/interpreter#t=…): who has the floor and in which language,
// and every demand and amendment with a translation box for the booth's language; translations of
// an earlier revision (stale) and missing ones are highlighted. The booth console: take the booth,
// hand over, leave; the floor (or a relay from another booth) in the ear and the microphone into
// the booth's channel (static/media.js); the back-channel with the booth partners.
import { LANG, t } from "/static/i18n.js";
import {
  $,
  AssemblyPage,
  act,
  iso,
  keyed,
  languageName,
  listText,
  localTime,
  rich,
  setNodes,
  setRich,
  tn,
  renderOrderSummary,
  renderClock,
  renderFloor,
  renderOrderList,
  setupMinutes,
  textLabel,
  textsInOrder,
} from "/static/assembly-ui.js";
import { nameOf, textStatus } from "/static/assembly-model.js";
import { fill, h, setAttr, setText } from "/static/util.js";
import { Media } from "/static/media.js";

const page = new AssemblyPage("interpreter", { render, tick: renderClock });
const media = new Media(page, { relay: true, onAir: () => liveInBooth(page) });
const CHAT_SHOWN = 50;
const chat = new Map(); // key -> booth_chat frame, oldest first

function booth(p) {
  return p.me?.booth || null;
}

function liveInBooth(p) {
  const lang = booth(p);
  return Boolean(lang && p.subject && p.model.booths.get(lang) === p.subject);
}

function render(p) {
  const m = p.model;
  document.body.dataset.role = p.role || "";
  renderFloor(p);
  const lang = booth(p);
  setText($("booth"), lang ? t("booth_is", { language: languageName(lang, LANG) }) : t("booth_none"));
  setAttr($("booth"), "data-language", lang || "");
  const understands = p.me?.understands || [];
  setText($("booth-understands"), understands.length ? t("booth_understands", { list: listText(understands.map((l) => languageName(l, LANG))) }) : "");
  const order = p.order;
  renderOrderSummary(p, $("order-summary"), order);
  renderOrderList(p, $("order"), order);
  renderTexts(p, lang);
  setupMinutes(p);
  renderConsole(p, lang);
  renderChat(p);
  media.render();
}

// The booth console ------------------------------------------------------------------------------

function partnersOf(p, lang) {
  return [...p.model.people.values()].filter((x) => x.role === "interpreter" && x.booth === lang && x.id !== p.subject);
}

function renderConsole(p, lang) {
  const m = p.model;
  const mine = p.role === "interpreter" && Boolean(lang);
  const live = lang ? m.booths.get(lang) || null : null;
  const me = live !== null && live === p.subject;
  setAttr($("booth-card"), "data-live", !lang ? "none" : me ? "me" : live ? "other" : "idle");
  const boothName = lang ? languageName(lang, LANG) : "";
  const route = !lang
    ? ""
    : m.floorLanguage
      ? t("booth_floor_into", { floor: languageName(m.floorLanguage, LANG), booth: boothName })
      : t("booth_floor_unset", { booth: boothName });
  setText($("booth-route"), route);
  setAttr($("booth-route"), "data-floor", m.floorLanguage || "");
  let liveText = "";
  if (lang) {
    // live with no voice going out: the booth's listeners would hear silence, so say it loudly
    if (me && !media.micLive) liveText = t("booth_live_silent", { language: boothName });
    else if (me) liveText = t("booth_live_you", { language: boothName });
    else if (live) liveText = rich("booth_live_other", { name: iso(nameOf(m, live)), language: boothName });
    else liveText = t("booth_idle", { language: boothName });
  }
  if (Array.isArray(liveText)) setNodes($("booth-live"), liveText);
  else setText($("booth-live"), liveText);
  renderBoothDrop(p, lang);
  setAttr($("booth-live"), "data-live", live || "");
  const partners = partnersOf(p, lang);
  $("take-booth").hidden = !mine || live !== null;
  $("hand-over").hidden = !mine || !me || partners.length === 0;
  $("leave-booth").hidden = !mine || !me;
  $("hand-over-to-box").hidden = !mine || !me || partners.length < 2;
  const sel = $("hand-over-to");
  const key = JSON.stringify(partners.map((x) => [x.id, x.name]));
  if (sel.dataset.key !== key) {
    sel.dataset.key = key;
    fill(sel, partners.map((x) => h("option", { value: x.id }, x.name)));
  }
}

/** The booth changed because someone's connection was gone for 30 s (participant_dropped): the
 * one who dropped learns why they are off the air, the partner who got the booth that they are on. */
function renderBoothDrop(p, lang) {
  const box = $("booth-drop-note");
  const drop = lang ? p.model.boothDrops.get(lang) : null;
  const mine = p.role === "interpreter" && drop && (drop.person === p.subject || drop.handedTo === p.subject);
  box.hidden = !mine;
  setAttr(box, "data-kind", mine ? (drop.person === p.subject ? "you-dropped" : "handed-to-you") : null);
  if (!mine) return;
  const language = languageName(lang, LANG);
  if (drop.person === p.subject) {
    if (drop.handedTo) setRich(box, "drop_you_booth_handed", { language, name: iso(nameOf(p.model, drop.handedTo)) });
    else setRich(box, "drop_you_booth_freed", { language });
  } else {
    setRich(box, "drop_booth_to_you", { language, name: iso(nameOf(p.model, drop.person)) });
  }
}

$("take-booth").addEventListener("click", (e) => {
  if (!media.wanted) media.start(); // taking the booth means speaking into it: the same click joins
  act(page, { button: e.currentTarget, error: $("booth-error") }, () => page.command({ type: "take_booth" }));
});
$("hand-over").addEventListener("click", (e) => {
  const command = { type: "hand_over" };
  if (!$("hand-over-to-box").hidden && $("hand-over-to").value) command.to = $("hand-over-to").value;
  act(page, { button: e.currentTarget, error: $("booth-error") }, () => page.command(command));
});
$("leave-booth").addEventListener("click", (e) =>
  act(page, { button: e.currentTarget, error: $("booth-error") }, () => page.command({ type: "leave_booth" })),
);

// the microphone is on (into the booth's channel) whenever the stream is: a partner's handover then
// finds this voice already flowing; the hub only lets the live interpreter's voice through
media.on("joined", () => media.setMic(true));
media.on("left", () => media.setMic(false));

// The back-channel -----------------------------------------------------------------------------

media.on("chat", (f) => {
  const key = `${f.at}|${f.from}|${f.text}`;
  if (chat.has(key)) return; // the history sent again after a reconnection
  chat.set(key, f);
  while (chat.size > CHAT_SHOWN) chat.delete(chat.keys().next().value);
  page.scheduleRender();
});

function renderChat(p) {
  const items = [...chat.entries()];
  $("chat-empty").hidden = items.length > 0;
  const joined = media.joined;
  $("chat-hint").hidden = joined;
  $("chat-send").disabled = !joined;
  const list = $("chat-list");
  const atEnd = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  keyed(
    list,
    items,
    ([k]) => k,
    () => h("li", {}, h("time"), h("span", { class: "chat-from" }), h("span", { class: "chat-text", dir: "auto" })),
    (li, [, f]) => {
      const [time, from, text] = li.children;
      const at = Date.parse(f.at);
      setText(time, Number.isFinite(at) ? localTime(at) : "");
      setAttr(time, "datetime", f.at || "");
      setText(from, f.from === p.subject ? t("you") : nameOf(p.model, f.from));
      setAttr(from, "dir", "auto");
      setText(text, f.text);
      li.classList.toggle("is-me", f.from === p.subject);
    },
  );
  if (atEnd) list.scrollTop = list.scrollHeight;
}

$("chat-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const input = $("chat-text");
  const text = input.value.trim();
  if (!text) return;
  setText($("chat-error"), "");
  $("chat-send").disabled = true;
  try {
    // the server answers a message by sending it to every partner, the sender too
    await page.stream.request(
      { type: "booth_chat", text },
      { timeout: 10000, match: (f) => f.type === "booth_chat" && f.from === page.subject && f.text === text },
    );
    if (input.value.trim() === text) input.value = "";
  } catch (err) {
    setText($("chat-error"), err.offline || err.closed ? t("asm_offline") : t("asm_refused", { message: err.message || err.code }));
  } finally {
    $("chat-send").disabled = !media.joined;
  }
});

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
  setText($("texts-todo"), lang ? listText([tn("todo_missing", missing), tn("todo_stale", stale)], "unit") : "");
  keyed($("texts"), items, (x) => x.id, (x) => createItem(x), (el, x) => updateItem(p, el, x, lang));
}

function createItem(x) {
  const id = x.id;
  const text = h("textarea", { id: `tr-${id}`, rows: 4, maxlength: page.stream.limits.text, dir: "auto", dataset: { testid: "translate-text" } });
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
  const status = textStatus(p.model, x);
  setText(r.status, t(`status_${status}`));
  setAttr(r.status, "data-status", status);
  setRich(r.by, "proposed_by", { name: iso(nameOf(p.model, x.proposer)), language: languageName(x.language, LANG) });
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
      current: t("tr_current", { name: `\u2068${nameOf(p.model, tr?.by)}\u2069` }),
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
