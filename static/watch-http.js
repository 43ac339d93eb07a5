// The livestream over plain HTTP (docs/protocol.md "Livestream over HTTP"): for viewers whose
// WebRTC connection fails or finds the room full, and for a rally's big screen. A self-hosted
// player on Media Source Extensions: it reads a channel's live index, appends the WebM init
// segment and then each numbered segment as it is made (asking with ?after=N, which the server
// answers as soon as the next one exists), starts near the live edge, and shows how far behind
// live it plays. Segment URLs never change what they hold, so any HTTP cache can carry them.
import { languageName } from "/static/assembly-ui.js";
import { LANG, t } from "/static/i18n.js";
import { h, setText } from "/static/util.js";

const EDGE = 0.8; // seconds buffered ahead the player settles at (a part and a half)
const EDGE_MAX = 1.6; // seconds buffered ahead past which it plays at CATCH_UP speed
const CATCH_UP = 1.15;
const KEEP_BUFFER = 30; // seconds of played media kept in the buffer

export class HttpPlayer {
  /** page: the AssemblyPage (its id, link token, languages); el: the card's elements. */
  constructor(page, el) {
    this.page = page;
    this.el = el;
    this.channel = "";
    this.run = 0; // bumped by every start and stop: a stale loop ends
    this.playing = false;
    this.clockOffset = 0; // server now - Date.now(), from the index
    this.segments = new Map(); // n -> {media_ms, wall_ms}
    this.offsetMs = 0; // the stream's time at this player's zero (the first part it appended)
    this.reason = ""; // why the page is on HTTP: "fallback" or "chosen"
  }

  get supported() {
    return (
      typeof window.MediaSource === "function" &&
      MediaSource.isTypeSupported('audio/webm; codecs="opus"') &&
      MediaSource.isTypeSupported('video/webm; codecs="vp8"')
    );
  }

  path(rest) {
    return `/api/assemblies/${encodeURIComponent(this.page.assemblyId)}/stream/${rest}`;
  }

  async get(url) {
    const headers = this.page.token ? { authorization: `Bearer ${this.page.token}` } : {};
    const res = await fetch(url, { headers, credentials: "omit", referrerPolicy: "no-referrer" });
    if (!res.ok) {
      const err = new Error(`HTTP ${res.status}`);
      err.status = res.status;
      throw err;
    }
    return res;
  }

  async start(channel, reason = "chosen") {
    this.stop();
    this.channel = channel || "floor";
    this.reason = reason;
    const run = ++this.run;
    this.setStatus("http_connecting");
    const video = this.el.video;
    const source = new MediaSource();
    video.src = URL.createObjectURL(source);
    await new Promise((resolve) => source.addEventListener("sourceopen", resolve, { once: true }));
    if (run !== this.run) return;
    try {
      await this.loop(run, source);
    } catch (err) {
      if (run !== this.run) return;
      this.setStatus("http_failed", { message: err?.message || "?" });
      this.playing = false;
      // Try again from the live edge (a restarted stream, a network drop) after a pause.
      setTimeout(() => {
        if (run === this.run) this.start(this.channel, this.reason);
      }, 3000);
    }
  }

  stop() {
    this.run += 1;
    this.playing = false;
    this.offsetMs = 0;
    this.segments.clear();
    const video = this.el.video;
    if (video.src) {
      video.pause();
      URL.revokeObjectURL(video.src);
      video.removeAttribute("src");
      video.load();
    }
    this.el.latency.textContent = "";
  }

  async loop(run, source) {
    const base = this.path(`${encodeURIComponent(this.channel)}/`);
    const indexAfter = async (n) => (await this.get(`${base}index.json${n == null ? "" : `?after=${n}`}`)).json();
    let index = await indexAfter(null);
    // Ready: both init segments, and a video segment whose start the channel's audio covers (a
    // channel nobody listened to has its audio from now on, the room's picture from before).
    const startOf = (i) => {
      const first = i.audio.segments[0]?.media_ms;
      return first == null ? undefined : i.video.segments.filter((s) => s.media_ms >= first).at(-1);
    };
    const ready = (i) => i.audio.init && i.video.init && startOf(i);
    while (run === this.run && !ready(index)) {
      index = await indexAfter(index.audio.segments.at(-1)?.n ?? 0); // the first parts are coming
    }
    if (run !== this.run) return;
    // One SourceBuffer per track (the server muxes them apart: docs/protocol.md).
    const tracks = ["audio", "video"].map((kind) => {
      const buffer = source.addSourceBuffer(index[kind].mime);
      return { kind, buffer, generation: index[kind].generation, next: 0 };
    });
    const append = (buffer, data) =>
      new Promise((resolve, reject) => {
        buffer.addEventListener("updateend", resolve, { once: true });
        buffer.addEventListener("error", () => reject(new Error("the browser refused a segment")), { once: true });
        buffer.appendBuffer(data);
      });
    for (const tr of tracks) await append(tr.buffer, await (await this.get(base + index[tr.kind].init)).arrayBuffer());
    // Start at the newest video segment (each starts on a keyframe) and the audio part that
    // covers its start; play from the element's time 0 (no seek: a seek into a live stream's
    // buffer can leave Chromium seeking for ever), the stream's time kept as an offset.
    const start = startOf(index);
    const audio = index.audio.segments.filter((s) => s.media_ms <= start.media_ms).at(-1);
    tracks[0].next = audio.n;
    tracks[1].next = start.n;
    this.offsetMs = start.media_ms;
    for (const tr of tracks) {
      tr.buffer.timestampOffset = -start.media_ms / 1000;
      tr.buffer.appendWindowStart = 0; // the audio before the first picture is left out
    }
    while (run === this.run) {
      this.note(index);
      let appended = false;
      for (const tr of tracks) {
        const t = index[tr.kind];
        if (t.generation !== tr.generation) throw new Error("the stream restarted");
        if ((t.segments[0]?.n ?? 0) > tr.next) tr.next = t.segments[0].n; // fell behind the ring
        for (let seg = t.segments.find((s) => s.n === tr.next); seg; seg = t.segments.find((s) => s.n === tr.next)) {
          await append(tr.buffer, await (await this.get(base + seg.url)).arrayBuffer());
          if (run !== this.run) return;
          tr.next += 1;
          appended = true;
        }
      }
      if (appended && !this.playing) this.begin();
      this.edge();
      for (const tr of tracks) this.trim(tr.buffer);
      this.renderLatency();
      index = await indexAfter(tracks[0].next - 1); // answered when the next audio part exists
    }
  }

