// A joint action's page (/network/{id}/action/{n}#t=…), for the links of its circles (and whom
// one of them shows its books): the action (name, date, circles, the relay it runs as), each
// crew's risks, the cover each circle pledges of its twin's fallout, the what-if (who would pay
// whom how much if every declared risk happened, per pair and commodity, the net, asymmetries and
// cover beyond what a circle holds ring-fenced, with bars), each circle's acceptance of the
// figures' version and whether the action is ready, the joint communique in every language of
// the circles (read it, print it, translate it), and the claims filed after the action with the
// twin's approval or dispute. A circle's own link (its coordinators') gets the forms. The risk
// audit (red lines) and the readiness gate are circles-redlines.js's; the network's coordinator,
// the audit's chair, reads those and none of the figures.
//
// Everything shown is read from GET /actions/N (the stream carries no amounts); events for this
// action say when to read it again. Amounts go out as the decimal text typed, never a float.
import {
  $,
  LANG,
  NetworkPage,
  amountText,
  apiPath,
  dayText,
  decimalText,
  fill,
  h,
  languageName,
  momentText,
  pageHref,
  parseDecimal,
  pathParam,
  percentToShare,
  request,
  setAttr,
  setText,
  shareText,
  shareToPercent,
  t,
  token,
  unitName,
} from "/static/circles.js";
import { pairBar } from "/static/circles-draw.js";
import { AUDIT_EVENTS, renderAudit, renderReadiness, wireAudit, wireReadiness } from "/static/circles-redlines.js";

const actionId = /^\d{1,9}$/.test(pathParam) ? Number(pathParam) : 0;
const KINDS = ["lost_wages", "fines", "legal_costs", "dismissals", "other_fallout"];
const COMMON = ["USD", "EUR", "GBP", "NGN", "BOB", "PHP", "INR", "KES", "TZS", "BRL", "MXN", "ZAR", "DAYS", "HOURS", "REACH"];
const dirty = new Set(); // forms a person has typed in since they were last filled
const armed = new Set(); // risks whose withdraw button was clicked once
const deciders = new Map(); // claim id -> its approve/dispute controls (kept across renders)
let reading = null; // the communique's language shown in the sheet
let sheet = null; // {language, text, status} or {language, error}

// Decimal text arithmetic, exact (BigInt on the digits) -------------------------------------

function scaled(text, places) {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(text ?? "0"));
  if (!m) return 0n;
  const v = BigInt(m[2] + (m[3] || "").padEnd(places, "0"));
  return m[1] ? -v : v;
}

function placesOf(text) {
  return (String(text ?? "").split(".")[1] || "").length;
}

/** a - b - c …, as decimal text with the most places of them. */
function minus(a, ...rest) {
  const places = Math.max(placesOf(a), ...rest.map(placesOf));
  let v = scaled(a, places);
  for (const b of rest) v -= scaled(b, places);
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(places + 1, "0");
  return (neg ? "-" : "") + (places ? `${digits.slice(0, -places)}.${digits.slice(-places)}` : digits);
}

function positive(text) {
  return scaled(text, placesOf(text)) > 0n;
}

// Reading -----------------------------------------------------------------------------------

async function load(page) {
  if (!actionId) {
    page.fatal(t("ac_no_action", { n: pathParam }));
    return;
  }
  const [view, access] = await Promise.all([request(`/actions/${actionId}`), request("/access")]);
  if (view.status === 404) {
    page.fatal(t("ac_no_action", { n: actionId }));
    return;
  }
  if (!view.ok) {
    page.fatal(t("ac_refused_view", { message: view.body?.error?.message || "" }));
    return;
  }
  page.view = view.body;
  page.access = access.ok ? access.body : null;
  await loadSheet(page);
}

