"""Weights that would reveal secret choices (the pure core): the rule, its refusal, the chair's
knowing override and its record, and delegates added while a secret ballot is open."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from assembly_driver import DEFINITION, Driver

from assembly import core
from assembly.definition import Person, parse_assembly
from assembly.minutes import minutes_json, minutes_markdown
from assembly.state import evolve
from mayday.definitions import SpecError
from mayday.errors import DomainError


def assembly(weights: list, **extra) -> Driver:
    """An assembly whose delegates d1, d2, ... have these weights; d1 proposes demand d1."""
    delegates = [{"id": f"d{i}", "name": f"D{i}", "weight": w} for i, w in enumerate(weights, 1)]
    drive = Driver({"title": "T", "languages": ["en"], "chairs": [{"id": "chair"}], "delegates": delegates, **extra})
    drive(core.ProposeDemand("d1", "en", "A living wage"))
    return drive


def refusal(drive: Driver, command) -> DomainError:
    before = drive.state
    with pytest.raises(DomainError) as e:
        drive(command)
    assert drive.state is before  # nothing appended
    assert e.value.code == "weights_reveal_choices"
    return e.value


def opened(drive: Driver, command) -> dict:
    (event,) = drive(command)
    assert event.type == "ballot_opened"
    return event.data


def test_twelve_equal_weights_open_a_secret_ballot_without_a_word():
    drive = assembly([1] * 12)
    assert "weight_risk" not in opened(drive, core.OpenBallot("d1", secret=True))


@pytest.mark.parametrize("n", [1, 2, 4])
def test_one_weight_for_everyone_is_fine_however_few_delegates(n):
    """The totals then give head counts per choice, which every secret ballot publishes: the
    weights add nothing, so the rule has nothing to say (a tiny assembly is its own problem)."""
    drive = assembly([3] * n)
    assert core.weight_classes_at_risk(drive.state) == []
    assert "weight_risk" not in opened(drive, core.OpenBallot("d1", secret=True))


def test_distinct_weights_are_refused_and_the_message_names_the_classes():
    weights = [f"1.{i:03d}" for i in range(1, 13)]  # 1.001 ... 1.012, as in the audit
    drive = assembly(weights)
    e = refusal(drive, core.OpenBallot("d1", secret=True))
    assert "weight 1.001: 1 delegate" in e.message and "at least 5 delegates" in e.message
    assert "and 2 more" in e.message  # ten classes named, the rest counted
    assert "accept_weight_risk" in e.message


def test_distinct_weights_really_do_decode_every_choice():
    """Why the rule exists: with the audit's weights 1.001, 1.002, 1.004 ... 1.128 every yes total
    has exactly one set of voters behind it, so everyone's choice can be read off the result. (Not
    every set of distinct weights decodes this well; the rule assumes the worst and refuses them all.)"""
    weights = [1 + Decimal(2**i) / 1000 for i in range(8)]
    assert (weights[0], weights[-1]) == (Decimal("1.001"), Decimal("1.128"))
    refusal(assembly([str(w) for w in weights]), core.OpenBallot("d1", secret=True))
    yes_voters = {0, 3, 4, 7}
    yes_total = sum(weights[i] for i in yes_voters)
    matches = [
        set(subset)
        for r in range(len(weights) + 1)
        for subset in itertools.combinations(range(len(weights)), r)
        if sum((weights[i] for i in subset), Decimal(0)) == yes_total
    ]
    assert matches == [yes_voters]


def test_the_chair_may_go_ahead_knowingly_and_the_log_says_so():
    drive = assembly([2, 1, 1, 1, 1, 1])  # weight 2 is one delegate's alone
    data = opened(drive, core.OpenBallot("d1", secret=True, accept_weight_risk=True))
    assert data["weight_risk"] == {"k": 5, "classes": [{"weight": "2", "delegates": 1}]}
    ballot = drive.state.ballots[1]
    assert ballot.weight_risk == data["weight_risk"]
    # replay gives the same state, and the minutes carry the warning
    state = core.AssemblyState()
    for type_, d in drive.log:
        state = evolve(state, type_, d)
    assert state == drive.state
    assert minutes_json(drive.state)["ballots"][0]["weight_risk"] == data["weight_risk"]
    md = minutes_markdown(drive.state)
    assert "Opened secret although the weights could reveal choices" in md and "weight 2: 1 delegate" in md


def test_accepting_a_risk_that_is_not_there_records_nothing():
    drive = assembly([1] * 6)
    assert "weight_risk" not in opened(drive, core.OpenBallot("d1", secret=True, accept_weight_risk=True))


def test_only_the_classes_below_k_are_at_risk():
    drive = assembly([1] * 7 + [2] * 5 + [3] * 4)
    assert core.weight_classes_at_risk(drive.state) == [(Decimal(3), 4)]
    e = refusal(drive, core.OpenBallot("d1", secret=True))
    assert "weight 3: 4 delegates" in e.message and "weight 2" not in e.message and "weight 1:" not in e.message
    drive = assembly([1] * 7 + [2] * 5)  # two crowds: fine
    assert "weight_risk" not in opened(drive, core.OpenBallot("d1", secret=True))


def test_weights_are_classes_by_value():
    drive = assembly(["2", "2.0", "2.000", 2, 2.0])  # one class of five, however they were written
    assert core.weight_classes_at_risk(drive.state) == []
    drive = assembly([1] * 5 + ["2", "2.0", "2.000", 2])
    assert core.weight_classes_at_risk(drive.state) == [(Decimal(2), 4)]


def test_k_is_the_definitions_secret_k():
    drive = assembly([1, 1, 2, 2], secret_k=2)
    assert "weight_risk" not in opened(drive, core.OpenBallot("d1", secret=True))
    drive = assembly([1, 1, 2, 2], secret_k=3)
    assert refusal(drive, core.OpenBallot("d1", secret=True)).message.count("delegates") >= 2
    assert parse_assembly(DEFINITION).secret_k == 5  # the default
    for bad in (0, -1, 5001, 2.5, True, "5"):
        with pytest.raises(SpecError, match="secret_k"):
            parse_assembly(DEFINITION | {"secret_k": bad})


def test_open_ballots_and_people_are_never_refused_for_weights():
    drive = assembly([f"1.{i:03d}" for i in range(1, 13)])
    assert "weight_risk" not in opened(drive, core.OpenBallot("d1"))  # open: everyone sees every vote anyway


def test_a_secret_ranking_follows_the_same_rule():
    drive = assembly([2, 1, 1, 1, 1, 1])
    for n in (1, 2):
        if n > 1:
            drive(core.ProposeDemand("d1", "en", f"Demand {n}"))
        drive(core.OpenBallot(f"d{n}"))
        drive(core.CastVote(n, "d2", "yes"))
        drive(core.CloseBallot(n))
    refusal(drive, core.OpenRanking(secret=True))
    assert "weight_risk" not in opened(drive, core.OpenRanking())  # an open ranking


def test_a_delegate_added_during_a_secret_ballot_may_not_bring_a_rare_weight():
    drive = assembly([1] * 6)
    drive(core.OpenBallot("d1", secret=True))
    rare = Person("late", "delegate", "Late", "en", weight=Decimal("1.5"))
    e = refusal(drive, core.AddPerson(rare))
    assert "weight 1.5: 1 delegate" in e.message and "secret ballot is open" in e.message
    (added,) = drive(core.AddPerson(rare, accept_weight_risk=True))
    assert added.data["weight_risk"] == {"k": 5, "classes": [{"weight": "1.5", "delegates": 1}]}
    # the usual weight joins the crowd: nothing to say
    (added,) = drive(core.AddPerson(Person("late2", "delegate", "Late 2", "en", weight=Decimal(1))))
    assert "weight_risk" not in added.data
    # a second delegate of the rare weight is still at risk (two of them, k is 5)
    refusal(drive, core.AddPerson(Person("late3", "delegate", "Late 3", "en", weight=Decimal("1.5"))))
    # interpreters and chairs have no weight that counts
    drive(core.AddPerson(Person("i2", "interpreter", "I", "en", booth="en")))


def test_a_delegate_may_bring_any_weight_when_no_secret_ballot_is_open():
    drive = assembly([1] * 6)
    drive(core.OpenBallot("d1"))  # open ballot
    (added,) = drive(core.AddPerson(Person("late", "delegate", "Late", "en", weight=Decimal("1.5"))))
    assert "weight_risk" not in added.data
    # ... and the next secret ballot is refused for it
    drive(core.ProposeDemand("d1", "en", "Another"))
    refusal(drive, core.OpenBallot("d2", secret=True))


def test_adding_to_a_ballot_already_opened_with_risk_asks_only_about_new_risk():
    drive = assembly([2, 1, 1, 1, 1, 1])
    drive(core.OpenBallot("d1", secret=True, accept_weight_risk=True))
    (added,) = drive(core.AddPerson(Person("late", "delegate", "Late", "en", weight=Decimal(1))))
    assert "weight_risk" not in added.data  # weight 1 is a crowd; the weight 2 risk was already accepted
    refusal(drive, core.AddPerson(Person("late2", "delegate", "Late 2", "en", weight=Decimal(2))))
