// The delegate page (/assembly/{id}/delegate#t=…), phone first: "I'm here", raise or lower a hand
// (speech, reply, point of order) and see one's place in the speaking order, the floor with its
// countdown and "end my speech", demands and amendments in one's own language (the original one
// click away), proposing, amending and translating one's own texts, and voting -- open ballots,
// secret ballots (the choice and its nonce stay on this device so the vote can be changed) and
// rankings (ordered tiers). The livestream (static/media.js): the floor under a language channel,
// and while this delegate holds the floor, their microphone (and camera, if they tick it).
import { LANG, t } from "/static/i18n.js";
import {
  $,
  AssemblyPage,
  act,
  ballotsInOrder,
  createBallotItem,
  createTextItem,
  keyed,
  kindLabel,
  languageName,
  load,
  num,
  setNodes,
  tn,
  renderOrderSummary,
  renderClock,
  renderFloor,
  renderOrderList,
  save,
  setupMinutes,
  textLabel,
  textSnippet,
  textsInOrder,
  updateBallotItem,
  updateTextItem,
} from "/static/assembly-ui.js";
import { CHOICES, isOpenText, milli, openBallotOn, positionsOf } from "/static/assembly-model.js";
import { fill, h, setAttr, setText } from "/static/util.js";
import { Media } from "/static/media.js";

const page = new AssemblyPage("delegate", { render, tick: renderClock });
const media = new Media(page, { onAir: () => holdsFloor(page) });
const CAMERA_KEY = "mayday.camera";
let micAsked = null; // the floor entry the microphone was asked for (asked once per speech)
let camAsked = null;
const inflight = new Set(); // ballot ids with a vote on its way
const rankings = new Map(); // ballot id -> {order: [candidate], ties: Set(candidate tied with the one above)}

function isDelegate(p) {
  return p.role === "delegate" && p.me?.role === "delegate";
}

function holdsFloor(p) {
  return Boolean(isDelegate(p) && p.model.floor && p.model.floor.person === p.subject);
}

function render(p) {
  const m = p.model;
  const me = p.me;
  const mine = isDelegate(p);
  document.body.dataset.role = p.role || "";
  // read-only (no link, or another role's link): nothing here that looks like one's own
  for (const id of ["attend", "hand-form", "propose-form", "me-card", "hand-card"]) $(id).hidden = !mine;
  const bits = me ? [me.name, me.site || me.region, languageName(me.language, LANG)].filter(Boolean) : [];
  setNodes($("me-name"), bits.flatMap((b, i) => (i ? [" · ", h("bdi", {}, b)] : [h("bdi", {}, b)])));

  // presence
  const here = Boolean(me && m.present.has(me.id));
  setText($("presence"), here ? t("present_yes") : t("present_no"));
  setAttr($("presence"), "data-present", here ? "true" : "false");
  $("attend").hidden = !mine || here;
  $("leave").hidden = !mine || !here;

  // floor
  renderFloor(p);
  const speaking = Boolean(m.floor && me && m.floor.person === me.id);
  $("end-my-speech").hidden = !mine || !speaking;
  $("my-floor-language").hidden = !mine || !speaking;
  const sel = $("floor-lang-select");
  const key = m.languages.join(",") + LANG;
  if (sel.dataset.key !== key) {
    sel.dataset.key = key;
    fill(sel, h("option", { value: "" }, t("floor_language_none")), m.languages.map((l) => h("option", { value: l, lang: l }, languageName(l))));
  }
  if (document.activeElement !== sel) sel.value = m.floorLanguage || "";
  // the server ended my speech because my connection was gone for a while: say so
  const drop = me ? m.dropped.get(me.id) : null;
  $("floor-drop-note").hidden = !(mine && drop?.floorEnded);
  if (mine && drop?.floorEnded) setText($("floor-drop-note"), t("drop_you_floor"));

  // hands and the order
  const order = p.order;
  const positions = me ? positionsOf(m, me.id, order) : [];
  setText(
    $("my-position"),
    positions.length
      ? positions.map(({ entry, position }) => t("my_position", { n: num(position), kind: kindLabel(entry.kind) })).join(" · ")
      : speaking
        ? t("you_have_floor")
        : t("not_in_list"),
  );
  keyed(
    $("my-entries"),
    positions,
    ({ entry }) => entry.id,
    ({ entry }) => {
      const lower = h("button", { type: "button", class: "btn btn-small", dataset: { testid: "lower-hand" } });
      lower.addEventListener("click", () =>
        act(page, { button: lower, error: $("hand-error") }, () => page.command({ type: "lower_hand", entry: entry.id })),
      );
      return h("li", {}, lower);
    },
    (li, { entry, position }) => {
      setText(li.firstChild, t("lower_hand_kind", { kind: kindLabel(entry.kind) }));
      setAttr(li, "data-testid", `my-entry-${entry.kind}`);
      setAttr(li, "data-position", position);
    },
  );
  $("list-closed-note").hidden = m.listOpen;
  renderOrderSummary(p, $("order-summary"), order);
  renderOrderList(p, $("order"), order);

  renderBallots(p);
  renderTexts(p);
  renderProposeForm(p);
  setupMinutes(p);
  renderMedia(p);
}

