"""Plain helpers shared by tests and fixtures: nothing here starts or stops anything (servers and
processes are fixtures in conftest.py). Importable as ``helpers`` because tests/ has no __init__.py.

- ports and links: ``free_port``, ``token_of``
- a client's side of the WebSocket: ``ws_hello``, ``recv_json``, ``events_in``, ``recv_events``
- relay definitions whose legs start a few seconds from now: ``soon``
- an assembly created on one process and known to the others: ``create_assembly``
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
from typing import Any

import httpx
import pytz
import websockets

# --------------------------------------------------------------------------------------------
# Ports and links
# --------------------------------------------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago; callers retry if someone takes it first."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def token_of(link: str) -> str:
    """The link token in a page link (``.../chair#t=TOKEN``)."""
    return link.split("#t=", 1)[1]


# --------------------------------------------------------------------------------------------
# A client's side of the WebSocket
# --------------------------------------------------------------------------------------------


async def ws_hello(url: str, token: str | None = None, after: int = 0, **kw: Any) -> tuple[Any, dict]:
    """Open a relay socket, say hello, return (connection, welcome frame)."""
    conn = await websockets.connect(url, **kw)
    await conn.send(json.dumps({"type": "hello", "token": token, "after": after}))
    welcome = json.loads(await asyncio.wait_for(conn.recv(), 5))
    return conn, welcome


async def recv_json(conn: Any, timeout: float = 5) -> dict:
    return json.loads(await asyncio.wait_for(conn.recv(), timeout))


def events_in(frame: dict) -> list[dict]:
    """The events a frame carries: one ``event``, or each of an ``events`` batch, as event frames."""
    if frame["type"] == "event":
        return [frame]
    if frame["type"] == "events":
        return [{"type": "event", **e} for e in frame["events"]]
    return []


async def recv_events(conn: Any, n: int, timeout: float = 5) -> list[dict]:
    """The next ``n`` events, whether they come one to a frame or batched (other frames skipped)."""
    out: list[dict] = []
    while len(out) < n:
        out += events_in(await recv_json(conn, timeout))
    assert len(out) == n, f"wanted {n} events, a batch brought {len(out)}"
    return out


# --------------------------------------------------------------------------------------------
# Relay definitions
# --------------------------------------------------------------------------------------------


def soon(
    now: dt.datetime,
    legs: list[tuple[str, str, float, float]],
    grace: str = "10m",
    backups: dict[str, str] | None = None,
    board: str = "public",
) -> dict[str, Any]:
    """A relay definition whose legs start a few seconds from ``now``. ``legs``: (site id, zone,
    seconds from now to start, seconds long), written in local time."""
    base = now.replace(microsecond=0) + dt.timedelta(seconds=1)
    sites = []
    for sid, zone, start_s, dur_s in legs:
        local = (base + dt.timedelta(seconds=start_s)).astimezone(pytz.timezone(zone))
        site: dict[str, Any] = {
            "id": sid,
            "name": f"Site {sid.upper()}",
            "tz": zone,
            "legs": {
                "date": local.date().isoformat(),
                "start": local.strftime("%H:%M:%S"),
                "duration": f"{int(dur_s)}s",
            },
        }
        if backups and sid in backups:
            site["backup"] = backups[sid]
        sites.append(site)
    return {"name": "test relay", "checkin_grace": grace, "board": board, "sites": sites}


# --------------------------------------------------------------------------------------------
# Several processes on one log
# --------------------------------------------------------------------------------------------


async def create_assembly(http: httpx.AsyncClient, bases: list[str], admin: str, definition: dict) -> dict:
    """POST ``definition`` to the first of ``bases`` (``http://host:port``) with the admin token,
    then wait until every base reads it from the shared log; the creation's reply."""
    r = await http.post(
        f"{bases[0]}/api/assemblies", content=json.dumps(definition), headers={"authorization": f"Bearer {admin}"}
    )
    assert r.status_code == 201, r.text
    made = r.json()
    for base in bases:
        for _ in range(100):
            if (await http.get(f"{base}/api/assemblies/{made['id']}")).status_code == 200:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"{base} never saw assembly {made['id']}")
    return made
