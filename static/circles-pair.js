// A pair's page (/network/{id}/pair/{a~b}#t=…): for the two twins (and whom either shows its
// books): who owes whom and how much, net, per commodity; when they last took a shared risk (a
// joint action of both, dated today or before) and, a quarter without one, a prompt to plan
// another; pledged vs delivered each way as bars (inline SVG, circles-draw.js) with the figures in
// words; what is overdue; both pledges; the chain head both twins can compare.
import {
  $,
  NetworkPage,
  amountText,
  dayText,
  decimalText,
  fill,
  h,
  hashCode,
  isZero,
  overdueItem,
  pageHref,
  pathParam,
  pledgeLine,
  request,
  setAttr,
  t,
  unitName,
} from "/static/circles.js";
import { barLegend, pairBar } from "/static/circles-draw.js";

const pairId = pathParam;

async function load(page) {
  const r = await request(`/pairs/${encodeURIComponent(pairId)}`);
  if (r.status === 404) {
    page.fatal(t("nw_no_pair", { id: pairId }));
    return;
  }
  if (!r.ok) {
    page.fatal(t("nw_pair_refused", { message: r.body?.error?.message || "" }));
    return;
  }
  page.view = r.body;
  const access = await request("/access"); // which actions this link may open (the last shared risk's)
  page.access = access.ok ? access.body : null;
}

function relevant(page, e) {
  const [a, b] = pairId.split("~");
  const d = e.data;
  switch (e.event) {
    case "transaction_posted":
      return (d.circles || []).some((c) => c === a || c === b);
    case "pledge_set":
      return (d.circle === a && d.twin === b) || (d.circle === b && d.twin === a);
    case "visibility_set":
      return true; // who may see this pair may have changed
    case "action_opened": // a joint action of both twins: their last shared risk may change
      return (d.circles || []).includes(a) && (d.circles || []).includes(b);
    default:
      return false;
  }
}

function render(page) {
  const v = page.view;
  if (!v) return;
  const p = v.pair;
  const nameA = page.circleName(p.a);
  const nameB = page.circleName(p.b);
  page.setTitle(t("nw_pair_name", { a: nameA, b: nameB }));
  fill(
    $("crumbs"),
    h("a", { href: pageHref("") }, h("bdi", {}, page.shape.name)),
    " › ",
    h("a", { href: pageHref(`/circle/${encodeURIComponent(p.a)}`) }, h("bdi", {}, nameA)),
    " · ",
    h("a", { href: pageHref(`/circle/${encodeURIComponent(p.b)}`) }, h("bdi", {}, nameB)),
  );
  renderNet(page, v);
  renderSharedRisk(page, v);
  renderBars(page, v);
  $("overdue-empty").hidden = v.overdue.length > 0;
  fill($("overdue"), v.overdue.map((o) => overdueItem(page, o)));
  fill(
    $("pair-about"),
    p.adversary ? h("p", {}, t("nw_linked_adversary", { adversary: p.adversary })) : null,
    p.link ? h("p", { class: "link-line" }, h("bdi", {}, p.link)) : null,
    h("p", { class: "meta" }, t("nw_settle_days", { count: p.settle_days }), " · ", t("nw_since", { date: dayText(p.since) })),
  );
  const [ab, ba] = v.pledges;
  fill(
    $("pledges"),
    h("div", {}, h("h3", {}, t("nw_pledge_from_to", { from: nameA, to: nameB })), pledgeLine(ab, `pledge-${p.a}`)),
    h("div", {}, h("h3", {}, t("nw_pledge_from_to", { from: nameB, to: nameA })), pledgeLine(ba, `pledge-${p.b}`)),
  );
  fill($("head"), hashCode(v.head, "head"));
}

