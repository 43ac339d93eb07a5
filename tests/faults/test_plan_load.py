"""Heavy definitions never hold the event loop: big plans are made in the bounded worker while the
server keeps answering and handing the baton on time; oversized and alias-bomb definitions are
refused fast; /api/plan needs the admin link. Against a real `mayday serve` process."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time

import httpx
import pytz
from helpers import soon

from mayday.log import open_log
from relay.service import stream_of

ZONES = [z for z in pytz.common_timezones if "/" in z][:200]


def big_definition(sites: int, days: int) -> str:
    return json.dumps(
        {
            "name": f"{sites} sites",
            "legs": {"date": "2027-05-01", "start": "00:00", "duration": "24h", "days": days},
            "sites": [{"id": f"s{i}", "tz": ZONES[i % len(ZONES)]} for i in range(sites)],
        }
    )


async def test_big_plans_do_not_delay_health_or_a_handoff(make_mayday, tmp_path):
    server = make_mayday(data=tmp_path / "data")
    admin = {"authorization": f"Bearer {server.admin}"}
    async with httpx.AsyncClient(base_url=server.base, timeout=60) as http:
        r = await http.post("/api/plan", content=big_definition(3, 1))
        assert r.status_code == 401  # no link, no planning
        now = dt.datetime.now(dt.UTC)
        r = await http.post("/api/relays", content=json.dumps(soon(now, [("a", "UTC", 3, 60)])), headers=admin)
        assert r.status_code == 201, r.text
        rid = r.json()["id"]

        body = big_definition(1000, 10)  # 10,000 legs: the most one relay may have
        started = time.monotonic()
        plans = [asyncio.create_task(http.post("/api/plan", content=body, headers=admin)) for _ in range(3)]
        latencies = []
        while not all(p.done() for p in plans) or time.monotonic() - started < 4:
            t = time.monotonic()
            assert (await http.get("/api/health")).status_code == 200
            latencies.append(time.monotonic() - t)
            await asyncio.sleep(0.05)
        results = [p.result() for p in plans]
        assert all(r.status_code == 200 for r in results), [r.text[:200] for r in results]
        assert len(results[0].json()["legs"]) == 10_000
        assert max(latencies) < 1.5, max(latencies)  # was 14 s with planning on the loop

    log = await open_log(data_dir=str(tmp_path / "data"))
    try:
        passed = [r for r in await log.read(stream_of(rid)) if r.type == "baton_passed"]
    finally:
        await log.close()
    assert passed and passed[0].data["late_s"] < 1.0, passed[0].data if passed else "no handoff"


async def test_oversized_and_alias_bomb_definitions_are_refused_fast(make_mayday, tmp_path):
    server = make_mayday(data=tmp_path / "data")
    admin = {"authorization": f"Bearer {server.admin}"}
    laughs = "title: x\n" + "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    laughs += "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9))
    async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
        for path, body in (
            ("/api/plan", big_definition(5000, 31)),
            ("/api/relays", big_definition(2000, 6)),
            ("/api/assemblies", laughs),
            ("/api/relays", laughs),
        ):
            t = time.monotonic()
            r = await http.post(path, content=body, headers=admin)
            assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_spec", (path, r.text[:200])
            assert time.monotonic() - t < 2, (path, time.monotonic() - t)
        assert (await http.get("/api/health")).status_code == 200
