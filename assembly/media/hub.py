"""Every assembly's media room in this process, opened on the first join and closed with the last
leave or when the server stops. With a Redis URL, every room is linked to the same assembly's rooms
in other processes (``cluster.py``): one is the origin, the others its edges; an origin stays open
while edges still want its packets, even with nobody of its own.

The media stack (aiortc, PyAV, NumPy) is imported on first use, not with the app: it is half of a
restart's time before the server answers (bench/README.md §8). ``warm`` imports it in a worker
thread once the server is up, so the first join does not stall the event loop on it either."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from assembly.media.settings import MediaSettings
from assembly.state import AssemblyState

if TYPE_CHECKING:
    from assembly.media.cluster import MediaCluster
    from assembly.media.room import Peer, Room

log = logging.getLogger("mayday.media")

# What a room needs, heaviest first; importing ``room`` pulls in aiortc, PyAV and NumPy.
STACK = ("assembly.media.room", "assembly.media.cluster", "assembly.media.httpstream")


def _import_stack() -> None:
    for name in STACK:
        importlib.import_module(name)


class MediaHub:
    def __init__(
        self,
        settings: MediaSettings | None = None,
        *,
        host_addresses: list[str] | None = None,
        redis_url: str | None = None,
    ) -> None:
        self.settings = settings or MediaSettings()
        self.rooms: dict[str, Room] = {}
        self._host_addresses = host_addresses
        self._redis_url = redis_url
        self._cluster: MediaCluster | None = None
        self._ready = False

    async def warm(self) -> None:
        """Import the media stack off the event loop (the server answers meanwhile)."""
        try:
            await asyncio.to_thread(_import_stack)
        except Exception:  # a broken install shows at the first join, with its own error
            log.exception("importing the media stack failed")

    def _stack(self) -> None:
        # Once, before the first room: aiortc's host-address restriction is process-wide (see
        # aiortc_compat), and a Redis URL links every room to its cluster.
        if self._ready:
            return
        from assembly.media import aiortc_compat
        from assembly.media.cluster import MediaCluster

        if self._host_addresses:
            aiortc_compat.restrict_host_addresses(self._host_addresses)
        if self._redis_url:
            self._cluster = MediaCluster(self._redis_url)
        self._ready = True

    @property
    def cluster(self) -> MediaCluster | None:
        return self._cluster

    def room(self, assembly_id: str, state_of: Callable[[], AssemblyState | None]) -> Room:
        room = self.rooms.get(assembly_id)
        if room is None:
            self._stack()
            from assembly.media.room import Room

            room = self.rooms[assembly_id] = Room(assembly_id, state_of, self.settings)
            if self._cluster is not None:
                self._cluster.attach(room, lambda: self.release(room))
        return room

    async def leave(self, room: Room, peer: Peer) -> None:
        await room.leave(peer)
        await self.release(room)

    async def release(self, room: Room) -> None:
        """Close a room nobody uses any more: no peer and no other subscriber here (an HTTP
        viewer's, say) and, for an origin, no edge that wants it (its link calls this again once
        the edges' wants have run out)."""
        if room.in_use() or self.rooms.get(room.assembly_id) is not room:
            return
        if room.origin and room.link is not None and room.link.serving():
            return
        del self.rooms[room.assembly_id]
        await room.close()

    def status(self) -> dict[str, object]:
        """For /api/health-style reports and the benchmark: each room's role and link counters."""
        return {aid: room.link.status() if room.link else {"role": "alone"} for aid, room in self.rooms.items()}

    def roles(self) -> dict[str, int]:
        """How many rooms here are each role, for /api/health (no assembly ids: it is public)."""
        counts = {"origin": 0, "edge": 0, "cut_off": 0, "alone": 0}
        for info in self.status().values():
            counts[str(info["role"])] += 1
        return counts

    async def close(self) -> None:
        rooms, self.rooms = list(self.rooms.values()), {}
        for room in rooms:
            with contextlib.suppress(Exception):
                await room.close()
        if self._cluster is not None:
            await self._cluster.close()
