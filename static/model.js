// The relay board's view model: the relay's events folded in offset order (mirrors
// relay/baton.py `evolve`), plus pure queries of it at an instant. No DOM, no clock: callers pass
// `now` (server time, ms). Unknown event types are ignored.

export const KEPT_DISPATCHES = 200;
export const KEPT_ACTIVITY = 300;

export function emptyModel() {
  return {
    offset: 0, // last applied offset
    created: false,
    relayId: null,
    name: "",
    board: "public",
    graceMs: 0,
    sites: [], // [{id, name, tz, backup, order}]
    siteById: new Map(),
    legs: [],
    legsBySite: new Map(), // planned site -> [leg index]
    actingFor: new Map(), // backup site -> [index of a leg it took over]
    handoffs: [], // [{at, fromLeg, toLeg, index}]
    coverage: [], // [{start, end, sites}]
    gaps: [],
    start: 0,
    end: 0,
    applied: 0, // handoffs applied
    holderLeg: null,
    lastPass: null,
    dispatches: [], // oldest first, at most KEPT_DISPATCHES
    activity: [], // oldest first, at most KEPT_ACTIVITY
    linkVersions: new Map(),
    readiness: new Map(), // "network/action" -> the joint action's readiness (readiness_set), in order
  };
}

const ms = (iso) => (iso ? Date.parse(iso) : NaN);

/**
 * Apply one event. Returns "skip" for an offset already applied, "gap" when an offset is missing
 * (the caller must resync from m.offset), "ok" otherwise.
 */
export function applyEvent(m, offset, type, data) {
  if (offset <= m.offset) return "skip";
  if (offset !== m.offset + 1) return "gap";
  m.offset = offset;
  data = data || {};
  switch (type) {
    case "relay_created":
      created(m, data);
      note(m, offset, type, data, data.at);
      break;
    case "baton_passed":
      if (!m.created) break;
      m.applied = data.handoff + 1;
      m.holderLeg = data.to_leg ?? null;
      m.lastPass = { ...data, atMs: ms(data.at), dueMs: ms(data.due) };
      if (data.to_leg != null && m.legs[data.to_leg]) m.legs[data.to_leg].arrival = m.lastPass;
      note(m, offset, type, data, data.at);
      break;
    case "checked_in": {
      const leg = m.legs[data.leg];
      if (!leg) break;
      leg.checkedInAt = ms(data.at);
      leg.checkinLateS = data.late_s || 0;
      leg.checkedInBy = data.site;
      note(m, offset, type, data, data.at);
      break;
    }
    case "checkin_missed": {
      const leg = m.legs[data.leg];
      if (!leg) break;
      leg.escalated = true;
      leg.missed = { ...data, backupAtMs: ms(data.backup_at) };
      note(m, offset, type, data, data.at);
      break;
    }
    case "backup_took_leg": {
      const leg = m.legs[data.leg];
      if (!leg) break;
      leg.acting = data.backup;
      leg.replaced = true;
      if (!m.actingFor.has(data.backup)) m.actingFor.set(data.backup, []);
      m.actingFor.get(data.backup).push(leg.index);
      leg.backupInfo = data;
      note(m, offset, type, data, data.at);
      break;
    }
    case "dispatch_posted":
      m.dispatches.push({ offset, site: data.site ?? null, text: String(data.text ?? ""), at: ms(data.at) });
      if (m.dispatches.length > KEPT_DISPATCHES) m.dispatches.splice(0, m.dispatches.length - KEPT_DISPATCHES);
      note(m, offset, type, data, data.at);
      break;
    case "site_link_rotated":
      m.linkVersions.set(data.site, data.version);
      note(m, offset, type, data, data.at);
      break;
    case "readiness_set":
      m.readiness.set(`${data.network}/${data.action}`, data);
      note(m, offset, type, data, data.at);
      break;
    default:
      break; // a newer server's event: kept in the log, ignored here
  }
  return "ok";
}

function note(m, offset, type, data, at) {
  m.activity.push({ offset, type, data, at: ms(at) });
  if (m.activity.length > KEPT_ACTIVITY) m.activity.splice(0, m.activity.length - KEPT_ACTIVITY);
}

