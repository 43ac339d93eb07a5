// The relay board (/relay/{id}): folds the relay's events into a view model (model.js), keeps a
// live connection (live.js) and renders holder, countdown, timeline, check-in states and feed.
// Role-aware: a site link gets a Check in button and a dispatch form; the coordinator link can
// act for any site; public and viewer pages are read-only.
import { applyI18n, languagePicker, t } from "/static/i18n.js";
import { LiveStream, CLOSE_NOT_FOUND } from "/static/live.js";
import {
  applyEvent,
  checkinState,
  checkinTarget,
  coverageAt,
  emptyModel,
  holderInfo,
  phase,
  siteLeg,
  siteName,
} from "/static/model.js";
import {
  api,
  clock,
  copyField,
  duration,
  errorMessage,
  fill,
  fragmentParam,
  h,
  isLinkFragment,
  isoOffset,
  localIso,
  setAttr,
  setText,
  showConnection,
  skipLinks,
  spansDays,
  utcLabel,
  utcTime,
  zoneTime,
} from "/static/util.js";

applyI18n();

const $ = (id) => document.getElementById(id);
const RELAY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const relayId = (() => {
  try {
    return decodeURIComponent(location.pathname.split("/")[2] || "");
  } catch {
    return "";
  }
})();
const token = fragmentParam("t");

// Another link opened in this tab changes only the fragment: the page must not go on acting
// with the old link (checking in or posting as the wrong site). Start again with the new one.
// Other fragment changes (the skip link's #main) keep the page.
window.addEventListener("hashchange", () => {
  if (fragmentParam("t") !== token && isLinkFragment()) location.reload();
});

let model = emptyModel();
let role = null; // public | viewer | site | coordinator (from welcome)
let subject = null; // the site of a site link
let synced = false;
let built = false; // timeline and rows built for this relay
let renderQueued = false;
let sitesDirty = true;
let nextBoundary = 0;
let selectedLeg = null;
const rows = new Map(); // site id -> {row, label, state, bars: Map(leg index -> el)}
let timelineEls = null;
let feedTop = 0; // highest dispatch offset in the DOM
let activityTop = 0;
let lastStatus = null; // the connection's last status, to redraw it in another language
const busy = { checkin: false, coordCheckin: false, dispatch: false, queuedCheckin: false };

const stream = new LiveStream(
  `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/relay/${encodeURIComponent(relayId)}`,
  token,
  {
    afterOffset: () => model.offset,
    onWelcome,
    onEvent,
    onStatus: renderConnection,
    onSynced: () => {
      synced = true;
      $("feed").setAttribute("aria-busy", "false");
      scheduleRender();
    },
    onClock: () => renderClockWarning(),
  },
);

const now = () => stream.clock.now();

// Stream handlers -----------------------------------------------------------------------------

function onWelcome(frame) {
  if (frame.offset < model.offset) {
    // the server's log is shorter than what we hold (it was reset): start again from nothing
    resetBoard();
    return "reset";
  }
  role = frame.role;
  subject = frame.subject;
  synced = false;
  setupRole();
  updateCount(); // the dispatch's limit came with the welcome
  scheduleRender();
  return "ok";
}

function onEvent(frame) {
  const before = model.holderLeg;
  const r = applyEvent(model, frame.offset, frame.event, frame.data);
  if (r !== "ok") return r;
  if (frame.event === "relay_created") built = false;
  if (synced && frame.event === "baton_passed" && before !== model.holderLeg) flash($("holder"));
  if (synced && frame.event === "dispatch_posted") flash($("feed-heading"));
  if (synced && frame.event === "site_link_rotated" && role === "site" && frame.data?.site === subject) {
    // Our site's link was just replaced. The server keeps streaming to an open socket and only
    // refuses its commands, so say hello again: a revoked link is then refused (4001) and shown.
    setTimeout(() => stream.reconnect(), 0);
  }
  sitesDirty = true;
  scheduleRender();
  return r;
}

function resetBoard() {
  model = emptyModel();
  built = false;
  rows.clear();
  timelineEls = null;
  feedTop = activityTop = 0;
  fill($("feed"));
  fill($("activity"));
  fill($("timeline"));
}

function flash(el) {
  // two classes with twin keyframes restart the animation without forcing a layout
  const again = el.classList.contains("flash-a");
  el.classList.remove("flash-a", "flash-b");
  el.classList.add(again ? "flash-b" : "flash-a");
}

// Rendering -----------------------------------------------------------------------------------

