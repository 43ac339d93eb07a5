"""Small HTTP helpers shared by every route module: bounded bodies, JSON errors, bearer links."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse

from mayday import wire
from mayday.definitions import SpecError
from mayday.errors import ApiError, bad_request, too_large

T = TypeVar("T")

MAX_BODY = 1024 * 1024  # a relay or assembly definition
MAX_COMMAND_BODY = 16 * 1024


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused as soon as it passes ``limit`` (before it is all in memory)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int = MAX_COMMAND_BODY) -> Any:
    body = await read_body(request, limit)
    try:
        return wire.loads(body)
    except wire.WireError as e:
        raise bad_request(e.code, f"the body is not acceptable JSON: {e}") from None


def parse_definition(body: bytes, load: Callable[[str], T]) -> T:
    """A definition file posted as the body: UTF-8 YAML or JSON, refused with invalid_spec."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("invalid_spec", "the definition is not UTF-8 text") from None
    try:
        return load(text)
    except (SpecError, ValueError) as e:
        raise bad_request("invalid_spec", str(e)) from None


def bearer(request: HTTPConnection) -> str | None:
    """The link token from ``Authorization: Bearer``; for GET only, also ``?token=`` (calendar
    clients and download links cannot send headers). Writes never take a token from the URL,
    where access logs and proxies would keep it."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    if request.scope.get("method") == "GET":
        return request.query_params.get("token") or None
    return None


def error_response(e: ApiError) -> JSONResponse:
    return JSONResponse({"error": e.to_json()}, status_code=e.status, headers=e.headers)


async def limit_writes(request: Request) -> None:
    """The per-client REST write limit (app.state.limiter, a mayday.ratelimits.RestLimit), checked
    before any work is done. Awaited: a limit shared across processes lives in the Redis they share."""
    limiter, client = request.app.state.limiter, request.client.host if request.client else "?"
    if not await limiter.allow(client):
        wait = await limiter.retry_after(client)
        raise ApiError("rate_limited", "too many requests; slow down", 429, {"retry-after": str(wait)})


async def events_after(request: Request, log: Any, stream: str, outward: Any = None) -> JSONResponse:
    """``GET .../events?after=N``: the stream's events after offset N, for clients without a socket."""
    try:
        after = wire.offset(request.query_params.get("after", "0"))
    except wire.WireError as e:
        raise bad_request(e.code, str(e)) from None
    records = await log.read(stream, after)
    if outward is not None:
        records = outward(records)  # what of each event may leave the server (Domain.outward)
    return JSONResponse({"events": [r.to_json() for r in records]})
