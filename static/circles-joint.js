// Joint actions on the network and circle pages: a link to each action this link may read (the
// ids from GET /access, each one's name, date and readiness from its view), and the form that
// opens one (the network's coordinator on the network page; a circle's own link on its page,
// which is always one of the action's circles). The markup is in network.html and circle.html.
import { $, dayText, fill, h, pageHref, parseDecimal, percentToShare, request, setText, t } from "/static/circles.js";

const views = new Map(); // action id -> its view
let stale = new Set(); // actions whose view an event changed since it was read
let dirty = false; // the open form was typed in since it was filled

/** Read what this link may see of the actions (call from the page's load). */
export async function loadActions(page) {
  const access = await request("/access");
  page.access = access.ok ? access.body : null;
  const ids = page.access?.actions || [];
  for (const id of [...views.keys()]) if (!ids.includes(id)) views.delete(id);
  const wanted = ids.filter((id) => !views.has(id) || stale.has(id));
  stale = new Set();
  const got = await Promise.all(wanted.map((id) => request(`/actions/${id}`)));
  wanted.forEach((id, i) => {
    if (got[i].ok) views.set(id, got[i].body);
    else views.delete(id);
  });
}

/** Note an event (from the page's relevant()): true when it changes the actions shown. */
export function actionEvent(e) {
  const d = e.data || {};
  if (e.event === "action_opened") return true;
  if (typeof d.action === "number") {
    stale.add(d.action);
    return true;
  }
  if (e.event.startsWith("claim_")) {
    for (const id of views.keys()) stale.add(id);
    return true;
  }
  return false;
}

/** The list of actions (of `circle` only, when given) and the open form for who may open one. */
export function renderActions(page, { circle = null } = {}) {
  const list = [...views.values()].filter((v) => !circle || v.action.circles.includes(circle)).reverse();
  $("actions-empty").hidden = list.length > 0;
  fill(
    $("actions"),
    list.map((v) => {
      const a = v.action;
      return h(
        "li",
        { class: "cz-item", dataset: { testid: `action-${a.id}`, ready: String(v.ready) } },
        h("h3", {}, h("a", { href: pageHref(`/action/${a.id}`), dataset: { testid: `action-link-${a.id}` } }, h("bdi", {}, a.name))),
        h("p", { class: "meta" }, [a.date ? dayText(a.date) : t("ac_no_date"), a.circles.map((c) => page.circleName(c)).join(", ")].join(" · ")),
        h("p", { class: v.ready ? "ready-mark" : "meta" }, v.ready ? t("ac_list_ready", { n: a.version }) : t("ac_list_not_ready", { n: a.version })),
      );
    }),
  );
  const may = circle ? page.actingCircle === circle : page.role === "coordinator";
  $("open-card").hidden = !may;
  $("actions-coordinator").hidden = page.role !== "coordinator";
  if (may && !dirty) fillOpen(page, circle);
}

function fillOpen(page, circle) {
  const box = $("open-circles");
  const key = page.shape.circles.map((c) => c.id).join(",") + (circle || "");
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  fill(
    box,
    page.shape.circles.map((c) =>
      h(
        "div",
        { class: "check" },
        h("input", {
          type: "checkbox",
          id: `open-${c.id}`,
          value: c.id,
          checked: c.id === circle,
          disabled: c.id === circle,
          dataset: { testid: `open-circle-${c.id}` },
        }),
        h("label", { for: `open-${c.id}` }, h("bdi", {}, c.name)),
      ),
    ),
  );
}

export function wireActions(page, { circle = null } = {}) {
  const form = $("open-form");
  form.addEventListener("input", () => {
    dirty = true;
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const circles = [...$("open-circles").querySelectorAll("input:checked")].map((i) => i.value);
    if (circle && !circles.includes(circle)) circles.unshift(circle);
    const typed = parseDecimal($("open-cover").value.trim());
    const command = { type: "open_action", name: $("open-name").value.trim(), circles };
    if (typed !== null) command.cover = percentToShare(typed);
    if ($("open-date").value) command.date = $("open-date").value;
    if ($("open-relay").value.trim()) command.relay = $("open-relay").value.trim();
    const lines = { status: $("open-status"), error: $("open-error"), button: $("open-submit") };
    if (await page.command(command, { ...lines, done: page.role === "coordinator" ? "ac_open_done_coordinator" : "ac_open_done" })) {
      $("open-name").value = "";
      $("open-relay").value = "";
      $("open-date").value = "";
      for (const input of $("open-circles").querySelectorAll("input:not(:disabled)")) input.checked = false;
      dirty = false;
    } else {
      setText($("open-status"), "");
    }
  });
}
