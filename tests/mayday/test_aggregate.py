"""The one command path: group commit, refusals that do not take others down, conflicts retried."""

from __future__ import annotations

import asyncio

import pytest

from mayday.aggregate import Aggregate
from mayday.errors import DomainError
from mayday.log import NewEvent, open_log


class CountingLog:
    """A real SQLite log that counts its appends."""

    def __init__(self, log) -> None:
        self.log, self.appends = log, 0

    async def append(self, *args, **kwargs):
        self.appends += 1
        return await self.log.append(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.log, name)


def evolve(state: int, type_: str, data: dict) -> int:
    return state + data["n"]


def add(n: int):
    def decide(state: int) -> list[NewEvent]:
        if n < 0:
            raise DomainError("negative", "no negative numbers")
        return [NewEvent("added", {"n": n, "seen": state})]

    return decide


async def test_commands_waiting_together_are_appended_together(tmp_path):
    log = CountingLog(await open_log(data_dir=str(tmp_path)))
    agg = Aggregate(log, "s", 0, evolve)
    results = await asyncio.gather(*(agg.execute(add(n)) for n in range(1, 51)), return_exceptions=True)
    assert agg.state == sum(range(1, 51)) and agg.offset == 50
    assert log.appends < 10, log.appends  # the first goes alone, the rest wait and go together
    # Each caller got its own record, decided against the state left by the ones before it.
    seen = [r[1][0].data["seen"] for r in results]
    assert seen == [sum(range(1, n)) for n in range(1, 51)]
    assert [r[0] for r in results] == list(range(1, 51))
    records = await log.read("s")
    assert [r.data["n"] for r in records] == list(range(1, 51))
    await log.close()


async def test_a_refused_command_in_a_group_fails_alone(tmp_path):
    log = await open_log(data_dir=str(tmp_path))
    agg = Aggregate(log, "s", 0, evolve)
    results = await asyncio.gather(*(agg.execute(add(n)) for n in (1, -1, 2, -2, 3)), return_exceptions=True)
    assert [type(r).__name__ if isinstance(r, Exception) else r[0] for r in results] == [
        1,
        "DomainError",
        2,
        "DomainError",
        3,
    ]
    assert [r.data["n"] for r in await log.read("s")] == [1, 2, 3]
    await log.close()


async def test_a_conflict_with_another_writer_is_decided_again(tmp_path):
    log = await open_log(data_dir=str(tmp_path))
    ours, theirs = Aggregate(log, "s", 0, evolve), Aggregate(log, "s", 0, evolve)
    await theirs.execute(add(100))  # ours has not seen it
    offset, records = await ours.execute(add(1))
    assert (offset, records[0].data["seen"], ours.state) == (2, 100, 101)
    await log.close()


@pytest.mark.parametrize("n", [1, 3])
async def test_nothing_to_append_returns_the_current_offset(tmp_path, n):
    log = await open_log(data_dir=str(tmp_path))
    agg = Aggregate(log, "s", 0, evolve)
    await agg.execute(add(5))
    results = await asyncio.gather(*(agg.execute(lambda s: []) for _ in range(n)))
    assert results == [(1, [])] * n
    await log.close()