// The livestream: the microphone goes on with the floor and off when it ends ---------------------

function renderMedia(p) {
  const mine = isDelegate(p);
  const speaking = holdsFloor(p);
  $("media-camera-box").hidden = !mine;
  $("media-speak-note").hidden = !(speaking && !media.wanted);
  if (speaking && media.wanted) {
    const entry = String(p.model.floor.entry);
    if (micAsked !== entry) {
      micAsked = entry;
      media.setMic(true);
    }
    const cam = `${entry}:${$("media-camera").checked}`;
    if (camAsked !== cam) {
      camAsked = cam;
      media.setCamera($("media-camera").checked);
    }
  } else {
    micAsked = camAsked = null;
    if (media.micTrack || media.micPending) media.setMic(false);
    if (media.camTrack || media.camPending) media.setCamera(false);
  }
  media.render();
}

$("media-camera").checked = load(CAMERA_KEY) === true;
$("media-camera").addEventListener("change", (e) => {
  save(CAMERA_KEY, e.target.checked);
  page.renderNow();
});
media.on("joined", () => page.scheduleRender());
media.on("left", () => page.scheduleRender());

// Presence, hands, floor ------------------------------------------------------------------------

$("attend").addEventListener("click", (e) =>
  act(page, { button: e.currentTarget, error: $("attend-error") }, () => page.command({ type: "attend" }, { retry: true })),
);
$("leave").addEventListener("click", (e) =>
  act(page, { button: e.currentTarget, error: $("attend-error") }, () =>
    page.command({ type: "attend", present: false }, { retry: true }),
  ),
);

$("hand-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const kind = new FormData(e.currentTarget).get("kind") || "speech";
  act(page, { button: $("raise-hand"), error: $("hand-error") }, () => page.command({ type: "raise_hand", kind }));
});

$("end-my-speech").addEventListener("click", (e) =>
  act(page, { button: e.currentTarget, error: $("floor-error") }, () => page.command({ type: "end_speech" })),
);

$("floor-lang-select").addEventListener("change", (e) => {
  const language = e.target.value;
  if (language) act(page, { error: $("floor-error") }, () => page.command({ type: "set_floor_language", language }));
});

// Ballots ---------------------------------------------------------------------------------------

