"""The assembly's commands: what a chair, delegate or interpreter asks for, and what the shell
itself sends (CreateAssembly, Tick, Dropped) and the forms a vote is decided as (CastVote,
CastSecretVote). Authorised and dispatched by the one
table in assembly/decide.py; decided in assembly/core.py.

Every command is a frozen msgspec Struct. Those a client sends are tagged with their wire name
(the JSON's ``type``) and form the union ``WIRE``: ``msgspec.convert(raw, WIRE)`` validates and
decodes a client's JSON in one step, with field constraints held to the definition's own limits
(person ids and language codes as assembly/definition.py has them). Texts keep their own limit,
decided by the core (core.MAX_TEXT). Constraints apply to decoded JSON only: a command built in
Python (the shell, tests) is not checked here, and the core still refuses what its state refuses.

Conventions of the wire, as before: a null value means the field is absent (except where a class
lists it in ``nulls``), unknown fields are ignored, and the fields that name who acts (``actor``:
``by``, ``voter``, or the person one acts for) come from the link, never from the JSON.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Union

import msgspec
from msgspec import UNSET, UnsetType

from assembly.definition import (
    KINDS,
    LANGUAGE,
    PERSON_ID,
    AssemblyDef,
    Person,
    parse_language,
    parse_name,
    parse_place,
    parse_understands,
    parse_weight,
)
from assembly.secret import NONCE
from assembly.secret import prefix as secret_prefix

PersonId = Annotated[str, msgspec.Meta(pattern=PERSON_ID.pattern)]
Language = Annotated[str, msgspec.Meta(pattern=LANGUAGE.pattern)]
Kind = Literal[KINDS]  # type: ignore[valid-type]


class Command(msgspec.Struct, frozen=True, tag_field="type"):
    """Base of every command. ``actor`` names the field the shell fills from the link:
    ``"by"`` (None when the chair acts), ``"me"`` fields (always the sender), ``"person"`` (the
    sender, or whoever the chair names)."""

    actor: ClassVar[dict[str, str]] = {}
    decides: ClassVar[type[Command] | None] = None  # the command this wire shape becomes (None: itself)
    nulls: ClassVar[frozenset[str]] = frozenset()  # fields where a JSON null is a value, not "absent"

    # fields a wire command needs although the Python constructor defaults them to UNSET (they
    # follow the actor field, which the link fills, and a field with a default cannot precede one without)
    needs: ClassVar[tuple[str, ...]] = ()

    def checked(self) -> Command:
        """The command to decide, once decoded: checks the types cannot express (or builds the
        command a wire-only shape stands for). Raises ValueError to refuse (a bad_command)."""
        for f in self.needs:
            if getattr(self, f) is UNSET:
                raise ValueError(f"{self.__struct_config__.tag} needs {f}")
        return self


# Internal commands: sent by the shell, never by a client -------------------------------------


class CreateAssembly(Command, frozen=True):
    assembly_id: str
    definition: AssemblyDef


class Tick(Command, frozen=True):
    """Mark a speaker over time when the floor's deadline has passed."""


class CastVote(Command, frozen=True):
    """An open ballot's vote; ``choice`` is yes/no/abstain, or a ranking (tiers) for a ranking."""

    ballot: int
    voter: str
    choice: Any


class CastSecretVote(Command, frozen=True):
    """A secret ballot's vote as the core sees it: who, never what. ``change`` says the voter
    presented the receipt of an earlier vote (the shell's secret write replaces it)."""

    ballot: int
    voter: str
    change: bool = False


class Dropped(Command, frozen=True):
    """Sent by the shell, never by a client: ``person`` has had no open connection for the drop
    grace. A live interpreter's booth goes to a partner who is connected (``connected``), else it
    is freed; a speaker's floor is ended. Anyone else: nothing happens."""

    person: str
    connected: frozenset[str] = frozenset()


class SetListOpen(Command, frozen=True):
    """Sent as close_list / reopen_list."""

    open: bool


