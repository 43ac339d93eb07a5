"""A joint action's readiness gate through the API, each of its four checks flipping (red lines
acknowledged, figures accepted, the communique in every circle's language, no pledge overdue),
proceed-anyway on the record, what the network's shape and the chair see of it; and each pair's
last shared risk, with the ask after a quarter."""

from __future__ import annotations

import datetime as dt
from typing import Any

from circles.commands import CreateNetwork, OpenAction
from circles.decide import decide
from circles.definition import parse_network
from circles.readiness import QUARTER_DAYS, last_shared_risk
from circles.state import NetworkState, evolve

Net = Any  # tests/circles/conftest.py's client for the example network

LAGOS, ROTTERDAM = "lagos-dockers", "rotterdam-drivers"
PAIR = "lagos-dockers~rotterdam-drivers"
ACTION = {"type": "open_action", "name": "May Day port shutdown", "circles": [LAGOS, ROTTERDAM], "date": "2027-05-01"}


async def ok(net: Net, token: str, command: dict[str, Any]) -> dict[str, Any]:
    r = await net.send(token, command)
    assert r.status_code == 200, r.text
    return r.json()


async def gate(net: Net, token: str | None = None) -> dict[str, Any]:
    """The readiness as a circle of the action reads it: ``{check: its dict}`` and the rest."""
    r = await net.get("/actions/1", token or net.circle[LAGOS])
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["ready"] == view["readiness"]["ready"]
    return view["readiness"] | {"by_check": {c["check"]: c for c in view["readiness"]["checks"]}}


async def failing(net: Net) -> list[str]:
    return [c["check"] for c in (await gate(net))["checks"] if not c["ok"]]


async def test_each_check_flips_and_the_action_becomes_ready(net):
    await ok(net, net.coordinator, ACTION)
    g = await gate(net)
    assert (g["ready"], g["go"], g["proceeded"]) == (False, False, None)
    assert g["by_check"]["red_lines"] | {"check": ""} == {
        "check": "", "ok": False, "missing": [LAGOS, ROTTERDAM], "stale": [], "version": 0}  # fmt: skip
    assert g["by_check"]["communique"]["missing"] == ["nl"]  # Rotterdam speaks Dutch: nobody wrote it yet
    assert await failing(net) == ["red_lines", "figures", "communique"]

    # No red line named yet: acknowledging version 0 counts.
    for circle in (LAGOS, ROTTERDAM):
        await ok(net, net.circle[circle], {"type": "acknowledge_red_lines", "action": 1, "version": 0})
    assert await failing(net) == ["figures", "communique"]

    for circle in (LAGOS, ROTTERDAM):
        await ok(net, net.circle[circle], {"type": "accept_figures", "action": 1, "version": 1})
    assert await failing(net) == ["communique"]

    dutch = {
        "type": "translate_communique",
        "action": 1,
        "language": "nl",
        "text": "Gezamenlijk communiqué",
        "version": 1,
    }
    await ok(net, net.circle[ROTTERDAM], dutch)
    g = await gate(net)
    assert g["ready"] and g["go"] and all(c["ok"] for c in g["checks"])
    shape = (await net.get("", net.coordinator)).json()
    assert [(a["ready"], a["go"]) for a in shape["actions"]] == [(True, True)]

    # A risk declared: a new version of the figures; acceptances and the Dutch communique are stale.
    risk = {"type": "declare_risk", "action": 1, "kind": "fines", "estimate": "500.00", "commodity": "EUR", "people": 3}
    await ok(net, net.circle[ROTTERDAM], risk)
    g = await gate(net)
    assert g["by_check"]["figures"]["stale"] == [LAGOS, ROTTERDAM] and g["by_check"]["figures"]["version"] == 2
    assert g["by_check"]["communique"] == {"check": "communique", "ok": False, "missing": [], "stale": ["nl"]}
    # A red line named: the acknowledgements of version 0 are stale too.
    line = {"type": "name_red_line", "action": 1, "text": "No night shifts", "key": "k" * 32}
    await ok(net, net.member[LAGOS], line)
    assert (await gate(net))["by_check"]["red_lines"]["stale"] == [LAGOS, ROTTERDAM]
    assert await failing(net) == ["red_lines", "figures", "communique"]
    assert [(a["ready"], a["go"]) for a in (await net.get("", net.coordinator)).json()["actions"]] == [(False, False)]


async def test_a_pledge_overdue_past_the_settle_period_fails_the_gate(net):
    await ok(net, net.coordinator, ACTION)
    await ok(net, net.circle[LAGOS], {"type": "record_income", "amount": "1000.00", "commodity": "USD"})
    assert (await gate(net))["by_check"]["pledges"] == {"check": "pledges", "ok": True, "overdue": [], "others": 0}
    clock = net.server.app.state.networks.clock
    clock.advance(dt.timedelta(days=30))  # the pair's settle period: due, not yet overdue
    assert (await gate(net))["by_check"]["pledges"]["ok"] is True
    clock.advance(dt.timedelta(days=1))
    pledges = (await gate(net, net.member[ROTTERDAM]))["by_check"]["pledges"]
    assert pledges == {"check": "pledges", "ok": False, "others": 0,
                       "overdue": [{"debtor": LAGOS, "creditor": ROTTERDAM, "since": "2027-05-01"}]}  # fmt: skip
    # The chair sees that a pledge is overdue, not between whom: the pair's flows are the twins'.
    chair = (await gate(net, net.coordinator))["by_check"]["pledges"]
    assert chair == {"check": "pledges", "ok": False, "overdue": [], "others": 1}
    deliver = {"type": "deliver", "twin": ROTTERDAM, "amount": "100.00", "commodity": "USD"}
    await ok(net, net.circle[LAGOS], deliver)
    assert (await gate(net))["by_check"]["pledges"]["ok"] is True


