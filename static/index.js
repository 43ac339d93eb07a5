// The front page: what Mayday is, open a board by id or link, and -- with the server's admin link
// (#admin=TOKEN, kept in the fragment and sent only as an Authorization header) -- every relay and
// assembly on the server with all their links, and previewing and creating both from a
// definition.
import { LANG, applyI18n, languagePicker, t } from "/static/i18n.js";
import { api, copyField, errorMessage, fill, fragmentParam, h, isLinkFragment, isoOffset, localIso, skipLinks, utcTime } from "/static/util.js";

applyI18n();
document.title = t("index_title");

const $ = (id) => document.getElementById(id);
const adminToken = fragmentParam("admin");
const RELAY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const DRAFT_KEY = "mayday:relay-draft";
const ASM_DRAFT_KEY = "mayday:assembly-draft";

// Another admin link opened in this tab: start again with it (not with the old one).
window.addEventListener("hashchange", () => {
  if (fragmentParam("admin") !== adminToken && isLinkFragment()) location.reload();
});

// What is on screen, kept to write it again in another language.
const shown = {
  relays: null, // the last /api/relays reply (or an error result)
  assemblies: null,
  plan: null,
  created: null,
  asmPreview: null,
  asmCreated: null,
  links: new Map(), // "relay:ID" | "assembly:ID" -> links reply, for the open panels
};

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

// Helpers -------------------------------------------------------------------------------------

/** A language's name in the page's language ("Spanish", "espagnol"), else its code. */
function languageLabel(code) {
  try {
    const name = new Intl.DisplayNames([LANG], { type: "language" }).of(code);
    if (name && name !== code) return `${name} (${code})`;
  } catch {
    // no DisplayNames on this browser
  }
  return code;
}

/** One link: its label (with an Open link when asked) and the URL with a Copy button. */
function linkItem(label, url, testid, { open = false } = {}) {
  return h(
    "div",
    { class: "link-item" },
    h(
      "p",
      { class: "link-label" },
      h("bdi", {}, label),
      open ? [" ", h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, t("open"))] : null,
    ),
    copyField(url, { label, testid }),
  );
}

function relayLinkItems(L, prefix) {
  return [
    linkItem(t("link_board"), L.board, `${prefix}-board`, { open: true }),
    linkItem(t("link_coordinator"), L.coordinator, `${prefix}-coordinator`, { open: true }),
    linkItem(t("link_viewer"), L.viewer, `${prefix}-viewer`),
    Object.entries(L.sites || {}).map(([site, url]) =>
      linkItem(t("link_site", { site: L.names?.[site] ? `${L.names[site]} (${site})` : site }), url, `${prefix}-site-${site}`, {
        open: true,
      }),
    ),
    L.ics ? linkItem(t("link_ics"), L.ics, `${prefix}-ics`) : null,
  ];
}

function assemblyLinkItems(L, prefix, names = L.names || {}) {
  const people = (group, key) =>
    Object.entries(L[group] || {}).map(([id, url]) =>
      linkItem(t(key, { name: names[id] ? `${names[id]} (${id})` : id }), url, `${prefix}-${group}-${id}`, { open: true }),
    );
  return [
    linkItem(t("link_watch"), L.watch, `${prefix}-watch`, { open: true }),
    L.viewer ? linkItem(t("link_asm_viewer"), L.viewer, `${prefix}-viewer`) : null,
    people("chairs", "link_chair"),
    people("delegates", "link_delegate"),
    people("interpreters", "link_interpreter"),
    L.minutes ? linkItem(t("link_minutes"), L.minutes, `${prefix}-minutes`, { open: true }) : null,
  ];
}

function showAdminError(r) {
  if (r.status === 401 || r.status === 403) {
    const err = $("admin-error");
    err.textContent = t("admin_invalid", { message: errorMessage(r) });
    err.hidden = false;
  }
}

// Lists of relays and assemblies, each with its links -----------------------------------------

