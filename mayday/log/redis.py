"""Redis Streams backend: for several server processes sharing one log.

Layout (all keys under ``mayday:``):

* ``mayday:log:{stream}`` - one Redis stream per log stream. The entry ID *is* the offset:
  event N has ID ``N-0``. Offsets start at 1, so the reserved ID ``0-0`` is never used, and
  XRANGE/XREAD by offset need no lookup table. Fields: ``type`` and ``data`` (JSON text).
* ``mayday:streams`` - a set of every stream name that has at least one event (for ``streams``).
* ``mayday:secret:{name}`` - shared secrets, written once with SET NX.
* ``mayday:tally:{stream}`` (hash) and ``mayday:receipts:{stream}`` (set) - secret ballots'
  counters and receipts, written by the same script as the events they go with.

``append`` is one Lua script, so the compare (last entry ID == expected) and the XADDs run as one
atomic step on the server. XADD with an explicit ID only checks that the ID grows, which would let
two writers that read the same state both append; the compare is what refuses the second one.

``subscribe`` polls with blocking XREAD on connections from a second pool, so a blocked reader
never holds a connection that ``append``/``read`` need. Streams are durable and re-readable by ID,
so a subscriber that was slow, disconnected or in another process still sees every event once, in
order (pub/sub would drop messages sent while nobody listened).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from redis.asyncio import ConnectionPool, Redis

from mayday.log.base import Conflict, NewEvent, ReceiptMissing, Record, SecretWrite, encode_data

KEY_PREFIX = "mayday:"
STREAMS_KEY = KEY_PREFIX + "streams"
# How long one XREAD blocks. It must stay under the client's socket timeout (redis-py's default
# is 5 s), or the read would fail as a timeout; close() never waits for it (subscribers race the
# read against the close signal).
BLOCK_MS = 2000
# Page size for XRANGE/XREAD, so a long stream does not come back as one huge reply.
PAGE = 1000

# KEYS[1] stream key, KEYS[2] set of stream names, KEYS[3] tally hash, KEYS[4] receipt set.
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
    for _, receipt in ipairs(secret['remove']) do
        if redis.call('SISMEMBER', KEYS[4], receipt) == 0 then
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
    for _, receipt in ipairs(secret['remove']) do redis.call('SREM', KEYS[4], receipt) end
    for _, receipt in ipairs(secret['add']) do redis.call('SADD', KEYS[4], receipt) end
    for key, by in pairs(secret['incr']) do redis.call('HINCRBY', KEYS[3], key, by) end
    local prefix = secret['clear']
    if prefix ~= cjson.null and prefix ~= nil then
        local n = string.len(prefix)
        for _, key in ipairs(redis.call('HKEYS', KEYS[3])) do
            if string.sub(key, 1, n) == prefix then redis.call('HDEL', KEYS[3], key) end
        end
        for _, receipt in ipairs(redis.call('SMEMBERS', KEYS[4])) do
            if string.sub(receipt, 1, n) == prefix then redis.call('SREM', KEYS[4], receipt) end
        end
    end
end
return {1, offset}
"""


def _key(stream: str) -> str:
    return f"{KEY_PREFIX}log:{stream}"


def _tally_key(stream: str) -> str:
    return f"{KEY_PREFIX}tally:{stream}"


def _receipts_key(stream: str) -> str:
    return f"{KEY_PREFIX}receipts:{stream}"


def _offset(entry_id: str) -> int:
    return int(entry_id.partition("-")[0])


def _record(stream: str, entry: tuple[str, dict[str, str]]) -> Record:
    entry_id, fields = entry
    return Record(stream, _offset(entry_id), fields["type"], json.loads(fields["data"]))


def _xread_entries(reply: Any) -> list[tuple[str, dict[str, str]]]:
    """Entries of a single-stream XREAD reply, whichever protocol the URL asked for.

    RESP2 gives ``[[key, entries]]``; redis-py's RESP3 parsing gives ``{key: [entries]}``.
    """
    if not reply:
        return []
    if isinstance(reply, dict):
        (value,) = reply.values()
        return value[0] if value and isinstance(value[0], list) else value
    return reply[0][1]


