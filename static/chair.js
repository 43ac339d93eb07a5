// The chair's console (/assembly/{id}/chair#t=…): the speaking order with grant / reorder / remove,
// the floor with its countdown and extensions, attendance, texts and ballots (open, close, live
// tallies, results, rankings), participants and links, minutes; which interpreter is live in each
// booth (set_booth), and the livestream to listen in (static/media.js).
import { LANG, t } from "/static/i18n.js";
import {
  $,
  AssemblyPage,
  act,
  iso,
  listNodes,
  listText,
  localTime,
  load,
  nameNodes,
  num,
  rich,
  save,
  setNodes,
  tn,
  ballotsInOrder,
  commandError,
  createBallotItem,
  createTextItem,
  keyed,
  kindLabel,
  languageName,
  renderOrderSummary,
  presentSummary,
  renderClock,
  renderFloor,
  textLabel,
  textSnippet,
  textsInOrder,
  setupMinutes,
  updateBallotItem,
  updateTextItem,
} from "/static/assembly-ui.js";
import {
  KINDS,
  adoptedDemands,
  delegates,
  entryReason,
  isOpenText,
  nameOf,
  openBallotOn,
  regionTimes,
  weightClassesAtRisk,
} from "/static/assembly-model.js";
import { api, clock, copyField, errorMessage, fill, h, setAttr, setText } from "/static/util.js";
import { Media } from "/static/media.js";

const page = new AssemblyPage("chair", { render, tick: renderClock, language: () => setupMinutes(page) });
const media = new Media(page);
const pendingPresence = new Set();

function render(p) {
  renderDrops(p);
  renderFloor(p);
  renderFloorControls(p);
  renderOrder(p);
  renderRegions(p);
  renderBallots(p);
  renderRanking(p);
  renderTexts(p);
  renderAttendance(p);
  renderPeopleForm(p);
  renderPeople(p);
  renderActivity(p);
  setupMinutes(p);
  renderBooths(p);
  media.render();
  document.body.dataset.role = p.role || "";
}

// Booths ---------------------------------------------------------------------------------------

function renderBooths(p) {
  const m = p.model;
  const chair = p.role === "chair";
  const live = m.languages.filter((l) => m.booths.has(l)).length;
  setText($("booths-state"), tn("booths_live", live, { total: num(m.languages.length) }));
  setAttr($("booths-state"), "data-live", live);
  keyed(
    $("booths"),
    m.languages,
    (l) => l,
    (l) => {
      const id = `booth-set-${l}`;
      const select = h("select", { id, class: "chair-ctl", dataset: { testid: `booth-set-${l}` } });
      select.addEventListener("change", () =>
        act(page, { error: $("booths-error") }, () =>
          page.command({ type: "set_booth", booth: l, interpreter: select.value || null }),
        ),
      );
      const li = h("li", { dataset: { testid: `booth-${l}` } }, h("label", { for: id }), select, h("span", { class: "booth-now" }));
      li._refs = { label: li.firstChild, select, now: li.lastChild };
      return li;
    },
    (li, l) => {
      const r = li._refs;
      const live = m.booths.get(l) || "";
      const staff = [...m.people.values()].filter((x) => x.role === "interpreter" && x.booth === l);
      setText(r.label, t("booth_select_label", { language: languageName(l, LANG) }));
      setAttr(li, "data-live", live);
      const key = JSON.stringify([LANG, staff.map((x) => [x.id, x.name])]);
      if (r.select.dataset.key !== key) {
        r.select.dataset.key = key;
        fill(r.select, h("option", { value: "" }, t("booth_idle_option")), staff.map((x) => h("option", { value: x.id }, x.name)));
      }
      if (document.activeElement !== r.select) r.select.value = live;
      r.select.disabled = staff.length === 0;
      r.now.hidden = chair;
      setText(r.now, live ? nameOf(m, live) : t("booth_idle_option"));
      setAttr(r.now, "dir", live ? "auto" : null);
    },
  );
}

// Floor --------------------------------------------------------------------------------------

