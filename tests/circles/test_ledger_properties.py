"""Property tests (hypothesis) of the ledger's invariants."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ledger_helpers import (
    COMMODITIES,
    PLACES,
    PLEDGES,
    D,
    amounts,
    apply_ops,
    build,
    network,
    operations,
    shares,
    simple,
    snapshot,
    unit,
)

from circles.chart import account
from circles.commodities import PLACES as REAL_PLACES
from circles.entries import held_share, reversal, tithe
from circles.integrity import check
from circles.ledger import Ledger, LedgerError, Posting, Transaction
from circles.views import dues

SLOW = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
BASE = network()
ACCOUNTS = sorted(BASE.accounts)
KNOWN_CODES = {
    "bad_transaction", "too_large", "bad_id", "duplicate_id", "bad_date", "empty_narration", "bad_narration",
    "bad_account", "unknown_account", "not_open", "unknown_commodity", "bad_amount", "precision", "zero_rate",
    "bad_rate", "rate_mismatch", "unbalanced", "unbalanced_circle", "unmirrored", "unknown_transaction",
    "bad_reversal", "already_reversed",
}  # fmt: skip


def sums(txn: Transaction) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for p in txn.postings:
        out[p.commodity] = out.get(p.commodity, D(0)) + p.amount
    return out


any_amount = st.one_of(
    *(st.decimals(min_value=-(10**6), max_value=10**6, places=places) for places in range(5)),
    st.integers(-(10**4), 10**4).map(lambda n: D(n).scaleb(-2)),
    st.sampled_from([D(0), D("1E+13"), D("0.001"), D("-0.5")]),
)
raw_postings = st.lists(
    st.builds(
        Posting,
        st.sampled_from([*ACCOUNTS, "Assets:Circles:Nowhere:General"]),
        any_amount,
        st.sampled_from((*COMMODITIES, "USD", "XYZ")),
    ),
    min_size=1,
    max_size=6,
)


@st.composite
def balanced_guess(draw) -> tuple[Posting, ...]:
    """Postings that often balance: some raw ones, then one that offsets their sum per commodity."""
    ps = draw(raw_postings)
    if draw(st.booleans()):
        total: dict[str, Decimal] = {}
        for p in ps:
            total[p.commodity] = total.get(p.commodity, D(0)) + p.amount
        target = draw(st.sampled_from(ACCOUNTS))
        ps += [Posting(target, -v, c) for c, v in total.items() if v]
    return tuple(ps)


@SLOW
@given(operations(n=6), st.lists(balanced_guess(), min_size=1, max_size=8))
def test_every_accepted_transaction_balances_and_refusals_change_nothing(ops, attempts):
    ledger, _ = apply_ops(BASE, ops)
    for i, postings in enumerate(attempts):
        txn = Transaction(f"g{i}", dt.date(2027, 3, 1), "guess", postings)
        before = snapshot(ledger)
        try:
            ledger = ledger.post(txn)
        except LedgerError as e:
            assert e.code in KNOWN_CODES
            assert snapshot(ledger) == before
            continue
        assert all(v == 0 for v in sums(txn).values())
        per_circle: dict[tuple[str, str], Decimal] = {}
        for p in txn.postings:
            key = (ledger.parsed(p.account).circle, p.commodity)
            per_circle[key] = per_circle.get(key, D(0)) + p.amount
            assert p.amount == p.amount.quantize(D(1).scaleb(-REAL_PLACES[p.commodity]))  # never rounded
        assert all(v == 0 for v in per_circle.values())


@SLOW
@given(operations())
def test_network_sums_to_zero_and_the_check_passes(ops):
    ledger, posted = apply_ops(BASE, ops)
    assert all(v == 0 for v in ledger.totals().values())
    by_commodity: dict[str, Decimal] = {}
    for bal in ledger.balances().values():
        for c, v in bal.items():
            by_commodity[c] = by_commodity.get(c, D(0)) + v
    assert all(v == 0 for v in by_commodity.values())
    report = check(ledger, PLEDGES)
    assert report.ok, report.problems
    assert report.transactions == len(posted) and report.postings == sum(len(t.postings) for t in posted)
    assert report.head == ledger.head
    assert all(c.failed == 0 for c in report.checks)
    # the twins' books agree: what A's DueTo:B shows, B's Receivable:A shows too
    for c, t in PLEDGES:
        assert {k: -v for k, v in ledger.balance(account(c, "due_to", t)).items()} == ledger.balance(
            account(t, "receivable", c)
        )


@SLOW
@given(operations(), st.integers(0, 1000))
def test_a_reversal_restores_the_balances(ops, pick):
    ledger, posted = apply_ops(BASE, ops)
    reversed_ids = {t.reverses for t in posted if t.reverses}
    candidates = [t for t in posted if t.reverses is None and t.id not in reversed_ids]
    assume(candidates)
    target = candidates[pick % len(candidates)]
    undone = ledger.post(reversal(target, id="undo", date=dt.date(2028, 1, 1), narration="correction"))
    without, _ = BASE, None
    for t in posted:
        if t is not target:
            without = without.post(t)
    assert undone.balances() == without.balances()
    flows = {name: undone.due_flows(name) for name in undone.accounts}
    assert flows == {name: without.due_flows(name) for name in without.accounts}
    assert dues(undone) == dues(without)


@SLOW
@given(
    st.sampled_from(COMMODITIES),
    st.data(),
    st.lists(shares, min_size=1, max_size=2),
)
def test_tithe_sums_to_zero_and_holds_at_most_the_share(commodity, data, share_list):
    amount = data.draw(amounts(commodity))
    circle, twins = "rotterdam-port", ["lagos-dockers", "2027-strike"][: len(share_list)]
    share_map = {
        t: (s / 2).quantize(D("0.000001"), rounding="ROUND_DOWN") for t, s in zip(twins, share_list, strict=False)
    }
    txn = tithe(
        id="t",
        date=dt.date(2027, 2, 1),
        narration="dues",
        circle=circle,
        source="dues",
        amount=amount,
        commodity=commodity,
        shares=share_map,
    )
    assert all(v == 0 for v in sums(txn).values())
    after = BASE.post(txn)
    held_total = D(0)
    for twin, share in share_map.items():
        held = after.balance(account(circle, "held_for", twin)).get(commodity, D(0))
        exact = amount * share
        assert held == held_share(amount, commodity, share)
        assert held <= exact < held + unit(commodity)  # rounded down, never more than the share
        assert after.balance(account(twin, "receivable", circle)).get(commodity, D(0)) == held
        held_total += held
    assert after.balance(account(circle, "general")).get(commodity, D(0)) == amount - held_total
    assert after.balance(account(circle, "dues")) == {commodity: -amount}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations(n=8), st.lists(st.integers(0, 10**6), min_size=1, max_size=12))
def test_every_version_stays_what_it_was(ops, branches):
    """Values: posting on an old ledger never changes a newer one, in any order of use."""
    versions: list[tuple[Ledger, list[Transaction]]] = [(BASE, [])]
    for i, b in enumerate(branches):
        ledger, history = versions[b % len(versions)]
        txn = build(
            ops[i % len(ops)], f"b{i}", dt.date(2027, 2, 1), history, {t.reverses for t in history if t.reverses}
        )
        if txn is None:
            continue
        try:
            versions.append((ledger.post(txn), [*history, txn]))
        except LedgerError:
            continue
    for ledger, history in reversed(versions):
        fresh = BASE
        for t in history:
            fresh = fresh.post(t)
        assert ledger.transactions == tuple(history)
        assert snapshot(ledger) == snapshot(fresh)
    assert check(versions[-1][0], PLEDGES).ok


def test_places_table_matches_the_helpers():
    from circles.commodities import PLACES as REAL

    assert {c: REAL[c] for c in PLACES} == PLACES


@given(operations(n=10), st.integers(0, 10**6))
def test_a_restored_snapshot_is_the_ledger_it_was_taken_of(ops, pick):
    """``Ledger.restored`` (what a state snapshot rebuilds, without validating or hashing again)
    gives the ledger back as posting built it: every reading, every circle's transactions, and
    the same next hash and the same refusals for what is posted after it."""
    ledger, history = apply_ops(BASE, ops)
    restored = Ledger.restored(*ledger.snapshot())
    assert snapshot(restored) == snapshot(ledger)
    for circle in ledger.circles:
        assert restored.circle_transactions(circle) == ledger.circle_transactions(circle)
        assert restored.circle_balances(circle) == ledger.circle_balances(circle)
    assert all(restored.reversed_by(t.id) == ledger.reversed_by(t.id) for t in history)
    nxt = build(ops[pick % len(ops)], "after", dt.date(2027, 3, 1), history, {t.reverses for t in history})
    if nxt is not None:
        try:
            posted = ledger.post(nxt)
        except LedgerError as e:
            with pytest.raises(LedgerError) as again:
                restored.post(nxt)
            assert again.value.code == e.code
        else:
            assert snapshot(restored.post(nxt)) == snapshot(posted)


def test_a_snapshot_whose_parts_do_not_fit_is_refused():
    entries, hashes, circles = network().post(simple("t0")).post(simple("t1")).snapshot()
    with pytest.raises(ValueError, match="transactions"):
        Ledger.restored(entries, hashes[:-1], circles)
    with pytest.raises(ValueError, match="transactions"):
        Ledger.restored(entries, hashes, circles[:-1])
    assert Ledger.restored(entries, hashes, circles).head == network().post(simple("t0")).post(simple("t1")).head
