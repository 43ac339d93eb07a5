// The assembly's view model: its events folded in offset order, mirroring assembly/core.py
// `evolve` (unknown event types are ignored), and the speaking order computed exactly like
// assembly/queue.py. No DOM and no clock here: callers pass `now` (server time, ms) where it matters.

export const KINDS = ["speech", "reply", "point_of_order"];
export const CHOICES = ["yes", "no", "abstain"];

export function emptyModel() {
  return {
    offset: 0, // last applied offset
    created: false,
    assemblyId: null,
    title: "",
    languages: [],
    speakingTime: {}, // kind -> seconds
    rules: { first_time_first: true, region_rotation: false, region_budget: null }, // budget in s
    quorum: "0.5",
    viewers: "public",
    secretK: 5, // a secret ballot needs every weight shared by at least this many delegates
    people: new Map(), // id -> {id, role, name, language, site, region, weight, booth, understands}
    linkVersions: new Map(),
    present: new Set(),
    queue: [], // [{id, person, kind, at}] in the order raised
    manual: [], // entry ids the chair placed
    listOpen: true,
    nextEntry: 1,
    floor: null, // {entry, person, kind, started, deadline (ms), seconds, overtime}
    floorLanguage: null,
    booths: new Map(), // booth language -> the interpreter live in it (absent: listeners hear the floor)
    lastRegion: null,
    spoken: new Map(), // person -> speeches made
    regionSpent: new Map(), // region -> seconds
    speeches: [],
    texts: new Map(), // "d1"/"a1" -> text
    ballots: new Map(), // id -> ballot
    activity: [], // recent events worth a line, newest last
    dropped: new Map(), // person -> {at, booth, handedTo, floorEnded, offset}: gone, not seen back since
    drops: [], // every participant_dropped, oldest first: [{offset, person, booth, handedTo, floorEnded, at}]
    boothDrops: new Map(), // booth -> the drop that last changed it (until the booth changes again)
  };
}

const ms = (iso) => (iso ? Date.parse(iso) : NaN);

/** Who acts in an event (a participant who dropped and does this is back). */
const ACTORS = {
  hand_raised: (d) => d.person,
  floor_language_set: (d) => d.by,
  demand_proposed: (d) => d.proposer,
  amendment_proposed: (d) => d.proposer,
  translation_added: (d) => d.by,
  text_edited: (d) => d.by,
  vote_cast: (d) => d.voter,
  ballot_voted: (d) => d.voter,
  booth_active_set: (d) => (d.by && d.by === d.interpreter ? d.by : null),
};
const KEPT_ACTIVITY = 100;

/** Thousandths of a vote, as an integer (weights have at most three decimals). */
export function milli(weight) {
  const n = Number(weight);
  return Number.isFinite(n) ? Math.round(n * 1000) : 0;
}

function person(data, role) {
  return {
    id: data.id,
    role: role || data.role,
    name: data.name || data.id,
    language: data.language,
    site: data.site ?? null,
    region: data.region ?? null, // the server already fills region from site
    weight: data.weight ?? (role === "delegate" ? "1" : "0"),
    booth: data.booth ?? null,
    understands: data.understands || [],
  };
}

function dropEntry(m, id) {
  m.queue = m.queue.filter((e) => e.id !== id);
  m.manual = m.manual.filter((i) => i !== id);
}

function note(m, offset, type, data) {
  m.activity.push({ offset, type, data });
  if (m.activity.length > KEPT_ACTIVITY) m.activity.shift();
}

/**
 * Apply one event. Returns "skip" for an offset already applied, "gap" when an offset is missing
 * (the caller resyncs from m.offset), "ok" otherwise.
 */
