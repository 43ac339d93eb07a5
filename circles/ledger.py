"""The network's double-entry ledger: transactions in, balances and a hash chain out (docs/ledger.md).

Pure: no I/O, no clock. ``Ledger`` is a value: ``open`` and ``post`` return a new ledger and
leave the one they were called on as it was; a refusal raises ``LedgerError(code, message)``
and changes nothing (the rules: circles/transactions.py). The circles domain folds its events
into it, an ``Open`` or a ``Transaction`` per event: ``ledger = ledger.add(entry)``.

Speed: every ledger value shares one mutable book with the values it came from and those made
from it; the book follows whichever value was used last, undoing and redoing entries to get there
("rerooting"), so folding a log costs one apply per entry, trying a transaction on a state and
dropping the result costs one undo, and no value is ever seen to change. Balances are plain
dicts of Decimal per account, non-zero entries only. Not for concurrent use from several threads.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, localcontext
from typing import Any

from circles.chart import Account, AccountError, circle_accounts, parse_account, pledge_accounts
from circles.transactions import (
    EXACT,
    GENESIS,
    ZERO,
    Conversion,
    Entry,
    LedgerError,
    Open,
    Posting,
    Transaction,
    chain_hash,
    refuse,
    validate,
)

__all__ = ["Conversion", "Entry", "Ledger", "LedgerError", "Open", "Posting", "Transaction"]


class _Acct:
    """What the fold needs of an open account (parsed once, at opening)."""

    __slots__ = ("bal", "circle", "date", "due", "mirror", "name", "parsed")

    def __init__(self, name: str, parsed: Account, date: dt.date) -> None:
        self.name, self.parsed, self.date, self.circle = name, parsed, date, parsed.circle
        self.bal: dict[str, Decimal] = {}  # commodity -> balance, non-zero only
        # (pledger, pledgee) for the two accounts that must mirror each other
        self.mirror = (
            (parsed.circle, parsed.twin)
            if parsed.kind == "due_to"
            else (parsed.twin, parsed.circle)
            if parsed.kind == "receivable"
            else None
        )
        # DueTo's gross flows: commodity -> [debits (delivered), credits (pledged due)]
        self.due: dict[str, list[Decimal]] | None = {} if parsed.kind == "due_to" else None


class _Node:
    """One entry of the version tree, with what applying it needs: its hash and the circles a
    transaction touches (found when it was validated)."""

    __slots__ = ("circles", "depth", "entry", "hash", "parent")

    def __init__(self, parent: _Node | None, entry: Entry, hash: str | None, circles: tuple[str, ...] = ()) -> None:
        self.parent, self.entry, self.hash, self.circles = parent, entry, hash, circles
        self.depth = 1 if parent is None else parent.depth + 1


class _Book:
    """The state at one node of the version tree; shared by every Ledger of one lineage."""

    def __init__(self) -> None:
        self.node: _Node | None = None
        self.accounts: dict[str, _Acct] = {}
        self.entries: list[Entry] = []
        self.txns: list[Transaction] = []
        self.hashes: list[str] = []
        self.index: dict[str, int] = {}  # txn id -> position
        self.reversed_by: dict[str, str] = {}
        self.by_circle: dict[str, list[int]] = {}  # circle -> positions of the txns touching it
        self.circle_accts: dict[str, list[str]] = {}  # circle -> its accounts, in opening order
        self.postings = 0


def _apply(book: _Book, node: _Node) -> None:
    """Move the book one entry forward (the entry was validated when it was first added)."""
    entry = node.entry
    book.entries.append(entry)
    if type(entry) is Open:
        parsed = parse_account(entry.account)
        book.accounts[entry.account] = _Acct(entry.account, parsed, entry.date)
        book.circle_accts.setdefault(parsed.circle, []).append(entry.account)
        book.by_circle.setdefault(parsed.circle, [])
    else:
        pos = len(book.txns)
        book.txns.append(entry)
        book.hashes.append(node.hash)
        book.index[entry.id] = pos
        reversal = entry.reverses is not None
        accounts = book.accounts
        for p in entry.postings:
            a = accounts[p.account]
            c = p.commodity
            bal = a.bal
            v = bal.get(c, ZERO) + p.amount
            if v:
                bal[c] = v
            else:
                del bal[c]
            if a.due is not None:
                _flow(a.due, c, p.amount, reversal)
        by_circle = book.by_circle
        for circle in node.circles:
            by_circle[circle].append(pos)
        if reversal:
            book.reversed_by[entry.reverses] = entry.id
        book.postings += len(entry.postings)
    book.node = node


def _flow(due: dict[str, list[Decimal]], c: str, amount: Decimal, reversal: bool, undo: bool = False) -> None:
    # Debits are deliveries, credits what became due; a reversal's posting takes back from the side
    # the original posted to, and undoing takes back what applying added.
    side = due.setdefault(c, [ZERO, ZERO])
    i = 0 if (amount > 0) != reversal else 1
    delta = -amount if amount < 0 else amount
    side[i] += -delta if reversal != undo else delta
    if not side[0] and not side[1]:
        del due[c]


def _undo(book: _Book, node: _Node) -> None:
    entry = node.entry
    book.entries.pop()
    if type(entry) is Open:
        circle = book.accounts.pop(entry.account).circle
        book.circle_accts[circle].pop()
        if not book.circle_accts[circle]:
            del book.circle_accts[circle], book.by_circle[circle]
    else:
        book.txns.pop()
        book.hashes.pop()
        del book.index[entry.id]
        reversal = entry.reverses is not None
        for p in entry.postings:
            a = book.accounts[p.account]
            c = p.commodity
            v = a.bal.get(c, ZERO) - p.amount
            if v:
                a.bal[c] = v
            else:
                del a.bal[c]
            if a.due is not None:
                _flow(a.due, c, p.amount, reversal, undo=True)
        for circle in node.circles:
            book.by_circle[circle].pop()  # the last one is this transaction: undo goes newest first
        if reversal:
            del book.reversed_by[entry.reverses]
        book.postings -= len(entry.postings)
    book.node = node.parent


def _reroot(book: _Book, target: _Node | None) -> None:
    """Undo the book back to the common ancestor of its node and ``target``, then redo to it."""
    node, path = book.node, []
    while node is not target:
        if target is not None and (node is None or target.depth > node.depth):
            path.append(target)
            target = target.parent
        else:
            assert node is not None
            _undo(book, node)
            node = node.parent
    for step in reversed(path):
        _apply(book, step)


class Ledger:
    """The ledger at one point of its history (an immutable value; see the module's docstring)."""

    __slots__ = ("_book", "_node", "_txns")

    def __init__(self) -> None:
        self._book = _Book()
        self._node: _Node | None = None
        self._txns: tuple[Transaction, ...] | None = None

    @classmethod
    def _at(cls, book: _Book, node: _Node | None) -> Ledger:
        new = cls.__new__(cls)
        new._book, new._node, new._txns = book, node, None
        return new

    def _current(self) -> _Book:
        book = self._book
        if book.node is not self._node:
            with localcontext(EXACT):
                _reroot(book, self._node)
        return book

    # -- snapshots ---------------------------------------------------------------------------

    def snapshot(self) -> tuple[tuple[Entry, ...], tuple[str, ...], tuple[tuple[str, ...], ...]]:
        """What ``restored`` needs (read on the thread that owns the book): the entries, and for
        each transaction its chain hash and the circles it touches, as validation found them."""
        book = self._current()
        circles: list[tuple[str, ...]] = []
        node = self._node
        while node is not None:
            if node.hash is not None:
                circles.append(node.circles)
            node = node.parent
        circles.reverse()
        return tuple(book.entries), tuple(book.hashes), tuple(circles)

    @classmethod
    def restored(
        cls, entries: tuple[Entry, ...], hashes: tuple[str, ...], circles: tuple[tuple[str, ...], ...]
    ) -> Ledger:
        """The ledger a ``snapshot`` was taken of, applied again without validating or hashing:
        every entry was checked when it was first posted, and the snapshot store vouches for the
        blob (its checksum). Several times faster than posting the entries again
        (bench/README.md §6); ``ValueError`` if the parts do not fit together."""
        txns = sum(1 for e in entries if type(e) is not Open)
        if not txns == len(hashes) == len(circles):
            raise ValueError(f"{txns} transactions, {len(hashes)} hashes and {len(circles)} circle lists")
        book, node = _Book(), None
        i = 0
        with localcontext(EXACT):
            for entry in entries:
                if type(entry) is Open:
                    node = _Node(node, entry, None)
                else:
                    node = _Node(node, entry, hashes[i], circles[i])
                    i += 1
                _apply(book, node)
        return cls._at(book, node)

    # -- adding ------------------------------------------------------------------------------

    def add(self, entry: Entry) -> Ledger:
        """``open`` or ``post``, for folding a log of both."""
        if type(entry) is Open:
            return self.open(entry.account, entry.date)
        return self.post(entry)

    def open(self, account: str, date: dt.date) -> Ledger:
        """The ledger with ``account`` open from ``date``; ``bad_account`` if the chart has no
        such account, ``already_open`` if it is open."""
        book = self._current()
        try:
            if type(account) is not str:
                raise AccountError("an account name is text")
            parse_account(account)
        except AccountError as e:
            raise refuse("bad_account", str(e)) from None
        if type(date) is not dt.date:
            raise refuse("bad_date", "an account opens on a datetime.date")
        if account in book.accounts:
            raise refuse("already_open", f"{account} is open since {book.accounts[account].date}")
        node = _Node(self._node, Open(account, date), None)
        _apply(book, node)
        return Ledger._at(book, node)

    def open_circle(self, circle: str, date: dt.date) -> Ledger:
        """Open every account of ``circle`` that names no twin (those not open yet)."""
        return self._open_all(circle_accounts, (circle,), date)

    def open_pledge(self, circle: str, twin: str, date: dt.date) -> Ledger:
        """Open the accounts ``circle``'s pledge to ``twin`` uses, on both sides (those not open yet)."""
        return self._open_all(pledge_accounts, (circle, twin), date)

    def _open_all(self, accounts: Any, args: tuple[str, ...], date: dt.date) -> Ledger:
        try:
            names = accounts(*args)
        except AccountError as e:
            raise refuse("bad_account", str(e)) from None
        ledger = self
        for name in names:
            if not ledger.is_open(name):
                ledger = ledger.open(name, date)
        return ledger

    def post(self, txn: Transaction) -> Ledger:
        """The ledger with ``txn`` posted, or LedgerError (and nothing changed)."""
        book = self._current()
        with localcontext(EXACT):
            canon, circles = validate(book, txn)
            node = _Node(self._node, txn, chain_hash(book.hashes[-1] if book.hashes else GENESIS, canon), circles)
            _apply(book, node)
        return Ledger._at(book, node)

    # -- reading -----------------------------------------------------------------------------

    @property
    def head(self) -> str:
        """The last transaction's hash (64 zeros for an empty ledger): what twins compare."""
        book = self._current()
        return book.hashes[-1] if book.hashes else GENESIS

    def __len__(self) -> int:
        return len(self._current().txns)

    @property
    def postings(self) -> int:
        return self._current().postings

    @property
    def transactions(self) -> tuple[Transaction, ...]:
        if self._txns is None:
            self._txns = tuple(self._current().txns)
        return self._txns

    @property
    def hashes(self) -> tuple[str, ...]:
        return tuple(self._current().hashes)

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Openings and transactions in the order they were added."""
        return tuple(self._current().entries)

    def transaction(self, txn_id: str) -> Transaction | None:
        book = self._current()
        pos = book.index.get(txn_id)
        return None if pos is None else book.txns[pos]

    def hash_of(self, txn_id: str) -> str | None:
        book = self._current()
        pos = book.index.get(txn_id)
        return None if pos is None else book.hashes[pos]

    def reversed_by(self, txn_id: str) -> str | None:
        """The id of the transaction that reversed ``txn_id``, if one did."""
        return self._current().reversed_by.get(txn_id)

    def is_open(self, account: str) -> bool:
        return account in self._current().accounts

    @property
    def accounts(self) -> dict[str, dt.date]:
        """Every open account and the date it opened, in opening order."""
        return {name: a.date for name, a in self._current().accounts.items()}

    @property
    def circles(self) -> list[str]:
        """Every circle with an open account, in order of its first account."""
        return list(self._current().circle_accts)

    def balance(self, account: str) -> dict[str, Decimal]:
        """``account``'s balance per commodity (non-zero ones only; {} for an unknown account)."""
        a = self._current().accounts.get(account)
        return {} if a is None else dict(a.bal)

    def balances(self) -> dict[str, dict[str, Decimal]]:
        """Every account with a non-zero balance: commodity -> balance."""
        return {name: dict(a.bal) for name, a in self._current().accounts.items() if a.bal}

    def circle_balances(self, circle: str) -> dict[str, dict[str, Decimal]]:
        """Every account of ``circle`` (open ones, even at zero): commodity -> balance."""
        book = self._current()
        return {name: dict(book.accounts[name].bal) for name in book.circle_accts.get(circle, ())}

    def circle_transactions(self, circle: str) -> list[Transaction]:
        """The transactions with a posting to one of ``circle``'s accounts, in order."""
        book = self._current()
        txns = book.txns
        return [txns[pos] for pos in book.by_circle.get(circle, ())]

    def totals(self) -> dict[str, Decimal]:
        """The whole network's sum per commodity ever posted: zero for every one, always."""
        book = self._current()
        totals: dict[str, Decimal] = {}
        with localcontext(EXACT):
            for txn in book.txns:
                for p in txn.postings:
                    totals[p.commodity] = totals.get(p.commodity, ZERO) + p.amount
        return totals

    def due_flows(self, account: str) -> dict[str, tuple[Decimal, Decimal]]:
        """For a DueTo account: commodity -> (delivered, became due), reversals taken back."""
        a = self._current().accounts.get(account)
        if a is None or a.due is None:
            return {}
        return {c: (side[0], side[1]) for c, side in a.due.items()}

    def circle_postings(self, circle: str) -> list[tuple[int, Transaction, Posting]]:
        """``circle``'s postings in ledger order: (the transaction's position, it, the posting)."""
        book = self._current()
        txns, accounts = book.txns, book.accounts
        return [
            (pos, txns[pos], p)
            for pos in book.by_circle.get(circle, ())
            for p in txns[pos].postings
            if accounts[p.account].circle == circle
        ]

    def parsed(self, account: str) -> Account | None:
        a = self._current().accounts.get(account)
        return None if a is None else a.parsed
