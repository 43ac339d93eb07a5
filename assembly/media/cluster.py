"""The media origin and its edges over Redis: the shell around ``lease``, ``timeline`` and ``batch``.

With a Redis URL (the one the event log uses) every process that holds a room for an assembly
links it to the others through Redis. One process holds the assembly's **lease** and is its
**origin**: it decodes, mixes and encodes each channel once, as a lone process does, and publishes
the encoded packets once per 20 ms tick on the assembly's ``down`` channel. Every other process
with a room for it is an **edge**: it subscribes to ``down`` and hands the packets to its own
listeners through the same channels, bounded queues and direct send path as the origin's own
listeners (``channels.AudioChannel.deliver``). Edges send what the origin needs on ``up``: which
channels their listeners want (the origin encodes nothing nobody wants), keyframe requests, and
the decoded voices of delegates and interpreters whose WebSocket reached the edge. No process is
configured as either: the lease decides, and any process takes over when the origin dies.

Keys and channels, per assembly ``A`` (all under ``mayday:media:A:``): ``lease`` (``"token:node"``,
with a TTL), ``fence`` (the fencing token counter, INCR), pub/sub ``down`` and ``up``, and
``chat``, which every process's room follows: the booth back-channel between interpreters whose
connections reached different processes (JSON: the sending node and the ``booth_chat`` frame).

One ``MediaCluster`` per process: a Redis client (binary, no retries of its own: live media is
never worth resending late), one sender task that pipelines every publish in order, one pub/sub
connection read by one task (which also makes every subscription change, so nothing else uses the
connection). One ``RoomLink`` per room: a task that runs the lease (``lease.due``), sends the
edge's wants, and times out what the origin heard from edges. Redis failures are logged once per
outage and retried with backoff; while Redis is away an edge's listeners hear silence and an
origin keeps serving its own listeners until its lease runs out (see docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from assembly.media import batch, lease
from assembly.media.batch import Entry
from assembly.media.lease import Lease
from assembly.media.mixer import CHUNK
from assembly.media.sources import AudioSource, RemoteCamera
from assembly.media.timeline import Feed, Verdict, accept

if TYPE_CHECKING:
    from assembly.media.room import Room

log = logging.getLogger("mayday.media")

PREFIX = "mayday:media:"
SOCKET_TIMEOUT = 2.0  # seconds: a Redis that answers later than this is taken as down
CONNECT_TIMEOUT = 1.0
HEARTBEAT = 1.0  # seconds between an edge's "wants" messages while nothing changes
WANT_TTL = 3.5  # seconds the origin keeps an edge's wants without a new heartbeat
LOOP_EVERY = 0.25  # seconds: the longest a link's task sleeps (wants changes are noticed this fast)
KEYFRAME_GAP = 0.5  # seconds between an edge's keyframe requests (its listeners' are coalesced)
VOICE_HOLD = 0.5  # seconds: a person's voice stays with the edge it comes from until silent this long
VOICE_FORGET = 10.0  # seconds of silence after which the origin forgets a forwarded voice
OUTBOX = 500  # messages waiting for Redis at most (10 s of ticks); older ones are dropped
READ_POLL = 0.05  # seconds a pub/sub read waits before subscriptions are looked at again
RETRY_MIN, RETRY_MAX = 0.05, 2.0
CUT_OFF_SOURCE = -1  # the room's source while it mixes on its own, cut off from Redis (lease.cut_off)
HOPS_KEPT = 4096  # latency samples kept for stats

REDIS_ERRORS = (RedisError, OSError, asyncio.TimeoutError)

# KEYS: lease, fence. ARGV: node, ttl ms, the highest token the caller has seen. A free lease is
# taken with a token above every token given before (and above what the caller has seen, in case
# Redis lost the counter); a held one is left alone and its holder's value returned.
ACQUIRE = """
local held = redis.call('GET', KEYS[1])
if held then return {0, held} end
local t = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[3])
if t <= floor then
    t = floor + 1
    redis.call('SET', KEYS[2], t)
