"""The live relay as a pure state machine: ``decide(state, command, now) -> events`` and
``evolve(state, event) -> state``.

No clock, no I/O, no loop: the shell passes ``now`` in and appends what comes out. Timers are
commands too: ``deadlines(state)`` says when something is next due, the scheduler shell sends
``Tick`` at that instant, and ``decide`` emits whatever is due by ``now`` -- late, and saying how
late, after a restart. Two processes ticking at once decide against the same log offset; the log
lets one append win, and the loser, reloaded, finds nothing left to do.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass, field, replace
from typing import Any

from mayday.clock import iso
from mayday.errors import DomainError
from mayday.log import NewEvent
from relay.plan import Handoff, Leg, Plan, Span, parse_utc, plan, plan_to_json, utc_iso
from relay.spec import RelaySpec, parse_spec, spec_to_json

MAX_DISPATCH = 500
KEPT_DISPATCHES = 200
LATE_TOLERANCE = dt.timedelta(seconds=2)  # a timer firing this late is still "on time"


# Commands ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateRelay:
    relay_id: str
    spec: RelaySpec
    plan: Plan | None = None  # planned already (off the event loop, by the route): not again


@dataclass(frozen=True, slots=True)
class Tick:
    """Apply every deadline due by ``now`` (sent by the scheduler, and once at start-up)."""


@dataclass(frozen=True, slots=True)
class CheckIn:
    site: str
    leg: int | None = None  # None: the site's leg in progress, else its next one
    by: str = "site"  # or "coordinator", checking in on a site's behalf


@dataclass(frozen=True, slots=True)
class PostDispatch:
    site: str | None  # None: from the coordinators
    text: str
    by: str = "site"  # or "coordinator", posting as a site or as themselves


@dataclass(frozen=True, slots=True)
class RotateSiteLink:
    """Revoke a site's links by moving its key version on; the new link is signed by the shell."""

    site: str


Command = CreateRelay | Tick | CheckIn | PostDispatch | RotateSiteLink


# State -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LegState:
    site: str  # planned
    acting: str  # who holds the leg now: the planned site, or its backup after escalation
    start: dt.datetime
    end: dt.datetime
    checked_in_at: str | None = None
    escalated: bool = False
    replaced: bool = False


@dataclass(frozen=True, slots=True)
class RelayState:
    relay_id: str | None = None
    spec: RelaySpec | None = None
    plan: Plan | None = None
    legs: tuple[LegState, ...] = ()
    applied: int = 0  # handoffs applied so far
    link_versions: tuple[tuple[str, int], ...] = ()
    dispatches: tuple[dict[str, Any], ...] = field(default=())
    tzdb: str | None = None  # the tz database the plan was made with (it may differ from ours)

    @property
    def created(self) -> bool:
        return self.spec is not None

    def link_version(self, site: str) -> int:
        return dict(self.link_versions).get(site, 0)

    def holder(self) -> int | None:
        if self.plan is None or self.applied == 0:
            return None
        return self.plan.handoffs[self.applied - 1].to_leg


# Deadlines ---------------------------------------------------------------------------------

HANDOFF, ESCALATE, BACKUP = "handoff", "escalate", "backup"
_KIND_ORDER = {HANDOFF: 0, ESCALATE: 1, BACKUP: 2}


@dataclass(frozen=True, slots=True, order=True)
class Deadline:
    at: dt.datetime
    order: int
    kind: str
    index: int  # handoff index for HANDOFF, leg index otherwise


def deadlines(state: RelayState) -> list[Deadline]:
    """Everything still pending, soonest first. Derived from state, never stored."""
    if state.plan is None or state.spec is None:
        return []
    out: list[Deadline] = []
    if state.applied < len(state.plan.handoffs):
        h = state.plan.handoffs[state.applied]
        out.append(Deadline(h.at, 0, HANDOFF, state.applied))
    grace = state.spec.checkin_grace
    for i, leg in enumerate(state.legs):
        if leg.checked_in_at is not None or leg.replaced:
            continue
        if not leg.escalated and leg.start + grace < leg.end:
            out.append(Deadline(leg.start + grace, 1, ESCALATE, i))
        elif leg.escalated and _backup(state, leg.site) and leg.start + 2 * grace < leg.end:
            out.append(Deadline(leg.start + 2 * grace, 2, BACKUP, i))
    out.sort()
    return out


def next_deadline(state: RelayState) -> dt.datetime | None:
    pending = deadlines(state)
    return pending[0].at if pending else None


# decide ------------------------------------------------------------------------------------


def _timing(due: dt.datetime, now: dt.datetime) -> dict[str, Any]:
    late = max(now - due, dt.timedelta(0))
    return {
        "due": utc_iso(due),
        "at": iso(now),
        "late_s": round(late.total_seconds(), 3),
        "late": late > LATE_TOLERANCE,
    }


