// The front page: what Mayday is, open a board by id or link, and -- with the server's admin link
// (#admin=TOKEN, kept in the fragment and sent only as an Authorization header) -- preview and
// create relays and list the existing ones.
import { applyI18n, t } from "/static/i18n.js";
import { api, copyField, errorMessage, fill, fragmentParam, h, isoOffset, localIso, utcTime } from "/static/util.js";

applyI18n();

const $ = (id) => document.getElementById(id);
const adminToken = fragmentParam("admin");
const RELAY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const DRAFT_KEY = "mayday:relay-draft";

// Open a board --------------------------------------------------------------------------------

$("open-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const value = $("open-input").value.trim();
  const error = $("open-error");
  error.textContent = "";
  if (RELAY_ID.test(value)) {
    location.assign(`/relay/${value}`);
    return;
  }
  let url = null;
  try {
    url = new URL(value, location.origin);
  } catch {
    url = null;
  }
  const m = url && /^\/relay\/([A-Za-z0-9_-]{1,32})\/?$/.exec(url.pathname);
  if (m && /^https?:$/.test(url.protocol)) {
    location.assign(url.href); // the #t= fragment goes along but never to the server
  } else {
    error.textContent = t("open_board_invalid");
  }
});

// Admin ---------------------------------------------------------------------------------------

function sampleDefinition() {
  const d = new Date(Date.now() + 86400000);
  const date = d.toISOString().slice(0, 10);
  return `# A sample relay: three sites strike from 06:00 local time, each for 8 hours.
name: Sample relay, ${date}
legs: {date: ${date}, start: "06:00", duration: 8h}
checkin_grace: 10m
board: public
sites:
  - {id: mnl, name: Manila call centre, tz: Asia/Manila, backup: lag}
  - {id: lag, name: Lagos port, tz: Africa/Lagos}
  - {id: lpb, name: La Paz miners, tz: America/La_Paz, backup: lag}
`;
}

function setBusy(busy) {
  $("preview-button").disabled = busy;
  $("create-button").disabled = busy;
  $("form-status").textContent = busy ? t("working") : "";
}

function showFormError(message) {
  $("form-error").textContent = message;
}

async function loadRelays() {
  const box = $("relays");
  fill(box, h("p", { class: "hint" }, t("relays_loading")));
  const r = await api("/api/relays", { token: adminToken });
  if (!r.ok) {
    if (r.status === 401 || r.status === 403) {
      const err = $("admin-error");
      err.textContent = t("admin_invalid", { message: errorMessage(r) });
      err.hidden = false;
    }
    fill(box, h("p", { class: "control-error" }, t("relays_error", { message: errorMessage(r) })));
    return;
  }
  const relays = r.body.relays || [];
  if (!relays.length) {
    fill(box, h("p", { class: "empty" }, t("relays_none")));
    return;
  }
  fill(
    box,
    h(
      "ul",
      { class: "relay-list" },
      relays.map((x) =>
        h(
          "li",
          { dataset: { relay: x.id } },
          h("a", { href: `/relay/${encodeURIComponent(x.id)}` }, x.name || t("relay_untitled")),
          " ",
          h("code", {}, x.id),
        ),
      ),
    ),
  );
}