end
redis.call('SET', KEYS[1], t .. ':' .. ARGV[1], 'PX', ARGV[2])
return {t, ''}
"""
# KEYS: lease. ARGV: our value, ttl ms. Extends the lease only while it is still ours.
RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
# KEYS: lease. ARGV: our value, channel, message. A stale origin's publish is refused here.
PUBLISH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PUBLISH', ARGV[2], ARGV[3])
end
return -1
"""
# KEYS: lease. ARGV: our value. A clean shutdown hands over at once instead of after the TTL.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


def node_id() -> str:
    """This process, as other processes see it in the lease (host, pid, a random part)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class _Outage:
    """Logs the first failure of an outage and the recovery, not every retry."""

    def __init__(self, what: str) -> None:
        self.what, self.down = what, False

    def failed(self, e: BaseException) -> None:
        if not self.down:
            self.down = True
            log.warning("media: %s failed (%s: %s); retrying", self.what, type(e).__name__, e)

    def ok(self) -> None:
        if self.down:
            self.down = False
            log.info("media: %s works again", self.what)


class MediaCluster:
    """This process's end of every assembly's origin/edge links (one per MediaHub)."""

    def __init__(self, url: str, node: str | None = None) -> None:
        self.node = node or node_id()
        self.redis = Redis.from_url(
            url,
            decode_responses=False,
            socket_timeout=SOCKET_TIMEOUT,
            socket_connect_timeout=CONNECT_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )
        self._handlers: dict[bytes, Callable[[bytes], None]] = {}
        self._changed = asyncio.Event()
        self._outbox: collections.deque[tuple[RoomLink | None, str, bytes, str | None]] = collections.deque()
        self._pending = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._publishing, self._reading = _Outage("publishing to Redis"), _Outage("the pub/sub connection")
        self.dropped = 0  # messages dropped because Redis did not take them fast enough
        self.published = 0

    def _start(self) -> None:
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._send(), name="mayday-media-publish"),
                asyncio.create_task(self._read(), name="mayday-media-subscribe"),
            ]

    def attach(self, room: Room, idle: Callable[[], Awaitable[None]]) -> RoomLink:
        self._start()
        return RoomLink(self, room, idle)

    # subscriptions: made by the reader task only ---------------------------------------------

    def subscribe(self, channel: bytes, handler: Callable[[bytes], None]) -> None:
        self._handlers[channel] = handler
        self._changed.set()

    def unsubscribe(self, channel: bytes) -> None:
        if self._handlers.pop(channel, None) is not None:
            self._changed.set()

    async def _read(self) -> None:
        pubsub: Any = None
        subscribed: set[bytes] = set()
        failures = 0
        while True:
            try:
                if pubsub is None:
                    pubsub = self.redis.pubsub()
                    subscribed = set()
                self._changed.clear()
                wanted = set(self._handlers)
                if subscribed - wanted:
                    await pubsub.unsubscribe(*(subscribed - wanted))
                if wanted - subscribed:
                    await pubsub.subscribe(*(wanted - subscribed))
                subscribed = wanted
                if not subscribed:
                    await self._changed.wait()
                    continue
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=READ_POLL)
                failures = 0
                self._reading.ok()
            except REDIS_ERRORS as e:
                self._reading.failed(e)
                if pubsub is not None:
                    with contextlib.suppress(Exception):
                        await pubsub.aclose()
                pubsub = None
                failures += 1
                await asyncio.sleep(min(RETRY_MAX, RETRY_MIN * 2**failures))
                continue
            if message is None or message.get("type") != "message":
                continue
            handler = self._handlers.get(message["channel"])
            if handler is not None:
                try:
                    handler(message["data"])
                except batch.BatchError as e:
                    log.warning("media: dropped a message on %r: %s", message["channel"], e)
                except Exception:
                    log.exception("media: handling a message on %r failed", message["channel"])

    # publishing: one task, in order, pipelined -----------------------------------------------

    def post(self, link: RoomLink | None, channel: str, message: bytes, fence: str | None = None) -> None:
        """Publish ``message`` soon; with ``fence`` (our lease value) only while the lease holds it."""
        if len(self._outbox) >= OUTBOX:
            self._outbox.popleft()
            self.dropped += 1
        self._outbox.append((link, channel, message, fence))
        self._pending.set()

    async def _send(self) -> None:
        failures = 0
        while True:
            await self._pending.wait()
            self._pending.clear()
            while self._outbox:
                items = list(self._outbox)
                self._outbox.clear()
                try:
                    async with self.redis.pipeline(transaction=False) as pipe:
                        for link, channel, message, fence in items:
                            if fence is None:
                                pipe.publish(channel, message)
                            else:
                                assert link is not None
                                pipe.eval(PUBLISH, 1, link.lease_key, fence, channel, message)
                        results = await pipe.execute(raise_on_error=False)
                except REDIS_ERRORS as e:
                    self._publishing.failed(e)
                    self.dropped += len(items)
                    failures += 1
                    await asyncio.sleep(min(RETRY_MAX, RETRY_MIN * 2**failures))
                    continue
                failures = 0
                self._publishing.ok()
                self.published += len(items)
                for (link, _, _, fence), result in zip(items, results, strict=True):
                    if fence is not None and link is not None and result == -1:
                        link.fenced(fence)

    # the lease scripts -------------------------------------------------------------------------

    async def acquire(self, link: RoomLink, ttl: float, highest: int) -> tuple[int, int]:
        """(our token, 0) if we got the lease, else (0, the holder's token)."""
        token, held = await self.redis.eval(
            ACQUIRE, 2, link.lease_key, link.fence_key, self.node, int(ttl * 1000), highest
        )
        if int(token):
            return int(token), 0
        holder = held.split(b":", 1)[0] if isinstance(held, bytes) else b"0"
        return 0, int(holder) if holder.isdigit() else 0

    async def renew(self, link: RoomLink, value: str, ttl: float) -> bool:
        return bool(await self.redis.eval(RENEW, 1, link.lease_key, value, int(ttl * 1000)))

    async def release(self, link: RoomLink, value: str) -> None:
        await self.redis.eval(RELEASE, 1, link.lease_key, value)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self.redis.aclose()


class RoomLink:
    """One room's place among the processes: origin or edge, as the lease says."""

    def __init__(self, cluster: MediaCluster, room: Room, idle: Callable[[], Awaitable[None]]) -> None:
        self.cluster, self.room, self.idle = cluster, room, idle
        prefix = f"{PREFIX}{room.assembly_id}:"
        self.lease_key, self.fence_key = prefix + "lease", prefix + "fence"
        self.down, self.up, self.chat_channel = prefix + "down", prefix + "up", prefix + "chat"
        self.lease = Lease()
        self.feed = Feed()
        self.seq = 0  # batch number, per origin term
        self.wants: dict[str, tuple[frozenset[str], bool, float]] = {}  # node -> channels, video, until
        self.grace_until = 0.0  # a new origin encodes everything until edges have said what they want
        self.voices: dict[str, tuple[str, float]] = {}  # person -> (the edge their voice comes from, last)
        self.cameras: dict[str, tuple[str, float]] = {}  # person -> (the edge their camera comes from, last)
        self.camera_asks: dict[str, float] = {}  # person -> when the origin last asked for a keyframe
        self.sent_wants: tuple[frozenset[str], bool] | None = None
        self.next_heartbeat = 0.0
        self.last_keyframe_ask = -1e9
        self.keyframe_pending = False
        self.hops: collections.deque[int] = collections.deque(maxlen=HOPS_KEPT)  # microseconds
        self.counts = collections.Counter[str]()
        self._wake = asyncio.Event()
        self._outage = _Outage(f"the media lease of assembly {room.assembly_id}")
        room.link = self
        self._role = -2  # the token the room was last told (-2: not yet; -1: CUT_OFF_SOURCE)
        self._cut = False  # whether the room mixes on its own, cut off from Redis
        self.closed = False
        self._apply()  # an edge until the lease says otherwise
        cluster.subscribe(self.chat_channel.encode(), self.on_chat)
        self.task = asyncio.create_task(self._run(), name=f"mayday-media-link-{room.assembly_id}")

    @property
    def value(self) -> str:
        return f"{self.lease.token}:{self.cluster.node}"

    @property
    def origin(self) -> bool:
        return self.lease.origin

    def status(self) -> dict[str, Any]:
        hops, now = sorted(self.hops), time.monotonic()
        return {
            "role": "origin" if self.lease.origin else "cut_off" if lease.cut_off(self.lease, now) else "edge",
            "token": self.lease.token or self.feed.token,
            "edges": len(self._fresh_wants(now)) if self.lease.origin else None,
            "hop_ms_p50": hops[len(hops) // 2] / 1000 if hops else None,
            "hop_ms_p99": hops[int(len(hops) * 0.99)] / 1000 if hops else None,
            **self.counts,
        }

    # the lease and the role --------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            now = time.monotonic()
            self.lease, action = lease.due(self.lease, now)
            self._apply()
            try:
                if action == "acquire":
                    token, holder = await self.cluster.acquire(self, lease.TTL, self.lease.highest)
                    if token:
                        self.lease = lease.acquired(self.lease, token, now)
                    else:
                        self.lease = lease.held_by_other(self.lease, holder, now)
                elif action == "renew":
                    ok = await self.cluster.renew(self, self.value, lease.TTL)
                    self.lease = lease.renewed(self.lease, ok, now)
                self._outage.ok()
            except REDIS_ERRORS as e:
                self._outage.failed(e)
                self.lease = lease.failed(self.lease, time.monotonic(), sent=now)
            self._apply()
            now = time.monotonic()
            if self.lease.origin:
                self._apply_wants(now)
                for person, (_, last) in list(self.voices.items()):
                    if now - last > VOICE_FORGET:
                        del self.voices[person]
                        self.room.remote_in.pop(person, None)
                for person, (_, last) in list(self.cameras.items()):
                    if now - last > VOICE_FORGET:
                        del self.cameras[person]
                        self.room.remote_video.pop(person, None)
                if not self.room.in_use() and not self._fresh_wants(now) and now >= self.grace_until:
                    await self.idle()  # nobody listens anywhere: the hub closes the room (and this link)
                    if self.closed:
                        return
            else:
                self._send_wants(now)
                if self.keyframe_pending:
                    self.ask_keyframe()
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, min(self.lease.next_try - now, LOOP_EVERY)))

    def _apply(self) -> None:
        """Tell the room and the subscriptions what the lease says we are. Cut off from Redis, the
        room mixes on its own (``lease.cut_off``): an origin simply goes on (its listeners hear no
        change), an edge starts mixing the voices connected to it under a local source (-1)."""
        cut = lease.cut_off(self.lease, time.monotonic())
        if cut != self._cut:
            self._cut = cut
            if cut:
                self.counts["cut_off"] += 1
                log.warning("media: Redis unreachable; assembly %s mixes on its own here", self.room.assembly_id)
            else:
                log.info("media: Redis answers again; assembly %s follows the lease", self.room.assembly_id)
        token = self.lease.token
        if cut:
            token = self._role if self._role > 0 else CUT_OFF_SOURCE
        if token == self._role:
            return
        was_origin = self._role > 0
        if token == CUT_OFF_SOURCE:
            self._role = token
            self.room.become(token)
            return
        self._role = token
        self.seq = 0
        if token:
            self.counts["promoted"] += 1
            self.feed = Feed(max(self.feed.token, token), -1)
            self.grace_until = time.monotonic() + WANT_TTL
            self.wants.clear()
            self.cluster.unsubscribe(self.down.encode())
            self.cluster.subscribe(self.up.encode(), self.on_up)
            log.info("media: this process is the origin of assembly %s (token %d)", self.room.assembly_id, token)
        else:
            if was_origin:
                self.counts["demoted"] += 1
                log.info("media: this process is an edge of assembly %s again", self.room.assembly_id)
            self.voices.clear()
            self.cameras.clear()
            self.sent_wants = None
            self.cluster.unsubscribe(self.up.encode())
            self.cluster.subscribe(self.down.encode(), self.on_down)
        self.room.become(token)

    def fenced(self, fence: str) -> None:
        """Redis refused a publish: the lease is no longer ours."""
        if fence == self.value and self.lease.origin:
            self.counts["fenced"] += 1
            self.lease = lease.refused(self.lease, time.monotonic())
            self._apply()
            self._wake.set()

    # origin ------------------------------------------------------------------------------------

    def publish(self, entries: list[Entry]) -> None:
        if not self.lease.origin or not entries:
            return
        message = batch.pack_down(self.lease.token, self.seq, time.time_ns() // 1000, entries)
        self.seq += 1
        self.counts["batches"] += 1
        self.cluster.post(self, self.down, message, fence=self.value)

    def on_up(self, data: bytes) -> None:
        up = batch.unpack_up(data)
        if not self.lease.origin:
            return
        now = time.monotonic()
        if up.kind == batch.WANTS:
            channels = frozenset(e.name for e in up.entries if not e.video)
            self.wants[up.node] = (channels, any(e.video for e in up.entries), now + WANT_TTL)
            self._apply_wants(now)
        elif up.kind == batch.KEYFRAME:
            self.counts["keyframe_asked"] += 1
            self.room.video.request_keyframe()
        elif up.kind == batch.AUDIO:
            for entry in up.entries:
                if len(entry.payload) == 2 * CHUNK and self._holds(self.voices, up.node, entry.name, now):
                    source = self.room.remote_in.setdefault(entry.name, AudioSource())
                    source.put(np.frombuffer(entry.payload, dtype=np.int16))
        elif up.kind == batch.VIDEO:
            for entry in up.entries:
                if self._holds(self.cameras, up.node, entry.name, now):
                    camera = self.room.remote_video.setdefault(entry.name, RemoteCamera())
                    if not camera.feed(entry.payload, entry.keyframe):
                        self._ask_camera(entry.name, now)

    def _holds(self, held: dict[str, tuple[str, float]], node: str, person: str, now: float) -> bool:
        """Whether what ``node`` forwards of ``person`` is what the origin uses: not when their own
        connection to this process is their voice, nor while another edge's copy is still coming
        (the same person connected twice: the first one heard keeps it)."""
        if person in self.room.publisher:
            return False
        current = held.get(person)
        if current is not None and current[0] != node and now - current[1] < VOICE_HOLD:
            return False
        held[person] = (node, now)
        return True

    def _ask_camera(self, person: str, now: float) -> None:
        if now - self.camera_asks.get(person, -1e9) >= KEYFRAME_GAP:
            self.camera_asks[person] = now
            self.publish([Entry(person, 0, b"", video=True, ask=True)])

    def serving(self) -> bool:
        """Whether edges (may) still want this origin's packets."""
        now = time.monotonic()
        return now < self.grace_until or bool(self._fresh_wants(now))

    def _fresh_wants(self, now: float) -> list[tuple[frozenset[str], bool, float]]:
        return [w for w in self.wants.values() if w[2] > now]

    def _apply_wants(self, now: float) -> None:
        for node in [n for n, w in self.wants.items() if w[2] <= now]:
            del self.wants[node]
        everything = now < self.grace_until
        channels = frozenset().union(*(w[0] for w in self.wants.values()))
        for name, channel in self.room.audio.items():
            channel.remote = everything or name in channels
        self.room.video.remote = everything or any(w[1] for w in self.wants.values())

    # edge --------------------------------------------------------------------------------------

    def on_down(self, data: bytes) -> None:
        down = batch.unpack_down(data)
        self.lease = lease.seen(self.lease, down.token)
        if self.lease.origin:
            if down.token > self.lease.token:  # another process was given the lease after us
                self.lease = lease.refused(self.lease, time.monotonic())
                self._apply()
                self._wake.set()
            else:
                return
        self.feed, verdict = accept(self.feed, down.token, down.seq)
        if verdict is Verdict.STALE:
            self.counts["stale"] += 1
            return
        self.hops.append(time.time_ns() // 1000 - down.sent_us)
        room = self.room
        if verdict is not Verdict.OK:
            self.counts["switch" if verdict is Verdict.SWITCH else "gap"] += 1
            room.video.expect_keyframe()
        for entry in down.entries:
            if entry.ask:
                room.camera_asked(entry.name)
            elif entry.video:
                room.video.deliver(down.token, entry.ts, entry.payload, entry.keyframe)
            else:
                channel = room.audio.get(entry.name)
                if channel is not None:
                    channel.deliver(down.token, entry.ts, entry.payload)

    def uplink(self, kind: int, entries: list[Entry]) -> None:
        if not self.lease.origin:
            self.cluster.post(None, self.up, batch.pack_up(kind, self.cluster.node, entries))

    def ask_keyframe(self) -> None:
        """An edge's listener needs a keyframe: ask the origin (at most one per KEYFRAME_GAP)."""
        now = time.monotonic()
        if now - self.last_keyframe_ask < KEYFRAME_GAP:
            self.keyframe_pending = True
            return
        self.keyframe_pending = False
        self.last_keyframe_ask = now
        self.uplink(batch.KEYFRAME, [])

    def _send_wants(self, now: float) -> None:
        wants = self.room.local_wants()
        if wants == self.sent_wants and (now < self.next_heartbeat or not (wants[0] or wants[1])):
            return
        self.sent_wants, self.next_heartbeat = wants, now + HEARTBEAT
        channels, video = wants
        entries = [Entry(name, 0, b"") for name in sorted(channels)]
        if video:
            entries.append(Entry("floor", 0, b"", video=True))
        self.uplink(batch.WANTS, entries)

    # the booth back-channel, across processes ----------------------------------------------

    def chat(self, frame: dict[str, Any]) -> None:
        message = json.dumps({"node": self.cluster.node, "frame": frame}).encode()
        self.cluster.post(None, self.chat_channel, message)

    def on_chat(self, data: bytes) -> None:
        try:
            message = json.loads(data)
            node, frame = message["node"], message["frame"]
            valid = all(isinstance(frame.get(k), str) for k in ("booth", "from", "text", "at"))
        except (ValueError, TypeError, KeyError, AttributeError):
            valid = False
        if not valid:
            raise batch.BatchError("not a booth_chat message")
        if node != self.cluster.node:
            fields = ("type", "booth", "from", "text", "at")
            self.room.booth_relayed({k: frame[k] for k in fields} | {"type": "booth_chat"})

    # the end -----------------------------------------------------------------------------------

    async def close(self) -> None:
        self.closed = True
        if self.task is not asyncio.current_task():
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        for channel in (self.up, self.down, self.chat_channel):
            self.cluster.unsubscribe(channel.encode())
        if self.lease.origin:
            value, self.lease = self.value, Lease(highest=self.lease.highest)
            with contextlib.suppress(*REDIS_ERRORS):
                await asyncio.wait_for(self.cluster.release(self, value), SOCKET_TIMEOUT)
