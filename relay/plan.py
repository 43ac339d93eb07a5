"""The planner: a relay definition in, legs in UTC with handoffs, gaps and coverage out.

Pure: no clock, no I/O. Zones come from pytz's bundled tz database (``TZDB_VERSION``), never the
host's, so the same file plans the same everywhere.

Local times that do not exist (clocks go forward) move forward by the length of the gap; ambiguous
ones (clocks go back) take the first occurrence unless the site asks for ``fold: 1``. Both are
flagged on the leg. The baton holder at an instant is the most recently started leg still in
progress (ties go to the site listed first); a handoff is each change of holder.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass
from typing import Any

import pytz

from relay.spec import RelaySpec, Site

TZDB_VERSION: str = pytz.OLSON_VERSION
UTC = pytz.utc


@dataclass(frozen=True, slots=True)
class Leg:
    index: int
    site: str
    start: dt.datetime  # aware, UTC
    end: dt.datetime  # aware, UTC
    local_start: dt.datetime  # aware, in the site's zone
    local_end: dt.datetime
    warnings: tuple[str, ...] = ()

    @property
    def hours(self) -> float:
        """Elapsed hours, which differ from wall-clock hours across a DST change."""
        return (self.end - self.start).total_seconds() / 3600


@dataclass(frozen=True, slots=True)
class Handoff:
    at: dt.datetime
    from_leg: int | None
    to_leg: int | None


@dataclass(frozen=True, slots=True)
class Span:
    start: dt.datetime
    end: dt.datetime
    sites: int


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    legs: tuple[Leg, ...]
    handoffs: tuple[Handoff, ...]
    coverage: tuple[Span, ...]

    @property
    def gaps(self) -> tuple[Span, ...]:
        return tuple(s for s in self.coverage if s.sites == 0)


def _offset(d: dt.datetime) -> str:
    off = d.utcoffset() or dt.timedelta(0)
    sign = "-" if off < dt.timedelta(0) else "+"
    minutes = abs(int(off.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def resolve_local(zone: str, naive: dt.datetime, fold: int = 0) -> tuple[dt.datetime, str | None]:
    """The instant a local wall-clock time names in ``zone``, and a warning when it was adjusted."""
    tz = pytz.timezone(zone)
    try:
        return tz.localize(naive, is_dst=None), None
    except pytz.NonExistentTimeError:
        # is_dst=False makes pytz read the time with the offset in force before the transition,
        # which is exactly "move forward by the gap", whatever the zone calls DST.
        moved = tz.normalize(tz.localize(naive, is_dst=False))
        gap = moved.replace(tzinfo=None) - naive
        to = f"{moved:%H:%M}" if moved.date() == naive.date() else f"{moved:%Y-%m-%d %H:%M}"
        return moved, (
            f"{naive:%Y-%m-%d %H:%M} does not exist in {zone} (clocks go forward "
            f"{_hm(gap)}); moved to {to} {_offset(moved)}"
        )
    except pytz.AmbiguousTimeError:
        a, b = (tz.normalize(tz.localize(naive, is_dst=flag)) for flag in (True, False))
        first, second = sorted((a, b), key=lambda d: d.astimezone(UTC))
        chosen = second if fold else first
        which = "second" if fold else "first"
        return chosen, (
            f"{naive:%Y-%m-%d %H:%M} happens twice in {zone} (clocks go back "
            f"{_hm(second.astimezone(UTC) - first.astimezone(UTC))}); took the {which} occurrence "
            f"({_offset(chosen)})"
        )


def _hm(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds()) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


class PlanError(ValueError):
    """A definition that parses but cannot be planned (a leg that ends before it starts)."""


def _site_legs(
    site: Site,
) -> list[tuple[dt.datetime, dt.datetime, dt.datetime, dt.datetime, tuple[str, ...]]]:
    rule, out = site.legs, []
    tz = pytz.timezone(site.tz)
    for day in range(rule.days):
        date = rule.date + dt.timedelta(days=day)
        naive_start = dt.datetime.combine(date, rule.start)
        local_start, w_start = resolve_local(site.tz, naive_start, rule.fold)
        warnings = [f"start {w_start}"] if w_start else []
        start = local_start.astimezone(UTC)
        if rule.duration is not None:
            end = start + rule.duration
            local_end = tz.normalize(end.astimezone(tz))
        else:
            assert rule.end is not None
            end_date = date if rule.end > rule.start else date + dt.timedelta(days=1)
            local_end, w_end = resolve_local(site.tz, dt.datetime.combine(end_date, rule.end), rule.fold)
            if w_end:
                warnings.append(f"end {w_end}")
            end = local_end.astimezone(UTC)
        if end <= start:
            raise PlanError(f"site {site.id}: the leg on {date} ends before it starts")
        if out and start < out[-1][1]:
            # Coverage counts sites striking; a site cannot strike twice at once.
            raise PlanError(
                f"site {site.id}: its legs on {date - dt.timedelta(days=1)} and {date} overlap "
                "(shorten the legs or repeat on fewer days)"
            )
        out.append((start, end, local_start, local_end, tuple(warnings)))
    return out


def plan(spec: RelaySpec) -> Plan:
    """Turn a validated definition into a plan (raises PlanError for an impossible leg)."""
    raw = []
    for order, site in enumerate(spec.sites):
        try:
            site_legs = _site_legs(site)
        except OverflowError:
            raise PlanError(f"site {site.id}: a leg falls outside the years 1 to 9999") from None
        for start, end, ls, le, warnings in site_legs:
            raw.append((start, order, site.id, end, ls, le, warnings))
    raw.sort(key=lambda r: (r[0], r[1]))
    legs = tuple(
        Leg(index=i, site=sid, start=s, end=e, local_start=ls, local_end=le, warnings=w)
        for i, (s, _order, sid, e, ls, le, w) in enumerate(raw)
    )
    handoffs, coverage = _sweep(legs)
    return Plan(name=spec.name, legs=legs, handoffs=handoffs, coverage=coverage)


def _sweep(legs: tuple[Leg, ...]) -> tuple[tuple[Handoff, ...], tuple[Span, ...]]:
    """One pass over every start and end: who holds the baton, and how many strike, in between."""
    if not legs:
        return (), ()
    ends: list[tuple[dt.datetime, int]] = sorted((leg.end, leg.index) for leg in legs)
    instants = sorted({leg.start for leg in legs} | {leg.end for leg in legs})
    # Max-heap of active legs by start (later start wins; on a tie the lower index, i.e. the site
    # listed first). Ended legs are dropped lazily when they surface.
    active: list[tuple[float, int]] = []
    ended: set[int] = set()
    count = 0
    next_start = next_end = 0
    holder: int | None = None
    handoffs: list[Handoff] = []
    coverage: list[Span] = []
    for t, t_next in zip(instants, [*instants[1:], None], strict=True):
        while next_end < len(ends) and ends[next_end][0] <= t:
            ended.add(ends[next_end][1])
            next_end += 1
            count -= 1
        while next_start < len(legs) and legs[next_start].start <= t:
            heapq.heappush(active, (-legs[next_start].start.timestamp(), next_start))
            next_start += 1
            count += 1
        while active and active[0][1] in ended:
            heapq.heappop(active)
        new_holder = active[0][1] if active else None
        if new_holder != holder:
            handoffs.append(Handoff(at=t, from_leg=holder, to_leg=new_holder))
            holder = new_holder
        if t_next is not None:
            if coverage and coverage[-1].sites == count and coverage[-1].end == t:
                coverage[-1] = Span(coverage[-1].start, t_next, count)
            else:
                coverage.append(Span(t, t_next, count))
    return tuple(handoffs), tuple(coverage)


def utc_iso(d: dt.datetime) -> str:
    return d.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def plan_to_json(p: Plan) -> dict[str, Any]:
    """The documented JSON shape of ``mayday relay plan FILE --json`` (docs/protocol.md)."""

    def site_of(i: int | None) -> str | None:
        return None if i is None else p.legs[i].site

    return {
        "name": p.name,
        "tzdb": TZDB_VERSION,
        "legs": [
            {
                "index": leg.index,
                "site": leg.site,
                "start": utc_iso(leg.start),
                "end": utc_iso(leg.end),
                "local_start": leg.local_start.isoformat(),
                "local_end": leg.local_end.isoformat(),
                "hours": round(leg.hours, 4),
                "warnings": list(leg.warnings),
            }
            for leg in p.legs
        ],
        "handoffs": [
            {
                "at": utc_iso(h.at),
                "from": site_of(h.from_leg),
                "to": site_of(h.to_leg),
                "from_leg": h.from_leg,
                "to_leg": h.to_leg,
            }
            for h in p.handoffs
        ],
        "gaps": [{"start": utc_iso(s.start), "end": utc_iso(s.end)} for s in p.gaps],
        "coverage": [{"start": utc_iso(s.start), "end": utc_iso(s.end), "sites": s.sites} for s in p.coverage],
    }