/** 32 random bytes, base64url without padding (43 characters): the secret vote's receipt key. */
export function newNonce() {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function voteKey(ballot) {
  return `mayday.vote.${page.assemblyId}.${ballot}.${page.subject}`;
}

/**
 * What this device knows of its secret vote on `b`: {choice, nonce, n} where n is how many times
 * the log showed this voter voting once it was recorded, and maybe `pending` (sent, not yet
 * confirmed). A pending vote the log now shows (n reached) is promoted; one it does not show once
 * nothing is in flight and the page is in sync is dropped.
 */
function secretRecord(b) {
  const key = voteKey(b.id);
  let rec = load(key);
  if (!rec) return null;
  const times = b.times.get(page.subject) || 0;
  if (rec.pending && times >= rec.pending.n) {
    rec = { choice: rec.pending.choice, nonce: rec.pending.nonce, n: rec.pending.n };
    save(key, rec);
  } else if (rec.pending && page.synced && !inflight.has(b.id)) {
    rec = rec.choice !== undefined ? { choice: rec.choice, nonce: rec.nonce, n: rec.n } : null;
    save(key, rec);
  }
  return rec;
}

function myChoice(b) {
  if (!b.secret) return b.votes.get(page.subject) ?? null;
  const rec = secretRecord(b);
  return rec && rec.choice !== undefined ? rec.choice : null;
}

async function vote(b, choice, ui) {
  if (!b.secret) {
    return act(page, ui, () => page.command({ type: "vote", ballot: b.id, choice }, { retry: true }));
  }
  const key = voteKey(b.id);
  const rec = secretRecord(b);
  const times = b.times.get(page.subject) || 0;
  if (times > 0 && (!rec || rec.choice === undefined)) {
    setText(ui.error, t("vote_elsewhere"));
    return null;
  }
  const nonce = newNonce();
  const command = { type: "vote", ballot: b.id, choice, nonce };
  if (times > 0) command.previous = { choice: rec.choice, nonce: rec.nonce };
  const kept = rec && rec.choice !== undefined ? { choice: rec.choice, nonce: rec.nonce, n: rec.n } : {};
  // written down before it is sent: if the answer is lost, the log tells whether it counted
  if (!save(key, { ...kept, pending: { choice, nonce, n: times + 1 } })) {
    setText(ui.error, t("vote_no_storage"));
    return null;
  }
  inflight.add(b.id);
  try {
    return await act(page, ui, async () => {
      try {
        const ack = await page.command(command);
        save(key, { choice, nonce, n: times + 1 });
        return ack;
      } catch (err) {
        if (!err.unconfirmed) save(key, Object.keys(kept).length ? kept : null);
        throw err;
      }
    });
  } finally {
    inflight.delete(b.id);
    page.scheduleRender();
  }
}

function renderBallots(p) {
  const items = ballotsInOrder(p.model);
  $("ballots-empty").hidden = items.length > 0;
  keyed(
    $("ballots"),
    items,
    (b) => b.id,
    (b) => {
      const el = createBallotItem(b);
      const mine = h("p", { class: "my-vote", dataset: { testid: "my-vote" }, role: "status" });
      const error = h("p", { class: "control-error", role: "alert", dataset: { testid: "vote-error" } });
      const note = h("p", { class: "hint secret-note" });
      const risk = h("div", { class: "notice weight-risk-warning", dataset: { testid: "weight-risk-warning" }, hidden: true });
      const controls = b.kind === "motion" ? motionControls(b, error) : rankingControls(b, error);
      el._refs.extra.append(risk, controls, mine, note, error);
      Object.assign(el._refs, { mine, note, controls, risk });
      return el;
    },
    (el, b) => {
      updateBallotItem(p, el, b);
      const r = el._refs;
      const choice = myChoice(b);
      const open = b.status === "open" && isDelegate(p);
      r.controls.hidden = !open;
      setAttr(el, "data-my-choice", choice === null ? "" : JSON.stringify(choice));
      let mineText = "";
      if (choice !== null) {
        mineText = b.kind === "motion" ? t("your_vote", { choice: t(`choice_${choice}`) }) : t("your_ranking", { list: tiersText(p, choice) });
      } else if (b.voters.has(p.subject)) {
        mineText = t("you_voted");
      }
      const rec = b.secret ? load(voteKey(b.id)) : null;
      if (rec?.pending && inflight.has(b.id)) mineText = t("vote_sending");
      setText(r.mine, mineText);
      setText(r.note, b.secret && open ? t("secret_note") : "");
      renderWeightRisk(p, r.risk, b, open);
      if (b.kind === "motion") updateMotionControls(r.controls, b, choice);
      else updateRankingControls(p, r.controls, b, choice);
    },
  );
}

/** A secret ballot opened although some weights are rare: before voting, the delegate learns
 * that a choice may be worked out from the totals (and whether theirs is one of those weights). */
function renderWeightRisk(p, box, b, open) {
  const risk = b.weightRisk;
  const show = Boolean(open && b.secret && risk && risk.classes?.length);
  box.hidden = !show;
  if (!show) return;
  const mine = p.me ? milli(p.me.weight) : null;
  const own = risk.classes.find((c) => milli(c.weight) === mine);
  setAttr(box, "data-mine", own ? "true" : "false");
  const parts = [h("p", {}, h("strong", {}, t("weight_risk_ballot_title")), " ", t("weight_risk_ballot"))];
  if (own) parts.push(h("p", {}, tn("weight_risk_ballot_you", own.delegates, { w: num(own.weight) })));
  setNodes(box, parts);
}

function motionControls(b, error) {
  const group = h("div", { class: "vote-buttons", role: "group" });
  for (const c of CHOICES) {
    const button = h("button", { type: "button", class: `btn vote-${c}`, dataset: { testid: `vote-${c}`, choice: c }, "aria-pressed": "false" });
    button.addEventListener("click", async () => {
      const current = page.model.ballots.get(b.id);
      if (!current || current.status !== "open") return;
      for (const x of group.children) x.disabled = true;
      await vote(current, c, { error });
      for (const x of group.children) x.disabled = false;
    });
    group.append(button);
  }
  return group;
}

function updateMotionControls(group, b, choice) {
  setAttr(group, "aria-label", t("vote_on", { n: b.id }));
  for (const button of group.children) {
    const c = button.dataset.choice;
    setText(button, t(`choice_${c}`));
    setAttr(button, "aria-pressed", choice === c ? "true" : "false");
    button.classList.toggle("is-chosen", choice === c);
  }
}

function tiersText(p, tiers) {
  return tiers.map((tier) => tier.map((c) => textLabel(p.model.texts.get(c) || { id: c })).join(" = ")).join(" > ");
}

function rankingState(b, choice) {
  let s = rankings.get(b.id);
  if (!s) {
    s = { order: [...b.candidates], ties: new Set() };
    if (Array.isArray(choice)) {
      const ranked = choice.flat();
      s.order = [...ranked, ...b.candidates.filter((c) => !ranked.includes(c))];
      for (const tier of choice) for (const c of tier.slice(1)) s.ties.add(c);
    }
    rankings.set(b.id, s);
  }
  return s;
}

function rankingControls(b, error) {
  const list = h("ol", { class: "rank-list", dataset: { testid: "rank-list" } });
  const submit = h("button", { type: "button", class: "btn btn-primary", dataset: { testid: "submit-ranking" } });
  submit.addEventListener("click", async () => {
    const current = page.model.ballots.get(b.id);
    const s = rankings.get(b.id);
    if (!current || current.status !== "open" || !s) return;
    const tiers = [];
    s.order.forEach((c, i) => {
      if (i > 0 && s.ties.has(c)) tiers[tiers.length - 1].push(c);
      else tiers.push([c]);
    });
    submit.disabled = true;
    await vote(current, tiers, { error });
    submit.disabled = false;
  });
  const box = h("div", { class: "ranking-controls" }, h("p", { class: "hint" }), list, submit);
  box._refs = { list, submit, hint: box.firstChild };
  return box;
}

function updateRankingControls(p, box, b, choice) {
  const s = rankingState(b, choice);
  setText(box._refs.hint, t("ranking_hint"));
  setText(box._refs.submit, choice ? t("change_ranking") : t("submit_ranking"));
  keyed(
    box._refs.list,
    s.order.map((c, i) => ({ c, i })),
    ({ c }) => c,
    ({ c }) => {
      const up = h("button", { type: "button", class: "btn btn-small btn-icon", dataset: { testid: "rank-up" } }, "↑");
      const down = h("button", { type: "button", class: "btn btn-small btn-icon", dataset: { testid: "rank-down" } }, "↓");
      const tie = h("input", { type: "checkbox", id: `tie-${b.id}-${c}`, dataset: { testid: "rank-tie" } });
      const shift = (delta) => {
        const st = rankings.get(b.id);
        const i = st.order.indexOf(c);
        const j = i + delta;
        if (j < 0 || j >= st.order.length) return;
        [st.order[i], st.order[j]] = [st.order[j], st.order[i]];
        page.renderNow();
        (delta < 0 ? up : down).focus();
      };
      up.addEventListener("click", () => shift(-1));
      down.addEventListener("click", () => shift(+1));
      tie.addEventListener("change", () => {
        const st = rankings.get(b.id);
        if (tie.checked) st.ties.add(c);
        else st.ties.delete(c);
        page.renderNow();
      });
      const li = h(
        "li",
        { class: "rank-item", dataset: { candidate: c } },
        h("span", { class: "rank-pos", "aria-hidden": "true" }),
        h("span", { class: "rank-text" }),
        h("span", { class: "rank-actions" }, up, down, h("span", { class: "check tie" }, tie, h("label", { for: tie.id }))),
      );
      li._refs = { up, down, tie, label: li.querySelector(".tie label") };
      return li;
    },
    (li, { c, i }) => {
      const r = li._refs;
      const tx = p.model.texts.get(c);
      // tiers: a candidate tied with the one above shares its number
      let pos = 0;
      s.order.slice(0, i + 1).forEach((x, k) => {
        if (k === 0 || !s.ties.has(x)) pos += 1;
      });
      setText(li.querySelector(".rank-pos"), String(pos));
      setNodes(li.querySelector(".rank-text"), [`${textLabel(tx || { id: c })}: `, h("bdi", {}, textSnippet(p, c, 90))]);
      r.up.disabled = i === 0;
      r.down.disabled = i === s.order.length - 1;
      setAttr(r.up, "aria-label", t("move_up", { name: textLabel(tx || { id: c }) }));
      setAttr(r.down, "aria-label", t("move_down", { name: textLabel(tx || { id: c }) }));
      r.tie.parentElement.hidden = i === 0;
      r.tie.checked = i > 0 && s.ties.has(c);
      setText(r.label, t("tie_with_above"));
    },
  );
}

// Texts -----------------------------------------------------------------------------------------

function renderTexts(p) {
  const m = p.model;
  const items = textsInOrder(m);
  $("texts-empty").hidden = items.length > 0;
  keyed(
    $("texts"),
    items,
    (x) => x.id,
    (x) => {
      const el = createTextItem(x);
      const amend = amendForm(x);
      const translate = translateForm(x);
      const edit = editForm(x);
      el._refs.extra.append(edit, amend, translate);
      Object.assign(el._refs, { amend, translate, edit });
      return el;
    },
    (el, x) => {
      const mine = isDelegate(p) && x.proposer === p.subject;
      updateTextItem(p, el, x, { translations: mine });
      const r = el._refs;
      r.amend.hidden = !isDelegate(p) || Boolean(x.demand) || !isOpenText(x) || Boolean(openBallotOn(m, x.id));
      r.translate.hidden = !mine;
      r.edit.hidden = !mine || !isOpenText(x) || Boolean(openBallotOn(m, x.id));
      if (!r.edit.hidden) updateEditForm(r.edit, x);
      if (mine) updateTranslateForm(p, r.translate, x);
      if (!r.amend.hidden) updateAmendForm(p, r.amend);
    },
  );
}

function editForm(x) {
  const id = x.id;
  const text = h("textarea", { id: `edit-text-${id}`, rows: 3, maxlength: page.stream.limits.text, dir: "auto", dataset: { testid: "edit-text" } });
  const submit = h("button", { type: "submit", class: "btn", dataset: { testid: "edit-submit" } }, t("edit_submit"));
  const status = h("p", { class: "control-status", role: "status" });
  const error = h("p", { class: "control-error", role: "alert" });
  const hint = h("p", { class: "hint" });
  const label = h("label", { for: text.id });
  const form = h("form", {}, h("div", { class: "field" }, label, text), hint, submit, status, error);
  text.addEventListener("input", () => (text.dataset.dirty = "1"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const value = text.value.trim();
    if (!value) {
      setText(error, t("write_first"));
      return;
    }
    const ack = await act(page, { button: submit, error, status, done: t("edit_saved") }, () =>
      page.command({ type: "edit_text", id, text: value }),
    );
    if (ack) delete text.dataset.dirty;
  });
  const details = h("details", { class: "translate", dataset: { testid: "edit" } }, h("summary"), form);
  details._refs = { text, submit, hint, label };
  return details;
}

function updateEditForm(details, x) {
  const r = details._refs;
  setText(details.querySelector("summary"), t("edit_heading"));
  setText(r.label, t("edit_label"));
  setText(r.hint, t("edit_hint"));
  setText(r.submit, t("edit_submit"));
  setAttr(r.text, "lang", x.language);
  if (!r.text.dataset.dirty && document.activeElement !== r.text) r.text.value = x.text;
}

function languageOptions(select, languages, preferred) {
  const key = languages.join(",") + LANG;
  if (select.dataset.key !== key) {
    select.dataset.key = key;
    const keep = select.value;
    fill(select, languages.map((l) => h("option", { value: l, lang: l }, languageName(l))));
    if (languages.includes(keep)) select.value = keep;
    else if (preferred && languages.includes(preferred)) select.value = preferred;
  }
}

/**
 * A language and a text sent as one command: the amend and translate forms of a text are the same
 * form with other names. `kind` names the test ids and the CSS class; `command(language, text)`
 * builds the command; `onLanguage` (optional) runs when the language changes; `clear` empties the
 * text after a successful send.
 */
function textForm(x, { kind, idPrefix, submitKey, doneKey, command, onLanguage = null, clear = false }) {
  const id = x.id;
  const language = h("select", { id: `${idPrefix}-lang-${id}`, dataset: { testid: `${kind}-language` } });
  const text = h("textarea", {
    id: `${idPrefix}-text-${id}`,
    rows: 3,
    maxlength: page.stream.limits.text,
    dir: "auto",
    dataset: { testid: `${kind}-text` },
  });
  const submit = h("button", { type: "submit", class: "btn", dataset: { testid: `${kind}-submit` } }, t(submitKey));
  const status = h("p", { class: "control-status", role: "status" });
  const error = h("p", { class: "control-error", role: "alert" });
  const form = h(
    "form",
    {},
    h("div", { class: "field" }, h("label", { for: language.id }), language),
    h("div", { class: "field" }, h("label", { for: text.id }), text),
    submit,
    status,
    error,
  );
  if (onLanguage) language.addEventListener("change", () => onLanguage(language, text));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const value = text.value.trim();
    if (!value) {
      setText(error, t("write_first"));
      return;
    }
    const ack = await act(page, { button: submit, error, status, done: t(doneKey) }, () =>
      page.command(command(language.value, value)),
    );
    if (ack && clear) text.value = "";
  });
  const details = h("details", { class: kind, dataset: { testid: kind } }, h("summary"), form);
  details._refs = { language, text, submit, labels: form.querySelectorAll("label") };
  return details;
}