function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  const run = () => {
    if (!renderQueued) return;
    renderQueued = false;
    render();
  };
  requestAnimationFrame(run);
  setTimeout(run, 250); // rAF does not run in a hidden tab; the board should still catch up
}

function render() {
  if (!model.created) return;
  const n = now();
  if (!built) build();
  $("loading").hidden = true;
  $("board").hidden = false;
  renderHolder(n);
  // site states only change with an event or when a leg starts or ends
  if (sitesDirty || n >= nextBoundary) {
    sitesDirty = false;
    renderSites(n);
    nextBoundary = boundaryAfter(n);
  }
  renderNowLine(n);
  renderControls(n);
  renderFeed();
  renderActivity();
  setText($("utc-clock"), t("utc_now", { time: utcTime(n, { seconds: true }) }));
}

function tick() {
  render();
  // wake just after the next whole server second, so countdowns change in step
  setTimeout(tick, 1020 - (now() % 1000));
}

function build() {
  built = true;
  document.title = t("board_title", { name: model.name });
  setText($("relay-name"), model.name);
  buildTimeline();
  if (selectedLeg !== null) showLeg(selectedLeg);
  setupRole();
  setupCalendar();
}

function renderConnection(status) {
  lastStatus = status;
  showConnection(status);
  if (status.state === "failed") {
    showFatal(status);
    role = null; // whatever this link could do, it cannot any more
    setupRole();
  }
  if (status.state !== "live") synced = false;
  renderControls(now());
}

function showFatal(status) {
  if (status.closeCode === CLOSE_NOT_FOUND) {
    showNotFound();
    return;
  }
  const box = $("fatal");
  const message = status.error?.message || "";
  let msg = t("bad_link", { message });
  if (!token) msg = t("cannot_open", { message }); // e.g. a private board opened without a link
  else if (status.error?.code === "revoked" || message === "revoked") msg = t("link_revoked");
  fill(box, h("p", {}, msg));
  if (token) {
    box.append(h("p", {}, h("a", { href: `/relay/${encodeURIComponent(relayId)}` }, t("open_public_board"))));
  }
  box.hidden = false;
  $("loading").hidden = true;
}

/** No relay with this id (or no id, or one that cannot be an id): say so plainly, and the way on. */
function showNotFound() {
  stream.stop();
  document.body.dataset.state = "not-found";
  document.title = `${t("not_found_title")} — ${t("app_name")}`;
  setText($("relay-name"), t("not_found_title"));
  setText($("not-found-text"), relayId ? t("not_found_text", { id: relayId }) : t("no_relay_id"));
  $("not-found").hidden = false;
  $("loading").hidden = true;
  $("board").hidden = true;
  $("fatal").hidden = true;
  $("role").hidden = true;
  $("connection").hidden = true;
  $("utc-clock").hidden = true;
}

function renderClockWarning() {
  const c = stream.clock;
  const el = $("clock-warning");
  const off = c.offset / 1000;
  const show = c.known && c.uncertainty < 5000 && Math.abs(off) > 30;
  el.hidden = !show;
  if (show) setText(el, t("clock_off", { s: Math.round(off) }));
  setAttr($("utc-clock"), "title", c.known ? t("clock_offset_title", { ms: Math.round(c.offset), pm: Math.round(c.uncertainty) }) : null);
}

function siteTz(id) {
  return model.siteById.get(id)?.tz || "UTC";
}

function lateText(data) {
  return t("handed_late", { late: duration((data.late_s || 0) * 1000) });
}

/** "Sydney warehouse, for Auckland dockers" when `acting` holds a leg planned for another site. */
function actingName(acting, planned) {
  return acting != null && planned != null && acting !== planned
    ? t("site_for", { site: siteName(model, acting), planned: siteName(model, planned) })
    : siteName(model, acting);
}

