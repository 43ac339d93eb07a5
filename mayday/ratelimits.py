"""Rate limits, on the ``limits`` package's asyncio API (``limits.aio``): REST writes per client
address, WebSocket frames per connection. The limits themselves are in docs/protocol.md.

Strategy: the sliding window counter, for both. A limit of "B per W seconds" counts this window's
hits and weighs the previous window's by the part of it still inside the last W seconds. A client
that has been quiet gets B at once (the burst); one that keeps sending is held to B / W per second
(the steady rate), as the token buckets these replace did; it is back to a full burst two windows
after it stops. A limit given as (rate per second, burst) becomes "burst per burst / rate seconds"
(whole seconds, at least 1: 20/s burst 100 is 100 per 5 s; 10/s burst 30 is 30 per 3 s). The
count is rounded down, so a hit landing just after a window boundary may let one more through.
The moving window would be exact, but keeps a timestamp per hit (100 per client) and the in-memory
storage sweeps its entries through a thread, one call per key; two counters per key are cheaper.

Storage. REST: in memory by default; on Redis when the app runs on Redis (``Settings.redis_url``),
with limits' async Redis storage over redis-py (``implementation="redispy"``: limits' default is
coredis, which Mayday does not install), so every process behind a balancer counts the same budget
per client. Its connections are its own (a small blocking pool, short timeouts, no retries): a
limiter that cannot reach Redis lets the write through (fail open) and logs a warning once per
outage, and the write then meets the real error, if any, in the log (``503 unavailable``). While
Redis is down the limiter does not ask it again for ``RETRY_AFTER`` seconds, so writes do not each
wait for it.
In memory, counters expire by themselves (limits sweeps expired keys on each counted hit), and at
most ``2 * max_clients`` counters (two per client) are kept: past that, all are dropped, as the old
buckets were (bounded memory beats fairness under a flood of addresses).

WebSocket: a connection lives in one process, so its limit is in memory, in a storage of its own
(``FrameLimit``): one key, swept on its own hits only, gone with the connection.
"""

from __future__ import annotations

import logging
import math
import time

import redis.exceptions
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from mayday.errors import STORAGE_ERRORS

log = logging.getLogger("mayday.ratelimits")

REST_RATE = (20.0, 100.0)  # REST writes per client address: (per second, burst) = 100 per 5 s
FRAME_RATE = (10.0, 30.0)  # WebSocket frames per connection: (per second, burst) = 30 per 3 s
MAX_CLIENTS = 10_000  # REST clients remembered in memory (Redis keys expire by themselves)
KEY_PREFIX = "mayday:limits"  # Redis keys: mayday:limits:{rest/ADDRESS/100/5/second}, expiring
REDIS_TIMEOUT = 0.5  # seconds: a limiter that waits longer for Redis lets the write through
POOL_SIZE = 16  # connections to Redis per process; a script runs in well under a millisecond
POOL_TIMEOUT = 2.0  # seconds a write may wait for one of them (only a badly overloaded process does)
RETRY_AFTER = 1.0  # seconds without asking Redis after it failed
LIMIT_ERRORS: tuple[type[BaseException], ...] = (*STORAGE_ERRORS, redis.exceptions.RedisError)


def window(per_s: float, burst: float, namespace: str) -> RateLimitItem:
    """(rate per second, burst) as "burst per burst / rate seconds" (whole seconds, at least 1)."""
    if per_s <= 0 or burst < 1:
        raise ValueError(f"a rate limit needs a positive rate and a burst of at least 1, not {per_s}, {burst}")
    return RateLimitItemPerSecond(int(burst), max(1, round(burst / per_s)), namespace=namespace)


class RestLimit:
    """The REST write limit, per client address; shared by every process on one Redis."""

    def __init__(
        self,
        per_s: float = REST_RATE[0],
        burst: float = REST_RATE[1],
        *,
        redis_url: str | None = None,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self.item = window(per_s, burst, "rest")
        self.max_keys = 2 * max_clients  # this window's counter and the previous one's
        self._pool: BlockingConnectionPool | None = None
        self._down_until = 0.0  # monotonic time before which Redis is not asked again
        self._failing = False
        self._memory: MemoryStorage | None = None
        self.storage: Storage
        if redis_url is None:
            self.storage = self._memory = MemoryStorage()
        else:
            # Blocking: past POOL_SIZE concurrent writes a caller waits for a connection (redis-py's
            # default pool would fail at once, and the limit would fail open under a burst).
            self._pool = BlockingConnectionPool.from_url(
                redis_url,
                max_connections=POOL_SIZE,
                timeout=POOL_TIMEOUT,
                socket_timeout=REDIS_TIMEOUT,
                socket_connect_timeout=REDIS_TIMEOUT,
                retry=Retry(NoBackoff(), 0),  # fail open at once: the next write asks again
            )
            # The URI only names the scheme: the pool, built from Mayday's own URL (redis://,
            # rediss://, unix://), is what connects.
            self.storage = RedisStorage(
                "async+redis://", implementation="redispy", connection_pool=self._pool, key_prefix=KEY_PREFIX
            )
        self._limiter = SlidingWindowCounterRateLimiter(self.storage)

    async def allow(self, client: str) -> bool:
        """Count one write by ``client``; False when it is over the limit (nothing counted then)."""
        if self._memory is not None:
            allowed = await self._limiter.hit(self.item, client)
            if len(self._memory.expirations) > self.max_keys:
                await self._memory.reset()
            return allowed
        if time.monotonic() < self._down_until:
            return True
        try:
            allowed = await self._limiter.hit(self.item, client)
        except LIMIT_ERRORS as e:
            self._down_until = time.monotonic() + RETRY_AFTER
            if not self._failing:
                self._failing = True
                log.warning(
                    "rate limit store unreachable, REST writes are not limited until it is back (%s: %s)",
                    type(e).__name__,
                    e,
                )
            return True
        if self._failing:
            self._failing = False
            log.info("rate limit store reachable again, REST writes are limited again")
        return allowed

    async def retry_after(self, client: str) -> int:
        """Whole seconds until ``client`` may write again (the Retry-After of a 429): until the
        sliding window has moved on far enough for one more write, at least 1."""
        try:
            stats = await self._limiter.get_window_stats(self.item, client)
        except LIMIT_ERRORS:
            return 1
        if stats.remaining > 0:
            return 1
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
        if self._memory is not None:
            await self._memory.reset()


class FrameLimit:
    """One WebSocket connection's frame limit: every frame counts. In a storage of its own, which
    holds one key and goes with the connection (nothing to remove when it ends).

    The storage and its limiter are made on the first frame: a board only listens, and thousands
    of idle boards would otherwise each keep an empty storage (about 0.7 KiB). The limit itself,
    a value, is shared by every connection with the served rate."""

    __slots__ = ("_item", "_limiter")

    def __init__(self, per_s: float = FRAME_RATE[0], burst: float = FRAME_RATE[1]) -> None:
        self._item = _FRAME_ITEM if (per_s, burst) == FRAME_RATE else window(per_s, burst, "frames")
        self._limiter: SlidingWindowCounterRateLimiter | None = None

    async def take(self) -> bool:
        """Count one frame; False when it is over the limit (and then it is not counted)."""
        if self._limiter is None:
            self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        return await self._limiter.hit(self._item, "c")


_FRAME_ITEM = window(*FRAME_RATE, "frames")
