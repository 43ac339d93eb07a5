"""The hash chain: its canonical form (golden), and that any tampering shows."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ledger_helpers import D, apply_ops, network, operations, simple

from circles.commodities import PLACES
from circles.entries import reversal
from circles.integrity import check, verify_chain
from circles.ledger import Conversion, Ledger, LedgerError, Posting, Transaction
from circles.transactions import GENESIS, amount_text, canonical, chain, chain_hash

GOLDEN = Transaction(
    "golden-1",
    dt.date(2027, 5, 1),
    'Dues for May — «grève» "quoted"',
    (
        Posting(
            "Income:Circles:Lagos-Dockers:Dues",
            D("-1000.00"),
            "EUR",
            Conversion(D("-1250.00"), "USD", D("0.800"), dt.date(2027, 4, 30)),
        ),
        Posting("Assets:Circles:Lagos-Dockers:General", D("900"), "EUR"),
        Posting("Assets:Circles:Lagos-Dockers:HeldFor:Rotterdam-Port", D("100.0"), "EUR"),
    ),
)
GOLDEN_2 = reversal(GOLDEN, id="golden-2", date=dt.date(2027, 5, 2), narration="correction")
GOLDEN_HASH_1 = "ff382b63f1bfa17ed79a32e249d5f496e570c42432c1d5efaaac1260eb1fa7c5"
GOLDEN_HASH_2 = "22f753c146b155776f154663f27d07ab3da10ee1f10c3144a07a9720f349e2b5"


def documented_form(txn: Transaction, places: dict[str, int]) -> bytes:
    """docs/ledger.md's canonical form, written out independently of the implementation."""

    def amount(value, commodity):
        return f"{value:.{places[commodity]}f}"

    def posting(p):
        out = {"account": p.account, "amount": amount(p.amount, p.commodity), "commodity": p.commodity}
        if p.conversion is not None:
            c = p.conversion
            out["conversion"] = {
                "amount": amount(c.amount, c.commodity),
                "commodity": c.commodity,
                "date": c.date.isoformat(),
                "rate": format(c.rate.normalize(), "f"),
            }
        return out

    obj = {
        "id": txn.id,
        "date": txn.date.isoformat(),
        "narration": txn.narration,
        "postings": [posting(p) for p in txn.postings],
    }
    if txn.reverses is not None:
        obj["reverses"] = txn.reverses
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_canonical_form_is_the_documented_one():
    assert canonical(GOLDEN) == documented_form(GOLDEN, {"EUR": 2, "USD": 2})
    assert canonical(GOLDEN_2) == documented_form(GOLDEN_2, {"EUR": 2, "USD": 2})
    assert b'"rate":"0.8"' in canonical(GOLDEN) and b'"amount":"900.00"' in canonical(GOLDEN)
    cases = [
        ("-7", "EUR", "-7.00"),
        ("7", "EUR", "7.00"),
        ("-7.5", "EUR", "-7.50"),
        ("12", "REACH", "12"),
        ("1E+3", "JPY", "1000"),
        ("0.5", "DAYS", "0.5"),
        ("-1.20", "BHD", "-1.200"),
    ]
    assert [amount_text(D(v), c) for v, c, _ in cases] == [out for _, _, out in cases]


def test_golden_hashes():
    """Pinned: a change to the canonical form breaks every twin's comparison of heads."""
    h1 = hashlib.sha256(GENESIS.encode() + b"\n" + documented_form(GOLDEN, {"EUR": 2, "USD": 2})).hexdigest()
    h2 = hashlib.sha256(h1.encode() + b"\n" + documented_form(GOLDEN_2, {"EUR": 2, "USD": 2})).hexdigest()
    assert (h1, h2) == (GOLDEN_HASH_1, GOLDEN_HASH_2)
    assert chain([GOLDEN, GOLDEN_2]) == [GOLDEN_HASH_1, GOLDEN_HASH_2]
    ledger = Ledger()
    for c in ("lagos-dockers",):
        ledger = ledger.open_circle(c, dt.date(2027, 1, 1))
    ledger = ledger.open("Assets:Circles:Lagos-Dockers:HeldFor:Rotterdam-Port", dt.date(2027, 1, 1))
    ledger = ledger.post(GOLDEN).post(GOLDEN_2)
    assert ledger.hashes == (GOLDEN_HASH_1, GOLDEN_HASH_2) and ledger.head == GOLDEN_HASH_2
    assert ledger.hash_of("golden-1") == GOLDEN_HASH_1


def test_empty_ledger_head_is_genesis():
    assert Ledger().head == GENESIS == "0" * 64
    assert verify_chain([], []) is None


def test_opening_is_not_in_the_chain():
    a = network().post(simple("t0"))
    b = network().open_circle("newcomers", dt.date(2027, 1, 1)).post(simple("t0"))
    assert a.head == b.head