function renderFloorControls(p) {
  const m = p.model;
  const floor = Boolean(m.floor);
  for (const id of ["end-speech", "extend-30", "extend-60"]) {
    const b = $(id);
    if (!b.dataset.busy) b.disabled = !floor;
  }
  const sel = $("floor-lang-select");
  const key = m.languages.join(",") + LANG;
  if (sel.dataset.key !== key) {
    sel.dataset.key = key;
    fill(sel, h("option", { value: "" }, t("floor_language_none")), m.languages.map((l) => h("option", { value: l, lang: l }, languageName(l))));
  }
  if (document.activeElement !== sel) sel.value = m.floorLanguage || "";
}

async function floorCommand(button, command) {
  button.dataset.busy = "1";
  await act(page, { button, error: $("floor-error") }, () => page.command(command));
  delete button.dataset.busy;
  renderFloorControls(page);
}

$("end-speech").addEventListener("click", (e) => floorCommand(e.currentTarget, { type: "end_speech" }));
$("extend-30").addEventListener("click", (e) => floorCommand(e.currentTarget, { type: "extend_time", seconds: 30 }));
$("extend-60").addEventListener("click", (e) => floorCommand(e.currentTarget, { type: "extend_time", seconds: 60 }));
$("floor-lang-select").addEventListener("change", (e) => {
  const language = e.target.value;
  if (!language) return;
  act(page, { error: $("floor-error") }, () => page.command({ type: "set_floor_language", language }));
});

// Speaking order -----------------------------------------------------------------------------

function renderOrder(p) {
  const m = p.model;
  const order = p.order;
  renderOrderSummary(p, $("order-summary"), order);
  setText($("list-state"), m.listOpen ? t("list_open") : t("list_closed"));
  setAttr($("list-state"), "data-open", m.listOpen ? "true" : "false");
  setText($("toggle-list"), m.listOpen ? t("close_list") : t("reopen_list"));
  if (!$("grant-next").dataset.busy) $("grant-next").disabled = order.length === 0;
  const firstMovable = order.findIndex((e) => e.kind !== "point_of_order");
  keyed(
    $("order"),
    order.map((e, i) => ({ e, i })),
    ({ e }) => e.id,
    ({ e }) => {
      const grant = h("button", { type: "button", class: "btn btn-small btn-primary", dataset: { testid: "grant" } });
      const up = h("button", { type: "button", class: "btn btn-small btn-icon", dataset: { testid: "up" } }, "↑");
      const down = h("button", { type: "button", class: "btn btn-small btn-icon", dataset: { testid: "down" } }, "↓");
      const remove = h("button", { type: "button", class: "btn btn-small btn-danger", dataset: { testid: "remove" } });
      const li = h(
        "li",
        { class: "order-item" },
        h("span", { class: "order-pos", "aria-hidden": "true" }),
        h(
          "div",
          { class: "order-who" },
          h("span", { class: "order-name" }),
          h("span", { class: "badge order-kind" }),
          h("span", { class: "order-region", dir: "auto" }),
          h("span", { class: "order-reason" }),
        ),
        h("div", { class: "order-actions chair-ctl" }, grant, up, down, remove),
      );
      li._refs = { grant, up, down, remove };
      grant.addEventListener("click", () =>
        act(page, { button: grant, error: $("order-error") }, () => page.command({ type: "grant_floor", entry: e.id })),
      );
      up.addEventListener("click", () => move(e.id, -1, up));
      down.addEventListener("click", () => move(e.id, +1, down));
      remove.addEventListener("click", () =>
        act(page, { button: remove, error: $("order-error") }, () => page.command({ type: "lower_hand", entry: e.id })),
      );
      return li;
    },
    (li, { e, i }) => {
      const [pos, who] = li.children;
      const [name, kind, region, reason] = who.children;
      const person = nameOf(m, e.person);
      setText(pos, num(i + 1));
      setNodes(name, nameNodes(p, e.person));
      setText(kind, kindLabel(e.kind));
      setAttr(kind, "data-kind", e.kind);
      setText(region, m.people.get(e.person)?.region || "");
      const why = entryReason(m, e);
      setText(reason, why === "point" ? "" : t(`reason_${why}`)); // a point of order says so in its badge
      setAttr(li, "data-testid", `order-${e.person}-${e.kind}`);
      setAttr(li, "data-entry", e.id);
      setAttr(li, "data-person", e.person);
      li.classList.toggle("is-point", e.kind === "point_of_order");
      const r = li._refs;
      setText(r.grant, t("grant"));
      setAttr(r.grant, "aria-label", t("grant_to", { name: person }));
      setAttr(r.up, "aria-label", t("move_up", { name: person }));
      setAttr(r.down, "aria-label", t("move_down", { name: person }));
      setText(r.remove, t("remove"));
      setAttr(r.remove, "aria-label", t("remove_from_list", { name: person }));
      const movable = e.kind !== "point_of_order";
      r.up.disabled = !movable || i <= firstMovable;
      r.down.disabled = !movable || i >= order.length - 1;
    },
  );
  // raise a hand on someone's behalf
  const who = $("raise-for-person");
  const ds = delegates(m);
  const key = ds.map((d) => d.id + d.name).join(",");
  if (who.dataset.key !== key) {
    who.dataset.key = key;
    const keep = who.value;
    fill(who, ds.map((d) => h("option", { value: d.id }, d.name)));
    if (ds.some((d) => d.id === keep)) who.value = keep;
  }
  const kinds = $("raise-for-kind");
  if (kinds.dataset.lang !== LANG) {
    kinds.dataset.lang = LANG;
    const keep = kinds.value || "speech";
    fill(kinds, KINDS.map((k) => h("option", { value: k }, kindLabel(k))));
    kinds.value = keep;
  }
}

