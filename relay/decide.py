"""What a command does to a relay: ``decide(state, command, now) -> events``, and who may send it.

The whole machine is one table, ``TABLE``: command class -> (roles allowed, handler). A new command
is one class (relay/commands.py), one row here, one handler below, one entry in docs/protocol.md.

No clock, no I/O, no loop: the shell passes ``now`` in and appends what comes out. Timers are
commands too: the scheduler shell sends ``Tick`` when ``next_deadline(state)`` comes, and the tick
emits whatever is due by ``now`` -- late, and saying how late, after a restart. Two processes
ticking at once decide against the same log offset; the log lets one append win, and the loser,
reloaded, finds nothing left to do.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from msgspec import UNSET

from mayday.clock import iso
from mayday.errors import DomainError, bad_request, forbidden
from mayday.links import Grant
from relay.commands import (
    COORDINATOR,
    SITE,
    VIEWER,
    WIRE_TYPES,
    CheckIn,
    Command,
    CreateRelay,
    PostDispatch,
    RotateSiteLink,
    SetReadiness,
    Tick,
    WireCommand,
    decode_wire,
    type_of,
)
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
)
from relay.plan import TZDB_VERSION, plan, utc_iso
from relay.state import BACKUP, ESCALATE, HANDOFF, Deadline, RelayState, apply, deadlines, still_due

MAX_DISPATCH = 500
LATE_TOLERANCE = dt.timedelta(seconds=2)  # a timer firing this late is still "on time"
SHELL: frozenset[str] = frozenset()  # sent by the shell itself, never over a link


# Handlers: (state, command, now) -> events ---------------------------------------------------


def _create(state: RelayState, command: CreateRelay, now: dt.datetime) -> list[Event]:
    if state.created:
        raise DomainError("relay_exists", f"relay {command.relay_id} already exists")
    p = command.plan if command.plan is not None else plan(command.spec)
    return [RelayCreated(command.relay_id, command.spec, p, iso(now), TZDB_VERSION)]


def _check_in(state: RelayState, command: CheckIn, now: dt.datetime) -> list[Event]:
    assert command.site is not None  # required by parse_and_authorise for every role
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
    return [CheckedIn(index, command.site, iso(now), round(late.total_seconds(), 3), command.by)]


def _dispatch(state: RelayState, command: PostDispatch, now: dt.datetime) -> list[Event]:
    text = command.text.strip()
    if not text:
        raise DomainError("empty_dispatch", "a dispatch needs some text")
    if len(text) > MAX_DISPATCH:
        raise DomainError("dispatch_too_long", f"a dispatch is at most {MAX_DISPATCH} characters")
    _known_site(state, command.site)
    return [DispatchPosted(command.site, text, iso(now), command.by)]


def _rotate(state: RelayState, command: RotateSiteLink, now: dt.datetime) -> list[Event]:
    _known_site(state, command.site)
    return [SiteLinkRotated(command.site, state.link_version(command.site) + 1, iso(now))]


def _readiness(state: RelayState, c: SetReadiness, now: dt.datetime) -> list[Event]:
    event = ReadinessSet(c.network, c.action, c.name, c.ready, c.go, dict(c.checks), c.proceeded, iso(now))
    current = next((r for r in state.readiness if (r.network, r.action) == (c.network, c.action)), None)
    if current is not None and {**current.data, "at": ""} == {**event.data, "at": ""}:
        return []  # said already (by this process or another): the push is idempotent
    return [event]


def _tick(state: RelayState, command: Tick, now: dt.datetime) -> list[Event]:
    """Apply due deadlines one at a time, in time order, folding as we go (one may cancel another:
    a check-in before a backup deadline). A heap of pending deadlines keeps a restart after a long
    outage linear in what was missed rather than quadratic."""
    assert state.plan is not None and state.spec is not None
    grace = state.spec.checkin_grace
    pending = deadlines(state)
    heapq.heapify(pending)
    events: list[Event] = []
    while pending and pending[0].at <= now:
        d = heapq.heappop(pending)
        if not still_due(state, d):
            continue
        event: Event
        if d.kind == HANDOFF:
            h = state.plan.handoffs[d.index]
            incoming = None if h.to_leg is None else state.legs[h.to_leg]
            event = BatonPassed(
                d.index,
                h.from_leg,
                h.to_leg,
                None if h.from_leg is None else state.legs[h.from_leg].acting,
                None if incoming is None else incoming.acting,
                *_timing(h.at, now),
                checkin_by=utc_iso(incoming.start + grace) if incoming and incoming.checked_in_at is None else UNSET,
            )
            if d.index + 1 < len(state.plan.handoffs):
                heapq.heappush(pending, Deadline.of(state.plan.handoffs[d.index + 1].at, HANDOFF, d.index + 1))
        elif d.kind == ESCALATE:
            leg = state.legs[d.index]
            backup = state.backup_of(leg.site)
            backup_at = leg.start + 2 * grace
            takes_over = bool(backup) and backup_at < leg.end
            event = CheckinMissed(
                d.index, leg.acting, backup, *_timing(d.at, now), backup_at=utc_iso(backup_at) if takes_over else UNSET
            )
            if takes_over:
                heapq.heappush(pending, Deadline.of(backup_at, BACKUP, d.index))
        else:
            leg = state.legs[d.index]
            event = BackupTookLeg(d.index, leg.site, state.backup_of(leg.site), *_timing(d.at, now))  # type: ignore[arg-type]
        events.append(event)
        state = apply(state, event)
    return events


def _timing(due: dt.datetime, now: dt.datetime) -> tuple[str, str, float, bool]:
    """The timer events' due, at, late_s and late (docs/protocol.md §7)."""
    late = max(now - due, dt.timedelta(0))
    return utc_iso(due), iso(now), round(late.total_seconds(), 3), late > LATE_TOLERANCE


