// The tactic tracker's charts, drawn as inline SVG with DOM calls (no library, no innerHTML):
// a line chart (adoptions so far, the fitted Bass curve and its forecast), horizontal bars (days
// until each country first adopted) and the learning network (circles placed by adoption date
// across and by country down, arrows from teacher to pupil). Each scales to the width it is given
// (a 360-unit viewBox, 390 px phones), names itself for screen readers (<title>, <desc>) and is
// drawn left to right whatever the page's direction: time runs that way on every axis. Colours
// and dashes come from tactics.css (the CSP allows no inline style).
import { LOCALE, formatNumber } from "/static/i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 360;
let charts = 0;

export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== null && v !== undefined && v !== false) el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const f1 = (n) => n.toFixed(1);

/** Days between two ISO dates ("2027-05-01"), b - a. */
export function daysBetween(a, b) {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

/** An ISO date `n` days after `iso`. */
export function addDays(iso, n) {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/** A short date for an axis ("3 May", or "May 2027" over a long span), in the page's locale. */
export function axisDate(iso, long) {
  const opts = long ? { month: "short", year: "numeric", timeZone: "UTC" } : { day: "numeric", month: "short", timeZone: "UTC" };
  try {
    return new Intl.DateTimeFormat(LOCALE, opts).format(Date.parse(`${iso}T00:00:00Z`));
  } catch {
    return iso;
  }
}

function frame(label, description, height, testid) {
  const id = `chart-${++charts}`;
  return s(
    "svg",
    {
      viewBox: `0 0 ${W} ${height}`,
      class: "tx-chart",
      role: "img",
      "aria-labelledby": `${id}-title ${id}-desc`,
      "data-testid": testid,
      direction: "ltr",
    },
    s("title", { id: `${id}-title` }, label),
    s("desc", { id: `${id}-desc` }, description),
  );
}

/** Round numbers for an axis from 0 to `max`: 0, and 2-4 more steps. */
function ticks(max) {
  if (max <= 0) return [0];
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((v) => v >= raw) || raw;
  const out = [];
  for (let v = 0; v <= max + 1e-9; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

/**
 * Adoptions over time. `start`/`end`: the ISO dates of the axis; `lines`: [{points: [[iso, y]],
 * cls, step (draw as steps), testid, dots}]; `marks`: [{date, cls, label}] (today, half-way).
 */
export function lineChart({ start, end, lines, marks = [], label, description, testid }) {
  const H = 230;
  const pad = { l: 36, r: 10, t: 12, b: 34 };
  const span = Math.max(daysBetween(start, end), 1);
  const ymax = Math.max(1, ...lines.flatMap((l) => l.points.map((p) => p[1] || 0)));
  const yt = ticks(ymax);
  const top = Math.max(ymax, yt[yt.length - 1]);
  const x = (iso) => pad.l + ((W - pad.l - pad.r) * daysBetween(start, iso)) / span;
  const y = (v) => H - pad.b - ((H - pad.t - pad.b) * v) / top;
  const svg = frame(label, description, H, testid);
  const grid = s("g", { class: "tx-grid" });
  for (const v of yt) {
    grid.append(
      s("line", { x1: pad.l, x2: W - pad.r, y1: f1(y(v)), y2: f1(y(v)) }),
      s("text", { x: pad.l - 5, y: f1(y(v) + 4), "text-anchor": "end", class: "tx-tick" }, formatNumber(v)),
    );
  }
  const long = span > 300;
  const xt = [start, addDays(start, Math.round(span / 2)), end];
  xt.forEach((iso, i) => {
    grid.append(
      s("text", { x: f1(x(iso)), y: H - pad.b + 16, "text-anchor": ["start", "middle", "end"][i], class: "tx-tick" }, axisDate(iso, long)),
    );
  });
  grid.append(s("line", { x1: pad.l, x2: W - pad.r, y1: f1(y(0)), y2: f1(y(0)), class: "tx-axis" }));
  svg.append(grid);
  for (const m of marks) {
    if (daysBetween(start, m.date) < 0 || daysBetween(m.date, end) < 0) continue;
    svg.append(
      s("g", { class: m.cls }, s("line", { x1: f1(x(m.date)), x2: f1(x(m.date)), y1: pad.t, y2: H - pad.b }), s("title", {}, m.label)),
    );
  }
  for (const line of lines) {
    if (!line.points.length) continue;
    let d = "";
    line.points.forEach(([iso, v], i) => {
      const px = f1(x(iso));
      const py = f1(y(v));
      if (i === 0) d += line.step ? `M${f1(x(start))},${f1(y(0))} H${px} V${py}` : `M${px},${py}`;
      else d += line.step ? ` H${px} V${py}` : ` L${px},${py}`;
    });
    if (line.step) d += ` H${f1(x(end))}`;
    svg.append(s("path", { d, class: line.cls, "data-testid": line.testid }));
    if (line.dots) {
      const g = s("g", { class: `${line.cls}-dots` });
      for (const [iso, v] of line.points) g.append(s("circle", { cx: f1(x(iso)), cy: f1(y(v)), r: 3 }));
      svg.append(g);
    }
  }
  return svg;
}

/** Horizontal bars: `rows` [{label, value, text}] on one scale from 0 to the largest value. */
export function barChart({ rows, label, description, testid }) {
  const bar = 22;
  const gap = 8;
  const lab = 120;
  const H = Math.max(1, rows.length) * (bar + gap) + 6;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const unit = (W - lab - 60) / max;
  const svg = frame(label, description, H, testid);
  rows.forEach((r, i) => {
    const top = 3 + i * (bar + gap);
    const w = Math.max(r.value * unit, 2);
    svg.append(
      s(
        "g",
        { class: "tx-bar", "data-testid": r.testid },
        s("text", { x: lab - 6, y: top + bar / 2 + 4, "text-anchor": "end", class: "tx-bar-label" }, r.label),
        s("rect", { x: lab, y: top, width: f1(w), height: bar, rx: 3 }),
        s("text", { x: f1(lab + w + 5), y: top + bar / 2 + 4, class: "tx-bar-value" }, r.text),
        s("title", {}, `${r.label}: ${r.text}`),
      ),
    );
  });
  return svg;
}

function shorten(name, max = 14) {
  return name.length > max ? `${name.slice(0, max - 1)}…` : name;
}

/**
 * The learning network: `nodes` [{circle, country, days, name}] placed by days since the
 * tactic's origin across and by country down (one lane per country, in the order reached);
 * `edges` [{teacher, pupil, crosses_border}] as arrows, those that cross a border marked.
 */
export function networkPicture({ nodes, edges, countries, countryName, span, label, description, testid }) {
  const lane = 52;
  const pad = { l: 44, r: 16, t: 14, b: 24 };
  const H = pad.t + pad.b + Math.max(1, countries.length) * lane;
  const x = (days) => pad.l + ((W - pad.l - pad.r) * days) / Math.max(span, 1);
  const laneOf = new Map(countries.map((c, i) => [c, i]));
  const pos = new Map();
  const seen = new Map(); // "lane:x" -> how many nodes already there (stacked a little)
  for (const n of nodes) {
    const row = laneOf.get(n.country) ?? 0;
    const px = Math.round(x(n.days));
    const key = `${row}:${Math.round(px / 12)}`;
    const k = seen.get(key) || 0;
    seen.set(key, k + 1);
    const offset = k === 0 ? 0 : (k % 2 ? -1 : 1) * Math.ceil(k / 2) * 11;
    pos.set(n.circle, { x: px, y: pad.t + row * lane + lane / 2 + Math.max(-lane / 2 + 7, Math.min(lane / 2 - 7, offset)) });
  }
  const svg = frame(label, description, H, testid);
  const id = svg.querySelector("title").id;
  svg.append(
    s(
      "defs",
      {},
      ...["tx-edge", "tx-edge-border"].map((cls) =>
        s(
          "marker",
          { id: `${id}-${cls}`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" },
          s("path", { d: "M0,0 L10,5 L0,10 z", class: `${cls}-head` }),
        ),
      ),
    ),
  );
  const lanes = s("g", { class: "tx-lanes" });
  countries.forEach((c, i) => {
    const top = pad.t + i * lane;
    lanes.append(
      s("rect", { x: 0, y: top, width: W, height: lane, class: i % 2 ? "tx-lane-odd" : "tx-lane" }),
      s("text", { x: 4, y: top + lane / 2 + 4, class: "tx-lane-name" }, c),
      s("title", {}, countryName(c)),
    );
  });
  svg.append(lanes);
  for (const e of edges) {
    const a = pos.get(e.teacher);
    const b = pos.get(e.pupil);
    if (!a || !b) continue;
    const cls = e.crosses_border ? "tx-edge-border" : "tx-edge";
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len = Math.hypot(dx, dy) || 1;
    const r = 7;
    const sx = a.x + (dx / len) * r;
    const sy = a.y + (dy / len) * r;
    const ex = b.x - (dx / len) * (r + 1);
    const ey = b.y - (dy / len) * (r + 1);
    // same lane: bend upwards so that arrows along a lane do not hide behind its circles
    const bend = Math.abs(dy) < 1 ? -Math.min(18, 6 + len / 6) : 0;
    const cx = (sx + ex) / 2;
    const cy = (sy + ey) / 2 + bend;
    svg.append(
      s(
        "path",
        {
          d: `M${f1(sx)},${f1(sy)} Q${f1(cx)},${f1(cy)} ${f1(ex)},${f1(ey)}`,
          class: cls,
          "marker-end": `url(#${id}-${cls})`,
          "data-testid": `edge-${e.teacher}-${e.pupil}`,
          "data-border": e.crosses_border ? "true" : "false",
        },
        s("title", {}, e.text || ""),
      ),
    );
  }
  // names alternate above and below their dots along a lane, so that neighbours' do not collide
  const nth = new Map(); // lane -> how many names written in it so far (nodes come by date)
  for (const n of nodes) {
    const p = pos.get(n.circle);
    const row = laneOf.get(n.country) ?? 0;
    const k = nth.get(row) || 0;
    nth.set(row, k + 1);
    const name = shorten(n.name);
    const half = name.length * 2.7; // about half the name's width at 9.5 px
    const tx = Math.max(half + 2, Math.min(W - half - 2, p.x));
    svg.append(
      s(
        "g",
        { class: `tx-node${n.origin ? " tx-origin" : ""}`, "data-testid": `node-${n.circle}` },
        s("circle", { cx: p.x, cy: f1(p.y), r: 7 }),
        s("text", { x: f1(tx), y: f1(k % 2 ? p.y + 17 : p.y - 10), "text-anchor": "middle", class: "tx-node-name" }, name),
        s("title", {}, n.text || n.name),
      ),
    );
  }
  return svg;
}

/** A number with a few significant digits, in the page's locale. */
export function sig(v, digits = 3) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  return formatNumber(v, { maximumSignificantDigits: digits });
}