function renderNet(page, v) {
  $("net-empty").hidden = v.net.length > 0;
  fill(
    $("net"),
    v.net.map((n) =>
      h(
        "li",
        { class: n.debtor ? "owes" : "even", dataset: { testid: `net-${n.commodity}`, debtor: n.debtor || "" } },
        n.debtor
          ? t("nw_net_owes", {
              debtor: page.circleName(n.debtor),
              creditor: page.circleName(n.debtor === v.pair.a ? v.pair.b : v.pair.a),
              amount: amountText(n.amount, n.commodity),
            })
          : t("nw_net_even", { unit: unitName(n.commodity) }),
      ),
    ),
  );
}

/** When the twins last took a shared risk, and the ask for another after a quarter. The button
 * opens the circle page's open-action form with the twin ticked (?open=TWIN): only a circle's own
 * link opens an action there; a member is told who does. */
function renderSharedRisk(page, v) {
  const last = v.last_shared_risk;
  const p = v.pair;
  const line = $("last-risk");
  setAttr(line, "data-days", String(last.days));
  if (last.action) {
    const ago = last.days === 0 ? t("pr_today") : t("pr_days_ago", { count: last.days });
    const seen = (page.access?.actions || []).includes(last.action.id);
    fill(
      line,
      t("pr_last", { action: last.action.name, date: dayText(last.action.date) }),
      " ",
      h("span", { class: "meta", dataset: { testid: "last-risk-ago" } }, ago),
      seen ? [" ", h("a", { href: pageHref(`/action/${last.action.id}`), dataset: { testid: "last-risk-link" } }, t("pr_see_action"))] : null,
    );
  } else {
    fill(line, t("pr_none"));
  }
  const ask = $("ask-risk");
  ask.hidden = !last.ask;
  if (!last.ask) return;
  const me = page.ownCircle === p.a || page.ownCircle === p.b ? page.ownCircle : null;
  const twin = me ? (me === p.a ? p.b : p.a) : null;
  let act = null;
  if (me && page.actingCircle === me) {
    act = h(
      "a",
      { class: "btn btn-primary", href: pageHref(`/circle/${encodeURIComponent(me)}?open=${encodeURIComponent(twin)}`), dataset: { testid: "ask-open" } },
      t("pr_ask_open", { twin: page.circleName(twin) }),
    );
  } else if (me) {
    act = h("span", { class: "meta", dataset: { testid: "ask-member" } }, t("pr_ask_member"));
  }
  fill(ask, h("p", { dataset: { testid: "ask-text" } }, t("pr_ask", { days: last.quarter_days })), act ? h("p", {}, act) : null);
}

function renderBars(page, v) {
  const box = $("bars");
  if (!v.flows.length) {
    fill(box, h("p", { class: "empty", dataset: { testid: "bars-empty" } }, t("nw_bars_none")));
    return;
  }
  const byCommodity = new Map();
  for (const f of v.flows) {
    if (!byCommodity.has(f.commodity)) byCommodity.set(f.commodity, []);
    byCommodity.get(f.commodity).push(f);
  }
  const groups = [...byCommodity.entries()].map(([commodity, rows]) => {
    const scale = Math.max(...rows.map((r) => Math.max(Number(r.due) || 0, Number(r.delivered) || 0)));
    return h(
      "div",
      { class: "bar-group", dataset: { testid: `bars-${commodity}` } },
      h("h3", {}, unitName(commodity)),
      rows.map((r) => {
        const words = t("nw_bar_words", {
          due: decimalText(r.due),
          delivered: decimalText(r.delivered),
          outstanding: decimalText(r.outstanding),
          held: decimalText(r.held),
          unit: unitName(commodity),
        });
        const who = t("nw_direction", { from: page.circleName(r.debtor), to: page.circleName(r.creditor) });
        return h(
          "div",
          { class: `bar-row${isZero(r.outstanding) ? " settled" : ""}`, dataset: { testid: `bar-${r.debtor}-${commodity}` } },
          h("p", { class: "bar-who" }, who),
          pairBar(r, scale, { label: `${who}: ${words}` }),
          h("p", { class: "bar-words" }, words),
        );
      }),
    );
  });
  fill(box, groups, barLegend());
}

const page = new NetworkPage("pair", { load, render, relevant });
page.start();
