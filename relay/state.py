"""The live relay's state, immutable, and how each event changes it: ``evolve`` is one ``match``.

Deadlines are derived from the state, never stored: ``deadlines(state)`` says what is pending,
``next_deadline(state)`` when the scheduler shell should next send a ``Tick``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from relay.events import (
    BackupTookLeg,
    BatonPassed,
    CheckedIn,
    CheckinMissed,
    DispatchPosted,
    Event,
    ReadinessSet,
    RelayCreated,
    SiteLinkRotated,
    decode,
)
from relay.plan import Plan, utc_iso
from relay.spec import RelaySpec

KEPT_DISPATCHES = 200


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
    dispatches: tuple[DispatchPosted, ...] = ()  # the last KEPT_DISPATCHES
    tzdb: str | None = None  # the tz database the plan was made with (it may differ from ours)
    # The joint actions this relay runs as, each with its latest readiness (circles/readiness.py).
    readiness: tuple[ReadinessSet, ...] = ()

    @property
    def created(self) -> bool:
        return self.spec is not None

    def link_version(self, site: str) -> int:
        return dict(self.link_versions).get(site, 0)

    def holder(self) -> int | None:
        if self.plan is None or self.applied == 0:
            return None
        return self.plan.handoffs[self.applied - 1].to_leg

    def backup_of(self, site: str) -> str | None:
        spec_site = self.spec.site(site) if self.spec else None
        return spec_site.backup if spec_site else None


# evolve ------------------------------------------------------------------------------------


def evolve(state: RelayState, type_: str, data: dict[str, Any]) -> RelayState:
    """Fold one stored event into the state (what the shell calls). Unknown types are kept in the
    log and ignored here, so an older server can replay a newer log."""
    event = decode(type_, data)
    return state if event is None else apply(state, event)


def apply(state: RelayState, event: Event) -> RelayState:
    """Fold one typed event into the state."""
    match event:
        case RelayCreated():
            legs = tuple(LegState(leg.site, leg.site, leg.start, leg.end) for leg in event.plan.legs)
            return replace(state, relay_id=event.relay, spec=event.spec, plan=event.plan, legs=legs, tzdb=event.tzdb)
        case BatonPassed():
            return replace(state, applied=event.handoff + 1)
        case CheckedIn():
            return _set_leg(state, event.leg, checked_in_at=event.at)
        case CheckinMissed():
            return _set_leg(state, event.leg, escalated=True)
        case BackupTookLeg():
            return _set_leg(state, event.leg, acting=event.backup, replaced=True)
        case DispatchPosted():
            return replace(state, dispatches=(*state.dispatches, event)[-KEPT_DISPATCHES:])
        case ReadinessSet():
            others = tuple(r for r in state.readiness if (r.network, r.action) != (event.network, event.action))
            return replace(state, readiness=(*others, event))
        case SiteLinkRotated():
            versions = dict(state.link_versions) | {event.site: event.version}
            return replace(state, link_versions=tuple(sorted(versions.items())))
    return state


def _set_leg(state: RelayState, index: int, **changes: Any) -> RelayState:
    legs = list(state.legs)
    legs[index] = replace(legs[index], **changes)
    return replace(state, legs=tuple(legs))


# Deadlines ---------------------------------------------------------------------------------

HANDOFF, ESCALATE, BACKUP = "handoff", "escalate", "backup"
_KIND_ORDER = {HANDOFF: 0, ESCALATE: 1, BACKUP: 2}  # at equal instants (docs/protocol.md §7)


@dataclass(frozen=True, slots=True, order=True)
class Deadline:
    at: dt.datetime
    order: int
    kind: str
    index: int  # handoff index for HANDOFF, leg index otherwise

    @classmethod
    def of(cls, at: dt.datetime, kind: str, index: int) -> Deadline:
        return cls(at, _KIND_ORDER[kind], kind, index)


def deadlines(state: RelayState) -> list[Deadline]:
    """Everything still pending, soonest first. Derived from state, never stored."""
    if state.plan is None or state.spec is None:
        return []
    out: list[Deadline] = []
    if state.applied < len(state.plan.handoffs):
        out.append(Deadline.of(state.plan.handoffs[state.applied].at, HANDOFF, state.applied))
    grace = state.spec.checkin_grace
    for i, leg in enumerate(state.legs):
        if leg.checked_in_at is not None or leg.replaced:
            continue
        if not leg.escalated and leg.start + grace < leg.end:
            out.append(Deadline.of(leg.start + grace, ESCALATE, i))
        elif leg.escalated and state.backup_of(leg.site) and leg.start + 2 * grace < leg.end:
            out.append(Deadline.of(leg.start + 2 * grace, BACKUP, i))
    out.sort()
    return out


def next_deadline(state: RelayState) -> dt.datetime | None:
    pending = deadlines(state)
    return pending[0].at if pending else None


def still_due(state: RelayState, d: Deadline) -> bool:
    if d.kind == HANDOFF:
        return d.index == state.applied
    leg = state.legs[d.index]
    if leg.checked_in_at is not None or leg.replaced:
        return False
    return not leg.escalated if d.kind == ESCALATE else leg.escalated


# Reading -----------------------------------------------------------------------------------


def state_to_json(state: RelayState, offset: int) -> dict[str, Any]:
    """A snapshot for REST readers; WebSocket clients fold the events themselves."""
    assert state.plan is not None
    holder = state.holder()
    deadline = next_deadline(state)
    return {
        "relay": state.relay_id,
        "offset": offset,
        "name": state.plan.name,
        "holder": None if holder is None else {"leg": holder, "site": state.legs[holder].acting},
        "handoffs_applied": state.applied,
        "next_deadline": utc_iso(deadline) if deadline else None,
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
        "dispatches": [d.data for d in state.dispatches],
    } | ({"readiness": [r.data for r in state.readiness]} if state.readiness else {})
