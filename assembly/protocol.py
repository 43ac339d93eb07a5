"""Client commands for an assembly: JSON in, a core command out, authorised by the link's role.

A thin function over the table (assembly/decide.py) and the wire commands (assembly/commands.py):
an unknown type is a bad_command, a role the table does not list for it is forbidden, then the
JSON is decoded and validated by msgspec into the command's class (a bad_command again), and the
fields that name who acts are filled from the link. Nothing is touched before all of that passed.
"""

from __future__ import annotations

from typing import Any

import msgspec

from assembly.commands import BY_TAG, WIRE, WIRE_CLASSES, Command, Vote
from assembly.decide import CHAIR, DELEGATE, INTERPRETER, ROLES, VIEWER, rule_of
from mayday.errors import bad_request, forbidden
from mayday.links import Grant

__all__ = ["ALLOWED", "CHAIR", "COMMAND_TYPES", "DELEGATE", "INTERPRETER", "VIEWER", "VoteRequest", "parse"]

# Which role may send which command type, from the table.
ALLOWED: dict[str, frozenset[str]] = {
    role: frozenset(c.__struct_config__.tag for c in WIRE_CLASSES if role in rule_of(c).roles)  # type: ignore[misc]
    for role in ROLES
}
COMMAND_TYPES = frozenset(BY_TAG)
VoteRequest = Vote  # a vote before the shell knows whether its ballot is open or secret


def parse(grant: Grant | None, raw: Any) -> Any:
    """A core command this grant may send, or ApiError."""
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise bad_request("bad_command", 'a command is an object with a "type"')
    kind = raw["type"]
    cls = BY_TAG.get(kind)
    if cls is None:
        raise bad_request("bad_command", f"unknown command {kind!r}")
    role = grant.role if grant else None
    if grant is None or role not in rule_of(cls).roles:
        raise forbidden(f"{role or 'an anonymous viewer'} may not send {kind}")
    # null is "absent" (unless the class says otherwise); who acts comes from the link, not the JSON
    fields = {
        k: v for k, v in raw.items() if (v is not None or k in cls.nulls) and cls.actor.get(k) in (None, "person")
    }
    try:
        command: Command = msgspec.convert(fields, WIRE)
        command = _actors(command, grant, kind)
        return command.checked()
    except (msgspec.ValidationError, ValueError) as e:
        raise bad_request("bad_command", str(e)) from None


def _actors(command: Command, grant: Grant, kind: str) -> Command:
    me, chair = grant.subject or "", grant.role == CHAIR
    fill: dict[str, Any] = {}
    for field, how in command.actor.items():
        if how == "by":
            fill[field] = None if chair else me
        elif how == "me":
            fill[field] = me
        elif how == "none":
            fill[field] = None
        else:  # "person": whom the command is about: yourself, or anyone when the chair acts for them
            who = getattr(command, field)
            if chair and who is None:
                raise bad_request("bad_command", f"{kind} needs person when the chair sends it")
            if not chair and who is not None and who != me:
                raise forbidden("you can only act for yourself")
            fill[field] = who if chair else me
    return msgspec.structs.replace(command, **fill) if fill else command