function amendForm(x) {
  return textForm(x, {
    kind: "amend",
    idPrefix: "amend",
    submitKey: "amend_submit",
    doneKey: "amend_sent",
    command: (language, text) => ({ type: "propose_amendment", demand: x.id, language, text }),
    clear: true,
  });
}

function updateAmendForm(p, details) {
  const r = details._refs;
  setText(details.querySelector("summary"), t("amend_heading"));
  setText(r.labels[0], t("written_in"));
  setText(r.labels[1], t("amend_label"));
  setText(r.submit, t("amend_submit"));
  languageOptions(r.language, p.model.languages, p.me?.language);
}

function translateForm(x) {
  return textForm(x, {
    kind: "translate",
    idPrefix: "tr",
    submitKey: "translate_submit",
    doneKey: "translation_saved",
    command: (language, text) => ({ type: "translate", id: x.id, language, text }),
    // the existing translation into the chosen language, to correct rather than retype
    onLanguage: (language, text) => {
      text.value = page.model.texts.get(x.id)?.translations.get(language.value)?.text || "";
    },
  });
}

function updateTranslateForm(p, details, x) {
  const r = details._refs;
  setText(details.querySelector("summary"), t("translate_heading"));
  setText(r.labels[0], t("translate_into"));
  setText(r.labels[1], t("translation_label"));
  setText(r.submit, t("translate_submit"));
  const targets = p.model.languages.filter((l) => l !== x.language);
  languageOptions(r.language, targets, targets.find((l) => !x.translations.has(l) || x.translations.get(l).sourceRev < x.rev));
}

function renderProposeForm(p) {
  languageOptions($("propose-language"), p.model.languages, p.me?.language);
}

$("propose-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const area = $("propose-text");
  const text = area.value.trim();
  if (!text) {
    setText($("propose-error"), t("write_first"));
    area.focus();
    return;
  }
  const ack = await act(
    page,
    { button: $("propose-submit"), error: $("propose-error"), status: $("propose-status"), done: t("propose_sent") },
    () => page.command({ type: "propose_demand", language: $("propose-language").value, text }),
  );
  if (ack) area.value = "";
});

page.start();
