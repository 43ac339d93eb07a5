"""Origin and edges in one test process: two and three real apps on one real Redis, real aiortc
peers on loopback. Here a test can look inside each process (which room is the origin, what its
link counted); tests/media/test_edges_processes.py does the same with real server processes and
kill -9."""

from __future__ import annotations

import asyncio
import json
import time

import aioice.ice
import av
import httpx
import numpy as np
import pytest
import redis.asyncio as aioredis
from aiortc.mediastreams import VideoStreamTrack
from helpers import token_of
from media_client import Listener, MediaClient, ToneTrack

from assembly.media import batch, lease
from mayday.app import Settings

pytestmark = [pytest.mark.timeout(120), pytest.mark.redis]

DEFINITION = {
    "title": "Edges test",
    "languages": ["en", "fr"],
    "chairs": [{"id": "ama", "name": "Ama"}],
    "delegates": [
        {"id": "ngozi", "name": "Ngozi", "site": "lag", "region": "africa", "language": "en"},
        {"id": "kwame", "name": "Kwame", "site": "acc", "region": "africa", "language": "fr"},
    ],
    "interpreters": [
        {"id": "claire", "name": "Claire", "booth": "fr", "understands": ["en"]},
        {"id": "denis", "name": "Denis", "booth": "fr", "understands": ["en"]},
    ],
}
NGOZI, KWAME, CLAIRE = 440.0, 330.0, 660.0


@pytest.fixture(autouse=True)
def loopback_ice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])


@pytest.fixture
async def servers(make_app, redis_log_url):
    async def make():
        return await make_app(Settings(redis_url=redis_log_url, secret="s3cret", rest_rate=(1000, 1000)))

    return make


@pytest.fixture
async def assembly(servers):
    """(servers, assembly id, client(who, server)) for three processes on one Redis."""
    procs = [await servers() for _ in range(3)]
    async with httpx.AsyncClient(base_url=procs[0].base) as http:
        r = await http.post(
            "/api/assemblies", content=json.dumps(DEFINITION), headers={"authorization": f"Bearer {procs[0].admin}"}
        )
    assert r.status_code == 201, r.text
    made = r.json()
    tokens = {pid: token_of(u) for g in ("chairs", "delegates", "interpreters") for pid, u in made[g].items()}
    tokens["viewer"] = token_of(made["viewer"])
    clients: list[MediaClient] = []

    async def client(who: str, server) -> MediaClient:
        for _ in range(100):  # the other processes follow the log
            if server.app.state.assemblies.current(made["id"]) is not None:
                break
            await asyncio.sleep(0.05)
        c = MediaClient(f"{server.ws_base}/ws/assembly/{made['id']}", tokens[who])
        await c.open()
        clients.append(c)
        return c

    yield procs, made["id"], client
    for c in clients:
        await c.close()


def link(server, aid):
    return server.app.state.media.rooms[aid].link