function move(entry, delta, button) {
  const order = page.order;
  const ids = order.map((e) => e.id);
  const i = ids.indexOf(entry);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= ids.length) return;
  if (order[i].kind === "point_of_order" || order[j].kind === "point_of_order") return;
  [ids[i], ids[j]] = [ids[j], ids[i]];
  act(page, { button, error: $("order-error") }, () => page.command({ type: "reorder", order: ids }));
}

$("grant-next").addEventListener("click", async (e) => {
  const b = e.currentTarget;
  b.dataset.busy = "1";
  await act(page, { button: b, error: $("order-error") }, () => page.command({ type: "grant_floor" }));
  delete b.dataset.busy;
});

$("toggle-list").addEventListener("click", (e) => {
  const type = page.model.listOpen ? "close_list" : "reopen_list";
  act(page, { button: e.currentTarget, error: $("order-error") }, () => page.command({ type }));
});

$("raise-for-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const person = $("raise-for-person").value;
  const kind = $("raise-for-kind").value;
  if (!person) return;
  act(page, { button: e.submitter, error: $("order-error") }, () => page.command({ type: "raise_hand", person, kind }));
});

// Regions ------------------------------------------------------------------------------------

function renderRegions(p) {
  const m = p.model;
  const budget = m.rules.region_budget;
  const rows = [...regionTimes(m)];
  keyed(
    $("regions"),
    rows,
    ([r]) => r,
    () => h("tr", {}, h("th", { scope: "row" }), h("td", { class: "num" }), h("td", { class: "num" })),
    (tr, [region, seconds]) => {
      const [name, used, limit] = tr.children;
      setText(name, region);
      setText(used, clock(seconds * 1000));
      setText(limit, budget ? clock(budget * 1000) : "—");
      const over = Boolean(budget) && seconds >= budget;
      tr.classList.toggle("over-budget", over);
      setAttr(tr, "data-testid", `region-${region}`);
      setAttr(used, "data-seconds", seconds);
      setAttr(tr, "title", over ? t("over_budget") : null);
    },
  );
}

// Ballots ------------------------------------------------------------------------------------

function renderBallots(p) {
  const list = $("ballots");
  const items = ballotsInOrder(p.model);
  $("ballots-empty").hidden = items.length > 0;
  keyed(
    list,
    items,
    (b) => b.id,
    (b) => {
      const el = createBallotItem(b);
      const close = h("button", { type: "button", class: "btn btn-primary chair-ctl", dataset: { testid: "close-ballot" } });
      const error = h("p", { class: "control-error", role: "alert" });
      close.addEventListener("click", () =>
        act(page, { button: close, error }, () => page.command({ type: "close_ballot", ballot: b.id })),
      );
      const risk = h("p", { class: "hint weight-risk-note", dataset: { testid: "weight-risk-note" }, hidden: true });
      el._refs.extra.append(risk, close, error);
      el._refs.close = close;
      el._refs.risk = risk;
      return el;
    },
    (el, b) => {
      updateBallotItem(p, el, b);
      el._refs.close.hidden = b.status !== "open";
      setText(el._refs.close, t("close_ballot"));
      const risk = b.weightRisk;
      el._refs.risk.hidden = !risk;
      if (risk) {
        const classes = listText(risk.classes.map((c) => tn("weight_risk_count", c.delegates, { w: num(c.weight) })), "unit");
        setText(el._refs.risk, tn("ballot_weight_risk", risk.k, { classes }));
      }
    },
  );
}

