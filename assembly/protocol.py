"""Client commands for an assembly: JSON in, a core command out, authorised by the link's role.

Both steps refuse with a documented code (bad_command, forbidden) before any state is touched.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from assembly import core
from assembly.definition import KINDS, LANGUAGE, PERSON_ID, Person, parse_weight
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
        who = _get(raw, "person", str, required=False)
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
            return core.SetFloorLanguage(_get(raw, "language", str), by)
        case "propose_demand":
            return core.ProposeDemand(me, _get(raw, "language", str), _get(raw, "text", str))
        case "propose_amendment":
            return core.ProposeAmendment(
                _get(raw, "demand", str), me, _get(raw, "language", str), _get(raw, "text", str)
            )
        case "edit_text":
            return core.EditText(_get(raw, "id", str), _get(raw, "text", str), by)
        case "translate":
            return core.Translate(_get(raw, "id", str), _get(raw, "language", str), _get(raw, "text", str), me)
        case "open_ballot":
            quorum = raw.get("quorum")
            q = None
            if quorum is not None:
                try:
                    q = Decimal(str(quorum))
                except InvalidOperation:
                    raise bad_request("bad_command", "quorum is a share between 0 and 1") from None
            return core.OpenBallot(
                _get(raw, "target", str),
                _get(raw, "majority", str, required=False) or "simple",
                bool(_get(raw, "secret", bool, required=False)),
                q,
            )
        case "open_ranking":
            cands = _get(raw, "candidates", list, required=False)
            if cands is not None and not all(isinstance(c, str) for c in cands):
                raise bad_request("bad_command", "candidates is a list of demand ids")
            return core.OpenRanking(tuple(cands) if cands is not None else None, bool(raw.get("secret")))
        case "vote":
            return VoteRequest.parse(raw, me)
        case "close_ballot":
            return core.CloseBallot(_get(raw, "ballot", int))
        case "add_person":
            return core.AddPerson(_person(raw))
        case "revoke_link":
            return core.RevokeLink(_get(raw, "person", str))
        case "take_booth":
            return core.TakeBooth(me)
        case "hand_over":
            return core.HandOver(me, _get(raw, "to", str, required=False))
        case "leave_booth":
            return core.LeaveBooth(me)
        case "set_booth":
            if "interpreter" not in raw:
                raise bad_request("bad_command", "set_booth needs interpreter (an id, or null to clear the booth)")
            return core.SetBooth(_get(raw, "booth", str), _get(raw, "interpreter", str, required=False))
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
    role = _get(raw, "role", str)
    if role not in (CHAIR, DELEGATE, INTERPRETER):
        raise bad_request("bad_command", "role is chair, delegate or interpreter")
    pid = _get(raw, "id", str)
    if not PERSON_ID.match(pid):
        raise bad_request("bad_command", "id must be 1-48 letters, digits, '.', '-' or '_'")
    name = _get(raw, "name", str, required=False) or pid
    try:
        weight = parse_weight(raw.get("weight", 1), "weight") if role == DELEGATE else Decimal(0)
    except SpecError as e:
        raise bad_request("bad_command", str(e)) from None
    understands = raw.get("understands") or []
    if not isinstance(understands, list) or not all(isinstance(u, str) and LANGUAGE.match(u) for u in understands):
        raise bad_request("bad_command", "understands is a list of language codes")
    booth = _get(raw, "booth", str, required=role == INTERPRETER) if role == INTERPRETER else None
    if booth is not None and not LANGUAGE.match(booth):
        raise bad_request("bad_command", "booth is a language code")
    return Person(
        id=pid,
        role=role,
        name=name[:200],
        language=_get(raw, "language", str),
        site=_get(raw, "site", str, required=False),
        region=_get(raw, "region", str, required=False) or _get(raw, "site", str, required=False),
        weight=weight,
        booth=booth,
        understands=tuple(understands),
    )
