"""Origin and edges as real `mayday serve` processes on one real Redis, with real aiortc listeners:
listeners on two edges hear the origin's channels (identified by their tones), and keep hearing
them on the same connection when the origin is killed -9 mid-speech and an edge takes over; and
through a Redis outage (redis-server killed mid-speech, then started again) the origin, cut off,
goes on mixing for its own listeners.

Which process is the origin is read where it is decided: the lease in Redis, whose value names the
holder's process id (``cluster.node_id``)."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import httpx
import pytest
import redis.asyncio as aioredis
from helpers import create_assembly, token_of
from media_client import Listener, MediaClient, ToneTrack

from assembly.media import lease

pytestmark = [pytest.mark.timeout(240), pytest.mark.redis]

DEFINITION = {
    "title": "Edges across processes",
    "languages": ["en", "fr"],
    "chairs": [{"id": "ama", "name": "Ama"}],
    "delegates": [
        {"id": "ngozi", "name": "Ngozi", "site": "lag", "region": "africa", "language": "en"},
        {"id": "kwame", "name": "Kwame", "site": "acc", "region": "africa", "language": "fr"},
    ],
    "interpreters": [{"id": "claire", "name": "Claire", "booth": "fr", "understands": ["en"]}],
}
NGOZI, KWAME, CLAIRE = 440.0, 330.0, 660.0
RECOVERY = 10.0  # seconds from the kill until a listener hears the channel again: TTL + polling + jitter


@pytest.fixture
async def cluster(make_redis, make_mayday):
    """Redis, three processes, an assembly they all know, and ``client(who, process)``."""
    server = make_redis()
    procs = [make_mayday(redis=server.url) for _ in range(3)]
    async with httpx.AsyncClient(timeout=10) as http:
        made = await create_assembly(http, [p.base for p in procs], procs[0].admin, DEFINITION)
    tokens = {pid: token_of(u) for g in ("chairs", "delegates", "interpreters") for pid, u in made[g].items()}
    tokens["viewer"] = token_of(made["viewer"])
    clients: list[MediaClient] = []

    async def client(who: str, proc) -> MediaClient:
        c = MediaClient(f"{proc.ws_base}/ws/assembly/{made['id']}", tokens[who])
        await c.open()
        clients.append(c)
        return c

    r = aioredis.Redis.from_url(server.url)

    async def holder() -> int | None:
        """The pid of the process holding the assembly's media lease."""
        value = await r.get(f"mayday:media:{made['id']}:lease")
        return int(value.split(b":")[2]) if value else None

    yield procs, made["id"], client, holder, server
    for c in clients:
        await asyncio.wait_for(c.close(), 10)
    await r.aclose()


async def until(check, timeout: float) -> float:
    """Seconds until ``check()`` (a bool, or an awaitable of one) holds."""
    start = time.monotonic()
    while not (await r if asyncio.iscoroutine(r := check()) else r):
        assert time.monotonic() - start < timeout, "timed out"
        await asyncio.sleep(0.05)
    return time.monotonic() - start


async def hears_again(listener: Listener, freq: float) -> float:
    """Seconds until ``listener`` hears ``freq`` on samples received from now on."""
    listener.reset()
    start = time.monotonic()
    await listener.wait_for(freq, timeout=RECOVERY)
    return time.monotonic() - start


def offers(c: MediaClient) -> int:
    """media_offer frames this client received beyond the first: a renegotiation would add one."""
    return sum(1 for m in c.unmatched if m["type"] == "media_offer") + sum(
        1 for m in list(c.frames._queue) if m["type"] == "media_offer"
    )


async def test_listeners_on_two_edges_hear_the_origin_and_keep_their_connection_when_it_is_killed(cluster):
    (origin, e1, e2), _, client, holder, _ = cluster
    first = await client("viewer", origin)  # the assembly's first room: it takes the lease
    assert (await first.join(channel="fr", video=False))["type"] == "media_ready"
    await until(lambda: _eq(holder(), origin.proc.pid), 5)
    chair = await client("ama", e1)
    ngozi = await client("ngozi", e1)  # the speaker's WebSocket reached an edge
    assert (await ngozi.join(ToneTrack(NGOZI)))["type"] == "media_ready"
    claire = await client("claire", e2)  # the interpreter's another
    assert (await claire.join(ToneTrack(CLAIRE)))["type"] == "media_ready"
    on_e1, on_e2 = await client("viewer", e1), await client("viewer", e2)
    assert (await on_e1.join(channel="fr", video=False))["type"] == "media_ready"
    assert (await on_e2.join(channel="fr", video=True))["type"] == "media_ready"
    floor1, fr1, floor2, fr2 = (Listener(c.track(i)) for c in (on_e1, on_e2) for i in (0, 1))
    video2 = Listener(on_e2.track(2))
    for listener in (floor1, fr1, floor2, fr2, video2):
        listener.start()
    assert (await chair.command({"type": "raise_hand", "person": "ngozi"}))["type"] == "ack"
    assert (await chair.command({"type": "grant_floor"}))["type"] == "ack"
    assert (await claire.command({"type": "take_booth"}))["type"] == "ack"
    # Voices went up from the edges to the origin, the channels came down to both edges.
    for listener, freq in ((floor1, NGOZI), (floor2, NGOZI), (fr1, CLAIRE), (fr2, CLAIRE)):
        await listener.wait_for(freq, timeout=15)
    # The floor's picture (a black slate once a second: ngozi has no camera) reached e2; the
    # listener's jitter buffer gives a frame out when the next one comes.
    await until(lambda: len(video2.pts) > 0, 10)

    os.kill(origin.proc.pid, signal.SIGKILL)  # mid-speech
    killed = time.monotonic()
    origin.proc.wait()
    await asyncio.sleep(0.3)  # what was already on its way has played out
    pcs = [c.pc for c in (on_e1, on_e2)]
    recovered = await asyncio.gather(*(hears_again(x, f) for x, f in ((floor1, NGOZI), (fr2, CLAIRE))))
    took = time.monotonic() - killed
    assert took < RECOVERY + 1, (took, recovered)
    assert await holder() in (e1.proc.pid, e2.proc.pid)  # an edge holds the lease now
    await fr1.wait_for(CLAIRE, timeout=5)
    await floor2.wait_for(NGOZI, timeout=5)
    # The same connections, never renegotiated: no new offer, still connected, and video again.
    assert [c.pc for c in (on_e1, on_e2)] == pcs and all(pc.connectionState == "connected" for pc in pcs)
    assert offers(on_e1) == 0 and offers(on_e2) == 0
    frames = len(video2.pts)
    await until(lambda: len(video2.pts) > frames, 10)  # the new origin's keyframe, then its frames
    # Each listener's timeline went on forward, never back (the new origin's clock is not the old's).
    assert all(b > a for a, b in zip(floor1.pts, floor1.pts[1:], strict=False))


