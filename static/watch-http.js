// The livestream over plain HTTP (docs/protocol.md "Livestream over HTTP"): for viewers whose
// WebRTC connection fails or finds the room full, and for a rally's big screen. A self-hosted
// player on Media Source Extensions: it reads a channel's live index, appends the WebM init
// segment and then each numbered segment as it is made (asking with ?after=N, which the server
// answers as soon as the next one exists), starts near the live edge, and shows how far behind
// live it plays. Segment URLs never change what they hold, so any HTTP cache can carry them.
import { t } from "/static/i18n.js";
import { h, setText } from "/static/util.js";

const BEHIND_MAX = 8000; // ms: further behind than this (a stalled tab), jump back to the live edge
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
    this.reason = ""; // why the page is on HTTP: "fallback" or "chosen"
  }

  get supported() {
    return typeof window.MediaSource === "function" && MediaSource.isTypeSupported('video/webm; codecs="vp8, opus"');
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
    let index = await (await this.get(`${base}index.json`)).json();
    while (run === this.run && !index.init) {
      index = await (await this.get(`${base}index.json?after=0`)).json(); // the first segment is coming
    }
    if (run !== this.run) return;
    const buffer = source.addSourceBuffer(index.mime);
    const append = (data) =>
      new Promise((resolve, reject) => {
        buffer.addEventListener("updateend", resolve, { once: true });
        buffer.addEventListener("error", () => reject(new Error("the browser refused a segment")), { once: true });
        buffer.appendBuffer(data);
      });
    const generation = index.generation;
    await append(await (await this.get(base + index.init)).arrayBuffer());
    // Start one segment behind the newest (the newest may be a moment old already).
    const newest = index.segments.at(-1)?.n ?? 0;
    let next = Math.max(1, newest - 1, index.segments[0]?.n ?? 1);
    while (run === this.run) {
      this.note(index);
      if (index.generation !== generation) throw new Error("the stream restarted");
      const have = index.segments.find((s) => s.n === next);
      if (!have) {
        if ((index.segments[0]?.n ?? 0) > next) next = index.segments[0].n; // fell behind the ring
        else {
          index = await (await this.get(`${base}index.json?after=${next - 1}`)).json();
          continue;
        }
      }
      const seg = index.segments.find((s) => s.n === next);
      await append(await (await this.get(base + seg.url)).arrayBuffer());
      next += 1;
      if (!this.playing) await this.begin(seg);
      this.trim(buffer);
      this.renderLatency();
      if (!index.segments.some((s) => s.n === next)) {
        index = await (await this.get(`${base}index.json?after=${next - 1}`)).json();
      }
    }
  }

  note(index) {
    this.clockOffset = index.now_ms - Date.now();
    for (const s of index.segments) this.segments.set(s.n, s);
  }

  async begin(seg) {
    const video = this.el.video;
    video.currentTime = seg.media_ms / 1000;
    try {
      await video.play();
    } catch {
      // Autoplay refused (no gesture yet): the Play button is there; say so.
      this.setStatus("http_press_play");
      this.el.play.hidden = false;
      return;
    }
    this.playing = true;
    this.setStatus("http_playing", { channel: this.channelName() });
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
    const ms = video.currentTime * 1000;
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
    const video = this.el.video;
    if (behind > BEHIND_MAX && video.buffered.length) {
      video.currentTime = Math.max(video.buffered.end(video.buffered.length - 1) - 1.5, video.currentTime);
    }
  }

  channelName() {
    return this.channel === "floor" ? t("media_listen_floor") : this.page.languageName?.(this.channel) || this.channel;
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
