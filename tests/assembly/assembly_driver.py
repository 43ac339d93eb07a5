"""Shared assembly definitions and a tiny driver for the pure core. Test modules import it by this
name, not from conftest: several conftest.py files are loaded at once when pytest is given several
directories, and only one of them can be the module named "conftest"."""

from __future__ import annotations

import datetime as dt

from assembly import core
from assembly.definition import parse_assembly
from assembly.state import evolve
from mayday.events import unpack

T0 = dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC)

DEFINITION = {
    "title": "Test assembly",
    "languages": ["en", "es", "fr", "pt", "ar"],
    "speaking_time": {"speech": "2m", "reply": "1m", "point_of_order": "30s"},
    "queue": {"first_time_first": True, "region_rotation": True},
    "quorum": 0.5,
    "chairs": [{"id": "ama", "name": "Ama"}],
    "delegates": [
        {"id": "ngozi", "name": "Ngozi", "site": "lag", "region": "africa", "weight": 2, "language": "en"},
        {"id": "kwame", "name": "Kwame", "site": "acc", "region": "africa", "language": "fr"},
        {"id": "rosa", "name": "Rosa", "site": "lpb", "region": "americas", "language": "es"},
        {"id": "joao", "name": "João", "site": "sao", "region": "americas", "weight": 1.5, "language": "pt"},
        {"id": "maria", "name": "Maria", "site": "mnl", "region": "asia", "language": "en"},
    ],
    "interpreters": [{"id": "lucia", "name": "Lucía", "booth": "es", "understands": ["en", "pt"]}],
}


class Driver:
    """Feeds commands through decide/evolve exactly as the shell does, with a manual clock."""

    def __init__(self, definition: dict | None = None) -> None:
        self.now = T0
        self.state = core.AssemblyState()
        self.log: list[tuple[str, dict]] = []
        self(core.CreateAssembly("a1", parse_assembly(definition or DEFINITION)))

    def __call__(self, command) -> list:
        decided = unpack(core.decide(self.state, command, self.now))
        events = list(decided.events)
        self.side = decided.side  # the last decision's side write (a secret ballot's)
        for e in events:
            self.state = evolve(self.state, e.type, e.data)
            self.log.append((e.type, e.data))
        return events

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)

    def order(self) -> list[str]:
        return [e.person for e in self.state.order()]
