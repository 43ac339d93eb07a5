"""Who is connected, per assembly and person, in this process: the shell that notices a browser
that went away and, after a grace, sends the core a ``Dropped`` command (an interpreter's booth
goes to a connected partner or is freed; a speaker's floor ends; the chair is told).

Connections are counted per process. With several processes, a person who reconnects to another
process within the grace is still dropped here; they take their booth (or ask for the floor)
again. Phones on bad networks reconnect within seconds, hence a grace of tens of seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from typing import Any

from assembly.commands import Dropped

log = logging.getLogger("mayday.presence")
DROP_GRACE = 30.0  # seconds without any open connection before a person counts as gone


class Presence:
    def __init__(self, service: Any, grace: float = DROP_GRACE) -> None:
        self.service, self.grace = service, grace
        self._open: Counter[tuple[str, str]] = Counter()
        self._pending: dict[tuple[str, str], asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def connected(self, assembly_id: str) -> frozenset[str]:
        return frozenset(person for (aid, person), n in self._open.items() if aid == assembly_id and n > 0)

    def opened(self, assembly_id: str, person: str) -> None:
        key = (assembly_id, person)
        self._open[key] += 1
        pending = self._pending.pop(key, None)
        if pending is not None:
            pending.cancel()  # back within the grace: nothing happened

    def closed(self, assembly_id: str, person: str) -> None:
        key = (assembly_id, person)
        self._open[key] -= 1
        if self._open[key] > 0:
            return
        del self._open[key]
        old = self._pending.pop(key, None)
        if old is not None:
            old.cancel()
        self._pending[key] = asyncio.get_running_loop().call_later(self.grace, self._expire, key)

    def _expire(self, key: tuple[str, str]) -> None:
        self._pending.pop(key, None)
        if self._open[key] > 0:
            return
        task = asyncio.create_task(self._drop(*key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drop(self, assembly_id: str, person: str) -> None:
        try:
            await self.service.execute(assembly_id, Dropped(person, self.connected(assembly_id)))
        except Exception:
            log.exception("could not record that %s left assembly %s", person, assembly_id)

    async def close(self) -> None:
        for handle in self._pending.values():
            handle.cancel()
        self._pending.clear()
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
