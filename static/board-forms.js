// What a link can do on the board: the role line at the top, a site's Check in button, the
// coordinators' check-in for any site, the dispatch form (its size from the server's
// welcome.limits), and the commands they send.
import { t } from "/static/i18n.js";
import { checkinTarget, phase, siteLeg, siteName } from "/static/model.js";
import { duration, fill, h, localIso, setAttr, setText, spansDays, utcLabel, utcTime } from "/static/util.js";
import { $, board, now, token } from "/static/board-state.js";

export function setupRole() {
  const { model, role, subject } = board;
  // who this page acts as, said plainly at the top: a person with two links open must not mix
  // them up (a check-in or a dispatch goes out under this name)
  const roleEl = $("role");
  const roleText = {
    public: t("you_are_public"),
    viewer: t("you_are_viewer"),
    coordinator: t("you_are_coordinator"),
    site: t("you_are_site", { site: siteName(model, subject), id: subject }),
  }[role];
  const failed = board.lastStatus?.state === "failed";
  setText(roleEl, roleText || (token && !failed ? t("you_are_checking") : ""));
  roleEl.hidden = !roleEl.textContent || failed;
  setAttr(roleEl, "data-role", role || "");
  const isSite = role === "site" && subject;
  const isCoord = role === "coordinator";
  $("site-controls").hidden = !isSite;
  $("coord-controls").hidden = !isCoord;
  $("dispatch-card").hidden = !(isSite || isCoord);
  $("dispatch-from-field").hidden = !isCoord;
  $("links-card").hidden = !isCoord;
  document.body.dataset.role = role || "";
  if (!model.created) return;
  if (isSite) setText($("site-controls-heading"), t("controls_heading", { site: siteName(model, subject) }));
  if (isCoord) {
    fillSelect($("coord-site"), model.sites.map((s) => [s.id, s.name]));
    fillSelect($("dispatch-from"), [["", t("dispatch_from_coordinators")], ...model.sites.map((s) => [s.id, s.name])]);
  }
  if (model.graceMs) setText($("checkin-hint"), t("checkin_hint", { grace: duration(model.graceMs) }));
}

function fillSelect(select, options) {
  const keep = select.value;
  const key = options.map(([v, l]) => `${v}=${l}`).join("|");
  if (select.dataset.key === key) return;
  select.dataset.key = key;
  fill(select, options.map(([value, label]) => h("option", { value }, label)));
  if (options.some(([v]) => v === keep)) select.value = keep;
}

export function renderControls(n) {
  const { model, role, subject, busy } = board;
  if (!model.created) return;
  if (role === "site" && subject) {
    const target = checkinTarget(model, subject, n);
    const button = $("checkin-button");
    const withDay = spansDays(model.start, model.end);
    let label = t("checkin_button");
    let disabled = false;
    if (busy.checkin) {
      label = t("checkin_sending");
      disabled = true;
    } else if (!target) {
      label = t("checkin_no_leg");
      disabled = true;
    } else if (target.checkedInAt != null) {
      label = t("checkin_done");
      disabled = true;
    }
    setText(button, label);
    button.disabled = disabled;
    setAttr(button, "data-leg", target ? target.index : null);
    const shown = target || siteLeg(model, subject, n);
    if (shown) {
      const local = `${localIso(shown.localStart, { withDay })} – ${localIso(shown.localEnd, { withDay })}`;
      const utc = t("utc_suffix", { time: `${utcTime(shown.start, { withDay, seconds: "auto" })} – ${utcTime(shown.end, { withDay, seconds: "auto" })}` });
      let text = t("checkin_your_leg", { local, utc });
      if (shown.site !== subject) text += ` ${t("checkin_acting_for", { site: siteName(model, shown.site) })}`;
      if (shown.checkedInAt == null && model.graceMs && phase(shown, n) !== "done") {
        text += ` · ${t("checkin_by", { time: utcLabel(shown.start + model.graceMs, { withDay, seconds: "auto" }) })}`;
      }
      setText($("your-leg"), text);
    } else {
      setText($("your-leg"), "");
    }
    if (busy.queuedCheckin) setText($("checkin-status"), t("checkin_queued"));
  }
  if (role === "coordinator") {
    const sel = $("coord-site");
    const target = sel.value ? checkinTarget(model, sel.value, n) : null;
    const btn = $("coord-checkin-button");
    btn.disabled = busy.coordCheckin || !target || target.checkedInAt != null;
    setAttr(btn, "data-leg", target ? target.index : null);
  }
  const send = $("dispatch-submit");
  send.disabled = busy.dispatch;
  setText(send, busy.dispatch ? t("dispatch_sending") : t("dispatch_send"));
}

