"""Journeys through the ledger: tithe, deliver, cover; who owes whom; statements; the integrity report."""

from __future__ import annotations

import datetime as dt

import msgspec
from ledger_helpers import PLEDGES, A, B, C, D, network, simple

from circles.chart import account
from circles.entries import cover, delivery, reversal, tithe
from circles.integrity import check
from circles.ledger import Conversion, Ledger, Transaction
from circles.views import Due, Net, dues, statement, who_owes_whom
from mayday.events import Event

FEB = dt.date(2027, 2, 1)


def income(txn_id: str, amount: str, circle: str = A, shares=None, commodity: str = "EUR") -> Transaction:
    return tithe(
        id=txn_id,
        date=FEB,
        narration="dues",
        circle=circle,
        source="dues",
        amount=D(amount),
        commodity=commodity,
        shares=shares if shares is not None else {B: D("0.10")},
    )


def test_pledge_deliver_and_the_imbalance_closes():
    ledger = network().post(income("t1", "1000.00"))
    assert dues(ledger, [A]) == [Due(A, B, "EUR", D("100.00"), D(0), D("100.00"), D("100.00"), D("100.00"), D(0))]
    assert who_owes_whom(ledger) == [Net(A, B, "EUR", D("100.00"), D(0), A, D("100.00"))]
    ledger = ledger.post(
        delivery(id="t2", date=FEB, narration="part", circle=A, twin=B, amount=D("60.00"), commodity="EUR")
    )
    [due] = dues(ledger, [B])
    assert (due.due, due.delivered, due.outstanding, due.held) == (D("100.00"), D("60.00"), D("40.00"), D("40.00"))
    # B's fallout, covered by A at 25 %: now A owes B more, and B's books say so too
    ledger = ledger.post(
        cover(id="t3", date=FEB, narration="fine", circle=A, twin=B, amount=D("25.00"), commodity="EUR")
    )
    [due] = dues(ledger)
    assert (due.due, due.outstanding, due.tithed, due.covered) == (D("125.00"), D("65.00"), D("100.00"), D("25.00"))
    assert ledger.balance(account(B, "receivable", A)) == {"EUR": D("65.00")}
    # B's own tithe to A goes the other way; the net is what settles
    ledger = ledger.post(income("t4", "500.00", circle=B, shares={A: D("0.10"), C: D("0.10")}))
    net = who_owes_whom(ledger, [A])
    assert net == [Net(A, B, "EUR", D("65.00"), D("50.00"), A, D("15.00"))]
    ledger = ledger.post(
        delivery(
            id="t5", date=FEB, narration="rest", circle=A, twin=B, amount=D("65.00"), commodity="EUR", source="general"
        )
    )
    ledger = ledger.post(
        delivery(id="t6", date=FEB, narration="all", circle=B, twin=A, amount=D("50.00"), commodity="EUR")
    )
    assert [n.debtor for n in who_owes_whom(ledger, [A])] == [None]
    assert check(ledger, PLEDGES).ok


def test_a_reversed_tithe_is_no_longer_due():
    ledger = network().post(income("t1", "1000.00"))
    ledger = ledger.post(reversal(ledger.transaction("t1"), id="t2", date=FEB, narration="counted twice"))
    assert dues(ledger) == []
    assert ledger.balances() == {}


def test_rounding_of_a_tithe_stays_in_the_general_fund():
    ledger = network().post(income("t1", "0.19", shares={B: D("0.10")}))
    assert ledger.balance(account(A, "held_for", B)) == {"EUR": D("0.01")}
    assert ledger.balance(account(A, "general")) == {"EUR": D("0.18")}
    tiny = network().post(income("t1", "0.09"))  # a share that rounds to nothing posts nothing for B
    assert tiny.balance(account(A, "held_for", B)) == {} and dues(tiny) == []


def test_statement_has_running_balances():
    ledger = network().post(simple("t1", "10.00")).post(simple("t2", "5.50", circle=B)).post(simple("t3", "2.25"))
    lines = statement(ledger, A)
    general = [(ln.txn, ln.amount, ln.balance) for ln in lines if ln.account == account(A, "general")]
    assert general == [("t1", D("10.00"), D("10.00")), ("t3", D("2.25"), D("12.25"))]
    assert {ln.position for ln in lines} == {0, 2}
    assert [t.id for t in ledger.circle_transactions(B)] == ["t2"]
    assert ledger.circle_balances(B)[account(B, "general")] == {"EUR": D("5.50")}


def test_report_says_what_it_checked():
    ledger = network().post(income("t1", "1000.00")).post(simple("t2"))
    report = check(ledger, PLEDGES)
    assert report.ok and report.problems == ()
    names = [c.name for c in report.checks]
    assert names == ["balanced", "rules", "reversals", "chain", "balances", "network", "mirrored", "pledged"]
    counts = {c.name: c.count for c in report.checks}
    assert counts["balanced"] == 2 and counts["rules"] == ledger.postings and counts["network"] == 1
    assert counts["mirrored"] == len(PLEDGES)
    out = report.to_json()
    assert out["totals"] == {"EUR": "0.00"} and out["head"] == ledger.head and out["ok"] is True
    assert check(ledger, PLEDGES, recorded=ledger.hashes).checks[4].name == "recorded"


def test_the_check_finds_what_was_never_pledged():
    ledger = network().post(income("t1", "1000.00"))
    report = check(ledger, [(B, A)])  # A never pledged to B
    assert not report.ok
    assert {p.code for p in report.problems} == {"not_pledged"}
    assert (
        next(c for c in report.checks if c.name == "pledged").failed == 5
    )  # HeldFor, DueTo, TitheTo; Receivable, TitheFrom


def test_the_check_finds_balances_that_drifted_from_their_postings():
    ledger = network().post(simple("t1"))
    ledger._current().accounts[account(A, "general")].bal["EUR"] += 1  # a corrupted book, as a bug would leave it
    report = check(ledger, PLEDGES)
    assert {p.code for p in report.problems} == {"balance_mismatch"}


def test_the_check_finds_a_recorded_chain_that_differs():
    ledger = network().post(simple("t1")).post(simple("t2"))
    recorded = [ledger.hashes[0], "f" * 64]
    report = check(ledger, PLEDGES, recorded=recorded)
    assert [p.code for p in report.problems] == ["chain_broken"]
    assert "position 1" in report.problems[0].message


def test_transactions_travel_in_events():
    """The circles domain can hold a Transaction in an event: its data is JSON text, read back exactly."""

    class Posted(Event, frozen=True):
        type = "test_posted"
        txn: Transaction
        hash: str

    txn = tithe(
        id="t1",
        date=FEB,
        narration="dues",
        circle=A,
        source="donations",
        amount=D("920.00"),
        commodity="EUR",
        shares={B: D("0.1")},
        conversion=Conversion(D("1000.00"), "USD", D("0.92"), FEB),
    )
    ev = Posted(txn=txn, hash="h")
    wire = msgspec.json.encode(ev.data)
    back = Posted.from_data(msgspec.json.decode(wire))
    assert back.txn == txn and Transaction.from_data(txn.to_data()) == txn
    assert msgspec.json.decode(wire)["txn"]["postings"][0]["amount"] == "-920.00"
    ledger: Ledger = network().post(back.txn)
    assert ledger.head == network().post(txn).head
