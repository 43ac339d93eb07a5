// The status card at the top of the board: who holds the baton now (for whom, since when, checked
// in or not), and the next handoff with its countdown.
import { t } from "/static/i18n.js";
import { checkinState, holderInfo, siteName } from "/static/model.js";
import { clock, fill, h, setAttr, setText, spansDays, utcLabel, zoneTime } from "/static/util.js";
import { $, board } from "/static/board-state.js";
import { actingName, lateText, siteTz, stateText } from "/static/board-words.js";

export function renderHolder(n) {
  const model = board.model;
  const info = holderInfo(model);
  const holder = $("holder");
  const leg = info.leg;
  const asBackup = Boolean(leg && leg.acting !== leg.site);
  setAttr(holder, "data-site", leg ? leg.acting : "");
  setAttr(holder, "data-for", asBackup ? leg.site : null);
  setAttr(holder, "data-status", info.status);
  let name;
  if (leg) name = siteName(model, leg.acting);
  else if (info.status === "gap") name = t("holder_gap");
  else if (info.status === "finished") name = t("holder_finished");
  else name = t("holder_nobody");
  setText($("holder-name"), name);
  // a backup holds the baton for the site that missed its check-in: say for whom
  setText($("holder-for"), asBackup ? t("holder_for", { site: siteName(model, leg.site) }) : "");
  setText($("holder-local"), leg ? t("holder_local", { time: zoneTime(n, siteTz(leg.acting)), tz: siteTz(leg.acting) }) : "");

  const meta = [];
  const takeover = asBackup && leg.backupInfo ? Date.parse(leg.backupInfo.at) : NaN;
  if (Number.isFinite(takeover)) {
    // the backup has held it since it took over, not since the baton reached the planned site
    meta.push(h("span", { dataset: { testid: "holder-since" } }, t("holder_since_takeover", { time: utcLabel(takeover, { seconds: "auto" }) })));
  } else if (info.lastPass && (leg || info.status !== "before")) {
    meta.push(h("span", { dataset: { testid: "holder-since" } }, t("holder_since", { time: utcLabel(info.lastPass.atMs, { seconds: "auto" }) })));
    if (info.lastPass.late) meta.push(h("span", { class: "late", dataset: { testid: "holder-late" } }, lateText(info.lastPass)));
  }
  if (leg) {
    const cs = checkinState(leg, leg.acting);
    let chip;
    if (cs === "checked-in") chip = t("holder_checked_in");
    else if (cs === "pending") chip = asBackup ? t("holder_backup_not_checked_in") : t("holder_not_checked_in");
    else chip = stateText(leg, leg.acting);
    meta.push(h("span", { class: `chip chip-${cs}`, dataset: { testid: "holder-chip" } }, chip));
  }
  const key = meta.map((m) => m.textContent).join("|");
  const metaEl = $("holder-meta");
  if (metaEl.dataset.key !== key) {
    metaEl.dataset.key = key;
    fill(metaEl, meta);
  }
  holder.classList.toggle("is-late", Boolean(info.lastPass?.late && leg));

  // next handoff
  const next = info.next;
  const nextEl = $("next");
  let nextName = t("next_none");
  let nextSite = "";
  if (next) {
    if (next.toLeg != null) {
      const to = model.legs[next.toLeg];
      nextSite = to.acting;
      // the same site taking the baton again (a backup whose own leg is next) is said so
      nextName = leg && leg.acting === to.acting && asBackup && to.acting === to.site
        ? t("next_own_leg", { site: siteName(model, to.acting) })
        : actingName(to.acting, to.site);
    } else {
      nextName = next.index === model.handoffs.length - 1 ? t("next_end") : t("next_gap");
    }
  }
  setAttr(nextEl, "data-site", nextSite);
  setText($("next-name"), nextName);
  const cd = $("countdown");
  if (next) {
    const left = next.at - n;
    const text = left > 0 ? clock(left) : t("countdown_due");
    setText(cd, text);
    setAttr(cd, "data-ms", Math.round(left));
    setText(
      $("next-at"),
      info.status === "before"
        ? t("starts_in", { time: utcLabel(next.at, { seconds: "auto", withDay: spansDays(n, next.at) }) })
        : t("next_at", { time: utcLabel(next.at, { seconds: "auto", withDay: spansDays(n, next.at) }) }),
    );
  } else {
    setText(cd, "");
    setAttr(cd, "data-ms", null);
    setText($("next-at"), "");
  }
}
