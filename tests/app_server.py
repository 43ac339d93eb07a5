"""Going away: tests start the app with the ``make_app`` fixture (tests/conftest.py) and take the
WebSocket helpers from helpers.py. Kept only while a test still imports it (tests/mayday/
test_ratelimits.py, being written); new tests use the fixture."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import uvicorn
from helpers import events_in, free_port, recv_events, recv_json, ws_hello
from starlette.applications import Starlette

from mayday.app import Settings, create_app, server_config

__all__ = ["Running", "events_in", "recv_events", "recv_json", "running_app", "ws_hello"]


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