// Weights that would reveal secret choices -----------------------------------------------------
// The server refuses a secret ballot (and a delegate added during one) when a weight is held by
// fewer than k delegates: the published totals could then show how they voted. The chair sees
// which weights and whose, and chooses: go ahead knowingly (the log records it) or vote openly.

/** Send `command`; on weights_reveal_choices show the warning in `warning` with `ways` on (each
 * {label, testid, command}); other refusals go to `error`. `send` defaults to the page's command. */
async function sendWeighed({ button, error, warning, send = (c) => page.command(c), done = null }, command, ways) {
  warning.hidden = true;
  fill(warning);
  setText(error, "");
  if (button) button.disabled = true;
  try {
    const ack = await send(command);
    if (done) done(ack, command);
    return ack;
  } catch (err) {
    if (err && err.code === "weights_reveal_choices") showWeightWarning({ button, error, warning, send, done }, command, ways);
    else setText(error, commandError(err));
    return null;
  } finally {
    if (button) button.disabled = false;
    page.scheduleRender();
  }
}

function showWeightWarning(opts, command, ways) {
  const m = page.model;
  const adding = command.type === "add_person" ? { role: command.role, id: command.id, weight: command.weight || "1" } : null;
  let classes = weightClassesAtRisk(m, adding);
  if (adding) {
    // what this delegate would add: their own class, and any class at risk only because of them
    const before = new Set(weightClassesAtRisk(m).map((c) => c.milli));
    classes = classes.filter((c) => c.delegates.includes(adding.id) || !before.has(c.milli));
  }
  const name = (id) => (adding && id === adding.id ? command.name || id : nameOf(m, id));
  const items = classes.slice(0, 10).map((c) =>
    h(
      "li",
      { dataset: { weight: c.weight } },
      rich("weight_risk_class", { w: num(c.weight), names: listNodes(c.delegates.map(name), "unit") }),
    ),
  );
  if (classes.length > 10) items.push(h("li", {}, tn("weight_risk_more", classes.length - 10)));
  const buttons = ways.map(({ label, testid, command: next }) => {
    const b = h("button", { type: "button", class: "btn btn-small", dataset: { testid } }, t(label));
    b.addEventListener("click", () => sendWeighed({ ...opts, button: b }, next, []));
    return b;
  });
  fill(
    opts.warning,
    h("p", {}, h("strong", {}, t(adding ? "weight_risk_title_add" : "weight_risk_title"))),
    h("p", {}, tn(adding ? "weight_risk_text_add" : "weight_risk_text", m.secretK)),
    items.length ? h("ul", { class: "weight-risk-classes" }, items) : null,
    h("p", { class: "hint" }, t("weight_risk_recorded")),
    h("div", { class: "weight-risk-actions" }, buttons),
  );
  opts.warning.hidden = false;
}

function weightWarningBox() {
  return h("div", { class: "notice weight-warning", role: "alert", hidden: true, dataset: { testid: "weight-warning" } });
}

/** The two ways on for a refused secret ballot: as it is, knowingly; or the same ballot, open. */
function ballotWays(command) {
  return [
    { label: "weight_proceed", testid: "weight-proceed", command: { ...command, accept_weight_risk: true } },
    { label: "weight_open_instead", testid: "weight-open-instead", command: { ...command, secret: false } },
  ];
}

