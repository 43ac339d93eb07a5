"""Poison input harms nobody: every route and every frame type, fed what the core cannot store,
answers with a documented 4xx code or error frame (never 500, never a dropped socket) and appends
nothing; one unstorable command in a group commit fails alone."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from helpers import recv_json, soon, token_of, ws_hello

from assembly.protocol import ALLOWED as ASSEMBLY_ALLOWED
from circles.decide import ALLOWED as NETWORK_ALLOWED
from mayday.aggregate import Aggregate
from mayday.app import Settings
from mayday.clock import ManualClock
from mayday.errors import ApiError
from mayday.log import NewEvent, open_log
from mayday.log.base import storable
from relay.decide import ALLOWED as RELAY_ALLOWED

T0 = dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC)
EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "assembly.yaml").read_text()

# Raw JSON text spliced in for a field's value: what json.loads accepts and the log cannot keep.
POISON = {
    "lone_surrogate": '"x\\ud800y"',
    "lone_low_surrogate_key": '{"\\udc00": 1}',
    "nan": "NaN",
    "infinity": "-Infinity",
    "huge_int": "1" + "0" * 5000,
    "huge_float": "1e999",
    "int_2_64": str(2**64),
    "deep": "[" * 3000 + "]" * 3000,
    "long_text": json.dumps("w" * 10_000),
    "object": '{"a": {"b": 1}}',
    "negative": "-1",
}
DOCUMENTED_CLOSES = {1000, 1008, 1009, 4001, 4004, 4008}

RELAY_SAMPLES = {
    "check_in": {"site": "akl"},
    "dispatch": {"site": "akl", "text": "hello"},
    "rotate_site_link": {"site": "akl"},
}
ASSEMBLY_SAMPLES = {
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
    "edit_text": {"id": "d1", "text": "Salario"},
    "translate": {"id": "d1", "language": "en", "text": "Minimum wage"},
    "open_ballot": {"target": "d1", "quorum": 0.5},
    "open_ranking": {"candidates": ["d1"]},
    "vote": {"ballot": 1, "choice": "yes", "nonce": "n" * 24},
    "close_ballot": {"ballot": 1},
    "add_person": {"role": "delegate", "id": "zainab", "name": "Zainab", "language": "ar", "site": "x", "region": "y"},
    "revoke_link": {"person": "karim"},
    "take_booth": {},
    "hand_over": {"to": "marta"},
    "leave_booth": {},
    "set_booth": {"booth": "es", "interpreter": None},
}


def with_poison(sample: dict[str, Any], type_: str, field: str, raw: str) -> str:
    body = {"type": type_, **sample, field: "__POISON__"}
    return json.dumps(body).replace('"__POISON__"', raw)


def role_for(allowed: dict[str, frozenset[str]], type_: str) -> str:
    return next(role for role, types in allowed.items() if type_ in types)


def assert_refused(r: httpx.Response, what: str) -> None:
    assert r.status_code < 500, f"{what}: {r.status_code} {r.text[:300]}"
    if r.status_code >= 400 and r.url.path.startswith("/api/"):
        assert r.json()["error"]["code"], what


@pytest.fixture
async def server(make_app, tmp_path):
    settings = Settings(
        data_dir=str(tmp_path), secret="s", clock=ManualClock(T0), timers=False, rest_rate=(100_000, 100_000)
    )
    running = await make_app(settings)
    async with httpx.AsyncClient(base_url=running.base, timeout=20) as http:
        admin = {"authorization": f"Bearer {running.admin}"}
        r = await http.post("/api/relays", content=json.dumps(relay_definition()), headers=admin)
        assert r.status_code == 201, r.text
        relay = r.json()
        r = await http.post("/api/assemblies", content=EXAMPLE, headers=admin)
        assert r.status_code == 201, r.text
        assembly = r.json()
    return running, relay, assembly


def relay_definition() -> dict[str, Any]:
    return soon(T0, [("akl", "Pacific/Auckland", 60, 3600), ("lag", "Africa/Lagos", 3600, 3600)])


async def log_end(running, stream: str) -> int:
    return await running.app.state.log.last_offset(stream)


async def test_every_command_field_refuses_poison_over_rest_and_appends_nothing(server):
    running, relay, assembly = server
    relay_tokens = {"coordinator": token_of(relay["coordinator"]), "site": token_of(relay["sites"]["akl"])}
    assembly_tokens = {
        "chair": token_of(assembly["chairs"]["ama"]),
        "delegate": token_of(assembly["delegates"]["rosa"]),
        "interpreter": token_of(assembly["interpreters"]["lucia"]),
    }
    cases = [
        (f"/api/relays/{relay['id']}/commands", f"relay:{relay['id']}", RELAY_SAMPLES, RELAY_ALLOWED, relay_tokens),
        (
            f"/api/assemblies/{assembly['id']}/commands",
            f"assembly:{assembly['id']}",
            ASSEMBLY_SAMPLES,
            ASSEMBLY_ALLOWED,
            assembly_tokens,
        ),
    ]
    tried = 0
    async with httpx.AsyncClient(base_url=running.base, timeout=20) as http:
        for url, stream, samples, allowed, tokens in cases:
            for type_, sample in samples.items():
                headers = {"authorization": f"Bearer {tokens[role_for(allowed, type_)]}"}
                for field in [*sample, "type", "extra"]:
                    for name, raw in POISON.items():
                        if name in ("negative", "object") and field in ("type", "extra"):
                            continue
                        body = with_poison(sample, type_, field, raw)
                        before = await log_end(running, stream)
                        r = await http.post(url, content=body, headers=headers)
                        tried += 1
                        what = f"{type_}.{field}={name}"
                        assert_refused(r, what)
                        if name in ("negative", "object", "long_text", "int_2_64") and r.status_code < 400:
                            continue  # a legal value for some fields (ignored or in range)
                        if field == "extra" and name not in ("lone_surrogate", "nan", "infinity", "deep"):
                            continue  # unknown fields are ignored when they are valid JSON
                        assert r.status_code >= 400, f"{what} was accepted: {r.text[:200]}"
                        assert await log_end(running, stream) == before, f"{what} appended something"
    assert tried > 700
    # Whatever was accepted along the way is storable and readable back.
    for stream in (f"relay:{relay['id']}", f"assembly:{assembly['id']}"):
        for record in await running.app.state.log.read(stream):
            storable(record.data)


async def test_every_route_refuses_poison_bodies_queries_and_paths_without_500(server):
    running, relay, assembly = server
    admin = {"authorization": f"Bearer {running.admin}"}
    rid, aid = relay["id"], assembly["id"]
    bodies = [
        b"",
        b"\xff\xfe not utf-8",
        b"[1,2",
        b"null",
        b"[]",
        b'"text"',
        *(raw.encode() for raw in POISON.values()),
    ]
    bodies += [
        b'{"name": "\\ud800", "sites": []}',
        b"a: &a [*a]",
        b"name: x\nsites: [" + b"[" * 100 + b"]" * 100 + b"]",
    ]
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)
    )
    bodies.append(laughs.encode())
    posts = [
        "/api/relays",
        "/api/plan",
        "/api/assemblies",
        f"/api/relays/{rid}/commands",
        f"/api/assemblies/{aid}/commands",
    ]
    gets = [
        f"/api/relays/{rid}",
        f"/api/relays/{rid}/plan",
        f"/api/relays/{rid}/events",
        f"/api/relays/{rid}/links",
        f"/relay/{rid}.ics",
        f"/relay/{rid}/sites/akl.ics",
        f"/api/assemblies/{aid}",
        f"/api/assemblies/{aid}/events",
        f"/api/assemblies/{aid}/links",
        f"/api/assemblies/{aid}/minutes.md",
        "/api/relays",
        "/api/assemblies",
        "/api/health",
    ]
    async with httpx.AsyncClient(base_url=running.base, timeout=20) as http:
        for path in posts:
            for body in bodies:
                for headers in (admin, {}, {"authorization": "Bearer \udcff".encode("utf-8", "surrogateescape")}):
                    try:
                        r = await http.post(path, content=body, headers=headers)
                    except (httpx.LocalProtocolError, UnicodeEncodeError):
                        continue  # the client itself refuses to send that header
                    assert_refused(r, f"POST {path} {body[:40]!r}")
        for path in gets:
            for query in (
                "",
                "?after=" + str(2**64),
                "?after=٣",
                "?after=-1",
                "?after=1e3",
                "?token=%ED%A0%80",
                "?token=x",
            ):
                assert_refused(await http.get(path + query, headers=admin), f"GET {path}{query} as admin")
                r = await http.get(path + query)
                assert_refused(r, f"GET {path}{query}")
                if "after=" in query and "/events" in path:
                    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request", r.text
        for bad_id in ("%00", "%ED%A0%80", "x" * 5000, "..%2F..%2Fetc", "%F0%9F%98%80"):
            for template in (
                "/api/relays/{}",
                "/api/assemblies/{}/events",
                "/relay/{}.ics",
                "/relay/{}",
                "/assembly/{}/chair",
            ):
                r = await http.get(template.format(bad_id))
                assert_refused(r, template.format(bad_id))
        # Oversized bodies are refused before they are read whole.
        coordinator = {"authorization": f"Bearer {token_of(relay['coordinator'])}"}
        r = await http.post(
            f"/api/relays/{rid}/commands", content=b"{" + b" " * (64 * 1024) + b"}", headers=coordinator
        )
        assert r.status_code == 413


async def test_poison_frames_get_error_frames_and_the_socket_lives(server):
    running, _relay, assembly = server
    chair = token_of(assembly["chairs"]["ama"])
    delegate = token_of(assembly["delegates"]["rosa"])
    aid = assembly["id"]
    frames: list[str] = []
    for type_ in ("command", "ping", "media_join", "media_answer", "media_select", "media_leave", "booth_chat", "nope"):
        for field in ("command", "id", "sdp", "channel", "language", "text", "video"):
            for name, raw in POISON.items():
                if name in ("negative", "object", "long_text"):
                    continue
                frames.append(json.dumps({"type": type_, field: "__P__"}).replace('"__P__"', raw))
    for type_, sample in ASSEMBLY_SAMPLES.items():
        for field in sample:
            frames.append(
                json.dumps({"type": "command", "id": 5, "command": {"type": type_, **sample, field: "__P__"}}).replace(
                    '"__P__"', POISON["lone_surrogate"]
                )
            )
    frames += ["not json", "[]", "null", '"x"', "{}", '{"type": 5}', "x" * 9000, "\u00e9" * 5000]
    stream = f"assembly:{aid}"
    before = await log_end(running, stream)
    # The socket's rate limit is 30 frames in a burst then 10/s: a fresh connection per batch.
    for start in range(0, len(frames), 25):
        for token in (chair, delegate):
            conn, welcome = await ws_hello(f"{running.ws_base}/ws/assembly/{aid}", token)
            assert welcome["type"] == "welcome"
            replies = []
            try:
                for frame in frames[start : start + 25]:
                    await conn.send(frame)
                while len(replies) < len(frames[start : start + 25]):
                    msg = await recv_json(conn, 10)
                    if msg["type"] in ("event", "events"):
                        continue
                    replies.append(msg)
                for msg in replies:
                    assert msg["type"] in ("error", "pong", "ack", "media_offer", "media_left"), msg
                    if msg["type"] == "error":
                        assert msg["code"] not in ("internal",), msg
                await conn.send(json.dumps({"type": "ping", "id": "alive"}))
                while (msg := await recv_json(conn, 5))["type"] != "pong":
                    pass
                assert msg["id"] == "alive"
            finally:
                await conn.close()
    assert await log_end(running, stream) == before


async def test_poison_hellos_are_refused_with_a_documented_close(server):
    running, relay, _ = server
    url = f"{running.ws_base}/ws/relay/{relay['id']}"
    hellos = [
        '{"type":"hello","after":' + str(2**64) + "}",
        '{"type":"hello","after":' + "9" * 5000 + "}",
        '{"type":"hello","after":NaN}',
        '{"type":"hello","after":"٣"}',
        '{"type":"hello","after":-1}',
        '{"type":"hello","token":"\\ud800"}',
        '{"type":"hello","x":' + "[" * 3000 + "]" * 3000 + "}",
        '{"type":"hello","token":"' + "é" * 5000 + '"}',  # 5,000 characters, 10,000 bytes
        "not json",
        "[]",
    ]
    for hello in hellos:
        async with websockets.connect(url) as conn:
            await conn.send(hello)
            reply = json.loads(await asyncio.wait_for(conn.recv(), 5))
            assert reply["type"] == "error" and reply["code"] in (
                "bad_hello",
                "bad_json",
                "too_large",
                "unauthorized",
            ), (
                hello[:60],
                reply,
            )
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(conn.recv(), 5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code in DOCUMENTED_CLOSES, hello[:60]
    # and a good one still works, from the offset it names
    conn, welcome = await ws_hello(url, after=2**63 - 1)
    assert welcome["type"] == "welcome" and welcome["offset"] >= 1
    await conn.close()


async def test_one_unstorable_command_fails_alone_in_its_group(tmp_path):
    """Below the wire: a decision whose events cannot be stored (a lone surrogate that got past every
    parser) is refused alone; the 199 decided in the same group commit are stored and answered."""
    log = await open_log(data_dir=str(tmp_path))
    agg: Aggregate[int] = Aggregate(log, "s", 0, lambda state, type_, data: state + 1)
    try:

        def honest(i: int):
            return lambda state: [NewEvent("vote", {"n": i})]

        poisoned = [
            lambda state: [NewEvent("vote", {"n": "\ud800"})],
            lambda state: [NewEvent("vote", {"n": float("nan")})],
        ]
        calls = [honest(i) for i in range(100)] + poisoned + [honest(i) for i in range(100, 200)]
        results = await asyncio.gather(*(agg.execute(d) for d in calls), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        assert len(failures) == 2 and all(isinstance(f, ApiError) and f.status == 400 for f in failures)
        stored = await log.read("s")
        assert sorted(r.data["n"] for r in stored) == list(range(200))
    finally:
        await log.close()


NETWORK_EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "network.yaml").read_text()
NETWORK_SAMPLES = {
    "add_circle": {"id": "accra-miners", "name": "Accra miners", "tz": "Africa/Accra"},
    "pair": {"a": "lagos-dockers", "b": "manila-nurses"},
    "rotate_links": {"target": "lagos-dockers"},
    "set_joint_assembly": {"pair": "lagos-dockers~rotterdam-drivers", "assembly": "nosuch"},
    "open_action": {"name": "x", "circles": ["lagos-dockers", "rotterdam-drivers"]},
    "set_pledge": {"twin": "rotterdam-drivers", "shares": {"money": "0.2"}},
    "record_income": {"amount": "10.00", "commodity": "USD", "narration": "dues"},
    "deliver": {"twin": "rotterdam-drivers", "amount": "1.00", "commodity": "USD"},
    "exchange": {"sold": "1.00", "sold_commodity": "USD", "bought": "0.90", "bought_commodity": "EUR", "rate": "0.9"},
    "reverse": {"txn": "t1"},
    "set_visibility": {"share_with": ["rotterdam-drivers"], "public": False},
    "post_dispatch": {"twin": "rotterdam-drivers", "text": "hi", "language": "en"},
    "translate_dispatch": {"dispatch": 1, "language": "fr", "text": "salut"},
    "declare_risk": {"action": 1, "estimate": "5.00", "commodity": "USD"},
    "withdraw_risk": {"action": 1, "risk": 1},
    "set_cover": {"action": 1, "twin": "rotterdam-drivers", "share": "0.3"},
    "accept_figures": {"action": 1, "version": 1},
    "translate_communique": {"action": 1, "language": "yo", "text": "x", "version": 1},
    "file_claim": {"action": 1, "twin": "rotterdam-drivers", "amount": "1.00", "what": "x"},
    "approve_claim": {"claim": 1},
    "dispute_claim": {"claim": 1, "reason": "x"},
    "name_red_line": {"action": 1, "text": "No night shifts", "key": "k" * 24, "named": True, "author": "Ada"},
    "change_red_line": {"action": 1, "line": 1, "text": "No night work", "key": "k" * 24},
    "withdraw_red_line": {"action": 1, "line": 1, "key": "k" * 24},
    "translate_red_line": {"action": 1, "line": 1, "language": "fr", "text": "x", "version": 1},
    "acknowledge_red_lines": {"action": 1, "version": 0},
    "proceed_anyway": {"action": 1, "name": "Ada", "reason": "x"},
    "register_tactic": {"id": "flying-picket", "name": "Flying picket", "origin_country": "NG"},
    "translate_tactic": {"tactic": "flying-picket", "language": "fr", "name": "Piquet volant"},
    "record_adoption": {"tactic": "flying-picket", "country": "NL", "date": "2026-01-01"},
    "record_indicator": {"kind": "complaint", "country": "NG", "source": "The Daily"},
}


async def test_every_network_command_field_and_route_refuses_poison_and_appends_nothing(server):
    """The circles' network, fed the same poison as relays and assemblies: every command field over
    REST, and every route's queries and paths: a documented 4xx, never a 500, nothing appended."""
    running = server[0]
    admin = {"authorization": f"Bearer {running.admin}"}
    async with httpx.AsyncClient(base_url=running.base, timeout=20) as http:
        made = (await http.post("/api/networks", content=NETWORK_EXAMPLE, headers=admin)).json()
        nid, stream = made["id"], f"network:{made['id']}"
        tokens = {"coordinator": token_of(made["coordinator"]), "circle": token_of(made["circles"]["lagos-dockers"])}
        assert set(NETWORK_SAMPLES) == set().union(*NETWORK_ALLOWED.values())  # every command is tried
        tried = 0
        for type_, sample in NETWORK_SAMPLES.items():
            headers = {"authorization": f"Bearer {tokens[role_for(NETWORK_ALLOWED, type_)]}"}
            for field in [*sample, "type", "extra"]:
                for name, raw in POISON.items():
                    if name in ("negative", "object") and field in ("type", "extra"):
                        continue
                    before = await log_end(running, stream)
                    r = await http.post(
                        f"/api/networks/{nid}/commands", content=with_poison(sample, type_, field, raw), headers=headers
                    )
                    tried += 1
                    what = f"{type_}.{field}={name}"
                    assert_refused(r, what)
                    if r.status_code < 400:
                        assert name in ("negative", "object", "long_text", "int_2_64") or field == "extra", what
                        continue  # a legal value for that field, or an ignored unknown field
                    assert await log_end(running, stream) == before, f"{what} appended something"
        assert tried > 700
        for record in await running.app.state.log.read(stream):
            storable(record.data)
        gets = [
            "",
            "/events",
            "/links",
            "/access",
            "/integrity",
            "/circles/lagos-dockers",
            "/circles/lagos-dockers/ledger.json",
            "/circles/lagos-dockers/ledger.beancount",
            "/circles/lagos-dockers/calendar.ics",
            "/pairs/lagos-dockers~rotterdam-drivers",
            "/pairs/lagos-dockers~rotterdam-drivers/timeline",
            "/actions/1",
            "/actions/1/communique.txt",
            "/actions/1/red-lines.json",
            "/actions/1/red-lines.csv",
            "/actions/1/red-lines.txt",
            "/tactics",
            "/tactics.csv",
            "/tactics.json",
            "/tactics/flying-picket",
            "/indicators",
            "/dispatches/1",
            "/relays/x/sites",
        ]
        for path in gets:
            for query in ("", "?after=" + str(2**64), "?after=٣", "?lang=%ED%A0%80", "?lang=" + "x" * 5000):
                for headers in (admin, {"authorization": f"Bearer {tokens['circle']}"}, {}):
                    assert_refused(await http.get(f"/api/networks/{nid}{path}{query}", headers=headers), path + query)
        for bad in ("%00", "%ED%A0%80", "x" * 5000, "..%2F..%2Fetc", "99999999999999999999"):
            for template in (
                "/api/networks/{}",
                "/api/networks/" + nid + "/circles/{}",
                "/api/networks/" + nid + "/actions/{}",
                "/api/networks/" + nid + "/pairs/{}",
                "/api/networks/" + nid + "/dispatches/{}",
                "/network/{}",
            ):
                assert_refused(await http.get(template.format(bad), headers=admin), template.format(bad))