export function applyEvent(m, offset, type, data) {
  if (offset <= m.offset) return "skip";
  if (offset !== m.offset + 1) return "gap";
  m.offset = offset;
  data = data || {};
  if (type !== "assembly_created" && !m.created) return "ok";
  if (m.dropped.size) {
    // someone who dropped and acts again (in the log) is back
    const actor = ACTORS[type]?.(data);
    if (actor) m.dropped.delete(actor);
  }
  switch (type) {
    case "assembly_created": {
      const d = data.definition || {};
      m.created = true;
      m.assemblyId = data.assembly;
      m.title = d.title || "";
      m.languages = d.languages || [];
      m.speakingTime = d.speaking_time || {};
      const q = d.queue || {};
      m.rules = {
        first_time_first: q.first_time_first ?? true,
        region_rotation: q.region_rotation ?? false,
        region_budget: q.region_budget || null,
      };
      m.quorum = d.quorum ?? "0.5";
      m.viewers = d.viewers || "public";
      m.secretK = d.secret_k ?? 5;
      m.people = new Map();
      for (const role of ["chair", "delegate", "interpreter"]) {
        for (const p of d[`${role}s`] || []) m.people.set(p.id, person(p, role));
      }
      break;
    }
    case "presence_changed":
      if (data.present) m.present.add(data.person);
      else m.present.delete(data.person);
      break;
    case "hand_raised":
      m.queue.push({ id: data.entry, person: data.person, kind: data.kind, at: data.at });
      m.nextEntry = data.entry + 1;
      break;
    case "hand_lowered":
      dropEntry(m, data.entry);
      break;
    case "floor_granted":
      dropEntry(m, data.entry);
      m.floor = {
        entry: data.entry,
        person: data.person,
        kind: data.kind,
        started: ms(data.at),
        deadline: ms(data.deadline),
        seconds: data.seconds,
        overtime: false,
      };
      note(m, offset, type, data);
      break;
    case "speech_ended": {
      const region = data.region ?? null;
      if (region) m.regionSpent.set(region, (m.regionSpent.get(region) || 0) + data.seconds);
      m.spoken.set(data.person, (m.spoken.get(data.person) || 0) + 1);
      m.floor = null;
      m.lastRegion = region;
      m.speeches.push(data);
      note(m, offset, type, data);
      break;
    }
    case "time_extended":
      if (m.floor) m.floor = { ...m.floor, deadline: ms(data.deadline), overtime: false };
      break;
    case "floor_overtime":
      if (m.floor) m.floor = { ...m.floor, overtime: true };
      break;
    case "queue_reordered":
      m.manual = [...data.order];
      break;
    case "list_closed":
      m.listOpen = false;
      break;
    case "list_reopened":
      m.listOpen = true;
      break;
    case "floor_language_set":
      m.floorLanguage = data.language;
      break;
    case "demand_proposed":
    case "amendment_proposed":
      m.texts.set(data.id, {
        id: data.id,
        proposer: data.proposer,
        language: data.language,
        text: data.text,
        rev: 1,
        status: "proposed",
        demand: data.demand ?? null,
        at: data.at,
        history: [{ rev: 1, text: data.text, language: data.language, by: data.proposer, at: data.at }],
        translations: new Map(),
      });
      note(m, offset, type, data);
      break;
    case "text_edited": {
      const t = m.texts.get(data.id);
      if (!t) break;
      const language = data.language ?? t.language;
      t.history = [...t.history, { rev: data.rev, text: data.text, language, by: data.by, at: data.at }];
      Object.assign(t, { text: data.text, rev: data.rev, language });
      // an adopted amendment in another language becomes the original: a translation into that
      // language would stand beside it, so it goes (as assembly/state.py does)
      t.translations.delete(language);
      break;
    }
    case "translation_added": {
      const t = m.texts.get(data.id);
      if (!t) break;
      t.translations.set(data.language, {
        language: data.language,
        text: data.text,
        sourceRev: data.source_rev,
        by: data.by,
        at: data.at,
      });
      break;
    }
    case "text_decided": {
      const t = m.texts.get(data.id);
      if (t) {
        t.status = data.status;
        t.decidedBy = data.ballot ?? null; // the ballot whose result decided it
      }
      break;
    }
    case "ballot_opened":
      m.ballots.set(data.ballot, {
        id: data.ballot,
        kind: data.kind,
        target: data.target ?? null,
        candidates: data.candidates || [],
        majority: data.majority,
        secret: Boolean(data.secret),
        quorum: data.quorum,
        opened: data.at,
        status: "open",
        votes: new Map(), // open ballots: voter -> choice
        weights: new Map(), // open ballots: voter -> weight (from the event)
        voters: new Set(),
        times: new Map(), // voter -> how many times the log says they voted (secret: changes too)
        result: null,
        weightRisk: data.weight_risk || null, // {k, classes: [{weight, delegates}]}: opened secret knowingly
      });
      note(m, offset, type, data);
      break;
    case "vote_cast": {
      const b = m.ballots.get(data.ballot);
      if (!b) break;
      b.votes.set(data.voter, data.choice);
      b.weights.set(data.voter, data.weight);
      b.voters.add(data.voter);
      b.times.set(data.voter, (b.times.get(data.voter) || 0) + 1);
      break;
    }
    case "ballot_voted": {
      const b = m.ballots.get(data.ballot);
      if (!b) break;
      b.voters.add(data.voter);
      b.times.set(data.voter, (b.times.get(data.voter) || 0) + 1);
      break;
    }
    case "ballot_closed": {
      const b = m.ballots.get(data.ballot);
      if (!b) break;
      b.status = "closed";
      b.result = data.result;
      b.closed = data.at;
      note(m, offset, type, data);
      break;
    }
    case "person_added":
      m.people.set(data.id, person(data, data.role));
      break;
    case "link_revoked":
      m.linkVersions.set(data.person, data.version);
      break;
    case "booth_active_set":
      if (data.interpreter) m.booths.set(data.booth, data.interpreter);
      else m.booths.delete(data.booth);
      m.boothDrops.delete(data.booth);
      break;
    case "participant_dropped": {
      // The server already moved the booth (booth_active_set) and ended the floor (speech_ended)
      // in the same write; applied again here so that the state holds whatever came first.
      const drop = {
        offset,
        person: data.person,
        booth: data.booth ?? null,
        handedTo: data.handed_to ?? null,
        floorEnded: Boolean(data.floor_ended),
        at: data.at,
      };
      if (drop.booth && m.booths.get(drop.booth) === drop.person) {
        if (drop.handedTo) m.booths.set(drop.booth, drop.handedTo);
        else m.booths.delete(drop.booth);
      }
      if (drop.booth) m.boothDrops.set(drop.booth, drop);
      if (drop.floorEnded && m.floor && m.floor.person === drop.person) m.floor = null;
      m.dropped.set(drop.person, drop);
      m.drops.push(drop);
      if (m.drops.length > KEPT_ACTIVITY) m.drops.shift();
      note(m, offset, type, data);
      break;
    }
    default:
      break; // a newer server's event: ignored, like core.evolve does
  }
  return "ok";
}