def test_posted_hashes_are_the_recomputed_chain():
    ledger = (
        network()
        .post(simple("t0"))
        .post(simple("t1"))
        .post(reversal(simple("t0"), id="t2", date=dt.date(2027, 3, 1), narration="no"))
    )
    assert list(ledger.hashes) == chain(ledger.transactions)
    assert chain_hash(ledger.hashes[0], canonical(ledger.transactions[1])) == ledger.hashes[1]


TAMPERS = ("amount", "account", "narration", "date", "rate", "drop", "swap", "append", "truncate")


def tamper(txns: list[Transaction], how: str, i: int) -> list[Transaction] | None:
    """``txns`` with one change, or None when that change does not apply to them."""
    t = list(txns)
    i %= len(t)
    txn = t[i]
    if how == "amount":
        p = txn.postings[0]
        ps = (Posting(p.account, p.amount + 1, p.commodity, p.conversion), *txn.postings[1:])
        t[i] = Transaction(txn.id, txn.date, txn.narration, ps, txn.reverses)
    elif how == "account":
        p, q = txn.postings[0], txn.postings[-1]
        if p.account == q.account:
            return None
        ps = (
            Posting(q.account, p.amount, p.commodity, p.conversion),
            *txn.postings[1:-1],
            Posting(p.account, q.amount, q.commodity, q.conversion),
        )
        t[i] = Transaction(txn.id, txn.date, txn.narration, ps, txn.reverses)
    elif how == "narration":
        t[i] = Transaction(txn.id, txn.date, txn.narration + ".", txn.postings, txn.reverses)
    elif how == "date":
        t[i] = Transaction(txn.id, txn.date + dt.timedelta(days=1), txn.narration, txn.postings, txn.reverses)
    elif how == "rate":
        convs = [k for k, p in enumerate(txn.postings) if p.conversion is not None]
        if not convs:
            return None
        k = convs[0]
        p = txn.postings[k]
        c = p.conversion
        ps = list(txn.postings)
        ps[k] = Posting(
            p.account, p.amount, p.commodity, Conversion(c.amount, c.commodity, c.rate + D("0.000001"), c.date)
        )
        t[i] = Transaction(txn.id, txn.date, txn.narration, tuple(ps), txn.reverses)
    elif how == "drop":
        del t[i]
    elif how == "swap":
        if len(t) < 2:
            return None
        j = (i + 1) % len(t)
        t[i], t[j] = t[j], t[i]
    elif how == "append":
        t.append(simple("extra"))
    elif how == "truncate":
        t = t[:i]
    return t


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(operations(), st.sampled_from(TAMPERS), st.integers(0, 100))
def test_any_tampering_breaks_the_chain(ops, how, i):
    ledger, posted = apply_ops(network(), ops)
    assume(posted)
    original = list(ledger.hashes)
    tampered = tamper(posted, how, i)
    assume(tampered is not None)
    assert tampered != posted
    broken = verify_chain(tampered, original)
    assert broken is not None
    assert broken <= (len(posted) if how == "append" else i % len(posted))
    assert chain(tampered)[-1:] != original[-1:]  # the heads differ: twins comparing them see it
    # The integrity check, given the hashes the log recorded, says so too.
    rebuilt = network()
    for txn in tampered:
        try:
            rebuilt = rebuilt.post(txn)
        except LedgerError:  # a dropped transaction's reversal, a moved one's duplicate...
            pass
    report = check(
        rebuilt,
        {("lagos-dockers", "rotterdam-port"), ("rotterdam-port", "lagos-dockers"), ("rotterdam-port", "2027-strike")},
        recorded=original,
    )
    assert not report.ok
    assert any(p.code == "chain_broken" for p in report.problems)
    assert next(c for c in report.checks if c.name == "recorded").failed == 1


@pytest.mark.parametrize("how", ["drop", "swap", "amount"])
def test_verify_chain_points_at_the_first_change(how):
    txns = [simple(f"t{i}") for i in range(5)]
    hashes = chain(txns)
    assert verify_chain(txns, hashes) is None
    assert verify_chain(tamper(txns, how, 2), hashes) == 2


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations(), st.text(st.characters(exclude_categories=["Cc", "Cs"]), min_size=1, max_size=40).filter(str.strip))
def test_posted_hashes_follow_the_documented_form(ops, narration):
    """Posting hashes what it validated (written by msgspec); canonical() and the documented form agree."""
    ledger, _ = apply_ops(network(), ops)
    ledger = ledger.post(simple("n1", "7", narration=narration))  # "7" EUR: written as "7.00"
    assert list(ledger.hashes) == chain(ledger.transactions)
    for txn in ledger.transactions:
        assert canonical(txn) == documented_form(txn, PLACES)