async def test_a_speaker_on_the_killed_origin_joins_again_on_an_edge_and_is_heard(cluster):
    (origin, e1, e2), _, client, holder, _ = cluster
    chair = await client("ama", e1)
    ngozi = await client("ngozi", origin)  # the speaker's connection is to the origin itself
    assert (await ngozi.join(ToneTrack(NGOZI)))["type"] == "media_ready"
    await until(lambda: _eq(holder(), origin.proc.pid), 5)
    listener_c = await client("viewer", e2)
    assert (await listener_c.join(channel="en", video=False))["type"] == "media_ready"
    floor = Listener(listener_c.track(0))
    floor.start()
    assert (await chair.command({"type": "raise_hand", "person": "ngozi"}))["type"] == "ack"
    assert (await chair.command({"type": "grant_floor"}))["type"] == "ack"
    await floor.wait_for(NGOZI, timeout=15)

    os.kill(origin.proc.pid, signal.SIGKILL)
    origin.proc.wait()
    # The speaker's page sees its socket close and reconnects to whichever process it reaches,
    # with a new media connection (the page's reconnect path); the floor is still hers.
    again = await client("ngozi", e1)
    assert (await again.join(ToneTrack(NGOZI)))["type"] == "media_ready"
    await asyncio.sleep(0.3)
    await hears_again(floor, NGOZI)
    assert await holder() in (e1.proc.pid, e2.proc.pid)
    assert listener_c.pc.connectionState == "connected" and offers(listener_c) == 0


async def test_through_a_redis_outage_each_process_mixes_on_its_own(cluster):
    """Redis killed mid-speech: no packet can cross between processes, whoever holds the lease.
    The origin's own listener goes on hearing the speaker whose connection reached it (the origin
    is cut off, not silenced), /api/health says so, and once Redis is back the edge's listener
    hears her again on the same connection, never renegotiated."""
    (origin, e1, _), _, client, holder, server = cluster
    chair = await client("ama", origin)
    ngozi = await client("ngozi", origin)
    assert (await ngozi.join(ToneTrack(NGOZI)))["type"] == "media_ready"
    await until(lambda: _eq(holder(), origin.proc.pid), 5)
    near_c, far_c = await client("viewer", origin), await client("viewer", e1)
    for c in (near_c, far_c):
        assert (await c.join(channel="en", video=False))["type"] == "media_ready"
    near, far = Listener(near_c.track(0)), Listener(far_c.track(0))
    near.start()
    far.start()
    assert (await chair.command({"type": "raise_hand", "person": "ngozi"}))["type"] == "ack"
    assert (await chair.command({"type": "grant_floor"}))["type"] == "ack"
    await near.wait_for(NGOZI, timeout=15)
    await far.wait_for(NGOZI, timeout=15)

    server.kill()
    await asyncio.sleep(lease.TTL + 1)  # the origin's lease has lapsed unrenewed
    await hears_again(near, NGOZI)  # still her, mixed where she is connected
    async with httpx.AsyncClient(timeout=10) as http:
        health = (await http.get(f"{origin.base}/api/health")).json()
    assert health["media_roles"]["cut_off"] == 1 and health["media_roles"]["origin"] == 0, health

    server.start()
    await hears_again(far, NGOZI)  # across processes again: one of them is the origin
    await hears_again(near, NGOZI)
    assert await holder() in (origin.proc.pid, e1.proc.pid)
    pcs = (near_c.pc, far_c.pc)
    assert all(pc.connectionState == "connected" for pc in pcs)
    assert offers(near_c) == 0 and offers(far_c) == 0


async def _eq(value, expected) -> bool:
    return await value == expected


def test_the_lease_ttl_fits_the_recovery_budget():
    """RECOVERY above is TTL + an edge's polling + the new origin's first packets."""
    assert lease.TTL + lease.ACQUIRE_EVERY + 2 < RECOVERY
