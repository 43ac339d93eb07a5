"""The assembly's state and ``evolve(state, event) -> state``: a fold of the log, nothing else.

Frozen dataclasses; the dict fields are replaced, never mutated, so a state once built never changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from assembly.definition import AssemblyDef, Person, parse_assembly
from assembly.queue import speaking_order


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
    history: tuple[dict[str, Any], ...] = ()
    translations: dict[str, Translation] = field(default_factory=dict)

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
    votes: dict[str, Any] = field(default_factory=dict)  # open ballots only: voter -> choice
    voters: frozenset[str] = frozenset()
    result: dict[str, Any] | None = None
    # secret ballots the chair opened although weights could reveal choices: {k, classes}
    weight_risk: dict[str, Any] | None = None


@dataclass(frozen=True)
class AssemblyState:
    assembly_id: str | None = None
    definition: AssemblyDef | None = None
    people: dict[str, Person] = field(default_factory=dict)
    link_versions: dict[str, int] = field(default_factory=dict)
    present: frozenset[str] = frozenset()
    queue: tuple[Entry, ...] = ()
    manual: tuple[int, ...] = ()
    list_open: bool = True
    next_entry: int = 1
    floor: Floor | None = None
    floor_language: str | None = None
    booths: dict[str, str] = field(default_factory=dict)  # booth language -> the interpreter live in it
    last_region: str | None = None
    spoken: dict[str, int] = field(default_factory=dict)
    region_spent: dict[str, float] = field(default_factory=dict)
    speeches: tuple[dict[str, Any], ...] = ()
    texts: dict[str, Text] = field(default_factory=dict)
    next_demand: int = 1
    next_amendment: int = 1
    ballots: dict[int, Ballot] = field(default_factory=dict)
    next_ballot: int = 1

    @property
    def created(self) -> bool:
        return self.definition is not None

    def person(self, pid: str | None) -> Person | None:
        return self.people.get(pid) if pid else None

    def order(self) -> list[Entry]:
        assert self.definition is not None
        return speaking_order(self)


def _person_from(data: dict[str, Any]) -> Person:
    return Person(
        id=data["id"],
        role=data["role"],
        name=data["name"],
        language=data["language"],
        site=data.get("site"),
        region=data.get("region"),
        weight=Decimal(data.get("weight", "0")),
        booth=data.get("booth"),
        understands=tuple(data.get("understands", ())),
    )


def _set_text(state: AssemblyState, t: Text) -> AssemblyState:
    return replace(state, texts=state.texts | {t.id: t})


def evolve(state: AssemblyState, type_: str, data: dict[str, Any]) -> AssemblyState:
    """Fold one event. Unknown types are ignored so an older server can replay a newer log."""
    fn = _EVOLVERS.get(type_)
    return fn(state, data) if fn else state


def _ev_created(s: AssemblyState, d: dict[str, Any]) -> AssemblyState:
    definition = parse_assembly(d["definition"])
    return replace(s, assembly_id=d["assembly"], definition=definition, people=dict(definition.by_id))


def _ev_presence(s: AssemblyState, d: dict[str, Any]) -> AssemblyState:
    present = s.present | {d["person"]} if d["present"] else s.present - {d["person"]}
    return replace(s, present=present)


def _ev_raised(s: AssemblyState, d: dict[str, Any]) -> AssemblyState:
    e = Entry(d["entry"], d["person"], d["kind"], d["at"])
    return replace(s, queue=(*s.queue, e), next_entry=d["entry"] + 1)


def _drop_entry(s: AssemblyState, eid: int) -> AssemblyState:
    return replace(s, queue=tuple(e for e in s.queue if e.id != eid), manual=tuple(i for i in s.manual if i != eid))


def _ev_lowered(s: AssemblyState, d: dict[str, Any]) -> AssemblyState:
    return _drop_entry(s, d["entry"])


def _ev_granted(s: AssemblyState, d: dict[str, Any]) -> AssemblyState:
    s = _drop_entry(s, d["entry"])
    floor = Floor(d["entry"], d["person"], d["kind"], parse_iso(d["at"]), parse_iso(d["deadline"]))
    return replace(s, floor=floor)


def _ev_ended(s: AssemblyState, d: dict[str, Any]) -> AssemblyState:
    region = d.get("region")
    spent = dict(s.region_spent)
    if region:
        spent[region] = spent.get(region, 0.0) + d["seconds"]
    spoken = s.spoken | {d["person"]: s.spoken.get(d["person"], 0) + 1}
    return replace(s, floor=None, last_region=region, spoken=spoken, region_spent=spent, speeches=(*s.speeches, d))


def _ev_extended(s: AssemblyState, d: dict[str, Any]) -> AssemblyState:
    assert s.floor is not None
    return replace(s, floor=replace(s.floor, deadline=parse_iso(d["deadline"]), overtime=False))


def _ev_overtime(s: AssemblyState, d: dict[str, Any]) -> AssemblyState:
    assert s.floor is not None
    return replace(s, floor=replace(s.floor, overtime=True))


def _ev_text(s: AssemblyState, d: dict[str, Any]) -> AssemblyState:
    t = Text(
        id=d["id"],
        proposer=d["proposer"],
        language=d["language"],
        text=d["text"],
        demand=d.get("demand"),
        history=({"rev": 1, "text": d["text"], "language": d["language"], "by": d["proposer"], "at": d["at"]},),
    )
    s = _set_text(s, t)
    if t.demand is None:
        return replace(s, next_demand=s.next_demand + 1)
    return replace(s, next_amendment=s.next_amendment + 1)


def _ev_edited(s: AssemblyState, d: dict[str, Any]) -> AssemblyState:
    t = s.texts[d["id"]]
    language = d.get("language", t.language)
    entry = {"rev": d["rev"], "text": d["text"], "language": language, "by": d["by"], "at": d["at"]}
    # An adopted amendment may be written in another language: it becomes the original, and a
    # translation into that language would now stand beside it, so it goes.
    translations = {k: v for k, v in t.translations.items() if k != language}
    t = replace(t, text=d["text"], rev=d["rev"], language=language, history=(*t.history, entry))
    return _set_text(s, replace(t, translations=translations))


def _ev_translated(s: AssemblyState, d: dict[str, Any]) -> AssemblyState:
    t = s.texts[d["id"]]
    tr = Translation(d["language"], d["text"], d["source_rev"], d["by"], d["at"])
    return _set_text(s, replace(t, translations=t.translations | {d["language"]: tr}))


def _ev_decided(s: AssemblyState, d: dict[str, Any]) -> AssemblyState:
    return _set_text(s, replace(s.texts[d["id"]], status=d["status"]))


def _ev_ballot_opened(s: AssemblyState, d: dict[str, Any]) -> AssemblyState:
    b = Ballot(
        id=d["ballot"],
        kind=d["kind"],
        target=d["target"],
        candidates=tuple(d["candidates"]),
        majority=d["majority"],
        secret=d["secret"],
        quorum=Decimal(d["quorum"]),
        opened=d["at"],
        weight_risk=d.get("weight_risk"),
    )
    return replace(s, ballots=s.ballots | {b.id: b}, next_ballot=b.id + 1)


def _ev_vote(s: AssemblyState, d: dict[str, Any]) -> AssemblyState:
    b = s.ballots[d["ballot"]]
    b = replace(b, votes=b.votes | {d["voter"]: d["choice"]}, voters=b.voters | {d["voter"]})
    return replace(s, ballots=s.ballots | {b.id: b})


def _ev_voted(s: AssemblyState, d: dict[str, Any]) -> AssemblyState:
    b = s.ballots[d["ballot"]]
    return replace(s, ballots=s.ballots | {b.id: replace(b, voters=b.voters | {d["voter"]})})


def _ev_closed(s: AssemblyState, d: dict[str, Any]) -> AssemblyState:
    b = s.ballots[d["ballot"]]
    return replace(s, ballots=s.ballots | {b.id: replace(b, status="closed", result=d["result"])})


def _ev_person(s: AssemblyState, d: dict[str, Any]) -> AssemblyState:
    p = _person_from(d)
    return replace(s, people=s.people | {p.id: p})


def _ev_revoked(s: AssemblyState, d: dict[str, Any]) -> AssemblyState:
    return replace(s, link_versions=s.link_versions | {d["person"]: d["version"]})


def _ev_booth(s: AssemblyState, d: dict[str, Any]) -> AssemblyState:
    booths = {b: pid for b, pid in s.booths.items() if b != d["booth"]}
    if d["interpreter"] is not None:
        booths[d["booth"]] = d["interpreter"]
    return replace(s, booths=booths)


_EVOLVERS = {
    "assembly_created": _ev_created,
    "presence_changed": _ev_presence,
    "hand_raised": _ev_raised,
    "hand_lowered": _ev_lowered,
    "floor_granted": _ev_granted,
    "speech_ended": _ev_ended,
    "time_extended": _ev_extended,
    "floor_overtime": _ev_overtime,
    "queue_reordered": lambda s, d: replace(s, manual=tuple(d["order"])),
    "list_closed": lambda s, d: replace(s, list_open=False),
    "list_reopened": lambda s, d: replace(s, list_open=True),
    "floor_language_set": lambda s, d: replace(s, floor_language=d["language"]),
    "demand_proposed": _ev_text,
    "amendment_proposed": _ev_text,
    "text_edited": _ev_edited,
    "translation_added": _ev_translated,
    "text_decided": _ev_decided,
    "ballot_opened": _ev_ballot_opened,
    "vote_cast": _ev_vote,
    "ballot_voted": _ev_voted,
    "ballot_closed": _ev_closed,
    "person_added": _ev_person,
    "link_revoked": _ev_revoked,
    "booth_active_set": _ev_booth,
}
