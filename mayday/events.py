"""What a domain's events are made of: pure, no I/O (the cores import this, never mayday.log).

An event is a small frozen class with a ``type`` (a class constant, the name stored in the log)
and ``data`` (the JSON object stored), the shape the shell appends and folds (as
``mayday.log.NewEvent``). Fields are stored in their declared order; a field left UNSET is absent
from the data. ``Registry`` reads stored (type, data) back: an unknown type gives None and unknown
fields are ignored, so an older server replays a newer log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Protocol

import msgspec

from mayday.errors import DomainError


class Event(msgspec.Struct, frozen=True, dict=True):
    type: ClassVar[str]

    @cached_property
    def data(self) -> dict[str, Any]:
        """The data as stored (built once: the shell reads it to check, fold and append)."""
        return msgspec.to_builtins(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Any:
        """The event from its stored data (an event with richer fields than JSON overrides this)."""
        return msgspec.convert(data, cls)


class Registry:
    """A domain's event classes by type name."""

    def __init__(self, classes: Iterable[type[Event]]) -> None:
        self.by_type: dict[str, type[Event]] = {cls.type: cls for cls in classes}

    def decode(self, type_: str, data: dict[str, Any]) -> Any:
        """The typed event for stored (type, data); None for a type this server does not know."""
        cls = self.by_type.get(type_)
        return None if cls is None else cls.from_data(data)


@dataclass(frozen=True, slots=True)
class SideWrite:
    """Writes to a stream's side store that commit with the events a decision appends, or not at all.

    The side store holds what must not be in the log (a secret ballot's choices): integer
    counters (no rows, no timestamps, no writer) and an unordered set of opaque tokens that must
    be held to be removed. ``init`` names counters to create at 0, in sorted key order whatever
    order they are given in, before any increment; one that exists is left as it is. Backends
    store every counter at a size that does not depend on its value, so no write ever creates,
    moves or resizes one: the store's layout keeps no trace of which counter moved first.
    """

    increments: dict[str, int] = field(default_factory=dict)
    add_tokens: tuple[str, ...] = ()
    remove_tokens: tuple[str, ...] = ()  # each must be held, else the whole append is refused
    clear_prefix: str | None = None  # drop counters and tokens under this prefix
    init: tuple[str, ...] = ()  # counters to create at 0, in sorted order


@dataclass(frozen=True, slots=True)
class Decided:
    """A decision that writes beside the log as well: its events, the side write that commits
    with them, and the refusal to give if a token it removes is not held (a receipt that is
    not the voter's). A handler that only appends events returns a plain list instead."""

    events: Sequence[Any]
    side: SideWrite | None = None
    token_missing: DomainError | None = None


class ReadsSide(Protocol):
    """A command decided on data from the side store as well as the state (a secret ballot's
    close needs its totals). The shell reads the counters under ``side_prefix()`` at the very
    offset the state is at, and decides ``with_side(counters)``."""

    def side_prefix(self) -> str | None: ...

    def with_side(self, counters: dict[str, int]) -> Any: ...


def unpack(decided: Sequence[Any] | Decided) -> Decided:
    """Any handler's result as a ``Decided``."""
    return decided if isinstance(decided, Decided) else Decided(list(decided))
