// The relay board's state, in one object: the folded relay (model.js), who this page acts as
// (from the welcome), and what is drawn. Every board-*.js module reads and writes it here; only
// board.js replaces the model (a reset) or makes the stream.
import { emptyModel } from "/static/model.js";
import { fragmentParam } from "/static/util.js";

export const $ = (id) => document.getElementById(id);

/** The relay in the address (/relay/{id}), or "" when there is none that can be read. */
export const relayId = (() => {
  try {
    return decodeURIComponent(location.pathname.split("/")[2] || "");
  } catch {
    return "";
  }
})();

/** The link token in the fragment (#t=...), or null on a public board. */
export const token = fragmentParam("t");

export const board = {
  stream: null, // the LiveStream (made by board.js): the server's clock, commands, welcome.limits
  model: emptyModel(),
  role: null, // public | viewer | site | coordinator (from welcome)
  subject: null, // the site of a site link
  synced: false,
  lastStatus: null, // the connection's last status, to redraw it in another language
  // drawing
  built: false, // timeline and rows built for this relay
  renderQueued: false,
  sitesDirty: true,
  nextBoundary: 0, // the next instant a leg starts or ends (site states change then)
  // the timeline (board-timeline.js)
  rows: new Map(), // site id -> {row, state, bars: Map(leg index -> el), track, key}
  timelineEls: null, // {nowLine, covNow, left}
  timelineWidth: 0, // in pixels, kept by a ResizeObserver (no layout forced on every tick)
  startSide: "left", // where time starts: "right" in a right-to-left language
  selectedLeg: null, // the leg whose details are open
  detailsOpener: null, // the bar that opened them (the focus goes back there)
  // the feed and the relay log (board-feed.js): the highest offsets already in the DOM
  feedTop: 0,
  activityTop: 0,
  // commands on their way (board-forms.js)
  busy: { checkin: false, coordCheckin: false, dispatch: false, queuedCheckin: false },
};

/** The server's time, in ms. */
export const now = () => board.stream.clock.now();
