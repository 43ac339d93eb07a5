"""Redis Streams backend: for several server processes sharing one log.

Layout (all keys under ``mayday:``):

* ``mayday:log:{stream}`` - one Redis stream per log stream. The entry ID *is* the offset:
  event N has ID ``N-0``. Offsets start at 1, so the reserved ID ``0-0`` is never used, and
  XRANGE/XREAD by offset need no lookup table. Fields: ``type`` and ``data`` (JSON text).
* ``mayday:streams`` - a set of every stream name that has at least one event (for ``streams``).
* ``mayday:secret:{name}`` - shared secrets, written once with SET NX.
* ``mayday:snapshot:{stream}`` (hash: ``offset``, ``schema``, ``check``, ``blob``) - the stream's
  newest state snapshot (mayday/snapshots.py), saved and read by a script each, so the snapshot
  and the event it was taken at (``check``: its digest) are compared at one instant.
* ``mayday:tally:{stream}`` (hash) and ``mayday:receipts:{stream}`` (sorted set, every score 0)
  - secret ballots' counters and receipts, written by the same script as the events they go with.
  Their layout keeps no order of the votes: a ballot's opening creates all its counters at 0, in
  sorted key order, and each value is a fixed-width decimal string (TALLY_WIDTH characters, which
  the script reads, adds to and writes back), so no vote creates, moves or resizes a counter (a
  small hash is a listpack, kept in insertion order, where HINCRBY's integers take 1 to 9 bytes by
  value). Receipts are members of a sorted set, all scored 0, so kept and saved in member order (a
  set's hash table keeps members that share a bucket in insertion order, and from Redis 7.2 a
  small set of short members is a listpack); a plain set left by an older version is converted by
  the next secret write. Processes of an older version cannot share this layout (their script
  would HINCRBY a padded string or SADD to a sorted set, and fail): upgrade them all at once.

``append`` is one Lua script, so the compare (last entry ID == expected) and the XADDs run as one
atomic step on the server. XADD with an explicit ID only checks that the ID grows, which would let
two writers that read the same state both append; the compare is what refuses the second one.

Connections. Commands share one ``BlockingConnectionPool`` of POOL_SIZE connections per RedisLog:
when all are busy a caller waits (up to POOL_TIMEOUT) for one instead of failing at once, as
redis-py's default pool does. Redis runs commands one at a time, so more connections from one
process would queue there instead of here. Reads retry connection errors, timeouts and LOADING
with redis-py's ``Retry`` (READ_RETRIES times, exponential backoff with jitter from RETRY_BASE,
capped at RETRY_CAP: about 2 s in all), so a read rides through a short Redis restart.

``append`` is NOT retried once its command may have reached Redis. When the connection fails
before the reply comes, the script may or may not have run; a resent script that had run would
find the log moved and raise Conflict, and the caller would reload and decide the same command
again (one vote counted twice). So the ConnectionError/TimeoutError reaches the caller: a tick is
retried by its caller with a fresh decision, which is idempotent (nothing due, nothing appended);
a user's command fails, and the user sees in the log whether it landed. Only failures that prove
the script did not run are retried: a failed connect, NOSCRIPT (after a restart the script cache
is empty) and LOADING.

Following. One follower per RedisLog: a task with one dedicated connection doing ``XREAD BLOCK``
over every stream some ``subscribe()`` follows, each from the lowest offset its subscriptions
have been handed, and handing the entries to per-subscription buffers that the ``subscribe()``
generators drain. A subscription whose buffer is full is left out of the next XREAD until its
consumer has drained half of it (entries are re-readable by ID, so nothing is lost and no other
stream waits). A new subscription wakes the follower at once with ``CLIENT UNBLOCK`` from the
command pool instead of waiting for the current block to time out. When Redis goes away (refused,
reset, timeout, LOADING) the follower retries with capped exponential backoff plus jitter
(RECONNECT_MIN doubling to RECONNECT_MAX) until ``close()``, and then resumes every subscription
from the last offset it delivered: no record lost, none doubled. A subscription never ends because
of a connection error, only at ``close()`` or when its consumer closes or cancels it. Streams are
durable and re-readable by ID, so a subscriber that was slow, disconnected or in another process
still sees every event once, in order (pub/sub would drop messages sent while nobody listened).
This needs a Redis that keeps what it acknowledged (``appendonly yes``, ``appendfsync always``): one
that restarted without records it had already delivered would hand out their offsets again.

Tested with redis-py 8.1 (pyproject pins the major version) against Redis 7.0, RESP2 and RESP3.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any

from redis.asyncio import BlockingConnectionPool, ConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import EqualJitterBackoff, NoBackoff
from redis.exceptions import BusyLoadingError, NoScriptError, RedisError, ResponseError

from mayday.log.base import Conflict, NewEvent, Record, SideWrite, TokenMissing, encode_data

logger = logging.getLogger(__name__)

KEY_PREFIX = "mayday:"
STREAMS_KEY = KEY_PREFIX + "streams"
# Page size for XRANGE/XREAD (per stream), so a long stream does not come back as one huge reply.
PAGE = 1000

# Command pool. 32 connections keep Redis busy from one process (a command is well under a
# millisecond on a LAN); 300 concurrent hellos then wait a few milliseconds for a connection
# rather than failing. A caller that cannot get one in 10 s fails: Redis is badly overloaded.
POOL_SIZE = 32
POOL_TIMEOUT = 10.0
SOCKET_TIMEOUT = 5.0  # a command's reply later than this: the connection is taken as dead
CONNECT_TIMEOUT = 2.0
READ_RETRIES = 5
RETRY_BASE = 0.05  # seconds; redis-py doubles it per failure (0.1, 0.2, 0.4, 0.8, 1) with jitter
RETRY_CAP = 1.0
PING_TIMEOUT = 1.0

# The follower. One XREAD blocks BLOCK_MS at most; its socket timeout leaves FOLLOW_SLACK on top
# for the reply, so only a Redis that stopped answering times it out.
BLOCK_MS = 2000
FOLLOW_SLACK = 3.0
BUFFER = 2 * PAGE  # records a subscription may hold undelivered before it is left out of reads
RESUME_AT = BUFFER // 2  # ... and read for again once its consumer has drained it to this
RECONNECT_MIN = 0.05  # seconds, doubled per failed try up to RECONNECT_MAX, with jitter
RECONNECT_MAX = 2.0
UNBLOCK_TRIES = 250  # a CLIENT UNBLOCK that finds the follower not yet blocked is tried again...
UNBLOCK_PAUSE = 0.002  # ... after this pause (its XREAD may still be on the wire)

COMPACT_TIMEOUT = 10.0  # seconds compact_journal waits for Redis's background rewrite/save
COMPACT_POLL = 0.05

# A counter as stored by the script: string.format('%020d', value), zero-padded (a minus sign in
# the first place if ever negative). With its leading zeros Redis never takes it for an integer,
# so a listpack keeps it as a string of this width.
TALLY_WIDTH = 20

# KEYS[1] stream key, KEYS[2] set of stream names, KEYS[3] tally hash, KEYS[4] receipts (zset).
# ARGV[1] stream name, ARGV[2] expected offset, ARGV[3] secret write as JSON ("" for none),
# then (type, data) pairs.
# Returns {1, new last offset}, {0, actual last offset} (conflict) or {2, receipt} (missing receipt).
APPEND_SCRIPT = """
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local actual = 0
if #last > 0 then
    local id = last[1][1]
    actual = tonumber(string.sub(id, 1, string.find(id, '-', 1, true) - 1))