const KINDS = {
  relay: {
    box: "relays",
    list: "/api/relays",
    key: "relays",
    loading: "relays_loading",
    none: "relays_none",
    error: "relays_error",
    title: (x) => x.name,
    page: (x) => `/relay/${encodeURIComponent(x.id)}`,
    open: "open_relay_board",
    links: (id) => `/api/relays/${encodeURIComponent(id)}/links`,
    items: (L, id) => relayLinkItems(L, `links-${id}`),
  },
  assembly: {
    box: "assemblies",
    list: "/api/assemblies",
    key: "assemblies",
    loading: "assemblies_loading",
    none: "assemblies_none",
    error: "assemblies_error",
    title: (x) => x.title,
    page: (x) => `/assembly/${encodeURIComponent(x.id)}/watch`,
    open: "open_watch_page",
    links: (id) => `/api/assemblies/${encodeURIComponent(id)}/links`,
    items: (L, id) => assemblyLinkItems(L, `links-${id}`),
  },
};

async function loadList(kind) {
  const K = KINDS[kind];
  if (!shown[K.key]) fill($(K.box), h("p", { class: "hint" }, t(K.loading)));
  const r = await api(K.list, { token: adminToken });
  if (!r.ok) showAdminError(r);
  shown[K.key] = r;
  renderList(kind);
}

function renderList(kind) {
  const K = KINDS[kind];
  const box = $(K.box);
  const r = shown[K.key];
  if (!r) return;
  if (!r.ok) {
    fill(box, h("p", { class: "control-error" }, t(K.error, { message: errorMessage(r) })));
    return;
  }
  const items = r.body[K.key] || [];
  if (!items.length) {
    fill(box, h("p", { class: "empty" }, t(K.none)));
    return;
  }
  fill(
    box,
    h(
      "ul",
      { class: "item-list" },
      items.map((x) => {
        const panelId = `links-panel-${kind}-${x.id}`;
        const panel = h("div", { class: "links-panel", id: panelId, dataset: { testid: `links-panel-${x.id}` }, hidden: true });
        const button = h(
          "button",
          {
            type: "button",
            class: "btn btn-small",
            "aria-expanded": "false",
            "aria-controls": panelId,
            dataset: { testid: `links-button-${x.id}` },
            onclick: () => toggleLinks(kind, x.id, button, panel),
          },
          t("show_links"),
        );
        const li = h(
          "li",
          { dataset: { [kind]: x.id } },
          h(
            "div",
            { class: "item-head" },
            h("a", { href: K.page(x), class: "item-title" }, h("bdi", {}, K.title(x) || t("relay_untitled"))),
            h("code", { class: "item-id" }, x.id),
            button,
          ),
          panel,
        );
        // a panel that was open stays open (and is written in the new language)
        if (shown.links.has(`${kind}:${x.id}`)) showLinks(kind, x.id, button, panel, shown.links.get(`${kind}:${x.id}`));
        return li;
      }),
    ),
  );
}

async function toggleLinks(kind, id, button, panel) {
  const key = `${kind}:${id}`;
  if (!panel.hidden) {
    panel.hidden = true;
    shown.links.delete(key);
    button.setAttribute("aria-expanded", "false");
    button.textContent = t("show_links");
    return;
  }
  panel.hidden = false;
  fill(panel, h("p", { class: "hint" }, t("links_loading")));
  const r = await api(KINDS[kind].links(id), { token: adminToken });
  if (!r.ok) {
    fill(panel, h("p", { class: "control-error" }, t("links_error", { message: errorMessage(r) })));
    return;
  }
  shown.links.set(key, r.body);
  showLinks(kind, id, button, panel, r.body);
}

function showLinks(kind, id, button, panel, links) {
  fill(panel, KINDS[kind].items(links, id));
  panel.hidden = false;
  button.setAttribute("aria-expanded", "true");
  button.textContent = t("hide_links");
}

// Relays: preview and create ------------------------------------------------------------------

// The samples' date: a day whose 06:00 has not come yet in any of the sample's zones. "Tomorrow"
// in UTC is not enough: after 22:00 UTC, Manila's 06:00 of tomorrow's UTC date is already past,
// and the sample relay would open with a missed check-in. 28 h ahead keeps the first 06:00 at
// UTC+8 at least 2 h away.
function sampleDate() {
  return new Date(Date.now() + 28 * 3600000).toISOString().slice(0, 10);
}

