"""The relay shell: one Aggregate per relay, a tail per relay that keeps state current and feeds
the hub, and the timer. Everything that changes a relay goes through ``execute``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
from typing import Any

from mayday.aggregate import Aggregate
from mayday.clock import Clock
from mayday.errors import ApiError, not_found
from mayday.hub import Hub
from mayday.links import Grant, Links
from mayday.log import EventLog, NewEvent
from relay.baton import (
    Command,
    CreateRelay,
    DomainError,
    RelayState,
    Tick,
    decide,
    evolve,
    next_deadline,
)
from relay.commands import COORDINATOR, SITE, VIEWER
from relay.scheduler import BatonScheduler
from relay.spec import RelaySpec

log = logging.getLogger("mayday.relay")
INDEX_STREAM = "relays"  # one "relay_registered" event per relay: how other processes learn of it
RELAY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
ARM_DELAY = 0.02  # seconds; a deadline re-armed this late still fires (misfire_grace_time=None)


def stream_of(relay_id: str) -> str:
    return f"relay:{relay_id}"


def scope_of(relay_id: str) -> str:
    return f"relay:{relay_id}"


class RelayService:
    def __init__(self, log_: EventLog, hub: Hub, links: Links, clock: Clock, *, timers: bool = True) -> None:
        self.log, self.hub, self.links, self.clock = log_, hub, links, clock
        self.scheduler = BatonScheduler(self.tick) if timers else None
        self._relays: dict[str, asyncio.Task[Aggregate[RelayState]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._to_arm: set[str] = set()
        self._loaded: dict[str, Aggregate[RelayState]] = {}

    # life cycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Replay every relay, apply what was missed while down (late, and saying so), arm timers."""
        if self.scheduler:
            self.scheduler.start()
        index = await self.log.read(INDEX_STREAM)
        for record in index:
            await self._open(record.data["relay"])
        self._spawn(self._tail_index(index[-1].offset if index else 0))

    async def stop(self) -> None:
        if self.scheduler:
            self.scheduler.shutdown()
        tasks = list(self._tasks) + list(self._relays.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _tail_index(self, after: int) -> None:
        async for record in self.log.subscribe(INDEX_STREAM, after):
            await self._open(record.data["relay"])

    def _open(self, relay_id: str) -> asyncio.Task[Aggregate[RelayState]]:
        task = self._relays.get(relay_id)
        if task is None:
            task = self._relays[relay_id] = asyncio.create_task(self._load(relay_id))
        return task

    async def _load(self, relay_id: str) -> Aggregate[RelayState]:
        agg: Aggregate[RelayState] = Aggregate(self.log, stream_of(relay_id), RelayState(), evolve)
        await agg.catch_up()
        self._loaded[relay_id] = agg
        self._spawn(self._tail(relay_id, agg, agg.offset))
        if agg.state.created:
            await self._execute(agg, relay_id, Tick())
        return agg

    async def _tail(self, relay_id: str, agg: Aggregate[RelayState], after: int) -> None:
        """Every record of the relay, local or from another process, once: fold, fan out, re-arm."""
        async for record in self.log.subscribe(stream_of(relay_id), after):
            agg.apply(record)
            self.hub.publish(record)
            self._arm(relay_id)
            # Let the writers drain between records: a burst (a late tick after an outage) larger
            # than a client's queue must not drop clients that are keeping up.
            await asyncio.sleep(0)

    def _arm(self, relay_id: str) -> None:
        """Re-arm the relay's timer soon. Coalesced: a burst of records (a replay, a late tick
        after an outage) computes the next deadline once, not once per record."""
        if self.scheduler is None or relay_id in self._to_arm:
            return
        self._to_arm.add(relay_id)
        asyncio.get_running_loop().call_later(ARM_DELAY, self._arm_now, relay_id)

    def _arm_now(self, relay_id: str) -> None:
        self._to_arm.discard(relay_id)
        task = self._relays.get(relay_id)
        if (
            self.scheduler
            and task is not None
            and task.done()
            and not task.cancelled()
            and not task.exception()
        ):
            self.scheduler.arm(relay_id, next_deadline(task.result().state))

    # commands ------------------------------------------------------------------------------

    def relay_ids(self) -> list[str]:
        return sorted(self._relays)

    async def get(self, relay_id: str) -> Aggregate[RelayState]:
        if not RELAY_ID.match(relay_id):
            raise not_found("no such relay")
        if relay_id not in self._relays and await self.log.last_offset(stream_of(relay_id)) == 0:
            raise not_found("no such relay")
        agg = await self._open(relay_id)
        if not agg.state.created:
            raise not_found("no such relay")
        return agg

    async def create(self, spec: RelaySpec) -> str:
        relay_id = secrets.token_urlsafe(6).replace("-", "x").replace("_", "y")
        agg: Aggregate[RelayState] = Aggregate(self.log, stream_of(relay_id), RelayState(), evolve)
        await self._execute(agg, relay_id, CreateRelay(relay_id, spec))
        index: Aggregate[None] = Aggregate(self.log, INDEX_STREAM, None, lambda s, t, d: None)
        await index.catch_up()
        await index.execute(lambda _: [NewEvent("relay_registered", {"relay": relay_id})])
        await self._open(relay_id)
        return relay_id

    async def execute(self, relay_id: str, command: Command) -> int:
        return await self._execute(await self.get(relay_id), relay_id, command)

    async def _execute(self, agg: Aggregate[RelayState], relay_id: str, command: Command) -> int:
        now = self.clock.now()
        try:
            offset, _ = await agg.execute(lambda state: decide(state, command, now))
        except DomainError as e:
            raise ApiError(e.code, e.message, 404 if e.code == "not_found" else 409) from None
        self._arm(relay_id)
        return offset

    async def tick(self, relay_id: str) -> None:
        """What the timer sends; also safe to call at any time (nothing due: nothing happens)."""
        await self.execute(relay_id, Tick())

    # links ---------------------------------------------------------------------------------

    def links_for(self, relay_id: str, state: RelayState) -> dict[str, Any]:
        scope = scope_of(relay_id)
        assert state.spec is not None
        return {
            "coordinator": self.links.sign(Grant(scope, COORDINATOR)),
            "viewer": self.links.sign(Grant(scope, VIEWER)),
            "sites": {
                s.id: self.links.sign(Grant(scope, SITE, s.id, state.link_version(s.id)))
                for s in state.spec.sites
            },
        }
