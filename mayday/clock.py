"""The clock is injected: the core never reads time, the shells ask one of these."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

UTC = dt.UTC


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """An aware datetime in UTC."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told (tests, simulations, replaying a day in seconds)."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = start.astimezone(UTC)

    def now(self) -> dt.datetime:
        return self._now

    def set(self, when: dt.datetime) -> None:
        self._now = when.astimezone(UTC)

    def advance(self, delta: dt.timedelta) -> None:
        self._now += delta


def iso(t: dt.datetime) -> str:
    """UTC with milliseconds and a Z, the one timestamp format on the wire."""
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