/** The communique's text in the language being read (a language nobody translated yet is not asked for). */
async function loadSheet(page) {
  const langs = page.view.communique;
  if (!langs) return; // the chair reads no figures, the communique included
  const readable = langs.filter((c) => c.has_text).map((c) => c.language);
  if (!langs.some((c) => c.language === reading)) {
    reading = readable.includes(LANG) ? LANG : readable[0] || langs[0]?.language || null;
  }
  const entry = langs.find((c) => c.language === reading);
  if (!entry || !entry.has_text) {
    sheet = entry ? { language: reading, missing: true } : null;
    return;
  }
  sheet = await communiqueText(reading);
}

async function communiqueText(language) {
  let res;
  try {
    res = await fetch(apiPath(`/actions/${actionId}/communique.txt?lang=${encodeURIComponent(language)}`), {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      credentials: "omit",
      referrerPolicy: "no-referrer",
      cache: "no-store",
    });
  } catch {
    return { language, error: t("network_error") };
  }
  if (!res.ok) {
    let message = `HTTP ${res.status}`;
    try {
      message = (await res.json()).error.message;
    } catch {
      // not the server's JSON refusal
    }
    return { language, error: message };
  }
  return { language, text: await res.text(), status: res.headers.get("x-communique-status") || "" };
}

const OWN_EVENTS = new Set(["risk_declared", "risk_withdrawn", "cover_set", "figures_accepted", "communique_translated", "claim_filed"]);

function relevant(page, e) {
  const d = e.data;
  if (OWN_EVENTS.has(e.event) || AUDIT_EVENTS.has(e.event)) return d.action === actionId;
  switch (e.event) {
    case "claim_approved":
    case "claim_disputed":
    case "claim_put_to_ballot":
    case "claim_resolved":
      return !page.view || Boolean(page.view.claims?.some((k) => k.id === d.claim));
    case "transaction_posted": // what the circles hold ring-fenced, what a claim's cover posted
      return !page.view || (d.circles || []).some((c) => page.view.action.circles.includes(c));
    case "visibility_set":
    case "pair_made":
      return true; // who may see this action may have changed
    default:
      return false;
  }
}

// Drawing -----------------------------------------------------------------------------------

/** Whether this page's link acts for a circle of the action (its coordinators' link). */
function acting(page) {
  const me = page.actingCircle;
  return me && page.view?.action.circles.includes(me) ? me : null;
}

/** My twins among the action's circles. */
function twinsInAction(page, me) {
  return page.view.action.circles.filter((c) => c !== me && page.shape.pairs.some((p) => (p.a === me && p.b === c) || (p.b === me && p.a === c)));
}

function pairOf(page, a, b) {
  return page.shape.pairs.find((p) => (p.a === a && p.b === b) || (p.a === b && p.b === a)) || null;
}

function amountsText(amounts) {
  const entries = Object.entries(amounts || {}).filter(([, v]) => positive(v));
  return entries.length ? entries.map(([c, v]) => amountText(v, c)).join(", ") : t("ac_nothing");
}

function render(page) {
  const v = page.view;
  if (!v) return;
  const a = v.action;
  page.setTitle(a.name);
  fill($("crumbs"), h("a", { href: pageHref(""), dataset: { testid: "network-link" } }, h("bdi", {}, page.shape.name)));
  document.body.dataset.version = String(a.version);
  renderSummary(page, v);
  renderReadiness(page, v);
  renderAudit(page, v);
  for (const card of document.querySelectorAll("[data-figures]")) card.hidden = !v.figures;
  if (v.figures) {
    renderRisks(page, v);
    renderCover(page, v);
    renderWhatIf(page, v);
    renderAcceptances(page, v);
    renderCommunique(page, v);
    renderClaims(page, v);
  }
  renderForms(page, v);
}