function renderHolder(n) {
  const info = holderInfo(model);
  const holder = $("holder");
  const leg = info.leg;
  const asBackup = Boolean(leg && leg.acting !== leg.site);
  setAttr(holder, "data-site", leg ? leg.acting : "");
  setAttr(holder, "data-for", asBackup ? leg.site : null);
  setAttr(holder, "data-status", info.status);
  let name;
  if (leg) name = siteName(model, leg.acting);
  else if (info.status === "gap") name = t("holder_gap");
  else if (info.status === "finished") name = t("holder_finished");
  else name = t("holder_nobody");
  setText($("holder-name"), name);
  // a backup holds the baton for the site that missed its check-in: say for whom
  setText($("holder-for"), asBackup ? t("holder_for", { site: siteName(model, leg.site) }) : "");
  setText($("holder-local"), leg ? t("holder_local", { time: zoneTime(n, siteTz(leg.acting)), tz: siteTz(leg.acting) }) : "");

  const meta = [];
  const takeover = asBackup && leg.backupInfo ? Date.parse(leg.backupInfo.at) : NaN;
  if (Number.isFinite(takeover)) {
    // the backup has held it since it took over, not since the baton reached the planned site
    meta.push(h("span", { dataset: { testid: "holder-since" } }, t("holder_since_takeover", { time: utcLabel(takeover, { seconds: "auto" }) })));
  } else if (info.lastPass && (leg || info.status !== "before")) {
    meta.push(h("span", { dataset: { testid: "holder-since" } }, t("holder_since", { time: utcLabel(info.lastPass.atMs, { seconds: "auto" }) })));
    if (info.lastPass.late) meta.push(h("span", { class: "late", dataset: { testid: "holder-late" } }, lateText(info.lastPass)));
  }
  if (leg) {
    const cs = checkinState(leg, leg.acting);
    let chip;
    if (cs === "checked-in") chip = t("holder_checked_in");
    else if (cs === "pending") chip = asBackup ? t("holder_backup_not_checked_in") : t("holder_not_checked_in");
    else chip = stateText(leg, leg.acting);
    meta.push(h("span", { class: `chip chip-${cs}`, dataset: { testid: "holder-chip" } }, chip));
  }
  const key = meta.map((m) => m.textContent).join("|");
  const metaEl = $("holder-meta");
  if (metaEl.dataset.key !== key) {
    metaEl.dataset.key = key;
    fill(metaEl, meta);
  }
  holder.classList.toggle("is-late", Boolean(info.lastPass?.late && leg));

  // next handoff
  const next = info.next;
  const nextEl = $("next");
  let nextName = t("next_none");
  let nextSite = "";
  if (next) {
    if (next.toLeg != null) {
      const to = model.legs[next.toLeg];
      nextSite = to.acting;
      // the same site taking the baton again (a backup whose own leg is next) is said so
      nextName = leg && leg.acting === to.acting && asBackup && to.acting === to.site
        ? t("next_own_leg", { site: siteName(model, to.acting) })
        : actingName(to.acting, to.site);
    } else {
      nextName = next.index === model.handoffs.length - 1 ? t("next_end") : t("next_gap");
    }
  }
  setAttr(nextEl, "data-site", nextSite);
  setText($("next-name"), nextName);
  const cd = $("countdown");
  if (next) {
    const left = next.at - n;
    const text = left > 0 ? clock(left) : t("countdown_due");
    setText(cd, text);
    setAttr(cd, "data-ms", Math.round(left));
    setText(
      $("next-at"),
      info.status === "before"
        ? t("starts_in", { time: utcLabel(next.at, { seconds: "auto", withDay: spansDays(n, next.at) }) })
        : t("next_at", { time: utcLabel(next.at, { seconds: "auto", withDay: spansDays(n, next.at) }) }),
    );
  } else {
    setText(cd, "");
    setAttr(cd, "data-ms", null);
    setText($("next-at"), "");
  }
}

/** A leg's check-in as `site` sees it (default: the planned site), in words. */
function stateText(leg, site = leg.site) {
  const cs = checkinState(leg, site);
  const ph = phase(leg, now());
  const withDay = spansDays(model.start, model.end);
  switch (cs) {
    case "checked-in": {
      const time = utcLabel(leg.checkedInAt, { withDay });
      return leg.checkinLateS > 0
        ? t("state_checked_in_late", { time, late: duration(leg.checkinLateS * 1000) })
        : t("state_checked_in_at", { time });
    }
    case "backup": {
      // the planned site's leg, taken over by its backup: that is what happened to it
      const took = t("state_replaced", { site: siteName(model, leg.acting) });
      if (leg.checkedInAt == null) return took;
      return `${took} · ${t("state_backup_checked_in", { time: utcLabel(leg.checkedInAt, { withDay }) })}`;
    }
    case "missed":
      if (ph === "done") return t("state_missed");
      return leg.missed?.backup
        ? t("state_missed_backup", { site: siteName(model, leg.missed.backup) })
        : t("state_missed_no_backup");
    default:
      if (ph === "done") return t("state_pending");
      // a backup that took a leg over is past its deadline already: no "check in by" for it
      if (!model.graceMs || site !== leg.site) return t("state_not_checked_in");
      return t("state_pending_by", { time: utcLabel(leg.start + model.graceMs, { withDay, seconds: "auto" }) });
  }
}

