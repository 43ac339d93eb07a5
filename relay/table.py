"""The human-readable plan printed by ``mayday relay plan FILE`` (UTC and local times)."""

from __future__ import annotations

from relay.plan import TZDB_VERSION, Plan, utc_iso
from relay.spec import RelaySpec


def plan_table(p: Plan, spec: RelaySpec) -> str:
    names = {s.id: s.name for s in spec.sites}
    lines = [f"{p.name}  (tz database {TZDB_VERSION})", ""]
    lines.append(f"{'site':<10} {'start (UTC)':<21} {'end (UTC)':<21} {'hours':>6}  local")
    for leg in p.legs:
        local = f"{leg.local_start:%a %d %b %H:%M} to {leg.local_end:%a %d %b %H:%M %z}"
        lines.append(
            f"{leg.site:<10} {utc_iso(leg.start):<21} {utc_iso(leg.end):<21} {leg.hours:>6g}  {local}"
            f"  {names[leg.site]}"
        )
        lines.extend(f"{'':<10} ! {w}" for w in leg.warnings)
    lines += ["", "Handoffs:"]
    for h in p.handoffs:
        frm = "nobody" if h.from_leg is None else p.legs[h.from_leg].site
        to = "nobody" if h.to_leg is None else p.legs[h.to_leg].site
        lines.append(f"  {utc_iso(h.at)}  {frm} -> {to}")
    gaps = p.gaps
    lines += ["", "Gaps: " + ("none" if not gaps else "")]
    lines.extend(f"  {utc_iso(g.start)} to {utc_iso(g.end)}" for g in gaps)
    peak = max((s.sites for s in p.coverage), default=0)
    lines.append(f"Coverage: up to {peak} sites striking at once")
    return "\n".join(lines)