function renderSummary(page, v) {
  const a = v.action;
  const rows = [
    ["ac_date", a.date ? dayText(a.date) : t("ac_no_date")],
    [
      "ac_circles",
      a.circles.flatMap((c, i) => [i ? ", " : null, h("a", { href: pageHref(`/circle/${encodeURIComponent(c)}`) }, h("bdi", {}, page.circleName(c)))]),
    ],
    a.relay ? ["ac_relay", h("a", { href: `/relay/${encodeURIComponent(a.relay)}`, dir: "ltr", dataset: { testid: "relay-link" } }, a.relay)] : null,
    a.default_cover === undefined ? null : ["ac_default_cover", shareText(a.default_cover)],
    ["ac_figures", h("span", { dataset: { testid: "version" } }, t("nw_version", { n: a.version }))],
    ["ac_opened_by", [a.by === "coordinator" ? t("ac_by_coordinator") : h("bdi", {}, page.circleName(a.by)), " · ", momentText(a.at)]],
  ].filter(Boolean);
  fill($("summary"), rows.map(([key, value]) => [h("dt", {}, t(key)), h("dd", {}, value)]));
  const legs = v.relay?.legs || [];
  fill($("legs"), legs.length ? [h("h3", {}, t("ac_legs")), legsList(page, legs)] : null);
}

/** The relay's legs in the order the baton passes, each with the circle whose crew strikes it. */
function legsList(page, legs) {
  return h(
    "ol",
    { class: "legs", dataset: { testid: "legs" } },
    legs.map((leg) =>
      h(
        "li",
        { dataset: { testid: `leg-${leg.leg}`, circle: leg.circle || "" } },
        t("ac_leg", {
          site: leg.site,
          circle: leg.circle ? page.circleName(leg.circle) : t("ac_leg_no_circle"),
          start: momentText(leg.start),
          end: momentText(leg.end),
        }),
        leg.acting && leg.acting !== leg.site ? [" ", h("span", { class: "meta" }, t("ac_leg_backup", { acting: leg.acting }))] : null,
      ),
    ),
  );
}

function renderRisks(page, v) {
  const me = acting(page);
  const exposure = Object.fromEntries(v.what_if.circles.map((c) => [c.circle, c.exposure]));
  fill(
    $("risks"),
    v.action.circles.map((circle) => {
      const risks = v.risks.filter((r) => r.circle === circle);
      return h(
        "div",
        { class: `crew${circle === page.ownCircle ? " mine" : ""}`, dataset: { testid: `crew-${circle}` } },
        h("h3", {}, h("bdi", {}, page.circleName(circle))),
        risks.length
          ? h(
              "ul",
              { class: "risks" },
              risks.map((r) =>
                h(
                  "li",
                  { dataset: { testid: `risk-${r.id}`, kind: r.kind } },
                  h("p", { class: "risk-what" }, h("strong", {}, t(`ac_kind_${r.kind}`)), ": ", h("bdi", { class: "num" }, amountText(r.estimate, r.commodity)), " · ", t("ac_people", { count: r.people })),
                  r.note ? h("p", { class: "meta" }, h("bdi", { dir: "auto" }, r.note)) : null,
                  me === r.circle
                    ? h(
                        "button",
                        {
                          type: "button",
                          class: `btn btn-small${armed.has(r.id) ? " armed" : ""}`,
                          dataset: { testid: `withdraw-${r.id}` },
                          onclick: (e) => withdraw(page, r, e.currentTarget),
                        },
                        armed.has(r.id) ? t("ac_withdraw_confirm") : t("ac_withdraw"),
                      )
                    : null,
                ),
              ),
            )
          : h("p", { class: "empty" }, t("ac_no_risks")),
        risks.length ? h("p", { class: "meta", dataset: { testid: `exposure-${circle}` } }, t("ac_exposure_total", { amounts: amountsText(exposure[circle]) })) : null,
      );
    }),
  );
}

async function withdraw(page, risk, button) {
  if (!armed.has(risk.id)) {
    armed.add(risk.id);
    button.classList.add("armed");
    setText(button, t("ac_withdraw_confirm"));
    return;
  }
  armed.delete(risk.id);
  await page.command({ type: "withdraw_risk", action: actionId, risk: risk.id }, { status: $("risk-status"), error: $("risk-error"), button, done: "ac_withdraw_done" });
}

