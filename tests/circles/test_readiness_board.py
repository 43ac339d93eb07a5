"""A joint action's readiness reaches the board of the relay it runs as (circles/service.py pushes
SetReadiness; relay/decide.py appends readiness_set only when it changed): not ready -> ready,
proceed-anyway on the record (who and why for the network's circles, not the public board), a
pledge that becomes overdue with the date alone, a restart."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest

from mayday.app import Settings
from mayday.clock import ManualClock

LAGOS, ROTTERDAM = "lagos-dockers", "rotterdam-drivers"
START = "2027-05-20"
RELAY = {
    "name": "Port to port",
    "sites": [
        {"id": "apapa", "name": "Apapa", "tz": "Africa/Lagos", "legs": {"date": START, "start": "06:00", "duration": "8h"}},
        {"id": "maasvlakte", "name": "Maasvlakte", "tz": "Europe/Amsterdam",
         "legs": {"date": START, "start": "06:00", "duration": "8h"}},
    ],
}  # fmt: skip


async def relay_with_action(net) -> str:
    admin = {"authorization": f"Bearer {net.server.admin}"}
    relay = (await net.http.post("/api/relays", json=RELAY, headers=admin)).json()["id"]
    action = {
        "type": "open_action",
        "name": "May Day port shutdown",
        "circles": [LAGOS, ROTTERDAM],
        "relay": relay,
        "sites": {"apapa": LAGOS, "maasvlakte": ROTTERDAM},
        "date": START,
    }
    r = await net.send(net.coordinator, action)
    assert r.status_code == 200, r.text
    return relay


async def board(net, relay: str) -> list[dict]:
    """The readiness the relay's public board shows (its REST snapshot, as a stranger reads it)."""
    return (await net.http.get(f"/api/relays/{relay}")).json().get("readiness", [])


async def readiness_events(net, relay: str) -> list[dict]:
    events = (await net.http.get(f"/api/relays/{relay}/events")).json()["events"]
    return [e["data"] for e in events if e["event"] == "readiness_set"]


async def make_ready(net) -> None:
    for circle in (LAGOS, ROTTERDAM):
        assert (
            await net.send(net.circle[circle], {"type": "acknowledge_red_lines", "action": 1, "version": 0})
        ).status_code == 200
        assert (
            await net.send(net.circle[circle], {"type": "accept_figures", "action": 1, "version": 1})
        ).status_code == 200
    dutch = {
        "type": "translate_communique",
        "action": 1,
        "language": "nl",
        "text": "Gezamenlijk communiqué",
        "version": 1,
    }
    assert (await net.send(net.circle[ROTTERDAM], dutch)).status_code == 200


async def test_the_board_shows_not_ready_then_ready_and_says_it_once(net):
    relay = await relay_with_action(net)
    [shown] = await board(net, relay)
    assert shown | {"at": ""} == {
        "network": net.id, "action": 1, "name": "May Day port shutdown", "ready": False, "go": False,
        "checks": {"red_lines": False, "figures": False, "communique": False, "pledges": True},
        "proceeded": None, "at": "",
    }  # fmt: skip
    await make_ready(net)
    [shown] = await board(net, relay)
    assert shown["ready"] and shown["go"] and all(shown["checks"].values())
    before = len(await readiness_events(net, relay))
    # A change elsewhere in the network (a dispatch) changes no readiness: nothing appended.
    dispatch = {"type": "post_dispatch", "twin": ROTTERDAM, "text": "We are ready"}
    assert (await net.send(net.circle[LAGOS], dispatch)).status_code == 200
    await net.server.app.state.networks.sweep_readiness()
    assert len(await readiness_events(net, relay)) == before
    # A public board learns names of checks, never who or which language is missing.
    assert "nl" not in str(await readiness_events(net, relay)) and LAGOS not in str(await board(net, relay))


