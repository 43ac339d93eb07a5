"""Exports: Beancount text that Beancount loads and bean-check accepts, with the same balances; CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_helpers import CIRCLES, A, B, D, apply_ops, network, operations, simple

from circles.chart import parse_account
from circles.entries import delivery, exchange, reversal, tithe
from circles.export import CSV_COLUMNS, to_beancount, to_csv
from circles.ledger import Conversion, Ledger

FEB = dt.date(2027, 2, 1)


def beancount_balances(text: str) -> tuple[list, dict[str, dict[str, Decimal]]]:
    entries, errors, _ = loader.load_string(text)
    balances: dict[str, dict[str, Decimal]] = {}
    for e in entries:
        if isinstance(e, data.Transaction):
            for p in e.postings:
                bal = balances.setdefault(p.account, {})
                bal[p.units.currency] = bal.get(p.units.currency, D(0)) + p.units.number
    nonzero = {a: {c: v for c, v in b.items() if v} for a, b in balances.items()}
    return errors, {a: b for a, b in nonzero.items() if b}


def sample() -> Ledger:
    """A ledger with every kind of transaction, a conversion and a correction."""
    ledger = network()
    income = tithe(
        id="t1",
        date=FEB,
        narration='Dues, "May" \\ grève',
        circle=A,
        source="dues",
        amount=D("1000.00"),
        commodity="EUR",
        shares={B: D("0.10")},
        conversion=Conversion(D("1250.00"), "USD", D("0.8"), FEB - dt.timedelta(days=1)),
    )
    ledger = ledger.post(income).post(simple("t2", "3.5", "DAYS", circle=B)).post(simple("t3", "12", "REACH"))
    ledger = ledger.post(
        delivery(id="t4", date=FEB, narration="tithe for May", circle=A, twin=B, amount=D("100.00"), commodity="EUR")
    )
    ledger = ledger.post(
        exchange(
            id="t5",
            date=FEB,
            narration="change",
            circle=A,
            sold=D("100.00"),
            sold_commodity="EUR",
            bought=D("108.70"),
            bought_commodity="USD",
            rate=D("1.087"),
            rate_date=FEB,
        )
    )
    return ledger.post(reversal(ledger.transaction("t2"), id="t6", date=FEB, narration="wrong circle"))


def test_export_loads_with_the_same_balances_and_metadata():
    ledger = sample()
    text = to_beancount(ledger)
    errors, balances = beancount_balances(text)
    assert errors == []
    assert balances == ledger.balances()
    entries, _, _ = loader.load_string(text)
    txns = [e for e in entries if isinstance(e, data.Transaction)]
    assert sorted(t.meta["id"] for t in txns) == sorted(t.id for t in ledger.transactions)
    by_id = {t.meta["id"]: t for t in txns}
    assert by_id["t1"].narration == 'Dues, "May" \\ grève'
    assert by_id["t1"].meta["hash"] == ledger.hash_of("t1")
    assert by_id["t6"].meta["reverses"] == "t2"
    income = next(p for p in by_id["t1"].postings if p.account.endswith(":Dues"))
    assert (income.meta["original"].number, income.meta["original"].currency) == (D("-1250.00"), "USD")
    assert income.meta["rate"] == D("0.8") and income.meta["rate_date"] == FEB - dt.timedelta(days=1)
    opens = {e.account: e.date for e in entries if isinstance(e, data.Open)}
    assert opens == ledger.accounts
    commodities = {e.currency: e.meta["precision"] for e in entries if isinstance(e, data.Commodity)}
    assert commodities == {"EUR": 2, "USD": 2, "DAYS": 1, "REACH": 0}
    assert f"chain head {ledger.head}" in text.splitlines()[0]


def test_a_circles_part_is_a_ledger_of_its_own():
    ledger = sample()
    for part in ([A], [B], [A, B], list(CIRCLES)):
        errors, balances = beancount_balances(to_beancount(ledger, part))
        assert errors == []
        assert balances == {a: b for a, b in ledger.balances().items() if parse_account(a).circle in part}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations(n=10))
def test_round_trip_through_beancount(ops):
    ledger, _ = apply_ops(network(), ops)
    errors, balances = beancount_balances(to_beancount(ledger))
    assert errors == []
    assert balances == ledger.balances()


@settings(max_examples=30, deadline=None)
@given(st.text(st.characters(exclude_categories=["Cc", "Cs"]), min_size=1, max_size=60).filter(str.strip))
def test_any_narration_survives_the_export(narration):
    ledger = network().post(simple("t1", narration=narration))
    entries, errors, _ = loader.load_string(to_beancount(ledger))
    assert errors == []
    assert [e.narration for e in entries if isinstance(e, data.Transaction)] == [narration]


def bean_check() -> list[str]:
    """Beancount 3 still ships the bean-check script; else its module's entry point."""
    script = Path(sys.executable).with_name("bean-check")
    if script.exists():
        return [str(script)]
    found = shutil.which("bean-check")
    return [found] if found else [sys.executable, "-m", "beancount.scripts.check"]


def test_bean_check_accepts_the_export(tmp_path):
    path = tmp_path / "circles.beancount"
    path.write_text(to_beancount(sample()), encoding="utf-8")
    done = subprocess.run([*bean_check(), str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == ""


def test_bean_check_does_check(tmp_path):
    """The same file with one amount changed is refused: the test above is not vacuous."""
    text = to_beancount(sample()).replace("  900.00 EUR", "  900.01 EUR", 1)
    assert "900.01 EUR" in text
    path = tmp_path / "broken.beancount"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([*bean_check(), str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "balance" in (done.stdout + done.stderr).lower()


def test_csv_one_row_per_posting():
    ledger = sample()
    rows = list(csv.reader(io.StringIO(to_csv(ledger))))
    assert tuple(rows[0]) == CSV_COLUMNS
    body = [dict(zip(CSV_COLUMNS, r, strict=True)) for r in rows[1:]]
    assert len(body) == ledger.postings
    sums: dict[tuple[str, str], Decimal] = {}
    for r in body:
        key = (r["account"], r["commodity"])
        sums[key] = sums.get(key, D(0)) + D(r["amount"])
        assert r["hash"] == ledger.hash_of(r["txn"])
        assert r["circle"] == parse_account(r["account"]).circle
    assert {k: v for k, v in sums.items() if v} == {
        (a, c): v for a, b in ledger.balances().items() for c, v in b.items()
    }
    income = next(r for r in body if r["txn"] == "t1" and r["account"].endswith(":Dues"))
    assert (
        income["amount"],
        income["original_amount"],
        income["original_commodity"],
        income["rate"],
        income["rate_date"],
    ) == (
        "-1000.00",
        "-1250.00",
        "USD",
        "0.8",
        "2027-01-31",
    )
    assert next(r for r in body if r["txn"] == "t6")["reverses"] == "t2"
    only_b = list(csv.reader(io.StringIO(to_csv(ledger, [B]))))[1:]
    assert only_b and all(r[CSV_COLUMNS.index("circle")] == B for r in only_b)


@pytest.mark.parametrize("narration", ['=HYPERLINK("x")', "+1", "-1", "@SUM(A1)"])
def test_csv_never_starts_a_cell_with_a_formula(narration):
    rows = list(csv.reader(io.StringIO(to_csv(network().post(simple("t1", narration=narration))))))
    assert {r[CSV_COLUMNS.index("narration")] for r in rows[1:]} == {"'" + narration}
