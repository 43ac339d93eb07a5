"""The assembly's events: one frozen class per event type (docs/protocol.md §11), the only things
its log holds. Each has the shell's shape, a ``type`` and its ``data`` (as mayday.log.NewEvent),
so the shell appends and folds them unchanged.

``data`` is exactly the JSON stored: every field, with values in their JSON form (times as ISO
text, weights and quorums as decimal text); a field that defaults to UNSET is absent from the
data unless set. Two kinds of field default to UNSET: the keys that are present only sometimes
(text_edited's language and amendment, ballot_opened's weight_risk, person_added's optional
fields), and the fields the fold (assembly/state.py) does not need, which the core always sets
but a stored event may lack (as the fold never required them). ``decode(type, data)`` reads
stored data back: unknown event types give None and unknown fields are ignored, so an older
server replays a newer log. The core builds events with keywords.
"""

from __future__ import annotations

from typing import Any

from msgspec import UNSET, UnsetType

from mayday.events import Event, Registry


class AssemblyCreated(Event, frozen=True):
    type = "assembly_created"
    assembly: str
    definition: dict[str, Any]  # assembly/definition.py's assembly_to_json


class PresenceChanged(Event, frozen=True):
    """No time: the one a first vote brings sits right before that vote's "has voted"."""

    type = "presence_changed"
    person: str
    present: bool


class HandRaised(Event, frozen=True):
    type = "hand_raised"
    entry: int
    person: str
    kind: str
    at: str


class HandLowered(Event, frozen=True):
    type = "hand_lowered"
    entry: int
    person: str | UnsetType = UNSET
    by: str | UnsetType = UNSET  # a delegate, or "chair"
    at: str | UnsetType = UNSET


class FloorGranted(Event, frozen=True):
    type = "floor_granted"
    entry: int
    person: str
    kind: str
    at: str
    deadline: str
    seconds: int | float | UnsetType = UNSET


class SpeechEnded(Event, frozen=True):
    type = "speech_ended"
    person: str
    seconds: float
    entry: int | UnsetType = UNSET
    region: str | UnsetType | None = UNSET
    kind: str | UnsetType = UNSET
    started: str | UnsetType = UNSET
    at: str | UnsetType = UNSET
    overtime: bool | UnsetType = UNSET
    by: str | UnsetType = UNSET  # the speaker, "chair" or "dropped"


class TimeExtended(Event, frozen=True):
    type = "time_extended"
    deadline: str
    entry: int | UnsetType = UNSET
    seconds: int | UnsetType = UNSET


class FloorOvertime(Event, frozen=True):
    type = "floor_overtime"
    entry: int | UnsetType = UNSET
    person: str | UnsetType = UNSET
    at: str | UnsetType = UNSET


class QueueReordered(Event, frozen=True):
    type = "queue_reordered"
    order: tuple[int, ...]
    at: str | UnsetType = UNSET


class ListClosed(Event, frozen=True):
    type = "list_closed"
    at: str | UnsetType = UNSET


class ListReopened(Event, frozen=True):
    type = "list_reopened"
    at: str | UnsetType = UNSET


class FloorLanguageSet(Event, frozen=True):
    type = "floor_language_set"
    language: str
    by: str | UnsetType = UNSET


class DemandProposed(Event, frozen=True):
    type = "demand_proposed"
    id: str
    proposer: str
    language: str
    text: str
    at: str


class AmendmentProposed(Event, frozen=True):
    type = "amendment_proposed"
    id: str
    demand: str
    proposer: str
    language: str
    text: str
    at: str


class TextEdited(Event, frozen=True):
    type = "text_edited"
    id: str
    rev: int
    text: str
    by: str  # the proposer, "chair", or "amendment a<n>"
    at: str
    language: str | UnsetType = UNSET  # an adopted amendment's: it may be written in another language
    amendment: str | UnsetType = UNSET


class TranslationAdded(Event, frozen=True):
    type = "translation_added"
    id: str
    language: str
    text: str
    source_rev: int
    by: str
    at: str


class TextDecided(Event, frozen=True):
    type = "text_decided"
    id: str
    status: str  # adopted | rejected | no_quorum
    ballot: int | UnsetType = UNSET


class BallotOpened(Event, frozen=True):
    type = "ballot_opened"
    ballot: int
    kind: str  # motion | ranking
    target: str | None
    candidates: tuple[str, ...]
    majority: str
    secret: bool
    quorum: str
    at: str
    weight_risk: dict[str, Any] | UnsetType = UNSET  # {k, classes}: a secret ballot opened knowingly


class VoteCast(Event, frozen=True):
    type = "vote_cast"
    ballot: int
    voter: str
    choice: Any
    weight: str | UnsetType = UNSET


class BallotVoted(Event, frozen=True):
    """A secret ballot's "has voted": no time, no choice, no weight."""

    type = "ballot_voted"
    ballot: int
    voter: str


class BallotClosed(Event, frozen=True):
    type = "ballot_closed"
    ballot: int
    result: dict[str, Any]
    kind: str | UnsetType = UNSET
    target: str | UnsetType | None = UNSET
    at: str | UnsetType = UNSET
    voters: int | UnsetType = UNSET


class PersonAdded(Event, frozen=True):
    """assembly/definition.py's person_to_json (its absent keys absent), the role and the time."""

    type = "person_added"
    role: str
    id: str
    name: str
    language: str
    at: str | UnsetType = UNSET
    site: str | UnsetType = UNSET
    region: str | UnsetType = UNSET
    weight: str | UnsetType = UNSET
    booth: str | UnsetType = UNSET
    understands: tuple[str, ...] | UnsetType = UNSET
    weight_risk: dict[str, Any] | UnsetType = UNSET


class LinkRevoked(Event, frozen=True):
    type = "link_revoked"
    person: str
    version: int
    at: str | UnsetType = UNSET


class BoothActiveSet(Event, frozen=True):
    type = "booth_active_set"
    booth: str
    interpreter: str | None
    previous: str | UnsetType | None = UNSET
    by: str | UnsetType | None = UNSET  # the interpreter acting; None: the chair or the shell
    at: str | UnsetType = UNSET


class ParticipantDropped(Event, frozen=True):
    type = "participant_dropped"
    person: str | UnsetType = UNSET
    booth: str | UnsetType | None = UNSET
    handed_to: str | UnsetType | None = UNSET
    floor_ended: bool | UnsetType = UNSET
    at: str | UnsetType = UNSET


REGISTRY = Registry(
    (
        AssemblyCreated, PresenceChanged, HandRaised, HandLowered, FloorGranted, SpeechEnded, TimeExtended,
        FloorOvertime, QueueReordered, ListClosed, ListReopened, FloorLanguageSet, DemandProposed,
        AmendmentProposed, TextEdited, TranslationAdded, TextDecided, BallotOpened, VoteCast, BallotVoted,
        BallotClosed, PersonAdded, LinkRevoked, BoothActiveSet, ParticipantDropped,
    )
)  # fmt: skip
EVENTS = REGISTRY.by_type


def decode(type_: str, data: dict[str, Any]) -> Event | None:
    """The event stored as (type_, data); None for a type this version does not know."""
    return REGISTRY.decode(type_, data)
