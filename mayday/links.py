"""Signed, stateless links: who you are is in the token, not in an account table.

A token carries scope (``relay:<id>``, ``server``), role, subject (a site id, a delegate id) and a
key version. itsdangerous signs it with the server secret; revocation is an event in the scope's
log that moves the subject's version on, so every process refuses the old token after replaying it.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer


@dataclass(frozen=True, slots=True)
class Grant:
    scope: str
    role: str
    subject: str | None = None
    version: int = 0


class BadLink(Exception):
    """A token that is malformed, forged, signed with another key, or for another scope."""


class Links:
    def __init__(self, secret: str) -> None:
        self._s = URLSafeSerializer(secret, salt="mayday-link-v1")

    def sign(self, grant: Grant) -> str:
        return self._s.dumps([grant.scope, grant.role, grant.subject, grant.version])

    def verify(self, token: str, scope: str) -> Grant:
        """The grant in ``token`` if it is genuine and for ``scope``; else BadLink."""
        if not isinstance(token, str) or len(token) > 512:
            raise BadLink("malformed link")
        try:
            raw = self._s.loads(token)
        except BadSignature:
            raise BadLink("this link is not valid (forged, mistyped or from another server)") from None
        if not (isinstance(raw, list) and len(raw) == 4):
            raise BadLink("malformed link")
        grant = Grant(*raw)
        if grant.scope != scope:
            raise BadLink("this link is for something else")
        return grant
