// The livestream of an assembly page: one RTCPeerConnection to the server's media hub, signalled
// over the page's assembly WebSocket (assembly/media/signalling.py). The hub makes the offer; its
// transceivers come in a fixed order (assembly/interpretation.py LAYOUT): 0 floor audio, 1 the
// chosen language channel, 2 floor video, and the role decides which of them this page may send
// on. A listener hears the floor ducked under the language channel (or at full level when the
// booth is idle or the floor already speaks that language), and never their own voice.
//
// The page gives the markup (ids media-*, mic-*); this module binds it, follows the socket
// (reconnecting the stream when the socket comes back) and exposes itself as window.maydayMedia.
import { LANG, applyI18n, t } from "/static/i18n.js";
import { $, languageName, load, save } from "/static/assembly-ui.js";
import { fill, h, setAttr, setText } from "/static/util.js";

export const FLOOR_AUDIO = 0;
export const CHANNEL = 1;
export const FLOOR_VIDEO = 2;
// what each role may send on, as the hub's layout will say (assembly/interpretation.py SENDS)
const SENDS = {
  delegate: [true, false, true],
  interpreter: [false, true, false],
  chair: [false, false, false],
  viewer: [false, false, false],
  public: [false, false, false],
};
const JOIN_TIMEOUT = 20000;
const GATHER_CAP = 3000; // ms: answer with the candidates found by then
const STATS_EVERY = 2000;
const LEVELS_EVERY = 200;
const RETRY_MIN = 2000;
const RETRY_MAX = 30000;
const DEFAULT_DUCK = 0.25;
const RAMP = 0.06; // s: gain changes glide instead of clicking
const MIC = { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 };
const CAMERA = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 15, max: 20 } };

/** Resolves when ICE gathering is complete, or after `cap` ms with what was found by then. */
function gathered(pc, cap) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => pc.iceGatheringState === "complete" && done();
    const timer = setTimeout(done, cap);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

/** Root mean square of an analyser's current window (0 = silence, about 0.7 = full-scale sine). */
function rms(analyser, buf) {
  if (!analyser) return 0;
  analyser.getFloatTimeDomainData(buf);
  let sum = 0;
  for (const v of buf) sum += v * v;
  return Math.sqrt(sum / buf.length);
}

function deviceError(err, kind) {
  const name = err?.name || "";
  if (name === "NotAllowedError" || name === "SecurityError") return t(`media_${kind}_denied`);
  if (name === "NotFoundError" || name === "OverconstrainedError") return t(`media_${kind}_missing`);
  if (name === "NotReadableError") return t(`media_${kind}_busy`);
  return t(`media_${kind}_failed`, { message: err?.message || name || "?" });
}

function mediaError(err) {
  if (!err) return "";
  if (err.offline || err.closed) return t("media_err_offline");
  const known = ["media_full", "bad_sdp", "media_state", "bad_channel", "forbidden", "revoked", "timeout"];
  if (known.includes(err.code)) return t(`media_err_${err.code}`);
  return t("media_err_other", { message: err.message || err.code || "?" });
}

/**
 * The listening controls every assembly page shares, appended to its media card (which holds its
 * own heading and role-specific parts, such as the delegate's and interpreter's microphone box).
 * A page's camera box, if it has one, is moved into place among them.
 */
