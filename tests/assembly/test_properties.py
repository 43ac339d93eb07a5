"""Properties of the pure core under random sequences of commands (hypothesis)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from assembly_driver import DEFINITION, Driver
from hypothesis import given, settings
from hypothesis import strategies as st

from assembly import core
from assembly.commands import Previous
from assembly.definition import parse_assembly
from mayday.errors import DomainError

DELEGATES = [d["id"] for d in DEFINITION["delegates"]]
KINDS = ["speech", "reply", "point_of_order"]

queue_commands = st.one_of(
    st.builds(lambda p, k: ("raise", p, k), st.sampled_from(DELEGATES), st.sampled_from(KINDS)),
    st.builds(lambda i: ("lower", i), st.integers(0, 8)),
    st.just(("grant",)),
    st.builds(lambda i: ("grant_entry", i), st.integers(0, 8)),
    st.just(("end",)),
    st.builds(lambda xs: ("reorder", xs), st.lists(st.integers(0, 8), max_size=4)),
    st.sampled_from([("close",), ("reopen",)]),
    st.builds(lambda s: ("wait", s), st.integers(1, 200)),
)


def to_command(step: tuple, ids: list[int]):
    def pick(i: int) -> int:
        return ids[i % len(ids)] if ids else 999

    match step:
        case ("raise", person, kind):
            return core.RaiseHand(person, kind)
        case ("lower", i):
            return core.LowerHand(pick(i), None)
        case ("grant",):
            return core.GrantFloor()
        case ("grant_entry", i):
            return core.GrantFloor(pick(i))
        case ("end",):
            return core.EndSpeech()
        case ("reorder", xs):
            return core.Reorder(tuple(dict.fromkeys(pick(i) for i in xs)))
        case ("close",) | ("reopen",):
            return core.SetListOpen(step[0] == "reopen")
    return core.Tick()


@settings(max_examples=300, deadline=None)
@given(st.lists(queue_commands, max_size=40), st.booleans(), st.booleans())
def test_the_queue_never_loses_or_duplicates_a_raised_hand(steps, first_time_first, rotation):
    drive = Driver(DEFINITION | {"queue": {"first_time_first": first_time_first, "region_rotation": rotation}})
    waiting: set[int] = set()  # entries raised and neither lowered nor granted
    for step in steps:
        command = to_command(step, sorted(e.id for e in drive.state.queue))
        if step[0] == "wait":
            drive.advance(step[1])
        try:
            events = drive(command)
        except DomainError:
            continue
        for e in events:
            if e.type == "hand_raised":
                waiting.add(e.data["entry"])
            elif e.type in ("hand_lowered", "floor_granted"):
                waiting.discard(e.data["entry"])
        order = [e.id for e in drive.state.order()]
        assert len(order) == len(set(order)), "an entry appears twice in the speaking order"
        assert set(order) == waiting, "the order lost or invented a raised hand"
        # Points of order always come first.
        kinds = [e.kind for e in drive.state.order()]
        assert kinds == sorted(kinds, key=lambda k: k != "point_of_order")


votes = st.lists(st.tuples(st.sampled_from(DELEGATES), st.sampled_from(core.CHOICES)), max_size=25)


@settings(max_examples=200, deadline=None)
@given(votes)
def test_a_secret_ballot_never_puts_a_choice_beside_a_voter(cast):
    """Drive secret votes through the core as the service does (each decision's events and its
    side write); the log's events never carry a choice with a voter, and the counters equal each
    voter's last choice times weight."""
    drive = Driver()
    definition = parse_assembly(DEFINITION)
    drive(core.ProposeDemand("rosa", "es", "x"))
    drive(core.OpenBallot("d1", secret=True, accept_weight_risk=True))
    counters: Counter[str] = Counter()
    receipts: set[str] = set()
    last: dict[str, tuple[str, str]] = {}
    for n, (voter, choice) in enumerate(cast):
        nonce = f"nonce-{n:04d}-abcdefghijkl"
        previous = last.get(voter)
        before = None if previous is None else Previous(choice=previous[1], nonce=previous[0])
        events = drive(core.Vote(1, choice, nonce=nonce, previous=before, voter=voter))
        write = drive.side
        assert write is not None and set(write.remove_tokens) <= receipts
        assert not any("at" in e.data for e in events)  # nothing in a secret vote's write tells its time
        counters.update(write.increments)
        receipts -= set(write.remove_tokens)
        receipts |= set(write.add_tokens)
        last[voter] = (nonce, choice)
    for type_, data in drive.log:
        if "voter" in data:
            assert not ({"choice", "weight", "at"} & set(data)), (type_, data)
    expected: Counter[str] = Counter()
    for voter, (_, choice) in last.items():
        expected[f"b1:{choice}"] += core.milli(definition.person(voter).weight)
    assert {k: v for k, v in counters.items() if v} == {k: v for k, v in expected.items() if v}
    assert len(receipts) == len(last)
    (closed, _) = drive(core.CloseBallot(1, dict(counters)))
    total = sum(Decimal(definition.person(v).weight) for v in last)
    r = closed.data["result"]
    assert Decimal(str(r["yes"])) + Decimal(str(r["no"])) + Decimal(str(r["abstain"])) == total
