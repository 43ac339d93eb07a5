"""What a reader of a network may see, and the views the pages read (pure: state and grant in,
JSON-ready data out). docs/ledger.md "Who sees what" says the rules:

* a circle's links (its coordinator's and its members') see everything of their circle;
* the twins of a pair both see what flows between them (pledged, held, delivered, owed);
* a circle may share its books with other circles (``share_with``) or make them public;
* the network's coordinator and the public see the network's shape (circles, pairs, pledges'
  shares, dispatches) and the integrity report, never an amount a circle has not made public;
* a joint action's red lines are for the links of its circles and the network's coordinator (the
  risk audit's chair), never for whom a circle merely shows its books (``may_see_red_lines``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from circles.chart import account
from circles.commands import CIRCLE, COORDINATOR, MEMBER
from circles.commodities import amount_text as _amount
from circles.communique import communique
from circles.integrity import check
from circles.overdue import overdue
from circles.readiness import OverdueOf, last_shared_risk, readiness
from circles.state import Action, NetworkState, PairState, RedLine
from circles.views import dues, statement, who_owes_whom
from circles.whatif import what_if
from mayday.clock import iso
from mayday.errors import forbidden, not_found
from mayday.links import Grant


def reader_circle(grant: Grant | None) -> str | None:
    """The circle a link speaks for (its coordinator's or a member's), else None."""
    if grant is not None and grant.role in (CIRCLE, MEMBER):
        return grant.subject
    return None


def may_see_books(state: NetworkState, grant: Grant | None, circle: str) -> bool:
    """May this reader see ``circle``'s own amounts (its funds, its statement)?"""
    vis = state.visibility.get(circle)
    if vis is not None and vis.public:
        return True
    mine = reader_circle(grant)
    return mine is not None and (mine == circle or (vis is not None and mine in vis.share_with))


def may_see_pair(state: NetworkState, grant: Grant | None, pair: PairState) -> bool:
    """The flows between two twins: for either twin, and whom either shows its books."""
    return any(may_see_books(state, grant, c) for c in (pair.a, pair.b))


def _pledge_json(state: NetworkState, circle: str, twin: str) -> dict[str, Any]:
    p = state.pledges[(circle, twin)]
    return {
        "circle": circle,
        "twin": twin,
        "shares": {k: _amount(v) for k, v in p.shares.items()},
        "version": p.version,
        "at": p.at,
    }


def shape(state: NetworkState, now: dt.datetime) -> dict[str, Any]:
    """What anyone who may read the network sees: circles, pairs, pledges' shares, dispatches, and
    each joint action without its figures (with whether its readiness gate holds at ``now``)."""
    late = _overdue_memo(state, now)
    return {
        "network": state.network_id,
        "name": state.name,
        "circles": [
            {
                "id": c.id,
                "name": c.name,
                "place": c.place,
                "tz": c.tz,
                "languages": list(c.languages),
                "adversary": c.adversary,
                "public": bool(state.visibility.get(c.id) and state.visibility[c.id].public),
            }
            for c in state.circles.values()
        ],
        "pairs": [
            {
                "id": p.id,
                "a": p.a,
                "b": p.b,
                "adversary": p.adversary,
                "link": p.link,
                "settle_days": p.settle_days,
                "since": p.since,
                "pledges": [_pledge_json(state, p.a, p.b), _pledge_json(state, p.b, p.a)],
            }
            for p in state.pairs.values()
        ],
        "dispatches": [dispatch_json(d) for d in state.dispatches.values()],
        # Every joint action, without its figures (those are its circles'): the coordinator who
        # opened one follows it here. ``ready``: its readiness gate holds; ``go``: ready, or an
        # organiser decided to proceed anyway. Booleans only: which check fails, and for whom, is
        # in the action's view.
        "actions": [_action_summary(state, a, now, late) for a in state.actions.values()],
        "head": state.ledger.head,
        "transactions": len(state.ledger),
    }


