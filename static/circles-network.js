// The network page (/network/{id}#t=…): its circles, the twin pairs with their supply-chain link
// and both pledges (shares, version), the dispatches, the ledger's chain head and size, and a
// picture of what was delivered between the circles whose flows this link may see, the joint
// actions it may read (and, for the coordinator, the form that opens one: circles-joint.js).
// Every link to another page keeps the token in the fragment.
import {
  $,
  NetworkPage,
  amountText,
  dayText,
  fill,
  h,
  hashCode,
  languageName,
  momentText,
  pageHref,
  pledgeLine,
  request,
  setText,
  t,
} from "/static/circles.js";
import { flowDiagram } from "/static/circles-draw.js";
import { actionEvent, loadActions, renderActions, wireActions } from "/static/circles-joint.js";

const pairViews = new Map(); // pair id -> its view (only pairs this link may see)
let dirtyCircles = null; // circles touched by transactions since the last read (null: read all)

/** May this link see what flows between the pair's twins? Its own circle is one of them, or one
 * of them made its books public. (A circle that shared its books with the reader's circle is not
 * in the shape, so such a pair is left out rather than asked for and refused.) */
function visible(page, pair) {
  const own = page.ownCircle;
  if (own && (pair.a === own || pair.b === own)) return true;
  return page.shape.circles.some((c) => (c.id === pair.a || c.id === pair.b) && c.public);
}

async function load(page) {
  await loadActions(page);
  const wanted = page.shape.pairs.filter((p) => visible(page, p));
  const keep = new Set(wanted.map((p) => p.id));
  for (const id of [...pairViews.keys()]) if (!keep.has(id)) pairViews.delete(id);
  const stale = wanted.filter((p) => !pairViews.has(p.id) || !dirtyCircles || dirtyCircles.has(p.a) || dirtyCircles.has(p.b));
  dirtyCircles = new Set();
  const got = await Promise.all(stale.map((p) => request(`/pairs/${encodeURIComponent(p.id)}`)));
  stale.forEach((p, i) => {
    if (got[i].ok) pairViews.set(p.id, got[i].body);
    else pairViews.delete(p.id);
  });
}

function relevant(page, e) {
  if (e.event === "transaction_posted") for (const c of e.data.circles || []) dirtyCircles?.add(c);
  if (e.event === "visibility_set" || e.event === "pair_made") dirtyCircles = null;
  actionEvent(e);
  return true; // the shape (head, counts, pledges, dispatches) changes with every event
}

function render(page) {
  const shape = page.shape;
  page.setTitle(shape.name);
  fill($("crumbs"));
  renderCircles(page);
  renderPairs(page);
  renderActions(page);
  renderFlow(page);
  renderDispatches(page);
  fill($("head"), hashCode(shape.head, "head"));
  setText($("txn-count"), t("nw_txn_count", { count: shape.transactions }));
  $("integrity-link").href = pageHref("/integrity");
  $("tactics-link").href = pageHref("/tactics");
  setText($("tactics-link"), t("tx_open_tactics"));
}

function renderCircles(page) {
  const own = page.ownCircle;
  fill(
    $("circles"),
    page.shape.circles.map((c) =>
      h(
        "li",
        { class: `cz-item${c.id === own ? " mine" : ""}`, dataset: { testid: `circle-${c.id}` } },
        h("h3", {}, h("a", { href: pageHref(`/circle/${encodeURIComponent(c.id)}`), dataset: { testid: `circle-link-${c.id}` } }, h("bdi", {}, c.name))),
        c.place || c.tz ? h("p", { class: "meta" }, [c.place, c.tz].filter(Boolean).join(" · ")) : null,
        h("p", { class: "meta" }, t("nw_speaks", { languages: c.languages.map(languageName).join(", ") })),
        c.adversary ? h("p", {}, t("nw_faces", { adversary: c.adversary })) : null,
        c.public ? h("p", { class: "badge" }, t("nw_public_books")) : null,
        c.id === own ? h("p", { class: "badge badge-mine" }, t("nw_your_circle")) : null,
      ),
    ),
  );
}

