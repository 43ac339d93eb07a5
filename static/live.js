// The WebSocket session of a live page (protocol in docs/protocol.md and mayday/ws.py):
// hello {token, after} -> welcome -> events in offset order (one per "event" frame, or several in
// an "events" frame); commands -> ack | error; ping -> pong; other frames (the media signalling)
// through request() and onFrame. Reconnects with backoff and the last applied offset, keeps the
// server clock offset, and never puts the link token in a URL. The welcome's `limits` (the sizes
// the server holds commands to) are kept in `limits` and put on the page's fields (sizeFields).

const BACKOFF_MIN = 1000;
const BACKOFF_MAX = 15000;
const OPEN_TIMEOUT = 15000; // a socket that has not opened by then is given up and retried
const PING_EVERY = 20000;
const PONG_TIMEOUT = 10000;
const ACK_TIMEOUT = 20000;
export const CLOSE_UNAUTHORIZED = 4001;
export const CLOSE_NOT_FOUND = 4004;
export const CLOSE_TOO_SLOW = 4008;
const CLOSE_RESYNC = 4000; // ours: reconnect at once from the last applied offset
const CLOSE_DEAD = 4002; // ours: the connection stopped answering

/**
 * The server's clock, from `now` stamps. The server writes them in whole seconds, so one stamp
 * only says the offset lies in [S - received, S + 1 s - sent]; intersecting the intervals of
 * several pings (and lower bounds from live events' millisecond `at`) narrows it down.
 */
export class ServerClock {
  constructor() {
    this.lo = -Infinity;
    this.hi = Infinity;
  }

  sample(serverIso, sentAt, receivedAt) {
    const s = Date.parse(serverIso);
    if (!Number.isFinite(s)) return;
    const wholeSeconds = !/\.\d/.test(serverIso);
    const lo = s - receivedAt;
    const hi = s + (wholeSeconds ? 1000 : 1) - sentAt;
    this.narrow(lo, hi);
  }

  /** An event stamped `at` was made before we received it: offset >= at - received. */
  lowerBound(atMs, receivedAt) {
    if (Number.isFinite(atMs) && atMs - receivedAt <= this.hi) this.lo = Math.max(this.lo, atMs - receivedAt);
  }

  narrow(lo, hi) {
    const nlo = Math.max(this.lo, lo);
    const nhi = Math.min(this.hi, hi);
    if (nlo > nhi) {
      // our clock (or the server's) jumped: start again from this sample alone
      this.lo = lo;
      this.hi = hi;
    } else {
      this.lo = nlo;
      this.hi = nhi;
    }
  }

  get known() {
    return Number.isFinite(this.lo) && Number.isFinite(this.hi);
  }

  /** server time - device time, in ms */
  get offset() {
    return this.known ? (this.lo + this.hi) / 2 : 0;
  }

  get uncertainty() {
    return this.known ? (this.hi - this.lo) / 2 : Infinity;
  }

  now() {
    return Date.now() + this.offset;
  }
}

/**
 * The server's limits as the fields' maxlength: every element marked data-limit="KEY" (in the
 * page's HTML) gets limits[KEY]. A field made later takes its limit from `LiveStream.limits`.
 */
export function sizeFields(limits, root = document) {
  for (const el of root.querySelectorAll("[data-limit]")) {
    const max = limits[el.dataset.limit];
    if (Number.isInteger(max) && max > 0) el.setAttribute("maxlength", String(max));
  }
}

/**
 * One live stream with reconnection.
 * handlers: onWelcome(frame), onEvent(frame, receivedAt) -> "ok"|"skip"|"gap",
 * onStatus({state, retryIn, error}), afterOffset() -> int, onSynced(), onFrame(frame) (any other
 * frame: media signalling, booth chat, an error nobody waits for).
 */
