"""A joint action's communique: the action, each crew's risks and the cover pledged, in every
language of the circles involved (pure).

In a language the product serves (SERVED), the server writes it from the figures with the strings
below (status ``generated``). In another language of a circle (Yoruba, Dutch...), a person
translates it (``translate_communique``): that text is ``human`` while the figures are at the
version it translated, ``stale`` once they change (shown, flagged, until someone translates the new
version), and ``missing`` before anyone has.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from circles.communique_text import SERVED, TEXT
from circles.state import Action, NetworkState
from circles.whatif import cover_due, exposure


def _percent(share: Decimal) -> str:
    return f"{(share * 100).normalize():f} %"


def generated(state: NetworkState, action: Action, language: str) -> str:
    """The communique in a served language, written from the figures."""
    t = TEXT[language]
    name = {c: state.circles[c].name for c in action.circles if c in state.circles}
    lines = [t["title"].format(action=action.name), ""]
    if action.date:
        lines.append(t["date"].format(date=action.date))
    if action.relay:
        lines.append(t["relay"].format(relay=action.relay))
    lines += [t["crews"].format(circles=", ".join(name.values())), ""]
    for c in action.circles:
        risks = [r for r in action.risks.values() if r.circle == c]
        if not risks:
            lines.append(t["none"].format(circle=name[c]))
            continue
        lines.append(t["risks"].format(circle=name[c]))
        for r in risks:
            kind = t[r.kind]
            lines.append("- " + t["risk"].format(kind=kind, amount=r.estimate, commodity=r.commodity, people=r.people))
        lines.append("")
    for p in action.pairs(state):
        for payer, claimant in ((p.a, p.b), (p.b, p.a)):
            for commodity in sorted(exposure(action, claimant)):
                amount = cover_due(action, payer, claimant, commodity)
                share = _percent(action.cover_of(payer, claimant))
                lines.append(
                    t["cover"].format(
                        payer=name[payer], claimant=name[claimant], share=share, amount=amount, commodity=commodity
                    )
                )
    accepted = [name[c] for c, v in action.accepted.items() if v == action.version and c in name]
    lines += ["", t["version"].format(version=action.version, accepted=", ".join(accepted) or t["nobody"])]
    return "\n".join(lines).strip() + "\n"


def languages(state: NetworkState, action: Action) -> list[str]:
    """Every language of the action's circles, in the order the circles list them."""
    out: list[str] = []
    for c in action.circles:
        for lang in state.circles[c].languages:
            if lang not in out:
                out.append(lang)
    return out


def status(action: Action, language: str) -> str:
    """``human``, ``generated``, ``stale`` or ``missing``: as ``communique`` says, without
    writing the text (the readiness gate asks after every change)."""
    human = action.translations.get(language)
    if human is not None and human[1] == action.version:
        return "human"
    if language in SERVED:
        return "generated"
    return "missing" if human is None else "stale"


def communique(state: NetworkState, action: Action) -> list[dict[str, Any]]:
    """The communique in each language of the circles involved, with its status."""
    out = []
    for lang in languages(state, action):
        human = action.translations.get(lang)
        if human is not None and human[1] == action.version:
            out.append({"language": lang, "status": "human", "text": human[0], "by": human[2], "version": human[1]})
        elif lang in SERVED:
            out.append(
                {
                    "language": lang,
                    "status": "generated",
                    "text": generated(state, action, lang),
                    "version": action.version,
                }
            )
        elif human is not None:
            out.append({"language": lang, "status": "stale", "text": human[0], "by": human[2], "version": human[1]})
        else:
            out.append({"language": lang, "status": "missing", "text": None, "version": None})
    return out
