// The relay board (/relay/{id}): folds the relay's events into a view model (model.js), keeps a
// live connection (live.js) and renders holder, countdown, timeline, check-in states and feed.
// Role-aware: a site link gets a Check in button and a dispatch form; the coordinator link can
// act for any site; public and viewer pages are read-only.
// This module is the page's life: the stream and its handlers, the render loop, what the page
// says when the link or the relay is gone, a new language. The page's state is one object
// (board-state.js); the parts of the page are drawn by board-holder.js, board-timeline.js,
// board-feed.js, board-forms.js (what a link can do) and board-links.js.
import { applyI18n, languagePicker, t } from "/static/i18n.js";
import { LiveStream, CLOSE_NOT_FOUND } from "/static/live.js";
import { applyEvent, emptyModel } from "/static/model.js";
import { fill, fragmentParam, h, isLinkFragment, setAttr, setText, showConnection, skipLinks, utcTime } from "/static/util.js";
import { $, board, now, relayId, token } from "/static/board-state.js";
import { renderHolder } from "/static/board-holder.js";
import { boundaryAfter, buildTimeline, renderNowLine, renderSites, showLeg, watchTimeline } from "/static/board-timeline.js";
import { clearFeed, renderActivity, renderFeed } from "/static/board-feed.js";
import { renderControls, setupRole, updateCount, wireForms } from "/static/board-forms.js";
import { loadLinks, setupCalendar, wireLinks } from "/static/board-links.js";
import { renderReadiness } from "/static/board-readiness.js";

applyI18n();

const RELAY_ID = /^[A-Za-z0-9_-]{1,32}$/;

// Another link opened in this tab changes only the fragment: the page must not go on acting
// with the old link (checking in or posting as the wrong site). Start again with the new one.
// Other fragment changes (the skip link's #main) keep the page.
window.addEventListener("hashchange", () => {
  if (fragmentParam("t") !== token && isLinkFragment()) location.reload();
});

const stream = (board.stream = new LiveStream(
  `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/relay/${encodeURIComponent(relayId)}`,
  token,
  {
    afterOffset: () => board.model.offset,
    onWelcome,
    onEvent,
    onStatus: renderConnection,
    onSynced: () => {
      board.synced = true;
      $("feed").setAttribute("aria-busy", "false");
      scheduleRender();
    },
    onClock: () => renderClockWarning(),
  },
));

// Stream handlers -----------------------------------------------------------------------------

function onWelcome(frame) {
  if (frame.offset < board.model.offset) {
    // the server's log is shorter than what we hold (it was reset): start again from nothing
    resetBoard();
    return "reset";
  }
  board.role = frame.role;
  board.subject = frame.subject;
  board.synced = false;
  setupRole();
  updateCount(); // the dispatch's limit came with the welcome
  scheduleRender();
  return "ok";
}

function onEvent(frame) {
  const model = board.model;
  const before = model.holderLeg;
  const r = applyEvent(model, frame.offset, frame.event, frame.data);
  if (r !== "ok") return r;
  if (frame.event === "relay_created") board.built = false;
  if (board.synced && frame.event === "baton_passed" && before !== model.holderLeg) flash($("holder"));
  if (board.synced && frame.event === "dispatch_posted") flash($("feed-heading"));
  if (board.synced && frame.event === "site_link_rotated" && board.role === "site" && frame.data?.site === board.subject) {
    // Our site's link was just replaced. The server keeps streaming to an open socket and only
    // refuses its commands, so say hello again: a revoked link is then refused (4001) and shown.
    setTimeout(() => stream.reconnect(), 0);
  }
  board.sitesDirty = true;
  scheduleRender();
  return r;
}

function resetBoard() {
  board.model = emptyModel();
  board.built = false;
  board.rows.clear();
  board.timelineEls = null;
  clearFeed();
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
  if (board.renderQueued) return;
  board.renderQueued = true;
  const run = () => {
    if (!board.renderQueued) return;
    board.renderQueued = false;
    render();
  };
  requestAnimationFrame(run);
  setTimeout(run, 250); // rAF does not run in a hidden tab; the board should still catch up
}

function render() {
  if (!board.model.created) return;
  const n = now();
  if (!board.built) build();
  $("loading").hidden = true;
  $("board").hidden = false;
  renderHolder(n);
  // site states only change with an event or when a leg starts or ends
  if (board.sitesDirty || n >= board.nextBoundary) {
    board.sitesDirty = false;
    renderSites(n);
    board.nextBoundary = boundaryAfter(n);
  }
  renderNowLine(n);
  renderControls(n);
  renderFeed();
  renderActivity();
  renderReadiness();
  setText($("utc-clock"), t("utc_now", { time: utcTime(n, { seconds: true }) }));
}

function tick() {
  render();
  // wake just after the next whole server second, so countdowns change in step
  setTimeout(tick, 1020 - (now() % 1000));
}

function build() {
  board.built = true;
  document.title = t("board_title", { name: board.model.name });
  setText($("relay-name"), board.model.name);
  buildTimeline();
  if (board.selectedLeg !== null) showLeg(board.selectedLeg);
  setupRole();
  setupCalendar();
}

function renderConnection(status) {
  board.lastStatus = status;
  showConnection(status);
  if (status.state === "failed") {
    showFatal(status);
    board.role = null; // whatever this link could do, it cannot any more
    setupRole();
  }
  if (status.state !== "live") board.synced = false;
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

// Start -----------------------------------------------------------------------------------------

watchTimeline();
wireForms();
updateCount();
$("conn-retry").addEventListener("click", () => stream.retryNow());
wireLinks();

// on a phone the relay log starts folded: the holder, controls and feed come first
if (window.matchMedia("(max-width: 640px)").matches) $("activity-details").open = false;

/** Everything this page wrote itself, written again in the language just chosen. */
function relabel() {
  document.title = board.model.created ? t("board_title", { name: board.model.name }) : t("app_name");
  if (document.body.dataset.state === "not-found") {
    showNotFound();
    return;
  }
  board.built = false; // the timeline's labels, and its direction (Arabic runs right to left)
  clearFeed();
  setupRole();
  updateCount();
  if (board.lastStatus) renderConnection(board.lastStatus); // a failed one shows its message again
  renderClockWarning();
  if ($("links-details").open && board.role === "coordinator") loadLinks();
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
Object.defineProperty(window, "mayday", { value: { get model() { return board.model; }, stream } });
