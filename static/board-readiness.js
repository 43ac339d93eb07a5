// The readiness of the joint actions this relay runs as (readiness_set, pushed by the network):
// ready, not ready with the checks that fail, or going ahead anyway and who decided. Names of
// checks only: a public board never learns which circle or language is missing.
import { t } from "/static/i18n.js";
import { fill, h, utcLabel } from "/static/util.js";
import { $, board } from "/static/board-state.js";

const CHECKS = ["red_lines", "figures", "communique", "pledges"];
let drawn = null; // the readiness map's content last drawn, so a tick redraws nothing

export function renderReadiness() {
  const items = [...board.model.readiness.values()];
  const key = JSON.stringify(items) + document.documentElement.lang;
  if (key === drawn) return;
  drawn = key;
  $("readiness").hidden = items.length === 0;
  fill($("readiness-list"), ...items.map(item));
}

function item(r) {
  const state = r.ready ? "ready" : r.go ? "proceeding" : "not-ready";
  const status = r.ready
    ? t("rd_ready")
    : r.go
      ? t("rd_proceeding", { time: utcLabel(Date.parse(r.proceeded?.at ?? ""), { withDay: true }) })
      : t("rd_not_ready");
  return h(
    "div",
    { class: `readiness rd-${state}`, dataset: { testid: "readiness-item", state, action: String(r.action) } },
    h("p", { class: "rd-action" }, String(r.name ?? "")),
    h("p", { class: "rd-status", dataset: { testid: "readiness-status" } }, status),
    h(
      "ul",
      { class: "rd-checks" },
      ...CHECKS.filter((c) => c in (r.checks || {})).map((c) =>
        h(
          "li",
          { class: r.checks[c] ? "ok" : "missing", dataset: { check: c, ok: String(r.checks[c]) } },
          h("span", { class: "rd-mark", "aria-hidden": "true" }, r.checks[c] ? "✓" : "✗"),
          h("span", {}, t(`rd_check_${c}`)),
          h("span", { class: "sr-only" }, r.checks[c] ? t("rd_ok") : t("rd_missing")),
        ),
      ),
    ),
  );
}