function created(m, data) {
  const spec = data.spec || {};
  const plan = data.plan || { legs: [], handoffs: [], coverage: [], gaps: [] };
  m.created = true;
  m.relayId = data.relay;
  m.name = plan.name || spec.name || data.relay;
  m.board = spec.board || "public";
  m.graceMs = (Number(spec.checkin_grace) || 0) * 1000;
  m.sites = (spec.sites || []).map((s, order) => ({
    id: s.id,
    name: s.name || s.id,
    tz: s.tz,
    backup: s.backup || null,
    order,
  }));
  m.siteById = new Map(m.sites.map((s) => [s.id, s]));
  m.legs = plan.legs.map((l) => ({
    index: l.index,
    site: l.site,
    acting: l.site,
    start: ms(l.start),
    end: ms(l.end),
    localStart: l.local_start,
    localEnd: l.local_end,
    hours: l.hours,
    warnings: l.warnings || [],
    checkedInAt: null,
    checkinLateS: 0,
    checkedInBy: null,
    escalated: false,
    missed: null,
    replaced: false,
    backupInfo: null,
    arrival: null,
  }));
  m.legsBySite = new Map(m.sites.map((s) => [s.id, []]));
  for (const leg of m.legs) {
    if (!m.legsBySite.has(leg.site)) m.legsBySite.set(leg.site, []);
    m.legsBySite.get(leg.site).push(leg.index);
  }
  m.handoffs = plan.handoffs.map((h, index) => ({ index, at: ms(h.at), fromLeg: h.from_leg, toLeg: h.to_leg }));
  m.coverage = plan.coverage.map((c) => ({ start: ms(c.start), end: ms(c.end), sites: c.sites }));
  m.gaps = (plan.gaps || []).map((g) => ({ start: ms(g.start), end: ms(g.end) }));
  m.start = Math.min(...m.legs.map((l) => l.start), ...m.handoffs.map((h) => h.at));
  m.end = Math.max(...m.legs.map((l) => l.end), ...m.handoffs.map((h) => h.at));
  if (!Number.isFinite(m.start)) m.start = m.end = 0;
}

// Queries -------------------------------------------------------------------------------------

export function siteName(m, id) {
  if (id == null) return "";
  const s = m.siteById.get(id);
  return s ? s.name : id;
}

export function phase(leg, now) {
  if (now < leg.start) return "upcoming";
  if (now < leg.end) return "striking";
  return "done";
}

/** pending | checked-in | missed | backup, as seen by `site` (default: the planned site). The
 * planned site of a leg its backup took sees "backup"; the backup sees its own check-in. */
export function checkinState(leg, site = leg.site) {
  if (leg.replaced && site === leg.site) return "backup";
  if (leg.checkedInAt != null) return "checked-in";
  if (leg.replaced) return "pending"; // the backup holds it and has not checked in
  if (leg.escalated) return "missed";
  return "pending";
}

/** Every leg a site plans or holds as a backup, in start order. */
function legsOf(m, site) {
  const idx = [...(m.legsBySite.get(site) || []), ...(m.actingFor.get(site) || [])];
  return idx.sort((a, b) => a - b).map((i) => m.legs[i]); // leg indexes are in start order
}

/** The leg a check_in from `site` (without a leg) lands on: the server's rule in
 * relay/baton.py `_check_in` -- its leg in progress, else its next one; null when none is left. */
export function checkinTarget(m, site, now) {
  let first = null;
  for (const leg of legsOf(m, site)) {
    if (leg.acting !== site || leg.end <= now) continue;
    if (leg.start <= now) return leg;
    if (first === null) first = leg;
  }
  return first;
}

/** The leg that sums a site up on the board: a leg in progress it plans or holds (its own
 * first), else its next one, else its last. */
export function siteLeg(m, site, now) {
  const mine = legsOf(m, site);
  if (!mine.length) return null;
  const live = mine.filter((l) => l.start <= now && now < l.end);
  if (live.length) return live.find((l) => l.site === site) || live[0];
  const next = mine.filter((l) => l.start > now).sort((a, b) => a.start - b.start);
  if (next.length) return next[0];
  const last = (legs) => legs.sort((a, b) => b.end - a.end)[0];
  return last(mine.filter((l) => l.site === site)) || last(mine);
}

/** Who holds the baton, and what comes next, as the events say (not the clock). */
export function holderInfo(m) {
  const leg = m.holderLeg == null ? null : m.legs[m.holderLeg];
  const next = m.applied < m.handoffs.length ? m.handoffs[m.applied] : null;
  let status = "holding";
  if (!leg) {
    if (m.applied === 0) status = "before";
    else if (next) status = "gap";
    else status = "finished";
  }
  return { leg, next, status, lastPass: m.lastPass };
}

/** How many legs are in progress at `now` (from the plan's coverage). */
export function coverageAt(m, now) {
  const span = m.coverage.find((c) => c.start <= now && now < c.end);
  return span ? span.sites : 0;
}
