"""Client commands for an assembly: JSON in, a core command out, authorised by the link's role.

Both steps refuse with a documented code (bad_command, forbidden) before any state is touched.
Every field that has a counterpart in the definition (person ids, names, language codes, sites,
regions, weights, quorum) is held to the definition's own limits (assembly/definition.py), so a
command can put nothing in the log that a definition could not; texts keep their own limit
(core.MAX_TEXT).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from assembly import core
from assembly.definition import (
    KINDS,
    Person,
    parse_language,
    parse_name,
    parse_person_id,
    parse_place,
    parse_understands,
    parse_weight,
)
from mayday.definitions import SpecError
from mayday.errors import bad_request, forbidden
from mayday.links import Grant

CHAIR, DELEGATE, INTERPRETER, VIEWER = "chair", "delegate", "interpreter", "viewer"

# Which role may send which command (a delegate's and an interpreter's act for themselves only).
ALLOWED: dict[str, frozenset[str]] = {
    CHAIR: frozenset(
        {
            "attend", "raise_hand", "lower_hand", "grant_floor", "end_speech", "extend_time", "reorder",
            "close_list", "reopen_list", "set_floor_language", "edit_text", "open_ballot", "open_ranking",
            "close_ballot", "add_person", "revoke_link", "set_booth",
        }
    ),
    DELEGATE: frozenset(
        {
            "attend", "raise_hand", "lower_hand", "end_speech", "set_floor_language", "propose_demand",
            "propose_amendment", "edit_text", "translate", "vote",
        }
    ),
    INTERPRETER: frozenset({"translate", "take_booth", "hand_over", "leave_booth"}),
    VIEWER: frozenset(),
}  # fmt: skip
COMMAND_TYPES = frozenset().union(*ALLOWED.values())


def _get(raw: dict[str, Any], key: str, kind: type | tuple[type, ...], required: bool = True) -> Any:
    value = raw.get(key)
    if value is None:
        if required:
            raise bad_request("bad_command", f"{raw['type']} needs {key}")
        return None
    if isinstance(value, bool) and kind is not bool:
        raise bad_request("bad_command", f"{key} has the wrong type")
    if not isinstance(value, kind):
        raise bad_request("bad_command", f"{key} has the wrong type")
    return value


def _checked(parse_field: Any, value: Any, where: str) -> Any:
    """``value`` through one of the definition's field parsers; its SpecError is a bad_command."""
    try:
        return parse_field(value, where)
    except SpecError as e:
        raise bad_request("bad_command", str(e)) from None


def _language(raw: dict[str, Any], key: str) -> str:
    return _checked(parse_language, _get(raw, key, str), key)


def _person_id(raw: dict[str, Any], key: str, required: bool = True) -> str | None:
    value = _get(raw, key, str, required)
    return None if value is None else _checked(parse_person_id, value, key)


def _quorum(value: Any) -> Decimal:
    """A finite number or numeric string, as the definition's quorum is; whether it lies within
    0-1 is the core's question (409 bad_quorum), as it always was."""
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            q = Decimal(str(value))
        except InvalidOperation:
            q = None
        if q is not None and q.is_finite():
            return q
    raise bad_request("bad_command", "quorum is a share between 0 and 1")


def _flag(raw: dict[str, Any], key: str) -> bool:
    return bool(_get(raw, key, bool, required=False))


