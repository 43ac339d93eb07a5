"""Every assembly's media room in this process, opened on the first join and closed with the last
leave or when the server stops. With a Redis URL, every room is linked to the same assembly's rooms
in other processes (``cluster.py``): one is the origin, the others its edges; an origin stays open
while edges still want its packets, even with nobody of its own."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from assembly.media import aiortc_compat
from assembly.media.cluster import MediaCluster
from assembly.media.room import MediaSettings, Peer, Room
from assembly.state import AssemblyState


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
        self._lock = asyncio.Lock()
        self.cluster = MediaCluster(redis_url) if redis_url else None
        if host_addresses:
            aiortc_compat.restrict_host_addresses(host_addresses)  # process-wide: see there

    def room(self, assembly_id: str, state_of: Callable[[], AssemblyState | None]) -> Room:
        room = self.rooms.get(assembly_id)
        if room is None:
            room = self.rooms[assembly_id] = Room(assembly_id, state_of, self.settings)
            if self.cluster is not None:
                self.cluster.attach(room, lambda: self.release(room))
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

    async def close(self) -> None:
        rooms, self.rooms = list(self.rooms.values()), {}
        for room in rooms:
            with contextlib.suppress(Exception):
                await room.close()
        if self.cluster is not None:
            await self.cluster.close()