function sampleDefinition() {
  const date = sampleDate();
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

function sampleAssembly() {
  const date = sampleDate();
  return `# A sample assembly in English and Spanish, with an interpreter in each booth.
title: Sample assembly, ${date}
languages: [en, es]
viewers: public
chairs:
  - {id: ama, name: Ama Owusu, language: en}
delegates:
  - {id: ngozi, name: Ngozi Okafor, site: lag, region: africa, weight: 2, language: en}
  - {id: rosa, name: Rosa Quispe, site: lpb, region: americas, language: es}
  - {id: maria, name: Maria Santos, site: mnl, region: asia, language: en}
interpreters:
  - {id: lucia, name: Lucía Fernández, booth: es, understands: [en]}
  - {id: jun, name: Jun Reyes, booth: en, understands: [es]}
`;
}

function setBusy(prefix, busy) {
  $(`${prefix}preview-button`).disabled = busy;
  $(`${prefix}create-button`).disabled = busy;
  $(`${prefix}form-status`).textContent = busy ? t("working") : "";
}

function renderPlan() {
  const plan = shown.plan;
  const box = $("preview");
  if (!plan) return;
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
      h("td", {}, t("details_hours_value", { h: Math.round(leg.hours * 100) / 100 })),
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
    h("h2", { id: "preview-heading" }, t("preview_heading", { name: plan.name })),
    h(
      "p",
      { dataset: { testid: "plan-summary" } },
      t("preview_summary", {
        legs: t("preview_legs", { count: plan.legs.length }),
        handoffs: t("preview_handoffs", { count: plan.handoffs.length }),
        tzdb: plan.tzdb,
      }),
    ),
    h("div", { class: "table-wrap" }, table),
    gaps,
  );
  box.hidden = false;
}

function renderCreated(focus = false) {
  const body = shown.created;
  const box = $("created");
  if (!body) return;
  fill(
    box,
    h("h2", { id: "created-heading" }, t("created_heading", { name: body.name })),
    h("p", {}, t("created_intro")),
    relayLinkItems(body, "created"),
  );
  box.hidden = false;
  if (focus) box.focus();
}

async function submitDefinition(kind, action) {
  const relay = kind === "relay";
  const prefix = relay ? "" : "asm-";
  const error = $(`${prefix}form-error`);
  error.textContent = "";
  setBusy(prefix, true);
  const path = relay ? (action === "preview" ? "/api/plan" : "/api/relays") : action === "preview" ? "/api/assemblies/preview" : "/api/assemblies";
  const r = await api(path, {
    method: "POST",
    token: adminToken,
    body: $(relay ? "definition" : "asm-definition").value,
    type: "application/yaml",
  });
  setBusy(prefix, false);
  if (!r.ok) {
    error.textContent = t("request_failed", { message: errorMessage(r) });
    return;
  }
  if (relay && action === "preview") {
    shown.plan = r.body;
    renderPlan();
  } else if (relay) {
    sessionStorage.removeItem(DRAFT_KEY);
    shown.created = r.body;
    renderCreated(true);
    loadList("relay");
  } else if (action === "preview") {
    shown.asmPreview = r.body;
    renderAssemblyPreview();
  } else {
    sessionStorage.removeItem(ASM_DRAFT_KEY);
    shown.asmCreated = r.body;
    renderAssemblyCreated(true);
    loadList("assembly");
  }
}

// Assemblies: preview and create --------------------------------------------------------------

function peopleTable(people, columns, testid) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { dataset: { testid } },
      h("thead", {}, h("tr", {}, columns.map(([key]) => h("th", { scope: "col" }, t(key))))),
      h(
        "tbody",
        {},
        people.map((p) =>
          h(
            "tr",
            { dataset: { person: p.id } },
            columns.map(([key, get], i) => {
              const value = get(p);
              return i === 0 ? h("th", { scope: "row" }, h("bdi", {}, value)) : h("td", {}, value);
            }),
          ),
        ),
      ),
    ),
  );
}

