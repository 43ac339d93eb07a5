"""A joint action through the API: declare risks, run the what-if, accept (and see a change make
acceptances stale), the communique in every language of the circles, claim, approve, settle."""

from __future__ import annotations

from typing import Any

import pytest

Net = Any  # tests/circles/conftest.py's client for the example network

ACTION = {"type": "open_action", "name": "May Day port shutdown", "circles": ["lagos-dockers", "rotterdam-drivers"]}


async def open_action(net: Net) -> int:
    r = await net.send(net.coordinator, ACTION | {"date": "2027-05-01"})
    assert r.status_code == 200, r.text
    return r.json()["action"]


async def risk(net: Net, circle: str, estimate: str, kind: str = "lost_wages", commodity: str = "USD") -> None:
    body = {
        "type": "declare_risk",
        "action": 1,
        "kind": kind,
        "estimate": estimate,
        "commodity": commodity,
        "people": 40,
    }
    r = await net.send(net.circle[circle], body)
    assert r.status_code == 200, r.text


async def test_declare_what_if_accept_and_a_change_makes_acceptances_stale(net):
    await open_action(net)
    await risk(net, "lagos-dockers", "8000.00")
    await risk(net, "rotterdam-drivers", "1000.00", kind="fines")
    view = (await net.get("/actions/1", net.circle["lagos-dockers"])).json()
    assert view["action"]["version"] == 3
    (pair,) = view["what_if"]["pairs"]
    (row,) = pair["rows"]
    # Each covers 25 % of the other's declared fallout: 250 one way, 2000 the other.
    assert row["pays"] == {"lagos-dockers": "250.00", "rotterdam-drivers": "2000.00"}
    assert row["net"] == {"debtor": "rotterdam-drivers", "amount": "1750.00"}
    assert row["asymmetric"] is True  # 8000 is more than 3 x 1000
    assert view["what_if"]["beyond_funds"] == ["lagos-dockers", "rotterdam-drivers"]  # nothing ring-fenced yet
    assert row["exposure"] == {"lagos-dockers": "8000.00", "rotterdam-drivers": "1000.00"}
    for circle in ("lagos-dockers", "rotterdam-drivers"):
        r = await net.send(net.circle[circle], {"type": "accept_figures", "action": 1, "version": 3})
        assert r.status_code == 200, r.text
    gate = (await net.get("/actions/1", net.member["rotterdam-drivers"])).json()["readiness"]
    assert [c["ok"] for c in gate["checks"] if c["check"] == "figures"] == [True]  # (test_readiness.py: the rest)
    # Rotterdam lowers its cover: a new version; both acceptances are now stale.
    r = await net.send(
        net.circle["rotterdam-drivers"], {"type": "set_cover", "action": 1, "twin": "lagos-dockers", "share": "0.10"}
    )
    assert r.status_code == 200
    view = (await net.get("/actions/1", net.circle["lagos-dockers"])).json()
    assert view["ready"] is False and all(c["stale"] for c in view["what_if"]["circles"])
    r = await net.send(net.circle["lagos-dockers"], {"type": "accept_figures", "action": 1, "version": 3})
    assert r.json()["error"]["code"] == "stale_version"


async def test_the_communique_in_every_language_of_the_circles(net):
    await open_action(net)
    await risk(net, "lagos-dockers", "500.00")
    view = (await net.get("/actions/1", net.circle["lagos-dockers"])).json()
    status = {c["language"]: c["status"] for c in view["communique"]}
    assert status == {"en": "generated", "nl": "missing"}  # Lagos speaks en; Rotterdam nl and en
    en = await net.get("/actions/1/communique.txt?lang=en", net.circle["rotterdam-drivers"])
    assert (
        en.status_code == 200
        and "Lagos dockers takes these risks:" in en.text
        and "lost wages: up to 500.00 USD" in en.text
    )
    assert (await net.get("/actions/1/communique.txt?lang=nl", net.circle["lagos-dockers"])).status_code == 404
    dutch = {
        "type": "translate_communique",
        "action": 1,
        "language": "nl",
        "text": "Gezamenlijk communiqué ...",
        "version": 2,
    }
    assert (await net.send(net.circle["rotterdam-drivers"], dutch)).status_code == 200
    nl = await net.get("/actions/1/communique.txt?lang=nl", net.circle["lagos-dockers"])
    assert nl.text.startswith("Gezamenlijk") and nl.headers["x-communique-status"] == "human"
    await risk(net, "rotterdam-drivers", "100.00")  # the figures change: the Dutch text is stale
    nl = await net.get("/actions/1/communique.txt?lang=nl", net.circle["lagos-dockers"])
    assert nl.headers["x-communique-status"] == "stale"
    # Nobody outside the action reads it.
    assert (await net.get("/actions/1/communique.txt?lang=en", net.member["manila-nurses"])).status_code == 403