def _overdue_memo(state: NetworkState, now: dt.datetime) -> OverdueOf:
    """circles.overdue at ``now``, each (debtor, creditor) worked out once: the actions of a pair
    share its pledges, and the shape checks every action (a scan of the debtor's postings each)."""
    memo: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def of(debtor: str, creditor: str) -> list[dict[str, Any]]:
        if (debtor, creditor) not in memo:
            memo[(debtor, creditor)] = overdue(state, debtor, creditor, now)
        return memo[(debtor, creditor)]

    return of


def _action_summary(state: NetworkState, a: Action, now: dt.datetime, late: OverdueOf) -> dict[str, Any]:
    gate = readiness(state, a, now, late)
    return {
        "id": a.id,
        "name": a.name,
        "circles": list(a.circles),
        "date": a.date,
        "relay": a.relay,
        "version": a.version,
        "ready": gate["ready"],
        "go": gate["go"],
    }


def dispatch_json(d: Any) -> dict[str, Any]:
    return {
        "id": d.id,
        "circle": d.circle,
        "twin": d.twin,
        "text": d.text,
        "language": d.language,
        "stream": d.stream,
        "at": d.at,
        "translations": {lang: {"text": t, "how": how} for lang, (t, how) in d.translations.items()},
    }


def _outstanding(state: NetworkState, debtor: str, creditor: str) -> dict[str, str]:
    """What ``debtor`` owes ``creditor`` now, per commodity (its DueTo balance, as a positive)."""
    due = state.ledger.balance(account(debtor, "due_to", creditor))
    return {k: _amount(-v, k) for k, v in sorted(due.items()) if v}


def access(state: NetworkState, grant: Grant | None) -> dict[str, Any]:
    """What this link may read: its role and circle, the circles whose books it sees, the pairs
    and actions whose figures it sees (pages ask for those and no others)."""
    return {
        "role": grant.role if grant else None,
        "circle": reader_circle(grant),
        "books": [c for c in state.circles if may_see_books(state, grant, c)],
        "pairs": [p.id for p in state.pairs.values() if may_see_pair(state, grant, p)],
        "actions": [a.id for a in state.actions.values() if may_see_action(state, grant, a)],
    }


def dispatch_view(state: NetworkState, dispatch: int) -> dict[str, Any]:
    d = state.dispatches.get(dispatch)
    if d is None:
        raise not_found(f"no dispatch {dispatch} in this network")
    return dispatch_json(d)


def circle_view(state: NetworkState, grant: Grant | None, circle: str, now: dt.datetime) -> dict[str, Any]:
    """A circle's page: who it is, its twins, and (to whom may see them) its funds, what it holds
    for each twin, what is due each way and what is overdue."""
    c = state.circles.get(circle)
    if c is None:
        raise not_found(f"no circle {circle!r} in this network")
    books = may_see_books(state, grant, circle)
    twins = []
    for twin in state.twins(circle):
        pair = state.pair_of(circle, twin)
        assert pair is not None
        row: dict[str, Any] = {
            "twin": twin,
            "pair": pair.id,
            "pledge": _pledge_json(state, circle, twin),
            "their_pledge": _pledge_json(state, twin, circle),
        }
        if may_see_pair(state, grant, pair):
            row["overdue"] = overdue(state, circle, twin, now) + overdue(state, twin, circle, now)
            row["owes"] = _outstanding(state, circle, twin)  # what the circle owes the twin
            row["owed"] = _outstanding(state, twin, circle)  # what the twin owes the circle
        twins.append(row)
    out: dict[str, Any] = {
        "circle": {
            "id": c.id,
            "name": c.name,
            "place": c.place,
            "tz": c.tz,
            "languages": list(c.languages),
            "adversary": c.adversary,
        },
        "twins": twins,
        "books": books,
        "head": state.ledger.head,
        "now": iso(now),
    }
    if books:
        balances = state.ledger.circle_balances(circle)
        out["funds"] = {
            "general": {k: _amount(v, k) for k, v in balances.get(account(circle, "general"), {}).items()},
            "fallout_cover": {k: _amount(v, k) for k, v in balances.get(account(circle, "fallout_cover"), {}).items()},
            "held_for": {
                t: {k: _amount(v, k) for k, v in balances.get(account(circle, "held_for", t), {}).items()}
                for t in state.twins(circle)
            },
        }
        vis = state.visibility.get(circle)
        out["visibility"] = {"share_with": list(vis.share_with) if vis else [], "public": bool(vis and vis.public)}
    return out


