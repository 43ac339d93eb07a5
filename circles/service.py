"""The network shell: the generic stream service (mayday/streams.py) with the circles' pure core."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

import msgspec

from assembly.commands import ProposeDemand
from circles import readiness
from circles.commands import (
    CIRCLE,
    COORDINATOR,
    MEMBER,
    VIEWER,
    CreateNetwork,
    OpenAction,
    PutToBallot,
    ResolveClaim,
    SetJointAssembly,
)
from circles.decide import decide
from circles.definition import NetworkDef
from circles.events import outward
from circles.state import NetworkState, evolve, next_deadline
from mayday.errors import not_found
from mayday.links import Grant
from mayday.log import Record
from mayday.streams import Domain, StreamService
from relay.commands import SetReadiness

log = logging.getLogger("circles.service")

NETWORK: Domain[NetworkState] = Domain("network", NetworkState, evolve, decide, next_deadline, None, outward)


# What can change an action's readiness (circles/readiness.py): its red lines, its figures and
# their acceptance, its communique, the pledges between its twins, and a proceed-anyway.
READINESS_EVENTS = frozenset(
    {
        "action_opened", "circle_added", "pair_made", "pledge_set", "transaction_posted",
        "risk_declared", "risk_withdrawn", "cover_set", "figures_accepted", "communique_translated",
        "red_line_named", "red_line_changed", "red_line_withdrawn", "red_lines_acknowledged", "proceeded_anyway",
    }
)  # fmt: skip


def scope_of(network_id: str) -> str:
    return f"network:{network_id}"


class NetworkService(StreamService[NetworkState]):
    domain = NETWORK
    relays: Any = None  # the relay service (set by the app): an action names a relay's sites
    assemblies: Any = None  # the assembly service (set by the app): disputes go to a joint assembly
    sweeps = False  # push readiness after each UTC midnight (the app's timers setting; tests sweep)

    async def execute(self, stream_id: str, command: Any) -> int:
        if isinstance(command, OpenAction) and command.relay:
            # The one thing the core cannot know: which sites the named relay has. Read here, at
            # the relay's current state (a relay's sites never change once it exists).
            if self.relays is None:
                raise not_found("this server has no relays")
            relay = (await self.relays.get(command.relay)).state
            sites = frozenset(s.id for s in relay.spec.sites) if relay.spec else frozenset()
            command = msgspec.structs.replace(command, relay_sites=sites)
        if isinstance(command, SetJointAssembly):
            if self.assemblies is None:
                raise not_found("this server has no assemblies")
            assembly = (await self.assemblies.get(command.assembly)).state  # 404 when there is none
            viewers = assembly.definition.viewers if assembly.definition else None
            command = msgspec.structs.replace(command, assembly_viewers=viewers)
        return await super().execute(stream_id, command)

    # disputes go to the pair's joint assembly --------------------------------------------------
    #
    # A saga across two streams, each step idempotent so that any process may run it again: a
    # disputed claim becomes a demand of the pair's joint assembly (found by its marker, so never
    # proposed twice) and the network records which; when that demand is decided, the network
    # resolves the claim (ResolveClaim does nothing twice). Steps run after the command that
    # makes them due (in the process that ran it), and again whenever a network is loaded.

    async def executed(self, stream_id: str, records: list[Record]) -> None:
        if any(r.type in ("claim_disputed", "joint_assembly_set") for r in records):
            await self.settle_disputes(stream_id)
        if any(r.type in READINESS_EVENTS for r in records):
            await self.push_readiness(stream_id)

    async def _load(self, stream_id: str) -> Any:
        agg = await super()._load(stream_id)
        if self.assemblies is not None and agg.state.created:
            self._spawn(self._settle_quietly(stream_id))
        if self.relays is not None and agg.state.created:
            self._spawn(self._push_quietly(stream_id))
        return agg

    # readiness goes to the relay's board ---------------------------------------------------------
    #
    # The gate is computed from the network (circles/readiness.py); a relay's board shows it from
    # its own log, so the network's shell tells the relay, as a command (SetReadiness, which
    # appends nothing when unchanged: any process may push again). Pushed after each command that
    # can change it, when a network is loaded, and after each UTC midnight (a pledge becomes
    # overdue by the date alone).

    async def start(self) -> None:
        await super().start()
        if self.sweeps:
            self._spawn(self._midnight_sweeps())

    async def sweep_readiness(self) -> None:
        """Push every network's readiness again (what the passing of time may have changed)."""
        for network_id in self.ids():
            await self._push_quietly(network_id)

    async def push_readiness(self, stream_id: str) -> None:
        if self.relays is None:
            return
        state = self.current(stream_id)
        if state is None or not state.created:
            return
        now = self.clock.now()
        for action in list(state.actions.values()):
            if not action.relay:
                continue
            relay = self.relays.current(action.relay)
            s = readiness.summary(state, action, now)
            said = None if relay is None else next(
                (r for r in relay.readiness if (r.network, r.action) == (stream_id, action.id)), None
            )  # fmt: skip
            if said is not None and (said.ready, said.go, said.checks, said.proceeded, said.name) == (
                s["ready"], s["go"], s["checks"], s["proceeded"], s["name"]
            ):  # fmt: skip
                continue
            try:
                await self.relays.execute(
                    action.relay,
                    SetReadiness(stream_id, action.id, s["name"], s["ready"], s["go"], s["checks"], s["proceeded"]),
                )
            except Exception:
                # The relay is gone or its storage failed: the next change, load or sweep tries again.
                log.warning("network %s: readiness of action %d not pushed to relay %s", stream_id, action.id,
                            action.relay, exc_info=True)  # fmt: skip

    async def _push_quietly(self, stream_id: str) -> None:
        try:
            await self.push_readiness(stream_id)
        except Exception:
            log.exception("network %s: readiness not pushed at load; the next change tries again", stream_id)

    async def _midnight_sweeps(self) -> None:
        while True:
            now = self.clock.now()
            midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(0, 0, 1), tzinfo=dt.UTC)
            await asyncio.sleep(min(max((midnight - now).total_seconds(), 1.0), 86_400.0))
            await self.sweep_readiness()

    async def _settle_quietly(self, stream_id: str) -> None:
        try:
            await self.settle_disputes(stream_id)
        except Exception:
            log.exception(
                "network %s: disputes not settled at load; the next dispute or decision tries again", stream_id
            )

    async def settle_disputes(self, stream_id: str) -> None:
        if self.assemblies is None:
            return
        state = (await self.get(stream_id)).state
        for claim in list(state.claims.values()):
            if claim.status != "disputed":
                continue
            if claim.ballot is None:
                await self._put_to_ballot(stream_id, state, claim)
            else:
                await self._resolve(stream_id, claim)

    async def _put_to_ballot(self, stream_id: str, state: NetworkState, claim: Any) -> None:
        pair = state.pair_of(claim.circle, claim.twin)
        if pair is None or not pair.assembly:
            return  # no joint assembly named yet: set_joint_assembly runs this again
        assembly = (await self.assemblies.get(pair.assembly)).state
        marker = f"[{stream_id}/claim {claim.id}]"
        text = next((t.id for t in assembly.texts.values() if t.text.startswith(marker)), None)
        if text is None:
            proposer = next(
                (p for p in assembly.people.values() if p.role == "delegate" and p.site == claim.circle), None
            )
            if proposer is None:
                log.warning("network %s: claim %d disputed, but no delegate of %s in joint assembly %s",
                            stream_id, claim.id, claim.circle, pair.assembly)  # fmt: skip
                return
            name = state.circles[claim.circle].name
            body = (
                f"{marker} {name} asks {state.circles[claim.twin].name} to cover {claim.amount} "
                f"{claim.commodity} of its fallout ({claim.kind}): {claim.what}. "
                f"Disputed: {claim.reason}. Adopting this demand approves the claim."
            )
            await self.assemblies.execute(pair.assembly, ProposeDemand(proposer.id, proposer.language, body[:4000]))
            assembly = (await self.assemblies.get(pair.assembly)).state
            text = next(t.id for t in assembly.texts.values() if t.text.startswith(marker))
        await self.execute(stream_id, PutToBallot(claim.id, pair.assembly, text))

    async def _resolve(self, stream_id: str, claim: Any) -> None:
        assembly_id, text_id = claim.ballot
        text = (await self.assemblies.get(assembly_id)).state.texts.get(text_id)
        if text is not None and text.status in ("adopted", "rejected"):
            await self.execute(stream_id, ResolveClaim(claim.id, text.status))

    async def assembly_decided(self, assembly_id: str) -> None:
        """Called when a text of ``assembly_id`` was decided: resolve the claims it was about."""
        for network_id in self.ids():
            state = self.current(network_id)
            if state is None:
                continue
            if any(k.status == "disputed" and k.ballot and k.ballot[0] == assembly_id for k in state.claims.values()):
                await self.settle_disputes(network_id)

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
