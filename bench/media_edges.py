"""The livestream's origin and edges over Redis: listeners per edge core, origin CPU against the
number of edges, and the latency one hop through Redis adds.

    python bench/media_edges.py                                # both parts, short windows (about 4 min)
    python bench/media_edges.py --part listeners --listeners 0,200,400,600,700,800
    python bench/media_edges.py --part edges --edges 1,2,3 --per-edge 5
    python bench/media_edges.py --py-spy /tmp/edge             # py-spy the edge in every window

Processes (real ones: the app under uvicorn, as ``mayday serve`` runs it):

* a private ``redis-server`` (no persistence), and **servers** started by this script itself
  (``media_edges.py serve``: ``create_app(Settings(redis_url=..., media_addresses=["127.0.0.1"]))``,
  the same ``stats`` protocol as ``media_server.py``, plus what each room's link counted: its role,
  the hop latency from the origin's publish to the edge's delivery, the origin's batches);
* the **origin**: the first server; the publishers (``media_bench.start_publishers``: a speaker
  at 440 Hz with the floor, one interpreter per booth) join it first, so its room takes the lease;
* **edges**: more servers on the same Redis; listeners (``media_listeners.py``, light receivers
  plus two decoding ones that name the tones they hear) join an edge's WebSocket only.

Part ``listeners``: one edge, pinned to CPU 1; origin, Redis, publishers and listeners on CPU 0.
For growing M listeners on the edge: the edge's CPU, loss and jitter at the listeners (as in
``media_bench.py``), the hop latency, and the origin's CPU (which must not grow with M).

Part ``edges``: the origin pinned to CPU 1; E edges on CPU 0 with ``--per-edge`` listeners each:
the origin's CPU against E.

Every window records the load average and the CPU used by processes outside the benchmark ("other"):
the machine is shared. Windows with other processes above ``--max-others`` cores are measured
again (at most ``--attempts`` times, the least disturbed kept).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from media_bench import (  # noqa: E402
    HOST,
    LANGUAGES,
    SECRET,
    Child,
    Publishers,
    child_setup,
    cpu_s,
    cpus_busy_s,
    definition,
    free_port,
    start_publishers,
)

LOSS_LIMIT = 1.0  # % audio missing


# ---------------------------------------------------------------------------------------------
# a server process (``serve``)


def serve(args: argparse.Namespace) -> None:
    from media_server import LoopLag, media_stats, raise_nofile

    raise_nofile()
    import uvicorn

    from assembly.media.settings import MediaSettings
    from mayday.app import Settings, create_app, server_config

    settings = Settings(
        data_dir=args.data,
        redis_url=args.redis,
        secret=SECRET,
        rest_rate=(1000.0, 1000.0),
        media=MediaSettings(max_peers=5000),
        media_addresses=[HOST],
    )
    app = create_app(settings)
    config = server_config(app, HOST, args.port, log_level="warning")
    lag = LoopLag()
    gcs: list[tuple[int, float]] = []  # (generation, seconds) of every garbage collection
    started: list[float] = []

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            gcs.append((info["generation"], time.perf_counter() - started[0]))

    gc.callbacks.append(on_gc)

    def stats() -> dict[str, Any]:
        out = media_stats(app, lag)
        hub = app.state.media
        links = []
        for room in hub.rooms.values():
            link = room.link
            if link is None:
                continue
            hops = sorted(link.hops)
            link.hops.clear()
            links.append(
                {
                    "role": "origin" if link.origin else "edge",
                    "hops": len(hops),
                    "hop_p50_ms": hops[len(hops) // 2] / 1000 if hops else None,
                    "hop_p99_ms": hops[min(len(hops) - 1, int(len(hops) * 0.99))] / 1000 if hops else None,
                    "hop_max_ms": hops[-1] / 1000 if hops else None,
                    **link.counts,
                }
            )
        out["links"] = links
        taken = gcs[:]
        gcs.clear()
        out["gc"] = {
            f"gen{g}": {
                "n": sum(1 for x, _ in taken if x == g),
                "max_ms": 1000 * max((d for x, d in taken if x == g), default=0),
            }
            for g in (0, 1, 2)
        }
        out["published"] = hub.cluster.published if hub.cluster else 0
        out["publish_dropped"] = hub.cluster.dropped if hub.cluster else 0
        return out

    def on_stdin() -> None:
        line = sys.stdin.readline()
        if not line:
            asyncio.get_running_loop().remove_reader(sys.stdin.fileno())
            return
        if line.strip() == "stats":
            print(json.dumps(stats()), flush=True)

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:
                lag.start()
                asyncio.get_running_loop().add_reader(sys.stdin.fileno(), on_stdin)
                print(json.dumps({"ready": True, "pid": os.getpid(), "admin": app.state.admin_token}), flush=True)

    Server(config).run()


# ---------------------------------------------------------------------------------------------
# the harness


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


class Redis:
    def __init__(self, cpu: int | None) -> None:
        self.dir = tempfile.mkdtemp(prefix="mayday-edges-redis-")
        self.port = free_port()
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not on PATH")
        self.proc = subprocess.Popen(
            [binary, "--bind", HOST, "--port", str(self.port), "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=child_setup(cpu),
        )
        import redis

        client = redis.Redis(host=HOST, port=self.port)
        for _ in range(200):
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    break
            time.sleep(0.05)
        client.close()

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def stop(self) -> None:
        self.proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        if self.proc.poll() is None:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class Setup:
    """Redis, the origin with its publishers and the assembly, and any number of edges."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.data = tempfile.mkdtemp(prefix="mayday-edges-")
        self.redis: Redis | None = None
        self.servers: list[Child] = []
        self.listeners: list[Child] = []
        self.pubs: Publishers | None = None
        self.booths = LANGUAGES[1 : args.channels + 1]
        self.made: dict[str, Any] = {}
        self.ports: list[int] = []

    async def server(self, name: str, cpu: int | None) -> Child:
        assert self.redis is not None
        port = free_port()
        cmd = [sys.executable, str(HERE / "media_edges.py"), "serve", "--port", str(port)]
        cmd += ["--data", self.data, "--redis", self.redis.url]
        child = await Child.start(name, cmd, cpu if self.args.pin else None)
        self.servers.append(child)
        self.ports.append(port)
        return child

    async def start(self, origin_cpu: int) -> Child:
        import httpx

        self.redis = Redis(0 if self.args.pin else None)
        origin = await self.server("origin", origin_cpu)
        base = f"http://{HOST}:{self.ports[0]}"
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            r = await http.post(
                "/api/assemblies",
                content=json.dumps(definition(self.args.channels)),
                headers={"authorization": f"Bearer {origin.info['admin']}"},
            )
        assert r.status_code == 201, r.text
        self.made = r.json()
        tokens = {
            pid: url.split("#t=", 1)[1]
            for group in ("chairs", "delegates", "interpreters")
            for pid, url in self.made[group].items()
        }
        self.pubs = await start_publishers(self.ws(0), tokens, self.booths)
        return origin

    def ws(self, index: int) -> str:
        return f"ws://{HOST}:{self.ports[index]}/ws/assembly/{self.made['id']}"

    async def listener_process(self, index: int, cpu: int | None, decoders: int) -> Child:
        cmd = [sys.executable, str(HERE / "media_listeners.py"), "--ws", self.ws(index), "--token"]
        cmd += [self.made["viewer"].split("#t=", 1)[1], "--decoders", str(decoders)]
        cmd += ["--concurrency", str(self.args.concurrency)]
        child = await Child.start(f"listeners@{index}", cmd, cpu if self.args.pin else None)
        self.listeners.append(child)
        return child

    async def close(self) -> None:
        for child in self.listeners:
            with contextlib.suppress(Exception):
                await child.ask(json.dumps({"cmd": "quit"}), 90)
            await child.stop(10)
        if self.pubs is not None:
            await self.pubs.close()
        for child in reversed(self.servers):
            await child.stop(30)
        if self.redis is not None:
            self.redis.stop()
        shutil.rmtree(self.data, ignore_errors=True)


