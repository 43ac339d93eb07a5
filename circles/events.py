"""A network's events: one small frozen class per event type, the only things its log holds
(docs/protocol.md "Circles"). ``data`` is exactly what is stored; ``decode(type, data)`` reads it
back (unknown types give None, unknown fields are ignored).

A ledger transaction is stored whole in ``transaction_posted`` (amounts as decimal text) with the
hash the chain gave it, so a replay recomputes the chain and compares. What leaves the server on
the event stream is less: ``outward`` strips amounts (docs/ledger.md "Who sees what").
"""

from __future__ import annotations

from typing import Any

import msgspec

from circles.chart import circle_id
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


class ActionOpened(Event, frozen=True):
    type = "action_opened"
    id: int
    name: str
    circles: list[str]
    relay: str
    date: str
    cover: str  # each pair's default cover share, decimal text
    by: str  # the circle (or "coordinator") that opened it
    at: str
    sites: dict[str, str] = msgspec.field(default_factory=dict)  # the relay's site -> the circle whose leg it is


class RiskDeclared(Event, frozen=True):
    type = "risk_declared"
    action: int
    id: int
    circle: str
    kind: str
    estimate: str
    commodity: str
    people: int
    note: str
    version: int  # the action's figures' version after this change
    at: str


class RiskWithdrawn(Event, frozen=True):
    type = "risk_withdrawn"
    action: int
    risk: int
    version: int
    at: str


class CoverSet(Event, frozen=True):
    type = "cover_set"
    action: int
    circle: str
    twin: str
    share: str
    version: int
    at: str


class FiguresAccepted(Event, frozen=True):
    type = "figures_accepted"
    action: int
    circle: str
    version: int
    at: str


class CommuniqueTranslated(Event, frozen=True):
    type = "communique_translated"
    action: int
    language: str
    text: str
    version: int  # the figures' version it translates (older than the action's: stale)
    by: str
    at: str


class ClaimFiled(Event, frozen=True):
    type = "claim_filed"
    id: int
    action: int
    circle: str
    twin: str
    kind: str
    amount: str
    commodity: str
    what: str
    evidence: str
    at: str


class ClaimApproved(Event, frozen=True):
    type = "claim_approved"
    claim: int
    txn: str  # the cover transaction it posted (in the same append)
    at: str


class ClaimDisputed(Event, frozen=True):
    type = "claim_disputed"
    claim: int
    reason: str
    at: str


class JointAssemblySet(Event, frozen=True):
    type = "joint_assembly_set"
    pair: str
    assembly: str
    at: str


class ClaimPutToBallot(Event, frozen=True):
    type = "claim_put_to_ballot"
    claim: int
    assembly: str
    text: str  # the demand's id in that assembly
    at: str


class ClaimResolved(Event, frozen=True):
    type = "claim_resolved"
    claim: int
    outcome: str  # approved | rejected (by the joint assembly's ballot)
    txn: str  # the cover transaction when approved, else ""
    at: str


# Risk audits: red lines -----------------------------------------------------------------------


class RedLineNamed(Event, frozen=True):
    """A red line of the action's risk audit. An anonymous one has no ``author`` and no
    ``circle``: nobody, the chair included, can read who wrote it from the log."""

    type = "red_line_named"
    action: int
    id: int
    text: str
    language: str
    author: str | None  # the name the writer chose to show; None: anonymous
    circle: str | None  # the writer's circle, shown with a named line only
    key_hash: str  # sha256 of the writer's key: only the writer can change or withdraw it
    audit: int  # the audit's version after this change
    at: str


class RedLineChanged(Event, frozen=True):
    type = "red_line_changed"
    action: int
    line: int
    text: str
    version: int  # the line's version after this change
    audit: int
    at: str


class RedLineWithdrawn(Event, frozen=True):
    type = "red_line_withdrawn"
    action: int
    line: int
    audit: int
    at: str


