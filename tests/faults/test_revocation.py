"""A revoked link is cut off at once: an already open socket that followed a rotated site link or a
revoked delegate is closed with 4001 within a second of the revocation event, in every process
(two real `mayday serve` processes on one Redis), and its media connection goes with it."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from pathlib import Path

import httpx
import pytest
import websockets
from helpers import soon, token_of, ws_hello
from media_client import MediaClient

from mayday.app import Settings

EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "assembly.yaml").read_text()
CUT_OFF_WITHIN = 1.0  # seconds


async def closed_with(conn, timeout: float = 5) -> tuple[int | None, float]:
    """Read until the server closes; the close code and when it came (monotonic)."""
    try:
        while True:
            await asyncio.wait_for(conn.recv(), timeout)
    except websockets.ConnectionClosed as e:
        return (e.rcvd.code if e.rcvd else None), time.monotonic()


@pytest.mark.redis
async def test_a_rotated_site_link_is_cut_off_in_every_process(make_redis, make_mayday):
    redis_server = make_redis()
    one, two = make_mayday(redis=redis_server.url), make_mayday(redis=redis_server.url)
    definition = soon(
        dt.datetime.now(dt.UTC), [("akl", "Pacific/Auckland", 3600, 3600), ("lag", "Africa/Lagos", 7200, 60)]
    )
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(
            f"{one.base}/api/relays", content=json.dumps(definition), headers={"authorization": f"Bearer {one.admin}"}
        )
        assert r.status_code == 201, r.text
        made = r.json()
        rid, old = made["id"], token_of(made["sites"]["akl"])
        # Both processes must know the relay before the sockets open.
        for server in (one, two):
            for _ in range(100):
                if (await http.get(f"{server.base}/api/relays/{rid}")).status_code == 200:
                    break
                await asyncio.sleep(0.05)
        watchers = [(await ws_hello(f"{s.ws_base}/ws/relay/{rid}", old))[0] for s in (one, two)]
        bystander, _ = await ws_hello(f"{two.ws_base}/ws/relay/{rid}", token_of(made["sites"]["lag"]))
        waits = [asyncio.create_task(closed_with(w)) for w in watchers]
        await asyncio.sleep(0.3)

        sent = time.monotonic()
        r = await http.post(
            f"{one.base}/api/relays/{rid}/commands",
            content=json.dumps({"type": "rotate_site_link", "site": "akl"}),
            headers={"authorization": f"Bearer {token_of(made['coordinator'])}"},
        )
        assert r.status_code == 200, r.text
        new = token_of(r.json()["link"])
        for code, at in await asyncio.gather(*waits):
            assert code == 4001
            assert at - sent < CUT_OFF_WITHIN, at - sent

        # The other site's socket on the same stream is untouched; the new link works; the old is refused.
        await bystander.send(json.dumps({"type": "ping", "id": 1}))
        assert json.loads(await asyncio.wait_for(bystander.recv(), 5))["type"] in ("pong", "event", "events")
        await bystander.close()
        conn, welcome = await ws_hello(f"{two.ws_base}/ws/relay/{rid}", new)
        assert welcome["role"] == "site"
        await conn.close()
        async with websockets.connect(f"{two.ws_base}/ws/relay/{rid}") as conn:
            await conn.send(json.dumps({"type": "hello", "token": old}))
            assert json.loads(await conn.recv())["code"] == "revoked"
            code, _ = await closed_with(conn)
            assert code == 4001


@pytest.mark.redis
async def test_a_revoked_delegate_is_cut_off_in_every_process(make_redis, make_mayday):
    redis_server = make_redis()
    one, two = make_mayday(redis=redis_server.url), make_mayday(redis=redis_server.url)
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(
            f"{one.base}/api/assemblies", content=EXAMPLE, headers={"authorization": f"Bearer {one.admin}"}
        )
        assert r.status_code == 201, r.text
        made = r.json()
        aid, karim = made["id"], token_of(made["delegates"]["karim"])
        for server in (one, two):
            for _ in range(100):
                if (await http.get(f"{server.base}/api/assemblies/{aid}")).status_code == 200:
                    break
                await asyncio.sleep(0.05)
        watchers = [(await ws_hello(f"{s.ws_base}/ws/assembly/{aid}", karim))[0] for s in (one, two)]
        waits = [asyncio.create_task(closed_with(w)) for w in watchers]
        await asyncio.sleep(0.3)
        sent = time.monotonic()
        r = await http.post(
            f"{two.base}/api/assemblies/{aid}/commands",
            content=json.dumps({"type": "revoke_link", "person": "karim"}),
            headers={"authorization": f"Bearer {token_of(made['chairs']['ama'])}"},
        )
        assert r.status_code == 200, r.text
        for code, at in await asyncio.gather(*waits):
            assert code == 4001
            assert at - sent < CUT_OFF_WITHIN, at - sent


async def test_a_revoked_delegates_media_connection_goes_with_the_socket(make_app, tmp_path):
    settings = Settings(data_dir=str(tmp_path), secret="s", rest_rate=(1000, 1000))
    server = await make_app(settings)
    async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
        r = await http.post("/api/assemblies", content=EXAMPLE, headers={"authorization": f"Bearer {server.admin}"})
        made = r.json()
    aid = made["id"]
    url = f"{server.ws_base}/ws/assembly/{aid}"
    karim = MediaClient(url, token_of(made["delegates"]["karim"]))
    chair = MediaClient(url, token_of(made["chairs"]["ama"]))
    await karim.open()
    await chair.open()
    try:
        assert (await karim.join())["type"] == "media_ready"
        room = server.app.state.media.rooms[aid]
        assert any(p.person == "karim" for p in room.peers.values())
        sent = time.monotonic()
        assert (await chair.command({"type": "revoke_link", "person": "karim"}))["type"] == "ack"
        await asyncio.wait_for(karim.conn.wait_closed(), 5)  # its reader task holds recv()
        assert karim.conn.close_code == 4001 and time.monotonic() - sent < CUT_OFF_WITHIN
        for _ in range(50):
            if not any(p.person == "karim" for p in room.peers.values()):
                break
            await asyncio.sleep(0.02)
        assert not any(p.person == "karim" for p in room.peers.values())
    finally:
        await karim.close()
        await chair.close()
