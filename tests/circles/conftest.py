"""Fixtures for the circles' API tests: a running server with the example network created."""

from __future__ import annotations

import datetime as dt
import json
import types

import httpx
import pytest
from helpers import token_of

from mayday.app import Settings
from mayday.clock import ManualClock

T0 = dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC)
NETWORK = {
    "name": "Dockers and drivers",
    "circles": [
        {"id": "lagos-dockers", "name": "Lagos dockers", "place": "Lagos", "tz": "Africa/Lagos", "languages": ["en"]},
        {"id": "rotterdam-drivers", "name": "Rotterdam drivers", "tz": "Europe/Amsterdam", "languages": ["nl", "en"]},
        {"id": "manila-nurses", "name": "Manila nurses", "tz": "Asia/Manila", "languages": ["fil", "en"]},
    ],
    "pairs": [
        {
            "circles": ["lagos-dockers", "rotterdam-drivers"],
            "adversary": "Maersk",
            "link": "the boxes we unload are trucked from their terminal",
            "settle_days": 30,
        }
    ],
}


class Net:
    def __init__(self, server, http: httpx.AsyncClient, made: dict) -> None:
        self.server, self.http, self.made, self.id = server, http, made, made["id"]
        self.coordinator = token_of(made["coordinator"])
        self.circle = {c: token_of(link) for c, link in made["circles"].items()}
        self.member = {c: token_of(link) for c, link in made["members"].items()}

    async def send(self, token: str, command: dict) -> httpx.Response:
        return await self.http.post(
            f"/api/networks/{self.id}/commands",
            content=json.dumps(command),
            headers={"authorization": f"Bearer {token}"},
        )

    async def get(self, path: str, token: str | None = None) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return await self.http.get(f"/api/networks/{self.id}{path}", headers=headers)

    async def offset(self) -> int:
        return (await self.get("", self.coordinator)).json()["offset"]


@pytest.fixture
async def net(make_app, tmp_path):
    """The example network on a fresh server; ``net.circle[id]`` and ``net.member[id]`` are its links."""
    server = await make_app(Settings(data_dir=str(tmp_path), secret="s", clock=ManualClock(T0), timers=False))
    async with httpx.AsyncClient(base_url=server.base) as http:
        r = await http.post(
            "/api/networks", content=json.dumps(NETWORK), headers={"authorization": f"Bearer {server.admin}"}
        )
        assert r.status_code == 201, r.text
        yield Net(server, http, r.json())


@pytest.fixture
def network_kit() -> types.SimpleNamespace:
    """The example network's definition, its clock's start and the client class, for a test that
    starts its own servers (a restart)."""
    return types.SimpleNamespace(definition=NETWORK, Net=Net, T0=T0)