async def window(
    args: argparse.Namespace, servers: list[Child], listeners: list[Child], label: str, redis_pid: int
) -> dict[str, Any]:
    """One measured window: CPU of every process and of the machine, the listeners' figures, the
    servers' own counts."""
    for child in listeners:
        await child.ask(json.dumps({"cmd": "start"}), 30)
    for child in servers:
        await child.ask("stats", 10)  # starts their loop-lag and hop windows
    pids = [c.pid for c in servers] + [c.pid for c in listeners] + [redis_pid, os.getpid()]
    load = loadavg()
    t0, c0, b0 = time.monotonic(), [cpu_s(p) for p in pids], cpus_busy_s()
    spy = await py_spy(args, servers[1].pid if len(servers) > 1 else servers[0].pid, label)
    await asyncio.sleep(args.window)
    t1, c1, b1 = time.monotonic(), [cpu_s(p) for p in pids], cpus_busy_s()
    if spy is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(spy.wait(), 30)
    stats = [await child.ask("stats", 60) for child in servers]
    results = [await child.ask(json.dumps({"cmd": "stop"}), 120) for child in listeners]
    dt = t1 - t0
    cores = [(b - a) / dt for a, b in zip(c0, c1, strict=True)]
    busy = (b1["cpu"] - b0["cpu"]) / dt
    return {
        "label": label,
        "window_s": dt,
        "load1": load,
        "load1_after": loadavg(),
        "server_cores": cores[: len(servers)],
        "listener_cores": cores[len(servers) : len(servers) + len(listeners)],
        "redis_cores": cores[-2],
        "harness_cores": cores[-1],
        "others": max(0.0, busy - sum(cores)),
        "stats": stats,
        "results": results,
    }