  note(index) {
    this.clockOffset = index.now_ms - Date.now();
    for (const s of index.audio.segments) this.segments.set(s.n, s);
  }

  begin() {
    // Not awaited: play() settles only once enough is buffered, and the loop must go on appending.
    const video = this.el.video;
    this.playing = true;
    video.play().then(
      () => this.setStatus("http_playing", { channel: this.channelName() }),
      (err) => {
        if (err?.name !== "NotAllowedError") return; // interrupted by a new start: nothing to say
        this.playing = false; // autoplay refused (no gesture yet): the Play button is there
        this.setStatus("http_press_play");
        this.el.play.hidden = false;
      },
    );
  }

  /** Keep near the live edge by playing a little faster while more than EDGE_MAX is buffered
   * ahead (a start at an older keyframe, a stall), never by seeking: a seek into the middle of a
   * picture group can leave Chromium seeking for ever. The pitch stays (preservesPitch). */
  edge() {
    const video = this.el.video;
    if (!video.buffered.length) return;
    const ahead = video.buffered.end(video.buffered.length - 1) - video.currentTime;
    if (ahead > EDGE_MAX) video.playbackRate = CATCH_UP;
    else if (ahead < EDGE) video.playbackRate = 1;
  }

  trim(buffer) {
    const video = this.el.video;
    if (buffer.updating || !buffer.buffered.length) return;
    const start = buffer.buffered.start(0);
    if (video.currentTime - start > KEEP_BUFFER * 2) buffer.remove(start, video.currentTime - KEEP_BUFFER);
  }

  /** How far behind live the picture plays: the server's now minus when this instant was live. */
  latency() {
    const video = this.el.video;
    const ms = video.currentTime * 1000 + this.offsetMs;
    let at = null;
    for (const s of this.segments.values()) if (s.media_ms <= ms && (!at || s.media_ms > at.media_ms)) at = s;
    if (!at) return null;
    return Date.now() + this.clockOffset - (at.wall_ms + (ms - at.media_ms));
  }

  renderLatency() {
    const behind = this.latency();
    if (behind == null) return;
    this.el.latency.dataset.ms = String(Math.round(behind));
    setText(this.el.latency, t("http_latency", { seconds: (behind / 1000).toFixed(1) }));
  }

  channelName() {
    return this.channel === "floor" ? t("media_listen_floor") : languageName(this.channel, LANG);
  }

  setStatus(key, vars = {}) {
    this.el.status.dataset.state = key;
    setText(this.el.status, t(key, vars));
  }
}

/** The card's controls, built once into `card` (static/watch.html #http-stream). */
export function buildHttpCard(card) {
  const select = h("select", { id: "http-channel", "data-testid": "http-channel" });
  const video = h("video", { id: "http-video", "data-testid": "http-video", playsinline: true, controls: true });
  const play = h("button", { type: "button", class: "btn", id: "http-play", "data-testid": "http-play", hidden: true });
  const start = h("button", { type: "button", class: "btn btn-primary", id: "http-start", "data-testid": "http-start" });
  const back = h("button", { type: "button", class: "btn", id: "http-back", "data-testid": "http-back", hidden: true });
  const status = h("p", { class: "http-status", id: "http-status", "data-testid": "http-status", role: "status" });
  const latency = h("p", { class: "http-latency", id: "http-latency", "data-testid": "http-latency" });
  card.append(
    h("p", { class: "hint", id: "http-why", "data-testid": "http-why" }),
    h("div", { class: "field" }, h("label", { for: "http-channel", id: "http-channel-label" }), select),
    h("p", { class: "http-actions" }, start, play, back),
    video,
    status,
    latency,
  );
  return { select, video, play, start, back, status, latency, why: card.querySelector("#http-why") };
}
