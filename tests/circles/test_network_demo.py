"""``mayday serve --demo`` creates the example network once and prints working links: the
coordinator's and each circle's (a circle link records income and reads its own funds)."""

from __future__ import annotations

import re

import httpx
from helpers import token_of


async def test_serve_demo_prints_a_network_whose_circle_links_work(make_mayday, tmp_path):
    data = tmp_path / "data"
    server = make_mayday(data=data, extra=["--demo"])
    out = server.output()
    coordinator = re.search(r"demo network, coordinator:\s+(\S+)", out)
    circles = dict(re.findall(r"demo circle (\S+)\s+(\S+)", out))
    assert coordinator and set(circles) == {"lagos-dockers", "rotterdam-drivers", "la-paz-miners", "manila-nurses"}
    nid = coordinator.group(1).split("/network/")[1].split("#")[0]
    lagos = {"authorization": f"Bearer {token_of(circles['lagos-dockers'])}"}
    async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
        shape = (await http.get(f"/api/networks/{nid}", headers=lagos)).json()
        assert {p["id"] for p in shape["pairs"]} == {
            "lagos-dockers~rotterdam-drivers",
            "la-paz-miners~rotterdam-drivers",
        }
        income = {"type": "record_income", "amount": "250.00", "commodity": "NGN"}
        assert (await http.post(f"/api/networks/{nid}/commands", json=income, headers=lagos)).status_code == 200
        view = (await http.get(f"/api/networks/{nid}/circles/lagos-dockers", headers=lagos)).json()
        assert view["funds"]["held_for"] == {"rotterdam-drivers": {"NGN": "25.00"}}
    server.restart()  # the demo network is the same one after a restart, not a second one
    again = re.findall(r"demo network, coordinator:\s+(\S+)", server.output())
    assert again[-1].split("#")[0] == coordinator.group(1).split("#")[0]