async def measured(args: argparse.Namespace, *what: Any) -> dict[str, Any]:
    row = await window(args, *what)
    for _ in range(args.attempts - 1):
        if row["others"] <= args.max_others:
            break
        print(f"   (other processes kept {row['others']:.2f} cores busy: again)", flush=True)
        again = await window(args, *what)
        row = again if again["others"] < row["others"] else row
    return row


async def py_spy(args: argparse.Namespace, pid: int, label: str) -> asyncio.subprocess.Process | None:
    if not args.py_spy:
        return None
    cmd = ["py-spy", "record", "--pid", str(pid), "--duration", str(int(args.window)), "--rate", "200"]
    cmd += ["--format", "raw", "--output", f"{args.py_spy}-{label}.txt", "--nonblocking"]
    return await asyncio.create_subprocess_exec(
        *cmd, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, preexec_fn=child_setup(0)
    )


def link_of(stats: dict[str, Any]) -> dict[str, Any]:
    return stats["links"][0] if stats.get("links") else {}


def roles(row: dict[str, Any]) -> str:
    """Each server's role at the end of the window, with how often its room changed role so far
    (a loop stalled past the lease's TTL lets another process take over)."""
    out = []
    for stats in row["stats"]:
        link = link_of(stats)
        flips = link.get("promoted", 0) + link.get("demoted", 0)
        out.append(f"{link.get('role', '-')}{'' if flips <= 1 else f'({flips} changes)'}")
    return ",".join(out)


def heard(res: dict[str, Any]) -> str:
    return " ".join(f"{h['floor_hz']:.0f}/{h['channel_hz']:.0f}" for h in res.get("heard", [])) or "-"


async def part_listeners(args: argparse.Namespace) -> list[dict[str, Any]]:
    """One edge on CPU 1; everything else on CPU 0; M listeners on the edge."""
    setup = Setup(args)
    rows: list[dict[str, Any]] = []
    try:
        origin = await setup.start(origin_cpu=0)
        edge = await setup.server("edge", 1)
        listeners = await setup.listener_process(1, 0, args.decoders)
        await asyncio.sleep(1)
        print(f"\n== listeners on one edge (origin pid {origin.pid}, edge pid {edge.pid})", flush=True)
        print(
            f"{'M':>5}{'edge':>7}{'ms/lst':>7}{'origin':>7}{'redis':>6}{'lstnr':>6}{'other':>6}{'load':>6}"
            f"{'miss%':>7}{'seq%':>6}{'jit p99':>8}{'gap':>5}{'hop p50/p99/max ms':>20}{'lag99':>6}  heard",
            flush=True,
        )
        total, base = 0, None
        assert setup.redis is not None
        for m in args.listeners:
            if m > total:
                joined = await listeners.ask(
                    json.dumps({"cmd": "add", "n": m - total, "channels": setup.booths}), 60 + 2 * (m - total)
                )
                total = joined["total"]
                if joined["failed"]:
                    print(f"   {joined['failed']} joins failed: {joined['errors'][:2]}", flush=True)
            await asyncio.sleep(args.warmup)
            row = await measured(args, [origin, edge], [listeners], f"listeners-{total}", setup.redis.proc.pid)
            row["m"] = total
            res, hop = row["results"][0], link_of(row["stats"][1])
            edge_c = row["server_cores"][1]
            if total == 0:
                base = edge_c
            marginal = (edge_c - base) / total * 1000 if total and base is not None else float("nan")
            row["edge_ms_per_listener"] = marginal
            rows.append(row)
            hops = "/".join(
                "-" if hop.get(k) is None else f"{hop[k]:.1f}" for k in ("hop_p50_ms", "hop_p99_ms", "hop_max_ms")
            )
            print(
                f"{total:>5}{edge_c:>7.3f}{marginal:>7.2f}{row['server_cores'][0]:>7.3f}{row['redis_cores']:>6.3f}"
                f"{row['listener_cores'][0]:>6.2f}{row['others']:>6.2f}{row['load1']:>6.1f}"
                f"{res['frames_missing_pct']:>7.2f}{res['seq_lost_pct']:>6.2f}{res['jitter_p99_ms']:>8.1f}"
                f"{res['gap_max_ms']:>5.0f}{hops:>20}{row['stats'][1]['lag']['p99_ms']:>6.0f}  {heard(res)}"
                f"  roles {roles(row)} gc2 {row['stats'][1]['gc']['gen2']['n']}",
                flush=True,
            )
            if total and res["frames_missing_pct"] >= LOSS_LIMIT:
                break
    finally:
        await setup.close()
    return rows


