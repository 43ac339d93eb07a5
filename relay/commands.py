"""The relay's commands, one class each. The wire commands (docs/protocol.md §6) are msgspec
Structs tagged on ``type``: ``decode_wire`` validates a client's JSON object into one of them,
refusing with ``bad_command`` and msgspec's message naming the field. ``CreateRelay`` and ``Tick``
are sent by the shell only. Who may send what is the table in relay/decide.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from mayday.errors import bad_request
from relay.plan import Plan
from relay.spec import RelaySpec

COORDINATOR, SITE, VIEWER = "coordinator", "site", "viewer"  # the roles a relay's links carry


class CheckIn(msgspec.Struct, frozen=True, tag="check_in", tag_field="type"):
    site: str | None = None  # a site link: its own site (filled in when omitted)
    leg: int | None = None  # None: the site's leg in progress, else its next one
    by: str = SITE  # the sender's role (set from the link, never read from the wire)


class PostDispatch(msgspec.Struct, frozen=True, tag="dispatch", tag_field="type"):
    text: str
    site: str | None = None  # None: from the coordinators
    by: str = SITE  # the sender's role (set from the link, never read from the wire)


class RotateSiteLink(msgspec.Struct, frozen=True, tag="rotate_site_link", tag_field="type"):
    """Revoke a site's links by moving its key version on; the new link is signed by the shell."""

    site: str


WireCommand = CheckIn | PostDispatch | RotateSiteLink
WIRE_TYPES: dict[str, type[WireCommand]] = {
    cls.__struct_config__.tag: cls  # type: ignore[misc]
    for cls in (CheckIn, PostDispatch, RotateSiteLink)
}


@dataclass(frozen=True, slots=True)
class CreateRelay:
    relay_id: str
    spec: RelaySpec
    plan: Plan | None = None  # planned already (off the event loop, by the route): not again


@dataclass(frozen=True, slots=True)
class Tick:
    """Apply every deadline due by ``now`` (sent by the scheduler, and once at start-up)."""


@dataclass(frozen=True, slots=True)
class SetReadiness:
    """Sent by the networks' shell: the readiness of a joint action this relay runs as
    (circles/readiness.py ``summary``). Nothing is appended when it is unchanged."""

    network: str
    action: int
    name: str
    ready: bool
    go: bool
    checks: dict[str, bool]
    proceeded: dict[str, Any] | None


Command = CreateRelay | Tick | SetReadiness | WireCommand


def type_of(raw: Any) -> str:
    """The ``type`` of a client's command, or ApiError(bad_command)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise bad_request("bad_command", 'a command is an object with a "type"')
    if raw["type"] not in WIRE_TYPES:
        raise bad_request("bad_command", f"unknown command {raw['type']!r}")
    return raw["type"]


def decode_wire(raw: dict[str, Any]) -> WireCommand:
    """The typed command for a client's JSON object (unknown fields ignored), or ApiError(bad_command)."""
    try:
        return msgspec.convert({k: v for k, v in raw.items() if k != "by"}, WireCommand)  # type: ignore[arg-type]
    except msgspec.ValidationError as e:
        raise bad_request("bad_command", f"{raw.get('type')}: {e}") from None