/** The whole truth about a leg as `site` sees it: whose leg it holds, where the leg is in time
 * ("on strike" only once somebody checked in), its check-in, a late handoff. */
function legWords(leg, site, n) {
  const cs = checkinState(leg, site);
  const ph = phase(leg, n);
  const parts = [];
  if (leg.site !== site) parts.push(t("acting_for", { site: siteName(model, leg.site) }));
  if (cs === "checked-in") parts.push(t(`phase_${ph}`));
  else if (cs === "pending") parts.push(t(ph === "striking" ? "phase_started" : `phase_${ph}`));
  else if (cs === "missed" && ph === "done") parts.push(t("phase_done"));
  parts.push(stateText(leg, site));
  if (leg.arrival?.late) parts.push(t("state_handed_late", { late: duration((leg.arrival.late_s || 0) * 1000) }));
  return parts.join(" · ");
}

function legSummary(leg) {
  const withDay = spansDays(model.start, model.end);
  return t("leg_summary", {
    site: siteName(model, leg.site),
    n: leg.index + 1,
    local_start: localIso(leg.localStart, { withDay }),
    local_end: localIso(leg.localEnd, { withDay }),
    utc_start: utcTime(leg.start, { withDay, seconds: "auto" }),
    utc_end: utcTime(leg.end, { withDay, seconds: "auto" }),
    state: legWords(leg, leg.site, now()),
  });
}

// Timeline ------------------------------------------------------------------------------------

const STEPS = [1 / 6, 1 / 4, 1 / 2, 1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].map((m) => m * 60000);

function pct(ms) {
  const span = model.end - model.start || 1;
  return ((ms - model.start) / span) * 100;
}

// Time runs the way the page reads: left to right, or right to left in Arabic (the site labels
// are then on the right, where the relay starts).
let START_SIDE = "left";

function place(el, start, end) {
  const from = Math.max(0, Math.min(100, pct(start)));
  const to = Math.max(0, Math.min(100, pct(end)));
  el.style[START_SIDE] = `${from}%`;
  el.style.width = `${Math.max(0, to - from)}%`;
}

function buildTimeline() {
  const tl = $("timeline");
  START_SIDE = document.documentElement.dir === "rtl" ? "right" : "left";
  rows.clear();
  sitesDirty = true;
  const span = model.end - model.start;
  const step = STEPS.find((s) => span / s <= 6) || STEPS[STEPS.length - 1];
  const withDay = spansDays(model.start, model.end);

  const axis = h("div", { class: "tl-track tl-axis-track", "aria-hidden": "true" });
  const overlay = h("div", { class: "tl-overlay", "aria-hidden": "true" });
  for (let tk = Math.ceil(model.start / step) * step; tk <= model.end; tk += step) {
    const label = h("span", { class: "tl-tick" }, utcTime(tk, { withDay: withDay && tk % 86400000 === 0, seconds: "auto" }));
    label.style[START_SIDE] = `${pct(tk)}%`;
    axis.append(label);
    const line = h("span", { class: "tl-gridline" });
    line.style[START_SIDE] = `${pct(tk)}%`;
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
    rows.set(site.id, { row, state, bars, track });
    list.append(row);
  }

  const covNow = h("span", { class: "cov-now", dataset: { testid: "coverage-now" } });
  timelineEls = { nowLine, covNow };
  fill(
    tl,
    h("div", { class: "tl-row tl-axis" }, h("div", { class: "tl-label" }), axis),
    h("div", { class: "tl-row tl-coverage" }, h("div", { class: "tl-label" }, t("timeline_coverage"), covNow), coverage),
    list,
    overlay,
  );
}

// the timeline's width, without forcing a layout on every tick
let timelineWidth = 0;
new ResizeObserver((entries) => {
  timelineWidth = entries[0].contentRect.width;
}).observe($("timeline"));

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

