"""The assembly shell: the generic stream service with the assembly core, plus the three paths
that touch the secret store (opening a secret ballot, a secret vote, closing a secret ballot)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assembly import core, secret
from assembly.definition import AssemblyDef
from assembly.protocol import CHAIR, DELEGATE, INTERPRETER, VIEWER, VoteRequest
from assembly.state import evolve
from mayday.errors import ApiError, DomainError, bad_request, refused
from mayday.links import Grant
from mayday.log import NewEvent, ReceiptMissing, SecretWrite
from mayday.streams import Domain, StreamService

logger = logging.getLogger("assembly.service")

# How long closing a secret ballot waits for the storage journal to be compacted before it answers
# (the compaction goes on in the background after that).
COMPACT_WAIT_S = 2.0
# A secret opening's counters are made for the ballot number the state gives; another opening
# that takes that number first (a group commit, another process) makes it try again, this often.
OPEN_ATTEMPTS = 20


def scope_of(assembly_id: str) -> str:
    return f"assembly:{assembly_id}"


@dataclass(frozen=True)
class _SecretOpening:
    """A secret ballot's opening, with the ballot its counters were made for: decided only if it
    opens that very ballot (number, kind, candidates), else ``_OpeningMoved``."""

    command: core.OpenBallot | core.OpenRanking
    opens: tuple[int, str, tuple[str, ...]]


class _OpeningMoved(Exception):
    """Another ballot was opened between making a secret opening's counters and deciding it."""


def _opens(events: Sequence[NewEvent]) -> tuple[int, str, tuple[str, ...]] | None:
    """(ballot, kind, candidates) of the ballot these events open, if they open one."""
    for e in events:
        if e.type == "ballot_opened":
            return e.data["ballot"], e.data["kind"], tuple(e.data["candidates"])
    return None


ASSEMBLY: Domain[core.AssemblyState] = Domain(
    "assembly", core.AssemblyState, evolve, core.decide, core.next_deadline, core.Tick()
)


class AssemblyService(StreamService[core.AssemblyState]):
    domain = ASSEMBLY

    def decide(self, state: core.AssemblyState, command: Any, now: dt.datetime) -> Sequence[NewEvent]:
        if isinstance(command, _SecretOpening):
            events = core.decide(state, command.command, now)
            if _opens(events) != command.opens:
                raise _OpeningMoved
            return events
        return super().decide(state, command, now)

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

    # the command path, with its three secret-store detours -------------------------------------

    async def run(self, assembly_id: str, command: Any) -> int:
        if isinstance(command, VoteRequest):
            return await self.vote(assembly_id, command)
        if isinstance(command, core.CloseBallot):
            return await self.close_ballot(assembly_id, command.ballot)
        if isinstance(command, core.OpenBallot | core.OpenRanking) and command.secret:
            return await self.open_secret(assembly_id, command)
        return await self.execute(assembly_id, command)

    async def open_secret(self, assembly_id: str, command: core.OpenBallot | core.OpenRanking) -> int:
        """Open a secret ballot and, in the same write, create all its counters at 0 in sorted
        order (``secret.open_write``): no vote then creates one, so the store's layout cannot tell
        which choice was made first. The counters are named for the ballot number and candidates
        the current state gives; the opening is decided only if it opens exactly that ballot."""
        for _ in range(OPEN_ATTEMPTS):
            agg = await self.get(assembly_id)
            try:
                opens = _opens(core.decide(agg.state, command, self.clock.now()))
            except DomainError as e:
                raise refused(e) from None
            if opens is None:  # pragma: no cover - an opening that decides opens a ballot
                return await self.execute(assembly_id, command)
            write = secret.open_write(*opens)
            try:
                return await self.execute(assembly_id, _SecretOpening(command, opens), secret=write)
            except _OpeningMoved:
                continue
        raise RuntimeError(f"assembly {assembly_id}: other ballots kept opening first ({OPEN_ATTEMPTS} tries)")

    async def vote(self, assembly_id: str, v: VoteRequest) -> int:
        agg = await self.get(assembly_id)
        ballot = agg.state.ballots.get(v.ballot)
        if ballot is None or not ballot.secret:
            return await self.execute(assembly_id, core.CastVote(v.ballot, v.voter, v.choice))
        voter = agg.state.person(v.voter)
        if voter is None or voter.role != DELEGATE:
            raise ApiError("not_a_delegate", "only delegates vote", 409)
        if v.nonce is None or not secret.NONCE.match(v.nonce):
            raise bad_request("bad_command", "a secret vote needs a nonce (16-128 URL-safe characters)")
        try:
            choice = core.normalised_choice(ballot, v.choice)
            previous = None
            if v.previous is not None:
                previous = (core.normalised_choice(ballot, v.previous.choice), v.previous.nonce)
        except DomainError as e:
            raise refused(e) from None
        write = secret.vote_write(
            ballot.id, ballot.kind, ballot.candidates, core.milli(voter.weight), choice, v.nonce, previous
        )
        command = core.CastSecretVote(v.ballot, v.voter, change=previous is not None)
        try:
            return await self.execute(assembly_id, command, secret=write)
        except ReceiptMissing:
            raise ApiError("bad_receipt", "that is not the receipt of your earlier vote", 409) from None

    async def close_ballot(self, assembly_id: str, ballot_id: int) -> int:
        agg = await self.get(assembly_id)
        ballot = agg.state.ballots.get(ballot_id)
        if ballot is None or not ballot.secret:
            return await self.execute(assembly_id, core.CloseBallot(ballot_id))
        stream, prefix = self.stream_of(assembly_id), secret.prefix(ballot_id)
        now = self.clock.now()
        try:
            offset, _ = await agg.execute_at_snapshot(
                lambda: self.log.read_secret(stream, prefix),
                lambda state, totals: core.decide(state, core.CloseBallot(ballot_id, totals), now),
                # The totals go into the log; the counters and receipts are no longer needed.
                secret=SecretWrite(clear_prefix=prefix),
            )
        except DomainError as e:
            raise refused(e) from None
        self._arm(assembly_id)
        await self._compact_journal(assembly_id, ballot_id)
        return offset

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
