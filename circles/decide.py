"""A network's one table: command class -> (roles that may send it, handler that decides it), the
handlers beside it, and ``parse_and_authorise`` for the shell. Pure: ``decide(state, command,
now)`` returns events or raises DomainError (nothing appended).

A circle link (role ``circle``) acts for its own circle only: ``circle`` on every command is
filled from the link. Members read; coordinators shape the network (circles, pairs, links).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec

from circles import commands as C
from circles import events as E
from circles import redlines, tactics
from circles.chart import account
from circles.commodities import is_money
from circles.definition import PairDef, check_circle, check_pair, network_to_json
from circles.entries import check_shares, cover, delivery, exchange, reversal, tithe
from circles.ledger import Ledger
from circles.rules import action_of as _action
from circles.rules import date_of as _date
from circles.rules import err as _err
from circles.rules import known_circle as _circle
from circles.rules import twin_of as _twin
from circles.state import NetworkState
from circles.transactions import Conversion, Transaction, check_amount
from circles.whatif import cover_due
from mayday.clock import iso
from mayday.definitions import SpecError
from mayday.errors import bad_request, forbidden
from mayday.links import Grant

COORDINATORS, CIRCLES = frozenset({C.COORDINATOR}), frozenset({C.CIRCLE})
PARTICIPANTS = frozenset({C.CIRCLE, C.MEMBER})  # a circle's links, its coordinator's and its members'
# Links that act for their own circle: ``circle`` on their commands is filled from the link.
ACTING_FOR_A_CIRCLE = PARTICIPANTS
SHELL = frozenset[str]()  # nobody: the shell sends it
MAX_DISPATCHES = 10_000
MAX_ACTIONS = 1000
MAX_RISKS = 500  # per action
MAX_CLAIMS = 10_000


def _next_txn(state: NetworkState) -> str:
    return f"t{len(state.ledger) + 1}"


def _posted(state: NetworkState, kind: str, by: str, txn: Transaction, now: dt.datetime) -> list[E.Event]:
    ledger: Ledger = state.ledger.post(txn)  # every rule of the ledger, and the chain's next hash
    head = ledger.head
    return [E.TransactionPosted(kind=kind, by=by, txn=txn.to_data(), hash=head, at=iso(now))]


def _share_for(state: NetworkState, circle: str, twin: str, commodity: str) -> Decimal:
    pledge = state.pledges.get((circle, twin))
    if pledge is None:
        return Decimal(0)
    return pledge.shares.get("money" if is_money(commodity) else commodity, Decimal(0))


# handlers ------------------------------------------------------------------------------------


def add_circle(state: NetworkState, c: C.AddCircle, now: dt.datetime) -> list[E.Event]:
    if not c.id or not c.name:
        raise _err("bad_circle", "a circle needs an id and a name")
    if c.id in state.circles:
        raise _err("circle_exists", f"{c.id!r} is already a circle of this network")
    try:
        check_circle(c.definition(), "circle")
    except SpecError as e:
        raise _err("bad_circle", str(e)) from None
    return [E.CircleAdded(circle=msgspec.to_builtins(c.definition()), at=iso(now))]


def pair(state: NetworkState, c: C.Pair, now: dt.datetime) -> list[E.Event]:
    p = PairDef((c.a, c.b), c.adversary, c.link, c.settle_days, c.pledge)
    try:
        check_pair(p, set(state.circles), "pair")
    except SpecError as e:
        raise _err("bad_pair", str(e)) from None
    if p.id in state.pairs:
        raise _err("already_twins", f"{c.a} and {c.b} are already twins")
    a, b = sorted(p.circles)
    at = iso(now)
    shares = {r: str(c.pledge) for r in C.RESOURCES}
    return [
        E.PairMade(pair=p.id, a=a, b=b, adversary=c.adversary, link=c.link, settle_days=c.settle_days, at=at),
        E.PledgeSet(circle=a, twin=b, shares=shares, version=1, at=at),
        E.PledgeSet(circle=b, twin=a, shares=shares, version=1, at=at),
    ]


def set_pledge(state: NetworkState, c: C.SetPledge, now: dt.datetime) -> list[E.Event]:
    _twin(state, c.circle, c.twin)
    if not c.shares:
        raise _err("bad_share", "name at least one resource and its share")
    check_shares({f"{r}": v for r, v in c.shares.items()})  # each 0..1 (not summed: one per resource)
    old = state.pledges[(c.circle, c.twin)]
    shares = {r: str(v) for r, v in old.shares.items()} | {r: str(v) for r, v in c.shares.items()}
    if shares == {r: str(v) for r, v in old.shares.items()}:
        return []
    return [E.PledgeSet(circle=c.circle, twin=c.twin, shares=shares, version=old.version + 1, at=iso(now))]


def record_income(state: NetworkState, c: C.RecordIncome, now: dt.datetime) -> list[E.Event]:
    day = _date(state, c.circle, c.date, now)
    shares = {t: _share_for(state, c.circle, t, c.commodity) for t in state.twins(c.circle)}
    conversion = None
    given = (c.original, c.original_commodity, c.rate)
    if any(v is not None for v in given):
        if not all(v is not None for v in given):
            raise _err("bad_conversion", "a converted amount needs original, original_commodity and rate")
        rate_date = _date(state, c.circle, c.rate_date or day, now, "rate's date")
        conversion = Conversion(c.original, c.original_commodity, c.rate, rate_date)  # type: ignore[arg-type]
    txn = tithe(
        id=_next_txn(state),
        date=day,
        narration=c.narration,
        circle=c.circle,
        source=c.source,
        amount=c.amount,
        commodity=c.commodity,
        shares=shares,
        conversion=conversion,
    )
    return _posted(state, "tithe", c.circle, txn, now)


def deliver(state: NetworkState, c: C.Deliver, now: dt.datetime) -> list[E.Event]:
    _twin(state, c.circle, c.twin)
    day = _date(state, c.circle, c.date, now)
    txn = delivery(
        id=_next_txn(state),
        date=day,
        narration=c.narration,
        circle=c.circle,
        twin=c.twin,
        amount=c.amount,
        commodity=c.commodity,
        source=c.source,
    )
    owed = state.ledger.balance(account(c.circle, "due_to", c.twin)).get(c.commodity, Decimal(0))
    if c.amount > -owed:
        raise _err("over_delivery", f"{c.circle} owes {c.twin} {-owed} {c.commodity}, less than {c.amount}")
    return _posted(state, "delivery", c.circle, txn, now)


def do_exchange(state: NetworkState, c: C.Exchange, now: dt.datetime) -> list[E.Event]:
    day = _date(state, c.circle, c.date, now)
    rate_date = _date(state, c.circle, c.rate_date or day, now, "rate's date")
    txn = exchange(
        id=_next_txn(state),
        date=day,
        narration=c.narration,
        circle=c.circle,
        sold=c.sold,
        sold_commodity=c.sold_commodity,
        bought=c.bought,
        bought_commodity=c.bought_commodity,
        rate=c.rate,
        rate_date=rate_date,
    )
    return _posted(state, "exchange", c.circle, txn, now)


def reverse(state: NetworkState, c: C.Reverse, now: dt.datetime) -> list[E.Event]:
    original = state.ledger.transaction(c.txn)
    if original is None:
        raise _err("unknown_transaction", f"no transaction {c.txn!r}")
    if state.recorded_by.get(c.txn) != c.circle:
        raise _err("not_yours", f"{c.txn} was recorded by {state.recorded_by.get(c.txn)}; only they correct it")
    day = _date(state, c.circle, c.date, now)
    txn = reversal(original, id=_next_txn(state), date=max(day, original.date), narration=c.narration)
    return _posted(state, "reversal", c.circle, txn, now)


def set_visibility(state: NetworkState, c: C.SetVisibility, now: dt.datetime) -> list[E.Event]:
    for other in c.share_with:
        _circle(state, other)
    share_with = sorted(set(c.share_with) - {c.circle})
    return [E.VisibilitySet(circle=c.circle, share_with=share_with, public=c.public, at=iso(now))]


def post_dispatch(state: NetworkState, c: C.PostDispatch, now: dt.datetime) -> list[E.Event]:
    _twin(state, c.circle, c.twin)
    if not c.text.strip():
        raise _err("empty_text", "the dispatch is empty")
    if len(state.dispatches) >= MAX_DISPATCHES:
        raise _err("too_many", f"a network keeps at most {MAX_DISPATCHES} dispatches")
    did = len(state.dispatches) + 1
    return [
        E.DispatchPosted(
            id=did, circle=c.circle, twin=c.twin, text=c.text.strip(), language=c.language, stream=c.stream, at=iso(now)
        )
    ]


def translate_dispatch(state: NetworkState, c: C.TranslateDispatch, now: dt.datetime) -> list[E.Event]:
    d = state.dispatches.get(c.dispatch)
    if d is None:
        raise _err("unknown_dispatch", f"no dispatch {c.dispatch}")
    if c.circle not in (d.circle, d.twin):
        raise _err("not_yours", "only the two circles of a dispatch translate it")
    if c.language == d.language:
        raise _err("same_language", f"the dispatch is written in {d.language}")
    if not c.text.strip():
        raise _err("empty_text", "the translation is empty")
    return [
        E.DispatchTranslated(
            dispatch=d.id, language=c.language, text=c.text.strip(), how=c.how, by=c.circle, at=iso(now)
        )
    ]


def rotate_links(state: NetworkState, c: C.RotateLinks, now: dt.datetime) -> list[E.Event]:
    _circle(state, c.target)
    return [E.LinksRotated(circle=c.target, version=state.link_version(c.target) + 1, at=iso(now))]


# joint actions and shared risk ----------------------------------------------------------------


def _share(value: Decimal, what: str) -> str:
    check_shares({what: value})
    return str(value)


def open_action(state: NetworkState, c: C.OpenAction, now: dt.datetime) -> list[E.Event]:
    circles = tuple(dict.fromkeys(c.circles))
    if len(circles) < 2:
        raise _err("bad_action", "a joint action has two or more circles")
    for circle in circles:
        _circle(state, circle)
        if not any(state.pair_of(circle, other) for other in circles if other != circle):
            raise _err("not_twins", f"{circle} has no twin among the action's circles")
    if c.circle and c.circle not in circles:
        raise _err("not_in_action", "a circle opens an action it takes part in")
    if c.sites and not c.relay:
        raise _err("bad_action", "sites map a relay's legs to circles: name the relay")
    if c.relay and c.relay_sites is None:
        raise _err("internal", "the shell reads the relay's sites before deciding")
    for site, circle in c.sites.items():
        if site not in (c.relay_sites or ()):
            raise _err("unknown_site", f"the relay has no site {site!r}")
        if circle not in circles:
            raise _err("not_in_action", f"{circle} (for site {site}) is not one of the action's circles")
    if len(state.actions) >= MAX_ACTIONS:
        raise _err("too_many", f"a network keeps at most {MAX_ACTIONS} actions")
    day = c.date.isoformat() if c.date else ""
    cover = _share(c.cover, "cover")
    return [
        E.ActionOpened(
            id=len(state.actions) + 1, name=c.name.strip(), circles=list(circles), relay=c.relay, date=day,
            cover=cover, by=c.circle or C.COORDINATOR, at=iso(now), sites=dict(c.sites),
        )
    ]  # fmt: skip


def declare_risk(state: NetworkState, c: C.DeclareRisk, now: dt.datetime) -> list[E.Event]:
    a = _action(state, c.action, c.circle)
    check_amount(c.estimate, c.commodity, "estimate")
    if c.estimate < 0:
        raise _err("bad_amount", "an estimate is positive")
    if len(a.risks) >= MAX_RISKS:
        raise _err("too_many", f"an action keeps at most {MAX_RISKS} risks")
    return [
        E.RiskDeclared(
            action=a.id, id=a.risk_count + 1, circle=c.circle, kind=c.kind, estimate=str(c.estimate),
            commodity=c.commodity, people=c.people, note=c.note, version=a.version + 1, at=iso(now),
        )
    ]  # fmt: skip


def withdraw_risk(state: NetworkState, c: C.WithdrawRisk, now: dt.datetime) -> list[E.Event]:
    a = _action(state, c.action, c.circle)
    risk = a.risks.get(c.risk)
    if risk is None or risk.circle != c.circle:
        raise _err("unknown_risk", f"{c.circle} declared no risk {c.risk} in this action")
    return [E.RiskWithdrawn(action=a.id, risk=c.risk, version=a.version + 1, at=iso(now))]


def set_cover(state: NetworkState, c: C.SetCover, now: dt.datetime) -> list[E.Event]:
    a = _action(state, c.action, c.circle)
    if c.twin not in a.circles or state.pair_of(c.circle, c.twin) is None:
        raise _err("not_twins", f"{c.twin} is not {c.circle}'s twin in this action")
    share = _share(c.share, "cover")
    if Decimal(share) == a.cover_of(c.circle, c.twin):
        return []
    return [E.CoverSet(action=a.id, circle=c.circle, twin=c.twin, share=share, version=a.version + 1, at=iso(now))]


def accept_figures(state: NetworkState, c: C.AcceptFigures, now: dt.datetime) -> list[E.Event]:
    a = _action(state, c.action, c.circle)
    if c.version != a.version:
        raise _err("stale_version", f"the figures are at version {a.version}; read them again before accepting")
    if a.accepted.get(c.circle) == a.version:
        return []
    return [E.FiguresAccepted(action=a.id, circle=c.circle, version=a.version, at=iso(now))]


def translate_communique(state: NetworkState, c: C.TranslateCommunique, now: dt.datetime) -> list[E.Event]:
    a = _action(state, c.action, c.circle)
    if c.version != a.version:
        raise _err("stale_version", f"the communique is at version {a.version}; translate that one")
    if not c.text.strip():
        raise _err("empty_text", "the translation is empty")
    return [
        E.CommuniqueTranslated(
            action=a.id, language=c.language, text=c.text.strip(), version=a.version, by=c.circle, at=iso(now)
        )
    ]


def _claimed(state: NetworkState, action: int, circle: str, twin: str, commodity: str) -> Decimal:
    return sum(
        (
            k.amount
            for k in state.claims.values()
            if (k.action, k.circle, k.twin, k.commodity) == (action, circle, twin, commodity) and k.status != "disputed"
        ),
        Decimal(0),
    )


def file_claim(state: NetworkState, c: C.FileClaim, now: dt.datetime) -> list[E.Event]:
    a = _action(state, c.action, c.circle)
    if c.twin not in a.circles or state.pair_of(c.circle, c.twin) is None:
        raise _err("not_twins", f"{c.twin} is not {c.circle}'s twin in this action")
    check_amount(c.amount, c.commodity, "amount")
    if c.amount < 0:
        raise _err("bad_amount", "a claim is a positive amount")
    room = cover_due(a, c.twin, c.circle, c.commodity) - _claimed(state, a.id, c.circle, c.twin, c.commodity)
    if c.amount > room:
        raise _err(
            "over_cover",
            f"{c.twin} pledged to cover {room} {c.commodity} more of {c.circle}'s declared fallout, "
            f"less than {c.amount}",
        )
    if len(state.claims) >= MAX_CLAIMS:
        raise _err("too_many", f"a network keeps at most {MAX_CLAIMS} claims")
    return [
        E.ClaimFiled(
            id=len(state.claims) + 1, action=a.id, circle=c.circle, twin=c.twin, kind=c.kind, amount=str(c.amount),
            commodity=c.commodity, what=c.what.strip(), evidence=c.evidence, at=iso(now),
        )
    ]  # fmt: skip


def _claim_for_twin(state: NetworkState, claim_id: int, circle: str) -> Any:
    k = state.claims.get(claim_id)
    if k is None:
        raise _err("unknown_claim", f"no claim {claim_id}")
    if k.twin != circle:
        raise _err("not_yours", f"claim {claim_id} is {k.twin}'s to approve or dispute")
    if k.status != "filed":
        raise _err("already_decided", f"claim {claim_id} is already {k.status}")
    return k


def approve_claim(state: NetworkState, c: C.ApproveClaim, now: dt.datetime) -> list[E.Event]:
    k = _claim_for_twin(state, c.claim, c.circle)
    txn = cover(
        id=_next_txn(state),
        date=_date(state, c.circle, None, now),
        narration=f"cover of claim {k.id}: {k.what}"[:500],
        circle=k.twin,
        twin=k.circle,
        amount=k.amount,
        commodity=k.commodity,
    )
    return [E.ClaimApproved(claim=k.id, txn=txn.id, at=iso(now)), *_posted(state, "cover", c.circle, txn, now)]


def dispute_claim(state: NetworkState, c: C.DisputeClaim, now: dt.datetime) -> list[E.Event]:
    k = _claim_for_twin(state, c.claim, c.circle)
    if not c.reason.strip():
        raise _err("empty_text", "say why the claim is disputed")
    return [E.ClaimDisputed(claim=k.id, reason=c.reason.strip(), at=iso(now))]


def set_joint_assembly(state: NetworkState, c: C.SetJointAssembly, now: dt.datetime) -> list[E.Event]:
    if c.pair not in state.pairs:
        raise _err("unknown_pair", f"no pair {c.pair!r}")
    if c.assembly_viewers is None:
        raise _err("internal", "the shell reads the assembly before deciding")
    if c.assembly_viewers != "link":
        # A dispute goes there with its amount and reasons: not for anyone who has the address.
        raise _err("public_assembly", "a joint assembly for disputes must be watched with a link (viewers: link)")
    return [E.JointAssemblySet(pair=c.pair, assembly=c.assembly, at=iso(now))]


def put_to_ballot(state: NetworkState, c: C.PutToBallot, now: dt.datetime) -> list[E.Event]:
    k = state.claims.get(c.claim)
    if k is None or k.status != "disputed" or k.ballot is not None:
        return []  # already put (by this process or another): nothing to do
    return [E.ClaimPutToBallot(claim=k.id, assembly=c.assembly, text=c.text, at=iso(now))]


def resolve_claim(state: NetworkState, c: C.ResolveClaim, now: dt.datetime) -> list[E.Event]:
    k = state.claims.get(c.claim)
    if k is None or k.status != "disputed" or k.ballot is None:
        return []  # resolved already, or never put to a ballot
    if c.outcome != "adopted":
        return [E.ClaimResolved(claim=k.id, outcome="rejected", txn="", at=iso(now))]
    txn = cover(
        id=_next_txn(state),
        date=_date(state, k.twin, None, now),
        narration=f"cover of claim {k.id}, approved by the joint assembly: {k.what}"[:500],
        circle=k.twin,
        twin=k.circle,
        amount=k.amount,
        commodity=k.commodity,
    )
    return [
        E.ClaimResolved(claim=k.id, outcome="approved", txn=txn.id, at=iso(now)),
        *_posted(state, "cover", k.twin, txn, now),
    ]


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]  # who may send it; a circle link acts for its own circle
    handler: Callable[[Any, Any, dt.datetime], Sequence[Any]]


TABLE: dict[type, Rule] = {
    C.AddCircle: Rule(COORDINATORS, add_circle),
    C.Pair: Rule(COORDINATORS, pair),
    C.RotateLinks: Rule(COORDINATORS, rotate_links),
    C.SetPledge: Rule(CIRCLES, set_pledge),
    C.RecordIncome: Rule(CIRCLES, record_income),
    C.Deliver: Rule(CIRCLES, deliver),
    C.Exchange: Rule(CIRCLES, do_exchange),
    C.Reverse: Rule(CIRCLES, reverse),
    C.SetVisibility: Rule(CIRCLES, set_visibility),
    C.PostDispatch: Rule(CIRCLES, post_dispatch),
    C.TranslateDispatch: Rule(CIRCLES, translate_dispatch),
    C.OpenAction: Rule(COORDINATORS | CIRCLES, open_action),
    C.DeclareRisk: Rule(CIRCLES, declare_risk),
    C.WithdrawRisk: Rule(CIRCLES, withdraw_risk),
    C.SetCover: Rule(CIRCLES, set_cover),
    C.AcceptFigures: Rule(CIRCLES, accept_figures),
    C.TranslateCommunique: Rule(CIRCLES, translate_communique),
    C.FileClaim: Rule(CIRCLES, file_claim),
    C.ApproveClaim: Rule(CIRCLES, approve_claim),
    C.DisputeClaim: Rule(CIRCLES, dispute_claim),
    C.SetJointAssembly: Rule(COORDINATORS, set_joint_assembly),
    C.NameRedLine: Rule(PARTICIPANTS, redlines.name_red_line),
    C.ChangeRedLine: Rule(PARTICIPANTS, redlines.change_red_line),
    C.WithdrawRedLine: Rule(PARTICIPANTS, redlines.withdraw_red_line),
    C.TranslateRedLine: Rule(COORDINATORS | PARTICIPANTS, redlines.translate_red_line),
    C.AcknowledgeRedLines: Rule(CIRCLES, redlines.acknowledge_red_lines),
    C.ProceedAnyway: Rule(COORDINATORS | CIRCLES, redlines.proceed_anyway),
    C.RegisterTactic: Rule(COORDINATORS | CIRCLES, tactics.register_tactic),
    C.TranslateTactic: Rule(COORDINATORS | PARTICIPANTS, tactics.translate_tactic),
    C.RecordAdoption: Rule(COORDINATORS | CIRCLES, tactics.record_adoption),
    C.RecordIndicator: Rule(COORDINATORS | CIRCLES, tactics.record_indicator),
    C.ImportTactics: Rule(SHELL, tactics.import_tactics),
    C.PutToBallot: Rule(SHELL, put_to_ballot),
    C.ResolveClaim: Rule(SHELL, resolve_claim),
}


def decide(state: NetworkState, command: Any, now: dt.datetime) -> list[E.Event]:
    """The events ``command`` produces at ``now``; raises DomainError to refuse."""
    if isinstance(command, C.CreateNetwork):
        if state.created:
            raise _err("network_exists", "this network already exists")
        return [
            E.NetworkCreated(network=command.network_id, definition=network_to_json(command.definition), at=iso(now))
        ]
    if not state.created:
        raise _err("not_found", "no such network")
    rule = TABLE.get(type(command))
    if rule is None:
        raise _err("unknown_command", f"unknown command {type(command).__name__}")
    if getattr(command, "circle", ""):  # sent with a circle link: the circle acts for itself
        _circle(state, command.circle)
    return list(rule.handler(state, command, now))


def parse_and_authorise(grant: Grant | None, raw: Any) -> C.Wire:
    """A well-formed command this grant may send, its acting circle filled from the link, or
    ApiError (bad_command, forbidden), before any state is touched."""
    command = C.decode(raw)
    role = grant.role if grant else None
    kind = command.__struct_config__.tag
    if role not in TABLE[type(command)].roles:
        raise forbidden(f"{role or 'an anonymous reader'} may not send {kind}")
    assert grant is not None
    if role in ACTING_FOR_A_CIRCLE:
        if not grant.subject:
            raise bad_request("bad_command", "a circle link names its circle")
        command = msgspec.structs.replace(command, circle=grant.subject)
    return command


ALLOWED: dict[str, frozenset[str]] = {
    role: frozenset(cls.__struct_config__.tag for cls in C.WIRE_CLASSES if role in TABLE[cls].roles)  # type: ignore[misc]
    for role in C.ROLES
}
