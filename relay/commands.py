"""Client commands for a relay: parsed from JSON and authorised by the link's role, before any
state is touched. Both steps refuse with a documented error code and append nothing."""

from __future__ import annotations

from typing import Any

from mayday.errors import bad_request, forbidden
from mayday.links import Grant
from relay.baton import CheckIn, Command, PostDispatch, RotateSiteLink

COORDINATOR, SITE, VIEWER = "coordinator", "site", "viewer"
# What each role may send. The site role is further pinned to its own site below.
ALLOWED: dict[str, frozenset[str]] = {
    COORDINATOR: frozenset({"check_in", "dispatch", "rotate_site_link"}),
    SITE: frozenset({"check_in", "dispatch"}),
    VIEWER: frozenset(),
}
COMMAND_TYPES = frozenset().union(*ALLOWED.values())


def _opt_str(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise bad_request("bad_command", f"{key} must be a string")
    return value


def parse_and_authorise(grant: Grant | None, raw: Any) -> Command:
    """A well-formed command this grant may send, or ApiError (bad_command / forbidden)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise bad_request("bad_command", 'a command is an object with a "type"')
    kind = raw["type"]
    if kind not in COMMAND_TYPES:
        raise bad_request("bad_command", f"unknown command {kind!r}")
    role = grant.role if grant else None
    if role not in ALLOWED or kind not in ALLOWED[role]:
        raise forbidden(f"{role or 'an anonymous reader'} may not send {kind}")
    site = _opt_str(raw, "site")
    if role == SITE:
        if site is not None and site != grant.subject:  # type: ignore[union-attr]
            raise forbidden(f"this link speaks for site {grant.subject}, not {site}")  # type: ignore[union-attr]
        site = grant.subject  # type: ignore[union-attr]
    if kind == "check_in":
        if site is None:
            raise bad_request("bad_command", "check_in needs a site")
        leg = raw.get("leg")
        if leg is not None and (not isinstance(leg, int) or isinstance(leg, bool)):
            raise bad_request("bad_command", "leg must be an integer")
        return CheckIn(site=site, leg=leg, by=role)
    if kind == "dispatch":
        text = raw.get("text")
        if not isinstance(text, str):
            raise bad_request("bad_command", "dispatch needs a text")
        return PostDispatch(site=site, text=text, by=role)
    if site is None:
        raise bad_request("bad_command", "rotate_site_link needs a site")
    return RotateSiteLink(site=site)
