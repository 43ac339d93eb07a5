"""Motions: majorities, quorum, abstentions and exact weighted arithmetic."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assembly.tally import MAJORITIES, MotionResult, exact, plain, tally_motion


def outcome(yes, no, abstain=0, *, majority="simple", quorum=0, total_weight=None):
    total = total_weight if total_weight is not None else max(exact(yes) + exact(no) + exact(abstain), 1)
    return tally_motion(yes, no, abstain, majority=majority, quorum=quorum, total_weight=total).outcome


def test_documented_example():
    r = tally_motion(3, 0, 1, majority="simple", quorum=0.5, total_weight=120)
    assert r.to_json() == {"yes": 3, "no": 0, "abstain": 1, "cast": 3, "quorum_met": False, "outcome": "no_quorum"}


def test_majorities_are_the_documented_ones():
    assert MAJORITIES == ("simple", "two_thirds")


@pytest.mark.parametrize(
    ("yes", "no", "expected"),
    [
        (3, 2, "adopted"),
        (2, 2, "rejected"),
        (2, 3, "rejected"),
        (0, 0, "rejected"),
        (1, 0, "adopted"),
        (0, 1, "rejected"),
    ],
)
def test_simple_majority(yes, no, expected):
    assert outcome(yes, no) == expected


@pytest.mark.parametrize(
    ("yes", "no", "expected"),
    [
        (2, 1, "adopted"),  # exactly two thirds
        (200, 100, "adopted"),
        (199, 100, "rejected"),  # just under
        (66, 34, "rejected"),
        (67, 33, "adopted"),
        (1, 0, "adopted"),
        (0, 0, "rejected"),  # nobody voted yes: 0 >= 2/3 of 0 is not enough
        (3, 2, "rejected"),  # a simple majority is not two thirds
    ],
)
def test_two_thirds(yes, no, expected):
    assert outcome(yes, no, majority="two_thirds") == expected


def test_two_thirds_exact_with_fractional_weights():
    # In floats 2/3 * (0.2 + 0.1) = 0.20000000000000004 > 0.2; exactly, 0.2 is two thirds of 0.3.
    assert outcome(0.2, 0.1, majority="two_thirds") == "adopted"
    assert outcome(Decimal("0.2"), Decimal("0.1"), majority="two_thirds") == "adopted"
    assert outcome(Fraction(2, 3), Fraction(1, 3), majority="two_thirds") == "adopted"
    assert outcome(Fraction(2, 3) - Fraction(1, 10**9), Fraction(1, 3), majority="two_thirds") == "rejected"


def test_abstentions_are_not_cast_but_count_for_quorum():
    r = tally_motion(1, 0, 100, majority="simple", quorum=0.5, total_weight=200)
    assert (r.cast, r.quorum_met, r.outcome) == (1, True, "adopted")  # 101 of 200 took part
    # Abstentions never count against: 10 yes, 9 no, 1000 abstaining still passes both majorities.
    assert outcome(10, 9, 1000) == "adopted"
    assert outcome(2, 1, 1000, majority="two_thirds") == "adopted"
    # Without the abstentions the quorum fails.
    assert tally_motion(1, 0, 0, majority="simple", quorum=0.5, total_weight=200).outcome == "no_quorum"


def test_quorum_boundary_is_inclusive_and_exact():
    assert tally_motion(30, 30, 0, majority="simple", quorum=0.5, total_weight=120).quorum_met
    assert not tally_motion(30, 29, 0, majority="simple", quorum=0.5, total_weight=120).quorum_met
    # 0.1 * 30 is 3.0000000000000004 in floats; exactly 3 weight takes part, which meets it.
    assert tally_motion(2, 1, 0, majority="simple", quorum=0.1, total_weight=30).quorum_met
    assert tally_motion(1.5, 1.5, 0, majority="simple", quorum=0.5, total_weight=6).quorum_met


def test_no_quorum_wins_over_the_vote():
    r = tally_motion(10, 0, 0, majority="simple", quorum=0.5, total_weight=100)
    assert (r.quorum_met, r.outcome) == (False, "no_quorum")


def test_quorum_extremes():
    assert tally_motion(0, 0, 0, majority="simple", quorum=0, total_weight=10).quorum_met
    assert not tally_motion(5, 4, 0, majority="simple", quorum=1, total_weight=10).quorum_met
    assert tally_motion(5, 4, 1, majority="simple", quorum=1, total_weight=10).outcome == "adopted"


def test_json_numbers_are_ints_when_integral():
    j = tally_motion(1.5, 0.5, Decimal("2"), majority="simple", quorum=0, total_weight=10).to_json()
    assert j == {"yes": 1.5, "no": 0.5, "abstain": 2, "cast": 2, "quorum_met": True, "outcome": "adopted"}
    assert type(j["cast"]) is int and type(j["abstain"]) is int


def test_result_is_frozen_and_exact():
    r = tally_motion(0.1, 0.2, 0, majority="simple", quorum=0, total_weight=1)
    assert isinstance(r, MotionResult) and r.cast == Fraction(3, 10)
    with pytest.raises(AttributeError):
        r.outcome = "adopted"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"majority": "absolute"}, "majority: expected one of simple, two_thirds, got 'absolute'"),
        ({"quorum": 1.5}, "quorum: expected a share between 0 and 1, got 1.5"),
        ({"quorum": -0.1}, "quorum: expected a share between 0 and 1"),
        ({"quorum": "50%"}, "quorum: expected a number, got '50%'"),
        ({"quorum": True}, "quorum: expected a number, got True"),
        ({"total_weight": 0}, "total_weight: must be positive"),
        ({"total_weight": 5}, r"total_weight 5 is less than the weight taking part \(6\)"),
        ({"yes": -1}, "yes: must not be negative"),
        ({"no": True}, "no: expected a number, got True"),
        ({"abstain": float("nan")}, "abstain: expected a finite number"),
    ],
)
def test_invalid_input(kwargs, message):
    args = {"yes": 3, "no": 2, "abstain": 1, "majority": "simple", "quorum": 0.5, "total_weight": 10} | kwargs
    with pytest.raises(ValueError, match=message):
        tally_motion(args.pop("yes"), args.pop("no"), args.pop("abstain"), **args)


def test_exact_and_plain():
    assert exact(0.1) == Fraction(1, 10)
    assert exact(Decimal("1.25")) == Fraction(5, 4)
    assert plain(Fraction(6, 2)) == 3 and type(plain(Fraction(6, 2))) is int
    assert plain(Fraction(3, 2)) == 1.5


weights = st.fractions(min_value=0, max_value=1000, max_denominator=100)


@given(weights, weights, weights, st.sampled_from(MAJORITIES), st.fractions(0, 1, max_denominator=100))
def test_outcome_rules(yes, no, abstain, majority, quorum):
    total = yes + no + abstain + 1
    r = tally_motion(yes, no, abstain, majority=majority, quorum=quorum, total_weight=total)
    assert r.cast == yes + no
    assert r.quorum_met == (yes + no + abstain >= quorum * total)
    passes = yes > no if majority == "simple" else (yes > 0 and yes / (yes + no) >= Fraction(2, 3))
    assert r.outcome == ("no_quorum" if not r.quorum_met else "adopted" if passes else "rejected")
    # Two thirds is stricter than a simple majority.
    if majority == "two_thirds" and r.outcome == "adopted":
        assert yes > no