class RedisLog:
    def __init__(self, client: Redis, sub_pool: ConnectionPool) -> None:
        self._redis = client
        self._sub_pool = sub_pool
        socket_timeout = sub_pool.connection_kwargs.get("socket_timeout")
        # BLOCK 0 would mean "forever", hence the floor of 1 ms.
        self._block_ms = BLOCK_MS if not socket_timeout else max(1, min(BLOCK_MS, int(socket_timeout * 500)))
        self._append_script = client.register_script(APPEND_SCRIPT)
        self._closed = False
        self._closing = asyncio.Event()
        self._reads: set[asyncio.Future[Any]] = set()  # in-flight blocking XREADs, for close()

    @classmethod
    async def connect(cls, url: str) -> RedisLog:
        client = Redis.from_url(url, decode_responses=True)
        try:
            await client.ping()  # fail at start-up, not on the first append
        except BaseException:
            await client.aclose()
            raise
        return cls(client, ConnectionPool.from_url(url, decode_responses=True))

    async def append(
        self, stream: str, expected_offset: int, events: Sequence[NewEvent], secret: SecretWrite | None = None
    ) -> int:
        if not events:
            raise ValueError("append needs at least one event")
        packed = ""
        if secret is not None:
            packed = json.dumps(
                {
                    "incr": {k: int(v) for k, v in secret.increments.items()},
                    "add": list(secret.add_receipts),
                    "remove": list(secret.remove_receipts),
                    "clear": secret.clear_prefix,
                }
            )
        args: list[str | int] = [stream, expected_offset, packed]
        for event in events:
            args += [event.type, encode_data(event.data)]
        keys = [_key(stream), STREAMS_KEY, _tally_key(stream), _receipts_key(stream)]
        status, value = await self._append_script(keys=keys, args=args)
        if status == 0:
            raise Conflict(stream, expected_offset, int(value))
        if status == 2:
            raise ReceiptMissing(str(value))
        return int(value)

    async def read_secret(self, stream: str, prefix: str) -> tuple[int, dict[str, int]]:
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

    async def subscribe(self, stream: str, after: int = 0) -> AsyncIterator[Record]:
        if self._closed:
            return
        # One connection for the life of this subscription, taken from the subscriber pool and
        # given back (not leaked) however the generator ends: exhausted, aclose()d or cancelled.
        conn = Redis(connection_pool=self._sub_pool, single_connection_client=True)
        closing = asyncio.ensure_future(self._closing.wait())
        read: asyncio.Future[Any] | None = None
        try:
            await conn.initialize()
            while not self._closed:
                # XREAD from "after" returns history first (it is already there) and blocks only
                # once we are caught up, so history and live events come through the same path.
                read = asyncio.ensure_future(conn.xread({_key(stream): f"{after}-0"}, count=PAGE, block=self._block_ms))
                self._reads.add(read)
                await asyncio.wait({read, closing}, return_when=asyncio.FIRST_COMPLETED)
                if self._closed:
                    return
                self._reads.discard(read)
                reply = read.result()  # raises if the read failed (after redis-py's retries)
                read = None
                for entry in _xread_entries(reply):
                    record = _record(stream, entry)
                    yield record
                    after = record.offset
        finally:
            closing.cancel()
            try:
                if read is not None:
                    self._reads.discard(read)
                    # Cancelling mid-read makes redis-py drop that socket (the late reply would
                    # confuse the next command); let it finish before the connection goes back.
                    read.cancel()
                    await asyncio.wait({read})
            finally:
                await conn.aclose()

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

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._closing.set()  # live subscribers stop waiting and end
        # Stop blocked reads before closing the pool under them: a read that lost its socket
        # would otherwise be retried on a fresh connection.
        reads = list(self._reads)
        for read in reads:
            read.cancel()
        if reads:
            await asyncio.wait(reads)
        await self._redis.aclose()
        await self._sub_pool.aclose()