function renderCover(page, v) {
  fill(
    $("cover"),
    v.what_if.pairs.flatMap((p) =>
      [
        [p.a, p.b],
        [p.b, p.a],
      ].map(([payer, claimant]) =>
        h(
          "li",
          { dataset: { testid: `cover-${payer}-${claimant}`, share: p.cover[payer] } },
          t("ac_cover_line", { payer: page.circleName(payer), claimant: page.circleName(claimant), share: shareText(p.cover[payer]) }),
        ),
      ),
    ),
  );
}

function renderWhatIf(page, v) {
  const w = v.what_if;
  const k = decimalText(w.k);
  fill(
    $("whatif"),
    w.pairs.map((p) => {
      const nameA = page.circleName(p.a);
      const nameB = page.circleName(p.b);
      return h(
        "div",
        { class: "whatif-pair", dataset: { testid: `whatif-${p.pair}` } },
        h("h3", {}, t("nw_pair_name", { a: nameA, b: nameB })),
        p.rows.length
          ? p.rows.map((r) => whatIfRow(page, p, r, k))
          : h("p", { class: "empty" }, t("ac_whatif_none")),
      );
    }),
    w.pairs.some((p) => p.rows.length) ? whatIfLegend() : null,
  );
  fill(
    $("funds"),
    w.circles.map((c) => {
      const beyond = Object.keys(c.beyond_funds).length > 0;
      return h(
        "li",
        { class: beyond ? "beyond" : "", dataset: { testid: `funds-${c.circle}`, beyond: String(beyond) } },
        h("p", {}, t("ac_funds_line", { circle: page.circleName(c.circle), pays: amountsText(c.would_pay), holds: amountsText(c.ring_fenced) })),
        beyond
          ? h("p", { class: "flag", dataset: { testid: `beyond-${c.circle}` } }, t("ac_beyond", { circle: page.circleName(c.circle), amounts: amountsText(c.beyond_funds) }))
          : null,
      );
    }),
  );
}

function whatIfRow(page, p, r, k) {
  const scale = Math.max(Number(r.exposure[p.a]) || 0, Number(r.exposure[p.b]) || 0);
  const unit = unitName(r.commodity);
  const direction = (payer, claimant) => {
    const words = t("ac_would_pay", {
      payer: page.circleName(payer),
      claimant: page.circleName(claimant),
      amount: amountText(r.pays[payer], r.commodity),
      share: shareText(p.cover[payer]),
      exposure: amountText(r.exposure[claimant], r.commodity),
    });
    return h(
      "div",
      { class: "bar-row", dataset: { testid: `pays-${payer}-${r.commodity}` } },
      h("p", { class: "bar-who" }, words),
      pairBar({ due: r.exposure[claimant], delivered: r.pays[payer], held: "0" }, scale, { label: words }),
    );
  };
  let net;
  if (r.net.debtor) {
    const creditor = r.net.debtor === p.a ? p.b : p.a;
    net = t("ac_net", { debtor: page.circleName(r.net.debtor), creditor: page.circleName(creditor), amount: amountText(r.net.amount, r.commodity) });
  } else {
    net = t("ac_net_even", { unit });
  }
  let asym = null;
  if (r.asymmetric) {
    const [big, small] = Number(r.exposure[p.a]) >= Number(r.exposure[p.b]) ? [p.a, p.b] : [p.b, p.a];
    asym = positive(r.exposure[small])
      ? t("ac_asym", {
          big: page.circleName(big),
          small: page.circleName(small),
          k,
          big_amount: amountText(r.exposure[big], r.commodity),
          small_amount: amountText(r.exposure[small], r.commodity),
        })
      : t("ac_asym_none", { big: page.circleName(big), small: page.circleName(small), amount: amountText(r.exposure[big], r.commodity), unit });
  }
  return h(
    "div",
    { class: "bar-group", dataset: { testid: `whatif-${p.pair}-${r.commodity}` } },
    h("h4", {}, unit),
    direction(p.a, p.b),
    direction(p.b, p.a),
    h("p", { class: `whatif-net${r.net.debtor ? " owes" : " even"}`, dataset: { testid: `net-${p.pair}-${r.commodity}`, debtor: r.net.debtor || "" } }, net),
    asym ? h("p", { class: "flag", dataset: { testid: `asym-${p.pair}-${r.commodity}` } }, asym) : null,
  );
}

