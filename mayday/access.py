"""Who is asking: the server's admin link, and a stream's links (checked against revocations)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import HTTPConnection

from mayday.errors import forbidden, unauthorized
from mayday.http import bearer
from mayday.links import BadLink, Grant

ADMIN = "admin"
SERVER_SCOPE = "server"


def is_admin(request: HTTPConnection) -> bool:
    """True when the request carries the server's admin link (never raises)."""
    token = bearer(request)  # type: ignore[arg-type]
    if token is None:
        return False
    try:
        return request.app.state.links.verify(token, SERVER_SCOPE).role == ADMIN
    except BadLink:
        return False


def require_admin(request: HTTPConnection) -> None:
    token = bearer(request)  # type: ignore[arg-type]
    if token is None:
        raise unauthorized("this needs the server's admin link")
    try:
        grant = request.app.state.links.verify(token, SERVER_SCOPE)
    except BadLink as e:
        raise unauthorized(str(e)) from None
    if grant.role != ADMIN:
        raise forbidden("only the server's admin link can do this")


def verify(
    request: HTTPConnection, token: str | None, scope: str, current_version: Callable[[str], int]
) -> Grant | None:
    """The grant in ``token`` for ``scope`` (None without a token); revoked links are refused:
    a link names a key version, and revocation moves its subject's version on."""
    if token is None:
        return None
    try:
        grant = request.app.state.links.verify(token, scope)
    except BadLink as e:
        raise unauthorized(str(e)) from None
    check_current(grant, current_version)
    return grant


def is_revoked(grant: Grant | None, current_version: Callable[[str], int]) -> bool:
    """True when the link's subject's key version has moved on (rotated or revoked)."""
    return grant is not None and grant.subject is not None and grant.version != current_version(grant.subject)


def check_current(grant: Grant, current_version: Callable[[str], int]) -> None:
    """Refuse a link whose subject's key version has moved on (revoked), also mid-session."""
    if is_revoked(grant, current_version):
        raise unauthorized("this link was replaced; ask for the new one", code="revoked")


def base_url(request: HTTPConnection) -> str:
    return str(request.base_url).rstrip("/")
