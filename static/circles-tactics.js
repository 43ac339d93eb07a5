// The tactic registry (/network/{id}/tactics#t=…): every tactic of the network with its name and
// description in the page's language (marked when translated, by whom, or not yet), where and
// when it was first used and by whom, how many circles and countries adopted it and how many
// borders it crossed; which tactics spread fastest (days to half of each one's fitted potential)
// and those with not enough data yet, with the reason; the indicators the movement counts
// (exchange residencies, bosses' complaints of "outside agitation"); CSV and JSON exports
// (fetched with the link's header) and the CSV import. The coordinator's and circles' links get
// the forms (register, record an indicator, import); any link reads.
import "/static/i18n-tactics.js";
import {
  $,
  LANG,
  NetworkPage,
  dayText,
  download,
  fill,
  h,
  networkId,
  pageHref,
  request,
  setText,
  t,
} from "/static/circles.js";
import { sig } from "/static/circles-svg.js";
import {
  circleOptions,
  countryCode,
  countryList,
  countryName,
  howMark,
  languageOptions,
  mayRecord,
  postFile,
  refusalText,
  relevant,
  setTitle,
  todayIso,
} from "/static/circles-tx.js";

const dirty = new Set(); // forms a person has typed in since they were last filled
let idTyped = false; // the person typed the id themselves: stop deriving it from the name

async function load(page) {
  const [registry, indicators] = await Promise.all([
    request(`/tactics?lang=${encodeURIComponent(LANG)}`),
    request("/indicators"),
  ]);
  if (!registry.ok) {
    page.fatal(t("tx_refused_view", { message: registry.body?.error?.message || "" }));
    return;
  }
  page.registry = registry.body;
  page.indicators = indicators.ok ? indicators.body : null;
}

function render(page) {
  const reg = page.registry;
  if (!reg) return;
  setTitle(t("tx_registry_title", { network: page.shape.name }), "tx_page_tactics");
  fill($("crumbs"), h("a", { href: pageHref(""), dataset: { testid: "network-link" } }, h("bdi", {}, page.shape.name)), " › ", t("tx_page_tactics"));
  renderTactics(page, reg);
  renderFastest(reg);
  renderIndicators(page);
  renderForms(page, reg);
}

function originLine(page, tactic) {
  const o = tactic.origin;
  const where = countryName(o.country);
  return o.circle
    ? t("tx_origin_by", { circle: page.circleName(o.circle), country: where, date: dayText(o.date) })
    : t("tx_origin", { country: where, date: dayText(o.date) });
}

function renderTactics(page, reg) {
  $("tactics-empty").hidden = reg.tactics.length > 0;
  fill(
    $("tactics"),
    reg.tactics.map((tx) =>
      h(
        "li",
        { class: "cz-item tx-item", dataset: { testid: `tactic-${tx.id}`, adoptions: String(tx.adoptions) } },
        h(
          "h3",
          {},
          h("a", { href: pageHref(`/tactic/${encodeURIComponent(tx.id)}`), lang: tx.language, dir: "auto", dataset: { testid: `tactic-link-${tx.id}` } }, tx.name),
        ),
        howMark(tx),
        tx.description ? h("p", { class: "snippet", lang: tx.language, dir: "auto" }, tx.description.length > 200 ? `${tx.description.slice(0, 199)}…` : tx.description) : null,
        h("p", { class: "meta" }, originLine(page, tx)),
        h(
          "p",
          { class: "tx-counts", dataset: { testid: `counts-${tx.id}` } },
          t("tx_adoptions_count", { count: tx.adoptions }),
          " · ",
          t("tx_countries_count", { count: tx.countries.length }),
          " · ",
          t("tx_borders_count", { count: tx.borders_crossed }),
        ),
      ),
    ),
  );
}