def decide(state: RelayState, command: Command, now: dt.datetime) -> list[NewEvent]:
    """The events a command produces against ``state`` at ``now``; raises DomainError to refuse."""
    if isinstance(command, CreateRelay):
        if state.created:
            raise DomainError("relay_exists", f"relay {command.relay_id} already exists")
        p = command.plan if command.plan is not None else plan(command.spec)
        return [
            NewEvent(
                "relay_created",
                {
                    "relay": command.relay_id,
                    "spec": spec_to_json(command.spec),
                    "plan": plan_to_json(p),
                    "at": iso(now),
                },
            )
        ]
    if not state.created:
        raise DomainError("not_found", "no such relay")
    if isinstance(command, Tick):
        return _tick(state, now)
    if isinstance(command, CheckIn):
        return _check_in(state, command, now)
    if isinstance(command, PostDispatch):
        text = command.text.strip()
        if not text:
            raise DomainError("empty_dispatch", "a dispatch needs some text")
        if len(text) > MAX_DISPATCH:
            raise DomainError("dispatch_too_long", f"a dispatch is at most {MAX_DISPATCH} characters")
        _known_site(state, command.site)
        return [NewEvent("dispatch_posted", {"site": command.site, "text": text, "at": iso(now), "by": command.by})]
    if isinstance(command, RotateSiteLink):
        _known_site(state, command.site)
        version = state.link_version(command.site) + 1
        return [NewEvent("site_link_rotated", {"site": command.site, "version": version, "at": iso(now)})]
    raise DomainError("unknown_command", f"unknown command {type(command).__name__}")


def _known_site(state: RelayState, site: str | None) -> None:
    assert state.spec is not None
    if site is not None and state.spec.site(site) is None:
        raise DomainError("unknown_site", f"no site {site!r} in this relay")


def _still_due(state: RelayState, d: Deadline) -> bool:
    if d.kind == HANDOFF:
        return d.index == state.applied
    leg = state.legs[d.index]
    if leg.checked_in_at is not None or leg.replaced:
        return False
    return not leg.escalated if d.kind == ESCALATE else leg.escalated


def _tick(state: RelayState, now: dt.datetime) -> list[NewEvent]:
    """Apply due deadlines one at a time, in time order, folding as we go (one may cancel another:
    a check-in before a backup deadline). A heap of pending deadlines keeps a restart after a long
    outage linear in what was missed rather than quadratic."""
    assert state.plan is not None and state.spec is not None
    grace = state.spec.checkin_grace
    pending = deadlines(state)
    heapq.heapify(pending)
    events: list[NewEvent] = []
    while pending and pending[0].at <= now:
        d = heapq.heappop(pending)
        if not _still_due(state, d):
            continue
        if d.kind == HANDOFF:
            h = state.plan.handoffs[d.index]
            data = {
                "handoff": d.index,
                "from_leg": h.from_leg,
                "to_leg": h.to_leg,
                "from": None if h.from_leg is None else state.legs[h.from_leg].acting,
                "to": None if h.to_leg is None else state.legs[h.to_leg].acting,
                **_timing(h.at, now),
            }
            if h.to_leg is not None and state.legs[h.to_leg].checked_in_at is None:
                data["checkin_by"] = utc_iso(state.legs[h.to_leg].start + grace)
            event = NewEvent("baton_passed", data)
            if d.index + 1 < len(state.plan.handoffs):
                heapq.heappush(pending, Deadline(state.plan.handoffs[d.index + 1].at, 0, HANDOFF, d.index + 1))
        elif d.kind == ESCALATE:
            leg = state.legs[d.index]
            backup = _backup(state, leg.site)
            backup_at = leg.start + 2 * grace
            event = NewEvent(
                "checkin_missed",
                {"leg": d.index, "site": leg.acting, "backup": backup, **_timing(d.at, now)}
                | ({"backup_at": utc_iso(backup_at)} if backup and backup_at < leg.end else {}),
            )
            if backup and backup_at < leg.end:
                heapq.heappush(pending, Deadline(backup_at, 2, BACKUP, d.index))
        else:
            leg = state.legs[d.index]
            event = NewEvent(
                "backup_took_leg",
                {"leg": d.index, "site": leg.site, "backup": _backup(state, leg.site), **_timing(d.at, now)},
            )
        events.append(event)
        state = evolve_new(state, event)
    return events


def _backup(state: RelayState, site: str) -> str | None:
    spec_site = state.spec.site(site) if state.spec else None
    return spec_site.backup if spec_site else None