function whatIfLegend() {
  return h(
    "ul",
    { class: "legend", "aria-label": t("nw_legend") },
    h("li", {}, h("span", { class: "swatch sw-delivered", "aria-hidden": "true" }), t("ac_legend_cover")),
    h("li", {}, h("span", { class: "swatch sw-due", "aria-hidden": "true" }), t("ac_legend_exposure")),
  );
}

function renderAcceptances(page, v) {
  const version = v.action.version;
  fill(
    $("acceptances"),
    v.what_if.circles.map((c) => {
      const state = c.accepted === version ? "accepted" : c.accepted ? "stale" : "waiting";
      const name = page.circleName(c.circle);
      const words = {
        accepted: t("ac_acc_yes", { circle: name, n: version }),
        stale: t("ac_acc_stale", { circle: name, n: c.accepted, current: version }),
        waiting: t("ac_acc_not_yet", { circle: name }),
      };
      return h("li", { class: `acc acc-${state}`, dataset: { testid: `accepted-${c.circle}`, state } }, words[state]);
    }),
  );
  const me = acting(page);
  const mine = me && v.what_if.circles.find((c) => c.circle === me);
  const button = $("accept");
  button.hidden = !me || mine?.accepted === version;
  setText(button, t("ac_accept", { n: version }));
}

const STATUS_WORDS = {
  generated: (c) => t("ac_comm_generated", { n: c.version }),
  human: (c, page) => t("ac_comm_human", { circle: c.by ? page.circleName(c.by) : "?", n: c.version }),
  stale: (c, page, v) => t("ac_comm_stale", { circle: c.by ? page.circleName(c.by) : "?", n: c.version, current: v.action.version }),
  missing: () => t("ac_comm_missing"),
};

function renderCommunique(page, v) {
  fill(
    $("communique-langs"),
    v.communique.map((c) =>
      h(
        "li",
        { class: c.language === reading ? "reading" : "", dataset: { testid: `comm-${c.language}`, status: c.status } },
        h("span", { class: "comm-lang", lang: c.language }, languageName(c.language)),
        " ",
        h("span", { class: `comm-status st-${c.status}`, dataset: { testid: `comm-status-${c.language}` } }, STATUS_WORDS[c.status](c, page, v)),
        c.has_text && c.language !== reading
          ? h(
              "button",
              { type: "button", class: "btn btn-small", dataset: { testid: `read-${c.language}` }, onclick: () => read(page, c.language) },
              t("ac_read", { language: languageName(c.language) }),
            )
          : null,
      ),
    ),
  );
  renderSheet(page, v);
}

function renderSheet(page, v) {
  const box = $("sheet");
  box.hidden = !sheet;
  if (!sheet) return;
  const entry = v.communique.find((c) => c.language === sheet.language);
  setText($("sheet-language"), languageName(sheet.language));
  const status = $("sheet-status");
  setAttr(status, "data-status", entry?.status || "");
  setText(status, entry ? STATUS_WORDS[entry.status](entry, page, v) : "");
  const text = $("sheet-text");
  setAttr(text, "lang", sheet.language);
  if (sheet.missing) {
    setAttr(text, "data-state", "missing");
    fill(text, h("p", { class: "empty" }, t("ac_comm_missing_text", { language: languageName(sheet.language) })));
  } else if (sheet.error) {
    setAttr(text, "data-state", "error");
    fill(text, h("p", { class: "control-error" }, t("nw_refused", { message: sheet.error })));
  } else {
    setAttr(text, "data-state", sheet.status);
    setText(text, sheet.text);
  }
  $("print-view").disabled = Boolean(sheet.missing || sheet.error);
}

async function read(page, language) {
  reading = language;
  await loadSheet(page);
  if (page.view) {
    renderCommunique(page, page.view);
    renderTranslateDefault(page, page.view);
  }
  $("sheet-text").focus({ preventScroll: false });
}

