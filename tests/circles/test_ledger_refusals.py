"""Every refusal code, each leaving the ledger exactly as it was."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from ledger_helpers import DAY0, A, B, C, D, network, simple, snapshot

from circles.chart import account
from circles.entries import check_shares, cover, delivery, reversal, tithe
from circles.ledger import Conversion, Ledger, LedgerError, Open, Posting, Transaction

FEB = dt.date(2027, 2, 1)
GEN, DON = account(A, "general"), account(A, "donations")


def txn(*postings: Posting, txn_id: str = "x1", **kw) -> Transaction:
    return Transaction(txn_id, kw.pop("date", FEB), kw.pop("narration", "n"), tuple(postings), **kw)


def pair(
    amount: str, commodity: str = "EUR", conversion: Conversion | None = None, other: str | None = None
) -> Transaction:
    return txn(
        Posting(GEN, D(amount), commodity, conversion),
        Posting(DON, -D(other if other is not None else amount), commodity),
    )


def usd(amount: str, rate: str = "0.92", date: dt.date = FEB) -> Conversion:
    return Conversion(D(amount), "USD", D(rate), date)


@pytest.fixture(scope="module")
def base() -> Ledger:
    ledger = network().post(simple("t0", "100.00"))
    return ledger.post(
        tithe(
            id="t1",
            date=FEB,
            narration="dues",
            circle=A,
            source="dues",
            amount=D("50.00"),
            commodity="EUR",
            shares={B: D("0.1")},
        )
    )


CASES = [
    ("bad_transaction", lambda: "not a transaction"),
    ("bad_transaction", lambda: txn(Posting(GEN, D("1"), "EUR"))),  # one posting
    (
        "bad_transaction",
        lambda: Transaction("x1", FEB, "n", [Posting(GEN, D(1), "EUR"), Posting(DON, D(-1), "EUR")]),
    ),  # a list
    ("bad_transaction", lambda: txn(Posting(GEN, D("1"), "EUR"), "posting")),
    ("bad_transaction", lambda: txn(Posting(["x"], D("1"), "EUR"), Posting(DON, D("-1"), "EUR"))),
    ("too_large", lambda: txn(*[Posting(GEN, D("1"), "EUR")] * 128, *[Posting(DON, D("-1"), "EUR")] * 129)),
    ("bad_id", lambda: simple("")),
    ("bad_id", lambda: simple("-x")),
    ("bad_id", lambda: simple("x" * 65)),
    ("bad_id", lambda: simple("a b")),
    ("duplicate_id", lambda: simple("t0")),
    ("bad_date", lambda: simple("x1", date=dt.datetime(2027, 2, 1, 12))),
    ("bad_date", lambda: simple("x1", date="2027-02-01")),
    ("empty_narration", lambda: simple("x1", narration="")),
    ("empty_narration", lambda: simple("x1", narration="   ")),
    ("bad_narration", lambda: simple("x1", narration="x" * 501)),
    ("bad_narration", lambda: simple("x1", narration="line\nbreak")),
    ("bad_narration", lambda: simple("x1", narration="\ud800")),
    (
        "bad_account",
        lambda: txn(Posting("Assets:Circles:Lagos-Dockers:Savings", D(1), "EUR"), Posting(DON, D(-1), "EUR")),
    ),
    ("bad_account", lambda: txn(Posting("Assets:Bank", D(1), "EUR"), Posting(DON, D(-1), "EUR"))),
    ("unknown_account", lambda: txn(Posting(account("nobody", "general"), D(1), "EUR"), Posting(DON, D(-1), "EUR"))),
    ("unknown_account", lambda: txn(Posting(account(A, "held_for", C), D(1), "EUR"), Posting(DON, D(-1), "EUR"))),
    ("not_open", lambda: simple("x1", date=DAY0 - dt.timedelta(days=1))),
    ("unknown_commodity", lambda: pair("1", "EURO")),
    ("unknown_commodity", lambda: pair("1", "BTC")),
    ("unknown_commodity", lambda: pair("1", "eur")),
    ("unknown_commodity", lambda: pair("1", "XAU")),
    ("bad_amount", lambda: txn(Posting(GEN, 1.5, "EUR"), Posting(DON, -1.5, "EUR"))),
    ("bad_amount", lambda: txn(Posting(GEN, 1, "EUR"), Posting(DON, -1, "EUR"))),
    ("bad_amount", lambda: txn(Posting(GEN, "1.00", "EUR"), Posting(DON, "-1.00", "EUR"))),
    ("bad_amount", lambda: pair("NaN")),
    ("bad_amount", lambda: pair("Infinity")),
    ("bad_amount", lambda: pair("0.00")),
    ("bad_amount", lambda: pair("1E+12")),
    ("bad_amount", lambda: pair("1000000000000.00")),
    ("precision", lambda: pair("1.001")),
    ("precision", lambda: pair("1.5", "JPY")),
    ("precision", lambda: pair("1.25", "DAYS")),
    ("precision", lambda: pair("1.5", "REACH")),
    ("precision", lambda: pair("1.0001", "BHD")),
    ("precision", lambda: pair("1E-3")),
    ("zero_rate", lambda: pair("9.20", conversion=usd("10.00", "0"))),
    ("zero_rate", lambda: pair("9.20", conversion=usd("10.00", "0.000"))),
    ("bad_rate", lambda: pair("9.20", conversion=usd("10.00", "-0.92"))),
    ("bad_rate", lambda: pair("9.20", conversion=usd("10.00", "1000000000"))),
    ("bad_rate", lambda: pair("9.20", conversion=usd("10.00", "0.9200000000001"))),
    ("bad_rate", lambda: pair("9.20", conversion=usd("-10.00"))),
    ("bad_rate", lambda: pair("9.20", conversion=Conversion(D("9.20"), "EUR", D(1), FEB))),
    ("bad_rate", lambda: pair("9.20", conversion=Conversion(D("10.00"), "USD", D("0.92"), "2027-02-01"))),
    ("bad_rate", lambda: pair("9.20", conversion=Conversion(D("10.00"), "USD", 0.92, FEB))),
    ("bad_rate", lambda: pair("9.20", conversion=("10.00", "USD"))),
    ("precision", lambda: pair("9.20", conversion=usd("10.001"))),
    ("unknown_commodity", lambda: pair("9.20", conversion=Conversion(D("10"), "DOGE", D("0.92"), FEB))),
    ("rate_mismatch", lambda: pair("9.30", conversion=usd("10.00"))),
    ("rate_mismatch", lambda: pair("9.21", conversion=usd("10.00"))),
    ("unbalanced", lambda: pair("10.00", other="9.99")),
    ("unbalanced", lambda: txn(Posting(GEN, D(10), "EUR"), Posting(DON, D(-10), "USD"))),
    (
        "unbalanced_circle",
        lambda: txn(Posting(GEN, D(10), "EUR"), Posting(account(B, "donations"), D(-10), "EUR")),
    ),
    (
        "unmirrored",
        lambda: txn(
            Posting(account(A, "due_to", B), D(-10), "EUR"),
            Posting(account(A, "tithe_to", B), D(10), "EUR"),
            Posting(account(B, "general"), D(10), "EUR"),
            Posting(account(B, "tithe_from", A), D(-10), "EUR"),
        ),
    ),
    ("unknown_transaction", lambda: simple("x1", reverses="t9")),
    ("bad_reversal", lambda: simple("x1", reverses="t0")),  # the same postings, not negated
    ("bad_reversal", lambda: txn(Posting(GEN, D("-99.00"), "EUR"), Posting(DON, D("99.00"), "EUR"), reverses="t0")),
]


@pytest.mark.parametrize(("code", "make"), CASES, ids=[f"{i}-{c}" for i, (c, _) in enumerate(CASES)])
def test_refused_and_nothing_changes(base, code, make):
    before = snapshot(base)
    with pytest.raises(LedgerError) as info:
        base.post(make())
    assert info.value.code == code, info.value.message
    assert info.value.message
    assert snapshot(base) == before
    # still usable, and the refusal left no trace in what comes next
    after = base.post(simple("ok1"))
    assert after.head == network().post(simple("t0", "100.00")).post(base.transactions[1]).post(simple("ok1")).head


def test_every_documented_code_is_exercised():
    documented = {
        "bad_transaction", "too_large", "bad_id", "duplicate_id", "bad_date", "empty_narration", "bad_narration",
        "bad_account", "unknown_account", "not_open", "unknown_commodity", "bad_amount", "precision", "zero_rate",
        "bad_rate", "rate_mismatch", "unbalanced", "unbalanced_circle", "unmirrored", "unknown_transaction",
        "bad_reversal",
    }  # fmt: skip
    assert {code for code, _ in CASES} == documented


def test_reversing_twice_and_reversing_a_reversal(base):
    t0 = base.transaction("t0")
    once = base.post(reversal(t0, id="r1", date=FEB, narration="wrong"))
    assert once.reversed_by("t0") == "r1"
    before = snapshot(once)
    with pytest.raises(LedgerError) as info:
        once.post(reversal(t0, id="r2", date=FEB, narration="again"))
    assert info.value.code == "already_reversed"
    with pytest.raises(LedgerError) as info:
        once.post(reversal(once.transaction("r1"), id="r3", date=FEB, narration="undo the undo"))
    assert info.value.code == "bad_reversal"
    assert snapshot(once) == before


def test_opening(base):
    before = snapshot(base)
    for account_name, date, code in [
        (account(A, "general"), DAY0, "already_open"),
        ("Assets:Circles:Lagos-Dockers:Savings", DAY0, "bad_account"),
        ("Assets:Bank", DAY0, "bad_account"),
        (42, DAY0, "bad_account"),
        (account("newcomers", "general"), "2027-01-01", "bad_date"),
    ]:
        with pytest.raises(LedgerError) as info:
            base.open(account_name, date)
        assert info.value.code == code
    with pytest.raises(LedgerError) as info:
        base.open_pledge(A, A, DAY0)
    assert info.value.code == "bad_account"
    with pytest.raises(LedgerError) as info:
        base.add(Open(account(A, "general"), DAY0))
    assert info.value.code == "already_open"
    assert snapshot(base) == before


@pytest.mark.parametrize(
    "shares",
    [{B: D("-0.1")}, {B: D("1.01")}, {B: D("0.6"), C: D("0.5")}, {B: 0.1}, {B: D("NaN")}, {B: D("0.0000001")}],
)
def test_bad_shares(shares):
    with pytest.raises(LedgerError) as info:
        check_shares(shares)
    assert info.value.code == "bad_share"
    with pytest.raises(LedgerError):
        tithe(id="x", date=FEB, narration="n", circle=A, source="dues", amount=D(10), commodity="EUR", shares=shares)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"amount": D("-10")}, "bad_amount"),
        ({"amount": D("10.001")}, "precision"),
        ({"source": "general"}, "bad_account"),
        ({"commodity": "XYZ"}, "unknown_commodity"),
        ({"circle": "Bad Id"}, "bad_account"),
    ],
)
def test_tithe_refusals(kwargs, code):
    args = {
        "id": "x",
        "date": FEB,
        "narration": "n",
        "circle": A,
        "source": "dues",
        "amount": D(10),
        "commodity": "EUR",
        "shares": {B: D("0.1")},
    }
    with pytest.raises(LedgerError) as info:
        tithe(**(args | kwargs))
    assert info.value.code == code


def test_builders_refuse_bad_input():
    with pytest.raises(LedgerError) as info:
        delivery(id="x", date=FEB, narration="n", circle=A, twin=B, amount=D(1), commodity="EUR", source="opening")
    assert info.value.code == "bad_account"
    with pytest.raises(LedgerError) as info:
        cover(id="x", date=FEB, narration="n", circle=A, twin=A, amount=D(1), commodity="EUR")
    assert info.value.code == "bad_account"
    with pytest.raises(LedgerError) as info:
        cover(id="x", date=FEB, narration="n", circle=A, twin=B, amount=D(0), commodity="EUR")
    assert info.value.code == "bad_amount"


def test_unpledged_twin_accounts_are_not_open(base):
    # C never pledged to A: the accounts a tithe from C to A would use were never opened.
    with pytest.raises(LedgerError) as info:
        base.post(
            tithe(
                id="x",
                date=FEB,
                narration="n",
                circle=C,
                source="dues",
                amount=D(10),
                commodity="EUR",
                shares={A: D("0.1")},
            )
        )
    assert info.value.code == "unknown_account"


def test_from_data_refuses_numbers_and_malformed_data():
    good = simple("x1").to_data()
    assert Transaction.from_data(good) == simple("x1")
    numbers = msgspec.to_builtins(simple("x1"))
    numbers["postings"][0]["amount"] = 10.0
    for data, code in [
        (numbers, "bad_amount"),
        ({"id": "x"}, "bad_transaction"),
        ({**good, "date": "yesterday"}, "bad_transaction"),
        ("text", "bad_transaction"),
    ]:
        with pytest.raises(LedgerError) as info:
            Transaction.from_data(data)
        assert info.value.code == code


def test_refusals_are_domain_errors():
    from mayday.errors import DomainError

    assert issubclass(LedgerError, DomainError)  # the shell answers them as it does every core refusal
