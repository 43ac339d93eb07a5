"""iCalendar feeds (RFC 5545) for coordinators' calendars: one per relay, one per site."""

from __future__ import annotations

import datetime as dt

import icalendar

from relay.state import RelayState


def relay_calendar(
    state: RelayState, relay_id: str, site: str | None = None, base_url: str = "", now: dt.datetime | None = None
) -> bytes:
    """Every leg (or one site's legs) as a VEVENT in UTC, with the local times in the description.

    Text properties are vText, escaped per RFC 5545 (a comma or semicolon in a name survives);
    X-WR-CALNAME too, which icalendar would otherwise write raw. DTSTAMP is when the feed was made
    (``now``), as RFC 5545 says for a published calendar; clients tell changes by UID and SEQUENCE,
    and a leg's SEQUENCE is 0 for life (the plan of a relay never changes)."""
    assert state.plan is not None and state.spec is not None
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Mayday//relay//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", icalendar.vText(state.plan.name + (f" — {site}" if site else "")))
    names = {s.id: s.name for s in state.spec.sites}
    stamp = now or dt.datetime.now(dt.UTC)
    for leg in state.plan.legs:
        if site is not None and leg.site != site:
            continue
        ev = icalendar.Event()
        ev.add("uid", f"{relay_id}-{leg.index}@mayday")
        ev.add("dtstamp", stamp)
        ev.add("sequence", 0)
        ev.add("dtstart", leg.start)
        ev.add("dtend", leg.end)
        ev.add("summary", f"Strike: {names[leg.site]} ({leg.site})")
        lines = [
            f"Local: {leg.local_start:%Y-%m-%d %H:%M} to {leg.local_end:%Y-%m-%d %H:%M} "
            f"({state.spec.site(leg.site).tz})",  # type: ignore[union-attr]
            f"Elapsed: {leg.hours:g} h",
            *leg.warnings,
        ]
        if base_url:
            lines.append(f"Board: {base_url}/relay/{relay_id}")
        ev.add("description", "\n".join(lines))
        cal.add_component(ev)
    return cal.to_ical()