function commandError(err) {
  if (err.offline) return t("dispatch_offline");
  if (err.unconfirmed) return t("dispatch_unconfirmed");
  return t("error_generic", { message: err.message || err.code });
}

async function checkIn(site, leg, ui) {
  const { status, error, flag } = ui;
  const { busy, stream } = board;
  setText(error, "");
  setText(status, "");
  busy[flag] = true;
  const queued = !stream.live;
  if (queued && flag === "checkin") busy.queuedCheckin = true;
  if (queued) setText(status, t("checkin_queued"));
  renderControls(now());
  const command = { type: "check_in" };
  if (site) command.site = site;
  if (leg != null) command.leg = leg;
  try {
    await stream.command(command, { retry: true });
    // a site's own button turns into "Checked in"; a coordinator is told which site it was
    setText(status, site ? t("coord_checked_in", { site: siteName(board.model, site) }) : "");
  } catch (err) {
    setText(status, "");
    setText(error, commandError(err));
  } finally {
    busy[flag] = false;
    if (flag === "checkin") busy.queuedCheckin = false;
    renderControls(now());
  }
}

/** "12 / N": the dispatch's length against the server's limit N (welcome.limits.dispatch, which
 * live.js also puts on the field as its maxlength). Nothing before the welcome: the form is hidden. */
export function updateCount() {
  const max = board.stream.limits.dispatch;
  const n = [...$("dispatch-text").value].length;
  setText($("dispatch-count"), max ? t("dispatch_count", { n, max }) : "");
}

async function sendDispatch(e) {
  e.preventDefault();
  const { busy, stream } = board;
  const area = $("dispatch-text");
  const error = $("dispatch-error");
  const status = $("dispatch-status");
  setText(error, "");
  setText(status, "");
  const text = area.value.trim();
  if (!text) {
    setText(error, t("dispatch_empty"));
    area.focus();
    return;
  }
  const command = { type: "dispatch", text };
  if (board.role === "coordinator" && $("dispatch-from").value) command.site = $("dispatch-from").value;
  busy.dispatch = true;
  renderControls(now());
  try {
    await stream.command(command);
    area.value = "";
    updateCount();
    setText(status, t("dispatch_sent"));
    setTimeout(() => status.textContent === t("dispatch_sent") && setText(status, ""), 4000);
  } catch (err) {
    setText(error, commandError(err));
  } finally {
    busy.dispatch = false;
    renderControls(now());
  }
}

/** The buttons and forms, listened to once. */
export function wireForms() {
  $("checkin-button").addEventListener("click", () => {
    const target = checkinTarget(board.model, board.subject, now());
    checkIn(null, target ? target.index : null, { status: $("checkin-status"), error: $("checkin-error"), flag: "checkin" });
  });
  $("coord-checkin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const site = $("coord-site").value;
    const target = checkinTarget(board.model, site, now());
    checkIn(site, target ? target.index : null, {
      status: $("coord-checkin-status"),
      error: $("coord-checkin-error"),
      flag: "coordCheckin",
    });
  });
  $("coord-site").addEventListener("change", () => {
    setText($("coord-checkin-error"), "");
    setText($("coord-checkin-status"), "");
    renderControls(now());
  });
  $("dispatch-text").addEventListener("input", updateCount);
  $("dispatch-form").addEventListener("submit", sendDispatch);
}
