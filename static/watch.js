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

const page = new AssemblyPage("watch", { render, tick: renderClock });
const media = new Media(page);

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
}

page.start();