// Queries ---------------------------------------------------------------------------------------

export function personOf(m, id) {
  return id ? m.people.get(id) || null : null;
}

export function nameOf(m, id) {
  return personOf(m, id)?.name || id || "";
}

export function regionOf(m, id) {
  return personOf(m, id)?.region ?? null;
}

/** The speaking order, exactly as assembly/queue.py computes it:
 * 1. points of order first, in the order raised;
 * 2. entries the chair placed (queue_reordered), in the chair's order;
 * 3. the rest by (region over budget, repeat speaker if first_time_first, entry id), then region
 *    rotation (greedy on the last speaker's region) when the rules ask for it. */
export function speakingOrder(m) {
  const rules = m.rules;
  const budget = rules.region_budget ? rules.region_budget : null;
  const region = (e) => regionOf(m, e.person);
  const points = m.queue.filter((e) => e.kind === "point_of_order");
  const byId = new Map(m.queue.filter((e) => e.kind !== "point_of_order").map((e) => [e.id, e]));
  const placed = [];
  for (const i of m.manual) {
    if (byId.has(i)) {
      placed.push(byId.get(i));
      byId.delete(i);
    }
  }
  const key = (e) => {
    const overBudget = budget !== null && (m.regionSpent.get(region(e) || "") || 0) >= budget;
    const repeat = rules.first_time_first && (m.spoken.get(e.person) || 0) > 0;
    return [overBudget ? 1 : 0, repeat ? 1 : 0, e.id];
  };
  let rest = [...byId.values()].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka[0] - kb[0] || ka[1] - kb[1] || ka[2] - kb[2];
  });
  if (rules.region_rotation) rest = rotate(rest, region, currentRegion(m));
  return [...points, ...placed, ...rest];
}

function currentRegion(m) {
  if (m.floor) return regionOf(m, m.floor.person);
  return m.lastRegion ?? null;
}

function rotate(entries, region, last) {
  const pool = [...entries];
  const out = [];
  while (pool.length) {
    let pick = pool.find((e) => region(e) !== last);
    if (pick === undefined) pick = pool[0];
    pool.splice(pool.indexOf(pick), 1);
    out.push(pick);
    last = region(pick);
  }
  return out;
}

