"""The live relay's pure state machine: decide/evolve with an explicit ``now``, no loop, no clock."""

from __future__ import annotations

import datetime as dt

import pytest

from mayday.errors import DomainError
from relay.commands import CheckIn, CreateRelay, PostDispatch, RotateSiteLink, Tick
from relay.decide import decide
from relay.spec import parse_spec
from relay.state import RelayState, deadlines, evolve, next_deadline

T0 = dt.datetime(2027, 5, 1, 0, 0, tzinfo=dt.UTC)
S = dt.timedelta(seconds=1)
M = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)

SPEC = parse_spec(
    {
        "name": "t",
        "checkin_grace": "10m",
        "sites": [
            # all in UTC so the instants are easy to read: a 00:00-02:00, b 01:00-03:00, c 05:00-06:00
            {"id": "a", "tz": "UTC", "legs": {"date": "2027-05-01", "start": "00:00", "duration": "2h"}},
            {
                "id": "b",
                "tz": "UTC",
                "backup": "a",
                "legs": {"date": "2027-05-01", "start": "01:00", "end": "03:00"},
            },
            {"id": "c", "tz": "UTC", "legs": {"date": "2027-05-01", "start": "05:00", "duration": "1h"}},
        ],
    }
)


def run(state: RelayState, command, now: dt.datetime) -> tuple[RelayState, list]:
    events = decide(state, command, now)
    for e in events:
        state = evolve(state, e.type, e.data)
    return state, events


def created() -> RelayState:
    state, events = run(RelayState(), CreateRelay("r1", SPEC), T0 - H)
    assert [e.type for e in events] == ["relay_created"]
    return state


def test_create_stores_spec_and_plan_and_refuses_twice():
    state = created()
    assert state.relay_id == "r1" and len(state.legs) == 3
    assert next_deadline(state) == T0
    with pytest.raises(DomainError) as e:
        decide(state, CreateRelay("r1", SPEC), T0)
    assert e.value.code == "relay_exists"


def test_commands_on_a_missing_relay_are_refused():
    with pytest.raises(DomainError) as e:
        decide(RelayState(), Tick(), T0)
    assert e.value.code == "not_found"


def test_nothing_due_before_the_first_handoff():
    state = created()
    assert decide(state, Tick(), T0 - S) == []


def test_handoffs_on_time_in_order():
    state = created()
    state, ev = run(state, Tick(), T0)
    assert [(e.type, e.data["from"], e.data["to"], e.data["late"]) for e in ev] == [("baton_passed", None, "a", False)]
    assert ev[0].data["checkin_by"] == "2027-05-01T00:10:00Z"
    # a checks in, so no escalation for leg 0
    state, ev = run(state, CheckIn("a"), T0 + M)
    assert ev[0].type == "checked_in" and ev[0].data["leg"] == 0 and ev[0].data["late_s"] == 0
    state, ev = run(state, Tick(), T0 + H)
    assert [(e.type, e.data["to"]) for e in ev] == [("baton_passed", "b")]
    assert state.holder() == 1


def test_missed_checkin_escalates_then_backup_takes_the_leg():
    state = created()
    state, _ = run(state, CheckIn("a"), T0 - M)  # a checks in early
    state, _ = run(state, Tick(), T0 + H)  # handoff a -> b at 01:00
    state, ev = run(state, Tick(), T0 + H + 10 * M)
    assert [e.type for e in ev] == ["checkin_missed"]
    assert ev[0].data["site"] == "b" and ev[0].data["backup"] == "a"
    assert ev[0].data["backup_at"] == "2027-05-01T01:20:00Z"
    state, ev = run(state, Tick(), T0 + H + 20 * M)
    assert [e.type for e in ev] == ["backup_took_leg"]
    assert state.legs[1].acting == "a" and state.legs[1].replaced
    # the original site can no longer check in for that leg; the backup can
    with pytest.raises(DomainError):
        decide(state, CheckIn("b", leg=1), T0 + H + 21 * M)
    state, ev = run(state, CheckIn("a", leg=1), T0 + H + 21 * M)
    assert ev[0].data["leg"] == 1
    # later handoffs name the acting site: at 03:00 b's leg, held by a, hands to nobody
    assert decide(state, Tick(), T0 + 2 * H) == []  # a's own leg ends at 02:00 while b's holds
    state, ev = run(state, Tick(), T0 + 3 * H)
    assert (ev[0].data["from"], ev[0].data["from_leg"], ev[0].data["to"]) == ("a", 1, None)


