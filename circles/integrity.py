"""The integrity check: every invariant re-run from the ledger's entries alone (docs/ledger.md §7).

``check(ledger, pledged, recorded=None)`` replays the openings and transactions into a fresh
book, re-validating each transaction with the rules ``post`` applied, recomputes the hash chain
from genesis, and compares: the ledger's hashes (and ``recorded``, the hashes the log or a twin
holds, when given), its balances, the network's sum per commodity, the pair accounts' mirror,
and the pledges. The report says what it checked (counts) and what it found; the time of the
check is the shell's to add (the core has no clock).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

from circles.chart import AccountError, account, parse_account, pledge_of
from circles.ledger import Ledger, _Acct, _Book
from circles.transactions import (
    EXACT,
    GENESIS,
    ZERO,
    LedgerError,
    Open,
    amount_text,
    canonical,
    chain_hash,
    validate,
)

_BALANCE_CODES = frozenset({"unbalanced", "unbalanced_circle", "unmirrored"})
_REVERSAL_CODES = frozenset({"unknown_transaction", "bad_reversal", "already_reversed"})


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str
    txn: str | None = None  # the transaction it concerns, if one


@dataclass(frozen=True, slots=True)
class Check:
    """One invariant: what it says, over how many things it was checked, how many failed."""

    name: str
    what: str
    count: int
    failed: int


@dataclass(frozen=True)
class Report:
    ok: bool
    head: str  # the recomputed head
    transactions: int
    postings: int
    accounts: int
    circles: int
    totals: dict[str, Decimal]  # the network's sum per commodity: every one zero when ok
    checks: tuple[Check, ...]
    problems: tuple[Problem, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """For the integrity page (amounts as text with their commodity's places)."""
        return {
            "ok": self.ok,
            "head": self.head,
            "transactions": self.transactions,
            "postings": self.postings,
            "accounts": self.accounts,
            "circles": self.circles,
            "totals": {c: amount_text(v, c) for c, v in sorted(self.totals.items())},
            "checks": [{"name": c.name, "what": c.what, "count": c.count, "failed": c.failed} for c in self.checks],
            "problems": [{"code": p.code, "message": p.message, "txn": p.txn} for p in self.problems],
        }


def verify_chain(transactions: Sequence[Any], hashes: Sequence[str]) -> int | None:
    """The first position where ``hashes`` depart from the chain recomputed over
    ``transactions`` (a changed, dropped, added or moved transaction), or None if they agree."""
    prev = GENESIS
    for i, txn in enumerate(transactions):
        prev = chain_hash(prev, canonical(txn))
        if i >= len(hashes) or hashes[i] != prev:
            return i
    return None if len(hashes) == len(transactions) else len(transactions)


def check(ledger: Ledger, pledged: Iterable[tuple[str, str]], recorded: Sequence[str] | None = None) -> Report:
    """Re-run every invariant over ``ledger``. ``pledged`` holds every (circle, twin) pair for
    which ``circle`` ever pledged to ``twin`` (tithe or cover); a pair account used outside
    those is reported. ``recorded``: the hashes stored beside the transactions, to compare."""
    pledges = set(pledged)
    problems: list[Problem] = []
    # The replay's own book: what validate reads (accounts, transactions by id, reversals), and
    # balances summed here by plain code, apart from the ledger's apply/undo, to compare with it.
    book = _Book()
    accounts = book.accounts
    stored = ledger.hashes
    prev = GENESIS
    refused_balance = refused_rules = refused_reversal = reversals = count = postings = 0
    chain_broken: int | None = None
    recorded_broken: int | None = None
    with localcontext(EXACT):
        for entry in ledger.entries:
            if type(entry) is Open:
                try:
                    parse_account(entry.account)
                    fresh = entry.account not in book.accounts
                except AccountError:
                    fresh = False
                if not fresh:
                    problems.append(Problem("bad_account", f"{entry.account} opened twice or not in the chart"))
                    continue
                parsed = parse_account(entry.account)
                accounts[entry.account] = _Acct(entry.account, parsed, entry.date)
                book.circle_accts.setdefault(parsed.circle, []).append(entry.account)
                continue
            i, count = count, count + 1
            postings += len(entry.postings) if isinstance(entry.postings, tuple) else 0
            if entry.reverses is not None:
                reversals += 1
            try:
                canon, _ = validate(book, entry)
                accepted = True
            except LedgerError as e:
                problems.append(Problem(e.code, e.message, getattr(entry, "id", None)))
                if e.code in _BALANCE_CODES:
                    refused_balance += 1
                elif e.code in _REVERSAL_CODES:
                    refused_reversal += 1
                else:
                    refused_rules += 1
                canon, accepted = canonical(entry), False
            prev = chain_hash(prev, canon)
            if chain_broken is None and (i >= len(stored) or stored[i] != prev):
                chain_broken = i
            if recorded is not None and recorded_broken is None and (i >= len(recorded) or recorded[i] != prev):
                recorded_broken = i
            if accepted:
                book.index[entry.id] = len(book.txns)
                book.txns.append(entry)
                if entry.reverses is not None:
                    book.reversed_by[entry.reverses] = entry.id
                for p in entry.postings:
                    bal = accounts[p.account].bal  # zero balances stay: they say the account was used
                    bal[p.commodity] = bal.get(p.commodity, ZERO) + p.amount
        if chain_broken is None and len(stored) != count:
            chain_broken = count
        if chain_broken is not None:
            msg = f"the ledger's hashes depart from the chain at position {chain_broken}"
            problems.append(Problem("chain_broken", msg))
        if recorded is not None and recorded_broken is None and len(recorded) != count:
            recorded_broken = count
        if recorded_broken is not None:
            problems.append(
                Problem("chain_broken", f"the recorded hashes depart from the chain at position {recorded_broken}")
            )

        # Balances recomputed by the replay against the ledger's own.
        theirs = ledger.balances()
        ours = {name: {c: v for c, v in a.bal.items() if v} for name, a in accounts.items()}
        ours = {name: bal for name, bal in ours.items() if bal}
        compared = mismatched = 0
        for name in sorted(set(theirs) | set(ours)):
            for c in sorted(set(theirs.get(name, {})) | set(ours.get(name, {}))):
                compared += 1
                if theirs.get(name, {}).get(c, ZERO) != ours.get(name, {}).get(c, ZERO):
                    mismatched += 1
                    msg = f"{name} holds a different {c} balance than its postings"
                    problems.append(Problem("balance_mismatch", msg))

        totals: dict[str, Decimal] = {}
        for bal in ours.values():
            for c, v in bal.items():
                totals[c] = totals.get(c, ZERO) + v
        for a in accounts.values():
            for c in a.bal:
                totals.setdefault(c, ZERO)  # every commodity ever posted, even where all is settled
        nonzero = [c for c, v in totals.items() if v]
        for c in nonzero:
            problems.append(Problem("network_nonzero", f"the network's {c} balances sum to {totals[c]}, not zero"))

        mirrored = unmirrored = 0
        used = unpledged = 0
        for name, a in book.accounts.items():
            parsed = a.parsed
            if parsed.kind == "due_to" and parsed.twin is not None:
                mirrored += 1
                other = book.accounts.get(account(parsed.twin, "receivable", parsed.circle))
                other_bal = other.bal if other is not None else {}
                if any(v + other_bal.get(c, ZERO) for c, v in a.bal.items()) or any(
                    v + a.bal.get(c, ZERO) for c, v in other_bal.items()
                ):
                    unmirrored += 1
                    problems.append(Problem("unmirrored", f"{name} and its twin's Receivable disagree"))
            pledge = pledge_of(parsed)
            if pledge is not None and a.bal:  # posted to, whatever its balance now
                used += 1
                if pledge not in pledges:
                    unpledged += 1
                    msg = f"{name} was used, but {pledge[0]} never pledged to {pledge[1]}"
                    problems.append(Problem("not_pledged", msg))

    checks = (
        Check("balanced", "each transaction sums to zero per commodity and per circle", count, refused_balance),
        Check(
            "rules",
            "accounts open, commodities known, amounts within precision and bounds, rates kept",
            postings,
            refused_rules,
        ),
        Check("reversals", "each reversal negates one transaction, reversed once", reversals, refused_reversal),
        Check("chain", "the chain recomputed from genesis matches the ledger's", count, int(chain_broken is not None)),
        *(
            (Check("recorded", "the chain matches the recorded hashes", count, int(recorded_broken is not None)),)
            if recorded is not None
            else ()
        ),
        Check("balances", "every balance equals the sum of its postings", compared, mismatched),
        Check("network", "the network's balances sum to zero per commodity", len(totals), len(nonzero)),
        Check("mirrored", "each circle's DueTo equals its twin's Receivable", mirrored, unmirrored),
        Check("pledged", "nothing is held or owed for a twin that was never pledged", used, unpledged),
    )
    return Report(
        ok=not problems,
        head=prev,
        transactions=count,
        postings=postings,
        accounts=len(book.accounts),
        circles=len(book.circle_accts),
        totals=totals,
        checks=checks,
        problems=tuple(problems),
    )