function renderRanking(p) {
  const adopted = adoptedDemands(p.model);
  const box = $("ranking-candidates");
  keyed(
    box,
    adopted,
    (d) => d.id,
    (d) => {
      const input = h("input", { type: "checkbox", id: `rank-${d.id}`, value: d.id, checked: true });
      return h("div", { class: "check" }, input, h("label", { for: `rank-${d.id}` }));
    },
    (el, d) => setNodes(el.querySelector("label"), [`${textLabel(d)}: `, h("bdi", {}, textSnippet(p, d.id, 80))]),
  );
  const open = [...p.model.ballots.values()].some((b) => b.kind === "ranking" && b.status === "open");
  $("ranking-none").hidden = adopted.length >= 2;
  $("ranking-open").hidden = !open;
  $("ranking-submit").disabled = adopted.length < 2 || open;
}

const rankingWarning = weightWarningBox();
$("ranking-error").after(rankingWarning);

$("ranking-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const candidates = [...$("ranking-candidates").querySelectorAll("input:checked")].map((i) => i.value);
  const secret = $("ranking-secret").checked;
  const command = { type: "open_ranking", candidates, secret };
  sendWeighed({ button: e.submitter, error: $("ranking-error"), warning: rankingWarning }, command, ballotWays(command));
});

// Texts --------------------------------------------------------------------------------------

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
      el._refs.extra.append(openBallotForm(x));
      return el;
    },
    (el, x) => {
      updateTextItem(p, el, x, { translations: true });
      const form = el._refs.extra.querySelector(".open-ballot");
      // a text a ballot left without quorum can be put to a new ballot
      form.hidden = !(p.role === "chair" && isOpenText(x) && !openBallotOn(m, x.id));
      const quorum = form.querySelector("input[type=number]");
      if (!quorum.dataset.touched) quorum.value = String(Math.round(Number(m.quorum) * 100));
    },
  );
}

function openBallotForm(x) {
  const id = x.id;
  const majority = h(
    "select",
    { id: `ob-majority-${id}`, dataset: { testid: "ob-majority" } },
    h("option", { value: "simple", "data-i18n": "majority_simple" }, t("majority_simple")),
    h("option", { value: "two_thirds", "data-i18n": "majority_two_thirds" }, t("majority_two_thirds")),
  );
  const secret = h("input", { type: "checkbox", id: `ob-secret-${id}`, dataset: { testid: "ob-secret" } });
  const quorum = h("input", {
    type: "number",
    id: `ob-quorum-${id}`,
    min: 0,
    max: 100,
    step: 1,
    inputmode: "numeric",
    dataset: { testid: "ob-quorum" },
  });
  quorum.addEventListener("input", () => (quorum.dataset.touched = "1"));
  const submit = h("button", { type: "submit", class: "btn btn-primary", "data-i18n": "open_ballot", dataset: { testid: "ob-submit" } }, t("open_ballot"));
  const error = h("p", { class: "control-error", role: "alert" });
  const warning = weightWarningBox();
  const form = h(
    "form",
    { class: "open-ballot-form" },
    h(
      "div",
      { class: "field-row" },
      h("div", { class: "field" }, h("label", { for: majority.id, "data-i18n": "majority_label" }, t("majority_label")), majority),
      h("div", { class: "field" }, h("label", { for: quorum.id, "data-i18n": "quorum_label" }, t("quorum_label")), quorum),
    ),
    h("div", { class: "check" }, secret, h("label", { for: secret.id, "data-i18n": "secret_ballot" }, t("secret_ballot"))),
    submit,
    error,
    warning,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const command = { type: "open_ballot", target: id, majority: majority.value, secret: secret.checked };
    if (quorum.value !== "") command.quorum = String(Math.min(100, Math.max(0, Number(quorum.value))) / 100);
    sendWeighed({ button: submit, error, warning }, command, ballotWays(command));
  });
  return h(
    "details",
    { class: "open-ballot chair-ctl", dataset: { testid: "open-ballot" } },
    h("summary", { "data-i18n": "open_ballot_heading" }, t("open_ballot_heading")),
    form,
  );
}

// Attendance ---------------------------------------------------------------------------------

