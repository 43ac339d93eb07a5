"""Heavy work off the event loop: parsing and planning definitions run in a bounded worker pool.

A definition of thousands of sites takes a noticeable fraction of a second to parse and plan; on
the loop that time would delay every handoff and every client. Here it runs in a small thread
pool (the planner spends its time in pytz and the YAML parser, which release nothing to the loop
but leave it scheduled every few milliseconds), at most ``WORKERS`` at once with ``QUEUE`` more
waiting; past that a request is refused at once with 503 ``busy``, and a job that takes longer
than ``DEADLINE`` seconds is answered with 503 ``timeout`` (its thread finishes the bounded job
and is discarded).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from mayday.errors import ApiError

T = TypeVar("T")

WORKERS = 1
QUEUE = 4
DEADLINE = 10.0  # seconds


class Worker:
    def __init__(self, workers: int = WORKERS, queue: int = QUEUE, deadline: float = DEADLINE) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mayday-work")
        self._slots = asyncio.Semaphore(workers + queue)
        self._limit = workers + queue
        self.deadline = deadline

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        if self._slots.locked():
            raise ApiError("busy", f"the server is already working on {self._limit} definitions; try again", 503)
        await self._slots.acquire()
        future = asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        # The slot is free when the work is, not when the caller stops waiting: a job past its
        # deadline still occupies its thread, and still counts.
        future.add_done_callback(lambda _: self._slots.release())
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.deadline)
        except TimeoutError:
            raise ApiError("timeout", f"this took longer than {self.deadline:g} s; make it smaller", 503) from None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
