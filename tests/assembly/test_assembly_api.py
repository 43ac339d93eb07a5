"""The assembly over a real server: roles for every command, bad input, secret ballots end to end,
and a restart in the middle of a ballot."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest
from assembly_driver import DEFINITION
from helpers import recv_events, token_of, ws_hello

from assembly.protocol import ALLOWED, COMMAND_TYPES
from mayday.app import Settings
from mayday.clock import ManualClock

T0 = dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC)
NONCES = {name: name.ljust(24, "x") for name in ("rosa", "maria", "ngozi", "kwame", "joao", "rosa2")}

# One well-formed instance of every command (some refer to things made in setup).
SAMPLES = {
    "attend": {"present": True, "person": "rosa"},
    "raise_hand": {"kind": "speech", "person": "rosa"},
    "lower_hand": {"entry": 1},
    "grant_floor": {},
    "end_speech": {},
    "extend_time": {"seconds": 30},
    "reorder": {"order": [1]},
    "close_list": {},
    "reopen_list": {},
    "set_floor_language": {"language": "es"},
    "propose_demand": {"language": "es", "text": "Salario mínimo"},
    "propose_amendment": {"demand": "d1", "language": "en", "text": "Living wage"},
    "edit_text": {"id": "d1", "text": "Salario mínimo vital"},
    "translate": {"id": "d1", "language": "en", "text": "Minimum wage"},
    "open_ballot": {"target": "d1"},
    "open_ranking": {},
    "vote": {"ballot": 1, "choice": "yes"},
    "close_ballot": {"ballot": 1},
    "add_person": {"role": "delegate", "id": "zainab", "name": "Zainab", "language": "ar"},
    "revoke_link": {"person": "kwame"},
    "take_booth": {},
    "hand_over": {},
    "leave_booth": {},
    "set_booth": {"booth": "es", "interpreter": None},
}


def by_role(made: dict) -> dict[str, str | None]:
    def tok(url: str) -> str:
        return token_of(url)

    return {
        "chair": tok(made["chairs"]["ama"]),
        "delegate": tok(made["delegates"]["rosa"]),
        "interpreter": tok(made["interpreters"]["lucia"]),
        "viewer": tok(made["viewer"]),
        None: None,
    }


@pytest.fixture
async def server(make_app, tmp_path):
    clock = ManualClock(T0)
    settings = Settings(data_dir=str(tmp_path), secret="s3cret", clock=clock, timers=False, rest_rate=(1000, 1000))
    return await make_app(settings)


async def create(server, definition=None) -> dict:
    async with httpx.AsyncClient(base_url=server.base) as http:
        r = await http.post(
            "/api/assemblies",
            content=json.dumps(definition or DEFINITION),
            headers={"authorization": f"Bearer {server.admin}"},
        )
    assert r.status_code == 201, r.text
    return r.json()


async def command(server, aid: str, token: str | None, body: dict) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=server.base) as http:
        return await http.post(f"/api/assemblies/{aid}/commands", content=json.dumps(body), headers=headers)


async def offset(server, aid: str) -> int:
    return await server.app.state.log.last_offset(f"assembly:{aid}")


async def test_create_needs_admin_and_a_valid_definition(server):
    async with httpx.AsyncClient(base_url=server.base) as http:
        r = await http.post("/api/assemblies", content=json.dumps(DEFINITION))
        assert r.status_code == 401
        bad = DEFINITION | {"languages": ["en", "english"]}
        r = await http.post(
            "/api/assemblies", content=json.dumps(bad), headers={"authorization": f"Bearer {server.admin}"}
        )
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_spec"
        assert "languages[1]" in r.json()["error"]["message"]
    made = await create(server)
    assert set(made["delegates"]) == {"ngozi", "kwame", "rosa", "joao", "maria"}
    assert made["chairs"]["ama"].startswith(f"{server.base}/assembly/{made['id']}/chair#t=")


async def test_every_command_for_every_role_is_authorised_on_the_server(server):
    """The forbidden ones are refused with 403 and append nothing; the allowed ones get past
    authorisation (they may still be refused by the assembly's state, but not as forbidden)."""
    made = await create(server)
    aid = made["id"]
    tokens = by_role(made)
    # Set the scene as the chair and a delegate would, so allowed commands have something to act on.
    rosa = tokens["delegate"]
    for tok, body in (
        (rosa, {"type": "propose_demand", "language": "es", "text": "Salario"}),
        (rosa, {"type": "raise_hand"}),
    ):
        assert (await command(server, aid, tok, body)).status_code == 200
    assert COMMAND_TYPES == set(SAMPLES)
    for role, token in tokens.items():
        allowed = ALLOWED.get(role, frozenset())
        for kind, fields in SAMPLES.items():
            body = {"type": kind, **fields}
            if role != "chair":
                body.pop("person", None)  # delegates act for themselves
            before = await offset(server, aid)
            r = await command(server, aid, token, body)
            if kind in allowed:
                assert r.status_code != 403, (role, kind, r.text)
            else:
                assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden"), (role, kind, r.text)
                assert await offset(server, aid) == before, (role, kind)


async def test_delegates_act_only_for_themselves(server):
    made = await create(server)
    aid, rosa = made["id"], by_role(made)["delegate"]
    before = await offset(server, aid)
    for body in ({"type": "raise_hand", "person": "maria"}, {"type": "attend", "person": "maria"}):
        r = await command(server, aid, rosa, body)
        assert r.status_code == 403
    r = await command(server, aid, rosa, {"type": "raise_hand"})
    assert r.status_code == 200
    r = await command(server, aid, by_role(made)["chair"], {"type": "raise_hand", "person": "maria"})
    assert r.status_code == 200
    r = await command(server, aid, rosa, {"type": "lower_hand", "entry": 2})
    assert r.json()["error"]["code"] == "not_your_entry"
    records = await server.app.state.log.read(f"assembly:{aid}", before)
    assert [(r.type, r.data.get("person")) for r in records] == [
        ("presence_changed", "rosa"),  # raising a hand says you are here
        ("hand_raised", "rosa"),
        ("presence_changed", "maria"),
        ("hand_raised", "maria"),
    ]


async def test_malformed_and_oversized_messages_append_nothing(server):
    made = await create(server)
    aid, rosa = made["id"], by_role(made)["delegate"]
    before = await offset(server, aid)
    cases = [
        ({"type": "vote", "ballot": "one", "choice": "yes"}, 400, "bad_command"),
        ({"type": "raise_hand", "kind": "shout"}, 400, "bad_command"),
        ({"type": "propose_demand", "language": "es"}, 400, "bad_command"),
        ({"type": "propose_demand", "language": "es", "text": "x" * 5000}, 409, "text_too_long"),
        ({"type": "propose_demand", "language": "xx", "text": "x"}, 409, "unknown_language"),
        ({"type": "nope"}, 400, "bad_command"),
    ]
    for body, status, code in cases:
        r = await command(server, aid, rosa, body)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), body
    async with httpx.AsyncClient(base_url=server.base) as http:
        r = await http.post(
            f"/api/assemblies/{aid}/commands", content=b"x" * 20000, headers={"authorization": f"Bearer {rosa}"}
        )
        assert (r.status_code, r.json()["error"]["code"]) == (413, "too_large")
    conn, _ = await ws_hello(f"{server.ws_base}/ws/assembly/{aid}", rosa)
    await recv_events(conn, 1)
    await conn.send("{not json")
    assert json.loads(await conn.recv())["code"] == "bad_json"
    await conn.close()
    assert await offset(server, aid) == before