function renderAttendance(p) {
  const m = p.model;
  setText($("present-summary"), presentSummary(m));
  keyed(
    $("attendance"),
    delegates(m),
    (d) => d.id,
    (d) => {
      const box = h("input", { type: "checkbox", id: `present-${d.id}`, dataset: { testid: `present-${d.id}` } });
      box.addEventListener("change", async () => {
        pendingPresence.add(d.id);
        box.disabled = true;
        await act(page, { error: $("attendance-error") }, () =>
          page.command({ type: "attend", person: d.id, present: box.checked }, { retry: true }),
        );
        pendingPresence.delete(d.id);
        box.disabled = false;
        page.scheduleRender();
      });
      return h("li", { class: "check" }, box, h("label", { for: box.id }));
    },
    (li, d) => {
      const [box, label] = li.children;
      const here = m.present.has(d.id);
      if (!pendingPresence.has(d.id)) box.checked = here;
      const dropped = m.dropped.get(d.id);
      setNodes(label, [
        h("bdi", {}, d.name),
        " (",
        ...(d.region ? [h("bdi", {}, d.region), " · "] : []),
        t("weight_is", { w: num(d.weight) }),
        ")",
        ...(dropped ? [" ", h("span", { class: "badge badge-dropped" }, droppedLabel(dropped))] : []),
      ]);
      setAttr(li, "data-present", here ? "true" : "false");
      setAttr(li, "data-dropped", dropped ? "true" : null);
      box.disabled = p.role !== "chair" || pendingPresence.has(d.id);
    },
  );
}

// People and links ---------------------------------------------------------------------------

function renderPeopleForm(p) {
  const m = p.model;
  for (const id of ["ap-language", "ap-booth"]) {
    const sel = $(id);
    const key = m.languages.join(",") + LANG;
    if (sel.dataset.key === key) continue;
    sel.dataset.key = key;
    const keep = sel.value;
    fill(sel, m.languages.map((l) => h("option", { value: l, lang: l }, languageName(l))));
    if (m.languages.includes(keep)) sel.value = keep;
  }
  const role = $("ap-role").value;
  $("ap-weight-field").hidden = role !== "delegate";
  $("ap-region-field").hidden = role !== "delegate";
  $("ap-booth-field").hidden = role !== "interpreter";
}

$("ap-role").addEventListener("change", () => renderPeopleForm(page));

async function rest(command) {
  return api(`/api/assemblies/${encodeURIComponent(page.assemblyId)}/commands`, {
    method: "POST",
    token: page.token,
    type: "application/json",
    body: JSON.stringify(command),
  });
}

$("add-person-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const role = $("ap-role").value;
  const command = {
    type: "add_person",
    role,
    id: $("ap-id").value.trim(),
    name: $("ap-name").value.trim() || undefined,
    language: $("ap-language").value,
  };
  if (role === "delegate") {
    command.weight = $("ap-weight").value.trim() || "1";
    if ($("ap-region").value.trim()) command.region = $("ap-region").value.trim();
  }
  if (role === "interpreter") command.booth = $("ap-booth").value;
  fill($("ap-result"));
  // While a secret ballot is open, a delegate with a rare weight is refused unless the chair adds
  // them knowingly (their vote in it could be read from the totals).
  const ways = [{ label: "weight_add_anyway", testid: "weight-add-anyway", command: { ...command, accept_weight_risk: true } }];
  sendWeighed({ button: $("ap-submit"), error: $("ap-error"), warning: apWarning, send: addPerson, done: added }, command, ways);
});

const apWarning = weightWarningBox();
$("ap-error").after(apWarning);

/** add_person over REST (the reply carries the new link); rejects like page.command does. */
async function addPerson(command) {
  const r = await rest(command);
  if (!r.ok) throw { code: r.body?.error?.code || String(r.status), message: errorMessage(r) };
  return r.body;
}

function added(body, command) {
  fill(
    $("ap-result"),
    h("p", {}, rich("ap_added", { name: iso(command.name || command.id) })),
    copyField(body.link, { label: t("link_for", { name: command.name || command.id }), testid: "new-link" }),
  );
  $("ap-id").value = "";
  $("ap-name").value = "";
  if ($("links-details").open) loadLinks();
}

$("links-details").addEventListener("toggle", () => {
  if ($("links-details").open) loadLinks();
});

