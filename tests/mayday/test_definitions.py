"""Definition files: libyaml's parser with Mayday's YAML rules gives exactly what the pure-Python
loader gives; strict limits (aliases, nesting, text that is not Unicode) hold on both."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mayday import definitions
from mayday.definitions import SpecError, load_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TRICKY = """
start: 06:00            # stays text, not base-60 minutes
country: no             # Norway, not False
flag: true
when: 2027-05-01
impossible: 2027-02-30  # stays text, so the relay's checks can name it
weight: 1.5
count: 007
list: [a, 'b', "c\\u00e9"]
anchor: &x {k: 1}
again: *x
"""


def python_load(text: str):
    return yaml.load(text, Loader=definitions._Loader)


@pytest.mark.parametrize("text", [TRICKY, *(p.read_text() for p in sorted(EXAMPLES.glob("*.yaml")))])
def test_the_fast_loader_reads_exactly_what_the_python_loader_reads(text):
    assert load_text(text) == python_load(text)


def test_tricky_values_keep_their_meaning():
    value = load_text(TRICKY)
    assert value["start"] == "06:00" and value["country"] == "no" and value["flag"] is True
    assert value["impossible"] == "2027-02-30" and value["again"] == {"k": 1}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &a [*a]", "refers to itself"),
        ("a: " + "[" * 40 + "]" * 40, "nests deeper"),
        ("a: " + "[" * 5000 + "]" * 5000, "nests deeper|maximum nesting depth"),  # libyaml's own limit
        ('a: "\\ud800"', "lone surrogate|invalid Unicode character"),
        (
            "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 7)),
            "expands to more than",
        ),
        ("name: [unclosed", "malformed YAML"),
        ('{"a": NaN}', "NaN"),
    ],
)
def test_what_cannot_be_stored_or_would_explode_is_refused(text, message):
    with pytest.raises(SpecError, match=message):
        load_text(text)
