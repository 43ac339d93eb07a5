"""The relay shell: the generic stream service (mayday/streams.py) with the relay's pure core."""

from __future__ import annotations

from typing import Any

from mayday.links import Grant
from mayday.streams import Domain, StreamService
from relay.commands import COORDINATOR, SITE, VIEWER, CreateRelay, Tick
from relay.decide import decide
from relay.plan import Plan
from relay.spec import RelaySpec
from relay.state import RelayState, evolve, next_deadline


def stream_of(relay_id: str) -> str:
    return f"relay:{relay_id}"


def scope_of(relay_id: str) -> str:
    return f"relay:{relay_id}"


RELAY: Domain[RelayState] = Domain("relay", RelayState, evolve, decide, next_deadline, Tick())


class RelayService(StreamService[RelayState]):
    domain = RELAY

    async def create_relay(self, spec: RelaySpec, planned: Plan | None = None) -> str:
        return await self.create(lambda relay_id: CreateRelay(relay_id, spec, planned))

    def site_link(self, relay_id: str, state: RelayState, site: str) -> str:
        return self.links.sign(Grant(scope_of(relay_id), SITE, site, state.link_version(site)))

    def links_for(self, relay_id: str, state: RelayState) -> dict[str, Any]:
        scope = scope_of(relay_id)
        assert state.spec is not None
        return {
            "names": {s.id: s.name for s in state.spec.sites},
            "coordinator": self.links.sign(Grant(scope, COORDINATOR)),
            "viewer": self.links.sign(Grant(scope, VIEWER)),
            "sites": {
                s.id: self.links.sign(Grant(scope, SITE, s.id, state.link_version(s.id))) for s in state.spec.sites
            },
        }