function buildControls(card) {
  const i18n = (key) => ({ "data-i18n": key });
  const meterAttrs = { class: "media-level", min: "0", max: "1", value: "0" };
  const camera = card.querySelector("#media-camera-box");
  card.append(
    h(
      "div",
      { class: "media-video", id: "media-video-box", "data-testid": "media-video-box", hidden: true },
      h("video", { id: "media-video", "data-testid": "media-video", autoplay: true, muted: true, playsinline: true }),
    ),
    h(
      "div",
      { class: "row-actions media-actions" },
      h("button", {
        type: "button",
        class: "btn btn-primary",
        id: "media-join",
        "data-testid": "media-join",
        ...i18n("media_join"),
      }),
      h("button", {
        type: "button",
        class: "btn btn-small",
        id: "media-leave",
        "data-testid": "media-leave",
        hidden: true,
        ...i18n("media_leave"),
      }),
      h("meter", {
        ...meterAttrs,
        id: "media-level",
        "data-testid": "media-level",
        "data-i18n-attr": "aria-label:media_level_label; title:media_level_label",
      }),
    ),
    h(
      "div",
      { class: "field field-inline" },
      h("label", { for: "media-channel" }),
      h("select", { id: "media-channel", "data-testid": "media-channel" }),
    ),
    h("p", { class: "media-hearing", id: "media-hearing", "data-testid": "media-hearing", "aria-live": "polite" }),
    h(
      "div",
      { class: "field media-duck" },
      h("label", { for: "media-duck" }),
      h(
        "div",
        { class: "duck-row" },
        h("input", {
          type: "range",
          id: "media-duck",
          "data-testid": "media-duck",
          min: "0",
          max: "100",
          step: "5",
          value: "25",
        }),
        h("output", { id: "media-duck-value", for: "media-duck" }),
      ),
    ),
    h(
      "div",
      { class: "check" },
      h("input", { type: "checkbox", id: "media-video-on", "data-testid": "media-video-on", checked: true }),
      h("label", { for: "media-video-on", ...i18n("media_video_label") }),
    ),
    ...(camera ? [camera] : []),
    h("p", { class: "hint media-stats", id: "media-stats", "data-testid": "media-stats" }),
    h("p", { class: "control-error", id: "media-error", "data-testid": "media-error", role: "alert" }),
  );
  applyI18n(card);
}

export class Media {
  /**
   * opts.relay: the interpreter's console (the channel is a relay from another booth, never their
   * own); opts.onAir(): whether this person's voice is heard now (holds the floor, is live in the
   * booth). Call render() from the page's render, and on("joined"|"left"|"chat", fn) to follow it.
   */
  constructor(page, { relay = false, onAir = () => false } = {}) {
    this.page = page;
    this.relay = relay;
    this.onAir = onAir;
    this.supported = typeof window.RTCPeerConnection === "function";
    this.pc = null;
    this.transceivers = [];
    this.layout = [];
    this.gen = 0; // bumped by every (re)join and leave: a stale await drops its result
    this.wanted = false; // the listener asked for the stream (and has not left)
    this.joining = false;
    this.answered = false;
    this.connectedOnce = false;
    this.retries = 0;
    this.state = "idle"; // idle | waiting | joining | connecting | connected | unstable | reconnecting | failed
    this.error = "";
    this.errorCode = ""; // the server's code for the last failure (the watch page: media_full)
    this.outgoing = [null, null, null]; // tracks this page wants to send, per slot
    this.micTrack = null;
    this.camTrack = null;
    this.micMuted = false;
    this.micPending = null;
    this.camPending = null;
    this.devError = "";
    this.handlers = { joined: [], left: [], chat: [] };
    this.ctx = null;
    this.nodes = []; // per audio slot: {source, analyser, gain}
    this.micAnalyser = null;
    this.buf = new Float32Array(1024);
    this.stats = null;
    this.statsPrev = null;
    this.picture = false; // floor video frames are arriving
    this.timers = {};
    const prefs = load(this.prefsKey()) || {};
    this.chosen = typeof prefs.channel === "string" ? prefs.channel : undefined; // "" = floor only
    this.duck = Number.isFinite(prefs.duck) ? Math.min(1, Math.max(0, prefs.duck)) : DEFAULT_DUCK;
    this.video = prefs.video !== false;
    const card = $("media");
    if (card) buildControls(card);
    this.el = {
      card,
      join: $("media-join"),
      leave: $("media-leave"),
      state: $("media-state"),
      channel: $("media-channel"),
      channelLabel: document.querySelector('label[for="media-channel"]'),
      duck: $("media-duck"),
      duckLabel: document.querySelector('label[for="media-duck"]'),
      duckValue: $("media-duck-value"),
      videoOn: $("media-video-on"),
      videoBox: $("media-video-box"),
      videoEl: $("media-video"),
      hearing: $("media-hearing"),
      stats: $("media-stats"),
      error: $("media-error"),
      level: $("media-level"),
      micBox: $("mic-box"),
      micToggle: $("mic-toggle"),
      micLevel: $("mic-level"),
      onAir: $("media-onair"),
    };
    this.audioEls = [0, 1].map(() => h("audio", { class: "media-audio", autoplay: true, hidden: true }));
    this.el.card?.append(...this.audioEls);
    this.bind();
    page.listeners.add({ frame: (f) => this.onFrame(f), status: (s) => this.onStatus(s) });
    // for tests and the curious: the connection, its levels and statistics
    Object.defineProperty(window, "maydayMedia", { value: this, configurable: true });
  }

