"""The relay's events: one small frozen class per event type, the only things its log holds.

Each event has a ``type`` (a class constant) and ``data`` (the JSON object stored in the log,
docs/protocol.md §7), so the shell appends it as it would a ``NewEvent``. ``decode(type, data)``
reads stored data back: unknown types give ``None`` and unknown fields are ignored, so an older
server replays a newer log; keys stored only sometimes (``checkin_by``, ``backup_at``, and ``by``
and ``at`` that older logs lack) default to UNSET and stay absent when absent.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any, ClassVar

import msgspec
from msgspec import UNSET, UnsetType

from mayday.events import Event as _Event  # the shared base: type, data, from_data
from mayday.events import Registry
from relay.plan import Handoff, Leg, Plan, Span, parse_utc, plan_to_json, utc_iso
from relay.plan import plan as make_plan
from relay.spec import RelaySpec, parse_spec, spec_to_json


class BatonPassed(_Event, frozen=True):
    type = "baton_passed"
    handoff: int
    from_leg: int | None
    to_leg: int | None
    from_: str | None = msgspec.field(name="from")
    to: str | None
    due: str
    at: str
    late_s: float
    late: bool
    checkin_by: str | UnsetType = UNSET  # only while the incoming leg has not checked in


class CheckinMissed(_Event, frozen=True):
    type = "checkin_missed"
    leg: int
    site: str
    backup: str | None
    due: str
    at: str
    late_s: float
    late: bool
    backup_at: str | UnsetType = UNSET  # only when a backup will take over


class BackupTookLeg(_Event, frozen=True):
    type = "backup_took_leg"
    leg: int
    site: str
    backup: str
    due: str
    at: str
    late_s: float
    late: bool


class CheckedIn(_Event, frozen=True):
    type = "checked_in"
    leg: int
    site: str
    at: str
    late_s: float
    by: str | UnsetType = UNSET  # "site" or "coordinator"; absent in logs older than it


class DispatchPosted(_Event, frozen=True):
    type = "dispatch_posted"
    site: str | None  # None: from the coordinators
    text: str
    at: str | UnsetType = UNSET  # always written; tolerated absent in a hand-made log, as before
    by: str | UnsetType = UNSET  # "site" or "coordinator"; absent in logs older than it


class SiteLinkRotated(_Event, frozen=True):
    type = "site_link_rotated"
    site: str
    version: int
    at: str


class ReadinessSet(_Event, frozen=True):
    """A joint action this relay runs as (a network's, circles/readiness.py) changed readiness:
    the board shows it. Names of checks and booleans only: a board may be public."""

    type = "readiness_set"
    network: str
    action: int
    name: str
    ready: bool
    go: bool  # ready, or an organiser decided to proceed anyway
    checks: dict[str, bool]
    proceeded: dict[str, Any] | None  # {name, at, missing} when an organiser proceeded anyway
    at: str


@dataclass(frozen=True)
class RelayCreated:
    """The definition and the plan as made at creation (the stored plan wins over a fresh one)."""

    type: ClassVar[str] = "relay_created"
    relay: str
    spec: RelaySpec
    plan: Plan
    at: str | None = None  # absent in logs older than it
    tzdb: str | None = None  # the tz database the plan was made with (it may differ from ours)

    @functools.cached_property
    def data(self) -> dict[str, Any]:  # cached: a large plan is read by the log, the fold and the hub
        out: dict[str, Any] = {"relay": self.relay, "spec": spec_to_json(self.spec)}
        if self.tzdb is not None:
            out["plan"] = plan_to_json(self.plan) | {"tzdb": self.tzdb}
        if self.at is not None:
            out["at"] = self.at
        return out

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> RelayCreated:
        spec = parse_spec(data["spec"])
        stored = data.get("plan")
        p = make_plan(spec) if stored is None else _plan_from_event(spec, stored)
        tzdb = None if stored is None else stored.get("tzdb")
        return cls(data["relay"], spec, p, data.get("at"), tzdb)


Event = (
    RelayCreated
    | BatonPassed
    | CheckinMissed
    | BackupTookLeg
    | CheckedIn
    | DispatchPosted
    | SiteLinkRotated
    | ReadinessSet
)
REGISTRY = Registry(
    (RelayCreated, BatonPassed, CheckinMissed, BackupTookLeg, CheckedIn, DispatchPosted, SiteLinkRotated, ReadinessSet)
)
EVENT_TYPES = REGISTRY.by_type


def decode(type_: str, data: dict[str, Any]) -> Event | None:
    """The typed event for stored (type, data); None for a type this server does not know."""
    return REGISTRY.decode(type_, data)


def _plan_from_event(spec: RelaySpec, stored: dict[str, Any]) -> Plan:
    """The plan as it was made at creation. A later tz database must not move a live relay's legs,
    so the stored instants win over a fresh plan; the fresh plan supplies the local-time objects."""
    fresh = make_plan(spec)
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