async def vote(server, aid, token, ballot, choice, nonce=None, previous=None):
    body = {"type": "vote", "ballot": ballot, "choice": choice}
    if nonce:
        body["nonce"] = nonce
    if previous:
        body["previous"] = previous
    return await command(server, aid, token, body)


async def test_a_secret_ballot_keeps_choices_out_of_the_log(server):
    made = await create(server)
    aid = made["id"]
    tok = {pid: token_of(url) for pid, url in made["delegates"].items()}
    chair = by_role(made)["chair"]
    await command(server, aid, tok["rosa"], {"type": "propose_demand", "language": "es", "text": "Salario"})
    # Weights 2, 1.5 and 1 (held by 1, 1 and 3 delegates): the totals would decode, so the chair
    # is told, and goes ahead knowingly; the opening says so in the log.
    r = await command(server, aid, chair, {"type": "open_ballot", "target": "d1", "secret": True, "quorum": 0})
    assert r.status_code == 409 and r.json()["error"]["code"] == "weights_reveal_choices"
    assert "weight 2: 1 delegate" in r.json()["error"]["message"]
    body = {"type": "open_ballot", "target": "d1", "secret": True, "quorum": 0, "accept_weight_risk": True}
    r = await command(server, aid, chair, body)
    assert r.status_code == 200
    opened = next(r for r in await server.app.state.log.read(f"assembly:{aid}") if r.type == "ballot_opened")
    assert opened.data["weight_risk"] == {
        "k": 5,
        "classes": [
            {"weight": "1", "delegates": 3},
            {"weight": "1.5", "delegates": 1},
            {"weight": "2", "delegates": 1},
        ],
    }
    assert (await vote(server, aid, tok["rosa"], 1, "yes")).json()["error"]["code"] == "bad_command"  # no nonce
    assert (await vote(server, aid, tok["rosa"], 1, "yes", NONCES["rosa"])).status_code == 200
    assert (await vote(server, aid, tok["ngozi"], 1, "no", NONCES["ngozi"])).status_code == 200  # weight 2
    assert (await vote(server, aid, tok["joao"], 1, "yes", NONCES["joao"])).status_code == 200  # weight 1.5
    # A second vote without the receipt is refused; a forged receipt too; nothing appended.
    before = await offset(server, aid)
    r = await vote(server, aid, tok["rosa"], 1, "no", NONCES["rosa2"])
    assert r.json()["error"]["code"] == "already_voted"
    r = await vote(server, aid, tok["rosa"], 1, "no", NONCES["rosa2"], {"choice": "no", "nonce": NONCES["rosa"]})
    assert r.json()["error"]["code"] == "bad_receipt"
    r = await vote(server, aid, tok["maria"], 1, "no", NONCES["rosa2"], {"choice": "yes", "nonce": NONCES["rosa"]})
    assert r.json()["error"]["code"] == "no_vote_to_change"
    assert await offset(server, aid) == before
    # Rosa changes her vote with her receipt.
    r = await vote(server, aid, tok["rosa"], 1, "abstain", NONCES["rosa2"], {"choice": "yes", "nonce": NONCES["rosa"]})
    assert r.status_code == 200
    _, counters = await server.app.state.log.read_side(f"assembly:{aid}", "b1:")
    assert counters == {"b1:yes": 1500, "b1:no": 2000, "b1:abstain": 1000}
    r = await command(server, aid, chair, {"type": "close_ballot", "ballot": 1})
    assert r.status_code == 200
    records = await server.app.state.log.read(f"assembly:{aid}")
    closed = next(r for r in records if r.type == "ballot_closed").data["result"]
    assert (closed["yes"], closed["no"], closed["abstain"], closed["outcome"]) == (1.5, 2, 1, "rejected")
    # Nothing in the log links a voter to a choice: the voted events carry only ballot and voter.
    for rec in records:
        if rec.type == "ballot_voted":
            assert set(rec.data) == {"ballot", "voter"}
    assert (await server.app.state.log.read_side(f"assembly:{aid}", "b1:"))[1] == {}  # cleared at close
    async with httpx.AsyncClient(base_url=server.base) as http:
        md = (await http.get(f"/api/assemblies/{aid}/minutes.md")).text
        js = (await http.get(f"/api/assemblies/{aid}/minutes.json")).json()
    assert "### Ballot 1: D1 · Salario" in md and "Secret ballot ·" in md and "Result: **rejected**" in md
    assert "Opened secret although the weights could reveal choices" in md
    assert "votes" not in js["ballots"][0] and js["ballots"][0]["voters"] == 3
    assert js["ballots"][0]["weight_risk"]["k"] == 5


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_a_restart_mid_ballot_loses_no_vote(make_app, tmp_path, request, backend):
    clock = ManualClock(T0)
    where = (
        {"redis_url": request.getfixturevalue("redis_log_url")} if backend == "redis" else {"data_dir": str(tmp_path)}
    )
    settings = Settings(secret="s3cret", clock=clock, timers=False, **where)
    server = await make_app(settings)
    made = await create(server)
    aid = made["id"]
    tok = {pid: token_of(url) for pid, url in made["delegates"].items()}
    chair = by_role(made)["chair"]
    await command(server, aid, tok["rosa"], {"type": "propose_demand", "language": "es", "text": "Salario"})
    body = {"type": "open_ballot", "target": "d1", "secret": True, "quorum": 0, "accept_weight_risk": True}
    assert (await command(server, aid, chair, body)).status_code == 200
    await command(server, aid, chair, {"type": "propose_amendment", "demand": "d1", "language": "en", "text": "x"})
    await vote(server, aid, tok["rosa"], 1, "yes", NONCES["rosa"])
    await vote(server, aid, tok["ngozi"], 1, "yes", NONCES["ngozi"])
    await server.stop()
    server = await make_app(settings)  # a new process on the same log
    await vote(server, aid, tok["maria"], 1, "no", NONCES["maria"])
    r = await vote(server, aid, tok["rosa"], 1, "no", NONCES["rosa2"], {"choice": "yes", "nonce": NONCES["rosa"]})
    assert r.status_code == 200  # the receipt survived the restart
    r = await command(server, aid, chair, {"type": "close_ballot", "ballot": 1})
    assert r.status_code == 200
    async with httpx.AsyncClient(base_url=server.base) as http:
        snap = (await http.get(f"/api/assemblies/{aid}")).json()
    result = snap["ballots"]["1"]["result"]
    assert (result["yes"], result["no"], snap["ballots"]["1"]["voters"]) == (2, 2, 3)


