"""Every assembly's media room in this process, opened on the first join and closed with the last
leave or when the server stops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from assembly.media import aiortc_compat
from assembly.media.room import MediaSettings, Peer, Room
from assembly.state import AssemblyState


class MediaHub:
    def __init__(self, settings: MediaSettings | None = None, *, host_addresses: list[str] | None = None) -> None:
        self.settings = settings or MediaSettings()
        self.rooms: dict[str, Room] = {}
        self._lock = asyncio.Lock()
        if host_addresses:
            aiortc_compat.restrict_host_addresses(host_addresses)  # process-wide: see there

    def room(self, assembly_id: str, state_of: Callable[[], AssemblyState | None]) -> Room:
        room = self.rooms.get(assembly_id)
        if room is None:
            room = self.rooms[assembly_id] = Room(assembly_id, state_of, self.settings)
        return room

    async def leave(self, room: Room, peer: Peer) -> None:
        await room.leave(peer)
        if not room.peers and self.rooms.get(room.assembly_id) is room:
            del self.rooms[room.assembly_id]
            await room.close()

    async def close(self) -> None:
        rooms, self.rooms = list(self.rooms.values()), {}
        for room in rooms:
            with contextlib.suppress(Exception):
                await room.close()
