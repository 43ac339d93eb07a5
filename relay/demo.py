"""The demo relay behind ``mayday serve --demo``: the bundled example's sites, with short legs that
start a few seconds after the server does, so a newcomer watches the baton move within minutes."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

import pytz

from relay.service import RelayService
from relay.spec import load_text, parse_spec
from relay.state import next_deadline

log = logging.getLogger("mayday.demo")
DEMO_NAME = "Mayday demo relay (live, short legs)"
LEG = dt.timedelta(minutes=3)
STEP = dt.timedelta(seconds=90)
LEAD = dt.timedelta(seconds=20)


def demo_definition(now: dt.datetime, example: dict[str, Any]) -> dict[str, Any]:
    """The example's sites, each given a leg in its own local wall-clock time, staggered by STEP."""
    first = (now + LEAD).replace(microsecond=0)
    sites = []
    for i, site in enumerate(example["sites"]):
        local = (first + i * STEP).astimezone(pytz.timezone(site["tz"]))
        legs = {"date": local.date().isoformat(), "start": local.strftime("%H:%M:%S"), "duration": "3m"}
        sites.append({k: v for k, v in site.items() if k != "legs"} | {"legs": legs})
    return {"name": DEMO_NAME, "checkin_grace": "30s", "sites": sites}


RENEW_EVERY = 10.0  # seconds between checks that the demo relay still has legs to run


async def keep_alive(service: RelayService, current: list[str], on_new: Any = None) -> None:
    """Keep a demo relay running for as long as the server does: when the current one has handed
    its last baton, start a fresh one (``current[0]`` is its id; ``/demo`` follows it)."""
    while True:
        await asyncio.sleep(RENEW_EVERY)
        try:
            state = service.current(current[0])
            if state is not None and state.created and next_deadline(state) is None:
                current[0] = await ensure_demo(service, service.clock.now())
                if on_new is not None:
                    on_new(current[0])
        except Exception:
            log.exception("could not start a fresh demo relay; trying again")


async def ensure_demo(service: RelayService, now: dt.datetime) -> str:
    """Reuse a demo relay that still has something to show, else create a fresh one."""
    for relay_id in service.ids():
        agg = await service.get(relay_id)
        if agg.state.plan and agg.state.plan.name == DEMO_NAME and next_deadline(agg.state) is not None:
            return relay_id
    from mayday.app import examples_dir

    example = load_text((examples_dir() / "may-day-2027.yaml").read_text(encoding="utf-8"))
    return await service.create_relay(parse_spec(demo_definition(now, example)))
