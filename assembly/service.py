"""The assembly shell: the generic stream service with the assembly core. Secret ballots take the
one command path like everything else (their side writes are decided by the core); what is left
here is what the log cannot do: compacting the storage journal after a secret ballot closes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from assembly import core
from assembly.definition import AssemblyDef
from assembly.protocol import CHAIR, DELEGATE, INTERPRETER, VIEWER
from assembly.state import evolve
from mayday.links import Grant
from mayday.log import Record
from mayday.streams import Domain, StreamService

logger = logging.getLogger("assembly.service")

# How long closing a secret ballot waits for the storage journal to be compacted before it answers
# (the compaction goes on in the background after that).
COMPACT_WAIT_S = 2.0


def scope_of(assembly_id: str) -> str:
    return f"assembly:{assembly_id}"


ASSEMBLY: Domain[core.AssemblyState] = Domain(
    "assembly", core.AssemblyState, evolve, core.decide, core.next_deadline, core.Tick()
)


class AssemblyService(StreamService[core.AssemblyState]):
    domain = ASSEMBLY

    async def start(self) -> None:
        await super().start()
        # A kill -9 between a secret ballot's close and the journal's compaction leaves the journal
        # whole (SQLite empties its WAL at open; Redis's AOF waits for a rewrite): compact once
        # more if any secret ballot was ever closed here.
        for assembly_id in self.ids():
            agg = await self.get(assembly_id)
            closed = [b.id for b in agg.state.ballots.values() if b.secret and b.status == "closed"]
            if closed:
                self._spawn(self._compact(assembly_id, closed[-1], "closed before this start"))
                return

    async def create_assembly(self, definition: AssemblyDef) -> str:
        return await self.create(lambda assembly_id: core.CreateAssembly(assembly_id, definition))

    # Called with an assembly's id when one of its texts was decided here (a joint assembly's
    # ballot on a disputed claim resolves the claim: circles/service.py).
    decided_listeners: list[Callable[[str], Awaitable[None]]]

    async def executed(self, stream_id: str, records: list[Record]) -> None:
        if any(r.type == "text_decided" for r in records):
            for listener in getattr(self, "decided_listeners", ()):
                try:
                    await listener(stream_id)
                except Exception:
                    logger.exception("assembly %s: a listener of decided texts failed", stream_id)
        for r in records:
            if r.type == "ballot_closed" and self._secret(stream_id, r.data["ballot"]):
                await self._compact_journal(stream_id, r.data["ballot"])

    def _secret(self, assembly_id: str, ballot_id: int) -> bool:
        state = self.current(assembly_id)
        ballot = state.ballots.get(ballot_id) if state is not None else None
        return ballot is not None and ballot.secret

    async def _compact_journal(self, assembly_id: str, ballot_id: int) -> None:
        """The counters and receipts are gone from the store, but the storage engine's journal
        (SQLite's WAL, Redis's AOF) still holds each vote's write whole, "has voted" beside the
        counters it moved: make it forget. Waits COMPACT_WAIT_S at most (a Redis rewrite goes on
        in the background); a failure is logged and never fails the close. A changed vote needs no
        compaction of its own: it is one more write of the same ballot, and this one covers them all."""
        task = self._spawn(self._compact(assembly_id, ballot_id, "closed"))
        await asyncio.wait({task}, timeout=COMPACT_WAIT_S)  # never cancels it

    async def _compact(self, assembly_id: str, ballot_id: int, when: str) -> None:
        try:
            done = await self.log.compact_journal()
        except Exception as e:
            logger.error(
                "assembly %s: secret ballot %d %s, but the storage journal was not compacted (%s: %s); "
                "until it is, a copy of the disk can link voters to their choices",
                assembly_id,
                ballot_id,
                when,
                type(e).__name__,
                e,
            )
        else:
            logger.info("assembly %s: secret ballot %d %s; %s", assembly_id, ballot_id, when, done)

    # links -----------------------------------------------------------------------------------

    def link(self, assembly_id: str, state: core.AssemblyState, role: str, person: str | None) -> str:
        version = state.link_versions.get(person, 0) if person else 0
        return self.links.sign(Grant(scope_of(assembly_id), role, person, version))

    def links_for(self, assembly_id: str, state: core.AssemblyState) -> dict[str, Any]:
        by_role: dict[str, dict[str, str]] = {CHAIR: {}, DELEGATE: {}, INTERPRETER: {}}
        for p in state.people.values():
            by_role[p.role][p.id] = self.link(assembly_id, state, p.role, p.id)
        return {
            "chairs": by_role[CHAIR],
            "delegates": by_role[DELEGATE],
            "interpreters": by_role[INTERPRETER],
            "viewer": self.link(assembly_id, state, VIEWER, None),
            "names": {p.id: p.name for p in state.people.values()},
        }
