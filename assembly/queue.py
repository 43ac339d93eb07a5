"""The speaking order, derived from the queue (never stored, so every client and process agrees).

1. Points of order first, in the order they were raised.
2. Entries the chair has placed (``queue_reordered``), in the chair's order.
3. Everyone else, by the assembly's rules, each switchable in the definition:
   - regions past their speaking-time budget go after regions with time left;
   - first-time speakers before repeat speakers;
   - first come, first served;
   - region rotation: no region speaks twice in a row while another region waits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assembly.state import AssemblyState, Entry


def speaking_order(state: AssemblyState) -> list[Entry]:
    assert state.definition is not None
    rules = state.definition.queue
    budget = rules.region_budget.total_seconds() if rules.region_budget else None

    def region(e: Entry) -> str | None:
        p = state.person(e.person)
        return p.region if p else None

    points = [e for e in state.queue if e.kind == "point_of_order"]
    by_id = {e.id: e for e in state.queue if e.kind != "point_of_order"}
    placed = [by_id.pop(i) for i in state.manual if i in by_id]

    def key(e: Entry) -> tuple[int, int, int]:
        over_budget = budget is not None and state.region_spent.get(region(e) or "", 0.0) >= budget
        repeat = rules.first_time_first and state.spoken.get(e.person, 0) > 0
        return (int(over_budget), int(repeat), e.id)

    rest = sorted(by_id.values(), key=key)
    if rules.region_rotation:
        rest = _rotate(rest, region, last=_current_region(state, region))
    return points + placed + rest


def _current_region(state: AssemblyState, region) -> str | None:  # type: ignore[no-untyped-def]
    if state.floor is not None:
        p = state.person(state.floor.person)
        return p.region if p else None
    return state.last_region


def _rotate(entries: list[Entry], region, last: str | None) -> list[Entry]:  # type: ignore[no-untyped-def]
    """Greedy: take the first entry (in rule order) from a region other than the last speaker's;
    only when every waiting entry is from that region does it speak again."""
    pool, out = list(entries), []
    while pool:
        pick = next((e for e in pool if region(e) != last), pool[0])
        pool.remove(pick)
        out.append(pick)
        last = region(pick)
    return out
