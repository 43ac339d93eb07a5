"""Golden events: the relay core driven through scripted relays and commands, every event's
(type, data) and each relay's final REST snapshot compared byte for byte with golden_events.json.

The file was written once against the core as it stood before the typed commands/events/decide
split (issue 10); a refactor must leave it byte-identical. To re-pin after a deliberate change of
behaviour, delete the file and run this test once (it writes the file and fails)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from mayday.errors import ApiError, DomainError
from mayday.links import Grant
from relay.commands import CreateRelay, Tick
from relay.decide import decide, parse_and_authorise
from relay.spec import parse_spec
from relay.state import RelayState, evolve, next_deadline, state_to_json

GOLDEN = Path(__file__).with_name("golden_events.json")
T0 = dt.datetime(2027, 5, 1, 0, 0, tzinfo=dt.UTC)
MS = dt.timedelta(milliseconds=1)
S = dt.timedelta(seconds=1)
M = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)

UTC_SPEC = {
    "name": "golden utc",
    "checkin_grace": "10m",
    "sites": [
        {"id": "a", "name": "Site A", "tz": "UTC", "legs": {"date": "2027-05-01", "start": "00:00", "duration": "2h"}},
        {"id": "b", "tz": "UTC", "backup": "a", "legs": {"date": "2027-05-01", "start": "01:00", "end": "03:00"}},
        {"id": "c", "tz": "UTC", "backup": "b", "legs": {"date": "2027-05-01", "start": "05:00", "duration": "1h"}},
        {"id": "d", "tz": "UTC", "legs": {"date": "2027-05-01", "start": "06:00", "duration": "5m"}},
    ],
}

# Legs across DST changes: London and New York spring forward (a gap), Auckland falls back (a fold).
DST_SPEC = {
    "name": "golden dst",
    "checkin_grace": "15m",
    "sites": [
        {
            "id": "lon",
            "tz": "Europe/London",
            "backup": "nyc",
            "legs": {"date": "2027-03-28", "start": "00:30", "duration": "3h"},
        },
        {"id": "nyc", "tz": "America/New_York", "legs": {"date": "2027-03-14", "start": "01:30", "end": "04:00"}},
        {
            "id": "akl",
            "tz": "Pacific/Auckland",
            "backup": "lon",
            "legs": {"date": "2027-04-04", "start": "02:30", "fold": 1, "duration": "2h"},
        },
    ],
}


def coordinator(relay: str) -> Grant:
    return Grant(f"relay:{relay}", "coordinator")


def site(relay: str, sid: str) -> Grant:
    return Grant(f"relay:{relay}", "site", sid)


def viewer(relay: str) -> Grant:
    return Grant(f"relay:{relay}", "viewer")


class Run:
    """One relay driven like the shell drives it: decide, then fold each event's (type, data)."""

    def __init__(self, relay: str, spec: dict[str, Any], at: dt.datetime) -> None:
        self.relay = relay
        self.state = RelayState()
        self.out: list[Any] = [["relay", relay]]
        self.do(CreateRelay(relay, parse_spec(spec)), at)

    def do(self, command: Any, now: dt.datetime) -> None:
        try:
            events = decide(self.state, command, now)
        except DomainError as e:
            self.out.append(["refused", e.code])
            return
        for e in events:
            self.out.append([e.type, e.data])
            self.state = evolve(self.state, e.type, e.data)

    def wire(self, grant: Grant | None, raw: Any, now: dt.datetime) -> None:
        try:
            command = parse_and_authorise(grant, raw)
        except ApiError as e:
            self.out.append(["rejected", e.status, e.code])
            return
        self.do(command, now)

    def tick(self, now: dt.datetime) -> None:
        self.do(Tick(), now)

    def run_out(self, lateness: dt.timedelta = MS) -> None:
        """Tick at every deadline (a little late, as a real timer is) until none is left."""
        while (due := next_deadline(self.state)) is not None:
            self.tick(due + lateness)

    def finish(self) -> list[Any]:
        self.out.append(["state", state_to_json(self.state, 99)])
        return self.out


