// A circle's page (/network/{id}/circle/{circle}#t=…): who the circle is, its twins with both
// pledges (version, and a mark once a pledge has changed), what is overdue each way, its funds
// (general, fallout cover, held for each twin) when this link may see its books, and its
// dispatches and the joint actions it takes part in (one that proceeds anyway, not ready, says so).
// A circle's own link (its coordinators') also gets the forms (circles-forms.js) and the one that
// opens a joint action (circles-joint.js); ?open=TWIN (the pair page's ask for a shared risk)
// ticks the twin there and goes to it.
import {
  $,
  NetworkPage,
  amountsList,
  download,
  fill,
  h,
  languageName,
  momentText,
  pageHref,
  pathParam,
  pledgeLine,
  request,
  setText,
  t,
  overdueItem,
} from "/static/circles.js";
import { renderForms, wireForms } from "/static/circles-forms.js";
import { actionEvent, loadActions, renderActions, wireActions } from "/static/circles-joint.js";

const circleId = pathParam;
const openWith = new URLSearchParams(location.search).get("open");
let openedWith = false;

async function load(page) {
  const r = await request(`/circles/${encodeURIComponent(circleId)}`);
  if (!r.ok) {
    page.fatal(r.status === 404 ? t("nw_no_circle", { id: circleId }) : t("nw_bad_link", { message: r.body?.error?.message || "" }));
    return;
  }
  page.view = r.body;
  await loadActions(page);
}

function relevant(page, e) {
  const d = e.data;
  if (actionEvent(e)) return true;
  switch (e.event) {
    case "transaction_posted":
      return (d.circles || []).includes(circleId);
    case "pledge_set":
      return d.circle === circleId || d.twin === circleId;
    case "pair_made":
      return d.a === circleId || d.b === circleId;
    case "dispatch_posted":
      return d.circle === circleId || d.twin === circleId;
    case "dispatch_translated":
    case "links_rotated":
      return false;
    default:
      return true; // visibility, circles added: who may see what, the names
  }
}

function render(page) {
  const v = page.view;
  if (!v) return;
  const c = v.circle;
  page.setTitle(c.name);
  fill($("crumbs"), h("a", { href: pageHref(""), dataset: { testid: "network-link" } }, h("bdi", {}, page.shape.name)));
  renderAbout(c);
  renderReminders(page, v);
  renderTwins(page, v);
  renderFunds(page, v);
  renderDispatches(page);
  renderForms(page);
  showActions(page);
}

function showActions(page) {
  renderActions(page, { circle: circleId });
  for (const a of page.shape.actions || []) {
    const item = $("actions").querySelector(`[data-testid="action-${a.id}"]`);
    if (item && a.go && !a.ready) {
      item.append(h("p", { class: "proceeding-mark", dataset: { testid: `action-proceeding-${a.id}` } }, t("ac_list_proceeding")));
    }
  }
  const twin = openWith && document.getElementById(`open-${openWith}`);
  if (!openedWith && twin && !$("open-card").hidden) {
    openedWith = true;
    twin.checked = true;
    $("open-card").scrollIntoView({ block: "start" });
    $("open-name").focus({ preventScroll: true });
  }
}

function renderAbout(c) {
  const rows = [
    ["nw_place", c.place],
    ["nw_time_zone", c.tz],
    ["nw_languages", c.languages.map(languageName).join(", ")],
    ["nw_adversary", c.adversary],
  ].filter(([, value]) => value);
  fill($("about"), rows.map(([key, value]) => [h("dt", {}, t(key)), h("dd", {}, h("bdi", {}, value))]));
}

/** Overdue both ways: what this circle owes its twins and what they owe it, past the settle period. */
function renderReminders(page, v) {
  const items = v.twins.flatMap((tw) => tw.overdue || []);
  $("reminders-card").hidden = items.length === 0;
  fill($("reminders"), items.map((o) => overdueItem(page, o)));
}