function renderNowLine(n) {
  if (!timelineEls) return;
  const line = timelineEls.nowLine;
  const inside = n >= model.start && n <= model.end;
  if (line.hidden !== !inside) line.hidden = !inside;
  const tl = $("timeline");
  if (tl.classList.contains("now-inside") !== inside) tl.classList.toggle("now-inside", inside);
  // Move only when the line would move by a visible amount: restyling a timeline of thousands
  // of rows every second costs a cheap phone more than the second it has.
  const step = 100 / Math.max(200, timelineWidth * 2); // half a pixel, in percent
  const left = `${(Math.round(pct(n) / step) * step).toFixed(3)}%`;
  if (inside && timelineEls.left !== left) {
    timelineEls.left = left;
    line.style[START_SIDE] = left;
    // near the end the label goes on the other side of the line, inside the timeline
    const atEnd = pct(n) > 85;
    if (line.classList.contains("at-end") !== atEnd) line.classList.toggle("at-end", atEnd);
    // the per-row now-lines of the phone layout (CSS reads the custom property)
    tl.style.setProperty("--now", left);
  }
  setText(timelineEls.covNow, t("coverage_now", { n: coverageAt(model, n) }));
}

/** The next instant after `n` at which some leg starts or ends. */
function boundaryAfter(n) {
  let next = Infinity;
  for (const leg of model.legs) {
    if (leg.start > n && leg.start < next) next = leg.start;
    if (leg.end > n && leg.end < next) next = leg.end;
  }
  return next;
}

