"""What a twin owes the other past the pair's settle period (pure): the calendar, the pair and
circle pages and the readiness gate read it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from circles.chart import account
from circles.commodities import amount_text
from circles.state import NetworkState


def overdue(state: NetworkState, debtor: str, creditor: str, now: dt.datetime) -> list[dict[str, Any]]:
    """What ``debtor`` owes ``creditor`` and has owed longer than the pair's settle period, oldest
    first: each amount that became due (a tithe, a cover) is settled by deliveries in the order it
    became due (first in, first out), and what is left of it past ``settle_days`` is overdue."""
    pair = state.pair_of(debtor, creditor)
    if pair is None:
        return []
    due_account = account(debtor, "due_to", creditor)
    open_items: dict[str, list[list[Any]]] = {}  # commodity -> [[date, left, txn id]]
    for _, txn, p in state.ledger.circle_postings(debtor):
        if p.account != due_account:
            continue
        items = open_items.setdefault(p.commodity, [])
        if p.amount < 0:  # became due (or a delivery reversed)
            items.append([txn.date, -p.amount, txn.id])
            continue
        left = p.amount  # delivered (or a due reversed): settles the oldest first
        while left > 0 and items:
            take = min(left, items[0][1])
            items[0][1] -= take
            left -= take
            if items[0][1] == 0:
                items.pop(0)
    limit = now.date() - dt.timedelta(days=pair.settle_days)
    out = []
    for commodity, items in sorted(open_items.items()):
        for day, left, txn in items:
            if day < limit:
                out.append(
                    {
                        "debtor": debtor,
                        "creditor": creditor,
                        "commodity": commodity,
                        "amount": amount_text(left, commodity),
                        "since": day.isoformat(),
                        "due_by": (day + dt.timedelta(days=pair.settle_days)).isoformat(),
                        "txn": txn,
                    }
                )
    return out
