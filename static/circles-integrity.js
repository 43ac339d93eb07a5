// The integrity page (/network/{id}/integrity#t=…): the server re-runs every invariant of the
// network's ledger from its transactions alone (each transaction balanced, the rules, reversals,
// the chain against the recorded hashes, balances, the network summing to zero, DueTo mirroring
// Receivable, nothing held for a twin never pledged) and says what it checked, how many, when, and
// what is wrong if anything. Any link of the network may open it; it shows counts, not amounts.
import { $, NetworkPage, decimalText, fill, h, hashCode, momentText, pageHref, request, setAttr, setText, t, unitName } from "/static/circles.js";

const CHECKS = ["balanced", "rules", "reversals", "chain", "recorded", "balances", "network", "mirrored", "pledged"];

async function load(page) {
  const r = await request("/integrity");
  if (!r.ok) {
    page.runError = r.body?.error?.message || "";
    return;
  }
  page.runError = "";
  page.view = r.body;
}

function relevant(page, e) {
  return e.event === "transaction_posted" || e.event === "pair_made" || e.event === "circle_added";
}

function render(page) {
  page.setTitle(t("nw_integrity_title", { network: page.shape.name }));
  fill($("crumbs"), h("a", { href: pageHref("") }, h("bdi", {}, page.shape.name)));
  setText($("run-error"), page.runError ? t("nw_refused", { message: page.runError }) : "");
  const v = page.view;
  if (!v) return;
  setAttr($("verdict"), "data-ok", v.ok ? "true" : "false");
  setText($("verdict"), v.ok ? t("nw_integrity_ok") : t("nw_integrity_failed", { count: v.problems.length }));
  setText($("checked-at"), momentText(v.checked_at));
  fill($("head"), hashCode(v.head, "head"));
  setText(
    $("counts"),
    [
      t("nw_txn_count", { count: v.transactions }),
      t("nw_posting_count", { count: v.postings }),
      t("nw_account_count", { count: v.accounts }),
    ].join(" · "),
  );
  $("problems-card").hidden = v.problems.length === 0;
  fill(
    $("problems"),
    // what broke and where, never a message (it could name amounts: anyone may open this page)
    v.problems.map((p) =>
      h(
        "li",
        { dataset: { testid: `problem-${p.code}` } },
        h("code", { dir: "ltr" }, p.code),
        p.txn ? [" ", t("nw_problem_in", { txn: p.txn })] : null,
        p.on_replay ? [" · ", t("nw_problem_on_replay")] : null,
      ),
    ),
  );
  fill(
    $("checks"),
    v.checks.map((c) =>
      h(
        "li",
        { class: c.failed ? "failed" : "passed", dataset: { testid: `check-${c.name}`, failed: String(c.failed) } },
        h("span", { class: "check-mark", "aria-hidden": "true" }, c.failed ? "✗" : "✓"),
        h("span", {}, CHECKS.includes(c.name) ? t(`nw_check_${c.name}`) : h("bdi", { lang: "en" }, c.what)),
        " ",
        h("span", { class: "meta" }, c.failed ? t("nw_check_failed", { count: c.count, failed: c.failed }) : t("nw_check_count", { count: c.count })),
      ),
    ),
  );
  const totals = Object.entries(v.totals);
  fill(
    $("totals"),
    totals.length
      ? h("ul", { class: "amounts" }, totals.map(([c, amount]) => h("li", { dataset: { commodity: c } }, h("bdi", {}, `${decimalText(amount)} ${unitName(c)}`))))
      : h("p", { class: "empty" }, t("nw_nothing")),
  );
}

const page = new NetworkPage("integrity", { load, render, relevant });
$("run").addEventListener("click", async () => {
  $("run").disabled = true;
  setText($("verdict"), t("nw_running"));
  await page.readAll();
  $("run").disabled = false;
});
page.start();