function renderClaims(page, v) {
  const claims = [...v.claims].reverse();
  $("claims-empty").hidden = claims.length > 0;
  const me = acting(page);
  const pairsSeen = new Set(page.access?.pairs || []);
  for (const id of [...deciders.keys()]) {
    if (!claims.some((k) => k.id === id && k.status === "filed" && k.twin === me)) deciders.delete(id);
  }
  fill(
    $("claims"),
    claims.map((k) => {
      const claimant = page.circleName(k.circle);
      const twin = page.circleName(k.twin);
      const amount = amountText(k.amount, k.commodity);
      const pair = pairOf(page, k.circle, k.twin);
      let status;
      if (k.status === "approved") status = t("ac_claim_approved", { twin, claimant, amount, txn: k.txn || "" });
      else if (k.status === "disputed") status = t("ac_claim_disputed", { twin, reason: k.reason });
      else if (k.status === "rejected") status = t("ac_claim_rejected", { twin, reason: k.reason });
      else status = t("ac_claim_filed", { twin });
      let next = null;
      if (k.ballot && k.status === "disputed") next = t("ac_claim_on_ballot", { assembly: k.ballot.assembly });
      else if (k.ballot) next = t("ac_claim_decided_by_ballot", { assembly: k.ballot.assembly });
      else if (k.status === "disputed") next = t("ac_claim_disputed_next");
      const links = [];
      if (k.status === "approved" && pair && pairsSeen.has(pair.id)) {
        links.push(h("a", { href: pageHref(`/pair/${encodeURIComponent(pair.id)}`), class: "btn btn-small", dataset: { testid: `claim-pair-${k.id}` } }, t("ac_claim_see_pair")));
      }
      if (k.status === "approved" && page.ownCircle === k.twin) {
        links.push(
          h("a", { href: pageHref(`/circle/${encodeURIComponent(k.twin)}`), class: "btn btn-small", dataset: { testid: `claim-deliver-${k.id}` } }, t("ac_claim_deliver")),
        );
      }
      return h(
        "li",
        { class: `claim claim-${k.status}`, dataset: { testid: `claim-${k.id}`, status: k.status } },
        h("h3", {}, t("ac_claim_title", { n: k.id, claimant, twin })),
        h("p", { class: "claim-amount" }, h("strong", {}, t(`ac_kind_${k.kind}`)), ": ", h("bdi", { class: "num" }, amount)),
        h("p", { class: "claim-what" }, h("bdi", { dir: "auto" }, k.what)),
        /^https?:\/\//i.test(k.evidence || "")
          ? h("p", {}, h("a", { href: k.evidence, rel: "noopener noreferrer", target: "_blank", dir: "ltr", dataset: { testid: `claim-evidence-${k.id}` } }, t("ac_evidence")))
          : null,
        h("p", { class: "meta" }, momentText(k.at)),
        h("p", { class: `claim-status st-${k.status}`, dataset: { testid: `claim-status-${k.id}` } }, status),
        next ? h("p", { class: "hint", dataset: { testid: `claim-next-${k.id}` } }, next) : null,
        links.length ? h("p", { class: "row-links" }, links) : null,
        k.status === "filed" && me === k.twin ? decider(page, k, amount) : null,
      );
    }),
  );
}

/** The claimed twin's controls for one claim: approve, or dispute with a reason. Made once per
 * claim and moved into each new rendering, so a reason being typed survives a re-read. */