async def test_proceed_anyway_is_on_the_record_and_refused_when_ready(net):
    await ok(net, net.coordinator, ACTION)
    go = {"type": "proceed_anyway", "action": 1, "name": "Ada Okafor", "reason": "The ships dock on the 1st"}
    before = await net.offset()
    for token in (net.member[LAGOS], net.circle["manila-nurses"]):
        r = await net.send(token, go)
        assert r.status_code in (403, 409) and r.json()["error"]["code"] in ("forbidden", "not_in_action")
    r = await net.send(net.circle[LAGOS], go | {"name": "  "})
    assert r.json()["error"]["code"] == "empty_text" and await net.offset() == before
    await ok(net, net.coordinator, go)
    g = await gate(net)
    assert (g["ready"], g["go"]) == (False, True)
    assert g["proceeded"] == {"by": "coordinator", "name": "Ada Okafor", "reason": "The ships dock on the 1st",
                              "missing": ["red_lines", "figures", "communique"], "at": "2027-05-01T12:00:00.000Z"}  # fmt: skip
    assert [(a["ready"], a["go"]) for a in (await net.get("", net.coordinator)).json()["actions"]] == [(False, True)]
    r = await net.send(net.circle[ROTTERDAM], go | {"name": "Someone else"})
    assert r.json()["error"]["code"] == "already_decided"

    # A second action made ready: there is nothing to proceed anyway over.
    await ok(net, net.coordinator, ACTION | {"name": "Second shutdown"})
    for circle in (LAGOS, ROTTERDAM):
        await ok(net, net.circle[circle], {"type": "acknowledge_red_lines", "action": 2, "version": 0})
        await ok(net, net.circle[circle], {"type": "accept_figures", "action": 2, "version": 1})
    dutch = {"type": "translate_communique", "action": 2, "language": "nl", "text": "Tweede", "version": 1}
    await ok(net, net.circle[ROTTERDAM], dutch)
    before = await net.offset()
    r = await net.send(net.circle[LAGOS], go | {"action": 2})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "already_ready") and await net.offset() == before


async def test_the_pair_page_says_when_the_twins_last_took_a_shared_risk(net):
    pair = (await net.get(f"/pairs/{PAIR}", net.circle[LAGOS])).json()["last_shared_risk"]
    assert pair == {"action": None, "days": 0, "ask": False, "quarter_days": QUARTER_DAYS}
    # An action dated a month ago counts; one dated next month has not taken place yet.
    await ok(net, net.coordinator, ACTION | {"name": "April blockade", "date": "2027-04-01"})
    await ok(net, net.coordinator, ACTION | {"name": "June blockade", "date": "2027-06-01"})
    last = (await net.get(f"/pairs/{PAIR}", net.member[ROTTERDAM])).json()["last_shared_risk"]
    assert last == {"action": {"id": 1, "name": "April blockade", "date": "2027-04-01"}, "days": 30, "ask": False,
                    "quarter_days": QUARTER_DAYS}  # fmt: skip
    # Past June, the June one is the last; a quarter after it, the pair is asked for another.
    clock = net.server.app.state.networks.clock
    clock.set(dt.datetime(2027, 8, 31, 12, tzinfo=dt.UTC))
    last = (await net.get(f"/pairs/{PAIR}", net.member[ROTTERDAM])).json()["last_shared_risk"]
    assert (last["action"]["name"], last["days"], last["ask"]) == ("June blockade", QUARTER_DAYS, False)
    clock.advance(dt.timedelta(days=1))
    last = (await net.get(f"/pairs/{PAIR}", net.member[ROTTERDAM])).json()["last_shared_risk"]
    assert (last["days"], last["ask"]) == (QUARTER_DAYS + 1, True)


def test_a_pair_with_no_shared_risk_is_asked_a_quarter_after_it_was_made():
    t0 = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC)
    definition = parse_network(
        {"name": "n", "circles": [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}, {"id": "c", "name": "C"}],
         "pairs": [{"circles": ["a", "b"]}, {"circles": ["b", "c"]}]}
    )  # fmt: skip
    state = NetworkState()
    for e in decide(state, CreateNetwork("n1", definition), t0):
        state = evolve(state, e.type, e.data)
    # An action of b and c only is not a shared risk of a and b.
    opened = OpenAction(name="c's", circles=("b", "c"), date=dt.date(2027, 3, 1), circle="")
    for e in decide(state, opened, t0):
        state = evolve(state, e.type, e.data)
    ab = state.pairs["a~b"]
    quarter = t0 + dt.timedelta(days=QUARTER_DAYS)
    assert last_shared_risk(state, ab, quarter) == {"action": None, "days": 91, "ask": False, "quarter_days": 91}
    assert last_shared_risk(state, ab, quarter + dt.timedelta(days=1))["ask"] is True
    bc = state.pairs["b~c"]
    assert last_shared_risk(state, bc, quarter + dt.timedelta(days=1))["action"]["date"] == "2027-03-01"
    assert last_shared_risk(state, bc, quarter + dt.timedelta(days=1))["ask"] is False