function renderFastest(reg) {
  $("fastest-empty").hidden = reg.fastest.length > 0;
  fill(
    $("fastest"),
    reg.fastest.map((r) =>
      h(
        "li",
        { value: r.rank, dataset: { testid: `fastest-${r.tactic}`, rank: String(r.rank) } },
        h("a", { href: pageHref(`/tactic/${encodeURIComponent(r.tactic)}`), dir: "auto" }, r.name),
        " ",
        h("span", { class: "meta" }, t("tx_half_in", { days: sig(r.half_days), m: Math.round(r.m) })),
      ),
    ),
  );
  $("not-yet-box").hidden = reg.not_yet.length === 0;
  fill(
    $("not-yet"),
    reg.not_yet.map((n) =>
      h(
        "li",
        { dataset: { testid: `not-yet-${n.tactic}`, code: n.code } },
        h("a", { href: pageHref(`/tactic/${encodeURIComponent(n.tactic)}`), dir: "auto" }, n.name),
        " — ",
        h("span", { class: "meta", title: n.message }, refusalText(n.code)),
      ),
    ),
  );
}

function countsTable(rows, keyHeader, keyText, testid) {
  return h(
    "table",
    { class: "tx-table", dataset: { testid } },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, keyHeader), h("th", { scope: "col", class: "num" }, t("tx_kind_residency_plural")), h("th", { scope: "col", class: "num" }, t("tx_kind_complaint_plural")))),
    h(
      "tbody",
      {},
      rows.map((r) => h("tr", {}, h("th", { scope: "row" }, keyText(r)), h("td", { class: "num" }, sig(r.residency, 6)), h("td", { class: "num" }, sig(r.complaint, 6)))),
    ),
  );
}

function renderIndicators(page) {
  const v = page.indicators;
  const list = v?.indicators || [];
  $("indicators-empty").hidden = list.length > 0;
  if (!v) {
    fill($("indicator-totals"));
    fill($("indicator-years"));
    fill($("indicator-countries"));
    fill($("indicators"));
    return;
  }
  fill(
    $("indicator-totals"),
    h("dt", {}, t("tx_kind_residency_plural")),
    h("dd", { dataset: { testid: "total-residency" } }, t("tx_total_recent", { total: v.totals.residency, recent: v.last_365_days.residency })),
    h("dt", {}, t("tx_kind_complaint_plural")),
    h("dd", { dataset: { testid: "total-complaint" } }, t("tx_total_recent", { total: v.totals.complaint, recent: v.last_365_days.complaint })),
  );
  fill($("indicator-years"), list.length ? countsTable(v.by_year, t("tx_year"), (r) => String(r.year), "years-table") : null);
  fill($("indicator-countries"), list.length ? countsTable(v.by_country, t("tx_country_label"), (r) => countryName(r.country), "countries-table") : null);
  fill(
    $("indicators"),
    list.slice(0, 50).map((i) =>
      h(
        "li",
        { value: i.id, class: `tx-indicator tx-${i.kind}`, dataset: { testid: `indicator-${i.id}`, kind: i.kind } },
        h(
          "p",
          {},
          i.kind === "residency"
            ? t("tx_residency_line", { guest: page.circleName(i.guest), host: page.circleName(i.host), country: countryName(i.country) })
            : i.host
              ? t("tx_complaint_line_about", { circle: page.circleName(i.host), country: countryName(i.country) })
              : t("tx_complaint_line", { country: countryName(i.country) }),
        ),
        h("p", { class: "meta" }, dayText(i.date), " · ", t("tx_source_is", { source: i.source })),
        i.note ? h("p", { class: "snippet", dir: "auto" }, i.note) : null,
      ),
    ),
  );
}

function renderForms(page, reg) {
  const can = mayRecord(page);
  $("register-card").hidden = !can;
  $("indicator-form").hidden = !can;
  $("import-form").hidden = !can;
  const used = [...new Set([...reg.tactics.flatMap((x) => [x.origin.country, ...x.countries]), ...(page.indicators?.indicators || []).map((i) => i.country)])].filter((c) => c && c !== "ZZ");
  countryList(used.sort());
  if (!can) return;
  if (page.actingCircle) setText($("import-hint"), t("tx_import_hint_circle", { circle: page.circleName(page.actingCircle) }));
  circleOptions($("register-circle"), page, { none: page.actingCircle ? null : "tx_no_circle" });
  const own = page.shape.circles.find((c) => c.id === page.actingCircle);
  languageOptions($("register-language"), own ? own.languages : [LANG]);
  if (!dirty.has("register") && !$("register-date").value) $("register-date").value = todayIso();
  if (!dirty.has("indicator") && !$("indicator-date").value) $("indicator-date").value = todayIso();
  const kinds = $("indicator-kind");
  const key = document.documentElement.lang;
  if (kinds.dataset.key !== key) {
    const keep = kinds.value || "complaint";
    kinds.dataset.key = key;
    fill(kinds, ["complaint", "residency"].map((k) => h("option", { value: k }, t(`tx_kind_${k}`))));
    kinds.value = keep;
  }
  circleOptions($("indicator-host"), page, { none: "tx_no_circle", all: true });
  circleOptions($("indicator-guest"), page, { all: true });
  kindChanged();
}