function renderTwins(page, v) {
  $("twins-empty").hidden = v.twins.length > 0;
  const me = page.circleName(circleId);
  fill(
    $("twins"),
    v.twins.map((tw) => {
      const twin = page.circleName(tw.twin);
      const pair = page.pair(tw.pair);
      return h(
        "li",
        { class: "cz-item", dataset: { testid: `twin-${tw.twin}` } },
        h("h3", {}, h("a", { href: pageHref(`/circle/${encodeURIComponent(tw.twin)}`) }, h("bdi", {}, twin))),
        pair?.adversary ? h("p", {}, t("nw_linked_adversary", { adversary: pair.adversary })) : null,
        pair?.link ? h("p", { class: "link-line" }, h("bdi", {}, pair.link)) : null,
        h("div", { class: "pledges" }, [
          h("div", {}, h("h4", {}, t("nw_pledge_from_to", { from: me, to: twin })), pledgeLine(tw.pledge, `our-pledge-${tw.twin}`)),
          h("div", {}, h("h4", {}, t("nw_pledge_from_to", { from: twin, to: me })), pledgeLine(tw.their_pledge, `their-pledge-${tw.twin}`)),
        ]),
        // the pair's flows are this reader's to see exactly when the view says what is overdue
        "overdue" in tw
          ? h("p", {}, h("a", { href: pageHref(`/pair/${encodeURIComponent(tw.pair)}`), class: "btn btn-small", dataset: { testid: `pair-link-${tw.twin}` } }, t("nw_open_pair")))
          : null,
      );
    }),
  );
}

function renderFunds(page, v) {
  $("no-books").hidden = v.books;
  $("ledger-link").hidden = !v.books;
  $("ledger-link").href = pageHref(`/circle/${encodeURIComponent(circleId)}/ledger`);
  $("calendar").hidden = page.ownCircle !== circleId;
  if (!v.books) {
    fill($("funds"));
    return;
  }
  const f = v.funds;
  const vis = v.visibility || { share_with: [], public: false };
  fill(
    $("funds"),
    h("div", { class: "fund" }, h("h3", {}, t("nw_fund_general")), amountsList(f.general, "fund-general")),
    h("div", { class: "fund" }, h("h3", {}, t("nw_fund_fallout_cover")), amountsList(f.fallout_cover, "fund-fallout-cover")),
    Object.entries(f.held_for).map(([twin, amounts]) =>
      h("div", { class: "fund fund-held" }, h("h3", {}, t("nw_fund_held_for", { twin: page.circleName(twin) })), amountsList(amounts, `held-${twin}`)),
    ),
    h(
      "p",
      { class: "meta", dataset: { testid: "visibility" } },
      vis.public
        ? t("nw_books_public")
        : vis.share_with.length
          ? t("nw_books_shared", { circles: vis.share_with.map((c) => page.circleName(c)).join(", ") })
          : t("nw_books_private"),
    ),
  );
}

function renderDispatches(page) {
  const list = page.shape.dispatches.filter((d) => d.circle === circleId || d.twin === circleId).reverse();
  $("dispatches-empty").hidden = list.length > 0;
  fill(
    $("dispatches"),
    list.map((d) =>
      h(
        "li",
        { class: "dispatch", value: d.id, dataset: { testid: `dispatch-${d.id}` } },
        h("p", { class: "meta" }, t("nw_dispatch_from_to", { from: page.circleName(d.circle), to: page.circleName(d.twin) }), " · ", momentText(d.at)),
        h("p", { class: "snippet", lang: d.language, dir: "auto" }, d.text.length > 160 ? `${d.text.slice(0, 159)}…` : d.text),
        h("p", {}, h("a", { href: pageHref(`/dispatch/${d.id}`), class: "btn btn-small" }, t("nw_read_at_rally"))),
      ),
    ),
  );
}

const page = new NetworkPage("circle", {
  load,
  render,
  relevant,
  role: (p) => {
    renderForms(p);
    if (p.view) showActions(p);
  },
});
$("calendar").addEventListener("click", async () => {
  setText($("calendar-error"), "");
  const problem = await download(`/circles/${encodeURIComponent(circleId)}/calendar.ics`, `${circleId}-pledges.ics`);
  if (problem) setText($("calendar-error"), t("nw_refused", { message: problem }));
});
wireForms(page, circleId);
wireActions(page, { circle: circleId });
page.start();
