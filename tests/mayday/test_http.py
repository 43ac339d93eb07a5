"""mayday/http.py's helpers, each behind one route of a small app served like Mayday: bodies refused
past their limit (declared or streamed), JSON and definition bodies refused with their documented
codes, the bearer link read from the header (and from the query string only when reading), and
``events_after``'s offsets. The relay and assembly API tests cover the same helpers in their routes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from mayday.definitions import SpecError
from mayday.errors import ApiError
from mayday.http import bearer, error_response, events_after, parse_definition, read_body, read_json
from mayday.log import Record

LIMIT = 10  # bytes, for /body and /json


class Log:
    """The part of an EventLog that events_after reads: three events on stream "s"."""

    def __init__(self) -> None:
        self.reads: list[tuple[str, int]] = []

    async def read(self, stream: str, after: int = 0) -> list[Record]:
        self.reads.append((stream, after))
        return [Record(stream, n, "noted", {"n": n}) for n in (1, 2, 3) if n > after]


def load(text: str) -> dict[str, Any]:
    if text.startswith("spec"):
        raise SpecError("sites[1] (lag): unknown time zone 'Africa/Lagoss'")
    if text.startswith("value"):
        raise ValueError("malformed YAML: mapping values are not allowed here")
    return {"text": text}


def build(log: Log) -> Starlette:
    async def body(request: Request) -> JSONResponse:
        return JSONResponse({"bytes": len(await read_body(request, LIMIT))})

    async def json_body(request: Request) -> JSONResponse:
        return JSONResponse({"value": await read_json(request, LIMIT)})

    async def definition(request: Request) -> JSONResponse:
        return JSONResponse(parse_definition(await request.body(), load))

    async def token(request: Request) -> JSONResponse:
        return JSONResponse({"token": bearer(request)})

    async def ws_token(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"token": bearer(websocket)})
        await websocket.close()

    async def events(request: Request) -> JSONResponse:
        return await events_after(request, log, "s")

    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc)

    return Starlette(
        routes=[
            Route("/body", body, methods=["POST"]),
            Route("/json", json_body, methods=["POST"]),
            Route("/definition", definition, methods=["POST"]),
            Route("/token", token, methods=["GET", "POST"]),
            WebSocketRoute("/ws/token", ws_token),
            Route("/events", events),
        ],
        exception_handlers={ApiError: api_error},
    )


@pytest.fixture
async def served(serve_asgi) -> AsyncIterator[tuple[httpx.AsyncClient, Any, Log]]:
    log = Log()
    server = await serve_asgi(build(log))
    async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
        yield http, server, log


def refusal(r: httpx.Response) -> tuple[int, str]:
    return r.status_code, r.json()["error"]["code"]


# --- read_body / read_json ---------------------------------------------------------------------


async def test_a_body_up_to_the_limit_is_read_whole(served):
    http, _, _ = served
    assert (await http.post("/body", content=b"x" * LIMIT)).json() == {"bytes": LIMIT}
    assert (await http.post("/body", content=b"")).json() == {"bytes": 0}


async def test_a_body_declared_over_the_limit_is_refused_before_it_is_read(served):
    http, _, _ = served
    r = await http.post("/body", content=b"x" * (LIMIT + 1))  # httpx declares content-length: 11
    assert refusal(r) == (413, "too_large")
    assert r.json()["error"]["message"] == f"the payload is larger than {LIMIT} bytes"


async def test_a_streamed_body_is_refused_once_it_passes_the_limit(served):
    http, _, _ = served

    async def chunks() -> AsyncIterator[bytes]:  # no content-length: chunked transfer encoding
        for _ in range(3):
            yield b"abcd"

    r = await http.post("/body", content=chunks())
    assert "content-length" not in r.request.headers
    assert refusal(r) == (413, "too_large")

    async def small() -> AsyncIterator[bytes]:
        yield b"abcd"
        yield b"efgh"

    assert (await http.post("/body", content=small())).json() == {"bytes": 8}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{oops", 400, "bad_json"),
        (b'{"n": NaN}', 400, "bad_json"),
        (b"\xff\xfe", 400, "bad_json"),
        (b'"' + b"x" * LIMIT + b'"', 413, "too_large"),
    ],
)
async def test_a_json_body_is_refused_with_its_documented_code(served, body, status, code):
    http, _, _ = served
    r = await http.post("/json", content=body)
    assert refusal(r) == (status, code)
    if status == 400:
        assert r.json()["error"]["message"].startswith("the body is not acceptable JSON: ")


async def test_a_json_body_within_the_limit_is_parsed(served):
    http, _, _ = served
    assert (await http.post("/json", content=b'{"a":[1]}')).json() == {"value": {"a": [1]}}


# --- parse_definition ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xff not utf-8", "the definition is not UTF-8 text"),
        (b"spec", "sites[1] (lag): unknown time zone 'Africa/Lagoss'"),
        (b"value", "malformed YAML: mapping values are not allowed here"),
    ],
)
async def test_a_definition_that_cannot_be_loaded_is_invalid_spec(served, body, message):
    http, _, _ = served
    r = await http.post("/definition", content=body)
    assert refusal(r) == (400, "invalid_spec") and r.json()["error"]["message"] == message


async def test_a_definition_is_loaded_from_utf8_text(served):
    http, _, _ = served
    r = await http.post("/definition", content="título: Asamblea".encode())
    assert r.json() == {"text": "título: Asamblea"}


# --- bearer --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "authorization", "query", "token"),
    [
        ("POST", "Bearer abc", None, "abc"),
        ("POST", "bearer abc", None, "abc"),  # the scheme is case-insensitive
        ("POST", "BEARER   abc", None, "abc"),  # blanks before the token are not part of it
        ("POST", "Bearer", None, None),  # no token
        ("POST", "Basic dXNlcjpwdw==", None, None),  # another scheme is not a link
        ("POST", None, "abc", None),  # a write never takes its link from the URL
        ("POST", "Basic dXNlcjpwdw==", "abc", None),
        ("GET", None, "abc", "abc"),  # a read may (calendar clients, download links)
        ("GET", None, "", None),
        ("GET", "Bearer abc", "xyz", "abc"),  # the header wins
        ("GET", "Basic dXNlcjpwdw==", "xyz", "xyz"),  # another scheme: the query string is used
        ("GET", None, None, None),
    ],
)
async def test_bearer_reads_the_header_and_for_reads_only_the_query(served, method, authorization, query, token):
    http, _, _ = served
    headers = {"authorization": authorization} if authorization is not None else {}
    params = {"token": query} if query is not None else {}
    r = await http.request(method, "/token", headers=headers, params=params)
    assert r.json() == {"token": token}


async def test_bearer_on_a_websocket_takes_no_token_from_the_url(served):
    _, server, _ = served
    async with websockets.connect(f"{server.ws_base}/ws/token?token=abc") as conn:
        assert json.loads(await conn.recv()) == {"token": None}
    async with websockets.connect(
        f"{server.ws_base}/ws/token?token=abc", additional_headers={"authorization": "Bearer xyz"}
    ) as conn:
        assert json.loads(await conn.recv()) == {"token": "xyz"}


# --- events_after --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "read_after", "offsets"),
    [(None, 0, [1, 2, 3]), ("0", 0, [1, 2, 3]), ("2", 2, [3]), ("3", 3, []), ("99", 99, []), ("01", 1, [2, 3])],
)
async def test_events_after_an_offset(served, after, read_after, offsets):
    http, _, log = served
    r = await http.get("/events", params={"after": after} if after is not None else {})
    assert r.status_code == 200 and log.reads == [("s", read_after)]
    assert r.json() == {"events": [{"offset": n, "event": "noted", "data": {"n": n}} for n in offsets]}


@pytest.mark.parametrize("after", ["x", "-1", "1.5", " 1", "٣", "", str(2**63), "9" * 20])
async def test_events_after_a_bad_offset_is_bad_request(served, after):
    http, _, log = served
    r = await http.get("/events", params={"after": after})
    assert refusal(r) == (400, "bad_request"), r.text
    assert r.json()["error"]["message"].startswith("after must be")
    assert log.reads == []
