// One tactic (/network/{id}/tactic/{t}#t=…): its name and description in the page's language
// (marked when translated, and how), where it started; adoptions over time with the fitted Bass
// curve and its forecast (dashed), p, q and m with their standard errors in words; how many days
// it took to reach each country (bars); who learned it from whom (circles placed by date across
// and by country down, arrows from teacher to pupil, border crossings marked); every adoption; the
// forms to record an adoption (coordinator, a circle for itself) and to translate it (any of the
// network's links but a viewer). Every chart has its numbers in a table or in words beside it.
import "/static/i18n-tactics.js";
import { SERVED } from "/static/i18n.js";
import {
  $,
  LANG,
  NetworkPage,
  dayText,
  fill,
  h,
  languageName,
  pageHref,
  pathParam,
  request,
  t,
} from "/static/circles.js";
import { barChart, lineChart, networkPicture, sig } from "/static/circles-svg.js";
import {
  TX_EVENTS,
  circleOptions,
  countryCode,
  countryList,
  countryName,
  howMark,
  listText,
  mayRecord,
  mayTranslate,
  refusalText,
  setTitle,
  todayIso,
} from "/static/circles-tx.js";

const tacticId = pathParam;
const HORIZONS = [30, 90, 180, 365];
const OUTCOMES = ["won", "partial", "lost", "ongoing", "unknown"];
let horizon = 90;
const dirty = new Set();

async function load(page) {
  const r = await request(`/tactics/${encodeURIComponent(tacticId)}?lang=${encodeURIComponent(LANG)}&horizon=${horizon}`);
  if (r.status === 404) {
    page.fatal(t("tx_no_tactic", { id: tacticId }));
    return;
  }
  if (!r.ok) {
    page.fatal(t("tx_refused_view", { message: r.body?.error?.message || "" }));
    return;
  }
  page.view = r.body;
}

function relevant(_page, e) {
  if (!TX_EVENTS.has(e.event)) return false;
  return e.event === "circle_added" || e.data.tactic === tacticId || e.data.id === tacticId;
}

function render(page) {
  const v = page.view;
  if (!v) return;
  const tx = v.tactic;
  setTitle(tx.name, "tx_page_tactic");
  fill(
    $("crumbs"),
    h("a", { href: pageHref("") }, h("bdi", {}, page.shape.name)),
    " › ",
    h("a", { href: pageHref("/tactics"), dataset: { testid: "registry-link" } }, t("tx_page_tactics")),
    " › ",
    h("bdi", {}, tx.name),
  );
  renderAbout(page, v);
  renderCurve(v);
  renderCountries(v);
  renderNetwork(page, v);
  renderAdoptions(page, v);
  renderTranslations(page, v);
  renderForms(page, v);
}

function renderAbout(page, v) {
  const tx = v.tactic;
  const name = $("about-heading");
  name.textContent = tx.name;
  name.lang = tx.language;
  fill($("how"), howMark(tx));
  const d = $("description");
  d.textContent = tx.description;
  d.lang = tx.language;
  d.hidden = !tx.description;
  const o = tx.origin;
  fill(
    $("origin"),
    o.circle
      ? t("tx_origin_by", { circle: page.circleName(o.circle), country: countryName(o.country), date: dayText(o.date) })
      : t("tx_origin", { country: countryName(o.country), date: dayText(o.date) }),
  );
  fill(
    $("facts"),
    h("dt", {}, t("tx_adoptions_label")),
    h("dd", { dataset: { testid: "fact-adoptions" } }, sig(tx.adoptions, 9)),
    h("dt", {}, t("tx_countries_label")),
    h("dd", { dataset: { testid: "fact-countries" } }, listText(tx.countries.map(countryName)) || "—"),
    h("dt", {}, t("tx_borders_label")),
    h("dd", { dataset: { testid: "fact-borders" } }, sig(v.borders_crossed, 9)),
    h("dt", {}, t("tx_generations_label")),
    h("dd", { dataset: { testid: "fact-generations" } }, sig(v.learning.generations, 9)),
  );
}

