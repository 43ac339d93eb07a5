"""`mayday count`: ballots files counted as documented, and one-line errors naming the culprit."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assembly.countfile import count_text, format_count
from assembly.schulze import BallotError

RANKED = """\
kind: ranked
candidates: [A, B, C, D]
ballots:                                   # "=" ties; candidates left out rank below all listed
  - {count: 5, ranking: "A > C > B = D"}
"""
RANKED_JSON = {
    "kind": "ranked",
    "ranking": [["A"], ["C"], ["B", "D"]],
    "pairwise": {
        "A": {"B": 5, "C": 5, "D": 5},
        "B": {"A": 0, "C": 0, "D": 0},
        "C": {"A": 0, "B": 5, "D": 5},
        "D": {"A": 0, "B": 0, "C": 0},
    },
    "strongest_paths": {
        "A": {"B": 5, "C": 5, "D": 5},
        "B": {"A": 0, "C": 0, "D": 0},
        "C": {"A": 0, "B": 5, "D": 5},
        "D": {"A": 0, "B": 0, "C": 0},
    },
    "path_opposition": {
        "A": {"B": 0, "C": 0, "D": 0},
        "B": {"A": 0, "C": 0, "D": 0},
        "C": {"A": 0, "B": 0, "D": 0},
        "D": {"A": 0, "B": 0, "C": 0},
    },
}
MOTION = """\
kind: motion
majority: simple                           # yes > no; or two_thirds: yes >= 2/3 of (yes + no)
quorum: 0.5                                # share of total_weight taking part, abstentions included
total_weight: 120
ballots: [{choice: yes, weight: 3}, {choice: abstain}]    # weight defaults to 1
"""
MOTION_JSON = {
    "kind": "motion",
    "yes": 3,
    "no": 0,
    "abstain": 1,
    "cast": 3,
    "quorum_met": False,
    "outcome": "no_quorum",
}

WIKIPEDIA = {
    "kind": "ranked",
    "candidates": ["A", "B", "C", "D", "E"],
    "ballots": [
        {"count": n, "ranking": " > ".join(order)}
        for n, order in [
            (5, "ACBED"),
            (5, "ADECB"),
            (8, "BEDAC"),
            (3, "CABED"),
            (7, "CAEBD"),
            (2, "CBADE"),
            (7, "DCEBA"),
            (8, "EBADC"),
        ]
    ],
}


def mayday(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mayday.cli", *args], capture_output=True, text=True, input=stdin, timeout=60
    )


# ---------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------


def test_documented_ranked_example_json(tmp_path):
    f = tmp_path / "ranked.yaml"
    f.write_text(RANKED)
    r = mayday("count", str(f), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == RANKED_JSON
    assert list(json.loads(r.stdout)) == ["kind", "ranking", "pairwise", "strongest_paths", "path_opposition"]


def test_documented_motion_example_json_from_stdin():
    r = mayday("count", "-", "--json", stdin=MOTION)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == MOTION_JSON
    assert list(json.loads(r.stdout)) == list(MOTION_JSON)


def test_json_input_and_human_ranking_table():
    r = mayday("count", "-", stdin=json.dumps(WIKIPEDIA))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:6] == [
        "Schulze ranking, best first (= marks a tie):",
        "  1. E",
        "  2. A",
        "  3. C",
        "  4. B",
        "  5. D",
    ]
    # The pairwise table, rows and columns in ranking order: E's row is d[E][A..D] = 23 27 21 31.
    assert "  E   -  23  21  27  31" in lines
    assert "  D  14  15  28  12   -" in lines


def test_human_ties_and_motion():
    assert "  3. B = D" in mayday("count", "-", stdin=RANKED).stdout
    r = mayday("count", "-", stdin=MOTION)
    assert r.returncode == 0
    assert r.stdout.splitlines() == [
        "Motion: no quorum",
        "  yes      3",
        "  no       0",
        "  abstain  1",
        "  cast     3  (yes + no)",
        "  quorum   not met",
    ]


def test_multilingual_names_stay_readable():
    text = 'kind: ranked\ncandidates: ["Grève générale", "Huelga", "罢工"]\nballots: [{ranking: "罢工 > Huelga"}]\n'
    r = mayday("count", "-", "--json", stdin=text)
    assert r.returncode == 0, r.stderr
    assert "罢工" in r.stdout
    assert json.loads(r.stdout)["ranking"] == [["罢工"], ["Huelga"], ["Grève générale"]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: ranked\ncandidates: [A, B]\nballots: [{ranking: A > E}]\n", "ballots[0]: unknown candidate 'E'"),
        ("kind: ranked\ncandidates: [A, B\n", "malformed YAML"),
        ('{"kind": "ranked",}', "malformed JSON"),
        ("kind: runoff\n", "unknown kind 'runoff'"),
        (
            "kind: motion\nmajority: simple\nquorum: 2\ntotal_weight: 10\nballots: []\n",
            "quorum: expected a share between 0 and 1, got 2",
        ),
    ],
)
def test_errors_are_one_line_with_exit_2(tmp_path, text, message):
    f = tmp_path / "ballots.yaml"
    f.write_text(text)
    r = mayday("count", str(f))
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"mayday: {f}: {message}"), r.stderr


def test_missing_file_exits_2():
    r = mayday("count", "/nonexistent/ballots.yaml", "--json")
    assert r.returncode == 2 and r.stderr.startswith("mayday: /nonexistent/ballots.yaml: ")
    assert len(r.stderr.splitlines()) == 1


# ---------------------------------------------------------------------------------------------
# count_text directly: every check, fast
# ---------------------------------------------------------------------------------------------


def ranked(candidates="[A, B, C]", ballots="[{ranking: A > B}]", extra=""):
    return f"kind: ranked\ncandidates: {candidates}\nballots: {ballots}\n{extra}"


def motion(ballots="[{choice: yes}]", majority="simple", quorum="0.5", total_weight="10", extra=""):
    return f"kind: motion\nmajority: {majority}\nquorum: {quorum}\ntotal_weight: {total_weight}\nballots: {ballots}\n{extra}"


def test_count_text_documented_examples():
    assert count_text(RANKED) == RANKED_JSON
    assert count_text(MOTION) == MOTION_JSON


def test_ranked_ballot_forms_count_and_weight():
    result = count_text(
        ranked(
            ballots="[{ranking: [C, [A, B]], count: 2}, {ranking: [B], weight: 1.5}, {ranking: A > C, count: 2, weight: 0.25}]"
        )
    )
    d = result["pairwise"]
    # C over A and B: 2 ballots; B over A and C: 1.5; A over B and C: 2 * 0.25 = 0.5, and C over B 0.5 more.
    assert d["C"] == {"A": 2, "B": 2.5}
    assert d["B"] == {"A": 1.5, "C": 1.5}
    assert d["A"] == {"B": 0.5, "C": 0.5}
    assert result["ranking"] == [["C"], ["B"], ["A"]]


def test_motion_weights_and_adoption():
    text = motion(
        ballots="[{choice: yes, weight: 1.5}, {choice: no, weight: 0.75}, {choice: 'no'}]",
        majority="two_thirds",
        quorum="0",
        total_weight="4",
    )
    assert count_text(text) == {
        "kind": "motion",
        "yes": 1.5,
        "no": 1.75,
        "abstain": 0,
        "cast": 3.25,
        "quorum_met": True,
        "outcome": "rejected",
    }
    text = motion(
        ballots="[{choice: yes, weight: 2}, {choice: no}]", majority="two_thirds", quorum="0.5", total_weight="6"
    )
    assert count_text(text)["outcome"] == "adopted"  # exactly two thirds, 3 of 6 taking part


def test_yaml_yes_and_no_are_choices_not_booleans():
    # The definitions loader keeps YAML 1.1's yes/no as text, so `choice: no` is a no vote.
    result = count_text(motion(ballots="[{choice: no}, {choice: yes}, {choice: yes}]", quorum="0"))
    assert (result["yes"], result["no"], result["outcome"]) == (2, 1, "adopted")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a list\n", "expected a mapping with a 'kind'"),
        ("candidates: [A]\n", "missing 'kind'"),
        ("kind: 3\n", "unknown kind 3"),
        (ranked(extra="title: x\n"), "ranked ballots: unknown key 'title'"),
        ("kind: ranked\nballots: []\n", "ranked ballots: missing 'candidates'"),
        ("kind: ranked\ncandidates: [A]\n", "ranked ballots: missing 'ballots'"),
        (ranked(candidates="[]"), "candidates: expected a non-empty list"),
        (ranked(candidates="A, B"), "candidates: expected a non-empty list"),
        (ranked(candidates="[A, B, A]"), "candidates[2]: duplicate candidate 'A'"),
        (ranked(candidates="[A, 7]"), "candidates[1]: expected a name, got 7"),
        (ranked(candidates="[A, 'B > C']"), "candidates[1]: a name may not contain '>'"),
        (ranked(candidates="[A, ' B']"), "candidates[1]: a name may not"),
        (ranked(ballots="{ranking: A}"), "ballots: expected a list"),
        (ranked(ballots="[A > B]"), "ballots[0]: expected a mapping"),
        (ranked(ballots="[{count: 2}]"), "ballots[0]: missing 'ranking'"),
        (ranked(ballots="[{ranking: A, votes: 2}]"), "ballots[0]: unknown key 'votes'"),
        (ranked(ballots="[{ranking: A > E}]"), "ballots[0]: unknown candidate 'E'"),
        (ranked(ballots="[{ranking: A}, {ranking: B > A = B}]"), "ballots[1]: candidate 'B' ranked twice"),
        (ranked(ballots="[{ranking: [A, [B, A]]}]"), "ballots[0]: candidate 'A' ranked twice"),
        (ranked(ballots="[{ranking: ''}]"), "ballots[0]: empty ranking"),
        (ranked(ballots="[{ranking: []}]"), "ballots[0]: empty ranking"),
        (ranked(ballots="[{ranking: A > > B}]"), "ballots[0]: missing candidate name"),
        (ranked(ballots="[{ranking: 5}]"), "ballots[0]: expected a ranking"),
        (ranked(ballots="[{ranking: A, count: 0}]"), "ballots[0].count: expected a whole number from 1"),
        (ranked(ballots="[{ranking: A, count: -3}]"), "ballots[0].count: expected a whole number from 1"),
        (ranked(ballots="[{ranking: A, count: 1.5}]"), "ballots[0].count: expected a whole number from 1"),
        (ranked(ballots="[{ranking: A, count: true}]"), "ballots[0].count: expected a whole number from 1"),
        (ranked(ballots="[{ranking: A, count: '3'}]"), "ballots[0].count: expected a whole number from 1"),
        (ranked(ballots="[{ranking: A, weight: 0}]"), "ballots[0].weight: expected a positive number"),
        (ranked(ballots="[{ranking: A, weight: -1}]"), "ballots[0].weight: expected a positive number"),
        (ranked(ballots="[{ranking: A, weight: false}]"), "ballots[0].weight: expected a number, got False"),
        (ranked(ballots="[{ranking: A, weight: 1e3}]"), "ballots[0].weight: expected a number, got '1e3'"),
        (ranked(ballots="[{ranking: A, weight: .inf}]"), "ballots[0].weight: expected a number, got '.inf'"),
        (motion(extra="title: x\n"), "motion: unknown key 'title'"),
        ("kind: motion\nquorum: 0.5\ntotal_weight: 10\nballots: []\n", "motion: missing 'majority'"),
        ("kind: motion\nmajority: simple\ntotal_weight: 10\nballots: []\n", "motion: missing 'quorum'"),
        ("kind: motion\nmajority: simple\nquorum: 0.5\nballots: []\n", "motion: missing 'total_weight'"),
        (motion(majority="unanimous"), "majority: expected one of simple, two_thirds, got 'unanimous'"),
        (motion(quorum="1.5"), "quorum: expected a share between 0 and 1, got 1.5"),
        (motion(quorum="-0.5"), "quorum: expected a share between 0 and 1, got -0.5"),
        (motion(quorum="50%"), "quorum: expected a number, got '50%'"),
        (motion(total_weight="0"), "total_weight: must be positive, got 0"),
        (motion(total_weight="true"), "total_weight: expected a number, got True"),
        (
            motion(ballots="[{choice: yes, weight: 8}, {choice: no, weight: 3}]"),
            "total_weight 10 is less than the weight taking part (11)",
        ),
        (motion(ballots="[{choice: maybe}]"), "ballots[0]: unknown choice 'maybe'"),
        (motion(ballots="[{choice: true}]"), "ballots[0]: unknown choice True"),
        (motion(ballots="[{weight: 2}]"), "ballots[0]: missing 'choice'"),
        (motion(ballots="[{choice: yes, proxy: x}]"), "ballots[0]: unknown key 'proxy'"),
        (motion(ballots="[{choice: yes, weight: 0}]"), "ballots[0].weight: expected a positive number"),
        (motion(ballots="[{choice: yes, weight: true}]"), "ballots[0].weight: expected a number, got True"),
        (motion(ballots="yes"), "ballots: expected a list"),
        (motion(ballots="[yes]"), "ballots[0]: expected a mapping"),
    ],
)
def test_count_text_errors_name_the_culprit(text, message):
    with pytest.raises(ValueError, match=re.escape(message)) as e:
        count_text(text)
    assert "\n" not in str(e.value)


def test_candidate_and_ballot_errors_are_ballot_errors():
    with pytest.raises(BallotError):
        count_text(ranked(ballots="[{ranking: A > E}]"))
    with pytest.raises(BallotError):
        count_text(ranked(candidates="[A, A]"))


def test_empty_ballot_lists_count():
    assert count_text(ranked(ballots="[]"))["ranking"] == [["A", "B", "C"]]
    assert count_text(motion(ballots="[]"))["outcome"] == "no_quorum"
    assert count_text(motion(ballots="[]", quorum="0"))["outcome"] == "rejected"


def test_format_count_matches_the_result():
    out = format_count(count_text(RANKED))
    assert "  1. A" in out and "  3. B = D" in out


# Anything a file can hold either counts or fails with a ValueError: never a TypeError traceback.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True),
    st.sampled_from(["A", "B", "", "yes", "A > B", "x"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["ranking", "count", "weight", "choice", "x"]), inner, max_size=3)
    ),
    max_leaves=8,
)
files = st.fixed_dictionaries(
    {"kind": st.sampled_from(["ranked", "motion", "other", 1])},
    optional={
        "candidates": st.one_of(values, st.lists(st.sampled_from(["A", "B", "C"]), max_size=3)),
        "ballots": st.lists(values, max_size=3),
        "majority": st.sampled_from(["simple", "two_thirds", None, 2]),
        "quorum": values,
        "total_weight": values,
    },
)


@settings(max_examples=400, deadline=None)
@given(files)
def test_any_file_counts_or_fails_cleanly(data):
    try:
        result = count_text(json.dumps(data))
    except ValueError as e:
        assert str(e) and "\n" not in str(e)
    else:
        json.dumps(result, allow_nan=False)