async function loadLinks() {
  setText($("links-error"), "");
  const r = await api(`/api/assemblies/${encodeURIComponent(page.assemblyId)}/links`, { token: page.token });
  if (!r.ok) {
    setText($("links-error"), t("asm_refused", { message: errorMessage(r) }));
    return;
  }
  const L = r.body;
  const m = page.model;
  const list = h("dl", { class: "links-list" });
  list.append(h("dt", {}, t("asm_link_watch")), h("dd", {}, copyField(L.watch, { label: t("asm_link_watch") })));
  list.append(h("dt", {}, t("asm_link_viewer")), h("dd", {}, copyField(L.viewer, { label: t("asm_link_viewer") })));
  for (const [group, role] of [["chairs", "chair"], ["delegates", "delegate"], ["interpreters", "interpreter"]]) {
    for (const [pid, url] of Object.entries(L[group] || {})) {
      const name = nameOf(m, pid);
      const dd = h("dd", {}, copyField(url, { label: t("link_for", { name }), testid: `link-${pid}` }));
      const revoke = h("button", { type: "button", class: "btn btn-small btn-danger", dataset: { testid: `revoke-${pid}` } }, t("revoke"));
      revoke.addEventListener("click", async () => {
        if (!window.confirm(t("revoke_confirm", { name }))) return;
        revoke.disabled = true;
        const res = await rest({ type: "revoke_link", person: pid });
        revoke.disabled = false;
        if (!res.ok) {
          setText($("links-error"), t("asm_refused", { message: errorMessage(res) }));
          return;
        }
        fill(dd, h("p", { class: "control-status" }, t("revoked_new_link")), copyField(res.body.link, { label: t("link_for", { name }), testid: `link-${pid}` }), revoke);
      });
      dd.append(revoke);
      list.append(h("dt", {}, h("bdi", {}, name), ` · ${t(`role_name_${role}`)}`), dd);
    }
  }
  fill($("links-body"), list);
}

// Activity -----------------------------------------------------------------------------------

function renderActivity(p) {
  const m = p.model;
  const items = m.activity.slice(-30).reverse();
  keyed(
    $("activity"),
    items,
    (a) => a.offset,
    () => h("li"),
    (li, a) => {
      if (li.dataset.lang === LANG) return;
      li.dataset.lang = LANG;
      li.dataset.type = a.type;
      const at = Date.parse(a.data.at);
      fill(
        li,
        Number.isFinite(at) ? h("time", { datetime: new Date(at).toISOString() }, localTime(at, { seconds: true })) : null,
        " ",
        activityText(m, a),
      );
    },
  );
}

function activityText(m, a) {
  const d = a.data;
  switch (a.type) {
    case "floor_granted":
      return rich("act_floor", { name: iso(nameOf(m, d.person)), kind: kindLabel(d.kind) });
    case "speech_ended":
      return rich("act_ended", { name: iso(nameOf(m, d.person)), time: clock(d.seconds * 1000) });
    case "demand_proposed":
    case "amendment_proposed":
      return rich("act_proposed", { name: iso(nameOf(m, d.proposer)), id: textLabel(m.texts.get(d.id) || { id: d.id, demand: d.demand }) });
    case "ballot_opened":
      return t("act_ballot_opened", { n: num(d.ballot) });
    case "ballot_closed":
      return t("act_ballot_closed", {
        n: num(d.ballot),
        outcome: d.result?.outcome ? t(`outcome_${d.result.outcome}`) : t("ranking_result"),
      });
    case "participant_dropped":
      return dropText(m, d);
    default:
      return a.type;
  }
}

// Who dropped ----------------------------------------------------------------------------------
// The server frees the booth of an interpreter (or hands it to a connected partner), and ends the
// floor of a speaker, whose browser has been gone for 30 s (participant_dropped). The chair sees a
// notice until they dismiss it, and the participants are marked.

const DISMISSED_KEY = () => `mayday.dropsSeen.${page.assemblyId}`;
let dismissed = null; // offsets of drop notices the chair dismissed (kept on this device)

function droppedLabel(drop) {
  const at = Date.parse(drop.at);
  return Number.isFinite(at) ? t("dropped_at", { time: localTime(at) }) : t("dropped");
}