def _visible_pair(state: NetworkState, grant: Grant | None, pair_id: str) -> PairState:
    pair = state.pairs.get(pair_id)
    if pair is None:
        raise not_found(f"no pair {pair_id!r} in this network")
    if not may_see_pair(state, grant, pair):
        raise forbidden("what flows between two twins is for the twins (and whom they show their books)")
    return pair


def pair_view(state: NetworkState, grant: Grant | None, pair_id: str, now: dt.datetime) -> dict[str, Any]:
    """Pledged vs delivered each way, who owes whom and how much, and what is overdue."""
    pair = _visible_pair(state, grant, pair_id)
    rows = [d for d in dues(state.ledger, [pair.a, pair.b]) if {d.debtor, d.creditor} == {pair.a, pair.b}]
    nets = [n for n in who_owes_whom(state.ledger, [pair.a, pair.b]) if (n.a, n.b) == (pair.a, pair.b)]
    return {
        "pair": {
            "id": pair.id,
            "a": pair.a,
            "b": pair.b,
            "adversary": pair.adversary,
            "link": pair.link,
            "settle_days": pair.settle_days,
            "since": pair.since,
        },
        "pledges": [_pledge_json(state, pair.a, pair.b), _pledge_json(state, pair.b, pair.a)],
        "flows": [
            {
                "debtor": d.debtor,
                "creditor": d.creditor,
                "commodity": d.commodity,
                "due": _amount(d.due, d.commodity),
                "delivered": _amount(d.delivered, d.commodity),
                "outstanding": _amount(d.outstanding, d.commodity),
                "held": _amount(d.held, d.commodity),
            }
            for d in rows
        ],
        "net": [
            {
                "commodity": n.commodity,
                "a_owes_b": _amount(n.a_owes_b, n.commodity),
                "b_owes_a": _amount(n.b_owes_a, n.commodity),
                "debtor": n.debtor,
                "amount": _amount(n.amount, n.commodity),
            }
            for n in nets
        ],
        "overdue": overdue(state, pair.a, pair.b, now) + overdue(state, pair.b, pair.a, now),
        "last_shared_risk": last_shared_risk(state, pair, now),
        "head": state.ledger.head,
        "now": iso(now),
    }


def pair_timeline(state: NetworkState, grant: Grant | None, pair_id: str) -> dict[str, Any]:
    """How resources and risk flowed between two twins over time, month by month: per direction
    and commodity, what became due (tithes), what cover was approved (risk shared), and what was
    delivered. Drawn from the ledger's DueTo postings, reversals counted back."""
    pair = _visible_pair(state, grant, pair_id)
    rows: dict[tuple[str, str, str, str], dict[str, Decimal]] = {}
    for debtor, creditor in ((pair.a, pair.b), (pair.b, pair.a)):
        due_account = account(debtor, "due_to", creditor)
        for _, txn, p in state.ledger.circle_postings(debtor):
            if p.account != due_account:
                continue
            kind = state.kinds.get(txn.id, "")
            if txn.reverses is not None:
                kind = state.kinds.get(txn.reverses, "")
            key = (txn.date.strftime("%Y-%m"), debtor, creditor, p.commodity)
            row = rows.setdefault(key, {"tithed": Decimal(0), "covered": Decimal(0), "delivered": Decimal(0)})
            if kind == "delivery":
                row["delivered"] += p.amount  # a delivery debits DueTo (+); its reversal credits it back
            elif kind == "cover":
                row["covered"] += -p.amount
            else:
                row["tithed"] += -p.amount
    return {
        "pair": pair.id,
        "months": [
            {
                "month": month,
                "debtor": debtor,
                "creditor": creditor,
                "commodity": commodity,
                **{k: _amount(v, commodity) for k, v in row.items()},
            }
            for (month, debtor, creditor, commodity), row in sorted(rows.items())
        ],
    }


