// What the board says about legs and sites, in words: a leg's check-in as a site sees it, the
// whole truth about a leg (row labels, bar titles, the details), "X for Y" when a backup acts.
import { t } from "/static/i18n.js";
import { checkinState, phase, siteName } from "/static/model.js";
import { duration, localIso, spansDays, utcLabel, utcTime } from "/static/util.js";
import { board, now } from "/static/board-state.js";

export function siteTz(id) {
  return board.model.siteById.get(id)?.tz || "UTC";
}

export function lateText(data) {
  return t("handed_late", { late: duration((data.late_s || 0) * 1000) });
}

/** "Sydney warehouse, for Auckland dockers" when `acting` holds a leg planned for another site. */
export function actingName(acting, planned) {
  const model = board.model;
  return acting != null && planned != null && acting !== planned
    ? t("site_for", { site: siteName(model, acting), planned: siteName(model, planned) })
    : siteName(model, acting);
}

/** A leg's check-in as `site` sees it (default: the planned site), in words. */
export function stateText(leg, site = leg.site) {
  const model = board.model;
  const cs = checkinState(leg, site);
  const ph = phase(leg, now());
  const withDay = spansDays(model.start, model.end);
  switch (cs) {
    case "checked-in": {
      const time = utcLabel(leg.checkedInAt, { withDay });
      return leg.checkinLateS > 0
        ? t("state_checked_in_late", { time, late: duration(leg.checkinLateS * 1000) })
        : t("state_checked_in_at", { time });
    }
    case "backup": {
      // the planned site's leg, taken over by its backup: that is what happened to it
      const took = t("state_replaced", { site: siteName(model, leg.acting) });
      if (leg.checkedInAt == null) return took;
      return `${took} · ${t("state_backup_checked_in", { time: utcLabel(leg.checkedInAt, { withDay }) })}`;
    }
    case "missed":
      if (ph === "done") return t("state_missed");
      return leg.missed?.backup
        ? t("state_missed_backup", { site: siteName(model, leg.missed.backup) })
        : t("state_missed_no_backup");
    default:
      if (ph === "done") return t("state_pending");
      // a backup that took a leg over is past its deadline already: no "check in by" for it
      if (!model.graceMs || site !== leg.site) return t("state_not_checked_in");
      return t("state_pending_by", { time: utcLabel(leg.start + model.graceMs, { withDay, seconds: "auto" }) });
  }
}

/** The whole truth about a leg as `site` sees it: whose leg it holds, where the leg is in time
 * ("on strike" only once somebody checked in), its check-in, a late handoff. */
export function legWords(leg, site, n) {
  const cs = checkinState(leg, site);
  const ph = phase(leg, n);
  const parts = [];
  if (leg.site !== site) parts.push(t("acting_for", { site: siteName(board.model, leg.site) }));
  if (cs === "checked-in") parts.push(t(`phase_${ph}`));
  else if (cs === "pending") parts.push(t(ph === "striking" ? "phase_started" : `phase_${ph}`));
  else if (cs === "missed" && ph === "done") parts.push(t("phase_done"));
  parts.push(stateText(leg, site));
  if (leg.arrival?.late) parts.push(t("state_handed_late", { late: duration((leg.arrival.late_s || 0) * 1000) }));
  return parts.join(" · ");
}

export function legSummary(leg) {
  const model = board.model;
  const withDay = spansDays(model.start, model.end);
  return t("leg_summary", {
    site: siteName(model, leg.site),
    n: leg.index + 1,
    local_start: localIso(leg.localStart, { withDay }),
    local_end: localIso(leg.localEnd, { withDay }),
    utc_start: utcTime(leg.start, { withDay, seconds: "auto" }),
    utc_end: utcTime(leg.end, { withDay, seconds: "auto" }),
    state: legWords(leg, leg.site, now()),
  });
}
