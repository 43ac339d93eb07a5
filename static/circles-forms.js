// What a circle's own link can do on its page: record income, deliver to a twin, change its
// pledge (per cent on the page, decimal text shares on the wire: 25 -> "0.25"), post a dispatch
// and say who sees its books. Amounts go out as the decimal text the person typed (in their
// locale's way of writing numbers), never through a float. Every refusal is the server's own
// message, in the form's error line. A member's or another circle's link sees none of this.
import { SERVED } from "/static/i18n.js";
import {
  $,
  amountText,
  fill,
  h,
  languageName,
  parseDecimal,
  percentToShare,
  setText,
  shareToPercent,
  t,
} from "/static/circles.js";

const RESOURCES = ["money", "DAYS", "HOURS", "REACH"];
const COMMON = ["USD", "EUR", "GBP", "NGN", "BOB", "PHP", "INR", "KES", "TZS", "BRL", "MXN", "ZAR", "DAYS", "HOURS", "REACH"];
let circle = "";
const dirty = new Set(); // forms a person has typed in since they were last filled

function value(id) {
  return $(id).value.trim();
}

function commodity(id) {
  return value(id).toUpperCase();
}

/** Whether this page's link acts for the circle shown (its coordinators' link). */
function mine(page) {
  return page.actingCircle === circle && page.view?.circle?.id === circle;
}

export function renderForms(page) {
  const show = mine(page);
  $("forms").hidden = !show;
  if (!show || !page.view) return;
  const twins = page.view.twins.map((tw) => tw.twin);
  for (const select of document.querySelectorAll(".twin-select")) {
    const keep = select.value;
    const key = twins.join(",") + document.documentElement.lang;
    if (select.dataset.key !== key) {
      select.dataset.key = key;
      fill(select, twins.map((tw) => h("option", { value: tw }, page.circleName(tw))));
      if (twins.includes(keep)) select.value = keep;
    }
    select.disabled = twins.length === 0;
  }
  // the currencies the circle already holds first, then the common ones
  const held = new Set();
  const funds = page.view.funds || {};
  for (const amounts of [funds.general, funds.fallout_cover, ...Object.values(funds.held_for || {})]) {
    for (const c of Object.keys(amounts || {})) held.add(c);
  }
  const list = [...held, ...COMMON.filter((c) => !held.has(c))];
  const dl = $("commodities");
  if (dl.dataset.key !== list.join(",")) {
    dl.dataset.key = list.join(",");
    fill(dl, list.map((c) => h("option", { value: c })));
  }
  renderHeld(page);
  if (!dirty.has("pledge")) fillPledge(page);
  renderLanguages(page);
  if (!dirty.has("visibility")) fillVisibility(page);
}

/** What the circle holds for the twin it would deliver to. */
function renderHeld(page) {
  const twin = $("deliver-twin").value;
  const held = page.view.funds?.held_for?.[twin] || {};
  const items = Object.entries(held).filter(([, v]) => Number(v) !== 0);
  setText(
    $("deliver-held"),
    twin
      ? items.length
        ? t("nw_held_now", { twin: page.circleName(twin), amounts: items.map(([c, v]) => amountText(v, c)).join(", ") })
        : t("nw_held_none", { twin: page.circleName(twin) })
      : "",
  );
}

function fillPledge(page) {
  const twin = $("pledge-twin").value;
  const row = page.view.twins.find((tw) => tw.twin === twin);
  for (const r of RESOURCES) {
    const share = row?.pledge.shares[r];
    $(`pledge-${r}`).value = share === undefined ? "" : shareToPercent(share);
  }
}

function renderLanguages(page) {
  const select = $("post-language");
  const own = page.view.circle.languages;
  const codes = [...own, ...SERVED.filter((l) => !own.includes(l))];
  const key = codes.join(",") + document.documentElement.lang;
  if (select.dataset.key === key) return;
  const keep = select.value;
  select.dataset.key = key;
  fill(select, codes.map((l) => h("option", { value: l, lang: l }, languageName(l))));
  select.value = codes.includes(keep) ? keep : own[0];
}

function fillVisibility(page) {
  const others = page.shape.circles.filter((c) => c.id !== circle);
  const vis = page.view.visibility || { share_with: [], public: false };
  fill(
    $("share-with"),
    others.map((c) =>
      h(
        "div",
        { class: "check" },
        h("input", { type: "checkbox", id: `share-${c.id}`, value: c.id, checked: vis.share_with.includes(c.id), dataset: { testid: `share-${c.id}` } }),
        h("label", { for: `share-${c.id}` }, h("bdi", {}, c.name)),
      ),
    ),
  );
  $("visibility-public").checked = vis.public;
}

function lines(name) {
  return { status: $(`${name}-status`), error: $(`${name}-error`), button: $(`${name}-submit`) };
}

export function wireForms(page, circleId) {
  circle = circleId;
  for (const name of ["pledge", "visibility"]) {
    $(`${name}-form`).addEventListener("input", () => dirty.add(name));
  }
  $("pledge-twin").addEventListener("change", () => {
    dirty.delete("pledge");
    fillPledge(page);
  });
  $("deliver-twin").addEventListener("change", () => renderHeld(page));

  $("income-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const command = {
      type: "record_income",
      source: value("income-source"),
      amount: parseDecimal(value("income-amount")) ?? "",
      commodity: commodity("income-commodity"),
    };
    if (value("income-date")) command.date = value("income-date");
    if (value("income-narration")) command.narration = value("income-narration");
    const original = parseDecimal(value("income-original"));
    if (original !== null || value("income-rate") || value("income-original-commodity")) {
      command.original = original ?? "";
      command.original_commodity = commodity("income-original-commodity");
      command.rate = parseDecimal(value("income-rate")) ?? "";
      if (value("income-rate-date")) command.rate_date = value("income-rate-date");
    }
    if (await page.command(command, { ...lines("income"), done: "nw_income_done" })) {
      for (const id of ["income-amount", "income-narration", "income-original", "income-rate"]) $(id).value = "";
    }
  });

  $("deliver-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const command = {
      type: "deliver",
      twin: value("deliver-twin"),
      amount: parseDecimal(value("deliver-amount")) ?? "",
      commodity: commodity("deliver-commodity"),
      source: value("deliver-source"),
    };
    if (value("deliver-narration")) command.narration = value("deliver-narration");
    if (await page.command(command, { ...lines("deliver"), done: "nw_deliver_done" })) {
      $("deliver-amount").value = "";
      $("deliver-narration").value = "";
    }
  });

  $("pledge-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const shares = {};
    for (const r of RESOURCES) {
      const typed = parseDecimal(value(`pledge-${r}`));
      if (typed !== null) shares[r] = percentToShare(typed);
    }
    const command = { type: "set_pledge", twin: value("pledge-twin"), shares };
    if (await page.command(command, { ...lines("pledge"), done: "nw_pledge_done" })) dirty.delete("pledge");
  });

  $("post-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const command = { type: "post_dispatch", twin: value("post-twin"), language: value("post-language"), text: value("post-text") };
    if (value("post-stream")) command.stream = value("post-stream");
    if (await page.command(command, { ...lines("post"), done: "nw_post_done" })) {
      $("post-text").value = "";
      $("post-stream").value = "";
    }
  });

  $("visibility-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const share_with = [...$("share-with").querySelectorAll("input:checked")].map((i) => i.value);
    const command = { type: "set_visibility", share_with, public: $("visibility-public").checked };
    if (await page.command(command, { ...lines("visibility"), done: "nw_visibility_done" })) dirty.delete("visibility");
  });
}
