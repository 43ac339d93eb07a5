"""Commands of the assembly's core: what a chair, delegate or interpreter asks for, parsed and
authorised (assembly/protocol.py) but not yet decided (assembly/core.py)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from assembly.definition import AssemblyDef, Person


@dataclass(frozen=True)
class CreateAssembly:
    assembly_id: str
    definition: AssemblyDef


@dataclass(frozen=True)
class Tick:
    """Mark a speaker over time when the floor's deadline has passed."""


@dataclass(frozen=True)
class SetPresence:
    person: str
    present: bool


@dataclass(frozen=True)
class RaiseHand:
    person: str
    kind: str = "speech"


@dataclass(frozen=True)
class LowerHand:
    entry: int
    by: str | None  # None: the chair


@dataclass(frozen=True)
class GrantFloor:
    entry: int | None = None  # None: whoever is next in the speaking order


@dataclass(frozen=True)
class EndSpeech:
    by: str | None = None  # None: the chair; else the speaker yielding the floor


@dataclass(frozen=True)
class ExtendTime:
    seconds: int


@dataclass(frozen=True)
class Reorder:
    order: tuple[int, ...]


@dataclass(frozen=True)
class SetListOpen:
    open: bool


@dataclass(frozen=True)
class SetFloorLanguage:
    language: str
    by: str | None = None


@dataclass(frozen=True)
class ProposeDemand:
    person: str
    language: str
    text: str


@dataclass(frozen=True)
class EditText:
    target: str  # "d3" or "a2"
    text: str
    by: str | None  # None: the chair


@dataclass(frozen=True)
class Translate:
    target: str
    language: str
    text: str
    by: str


@dataclass(frozen=True)
class ProposeAmendment:
    demand: str
    person: str
    language: str
    text: str


@dataclass(frozen=True)
class OpenBallot:
    target: str  # a demand or amendment id
    majority: str = "simple"
    secret: bool = False
    quorum: Decimal | None = None
    accept_weight_risk: bool = False  # open it secret even if the weights can reveal choices


@dataclass(frozen=True)
class OpenRanking:
    candidates: tuple[str, ...] | None = None  # None: every adopted demand
    secret: bool = False
    accept_weight_risk: bool = False


@dataclass(frozen=True)
class CastVote:
    """An open ballot's vote; ``choice`` is yes/no/abstain, or a ranking (tiers) for a ranking."""

    ballot: int
    voter: str
    choice: Any


@dataclass(frozen=True)
class CastSecretVote:
    """A secret ballot's vote as the core sees it: who, never what. ``change`` says the voter
    presented the receipt of an earlier vote (the shell's secret write replaces it)."""

    ballot: int
    voter: str
    change: bool = False


@dataclass(frozen=True)
class CloseBallot:
    ballot: int
    secret_totals: dict[str, int] | None = None  # from the log's counters, for a secret ballot


@dataclass(frozen=True)
class AddPerson:
    person: Person
    accept_weight_risk: bool = False  # add a delegate whose weight is rare while a secret ballot is open


@dataclass(frozen=True)
class RevokeLink:
    person: str


@dataclass(frozen=True)
class TakeBooth:
    """An interpreter becomes the active voice of their own booth (refused while a partner is)."""

    by: str


@dataclass(frozen=True)
class HandOver:
    """The booth's active interpreter passes the microphone to a partner of the same booth."""

    by: str
    to: str | None = None  # None: the booth's only other interpreter


@dataclass(frozen=True)
class LeaveBooth:
    """The active interpreter stops; listeners of that language hear the floor."""

    by: str


@dataclass(frozen=True)
class SetBooth:
    """The chair sets (or, with None, clears) a booth's active interpreter."""

    booth: str
    interpreter: str | None


@dataclass(frozen=True)
class Dropped:
    """Sent by the shell, never by a client: ``person`` has had no open connection for the drop
    grace. A live interpreter's booth goes to a partner who is connected (``connected``), else it
    is freed; a speaker's floor is ended. Anyone else: nothing happens."""

    person: str
    connected: frozenset[str] = frozenset()