function renderPairs(page) {
  const pairs = page.shape.pairs;
  $("pairs-empty").hidden = pairs.length > 0;
  fill(
    $("pairs"),
    pairs.map((p) => {
      const [ab, ba] = p.pledges;
      const nameA = page.circleName(p.a);
      const nameB = page.circleName(p.b);
      return h(
        "li",
        { class: "cz-item pair-item", dataset: { testid: `pair-${p.id}` } },
        h("h3", {}, t("nw_pair_name", { a: nameA, b: nameB })),
        p.adversary ? h("p", {}, t("nw_linked_adversary", { adversary: p.adversary })) : null,
        p.link ? h("p", { class: "link-line", dataset: { testid: "link-line" } }, h("bdi", {}, p.link)) : null,
        h("p", { class: "meta" }, t("nw_settle_days", { count: p.settle_days }), " · ", t("nw_since", { date: dayText(p.since) })),
        h("div", { class: "pledges" }, [
          h("div", {}, h("h4", {}, t("nw_pledge_from_to", { from: nameA, to: nameB })), pledgeLine(ab, `pledge-${p.a}`)),
          h("div", {}, h("h4", {}, t("nw_pledge_from_to", { from: nameB, to: nameA })), pledgeLine(ba, `pledge-${p.b}`)),
        ]),
        visible(page, p)
          ? h("p", {}, h("a", { href: pageHref(`/pair/${encodeURIComponent(p.id)}`), class: "btn btn-small", dataset: { testid: `pair-link-${p.id}` } }, t("nw_open_pair")))
          : h("p", { class: "hint" }, t("nw_pair_private")),
      );
    }),
  );
}

function renderFlow(page) {
  const views = [...pairViews.values()];
  const box = $("flow");
  if (!views.length) {
    fill(box, h("p", { class: "empty", dataset: { testid: "flow-none" } }, t("nw_flow_none")));
    return;
  }
  const ids = new Set();
  const edges = new Map(); // "from>to" -> {from, to, items}
  for (const v of views) {
    ids.add(v.pair.a);
    ids.add(v.pair.b);
    for (const f of v.flows) {
      if (Number(f.delivered) === 0) continue;
      const key = `${f.debtor}>${f.creditor}`;
      if (!edges.has(key)) edges.set(key, { from: f.debtor, to: f.creditor, items: [] });
      edges.get(key).items.push({ commodity: f.commodity, amount: f.delivered });
    }
  }
  const nodes = page.shape.circles.filter((c) => ids.has(c.id)).map((c) => ({ id: c.id, name: c.name, mine: c.id === page.ownCircle }));
  const list = [...edges.values()];
  const words = list.length
    ? h(
        "ul",
        { class: "flow-words", dataset: { testid: "flow-words" } },
        list.map((e) =>
          h(
            "li",
            { dataset: { testid: `flow-words-${e.from}-${e.to}` } },
            t("nw_flow_edge", {
              from: page.circleName(e.from),
              to: page.circleName(e.to),
              amounts: e.items.map((i) => amountText(i.amount, i.commodity)).join(", "),
            }),
          ),
        ),
      )
    : h("p", { class: "empty", dataset: { testid: "flow-empty" } }, t("nw_flow_nothing_yet"));
  fill(box, flowDiagram(nodes, list, { label: t("nw_flow_heading") }), h("figcaption", {}, words));
}

function renderDispatches(page) {
  const list = [...page.shape.dispatches].reverse();
  $("dispatches-empty").hidden = list.length > 0;
  fill(
    $("dispatches"),
    list.map((d) =>
      h(
        "li",
        { class: "dispatch", value: d.id, dataset: { testid: `dispatch-${d.id}` } },
        h("p", { class: "meta" }, t("nw_dispatch_from_to", { from: page.circleName(d.circle), to: page.circleName(d.twin) }), " · ", momentText(d.at), " · ", languageName(d.language)),
        h("p", { class: "snippet", lang: d.language, dir: "auto" }, d.text.length > 160 ? `${d.text.slice(0, 159)}…` : d.text),
        h("p", {}, h("a", { href: pageHref(`/dispatch/${d.id}`), class: "btn btn-small", dataset: { testid: `read-${d.id}` } }, t("nw_read_at_rally"))),
      ),
    ),
  );
}

// The link to the tactic tracker is worded by its own strings (loaded here, not preloaded: the
// tracker's pages are where they are needed).
await import("/static/i18n-tactics.js");
const page = new NetworkPage("network", { load, render, relevant });
wireActions(page);
page.start();