async def test_claim_approve_settle_and_refusals(net):
    await open_action(net)
    await risk(net, "lagos-dockers", "800.00")
    claim = {
        "type": "file_claim",
        "action": 1,
        "twin": "rotterdam-drivers",
        "amount": "250.00",
        "commodity": "USD",
        "what": "40 dockers lost a day",
    }
    r = await net.send(net.circle["lagos-dockers"], claim)
    assert r.json()["error"]["code"] == "over_cover"  # 25 % of 800 is 200
    before = await net.offset()
    assert await net.offset() == before
    r = await net.send(
        net.circle["lagos-dockers"], claim | {"amount": "200.00", "evidence": "https://example.org/pay-slips"}
    )
    assert r.status_code == 200, r.text
    r = await net.send(net.circle["lagos-dockers"], {"type": "approve_claim", "claim": 1})
    assert r.json()["error"]["code"] == "not_yours"  # the claimant cannot approve its own claim
    assert (await net.send(net.circle["rotterdam-drivers"], {"type": "approve_claim", "claim": 1})).status_code == 200
    r = await net.send(net.circle["rotterdam-drivers"], {"type": "approve_claim", "claim": 1})
    assert r.json()["error"]["code"] == "already_decided"
    pair = (await net.get("/pairs/lagos-dockers~rotterdam-drivers", net.circle["lagos-dockers"])).json()
    assert pair["net"][0] == {
        "commodity": "USD",
        "a_owes_b": "0.00",
        "b_owes_a": "200.00",
        "debtor": "rotterdam-drivers",
        "amount": "200.00",
    }
    # The twin settles by delivering what it owes (out of its general fund here).
    await net.send(net.circle["rotterdam-drivers"], {"type": "record_income", "amount": "1000.00", "commodity": "USD"})
    deliver = {"type": "deliver", "twin": "lagos-dockers", "amount": "200.00", "commodity": "USD", "source": "general"}
    assert (await net.send(net.circle["rotterdam-drivers"], deliver)).status_code == 200
    view = (await net.get("/actions/1", net.circle["lagos-dockers"])).json()
    assert view["claims"][0]["status"] == "approved" and view["claims"][0]["txn"] == "t1"
    assert (await net.get("/integrity", net.coordinator)).json()["ok"] is True


async def test_a_disputed_claim_is_recorded_with_its_reason(net):
    await open_action(net)
    await risk(net, "rotterdam-drivers", "400.00", kind="fines")
    claim = {
        "type": "file_claim",
        "action": 1,
        "twin": "lagos-dockers",
        "kind": "fines",
        "amount": "100.00",
        "commodity": "USD",
        "what": "fined at the gate",
    }
    assert (await net.send(net.circle["rotterdam-drivers"], claim)).status_code == 200
    r = await net.send(
        net.circle["lagos-dockers"], {"type": "dispute_claim", "claim": 1, "reason": "the fine was before the action"}
    )
    assert r.status_code == 200
    view = (await net.get("/actions/1", net.circle["rotterdam-drivers"])).json()
    assert view["claims"][0]["status"] == "disputed" and "before the action" in view["claims"][0]["reason"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"type": "open_action", "name": "x", "circles": ["lagos-dockers"]}, "bad_action"),
        ({"type": "open_action", "name": "x", "circles": ["lagos-dockers", "manila-nurses"]}, "not_twins"),
        ({"type": "declare_risk", "action": 9, "estimate": "1.00"}, "unknown_action"),
        ({"type": "declare_risk", "action": 1, "estimate": "1.001"}, "precision"),
        ({"type": "declare_risk", "action": 1, "estimate": 5}, "bad_command"),
        ({"type": "set_cover", "action": 1, "twin": "rotterdam-drivers", "share": "1.01"}, "bad_share"),
        ({"type": "file_claim", "action": 1, "twin": "rotterdam-drivers", "amount": "1.00", "what": "x"}, "over_cover"),
    ],
)
async def test_bad_action_input_appends_nothing(net, body, code):
    await open_action(net)
    before = await net.offset()
    r = await net.send(net.circle["lagos-dockers"], body)
    assert r.json()["error"]["code"] == code, r.text
    assert await net.offset() == before


