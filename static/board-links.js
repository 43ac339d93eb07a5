// Links and files: the coordinators' list of every link of the relay (with a site link's
// replacement), and the calendar downloads in the footer (a private board's with the link).
import { t } from "/static/i18n.js";
import { siteName } from "/static/model.js";
import { api, copyField, errorMessage, fill, h, setText } from "/static/util.js";
import { $, board, relayId, token } from "/static/board-state.js";

export async function loadLinks() {
  const body = $("links-body");
  const error = $("links-error");
  setText(error, "");
  const r = await api(`/api/relays/${encodeURIComponent(relayId)}/links`, { token });
  if (!r.ok) {
    setText(error, t("links_error", { message: errorMessage(r) }));
    return;
  }
  const L = r.body;
  const list = h("dl", { class: "links-list" });
  list.append(h("dt", {}, t("link_board")), h("dd", {}, copyField(L.board, { label: t("link_board") })));
  list.append(h("dt", {}, t("link_coordinator")), h("dd", {}, copyField(L.coordinator, { label: t("link_coordinator") })));
  list.append(h("dt", {}, t("link_viewer")), h("dd", {}, copyField(L.viewer, { label: t("link_viewer") })));
  for (const [site, url] of Object.entries(L.sites)) {
    const dd = h("dd", {}, copyField(url, { label: siteName(board.model, site), testid: `link-${site}` }));
    const rotate = h("button", {
      type: "button",
      class: "btn btn-small btn-danger",
      onclick: async () => {
        if (!window.confirm(t("links_rotate_confirm", { site: siteName(board.model, site) }))) return;
        const res = await api(`/api/relays/${encodeURIComponent(relayId)}/commands`, {
          method: "POST",
          token,
          type: "application/json",
          body: JSON.stringify({ type: "rotate_site_link", site }),
        });
        if (!res.ok) setText(error, t("error_generic", { message: errorMessage(res) }));
        else loadLinks();
      },
    }, t("links_rotate"));
    dd.append(rotate);
    list.append(h("dt", {}, t("link_site", { site: siteName(board.model, site) })), dd);
  }
  fill(body, list);
}

export function setupCalendar() {
  const id = encodeURIComponent(relayId);
  const all = $("calendar-link");
  all.href = `/relay/${id}.ics`;
  all.hidden = false;
  const mine = $("site-calendar-link");
  if (board.role === "site" && board.subject) {
    mine.href = `/relay/${id}/sites/${encodeURIComponent(board.subject)}.ics`;
    mine.hidden = false;
  }
}

/** The links list loads when opened; the calendar links download. */
export function wireLinks() {
  $("links-details").addEventListener("toggle", () => {
    if ($("links-details").open) loadLinks();
  });
  // A private board's calendar needs the link: fetch it with the Authorization header (never a
  // ?token= query) and hand the file over as a download.
  for (const id of ["calendar-link", "site-calendar-link"]) {
    $(id).addEventListener("click", async (e) => {
      if (board.model.board !== "private" || !token) return;
      e.preventDefault();
      const a = e.currentTarget;
      const res = await fetch(a.getAttribute("href"), {
        headers: { authorization: `Bearer ${token}` },
        credentials: "omit",
        cache: "no-store",
      }).catch(() => null);
      if (!res || !res.ok) {
        setText($("calendar-error"), t("calendar_error", { message: res ? res.status : t("network_error") }));
        return;
      }
      const url = URL.createObjectURL(await res.blob());
      const dl = h("a", { href: url, download: a.getAttribute("href").split("/").pop() });
      document.body.append(dl);
      dl.click();
      dl.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    });
  }
}
