"""The `mayday` command as a user runs it: real processes, real files, real exit codes."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytz

from mayday.app import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "may-day-2027.yaml"


def mayday(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mayday.cli", *args], capture_output=True, text=True, input=stdin, timeout=60
    )


def test_version_names_the_bundled_tz_database():
    r = mayday("--version")
    assert r.returncode == 0 and pytz.OLSON_VERSION in r.stdout and "pytz" in r.stdout


def test_plan_json_has_the_documented_shape():
    r = mayday("relay", "plan", str(EXAMPLE), "--json")
    assert r.returncode == 0, r.stderr
    plan = json.loads(r.stdout)
    assert set(plan) >= {"name", "legs", "handoffs", "gaps", "coverage"}
    first = plan["legs"][0]
    assert (first["site"], first["start"], first["local_start"]) == (
        "akl",
        "2027-04-30T12:00:00Z",
        "2027-05-01T00:00:00+12:00",
    )
    assert plan["handoffs"][0] == {
        "at": "2027-04-30T12:00:00Z",
        "from": None,
        "to": "akl",
        "from_leg": None,
        "to_leg": 0,
    }
    assert plan["handoffs"][-1]["to"] is None


def test_plan_table_shows_utc_and_local_times(tmp_path):
    r = mayday("relay", "plan", str(EXAMPLE))
    assert r.returncode == 0
    assert "2027-04-30T18:15:00Z" in r.stdout and "+0545" in r.stdout  # Kathmandu
    assert "Handoffs:" in r.stdout and "nobody -> akl" in r.stdout
    # stdin works too, and warnings are shown
    text = 'name: x\nlegs: {date: 2027-03-14, start: "02:30", duration: 1h}\nsites: [{id: nyc, tz: America/New_York}]\n'
    r = mayday("relay", "plan", "-", stdin=text)
    assert r.returncode == 0 and "does not exist in America/New_York" in r.stdout


def test_bad_input_exits_non_zero_with_one_clear_line(tmp_path):
    cases = {
        "zone": (
            "name: x\nlegs: {date: 2027-05-01, start: '00:00', duration: 24h}\nsites: [{id: a, tz: Mars/Olympus}]",
            "unknown time zone 'Mars/Olympus'",
        ),
        "backup": (
            "name: x\nlegs: {date: 2027-05-01, start: '00:00', duration: 24h}\nsites: [{id: a, tz: UTC, backup: b}]",
            "unknown backup 'b'",
        ),
        "dup": (
            "name: x\nlegs: {date: 2027-05-01, start: '00:00', duration: 24h}\nsites: [{id: a, tz: UTC}, {id: a, tz: UTC}]",
            "duplicate site id 'a'",
        ),
        "order": (
            "name: x\nlegs: {date: 2027-05-01, start: '00:00', duration: -1h}\nsites: [{id: a, tz: UTC}]",
            "expected a duration",
        ),
        "end": (
            "name: x\nlegs: {date: 2027-05-01, start: '00:00', duration: 0h}\nsites: [{id: a, tz: UTC}]",
            "ends before it starts",
        ),
        "malformed": ("name: [x\n", "malformed YAML"),
    }
    for name, (text, expected) in cases.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(text)
        r = mayday("relay", "plan", str(path))
        assert r.returncode == 2, (name, r.stdout)
        assert expected in r.stderr and len(r.stderr.strip().splitlines()) == 1, (name, r.stderr)
        assert "Traceback" not in r.stderr
    r = mayday("relay", "plan", str(tmp_path / "missing.yaml"))
    assert r.returncode == 2 and "No such file" in r.stderr


async def test_relay_create_against_a_running_server_prints_links(make_app, tmp_path):
    server = await make_app(Settings(data_dir=str(tmp_path), secret="cli-secret", timers=False))
    r = await asyncio.to_thread(
        mayday, "relay", "create", str(EXAMPLE), "--server", server.base, "--token", server.admin
    )
    assert r.returncode == 0, r.stderr
    assert "coordinator link:" in r.stdout and r.stdout.count("#t=") == 12  # coordinator, viewer, 10 sites
    assert "site lag" in r.stdout and ".ics" in r.stdout
    r = await asyncio.to_thread(mayday, "relay", "create", str(EXAMPLE), "--server", server.base, "--token", "forged")
    assert r.returncode == 1 and "unauthorized" in r.stderr
    assert len(server.app.state.relays.ids()) == 1


async def test_invite_admin_prints_the_same_admin_link_the_server_uses(make_app, tmp_path):
    server = await make_app(Settings(data_dir=str(tmp_path), timers=False))
    admin = server.admin
    await server.stop()
    r = mayday("invite", "admin", "--data", str(tmp_path), "--base", "http://example.org:8000")
    assert r.returncode == 0 and r.stdout.strip() == f"http://example.org:8000/#admin={admin}"


async def test_assembly_create_prints_every_link(make_app, tmp_path):
    example = ROOT / "examples" / "assembly.yaml"
    server = await make_app(Settings(data_dir=str(tmp_path), secret="cli-secret", timers=False))
    r = await asyncio.to_thread(
        mayday, "assembly", "create", str(example), "--server", server.base, "--token", server.admin
    )
    assert r.returncode == 0, r.stderr
    assert "chair ama" in r.stdout and "delegate manila-dockers-5" in r.stdout and "interpreter leila" in r.stdout
    assert r.stdout.count("#t=") == 1 + 1 + 12 + 5  # viewer, chair, delegates, interpreters
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: x\nlanguages: [en]\ndelegates: [{id: a, weight: -1}]\n")
    r = await asyncio.to_thread(
        mayday, "assembly", "create", str(bad), "--server", server.base, "--token", server.admin
    )
    assert r.returncode == 1 and "delegates[0] (a).weight" in r.stderr and "invalid_spec" in r.stderr
