// The dispatches feed (newest first, each in UTC and the sender's own time) and the relay log of
// what happened (check-ins, handoffs, takeovers, new links), added to as events come in.
import { t } from "/static/i18n.js";
import { siteName } from "/static/model.js";
import { duration, fill, h, spansDays, utcLabel, utcTime, zoneTime } from "/static/util.js";
import { $, board, now } from "/static/board-state.js";
import { actingName } from "/static/board-words.js";

export function renderFeed() {
  const model = board.model;
  const list = $("feed");
  const fresh = model.dispatches.filter((d) => d.offset > board.feedTop);
  for (const d of fresh) {
    list.prepend(feedItem(d));
    board.feedTop = d.offset;
  }
  while (list.children.length > model.dispatches.length) list.lastElementChild.remove();
  $("feed-empty").hidden = model.dispatches.length > 0;
}

function feedItem(d) {
  const site = d.site ? board.model.siteById.get(d.site) : null;
  const when = Number.isFinite(d.at) ? d.at : now();
  const utc = utcLabel(when, { withDay: spansDays(when, now()) });
  let time = utc;
  if (site) {
    const local = zoneTime(when, site.tz);
    // a site on UTC (Lisbon in winter, Accra...) is not told the same time twice
    time = local === utcTime(when) ? t("feed_time_same", { utc, site: site.name }) : t("feed_time_local", { utc, local, site: site.name });
  }
  const head = h(
    "p",
    { class: "feed-head" },
    h("strong", { class: "feed-site" }, site ? site.name : d.site || t("feed_from_coordinators")),
    " ",
    h("time", { class: "feed-time", datetime: new Date(when).toISOString() }, time),
  );
  return h(
    "li",
    { class: `feed-item${d.site ? "" : " from-coordinators"}`, dataset: { testid: "feed-item", offset: d.offset, site: d.site || "" } },
    head,
    h("p", { class: "feed-text" }, d.text),
  );
}

export function renderActivity() {
  const model = board.model;
  const list = $("activity");
  for (const a of model.activity.filter((x) => x.offset > board.activityTop)) {
    const item = activityItem(a);
    if (item) list.prepend(item);
    board.activityTop = a.offset;
  }
  while (list.children.length > model.activity.length) list.lastElementChild.remove();
  $("activity-empty").hidden = list.children.length > 0;
}

function activityItem(a) {
  const model = board.model;
  const d = a.data;
  const name = (id) => siteName(model, id);
  let text;
  let late = null;
  switch (a.type) {
    case "relay_created":
      text = t("act_created", { count: model.legs.length });
      break;
    case "baton_passed": {
      if (d.from == null && d.to == null) return null;
      // from/to are the sites acting for the legs: a backup passes (or gets) the baton for another
      const planned = (legIndex) => model.legs[legIndex]?.site;
      const from = actingName(d.from, planned(d.from_leg));
      const to = actingName(d.to, planned(d.to_leg));
      text = d.from == null ? t("act_start", { to }) : d.to == null ? t("act_end", { from }) : t("act_pass", { from, to });
      if (d.late) late = t("act_late", { late: duration(d.late_s * 1000) });
      break;
    }
    case "checked_in":
      if (d.late_s > 0) text = t("act_checked_in_late", { site: name(d.site), late: duration(d.late_s * 1000) });
      else if (d.by === "coordinator") text = t("act_checked_in_by_coordinators", { site: name(d.site) });
      else text = t("act_checked_in", { site: name(d.site) });
      break;
    case "checkin_missed":
      text = d.backup ? t("act_missed", { site: name(d.site), backup: name(d.backup) }) : t("act_missed_no_backup", { site: name(d.site) });
      break;
    case "backup_took_leg":
      text = t("act_backup", { site: name(d.site), backup: name(d.backup) });
      break;
    case "dispatch_posted":
      text = t("act_dispatch", { site: d.site ? name(d.site) : t("feed_from_coordinators") });
      break;
    case "site_link_rotated":
      text = t("act_rotated", { site: name(d.site) });
      break;
    case "readiness_set":
      text = t(d.ready ? "act_ready" : d.go ? "act_proceeding" : "act_not_ready", { action: String(d.name ?? "") });
      break;
    default:
      return null;
  }
  const when = a.at;
  return h(
    "li",
    { class: `act act-${a.type}${late ? " late" : ""}`, dataset: { offset: a.offset, type: a.type } },
    Number.isFinite(when) ? h("time", { datetime: new Date(when).toISOString() }, utcTime(when, { seconds: true })) : null,
    h("span", { class: "act-text" }, text),
    late ? h("span", { class: "late" }, ` · ${late}`) : null,
  );
}

/** Empty the feed and the log: they are written again from the model on the next render. */
export function clearFeed() {
  board.feedTop = board.activityTop = 0;
  fill($("feed"));
  fill($("activity"));
}
