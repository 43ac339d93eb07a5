"""A solidarity network through its REST and WebSocket API on a real server: pair, pledge, income
and the tithe held, delivery, the imbalance closing; who sees what; bad input appends nothing."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest
from helpers import recv_events, token_of, ws_hello

from circles.commands import CreateNetwork, RecordIncome
from circles.decide import decide
from circles.definition import parse_network
from circles.reads import integrity_view
from circles.state import NetworkState, evolve
from mayday.app import Settings
from mayday.clock import ManualClock


async def test_income_is_tithed_delivered_and_the_imbalance_closes(net):
    lagos, rotterdam = net.circle["lagos-dockers"], net.circle["rotterdam-drivers"]
    income = {"type": "record_income", "source": "donations", "amount": "1000.00", "commodity": "USD"}
    assert (await net.send(lagos, income | {"narration": "May Day collection"})).status_code == 200
    view = (await net.get("/circles/lagos-dockers", lagos)).json()
    assert view["funds"]["general"] == {"USD": "900.00"}
    assert view["funds"]["held_for"] == {"rotterdam-drivers": {"USD": "100.00"}}
    # The twin sees what is due to it; the pair page says who owes whom.
    pair = (await net.get("/pairs/lagos-dockers~rotterdam-drivers", rotterdam)).json()
    assert pair["net"] == [
        {"commodity": "USD", "a_owes_b": "100.00", "b_owes_a": "0.00", "debtor": "lagos-dockers", "amount": "100.00"}
    ]
    deliver = {"type": "deliver", "twin": "rotterdam-drivers", "amount": "100.00", "commodity": "USD"}
    assert (await net.send(lagos, deliver)).status_code == 200
    pair = (await net.get("/pairs/lagos-dockers~rotterdam-drivers", lagos)).json()
    assert pair["net"][0]["debtor"] is None and Decimal(pair["net"][0]["amount"]) == 0
    twin = (await net.get("/circles/rotterdam-drivers", rotterdam)).json()
    assert twin["funds"]["general"] == {"USD": "100.00"}
    report = (await net.get("/integrity", net.member["manila-nurses"])).json()
    assert report["ok"] is True, report
    assert report["head"] == pair["head"] == twin["head"]  # what twins compare


async def test_a_pledge_change_is_a_new_version_both_sides_see_and_tithes_follow_it(net):
    lagos = net.circle["lagos-dockers"]
    r = await net.send(lagos, {"type": "set_pledge", "twin": "rotterdam-drivers", "shares": {"money": "0.25"}})
    assert r.status_code == 200, r.text
    seen = (await net.get("/circles/rotterdam-drivers", net.member["rotterdam-drivers"])).json()
    their = seen["twins"][0]["their_pledge"]
    assert their["version"] == 2 and their["shares"]["money"] == "0.25" and their["shares"]["DAYS"] == "0.10"
    await net.send(lagos, {"type": "record_income", "amount": "10.00", "commodity": "EUR"})
    await net.send(lagos, {"type": "record_income", "amount": "3", "commodity": "DAYS"})
    held = (await net.get("/circles/lagos-dockers", lagos)).json()["funds"]["held_for"]["rotterdam-drivers"]
    assert held == {"EUR": "2.50", "DAYS": "0.3"}


async def test_who_sees_what(net):
    lagos = net.circle["lagos-dockers"]
    await net.send(lagos, {"type": "record_income", "amount": "500.00", "commodity": "USD"})
    manila = net.member["manila-nurses"]
    # Another circle's reader, the coordinator and a viewer see the shape, never the amounts.
    for token in (manila, net.coordinator, token_of(net.made["viewer"])):
        view = (await net.get("/circles/lagos-dockers", token)).json()
        assert view["books"] is False and "funds" not in view
        assert (await net.get("/circles/lagos-dockers/ledger.json", token)).status_code == 403
        assert (await net.get("/pairs/lagos-dockers~rotterdam-drivers", token)).status_code == 403
    assert (await net.get("")).status_code == 401  # no link: nothing at all
    # The event stream carries no amount, to anyone.
    events = (await net.get("/events", net.coordinator)).json()["events"]
    posted = [e for e in events if e["event"] == "transaction_posted"]
    assert posted and all("txn" not in e["data"] for e in posted)
    assert posted[0]["data"]["circles"] == ["lagos-dockers", "rotterdam-drivers"]
    ws, welcome = await ws_hello(f"{net.server.ws_base}/ws/network/{net.id}", manila)
    try:
        history = await recv_events(ws, welcome["offset"])
        assert all("500" not in json.dumps(e) for e in history)
    finally:
        await ws.close()
    # Lagos shares its books with Manila: now Manila reads them.
    await net.send(lagos, {"type": "set_visibility", "share_with": ["manila-nurses"]})
    view = (await net.get("/circles/lagos-dockers", manila)).json()
    assert view["funds"]["general"] == {"USD": "450.00"}
    assert (await net.get("/circles/lagos-dockers/ledger.csv", manila)).status_code == 200


async def test_exports_are_a_circles_own_ledger(net):
    lagos = net.circle["lagos-dockers"]
    await net.send(lagos, {"type": "record_income", "amount": "120.50", "commodity": "NGN", "source": "dues"})
    r = await net.get("/circles/lagos-dockers/ledger.beancount", lagos)
    assert r.status_code == 200 and "Income:Circles:Lagos-Dockers:Dues" in r.text and "-120.50 NGN" in r.text
    csv_text = (await net.get("/circles/lagos-dockers/ledger.csv", lagos)).text
    assert csv_text.splitlines()[0].startswith("txn") or "," in csv_text.splitlines()[0]
    ledger = (await net.get("/circles/lagos-dockers/ledger.json", lagos)).json()
    assert ledger["lines"][0]["kind"] == "tithe" and ledger["head"] == ledger["lines"][-1]["hash"]


BAD = [
    ({"type": "record_income", "amount": 100, "commodity": "USD"}, 400, "bad_command"),  # a JSON number
    ({"type": "record_income", "amount": "-5.00", "commodity": "USD"}, 409, "bad_amount"),
    ({"type": "record_income", "amount": "1.005", "commodity": "USD"}, 409, "precision"),
    ({"type": "record_income", "amount": "5.00", "commodity": "ZZZ"}, 409, "unknown_commodity"),
    ({"type": "record_income", "amount": "5.00", "commodity": "USD", "date": "2027-06-01"}, 409, "future_date"),
    (
        {
            "type": "record_income",
            "amount": "5.00",
            "commodity": "USD",
            "original": "9.00",
            "original_commodity": "EUR",
            "rate": "0",
        },
        409,
        "zero_rate",
    ),
    ({"type": "set_pledge", "twin": "rotterdam-drivers", "shares": {"money": "1.5"}}, 409, "bad_share"),
    ({"type": "set_pledge", "twin": "rotterdam-drivers", "shares": {"money": "-0.1"}}, 409, "bad_share"),
    ({"type": "set_pledge", "twin": "manila-nurses", "shares": {"money": "0.1"}}, 409, "not_twins"),
    ({"type": "deliver", "twin": "rotterdam-drivers", "amount": "1.00", "commodity": "USD"}, 409, "over_delivery"),
    ({"type": "reverse", "txn": "t99"}, 409, "unknown_transaction"),
    ({"type": "pair", "a": "lagos-dockers", "b": "manila-nurses"}, 403, "forbidden"),  # a circle may not pair
    ({"type": "nope"}, 400, "bad_command"),
]


@pytest.mark.parametrize(("command", "status", "code"), BAD)
async def test_bad_input_gets_a_clear_error_and_appends_nothing(net, command, status, code):
    before = await net.offset()
    r = await net.send(net.circle["lagos-dockers"], command)
    assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    assert await net.offset() == before


async def test_members_and_viewers_cannot_write_and_a_second_reversal_is_refused(net):
    lagos = net.circle["lagos-dockers"]
    income = {"type": "record_income", "amount": "10.00", "commodity": "USD"}
    for token in (net.member["lagos-dockers"], token_of(net.made["viewer"])):
        assert (await net.send(token, income)).status_code == 403
    await net.send(lagos, income)
    assert (await net.send(lagos, {"type": "reverse", "txn": "t1"})).status_code == 200
    r = await net.send(lagos, {"type": "reverse", "txn": "t1"})
    assert r.json()["error"]["code"] == "already_reversed"
    r = await net.send(net.circle["rotterdam-drivers"], {"type": "reverse", "txn": "t1"})
    assert r.json()["error"]["code"] == "not_yours"
    view = (await net.get("/circles/lagos-dockers", lagos)).json()
    assert view["funds"]["general"] == {}  # reversed: nothing left


async def test_a_rotated_circle_link_is_refused_and_the_new_one_works(net):
    r = await net.send(net.coordinator, {"type": "rotate_links", "target": "lagos-dockers"})
    assert r.status_code == 200
    fresh = token_of(r.json()["links"]["circle"])
    income = {"type": "record_income", "amount": "10.00", "commodity": "USD"}
    assert (await net.send(net.circle["lagos-dockers"], income)).json()["error"]["code"] == "revoked"
    assert (await net.send(fresh, income)).status_code == 200


async def test_a_restart_replays_the_ledger_and_its_chain(make_app, tmp_path, network_kit):
    NETWORK, Net, T0 = network_kit.definition, network_kit.Net, network_kit.T0
    settings = Settings(data_dir=str(tmp_path), secret="s", clock=ManualClock(T0), timers=False)
    server = await make_app(settings)
    async with httpx.AsyncClient(base_url=server.base) as http:
        made = (
            await http.post("/api/networks", json=NETWORK, headers={"authorization": f"Bearer {server.admin}"})
        ).json()
        net = Net(server, http, made)
        await net.send(net.circle["lagos-dockers"], {"type": "record_income", "amount": "77.00", "commodity": "USD"})
        head = (await net.get("", net.coordinator)).json()["head"]
    await server.stop()
    server = await make_app(settings)
    async with httpx.AsyncClient(base_url=server.base) as http:
        net = Net(server, http, made)
        assert (await net.get("", net.coordinator)).json()["head"] == head
        report = (await net.get("/integrity", net.coordinator)).json()
        assert report["ok"] is True


def test_a_stored_transaction_the_ledger_refuses_on_replay_is_reported_not_fatal(network_kit):
    """A log edited behind the server's back (or a rule made stricter) must not stop the network
    from loading: the fold skips the transaction and the integrity view names it."""
    T0 = network_kit.T0
    state = NetworkState()
    network = parse_network({"name": "n", "circles": [{"id": "a", "name": "A"}]})
    for command in (CreateNetwork("n1", network),):
        for e in decide(state, command, T0):
            state = evolve(state, e.type, e.data)
    (posted,) = decide(state, RecordIncome(circle="a", amount=Decimal("10.00"), commodity="USD"), T0)
    tampered = json.loads(json.dumps(posted.data))
    tampered["txn"]["postings"][0]["amount"] = "-11.00"  # no longer balances
    state = evolve(state, posted.type, tampered)
    assert len(state.ledger) == 0 and state.replay_problems == ("t1: unbalanced",)
    report = integrity_view(state, T0)
    assert report["ok"] is False and {"code": "unbalanced", "txn": "t1", "on_replay": True} in report["problems"]


async def test_a_link_learns_what_it_may_read_and_one_dispatch_reads_alone(net):
    lagos = net.circle["lagos-dockers"]
    await net.send(lagos, {"type": "set_visibility", "share_with": ["manila-nurses"]})
    access = (await net.get("/access", net.member["manila-nurses"])).json()
    assert access == {
        "role": "member",
        "circle": "manila-nurses",
        "books": ["lagos-dockers", "manila-nurses"],
        "pairs": ["lagos-dockers~rotterdam-drivers"],  # through Lagos's books
        "actions": [],
    }
    assert (await net.get("/access", net.coordinator)).json()["books"] == []
    post = {"type": "post_dispatch", "twin": "rotterdam-drivers", "text": "Solidarity from Apapa", "language": "en"}
    assert (await net.send(lagos, post)).status_code == 200
    d = (await net.get("/dispatches/1", net.member["rotterdam-drivers"])).json()
    assert d["text"] == "Solidarity from Apapa" and d["translations"] == {}
    assert (await net.get("/dispatches/2", net.member["rotterdam-drivers"])).status_code == 404
    assert (await net.get("/dispatches/x1", net.member["rotterdam-drivers"])).status_code == 404


async def test_the_circle_view_says_what_is_owed_each_way_and_ledger_lines_who_recorded_them(net):
    lagos = net.circle["lagos-dockers"]
    await net.send(lagos, {"type": "record_income", "amount": "40.00", "commodity": "USD"})
    (twin,) = (await net.get("/circles/rotterdam-drivers", net.circle["rotterdam-drivers"])).json()["twins"]
    assert twin["owed"] == {"USD": "4.00"} and twin["owes"] == {}
    line = (await net.get("/circles/lagos-dockers/ledger.json", lagos)).json()["lines"][0]
    assert line["recorded_by"] == "lagos-dockers"
    report = (await net.get("/integrity", lagos)).json()
    assert report["circles"] == 3


async def test_the_pair_timeline_shows_what_flowed_month_by_month(net):
    lagos = net.circle["lagos-dockers"]
    await net.send(lagos, {"type": "record_income", "amount": "100.00", "commodity": "USD", "date": "2027-03-10"})
    await net.send(lagos, {"type": "record_income", "amount": "300.00", "commodity": "USD", "date": "2027-04-02"})
    deliver = {
        "type": "deliver",
        "twin": "rotterdam-drivers",
        "amount": "25.00",
        "commodity": "USD",
        "date": "2027-04-20",
    }
    assert (await net.send(lagos, deliver)).status_code == 200
    timeline = (
        await net.get("/pairs/lagos-dockers~rotterdam-drivers/timeline", net.member["rotterdam-drivers"])
    ).json()
    assert timeline["months"] == [
        {
            "month": "2027-03",
            "debtor": "lagos-dockers",
            "creditor": "rotterdam-drivers",
            "commodity": "USD",
            "tithed": "10.00",
            "covered": "0.00",
            "delivered": "0.00",
        },
        {
            "month": "2027-04",
            "debtor": "lagos-dockers",
            "creditor": "rotterdam-drivers",
            "commodity": "USD",
            "tithed": "30.00",
            "covered": "0.00",
            "delivered": "25.00",
        },
    ]
    assert (
        await net.get("/pairs/lagos-dockers~rotterdam-drivers/timeline", net.member["manila-nurses"])
    ).status_code == 403
