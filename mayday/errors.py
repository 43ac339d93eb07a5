"""Error codes shared by REST and WebSocket replies (each one documented in docs/protocol.md)."""

from __future__ import annotations


class ApiError(Exception):
    """Refuse a request with a documented code; nothing has been appended."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class DomainError(Exception):
    """A well-formed, authorised command that the state refuses (decided in the pure core).
    Nothing is appended; the shell answers with the code and HTTP 409."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def refused(e: DomainError) -> ApiError:
    """How the state's refusal reaches a client: 404 for a missing stream, else 409."""
    return ApiError(e.code, e.message, 404 if e.code == "not_found" else 409)


def bad_request(code: str, message: str) -> ApiError:
    return ApiError(code, message, 400)


def unauthorized(message: str = "a valid link is needed", code: str = "unauthorized") -> ApiError:
    return ApiError(code, message, 401)


def forbidden(message: str) -> ApiError:
    return ApiError("forbidden", message, 403)


def not_found(message: str = "not found") -> ApiError:
    return ApiError("not_found", message, 404)


def too_large(limit: int) -> ApiError:
    return ApiError("too_large", f"the payload is larger than {limit} bytes", 413)
