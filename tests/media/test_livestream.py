"""The livestream through a real server with real aiortc peers on loopback: tones stand in for
voices, and listeners check by frequency who they hear."""

from __future__ import annotations

import json

import aioice.ice
import httpx
import pytest
from app_server import running_app
from media_client import Listener, MediaClient, ToneTrack

from mayday.app import Settings

pytestmark = pytest.mark.timeout(90)

DEFINITION = {
    "title": "Livestream test",
    "languages": ["en", "fr", "es"],
    "chairs": [{"id": "ama", "name": "Ama"}],
    "delegates": [
        {"id": "ngozi", "name": "Ngozi", "site": "lag", "region": "africa", "language": "en"},
        {"id": "kwame", "name": "Kwame", "site": "acc", "region": "africa", "language": "fr"},
    ],
    "interpreters": [
        {"id": "claire", "name": "Claire", "booth": "fr", "understands": ["en"]},
        {"id": "denis", "name": "Denis", "booth": "fr", "understands": ["en"]},
        {"id": "lucia", "name": "Lucía", "booth": "es", "understands": ["fr"]},
    ],
}
NGOZI, KWAME, CLAIRE, DENIS, LUCIA = 440.0, 330.0, 660.0, 880.0, 550.0


@pytest.fixture(autouse=True)
def loopback_ice(monkeypatch: pytest.MonkeyPatch) -> None:
    """aioice skips 127.0.0.1 when it gathers host candidates; these tests use nothing else."""
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])


@pytest.fixture
async def server(tmp_path):
    settings = Settings(data_dir=str(tmp_path), secret="s3cret", rest_rate=(1000, 1000))
    async with running_app(settings) as running:
        yield running


@pytest.fixture
async def assembly(server):
    async with httpx.AsyncClient(base_url=server.base) as http:
        r = await http.post(
            "/api/assemblies", content=json.dumps(DEFINITION), headers={"authorization": f"Bearer {server.admin}"}
        )
    assert r.status_code == 201, r.text
    made = r.json()

    def tok(url: str) -> str:
        return url.split("#t=", 1)[1]

    tokens = {pid: tok(u) for group in ("chairs", "delegates", "interpreters") for pid, u in made[group].items()}
    tokens["viewer"] = tok(made["viewer"])
    clients: list[MediaClient] = []

    async def client(who: str) -> MediaClient:
        c = MediaClient(f"{server.ws_base}/ws/assembly/{made['id']}", tokens[who])
        await c.open()
        clients.append(c)
        return c

    yield made["id"], client
    for c in clients:
        await c.close()


async def give_floor(chair: MediaClient, person: str) -> None:
    ack = await chair.command({"type": "raise_hand", "person": person})
    assert ack["type"] == "ack", ack
    ack = await chair.command({"type": "grant_floor"})
    assert ack["type"] == "ack", ack


async def test_floor_and_interpretation_channels_reach_listeners(server, assembly):
    _, client = assembly
    chair = await client("ama")
    ngozi, claire, viewer = await client("ngozi"), await client("claire"), await client("viewer")
    assert (await ngozi.join(ToneTrack(NGOZI)))["type"] == "media_ready"
    assert (await claire.join(ToneTrack(CLAIRE)))["type"] == "media_ready"
    ready = await viewer.join(channel="fr", video=False)
    assert ready == {"type": "media_ready", "id": ready["id"], "channel": "fr", "video": False}
    floor, fr = Listener(viewer.track(0)), Listener(viewer.track(1))
    floor.start()
    fr.start()
    await floor.wait_for(None)  # nobody has the floor yet: silence
    await give_floor(chair, "ngozi")
    await floor.wait_for(NGOZI)
    await fr.wait_for(None)  # the booth is idle
    assert (await claire.command({"type": "take_booth"}))["type"] == "ack"
    await fr.wait_for(CLAIRE)
    await floor.wait_for(NGOZI)