def test_checkin_within_grace_cancels_escalation():
    state = created()
    state, _ = run(state, Tick(), T0)
    state, ev = run(state, CheckIn("a"), T0 + 9 * M)
    assert ev[0].type == "checked_in"
    assert [(d.kind, d.index) for d in deadlines(state)] == [("handoff", 1), ("escalate", 1), ("escalate", 2)]


def test_site_without_backup_escalates_once_and_no_backup_deadline():
    state = created()
    state, ev = run(state, Tick(), T0 + 11 * M)
    assert [e.type for e in ev] == ["baton_passed", "checkin_missed"]
    assert "backup_at" not in ev[1].data
    assert decide(state, Tick(), T0 + 30 * M) == []


def test_late_tick_applies_everything_missed_in_time_order_and_says_how_late():
    """What a restart after a long outage does: one tick, every missed deadline, marked late."""
    state = created()
    now = T0 + 5 * H + 30 * M
    state, ev = run(state, Tick(), now)
    kinds = [(e.type, e.data.get("to", e.data.get("site"))) for e in ev]
    assert kinds == [
        ("baton_passed", "a"),
        ("checkin_missed", "a"),
        ("baton_passed", "b"),
        ("checkin_missed", "b"),
        ("backup_took_leg", "b"),
        ("baton_passed", None),  # 03:00: b's leg (held by its backup a) ends; a's own ended at 02:00
        ("baton_passed", "c"),
        ("checkin_missed", "c"),
    ]
    first = ev[0].data
    assert first["late"] is True and first["late_s"] == (now - T0).total_seconds()
    assert first["due"] == "2027-05-01T00:00:00Z"
    dues = [e.data["due"] for e in ev]
    assert dues == sorted(dues)
    assert decide(state, Tick(), now) == []  # nothing left due: a second tick is a no-op


def test_checkin_is_idempotent_and_pinned_to_the_right_leg():
    state = created()
    state, ev = run(state, CheckIn("b"), T0)  # before b's leg: checks in for the next one
    assert ev[0].data["leg"] == 1
    assert decide(state, CheckIn("b"), T0 + M) == []  # a retry after a lost ack changes nothing
    with pytest.raises(DomainError) as e:
        decide(state, CheckIn("b", leg=0), T0)
    assert e.value.code == "not_your_leg"
    with pytest.raises(DomainError) as e:
        decide(state, CheckIn("zz"), T0)
    assert e.value.code == "unknown_site"
    with pytest.raises(DomainError) as e:
        decide(state, CheckIn("c"), T0 + 7 * H)
    assert e.value.code == "no_leg"


def test_dispatch_limits_and_rotation():
    state = created()
    state, ev = run(state, PostDispatch(site="a", text="  Picket up at gate 3  "), T0)
    assert ev[0].data["text"] == "Picket up at gate 3" and state.dispatches[-1].site == "a"
    for text, code in (("", "empty_dispatch"), ("x" * 501, "dispatch_too_long")):
        with pytest.raises(DomainError) as e:
            decide(state, PostDispatch(site="a", text=text), T0)
        assert e.value.code == code
    assert decide(state, PostDispatch(site=None, text="x" * 500), T0)[0].data["site"] is None
    state, _ = run(state, RotateSiteLink("b"), T0)
    state, _ = run(state, RotateSiteLink("b"), T0)
    assert state.link_version("b") == 2 and state.link_version("a") == 0


def test_unknown_events_are_ignored_by_evolve():
    state = created()
    assert evolve(state, "something_from_a_newer_server", {"x": 1}) is state


def test_short_leg_shorter_than_grace_never_escalates():
    spec = parse_spec(
        {
            "name": "short",
            "checkin_grace": "10m",
            "sites": [{"id": "a", "tz": "UTC", "legs": {"date": "2027-05-01", "start": "00:00", "duration": "5m"}}],
        }
    )
    state, _ = run(RelayState(), CreateRelay("r", spec), T0 - H)
    state, ev = run(state, Tick(), T0 + H)
    assert [e.type for e in ev] == ["baton_passed", "baton_passed"]