def scripted() -> list[Any]:
    runs: list[Any] = []

    # 1. Handoffs on time; check-ins early, on time and late; escalation cancelled; dispatches; rotations.
    r = Run("r1", UTC_SPEC, T0 - H)
    r.do(CreateRelay("r1", parse_spec(UTC_SPEC)), T0 - H)  # refused: exists
    r.wire(site("r1", "a"), {"type": "check_in"}, T0 - M)  # early
    r.wire(site("r1", "a"), {"type": "dispatch", "text": "  Picket up at gate 3  "}, T0 - M + 5 * S)
    r.tick(T0 - S)  # nothing due yet
    r.tick(T0 + MS)
    r.wire(site("r1", "a"), {"type": "check_in"}, T0 + M)  # a retry: nothing appended
    r.tick(T0 + H + 3 * MS)  # a -> b
    r.tick(T0 + H + 10 * M + 2 * MS)  # b missed: escalation, backup a at 01:20
    r.wire(coordinator("r1"), {"type": "check_in", "site": "b"}, T0 + H + 15 * M + 7 * MS)  # late, by the coordinator
    r.tick(T0 + H + 20 * M)  # backup cancelled: nothing
    r.wire(coordinator("r1"), {"type": "dispatch", "text": "From the coordinators"}, T0 + H + 21 * M)
    r.wire(coordinator("r1"), {"type": "dispatch", "site": "b", "text": "As b", "extra": [1]}, T0 + H + 22 * M)
    r.wire(coordinator("r1"), {"type": "rotate_site_link", "site": "b"}, T0 + H + 23 * M)
    r.wire(coordinator("r1"), {"type": "rotate_site_link", "site": "b"}, T0 + H + 24 * M)
    r.wire(coordinator("r1"), {"type": "rotate_site_link", "site": "c"}, T0 + H + 25 * M)
    r.wire(coordinator("r1"), {"type": "check_in", "site": "c", "leg": 2}, T0 + 4 * H)  # early, by leg
    r.wire(site("r1", "d"), {"type": "check_in", "leg": 3}, T0 + 6 * H + 3 * M)  # on time
    r.run_out()
    # Refusals from the state and from the edge.
    r.wire(site("r1", "a"), {"type": "check_in"}, T0 + 7 * H)  # no_leg
    r.wire(coordinator("r1"), {"type": "check_in", "site": "zz"}, T0)  # unknown_site
    r.wire(coordinator("r1"), {"type": "check_in", "site": "a", "leg": 9}, T0)  # unknown_leg
    r.wire(coordinator("r1"), {"type": "check_in", "site": "b", "leg": 0}, T0)  # not_your_leg
    r.wire(coordinator("r1"), {"type": "check_in", "site": "a", "leg": 0}, T0 + 3 * H)  # leg_over
    r.wire(coordinator("r1"), {"type": "dispatch", "text": "   "}, T0)  # empty_dispatch
    r.wire(coordinator("r1"), {"type": "dispatch", "text": "x" * 501}, T0)  # dispatch_too_long
    r.wire(coordinator("r1"), {"type": "dispatch", "text": "x" * 500, "site": "zz"}, T0)  # unknown_site
    r.wire(coordinator("r1"), {"type": "rotate_site_link", "site": "zz"}, T0)  # unknown_site
    for grant, raw in [
        (None, {"type": "check_in", "site": "a"}),
        (viewer("r1"), {"type": "dispatch", "text": "hi"}),
        (site("r1", "a"), {"type": "rotate_site_link", "site": "a"}),
        (site("r1", "a"), {"type": "check_in", "site": "b"}),
        (site("r1", "a"), {"type": "dispatch", "site": "b", "text": 5}),
        (site("r1", "a"), {"type": "check_in", "site": 5}),
        (coordinator("r1"), {"type": "check_in"}),
        (coordinator("r1"), {"type": "check_in", "site": "a", "leg": "1"}),
        (coordinator("r1"), {"type": "check_in", "site": "a", "leg": True}),
        (coordinator("r1"), {"type": "dispatch"}),
        (coordinator("r1"), {"type": "dispatch", "text": None}),
        (coordinator("r1"), {"type": "rotate_site_link"}),
        (coordinator("r1"), {"type": "vote"}),
        (coordinator("r1"), {"type": 3}),
        (coordinator("r1"), ["check_in"]),
        (coordinator("r1"), None),
    ]:
        r.wire(grant, raw, T0)
    # "by" comes from the link, never from the body.
    r.wire(site("r1", "a"), {"type": "dispatch", "text": "who?", "by": "coordinator"}, T0 + 7 * H)
    runs.append(r.finish())

    # 2. A missed check-in, the backup takes the leg and checks in for it; later handoffs name it.
    r = Run("r2", UTC_SPEC, T0 - H)
    r.wire(site("r2", "a"), {"type": "check_in"}, T0 - M)
    r.tick(T0)
    r.tick(T0 + H)
    r.tick(T0 + H + 10 * M)
    r.tick(T0 + H + 20 * M)  # backup a takes b's leg
    r.wire(site("r2", "b"), {"type": "check_in", "leg": 1}, T0 + H + 21 * M)  # not_your_leg any more
    r.wire(site("r2", "a"), {"type": "check_in", "leg": 1}, T0 + H + 21 * M)
    r.wire(site("r2", "c"), {"type": "dispatch", "text": "ready"}, T0 + 4 * H)
    r.run_out()
    runs.append(r.finish())

    # 3. A late tick after an outage: everything missed, once, in time order, marked late.
    r = Run("r3", UTC_SPEC, T0 - H)
    r.tick(T0 + 5 * H + 30 * M + 123 * MS)
    r.tick(T0 + 5 * H + 30 * M + 124 * MS)  # nothing left
    r.run_out(lateness=dt.timedelta(seconds=3))  # late by more than the tolerance
    runs.append(r.finish())

    # 4. DST: legs across a spring-forward gap and an autumn fold, handed on at every deadline.
    created = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
    r = Run("r4", DST_SPEC, created)
    r.wire(site("r4", "nyc"), {"type": "check_in"}, created + H)
    r.run_out()
    runs.append(r.finish())

    # 5. Many dispatches: the state keeps the last 200.
    r = Run("r5", UTC_SPEC, T0 - H)
    for i in range(205):
        r.wire(coordinator("r5"), {"type": "dispatch", "text": f"n{i}"}, T0 + i * S)
    out = r.finish()
    runs.append([*out[:3], ["dispatches", len(out[-1][1]["dispatches"])], out[-1][1]["dispatches"][:2]])

    # 6. An older log (no "at" on relay_created, no "by", no stored plan) and a newer one (unknown
    # types and fields) fold into the same snapshot shape.
    spec = Run("x", UTC_SPEC, T0).out[1][1]["spec"]
    stored: list[tuple[str, dict[str, Any]]] = [
        ("relay_created", {"relay": "r6", "spec": spec}),
        ("checked_in", {"leg": 0, "site": "a", "at": "2027-04-30T23:59:00.000Z", "late_s": 0.0}),
        ("dispatch_posted", {"site": "a", "text": "old", "at": "2027-04-30T23:59:01.000Z"}),
        ("something_newer", {"x": 1}),
        ("dispatch_posted", {"site": None, "text": "new", "at": "2027-04-30T23:59:02.000Z", "by": "coordinator"}),
        ("site_link_rotated", {"site": "c", "version": 4, "at": "2027-04-30T23:59:03.000Z", "reason": "lost phone"}),
        (
            "baton_passed",
            {
                "handoff": 0,
                "from_leg": None,
                "to_leg": 0,
                "from": None,
                "to": "a",
                "due": "2027-05-01T00:00:00Z",
                "at": "2027-05-01T00:00:00.001Z",
                "late_s": 0.001,
                "late": False,
            },
        ),
    ]
    state = RelayState()
    for type_, data in stored:
        state = evolve(state, type_, data)
    runs.append([["relay", "r6"], ["state", state_to_json(state, 7)], ["link_version", state.link_version("c")]])
    return runs


def render() -> str:
    return json.dumps(scripted(), indent=1, ensure_ascii=False) + "\n"


def test_golden_events_are_unchanged():
    text = render()
    if not GOLDEN.exists():
        GOLDEN.write_text(text, encoding="utf-8")
        raise AssertionError(f"wrote {GOLDEN.name}: check it, commit it, run again")
    assert text == GOLDEN.read_text(encoding="utf-8")
