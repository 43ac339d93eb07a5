"""Shared by the ledger tests: a small network, transaction builders and hypothesis strategies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import strategies as st

from circles.chart import account
from circles.entries import cover, delivery, exchange, reversal, tithe
from circles.ledger import Conversion, Ledger, LedgerError, Posting, Transaction

D = Decimal
DAY0 = dt.date(2027, 1, 1)
A, B, C = "lagos-dockers", "rotterdam-port", "2027-strike"
CIRCLES = (A, B, C)
PLEDGES = ((A, B), (B, A), (B, C))  # (circle, twin): circle pledged to twin
COMMODITIES = ("EUR", "JPY", "BHD", "DAYS", "HOURS", "REACH")
PLACES = {"EUR": 2, "JPY": 0, "BHD": 3, "DAYS": 1, "HOURS": 2, "REACH": 0}


def network() -> Ledger:
    ledger = Ledger()
    for c in CIRCLES:
        ledger = ledger.open_circle(c, DAY0)
    for c, t in PLEDGES:
        ledger = ledger.open_pledge(c, t, DAY0)
    return ledger


def simple(txn_id: str, amount: str = "10.00", commodity: str = "EUR", *, circle: str = A, **kw) -> Transaction:
    """A donation into ``circle``'s general fund."""
    return Transaction(
        txn_id,
        kw.pop("date", dt.date(2027, 2, 1)),
        kw.pop("narration", "donation"),
        (
            Posting(account(circle, "general"), D(amount), commodity),
            Posting(account(circle, "donations"), -D(amount), commodity),
        ),
        **kw,
    )


def snapshot(ledger: Ledger) -> tuple:
    """Everything a ledger shows, to compare before and after."""
    return (
        ledger.head,
        len(ledger),
        ledger.postings,
        ledger.balances(),
        ledger.accounts,
        ledger.entries,
        ledger.hashes,
        {name: ledger.due_flows(name) for name in ledger.accounts},
    )


def unit(commodity: str) -> Decimal:
    return Decimal(1).scaleb(-PLACES[commodity])


def amounts(commodity: str, *, max_units: int = 10**7) -> st.SearchStrategy[Decimal]:
    """Positive amounts within the commodity's precision."""
    return st.integers(1, max_units).map(lambda n: Decimal(n).scaleb(-PLACES[commodity]))


shares = st.sampled_from([D("0"), D("0.1"), D("0.10"), D("0.25"), D("0.125"), D("0.333333"), D("0.5"), D("1")])


@st.composite
def operations(draw, n: int = 12) -> list[tuple]:
    """A list of abstract operations; ``apply_ops`` turns them into transactions."""
    ops = []
    for _ in range(draw(st.integers(1, n))):
        kind = draw(st.sampled_from(["tithe", "tithe", "delivery", "cover", "spend", "raw", "exchange", "reverse"]))
        c = draw(st.sampled_from(COMMODITIES))
        ops.append(
            (
                kind,
                draw(st.sampled_from(PLEDGES)),
                c,
                draw(amounts(c)),
                draw(st.lists(shares, min_size=1, max_size=2)),
                draw(st.integers(0, 10**6)),
                draw(st.lists(st.integers(-(10**6), 10**6).filter(bool), min_size=1, max_size=4)),
            )
        )
    return ops


def build(
    op: tuple, txn_id: str, date: dt.date, posted: list[Transaction], reversed_ids: set[str]
) -> Transaction | None:
    kind, (circle, twin), c, amount, sh, pick, raw = op
    if kind == "tithe":
        twins = [t for (x, t) in PLEDGES if x == circle]
        share_map = {t: sh[i % len(sh)] / len(twins) for i, t in enumerate(twins)}
        share_map = {t: s.quantize(D("0.000001"), rounding="ROUND_DOWN") for t, s in share_map.items()}
        conv = Conversion(amount * 2, "EUR" if c != "EUR" else "JPY", D("0.5"), date) if pick % 5 == 0 else None
        if conv is not None and conv.amount.as_tuple().exponent < -PLACES[conv.commodity]:
            conv = None
        return tithe(
            id=txn_id,
            date=date,
            narration=f"income {txn_id}",
            circle=circle,
            source="dues",
            amount=amount,
            commodity=c,
            shares=share_map,
            conversion=conv,
        )
    if kind == "delivery":
        source = ("held_for", "general", "fallout_cover")[pick % 3]
        return delivery(
            id=txn_id,
            date=date,
            narration="delivery",
            circle=circle,
            twin=twin,
            amount=amount,
            commodity=c,
            source=source,
        )
    if kind == "cover":
        return cover(id=txn_id, date=date, narration="cover", circle=circle, twin=twin, amount=amount, commodity=c)
    if kind == "spend":
        return Transaction(
            txn_id,
            date,
            "strike pay",
            (Posting(account(circle, "campaign"), amount, c), Posting(account(circle, "general"), -amount, c)),
        )
    if kind == "raw":  # several accounts of one circle, the last one balancing
        kinds = ("general", "fallout_cover", "opening", "other_income", "fines", "lost_wages")
        ps = [Posting(account(circle, kinds[i % len(kinds)]), D(x).scaleb(-PLACES[c]), c) for i, x in enumerate(raw)]
        total = sum((p.amount for p in ps), D(0))
        if total:
            ps.append(Posting(account(circle, "general"), -total, c))
        if len(ps) < 2:
            return None
        return Transaction(txn_id, date, "raw", tuple(ps))
    if kind == "exchange":
        if c == "EUR":
            return None
        rate = D("1.5")
        bought = (amount * rate).quantize(unit("EUR"), rounding="ROUND_HALF_EVEN")
        if not bought:
            return None
        return exchange(
            id=txn_id,
            date=date,
            narration="exchange",
            circle=circle,
            sold=amount,
            sold_commodity=c,
            bought=bought,
            bought_commodity="EUR",
            rate=rate,
            rate_date=date,
        )
    candidates = [t for t in posted if t.reverses is None and t.id not in reversed_ids]
    if not candidates:
        return None
    return reversal(candidates[pick % len(candidates)], id=txn_id, date=date, narration="correction")


def apply_ops(ledger: Ledger, ops: list[tuple]) -> tuple[Ledger, list[Transaction]]:
    """Post every operation that builds; each must be accepted."""
    posted: list[Transaction] = []
    reversed_ids: set[str] = set()
    for i, op in enumerate(ops):
        txn = build(op, f"t{i}", DAY0 + dt.timedelta(days=i), posted, reversed_ids)
        if txn is None:
            continue
        try:
            ledger = ledger.post(txn)
        except LedgerError as e:  # pragma: no cover - a failure message worth reading
            raise AssertionError(f"{op} -> {txn} refused: {e.code} {e.message}") from None
        posted.append(txn)
        if txn.reverses is not None:
            reversed_ids.add(txn.reverses)
    return ledger, posted
