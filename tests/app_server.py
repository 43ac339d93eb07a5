"""Run the real app on a real loopback socket inside the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import uvicorn
import websockets
from helpers import free_port
from starlette.applications import Starlette

from mayday.app import Settings, create_app, server_config


@dataclass
class Running:
    app: Starlette
    base: str
    ws_base: str

    @property
    def admin(self) -> str:
        return self.app.state.admin_token


@contextlib.asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[Running]:
    app = create_app(settings)
    port = free_port()
    config = server_config(app, "127.0.0.1", port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield Running(app, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def ws_hello(url: str, token: str | None = None, after: int = 0, **kw: Any) -> tuple[Any, dict]:
    """Open a relay socket, say hello, return (connection, welcome frame)."""
    conn = await websockets.connect(url, **kw)
    await conn.send(json.dumps({"type": "hello", "token": token, "after": after}))
    welcome = json.loads(await asyncio.wait_for(conn.recv(), 5))
    return conn, welcome


async def recv_json(conn: Any, timeout: float = 5) -> dict:
    return json.loads(await asyncio.wait_for(conn.recv(), timeout))


def events_in(frame: dict) -> list[dict]:
    """The events a frame carries: one ``event``, or each of an ``events`` batch, as event frames."""
    if frame["type"] == "event":
        return [frame]
    if frame["type"] == "events":
        return [{"type": "event", **e} for e in frame["events"]]
    return []


async def recv_events(conn: Any, n: int, timeout: float = 5) -> list[dict]:
    """The next ``n`` events, whether they come one to a frame or batched (other frames skipped)."""
    out: list[dict] = []
    while len(out) < n:
        out += events_in(await recv_json(conn, timeout))
    assert len(out) == n, f"wanted {n} events, a batch brought {len(out)}"
    return out
