"""REST and WebSocket over a real socket: links and roles, bad input, resume, slow clients."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket

import httpx
import pytest
import websockets
from helpers import events_in, recv_events, recv_json, soon, token_of, ws_hello

from mayday.app import Settings
from mayday.clock import ManualClock
from mayday.log import NewEvent
from relay.service import stream_of

T0 = dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC)


def definition(board: str = "public") -> dict:
    return soon(T0, [("akl", "Pacific/Auckland", 0, 100), ("lag", "Africa/Lagos", 60, 100)], grace="20s", board=board)


@pytest.fixture
async def server(make_app, tmp_path):
    clock = ManualClock(T0)
    settings = Settings(data_dir=str(tmp_path), secret="s3cret", clock=clock, timers=False, queue_size=16)
    running = await make_app(settings)
    running.clock = clock
    return running


async def create(server, body: dict | None = None, board: str = "public") -> dict:
    async with httpx.AsyncClient(base_url=server.base) as http:
        r = await http.post(
            "/api/relays",
            content=json.dumps(body or definition(board)),
            headers={"authorization": f"Bearer {server.admin}", "content-type": "application/json"},
        )
    assert r.status_code == 201, r.text
    return r.json()


async def offset(server, relay_id: str) -> int:
    return await server.app.state.log.last_offset(stream_of(relay_id))


async def test_create_needs_the_admin_link_and_a_valid_definition(server):
    async with httpx.AsyncClient(base_url=server.base) as http:
        body = json.dumps(definition())
        r = await http.post("/api/relays", content=body)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
        r = await http.post("/api/relays", content=body, headers={"authorization": "Bearer forged.token"})
        assert r.status_code == 401
        admin = {"authorization": f"Bearer {server.admin}"}
        bad = definition()
        bad["sites"][1]["tz"] = "Africa/Lagoss"
        r = await http.post("/api/relays", content=json.dumps(bad), headers=admin)
        assert r.status_code == 400 and r.json()["error"] == {
            "code": "invalid_spec",
            "message": "sites[1] (lag): unknown time zone 'Africa/Lagoss'",
        }
        r = await http.post("/api/relays", content=b"name: [unclosed", headers=admin)
        assert r.status_code == 400 and r.json()["error"]["message"].startswith("malformed YAML")
        r = await http.post("/api/relays", content=b"x" * (1024 * 1024 + 1), headers=admin)
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
        # a relay-scoped coordinator link is not an admin link
        made = await create(server)
        r = await http.post(
            "/api/relays", content=body, headers={"authorization": f"Bearer {token_of(made['coordinator'])}"}
        )
        assert r.status_code == 401
        assert (await http.get("/api/relays", headers=admin)).json()["relays"] == [
            {"id": made["id"], "name": "test relay"}
        ]
    assert await server.app.state.log.streams("relay:") == [stream_of(made["id"])]


async def test_pages_carry_a_strict_csp_and_no_third_party_assets(server):
    made = await create(server)
    async with httpx.AsyncClient(base_url=server.base) as http:
        for path in ("/", f"/relay/{made['id']}"):
            r = await http.get(path)
            assert r.status_code == 200
            csp = r.headers["content-security-policy"]
            assert "default-src 'self'" in csp and "script-src 'self'" in csp
            assert r.headers["referrer-policy"] == "no-referrer"
            assert "http://" not in r.text.replace(server.base, "") and "https://" not in r.text
        r = await http.get("/api/health")
        assert r.json()["ok"] and r.json()["tzdb"]


async def test_roles_over_rest_and_nothing_appended_when_refused(server):
    made = await create(server)
    rid = made["id"]
    url = f"/api/relays/{rid}/commands"
    site_akl, coord, viewer = token_of(made["sites"]["akl"]), token_of(made["coordinator"]), token_of(made["viewer"])
    before = await offset(server, rid)
    async with httpx.AsyncClient(base_url=server.base) as http:
        cases = [
            (None, {"type": "check_in", "site": "akl"}, 403, "forbidden"),
            (viewer, {"type": "check_in", "site": "akl"}, 403, "forbidden"),
            (viewer, {"type": "dispatch", "text": "hi"}, 403, "forbidden"),
            (site_akl, {"type": "check_in", "site": "lag"}, 403, "forbidden"),
            (site_akl, {"type": "rotate_site_link", "site": "akl"}, 403, "forbidden"),
            (site_akl, {"type": "dispatch", "text": "x" * 501}, 409, "dispatch_too_long"),
            (site_akl, {"type": "fly"}, 400, "bad_command"),
            (site_akl, ["check_in"], 400, "bad_command"),
            ("forged", {"type": "check_in"}, 401, "unauthorized"),
            (coord, {"type": "check_in"}, 400, "bad_command"),
        ]
        for tok, body, status, code in cases:
            headers = {"authorization": f"Bearer {tok}"} if tok else {}
            r = await http.post(url, content=json.dumps(body), headers=headers)
            assert (r.status_code, r.json()["error"]["code"]) == (status, code), (tok, body, r.text)
        r = await http.post(url, content=b"{not json", headers={"authorization": f"Bearer {site_akl}"})
        assert r.json()["error"]["code"] == "bad_json"
        assert await offset(server, rid) == before
        r = await http.post(
            url, content=json.dumps({"type": "check_in"}), headers={"authorization": f"Bearer {site_akl}"}
        )
        assert r.status_code == 200 and r.json()["offset"] == before + 1
        # Rotating a site's link revokes the old one everywhere.
        r = await http.post(
            url,
            content=json.dumps({"type": "rotate_site_link", "site": "akl"}),
            headers={"authorization": f"Bearer {coord}"},
        )
        new_link = r.json()["link"]
        r = await http.post(
            url,
            content=json.dumps({"type": "dispatch", "text": "hi"}),
            headers={"authorization": f"Bearer {site_akl}"},
        )
        assert (r.status_code, r.json()["error"]["code"]) == (401, "revoked")
        r = await http.post(
            url,
            content=json.dumps({"type": "dispatch", "text": "hi"}),
            headers={"authorization": f"Bearer {token_of(new_link)}"},
        )
        assert r.status_code == 200
        # Only the coordinator sees every link.
        assert (
            await http.get(f"/api/relays/{rid}/links", headers={"authorization": f"Bearer {viewer}"})
        ).status_code == 403
        links = (await http.get(f"/api/relays/{rid}/links", headers={"authorization": f"Bearer {coord}"})).json()
        assert links["sites"]["akl"] == new_link


async def test_private_board_needs_a_link_and_calendars(server):
    made = await create(server, board="private")
    rid = made["id"]
    async with httpx.AsyncClient(base_url=server.base) as http:
        assert (await http.get(f"/api/relays/{rid}")).status_code == 401
        assert (await http.get(f"/relay/{rid}.ics")).status_code == 401
        viewer = token_of(made["viewer"])
        r = await http.get(f"/api/relays/{rid}", headers={"authorization": f"Bearer {viewer}"})
        assert r.status_code == 200 and [leg["site"] for leg in r.json()["legs"]] == ["akl", "lag"]
        r = await http.get(f"/relay/{rid}/sites/lag.ics", params={"token": viewer})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
        assert r.text.count("BEGIN:VEVENT") == 1 and "Strike: Site LAG (lag)" in r.text
        r = await http.get(f"/relay/{rid}.ics", params={"token": viewer})
        assert r.text.count("BEGIN:VEVENT") == 2 and f"UID:{rid}-0@mayday" in r.text
        assert (await http.get(f"/relay/{rid}/sites/zzz.ics", params={"token": viewer})).status_code == 404
        r = await http.get(f"/api/relays/{rid}/events", params={"after": 0, "token": viewer})
        assert [e["event"] for e in r.json()["events"]] == ["relay_created"] and r.json()["events"][0]["offset"] == 1
        r = await http.get(f"/api/relays/{rid}/events", params={"after": "x", "token": viewer})
        assert (r.status_code, r.json()["error"]["code"]) == (400, "bad_request")
        assert (await http.get(f"/api/relays/{rid}/events")).status_code == 401
        assert (await http.get("/api/relays/nope")).status_code == 404
    with pytest.raises(websockets.ConnectionClosed) as e:
        conn, welcome = await ws_hello(f"{server.ws_base}/ws/relay/{rid}")
        assert welcome["code"] == "unauthorized"
        await conn.recv()
    assert e.value.rcvd.code == 4001


async def test_websocket_live_events_and_resume_from_offset(server):
    made = await create(server)
    rid = made["id"]
    url = f"{server.ws_base}/ws/relay/{rid}"
    conn, welcome = await ws_hello(url)
    assert welcome["type"] == "welcome" and welcome["role"] == "public" and welcome["offset"] == 1
    (created,) = await recv_events(conn, 1)
    assert created["event"] == "relay_created" and created["offset"] == 1
    server.clock.advance(dt.timedelta(seconds=2))
    await server.app.state.relays.tick(rid)
    (passed,) = await recv_events(conn, 1)
    assert (passed["event"], passed["offset"], passed["data"]["to"]) == ("baton_passed", 2, "akl")
    await conn.close()

    # While this client is away, three more events happen.
    site = await ws_hello(url, token_of(made["sites"]["akl"]))
    site_conn = site[0]
    await site_conn.send(json.dumps({"type": "command", "id": "c1", "command": {"type": "check_in"}}))
    await site_conn.send(
        json.dumps({"type": "command", "id": "c2", "command": {"type": "dispatch", "text": "Gate 3 shut"}})
    )
    frames, events = [], []
    while len(events) < 4 or sum(f["type"] == "ack" for f in frames) < 2:  # history (2) + live (2), two acks
        frame = await recv_json(site_conn)
        frames.append(frame)
        events += events_in(frame)
    assert frames[0]["type"] == "events"  # the history came as one batch
    acks = [f for f in frames if f["type"] == "ack"]
    assert [(a["id"], a["offset"]) for a in acks] == [("c1", 3), ("c2", 4)]
    server.clock.advance(dt.timedelta(seconds=60))
    await server.app.state.relays.tick(rid)
    conn, welcome = await ws_hello(url, after=2)
    events = await recv_events(conn, 3)
    assert [(e["offset"], e["event"]) for e in events] == [
        (3, "checked_in"),
        (4, "dispatch_posted"),
        (5, "baton_passed"),
    ]
    # ...then live ones, with no duplicate of what history sent.
    server.clock.advance(dt.timedelta(seconds=60))
    await server.app.state.relays.tick(rid)
    (live,) = await recv_events(conn, 1)
    assert live["offset"] == 6
    await conn.send(json.dumps({"type": "ping", "id": 7}))
    pong = await recv_json(conn)
    assert pong["type"] == "pong" and pong["now"].startswith("2027-05-01T12:02")
    await conn.close()
    await site_conn.close()


async def test_bad_frames_get_clear_errors_and_append_nothing(server):
    made = await create(server)
    rid = made["id"]
    url = f"{server.ws_base}/ws/relay/{rid}"
    viewer, site = token_of(made["viewer"]), token_of(made["sites"]["lag"])
    conn, welcome = await ws_hello(url, viewer)
    assert welcome["role"] == "viewer"
    await recv_events(conn, 1)
    before = await offset(server, rid)
    sends = [
        ("{oops", "bad_json"),
        ("[1, 2]", "bad_frame"),
        (json.dumps({"type": "shout"}), "bad_frame"),
        (
            json.dumps({"type": "command", "id": 1, "command": {"type": "check_in", "site": "lag"}}),
            "forbidden",
        ),
        (
            json.dumps({"type": "command", "id": 2, "command": {"type": "dispatch", "text": "hi"}}),
            "forbidden",
        ),
        (json.dumps({"type": "command", "id": 3, "command": "check_in"}), "bad_command"),
        ("x" * 9000, "too_large"),
    ]
    for text, code in sends:
        await conn.send(text)
        reply = await recv_json(conn)
        assert (reply["type"], reply["code"]) == ("error", code), text[:40]
    await conn.send(b"\x00binary")
    assert (await recv_json(conn))["code"] == "bad_frame"
    assert await offset(server, rid) == before
    # A frame over the transport limit (64 KiB) closes the connection with 1009.
    await conn.send("y" * (65 * 1024))
    with pytest.raises(websockets.ConnectionClosed) as e:
        await recv_json(conn)
    assert e.value.rcvd.code == 1009
    # A forged link is refused at hello with 4001; a missing hello closes with 1008.
    for hello, code in ((json.dumps({"type": "hello", "token": site + "x"}), 4001), ("nope", 1008)):
        conn = await websockets.connect(url)
        await conn.send(hello)
        with pytest.raises(websockets.ConnectionClosed) as e:
            while True:
                await recv_json(conn)
        assert e.value.rcvd.code == code
    # Rate limit: a flood gets rate_limited errors, not appended events.
    conn, _ = await ws_hello(url, site)
    await recv_events(conn, 1)
    for i in range(40):
        await conn.send(json.dumps({"type": "command", "id": i, "command": {"type": "dispatch", "text": f"m{i}"}}))
    replies = []
    while len(replies) < 40:
        frame = await recv_json(conn)
        if frame["type"] in ("ack", "error"):
            replies.append(frame)
    limited = [r for r in replies if r.get("code") == "rate_limited"]
    assert limited and await offset(server, rid) <= before + 40 - len(limited)
    await conn.close()


async def test_a_stalled_client_is_dropped_with_4008_and_never_delays_the_others(server):
    made = await create(server)
    rid = made["id"]
    host, port = server.base.removeprefix("http://").split(":")
    # A client that completes the handshake and says hello, then never reads again.
    loop = asyncio.get_running_loop()
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.setblocking(False)
    await loop.sock_connect(raw, (host, int(port)))
    await loop.sock_sendall(
        raw,
        f"GET /ws/relay/{rid} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode(),
    )
    response = b""
    while b"\r\n\r\n" not in response:  # RFC 6455: no frame before the server's 101
        response += await loop.sock_recv(raw, 1024)
    assert response.startswith(b"HTTP/1.1 101")
    hello = json.dumps({"type": "hello", "after": 0}).encode()
    mask = b"\x01\x02\x03\x04"
    await loop.sock_sendall(
        raw, bytes([0x81, 0x80 | len(hello)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(hello))
    )
    healthy, _ = await ws_hello(f"{server.ws_base}/ws/relay/{rid}")
    hub = server.app.state.hub
    for _ in range(100):
        if hub.count(stream_of(rid)) == 2:
            break
        await asyncio.sleep(0.01)
    assert hub.count(stream_of(rid)) == 2
    # Keep posting until the kernel and transport buffers toward the stalled client are full and
    # its bounded queue overflows; the healthy client must get every event, in order, meanwhile.
    got: list[dict] = []

    async def read_all() -> None:
        while True:
            got.extend(events_in(await recv_json(healthy, 20)))

    reader = asyncio.create_task(read_all())
    log, stream = server.app.state.log, stream_of(rid)

    async def post(batch: int) -> int:
        # Straight onto the log in batches (faster than one command each); the tail feeds the hub.
        events = [
            NewEvent("dispatch_posted", {"site": "akl", "text": f"{n + i:05d} " + "x" * 480}) for i in range(batch)
        ]
        await log.append(stream, await log.last_offset(stream), events)
        return n + batch

    n = 0
    while hub.count(stream) == 2:
        assert n < 100_000, "the stalled client was never dropped"
        n = await post(50)
        await asyncio.sleep(0.005)  # let the tail and the healthy client's writer run
    n = await post(20)
    for _ in range(1000):
        if len(got) == n + 1:
            break
        await asyncio.sleep(0.01)
    reader.cancel()
    print(f"stalled client dropped after about {n - 20} events")
    assert [e["data"]["text"][:5] for e in got[1:]] == [f"{i:05d}" for i in range(n)]
    assert hub.count(stream_of(rid)) == 1  # the stalled one was dropped, the healthy one kept
    # The stalled client, once it reads again, finds what it was sent and then a close frame 4008.
    data = response.split(b"\r\n\r\n", 1)[1]
    while True:
        chunk = await asyncio.wait_for(loop.sock_recv(raw, 1 << 16), 10)
        if not chunk:
            break
        data += chunk
    assert b"\x88" in data and b"\x0f\xa8too slow" in data  # opcode 8, code 4008, reason
    raw.close()
    await healthy.close()


async def test_rest_writes_are_rate_limited_per_client(make_app, tmp_path):
    settings = Settings(data_dir=str(tmp_path), secret="s", clock=ManualClock(T0), timers=False, rest_rate=(0.5, 3))
    server = await make_app(settings)
    made = await create(server)
    url = f"/api/relays/{made['id']}/commands"
    headers = {"authorization": f"Bearer {token_of(made['coordinator'])}"}
    async with httpx.AsyncClient(base_url=server.base) as http:
        replies = [
            await http.post(url, content=json.dumps({"type": "dispatch", "text": "hi"}), headers=headers)
            for _ in range(4)
        ]
    # The create used one write of the 3 per 6 s; two dispatches pass, then 429 (a third may pass
    # if the sliding window moved on between them: the limit is an estimate at its edges).
    statuses = [r.status_code for r in replies]
    assert statuses[:2] == [200, 200] and statuses[-1] == 429, statuses
    refused = replies[-1]
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 6  # when to try again, in whole seconds


async def test_tokens_in_urls_only_for_reading_and_a_fractional_grace_survives(server):
    spec = definition()
    spec["checkin_grace"] = 0.5  # kept exact; leg durations are whole seconds (tests/relay/test_formats.py)
    spec["sites"][0]["legs"]["duration"] = 91
    made = await create(server, spec)
    rid, coord = made["id"], token_of(made["coordinator"])
    async with httpx.AsyncClient(base_url=server.base) as http:
        r = await http.get(f"/api/relays/{rid}/plan")
        assert r.status_code == 200 and r.json()["legs"][0]["hours"] == round(91 / 3600, 4)
        assert r.json()["tzdb"]
        # A write never takes its link from the query string (it would end up in access logs).
        r = await http.post(
            f"/api/relays/{rid}/commands",
            params={"token": coord},
            content=json.dumps({"type": "dispatch", "text": "x"}),
        )
        assert r.status_code == 403
        r = await http.get(f"/api/relays/{rid}/links", params={"token": coord})
        assert r.status_code == 200


async def test_frame_limit_is_in_bytes_and_binary_frames_count_against_the_rate(server):
    made = await create(server)
    conn, _ = await ws_hello(f"{server.ws_base}/ws/relay/{made['id']}", token_of(made["sites"]["akl"]))
    await recv_events(conn, 1)
    # 3,000 three-byte characters: under 8 KiB characters, over 8 KiB bytes.
    await conn.send(json.dumps({"type": "ping", "pad": "€" * 3000}, ensure_ascii=False))
    assert (await recv_json(conn))["code"] == "too_large"
    codes = []
    for _ in range(40):
        await conn.send(b"\x00")
    for _ in range(40):
        codes.append((await recv_json(conn))["code"])
    assert "rate_limited" in codes and "bad_frame" in codes
    await conn.close()
