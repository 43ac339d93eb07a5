"""What the ledger holds and the rules one transaction must obey (docs/ledger.md §3, §4).

Pure: msgspec structs and functions; the ledger (circles/ledger.py) calls ``validate`` before it
posts anything. The rules (``LedgerError.code`` when one is broken):

* a known id grammar, unique (``bad_id``, ``duplicate_id``); a ``datetime.date`` (``bad_date``);
  a narration that is not blank, at most 500 characters, no control characters
  (``empty_narration``, ``bad_narration``); 2 to 256 postings (``bad_transaction``, ``too_large``);
* every account in the chart and opened on or before the transaction's date (``bad_account``,
  ``unknown_account``, ``not_open``); every commodity in circles/commodities.py
  (``unknown_commodity``);
* every amount a ``Decimal``, finite, not zero, below ``MAX_AMOUNT`` in magnitude
  (``bad_amount``), with no more places than its commodity has (``precision``: refused, never
  rounded);
* a converted amount keeps its original amount and commodity, the rate and the rate's date; the
  rate is not zero (``zero_rate``), is positive, below ``MAX_RATE``, at most 12 places
  (``bad_rate``); the posting's amount is original x rate to within half a unit of its
  commodity's last place, so any usual rounding of the product passes (``rate_mismatch``);
* postings sum to zero per commodity (``unbalanced``), and per circle and commodity too
  (``unbalanced_circle``): value between circles goes through the pair accounts, and in every
  transaction what C's DueTo:T moves is what T's Receivable:C moves (``unmirrored``), so the twins'
  books always show the same debt;
* a correction reverses: ``reverses`` names an earlier transaction (``unknown_transaction``) that
  is not a reversal and not yet reversed (``bad_reversal``, ``already_reversed``), with its
  postings negated exactly (``bad_reversal``).

The hash chain: ``hash = sha256(prev_hash_hex + "\\n" + canonical(txn))`` with the genesis
``prev_hash_hex`` = 64 zeros. ``canonical`` is the transaction as JSON with sorted keys, no
whitespace, UTF-8 (non-ASCII kept as it is), absent options left out, amounts as strings with
exactly their commodity's places ("900.00", "-1.5", "12"), rates as plain decimals without
trailing zeros ("0.92"), dates as ISO text: the same text as ``json.dumps(..., sort_keys=True,
separators=(",", ":"), ensure_ascii=False)`` of that object (a test checks it). Opening an account
is not in the chain (it moves no amount); every amount ever posted is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow
from json.encoder import encode_basestring
from typing import Any

import msgspec

from circles.chart import AccountError, parse_account
from circles.commodities import MAX_AMOUNT, MAX_RATE, PLACES, QUANTUM, RATE_PLACES
from mayday.errors import DomainError

GENESIS = "0" * 64
TXN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
MAX_NARRATION = 500
MAX_POSTINGS = 256
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
ZERO = Decimal(0)
# Sums and quantizing: wide enough that nothing the bounds allow is ever rounded, and if it were,
# Inexact is raised instead of a silently rounded balance.
EXACT = Context(prec=34, traps=[Inexact, InvalidOperation, Overflow])
WIDE = Context(prec=80)  # original x rate, compared with the amount


class LedgerError(DomainError):
    """A transaction or an opening the ledger refuses; nothing was changed."""


class Conversion(msgspec.Struct, frozen=True, gc=False):
    """A converted amount as it was: ``amount`` in ``commodity`` (same sign as the posting's),
    ``rate`` posting units per original unit, as the circle entered it, taken on ``date``."""

    amount: Decimal
    commodity: str
    rate: Decimal
    date: dt.date


class Posting(msgspec.Struct, frozen=True, omit_defaults=True, gc=False):
    account: str
    amount: Decimal
    commodity: str
    conversion: Conversion | None = None


class Transaction(msgspec.Struct, frozen=True, omit_defaults=True, gc=False):
    """One transaction; ``reverses`` names the transaction it corrects (a correction is a new
    transaction that negates an earlier one, then, if needed, another with the right figures)."""

    id: str
    date: dt.date
    narration: str
    postings: tuple[Posting, ...]
    reverses: str | None = None

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data (amounts and rates as decimal text, dates as ISO text)."""
        return msgspec.to_builtins(self)

    @classmethod
    def from_data(cls, data: Any) -> Transaction:
        """The transaction from ``to_data``'s form; amounts must be text, never JSON numbers."""
        try:
            for p in data["postings"]:
                conv = p.get("conversion")
                if not isinstance(p["amount"], str) or (
                    conv and not (isinstance(conv.get("amount"), str) and isinstance(conv.get("rate"), str))
                ):
                    raise LedgerError("bad_amount", "amounts and rates are decimal text, never numbers")
            return msgspec.convert(data, cls)
        except (msgspec.ValidationError, KeyError, TypeError, AttributeError) as e:
            raise LedgerError("bad_transaction", f"not a transaction: {e}") from None


class Open(msgspec.Struct, frozen=True, gc=False):
    """An account opened on a date: postings to it dated on or after that date are accepted."""

    account: str
    date: dt.date


Entry = Open | Transaction


def amount_text(amount: Decimal, commodity: str) -> str:
    """An amount with exactly its commodity's places (the canonical and exported form)."""
    places = PLACES.get(commodity)
    if places is None:
        return str(amount)
    s = str(amount)
    dot = s.find(".")
    if "E" not in s and ((0 < dot == len(s) - places - 1) if places else dot < 0):
        return s
    return str(amount.quantize(QUANTUM[places], context=WIDE))


def rate_text(rate: Decimal) -> str:
    return format(rate.normalize(WIDE), "f")


def _posting_json(account: str, amt: str, commodity: str, conv: str) -> str:
    return f'{{"account":"{account}","amount":"{amt}","commodity":"{commodity}"{conv}}}'


def _conversion_json(c: Conversion) -> str:
    return (
        f',"conversion":{{"amount":"{amount_text(c.amount, c.commodity)}",'
        f'"commodity":{encode_basestring(str(c.commodity))},"date":"{c.date.isoformat()}","rate":"{rate_text(c.rate)}"}}'
    )


def _txn_json(txn: Transaction, postings: list[str]) -> bytes:
    rev = "" if txn.reverses is None else f',"reverses":{encode_basestring(txn.reverses)}'
    return (
        f'{{"date":"{txn.date.isoformat()}","id":{encode_basestring(txn.id)},"narration":{encode_basestring(txn.narration)},'
        f'"postings":[{",".join(postings)}]{rev}}}'
    ).encode("utf-8", "surrogatepass")


def canonical(txn: Transaction) -> bytes:
    """The transaction's canonical JSON (what the chain hashes), for any transaction, valid or not."""
    return _txn_json(
        txn,
        [
            _posting_json(
                encode_basestring(str(p.account))[1:-1],
                amount_text(p.amount, p.commodity) if isinstance(p.amount, Decimal) else str(p.amount),
                encode_basestring(str(p.commodity))[1:-1],
                "" if p.conversion is None else _conversion_json(p.conversion),
            )
            for p in txn.postings
        ],
    )


def chain_hash(prev: str, canon: bytes) -> str:
    return hashlib.sha256(prev.encode("ascii") + b"\n" + canon).hexdigest()


def chain(transactions: list[Transaction] | tuple[Transaction, ...]) -> list[str]:
    """Every transaction's hash, recomputed from the transactions alone, from genesis."""
    hashes, prev = [], GENESIS
    for txn in transactions:
        prev = chain_hash(prev, canonical(txn))
        hashes.append(prev)
    return hashes


def refuse(code: str, message: str) -> LedgerError:
    return LedgerError(code, message)


def check_amount(amount: Any, commodity: str, what: str) -> str:
    """The amount's canonical text, or a refusal."""
    places = PLACES.get(commodity)
    if places is None:
        raise refuse("unknown_commodity", f"{what}: unknown commodity {commodity!r} (see docs/ledger.md)")
    if type(amount) is not Decimal or not amount.is_finite():
        raise refuse("bad_amount", f"{what}: an amount is a finite Decimal, never a float")
    if not amount:
        raise refuse("bad_amount", f"{what}: an amount of zero")
    if not -MAX_AMOUNT < amount < MAX_AMOUNT:
        raise refuse("bad_amount", f"{what}: {amount} is beyond the largest amount, {MAX_AMOUNT:,}")
    s = str(amount)
    dot = s.find(".")
    if "E" not in s and ((0 < dot == len(s) - places - 1) if places else dot < 0):
        return s
    try:
        return str(amount.quantize(QUANTUM[places], context=EXACT))
    except (Inexact, InvalidOperation):
        raise refuse("precision", f"{what}: {amount} {commodity} has more than {places} decimal places") from None


def _check_conversion(c: Any, amount: Decimal, commodity: str, what: str) -> bool:
    """Refuses a bad conversion; True if its amount and rate are written canonically."""
    if type(c) is not Conversion:
        raise refuse("bad_rate", f"{what}: a conversion is a Conversion")
    check_amount(c.amount, c.commodity, f"{what}, original amount")
    rate = c.rate
    if type(rate) is not Decimal or not rate.is_finite():
        raise refuse("bad_rate", f"{what}: a rate is a finite Decimal")
    if not rate:
        raise refuse("zero_rate", f"{what}: a rate of zero")
    if rate < 0 or rate >= MAX_RATE:
        raise refuse("bad_rate", f"{what}: a rate is positive and below {MAX_RATE:,}")
    try:
        rate.quantize(QUANTUM[RATE_PLACES], context=EXACT)
    except (Inexact, InvalidOperation):
        raise refuse("bad_rate", f"{what}: a rate has at most {RATE_PLACES} decimal places") from None
    if type(c.date) is not dt.date:
        raise refuse("bad_rate", f"{what}: a rate's date is a date")
    if c.commodity == commodity:
        raise refuse("bad_rate", f"{what}: a conversion from {commodity} to itself")
    if (c.amount > 0) != (amount > 0):
        raise refuse("bad_rate", f"{what}: the original amount has the posting's sign")
    if WIDE.multiply(WIDE.abs(WIDE.subtract(amount, WIDE.multiply(c.amount, rate))), 2) > QUANTUM[PLACES[commodity]]:
        raise refuse(
            "rate_mismatch", f"{what}: {c.amount} {c.commodity} x {rate_text(rate)} is not {amount} {commodity}"
        )
    return str(c.amount) == amount_text(c.amount, c.commodity) and str(rate) == rate_text(rate)


def validate(book: Any, txn: Any) -> tuple[bytes, tuple[str, ...]]:
    """Every rule for one transaction against the ledger's book (its ``accounts``, ``index``,
    ``txns``, ``reversed_by``): if it passes, its canonical JSON and the circles it touches, else
    LedgerError."""
    try:
        return _validate(book, txn)
    except TypeError as e:  # a field of the wrong type (msgspec structs do not check on construction)
        raise refuse("bad_transaction", f"a field has the wrong type: {e}") from None


def _validate(book: Any, txn: Any) -> tuple[bytes, tuple[str, ...]]:
    if type(txn) is not Transaction:
        raise refuse("bad_transaction", "not a Transaction")
    if type(txn.id) is not str or not TXN_ID.match(txn.id):
        raise refuse("bad_id", "a transaction id is 1-64 letters, digits, '.', '_', ':' or '-'")
    if txn.id in book.index:
        raise refuse("duplicate_id", f"transaction {txn.id} is already in the ledger")
    date = txn.date
    if type(date) is not dt.date:
        raise refuse("bad_date", "a transaction's date is a datetime.date")
    narration = txn.narration
    if type(narration) is not str or not narration.strip():
        raise refuse("empty_narration", "a transaction says what it is (a narration)")
    if len(narration) > MAX_NARRATION or _CONTROL.search(narration):
        raise refuse("bad_narration", f"a narration is at most {MAX_NARRATION} characters, no control characters")
    postings = txn.postings
    if type(postings) is not tuple or len(postings) < 2:
        raise refuse("bad_transaction", "a transaction has a tuple of at least two postings")
    if len(postings) > MAX_POSTINGS:
        raise refuse("too_large", f"a transaction has at most {MAX_POSTINGS} postings")
    accounts = book.accounts
    per_circle: dict[tuple[str, str], Decimal] = {}
    mirrors: dict[tuple[Any, str], Decimal] | None = None
    normal = True  # every amount and rate already written in its canonical form
    for i, p in enumerate(postings):
        if type(p) is not Posting:
            raise refuse("bad_transaction", f"posting {i + 1} is not a Posting")
        name = p.account
        a = accounts.get(name)
        if a is None:
            try:
                parse_account(name)
            except AccountError as e:
                raise refuse("bad_account", f"posting {i + 1}: {e}") from None
            raise refuse("unknown_account", f"posting {i + 1}: {name} is not open")
        if date < a.date:
            raise refuse("not_open", f"posting {i + 1}: {name} opens on {a.date}, after {date}")
        c = p.commodity
        amount = p.amount
        places = PLACES.get(c)
        # The common case inline (a Decimal written with its commodity's places); the rest, and
        # every refusal, in check_amount.
        if places is not None and type(amount) is Decimal and amount.is_finite() and -MAX_AMOUNT < amount < MAX_AMOUNT:
            text = str(amount)
            dot = text.find(".")
            if not amount or "E" in text or (not 0 < dot == len(text) - places - 1 if places else dot >= 0):
                check_amount(amount, c, f"posting {i + 1}")
                normal = False
        else:
            check_amount(amount, c, f"posting {i + 1}")
            normal = False
        if p.conversion is not None and not _check_conversion(p.conversion, amount, c, f"posting {i + 1}"):
            normal = False
        key = (a.circle, c)
        per_circle[key] = per_circle.get(key, ZERO) + amount
        if a.mirror is not None:
            mirrors = mirrors or {}
            mkey = (a.mirror, c)
            mirrors[mkey] = mirrors.get(mkey, ZERO) + amount
    sums: dict[str, Decimal] = {}
    for (_, c), total in per_circle.items():
        sums[c] = sums.get(c, ZERO) + total
    for c, total in sums.items():
        if total:
            raise refuse("unbalanced", f"the postings in {c} sum to {total}, not zero")
    for (circle, c), total in per_circle.items():
        if total:
            raise refuse(
                "unbalanced_circle", f"{circle}'s postings in {c} sum to {total}: between circles use DueTo/Receivable"
            )
    for ((pledger, pledgee), c), total in (mirrors or {}).items():
        if total:
            raise refuse(
                "unmirrored",
                f"{pledger}'s DueTo:{pledgee} and {pledgee}'s Receivable:{pledger} move differently in {c}",
            )
    if txn.reverses is not None:
        _check_reversal(book, txn)
    # msgspec writes the documented form (sorted keys, options left out, Decimal as its text) of a
    # transaction whose amounts and rates are canonical already; canonical() is the same, slower.
    return _encode(txn if normal else _normalized(txn)), tuple({circle for circle, _ in per_circle})


_encode = msgspec.json.Encoder(order="sorted", decimal_format="string").encode


def _normalized(txn: Transaction) -> Transaction:
    """The same transaction with every amount and rate in its canonical written form."""
    postings = []
    for p in txn.postings:
        c = p.conversion
        if c is not None:
            c = Conversion(Decimal(amount_text(c.amount, c.commodity)), c.commodity, Decimal(rate_text(c.rate)), c.date)
        postings.append(Posting(p.account, Decimal(amount_text(p.amount, p.commodity)), p.commodity, c))
    return Transaction(txn.id, txn.date, txn.narration, tuple(postings), txn.reverses)


def _reversal_key(postings: tuple[Posting, ...], sign: int) -> list[tuple[Any, ...]]:
    keys = []
    for p in postings:
        c = p.conversion
        conv = () if c is None else (sign * c.amount, c.commodity, c.rate, c.date)
        keys.append((p.account, p.commodity, sign * p.amount, conv))
    return sorted(keys)


def _check_reversal(book: Any, txn: Transaction) -> None:
    pos = book.index.get(txn.reverses) if type(txn.reverses) is str else None
    if pos is None:
        raise refuse("unknown_transaction", f"transaction {txn.reverses!r} is not in the ledger")
    original = book.txns[pos]
    if original.reverses is not None:
        raise refuse("bad_reversal", f"{original.id} is a reversal: post the corrected transaction again instead")
    if original.id in book.reversed_by:
        raise refuse("already_reversed", f"{original.id} was reversed by {book.reversed_by[original.id]}")
    if _reversal_key(txn.postings, 1) != _reversal_key(original.postings, -1):
        raise refuse("bad_reversal", f"a reversal of {original.id} negates each of its postings exactly")
