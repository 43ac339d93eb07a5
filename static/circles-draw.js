// The circles' pictures, drawn here as inline SVG (no library): the flow diagram of what was
// delivered between circles (network page) and a pair's bars, pledged vs delivered each way
// (pair page). Colours come from circles.css classes (the CSP allows no inline style attribute);
// every picture has a text twin in the page for screen readers and for copying.
import { amountText, h, t } from "/static/circles.js";

const SVG = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, ...children) {
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

function shorten(name, max = 18) {
  return name.length > max ? `${name.slice(0, max - 1)}…` : name;
}

let diagrams = 0;

/**
 * How resources flowed: `nodes` [{id, name}], `edges` [{from, to, items: [{commodity, amount}]}]
 * (amounts delivered from one circle to another, decimal text). Circles sit on a ring; each
 * direction of a pair is its own arc (bent to its right), with its amounts written beside it.
 */
export function flowDiagram(nodes, edges, { label }) {
  const id = `flow-${++diagrams}`;
  const W = 360;
  const n = nodes.length;
  const R = n <= 1 ? 0 : n === 2 ? 115 : 120;
  const H = n <= 2 ? 170 : 330;
  const cx = W / 2;
  const cy = H / 2;
  const NODE = 30;
  const pos = new Map();
  nodes.forEach((node, i) => {
    // two circles side by side; more on a ring starting at the top
    if (n === 2) {
      pos.set(node.id, { x: cx + (i === 0 ? -R : R), y: cy - 10 });
      return;
    }
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(n, 1);
    pos.set(node.id, { x: cx + R * Math.cos(angle), y: cy - 8 + R * Math.sin(angle) });
  });
  const svg = s(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, class: "flow", role: "img", "aria-labelledby": `${id}-title`, "data-testid": "flow-svg" },
    s("title", { id: `${id}-title` }, label),
    s(
      "defs",
      {},
      s(
        "marker",
        { id: `${id}-arrow`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
        s("path", { d: "M0,0 L10,5 L0,10 z", class: "flow-head" }),
      ),
    ),
  );
  for (const edge of edges) {
    const a = pos.get(edge.from);
    const b = pos.get(edge.to);
    if (!a || !b) continue;
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len = Math.hypot(dx, dy) || 1;
    const ux = dx / len;
    const uy = dy / len;
    // to the right of the direction of travel, so that A->B and B->A never overlap
    const nx = -uy;
    const ny = ux;
    const bend = 34;
    const start = { x: a.x + ux * NODE + nx * 8, y: a.y + uy * NODE + ny * 8 };
    const end = { x: b.x - ux * (NODE + 2) + nx * 8, y: b.y - uy * (NODE + 2) + ny * 8 };
    const ctrl = { x: (a.x + b.x) / 2 + nx * bend, y: (a.y + b.y) / 2 + ny * bend };
    const g = s("g", { class: "flow-edge", "data-from": edge.from, "data-to": edge.to, "data-testid": `flow-${edge.from}-${edge.to}` });
    g.append(
      s("path", {
        d: `M${start.x.toFixed(1)},${start.y.toFixed(1)} Q${ctrl.x.toFixed(1)},${ctrl.y.toFixed(1)} ${end.x.toFixed(1)},${end.y.toFixed(1)}`,
        class: "flow-line",
        "marker-end": `url(#${id}-arrow)`,
      }),
    );
    // the label at the curve's middle, pushed a little further out
    const mx = 0.25 * start.x + 0.5 * ctrl.x + 0.25 * end.x + nx * 10;
    const my = 0.25 * start.y + 0.5 * ctrl.y + 0.25 * end.y + ny * 10;
    const text = s("text", { x: mx.toFixed(1), y: my.toFixed(1), class: "flow-amount", "text-anchor": "middle" });
    edge.items.forEach((item, i) => {
      text.append(s("tspan", { x: mx.toFixed(1), dy: i === 0 ? `${(-(edge.items.length - 1) * 0.6).toFixed(1)}em` : "1.2em" }, amountText(item.amount, item.commodity)));
    });
    g.append(text);
    svg.append(g);
  }
  for (const node of nodes) {
    const p = pos.get(node.id);
    svg.append(
      s(
        "g",
        { class: `flow-node${node.mine ? " mine" : ""}`, "data-circle": node.id },
        s("circle", { cx: p.x.toFixed(1), cy: p.y.toFixed(1), r: NODE }),
        s("text", { x: p.x.toFixed(1), y: (p.y + NODE + 15).toFixed(1), "text-anchor": "middle", class: "flow-name" }, shorten(node.name)),
        s("text", { x: p.x.toFixed(1), y: (p.y + 5).toFixed(1), "text-anchor": "middle", class: "flow-initials" }, initials(node.name)),
        s("title", {}, node.name),
      ),
    );
  }
  return svg;
}

function initials(name) {
  const words = name.split(/\s+/).filter(Boolean);
  return (words.length > 1 ? words[0][0] + words[1][0] : name.slice(0, 2)).toLocaleUpperCase();
}

/**
 * A pair's bar in one commodity and direction: the length of what became due (pledged), the
 * delivered part filled, what the debtor holds for it marked. `scale` is the largest amount of the
 * commodity on the page, so both directions are drawn to one scale. Mirrored in CSS for RTL.
 */
export function pairBar(row, scale, { label }) {
  const W = 300;
  const H = 22;
  const due = Number(row.due) || 0;
  const delivered = Math.min(Number(row.delivered) || 0, due || Number(row.delivered) || 0);
  const held = Number(row.held) || 0;
  const unit = scale > 0 ? W / scale : 0;
  const wDue = Math.max(due * unit, due > 0 ? 2 : 0);
  const wDel = Math.max(delivered * unit, delivered > 0 ? 2 : 0);
  const wHeld = Math.min(Math.max(held * unit, held > 0 ? 2 : 0), Math.max(wDue - wDel, 0));
  return s(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, class: "bar", role: "img", "aria-label": label, preserveAspectRatio: "none", "data-testid": "pair-bar-svg" },
    s("rect", { x: 0, y: 3, width: W, height: H - 6, class: "bar-track" }),
    s("rect", { x: 0, y: 3, width: wDue.toFixed(1), height: H - 6, class: "bar-due" }),
    wHeld > 0 ? s("rect", { x: wDel.toFixed(1), y: 3, width: wHeld.toFixed(1), height: H - 6, class: "bar-held" }) : null,
    s("rect", { x: 0, y: 3, width: wDel.toFixed(1), height: H - 6, class: "bar-delivered" }),
  );
}

/** The legend of the bars, in words. */
export function barLegend() {
  return h(
    "ul",
    { class: "legend", "aria-label": t("nw_legend") },
    h("li", {}, h("span", { class: "swatch sw-delivered", "aria-hidden": "true" }), t("nw_legend_delivered")),
    h("li", {}, h("span", { class: "swatch sw-held", "aria-hidden": "true" }), t("nw_legend_held")),
    h("li", {}, h("span", { class: "swatch sw-due", "aria-hidden": "true" }), t("nw_legend_owed")),
  );
}