async def until(check, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def give_floor(chair: MediaClient, person: str) -> None:
    assert (await chair.command({"type": "raise_hand", "person": person}))["type"] == "ack"
    assert (await chair.command({"type": "grant_floor"}))["type"] == "ack"


async def test_edges_forward_the_origins_channels_and_carry_voices_to_it(assembly):
    (a, b, c), aid, client = assembly
    chair = await client("ama", a)
    ngozi = await client("ngozi", a)
    assert (await ngozi.join(ToneTrack(NGOZI)))["type"] == "media_ready"
    await until(lambda: link(a, aid).origin)  # the first room of the assembly takes the lease
    claire = await client("claire", c)  # an interpreter on an edge: her voice goes up to the origin
    assert (await claire.join(ToneTrack(CLAIRE)))["type"] == "media_ready"
    on_b = await client("viewer", b)
    assert (await on_b.join(channel="fr", video=False))["type"] == "media_ready"
    on_c = await client("viewer", c)
    assert (await on_c.join(channel="fr", video=False))["type"] == "media_ready"
    assert not link(b, aid).origin and not link(c, aid).origin
    floor_b, fr_b, floor_c = Listener(on_b.track(0)), Listener(on_b.track(1)), Listener(on_c.track(0))
    for listener in (floor_b, fr_b, floor_c):
        listener.start()
    await give_floor(chair, "ngozi")
    await floor_b.wait_for(NGOZI)
    await floor_c.wait_for(NGOZI)
    assert (await claire.command({"type": "take_booth"}))["type"] == "ack"
    await fr_b.wait_for(CLAIRE)  # from c up to the origin a, mixed there, down to b
    origin, edge = link(a, aid).status(), link(b, aid).status()
    assert origin["role"] == "origin" and origin["edges"] == 2
    assert edge["role"] == "edge" and edge["switch"] == 1 and edge.get("gap", 0) == 0
    assert edge["hop_ms_p99"] < 1000  # three servers and every peer share this loop: see the bench
    # Every listener's audio went out by the direct path on its edge as on the origin.
    room = b.app.state.media.rooms[aid]
    peer = next(p for p in room.peers.values())
    assert peer.tracks[0].sink is not None


async def test_a_stale_origin_cannot_publish_and_steps_down(assembly, redis_log_url):
    """The lease moves to another process while the origin still believes it holds it (as after
    a pause longer than the TTL): Redis refuses its next publish, and it becomes an edge."""
    (a, b, _), aid, client = assembly
    chair = await client("ama", a)
    ngozi = await client("ngozi", a)
    assert (await ngozi.join(ToneTrack(NGOZI)))["type"] == "media_ready"
    await until(lambda: link(a, aid).origin)
    viewer = await client("viewer", b)
    assert (await viewer.join(channel="fr", video=False))["type"] == "media_ready"
    await give_floor(chair, "ngozi")
    floor = Listener(viewer.track(0))
    floor.start()
    await floor.wait_for(NGOZI)
    old, new = link(a, aid), link(b, aid)
    r = aioredis.Redis.from_url(redis_log_url)
    seen: list[int] = []
    sub = r.pubsub()
    await sub.subscribe(old.down)

    async def watch() -> None:
        async for message in sub.listen():
            if message["type"] == "message":
                seen.append(batch.unpack_down(message["data"]).token)

    watcher = asyncio.create_task(watch())
    try:
        stale = old.lease.token
        await until(lambda: stale in seen)
        # The lease lapses in Redis (as if a's renewals stopped) and b takes it.
        await r.delete(old.lease_key)
        new.lease = lease.Lease(next_try=0, highest=new.lease.highest)
        new._wake.set()
        for _ in range(100):
            if new.origin:
                break
            await asyncio.sleep(0.02)
        assert new.origin and new.lease.token > stale
        for _ in range(100):
            if not old.origin:
                break
            await asyncio.sleep(0.02)
        assert not old.origin and old.counts["fenced"] >= 1  # refused at Redis, and it noticed
        await asyncio.sleep(0.5)
        # Redis runs scripts one at a time: once the new origin's first batch went out, nothing
        # of the stale origin's got through.
        first_new = seen.index(new.lease.token)
        assert stale in seen[:first_new] and stale not in seen[first_new:]
        await floor.wait_for(NGOZI)  # ngozi's connection is on a, now an edge: her voice goes up
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        await sub.aclose()
        await r.aclose()


async def test_a_clean_shutdown_hands_the_origin_over_at_once(assembly):
    (a, b, _), aid, client = assembly
    chair = await client("ama", b)
    ngozi = await client("ngozi", b)
    assert (await ngozi.join(ToneTrack(NGOZI)))["type"] == "media_ready"
    await until(lambda: link(b, aid).origin)  # b's room came first
    first = await client("viewer", a)
    assert (await first.join(channel="fr", video=False))["type"] == "media_ready"
    viewer = await client("viewer", b)
    assert (await viewer.join(channel="fr", video=False))["type"] == "media_ready"
    await give_floor(chair, "ngozi")
    floor = Listener(first.track(0))
    floor.start()
    await floor.wait_for(NGOZI)
    # a listener on a leaves; b stops: a takes over well before the lease's TTL
    await ngozi.close()
    stopped = time.monotonic()
    await b.stop()
    for _ in range(200):
        if aid in a.app.state.media.rooms and link(a, aid).origin:
            break
        await asyncio.sleep(0.01)
    assert link(a, aid).origin and time.monotonic() - stopped < lease.TTL


async def test_an_origin_nobody_listens_to_closes_and_frees_the_lease(assembly, redis_log_url):
    (a, b, _), aid, client = assembly
    on_a = await client("viewer", a)
    assert (await on_a.join(channel="fr", video=False))["type"] == "media_ready"
    await until(lambda: link(a, aid).origin)
    on_b = await client("viewer", b)
    assert (await on_b.join(channel="fr", video=False))["type"] == "media_ready"
    assert (await on_a.request({"type": "media_leave"}, "media_left"))["type"] == "media_left"
    assert aid in a.app.state.media.rooms  # b's listener still wants it
    assert (await on_b.request({"type": "media_leave"}, "media_left"))["type"] == "media_left"
    assert aid not in b.app.state.media.rooms  # an edge closes with its last peer
    r = aioredis.Redis.from_url(redis_log_url)
    try:
        for _ in range(100):
            if aid not in a.app.state.media.rooms:
                break
            await asyncio.sleep(0.1)
        assert aid not in a.app.state.media.rooms  # once b's wants ran out
        assert await r.get(f"mayday:media:{aid}:lease") is None
    finally:
        await r.aclose()


class Camera(VideoStreamTrack):
    """A 320x240 test picture whose brightness says who is on camera."""

    def __init__(self, luma: int) -> None:
        super().__init__()
        self.luma = luma

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        planes = np.concatenate([np.full(320 * 240, self.luma, np.uint8), np.full(320 * 120, 128, np.uint8)])
        frame = av.VideoFrame.from_ndarray(planes.reshape(360, 320), format="yuv420p")
        frame.pts, frame.time_base = pts, time_base
        return frame


async def frames_of(track, n: int, timeout: float = 8.0) -> list[av.VideoFrame]:
    out = []
    async with asyncio.timeout(timeout):
        while len(out) < n:
            out.append(await track.recv())
    return out


async def test_a_speakers_camera_on_an_edge_reaches_listeners_on_another(assembly):
    """Ngozi's connection reached b, an edge: b encodes her camera (VP8) and sends it up, the
    origin a decodes it into the floor's picture and encodes that once, c forwards it."""
    (a, b, c), aid, client = assembly
    first = await client("viewer", a)
    assert (await first.join(channel="fr", video=False))["type"] == "media_ready"
    await until(lambda: link(a, aid).origin)
    chair, ngozi = await client("ama", b), await client("ngozi", b)
    assert (await ngozi.join(Camera(200)))["type"] == "media_ready"
    viewer = await client("viewer", c)
    assert (await viewer.join(channel="fr"))["type"] == "media_ready"
    await give_floor(chair, "ngozi")
    deadline = time.monotonic() + 15
    while True:  # black slates until her picture comes through
        frame = (await frames_of(viewer.track(2), 1))[0]
        if abs(float(frame.to_ndarray(format="gray").mean()) - 200) < 20:
            break
        assert time.monotonic() < deadline, "ngozi's picture never reached c"
    assert aid in a.app.state.media.rooms and "ngozi" in a.app.state.media.rooms[aid].remote_video
    # A listener who comes late to an edge decodes a picture soon: its keyframe request goes up.
    asked = link(a, aid).counts["keyframe_asked"]
    late = await client("viewer", c)
    assert (await late.join(channel="fr"))["type"] == "media_ready"
    started = time.monotonic()
    await frames_of(late.track(2), 1, timeout=6)
    assert time.monotonic() - started < 5
    await until(lambda: link(a, aid).counts["keyframe_asked"] > asked)


async def test_booth_messages_reach_partners_on_other_processes(assembly):
    (a, b, _), _aid, client = assembly
    claire, denis = await client("claire", a), await client("denis", b)
    assert (await claire.join())["type"] == "media_ready"
    assert (await denis.join())["type"] == "media_ready"
    sent = await claire.request({"type": "booth_chat", "text": "numbers: 3.5 million"}, "booth_chat")
    assert sent["from"] == "claire" and sent["text"] == "numbers: 3.5 million"
    got = await denis.next_frame("booth_chat")
    assert {k: got[k] for k in ("booth", "from", "text")} == {"booth": "fr", "from": "claire", "text": sent["text"]}
    assert "id" not in got or got["id"] is None
    back = await denis.request({"type": "booth_chat", "text": "thanks"}, "booth_chat")
    assert (await claire.next_frame("booth_chat"))["text"] == back["text"]