async def test_the_stream_carries_no_estimate_nor_claim(net):
    await open_action(net)
    await risk(net, "lagos-dockers", "1234.00")
    events = (await net.get("/events", net.circle["lagos-dockers"])).json()["events"]
    assert "1234" not in str(events)


async def test_an_action_runs_as_a_relay_whose_legs_are_the_circles(net):
    start = "2027-05-01"
    relay = {
        "name": "Port to port",
        "sites": [
            {
                "id": "apapa",
                "name": "Apapa",
                "tz": "Africa/Lagos",
                "legs": {"date": start, "start": "06:00", "duration": "8h"},
            },
            {
                "id": "maasvlakte",
                "name": "Maasvlakte",
                "tz": "Europe/Amsterdam",
                "legs": {"date": start, "start": "06:00", "duration": "8h"},
            },
        ],
    }
    admin = {"authorization": f"Bearer {net.server.admin}"}
    made = (await net.http.post("/api/relays", json=relay, headers=admin)).json()
    body = ACTION | {"relay": made["id"], "sites": {"apapa": "lagos-dockers", "maasvlakte": "rotterdam-drivers"}}
    assert (await net.send(net.coordinator, body)).status_code == 200
    legs = (await net.get("/actions/1", net.circle["lagos-dockers"])).json()["relay"]["legs"]
    # In the order the baton passes (06:00 in Rotterdam comes an hour before 06:00 in Lagos).
    assert [(leg["site"], leg["circle"]) for leg in legs] == [
        ("maasvlakte", "rotterdam-drivers"),
        ("apapa", "lagos-dockers"),
    ]
    before = await net.offset()
    r = await net.send(net.coordinator, ACTION | {"relay": made["id"], "sites": {"rotterdam": "lagos-dockers"}})
    assert r.json()["error"]["code"] == "unknown_site"
    r = await net.send(net.coordinator, ACTION | {"relay": "nosuchrelay", "sites": {}})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await net.send(net.coordinator, ACTION | {"relay": made["id"], "sites": {"apapa": "manila-nurses"}})
    assert r.json()["error"]["code"] == "not_in_action"
    assert await net.offset() == before


async def test_the_coordinator_follows_its_actions_without_their_figures(net):
    assert await open_action(net) == 1
    await risk(net, "lagos-dockers", "900.00")
    shape = (await net.get("", net.coordinator)).json()
    assert shape["actions"] == [
        {
            "id": 1,
            "name": "May Day port shutdown",
            "circles": ["lagos-dockers", "rotterdam-drivers"],
            "date": "2027-05-01",
            "relay": "",
            "version": 2,
            "ready": False,
            "go": False,
        }
    ]
    assert "900" not in str(shape)
    # The chair reads the action's red lines and readiness, never its figures (the circles').
    chair = await net.get("/actions/1", net.coordinator)
    assert chair.status_code == 200 and chair.json()["figures"] is False and "risks" not in chair.json()
    assert "900" not in chair.text


async def test_a_public_relays_sites_are_readable_for_mapping_a_private_ones_are_not(net):
    admin = {"authorization": f"Bearer {net.server.admin}"}
    site = {
        "id": "apapa",
        "name": "Apapa",
        "tz": "Africa/Lagos",
        "legs": {"date": "2027-05-01", "start": "06:00", "duration": "8h"},
    }
    public = (await net.http.post("/api/relays", json={"name": "Open", "sites": [site]}, headers=admin)).json()
    private = (
        await net.http.post("/api/relays", json={"name": "Closed", "board": "private", "sites": [site]}, headers=admin)
    ).json()
    r = await net.get(f"/relays/{public['id']}/sites", net.coordinator)
    assert r.json() == {"relay": public["id"], "sites": [{"id": "apapa", "name": "Apapa"}]}
    assert (await net.get(f"/relays/{private['id']}/sites", net.coordinator)).status_code == 403
    assert (await net.get(f"/relays/{public['id']}/sites", net.member["lagos-dockers"])).status_code == 403


async def test_no_communique_translation_or_dispute_reason_rides_the_stream(net):
    await open_action(net)
    await risk(net, "lagos-dockers", "4321.00")
    body = {"type": "translate_communique", "action": 1, "language": "nl", "text": "Lagos: 4321.00 USD", "version": 2}
    assert (await net.send(net.circle["rotterdam-drivers"], body)).status_code == 200
    events = (await net.get("/events", net.coordinator)).json()["events"]
    assert any(e["event"] == "communique_translated" for e in events) and "4321" not in str(events)
