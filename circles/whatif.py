"""Before a joint action: if every declared risk happens, who pays whom how much (pure).

Per pair (a, b) of the action and per commodity: a covers ``cover(a -> b)`` of b's declared
exposure, b covers ``cover(b -> a)`` of a's; the net is what one pays the other. Beside it, each
circle's ring-fenced funds (its fallout cover and what it holds for twins, per commodity), and
flags: an **asymmetry** when one side's exposure is more than ``ASYMMETRY_K`` times the other's
(or the other has none), and **cover beyond funds** when what a circle would pay in all its
pairs exceeds what it holds ring-fenced. Commodities are never converted into one another: a
what-if in two currencies is two what-ifs (docs/ledger.md says why).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from circles.chart import account
from circles.entries import held_share
from circles.state import Action, NetworkState
from circles.transactions import amount_text

ASYMMETRY_K = Decimal(3)
ZERO = Decimal(0)


def exposure(action: Action, circle: str) -> dict[str, Decimal]:
    """What ``circle``'s crew risks in the action, per commodity (its declared estimates)."""
    out: dict[str, Decimal] = {}
    for r in action.risks.values():
        if r.circle == circle:
            out[r.commodity] = out.get(r.commodity, ZERO) + r.estimate
    return out


def ring_fenced(state: NetworkState, circle: str) -> dict[str, Decimal]:
    """What ``circle`` holds set aside: its fallout cover and what it holds for its twins."""
    out: dict[str, Decimal] = {}
    names = [account(circle, "fallout_cover")] + [account(circle, "held_for", t) for t in state.twins(circle)]
    for name in names:
        for commodity, v in state.ledger.balance(name).items():
            out[commodity] = out.get(commodity, ZERO) + v
    return out


def cover_due(action: Action, payer: str, claimant: str, commodity: str) -> Decimal:
    """What ``payer`` pledged to cover of ``claimant``'s declared exposure in ``commodity``."""
    declared = exposure(action, claimant).get(commodity, ZERO)
    if not declared:
        return ZERO
    return held_share(declared, commodity, action.cover_of(payer, claimant))


def what_if(state: NetworkState, action: Action) -> dict[str, Any]:
    pairs = []
    pays: dict[str, dict[str, Decimal]] = {c: {} for c in action.circles}
    for p in action.pairs(state):
        ea, eb = exposure(action, p.a), exposure(action, p.b)
        rows = []
        for commodity in sorted(set(ea) | set(eb)):
            a_pays = cover_due(action, p.a, p.b, commodity)
            b_pays = cover_due(action, p.b, p.a, commodity)
            pays[p.a][commodity] = pays[p.a].get(commodity, ZERO) + a_pays
            pays[p.b][commodity] = pays[p.b].get(commodity, ZERO) + b_pays
            xa, xb = ea.get(commodity, ZERO), eb.get(commodity, ZERO)
            big, small = max(xa, xb), min(xa, xb)
            rows.append(
                {
                    "commodity": commodity,
                    "exposure": {p.a: amount_text(xa, commodity), p.b: amount_text(xb, commodity)},
                    "pays": {p.a: amount_text(a_pays, commodity), p.b: amount_text(b_pays, commodity)},
                    "net": {"debtor": p.a if a_pays > b_pays else p.b if b_pays > a_pays else None,
                            "amount": amount_text(abs(a_pays - b_pays), commodity)},
                    "asymmetric": big > 0 and (small == 0 or big > ASYMMETRY_K * small),
                }
            )  # fmt: skip
        pairs.append(
            {
                "pair": p.id,
                "a": p.a,
                "b": p.b,
                "cover": {p.a: str(action.cover_of(p.a, p.b)), p.b: str(action.cover_of(p.b, p.a))},
                "rows": rows,
            }
        )
    circles = []
    for c in action.circles:
        funds = ring_fenced(state, c)
        owed = pays[c]
        short = {k: amount_text(v - funds.get(k, ZERO), k) for k, v in owed.items() if v > funds.get(k, ZERO)}
        circles.append(
            {
                "circle": c,
                "exposure": {k: amount_text(v, k) for k, v in exposure(action, c).items()},
                "would_pay": {k: amount_text(v, k) for k, v in owed.items() if v},
                "ring_fenced": {k: amount_text(v, k) for k, v in funds.items() if v},
                "beyond_funds": short,
                "accepted": action.accepted.get(c),
                "stale": action.accepted.get(c) not in (None, action.version),
            }
        )
    return {
        "action": action.id,
        "version": action.version,
        "pairs": pairs,
        "circles": circles,
        "asymmetries": [
            {"pair": p["pair"], "commodity": r["commodity"]} for p in pairs for r in p["rows"] if r["asymmetric"]
        ],
        "beyond_funds": [c["circle"] for c in circles if c["beyond_funds"]],
        "k": str(ASYMMETRY_K),
    }
