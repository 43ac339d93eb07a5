// A circle's ledger page (/network/{id}/circle/{circle}/ledger#t=…): its statement, every posting
// to its accounts in the order the log holds them with each account's running balance,
// reversals marked both ways; the chain head the twins compare; exports (.beancount, .csv)
// fetched with the link's header and handed over as a download. The circle's own link may
// correct a transaction it recorded: a reversal, a new transaction, never an edit.
import {
  $,
  NetworkPage,
  dayText,
  decimalText,
  download,
  fill,
  h,
  hashCode,
  pageHref,
  pathParam,
  request,
  setText,
  t,
  unitName,
} from "/static/circles.js";

const circleId = pathParam;
const KINDS = ["tithe", "delivery", "exchange", "reversal", "cover"];

// Account path after Root:Circles:<Circle>: -> [key, takes a twin]
const ACCOUNTS = {
  "Assets:General": "nw_acct_general",
  "Assets:FalloutCover": "nw_acct_fallout_cover",
  "Assets:HeldFor": "nw_acct_held_for",
  "Assets:Receivable": "nw_acct_receivable",
  "Liabilities:DueTo": "nw_acct_due_to",
  "Equity:Opening": "nw_acct_opening",
  "Equity:Exchange": "nw_acct_exchange",
  "Income:Dues": "nw_source_dues",
  "Income:Donations": "nw_source_donations",
  "Income:Settlements": "nw_source_settlements",
  "Income:Other": "nw_source_other_income",
  "Income:TitheFrom": "nw_acct_tithe_from",
  "Income:CoverFrom": "nw_acct_cover_from",
  "Expenses:Campaign": "nw_acct_campaign",
  "Expenses:Other": "nw_acct_other_expense",
  "Expenses:Fallout": "nw_acct_fallout",
  "Expenses:TitheTo": "nw_acct_tithe_to",
  "Expenses:CoverFor": "nw_acct_cover_for",
};

/** "Assets:Circles:Lagos-Dockers:HeldFor:La-Paz-Miners" -> "Held for La Paz miners". */
function accountName(page, account) {
  const parts = account.split(":");
  const key = ACCOUNTS[`${parts[0]}:${parts[3]}`];
  if (!key || parts[1] !== "Circles") return account;
  const twin = parts[4] ? page.circleName(parts[4].toLowerCase()) : "";
  return t(key, { twin });
}

async function load(page) {
  const r = await request(`/circles/${encodeURIComponent(circleId)}/ledger.json`);
  if (r.status === 404) {
    page.fatal(t("nw_no_circle", { id: circleId }));
    return;
  }
  if (!r.ok) {
    page.fatal(t("nw_ledger_refused", { message: r.body?.error?.message || "" }));
    return;
  }
  page.view = r.body;
}

function relevant(page, e) {
  if (e.event === "transaction_posted") return (e.data.circles || []).includes(circleId);
  return e.event === "visibility_set" || e.event === "circle_added";
}

let armed = null; // the transaction whose reversal waits for a second click

function render(page) {
  const v = page.view;
  if (!v) return;
  const name = page.circleName(circleId);
  page.setTitle(t("nw_ledger_title", { circle: name }));
  fill(
    $("crumbs"),
    h("a", { href: pageHref("") }, h("bdi", {}, page.shape.name)),
    " › ",
    h("a", { href: pageHref(`/circle/${encodeURIComponent(circleId)}`), dataset: { testid: "circle-link" } }, h("bdi", {}, name)),
  );
  fill($("head"), hashCode(v.head, "head"));
  setText($("line-count"), t("nw_line_count", { count: v.lines.length }));
  $("lines-empty").hidden = v.lines.length > 0;
  const mine = page.actingCircle === circleId;
  const seen = new Set();
  fill(
    $("lines"),
    v.lines.map((ln) => {
      const first = !seen.has(ln.txn);
      seen.add(ln.txn);
      const marks = [];
      if (ln.reverses) marks.push(h("span", { class: "mark mark-reversal", dataset: { testid: "reverses" } }, t("nw_reverses", { txn: ln.reverses })));
      if (ln.reversed_by) marks.push(h("span", { class: "mark mark-reversed", dataset: { testid: "reversed" } }, t("nw_reversed_by", { txn: ln.reversed_by })));
      const canReverse = mine && first && !ln.reverses && !ln.reversed_by;
      return h(
        "tr",
        { class: ln.reversed_by ? "reversed" : ln.reverses ? "reversal" : "", dataset: { testid: `line-${ln.txn}`, txn: ln.txn } },
        h("td", { "data-label": t("nw_col_date") }, dayText(ln.date)),
        h("td", { "data-label": t("nw_col_txn") }, h("code", { dir: "ltr", title: ln.hash }, ln.txn), KINDS.includes(ln.kind) ? h("span", { class: "meta" }, ` ${t(`nw_kind_${ln.kind}`)}`) : null),
        h(
          "td",
          { "data-label": t("nw_col_what") },
          h("bdi", {}, ln.narration),
          marks.length ? h("span", { class: "marks" }, marks) : null,
          canReverse ? reverseButton(page, ln.txn) : null,
        ),
        h("td", { "data-label": t("nw_col_account"), title: ln.account }, accountName(page, ln.account)),
        h("td", { class: "num", "data-label": t("nw_col_amount") }, h("bdi", {}, `${decimalText(ln.amount)} ${unitName(ln.commodity)}`)),
        h("td", { class: "num", "data-label": t("nw_col_balance") }, h("bdi", {}, `${decimalText(ln.balance)} ${unitName(ln.commodity)}`)),
      );
    }),
  );
}

function reverseButton(page, txn) {
  const button = h("button", { type: "button", class: `btn btn-small btn-danger${armed === txn ? " armed" : ""}`, dataset: { testid: `reverse-${txn}` } });
  button.textContent = armed === txn ? t("nw_reverse_confirm", { txn }) : t("nw_reverse", { txn });
  button.addEventListener("click", async () => {
    if (armed !== txn) {
      armed = txn;
      button.textContent = t("nw_reverse_confirm", { txn });
      button.classList.add("armed");
      return;
    }
    armed = null;
    await page.command(
      { type: "reverse", txn },
      { status: $("reverse-status"), error: $("reverse-error"), button, done: "nw_reverse_done" },
    );
  });
  return button;
}

async function exportAs(fmt) {
  setText($("export-error"), "");
  const problem = await download(`/circles/${encodeURIComponent(circleId)}/ledger.${fmt}`, `${circleId}-ledger.${fmt}`);
  if (problem) setText($("export-error"), t("nw_refused", { message: problem }));
}

$("export-beancount").addEventListener("click", () => exportAs("beancount"));
$("export-csv").addEventListener("click", () => exportAs("csv"));
const page = new NetworkPage("ledger", { load, render, relevant });
page.start();