function renderPlan(plan) {
  const box = $("preview");
  const withDay = true;
  const rows = plan.legs.map((leg) =>
    h(
      "tr",
      { dataset: { site: leg.site } },
      h("td", {}, String(leg.index + 1)),
      h("th", { scope: "row" }, leg.site),
      h("td", {}, `${localIso(leg.local_start, { withDay })} (${t("utc_offset", { offset: isoOffset(leg.local_start) })})`),
      h("td", {}, `${localIso(leg.local_end, { withDay })} (${t("utc_offset", { offset: isoOffset(leg.local_end) })})`),
      h("td", { class: "nowrap" }, `${utcTime(Date.parse(leg.start), { withDay })} – ${utcTime(Date.parse(leg.end), { withDay })}`),
      h("td", {}, String(Math.round(leg.hours * 100) / 100)),
      h("td", { class: leg.warnings.length ? "warn-text" : "" }, leg.warnings.join("; ")),
    ),
  );
  const table = h(
    "table",
    { dataset: { testid: "plan-table" } },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["col_leg", "col_site", "col_local_start", "col_local_end", "col_utc", "col_hours", "col_warnings"].map((k) =>
          h("th", { scope: "col" }, t(k)),
        ),
      ),
    ),
    h("tbody", {}, rows),
  );
  const gaps = plan.gaps.length
    ? [
        h("p", { class: "warn-text" }, t("preview_gaps")),
        h(
          "ul",
          { dataset: { testid: "plan-gaps" } },
          plan.gaps.map((g) =>
            h("li", {}, t("utc_suffix", { time: `${utcTime(Date.parse(g.start), { withDay })} – ${utcTime(Date.parse(g.end), { withDay })}` })),
          ),
        ),
      ]
    : h("p", {}, t("preview_no_gaps"));
  fill(
    box,
    h("h2", { id: "preview-heading" }, `${t("preview_heading")}: ${plan.name}`),
    h("p", {}, t("preview_summary", { legs: plan.legs.length, handoffs: plan.handoffs.length, tzdb: plan.tzdb })),
    h("div", { class: "table-wrap" }, table),
    gaps,
  );
  box.hidden = false;
}

function renderCreated(body) {
  const box = $("created");
  const item = (label, url, testid, open = false) =>
    h(
      "div",
      { class: "link-item" },
      h("p", { class: "link-label" }, label, open ? [" ", h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, t("open"))] : null),
      copyField(url, { label, testid }),
    );
  fill(
    box,
    h("h2", { id: "created-heading" }, t("created_heading", { name: body.name })),
    h("p", {}, t("created_intro")),
    item(t("link_board"), body.board, "created-board", true),
    item(t("link_coordinator"), body.coordinator, "created-coordinator", true),
    item(t("link_viewer"), body.viewer, "created-viewer"),
    Object.entries(body.sites).map(([site, url]) => item(t("link_site", { site }), url, `created-site-${site}`)),
    item(t("link_ics"), body.ics, "created-ics"),
  );
  box.hidden = false;
  box.focus();
}

async function preview() {
  showFormError("");
  setBusy(true);
  const r = await api("/api/plan", {
    method: "POST",
    token: adminToken,
    body: $("definition").value,
    type: "application/yaml",
  });
  setBusy(false);
  if (!r.ok) {
    showFormError(t("request_failed", { message: errorMessage(r) }));
    return;
  }
  renderPlan(r.body);
}

async function create() {
  showFormError("");
  setBusy(true);
  const r = await api("/api/relays", {
    method: "POST",
    token: adminToken,
    body: $("definition").value,
    type: "application/yaml",
  });
  setBusy(false);
  if (!r.ok) {
    showFormError(t("request_failed", { message: errorMessage(r) }));
    return;
  }
  sessionStorage.removeItem(DRAFT_KEY);
  renderCreated(r.body);
  loadRelays();
}

if (adminToken) {
  $("admin").hidden = false;
  const area = $("definition");
  area.value = sessionStorage.getItem(DRAFT_KEY) || sampleDefinition();
  area.addEventListener("input", () => sessionStorage.setItem(DRAFT_KEY, area.value));
  $("definition-file").addEventListener("change", async (e) => {
    const file = e.target.files && e.target.files[0];
    if (!file) return;
    area.value = await file.text();
    sessionStorage.setItem(DRAFT_KEY, area.value);
    $("preview").hidden = true;
  });
  $("preview-button").addEventListener("click", preview);
  $("definition-form").addEventListener("submit", (e) => {
    e.preventDefault();
    create();
  });
  loadRelays();
} else {
  $("no-admin").hidden = false;
}