def parse(grant: Grant | None, raw: Any) -> Any:
    """A core command this grant may send, or ApiError."""
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise bad_request("bad_command", 'a command is an object with a "type"')
    kind = raw["type"]
    if kind not in COMMAND_TYPES:
        raise bad_request("bad_command", f"unknown command {kind!r}")
    role = grant.role if grant else None
    if role not in ALLOWED or kind not in ALLOWED[role]:
        raise forbidden(f"{role or 'an anonymous viewer'} may not send {kind}")
    assert grant is not None
    me = grant.subject or ""
    chair = role == CHAIR

    def person() -> str:
        """Whom the command is about: yourself, or anyone when the chair acts for them."""
        who = _person_id(raw, "person", required=False)
        if chair:
            if who is None:
                raise bad_request("bad_command", f"{kind} needs person when the chair sends it")
            return who
        if who is not None and who != me:
            raise forbidden("you can only act for yourself")
        return me

    by = None if chair else me
    match kind:
        case "attend":
            return core.SetPresence(person(), bool(_get(raw, "present", bool, required=False) is not False))
        case "raise_hand":
            k = _get(raw, "kind", str, required=False) or "speech"
            if k not in KINDS:
                raise bad_request("bad_command", f"kind must be one of {list(KINDS)}")
            return core.RaiseHand(person(), k)
        case "lower_hand":
            return core.LowerHand(_get(raw, "entry", int), by)
        case "grant_floor":
            return core.GrantFloor(_get(raw, "entry", int, required=False))
        case "end_speech":
            return core.EndSpeech(by)
        case "extend_time":
            return core.ExtendTime(_get(raw, "seconds", int))
        case "reorder":
            order = _get(raw, "order", list)
            if not all(isinstance(i, int) and not isinstance(i, bool) for i in order):
                raise bad_request("bad_command", "order is a list of entry numbers")
            return core.Reorder(tuple(order))
        case "close_list" | "reopen_list":
            return core.SetListOpen(kind == "reopen_list")
        case "set_floor_language":
            return core.SetFloorLanguage(_language(raw, "language"), by)
        case "propose_demand":
            return core.ProposeDemand(me, _language(raw, "language"), _get(raw, "text", str))
        case "propose_amendment":
            return core.ProposeAmendment(
                _get(raw, "demand", str), me, _language(raw, "language"), _get(raw, "text", str)
            )
        case "edit_text":
            return core.EditText(_get(raw, "id", str), _get(raw, "text", str), by)
        case "translate":
            return core.Translate(_get(raw, "id", str), _language(raw, "language"), _get(raw, "text", str), me)
        case "open_ballot":
            quorum = raw.get("quorum")
            return core.OpenBallot(
                _get(raw, "target", str),
                _get(raw, "majority", str, required=False) or "simple",
                _flag(raw, "secret"),
                None if quorum is None else _quorum(quorum),
                accept_weight_risk=_flag(raw, "accept_weight_risk"),
            )
        case "open_ranking":
            cands = _get(raw, "candidates", list, required=False)
            if cands is not None and not all(isinstance(c, str) for c in cands):
                raise bad_request("bad_command", "candidates is a list of demand ids")
            return core.OpenRanking(
                tuple(cands) if cands is not None else None,
                _flag(raw, "secret"),
                accept_weight_risk=_flag(raw, "accept_weight_risk"),
            )
        case "vote":
            return VoteRequest.parse(raw, me)
        case "close_ballot":
            return core.CloseBallot(_get(raw, "ballot", int))
        case "add_person":
            return core.AddPerson(_person(raw), accept_weight_risk=_flag(raw, "accept_weight_risk"))
        case "revoke_link":
            return core.RevokeLink(_person_id(raw, "person"))
        case "take_booth":
            return core.TakeBooth(me)
        case "hand_over":
            return core.HandOver(me, _person_id(raw, "to", required=False))
        case "leave_booth":
            return core.LeaveBooth(me)
        case "set_booth":
            if "interpreter" not in raw:
                raise bad_request("bad_command", "set_booth needs interpreter (an id, or null to clear the booth)")
            return core.SetBooth(_language(raw, "booth"), _person_id(raw, "interpreter", required=False))
    raise bad_request("bad_command", f"unknown command {kind!r}")  # pragma: no cover


class VoteRequest:
    """A vote before the shell knows whether its ballot is open or secret."""

    def __init__(self, ballot: int, voter: str, choice: Any, nonce: str | None, previous: tuple[Any, str] | None):
        self.ballot, self.voter, self.choice, self.nonce, self.previous = ballot, voter, choice, nonce, previous

    @classmethod
    def parse(cls, raw: dict[str, Any], voter: str) -> VoteRequest:
        ballot = _get(raw, "ballot", int)
        if "choice" not in raw:
            raise bad_request("bad_command", "vote needs choice")
        nonce = _get(raw, "nonce", str, required=False)
        prev = raw.get("previous")
        previous = None
        if prev is not None:
            if not isinstance(prev, dict) or not isinstance(prev.get("nonce"), str) or "choice" not in prev:
                raise bad_request("bad_command", "previous is {choice, nonce} of the vote you replace")
            previous = (prev["choice"], prev["nonce"])
        return cls(ballot, voter, raw["choice"], nonce, previous)


def _person(raw: dict[str, Any]) -> Person:
    """add_person's fields, each within the limits a definition sets for it."""
    role = _get(raw, "role", str)
    if role not in (CHAIR, DELEGATE, INTERPRETER):
        raise bad_request("bad_command", "role is chair, delegate or interpreter")
    pid = _checked(parse_person_id, _get(raw, "id", str), "id")
    name = raw.get("name")
    weight = _checked(parse_weight, raw.get("weight", 1), "weight") if role == DELEGATE else Decimal(0)
    understands = _checked(parse_understands, raw.get("understands") or [], "understands")
    booth = _language(raw, "booth") if role == INTERPRETER else None
    site = _checked(parse_place, raw.get("site"), "site")
    region = _checked(parse_place, raw.get("region"), "region")
    return Person(
        id=pid,
        role=role,
        name=pid if name is None else _checked(parse_name, name, "name"),
        language=_language(raw, "language"),
        site=site,
        region=region or site,
        weight=weight,
        booth=booth,
        understands=understands,
    )