  prefsKey() {
    return `mayday.media.${this.page.assemblyId}.${this.page.kind}`;
  }

  savePrefs() {
    save(this.prefsKey(), { channel: this.chosen, duck: this.duck, video: this.video });
  }

  on(event, fn) {
    this.handlers[event].push(fn);
  }

  emit(event, arg) {
    for (const fn of this.handlers[event]) fn(arg);
  }

  /** Which slots this page may send on: the hub's layout once joined, else the role's. */
  sends() {
    if (this.layout.length) return this.layout.map((s) => Boolean(s.send));
    return SENDS[this.page.role] || SENDS.viewer;
  }

  get micSlot() {
    const s = this.sends();
    return s[FLOOR_AUDIO] ? FLOOR_AUDIO : s[CHANNEL] ? CHANNEL : -1;
  }

  get joined() {
    return this.answered && this.pc !== null;
  }

  // The language channel ---------------------------------------------------------------------

  /** The chosen channel: a language code, or "" for the floor only. */
  get channel() {
    const m = this.page.model;
    let c = this.chosen;
    if (c === undefined) {
      // the listener's own language by default; an interpreter listens to the floor
      const me = this.page.me;
      const own = !this.relay && me?.role !== "interpreter" ? me?.language || this.page.readLang : "";
      c = m.languages.includes(own) ? own : "";
    }
    if (c && (!m.languages.includes(c) || c === this.ownBooth())) c = "";
    return c;
  }

  ownBooth() {
    return this.page.me?.role === "interpreter" ? this.page.me.booth || null : null;
  }

  /** What the listener hears now: {floor, channel} gains and why. */
  mix() {
    const m = this.page.model;
    const c = this.channel;
    let floor = 1;
    let channel = c ? 1 : 0;
    let why;
    if (!c) why = "floor";
    else if (c === m.floorLanguage) why = "same";
    else if (!m.booths.get(c)) why = "idle";
    else {
      floor = this.duck;
      why = "ducked";
    }
    if (m.floor && this.page.subject && m.floor.person === this.page.subject) {
      floor = 0; // the speaker does not hear their own voice come back
      why = "speaking";
    }
    return { floor, channel, why, language: c };
  }

  // Joining and leaving ----------------------------------------------------------------------

  /** The listener's click: make (or wake) the audio context inside the gesture, then join. */
  start() {
    if (!this.supported) return;
    this.ensureAudio();
    this.wanted = true;
    this.retries = 0;
    this.error = "";
    this.errorCode = "";
    if (this.page.stream.live) this.connect();
    else this.setState("waiting");
  }

  async stop() {
    this.wanted = false;
    const had = this.pc !== null || this.joining;
    this.gen += 1;
    this.joining = false;
    this.teardown();
    this.error = "";
    this.errorCode = "";
    this.setState("idle");
    this.emit("left");
    if (had && this.page.stream.live) {
      try {
        await this.page.stream.request({ type: "media_leave" });
      } catch {
        // the server drops the connection anyway when the socket goes
      }
    }
  }