export class LiveStream {
  constructor(url, token, handlers) {
    this.url = url;
    this.token = token;
    this.h = handlers;
    this.clock = new ServerClock();
    this.ws = null;
    this.attempt = 0;
    this.state = "idle";
    this.stopped = false;
    this.nextId = 1;
    this.pending = new Map(); // id -> {command, resolve, reject, retry, timer, sent}
    this.requests = new Map(); // id -> {resolve, reject, timer, match}: frames other than commands
    this.queue = []; // commands waiting for a connection (retry-safe ones only)
    this.pings = new Map(); // id -> sent time
    this.welcome = null;
    this.limits = {}; // welcome.limits, kept across reconnections: {dispatch} or {text, name, place, chat}
    this.syncedTo = null;
    this.timers = {};
    window.addEventListener("online", () => this.retryNow());
    // the device says it lost the network: find out now whether the socket still answers
    window.addEventListener("offline", () => this.ping());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState !== "visible") return;
      if (this.state === "live" || this.state === "syncing") this.ping();
      else this.retryNow();
    });
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    this.clearTimers();
    if (this.ws) this.ws.close(1000, "bye");
  }

  setStatus(state, extra = {}) {
    this.state = state;
    this.h.onStatus?.({ state, ...extra });
  }

  clearTimers() {
    for (const k of Object.keys(this.timers)) {
      clearTimeout(this.timers[k]);
      clearInterval(this.timers[k]);
    }
    this.timers = {};
  }

  connect() {
    this.clearTimers();
    if (this.stopped) return;
    if (navigator.onLine === false) {
      this.setStatus("offline");
      return; // the "online" event calls retryNow()
    }
    this.setStatus(this.attempt === 0 && !this.welcome ? "connecting" : "reconnecting", { retryIn: 0 });
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.welcome = null;
    this.syncedTo = null;
    let helloAt = 0;
    this.timers.open = setTimeout(() => this.abandon(ws, CLOSE_DEAD, "open timeout"), OPEN_TIMEOUT);
    ws.onopen = () => {
      clearTimeout(this.timers.open);
      helloAt = Date.now();
      ws.send(JSON.stringify({ type: "hello", token: this.token, after: this.h.afterOffset() }));
    };
    ws.onmessage = (msg) => {
      if (ws !== this.ws) return;
      const receivedAt = Date.now();
      let frame;
      try {
        frame = JSON.parse(msg.data);
      } catch {
        return;
      }
      this.onFrame(ws, frame, helloAt, receivedAt);
    };
    ws.onclose = (ev) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.onClosed(ev);
    };
    ws.onerror = () => {
      /* onclose follows and decides */
    };
  }

  onFrame(ws, frame, helloAt, receivedAt) {
    const req = frame.id != null ? this.requests.get(frame.id) : null;
    if (req) {
      this.settle(frame.id, frame);
      // a reply may also be news for everyone (the sender's copy of a booth_chat message)
      if (frame.type !== "error") this.h.onFrame?.(frame);
      return;
    }
    switch (frame.type) {
      case "welcome":
        this.welcome = frame;
        this.lastError = null;
        if (frame.limits) {
          this.limits = frame.limits;
          sizeFields(frame.limits);
        }
        this.clock.sample(frame.now, helloAt, receivedAt);
        this.attempt = 0;
        if (this.h.onWelcome?.(frame) === "reset") {
          this.abandon(ws, CLOSE_RESYNC, "resync");
          return;
        }
        this.setStatus("syncing");
        this.maybeSynced();
        this.timers.ping = setInterval(() => this.ping(), PING_EVERY);
        // a few quick pings at different moments narrow the clock offset to well under a second
        for (const delay of [300, 1100, 2300]) setTimeout(() => this.ping(), delay + Math.random() * 200);
        break;
      case "event":
      case "events": {
        // "events" carries several consecutive events in one frame (a burst, or history)
        const events = frame.type === "events" ? frame.events || [] : [frame];
        for (const e of events) {
          const event = e.type === "event" ? e : { type: "event", ...e };
          const r = this.h.onEvent(event, receivedAt);
          if (event.data && event.data.at) this.clock.lowerBound(Date.parse(event.data.at), receivedAt);
          if (r === "gap") {
            this.abandon(ws, CLOSE_RESYNC, "gap"); // reconnect from our last applied offset
            return;
          }
        }
        this.maybeSynced();
        break;
      }
      case "pong": {
        const sent = this.pings.get(frame.id);
        this.pings.delete(frame.id);
        clearTimeout(this.timers.pong);
        if (sent !== undefined) this.clock.sample(frame.now, sent, receivedAt);
        this.h.onClock?.(this.clock);
        break;
      }
      case "ack":
      case "error": {
        const p = frame.id != null ? this.pending.get(frame.id) : null;
        if (p) {
          this.pending.delete(frame.id);
          clearTimeout(p.timer);
          if (frame.type === "ack") p.resolve(frame);
          else p.reject({ code: frame.code, message: frame.message });
        } else if (frame.type === "error" && !this.welcome) {
          this.lastError = { code: frame.code, message: frame.message }; // the hello was refused
        } else if (frame.type === "error") {
          this.h.onFrame?.(frame); // one nobody waits for (a revoked media connection, say)
        }
        break;
      }
      default:
        for (const [id, r] of this.requests) if (r.match?.(frame)) this.settle(id, frame);
        this.h.onFrame?.(frame);
        break;
    }
  }

  settle(id, frame) {
    const r = this.requests.get(id);
    if (!r) return;
    this.requests.delete(id);
    clearTimeout(r.timer);
    if (frame.type === "error") r.reject({ code: frame.code, message: frame.message });
    else r.resolve(frame);
  }

  maybeSynced() {
    if (!this.welcome || this.syncedTo !== null) return;
    if (this.h.afterOffset() >= this.welcome.offset) {
      this.syncedTo = this.welcome.offset;
      this.setStatus("live");
      this.h.onSynced?.();
      this.flushQueue();
    }
  }

  onClosed(ev) {
    this.clearTimers();
    this.pings.clear();
    for (const [id, r] of this.requests) {
      this.requests.delete(id);
      clearTimeout(r.timer);
      r.reject({ code: "closed", closed: true });
    }
    // Commands in flight: retry-safe ones go again after reconnecting, the rest are unconfirmed.
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      if (p.retry) this.queue.push(p);
      else p.reject({ code: "unconfirmed", unconfirmed: true });
    }
    if (this.stopped) return;
    if (ev.code === CLOSE_UNAUTHORIZED || ev.code === CLOSE_NOT_FOUND) {
      for (const p of this.queue.splice(0)) p.reject({ code: "closed" });
      this.setStatus("failed", {
        closeCode: ev.code,
        error: this.lastError || { code: String(ev.code), message: ev.reason },
      });
      return;
    }
    const soon = ev.code === CLOSE_TOO_SLOW || ev.code === CLOSE_RESYNC;
    if (soon) this.attempt = 0;
    this.scheduleReconnect(soon ? 100 + Math.random() * 400 : null);
  }

  /** Give up on `ws` now: a dead connection's close handshake can take a minute to time out. */
  abandon(ws, code, reason) {
    if (ws !== this.ws) return;
    this.ws = null;
    try {
      ws.close(code, reason);
    } catch {
      // already closing
    }
    this.onClosed({ code, reason });
  }

  /** Drop the connection and come straight back (the server re-checks the link on hello). */
  reconnect() {
    if (this.ws) this.abandon(this.ws, CLOSE_RESYNC, "recheck");
  }

  scheduleReconnect(fixed = null) {
    const base = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** this.attempt);
    const delay = fixed ?? base + Math.random() * Math.min(base, 3000);
    this.attempt += 1;
    const until = Date.now() + delay;
    const tick = () => this.setStatus(navigator.onLine === false ? "offline" : "reconnecting", {
      retryIn: Math.max(0, Math.ceil((until - Date.now()) / 1000)),
    });
    tick();
    this.timers.countdown = setInterval(tick, 1000);
    this.timers.retry = setTimeout(() => this.connect(), delay);
  }

  retryNow() {
    if (this.stopped || this.ws || this.state === "failed") return;
    this.connect();
  }

  ping() {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || !this.welcome) return;
    const id = `p${this.nextId++}`;
    this.pings.set(id, Date.now());
    ws.send(JSON.stringify({ type: "ping", id }));
    clearTimeout(this.timers.pong);
    this.timers.pong = setTimeout(() => {
      this.abandon(ws, CLOSE_DEAD, "no pong"); // a dead connection that never said so
    }, PONG_TIMEOUT);
  }

  get live() {
    return this.state === "live" && this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  /**
   * Send a command; resolves with the ack, rejects with {code, message} (or {unconfirmed}).
   * `retry`: safe to send twice (check_in is): queued while offline and resent after a drop.
   */
  command(command, { retry = false } = {}) {
    return new Promise((resolve, reject) => {
      const p = { command, resolve, reject, retry };
      if (this.live) this.sendCommand(p);
      else if (retry) this.queue.push(p);
      else reject({ code: "offline", offline: true });
    });
  }

  sendCommand(p) {
    const id = `c${this.nextId++}`;
    const ws = this.ws;
    this.pending.set(id, p);
    p.timer = setTimeout(() => {
      // no answer: the connection is probably dead; closing it decides the command's fate
      if (this.pending.has(id)) this.abandon(ws, CLOSE_DEAD, "no ack");
    }, ACK_TIMEOUT);
    ws.send(JSON.stringify({ type: "command", id, command: p.command }));
  }

  /**
   * Send a frame that is not a command (media_join, booth_chat...) with a fresh id; resolves with
   * the reply that echoes the id (or the first frame `match` accepts), rejects with {code, message}
   * on an error, {offline} when not connected, {closed} when the connection drops first.
   */
  request(frame, { timeout = ACK_TIMEOUT, match = null } = {}) {
    return new Promise((resolve, reject) => {
      if (!this.live) {
        reject({ code: "offline", offline: true });
        return;
      }
      const id = `m${this.nextId++}`;
      const timer = setTimeout(() => {
        if (this.requests.delete(id)) reject({ code: "timeout", unconfirmed: true });
      }, timeout);
      this.requests.set(id, { resolve, reject, timer, match });
      this.ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  flushQueue() {
    for (const p of this.queue.splice(0)) this.sendCommand(p);
  }

  get queued() {
    return this.queue.length;
  }
}
