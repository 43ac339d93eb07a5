"""A network's events: one small frozen class per event type, the only things its log holds
(docs/protocol.md "Circles"). ``data`` is exactly what is stored; ``decode(type, data)`` reads it
back (unknown types give None, unknown fields are ignored).

A ledger transaction is stored whole in ``transaction_posted`` (amounts as decimal text) with the
hash the chain gave it, so a replay recomputes the chain and compares. What leaves the server on
the event stream is less: ``outward`` strips amounts (docs/ledger.md "Who sees what").
"""

from __future__ import annotations

from typing import Any

from mayday.events import Event, Registry


class NetworkCreated(Event, frozen=True):
    type = "network_created"
    network: str
    definition: dict[str, Any]
    at: str


class CircleAdded(Event, frozen=True):
    type = "circle_added"
    circle: dict[str, Any]  # circles.definition.CircleDef as JSON
    at: str


class PairMade(Event, frozen=True):
    type = "pair_made"
    pair: str  # "a~b", the circle ids in order
    a: str
    b: str
    adversary: str
    link: str
    settle_days: int
    at: str


class PledgeSet(Event, frozen=True):
    """``circle``'s pledge to ``twin``, version ``version`` (1 is the pair's opening pledge)."""

    type = "pledge_set"
    circle: str
    twin: str
    shares: dict[str, str]  # resource -> share as decimal text
    version: int
    at: str


class TransactionPosted(Event, frozen=True):
    type = "transaction_posted"
    kind: str  # tithe | delivery | exchange | reversal
    by: str  # the circle that recorded it
    txn: dict[str, Any]  # circles.transactions.Transaction.to_data()
    hash: str
    at: str


class VisibilitySet(Event, frozen=True):
    type = "visibility_set"
    circle: str
    share_with: list[str]
    public: bool
    at: str


class DispatchPosted(Event, frozen=True):
    type = "dispatch_posted"
    id: int
    circle: str
    twin: str
    text: str
    language: str
    stream: str
    at: str


class DispatchTranslated(Event, frozen=True):
    type = "dispatch_translated"
    dispatch: int
    language: str
    text: str
    how: str  # human | machine
    by: str
    at: str


class LinksRotated(Event, frozen=True):
    type = "links_rotated"
    circle: str
    version: int
    at: str


EVENTS = Registry(
    [
        NetworkCreated,
        CircleAdded,
        PairMade,
        PledgeSet,
        TransactionPosted,
        VisibilitySet,
        DispatchPosted,
        DispatchTranslated,
        LinksRotated,
    ]
)


def decode(type_: str, data: dict[str, Any]) -> Any:
    return EVENTS.decode(type_, data)


def outward(type_: str, data: dict[str, Any]) -> dict[str, Any]:
    """What the event stream carries of an event: everything but a transaction's amounts, which
    only the REST views give, to whom may see them. A page learns that a transaction was posted
    (its id, kind, who recorded it, which circles it touches, the chain's hash) and reads again
    what its reader may see."""
    if type_ != TransactionPosted.type:
        return data
    txn = data["txn"]
    circles = sorted({p["account"].split(":")[2].lower() for p in txn["postings"]})
    return {
        "kind": data["kind"],
        "by": data["by"],
        "id": txn["id"],
        "circles": circles,
        "hash": data["hash"],
        "at": data["at"],
    }