async def test_minutes_formats_and_unknown_ones(server):
    made = await create(server)
    aid = made["id"]
    async with httpx.AsyncClient(base_url=server.base) as http:
        assert (await http.get(f"/api/assemblies/{aid}/minutes.md")).headers["content-type"].startswith("text/markdown")
        assert (await http.get(f"/api/assemblies/{aid}/minutes.json")).json()["title"] == "Test assembly"
        assert (await http.get(f"/api/assemblies/{aid}/minutes.txt")).status_code == 404


async def test_minutes_in_the_language_asked_for(server):
    made = await create(
        server, DEFINITION | {"languages": ["es", "en", "fr", "pt", "ar"], "timezone": "America/La_Paz"}
    )
    aid = made["id"]
    rosa = token_of(made["delegates"]["rosa"])
    assert (
        await command(server, aid, rosa, {"type": "propose_demand", "language": "es", "text": "Salario"})
    ).status_code == 200
    base = f"/api/assemblies/{aid}/minutes"
    async with httpx.AsyncClient(base_url=server.base) as http:
        r = await http.get(f"{base}.md")  # the assembly's first language
        assert r.status_code == 200 and r.text.startswith("# Acta: Test assembly\n")
        assert r.headers["content-language"] == "es" and f"minutes-{aid}-es.md" in r.headers["content-disposition"]
        assert "Reivindicación propuesta por Rosa, 8:00 (America/La_Paz)." in r.text
        for lang, title in (("en", "# Minutes:"), ("ar", "# محضر:"), ("sw", "# Kumbukumbu:"), ("fil", "# Katitikan:")):
            r = await http.get(f"{base}.md", params={"lang": lang})
            assert r.status_code == 200 and r.text.startswith(title) and r.headers["content-language"] == lang
        for bad in ("xx", "EN", "de", "en-GB"):
            r = await http.get(f"{base}.md", params={"lang": bad})
            assert r.status_code == 400, bad
            assert r.json()["error"]["code"] == "bad_request"
            assert "en, es, fr, pt, ar, sw, fil, hi" in r.json()["error"]["message"]
        data = (await http.get(f"{base}.json", params={"lang": "fr"})).json()  # JSON is language-neutral
        assert data["timezone"] == "America/La_Paz" and data["texts"][0]["proposer_name"] == "Rosa"