/** "Lucía dropped: Spanish booth handed to Marta; floor ended." */
function dropText(m, d) {
  const parts = [];
  const booth = d.booth ?? null;
  const handedTo = d.handed_to ?? d.handedTo ?? null;
  const floorEnded = Boolean(d.floor_ended ?? d.floorEnded);
  if (booth) {
    const language = languageName(booth, LANG);
    parts.push(
      handedTo
        ? rich("drop_booth_handed", { language, name: iso(nameOf(m, handedTo)) })
        : rich("drop_booth_freed", { language }),
    );
  }
  if (floorEnded) parts.push([t("drop_floor_ended")]);
  const joined = parts.flatMap((x, i) => (i ? ["; ", ...x] : x));
  return parts.length
    ? rich("drop_notice", { name: iso(nameOf(m, d.person)), what: joined })
    : rich("drop_notice_plain", { name: iso(nameOf(m, d.person)) });
}

function renderDrops(p) {
  const m = p.model;
  if (dismissed === null) dismissed = new Set(load(DISMISSED_KEY()) || []);
  const shown = m.drops.filter((d) => !dismissed.has(d.offset)).slice(-5);
  const box = $("drop-notices");
  box.hidden = shown.length === 0 || p.role !== "chair";
  keyed(
    box,
    shown,
    (d) => d.offset,
    (d) => {
      const ok = h("button", { type: "button", class: "btn btn-small", dataset: { testid: "drop-dismiss" } });
      ok.addEventListener("click", () => {
        dismissed.add(d.offset);
        save(DISMISSED_KEY(), [...dismissed].slice(-50));
        page.renderNow();
      });
      const li = h("li", { class: "notice drop-notice", dataset: { testid: `drop-${d.person}`, person: d.person } }, h("p"), ok);
      li._refs = { text: li.firstChild, ok };
      return li;
    },
    (li, d) => {
      const at = Date.parse(d.at);
      setNodes(li._refs.text, [
        ...(Number.isFinite(at) ? [h("time", { datetime: new Date(at).toISOString() }, localTime(at)), " "] : []),
        ...dropText(m, d),
      ]);
      setText(li._refs.ok, t("dismiss"));
      setAttr(li._refs.ok, "aria-label", t("dismiss_drop", { name: nameOf(m, d.person) }));
      setAttr(li, "data-booth", d.booth || null);
      setAttr(li, "data-handed-to", d.handedTo || null);
      setAttr(li, "data-floor-ended", d.floorEnded ? "true" : "false");
    },
  );
}

// Everyone, with who dropped ------------------------------------------------------------------

const ROLE_ORDER = { chair: 0, delegate: 1, interpreter: 2 };

function renderPeople(p) {
  const m = p.model;
  const people = [...m.people.values()].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role]);
  const gone = people.filter((x) => m.dropped.has(x.id)).length;
  setText(
    $("people-state"),
    gone ? `${tn("people_count", people.length)} · ${tn("people_dropped", gone)}` : tn("people_count", people.length),
  );
  setAttr($("people-state"), "data-dropped", gone);
  keyed(
    $("people-list"),
    people,
    (x) => x.id,
    () => h("li", {}, h("span", { class: "person-name" }), h("span", { class: "person-role" }), h("span", { class: "person-detail" }), h("span", { class: "badge badge-dropped" })),
    (li, x) => {
      const [name, role, detail, mark] = li.children;
      setNodes(name, nameNodes(p, x.id));
      setText(role, t(`role_name_${x.role}`));
      let bits = [];
      if (x.role === "delegate") bits = [x.site || x.region, t("weight_is", { w: num(x.weight) })].filter(Boolean);
      if (x.role === "interpreter" && x.booth) bits = [t("booth_of", { language: languageName(x.booth, LANG) })];
      if (x.language) bits.push(languageName(x.language, LANG));
      setNodes(detail, bits.flatMap((b, i) => (i ? [" · ", h("bdi", {}, b)] : [h("bdi", {}, b)])));
      const dropped = m.dropped.get(x.id);
      setText(mark, dropped ? droppedLabel(dropped) : "");
      setAttr(li, "data-testid", `person-${x.id}`);
      setAttr(li, "data-role", x.role);
      setAttr(li, "data-dropped", dropped ? "true" : "false");
      setAttr(li, "data-live", [...m.booths.values()].includes(x.id) ? "true" : null);
    },
  );
}

page.start();