async def part_edges(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The origin on CPU 1, E edges (and their listeners) on CPU 0: origin CPU against E."""
    setup = Setup(args)
    rows: list[dict[str, Any]] = []
    try:
        origin = await setup.start(origin_cpu=1)
        edges: list[Child] = []
        listeners: list[Child] = []
        assert setup.redis is not None
        print(
            f"\n== origin CPU against edges (origin pid {origin.pid}, {args.per_edge} listeners per edge)", flush=True
        )
        print(
            f"{'E':>3}{'origin':>8}{'edges':>7}{'redis':>7}{'other':>6}{'load':>6}{'batches/s':>10}"
            f"{'miss%':>7}{'hop p50/p99 ms':>16}",
            flush=True,
        )
        for e in args.edges:
            while len(edges) < e:
                edges.append(await setup.server(f"edge-{len(edges) + 1}", 0))
                lst = await setup.listener_process(len(setup.servers) - 1, 0, 0)
                await lst.ask(json.dumps({"cmd": "add", "n": args.per_edge, "channels": setup.booths}), 120)
                listeners.append(lst)
            await asyncio.sleep(args.warmup)
            row = await measured(args, [origin, *edges], listeners, f"edges-{e}", setup.redis.proc.pid)
            row["e"] = e
            origin_link = link_of(row["stats"][0])
            batches = origin_link.get("batches", 0)
            row["batches"] = batches
            hops = [link_of(s) for s in row["stats"][1:]]
            p50 = max((h["hop_p50_ms"] for h in hops if h.get("hop_p50_ms") is not None), default=None)
            p99 = max((h["hop_p99_ms"] for h in hops if h.get("hop_p99_ms") is not None), default=None)
            miss = max((r["frames_missing_pct"] for r in row["results"]), default=0.0)
            rows.append(row)
            print(
                f"{e:>3}{row['server_cores'][0]:>8.3f}{sum(row['server_cores'][1:]):>7.2f}{row['redis_cores']:>7.3f}"
                f"{row['others']:>6.2f}{row['load1']:>6.1f}{'':>10}{miss:>7.2f}"
                f"{'-' if p50 is None else f'{p50:.1f}/{p99:.1f}':>16}",
                flush=True,
            )
    finally:
        await setup.close()
    return rows


def counts(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


async def amain(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"args": {k: v for k, v in vars(args).items() if k != "fn"}, "nproc": os.cpu_count()}
    if args.part in ("listeners", "all"):
        out["listeners"] = await part_listeners(args)
    if args.part in ("edges", "all"):
        out["edges"] = await part_edges(args)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command")
    s = sub.add_parser("serve", help="(internal) one server process")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--data", required=True)
    s.add_argument("--redis", required=True)
    ap.add_argument("--part", choices=["listeners", "edges", "all"], default="all")
    ap.add_argument("--listeners", type=counts, default=counts("0,300,600,800"))
    ap.add_argument("--edges", type=counts, default=counts("1,2,3"))
    ap.add_argument("--per-edge", type=int, default=5)
    ap.add_argument("--channels", type=int, default=2)
    ap.add_argument("--window", type=float, default=6.0)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--decoders", type=int, default=2)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--max-others", type=float, default=0.25)
    ap.add_argument("--attempts", type=int, default=2)
    ap.add_argument("--no-pin", dest="pin", action="store_false")
    ap.add_argument("--py-spy", help="py-spy the edge (or the origin alone) into PREFIX-LABEL.txt")
    ap.add_argument("--json", help="write every window's figures here")
    args = ap.parse_args()
    if args.command == "serve":
        serve(args)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        out = asyncio.run(amain(args))
    except KeyboardInterrupt:
        return 130
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
