"""The demo a newcomer gets from ./scripts/serve is playable: the coordinator's and every site's
link are printed and work, the admin link lists every relay's and assembly's links, /demo leads to
the running demo relay, a fresh demo follows when the legs run out, and `mayday invite admin`
prints the port the server really uses."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import subprocess
import sys

import httpx
from helpers import token_of, ws_hello

from mayday.app import Settings
from mayday.clock import ManualClock
from relay import demo as relay_demo
from relay.state import next_deadline


def mayday(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mayday.cli", *args], capture_output=True, text=True, timeout=60)


async def test_serve_demo_prints_working_links_and_invite_knows_the_port(make_mayday, tmp_path):
    data = tmp_path / "data"
    server = make_mayday(data=data, extra=["--demo"])
    out = server.output()
    coordinator = re.search(r"demo relay, coordinator:\s+(\S+)", out)
    sites = dict(re.findall(r"demo relay, site (\w+)\s+(\S+)", out))
    assert coordinator and len(sites) == 10, out
    async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
        r = await http.get("/demo", follow_redirects=False)
        assert r.status_code == 307
        rid = r.headers["location"].rsplit("/", 1)[1]
        assert coordinator.group(1).startswith(f"{server.base}/relay/{rid}#t=")
        # The admin link sees every link of every relay and assembly.
        admin = {"authorization": f"Bearer {server.admin}"}
        links = (await http.get(f"/api/relays/{rid}/links", headers=admin)).json()
        assert links["coordinator"] == coordinator.group(1) and links["sites"] == sites
        assemblies = (await http.get("/api/assemblies", headers=admin)).json()["assemblies"]
        assert assemblies, "the demo assembly is listed"
        r = await http.get(f"/api/assemblies/{assemblies[0]['id']}/links", headers=admin)
        assert r.status_code == 200 and r.json()["chairs"]
        assert (await http.get(f"/api/relays/{rid}/links")).status_code == 403
    # A site link from the printout checks in.
    site, url = next(iter(sites.items()))
    conn, welcome = await ws_hello(f"{server.ws_base}/ws/relay/{rid}", token_of(url))
    assert welcome["role"] == "site" and welcome["subject"] == site
    await conn.close()

    r = mayday("invite", "admin", "--data", str(data))
    assert r.returncode == 0 and r.stdout.strip() == f"{server.base}/#admin={server.admin}", r.stdout


async def test_a_fresh_demo_relay_follows_when_the_legs_run_out(make_app, tmp_path, monkeypatch):
    monkeypatch.setattr(relay_demo, "RENEW_EVERY", 0.05)
    clock = ManualClock(dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC))
    settings = Settings(data_dir=str(tmp_path), clock=clock, timers=False, demo=True)
    server = await make_app(settings)
    relays = server.app.state.relays
    first = server.app.state.demo_relays[0]
    assert next_deadline(relays.current(first)) is not None
    clock.advance(dt.timedelta(hours=2))  # every leg is over
    await relays.tick(first)
    assert next_deadline(relays.current(first)) is None
    for _ in range(100):
        if server.app.state.demo_relays[0] != first:
            break
        await asyncio.sleep(0.05)
    fresh = server.app.state.demo_relays[0]
    assert fresh != first and next_deadline(relays.current(fresh)) is not None
    async with httpx.AsyncClient(base_url=server.base) as http:
        r = await http.get("/demo", follow_redirects=False)
    assert r.headers["location"] == f"/relay/{fresh}"
    assert json.loads(json.dumps(relays.ids())).count(fresh) == 1
