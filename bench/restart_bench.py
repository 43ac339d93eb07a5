"""Restart benchmark: a stream of 1,000,000 events, loaded with and without a state snapshot.

    python bench/restart_bench.py                  # SQLite, 1,000,000 events, snapshots every 10,000
    python bench/restart_bench.py --redis          # also on a private redis-server
    python bench/restart_bench.py --events 200000 --runs 5 --no-process

The stream is a relay that follows the sun for a week: 24 sites, one hour each, every day (168
legs), every site checking in before its leg, every handoff applied by the timer, and the rest
dispatches from the site on duty (one every 0.6 s at 1,000,000 events). The first events of each
kind come from the relay's own core (decide + evolve); the dispatches are written in the shape the
core gives them (checked against it), straight through the log API in batches of 20,000.

1. Events 1..N-(every-1) are written; a RelayService with snapshots on loads them (a full replay)
   and writes its snapshot in the background, while a ticker measures how late the event loop
   runs; then the last every-1 events are written: the tail a restart folds at worst.
2. Baseline, in the same run: the stream loaded with snapshots off (``snapshot_every=0``: every
   event read and folded), against the same with snapshots on (the snapshot and the tail).
   Timed from opening the log to ``start()`` returning; both states are checked to be equal.
3. A real ``mayday serve`` process on the same data, from its spawn until GET /api/relays/ID
   answers 200, with MAYDAY_SNAPSHOT_EVERY=0 and with snapshots on; beside it, how long
   ``python -c "import mayday.app"`` takes alone (the floor of any start).
4. A big state: a relay keeps its last 200 dispatches, so its snapshot stays small whatever the
   stream's length; an assembly keeps every ballot with every open vote. One of 100 delegates
   and 2,000 ballots (200,000 votes, ``--big-votes``) is built through its core, then pickled on
   the loop's thread and in a worker thread (as the shell does) while a ticker measures how late
   the loop runs, and read back.

Runs alternate baseline and snapshot; best and median are printed, with the load average before
and after. Not a test: nothing here is collected by pytest; every wait has a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assembly import core  # noqa: E402
from assembly.commands import Vote  # noqa: E402
from assembly.definition import parse_assembly  # noqa: E402
from assembly.state import evolve as assembly_evolve  # noqa: E402
from mayday.clock import ManualClock, iso  # noqa: E402
from mayday.events import unpack  # noqa: E402
from mayday.hub import Hub  # noqa: E402
from mayday.links import Links  # noqa: E402
from mayday.log.base import EventLog, NewEvent, encode_data, open_log  # noqa: E402
from mayday.snapshots import Snapshots, encode, prepare  # noqa: E402
from relay.commands import CheckIn, CreateRelay, PostDispatch, Tick  # noqa: E402
from relay.decide import decide  # noqa: E402
from relay.service import RelayService, stream_of  # noqa: E402
from relay.spec import parse_spec  # noqa: E402
from relay.state import RelayState, evolve  # noqa: E402

START = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)  # in the past: every deadline is applied
RELAY_ID = "benchrelay"
BATCH = 20_000
READY_TIMEOUT = 300.0  # seconds a server may take to answer (the full replay included)


# -- the stream -----------------------------------------------------------------------------------


def definition(days: int) -> dict[str, Any]:
    sites = [
        {
            "id": f"s{h:02d}",
            "name": f"Site {h:02d}",
            "tz": "UTC",
            "legs": {"date": "2026-11-02", "start": f"{h:02d}:00", "duration": "1h", "days": days},
        }
        for h in range(24)
    ]
    return {"name": "Follow the sun", "checkin_grace": "10m", "board": "public", "sites": sites}


def relay_events(total: int, days: int) -> list[tuple[str, dict[str, Any]]]:
    """``total`` events of one relay, as the log stores them (JSON data)."""
    state, now = RelayState(), START
    out: list[tuple[str, dict[str, Any]]] = []

    def run(command: Any) -> None:
        nonlocal state
        for e in unpack(decide(state, command, now)).events:
            data = json.loads(encode_data(e.data))
            state = evolve(state, e.type, data)
            out.append((e.type, data))

    run(CreateRelay(RELAY_ID, parse_spec(definition(days))))
    assert state.plan is not None
    legs = sorted(state.plan.legs, key=lambda leg: leg.start)
    per_leg = (total - 1 - 3 * len(legs)) // len(legs)  # room left for dispatches (+ check-in, batons)
    sample_checked = False
    for leg in legs:
        now = leg.start - dt.timedelta(minutes=2)
        run(CheckIn(leg.site, by="site"))
        now = leg.start
        run(Tick())
        step = dt.timedelta(hours=1) / max(per_leg, 1)
        for k in range(per_leg):
            if len(out) >= total - 1:
                break
            now = leg.start + step * k
            text = f"{leg.site}: picket at gate {k % 7} holding, {40 + k % 300} out, next update soon"
            if not sample_checked:  # the core's own event, to check the shape written below
                run(PostDispatch(text, leg.site, "site"))
                sample_checked = True
                expected = out[-1]
                assert expected == ("dispatch_posted", {"site": leg.site, "text": text, "at": iso(now), "by": "site"})
                continue
            out.append(("dispatch_posted", {"site": leg.site, "text": text, "at": iso(now), "by": "site"}))
    now = legs[-1].end + dt.timedelta(minutes=1)
    run(Tick())  # the last handoff: nothing is due after this
    while len(out) < total:  # pad with the coordinators' closing words
        out.append(
            ("dispatch_posted", {"site": None, "text": f"thanks #{len(out)}", "at": iso(now), "by": "coordinator"})
        )
    return out[:total]


async def write(log: EventLog, stream: str, events: list[tuple[str, dict[str, Any]]]) -> None:
    at = await log.last_offset(stream)
    for i in range(0, len(events), BATCH):
        batch = [NewEvent(t, d) for t, d in events[i : i + BATCH]]
        at = await log.append(stream, at, batch)


# -- in-process loads ----------------------------------------------------------------------------


def service(log: EventLog, every: int) -> RelayService:
    # The clock at the relay's creation: a prefix of the stream has deadlines pending, and a start
    # must not apply them (the late tick) and append to the stream being measured.
    return RelayService(log, Hub(), Links("bench"), ManualClock(START), timers=False, snapshot_every=every)


async def load(where: dict[str, str], every: int) -> tuple[float, RelayService, EventLog]:
    t0 = time.perf_counter()
    log = await open_log(**where)
    svc = service(log, every)
    await svc.start()
    return time.perf_counter() - t0, svc, log


async def first_snapshot(where: dict[str, str], every: int) -> dict[str, Any]:
    """A service with snapshots on loads the stream (a full replay) and writes its snapshot in the
    background; a ticker measures how late the event loop runs meanwhile."""
    seconds, svc, log = await load(where, every)
    lags: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            t = loop.time()
            await asyncio.sleep(0.001)
            lags.append(loop.time() - t - 0.001)

    tick = asyncio.create_task(ticker())
    t0 = time.perf_counter()
    await svc.snapshots_written()
    written = time.perf_counter() - t0
    stop.set()
    await tick
    state = svc.current(RELAY_ID)
    t1 = time.perf_counter()
    blob = encode(state, prepare(state))
    encode_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    assert svc.snapshots.decode(blob) == state
    decode_s = time.perf_counter() - t2
    out = {
        "full_replay_s": seconds,
        "write_s": written,
        "blob_bytes": len(blob),
        "encode_ms": encode_s * 1000,
        "decode_ms": decode_s * 1000,
        "max_loop_lag_ms": max(lags, default=0.0) * 1000,
        "saved": svc.snapshots.stats["saved"],
    }
    await svc.stop()
    await log.close()
    return out


# -- a big state ----------------------------------------------------------------------------------


def assembly_state(votes: int, delegates: int = 100) -> core.AssemblyState:
    """An assembly of ``delegates`` after votes // delegates open ballots, each voted by all."""
    definition = {
        "title": "Congress",
        "languages": ["en"],
        "quorum": 0,
        "chairs": [{"id": "chair", "name": "Chair"}],
        "delegates": [{"group": "d", "count": delegates, "region": "everywhere"}],
    }
    state, now = core.AssemblyState(), START

    def run(command: Any) -> None:
        nonlocal state
        for e in unpack(core.decide(state, command, now)).events:
            state = assembly_evolve(state, e.type, json.loads(encode_data(e.data)))

    run(core.CreateAssembly("a1", parse_assembly(definition)))
    ids = [p for p, person in state.people.items() if person.role == "delegate"]
    for b in range(1, votes // delegates + 1):
        run(
            core.ProposeDemand(
                person=ids[b % delegates], language="en", text=f"Demand {b}: a living wage in sector {b}"
            )
        )
        run(core.OpenBallot(f"d{b}", quorum=core.Decimal(0)))
        for i, p in enumerate(ids):
            run(Vote(b, ("yes", "no", "abstain")[(i + b) % 3], voter=p))
        run(core.CloseBallot(b))
    return state


async def big_state(votes: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    state = assembly_state(votes)
    built = time.perf_counter() - t0
    codec = Snapshots("assembly", core.AssemblyState, assembly_evolve, 1)
    codec.schema()  # read once per process, at start: not part of a decode
    t1 = time.perf_counter()
    blob = encode(state, prepare(state))
    on_loop = time.perf_counter() - t1
    t2 = time.perf_counter()
    assert codec.decode(blob) == state
    decoded = time.perf_counter() - t2
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        while not done.is_set():
            t = loop.time()
            await asyncio.sleep(0.001)
            lags.append(loop.time() - t - 0.001)

    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    lags.clear()
    t3 = time.perf_counter()
    await asyncio.to_thread(encode, state, prepare(state))
    in_thread = time.perf_counter() - t3
    done.set()
    await tick
    return {
        "votes": votes,
        "ballots": len(state.ballots),
        "built_s": built,
        "blob_bytes": len(blob),
        "encode_on_loop_ms": on_loop * 1000,
        "decode_ms": decoded * 1000,
        "encode_in_thread_ms": in_thread * 1000,
        "max_loop_lag_ms": max(lags, default=0.0) * 1000,
        "loop_ticks": len(lags),
    }


# -- processes -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def import_floor() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import mayday.app"], cwd=ROOT, check=True)
    return time.perf_counter() - t0


def serve_until_answer(backend_args: list[str], every: int) -> float:
    """Seconds from spawning ``mayday serve`` to the relay's REST snapshot answering 200."""
    import httpx

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAYDAY_")}
    env["MAYDAY_SNAPSHOT_EVERY"] = str(every)
    cmd = [sys.executable, "-m", "mayday.cli", "serve", "--port", str(port), "--log-level", "warning", *backend_args]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/api/relays/{RELAY_ID}"
        while time.perf_counter() - t0 < READY_TIMEOUT:
            if proc.poll() is not None:
                raise RuntimeError(f"mayday serve exited with {proc.returncode}")
            try:
                if httpx.get(url, timeout=5).status_code == 200:
                    return time.perf_counter() - t0
            except httpx.HTTPError:
                pass
            time.sleep(0.01)
        raise RuntimeError("mayday serve did not answer in time")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("--redis needs redis-server on PATH")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    import redis

    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                proc.kill()
                raise SystemExit("redis-server did not start") from None
            time.sleep(0.05)
    client.close()
    return proc, f"redis://127.0.0.1:{port}/0"


# -- the run -------------------------------------------------------------------------------------


def best_median(values: list[float]) -> str:
    return f"best {min(values):.3f} s, median {statistics.median(values):.3f} s"


async def bench_backend(
    name: str, where: dict[str, str], backend_args: list[str], events: list[tuple[str, dict[str, Any]]], args: Any
) -> dict[str, Any]:
    stream = stream_of(RELAY_ID)
    cut = len(events) - (args.every - 1)
    log = await open_log(**where)
    t0 = time.perf_counter()
    await write(log, stream, events[:cut])
    await log.append("relays", await log.last_offset("relays"), [NewEvent("relay_registered", {"id": RELAY_ID})])
    written = time.perf_counter() - t0
    await log.close()
    print(f"[{name}] wrote {cut:,} events in {written:.1f} s", flush=True)
    first = await first_snapshot(where, args.every)
    print(f"[{name}] first load (full replay of {cut:,}) {first['full_replay_s']:.2f} s; snapshot written in "
          f"{first['write_s'] * 1000:.0f} ms ({first['blob_bytes']:,} bytes, encode {first['encode_ms']:.2f} ms, "
          f"decode {first['decode_ms']:.2f} ms), loop late by {first['max_loop_lag_ms']:.2f} ms at most",
          flush=True)  # fmt: skip
    log = await open_log(**where)
    await write(log, stream, events[cut:])
    assert await log.last_offset(stream) == len(events)
    await log.close()

    full: list[float] = []
    snap: list[float] = []
    for run in range(args.runs):
        seconds, svc, log = await load(where, 0)
        assert svc.loaded_from[RELAY_ID] == (0, len(events))
        replayed = svc.current(RELAY_ID)
        await svc.stop()
        await log.close()
        full.append(seconds)
        seconds, svc, log = await load(where, args.every)
        assert svc.loaded_from[RELAY_ID] == (cut, len(events) - cut), svc.loaded_from
        assert svc.current(RELAY_ID) == replayed  # the snapshot changes nothing
        await svc.stop()
        await log.close()
        snap.append(seconds)
        print(f"[{name}] run {run + 1}: load, full replay {full[-1]:.3f} s | snapshot + {len(events) - cut:,} "
              f"events {snap[-1]:.3f} s", flush=True)  # fmt: skip
    result: dict[str, Any] = {"written_s": written, "first": first, "full": full, "snap": snap}
    if not args.no_process:
        pfull: list[float] = []
        psnap: list[float] = []
        for run in range(args.runs):
            pfull.append(serve_until_answer(backend_args, 0))
            psnap.append(serve_until_answer(backend_args, args.every))
            print(f"[{name}] run {run + 1}: serve until it answers, full replay {pfull[-1]:.3f} s | snapshot "
                  f"{psnap[-1]:.3f} s", flush=True)  # fmt: skip
        result |= {"process_full": pfull, "process_snap": psnap}
    return result


def report(name: str, r: dict[str, Any], args: Any, total: int) -> None:
    full, snap = r["full"], r["snap"]
    print(f"\n== {name}: {total:,} events, a snapshot every {args.every:,} (tail {args.every - 1:,} events) ==")
    print(f"load, baseline full replay : {best_median(full)}  ({total / min(full):,.0f} events/s)")
    print(f"load, snapshot + tail      : {best_median(snap)}")
    print(f"ratio (median)             : {statistics.median(full) / statistics.median(snap):.1f}x faster")
    if "process_full" in r:
        pf, ps = r["process_full"], r["process_snap"]
        print(f"serve -> answer, baseline  : {best_median(pf)}")
        print(f"serve -> answer, snapshot  : {best_median(ps)}")
        print(f"ratio (median)             : {statistics.median(pf) / statistics.median(ps):.1f}x faster")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=10_000, help="snapshot_every (the tail is every - 1 events)")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--redis", action="store_true", help="also on a private redis-server")
    parser.add_argument("--no-process", action="store_true", help="skip the `mayday serve` timings")
    parser.add_argument("--big-votes", type=int, default=200_000, help="votes in the big state (0: skip it)")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    t0 = time.perf_counter()
    events = relay_events(args.events, args.days)
    print(f"generated {len(events):,} events in {time.perf_counter() - t0:.1f} s", flush=True)
    results: dict[str, Any] = {"events": len(events), "every": args.every}
    if not args.no_process:
        results["import_floor"] = [import_floor() for _ in range(args.runs)]
        print(f"python -c 'import mayday.app': {best_median(results['import_floor'])}", flush=True)
    with tempfile.TemporaryDirectory(prefix="restart-bench-") as tmp:
        data = Path(tmp) / "data"
        results["sqlite"] = asyncio.run(bench_backend("sqlite", {"data_dir": str(data)}, ["--data", str(data)],
                                                      events, args))  # fmt: skip
        if args.redis:
            proc, url = start_redis(Path(tmp))
            try:
                results["redis"] = asyncio.run(bench_backend("redis", {"redis_url": url}, ["--redis", url],
                                                             events, args))  # fmt: skip
            finally:
                proc.terminate()
                proc.wait(10)
    if args.big_votes:
        results["big"] = asyncio.run(big_state(args.big_votes))
    results["load_end"] = os.getloadavg()
    for name in ("sqlite", "redis"):
        if name in results:
            report(name, results[name], args, len(events))
    if "import_floor" in results:
        print(f"\n`import mayday.app` alone : {best_median(results['import_floor'])}")
    if "big" in results:
        b = results["big"]
        print(
            f"\n== a big state: an assembly, {b['ballots']:,} ballots, {b['votes']:,} votes "
            f"(built in {b['built_s']:.1f} s) =="
        )
        print(f"snapshot blob              : {b['blob_bytes']:,} bytes")
        print(f"pickled on the loop        : {b['encode_on_loop_ms']:.0f} ms (the loop stalls that long)")
        print(
            f"pickled in a thread        : {b['encode_in_thread_ms']:.0f} ms; loop late by "
            f"{b['max_loop_lag_ms']:.1f} ms at most ({b['loop_ticks']} ticks of 1 ms ran meanwhile)"
        )
        print(f"read back (decode)         : {b['decode_ms']:.0f} ms")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in results['load_end'])}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
