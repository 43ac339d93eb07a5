"""The ledger as Beancount text and as CSV (docs/ledger.md §8). Pure: both return text.

``circles`` limits an export to those circles' accounts and postings. Every transaction balances
per circle, so any such part of the ledger is itself a balanced ledger that ``bean-check``
accepts: a circle can export its own books, or a pair theirs, without anyone else's.

Beancount: a ``commodity`` directive per commodity used (its words and precision as metadata),
an ``open`` per account on its opening date, a ``*`` transaction per transaction with its id, hash
and, for a correction, the id it reverses as metadata. A converted amount stays in its own
commodity, so balances and sums are the ledger's exactly; its original amount, rate and rate date
are the posting's metadata (``original: -1086.96 USD``, ``rate: 0.92``, ``rate_date: 2027-04-30``)
rather than an ``@`` price, which would make Beancount weigh the posting in the other commodity.
Amounts are written with exactly their commodity's places.

CSV: one row per posting, the columns of ``CSV_COLUMNS`` (``position`` is the transaction's
position in the ledger, from 0). A narration that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return gets a leading ``'`` so that no spreadsheet runs it as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from circles.chart import parse_account
from circles.commodities import PLACES, describe
from circles.ledger import Ledger
from circles.transactions import Open, Posting, Transaction, amount_text, rate_text

CSV_COLUMNS = (
    "position",
    "txn",
    "date",
    "narration",
    "reverses",
    "hash",
    "account",
    "circle",
    "amount",
    "commodity",
    "original_amount",
    "original_commodity",
    "rate",
    "rate_date",
)


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _circles_of(ledger: Ledger) -> dict[str, str]:
    return {name: parse_account(name).circle for name in ledger.accounts}


def _selected(ledger: Ledger, circles: Iterable[str] | None) -> Iterator[tuple[int, Transaction, str, list[Posting]]]:
    """(position, transaction, hash, the postings shown) for every transaction with one shown."""
    wanted = None if circles is None else set(circles)
    hashes = ledger.hashes
    circle_of = _circles_of(ledger)
    for pos, txn in enumerate(ledger.transactions):
        postings = list(txn.postings) if wanted is None else [p for p in txn.postings if circle_of[p.account] in wanted]
        if postings:
            yield pos, txn, hashes[pos], postings


def to_beancount(ledger: Ledger, circles: Iterable[str] | None = None, *, title: str = "Mayday circles") -> str:
    """The ledger (or the part of it that is ``circles``') as a Beancount file."""
    wanted = None if circles is None else set(circles)
    opens = [
        e for e in ledger.entries if type(e) is Open and (wanted is None or parse_account(e.account).circle in wanted)
    ]
    body: list[str] = []
    used: dict[str, None] = {}
    for _pos, txn, hash_, postings in _selected(ledger, wanted):
        body.append(f"\n{txn.date.isoformat()} * {_string(txn.narration)}")
        body.append(f'  id: "{txn.id}"')
        body.append(f'  hash: "{hash_}"')
        if txn.reverses is not None:
            body.append(f'  reverses: "{txn.reverses}"')
        for p in postings:
            used.setdefault(p.commodity, None)
            body.append(f"  {p.account}  {amount_text(p.amount, p.commodity)} {p.commodity}")
            c = p.conversion
            if c is not None:
                used.setdefault(c.commodity, None)
                body.append(f"    original: {amount_text(c.amount, c.commodity)} {c.commodity}")
                body.append(f"    rate: {rate_text(c.rate)}")
                body.append(f"    rate_date: {c.date.isoformat()}")
    head: list[str] = [
        f"; {title}: exported from Mayday's circles ledger; chain head {ledger.head}",
        f"option {_string('title')} {_string(title)}",
    ]
    first = min([o.date for o in opens] + [t.date for t in ledger.transactions], default=None)
    if first is not None:
        head.append("")
        for code in sorted(used):
            head += [
                f"{first.isoformat()} commodity {code}",
                f"  name: {_string(describe(code))}",
                f"  precision: {PLACES[code]}",
            ]
        head.append("")
        head += [f"{o.date.isoformat()} open {o.account}" for o in opens]
    return "\n".join(head + body) + "\n"


def csv_rows(ledger: Ledger, circles: Iterable[str] | None = None) -> Iterator[list[str]]:
    """The CSV's rows after its header, one per posting (text cells)."""
    circle_of = _circles_of(ledger)
    for pos, txn, hash_, postings in _selected(ledger, circles):
        narration = txn.narration
        if narration[:1] in ("=", "+", "-", "@", "\t", "\r"):
            narration = "'" + narration
        for p in postings:
            c = p.conversion
            yield [
                str(pos),
                txn.id,
                txn.date.isoformat(),
                narration,
                txn.reverses or "",
                hash_,
                p.account,
                circle_of[p.account],
                amount_text(p.amount, p.commodity),
                p.commodity,
                "" if c is None else amount_text(c.amount, c.commodity),
                "" if c is None else c.commodity,
                "" if c is None else rate_text(c.rate),
                "" if c is None else c.date.isoformat(),
            ]


def to_csv(ledger: Ledger, circles: Iterable[str] | None = None) -> str:
    """The ledger (or ``circles``' part) as CSV text, a header row first (RFC 4180, CRLF)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(ledger, circles))
    return out.getvalue()
