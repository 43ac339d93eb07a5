"""The chart of accounts: one set of accounts per circle, one more per twin (docs/ledger.md §1).

Account names are Beancount's: ``Root:Circles:<Circle>:...``, where ``<Circle>`` is the circle's
id as an account component. A circle id is a lowercase slug (``lagos-dockers``: ASCII letters and
digits in hyphen-separated runs, at most 32 characters, so every circle id is also a valid stream
id); its component upper-cases the first character of each run (``Lagos-Dockers``). Because ids
are lowercase, lower-casing a component gives the id back: the mapping is reversible and two ids
never share a component. A component that is not the image of an id (``LAgos``) is refused.

=========================  ============================================  ==========================
kind                       account                                       holds
=========================  ============================================  ==========================
general                    Assets:Circles:C:General                      the general (strike) fund
fallout_cover              Assets:Circles:C:FalloutCover                 set aside to cover twins' fallout
held_for                   Assets:Circles:C:HeldFor:T                    C's tithe ring-fenced for twin T
receivable                 Assets:Circles:C:Receivable:T                 what T owes C (mirrors T's DueTo:C)
due_to                     Liabilities:Circles:C:DueTo:T                 what C owes T
opening                    Equity:Circles:C:Opening                      opening balances
exchange                   Equity:Circles:C:Exchange                     C's currency exchanges (both legs)
dues, donations,           Income:Circles:C:Dues|Donations|              income C records (settlements
settlements, other_income  Settlements|Other                             are won ones)
tithe_from                 Income:Circles:C:TitheFrom:T                  T's tithe, due to C
cover_from                 Income:Circles:C:CoverFrom:T                  T's cover of C's fallout
campaign, other_expense    Expenses:Circles:C:Campaign|Other             C's own spending
lost_wages, fines,         Expenses:Circles:C:Fallout:LostWages|Fines|   the fallout C suffered
legal_costs, dismissals,   LegalCosts|Dismissals|Other
other_fallout
tithe_to                   Expenses:Circles:C:TitheTo:T                  C's tithe pledged to T
cover_for                  Expenses:Circles:C:CoverFor:T                 C's cover of T's fallout
=========================  ============================================  ==========================

The kinds with a twin (``TWIN_KINDS``) are the pair accounts: ``pledger_kinds`` are C's side of
its pledge to T (held_for, due_to, tithe_to, cover_for), ``pledgee_kinds`` T's side of that same
pledge (receivable, tithe_from, cover_from, named from T's books with C as the twin).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

CIRCLE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_CIRCLE_ID = 32

KINDS: dict[str, str] = {
    "general": "Assets:Circles:{c}:General",
    "fallout_cover": "Assets:Circles:{c}:FalloutCover",
    "held_for": "Assets:Circles:{c}:HeldFor:{t}",
    "receivable": "Assets:Circles:{c}:Receivable:{t}",
    "due_to": "Liabilities:Circles:{c}:DueTo:{t}",
    "opening": "Equity:Circles:{c}:Opening",
    "exchange": "Equity:Circles:{c}:Exchange",
    "dues": "Income:Circles:{c}:Dues",
    "donations": "Income:Circles:{c}:Donations",
    "settlements": "Income:Circles:{c}:Settlements",
    "other_income": "Income:Circles:{c}:Other",
    "tithe_from": "Income:Circles:{c}:TitheFrom:{t}",
    "cover_from": "Income:Circles:{c}:CoverFrom:{t}",
    "campaign": "Expenses:Circles:{c}:Campaign",
    "other_expense": "Expenses:Circles:{c}:Other",
    "lost_wages": "Expenses:Circles:{c}:Fallout:LostWages",
    "fines": "Expenses:Circles:{c}:Fallout:Fines",
    "legal_costs": "Expenses:Circles:{c}:Fallout:LegalCosts",
    "dismissals": "Expenses:Circles:{c}:Fallout:Dismissals",
    "other_fallout": "Expenses:Circles:{c}:Fallout:Other",
    "tithe_to": "Expenses:Circles:{c}:TitheTo:{t}",
    "cover_for": "Expenses:Circles:{c}:CoverFor:{t}",
}
TWIN_KINDS = frozenset(k for k, template in KINDS.items() if "{t}" in template)
CIRCLE_KINDS = tuple(k for k in KINDS if k not in TWIN_KINDS)
PLEDGER_KINDS = ("held_for", "due_to", "tithe_to", "cover_for")
PLEDGEE_KINDS = ("receivable", "tithe_from", "cover_from")
INCOME_KINDS = ("dues", "donations", "settlements", "other_income")
FALLOUT_KINDS = ("lost_wages", "fines", "legal_costs", "dismissals", "other_fallout")

# (root, the path after the circle with "{t}" kept) -> kind, for parsing.
_BY_SHAPE: dict[tuple[str, str], str] = {
    (template.split(":", 1)[0], template.split(":{c}:", 1)[1]): kind for kind, template in KINDS.items()
}


class AccountError(ValueError):
    """A name or id outside the chart (the ledger turns it into ``bad_account``)."""


class Account(NamedTuple):
    """A parsed account name: its kind, its circle's id and, for a pair account, the twin's id."""

    kind: str
    circle: str
    twin: str | None


def valid_circle_id(circle: str) -> bool:
    return isinstance(circle, str) and len(circle) <= MAX_CIRCLE_ID and CIRCLE_ID.match(circle) is not None


def component(circle: str) -> str:
    """``lagos-dockers`` -> ``Lagos-Dockers``: the circle id as a Beancount account component."""
    if not valid_circle_id(circle):
        raise AccountError(f"{circle!r} is not a circle id (lowercase letters and digits in runs joined by '-', <= 32)")
    return "-".join(run[:1].upper() + run[1:] for run in circle.split("-"))


def circle_id(part: str) -> str:
    """``Lagos-Dockers`` -> ``lagos-dockers``; a component no id maps to is refused."""
    circle = part.lower()
    if not valid_circle_id(circle) or component(circle) != part:
        raise AccountError(f"{part!r} is not the account component of a circle id")
    return circle


def account(circle: str, kind: str, twin: str | None = None) -> str:
    """The account of ``kind`` for ``circle`` (and ``twin`` for a pair account)."""
    template = KINDS.get(kind)
    if template is None:
        raise AccountError(f"no account kind {kind!r} (kinds: {', '.join(KINDS)})")
    if (kind in TWIN_KINDS) != (twin is not None):
        raise AccountError(f"a {kind} account {'needs' if kind in TWIN_KINDS else 'has no'} twin")
    if twin is not None and twin == circle:
        raise AccountError("a circle is not its own twin")
    return template.format(c=component(circle), t=component(twin) if twin is not None else "")


@lru_cache(maxsize=1 << 16)  # pure; a network's accounts are parsed at every opening and every check
def parse_account(name: str) -> Account:
    """The kind, circle and twin of an account name; AccountError if it is not in the chart."""
    parts = name.split(":") if isinstance(name, str) else []
    if len(parts) < 4 or parts[1] != "Circles":
        raise AccountError(f"{name!r} is not an account of the chart (Root:Circles:<Circle>:...)")
    circle = circle_id(parts[2])
    rest = parts[3:]
    twin = None
    if rest and rest[0] in ("HeldFor", "Receivable", "DueTo", "TitheFrom", "CoverFrom", "TitheTo", "CoverFor"):
        if len(rest) != 2:
            raise AccountError(f"{name!r} is not an account of the chart")
        twin = circle_id(rest[1])
        rest = [rest[0], "{t}"]
    kind = _BY_SHAPE.get((parts[0], ":".join(rest)))
    if kind is None:
        raise AccountError(f"{name!r} is not an account of the chart")
    if twin == circle:
        raise AccountError("a circle is not its own twin")
    return Account(kind, circle, twin)


def circle_accounts(circle: str) -> list[str]:
    """Every account of a circle that names no twin."""
    return [account(circle, kind) for kind in CIRCLE_KINDS]


def pledge_accounts(circle: str, twin: str) -> list[str]:
    """The accounts ``circle``'s pledge to ``twin`` uses, on both sides."""
    return [account(circle, kind, twin) for kind in PLEDGER_KINDS] + [
        account(twin, kind, circle) for kind in PLEDGEE_KINDS
    ]


def pledge_of(acct: Account) -> tuple[str, str] | None:
    """For a pair account, the pledge it belongs to as (pledging circle, twin); else None."""
    if acct.twin is None:
        return None
    return (acct.circle, acct.twin) if acct.kind in PLEDGER_KINDS else (acct.twin, acct.circle)
