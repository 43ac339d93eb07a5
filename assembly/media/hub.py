"""Every assembly's media room in this process, opened on the first join and closed with the last
leave or when the server stops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import aioice.ice

from assembly.media.room import MediaSettings, Peer, Room
from assembly.state import AssemblyState


class MediaHub:
    def __init__(self, settings: MediaSettings | None = None, *, host_addresses: list[str] | None = None) -> None:
        self.settings = settings or MediaSettings()
        self.rooms: dict[str, Room] = {}
        self._lock = asyncio.Lock()
        if host_addresses:
            use_addresses(host_addresses)

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


def use_addresses(addresses: list[str]) -> None:
    """Gather ICE host candidates on these addresses only. aioice offers no interface selection
    and skips loopback (ice.py get_host_addresses), so a server with several interfaces, or a
    test on loopback, names its addresses here; ``gather_candidates`` looks the function up at
    call time."""
    chosen = list(addresses)
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [  # type: ignore[assignment]
        a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)
    ]
