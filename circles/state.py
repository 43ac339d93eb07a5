"""A network's state and ``evolve``: a fold of its log (circles/events.py), nothing else.

Frozen dataclasses with FrozenDict maps, and the ledger as an immutable value (circles/ledger.py):
folding ``transaction_posted`` posts the stored transaction again, so a replay re-checks every
rule and recomputes the hash chain (a stored hash that differs is kept in ``chain_breaks`` for
the integrity page, never silently accepted).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from circles import events as E
from circles.definition import CircleDef, NetworkDef, pair_id, parse_network
from circles.ledger import Ledger
from circles.transactions import LedgerError, Transaction
from mayday.frozen import EMPTY, FrozenDict

# Accounts open from this date, so that income dated before a circle joined can be recorded.
BOOKS_OPEN = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class PairState:
    id: str
    a: str
    b: str
    adversary: str
    link: str
    settle_days: int
    since: str  # when it was made (ISO)
    assembly: str = ""  # the pair's joint assembly, where disputes go to a ballot

    def other(self, circle: str) -> str:
        return self.b if circle == self.a else self.a


@dataclass(frozen=True)
class Pledge:
    circle: str
    twin: str
    shares: FrozenDict[str, Decimal]  # resource (money, DAYS, HOURS, REACH) -> share
    version: int
    at: str


@dataclass(frozen=True)
class Dispatch:
    id: int
    circle: str
    twin: str
    text: str
    language: str
    stream: str
    at: str
    translations: FrozenDict[str, tuple[str, str]] = EMPTY  # language -> (text, "human" | "machine")


@dataclass(frozen=True)
class Visibility:
    share_with: tuple[str, ...] = ()
    public: bool = False


@dataclass(frozen=True)
class Risk:
    id: int
    circle: str
    kind: str
    estimate: Decimal
    commodity: str
    people: int
    note: str


@dataclass(frozen=True)
class Claim:
    id: int
    action: int
    circle: str  # who claims
    twin: str  # who is asked to cover
    kind: str
    amount: Decimal
    commodity: str
    what: str
    evidence: str
    at: str
    status: str = "filed"  # filed | approved | disputed | rejected (by the joint assembly)
    txn: str | None = None  # the cover transaction, once approved
    reason: str = ""
    ballot: tuple[str, str] | None = None  # (assembly, demand id) a dispute was put to


@dataclass(frozen=True)
class RedLine:
    """One red line and its versions: ``history`` is (version, text, at) oldest first; ``author``
    and ``circle`` are None for an anonymous one."""

    id: int
    text: str
    language: str
    author: str | None
    circle: str | None
    key_hash: str
    at: str
    version: int = 1
    history: tuple[tuple[int, str, str], ...] = ()
    withdrawn: str | None = None  # when its writer withdrew it
    translations: FrozenDict[str, tuple[str, str, int, str]] = EMPTY  # language -> (text, how, version, by)


@dataclass(frozen=True)
class Proceed:
    by: str
    name: str
    reason: str
    missing: tuple[str, ...]
    at: str


@dataclass(frozen=True)
class Action:
    """A joint action's figures: each crew's risks and each pair's cover. ``version`` moves on
    with every change of them, and acceptances (and communique translations) of an older version
    are stale."""

    id: int
    name: str
    circles: tuple[str, ...]
    relay: str
    date: str
    default_cover: Decimal
    by: str
    at: str
    risks: FrozenDict[int, Risk] = EMPTY
    cover: FrozenDict[tuple[str, str], Decimal] = EMPTY  # (circle, twin) -> share of twin's fallout
    version: int = 1
    accepted: FrozenDict[str, int] = EMPTY  # circle -> the version it accepted
    translations: FrozenDict[str, tuple[str, int, str]] = EMPTY  # language -> (text, version, by)
    risk_count: int = 0
    sites: FrozenDict[str, str] = EMPTY  # the relay's site -> circle
    red_lines: FrozenDict[int, RedLine] = EMPTY
    audit: int = 0  # the risk audit's version: moves with every red line named, changed, withdrawn
    acknowledged: FrozenDict[str, int] = EMPTY  # circle -> the audit version it acknowledged
    proceeded: Proceed | None = None

    def cover_of(self, circle: str, twin: str) -> Decimal:
        return self.cover.get((circle, twin), self.default_cover)

    def pairs(self, state: NetworkState) -> list[PairState]:
        inside = set(self.circles)
        return [p for p in state.pairs.values() if p.a in inside and p.b in inside]


@dataclass(frozen=True)
class Adopted:
    circle: str
    country: str
    date: dt.date
    outcome: str
    learned_from: str
    by: str
    at: str


@dataclass(frozen=True)
class Tactic:
    id: str
    name: str
    description: str
    language: str
    origin_circle: str
    origin_country: str
    origin_date: dt.date
    by: str
    at: str
    translations: FrozenDict[str, tuple[str, str, str]] = EMPTY  # language -> (name, description, how)
    adoptions: FrozenDict[str, Adopted] = EMPTY  # circle -> its adoption (once per circle)


@dataclass(frozen=True)
class Indicator:
    id: int
    kind: str
    date: dt.date
    country: str
    host: str
    guest: str
    source: str
    note: str
    by: str
    at: str


@dataclass(frozen=True)
class NetworkState:
    network_id: str | None = None
    name: str = ""
    created_at: str = ""
    circles: FrozenDict[str, CircleDef] = EMPTY
    pairs: FrozenDict[str, PairState] = EMPTY
    pledges: FrozenDict[tuple[str, str], Pledge] = EMPTY  # (circle, twin) -> its current pledge
    ledger: Ledger = field(default_factory=Ledger)
    kinds: FrozenDict[str, str] = EMPTY  # transaction id -> kind (tithe, delivery, ...)
    recorded_by: FrozenDict[str, str] = EMPTY  # transaction id -> the circle that recorded it
    hashes: tuple[str, ...] = ()  # as stored with each transaction, in order
    visibility: FrozenDict[str, Visibility] = EMPTY
    dispatches: FrozenDict[int, Dispatch] = EMPTY
    link_versions: FrozenDict[str, int] = EMPTY  # circle -> key version of its links
    actions: FrozenDict[int, Action] = EMPTY
    claims: FrozenDict[int, Claim] = EMPTY
    replay_problems: tuple[str, ...] = ()  # stored transactions the ledger refused on replay
    tactics: FrozenDict[str, Tactic] = EMPTY
    indicators: tuple[Indicator, ...] = ()

    @property
    def created(self) -> bool:
        return self.network_id is not None

    def link_version(self, circle: str) -> int:
        return self.link_versions.get(circle, 0)

    def twins(self, circle: str) -> list[str]:
        return sorted(p.other(circle) for p in self.pairs.values() if circle in (p.a, p.b))

    def pair_of(self, a: str, b: str) -> PairState | None:
        return self.pairs.get(pair_id(a, b))

    def pledged(self) -> set[tuple[str, str]]:
        return set(self.pledges)


def _add_circle(s: NetworkState, c: CircleDef) -> NetworkState:
    return replace(s, circles=s.circles.put(c.id, c), ledger=s.ledger.open_circle(c.id, BOOKS_OPEN))


def _add_pair(s: NetworkState, p: PairState) -> NetworkState:
    ledger = s.ledger.open_pledge(p.a, p.b, BOOKS_OPEN).open_pledge(p.b, p.a, BOOKS_OPEN)
    return replace(s, pairs=s.pairs.put(p.id, p), ledger=ledger)


def _pledge(s: NetworkState, e: E.PledgeSet) -> NetworkState:
    shares: FrozenDict[str, Decimal] = FrozenDict({k: Decimal(v) for k, v in e.shares.items()})
    return replace(s, pledges=s.pledges.put((e.circle, e.twin), Pledge(e.circle, e.twin, shares, e.version, e.at)))


def evolve(state: NetworkState, type_: str, data: dict[str, Any]) -> NetworkState:
    """The state after one stored event (unknown types are skipped: an older server replays a newer log)."""
    match E.decode(type_, data):
        case E.NetworkCreated(network=network, definition=definition, at=at):
            d: NetworkDef = parse_network(definition)
            s = replace(state, network_id=network, name=d.name, created_at=at)
            for c in d.circles:
                s = _add_circle(s, c)
            for p in d.pairs:
                a, b = sorted(p.circles)
                s = _add_pair(s, PairState(p.id, a, b, p.adversary, p.link, p.settle_days, at))
                for circle, twin in ((a, b), (b, a)):
                    shares = {
                        "money": str(p.pledge),
                        "DAYS": str(p.pledge),
                        "HOURS": str(p.pledge),
                        "REACH": str(p.pledge),
                    }
                    s = _pledge(s, E.PledgeSet(circle=circle, twin=twin, shares=shares, version=1, at=at))
            return s
        case E.CircleAdded(circle=circle):
            return _add_circle(state, parse_network({"name": "-", "circles": [circle]}).circles[0])
        case E.PairMade() as e:
            return _add_pair(state, PairState(e.pair, e.a, e.b, e.adversary, e.link, e.settle_days, e.at))
        case E.PledgeSet() as e:
            return _pledge(state, e)
        case E.TransactionPosted(kind=kind, by=by, txn=txn, hash=stored):
            try:
                t = Transaction.from_data(txn)
                ledger = state.ledger.post(t)
            except LedgerError as e:
                # Accepted when it was appended, refused now (a rule changed, the log was edited):
                # the fold never fails, and the integrity page says which one and why.
                problem = f"{txn.get('id') if isinstance(txn, dict) else '?'}: {e.code}"
                return replace(state, replay_problems=(*state.replay_problems, problem))
            return replace(
                state,
                ledger=ledger,
                kinds=state.kinds.put(t.id, kind),
                recorded_by=state.recorded_by.put(t.id, by),
                hashes=(*state.hashes, stored),
            )
        case E.VisibilitySet(circle=circle, share_with=share_with, public=public):
            return replace(state, visibility=state.visibility.put(circle, Visibility(tuple(share_with), public)))
        case E.DispatchPosted() as e:
            d2 = Dispatch(e.id, e.circle, e.twin, e.text, e.language, e.stream, e.at)
            return replace(state, dispatches=state.dispatches.put(e.id, d2))
        case E.DispatchTranslated(dispatch=did, language=language, text=text, how=how):
            old = state.dispatches[did]
            new = replace(old, translations=old.translations.put(language, (text, how)))
            return replace(state, dispatches=state.dispatches.put(did, new))
        case E.LinksRotated(circle=circle, version=version):
            return replace(state, link_versions=state.link_versions.put(circle, version))
        case E.ActionOpened() as e:
            a = Action(e.id, e.name, tuple(e.circles), e.relay, e.date, Decimal(e.cover), e.by, e.at)
            a = replace(a, sites=FrozenDict(e.sites))
            return replace(state, actions=state.actions.put(a.id, a))
        case E.RiskDeclared() as e:
            a = state.actions[e.action]
            risk = Risk(e.id, e.circle, e.kind, Decimal(e.estimate), e.commodity, e.people, e.note)
            a = replace(a, risks=a.risks.put(e.id, risk), version=e.version, risk_count=max(a.risk_count, e.id))
            return replace(state, actions=state.actions.put(a.id, a))
        case E.RiskWithdrawn() as e:
            a = state.actions[e.action]
            a = replace(a, risks=a.risks.without(e.risk), version=e.version)
            return replace(state, actions=state.actions.put(a.id, a))
        case E.CoverSet() as e:
            a = state.actions[e.action]
            a = replace(a, cover=a.cover.put((e.circle, e.twin), Decimal(e.share)), version=e.version)
            return replace(state, actions=state.actions.put(a.id, a))
        case E.FiguresAccepted() as e:
            a = state.actions[e.action]
            a = replace(a, accepted=a.accepted.put(e.circle, e.version))
            return replace(state, actions=state.actions.put(a.id, a))
        case E.CommuniqueTranslated() as e:
            a = state.actions[e.action]
            a = replace(a, translations=a.translations.put(e.language, (e.text, e.version, e.by)))
            return replace(state, actions=state.actions.put(a.id, a))
        case E.ClaimFiled() as e:
            c = Claim(
                e.id, e.action, e.circle, e.twin, e.kind, Decimal(e.amount), e.commodity, e.what, e.evidence, e.at
            )
            return replace(state, claims=state.claims.put(c.id, c))
        case E.ClaimApproved() as e:
            c = replace(state.claims[e.claim], status="approved", txn=e.txn)
            return replace(state, claims=state.claims.put(c.id, c))
        case E.JointAssemblySet(pair=pid, assembly=assembly):
            return replace(state, pairs=state.pairs.put(pid, replace(state.pairs[pid], assembly=assembly)))
        case E.ClaimPutToBallot(claim=cid, assembly=assembly, text=text):
            c = replace(state.claims[cid], ballot=(assembly, text))
            return replace(state, claims=state.claims.put(cid, c))
        case E.ClaimResolved(claim=cid, outcome=outcome, txn=txn):
            c = replace(state.claims[cid], status=outcome, txn=txn or None)
            return replace(state, claims=state.claims.put(cid, c))
        case E.ClaimDisputed() as e:
            c = replace(state.claims[e.claim], status="disputed", reason=e.reason)
            return replace(state, claims=state.claims.put(c.id, c))
        case E.RedLineNamed() as e:
            a = state.actions[e.action]
            line = RedLine(e.id, e.text, e.language, e.author, e.circle, e.key_hash, e.at, 1, ((1, e.text, e.at),))
            return _action(state, replace(a, red_lines=a.red_lines.put(e.id, line), audit=e.audit))
        case E.RedLineChanged() as e:
            a = state.actions[e.action]
            old = a.red_lines[e.line]
            line = replace(old, text=e.text, version=e.version, history=(*old.history, (e.version, e.text, e.at)))
            return _action(state, replace(a, red_lines=a.red_lines.put(e.line, line), audit=e.audit))
        case E.RedLineWithdrawn() as e:
            a = state.actions[e.action]
            line = replace(a.red_lines[e.line], withdrawn=e.at)
            return _action(state, replace(a, red_lines=a.red_lines.put(e.line, line), audit=e.audit))
        case E.RedLineTranslated() as e:
            a = state.actions[e.action]
            old = a.red_lines[e.line]
            line = replace(old, translations=old.translations.put(e.language, (e.text, e.how, e.version, e.by)))
            return _action(state, replace(a, red_lines=a.red_lines.put(e.line, line)))
        case E.RedLinesAcknowledged() as e:
            a = state.actions[e.action]
            return _action(state, replace(a, acknowledged=a.acknowledged.put(e.circle, e.audit)))
        case E.ProceededAnyway() as e:
            a = state.actions[e.action]
            return _action(state, replace(a, proceeded=Proceed(e.by, e.name, e.reason, tuple(e.missing), e.at)))
        case E.TacticRegistered() as e:
            t = Tactic(
                e.id, e.name, e.description, e.language, e.origin_circle, e.origin_country,
                dt.date.fromisoformat(e.origin_date), e.by, e.at,
            )  # fmt: skip
            return replace(state, tactics=state.tactics.put(t.id, t))
        case E.TacticTranslated() as e:
            t = state.tactics[e.tactic]
            t = replace(t, translations=t.translations.put(e.language, (e.name, e.description, e.how)))
            return replace(state, tactics=state.tactics.put(t.id, t))
        case E.AdoptionRecorded() as e:
            t = state.tactics[e.tactic]
            adopted = Adopted(e.circle, e.country, dt.date.fromisoformat(e.date), e.outcome, e.learned_from, e.by, e.at)
            t = replace(t, adoptions=t.adoptions.put(e.circle, adopted))
            return replace(state, tactics=state.tactics.put(t.id, t))
        case E.IndicatorRecorded() as e:
            i = Indicator(
                e.id, e.kind, dt.date.fromisoformat(e.date), e.country, e.host, e.guest, e.source, e.note, e.by, e.at
            )
            return replace(state, indicators=(*state.indicators, i))
        case _:
            return state


def _action(state: NetworkState, a: Action) -> NetworkState:
    return replace(state, actions=state.actions.put(a.id, a))


def next_deadline(state: NetworkState) -> dt.datetime | None:
    """A network has no timed changes: overdue pledges are read at ``now``, never written."""
    return None
