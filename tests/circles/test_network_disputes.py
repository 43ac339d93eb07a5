"""A disputed claim goes to a ballot of the pair's joint assembly, and its result decides the
claim: adopted, the twin's cover is posted; rejected, the claim is closed. Each step of this
two-stream saga may run again without doing anything twice."""

from __future__ import annotations

import json
from typing import Any

from helpers import token_of

ASSEMBLY = {
    "title": "Lagos and Rotterdam, joint assembly",
    "languages": ["en"],
    "viewers": "link",  # disputes are argued there with their amounts
    "chairs": [{"id": "chair", "name": "Joint chair"}],
    "delegates": [
        {"id": "ngozi", "name": "Ngozi", "site": "lagos-dockers"},
        {"id": "tunde", "name": "Tunde", "site": "lagos-dockers"},
        {"id": "joost", "name": "Joost", "site": "rotterdam-drivers"},
    ],
}


async def joint_assembly(net: Any) -> tuple[str, dict[str, str]]:
    admin = {"authorization": f"Bearer {net.server.admin}"}
    made = (await net.http.post("/api/assemblies", json=ASSEMBLY, headers=admin)).json()
    tokens = {"chair": token_of(made["chairs"]["chair"])} | {p: token_of(u) for p, u in made["delegates"].items()}
    r = await net.send(
        net.coordinator,
        {"type": "set_joint_assembly", "pair": "lagos-dockers~rotterdam-drivers", "assembly": made["id"]},
    )
    assert r.status_code == 200, r.text
    net.assembly_chair = tokens["chair"]
    return made["id"], tokens


async def assembly_command(net: Any, aid: str, token: str, command: dict) -> Any:
    r = await net.http.post(
        f"/api/assemblies/{aid}/commands", content=json.dumps(command), headers={"authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200, r.text
    return r


async def disputed_claim(net: Any, amount: str) -> int:
    """Rotterdam claims cover from Lagos; Lagos disputes it."""
    if not (await net.get("/access", net.coordinator)).json()["actions"] and not await _has_action(net):
        body = {"type": "open_action", "name": "Port shutdown", "circles": ["lagos-dockers", "rotterdam-drivers"]}
        assert (await net.send(net.coordinator, body)).status_code == 200
        risk = {"type": "declare_risk", "action": 1, "kind": "fines", "estimate": "2000.00", "commodity": "EUR"}
        assert (await net.send(net.circle["rotterdam-drivers"], risk)).status_code == 200
    claim = {
        "type": "file_claim",
        "action": 1,
        "twin": "lagos-dockers",
        "kind": "fines",
        "amount": amount,
        "commodity": "EUR",
        "what": "fined at the gate",
    }
    r = await net.send(net.circle["rotterdam-drivers"], claim)
    assert r.status_code == 200, r.text
    view = (await net.get("/actions/1", net.circle["lagos-dockers"])).json()
    claim_id = view["claims"][-1]["id"]
    r = await net.send(
        net.circle["lagos-dockers"],
        {"type": "dispute_claim", "claim": claim_id, "reason": "the fine predates the action"},
    )
    assert r.status_code == 200, r.text
    return claim_id


async def _has_action(net: Any) -> bool:
    return (await net.get("/actions/1", net.circle["lagos-dockers"])).status_code == 200


async def vote_on(net: Any, aid: str, tokens: dict[str, str], text: str, yes: list[str], no: list[str]) -> None:
    await assembly_command(net, aid, tokens["chair"], {"type": "open_ballot", "target": text, "quorum": "0"})
    snapshot = (
        await net.http.get(f"/api/assemblies/{aid}", headers={"authorization": f"Bearer {net.assembly_chair}"})
    ).json()
    ballot = max(int(b) for b in snapshot["ballots"])
    for person in yes:
        await assembly_command(net, aid, tokens[person], {"type": "vote", "ballot": ballot, "choice": "yes"})
    for person in no:
        await assembly_command(net, aid, tokens[person], {"type": "vote", "ballot": ballot, "choice": "no"})
    await assembly_command(net, aid, tokens["chair"], {"type": "close_ballot", "ballot": ballot})


async def test_a_dispute_becomes_a_joint_ballot_whose_yes_posts_the_cover(net):
    aid, tokens = await joint_assembly(net)
    claim = await disputed_claim(net, "300.00")
    snapshot = (
        await net.http.get(f"/api/assemblies/{aid}", headers={"authorization": f"Bearer {net.assembly_chair}"})
    ).json()
    ((text_id, text),) = [(i, t) for i, t in snapshot["texts"].items() if "/claim 1]" in t["text"]]
    assert (
        "Rotterdam drivers asks Lagos dockers to cover 300.00 EUR" in text["text"]
        and "predates the action" in text["text"]
    )
    view = (await net.get("/actions/1", net.circle["rotterdam-drivers"])).json()
    assert view["claims"][0]["status"] == "disputed" and view["claims"][0]["ballot"] == {
        "assembly": aid,
        "text": text_id,
    }
    await vote_on(net, aid, tokens, text_id, yes=["ngozi", "joost"], no=["tunde"])
    view = (await net.get("/actions/1", net.circle["rotterdam-drivers"])).json()
    assert view["claims"][0]["status"] == "approved" and view["claims"][0]["txn"] == "t1"
    pair = (await net.get("/pairs/lagos-dockers~rotterdam-drivers", net.circle["lagos-dockers"])).json()
    assert pair["net"][0]["debtor"] == "lagos-dockers" and pair["net"][0]["amount"] == "300.00"
    # Running the saga again changes nothing: no second demand, no second cover.
    before = await net.offset()
    await net.server.app.state.networks.settle_disputes(net.id)
    assert await net.offset() == before
    assert claim == 1


async def test_a_joint_ballot_that_says_no_rejects_the_claim(net):
    aid, tokens = await joint_assembly(net)
    await disputed_claim(net, "100.00")
    snapshot = (
        await net.http.get(f"/api/assemblies/{aid}", headers={"authorization": f"Bearer {net.assembly_chair}"})
    ).json()
    (text_id,) = [i for i, t in snapshot["texts"].items() if "/claim 1]" in t["text"]]
    await vote_on(net, aid, tokens, text_id, yes=["joost"], no=["ngozi", "tunde"])
    view = (await net.get("/actions/1", net.circle["lagos-dockers"])).json()
    assert view["claims"][0]["status"] == "rejected" and view["claims"][0]["txn"] is None
    pair = (await net.get("/pairs/lagos-dockers~rotterdam-drivers", net.circle["lagos-dockers"])).json()
    assert pair["net"] == []  # nothing owed either way


async def test_a_dispute_waits_for_the_joint_assembly_to_be_named(net):
    await disputed_claim(net, "50.00")
    view = (await net.get("/actions/1", net.circle["lagos-dockers"])).json()
    assert view["claims"][0]["ballot"] is None
    aid, _ = await joint_assembly(net)  # naming it puts the waiting dispute to the ballot
    view = (await net.get("/actions/1", net.circle["lagos-dockers"])).json()
    assert view["claims"][0]["ballot"]["assembly"] == aid
    r = await net.send(
        net.coordinator, {"type": "set_joint_assembly", "pair": "lagos-dockers~rotterdam-drivers", "assembly": "nosuch"}
    )
    assert r.status_code == 404
    r = await net.send(
        net.circle["lagos-dockers"],
        {"type": "set_joint_assembly", "pair": "lagos-dockers~rotterdam-drivers", "assembly": aid},
    )
    assert r.status_code == 403
