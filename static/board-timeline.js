// The timeline: an axis, the coverage track, one row per site with a bar per leg (and one in a
// backup's row for each leg it took over), the NOW line; each row's check-in state in words; a
// leg's details when its bar is tapped.
import { t } from "/static/i18n.js";
import { checkinState, coverageAt, phase, siteLeg } from "/static/model.js";
import { fill, h, isoOffset, localIso, setAttr, setText, spansDays, utcTime } from "/static/util.js";
import { $, board, now } from "/static/board-state.js";
import { actingName, lateText, legSummary, legWords } from "/static/board-words.js";

const STEPS = [1 / 6, 1 / 4, 1 / 2, 1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].map((m) => m * 60000);
const PHONE = window.matchMedia("(max-width: 640px)");

function pct(ms) {
  const model = board.model;
  const span = model.end - model.start || 1;
  return ((ms - model.start) / span) * 100;
}

// Time runs the way the page reads: left to right, or right to left in Arabic (the site labels
// are then on the right, where the relay starts): board.startSide.
function place(el, start, end) {
  const from = Math.max(0, Math.min(100, pct(start)));
  const to = Math.max(0, Math.min(100, pct(end)));
  el.style[board.startSide] = `${from}%`;
  el.style.width = `${Math.max(0, to - from)}%`;
}

export function buildTimeline() {
  const model = board.model;
  const side = (board.startSide = document.documentElement.dir === "rtl" ? "right" : "left");
  const tl = $("timeline");
  board.rows.clear();
  board.sitesDirty = true;
  const span = model.end - model.start;
  const step = STEPS.find((s) => span / s <= 6) || STEPS[STEPS.length - 1];
  const withDay = spansDays(model.start, model.end);

  const axis = h("div", { class: "tl-track tl-axis-track", "aria-hidden": "true" });
  const overlay = h("div", { class: "tl-overlay", "aria-hidden": "true" });
  for (let tk = Math.ceil(model.start / step) * step; tk <= model.end; tk += step) {
    const label = h("span", { class: "tl-tick" }, utcTime(tk, { withDay: withDay && tk % 86400000 === 0, seconds: "auto" }));
    label.style[side] = `${pct(tk)}%`;
    axis.append(label);
    const line = h("span", { class: "tl-gridline" });
    line.style[side] = `${pct(tk)}%`;
    overlay.append(line);
  }
  for (const g of model.gaps) {
    const band = h("span", { class: "tl-gap" });
    place(band, g.start, g.end);
    overlay.append(band);
  }
  // the NOW label has a lane of its own under the tick labels, so it never covers one
  const nowLine = h("span", { class: "tl-now", dataset: { testid: "now-line" } }, h("span", { class: "tl-now-label", dataset: { testid: "now-label" } }, t("timeline_now")));
  overlay.append(nowLine);

  const coverage = h("div", { class: "tl-track tl-coverage-track", dataset: { testid: "coverage" } });
  const maxSites = Math.max(1, ...model.coverage.map((c) => c.sites));
  for (const c of model.coverage) {
    const title =
      c.sites === 0
        ? t("coverage_gap", { from: utcTime(c.start, { withDay }), to: utcTime(c.end, { withDay }) })
        : t("coverage_span", { count: c.sites, from: utcTime(c.start, { withDay }), to: utcTime(c.end, { withDay }) });
    const level = c.sites === 0 ? 0 : Math.min(4, Math.ceil((c.sites / maxSites) * 4));
    const seg = h("span", { class: `tl-cov cov-${level}`, title, dataset: { sites: c.sites } }, String(c.sites));
    place(seg, c.start, c.end);
    coverage.append(seg);
  }

  const list = h("ul", { class: "tl-rows", "aria-labelledby": "timeline-heading" });
  for (const site of model.sites) {
    const state = h("span", { class: "site-state", dataset: { testid: `checkin-${site.id}`, state: "pending", phase: "upcoming", site: site.id } });
    const legIdx = model.legsBySite.get(site.id) || [];
    const offset = legIdx.length ? isoOffset(model.legs[legIdx[0]].localStart) : "";
    const label = h(
      "div",
      { class: "tl-label" },
      h("span", { class: "site-name" }, site.name),
      h("span", { class: "site-tz" }, offset ? `${site.tz} · ${t("utc_offset", { offset })}` : site.tz),
      state,
    );
    const track = h("div", { class: "tl-track" });
    const bars = new Map();
    for (const i of legIdx) bars.set(i, legBar(track, model.legs[i], false));
    const row = h("li", { class: "tl-row site-row", dataset: { site: site.id } }, label, track);
    board.rows.set(site.id, { row, state, bars, track });
    list.append(row);
  }

  const covNow = h("span", { class: "cov-now", dataset: { testid: "coverage-now" } });
  board.timelineEls = { nowLine, covNow };
  fill(
    tl,
    h("div", { class: "tl-row tl-axis" }, h("div", { class: "tl-label" }), axis),
    h("div", { class: "tl-row tl-coverage" }, h("div", { class: "tl-label" }, t("timeline_coverage"), covNow), coverage),
    list,
    overlay,
  );
}

