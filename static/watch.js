// The viewer page (/assembly/{id}/watch, with or without a viewer link): read-only floor with its
// countdown, the speaking order, ballots with live tallies and results, and the demands in the
// chosen language, and the livestream (static/media.js: floor video, the floor under a language
// channel of one's choice). No controls: viewers send nothing.
import {
  $,
  AssemblyPage,
  ballotsInOrder,
  createBallotItem,
  createTextItem,
  keyed,
  renderOrderSummary,
  renderClock,
  renderFloor,
  renderOrderList,
  setupMinutes,
  textsInOrder,
  updateBallotItem,
  updateTextItem,
} from "/static/assembly-ui.js";
import { Media } from "/static/media.js";
import { HttpPlayer, buildHttpCard } from "/static/watch-http.js";
import { languageName } from "/static/assembly-ui.js";
import { LANG, t } from "/static/i18n.js";
import { setText } from "/static/util.js";

const page = new AssemblyPage("watch", { render, tick: renderClock });
const media = new Media(page);
const http = new HttpPlayer(page, buildHttpCard($("http-stream")));
const FALLBACK_MS = 10_000; // WebRTC reconnecting this long (the room full, UDP blocked): over HTTP
let troubleSince = 0;

http.el.start.addEventListener("click", () => {
  media.stop(); // one stream at a time: the HTTP one instead
  http.start(http.el.select.value || "floor", "chosen");
});
http.el.play.addEventListener("click", () => {
  http.el.play.hidden = true;
  http.el.video.play().then(() => {
    http.playing = true;
  });
});
http.el.back.addEventListener("click", () => {
  http.stop();
  http.reason = "";
  troubleSince = 0;
  media.start();
  render(page);
});
http.el.select.addEventListener("change", () => {
  if (http.reason) http.start(http.el.select.value, http.reason);
});

/** The HTTP stream: offered always, started by itself when the live connection cannot be made. */
function renderHttp(p) {
  const e = http.el;
  const names = ["floor", ...p.model.languages];
  if (e.select.options.length !== names.length) {
    e.select.replaceChildren(...names.map((n) => new Option(n, n)));
    e.select.value = http.channel || media.channel || "floor";
  }
  names.forEach((n, i) => {
    e.select.options[i].text = n === "floor" ? t("media_listen_floor") : languageName(n, LANG);
  });
  setText(document.getElementById("http-channel-label"), t("media_channel_label"));
  setText(e.start, t("http_start"));
  setText(e.play, t("http_play"));
  setText(e.back, t("http_back"));
  const trouble = !media.supported || media.state === "failed" || (media.wanted && media.state === "reconnecting");
  troubleSince = trouble ? troubleSince || Date.now() : 0;
  // A full room does not make room by waiting: over HTTP at once. Other trouble gets FALLBACK_MS.
  const full = media.wanted && media.state === "reconnecting" && media.errorCode === "media_full";
  const fallback =
    full || !media.supported || media.state === "failed" || (troubleSince && Date.now() - troubleSince > FALLBACK_MS);
  if (fallback && !http.reason && (media.wanted || !media.supported || media.state === "failed") && http.supported) {
    media.stop();
    http.start(e.select.value || "floor", "fallback");
  }
  const on = Boolean(http.reason);
  $("http-stream").dataset.state = on ? http.reason : "idle";
  e.start.hidden = on || !http.supported;
  e.back.hidden = !on || !media.supported;
  e.video.hidden = !on;
  setText(e.why, t(!http.supported ? "http_unsupported" : http.reason === "fallback" ? "http_why_fallback" : "http_why"));
}

function render(p) {
  const m = p.model;
  document.body.dataset.role = p.role || "";
  renderFloor(p);
  const order = p.order;
  renderOrderSummary(p, $("order-summary"), order);
  renderOrderList(p, $("order"), order);
  const ballots = ballotsInOrder(m);
  $("ballots-empty").hidden = ballots.length > 0;
  keyed($("ballots"), ballots, (b) => b.id, createBallotItem, (el, b) => updateBallotItem(p, el, b));
  const texts = textsInOrder(m);
  $("texts-empty").hidden = texts.length > 0;
  keyed($("texts"), texts, (x) => x.id, createTextItem, (el, x) => updateTextItem(p, el, x));
  setupMinutes(p);
  media.render();
  renderHttp(p);
}

// The fallback waits for time, not only for frames: look again every second.
setInterval(() => {
  if (!$("app").hidden) renderHttp(page);
}, 1000);

page.start();