end
local expected = tonumber(ARGV[2])
if actual ~= expected then
    return {0, actual}
end
local secret = nil
if ARGV[3] ~= '' then
    secret = cjson.decode(ARGV[3])
    if redis.call('TYPE', KEYS[4])['ok'] == 'set' then
        -- receipts written by an older version: the same members, kept sorted from now on
        local members = redis.call('SMEMBERS', KEYS[4])
        redis.call('DEL', KEYS[4])
        for _, receipt in ipairs(members) do redis.call('ZADD', KEYS[4], 0, receipt) end
    end
    for _, receipt in ipairs(secret['remove']) do
        if not redis.call('ZSCORE', KEYS[4], receipt) then
            return {2, receipt}
        end
    end
end
local offset = expected
for i = 4, #ARGV, 2 do
    offset = offset + 1
    redis.call('XADD', KEYS[1], string.format('%d-0', offset), 'type', ARGV[i], 'data', ARGV[i + 1])
end
redis.call('SADD', KEYS[2], ARGV[1])
if secret then
    -- A hash of many counters is a hash table, and one being rehashed moves a bucket on with each
    -- lookup: its field order would count the counter writes of the votes that follow. So after
    -- counters are created or deleted, look up until any rehash is over: an expansion has at most
    -- as many buckets left as there are fields, a shrink at most twice as many as there were.
    local function settle(fields)
        if redis.call('OBJECT', 'ENCODING', KEYS[3]) == 'hashtable' then
            for _ = 1, 2 * fields do redis.call('HEXISTS', KEYS[3], '') end
        end
    end
    for _, receipt in ipairs(secret['remove']) do redis.call('ZREM', KEYS[4], receipt) end
    for _, receipt in ipairs(secret['add']) do redis.call('ZADD', KEYS[4], 0, receipt) end
    -- init arrives sorted; HSETNX appends each new field to a small hash's listpack in turn
    local init = secret['init'] or {}
    for _, key in ipairs(init) do
        redis.call('HSETNX', KEYS[3], key, string.format('%020d', 0))
    end
    if #init > 0 then settle(redis.call('HLEN', KEYS[3])) end
    for key, by in pairs(secret['incr']) do
        local now = tonumber(redis.call('HGET', KEYS[3], key) or '0')
        redis.call('HSET', KEYS[3], key, string.format('%020d', now + by))
    end
    local prefix = secret['clear']
    if prefix ~= cjson.null and prefix ~= nil then
        local n = string.len(prefix)
        local keys = redis.call('HKEYS', KEYS[3])
        for _, key in ipairs(keys) do
            if string.sub(key, 1, n) == prefix then redis.call('HDEL', KEYS[3], key) end
        end
        settle(#keys)
        for _, receipt in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do
            if string.sub(receipt, 1, n) == prefix then redis.call('ZREM', KEYS[4], receipt) end
        end
    end
end
return {1, offset}
"""
APPEND_SHA = hashlib.sha1(APPEND_SCRIPT.encode()).hexdigest()

# The digest of a stream entry (flat field list) as base.event_check computes it.
_CHECK = """
local function check(entry)
    local fields, kind, data = entry[2], nil, nil
    for i = 1, #fields, 2 do
        if fields[i] == 'type' then kind = fields[i + 1] elseif fields[i] == 'data' then data = fields[i + 1] end
    end
    return redis.sha1hex(kind .. '\\n' .. data)
end
local function at(offset)
    local entry = redis.call('XRANGE', KEYS[1], offset .. '-0', offset .. '-0')
    if #entry == 0 then return nil end
    return check(entry[1])
end
"""

# KEYS[1] stream key, KEYS[2] snapshot key; ARGV[1] offset, ARGV[2] schema, ARGV[3] blob.
# Returns 1 if stored, 0 if refused (no event at the offset, or the kept one is as new and valid).
SAVE_SNAPSHOT_SCRIPT = (
    _CHECK
    + """
local digest = at(ARGV[1])
if not digest then return 0 end
local kept = redis.call('HMGET', KEYS[2], 'offset', 'schema', 'check')
if kept[1] and kept[2] == ARGV[2] and tonumber(kept[1]) >= tonumber(ARGV[1]) and at(kept[1]) == kept[3] then
    return 0
end
redis.call('HSET', KEYS[2], 'offset', ARGV[1], 'schema', ARGV[2], 'check', digest, 'blob', ARGV[3])
return 1
"""
)
SAVE_SNAPSHOT_SHA = hashlib.sha1(SAVE_SNAPSHOT_SCRIPT.encode()).hexdigest()

# KEYS[1] stream key, KEYS[2] snapshot key; ARGV[1] schema. Returns {0} none, {1, schema} another
# schema, {2, offset} the log does not hold its event, {3, offset, blob} usable.
LOAD_SNAPSHOT_SCRIPT = (
    _CHECK
    + """
local kept = redis.call('HMGET', KEYS[2], 'offset', 'schema', 'check', 'blob')
if not kept[1] then return {0} end
if kept[2] ~= ARGV[1] then return {1, kept[2]} end
if at(kept[1]) ~= kept[3] then return {2, kept[1]} end
return {3, kept[1], kept[4]}
"""
)
LOAD_SNAPSHOT_SHA = hashlib.sha1(LOAD_SNAPSHOT_SCRIPT.encode()).hexdigest()


# What compact_journal starts and watches in INFO persistence: name, counter of completed runs
# (Redis 7+), "running" flag, "scheduled" flag (none for RDB), status of the last run.
_BACKGROUND = {
    "aof": (
        "AOF rewrite",
        "aof_rewrites",
        "aof_rewrite_in_progress",
        "aof_rewrite_scheduled",
        "aof_last_bgrewrite_status",
    ),
    "rdb": ("RDB save", "rdb_saves", "rdb_bgsave_in_progress", "", "rdb_last_bgsave_status"),
}


def _key(stream: str) -> str:
    return f"{KEY_PREFIX}log:{stream}"


def _tally_key(stream: str) -> str:
    return f"{KEY_PREFIX}tally:{stream}"


def _receipts_key(stream: str) -> str:
    return f"{KEY_PREFIX}receipts:{stream}"


def _snapshot_key(stream: str) -> str:
    return f"{KEY_PREFIX}snapshot:{stream}"


def _offset(entry_id: str) -> int:
    return int(entry_id.partition("-")[0])


def _record(stream: str, entry: Sequence[Any]) -> Record:
    """A stream entry as parsed by redis-py (id, {field: value}) or raw (id, [field, value, ...])."""
    entry_id, fields = entry
    if not isinstance(fields, dict):
        fields = dict(zip(fields[::2], fields[1::2], strict=True))
    return Record(stream, _offset(entry_id), fields["type"], json.loads(fields["data"]))


def _xread_streams(reply: Any) -> Iterable[tuple[str, list[Any]]]:
    """(key, entries) pairs of an XREAD reply, whichever protocol the URL asked for.

    RESP2 gives ``[[key, entries], ...]``, RESP3 a map ``{key: entries}``; redis-py's own RESP3
    parsing nests the entries once more (``{key: [entries]}``), which is undone here too.
    """
    if not reply:
        return ()
    pairs = reply.items() if isinstance(reply, dict) else ((key, entries) for key, entries in reply)
    out = []
    for key, entries in pairs:
        if entries and isinstance(entries[0], list) and entries[0] and not isinstance(entries[0][0], str):
            entries = entries[0]
        out.append((key, entries))
    return out


def _bulk(data: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(data), data)


class _Subscription:
    """One ``subscribe()`` call: what the follower handed it and its consumer has not taken yet."""

    __slots__ = ("after", "buffer", "error", "ready", "stalled")

    def __init__(self, after: int) -> None:
        self.after = after  # the last offset handed to the buffer: reads for it resume after this
        self.buffer: deque[Record] = deque()
        self.ready = asyncio.Event()
        self.stalled = False  # buffer full: left out of reads until drained to RESUME_AT
        self.error: BaseException | None = None

    def offer(self, records: Sequence[Record]) -> None:
        """Take the records that continue this subscription, as many as the buffer holds."""
        if self.stalled:
            return
        added = False
        for record in records:
            if record.offset <= self.after:
                continue  # read for another subscription of the stream that is further behind
            if record.offset != self.after + 1:
                break  # this read started past us (we were stalled); the next one starts at us
            if len(self.buffer) >= BUFFER:
                self.stalled = True
                break
            self.buffer.append(record)
            self.after = record.offset
            added = True
        if added:
            self.ready.set()


class _Followed:
    """A stream some subscriptions follow, with its key encoded once (one XREAD may name thousands)."""

    __slots__ = ("bulk", "key", "stream", "subs")

    def __init__(self, stream: str, bulk: bytes) -> None:
        self.stream, self.key, self.bulk = stream, _key(stream), bulk
        self.subs: set[_Subscription] = set()

    def position(self) -> int | None:
        """Where the next read starts: the furthest-behind subscription with room (None: none has)."""
        if len(self.subs) == 1:  # the usual case, and this runs for every stream at every wake
            for sub in self.subs:
                return None if sub.stalled else sub.after
        return min((s.after for s in self.subs if not s.stalled), default=None)


class RedisLog:
    def __init__(self, pool: BlockingConnectionPool, follow_pool: ConnectionPool) -> None:
        self._pool = pool
        self._redis = Redis(connection_pool=pool)
        self._follow_pool = follow_pool
        socket_timeout = follow_pool.connection_kwargs.get("socket_timeout")
        # BLOCK must end before the follower's socket timeout (a URL may set a short one); BLOCK 0
        # would mean "forever", hence the floor of 1 ms.
        self._block_ms = BLOCK_MS if not socket_timeout else max(1, min(BLOCK_MS, int(socket_timeout * 500)))
        self._encoder = follow_pool.get_encoder()
        self._closed = False
        self._followed: dict[str, _Followed] = {}  # stream name -> its subscriptions
        self._by_key: dict[str, _Followed] = {}
        self._generation = 0  # bumped whenever what the next XREAD should name changes
        self._changed = asyncio.Event()  # wakes an idle follower
        self._follower: asyncio.Task[None] | None = None
        self._waker: asyncio.Task[None] | None = None
        self._client_id: int | None = None  # the follower connection's, for CLIENT UNBLOCK
        self._inflight: int | None = None  # generation of the XREAD the follower is waiting on

    @classmethod
    async def connect(cls, url: str) -> RedisLog:
        # Options in the URL (max_connections, socket_timeout, protocol...) override these.
        pool = BlockingConnectionPool.from_url(
            url,
            decode_responses=True,
            max_connections=POOL_SIZE,
            timeout=POOL_TIMEOUT,
            socket_timeout=SOCKET_TIMEOUT,
            socket_connect_timeout=CONNECT_TIMEOUT,
            retry=Retry(EqualJitterBackoff(cap=RETRY_CAP, base=RETRY_BASE), READ_RETRIES),
        )
        # The follower retries by itself (forever, with its own backoff): no redis-py retries.
        follow_pool = ConnectionPool.from_url(
            url,
            decode_responses=True,
            max_connections=1,
            socket_timeout=BLOCK_MS / 1000 + FOLLOW_SLACK,
            socket_connect_timeout=CONNECT_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )
        log = cls(pool, follow_pool)
        try:
            await log._redis.ping()  # fail at start-up, not on the first append
        except BaseException:
            await log.close()
            raise
        return log

    # writing ---------------------------------------------------------------------------------

    async def append(
        self, stream: str, expected_offset: int, events: Sequence[NewEvent], side: SideWrite | None = None
    ) -> int:
        if not events:
            raise ValueError("append needs at least one event")
        packed = ""
        if side is not None:
            packed = json.dumps(
                {
                    "incr": {k: int(v) for k, v in side.increments.items()},
                    "init": sorted(side.init),
                    "add": list(side.add_tokens),
                    "remove": list(side.remove_tokens),
                    "clear": side.clear_prefix,
                }
            )
        args: list[str | int] = [stream, expected_offset, packed]
        for event in events:
            args += [event.type, encode_data(event.data)]
        keys = [_key(stream), STREAMS_KEY, _tally_key(stream), _receipts_key(stream)]
        status, value = await self._append_once(keys, args)
        if status == 0:
            raise Conflict(stream, expected_offset, int(value))
        if status == 2:
            raise TokenMissing(str(value))
        return int(value)

    async def _append_once(self, keys: list[str], args: list[str | int]) -> Any:
        """Run the append script at most once (see the module docstring), retrying only what
        proves it did not run: LOADING, for about as long as reads retry."""
        loading = 0
        while True:
            try:
                return await self._once(self._eval_append, keys, args)
            except BusyLoadingError:
                loading += 1
                if loading > READ_RETRIES:
                    raise
                await asyncio.sleep(min(RETRY_CAP, RETRY_BASE * 2**loading))

    @staticmethod
    async def _eval_append(conn: AbstractConnection, keys: list[str], args: list[str | int]) -> Any:
        try:
            await conn.send_command("EVALSHA", APPEND_SHA, len(keys), *keys, *args)
            return await conn.read_response()
        except NoScriptError:  # refused before running: a restarted Redis has an empty script cache
            await conn.send_command("EVAL", APPEND_SCRIPT, len(keys), *keys, *args)
            return await conn.read_response()

    async def _once(self, run: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """``run(conn, *args)`` on a pooled connection with no redis-py retry around it. Connecting
        is retried (nothing was sent yet); anything failing after the send reaches the caller."""
        conn = await self._pool.get_connection()
        try:
            # A connection that sat in the pool while Redis restarted reads EOF; redis-py's own
            # check at checkout is skipped under RESP3, so look here, before anything is sent.
            try:
                stale = await conn.can_read()
            except RedisError:
                stale = True
            if stale:
                await conn.disconnect()
                await conn.connect()
            return await run(conn, *args)
        except BaseException as e:
            if not isinstance(e, ResponseError):
                # A reply may still be on its way: it must never reach the connection's next user.
                await conn.disconnect(nowait=True)
            raise
        finally:
            await self._pool.release(conn)

    # reading ---------------------------------------------------------------------------------

    async def read_side(self, stream: str, prefix: str) -> tuple[int, dict[str, int]]:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xrevrange(_key(stream), "+", "-", count=1)
            pipe.hgetall(_tally_key(stream))
            last, tallies = await pipe.execute()
        offset = _offset(last[0][0]) if last else 0
        return offset, {k: int(v) for k, v in tallies.items() if k.startswith(prefix)}

    async def read(self, stream: str, after: int = 0) -> list[Record]:
        records: list[Record] = []
        while True:
            page = await self._redis.xrange(_key(stream), f"{after + 1}-0", "+", count=PAGE)
            records += (_record(stream, entry) for entry in page)
            if len(page) < PAGE:
                return records
            after = records[-1].offset

    async def last_offset(self, stream: str) -> int:
        last = await self._redis.xrevrange(_key(stream), "+", "-", count=1)
        return _offset(last[0][0]) if last else 0

    async def streams(self, prefix: str = "") -> list[str]:
        # Filter here rather than with SSCAN MATCH: stream names may contain glob characters.
        names = [name async for name in self._redis.sscan_iter(STREAMS_KEY, count=PAGE)]
        return sorted({name for name in names if name.startswith(prefix)})

    async def get_or_set_secret(self, name: str, candidate: str) -> str:
        key = f"{KEY_PREFIX}secret:{name}"
        # SET NX then GET in one MULTI: the GET sees the first writer's value, ours or not.
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(key, candidate, nx=True)
            pipe.get(key)
            _, value = await pipe.execute()
        return str(value)

    # snapshots -------------------------------------------------------------------------------

    async def _script(self, script: str, sha: str, keys: list[str], args: list[Any], **options: Any) -> Any:
        """A snapshot script, through the retrying client: both are safe to run twice (a save
        that ran is refused the second time, a load reads)."""
        try:
            return await self._redis.execute_command("EVALSHA", sha, len(keys), *keys, *args, **options)
        except NoScriptError:  # a restarted Redis has an empty script cache
            return await self._redis.execute_command("EVAL", script, len(keys), *keys, *args, **options)

    async def save_snapshot(self, stream: str, offset: int, schema: str, blob: bytes) -> bool:
        keys = [_key(stream), _snapshot_key(stream)]
        stored = await self._script(SAVE_SNAPSHOT_SCRIPT, SAVE_SNAPSHOT_SHA, keys, [offset, schema, blob])
        return bool(int(stored))

    async def load_snapshot(self, stream: str, schema: str) -> tuple[int, bytes] | None:
        # The blob is binary: this reply is read undecoded (the pool decodes replies as UTF-8).
        reply = await self._script(
            LOAD_SNAPSHOT_SCRIPT, LOAD_SNAPSHOT_SHA, [_key(stream), _snapshot_key(stream)], [schema], NEVER_DECODE=[]
        )
        status = int(reply[0])
        if status == 1:
            logger.info("redis: snapshot of %s has another schema (%s): ignored", stream, reply[1].decode())
        elif status == 2:
            logger.warning(
                "redis: snapshot of %s at %s does not match the log (truncated or reset): ignored",
                stream,
                reply[1].decode(),
            )
        elif status == 3:
            return int(reply[1]), bytes(reply[2])
        return None

    # following -------------------------------------------------------------------------------

    async def subscribe(self, stream: str, after: int = 0) -> AsyncIterator[Record]:
        if self._closed:
            return
        sub = _Subscription(after)
        self._add(stream, sub)
        try:
            while not self._closed:
                if sub.buffer:
                    record = sub.buffer.popleft()
                    if sub.stalled and len(sub.buffer) <= RESUME_AT:
                        sub.stalled = False
                        self._touch()  # read for it again
                    yield record
                elif sub.error is not None:
                    raise sub.error
                else:
                    sub.ready.clear()
                    await sub.ready.wait()
        finally:
            self._remove(stream, sub)

    def followed(self) -> int:
        """How many streams the follower reads for (at least one live subscription each)."""
        return len(self._followed)

    def _add(self, stream: str, sub: _Subscription) -> None:
        followed = self._followed.get(stream)
        if followed is None:
            followed = _Followed(stream, _bulk(self._encoder.encode(_key(stream))))
            self._followed[stream] = self._by_key[followed.key] = followed
        followed.subs.add(sub)
        if self._follower is None:
            self._follower = asyncio.create_task(self._follow(), name="mayday-redis-follower")
        self._touch()

    def _remove(self, stream: str, sub: _Subscription) -> None:
        followed = self._followed.get(stream)
        if followed is None:
            return
        followed.subs.discard(sub)
        if not followed.subs:
            del self._followed[stream], self._by_key[followed.key]
            self._touch()  # a blocked read naming only this stream would hold its connection for nothing

    def _touch(self) -> None:
        """What the next XREAD names has changed: wake the follower if it is idle or blocked."""
        if self._closed:
            return
        self._generation += 1
        self._changed.set()
        if self._inflight is not None and (self._waker is None or self._waker.done()):
            with contextlib.suppress(RuntimeError):  # no running loop: a generator finalised at exit
                self._waker = asyncio.get_running_loop().create_task(self._unblock())

    async def _unblock(self) -> None:
        """CLIENT UNBLOCK the follower's XREAD until it is waiting on the current set of streams.

        UNBLOCK finds nothing to unblock while the XREAD is still on its way to Redis (or its reply
        on its way back), so it is tried again briefly. If it fails (a managed Redis may refuse
        CLIENT), the change is picked up when the XREAD returns: within BLOCK_MS.
        """
        for _ in range(UNBLOCK_TRIES):
            inflight, client_id = self._inflight, self._client_id
            if self._closed or inflight is None or inflight >= self._generation or client_id is None:
                return
            try:
                if await self._redis.client_unblock(client_id):
                    return
            except RedisError as e:
                logger.debug("CLIENT UNBLOCK failed (%s); new subscriptions wait for the block to end", e)
                return
            await asyncio.sleep(UNBLOCK_PAUSE)

    def _next_read(self) -> tuple[bytes, int] | None:
        """The next XREAD, packed (None: nothing to read for), and the generation it reflects."""
        keys: list[bytes] = []
        ids: list[bytes] = []
        for followed in self._followed.values():
            position = followed.position()
            if position is not None:
                keys.append(followed.bulk)
                entry_id = b"%d-0" % position
                ids.append(b"$%d\r\n%s\r\n" % (len(entry_id), entry_id))
        if not keys:
            return None
        head = [b"XREAD", b"COUNT", b"%d" % PAGE, b"BLOCK", b"%d" % self._block_ms, b"STREAMS"]
        # Packed by hand: redis-py's packer takes ~1 ms per thousand keys, every time the follower wakes.
        packed = b"".join([b"*%d\r\n" % (len(head) + 2 * len(keys)), *map(_bulk, head), *keys, *ids])
        return packed, self._generation

    async def _follow(self) -> None:
        conn: AbstractConnection | None = None
        failures = 0
        try:
            while not self._closed:
                self._changed.clear()
                request = self._next_read()
                if request is None:
                    await self._changed.wait()  # nothing followed, or every buffer full
                    continue
                try:
                    if conn is None:
                        conn = await self._follow_pool.get_connection()
                    # Delivering again what was delivered is harmless (offers skip offsets they hold).
                    self._deliver(await self._read_once(conn, *request))
                except Exception as e:  # ConnectionError, TimeoutError, LOADING, ... or a bug: never die
                    self._inflight = self._client_id = None
                    if conn is not None:
                        await conn.disconnect(nowait=True)
                    failures += 1
                    if failures == 1:
                        trace = not isinstance(e, RedisError | OSError)  # a bug, not Redis: show where
                        waiting = len(self._followed)
                        logger.warning("redis follower: %s; retrying (%d streams wait)", e, waiting, exc_info=trace)
                    else:
                        logger.debug("redis follower: try %d failed: %s", failures, e)
                    delay = min(RECONNECT_MAX, RECONNECT_MIN * 2 ** (failures - 1))
                    await asyncio.sleep(delay * (0.5 + random.random() / 2))  # jitter: processes spread out
                    continue
                if failures:
                    logger.warning("redis follower: reading again after %d failed tries", failures)
                    failures = 0
        finally:
            self._inflight = self._client_id = None
            if conn is not None:
                # Cancelled mid-read (close()): the late reply must not be read by anyone.
                await conn.disconnect(nowait=True)

    async def _read_once(self, conn: AbstractConnection, packed: bytes, generation: int) -> Any:
        """One XREAD on the follower's connection, (re)connecting it first if needed."""
        if not conn.is_connected or self._client_id is None:
            await conn.connect()
            await conn.send_command("CLIENT", "ID")
            self._client_id = int(await conn.read_response())
        self._inflight = generation
        try:
            await conn.send_packed_command(packed, check_health=False)
            return await conn.read_response()
        finally:
            self._inflight = None

    def _deliver(self, reply: Any) -> None:
        for key, entries in _xread_streams(reply):
            followed = self._by_key.get(key)
            if followed is None or not entries:
                continue  # nobody follows it any more
            try:
                records = [_record(followed.stream, entry) for entry in entries]
            except (KeyError, ValueError, TypeError) as e:  # not an entry this backend wrote
                for sub in followed.subs:
                    sub.error = e
                    sub.ready.set()
                continue
            for sub in followed.subs:
                sub.offer(records)

    # operations ------------------------------------------------------------------------------

    async def ping(self) -> float:
        """Seconds one PING took (no retries), raising after PING_TIMEOUT or on any error."""
        start = time.perf_counter()

        async def run(conn: AbstractConnection) -> Any:
            await conn.send_command("PING")
            return await conn.read_response()

        await asyncio.wait_for(self._once(run), PING_TIMEOUT)
        return time.perf_counter() - start

    async def compact_journal(self) -> str:
        """After a secret ballot closes: make Redis's persistence keep only the current data.

        The AOF holds every write (each vote's counter increment, in order) until it is rewritten,
        and an RDB file written mid-ballot holds that moment's counts: BGREWRITEAOF and/or BGSAVE,
        whichever is configured, each waited for (COMPACT_TIMEOUT at most). Where CONFIG or the
        commands are refused (managed Redis), it logs a warning and says what it could not do.
        """
        try:
            config = await self._redis.config_get("appendonly")
            config.update(await self._redis.config_get("save"))
        except ResponseError as e:
            logger.warning("compact_journal: CONFIG GET refused (%s); Redis persistence left as it is", e)
            return (
                f"redis: CONFIG GET refused ({e}): could not tell whether Redis keeps an AOF or RDB "
                "snapshots, nothing compacted; have the provider rewrite or drop them"
            )
        deadline = time.monotonic() + COMPACT_TIMEOUT
        done: list[str] = []
        if config.get("appendonly") == "yes":
            done.append(await self._background("aof", deadline))
        if (config.get("save") or "").strip():
            done.append(await self._background("rdb", deadline))
        if not done:
            return "redis: neither AOF nor RDB snapshots configured, nothing on disk to compact"
        return "redis: " + "; ".join(done)

    async def _background(self, kind: str, deadline: float) -> str:
        """Start an AOF rewrite or RDB save and wait for it. One already running may have begun
        before the ballot closed, so it is waited for and ours started after it."""
        name, counter, running, scheduled, status = _BACKGROUND[kind]

        async def start() -> Any:
            if kind == "aof":
                return await self._redis.bgrewriteaof()
            return await self._redis.bgsave(schedule=True)  # if an AOF rewrite runs: when it ends

        began = time.monotonic()
        info: dict[str, Any] = {}
        while True:
            info = await self._redis.info("persistence")
            if not info.get(running) and not info.get(scheduled):
                before = info.get(counter)
                before_time = info.get("rdb_last_save_time", 0)
                try:
                    await start()
                    break
                except ResponseError as e:
                    if "progress" not in str(e):  # refused (managed Redis), not merely busy
                        logger.warning("compact_journal: %s refused: %s", name, e)
                        return f"{name} refused ({e})"
            if time.monotonic() >= deadline:
                logger.warning("compact_journal: another %s still running after %.0f s", name, COMPACT_TIMEOUT)
                return f"{name} not started: another one still running after {COMPACT_TIMEOUT:.0f} s"
            await asyncio.sleep(COMPACT_POLL)
        while True:
            await asyncio.sleep(COMPACT_POLL)
            info = await self._redis.info("persistence")
            if not info.get(running) and not info.get(scheduled):
                # Counters arrived in Redis 7; before that, the save time tells (rewrites: trusted).
                if before is not None and info.get(counter, 0) > before:
                    break
                if before is None and (kind == "aof" or info.get("rdb_last_save_time", 0) > before_time):
                    break
                if info.get(status) not in (None, "ok"):
                    break
            if time.monotonic() >= deadline:
                logger.warning("compact_journal: %s still running after %.0f s", name, COMPACT_TIMEOUT)
                return f"{name} started, not finished after {COMPACT_TIMEOUT:.0f} s"
        if info.get(status) not in (None, "ok"):
            logger.warning("compact_journal: %s failed (%s)", name, info.get(status))
            return f"{name} failed ({status}: {info.get(status)})"
        return f"{name} done in {time.monotonic() - began:.1f} s"

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for followed in self._followed.values():
            for sub in followed.subs:
                sub.ready.set()  # live subscribers stop waiting and end
        tasks = [t for t in (self._follower, self._waker) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._redis.aclose()
        await self._pool.aclose()
        await self._follow_pool.aclose()