class AddPerson(Command, frozen=True):
    """Sent as add_person (flat fields, AddPersonFields)."""

    person: Person
    accept_weight_risk: bool = False  # add a delegate whose weight is rare while a secret ballot is open


# Wire commands: what a client sends, tagged with its "type" ------------------------------------


class SetPresence(Command, frozen=True, tag="attend"):
    person: PersonId | None = None
    present: bool = True
    actor = {"person": "person"}


class RaiseHand(Command, frozen=True, tag="raise_hand"):
    person: PersonId | None = None
    kind: Kind = "speech"
    actor = {"person": "person"}


class LowerHand(Command, frozen=True, tag="lower_hand"):
    entry: int
    by: str | None = None  # None: the chair
    actor = {"by": "by"}


class GrantFloor(Command, frozen=True, tag="grant_floor"):
    entry: int | None = None  # None: whoever is next in the speaking order


class EndSpeech(Command, frozen=True, tag="end_speech"):
    by: str | None = None  # None: the chair; else the speaker yielding the floor
    actor = {"by": "by"}


class ExtendTime(Command, frozen=True, tag="extend_time"):
    seconds: int


class Reorder(Command, frozen=True, tag="reorder"):
    order: tuple[int, ...]


class CloseList(Command, frozen=True, tag="close_list"):
    decides = SetListOpen

    def checked(self) -> Command:
        return SetListOpen(False)


class ReopenList(Command, frozen=True, tag="reopen_list"):
    decides = SetListOpen

    def checked(self) -> Command:
        return SetListOpen(True)


class SetFloorLanguage(Command, frozen=True, tag="set_floor_language"):
    language: Language
    by: str | None = None
    actor = {"by": "by"}


class ProposeDemand(Command, frozen=True, tag="propose_demand"):
    person: str = ""
    language: Language | UnsetType = UNSET
    text: str | UnsetType = UNSET
    actor = {"person": "me"}
    needs = ("language", "text")


class ProposeAmendment(Command, frozen=True, tag="propose_amendment"):
    demand: str
    person: str = ""
    language: Language | UnsetType = UNSET
    text: str | UnsetType = UNSET
    actor = {"person": "me"}
    needs = ("language", "text")


class EditText(Command, frozen=True, tag="edit_text"):
    target: str = msgspec.field(name="id")  # "d3" or "a2"
    text: str | UnsetType = UNSET
    by: str | None = None  # None: the chair
    actor = {"by": "by"}
    needs = ("text",)


class Translate(Command, frozen=True, tag="translate"):
    target: str = msgspec.field(name="id")
    language: Language | UnsetType = UNSET
    text: str | UnsetType = UNSET
    by: str = ""
    actor = {"by": "me"}
    needs = ("language", "text")


class OpenBallot(Command, frozen=True, tag="open_ballot"):
    target: str  # a demand or amendment id
    majority: str = "simple"
    secret: bool = False
    # a finite number; whether it lies within 0-1 is the core's question (409 bad_quorum)
    quorum: Decimal | None = None
    accept_weight_risk: bool = False  # open it secret even if the weights can reveal choices

    def checked(self) -> Command:
        if self.quorum is not None and not self.quorum.is_finite():
            raise ValueError("quorum is a share between 0 and 1")
        return self


class OpenRanking(Command, frozen=True, tag="open_ranking"):
    candidates: tuple[str, ...] | None = None  # None: every adopted demand
    secret: bool = False
    accept_weight_risk: bool = False


class Previous(msgspec.Struct, frozen=True):
    """The vote a secret vote replaces: its choice and nonce (the receipt's secret half)."""

    choice: Any
    nonce: str