function decider(page, k, amount) {
  let box = deciders.get(k.id);
  if (!box) {
    const status = h("p", { class: "control-status", role: "status", dataset: { testid: `decide-status-${k.id}` } });
    const error = h("p", { class: "control-error", role: "alert", dataset: { testid: `decide-error-${k.id}` } });
    const approve = h("button", { type: "button", class: "btn btn-primary", dataset: { testid: `approve-${k.id}` } });
    const reasonId = `dispute-reason-${k.id}`;
    const reason = h("textarea", { id: reasonId, rows: 2, dir: "auto", dataset: { testid: reasonId } });
    const dispute = h("button", { type: "submit", class: "btn", dataset: { testid: `dispute-${k.id}` } });
    const label = h("label", { for: reasonId });
    const form = h("form", { class: "dispute-form", novalidate: true }, h("div", { class: "field" }, label, reason), dispute);
    approve.addEventListener("click", () => page.command({ type: "approve_claim", claim: k.id }, { status, error, button: approve, done: "ac_approve_done" }));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (await page.command({ type: "dispute_claim", claim: k.id, reason: reason.value.trim() }, { status, error, button: dispute, done: "ac_dispute_done" })) reason.value = "";
    });
    box = h("div", { class: "decide", dataset: { testid: `decide-${k.id}` } }, approve, form, status, error);
    box.parts = { approve, dispute, label };
    deciders.set(k.id, box);
  }
  setText(box.parts.approve, t("ac_approve", { amount }));
  setText(box.parts.dispute, t("ac_dispute"));
  setText(box.parts.label, t("ac_dispute_reason"));
  return box;
}

// The forms of a circle's own link ------------------------------------------------------------

function options(select, items, keep) {
  const key = items.map(([v]) => v).join(",") + document.documentElement.lang;
  if (select.dataset.key === key) return;
  const chosen = select.value;
  select.dataset.key = key;
  fill(select, items.map(([value, label, attrs]) => h("option", { value, ...(attrs || {}) }, label)));
  const values = items.map(([v]) => v);
  select.value = values.includes(chosen) ? chosen : values.includes(keep) ? keep : values[0] || "";
}

function renderForms(page, v) {
  const me = v.figures ? acting(page) : null;
  for (const id of ["risk-form", "cover-form", "translate-form", "claim-form"]) $(id).hidden = !me;
  $("forms-note").hidden = Boolean(me) || page.role === null || !v.figures;
  $("chair-note").hidden = v.figures || page.role !== "coordinator";
  if (!me) return;
  const twins = twinsInAction(page, me);
  for (const select of [$("cover-twin"), $("claim-twin")]) {
    options(select, twins.map((c) => [c, page.circleName(c)]));
    select.disabled = twins.length === 0;
  }
  const kinds = KINDS.map((k) => [k, t(`ac_kind_${k}`)]);
  options($("risk-kind"), kinds);
  options($("claim-kind"), kinds);
  const mineCommodities = v.risks.filter((r) => r.circle === me).map((r) => r.commodity);
  const list = [...new Set([...mineCommodities, ...COMMON])];
  const dl = $("action-commodities");
  if (dl.dataset.key !== list.join(",")) {
    dl.dataset.key = list.join(",");
    fill(dl, list.map((c) => h("option", { value: c })));
  }
  if (!dirty.has("cover")) fillCover(page);
  renderTranslateDefault(page, v);
  setText($("translate-version"), t("ac_translate_hint", { n: v.action.version }));
  renderRoom(page);
}

function fillCover(page) {
  const me = acting(page);
  const twin = $("cover-twin").value;
  const p = page.view.what_if.pairs.find((x) => (x.a === me && x.b === twin) || (x.b === me && x.a === twin));
  $("cover-share").value = p ? shareToPercent(p.cover[me]) : "";
}

function renderTranslateDefault(page, v) {
  const langs = v.communique;
  const first = langs.find((c) => c.status === "missing") || langs.find((c) => c.status === "stale") || langs[0];
  options(
    $("translate-language"),
    langs.map((c) => [c.language, languageName(c.language), { lang: c.language }]),
    first?.language,
  );
  if (!dirty.has("translate")) $("translate-language").value = first?.language || "";
}