function renderCurve(v) {
  const fit = v.fit;
  const origin = v.tactic.origin.date;
  const last = fit?.forecast.length ? fit.forecast[fit.forecast.length - 1][0] : v.observed_until;
  const end = last > v.observed_until ? last : v.observed_until;
  const observed = v.cumulative.map((c) => [c.date, c.count]);
  const lines = [{ points: observed, cls: "tx-observed", step: true, dots: true, testid: "curve-observed" }];
  const marks = [{ date: v.observed_until, cls: "tx-today", label: t("tx_today") }];
  if (fit) {
    lines.push({ points: fit.fitted, cls: "tx-fitted", testid: "curve-fit" });
    if (fit.forecast.length) lines.push({ points: [fit.fitted[fit.fitted.length - 1], ...fit.forecast], cls: "tx-forecast", testid: "curve-forecast" });
    if (fit.half_date) marks.push({ date: fit.half_date, cls: "tx-half", label: t("tx_half_mark", { date: dayText(fit.half_date) }) });
  }
  const total = v.tactic.adoptions;
  const description = fit
    ? t("tx_curve_desc_fit", { count: total, m: sig(fit.m), date: dayText(v.observed_until) })
    : t("tx_curve_desc", { count: total, date: dayText(v.observed_until) });
  fill($("curve"), lineChart({ start: origin, end, lines, marks, label: t("tx_curve_heading"), description, testid: "curve-svg" }));
  fill(
    $("curve-legend"),
    h("li", {}, h("span", { class: "swatch tx-sw-observed", "aria-hidden": "true" }), t("tx_legend_observed")),
    fit ? h("li", {}, h("span", { class: "swatch tx-sw-fitted", "aria-hidden": "true" }), t("tx_legend_fitted")) : null,
    fit?.forecast.length ? h("li", {}, h("span", { class: "swatch tx-sw-forecast", "aria-hidden": "true" }), t("tx_legend_forecast", { days: horizon })) : null,
  );
  renderFit(v);
  const fitted = new Map((fit?.fitted || []).map(([d, y]) => [d, y]));
  fill(
    $("curve-table"),
    h(
      "table",
      { class: "tx-table" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("nw_date_label")), h("th", { scope: "col", class: "num" }, t("tx_col_so_far")), fit ? h("th", { scope: "col", class: "num" }, t("tx_col_fitted")) : null)),
      h(
        "tbody",
        {},
        v.cumulative.map((c) =>
          h("tr", {}, h("th", { scope: "row" }, dayText(c.date)), h("td", { class: "num" }, sig(c.count, 9)), fit ? h("td", { class: "num" }, fitted.has(c.date) ? sig(fitted.get(c.date)) : "—") : null),
        ),
      ),
    ),
  );
}

function pm(value, se) {
  return t("tx_pm", { value: sig(value), se: sig(se, 2) });
}

function renderFit(v) {
  const fit = v.fit;
  const box = $("fit");
  if (!fit) {
    fill(
      box,
      h("p", { class: "tx-no-fit", dataset: { testid: "no-fit", code: v.refusal.code } }, refusalText(v.refusal.code)),
      h("p", { class: "meta" }, v.refusal.message),
    );
    return;
  }
  fill(
    box,
    h(
      "dl",
      { class: "facts tx-params" },
      h("dt", {}, t("tx_p_label")),
      h("dd", { dataset: { testid: "fit-p" } }, t("tx_per_day", { value: pm(fit.p, fit.p_se) })),
      h("dt", {}, t("tx_q_label")),
      h("dd", { dataset: { testid: "fit-q" } }, t("tx_per_day", { value: pm(fit.q, fit.q_se) })),
      h("dt", {}, t("tx_m_label")),
      h("dd", { dataset: { testid: "fit-m" } }, t("tx_circles_value", { value: pm(fit.m, fit.m_se) })),
      h("dt", {}, t("tx_r2_label")),
      h("dd", { dataset: { testid: "fit-r2" } }, t("tx_r2_value", { r2: sig(fit.r2), daily: sig(fit.r2_daily, 2), rmse: sig(fit.rmse, 2) })),
    ),
    h(
      "p",
      { dataset: { testid: "fit-words" } },
      t("tx_half_words", { date: dayText(fit.half_date), days: sig(fit.half_days) }),
      " ",
      fit.peak_date ? t("tx_peak_words", { date: dayText(fit.peak_date) }) : t("tx_no_peak"),
      " ",
      t("tx_reached_words", { share: sig(fit.reached * 100, 2) }),
    ),
    h("p", { class: "hint" }, t("tx_fit_caution")),
  );
}

function shortName(name, max = 16) {
  return name.length > max ? `${name.slice(0, max - 1)}…` : name;
}