function legBar(track, leg, acting) {
  const i = leg.index;
  const bar = h("button", {
    type: "button",
    class: "tl-bar",
    dataset: { leg: i, testid: acting ? `leg-${i}-backup` : `leg-${i}` },
    onclick: (e) => showLeg(i, e.currentTarget),
  });
  place(bar, leg.start, leg.end);
  track.append(bar);
  return bar;
}

export function renderNowLine(n) {
  const els = board.timelineEls;
  if (!els) return;
  const model = board.model;
  const line = els.nowLine;
  const inside = n >= model.start && n <= model.end;
  if (line.hidden !== !inside) line.hidden = !inside;
  const tl = $("timeline");
  if (tl.classList.contains("now-inside") !== inside) tl.classList.toggle("now-inside", inside);
  // Move only when the line would move by a visible amount: restyling a timeline of thousands
  // of rows every second costs a cheap phone more than the second it has.
  const step = 100 / Math.max(200, board.timelineWidth * 2); // half a pixel, in percent
  const left = `${(Math.round(pct(n) / step) * step).toFixed(3)}%`;
  if (inside && els.left !== left) {
    els.left = left;
    line.style[board.startSide] = left;
    // near the end the label goes on the other side of the line, inside the timeline
    const atEnd = pct(n) > 85;
    if (line.classList.contains("at-end") !== atEnd) line.classList.toggle("at-end", atEnd);
    // the per-row now-lines of the phone layout (CSS reads the custom property)
    tl.style.setProperty("--now", left);
  }
  setText(els.covNow, t("coverage_now", { n: coverageAt(model, n) }));
}

/** The next instant after `n` at which some leg starts or ends. */
export function boundaryAfter(n) {
  let next = Infinity;
  for (const leg of board.model.legs) {
    if (leg.start > n && leg.start < next) next = leg.start;
    if (leg.end > n && leg.end < next) next = leg.end;
  }
  return next;
}

export function renderSites(n) {
  const model = board.model;
  const holderLeg = model.holderLeg;
  for (const site of model.sites) {
    const r = board.rows.get(site.id);
    if (!r) continue;
    const leg = siteLeg(model, site.id, n);
    if (leg) {
      const cs = checkinState(leg, site.id);
      const ph = phase(leg, n);
      // words are rebuilt only when something they say changed (thousands of sites, every second)
      const key = `${leg.index}|${cs}|${ph}|${leg.acting}|${leg.checkedInAt}|${leg.arrival?.late_s}`;
      if (r.key === key) continue;
      r.key = key;
      setAttr(r.state, "data-state", cs);
      setAttr(r.state, "data-phase", ph);
      setAttr(r.state, "data-leg", leg.index);
      setText(r.state, legWords(leg, site.id, n));
    } else {
      setAttr(r.state, "data-state", "none");
      setAttr(r.state, "data-phase", "none");
      setText(r.state, t("state_no_legs"));
    }
  }
  for (const [id, r] of board.rows) {
    const holding = holderLeg != null && model.legs[holderLeg].acting === id;
    if (r.row.classList.contains("is-holder") !== holding) r.row.classList.toggle("is-holder", holding);
    // a leg taken over as backup also gets a bar in the backup's row
    for (const i of model.actingFor.get(id) || []) {
      if (!r.bars.has(i)) r.bars.set(i, legBar(r.track, model.legs[i], true));
    }
    for (const [i, bar] of r.bars) {
      const l = model.legs[i];
      const ph = phase(l, n);
      const acting = l.site !== id;
      const cs = checkinState(l, id);
      const cls = `tl-bar phase-${ph} state-${cs}${l.checkedInAt != null ? " is-checked" : ""}${acting ? " acting" : ""}${i === holderLeg && (acting || !l.replaced) ? " holder" : ""}${l.arrival?.late ? " late" : ""}${i === board.selectedLeg ? " selected" : ""}`;
      if (bar.className !== cls) bar.className = cls;
      const key = `${ph}|${cs}|${l.acting}|${l.checkedInAt}|${l.arrival?.late_s}`;
      if (bar.dataset.key === key) continue;
      bar.dataset.key = key;
      const summary = legSummary(l);
      setAttr(bar, "aria-label", summary);
      setAttr(bar, "title", summary);
    }
  }
}

