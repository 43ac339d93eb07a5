"""The Schulze method against published worked examples, a brute-force oracle and its theorems.

Sources of the expected values:

* Wikipedia, "Schulze method" (45 voters, A-E): d and p matrices and E > A > C > B > D as printed in
  the article (checked against two copies: Markus Schulze's own examples page and a mirror of the
  article). Both matrices are also recomputed by the brute-force oracle below.
* M. Schulze, "A new monotonic, clone-independent, reversal symmetric, and Condorcet-consistent
  single-winner election method", Social Choice and Welfare 36 (2011), section 3: the profiles and
  winners of examples 1-4 as transcribed in the Condorcet PHP library's test suite
  (julien-boudry/Condorcet, SchulzeTest::testSchulzeOfficialExampleResult_1..4). The matrices of
  example 1 are the paper's table as recalled, and agree with the oracle; the full tiers of the tie
  examples are our count, which agrees with two other implementations (Condorcet PHP, icelect).
* Electowiki "Schulze method" examples 2 and 3 (as used by icelect's tests): full orders.
* Wikipedia's Tennessee capital example: Nashville is the Condorcet winner; the pairwise shares
  (58/42, 68/32, 83/17) are the article's.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assembly.schulze import (
    BallotError,
    normalise_ranking,
    pairwise,
    parse_ranking,
    path_opposition,
    ranking_from_paths,
    schulze,
    strongest_paths,
)

# ---------------------------------------------------------------------------------------------
# An independent oracle: count d ballot by ballot, and find p by trying every simple path.
# ---------------------------------------------------------------------------------------------


def oracle_d(candidates, ballots):
    d = {x: {y: Fraction(0) for y in candidates if y != x} for x in candidates}
    for weight, tiers in ballots:
        position = {c: i for i, tier in enumerate(tiers) for c in tier}
        for x, y in itertools.permutations(candidates, 2):
            if position.get(x, len(tiers)) < position.get(y, len(tiers)):
                d[x][y] += Fraction(weight)
    return d


def oracle_p(candidates, d):
    def link(x, y):
        return d[x][y] if d[x][y] > d[y][x] else None

    p = {x: {} for x in candidates}
    for x, y in itertools.permutations(candidates, 2):
        best = 0
        others = [c for c in candidates if c not in (x, y)]
        for k in range(len(others) + 1):
            for middle in itertools.permutations(others, k):
                path = [x, *middle, y]
                links = [link(a, b) for a, b in itertools.pairwise(path)]
                if all(s is not None for s in links):
                    best = max(best, min(links))
        p[x][y] = best
    return p


def strict(profile: list[tuple[int, str]]) -> list[tuple[int, list[list[str]]]]:
    """``[(5, "ACBED")]`` -> weight 5, ranking A > C > B > E > D."""
    return [(n, [[c] for c in order]) for n, order in profile]


def beats(p, x, y, q=None) -> bool:
    """x beats y: more support on the strongest path, or (with ``q``, Schulze 2011's tie-break)
    equal support and less opposition."""
    if q is None or p[x][y] != p[y][x] or not p[x][y]:
        return p[x][y] > p[y][x]
    return q[x][y] < q[y][x]


# ---------------------------------------------------------------------------------------------
# Published examples
# ---------------------------------------------------------------------------------------------

WIKIPEDIA = [(5, "ACBED"), (5, "ADECB"), (8, "BEDAC"), (3, "CABED"),
             (7, "CAEBD"), (2, "CBADE"), (7, "DCEBA"), (8, "EBADC")]  # fmt: skip


def rows(candidates: str, table: list[list[int]]) -> dict[str, dict[str, int]]:
    """A published matrix, rows in candidate order, diagonal omitted."""
    return {
        x: dict(zip([c for c in candidates if c != x], row, strict=True))
        for x, row in zip(candidates, table, strict=True)
    }


def test_wikipedia_example_matrices_and_order():
    r = schulze(list("ABCDE"), strict(WIKIPEDIA))
    assert r.pairwise == rows(
        "ABCDE", [[20, 26, 30, 22], [25, 16, 33, 18], [19, 29, 17, 24], [15, 12, 28, 14], [23, 27, 21, 31]]
    )
    assert r.strongest_paths == rows(
        "ABCDE", [[28, 28, 30, 24], [25, 28, 33, 24], [25, 29, 29, 24], [25, 28, 28, 24], [25, 28, 28, 31]]
    )
    assert r.ranking == [["E"], ["A"], ["C"], ["B"], ["D"]]
    assert r.winners == ["E"]
    # The oracle agrees, so the published tables and the Floyd–Warshall pass check each other.
    assert r.pairwise == oracle_d("ABCDE", strict(WIKIPEDIA))
    assert r.strongest_paths == oracle_p("ABCDE", r.pairwise)


def test_wikipedia_example_ballot_order_and_candidate_order_do_not_matter():
    reordered = schulze(list("DBECA"), strict(list(reversed(WIKIPEDIA))))
    assert reordered.ranking == [["E"], ["A"], ["C"], ["B"], ["D"]]


def test_schulze_paper_example_1():
    r = schulze(list("abcd"), strict([(8, "acdb"), (2, "badc"), (4, "cdba"), (4, "dbac"), (3, "dcba")]))
    assert r.pairwise == rows("abcd", [[8, 14, 10], [13, 6, 2], [7, 15, 12], [11, 19, 9]])
    assert r.strongest_paths == rows("abcd", [[14, 14, 12], [13, 13, 12], [13, 15, 12], [13, 19, 13]])
    assert r.winners == ["d"]
    assert r.ranking == [["d"], ["a"], ["c"], ["b"]]


def test_schulze_paper_example_2_ties_b_and_d():
    r = schulze(list("abcd"), strict([(3, "abcd"), (2, "cbda"), (2, "dabc"), (2, "dbca")]))
    assert r.pairwise == oracle_d("abcd", strict([(3, "abcd"), (2, "cbda"), (2, "dabc"), (2, "dbca")]))
    assert r.winners == ["b", "d"]  # p[b][d] = p[d][b] = 5: neither beats the other
    assert r.strongest_paths["b"]["d"] == r.strongest_paths["d"]["b"] == 5
    assert r.ranking == [["b", "d"], ["a", "c"]]


def test_schulze_paper_example_3():
    r = schulze(list("abcd"), strict([(12, "abcd"), (6, "adbc"), (9, "bcda"), (15, "cdab"), (21, "dbac")]))
    assert r.winners == ["d"]
    assert r.ranking == [["d"], ["a", "b"], ["c"]]


def test_schulze_paper_example_4_ties_a_and_d():
    r = schulze(list("abcd"), strict([(6, "acdb"), (1, "badc"), (3, "cbda"), (3, "dbac"), (2, "dcba")]))
    assert r.winners == ["a", "d"]
    assert r.ranking == [["a", "d"], ["c"], ["b"]]


@pytest.mark.parametrize(
    ("profile", "order"),
    [
        (
            [
                (5, "ACBD"),
                (2, "ACDB"),
                (3, "ADCB"),
                (4, "BACD"),
                (3, "CBDA"),
                (3, "CDBA"),
                (1, "DACB"),
                (5, "DBAC"),
                (4, "DCBA"),
            ],
            "DACB",
        ),
        (
            [
                (3, "ABDEC"),
                (5, "ADEBC"),
                (1, "ADECB"),
                (2, "BADEC"),
                (2, "BDECA"),
                (4, "CABDE"),
                (6, "CBADE"),
                (2, "DBECA"),
                (5, "DECAB"),
            ],
            "BADEC",
        ),
    ],
)
def test_electowiki_examples(profile, order):
    r = schulze(sorted(order), strict(profile))
    assert r.ranking == [[c] for c in order]
    assert r.strongest_paths == oracle_p(sorted(order), r.pairwise)


TENNESSEE = [(42, ["Memphis", "Nashville", "Chattanooga", "Knoxville"]),
             (26, ["Nashville", "Chattanooga", "Knoxville", "Memphis"]),
             (15, ["Chattanooga", "Knoxville", "Nashville", "Memphis"]),
             (17, ["Knoxville", "Chattanooga", "Nashville", "Memphis"])]  # fmt: skip
CITIES = ["Memphis", "Nashville", "Chattanooga", "Knoxville"]


def test_tennessee_capital():
    r = schulze(CITIES, TENNESSEE)
    d = r.pairwise
    assert (d["Nashville"]["Memphis"], d["Memphis"]["Nashville"]) == (58, 42)
    assert (d["Nashville"]["Chattanooga"], d["Chattanooga"]["Nashville"]) == (68, 32)
    assert (d["Nashville"]["Knoxville"], d["Knoxville"]["Nashville"]) == (68, 32)
    assert (d["Chattanooga"]["Knoxville"], d["Knoxville"]["Chattanooga"]) == (83, 17)
    assert all(d[x]["Memphis"] == 58 for x in CITIES[1:])  # Memphis: 42% against everyone
    assert r.ranking == [["Nashville"], ["Chattanooga"], ["Knoxville"], ["Memphis"]]


def test_tennessee_with_fractional_shares_is_exact():
    # 0.42 + 0.26 is 0.6799999999999999 in floats; exact sums give the 0.68 of the percentages.
    shares = [(share, ranking) for share, (_, ranking) in zip([0.42, 0.26, 0.15, 0.17], TENNESSEE, strict=True)]
    r = schulze(CITIES, shares)
    assert r.pairwise["Nashville"]["Chattanooga"] == 0.68
    assert r.pairwise["Chattanooga"]["Knoxville"] == 0.83
    assert r.ranking == [["Nashville"], ["Chattanooga"], ["Knoxville"], ["Memphis"]]


def test_float_weights_tie_exactly():
    # 0.1 + 0.2 for B against 0.3 for A: a tie, not a win for B by 4e-17.
    r = schulze(["A", "B"], [(0.1, [["B"]]), (0.2, [["B"]]), (0.3, [["A"]])])
    assert r.pairwise == {"A": {"B": 0.3}, "B": {"A": 0.3}}
    assert r.ranking == [["A", "B"]]


def test_decimal_and_fraction_weights():
    r = schulze(["A", "B"], [(Decimal("1.5"), [["A"]]), (Fraction(1, 2), [["B"]]), (Fraction(1, 2), [["B"]])])
    assert r.pairwise == {"A": {"B": 1.5}, "B": {"A": 1}}
    assert type(r.pairwise["B"]["A"]) is int  # integral sums come out as ints (JSON 1, not 1.0)


# ---------------------------------------------------------------------------------------------
# Ties, Condorcet winners, unranked candidates
# ---------------------------------------------------------------------------------------------


def test_symmetric_profile_is_one_tier():
    every_order = [(1, [[c] for c in order]) for order in itertools.permutations("ABC")]
    r = schulze(["A", "B", "C"], every_order)
    assert r.ranking == [["A", "B", "C"]]
    assert all(v == 3 for row in r.pairwise.values() for v in row.values())
    assert all(v == 0 for row in r.strongest_paths.values() for v in row.values())


def test_condorcet_cycle_is_one_tier():
    r = schulze(["A", "B", "C"], strict([(1, "ABC"), (1, "BCA"), (1, "CAB")]))
    assert r.pairwise == {"A": {"B": 2, "C": 1}, "B": {"A": 1, "C": 2}, "C": {"A": 2, "B": 1}}
    assert all(v == 2 for row in r.strongest_paths.values() for v in row.values())
    assert r.ranking == [["A", "B", "C"]]


def test_no_ballots_ties_everyone():
    r = schulze(["A", "B"], [])
    assert r.ranking == [["A", "B"]]
    assert r.pairwise == {"A": {"B": 0}, "B": {"A": 0}}


def test_single_candidate():
    assert schulze(["A"], [(1, [["A"]])]).to_json() == {
        "ranking": [["A"]],
        "pairwise": {"A": {}},
        "strongest_paths": {"A": {}},
        "path_opposition": {"A": {}},
    }


def test_equal_support_is_broken_by_weaker_opposition():
    """Schulze (2011), section 2.1: the strength of a link e -> f is the pair (N[e,f], N[f,e]), and
    (a, b) is stronger than (c, d) when a > c, or a = c and b < d ("winning votes" with its
    tie-break). Worked by hand: a cycle in which every link has support 6,
        A -> B (6, 3),  B -> C (6, 5),  C -> A (6, 4),
    ties all three on support alone. With the tie-break B -> C is the weakest link, so
        p[A][B] = (6, 3) beats p[B][A] = B->C->A = min((6, 5), (6, 4)) = (6, 5): A beats B;
        p[C][A] = (6, 4) beats p[A][C] = A->B->C = min((6, 3), (6, 5)) = (6, 5): C beats A;
        p[C][B] = C->A->B = (6, 4) beats p[B][C] = (6, 5): C beats B.
    Ranking: C > A > B."""
    d = {"A": {"B": 6, "C": 4}, "B": {"A": 3, "C": 6}, "C": {"A": 6, "B": 5}}
    names = ["A", "B", "C"]
    p, q = strongest_paths(names, d), path_opposition(names, d)
    assert p == {"A": {"B": 6, "C": 6}, "B": {"A": 6, "C": 6}, "C": {"A": 6, "B": 6}}
    assert q == {"A": {"B": 3, "C": 5}, "B": {"A": 5, "C": 5}, "C": {"A": 4, "B": 4}}
    assert ranking_from_paths(names, p) == [["A", "B", "C"]]  # support alone: a three-way tie
    assert ranking_from_paths(names, p, q) == [["C"], ["A"], ["B"]]


def test_condorcet_winner_comes_first_even_when_few_rank_it_first():
    # B is first on only 2 of 7 ballots but beats A (4-3) and C (5-2) head to head.
    r = schulze(["A", "B", "C"], strict([(3, "ABC"), (2, "CBA"), (2, "BAC")]))
    assert r.ranking[0] == ["B"]


def test_unranked_candidates_rank_below_listed_ones_and_tie():
    r = schulze(list("ABCD"), [(2, [["B"]])])
    assert r.pairwise["B"] == {"A": 2, "C": 2, "D": 2}
    assert r.pairwise["A"] == {"B": 0, "C": 0, "D": 0}
    assert r.ranking == [["B"], ["A", "C", "D"]]
    # Leaving C and D out is the same ballot as ranking them last and tied.
    assert pairwise(list("ABCD"), [(1, parse_ranking("A > B", "ABCD"))]) == pairwise(
        list("ABCD"), [(1, parse_ranking("A > B > C = D", "ABCD"))]
    )


def test_tiers_layer_a_partial_order():
    # A beats C (3-0), but B ties A (3-3) and C (3-3). B shares A's tier (nobody beats either) and
    # C is alone below, beaten by one; B and C are in different tiers though neither beats the other.
    r = schulze(["A", "B", "C"], [(3, [["B"], ["C", "A"]]), (3, [["A"], ["C"], ["B"]])])
    p = r.strongest_paths
    assert beats(p, "A", "C") and not beats(p, "B", "C") and not beats(p, "C", "B")
    assert r.ranking == [["A", "B"], ["C"]]


def test_ranking_from_paths_keeps_input_order_within_tiers():
    p = {"X": {"Y": 0, "Z": 5}, "Y": {"X": 0, "Z": 5}, "Z": {"X": 0, "Y": 0}}
    assert ranking_from_paths(["Y", "Z", "X"], p) == [["Y", "X"], ["Z"]]


def test_strongest_paths_prefers_a_wider_indirect_path():
    d = {"A": {"B": 6, "C": 4}, "B": {"A": 3, "C": 7}, "C": {"A": 3, "B": 2}}
    assert strongest_paths(["A", "B", "C"], d)["A"]["C"] == 6  # A-(6)-B-(7)-C beats A-(4)-C


# ---------------------------------------------------------------------------------------------
# Parsing and validation
# ---------------------------------------------------------------------------------------------


def test_parse_ranking():
    assert parse_ranking("A > C > B = D", "ABCD") == [["A"], ["C"], ["B", "D"]]
    assert parse_ranking("  Ana   Lima >Bo=  Cy ", ["Ana   Lima", "Bo", "Cy"]) == [["Ana   Lima"], ["Bo", "Cy"]]
    assert parse_ranking("C", "ABCD") == [["C"]]  # unranked candidates are not added


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A > E", "unknown candidate 'E'"),
        ("A > B = A", "candidate 'A' ranked twice"),
        ("", "empty ranking"),
        ("   ", "empty ranking"),
        ("A > > B", "missing candidate name"),
        ("A = ", "missing candidate name"),
        ("a > B", "unknown candidate 'a'"),  # names are case-sensitive
    ],
)
def test_parse_ranking_errors_name_the_culprit(text, message):
    with pytest.raises(BallotError, match=message):
        parse_ranking(text, "ABCD")


def test_normalise_ranking():
    assert normalise_ranking(["A", ["B", "C"], ("D",)], "ABCD") == [["A"], ["B", "C"], ["D"]]
    assert normalise_ranking(["B", "A"], "ABCD") == [["B"], ["A"]]
    assert normalise_ranking("B > A = C", "ABCD") == [["B"], ["A", "C"]]


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([], "empty ranking"),
        (["A", []], "empty tier"),
        (["A", ["B", "A"]], "candidate 'A' ranked twice"),
        (["E"], "unknown candidate 'E'"),
        ([["A", 1]], "expected a candidate name, got 1"),
        ([{"A": 1}], "expected a candidate name or a list"),
        (None, "expected a ranking"),
    ],
)
def test_normalise_ranking_errors(tiers, message):
    with pytest.raises(BallotError, match=message):
        normalise_ranking(tiers, "ABCD")


@pytest.mark.parametrize(
    ("candidates", "message"),
    [
        ([], "non-empty list"),
        (["A", "B", "A"], "duplicate candidate 'A'"),
        (["A", ""], "expected a candidate name"),
        ("AB", "non-empty list"),
    ],
)
def test_bad_candidate_lists(candidates, message):
    with pytest.raises(BallotError, match=message):
        schulze(candidates, [])


@pytest.mark.parametrize("weight", [0, -1, True, "2", float("nan"), float("inf"), None])
def test_bad_weights(weight):
    with pytest.raises(ValueError, match="weight"):
        pairwise(["A", "B"], [(weight, [["A"]])])


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------


@st.composite
def profiles(draw, max_candidates: int = 5):
    """Candidates and weighted ballots with ties and unranked candidates."""
    names = list("ABCDE"[: draw(st.integers(1, max_candidates))])
    ballots = []
    for _ in range(draw(st.integers(0, 8))):
        order = draw(st.permutations(names))
        listed = draw(st.integers(1, len(names)))
        tiers: list[list[str]] = []
        for name in order[:listed]:
            if tiers and draw(st.booleans()):
                tiers[-1].append(name)
            else:
                tiers.append([name])
        ballots.append((draw(st.integers(1, 5)), tiers))
    return names, ballots


def full(tiers, names):
    """The ranking with its implicit bottom tier of unranked candidates made explicit."""
    listed = {c for tier in tiers for c in tier}
    rest = [c for c in names if c not in listed]
    return [*tiers, rest] if rest else tiers


@settings(max_examples=300, deadline=None)
@given(profiles())
def test_matches_the_oracle(profile):
    names, ballots = profile
    r = schulze(names, ballots)
    assert r.pairwise == oracle_d(names, ballots)
    assert r.strongest_paths == oracle_p(names, r.pairwise)


@settings(max_examples=300, deadline=None)
@given(profiles())
def test_ranking_is_a_layered_partition_consistent_with_beats(profile):
    names, ballots = profile
    r = schulze(names, ballots)
    p, q, tier = r.strongest_paths, r.path_opposition, {c: i for i, t in enumerate(r.ranking) for c in t}
    assert sorted(c for t in r.ranking for c in t) == sorted(names) and all(r.ranking)
    for x, y in itertools.permutations(names, 2):
        if beats(p, x, y, q):
            assert tier[x] < tier[y]
        if tier[x] == tier[y]:
            assert not beats(p, x, y, q)
    # The first tier is exactly Schulze's set of potential winners: beaten by nobody.
    assert set(r.ranking[0]) == {x for x in names if not any(beats(p, y, x, q) for y in names if y != x)}


@settings(max_examples=300, deadline=None)
@given(profiles())
def test_beats_is_transitive(profile):
    # Schulze (2011) proves the relation the ranking is built from transitive.
    names, ballots = profile
    p = schulze(names, ballots).strongest_paths
    for x, y, z in itertools.permutations(names, 3):
        if beats(p, x, y) and beats(p, y, z):
            assert beats(p, x, z)


@settings(max_examples=300, deadline=None)
@given(profiles())
def test_pairwise_bounded_by_total_weight(profile):
    names, ballots = profile
    d = pairwise(names, ballots)
    total = sum(w for w, _ in ballots)
    for x, y in itertools.permutations(names, 2):
        assert 0 <= d[x][y] and d[x][y] + d[y][x] <= total


@settings(max_examples=300, deadline=None)
@given(profiles())
def test_condorcet_winner_alone_first_and_loser_alone_last(profile):
    names, ballots = profile
    r = schulze(names, ballots)
    d = r.pairwise
    others = {x: [y for y in names if y != x] for x in names}
    for x in names:
        if len(names) > 1 and all(d[x][y] > d[y][x] for y in others[x]):
            assert r.ranking[0] == [x]
        if len(names) > 1 and all(d[x][y] < d[y][x] for y in others[x]):
            assert r.ranking[-1] == [x]  # no link leaves x, so p[x][y] = 0 < p[y][x]


@settings(max_examples=300, deadline=None)
@given(profiles())
def test_reversal_symmetry(profile):
    # Reversing every ballot (unranked candidates then rank first) swaps d[x][y] and d[y][x], so
    # "beats" reverses exactly; in particular a unique winner becomes the unique loser.
    names, ballots = profile
    r = schulze(names, ballots)
    rev = schulze(names, [(w, full(t, names)[::-1]) for w, t in ballots])
    for x, y in itertools.permutations(names, 2):
        assert beats(rev.strongest_paths, x, y) == beats(r.strongest_paths, y, x)
    if len(names) > 1 and len(r.ranking[0]) == 1:
        assert rev.ranking[-1] == r.ranking[0]


@settings(max_examples=300, deadline=None)
@given(profiles())
def test_pareto(profile):
    # If every ballot ranks x strictly above y, x beats y.
    names, ballots = profile
    if not ballots:
        return
    r = schulze(names, ballots)
    for x, y in itertools.permutations(names, 2):
        if r.pairwise[x][y] == sum(w for w, _ in ballots):
            assert beats(r.strongest_paths, x, y)


@settings(max_examples=300, deadline=None)
@given(profiles(), st.data())
def test_raising_the_unique_winner_keeps_it_the_unique_winner(profile, data):
    # Monotonicity (proved in Schulze 2011): put the winner first on one ballot, others unchanged.
    names, ballots = profile
    r = schulze(names, ballots)
    if not ballots or len(r.ranking[0]) != 1:
        return
    (w,) = r.ranking[0]
    i = data.draw(st.integers(0, len(ballots) - 1))
    weight, tiers = ballots[i]
    raised = [[w], *([c for c in t if c != w] for t in tiers)]
    ballots = [*ballots[:i], (weight, [t for t in raised if t]), *ballots[i + 1 :]]
    assert schulze(names, ballots).ranking[0] == [w]


@settings(max_examples=200, deadline=None)
@given(profiles())
def test_splitting_ballots_changes_nothing(profile):
    names, ballots = profile
    split = [(1, tiers) for w, tiers in ballots for _ in range(w)]
    assert schulze(names, split) == schulze(names, ballots)