def _known_site(state: RelayState, site: str | None) -> None:
    assert state.spec is not None
    if site is not None and state.spec.site(site) is None:
        raise DomainError("unknown_site", f"no site {site!r} in this relay")


# The table ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    roles: frozenset[str]  # the link roles that may send it; a site link only for its own site
    handler: Callable[[RelayState, Any, dt.datetime], list[Event]]


TABLE: dict[type, Rule] = {
    CreateRelay: Rule(SHELL, _create),
    Tick: Rule(SHELL, _tick),
    SetReadiness: Rule(SHELL, _readiness),
    CheckIn: Rule(frozenset({COORDINATOR, SITE}), _check_in),
    PostDispatch: Rule(frozenset({COORDINATOR, SITE}), _dispatch),
    RotateSiteLink: Rule(frozenset({COORDINATOR}), _rotate),
}

# What each role may send, by wire type (derived from the table).
ALLOWED: dict[str, frozenset[str]] = {
    role: frozenset(kind for kind, cls in WIRE_TYPES.items() if role in TABLE[cls].roles)
    for role in (COORDINATOR, SITE, VIEWER)
}


def decide(state: RelayState, command: Command, now: dt.datetime) -> list[Event]:
    """The events a command produces against ``state`` at ``now``; raises DomainError to refuse."""
    if not state.created and not isinstance(command, CreateRelay):
        raise DomainError("not_found", "no such relay")
    row = TABLE.get(type(command))
    if row is None:
        raise DomainError("unknown_command", f"unknown command {type(command).__name__}")
    return row.handler(state, command, now)


def parse_and_authorise(grant: Grant | None, raw: Any) -> WireCommand:
    """A well-formed command this grant may send, or ApiError (bad_command / forbidden), before any
    state is touched. ``by`` is the link's role; a site link speaks only for its own site."""
    kind = type_of(raw)
    role = grant.role if grant else None
    if role not in TABLE[WIRE_TYPES[kind]].roles:
        raise forbidden(f"{role or 'an anonymous reader'} may not send {kind}")
    assert grant is not None
    if role == SITE and isinstance(raw.get("site"), str) and raw["site"] != grant.subject:
        raise forbidden(f"this link speaks for site {grant.subject}, not {raw['site']}")
    command = decode_wire(raw)
    if role == SITE:
        command = msgspec.structs.replace(command, site=grant.subject)
    if isinstance(command, CheckIn | PostDispatch):
        command = msgspec.structs.replace(command, by=role)
    if isinstance(command, CheckIn) and command.site is None:
        raise bad_request("bad_command", f"{kind} needs a site")
    return command