function renderCountries(v) {
  const rows = v.first_by_country.map((r) => ({
    label: shortName(countryName(r.country)),
    value: r.days,
    text: t("tx_days", { count: r.days }),
    testid: `bar-${r.country}`,
  }));
  const description = v.first_by_country.map((r) => `${countryName(r.country)}: ${t("tx_days", { count: r.days })}`).join("; ");
  fill($("countries"), rows.length ? barChart({ rows, label: t("tx_countries_heading"), description, testid: "countries-svg" }) : h("p", { class: "empty" }, t("tx_no_adoptions")));
  fill(
    $("countries-table"),
    h(
      "table",
      { class: "tx-table" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("tx_country_label")), h("th", { scope: "col" }, t("tx_first_adoption")), h("th", { scope: "col", class: "num" }, t("tx_days_after")))),
      h(
        "tbody",
        {},
        v.first_by_country.map((r) => h("tr", { dataset: { testid: `first-${r.country}` } }, h("th", { scope: "row" }, countryName(r.country)), h("td", {}, dayText(r.date)), h("td", { class: "num" }, sig(r.days, 9)))),
      ),
    ),
  );
}

function edgeText(page, e) {
  const words = t("tx_edge_words", { pupil: page.circleName(e.pupil), teacher: page.circleName(e.teacher), days: sig(e.lag_days, 9) });
  return e.crosses_border ? `${words} ${t("tx_edge_border", { from: countryName(e.teacher_country), to: countryName(e.pupil_country) })}` : words;
}

function renderNetwork(page, v) {
  const net = v.learning;
  const origin = v.tactic.origin.circle;
  const nodes = net.nodes.map((n) => ({ ...n, name: page.circleName(n.circle), origin: n.circle === origin, text: `${page.circleName(n.circle)} — ${countryName(n.country)}, ${dayText(n.date)}` }));
  const edges = net.edges.map((e) => ({ ...e, text: edgeText(page, e) }));
  const countries = v.first_by_country.map((r) => r.country);
  const span = Math.max(1, ...net.nodes.map((n) => n.days));
  const description = t("tx_network_desc", { count: net.nodes.length, edges: net.edges.length, borders: v.borders_crossed });
  fill(
    $("network"),
    nodes.length
      ? networkPicture({ nodes, edges, countries, countryName, span, label: t("tx_network_heading"), description, testid: "network-svg" })
      : h("p", { class: "empty" }, t("tx_no_adoptions")),
  );
  fill(
    $("network-legend"),
    h("li", {}, h("span", { class: "swatch tx-sw-edge", "aria-hidden": "true" }), t("tx_legend_edge")),
    h("li", {}, h("span", { class: "swatch tx-sw-border", "aria-hidden": "true" }), t("tx_legend_border")),
  );
  fill(
    $("edges"),
    edges.length
      ? edges.map((e) => h("li", { class: e.crosses_border ? "tx-crossing" : "", dataset: { testid: `words-${e.teacher}-${e.pupil}` } }, e.text))
      : h("li", { class: "empty" }, t("tx_no_edges")),
  );
}

function renderAdoptions(page, v) {
  fill(
    $("adoptions"),
    v.adoptions.length
      ? h(
          "table",
          { class: "tx-table tx-adoptions" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ...["nw_date_label", "tx_adopter_label", "tx_country_label", "tx_outcome_label", "tx_learned_from_label"].map((k) => h("th", { scope: "col" }, t(k))),
            ),
          ),
          h(
            "tbody",
            {},
            v.adoptions.map((a) =>
              h(
                "tr",
                { dataset: { testid: `adoption-${a.circle}`, outcome: a.outcome } },
                h("td", { "data-label": t("nw_date_label") }, dayText(a.date)),
                h("th", { scope: "row" }, h("bdi", {}, page.circleName(a.circle)), a.origin ? h("span", { class: "badge" }, t("tx_origin_badge")) : null),
                h("td", { "data-label": t("tx_country_label") }, countryName(a.country)),
                h("td", { "data-label": t("tx_outcome_label") }, t(`tx_outcome_${a.outcome}`)),
                h("td", { "data-label": t("tx_learned_from_label") }, a.learned_from ? h("bdi", {}, page.circleName(a.learned_from)) : "—"),
              ),
            ),
          ),
        )
      : h("p", { class: "empty" }, t("tx_no_adoptions")),
  );
}

