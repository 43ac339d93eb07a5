"""The relay shell over a real log: restart replay, real timers, exactly once across processes."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from helpers import soon

from mayday.clock import ManualClock, SystemClock
from mayday.hub import Hub
from mayday.links import Links
from mayday.log import open_log
from relay.commands import CheckIn
from relay.service import RelayService, stream_of
from relay.spec import parse_spec
from relay.state import next_deadline

T0 = dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC)
LINKS = Links("test-secret")


def three_legs() -> dict:
    # starts at T0+1s+{0,60,120}s, 100 s each, in three zones
    return soon(
        T0,
        [
            ("akl", "Pacific/Auckland", 0, 100),
            ("ktm", "Asia/Kathmandu", 60, 100),
            ("lpb", "America/La_Paz", 120, 100),
        ],
        grace="20s",
        backups={"ktm": "akl"},
    )


async def types(log, relay_id: str) -> list[str]:
    return [r.type for r in await log.read(stream_of(relay_id))]


async def test_restart_replays_and_applies_missed_handoffs_late(tmp_path):
    clock = ManualClock(T0)
    log = await open_log(data_dir=str(tmp_path))
    service = RelayService(log, Hub(), LINKS, clock, timers=False)
    await service.start()
    relay_id = await service.create_relay(parse_spec(three_legs()))
    clock.advance(dt.timedelta(seconds=5))
    await service.tick(relay_id)
    await service.execute(relay_id, CheckIn("akl"))
    assert await types(log, relay_id) == ["relay_created", "baton_passed", "checked_in"]
    await service.stop()
    await log.close()

    # Down for ten minutes: ktm's and lpb's handoffs, ktm's escalation and backup all missed.
    clock.advance(dt.timedelta(minutes=10))
    log = await open_log(data_dir=str(tmp_path))
    service = RelayService(log, Hub(), LINKS, clock, timers=False)
    await service.start()
    records = await log.read(stream_of(relay_id))
    late = records[3:]
    # akl 1-101 s, ktm 61-161 s, lpb 121-221 s, grace 20 s
    assert [r.type for r in late] == [
        "baton_passed",  # 61: akl -> ktm
        "checkin_missed",  # 81: ktm silent
        "backup_took_leg",  # 101: akl takes ktm's leg
        "baton_passed",  # 121: ktm's leg (held by akl) -> lpb
        "checkin_missed",  # 141: lpb silent, no backup
        "baton_passed",  # 221: lpb -> nobody
    ]
    assert all(r.data["late"] for r in late)
    assert late[0].data["late_s"] == pytest.approx((clock.now() - (T0 + dt.timedelta(seconds=61))).total_seconds())
    agg = await service.get(relay_id)
    assert agg.state.legs[0].checked_in_at is not None  # the check-in before the restart survived
    assert next_deadline(agg.state) is None
    # A second start changes nothing: replay is idempotent.
    await service.stop()
    service = RelayService(log, Hub(), LINKS, clock, timers=False)
    await service.start()
    assert len(await log.read(stream_of(relay_id))) == len(records)
    await service.stop()
    await log.close()


async def test_apscheduler_fires_each_deadline_at_its_utc_instant(tmp_path):
    clock = SystemClock()
    log = await open_log(data_dir=str(tmp_path))
    hub = Hub()
    service = RelayService(log, hub, LINKS, clock, timers=True)
    await service.start()
    try:
        # The first handoff 2 s away: creating the relay (planned in the worker) and subscribing
        # below must come before it even on a loaded machine, or its frame is missed.
        spec = soon(clock.now(), [("a", "Asia/Kolkata", 2, 1), ("b", "America/St_Johns", 3, 1)], grace="1h")
        relay_id = await service.create_relay(parse_spec(spec))
        agg = await service.get(relay_id)
        assert service.scheduler is not None
        for _ in range(100):  # arming is coalesced over a few milliseconds
            if service.scheduler.armed(relay_id):
                break
            await asyncio.sleep(0.01)
        assert service.scheduler.armed(relay_id) == next_deadline(agg.state)
        sub = hub.subscribe(stream_of(relay_id))
        got = []
        while len(got) < 3:  # the three handoffs, as they fire (one frame each, seconds apart)
            _last, _text, parts = await asyncio.wait_for(sub.queue.get(), 5)
            got += parts
        records = await log.read(stream_of(relay_id))
        passes = [r for r in records if r.type == "baton_passed"]
        assert [(r.data["from"], r.data["to"]) for r in passes] == [(None, "a"), ("a", "b"), ("b", None)]
        # Fired on time: a date trigger at the instant, not a cron in local time.
        assert all(r.data["late_s"] < 1.0 for r in passes), [r.data for r in passes]
        assert service.scheduler.armed(relay_id) is None
    finally:
        await service.stop()
        await log.close()


@pytest.mark.redis
async def test_two_processes_on_redis_emit_each_deadline_exactly_once(redis_log_url):
    """Both services tick for every deadline at the same instant; the log lets one append win."""
    clock = ManualClock(T0)
    logs = [await open_log(redis_url=redis_log_url) for _ in range(2)]
    services = [RelayService(log, Hub(), LINKS, clock, timers=False) for log in logs]
    for s in services:
        await s.start()
    relay_id = await services[0].create_relay(parse_spec(three_legs()))
    agg_b = await services[1].get(relay_id)  # the other process learns of it from the log
    assert agg_b.state.created
    for seconds in (1, 21, 61, 81, 101, 121, 141, 161, 221, 300):
        clock.set(T0 + dt.timedelta(seconds=seconds))
        await asyncio.gather(*(s.tick(relay_id) for s in services), *(s.tick(relay_id) for s in services))
    records = await logs[0].read(stream_of(relay_id))
    passes = [r.data["handoff"] for r in records if r.type == "baton_passed"]
    assert passes == sorted(set(passes)) and len(passes) == 4
    missed = [r.data["leg"] for r in records if r.type == "checkin_missed"]
    assert sorted(missed) == [0, 1, 2]
    assert [r.data["leg"] for r in records if r.type == "backup_took_leg"] == [1]
    assert all(not r.data["late"] for r in records if "late" in r.data)
    # Both processes hold the same state.
    await services[1].get(relay_id)
    for _ in range(100):
        if (await services[1].get(relay_id)).offset == len(records):
            break
        await asyncio.sleep(0.02)
    assert (await services[1].get(relay_id)).state == (await services[0].get(relay_id)).state
    for s in services:
        await s.stop()
    for log in logs:
        await log.close()