def ledger_view(state: NetworkState, grant: Grant | None, circle: str, now: dt.datetime) -> dict[str, Any]:
    """A circle's statement: every posting to its accounts with running balances."""
    if circle not in state.circles:
        raise not_found(f"no circle {circle!r} in this network")
    if not may_see_books(state, grant, circle):
        raise forbidden(f"{circle}'s books are for its own links (and whom it shares them with)")
    lines = statement(state.ledger, circle)
    return {
        "circle": circle,
        "lines": [
            {
                "txn": ln.txn,
                "kind": state.kinds.get(ln.txn),
                "date": ln.date.isoformat(),
                "narration": ln.narration,
                "account": ln.account,
                "amount": _amount(ln.amount, ln.commodity),
                "commodity": ln.commodity,
                "balance": _amount(ln.balance, ln.commodity),
                "reverses": ln.reverses,
                "reversed_by": state.ledger.reversed_by(ln.txn),
                "recorded_by": state.recorded_by.get(ln.txn),
                "hash": state.ledger.hash_of(ln.txn),
            }
            for ln in lines
        ],
        "head": state.ledger.head,
        "now": iso(now),
    }


def integrity_view(state: NetworkState, now: dt.datetime) -> dict[str, Any]:
    """Every invariant, re-run from the transactions alone: counts and problems, no amounts."""
    out = check(state.ledger, state.pledged(), state.hashes).to_json()
    # A problem's message can name amounts: anyone may open this page, so it says what broke and
    # where (code, transaction), and the circles concerned read the rest in their own ledgers.
    out["problems"] = [{"code": p["code"], "txn": p["txn"]} for p in out["problems"]]
    for problem in state.replay_problems:  # "t7: unbalanced": refused when the log was replayed
        txn, code = problem.split(": ", 1)
        out["problems"].append({"code": code, "txn": txn, "on_replay": True})
        out["ok"] = False
    return out | {"checked_at": iso(now), "head": state.ledger.head}


def may_see_action(state: NetworkState, grant: Grant | None, action: Action) -> bool:
    """A joint action's figures (risks, cover, claims): for the links of its circles, and whom
    one of them shows its books."""
    return any(may_see_books(state, grant, c) for c in action.circles)


def may_see_red_lines(state: NetworkState, grant: Grant | None, action: Action) -> bool:
    """A joint action's red lines: for the links of its circles (their coordinators' and their
    members': the participants who name them) and the network's coordinator (the audit's chair).
    Not for a circle that only reads the figures because one of the action's circles shares its
    books with it, nor for anyone through a public circle: a red line tells an employer what a
    worker will not risk, and sharing books was a decision about money."""
    if grant is None:
        return False
    if grant.role == COORDINATOR:
        return True
    return reader_circle(grant) in action.circles


def _gate(state: NetworkState, grant: Grant | None, action: Action, now: dt.datetime) -> dict[str, Any]:
    """The readiness gate as this reader may see it: an overdue pledge between two twins names
    them and the date only to whom may see that pair; the others are counted."""
    gate = readiness(state, action, now)
    for item in gate["checks"]:
        if item["check"] != "pledges":
            continue
        shown = []
        for late in item["overdue"]:
            pair = state.pair_of(late["debtor"], late["creditor"])
            if pair is not None and may_see_pair(state, grant, pair):
                shown.append(late)
        item["others"] = len(item["overdue"]) - len(shown)
        item["overdue"] = shown
    return gate


