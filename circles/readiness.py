"""A joint action's readiness gate, and each pair's last shared risk (pure: state and ``now`` in).

An action is ready when four things hold, each a check with what is missing:

* ``red_lines`` -- every circle acknowledged the risk audit's current version (a red line named,
  changed or withdrawn after a circle's acknowledgement makes it stale);
* ``figures`` -- every circle accepted the current what-if of risks and cover;
* ``communique`` -- the communique exists, current, in every language of the circles (written by
  the server in a served language, translated by a person in another);
* ``pledges`` -- no pledge between two of its twins is overdue beyond the pair's settle period.

Organisers may proceed anyway (``proceed_anyway``): the action then goes ahead not ready, and the
record names who decided, why, and what was missing. docs/ledger.md "Readiness" says the rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from circles.communique import languages, status
from circles.overdue import overdue
from circles.state import Action, NetworkState, PairState

CHECKS = ("red_lines", "figures", "communique", "pledges")
QUARTER_DAYS = 91  # a pair that took no shared risk for this long is asked to
# (debtor, creditor) -> what the debtor owes past the settle period: circles.overdue at ``now``,
# or a memo of it when many actions are checked at once (the network's shape checks them all).
OverdueOf = Callable[[str, str], list[dict[str, Any]]]


def checks(
    state: NetworkState, action: Action, now: dt.datetime, overdue_of: OverdueOf | None = None
) -> list[dict[str, Any]]:
    """The four checks in order, each ``{"check", "ok", ...what is missing}`` (no amounts)."""
    late_of = overdue_of or (lambda debtor, creditor: overdue(state, debtor, creditor, now))
    unacked = [c for c in action.circles if c not in action.acknowledged]
    stale_acks = [c for c in action.circles if c in action.acknowledged and action.acknowledged[c] != action.audit]
    unaccepted = [c for c in action.circles if c not in action.accepted]
    stale_figures = [c for c in action.circles if c in action.accepted and action.accepted[c] != action.version]
    langs = {lang: status(action, lang) for lang in languages(state, action)}
    missing_langs = [lang for lang, s in langs.items() if s == "missing"]
    stale_langs = [lang for lang, s in langs.items() if s == "stale"]
    late = []
    for p in action.pairs(state):
        for debtor, creditor in ((p.a, p.b), (p.b, p.a)):
            items = late_of(debtor, creditor)
            if items:
                late.append({"debtor": debtor, "creditor": creditor, "since": min(i["since"] for i in items)})
    return [
        {"check": "red_lines", "ok": not unacked and not stale_acks, "missing": unacked, "stale": stale_acks,
         "version": action.audit},
        {"check": "figures", "ok": not unaccepted and not stale_figures, "missing": unaccepted,
         "stale": stale_figures, "version": action.version},
        {"check": "communique", "ok": not missing_langs and not stale_langs, "missing": missing_langs,
         "stale": stale_langs},
        {"check": "pledges", "ok": not late, "overdue": late},
    ]  # fmt: skip


def missing(state: NetworkState, action: Action, now: dt.datetime) -> list[str]:
    """The names of the checks that do not hold."""
    return [c["check"] for c in checks(state, action, now) if not c["ok"]]


def readiness(
    state: NetworkState, action: Action, now: dt.datetime, overdue_of: OverdueOf | None = None
) -> dict[str, Any]:
    """``ready``; ``go`` (ready, or an organiser decided to proceed anyway); the checks; the
    proceed-anyway record when there is one."""
    items = checks(state, action, now, overdue_of)
    ready = all(c["ok"] for c in items)
    p = action.proceeded
    proceeded = (
        None if p is None else {"by": p.by, "name": p.name, "reason": p.reason, "missing": list(p.missing), "at": p.at}
    )
    return {"ready": ready, "go": ready or p is not None, "checks": items, "proceeded": proceeded}


def summary(state: NetworkState, action: Action, now: dt.datetime) -> dict[str, Any]:
    """What a relay's board shows of the gate: public, so names of checks only (no circle,
    language or debtor, and not who decided to go ahead anyway nor why: the board may be public
    while the network is not, and a name on a public page is a name for the employer)."""
    r = readiness(state, action, now)
    return {
        "action": action.id,
        "name": action.name,
        "ready": r["ready"],
        "go": r["go"],
        "checks": {c["check"]: c["ok"] for c in r["checks"]},
        "proceeded": None if r["proceeded"] is None else {k: r["proceeded"][k] for k in ("at", "missing")},
    }


def last_shared_risk(state: NetworkState, pair: PairState, now: dt.datetime) -> dict[str, Any]:
    """The last joint action of the pair's two circles that has taken place (its date today or
    before), the days since, and ``ask``: a quarter passed without one (since the pair was made,
    when there was none)."""
    today = now.date()
    done = [
        a
        for a in state.actions.values()
        if pair.a in a.circles and pair.b in a.circles and a.date and dt.date.fromisoformat(a.date) <= today
    ]
    last = max(done, key=lambda a: (a.date, a.id), default=None)
    if last is not None:
        since = dt.date.fromisoformat(last.date)
    else:
        since = dt.datetime.fromisoformat(pair.since).date()
    days = (today - since).days
    return {
        "action": None if last is None else {"id": last.id, "name": last.name, "date": last.date},
        "days": days,
        "ask": days > QUARTER_DAYS,
        "quarter_days": QUARTER_DAYS,
    }
