"""Error codes shared by REST and WebSocket replies (each one documented in docs/protocol.md)."""

from __future__ import annotations

import sqlite3

import redis.exceptions

# The storage could not be reached or did not answer in time: the command's outcome is unknown
# to nobody but the log (a compare-and-append either happened or not); the client may retry.
STORAGE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    sqlite3.OperationalError,
)


class ApiError(Exception):
    """Refuse a request with a documented code; nothing has been appended."""

    def __init__(self, code: str, message: str, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status
        self.headers = headers or {}  # e.g. Retry-After on a 429

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class DomainError(Exception):
    """A well-formed, authorised command that the state refuses (decided in the pure core).
    Nothing is appended; the shell answers with the code and HTTP 409."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def refused(e: DomainError) -> ApiError:
    """How the state's refusal reaches a client: 404 for a missing stream, 400 for a command
    that is malformed for this state (a secret ballot's vote without a nonce), else 409."""
    return ApiError(e.code, e.message, {"not_found": 404, "bad_command": 400}.get(e.code, 409))


def bad_request(code: str, message: str) -> ApiError:
    return ApiError(code, message, 400)


def unauthorized(message: str = "a valid link is needed", code: str = "unauthorized") -> ApiError:
    return ApiError(code, message, 401)


def forbidden(message: str) -> ApiError:
    return ApiError("forbidden", message, 403)


def not_found(message: str = "not found") -> ApiError:
    return ApiError("not_found", message, 404)


def unavailable(e: BaseException) -> ApiError:
    return ApiError("unavailable", f"storage is unavailable, try again shortly ({type(e).__name__})", 503)


def too_large(limit: int) -> ApiError:
    return ApiError("too_large", f"the payload is larger than {limit} bytes", 413)
