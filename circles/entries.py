"""The standard transactions between circles: tithe, cover, delivery, exchange, reversal (docs/ledger.md §5).

Each builds a ``Transaction`` and checks only what it must to build it (an amount to share out, the
shares); ``Ledger.post`` checks the rest. Every one balances per commodity and per circle.

A tithe, for income I of circle C with twin T's share s (hT = I x s, rounded toward zero)::

    Income:Circles:C:Dues                   -I        the income, gross
    Assets:Circles:C:General                 I - sum(hT)   the rest reaches the general fund
    Assets:Circles:C:HeldFor:T               hT        ring-fenced for T
    Expenses:Circles:C:TitheTo:T             hT        C's pledge, paid out of the income
    Liabilities:Circles:C:DueTo:T           -hT        what C owes T ...
    Assets:Circles:T:Receivable:C            hT        ... as T's books show it
    Income:Circles:T:TitheFrom:C            -hT        T's income from the pledge

Rounding: each twin's share rounds down to the commodity's precision, and what rounding leaves
stays in C's general fund (a twin is never owed a fraction the commodity cannot hold; C never
holds back more than the pledge). A share that rounds to zero posts nothing for that twin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_DOWN, Context, Decimal, Inexact, InvalidOperation

from circles.chart import INCOME_KINDS, AccountError, account
from circles.commodities import PLACES, QUANTUM
from circles.transactions import WIDE, Conversion, LedgerError, Posting, Transaction, check_amount, refuse

MAX_SHARE_PLACES = 6  # 12.5 % is 0.125; a share finer than a millionth is a typo
_SHARE = Context(prec=40, traps=[Inexact, InvalidOperation])


def _acct(circle: str, kind: str, twin: str | None = None) -> str:
    try:
        return account(circle, kind, twin)
    except AccountError as e:
        raise refuse("bad_account", str(e)) from None


def _positive(amount: Decimal, commodity: str) -> None:
    check_amount(amount, commodity, "amount")
    if amount < 0:
        raise refuse("bad_amount", "the amount is positive (the direction is the transaction's kind)")


def _negated(c: Conversion | None) -> Conversion | None:
    return None if c is None else Conversion(-c.amount, c.commodity, c.rate, c.date)


def check_shares(shares: Mapping[str, Decimal]) -> None:
    """Shares are Decimals from 0 to 1 (a share over 100 % or negative is refused), at most 6
    places, summing to at most 1."""
    total = Decimal(0)
    for twin, share in shares.items():
        if type(share) is not Decimal or not share.is_finite() or not 0 <= share <= 1:
            raise refuse("bad_share", f"{twin}'s share is a Decimal from 0 to 1 (0.10 is 10 %)")
        try:
            share.quantize(QUANTUM[MAX_SHARE_PLACES], context=_SHARE)
        except (Inexact, InvalidOperation):
            raise refuse("bad_share", f"{twin}'s share has more than {MAX_SHARE_PLACES} decimal places") from None
        total += share
    if total > 1:
        raise refuse("bad_share", f"the shares add up to {total}, over 100 %")


def held_share(amount: Decimal, commodity: str, share: Decimal) -> Decimal:
    """A twin's share of ``amount``: amount x share rounded toward zero to the commodity's places."""
    return WIDE.multiply(amount, share).quantize(QUANTUM[PLACES[commodity]], rounding=ROUND_DOWN, context=WIDE)


def tithe(
    *,
    id: str,
    date: dt.date,
    narration: str,
    circle: str,
    source: str,
    amount: Decimal,
    commodity: str,
    shares: Mapping[str, Decimal],
    conversion: Conversion | None = None,
) -> Transaction:
    """Income ``amount`` (> 0) of kind ``source`` (dues, donations, settlements, other_income) for
    ``circle``, each twin's share ring-fenced into HeldFor:<twin> and owed to it, the rest into
    General. ``conversion`` (positive, as received) is kept on the income posting."""
    if source not in INCOME_KINDS:
        raise refuse("bad_account", f"income is one of {', '.join(INCOME_KINDS)}")
    _positive(amount, commodity)
    check_shares(shares)
    postings = [Posting(_acct(circle, source), -amount, commodity, _negated(conversion))]
    rest = amount
    twin_postings = []
    for twin in sorted(shares):
        held = held_share(amount, commodity, shares[twin])
        if not held:
            continue
        rest -= held
        twin_postings += [
            Posting(_acct(circle, "held_for", twin), held, commodity),
            Posting(_acct(circle, "tithe_to", twin), held, commodity),
            Posting(_acct(circle, "due_to", twin), -held, commodity),
            Posting(_acct(twin, "receivable", circle), held, commodity),
            Posting(_acct(twin, "tithe_from", circle), -held, commodity),
        ]
    if rest:
        postings.append(Posting(_acct(circle, "general"), rest, commodity))
    return Transaction(id, date, narration, tuple(postings + twin_postings))


def cover(
    *, id: str, date: dt.date, narration: str, circle: str, twin: str, amount: Decimal, commodity: str
) -> Transaction:
    """``circle`` owes ``twin`` ``amount`` of cover for the twin's fallout (an approved claim)."""
    _positive(amount, commodity)
    return Transaction(
        id,
        date,
        narration,
        (
            Posting(_acct(circle, "cover_for", twin), amount, commodity),
            Posting(_acct(circle, "due_to", twin), -amount, commodity),
            Posting(_acct(twin, "receivable", circle), amount, commodity),
            Posting(_acct(twin, "cover_from", circle), -amount, commodity),
        ),
    )