/** What the chosen twin still covers of this circle's declared fallout, per commodity. */
function renderRoom(page) {
  const me = acting(page);
  const twin = $("claim-twin").value;
  const v = page.view;
  const p = v.what_if.pairs.find((x) => (x.a === me && x.b === twin) || (x.b === me && x.a === twin));
  const room = {};
  for (const r of p?.rows || []) {
    if (!positive(r.pays[twin])) continue;
    const claimed = v.claims.filter((k) => k.circle === me && k.twin === twin && k.commodity === r.commodity && k.status !== "disputed").map((k) => k.amount);
    room[r.commodity] = minus(r.pays[twin], ...claimed);
  }
  const name = page.circleName(twin);
  let words = "";
  if (!twin) words = "";
  else if (!Object.keys(room).length) words = t("ac_claim_room_none", { twin: name });
  else if (!Object.values(room).some(positive)) words = t("ac_claim_room_used", { twin: name });
  else words = t("ac_claim_room", { twin: name, amounts: amountsText(room) });
  setText($("claim-room"), words);
}

function lines(name) {
  return { status: $(`${name}-status`), error: $(`${name}-error`), button: $(`${name}-submit`) };
}

function value(id) {
  return $(id).value.trim();
}

function wire(page) {
  for (const name of ["cover", "translate"]) $(`${name}-form`).addEventListener("input", () => dirty.add(name));
  $("cover-twin").addEventListener("change", () => {
    dirty.delete("cover");
    fillCover(page);
  });
  $("claim-twin").addEventListener("change", () => renderRoom(page));

  $("risk-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const people = parseDecimal(value("risk-people"));
    const command = {
      type: "declare_risk",
      action: actionId,
      kind: value("risk-kind"),
      estimate: parseDecimal(value("risk-estimate")) ?? "",
      commodity: value("risk-commodity").toUpperCase(),
      people: people === null ? 0 : /^\d+$/.test(people) ? Number(people) : people,
    };
    if (value("risk-note")) command.note = value("risk-note");
    if (await page.command(command, { ...lines("risk"), done: "ac_risk_done" })) {
      for (const id of ["risk-estimate", "risk-people", "risk-note"]) $(id).value = "";
    }
  });

  $("cover-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const typed = parseDecimal(value("cover-share"));
    const command = { type: "set_cover", action: actionId, twin: value("cover-twin"), share: typed === null ? "" : percentToShare(typed) };
    if (await page.command(command, { ...lines("cover"), done: "ac_cover_done" })) dirty.delete("cover");
  });

  $("accept").addEventListener("click", async () => {
    const version = page.view?.action.version;
    await page.command({ type: "accept_figures", action: actionId, version }, { status: $("accept-status"), error: $("accept-error"), button: $("accept"), done: "ac_accept_done" });
  });

  $("translate-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const language = value("translate-language");
    const command = { type: "translate_communique", action: actionId, language, text: value("translate-text"), version: page.view?.action.version };
    if (await page.command(command, { ...lines("translate"), done: "ac_translate_done" })) {
      $("translate-text").value = "";
      dirty.delete("translate");
      reading = language;
    }
  });

  $("claim-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const command = {
      type: "file_claim",
      action: actionId,
      twin: value("claim-twin"),
      kind: value("claim-kind"),
      amount: parseDecimal(value("claim-amount")) ?? "",
      commodity: value("claim-commodity").toUpperCase(),
      what: value("claim-what"),
    };
    if (value("claim-evidence")) command.evidence = value("claim-evidence");
    if (await page.command(command, { ...lines("claim"), done: "ac_claim_done" })) {
      for (const id of ["claim-amount", "claim-what", "claim-evidence"]) $(id).value = "";
    }
  });

  // The print view: the communique alone, as it will be on paper (circles.css @media print).
  $("print-view").addEventListener("click", () => {
    document.body.classList.add("print-view");
    $("print-close").focus();
  });
  $("print-close").addEventListener("click", () => {
    document.body.classList.remove("print-view");
    $("print-view").focus();
  });
  $("print").addEventListener("click", () => window.print());
}

const page = new NetworkPage("action", { load, render, relevant, role: (p) => p.view && renderForms(p, p.view) });
wire(page);
wireAudit(page, actionId);
wireReadiness(page);
page.start();