function renderTranslations(page, v) {
  const items = [
    { language: v.tactic.original_language, name: v.name_original, description: v.description_original, how: "original" },
    ...v.translations,
  ];
  fill(
    $("translations"),
    items.map((tr) =>
      h(
        "li",
        { class: "cz-item", dataset: { testid: `translation-${tr.language}`, how: tr.how } },
        h("h3", {}, languageName(tr.language), " ", h("span", { class: "meta" }, t(`tx_how_${tr.how}`))),
        h("p", { lang: tr.language, dir: "auto" }, h("strong", {}, tr.name)),
        tr.description ? h("p", { lang: tr.language, dir: "auto", class: "snippet" }, tr.description) : null,
      ),
    ),
  );
}

function options(select, values, label) {
  const key = values.join(",") + document.documentElement.lang;
  if (select.dataset.key === key) return;
  const keep = select.value;
  select.dataset.key = key;
  fill(select, values.map((value) => h("option", { value }, label(value))));
  if (values.includes(keep)) select.value = keep;
}

function renderForms(page, v) {
  const record = mayRecord(page);
  const translate = mayTranslate(page);
  $("adopt-form").hidden = !record;
  $("translate-form").hidden = !translate;
  countryList([...new Set(v.adoptions.map((a) => a.country))].sort());
  options($("horizon"), HORIZONS.map(String), (d) => t("tx_horizon_days", { count: Number(d) }));
  $("horizon").value = String(horizon);
  if (record) {
    circleOptions($("adopt-circle"), page);
    const adopted = new Set(v.adoptions.map((a) => a.circle));
    const circles = $("adopt-circle");
    for (const o of circles.options) o.disabled = adopted.has(o.value);
    // a circle that has just adopted it cannot again: offer the next one that has not
    const next = [...circles.options].find((o) => !o.disabled);
    if (circles.selectedOptions[0]?.disabled && next) circles.value = next.value;
    const teachers = v.adoptions.map((a) => a.circle);
    options($("adopt-teacher"), ["", ...teachers], (c) => (c ? page.circleName(c) : t("tx_nobody")));
    options($("adopt-outcome"), OUTCOMES, (o) => t(`tx_outcome_${o}`));
    if (!dirty.has("adopt")) {
      if (!$("adopt-date").value) $("adopt-date").value = todayIso();
      if (!$("adopt-outcome").dataset.set) {
        $("adopt-outcome").value = "ongoing";
        $("adopt-outcome").dataset.set = "1";
      }
    }
  }
  if (translate) {
    const codes = SERVED.filter((l) => l !== v.tactic.original_language);
    const first = LANG !== v.tactic.original_language ? [LANG] : [];
    options($("translate-language"), [...new Set([...first, ...codes])], languageName);
    options($("translate-how"), ["human", "machine"], (k) => t(`tx_by_${k}`));
  }
}

function lines(name) {
  return { status: $(`${name}-status`), error: $(`${name}-error`), button: $(`${name}-submit`) };
}

function wire(page) {
  $("adopt-form").addEventListener("input", () => dirty.add("adopt"));
  $("horizon").addEventListener("change", () => {
    horizon = Number($("horizon").value) || 90;
    page.reread();
  });
  $("adopt-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const command = {
      type: "record_adoption",
      tactic: tacticId,
      country: countryCode($("adopt-country").value),
      outcome: $("adopt-outcome").value,
    };
    if (!page.actingCircle) command.adopter = $("adopt-circle").value;
    if ($("adopt-date").value) command.date = $("adopt-date").value;
    if ($("adopt-teacher").value) command.learned_from = $("adopt-teacher").value;
    if (await page.command(command, { ...lines("adopt"), done: "tx_adopt_done" })) {
      $("adopt-country").value = "";
      dirty.delete("adopt");
    }
  });
  $("translate-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const command = {
      type: "translate_tactic",
      tactic: tacticId,
      language: $("translate-language").value,
      name: $("translate-name").value.trim(),
      description: $("translate-description").value.trim(),
      how: $("translate-how").value,
    };
    if (await page.command(command, { ...lines("translate"), done: "tx_translate_done" })) {
      $("translate-name").value = "";
      $("translate-description").value = "";
    }
  });
}

const page = new NetworkPage("tactic", { load, render, relevant });
wire(page);
// The names and descriptions come in the page's language: read them again in a new one.
document.addEventListener("mayday:language", () => page.reread());
page.start();