def _check_in(state: RelayState, command: CheckIn, now: dt.datetime) -> list[NewEvent]:
    _known_site(state, command.site)
    if command.leg is not None:
        if not 0 <= command.leg < len(state.legs):
            raise DomainError("unknown_leg", f"no leg {command.leg} in this relay")
        index = command.leg
        leg = state.legs[index]
        if leg.acting != command.site:
            raise DomainError("not_your_leg", f"leg {index} is held by {leg.acting}, not {command.site}")
        if leg.end <= now:
            raise DomainError("leg_over", f"leg {index} ended at {utc_iso(leg.end)}")
    else:
        mine = [i for i, leg in enumerate(state.legs) if leg.acting == command.site and leg.end > now]
        if not mine:
            raise DomainError("no_leg", f"site {command.site} has no leg left to check in for")
        # The leg in progress if there is one, else the next (legs are sorted by start).
        index = next((i for i in mine if state.legs[i].start <= now), mine[0])
        leg = state.legs[index]
    if leg.checked_in_at is not None:
        return []  # already in: a retry after a lost ack changes nothing
    late = max(now - (leg.start + state.spec.checkin_grace), dt.timedelta(0))  # type: ignore[union-attr]
    return [
        NewEvent(
            "checked_in",
            {
                "leg": index,
                "site": command.site,
                "at": iso(now),
                "late_s": round(late.total_seconds(), 3),
                "by": command.by,
            },
        )
    ]


# evolve ------------------------------------------------------------------------------------


def _set_leg(state: RelayState, index: int, **changes: Any) -> RelayState:
    legs = list(state.legs)
    legs[index] = replace(legs[index], **changes)
    return replace(state, legs=tuple(legs))


def evolve_new(state: RelayState, event: NewEvent) -> RelayState:
    return evolve(state, event.type, event.data)


def evolve(state: RelayState, type_: str, data: dict[str, Any]) -> RelayState:
    """Fold one event into the state. Unknown types are kept in the log and ignored here, so an
    older server can replay a newer log."""
    if type_ == "relay_created":
        spec = parse_spec(data["spec"])
        p = plan(spec) if "plan" not in data else _plan_from_event(spec, data["plan"])
        legs = tuple(LegState(site=leg.site, acting=leg.site, start=leg.start, end=leg.end) for leg in p.legs)
        tzdb = data.get("plan", {}).get("tzdb")
        return replace(state, relay_id=data["relay"], spec=spec, plan=p, legs=legs, tzdb=tzdb)
    if type_ == "baton_passed":
        return replace(state, applied=data["handoff"] + 1)
    if type_ == "checked_in":
        return _set_leg(state, data["leg"], checked_in_at=data["at"])
    if type_ == "checkin_missed":
        return _set_leg(state, data["leg"], escalated=True)
    if type_ == "backup_took_leg":
        return _set_leg(state, data["leg"], acting=data["backup"], replaced=True)
    if type_ == "dispatch_posted":
        return replace(state, dispatches=(*state.dispatches, data)[-KEPT_DISPATCHES:])
    if type_ == "site_link_rotated":
        versions = dict(state.link_versions) | {data["site"]: data["version"]}
        return replace(state, link_versions=tuple(sorted(versions.items())))
    return state


def _plan_from_event(spec: RelaySpec, stored: dict[str, Any]) -> Plan:
    """The plan as it was made at creation. A later tz database must not move a live relay's legs,
    so the stored instants win over a fresh plan; the fresh plan supplies the local-time objects."""
    fresh = plan(spec)
    starts = [parse_utc(leg["start"]) for leg in stored["legs"]]
    if [leg.start for leg in fresh.legs] == starts and [utc_iso(leg.end) for leg in fresh.legs] == [
        leg["end"] for leg in stored["legs"]
    ]:
        return fresh
    # Rare path: the tz database changed under a live relay.
    legs = tuple(
        Leg(
            index=leg["index"],
            site=leg["site"],
            start=parse_utc(leg["start"]),
            end=parse_utc(leg["end"]),
            local_start=dt.datetime.fromisoformat(leg["local_start"]),
            local_end=dt.datetime.fromisoformat(leg["local_end"]),
            warnings=tuple(leg["warnings"]),
        )
        for leg in stored["legs"]
    )
    handoffs = tuple(Handoff(parse_utc(h["at"]), h["from_leg"], h["to_leg"]) for h in stored["handoffs"])
    coverage = tuple(Span(parse_utc(c["start"]), parse_utc(c["end"]), c["sites"]) for c in stored["coverage"])
    return Plan(name=stored["name"], legs=legs, handoffs=handoffs, coverage=coverage)


def state_to_json(state: RelayState, offset: int) -> dict[str, Any]:
    """A snapshot for REST readers; WebSocket clients fold the events themselves."""
    assert state.plan is not None
    holder = state.holder()
    return {
        "relay": state.relay_id,
        "offset": offset,
        "name": state.plan.name,
        "holder": None if holder is None else {"leg": holder, "site": state.legs[holder].acting},
        "handoffs_applied": state.applied,
        "next_deadline": (lambda d: utc_iso(d) if d else None)(next_deadline(state)),
        "legs": [
            {
                "index": i,
                "site": leg.site,
                "acting": leg.acting,
                "start": utc_iso(leg.start),
                "end": utc_iso(leg.end),
                "checked_in_at": leg.checked_in_at,
                "escalated": leg.escalated,
                "replaced": leg.replaced,
            }
            for i, leg in enumerate(state.legs)
        ],
        "dispatches": list(state.dispatches),
    }