async def test_a_change_makes_it_not_ready_and_proceed_anyway_is_on_the_record(net):
    relay = await relay_with_action(net)
    await make_ready(net)
    risk = {"type": "declare_risk", "action": 1, "kind": "fines", "estimate": "500.00", "commodity": "EUR", "people": 3}
    assert (await net.send(net.circle[ROTTERDAM], risk)).status_code == 200
    [shown] = await board(net, relay)
    assert not shown["ready"] and shown["checks"]["figures"] is False and shown["checks"]["communique"] is False
    go = {"type": "proceed_anyway", "action": 1, "name": "Ada Okafor", "reason": "The ships dock on the 20th."}
    assert (await net.send(net.circle[LAGOS], go)).status_code == 200
    [shown] = await board(net, relay)
    assert (shown["ready"], shown["go"]) == (False, True)
    assert shown["proceeded"]["missing"] == ["figures", "communique"] and shown["proceeded"]["at"]
    # Who decided and why stay with the network's links: not on a public board, not on the stream.
    assert "Ada Okafor" not in str(await board(net, relay)) and "ships" not in str(await board(net, relay))
    events = (await net.get("/events", net.member[LAGOS])).json()["events"]
    decided = [e["data"] for e in events if e["event"] == "proceeded_anyway"]
    assert decided and "name" not in decided[0] and "reason" not in decided[0]
    record = (await net.get("/actions/1", net.circle[ROTTERDAM])).json()["readiness"]["proceeded"]
    assert (record["name"], record["by"]) == ("Ada Okafor", LAGOS)
    again = await net.send(net.coordinator, go | {"name": "Someone else"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided"


async def test_a_pledge_overdue_by_the_date_alone_reaches_the_board_at_the_sweep(net):
    relay = await relay_with_action(net)
    await make_ready(net)
    income = {"type": "record_income", "amount": "1000.00", "commodity": "USD", "date": "2027-05-01"}
    assert (await net.send(net.circle[LAGOS], income)).status_code == 200
    [shown] = await board(net, relay)
    assert shown["checks"]["pledges"] is True  # owed, not yet overdue
    net.server.app.state.networks.clock.advance(dt.timedelta(days=31))
    await net.server.app.state.networks.sweep_readiness()
    [shown] = await board(net, relay)
    assert shown["checks"]["pledges"] is False and not shown["ready"]
    deliver = {"type": "deliver", "twin": ROTTERDAM, "amount": "100.00", "commodity": "USD"}
    assert (await net.send(net.circle[LAGOS], deliver)).status_code == 200
    [shown] = await board(net, relay)
    assert shown["checks"]["pledges"] is True and shown["ready"]


@pytest.mark.parametrize("storage", ["sqlite"])
async def test_a_restart_pushes_what_changed_while_no_process_was_told(make_app, tmp_path, network_kit, storage):
    """Readiness pushed at load: a relay whose board missed a change (the process died between
    the network's append and the push) shows it after a restart."""
    clock = ManualClock(network_kit.T0)
    settings = Settings(data_dir=str(tmp_path), secret="s", clock=clock, timers=False)
    server = await make_app(settings)
    admin = {"authorization": f"Bearer {server.admin}"}
    async with httpx.AsyncClient(base_url=server.base) as http:
        made = (await http.post("/api/networks", json=network_kit.definition, headers=admin)).json()
        net = network_kit.Net(server, http, made)
        relay = await relay_with_action(net)
        networks = server.app.state.networks
        networks.relays, saved = None, networks.relays  # the push is lost, as if the process died
        await make_ready(net)
        networks.relays = saved
        assert not (await board(net, relay))[0]["ready"]
    await server.stop()
    server = await make_app(settings)
    async with httpx.AsyncClient(base_url=server.base) as http:
        net = network_kit.Net(server, http, made)
        for _ in range(100):
            shown = await board(net, relay)
            if shown and shown[0]["ready"]:
                break
            await asyncio.sleep(0.02)  # the load's push runs beside the start
        assert shown[0]["ready"]