export function showLeg(i, opener = null) {
  const model = board.model;
  const leg = model.legs[i];
  const box = $("leg-details");
  if (!leg) return;
  board.selectedLeg = i;
  if (opener) board.detailsOpener = opener;
  const site = model.siteById.get(leg.site);
  const withDay = true;
  const dl = h("dl", { class: "details-list" });
  const add = (k, v) => v && dl.append(h("dt", {}, t(k)), h("dd", {}, v));
  add("details_site", site?.name || leg.site);
  add("details_zone", `${site?.tz || ""} (${t("utc_offset", { offset: isoOffset(leg.localStart) })})`);
  add("details_local", `${localIso(leg.localStart, { withDay })} – ${localIso(leg.localEnd, { withDay, withOffset: isoOffset(leg.localEnd) !== isoOffset(leg.localStart) })}`);
  add("details_utc", `${utcTime(leg.start, { withDay, seconds: "auto" })} – ${utcTime(leg.end, { withDay, seconds: "auto" })}`);
  add("details_hours", t("details_hours_value", { h: Math.round(leg.hours * 100) / 100 }));
  add("details_state", legWords(leg, leg.site, now()));
  if (leg.acting !== leg.site) add("details_acting", actingName(leg.acting, leg.site));
  if (leg.arrival) add("details_handoff", leg.arrival.late ? lateText(leg.arrival) : t("handed_on_time"));
  if (leg.warnings.length) add("details_warnings", leg.warnings.join("; "));
  const wasHidden = box.hidden;
  fill(
    box,
    h(
      "div",
      { class: "card-head" },
      h("h3", { id: "leg-details-heading" }, t("leg_heading", { n: i + 1, site: site?.name || leg.site })),
      h("button", { type: "button", class: "btn btn-small", dataset: { testid: "leg-details-close" }, onclick: hideLeg }, t("details_close")),
    ),
    dl,
  );
  box.hidden = false;
  renderSites(now());
  if (opener) revealDetails(box, opener, wasHidden);
}

/** Show the details where the person is looking: on a phone they are a sheet at the bottom of
 * the screen (and the tapped bar stays in view above it); elsewhere they are scrolled into view. */
function revealDetails(box, opener, focus) {
  if (PHONE.matches) {
    const sheetTop = window.innerHeight - box.offsetHeight;
    const bar = opener.getBoundingClientRect();
    if (bar.bottom > sheetTop - 8) window.scrollBy({ top: bar.bottom - sheetTop + 16 });
    else if (bar.top < 0) window.scrollBy({ top: bar.top - 16 });
  } else {
    box.scrollIntoView({ block: "nearest" });
  }
  if (focus) box.focus({ preventScroll: true });
}

function hideLeg() {
  board.selectedLeg = null;
  $("leg-details").hidden = true;
  renderSites(now());
  const opener = board.detailsOpener;
  if (opener && opener.isConnected) opener.focus({ preventScroll: true });
  board.detailsOpener = null;
}

/** The timeline's width as it changes, and Escape closing a leg's details. */
export function watchTimeline() {
  new ResizeObserver((entries) => {
    board.timelineWidth = entries[0].contentRect.width;
  }).observe($("timeline"));
  $("leg-details").addEventListener("keydown", (e) => {
    if (e.key === "Escape") hideLeg();
  });
}
