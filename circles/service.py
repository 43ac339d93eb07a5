"""The network shell: the generic stream service (mayday/streams.py) with the circles' pure core."""

from __future__ import annotations

from typing import Any

import msgspec

from circles.commands import CIRCLE, COORDINATOR, MEMBER, VIEWER, CreateNetwork, OpenAction
from circles.decide import decide
from circles.definition import NetworkDef
from circles.events import outward
from circles.state import NetworkState, evolve, next_deadline
from mayday.errors import not_found
from mayday.links import Grant
from mayday.streams import Domain, StreamService

NETWORK: Domain[NetworkState] = Domain("network", NetworkState, evolve, decide, next_deadline, None, outward)


def scope_of(network_id: str) -> str:
    return f"network:{network_id}"


class NetworkService(StreamService[NetworkState]):
    domain = NETWORK
    relays: Any = None  # the relay service (set by the app): an action names a relay's sites

    async def execute(self, stream_id: str, command: Any) -> int:
        if isinstance(command, OpenAction) and command.relay:
            # The one thing the core cannot know: which sites the named relay has. Read here, at
            # the relay's current state (a relay's sites never change once it exists).
            if self.relays is None:
                raise not_found("this server has no relays")
            relay = (await self.relays.get(command.relay)).state
            sites = frozenset(s.id for s in relay.spec.sites) if relay.spec else frozenset()
            command = msgspec.structs.replace(command, relay_sites=sites)
        return await super().execute(stream_id, command)

    async def create_network(self, definition: NetworkDef) -> str:
        return await self.create(lambda network_id: CreateNetwork(network_id, definition))

    def link(self, network_id: str, state: NetworkState, role: str, circle: str | None = None) -> str:
        version = state.link_version(circle) if circle else 0
        return self.links.sign(Grant(scope_of(network_id), role, circle, version))

    def links_for(self, network_id: str, state: NetworkState) -> dict[str, Any]:
        return {
            "coordinator": self.link(network_id, state, COORDINATOR),
            "viewer": self.link(network_id, state, VIEWER),
            "circles": {c: self.link(network_id, state, CIRCLE, c) for c in state.circles},
            "members": {c: self.link(network_id, state, MEMBER, c) for c in state.circles},
            "names": {c.id: c.name for c in state.circles.values()},
        }
