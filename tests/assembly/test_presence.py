"""Someone whose browser closes does not stay live forever: after a grace an interpreter's booth goes
to a connected partner (or is freed), a speaker's floor ends, and the chair is told."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import httpx
from helpers import recv_json, token_of, ws_hello

from assembly import core
from assembly.commands import Dropped
from assembly.definition import load_assembly
from assembly.state import evolve
from mayday.app import Settings
from mayday.clock import ManualClock
from mayday.events import unpack

T0 = dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC)
EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "assembly.yaml").read_text()


def run(state, command, now=T0):
    events = unpack(core.decide(state, command, now)).events
    for e in events:
        state = evolve(state, e.type, e.data)
    return state, events


def example_state():
    state, _ = run(core.AssemblyState(), core.CreateAssembly("a1", load_assembly(EXAMPLE)))
    return state


def test_a_dropped_interpreter_hands_the_booth_to_a_connected_partner_or_frees_it():
    state = example_state()
    state, _ = run(state, core.TakeBooth("lucia"))
    assert state.booths["es"] == "lucia"
    handed, events = run(state, Dropped("lucia", frozenset({"marta", "ama"})))
    assert handed.booths["es"] == "marta"
    assert events[-1].type == "participant_dropped"
    assert events[-1].data | {"at": None} == {
        "person": "lucia",
        "booth": "es",
        "handed_to": "marta",
        "floor_ended": False,
        "at": None,
    }
    freed, events = run(state, Dropped("lucia", frozenset({"ama"})))  # the partner is not connected
    assert "es" not in freed.booths or freed.booths["es"] is None
    assert events[-1].data["handed_to"] is None


def test_a_dropped_speaker_loses_the_floor_and_anyone_else_changes_nothing():
    state = example_state()
    state, _ = run(state, core.RaiseHand("rosa", "speech"))
    state, _ = run(state, core.GrantFloor(None))
    assert state.floor is not None and state.floor.person == "rosa"
    after, events = run(state, Dropped("rosa"))
    assert after.floor is None
    assert [e.type for e in events] == ["speech_ended", "participant_dropped"]
    assert events[0].data["by"] == "dropped" and events[1].data["floor_ended"] is True
    assert run(state, Dropped("ngozi"))[1] == []  # not live anywhere: nothing to record


async def test_a_closed_browser_frees_the_booth_after_the_grace(make_app, tmp_path):
    settings = Settings(data_dir=str(tmp_path), secret="s", clock=ManualClock(T0), timers=False, drop_grace=0.3)
    server = await make_app(settings)
    async with httpx.AsyncClient(base_url=server.base) as http:
        r = await http.post("/api/assemblies", content=EXAMPLE, headers={"authorization": f"Bearer {server.admin}"})
    made = r.json()
    url = f"{server.ws_base}/ws/assembly/{made['id']}"
    lucia, _ = await ws_hello(url, token_of(made["interpreters"]["lucia"]))
    marta, _ = await ws_hello(url, token_of(made["interpreters"]["marta"]))
    chair, _ = await ws_hello(url, token_of(made["chairs"]["ama"]))
    await lucia.send(json.dumps({"type": "command", "id": 1, "command": {"type": "take_booth"}}))
    while (await recv_json(lucia))["type"] != "ack":
        pass
    # A reconnect within the grace changes nothing.
    await lucia.close()
    lucia, _ = await ws_hello(url, token_of(made["interpreters"]["lucia"]))
    await asyncio.sleep(0.6)
    assert server.app.state.assemblies.current(made["id"]).booths["es"] == "lucia"
    # Gone for good: after the grace, the connected partner has the booth and the chair is told.
    await lucia.close()
    seen = []
    while not any(e.get("event") == "participant_dropped" for e in seen):
        frame = await recv_json(chair, 5)
        seen += [frame] if frame["type"] == "event" else frame.get("events", [])
    dropped = next(e for e in seen if e.get("event") == "participant_dropped")
    assert dropped["data"]["person"] == "lucia" and dropped["data"]["handed_to"] == "marta"
    assert server.app.state.assemblies.current(made["id"]).booths["es"] == "marta"
    for conn in (marta, chair):
        await conn.close()
