"""The assembly's state and ``evolve``: a fold of the log (assembly/events.py), nothing else.

Frozen dataclasses whose maps are FrozenDicts: a dict that refuses change (``put`` makes a new
one), so a state once built never changes. A FrozenDict is a dict subclass, not a mapping proxy,
so the maps the routes send as they are stay JSON (assembly/routes.py: ``region_time``), and
reading costs what a dict's does (the vote bench folds thousands of events a second). What a
state keeps of an event's own data (a ballot's result and weight risk, a text's history, the
speeches) is frozen the same way, dicts at every depth; lists inside it (a ranking's tiers, a
result's ranking) stay lists, as the core compares them with the lists it builds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from msgspec import UNSET

from assembly import events as E
from assembly.definition import AssemblyDef, Person, parse_assembly
from assembly.queue import speaking_order
from mayday.frozen import EMPTY, FrozenDict, frozen


def parse_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Entry:
    id: int
    person: str
    kind: str
    at: str


@dataclass(frozen=True)
class Floor:
    entry: int
    person: str
    kind: str
    started: dt.datetime
    deadline: dt.datetime
    overtime: bool = False


@dataclass(frozen=True)
class Translation:
    language: str
    text: str
    source_rev: int
    by: str
    at: str


@dataclass(frozen=True)
class Text:
    """A demand ("d<n>") or an amendment ("a<n>", replacing the text of ``demand``)."""

    id: str
    proposer: str
    language: str
    text: str
    rev: int = 1
    status: str = "proposed"  # proposed | adopted | rejected | no_quorum (can be voted on again)
    demand: str | None = None
    history: tuple[FrozenDict[str, Any], ...] = ()
    translations: FrozenDict[str, Translation] = EMPTY

    def stale(self, language: str) -> bool:
        t = self.translations.get(language)
        return t is not None and t.source_rev < self.rev


@dataclass(frozen=True)
class Ballot:
    id: int
    kind: str  # motion | ranking
    target: str | None
    candidates: tuple[str, ...]
    majority: str
    secret: bool
    quorum: Decimal
    opened: str
    status: str = "open"  # open | closed
    votes: FrozenDict[str, Any] = EMPTY  # open ballots only: voter -> choice
    voters: frozenset[str] = frozenset()
    result: FrozenDict[str, Any] | None = None
    # secret ballots the chair opened although weights could reveal choices: {k, classes}
    weight_risk: FrozenDict[str, Any] | None = None


@dataclass(frozen=True)
class AssemblyState:
    assembly_id: str | None = None
    definition: AssemblyDef | None = None
    people: FrozenDict[str, Person] = EMPTY
    link_versions: FrozenDict[str, int] = EMPTY
    present: frozenset[str] = frozenset()
    queue: tuple[Entry, ...] = ()
    manual: tuple[int, ...] = ()
    list_open: bool = True
    next_entry: int = 1
    floor: Floor | None = None
    floor_language: str | None = None
    booths: FrozenDict[str, str] = EMPTY  # booth language -> the interpreter live in it
    last_region: str | None = None
    spoken: FrozenDict[str, int] = EMPTY
    region_spent: FrozenDict[str, float] = EMPTY
    speeches: tuple[FrozenDict[str, Any], ...] = ()
    texts: FrozenDict[str, Text] = EMPTY
    next_demand: int = 1
    next_amendment: int = 1
    ballots: FrozenDict[int, Ballot] = EMPTY
    next_ballot: int = 1

    @property
    def created(self) -> bool:
        return self.definition is not None

    def person(self, pid: str | None) -> Person | None:
        return self.people.get(pid) if pid else None

    def order(self) -> list[Entry]:
        assert self.definition is not None
        return speaking_order(self)


def _person_from(e: E.PersonAdded) -> Person:
    return Person(
        id=e.id,
        role=e.role,
        name=e.name,
        language=e.language,
        site=e.site or None,
        region=e.region or None,
        weight=Decimal(e.weight or "0"),
        booth=e.booth or None,
        understands=tuple(e.understands or ()),
    )


def _drop_entry(s: AssemblyState, eid: int) -> AssemblyState:
    return replace(s, queue=tuple(e for e in s.queue if e.id != eid), manual=tuple(i for i in s.manual if i != eid))


def _set_text(s: AssemblyState, t: Text) -> AssemblyState:
    return replace(s, texts=s.texts.put(t.id, t))


def _set_ballot(s: AssemblyState, b: Ballot) -> AssemblyState:
    return replace(s, ballots=s.ballots.put(b.id, b))


def evolve(state: AssemblyState, type_: str, data: dict[str, Any]) -> AssemblyState:
    """Fold one stored event (the shell's call). Unknown types are ignored so an older server can
    replay a newer log."""
    event = E.decode(type_, data)
    return state if event is None else apply(state, event)


def apply(s: AssemblyState, event: E.Event) -> AssemblyState:
    """Fold one typed event."""
    match event:
        case E.AssemblyCreated(assembly=aid, definition=raw):
            definition = parse_assembly(raw)
            return replace(s, assembly_id=aid, definition=definition, people=FrozenDict(definition.by_id))
        case E.PresenceChanged(person=person, present=present):
            return replace(s, present=s.present | {person} if present else s.present - {person})
        case E.HandRaised(entry=entry, person=person, kind=kind, at=at):
            return replace(s, queue=(*s.queue, Entry(entry, person, kind, at)), next_entry=entry + 1)
        case E.HandLowered(entry=entry):
            return _drop_entry(s, entry)
        case E.FloorGranted():
            s = _drop_entry(s, event.entry)
            floor = Floor(event.entry, event.person, event.kind, parse_iso(event.at), parse_iso(event.deadline))
            return replace(s, floor=floor)
        case E.SpeechEnded(person=person, seconds=secs):
            region = event.region or None  # absent (UNSET) or null: no region
            spent = s.region_spent.put(region, s.region_spent.get(region, 0.0) + secs) if region else s.region_spent
            return replace(
                s,
                floor=None,
                last_region=region,
                spoken=s.spoken.put(person, s.spoken.get(person, 0) + 1),
                region_spent=spent,
                speeches=(*s.speeches, frozen(event.data)),
            )
        case E.TimeExtended(deadline=deadline):
            assert s.floor is not None
            return replace(s, floor=replace(s.floor, deadline=parse_iso(deadline), overtime=False))
        case E.FloorOvertime():
            assert s.floor is not None
            return replace(s, floor=replace(s.floor, overtime=True))
        case E.QueueReordered(order=order):
            return replace(s, manual=tuple(order))
        case E.ListClosed():
            return replace(s, list_open=False)
        case E.ListReopened():
            return replace(s, list_open=True)
        case E.FloorLanguageSet(language=language):
            return replace(s, floor_language=language)
        case E.DemandProposed() | E.AmendmentProposed():
            demand = event.demand if isinstance(event, E.AmendmentProposed) else None
            first = {"rev": 1, "text": event.text, "language": event.language, "by": event.proposer, "at": event.at}
            t = Text(event.id, event.proposer, event.language, event.text, demand=demand, history=(frozen(first),))
            s = _set_text(s, t)
            if demand is None:
                return replace(s, next_demand=s.next_demand + 1)
            return replace(s, next_amendment=s.next_amendment + 1)
        case E.TextEdited():
            t = s.texts[event.id]
            language = t.language if event.language is UNSET else event.language
            entry = {"rev": event.rev, "text": event.text, "language": language, "by": event.by, "at": event.at}
            # An adopted amendment may be written in another language: it becomes the original, and a
            # translation into that language would now stand beside it, so it goes.
            t = replace(
                t,
                text=event.text,
                rev=event.rev,
                language=language,
                history=(*t.history, frozen(entry)),
                translations=t.translations.without(language),
            )
            return _set_text(s, t)
        case E.TranslationAdded():
            t = s.texts[event.id]
            tr = Translation(event.language, event.text, event.source_rev, event.by, event.at)
            return _set_text(s, replace(t, translations=t.translations.put(event.language, tr)))
        case E.TextDecided(id=tid, status=status):
            return _set_text(s, replace(s.texts[tid], status=status))
        case E.BallotOpened():
            b = Ballot(
                id=event.ballot,
                kind=event.kind,
                target=event.target,
                candidates=tuple(event.candidates),
                majority=event.majority,
                secret=event.secret,
                quorum=Decimal(event.quorum),
                opened=event.at,
                weight_risk=None if event.weight_risk is UNSET else frozen(event.weight_risk),
            )
            return replace(s, ballots=s.ballots.put(b.id, b), next_ballot=b.id + 1)
        case E.VoteCast(ballot=bid, voter=voter, choice=choice):
            b = s.ballots[bid]
            return _set_ballot(s, replace(b, votes=b.votes.put(voter, frozen(choice)), voters=b.voters | {voter}))
        case E.BallotVoted(ballot=bid, voter=voter):
            b = s.ballots[bid]
            return _set_ballot(s, replace(b, voters=b.voters | {voter}))
        case E.BallotClosed(ballot=bid, result=result):
            return _set_ballot(s, replace(s.ballots[bid], status="closed", result=frozen(result)))
        case E.PersonAdded():
            p = _person_from(event)
            return replace(s, people=s.people.put(p.id, p))
        case E.LinkRevoked(person=person, version=version):
            return replace(s, link_versions=s.link_versions.put(person, version))
        case E.BoothActiveSet(booth=booth, interpreter=interpreter):
            booths = s.booths.without(booth) if interpreter is None else s.booths.put(booth, interpreter)
            return replace(s, booths=booths)
        case E.ParticipantDropped():
            return s  # a record for the chair; the booth and floor changes are their own events
    return s
