"""The chart of accounts and the commodities: ids <-> components, parsing, precision table."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from circles.chart import (
    CIRCLE_KINDS,
    KINDS,
    PLEDGEE_KINDS,
    PLEDGER_KINDS,
    TWIN_KINDS,
    Account,
    AccountError,
    account,
    circle_id,
    component,
    parse_account,
    pledge_accounts,
    pledge_of,
)
from circles.commodities import MAX_AMOUNT, PLACES, UNITS, describe, is_money

# Beancount's own grammar (lexer.l): a root name, then components starting with an uppercase
# letter or a digit, then letters, digits and '-'; a commodity: uppercase, 2-24 characters.
BEAN_COMPONENT = re.compile(r"^[A-Z0-9][A-Za-z0-9-]*$")
BEAN_COMMODITY = re.compile(r"^[A-Z][A-Z0-9'._-]{0,22}[A-Z0-9]$")
circle_ids = st.from_regex(r"\A[a-z0-9]{1,6}(-[a-z0-9]{1,6}){0,3}\Z")


def test_examples():
    assert component("lagos-dockers") == "Lagos-Dockers"
    assert component("2027-strike") == "2027-Strike"
    assert circle_id("Lagos-Dockers") == "lagos-dockers"
    assert (
        account("lagos-dockers", "held_for", "rotterdam-port") == "Assets:Circles:Lagos-Dockers:HeldFor:Rotterdam-Port"
    )
    assert (
        account("lagos-dockers", "due_to", "rotterdam-port") == "Liabilities:Circles:Lagos-Dockers:DueTo:Rotterdam-Port"
    )
    assert account("lagos-dockers", "fines") == "Expenses:Circles:Lagos-Dockers:Fallout:Fines"


@given(circle_ids)
def test_component_is_reversible_and_valid_in_beancount(cid):
    part = component(cid)
    assert BEAN_COMPONENT.match(part)
    assert circle_id(part) == cid


@given(circle_ids, circle_ids)
def test_components_never_collide(a, b):
    assert (component(a) == component(b)) == (a == b)


@pytest.mark.parametrize(
    "bad", ["", "Lagos", "lagos_dockers", "lagos--dockers", "-lagos", "lagos-", "é", "a" * 33, "a b"]
)
def test_bad_circle_ids(bad):
    with pytest.raises(AccountError):
        component(bad)


@pytest.mark.parametrize("bad", ["LAgos", "lagos", "Lagos-dockers", "Lagos_Dockers"])
def test_components_no_id_maps_to(bad):
    with pytest.raises(AccountError):
        circle_id(bad)


@given(circle_ids, circle_ids, st.sampled_from(sorted(KINDS)))
def test_every_account_parses_back(c, t, kind):
    if kind in TWIN_KINDS and c == t:
        with pytest.raises(AccountError):
            account(c, kind, t)
        return
    name = account(c, kind, t if kind in TWIN_KINDS else None)
    assert parse_account(name) == Account(kind, c, t if kind in TWIN_KINDS else None)
    root, *parts = name.split(":")
    assert root in ("Assets", "Liabilities", "Equity", "Income", "Expenses")
    assert all(BEAN_COMPONENT.match(p) for p in parts)


@pytest.mark.parametrize(
    "bad",
    [
        "Assets:Circles:Lagos-Dockers",
        "Assets:Circles:Lagos-Dockers:Savings",
        "Assets:Other:Lagos-Dockers:General",
        "Income:Circles:Lagos-Dockers:General",
        "Assets:Circles:Lagos-Dockers:HeldFor",
        "Assets:Circles:Lagos-Dockers:HeldFor:Lagos-Dockers",
        "Assets:Circles:Lagos-Dockers:HeldFor:Rotterdam-Port:Extra",
        "Assets:Circles:LAgos:General",
        "Liabilities:Circles:Lagos-Dockers:HeldFor:Rotterdam-Port",
    ],
)
def test_names_outside_the_chart(bad):
    with pytest.raises(AccountError):
        parse_account(bad)


def test_account_needs_a_twin_exactly_when_its_kind_has_one():
    with pytest.raises(AccountError):
        account("a", "held_for")
    with pytest.raises(AccountError):
        account("a", "general", "b")
    with pytest.raises(AccountError):
        account("a", "savings")


def test_pledge_accounts_and_their_pledge():
    names = pledge_accounts("a", "b")
    assert len(names) == len(PLEDGER_KINDS) + len(PLEDGEE_KINDS)
    assert {pledge_of(parse_account(n)) for n in names} == {("a", "b")}
    assert pledge_of(parse_account(account("a", "general"))) is None
    assert set(CIRCLE_KINDS) | TWIN_KINDS == set(KINDS)


def test_commodities():
    assert PLACES["EUR"] == 2 and PLACES["JPY"] == 0 and PLACES["KWD"] == 3 and PLACES["NGN"] == 2
    assert {k: PLACES[k] for k in UNITS} == {"DAYS": 1, "HOURS": 2, "REACH": 0}
    assert all(BEAN_COMMODITY.match(code) for code in PLACES)
    assert all(len(code) == 3 for code in PLACES if is_money(code))
    assert "XAU" not in PLACES and "XXX" not in PLACES and "BTC" not in PLACES
    assert describe("DAYS") == "strike-fund days" and describe("EUR") == "money (EUR)"
    assert MAX_AMOUNT == 10**12