class Vote(Command, frozen=True, tag="vote"):
    """A delegate's vote as sent: decided as an open vote (CastVote) or, on a secret ballot, as
    "has voted" (CastSecretVote) with the choice going to the side store (``core.cast``)."""

    ballot: int
    choice: Any
    nonce: str | None = None
    previous: Previous | None = None
    voter: str = ""
    actor = {"voter": "me"}
    nulls = frozenset({"choice"})

    def checked(self) -> Command:
        for nonce in (self.nonce, self.previous.nonce if self.previous else None):
            if nonce is not None and not NONCE.match(nonce):
                raise ValueError("a nonce is 16-128 URL-safe characters")
        return self


class CloseBallot(Command, frozen=True, tag="close_ballot"):
    """Decided on the ballot's counters too when it is secret: the shell reads them at the
    state's offset (mayday.events.ReadsSide) and decides ``with_side(counters)``."""

    ballot: int
    secret_totals: dict[str, int] | None = None  # from the side store, for a secret ballot (never sent)
    actor = {"secret_totals": "none"}

    def side_prefix(self) -> str | None:
        return secret_prefix(self.ballot)

    def with_side(self, counters: dict[str, int]) -> CloseBallot:
        return msgspec.structs.replace(self, secret_totals=counters)


class AddPersonFields(Command, frozen=True, tag="add_person"):
    """add_person as sent: a person's fields, each held to the limits a definition sets for it
    (the definition's own parsers), then AddPerson."""

    role: Literal["chair", "delegate", "interpreter"]
    id: PersonId
    language: Language
    name: Any = None
    weight: Any = 1
    understands: Any = None
    booth: Any = None
    site: Any = None
    region: Any = None
    accept_weight_risk: bool = False
    decides = AddPerson

    def checked(self) -> Command:
        site = parse_place(self.site, "site")
        region = parse_place(self.region, "region")
        person = Person(
            id=self.id,
            role=self.role,
            name=self.id if self.name is None else parse_name(self.name, "name"),
            language=self.language,
            site=site,
            region=region or site,
            weight=parse_weight(self.weight, "weight") if self.role == "delegate" else Decimal(0),
            booth=parse_language(self.booth, "booth") if self.role == "interpreter" else None,
            understands=parse_understands(self.understands or [], "understands"),
        )
        return AddPerson(person, accept_weight_risk=self.accept_weight_risk)


class RevokeLink(Command, frozen=True, tag="revoke_link"):
    person: PersonId


class TakeBooth(Command, frozen=True, tag="take_booth"):
    """An interpreter becomes the active voice of their own booth (refused while a partner is)."""

    by: str = ""
    actor = {"by": "me"}


class HandOver(Command, frozen=True, tag="hand_over"):
    """The booth's active interpreter passes the microphone to a partner of the same booth."""

    by: str = ""
    to: PersonId | None = None  # None: the booth's only other interpreter
    actor = {"by": "me"}


class LeaveBooth(Command, frozen=True, tag="leave_booth"):
    """The active interpreter stops; listeners of that language hear the floor."""

    by: str = ""
    actor = {"by": "me"}


class SetBooth(Command, frozen=True, tag="set_booth"):
    """The chair sets (or, with None, clears) a booth's active interpreter."""

    booth: Language
    interpreter: PersonId | None  # required: an id, or null to clear the booth
    nulls = frozenset({"interpreter"})


WIRE_CLASSES: tuple[type[Command], ...] = (
    SetPresence, RaiseHand, LowerHand, GrantFloor, EndSpeech, ExtendTime, Reorder, CloseList, ReopenList,
    SetFloorLanguage, ProposeDemand, ProposeAmendment, EditText, Translate, OpenBallot, OpenRanking, Vote,
    CloseBallot, AddPersonFields, RevokeLink, TakeBooth, HandOver, LeaveBooth, SetBooth,
)  # fmt: skip
WIRE: Any = Union[WIRE_CLASSES]  # noqa: UP007 - the tagged union msgspec decodes a client's JSON into
BY_TAG: dict[str, type[Command]] = {c.__struct_config__.tag: c for c in WIRE_CLASSES}  # type: ignore[misc]