/** Why an entry sits where it does: "point" | "placed" | "over_budget" | "repeat" | "first". */
export function entryReason(m, e) {
  if (e.kind === "point_of_order") return "point";
  if (m.manual.includes(e.id)) return "placed";
  const budget = m.rules.region_budget;
  if (budget && (m.regionSpent.get(regionOf(m, e.person) || "") || 0) >= budget) return "over_budget";
  if ((m.spoken.get(e.person) || 0) > 0) return "repeat";
  return "first";
}

export function delegates(m) {
  return [...m.people.values()].filter((p) => p.role === "delegate");
}

/**
 * The weights that would let a secret ballot's published totals reveal choices, exactly as
 * assembly/core.py `weight_classes_at_risk` decides: when delegates hold more than one weight,
 * each weight held by fewer than k (the definition's secret_k) delegates. `adding` counts a
 * delegate about to be added. Returns [{weight (string), milli, delegates: [ids]}], lightest first.
 */
export function weightClassesAtRisk(m, adding = null) {
  const classes = new Map(); // milli -> {weight, milli, delegates}
  const people = delegates(m);
  if (adding && adding.role === "delegate") people.push(adding);
  for (const p of people) {
    const w = milli(p.weight);
    if (!classes.has(w)) classes.set(w, { weight: String(w / 1000), milli: w, delegates: [] });
    classes.get(w).delegates.push(p.id);
  }
  if (classes.size <= 1) return [];
  return [...classes.values()].filter((c) => c.delegates.length < m.secretK).sort((a, b) => a.milli - b.milli);
}

/** Thousandths of a vote of the delegates present. */
export function presentWeight(m) {
  let w = 0;
  for (const id of m.present) {
    const p = m.people.get(id);
    if (p && p.role === "delegate") w += milli(p.weight);
  }
  return w;
}

/** Regions of the delegates with the seconds they have spoken, in first-seen order. */
export function regionTimes(m) {
  const out = new Map();
  for (const p of delegates(m)) if (p.region && !out.has(p.region)) out.set(p.region, 0);
  for (const [r, s] of m.regionSpent) out.set(r, s);
  return out;
}

/** An open ballot's live tally from its vote_cast events: thousandths of a vote per choice. */
export function liveTally(b) {
  const totals = { yes: 0, no: 0, abstain: 0 };
  for (const [voter, choice] of b.votes) {
    if (choice in totals) totals[choice] += milli(b.weights.get(voter));
  }
  return totals;
}

/** The open ballot on a text (on it, on one of its amendments, or ranking it), if any. */
export function openBallotOn(m, tid) {
  for (const b of m.ballots.values()) {
    if (b.status !== "open") continue;
    const target = b.target ? m.texts.get(b.target) : null;
    if (b.target === tid || (target && target.demand === tid) || b.candidates.includes(tid)) return b;
  }
  return null;
}

/** Statuses of a text that can still be amended, edited and put to a ballot. */
export const OPEN_STATUSES = ["proposed", "no_quorum"];

/** A text's status as people should read it: "no_quorum" when a ballot without quorum decided it
 * (an older server logged that as "rejected"). */
export function textStatus(m, t) {
  if (t.status === "rejected" && t.decidedBy != null && m.ballots.get(t.decidedBy)?.result?.outcome === "no_quorum") {
    return "no_quorum";
  }
  return t.status;
}

/** A text that can still be amended, edited and voted on. */
export function isOpenText(t) {
  return OPEN_STATUSES.includes(t.status);
}

/** A text as read in `language`: the translation when there is one, else the original. */
export function textIn(t, language) {
  if (!language || language === t.language) {
    return { text: t.text, language: t.language, translated: false, stale: false, missing: false };
  }
  const tr = t.translations.get(language);
  if (!tr) return { text: t.text, language: t.language, translated: false, stale: false, missing: true };
  return { text: tr.text, language, translated: true, stale: tr.sourceRev < t.rev, missing: false, by: tr.by };
}

export function isStale(t, language) {
  const tr = t.translations.get(language);
  return Boolean(tr && tr.sourceRev < t.rev);
}

export function adoptedDemands(m) {
  return [...m.texts.values()].filter((t) => !t.demand && t.status === "adopted");
}

/** Entries of `person` in the speaking order with their 1-based position. */
export function positionsOf(m, personId, order = speakingOrder(m)) {
  const out = [];
  order.forEach((e, i) => {
    if (e.person === personId) out.push({ entry: e, position: i + 1 });
  });
  return out;
}

/** Thousandths of a vote as a short number: 3000 -> "3", 1500 -> "1.5". */
export function formatWeight(thousandths) {
  const v = thousandths / 1000;
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
}