function renderSites(n) {
  const holderLeg = model.holderLeg;
  for (const site of model.sites) {
    const r = rows.get(site.id);
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
  for (const [id, r] of rows) {
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
      const cls = `tl-bar phase-${ph} state-${cs}${l.checkedInAt != null ? " is-checked" : ""}${acting ? " acting" : ""}${i === holderLeg && (acting || !l.replaced) ? " holder" : ""}${l.arrival?.late ? " late" : ""}${i === selectedLeg ? " selected" : ""}`;
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

function showLeg(i, opener = null) {
  const leg = model.legs[i];
  const box = $("leg-details");
  if (!leg) return;
  selectedLeg = i;
  if (opener) detailsOpener = opener;
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

let detailsOpener = null;
const PHONE = window.matchMedia("(max-width: 640px)");

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
  selectedLeg = null;
  $("leg-details").hidden = true;
  renderSites(now());
  if (detailsOpener && detailsOpener.isConnected) detailsOpener.focus({ preventScroll: true });
  detailsOpener = null;
}

$("leg-details").addEventListener("keydown", (e) => {
  if (e.key === "Escape") hideLeg();
});

// Feed and activity -----------------------------------------------------------------------------

function renderFeed() {
  const list = $("feed");
  const fresh = model.dispatches.filter((d) => d.offset > feedTop);
  for (const d of fresh) {
    list.prepend(feedItem(d));
    feedTop = d.offset;
  }
  while (list.children.length > model.dispatches.length) list.lastElementChild.remove();
  $("feed-empty").hidden = model.dispatches.length > 0;
}

function feedItem(d) {
  const site = d.site ? model.siteById.get(d.site) : null;
  const when = Number.isFinite(d.at) ? d.at : now();
  const utc = utcLabel(when, { withDay: spansDays(when, now()) });
  let time = utc;
  if (site) {
    const local = zoneTime(when, site.tz);
    // a site on UTC (Lisbon in winter, Accra...) is not told the same time twice
    time = local === utcTime(when) ? t("feed_time_same", { utc, site: site.name }) : t("feed_time_local", { utc, local, site: site.name });
  }
  const head = h(
    "p",
    { class: "feed-head" },
    h("strong", { class: "feed-site" }, site ? site.name : d.site || t("feed_from_coordinators")),
    " ",
    h("time", { class: "feed-time", datetime: new Date(when).toISOString() }, time),
  );
  return h(
    "li",
    { class: `feed-item${d.site ? "" : " from-coordinators"}`, dataset: { testid: "feed-item", offset: d.offset, site: d.site || "" } },
    head,
    h("p", { class: "feed-text" }, d.text),
  );
}

function renderActivity() {
  const list = $("activity");
  for (const a of model.activity.filter((x) => x.offset > activityTop)) {
    const item = activityItem(a);
    if (item) list.prepend(item);
    activityTop = a.offset;
  }
  while (list.children.length > model.activity.length) list.lastElementChild.remove();
  $("activity-empty").hidden = list.children.length > 0;
}

function activityItem(a) {
  const d = a.data;
  const name = (id) => siteName(model, id);
  let text;
  let late = null;
  switch (a.type) {
    case "relay_created":
      text = t("act_created", { count: model.legs.length });
      break;
    case "baton_passed": {
      if (d.from == null && d.to == null) return null;
      // from/to are the sites acting for the legs: a backup passes (or gets) the baton for another
      const planned = (legIndex) => model.legs[legIndex]?.site;
      const from = actingName(d.from, planned(d.from_leg));
      const to = actingName(d.to, planned(d.to_leg));
      text = d.from == null ? t("act_start", { to }) : d.to == null ? t("act_end", { from }) : t("act_pass", { from, to });
      if (d.late) late = t("act_late", { late: duration(d.late_s * 1000) });
      break;
    }
    case "checked_in":
      if (d.late_s > 0) text = t("act_checked_in_late", { site: name(d.site), late: duration(d.late_s * 1000) });
      else if (d.by === "coordinator") text = t("act_checked_in_by_coordinators", { site: name(d.site) });
      else text = t("act_checked_in", { site: name(d.site) });
      break;
    case "checkin_missed":
      text = d.backup ? t("act_missed", { site: name(d.site), backup: name(d.backup) }) : t("act_missed_no_backup", { site: name(d.site) });
      break;
    case "backup_took_leg":
      text = t("act_backup", { site: name(d.site), backup: name(d.backup) });
      break;
    case "dispatch_posted":
      text = t("act_dispatch", { site: d.site ? name(d.site) : t("feed_from_coordinators") });
      break;
    case "site_link_rotated":
      text = t("act_rotated", { site: name(d.site) });
      break;
    default:
      return null;
  }
  const when = a.at;
  return h(
    "li",
    { class: `act act-${a.type}${late ? " late" : ""}`, dataset: { offset: a.offset, type: a.type } },
    Number.isFinite(when) ? h("time", { datetime: new Date(when).toISOString() }, utcTime(when, { seconds: true })) : null,
    h("span", { class: "act-text" }, text),
    late ? h("span", { class: "late" }, ` · ${late}`) : null,
  );
}

// Controls ------------------------------------------------------------------------------------

function setupRole() {
  // who this page acts as, said plainly at the top: a person with two links open must not mix
  // them up (a check-in or a dispatch goes out under this name)
  const roleEl = $("role");
  const roleText = {
    public: t("you_are_public"),
    viewer: t("you_are_viewer"),
    coordinator: t("you_are_coordinator"),
    site: t("you_are_site", { site: siteName(model, subject), id: subject }),
  }[role];
  const failed = lastStatus?.state === "failed";
  setText(roleEl, roleText || (token && !failed ? t("you_are_checking") : ""));
  roleEl.hidden = !roleEl.textContent || failed;
  setAttr(roleEl, "data-role", role || "");
  const isSite = role === "site" && subject;
  const isCoord = role === "coordinator";
  $("site-controls").hidden = !isSite;
  $("coord-controls").hidden = !isCoord;
  $("dispatch-card").hidden = !(isSite || isCoord);
  $("dispatch-from-field").hidden = !isCoord;
  $("links-card").hidden = !isCoord;
  document.body.dataset.role = role || "";
  if (!model.created) return;
  if (isSite) setText($("site-controls-heading"), t("controls_heading", { site: siteName(model, subject) }));
  if (isCoord) {
    fillSelect($("coord-site"), model.sites.map((s) => [s.id, s.name]));
    fillSelect($("dispatch-from"), [["", t("dispatch_from_coordinators")], ...model.sites.map((s) => [s.id, s.name])]);
  }
  if (model.graceMs) setText($("checkin-hint"), t("checkin_hint", { grace: duration(model.graceMs) }));
}

function fillSelect(select, options) {
  const keep = select.value;
  const key = options.map(([v, l]) => `${v}=${l}`).join("|");
  if (select.dataset.key === key) return;
  select.dataset.key = key;
  fill(select, options.map(([value, label]) => h("option", { value }, label)));
  if (options.some(([v]) => v === keep)) select.value = keep;
}

function renderControls(n) {
  if (!model.created) return;
  if (role === "site" && subject) {
    const target = checkinTarget(model, subject, n);
    const button = $("checkin-button");
    const withDay = spansDays(model.start, model.end);
    let label = t("checkin_button");
    let disabled = false;
    if (busy.checkin) {
      label = t("checkin_sending");
      disabled = true;
    } else if (!target) {
      label = t("checkin_no_leg");
      disabled = true;
    } else if (target.checkedInAt != null) {
      label = t("checkin_done");
      disabled = true;
    }
    setText(button, label);
    button.disabled = disabled;
    setAttr(button, "data-leg", target ? target.index : null);
    const shown = target || siteLeg(model, subject, n);
    if (shown) {
      const local = `${localIso(shown.localStart, { withDay })} – ${localIso(shown.localEnd, { withDay })}`;
      const utc = t("utc_suffix", { time: `${utcTime(shown.start, { withDay, seconds: "auto" })} – ${utcTime(shown.end, { withDay, seconds: "auto" })}` });
      let text = t("checkin_your_leg", { local, utc });
      if (shown.site !== subject) text += ` ${t("checkin_acting_for", { site: siteName(model, shown.site) })}`;
      if (shown.checkedInAt == null && model.graceMs && phase(shown, n) !== "done") {
        text += ` · ${t("checkin_by", { time: utcLabel(shown.start + model.graceMs, { withDay, seconds: "auto" }) })}`;
      }
      setText($("your-leg"), text);
    } else {
      setText($("your-leg"), "");
    }
    if (busy.queuedCheckin) setText($("checkin-status"), t("checkin_queued"));
  }
  if (role === "coordinator") {
    const sel = $("coord-site");
    const target = sel.value ? checkinTarget(model, sel.value, n) : null;
    const btn = $("coord-checkin-button");
    btn.disabled = busy.coordCheckin || !target || target.checkedInAt != null;
    setAttr(btn, "data-leg", target ? target.index : null);
  }
  const send = $("dispatch-submit");
  send.disabled = busy.dispatch;
  setText(send, busy.dispatch ? t("dispatch_sending") : t("dispatch_send"));
}

function commandError(err) {
  if (err.offline) return t("dispatch_offline");
  if (err.unconfirmed) return t("dispatch_unconfirmed");
  return t("error_generic", { message: err.message || err.code });
}

async function checkIn(site, leg, ui) {
  const { status, error, flag } = ui;
  setText(error, "");
  setText(status, "");
  busy[flag] = true;
  const queued = !stream.live;
  if (queued && flag === "checkin") busy.queuedCheckin = true;
  if (queued) setText(status, t("checkin_queued"));
  renderControls(now());
  const command = { type: "check_in" };
  if (site) command.site = site;
  if (leg != null) command.leg = leg;
  try {
    await stream.command(command, { retry: true });
    // a site's own button turns into "Checked in"; a coordinator is told which site it was
    setText(status, site ? t("coord_checked_in", { site: siteName(model, site) }) : "");
  } catch (err) {
    setText(status, "");
    setText(error, commandError(err));
  } finally {
    busy[flag] = false;
    if (flag === "checkin") busy.queuedCheckin = false;
    renderControls(now());
  }
}

$("checkin-button").addEventListener("click", () => {
  const target = checkinTarget(model, subject, now());
  checkIn(null, target ? target.index : null, { status: $("checkin-status"), error: $("checkin-error"), flag: "checkin" });
});

$("coord-checkin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const site = $("coord-site").value;
  const target = checkinTarget(model, site, now());
  checkIn(site, target ? target.index : null, {
    status: $("coord-checkin-status"),
    error: $("coord-checkin-error"),
    flag: "coordCheckin",
  });
});
$("coord-site").addEventListener("change", () => {
  setText($("coord-checkin-error"), "");
  setText($("coord-checkin-status"), "");
  renderControls(now());
});

/** "12 / N": the dispatch's length against the server's limit N (welcome.limits.dispatch, which
 * live.js also puts on the field as its maxlength). Nothing before the welcome: the form is hidden. */
function updateCount() {
  const max = stream.limits.dispatch;
  const n = [...$("dispatch-text").value].length;
  setText($("dispatch-count"), max ? t("dispatch_count", { n, max }) : "");
}
$("dispatch-text").addEventListener("input", updateCount);
updateCount();

$("dispatch-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const area = $("dispatch-text");
  const error = $("dispatch-error");
  const status = $("dispatch-status");
  setText(error, "");
  setText(status, "");
  const text = area.value.trim();
  if (!text) {
    setText(error, t("dispatch_empty"));
    area.focus();
    return;
  }
  const command = { type: "dispatch", text };
  if (role === "coordinator" && $("dispatch-from").value) command.site = $("dispatch-from").value;
  busy.dispatch = true;
  renderControls(now());
  try {
    await stream.command(command);
    area.value = "";
    updateCount();
    setText(status, t("dispatch_sent"));
    setTimeout(() => status.textContent === t("dispatch_sent") && setText(status, ""), 4000);
  } catch (err) {
    setText(error, commandError(err));
  } finally {
    busy.dispatch = false;
    renderControls(now());
  }
});

$("conn-retry").addEventListener("click", () => stream.retryNow());

// Coordinator: links ----------------------------------------------------------------------------

$("links-details").addEventListener("toggle", () => {
  if ($("links-details").open) loadLinks();
});

async function loadLinks() {
  const body = $("links-body");
  const error = $("links-error");
  setText(error, "");
  const r = await api(`/api/relays/${encodeURIComponent(relayId)}/links`, { token });
  if (!r.ok) {
    setText(error, t("links_error", { message: errorMessage(r) }));
    return;
  }
  const L = r.body;
  const list = h("dl", { class: "links-list" });
  list.append(h("dt", {}, t("link_board")), h("dd", {}, copyField(L.board, { label: t("link_board") })));
  list.append(h("dt", {}, t("link_coordinator")), h("dd", {}, copyField(L.coordinator, { label: t("link_coordinator") })));
  list.append(h("dt", {}, t("link_viewer")), h("dd", {}, copyField(L.viewer, { label: t("link_viewer") })));
  for (const [site, url] of Object.entries(L.sites)) {
    const dd = h("dd", {}, copyField(url, { label: siteName(model, site), testid: `link-${site}` }));
    const rotate = h("button", {
      type: "button",
      class: "btn btn-small btn-danger",
      onclick: async () => {
        if (!window.confirm(t("links_rotate_confirm", { site: siteName(model, site) }))) return;
        const res = await api(`/api/relays/${encodeURIComponent(relayId)}/commands`, {
          method: "POST",
          token,
          type: "application/json",
          body: JSON.stringify({ type: "rotate_site_link", site }),
        });
        if (!res.ok) setText(error, t("error_generic", { message: errorMessage(res) }));
        else loadLinks();
      },
    }, t("links_rotate"));
    dd.append(rotate);
    list.append(h("dt", {}, t("link_site", { site: siteName(model, site) })), dd);
  }
  fill(body, list);
}

// Calendars -------------------------------------------------------------------------------------

function setupCalendar() {
  const id = encodeURIComponent(relayId);
  const all = $("calendar-link");
  all.href = `/relay/${id}.ics`;
  all.hidden = false;
  const mine = $("site-calendar-link");
  if (role === "site" && subject) {
    mine.href = `/relay/${id}/sites/${encodeURIComponent(subject)}.ics`;
    mine.hidden = false;
  }
}

// A private board's calendar needs the link: fetch it with the Authorization header (never a
// ?token= query) and hand the file over as a download.
for (const id of ["calendar-link", "site-calendar-link"]) {
  $(id).addEventListener("click", async (e) => {
    if (model.board !== "private" || !token) return;
    e.preventDefault();
    const a = e.currentTarget;
    const res = await fetch(a.getAttribute("href"), {
      headers: { authorization: `Bearer ${token}` },
      credentials: "omit",
      cache: "no-store",
    }).catch(() => null);
    if (!res || !res.ok) {
      setText($("calendar-error"), t("calendar_error", { message: res ? res.status : t("network_error") }));
      return;
    }
    const url = URL.createObjectURL(await res.blob());
    const dl = h("a", { href: url, download: a.getAttribute("href").split("/").pop() });
    document.body.append(dl);
    dl.click();
    dl.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });
}

// Start -----------------------------------------------------------------------------------------

// on a phone the relay log starts folded: the holder, controls and feed come first
if (window.matchMedia("(max-width: 640px)").matches) $("activity-details").open = false;

/** Everything this page wrote itself, written again in the language just chosen. */
function relabel() {
  document.title = model.created ? t("board_title", { name: model.name }) : t("app_name");
  if (document.body.dataset.state === "not-found") {
    showNotFound();
    return;
  }
  built = false; // the timeline's labels, and its direction (Arabic runs right to left)
  feedTop = activityTop = 0;
  fill($("feed"));
  fill($("activity"));
  setupRole();
  updateCount();
  if (lastStatus) renderConnection(lastStatus); // a failed one shows its message again
  renderClockWarning();
  if ($("links-details").open && role === "coordinator") loadLinks();
  render();
}

languagePicker($("lang-slot"), { onChange: relabel });
skipLinks();

if (!relayId || !RELAY_ID.test(relayId)) {
  showNotFound();
} else {
  setupRole();
  stream.start();
  tick();
}

// for tests and the curious: the folded model (read-only use)
Object.defineProperty(window, "mayday", { value: { get model() { return model; }, stream } });