class RedLineTranslated(Event, frozen=True):
    type = "red_line_translated"
    action: int
    line: int
    language: str
    text: str
    how: str  # human | machine
    version: int  # the line's version it translates (older than the line's: stale)
    by: str  # the translating circle
    at: str


class RedLinesAcknowledged(Event, frozen=True):
    type = "red_lines_acknowledged"
    action: int
    circle: str
    audit: int  # the audit's version acknowledged (older than the audit's: stale)
    at: str


class ProceededAnyway(Event, frozen=True):
    """An organiser decided the action goes ahead not ready; ``missing``: what was not ready."""

    type = "proceeded_anyway"
    action: int
    by: str  # the circle whose link decided, or "coordinator"
    name: str  # the person who decided, as they signed
    reason: str
    missing: list[str]
    at: str


# Tactic diffusion -----------------------------------------------------------------------------


class TacticRegistered(Event, frozen=True):
    type = "tactic_registered"
    id: str
    name: str
    description: str
    language: str
    origin_circle: str
    origin_country: str
    origin_date: str
    by: str
    at: str


class TacticTranslated(Event, frozen=True):
    type = "tactic_translated"
    tactic: str
    language: str
    name: str
    description: str
    how: str
    by: str
    at: str


class AdoptionRecorded(Event, frozen=True):
    type = "adoption_recorded"
    tactic: str
    circle: str
    country: str
    date: str
    outcome: str
    learned_from: str  # "" when nobody taught it (or nobody knows)
    by: str
    at: str


class IndicatorRecorded(Event, frozen=True):
    type = "indicator_recorded"
    id: int
    kind: str  # residency | complaint
    date: str
    country: str
    host: str
    guest: str
    source: str
    note: str
    by: str
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
        ActionOpened,
        RiskDeclared,
        RiskWithdrawn,
        CoverSet,
        FiguresAccepted,
        CommuniqueTranslated,
        ClaimFiled,
        ClaimApproved,
        ClaimDisputed,
        JointAssemblySet,
        ClaimPutToBallot,
        ClaimResolved,
        RedLineNamed,
        RedLineChanged,
        RedLineWithdrawn,
        RedLineTranslated,
        RedLinesAcknowledged,
        ProceededAnyway,
        TacticRegistered,
        TacticTranslated,
        AdoptionRecorded,
        IndicatorRecorded,
    ]
)


def decode(type_: str, data: dict[str, Any]) -> Any:
    return EVENTS.decode(type_, data)


# Fields of other events that hold amounts (a crew's risk, a claim): left out on the stream too.
_PRIVATE = {
    RiskDeclared.type: ("estimate", "note"),
    ClaimFiled.type: ("amount", "what", "evidence"),
    ClaimDisputed.type: ("reason",),
    CommuniqueTranslated.type: ("text",),  # it states the estimates and the cover
    # A red line tells an employer what a worker will not risk: for the action's circles only.
    RedLineNamed.type: ("text", "author", "circle", "key_hash"),
    RedLineChanged.type: ("text",),
    RedLineTranslated.type: ("text",),
    # Who decided to go ahead anyway, and why: on the record for the action's circles (REST).
    ProceededAnyway.type: ("name", "reason"),
}


def outward(type_: str, data: dict[str, Any]) -> dict[str, Any]:
    """What the event stream carries of an event: everything but amounts (a transaction's, a
    risk's estimate, a claim's), which only the REST views give, to whom may see them. A page
    learns that something changed (a transaction's id, kind, who recorded it, which circles it
    touches, the chain's hash) and reads again what its reader may see."""
    hidden = _PRIVATE.get(type_)
    if hidden is not None:
        return {k: v for k, v in data.items() if k not in hidden}
    if type_ != TransactionPosted.type:
        return data
    txn = data["txn"]
    circles = sorted({circle_id(p["account"].split(":")[2]) for p in txn["postings"]})
    return {
        "kind": data["kind"],
        "by": data["by"],
        "id": txn["id"],
        "circles": circles,
        "hash": data["hash"],
        "at": data["at"],
    }
