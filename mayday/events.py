"""What a domain's events are made of: pure, no I/O (the cores import this, never mayday.log).

An event is a small frozen class with a ``type`` (a class constant, the name stored in the log)
and ``data`` (the JSON object stored), the shape the shell appends and folds (as
``mayday.log.NewEvent``). Fields are stored in their declared order; a field left UNSET is absent
from the data. ``Registry`` reads stored (type, data) back: an unknown type gives None and unknown
fields are ignored, so an older server replays a newer log.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import Any, ClassVar

import msgspec


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