/** The indicator form reads by kind: a residency has a hosting circle and a guest; a complaint names
 * the circle complained of, if any. */
function kindChanged() {
  const residency = $("indicator-kind").value === "residency";
  setText($("indicator-host-label"), t(residency ? "tx_host_label" : "tx_complained_of_label"));
  $("indicator-guest-field").hidden = !residency;
}

function slug(name) {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48)
    .replace(/-+$/, "");
}

function lines(name) {
  return { status: $(`${name}-status`), error: $(`${name}-error`), button: $(`${name}-submit`) };
}

function wire(page) {
  for (const name of ["register", "indicator"]) $(`${name}-form`).addEventListener("input", () => dirty.add(name));
  $("register-id").addEventListener("input", () => {
    idTyped = $("register-id").value.trim() !== "";
  });
  $("register-name").addEventListener("input", () => {
    if (!idTyped) $("register-id").value = slug($("register-name").value);
  });
  $("indicator-kind").addEventListener("change", kindChanged);

  $("register-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const command = {
      type: "register_tactic",
      id: $("register-id").value.trim(),
      name: $("register-name").value.trim(),
      description: $("register-description").value.trim(),
      language: $("register-language").value,
      origin_country: countryCode($("register-country").value),
    };
    if ($("register-circle").value) command.origin_circle = $("register-circle").value;
    if ($("register-date").value) command.origin_date = $("register-date").value;
    if (await page.command(command, { ...lines("register"), done: "tx_register_done" })) {
      for (const id of ["register-id", "register-name", "register-description"]) $(id).value = "";
      idTyped = false;
      dirty.delete("register");
    }
  });

  $("indicator-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const residency = $("indicator-kind").value === "residency";
    const command = {
      type: "record_indicator",
      kind: $("indicator-kind").value,
      country: countryCode($("indicator-country").value),
      source: $("indicator-source").value.trim(),
      note: $("indicator-note").value.trim(),
    };
    if ($("indicator-date").value) command.date = $("indicator-date").value;
    if ($("indicator-host").value) command.host = $("indicator-host").value;
    if (residency) command.guest = $("indicator-guest").value;
    if (await page.command(command, { ...lines("indicator"), done: "tx_indicator_done" })) {
      $("indicator-source").value = "";
      $("indicator-note").value = "";
      dirty.delete("indicator");
    }
  });

  $("import-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const { status, error, button } = lines("import");
    setText(error, "");
    const file = $("import-file").files[0];
    if (!file) {
      setText(error, t("tx_import_no_file"));
      return;
    }
    setText(status, t("nw_sending"));
    button.disabled = true;
    const r = await postFile("/tactics/import", file);
    button.disabled = false;
    if (r.ok) {
      setText(status, t("tx_import_done", { tactics: r.body.tactics, translations: r.body.translations, adoptions: r.body.adoptions }));
      $("import-file").value = "";
      page.reread();
    } else {
      setText(status, "");
      setText(error, t("nw_refused", { message: r.body?.error?.message || "" }));
    }
  });

  async function exportAs(fmt) {
    setText($("export-error"), "");
    const problem = await download(`/tactics.${fmt}`, `${networkId}-tactics.${fmt}`);
    if (problem) setText($("export-error"), t("nw_refused", { message: problem }));
  }
  $("export-csv").addEventListener("click", () => exportAs("csv"));
  $("export-json").addEventListener("click", () => exportAs("json"));
}

const page = new NetworkPage("tactics", { load, render, relevant });
wire(page);
// The names and descriptions come in the page's language: read them again in a new one.
document.addEventListener("mayday:language", () => page.reread());
page.start();