def red_line_json(line: RedLine) -> dict[str, Any]:
    """One red line with its versions and translations. An anonymous line has no author and no
    circle here because the state has none to give (circles/redlines.py)."""
    return {
        "id": line.id,
        "text": line.text,
        "language": line.language,
        "author": line.author,
        "circle": line.circle,
        "version": line.version,
        "at": line.at,
        "history": [{"version": v, "text": text, "at": at} for v, text, at in line.history],
        "withdrawn": line.withdrawn,
        "translations": [
            {"language": lang, "text": text, "how": how, "version": version, "by": by, "stale": version < line.version}
            for lang, (text, how, version, by) in sorted(line.translations.items())
        ],
    }


def acknowledgements(action: Action) -> list[dict[str, Any]]:
    """Per circle of the action: the audit version it acknowledged, and ``current``, ``stale``
    (a line was named, changed or withdrawn since) or ``none``."""
    out = []
    for c in action.circles:
        version = action.acknowledged.get(c)
        state = "none" if version is None else "current" if version == action.audit else "stale"
        out.append({"circle": c, "version": version, "state": state})
    return out


def red_lines_view(action: Action) -> dict[str, Any]:
    return {
        "red_lines": [red_line_json(line) for line in action.red_lines.values()],
        "audit": action.audit,
        "acknowledged": acknowledgements(action),
    }


def action_view(state: NetworkState, grant: Grant | None, action_id: int, now: dt.datetime) -> dict[str, Any]:
    """Risks, cover, the what-if, acceptances (current or stale), claims and the communique, to
    whom may see the figures; the risk audit's red lines and acknowledgements, to whom may see
    them; the readiness gate to both. ``figures`` and ``red_lines`` say which parts are there:
    the network's coordinator reads the audit and the gate without the figures, and a circle
    shown the books of one of the action's circles reads the figures without the audit."""
    action = state.actions.get(action_id)
    if action is None:
        raise not_found(f"no action {action_id} in this network")
    figures = may_see_action(state, grant, action)
    audit = may_see_red_lines(state, grant, action)
    if not figures and not audit:
        raise forbidden("a joint action's figures are for its circles")
    gate = _gate(state, grant, action, now)
    head: dict[str, Any] = {
        "id": action.id,
        "name": action.name,
        "circles": list(action.circles),
        "relay": action.relay,
        "date": action.date,
        "by": action.by,
        "at": action.at,
        "version": action.version,
    }
    out: dict[str, Any] = {"action": head, "figures": figures, "readiness": gate, "ready": gate["ready"]}
    if figures:
        head["default_cover"] = str(action.default_cover)
        out |= _figures(state, action)
    if audit:
        out |= red_lines_view(action)
    out["now"] = iso(now)
    return out


def _figures(state: NetworkState, action: Action) -> dict[str, Any]:
    claims = [k for k in state.claims.values() if k.action == action.id]
    return {
        "risks": [
            {
                "id": r.id,
                "circle": r.circle,
                "kind": r.kind,
                "estimate": _amount(r.estimate, r.commodity),
                "commodity": r.commodity,
                "people": r.people,
                "note": r.note,
            }
            for r in action.risks.values()
        ],
        "what_if": what_if(state, action),
        "claims": [
            {
                "id": k.id,
                "circle": k.circle,
                "twin": k.twin,
                "kind": k.kind,
                "amount": _amount(k.amount, k.commodity),
                "commodity": k.commodity,
                "what": k.what,
                "evidence": k.evidence,
                "status": k.status,
                "txn": k.txn,
                "reason": k.reason,
                "at": k.at,
                "ballot": {"assembly": k.ballot[0], "text": k.ballot[1]} if k.ballot else None,
            }
            for k in claims
        ],
        "communique": [
            {k: v for k, v in c.items() if k != "text"} | {"has_text": c["text"] is not None}
            for c in communique(state, action)
        ],
    }


def communique_text(state: NetworkState, grant: Grant | None, action_id: int, language: str) -> dict[str, Any]:
    action = state.actions.get(action_id)
    if action is None:
        raise not_found(f"no action {action_id} in this network")
    if not may_see_action(state, grant, action):
        raise forbidden("a joint action's communique is for its circles until they publish it")
    for c in communique(state, action):
        if c["language"] == language:
            return c
    raise not_found(f"{language!r} is not a language of this action's circles")
