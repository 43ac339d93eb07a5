"""Interpretation routing, pure: from the assembly's state, who feeds which channel and what a
participant's connection may carry.

Channels: ``floor`` (whoever holds the floor) and one per assembly language (that booth's active
interpreter). Listeners hear the floor and, over it, one language channel of their choice; an
interpreter hears the floor and may also *relay* from another booth's channel. The media hub asks
this module and nothing else, so "only the floor holder publishes to the floor, only a booth's
active interpreter to its channel" is decided here, from the log, whatever a client sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assembly.state import AssemblyState

FLOOR = "floor"
AUDIO, VIDEO = "audio", "video"

# The transceivers of every media connection, in order, and which a role may send on.
# (floor audio, language-channel audio, floor video). Delegates may hold the floor: they send on
# the floor's audio and video; interpreters speak into their booth on the channel transceiver.
LAYOUT: tuple[tuple[str, str], ...] = ((FLOOR, AUDIO), ("channel", AUDIO), (FLOOR, VIDEO))
SENDS: dict[str, tuple[bool, bool, bool]] = {
    "delegate": (True, False, True),
    "interpreter": (False, True, False),
    "chair": (False, False, False),
    "viewer": (False, False, False),
}


@dataclass(frozen=True)
class Routing:
    floor: str | None = None  # the person whose microphone and camera are the floor
    booths: dict[str, str] = field(default_factory=dict)  # language -> active interpreter
    interpreters: dict[str, str] = field(default_factory=dict)  # interpreter -> their booth
    languages: tuple[str, ...] = ()
    floor_language: str | None = None

    def channels(self) -> tuple[str, ...]:
        return (FLOOR, *self.languages)

    def sources_of(self, channel: str) -> dict[str, float]:
        """Target gains of the people who feed ``channel``."""
        if channel == FLOOR:
            return {self.floor: 1.0} if self.floor else {}
        active = self.booths.get(channel)
        return {active: 1.0} if active else {}

    def decoded(self, person: str, kind: str) -> bool:
        """Whether the hub decodes this person's media of this kind. Everyone else's packets are
        dropped on arrival. Every booth member's voice is decoded, so a handover finds the partner's
        audio already flowing and the crossfade has something to fade to."""
        if person == self.floor:
            return True
        return kind == AUDIO and person in self.interpreters


def routing(state: AssemblyState) -> Routing:
    assert state.definition is not None
    interpreters = {p.id: p.booth for p in state.people.values() if p.role == "interpreter" and p.booth}
    return Routing(
        floor=state.floor.person if state.floor else None,
        booths={lang: who for lang, who in state.booths.items() if who},
        interpreters=interpreters,
        languages=tuple(state.definition.languages),
        floor_language=state.floor_language,
    )


def choose_channel(state: AssemblyState, person: str | None, role: str, channel: str | None) -> str | None:
    """The language channel a participant may hear (None: the floor only), or ValueError.

    An interpreter may not listen to their own booth's channel: they would hear themselves."""
    assert state.definition is not None
    if channel is None or channel == FLOOR:
        return None
    if channel not in state.definition.languages:
        raise ValueError(f"no channel {channel!r}: the assembly's languages are {list(state.definition.languages)}")
    if role == "interpreter":
        me = state.person(person)
        if me is not None and me.booth == channel:
            raise ValueError("that is your own booth's channel; relay from another booth or listen to the floor")
    return channel


def booth_partners(state: AssemblyState, person: str | None) -> frozenset[str]:
    """The interpreters who share this interpreter's booth (the back-channel's audience)."""
    me = state.person(person)
    if me is None or me.role != "interpreter" or not me.booth:
        return frozenset()
    return frozenset(p.id for p in state.people.values() if p.role == "interpreter" and p.booth == me.booth)