  async connect() {
    const gen = ++this.gen;
    this.teardown();
    this.joining = true;
    this.setState(this.connectedOnce ? "reconnecting" : "joining");
    try {
      let offer;
      try {
        offer = await this.page.stream.request(
          { type: "media_join", channel: this.channel || null, video: this.video },
          { timeout: JOIN_TIMEOUT },
        );
      } catch (err) {
        if (err.code !== "bad_channel" || gen !== this.gen) throw err;
        this.chosen = ""; // a channel this participant may not hear: fall back to the floor
        offer = await this.page.stream.request({ type: "media_join", channel: null, video: this.video }, { timeout: JOIN_TIMEOUT });
      }
      if (gen !== this.gen) return;
      const pc = new RTCPeerConnection({ iceServers: offer.ice_servers || [] });
      this.pc = pc;
      this.layout = offer.layout || [];
      pc.addEventListener("track", (ev) => this.onTrack(pc, ev));
      pc.addEventListener("connectionstatechange", () => this.onPcState(pc));
      await pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
      if (gen !== this.gen) return;
      this.transceivers = pc.getTransceivers(); // in the offer's order: the layout's
      this.layout.forEach((slot, i) => {
        const tr = this.transceivers[i];
        if (slot.send && tr) tr.direction = "sendrecv"; // the track comes later, with replaceTrack
      });
      for (const [i, track] of this.outgoing.entries()) {
        if (track && this.layout[i]?.send) await this.transceivers[i].sender.replaceTrack(track);
      }
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc, GATHER_CAP);
      if (gen !== this.gen) return;
      await this.page.stream.request({ type: "media_answer", sdp: pc.localDescription.sdp }, { timeout: JOIN_TIMEOUT });
      if (gen !== this.gen) return;
      this.answered = true;
      this.joining = false;
      if (pc.connectionState !== "connected") this.setState("connecting");
      else this.onPcState(pc);
      this.startTimers();
      this.emit("joined");
    } catch (err) {
      if (gen !== this.gen) return;
      this.joining = false;
      this.teardown();
      this.fail(err);
    }
  }

  fail(err) {
    this.error = mediaError(err);
    this.errorCode = err?.code || "";
    if (err?.offline || err?.closed) {
      this.setState(this.wanted ? "reconnecting" : "idle"); // onStatus joins again when it is back
      return;
    }
    if (["media_full", "media_state", "timeout", "bad_sdp"].includes(err?.code)) {
      this.retryLater();
      return;
    }
    this.wanted = false; // forbidden, revoked: trying again will not help
    this.setState("failed");
    this.emit("left");
  }

  retryLater() {
    if (!this.wanted) return;
    clearTimeout(this.timers.retry);
    const delay = Math.min(RETRY_MAX, RETRY_MIN * 2 ** this.retries) * (0.75 + Math.random() * 0.5);
    this.retries += 1;
    this.setState("reconnecting");
    this.timers.retry = setTimeout(() => {
      delete this.timers.retry;
      // not live: onStatus joins again when the socket is back
      if (this.wanted && this.page.stream.live && !this.joining) this.connect();
    }, delay);
  }

  /** Close the peer connection (the server's side goes with the socket or media_leave). */
  teardown() {
    clearTimeout(this.timers.retry);
    clearInterval(this.timers.stats);
    clearInterval(this.timers.levels);
    this.timers = {};
    if (this.pc) {
      const pc = this.pc;
      this.pc = null;
      try {
        pc.close();
      } catch {
        // already closed
      }
    }
    this.transceivers = [];
    this.answered = false;
    this.stats = null;
    this.statsPrev = null;
    this.picture = false;
    for (const el of this.audioEls) el.srcObject = null;
    if (this.el.videoEl) this.el.videoEl.srcObject = null;
    for (const n of this.nodes) {
      n.source?.disconnect();
      n.source = null;
    }
  }

  onStatus(s) {
    if (s.state === "live") {
      if (this.wanted && !this.pc && !this.joining && !this.timers.retry) this.connect();
      return;
    }
    if (s.state === "failed") {
      // the link no longer works: the page says why; the stream stops
      if (this.wanted || this.pc) {
        this.wanted = false;
        this.gen += 1;
        this.teardown();
        this.setState("idle");
        this.emit("left");
      }
      return;
    }
    // the socket dropped: the server has already closed our media connection
    if (this.pc || this.joining) {
      this.gen += 1;
      this.joining = false;
      this.teardown();
    }
    if (this.wanted) this.setState("reconnecting");
  }

  onFrame(f) {
    if (f.type === "booth_chat") this.emit("chat", f);
    else if (f.type === "error" && f.code === "revoked") {
      this.wanted = false;
      this.gen += 1;
      this.teardown();
      this.error = mediaError(f);
      this.setState("failed");
      this.emit("left");
    }
  }

  onPcState(pc) {
    if (pc !== this.pc) return;
    switch (pc.connectionState) {
      case "connected":
        this.connectedOnce = true;
        this.retries = 0;
        this.error = "";
        this.errorCode = "";
        this.setState("connected");
        break;
      case "disconnected":
        this.setState("unstable"); // often comes back by itself within seconds
        break;
      case "failed":
      case "closed":
        this.gen += 1;
        this.teardown();
        this.error = t("media_err_ice");
        this.retryLater();
        break;
      default:
        break;
    }
  }

  // Playback ---------------------------------------------------------------------------------

  ensureAudio() {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!this.ctx && AC) {
      try {
        this.ctx = new AC();
        this.nodes = [0, 1].map(() => {
          const analyser = this.ctx.createAnalyser();
          analyser.fftSize = 1024;
          const gain = this.ctx.createGain();
          analyser.connect(gain);
          gain.connect(this.ctx.destination);
          return { source: null, analyser, gain };
        });
      } catch {
        this.ctx = null;
        this.nodes = [];
      }
    }
    if (this.ctx && this.ctx.state !== "running") this.ctx.resume().catch(() => {});
  }

  onTrack(pc, ev) {
    if (pc !== this.pc) return;
    const i = pc.getTransceivers().indexOf(ev.transceiver);
    const stream = new MediaStream([ev.track]); // one track per element: the hub's share one msid
    if (i === FLOOR_VIDEO || ev.track.kind === "video") {
      const v = this.el.videoEl;
      if (v) {
        v.srcObject = stream;
        v.play().catch(() => {});
      }
      return;
    }
    if (i !== FLOOR_AUDIO && i !== CHANNEL) return;
    const el = this.audioEls[i];
    // Chromium feeds a remote stream into WebAudio only while a media element plays it: the
    // element plays muted and the gain nodes make the mix. Without WebAudio the elements play.
    el.srcObject = stream;
    el.muted = Boolean(this.ctx);
    el.play().catch(() => {});
    const n = this.nodes[i];
    if (this.ctx && n) {
      n.source?.disconnect();
      n.source = this.ctx.createMediaStreamSource(stream);
      n.source.connect(n.analyser);
    }
    this.applyMix();
  }

  applyMix() {
    const { floor, channel } = this.mix();
    const wanted = [floor, channel];
    for (const i of [FLOOR_AUDIO, CHANNEL]) {
      const n = this.nodes[i];
      if (this.ctx && n) {
        if (n.level !== wanted[i]) {
          n.level = wanted[i];
          n.gain.gain.setTargetAtTime(wanted[i], this.ctx.currentTime, RAMP);
        }
      } else {
        this.audioEls[i].muted = wanted[i] === 0;
        this.audioEls[i].volume = wanted[i];
      }
    }
  }

  /** Signal levels now (RMS, 0..1): what arrives on the floor and the channel, and the mic. */
  levels() {
    return {
      floor: rms(this.nodes[FLOOR_AUDIO]?.source ? this.nodes[FLOOR_AUDIO].analyser : null, this.buf),
      channel: rms(this.nodes[CHANNEL]?.source ? this.nodes[CHANNEL].analyser : null, this.buf),
      mic: rms(this.micTrack ? this.micAnalyser : null, this.buf),
    };
  }

  // Choosing ---------------------------------------------------------------------------------

  async select(channel, video = this.video) {
    const before = { chosen: this.chosen, video: this.video };
    this.chosen = channel || "";
    this.video = video;
    this.savePrefs();
    this.applyMix();
    this.renderNow();
    if (!this.joined) return;
    try {
      await this.page.stream.request({ type: "media_select", channel: this.channel || null, video: this.video });
      this.error = "";
    } catch (err) {
      if (err.code === "bad_channel") Object.assign(this, before);
      this.error = mediaError(err);
    }
    this.applyMix();
    this.renderNow();
  }

  // Sending ----------------------------------------------------------------------------------

  /** Put `track` (or null) on slot i, now and after every reconnection; no renegotiation. */
  setOutgoing(i, track) {
    this.outgoing[i] = track;
    const tr = this.transceivers[i];
    if (this.pc && tr && this.layout[i]?.send) {
      tr.sender.replaceTrack(track).catch(() => {});
    }
  }

  /** Turn this page's microphone on (into the slot its role speaks on) or off. */
  async setMic(on) {
    const slot = this.micSlot;
    if (slot < 0) return;
    if (!on) {
      this.micPending = null;
      if (this.micTrack) {
        this.setOutgoing(slot, null);
        this.micTrack.stop();
        this.micTrack = null;
        this.micAnalyser?.disconnect?.();
        this.micAnalyser = null;
      }
      this.renderNow();
      return;
    }
    if (this.micTrack || this.micPending) return;
    const pending = navigator.mediaDevices?.getUserMedia?.({ audio: MIC, video: false });
    if (!pending) {
      this.devError = t("media_mic_missing");
      this.renderNow();
      return;
    }
    this.micPending = pending;
    this.renderNow();
    try {
      const stream = await pending;
      if (this.micPending !== pending) {
        for (const tr of stream.getTracks()) tr.stop(); // turned off meanwhile
        return;
      }
      this.micTrack = stream.getAudioTracks()[0];
      this.micTrack.enabled = !this.micMuted;
      this.devError = "";
      if (this.ctx) {
        try {
          this.micAnalyser = this.ctx.createAnalyser();
          this.micAnalyser.fftSize = 1024;
          this.ctx.createMediaStreamSource(stream).connect(this.micAnalyser);
        } catch {
          this.micAnalyser = null;
        }
      }
      this.setOutgoing(slot, this.micTrack);
    } catch (err) {
      this.devError = deviceError(err, "mic");
    } finally {
      if (this.micPending === pending) this.micPending = null;
      this.renderNow();
    }
  }

  /** The camera onto the floor video (delegates), or off. */
  async setCamera(on) {
    if (!this.sends()[FLOOR_VIDEO]) return;
    if (!on) {
      this.camPending = null;
      if (this.camTrack) {
        this.setOutgoing(FLOOR_VIDEO, null);
        this.camTrack.stop();
        this.camTrack = null;
      }
      return;
    }
    if (this.camTrack || this.camPending) return;
    const pending = navigator.mediaDevices?.getUserMedia?.({ audio: false, video: CAMERA });
    if (!pending) return;
    this.camPending = pending;
    try {
      const stream = await pending;
      if (this.camPending !== pending) {
        for (const tr of stream.getTracks()) tr.stop();
        return;
      }
      this.camTrack = stream.getVideoTracks()[0];
      this.camTrack.contentHint = "motion";
      this.setOutgoing(FLOOR_VIDEO, this.camTrack);
    } catch (err) {
      this.devError = deviceError(err, "camera");
    } finally {
      if (this.camPending === pending) this.camPending = null;
      this.renderNow();
    }
  }

  setMicMuted(muted) {
    this.micMuted = muted;
    if (this.micTrack) this.micTrack.enabled = !muted;
    this.renderNow();
  }

  get micLive() {
    return Boolean(this.micTrack && !this.micMuted && this.joined);
  }

  // Statistics -------------------------------------------------------------------------------

  startTimers() {
    clearInterval(this.timers.stats);
    clearInterval(this.timers.levels);
    this.timers.stats = setInterval(() => this.readStats(), STATS_EVERY);
    this.timers.levels = setInterval(() => this.renderLevels(), LEVELS_EVERY);
  }

  /** A summary of getStats(): {kbps in, kbps out, loss (0..1), fps, bytesReceived, at}. */
  async readStats() {
    const pc = this.pc;
    if (!pc) return null;
    let report;
    try {
      report = await pc.getStats();
    } catch {
      return null;
    }
    const now = { bytesIn: 0, bytesOut: 0, lost: 0, received: 0, frames: 0, audioBytes: 0, at: performance.now() };
    report.forEach((s) => {
      if (s.type === "inbound-rtp") {
        now.bytesIn += s.bytesReceived || 0;
        now.lost += Math.max(0, s.packetsLost || 0);
        now.received += s.packetsReceived || 0;
        if (s.kind === "audio") now.audioBytes += s.bytesReceived || 0;
        if (s.kind === "video") now.frames += s.framesDecoded || 0;
      } else if (s.type === "outbound-rtp") {
        now.bytesOut += s.bytesSent || 0;
      }
    });
    if (pc !== this.pc) return null;
    const prev = this.statsPrev;
    this.statsPrev = now;
    if (prev) {
      const secs = Math.max(0.001, (now.at - prev.at) / 1000);
      const lost = now.lost - prev.lost;
      const got = now.received - prev.received;
      this.stats = {
        kbpsIn: Math.round(((now.bytesIn - prev.bytesIn) * 8) / secs / 1000),
        kbpsOut: Math.round(((now.bytesOut - prev.bytesOut) * 8) / secs / 1000),
        loss: lost + got > 0 ? Math.max(0, lost) / (lost + got) : 0,
        fps: Math.round((now.frames - prev.frames) / secs),
        audioBytes: now.audioBytes,
      };
      // the hub sends a black slate once a second while the floor has no camera
      const picture = this.video && this.stats.fps > 2;
      if (picture !== this.picture) {
        this.picture = picture;
        this.renderNow();
      }
    }
    this.renderStats();
    return this.stats;
  }

  // Rendering --------------------------------------------------------------------------------

  bind() {
    const e = this.el;
    if (!e.card) return;
    e.card.hidden = false;
    if (!this.supported) {
      if (e.join) e.join.disabled = true;
      return;
    }
    e.join?.addEventListener("click", () => this.start());
    e.leave?.addEventListener("click", () => this.stop());
    e.channel?.addEventListener("change", () => this.select(e.channel.value));
    if (e.duck) {
      e.duck.value = String(Math.round(this.duck * 100));
      e.duck.addEventListener("input", () => {
        this.duck = Number(e.duck.value) / 100;
        this.savePrefs();
        this.applyMix();
        this.renderNow();
      });
    }
    if (e.videoOn) {
      e.videoOn.checked = this.video;
      e.videoOn.addEventListener("change", () => this.select(this.channel, e.videoOn.checked));
    }
    e.micToggle?.addEventListener("click", () => this.setMicMuted(!this.micMuted));
  }

  setState(state) {
    this.state = state;
    this.renderNow();
  }

  renderNow() {
    this.page.scheduleRender(); // the page's render calls ours (its own parts may depend on us)
  }

  /** Called from the page's render: the model or this connection changed. */
  render() {
    const e = this.el;
    if (!e.card) return;
    const m = this.page.model;
    setAttr(e.card, "data-state", this.state);
    if (!this.supported) {
      setText(e.state, t("media_unsupported"));
      return;
    }
    const active = this.wanted || this.pc !== null;
    if (e.join) e.join.hidden = active;
    if (e.leave) e.leave.hidden = !active;
    if (e.level) e.level.hidden = !this.joined;
    const stateText = t(`media_state_${this.state}`);
    setText(e.state, stateText);
    setAttr(e.state, "data-state", this.state);

    this.renderChannels();
    const mix = this.mix();
    setAttr(e.card, "data-hearing", mix.why);
    const language = mix.language ? languageName(mix.language, LANG) : "";
    const pct = Math.round(this.duck * 100);
    const hearing = {
      floor: t(this.relay ? "media_hear_floor_interp" : "media_hear_floor"),
      same: t("media_hear_same", { language }),
      idle: t(this.relay ? "media_hear_relay_idle" : "media_hear_idle", { language }),
      ducked: t(this.relay ? "media_hear_relay" : "media_hear_ducked", { language, n: pct }),
      speaking: t("media_hear_speaking"),
    }[mix.why];
    setText(e.hearing, hearing);
    setText(e.duckLabel, t(this.relay ? "media_duck_relay" : "media_duck_label"));
    setText(e.channelLabel, t(this.relay ? "media_listen_label" : "media_channel_label"));
    setText(e.duckValue, `${pct}%`);
    if (e.duck) setAttr(e.duck, "aria-valuetext", `${pct}%`);
    const duckField = e.duck?.closest(".media-duck");
    if (duckField) duckField.hidden = !mix.language;
    // the picture shows once frames arrive: a floor without a camera is no black box
    if (e.videoBox) e.videoBox.hidden = !(this.joined && this.video && this.picture);
    if (e.videoEl) {
      const who = m.floor ? m.people.get(m.floor.person)?.name || m.floor.person : null;
      setAttr(e.videoEl, "aria-label", who ? t("media_video_of", { name: who }) : t("media_video_aria"));
    }
    setText(e.error, [this.error, this.devError].filter(Boolean).join(" "));
    this.renderMic();
    this.renderStats();
    this.applyMix();
  }

  renderChannels() {
    const sel = this.el.channel;
    if (!sel) return;
    const m = this.page.model;
    const own = this.ownBooth();
    const langs = m.languages.filter((l) => l !== own);
    const opts = [{ value: "", label: t(this.relay ? "media_listen_floor" : "media_floor_only") }];
    for (const l of langs) {
      const name = languageName(l);
      const live = m.booths.get(l);
      let label = this.relay ? t("media_relay_from", { language: name }) : name;
      if (!live) label = t("media_option_idle", { label });
      opts.push({ value: l, label, lang: l });
    }
    const key = JSON.stringify(opts);
    if (sel.dataset.key !== key) {
      sel.dataset.key = key;
      fill(sel, opts.map((o) => h("option", { value: o.value, lang: o.lang || null }, o.label)));
    }
    if (sel.value !== this.channel) sel.value = this.channel;
  }

  renderMic() {
    const e = this.el;
    const slot = this.micSlot;
    if (e.micBox) e.micBox.hidden = slot < 0 || !(this.micTrack || this.micPending);
    if (e.micToggle) {
      setAttr(e.micToggle, "aria-pressed", this.micMuted ? "true" : "false");
      setText(e.micToggle, this.micMuted ? t("media_mic_unmute") : t("media_mic_mute"));
    }
    if (e.onAir) {
      let state = "off";
      if (this.micPending) state = "starting";
      else if (this.micTrack && this.micMuted) state = "muted";
      else if (this.micLive) state = this.onAir() ? "on" : "standby";
      setAttr(e.onAir, "data-state", state);
      setText(e.onAir, t(`media_mic_${state}`));
    }
  }

  renderLevels() {
    const lv = this.levels();
    if (this.el.level) this.el.level.value = Math.min(1, Math.max(lv.floor, lv.channel) * 3);
    if (this.el.micLevel) this.el.micLevel.value = Math.min(1, lv.mic * 3);
  }

  renderStats() {
    const s = this.stats;
    const text = this.joined && s ? t(s.kbpsOut > 0 ? "media_stats_sending" : "media_stats", { kin: s.kbpsIn, kout: s.kbpsOut, loss: Math.round(s.loss * 100) }) : "";
    setText(this.el.stats, text);
    if (this.el.stats) setAttr(this.el.stats, "data-kbps", s ? s.kbpsIn : null);
  }
}