DELIVERY_SOURCES = ("held_for", "general", "fallout_cover")


def delivery(
    *,
    id: str,
    date: dt.date,
    narration: str,
    circle: str,
    twin: str,
    amount: Decimal,
    commodity: str,
    source: str = "held_for",
) -> Transaction:
    """``circle`` delivers ``amount`` it owes to ``twin``, out of HeldFor:<twin> (or its general
    fund, or its fallout cover), into the twin's general fund."""
    if source not in DELIVERY_SOURCES:
        raise refuse("bad_account", f"a delivery comes out of one of {', '.join(DELIVERY_SOURCES)}")
    _positive(amount, commodity)
    return Transaction(
        id,
        date,
        narration,
        (
            Posting(_acct(circle, "due_to", twin), amount, commodity),
            Posting(_acct(circle, source, twin if source == "held_for" else None), -amount, commodity),
            Posting(_acct(twin, "general"), amount, commodity),
            Posting(_acct(twin, "receivable", circle), -amount, commodity),
        ),
    )


def exchange(
    *,
    id: str,
    date: dt.date,
    narration: str,
    circle: str,
    sold: Decimal,
    sold_commodity: str,
    bought: Decimal,
    bought_commodity: str,
    rate: Decimal,
    rate_date: dt.date,
    account_kind: str = "general",
) -> Transaction:
    """``circle`` changes ``sold`` of one currency into ``bought`` of another at ``rate`` (bought
    units per sold unit), through Equity:Circles:C:Exchange so that each commodity balances."""
    _positive(sold, sold_commodity)
    _positive(bought, bought_commodity)
    held = _acct(circle, account_kind)
    via = _acct(circle, "exchange")
    return Transaction(
        id,
        date,
        narration,
        (
            Posting(held, -sold, sold_commodity),
            Posting(via, sold, sold_commodity),
            Posting(via, -bought, bought_commodity, Conversion(-sold, sold_commodity, rate, rate_date)),
            Posting(held, bought, bought_commodity, Conversion(sold, sold_commodity, rate, rate_date)),
        ),
    )


def reversal(original: Transaction, *, id: str, date: dt.date, narration: str) -> Transaction:
    """The transaction that corrects ``original`` by negating each of its postings."""
    return Transaction(
        id,
        date,
        narration,
        tuple(Posting(p.account, -p.amount, p.commodity, _negated(p.conversion)) for p in original.postings),
        reverses=original.id,
    )


__all__ = [
    "DELIVERY_SOURCES",
    "LedgerError",
    "check_shares",
    "cover",
    "delivery",
    "exchange",
    "held_share",
    "reversal",
    "tithe",
]
