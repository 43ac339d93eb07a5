"""What the pages read from a ledger: a circle's statement, and who owes whom (docs/ledger.md §6)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, localcontext

import msgspec

from circles.chart import account
from circles.ledger import Ledger
from circles.transactions import EXACT, ZERO


class Line(msgspec.Struct, frozen=True, gc=False):
    """One posting of a circle's statement, with its account's running balance after it. Not
    tracked by the garbage collector (it holds no container): a page of 10,000 transactions
    makes tens of thousands of these, and collections passing over them doubled the time."""

    position: int  # the transaction's position in the whole ledger (0 = first)
    txn: str
    date: dt.date
    narration: str
    account: str
    amount: Decimal
    commodity: str
    balance: Decimal
    reverses: str | None


def statement(ledger: Ledger, circle: str) -> list[Line]:
    """Every posting to ``circle``'s accounts in ledger order (the order the log holds, not the
    dates'), each with the running balance of its account in its commodity."""
    running: dict[tuple[str, str], Decimal] = {}
    lines = []
    with localcontext(EXACT):
        append = lines.append
        for pos, txn, p in ledger.circle_postings(circle):
            key = (p.account, p.commodity)
            bal = running[key] = running.get(key, ZERO) + p.amount
            append(Line(pos, txn.id, txn.date, txn.narration, p.account, p.amount, p.commodity, bal, txn.reverses))
    return lines


@dataclass(frozen=True, slots=True)
class Due:
    """What ``debtor`` owes ``creditor`` in one commodity, from the debtor's DueTo account:
    ``due`` is everything that became due (tithes and cover), ``delivered`` what was delivered,
    ``outstanding`` = due - delivered (what the creditor's Receivable shows too), ``held`` what the
    debtor's HeldFor:<creditor> holds now, ``tithed`` and ``covered`` the split of ``due``."""

    debtor: str
    creditor: str
    commodity: str
    due: Decimal
    delivered: Decimal
    outstanding: Decimal
    held: Decimal
    tithed: Decimal
    covered: Decimal


@dataclass(frozen=True, slots=True)
class Net:
    """Between circles ``a`` and ``b`` (a < b) in one commodity: what each owes the other and
    the difference; ``debtor`` owes ``amount`` net (None when they are even)."""

    a: str
    b: str
    commodity: str
    a_owes_b: Decimal
    b_owes_a: Decimal
    debtor: str | None
    amount: Decimal


def dues(ledger: Ledger, circles: Iterable[str] | None = None) -> list[Due]:
    """Every (debtor, creditor, commodity) with anything ever due, for the pledges of
    ``circles`` as debtor or creditor (all circles when None), sorted."""
    wanted = None if circles is None else set(circles)
    rows = []
    for name in ledger.accounts:
        parsed = ledger.parsed(name)
        if parsed is None or parsed.kind != "due_to" or parsed.twin is None:
            continue
        debtor, creditor = parsed.circle, parsed.twin
        if wanted is not None and debtor not in wanted and creditor not in wanted:
            continue
        flows = ledger.due_flows(name)
        held = ledger.balance(account(debtor, "held_for", creditor))
        tithed = ledger.balance(account(debtor, "tithe_to", creditor))
        covered = ledger.balance(account(debtor, "cover_for", creditor))
        outstanding = ledger.balance(name)
        for c in sorted(set(flows) | set(held) | set(outstanding)):
            delivered, due = flows.get(c, (ZERO, ZERO))
            rows.append(
                Due(
                    debtor,
                    creditor,
                    c,
                    due,
                    delivered,
                    -outstanding.get(c, ZERO),
                    held.get(c, ZERO),
                    tithed.get(c, ZERO),
                    covered.get(c, ZERO),
                )
            )
    rows.sort(key=lambda d: (d.debtor, d.creditor, d.commodity))
    return rows


def who_owes_whom(ledger: Ledger, circles: Iterable[str] | None = None) -> list[Net]:
    """Per pair of circles and commodity: each side's outstanding debt and the net."""
    pairs: dict[tuple[str, str, str], list[Decimal]] = {}
    for d in dues(ledger, circles):
        a, b = sorted((d.debtor, d.creditor))
        side = pairs.setdefault((a, b, d.commodity), [ZERO, ZERO])
        side[0 if d.debtor == a else 1] += d.outstanding
    rows = []
    for (a, b, c), (ab, ba) in sorted(pairs.items()):
        net = ab - ba
        rows.append(Net(a, b, c, ab, ba, a if net > 0 else b if net < 0 else None, abs(net)))
    return rows
