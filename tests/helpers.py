"""Small helpers shared by fixtures and tests (importable because tests/ has no __init__.py)."""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago; callers retry if someone takes it first."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def token_of(link: str) -> str:
    """The link token in a page link (``.../chair#t=TOKEN``)."""
    return link.split("#t=", 1)[1]