function renderAssemblyPreview() {
  const p = shown.asmPreview;
  const box = $("asm-preview");
  if (!p) return;
  const name = ["asm_col_name", (x) => (x.name && x.name !== x.id ? `${x.name} (${x.id})` : x.id)];
  const lang = ["asm_col_language", (x) => (x.language ? languageLabel(x.language) : "")];
  const warnings = p.warnings || [];
  fill(
    box,
    h("h2", { id: "asm-preview-heading" }, t("asm_preview_heading", { title: p.title })),
    h("p", { dataset: { testid: "asm-languages" } }, t("asm_languages", { list: (p.languages || []).map(languageLabel).join(", ") })),
    warnings.length
      ? h(
          "div",
          { class: "notice", dataset: { testid: "asm-warnings" } },
          h("p", {}, h("strong", {}, t("asm_warnings"))),
          h("ul", {}, warnings.map((w) => h("li", {}, w))),
        )
      : h("p", { dataset: { testid: "asm-warnings" } }, t("asm_no_warnings")),
    h("h3", {}, t("asm_chairs", { count: (p.chairs || []).length })),
    peopleTable(p.chairs || [], [name, lang], "asm-chairs"),
    h("h3", {}, t("asm_delegates", { count: (p.delegates || []).length })),
    peopleTable(
      p.delegates || [],
      [
        name,
        ["asm_col_site", (x) => x.site || ""],
        ["asm_col_region", (x) => x.region || ""],
        ["asm_col_weight", (x) => (x.weight == null ? "" : String(x.weight))],
        lang,
      ],
      "asm-delegates",
    ),
    h("h3", {}, t("asm_interpreters", { count: (p.interpreters || []).length })),
    peopleTable(p.interpreters || [], [name, ["asm_col_booth", (x) => (x.booth ? languageLabel(x.booth) : "")]], "asm-interpreters"),
  );
  box.hidden = false;
}

function renderAssemblyCreated(focus = false) {
  const body = shown.asmCreated;
  const box = $("asm-created");
  if (!body) return;
  // names from the preview of this definition, when there was one
  const names = {};
  for (const group of ["chairs", "delegates", "interpreters"]) {
    for (const x of shown.asmPreview?.[group] || []) names[x.id] = x.name;
  }
  fill(
    box,
    h("h2", { id: "asm-created-heading" }, t("asm_created_heading", { title: body.title })),
    h("p", {}, t("asm_created_intro")),
    assemblyLinkItems(body, "asm-created", names),
  );
  box.hidden = false;
  if (focus) box.focus();
}

// Language ------------------------------------------------------------------------------------

/** Everything this page wrote itself, in the language just chosen. */
function relabel() {
  document.title = t("index_title");
  if (!adminToken) return;
  renderList("relay");
  renderList("assembly");
  renderPlan();
  renderCreated();
  renderAssemblyPreview();
  renderAssemblyCreated();
  for (const prefix of ["", "asm-"]) {
    const status = $(`${prefix}form-status`);
    if (status.textContent) status.textContent = t("working");
  }
}

languagePicker($("lang-slot"), { onChange: relabel });
skipLinks();

// Start ---------------------------------------------------------------------------------------

function draftArea(id, fileId, key, sample, previewBox) {
  const area = $(id);
  area.value = sessionStorage.getItem(key) || sample;
  area.addEventListener("input", () => sessionStorage.setItem(key, area.value));
  $(fileId).addEventListener("change", async (e) => {
    const file = e.target.files && e.target.files[0];
    if (!file) return;
    area.value = await file.text();
    sessionStorage.setItem(key, area.value);
    $(previewBox).hidden = true;
  });
}

if (adminToken) {
  $("admin").hidden = false;
  $("identity").hidden = false;
  draftArea("definition", "definition-file", DRAFT_KEY, sampleDefinition(), "preview");
  draftArea("asm-definition", "asm-definition-file", ASM_DRAFT_KEY, sampleAssembly(), "asm-preview");
  $("preview-button").addEventListener("click", () => submitDefinition("relay", "preview"));
  $("definition-form").addEventListener("submit", (e) => {
    e.preventDefault();
    submitDefinition("relay", "create");
  });
  $("asm-preview-button").addEventListener("click", () => submitDefinition("assembly", "preview"));
  $("asm-form").addEventListener("submit", (e) => {
    e.preventDefault();
    submitDefinition("assembly", "create");
  });
  loadList("relay");
  loadList("assembly");
} else {
  $("no-admin").hidden = false;
}
