"""Livestream benchmark: one media hub, floor audio plus N interpretation channels, M receive-only
aiortc listeners in another process; the hub's one encoding per channel against one encoder per
listener (``MediaSettings(per_listener_encode=True)``, kept only for this comparison).

    python bench/media_bench.py                  # full sweep, forward then per-listener encode
    python bench/media_bench.py --quick          # smoke run: a few listeners, short windows
    python bench/media_bench.py --listeners 0,50,100,200 --encode-listeners 0,5,10 --channels 2
    python bench/media_bench.py --only forward --packet-ms 20   # the hub's audio in 20 ms packets

Processes (``--no-pin`` lets the scheduler choose):

* the server (``bench/media_server.py``): the real app under uvicorn with ``server_config``,
  media on loopback, pinned to CPU 1;
* the listeners (``bench/media_listeners.py``), pinned to CPU 0: M viewers, each joined over the
  assembly WebSocket with the viewer link exactly like the watch page, ``video: false``, channels
  spread round-robin over the interpretation channels. All but ``--decoders`` of them count RTP
  packets at their ICE socket without decrypting or decoding; the others decode and are checked by
  the frequency they hear;
* this harness, also on CPU 0: it creates the assembly through ``POST /api/assemblies`` with the
  admin token, and runs the publishers -- a chair, one delegate speaking a 440 Hz tone who gets the
  floor (``raise_hand`` + ``grant_floor``), and one interpreter per booth speaking another tone
  (``take_booth``) -- as aiortc peers, then drives the sweep.

For every M (listeners are only ever added): join, warm up ``--warmup`` s, then a ``--window`` s
window in which it measures the CPU time of the server, of the listener process and of this
harness (``/proc/PID/stat``, all threads), the machine's busy time (``/proc/stat``), and, at the
listeners, per stream (listener x SSRC): packets, sequence gaps, audio missing from the RTP
timeline (timestamp gaps: what a listener misses, whether the network lost it or the hub never
sent it), RFC 3550 jitter. The server reports its room's skipped ticks, its bounded queues' drops
and its event loop's lateness. A window in which other processes kept more than
``--max-others`` cores busy is measured again (``--attempts``; the least disturbed is kept). A
mode's sweep ends after the first M whose missing audio reaches 1 %.

Ctrl-C or SIGTERM stops the sweep and every child process; the children also get SIGTERM from
the kernel if this harness dies (PR_SET_PDEATHSIG).

Not a test: nothing here is collected by pytest. Every wait has a deadline; every loop is counted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import os
import resource
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import aioice.ice  # noqa: E402
import httpx  # noqa: E402
from media_client import MediaClient, ToneTrack  # noqa: E402

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")
LANGUAGES = ["en", "fr", "es", "de", "it", "pt", "ar", "zh", "ru", "sw"]  # floor language first
SPEAKER_HZ = 440.0
BOOTH_HZ = [550.0, 660.0, 770.0, 880.0, 990.0, 1100.0, 1210.0, 1320.0, 1430.0]
SECRET = "media-bench-secret"
LOSS_LIMIT = 1.0  # % of audio missing at which a mode's sweep stops
SATURATED = 0.85  # server cores above which a window is not used for the per-listener fit
PR_SET_PDEATHSIG = 1
INTERRUPTED: list[int] = []  # the signals received


# ---------------------------------------------------------------------------------------------
# processes and CPU accounting


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime, all threads


def cpus_busy_s() -> dict[str, float]:
    """Busy seconds of the whole machine and of each CPU (user, nice, system, irq, softirq, steal)."""
    out = {}
    for line in Path("/proc/stat").read_text().splitlines():
        if not line.startswith("cpu"):
            break
        f = line.split()
        out[f[0]] = sum(int(f[i]) for i in (1, 2, 3, 6, 7, 8)) / CLK_TCK
    return out


def child_setup(cpu: int | None) -> Any:
    """In the child before exec: pin it, and have the kernel end it if this harness dies."""

    def setup() -> None:
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
        with contextlib.suppress(Exception):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        os.setpgrp()  # Ctrl-C goes to this harness only; it stops the children in order

    return setup


class Child:
    """A subprocess that speaks JSON lines on stdin/stdout."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process) -> None:
        self.name, self.proc = name, proc
        self.info: dict[str, Any] = {}

    @classmethod
    async def start(cls, name: str, cmd: list[str], cpu: int | None, limit: float = 60) -> Child:
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
            preexec_fn=child_setup(cpu),
            limit=2**24,
        )
        child = cls(name, proc)
        try:
            child.info = await child.read(limit)
        except BaseException:
            await child.stop()
            raise
        return child

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def read(self, limit: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + limit
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.name}: no answer within {limit:.0f} s")
            line = await asyncio.wait_for(self.proc.stdout.readline(), left)
            if not line:
                raise RuntimeError(f"{self.name} exited (code {await self.proc.wait()})")
            with contextlib.suppress(json.JSONDecodeError):
                msg = json.loads(line)
                if isinstance(msg, dict):
                    return msg

    async def ask(self, line: str, limit: float) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()
        return await self.read(limit)

    async def stop(self, grace: float = 30) -> None:
        if self.proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await asyncio.wait_for(self.proc.wait(), 10)


# ---------------------------------------------------------------------------------------------
# the assembly and its publishers


def definition(channels: int) -> dict[str, Any]:
    languages = LANGUAGES[: channels + 1]
    return {
        "title": "Livestream benchmark",
        "languages": languages,
        "chairs": [{"id": "chair", "name": "Chair"}],
        "delegates": [{"id": "speaker", "name": "Speaker", "site": "s", "region": "r", "language": languages[0]}],
        "interpreters": [
            {"id": f"interp-{lang}", "name": f"Interpreter {lang}", "booth": lang, "understands": [languages[0]]}
            for lang in languages[1:]
        ],
    }


@dataclass
class Publishers:
    clients: list[MediaClient] = field(default_factory=list)

    async def close(self) -> None:
        for c in self.clients:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(c.close(), 5)


async def start_publishers(ws: str, tokens: dict[str, str], booths: list[str]) -> Publishers:
    pubs = Publishers()

    async def client(who: str) -> MediaClient:
        c = MediaClient(ws, tokens[who])
        pubs.clients.append(c)
        await c.open()
        return c

    try:
        chair = await client("chair")
        speaker = await client("speaker")
        ready = await speaker.join(ToneTrack(SPEAKER_HZ), video=False)
        assert ready["type"] == "media_ready", ready
        for cmd in ({"type": "raise_hand", "person": "speaker"}, {"type": "grant_floor"}):
            ack = await chair.command(cmd)
            assert ack["type"] == "ack", ack
        for lang, hz in zip(booths, BOOTH_HZ, strict=False):
            interp = await client(f"interp-{lang}")
            ready = await interp.join(ToneTrack(hz), video=False)
            assert ready["type"] == "media_ready", ready
            ack = await interp.command({"type": "take_booth"})
            assert ack["type"] == "ack", ack
        for c in pubs.clients:  # publishers need not hear anything: keep the harness light
            if c.pc is not None:
                for transceiver in c.pc.getTransceivers():
                    transceiver.receiver._enabled = False
    except BaseException:
        await pubs.close()
        raise
    return pubs


# ---------------------------------------------------------------------------------------------
# one mode's sweep


@dataclass
class Row:
    mode: str
    m: int
    window: float
    server: float  # cores
    listeners_cpu: float
    harness_cpu: float  # this process
    others: float  # cores busy outside the three processes
    cpu0: float
    cpu1: float
    res: dict[str, Any]
    stats: dict[str, Any]
    joined: dict[str, Any]

    @property
    def loss(self) -> float:
        return self.res["frames_missing_pct"]

    @property
    def harness(self) -> float:
        return self.listeners_cpu + self.harness_cpu


def fmt_heard(res: dict[str, Any], booths: list[str]) -> str:
    want = {lang: hz for lang, hz in zip(booths, BOOTH_HZ, strict=False)}
    out = []
    for h in res["heard"]:
        ok = abs(h["floor_hz"] - SPEAKER_HZ) < 5 and abs(h["channel_hz"] - want.get(h["channel"], -99)) < 5
        out.append(f"{h['floor_hz']:.0f}/{h['channel_hz']:.0f}{'' if ok else '!'}")
    return " ".join(out) or "-"


def print_head() -> None:
    print(
        f"{'mode':<8}{'M':>5}{'server':>8}{'ms/lst':>8}{'harn':>6}{'other':>6}{'pkt/s':>8}{'ms':>4}"
        f"{'seq%':>7}{'miss%':>7}{'>1%':>5}{'jit ms':>7}{'p99':>6}{'gap':>6}"
        f"{'skip':>5}{'drop':>6}{'lag99/max ms':>14}{'hlag99':>7}  heard (Hz floor/channel)",
        flush=True,
    )


def print_row(r: Row, base: Row | None, booths: list[str]) -> None:
    marginal = (r.server - base.server) / r.m * 1000 if base and r.m else float("nan")
    lag = r.stats.get("lag", {})
    res = r.res
    print(
        f"{r.mode:<8}{r.m:>5}{r.server:>8.3f}{marginal:>8.2f}{r.harness:>6.2f}{r.others:>6.2f}"
        f"{res['packets_per_s']:>8.0f}{res.get('packet_ms', 0):>4.0f}"
        f"{res['seq_lost_pct']:>7.2f}{res['frames_missing_pct']:>7.2f}"
        f"{res['streams_over_1pct']:>5}{res['jitter_mean_ms']:>7.2f}{res['jitter_p99_ms']:>6.1f}"
        f"{res['gap_max_ms']:>6.0f}{r.stats.get('skipped_window', 0):>5}{r.stats.get('dropped_window', 0):>6}"
        f"{lag.get('p99_ms', 0):>7.1f}/{lag.get('max_ms', 0):<6.0f}{res['harness_lag_p99_ms']:>7.1f}"
        f"  {fmt_heard(res, booths)}",
        flush=True,
    )


async def run_mode(mode: str, counts: list[int], args: argparse.Namespace, stop_at_loss: bool) -> list[Row]:
    booths = LANGUAGES[1 : args.channels + 1]
    data_dir = tempfile.mkdtemp(prefix="mayday-media-bench-")
    server: Child | None = None
    listeners: Child | None = None
    pubs: Publishers | None = None
    rows: list[Row] = []
    try:
        port = free_port()
        cmd = [sys.executable, str(HERE / "media_server.py"), "--port", str(port), "--data", data_dir]
        cmd += ["--secret", SECRET] + (["--per-listener-encode"] if mode == "encode" else [])
        cmd += ["--audio-packet-ms", str(args.packet_ms)] if args.packet_ms else []
        server = await Child.start(f"{mode} server", cmd, 1 if args.pin else None)
        base = f"http://{HOST}:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            r = await http.post(
                "/api/assemblies",
                content=json.dumps(definition(args.channels)),
                headers={"authorization": f"Bearer {server.info['admin']}"},
            )
        assert r.status_code == 201, r.text
        made = r.json()
        tokens = {
            pid: url.split("#t=", 1)[1]
            for group in ("chairs", "delegates", "interpreters")
            for pid, url in made[group].items()
        }
        ws = f"ws://{HOST}:{port}/ws/assembly/{made['id']}"
        pubs = await start_publishers(ws, tokens, booths)
        cmd = [sys.executable, str(HERE / "media_listeners.py"), "--ws", ws, "--token"]
        cmd += [made["viewer"].split("#t=", 1)[1], "--decoders", str(args.decoders)]
        cmd += ["--concurrency", str(args.concurrency)]
        listeners = await Child.start(f"{mode} listeners", cmd, 0 if args.pin else None)
        await asyncio.sleep(1)
        print(f"\n== {mode}: server pid {server.pid}, listeners pid {listeners.pid}", flush=True)
        print_head()
        total = 0
        base_row: Row | None = None
        await server.ask("stats", 10)  # starts the server's loop-lag window
        for m in counts:
            if INTERRUPTED:  # a cancellation that something swallowed
                raise asyncio.CancelledError
            joined: dict[str, Any] = {"added": 0, "failed": 0, "s": 0.0}
            if m > total:
                # With more listeners than decoders, the decoders are the first to join.
                joined = await listeners.ask(
                    json.dumps({"cmd": "add", "n": m - total, "channels": booths}), 60 + 2 * (m - total)
                )
                total = joined["total"]
                if joined["failed"]:
                    print(f"   {joined['failed']} joins failed: {joined['errors'][:2]}", flush=True)
            await asyncio.sleep(args.warmup)
            row = await measure(mode, total, joined, server, listeners, args)
            for _ in range(args.attempts - 1):
                if row.others <= args.max_others:
                    break
                print(f"   (other processes kept {row.others:.2f} cores busy: measuring M = {total} again)", flush=True)
                again = await measure(mode, total, joined, server, listeners, args)
                row = again if again.others < row.others else row
            if total == 0:
                base_row = row
            rows.append(row)
            print_row(row, base_row, booths)
            if stop_at_loss and row.loss >= LOSS_LIMIT:
                break
            if total < m and joined.get("failed", 0) > max(2, (m - total) // 10):
                print(f"   stopping {mode}: too many failed joins", flush=True)
                break
    finally:
        if listeners is not None:
            with contextlib.suppress(Exception):
                await listeners.ask(json.dumps({"cmd": "quit"}), 90)
            await listeners.stop(10)
        if pubs is not None:
            await pubs.close()
        if server is not None:
            await server.stop(30)
        shutil.rmtree(data_dir, ignore_errors=True)
    return rows


async def measure(
    mode: str, total: int, joined: dict[str, Any], server: Child, listeners: Child, args: argparse.Namespace
) -> Row:
    """One window: CPU of every process and of the machine, the listeners' figures, the hub's."""
    await listeners.ask(json.dumps({"cmd": "start"}), 30)
    before = await server.ask("stats", 10)
    pids = (server.pid, listeners.pid, os.getpid())
    t0, c0, b0 = time.monotonic(), [cpu_s(p) for p in pids], cpus_busy_s()
    spy = await start_py_spy(args, server.pid, f"{mode}-{total}")
    await asyncio.sleep(args.window)
    t1, c1, b1 = time.monotonic(), [cpu_s(p) for p in pids], cpus_busy_s()
    if spy is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(spy.wait(), 30)
    stats = await server.ask("stats", 60)  # a saturated server answers late, but answers
    res = await listeners.ask(json.dumps({"cmd": "stop"}), 120)
    stats["skipped_window"] = stats["skipped"] - before["skipped"]
    stats["dropped_window"] = stats["dropped"] - before["dropped"]
    dt = t1 - t0
    server_c, lst_c, h_c = ((b - a) / dt for a, b in zip(c0, c1, strict=True))
    busy = (b1["cpu"] - b0["cpu"]) / dt
    return Row(
        mode=mode,
        m=total,
        window=dt,
        server=server_c,
        listeners_cpu=lst_c,
        harness_cpu=h_c,
        others=max(0.0, busy - server_c - lst_c - h_c),
        cpu0=(b1.get("cpu0", 0) - b0.get("cpu0", 0)) / dt,
        cpu1=(b1.get("cpu1", 0) - b0.get("cpu1", 0)) / dt,
        res=res,
        stats=stats,
        joined=joined,
    )


async def start_py_spy(args: argparse.Namespace, pid: int, label: str) -> asyncio.subprocess.Process | None:
    """py-spy samples the server during the window (raw/collapsed stacks), itself on CPU 0. (Not the
    listener process: with three aiortc threads per listener, py-spy cannot keep its rate there.)"""
    if not args.py_spy:
        return None
    out = f"{args.py_spy}-{label}.txt"
    cmd = ["py-spy", "record", "--pid", str(pid), "--duration", str(int(args.window)), "--rate", "200"]
    cmd += ["--format", "raw", "--output", out, "--threads", "--nonblocking"]
    return await asyncio.create_subprocess_exec(
        *cmd, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, preexec_fn=child_setup(0)
    )


# ---------------------------------------------------------------------------------------------
# the report


def best_under(rows: list[Row]) -> Row | None:
    ok = [r for r in rows if r.m > 0 and r.loss < LOSS_LIMIT]
    return max(ok, key=lambda r: r.m) if ok else None


def marginal_ms(rows: list[Row], r: Row) -> float:
    """Server CPU per listener above the M = 0 run (publishers, mixing, encoding): ms per second."""
    base = next((b for b in rows if b.m == 0), None)
    return (r.server - (base.server if base else 0.0)) / r.m * 1000 if r.m else float("nan")


def slope(rows: list[Row]) -> tuple[float, float, int] | None:
    """Least-squares server cores = fixed + per_listener x M over the unsaturated windows (server
    below SATURATED cores, loss under 1 %): (fixed cores, ms/s per listener, points)."""
    pts = [(r.m, r.server) for r in rows if r.server < SATURATED and r.loss < LOSS_LIMIT]
    if len({m for m, _ in pts}) < 2:
        return None
    n = len(pts)
    mx, my = sum(m for m, _ in pts) / n, sum(c for _, c in pts) / n
    b = sum((m - mx) * (c - my) for m, c in pts) / sum((m - mx) ** 2 for m, _ in pts)
    return my - b * mx, b * 1000, n


def report(fwd: list[Row], enc: list[Row], args: argparse.Namespace, cores: int, model: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    print(f"\n{cores} cores ({model}); floor + {args.channels} interpretation channels; window {args.window:.0f} s")
    fits = {}
    for name, rows in (("forward", fwd), ("encode", enc)):
        fit = slope(rows)
        top = best_under(rows)
        if top:
            print(
                f"{name}: highest M with audio missing < {LOSS_LIMIT:.0f} %: {top.m} listeners (loss {top.loss:.2f} %, "
                f"server {top.server:.2f} cores, harness {top.harness:.2f} cores = listener process "
                f"{top.listeners_cpu:.2f} + publishers/driver {top.harness_cpu:.2f}; CPU 0 busy {top.cpu0:.2f}, "
                f"CPU 1 busy {top.cpu1:.2f}) -> {top.m / top.server:.0f} listeners per server core"
            )
            out[f"{name}_max_m"] = top.m
            out[f"{name}_listeners_per_core"] = top.m / top.server
            if top is rows[-1]:
                print("  (the sweep ended before missing audio reached 1 %: the limit is higher)")
        if fit:
            fits[name] = fit
            print(
                f"  fit over {fit[2]} unsaturated windows (server < {SATURATED} cores): fixed {fit[0]:.3f} cores "
                f"+ {fit[1]:.2f} ms/s per listener -> {1000 * (1 - fit[0]) / fit[1]:.0f} listeners on one core"
            )
            out[f"{name}_fixed_cores"], out[f"{name}_ms_per_listener"] = fit[0], fit[1]
    if "forward" in fits and "encode" in fits:
        ratio = fits["encode"][1] / fits["forward"][1]
        print(f"CPU per listener, encode / forward: {ratio:.1f}x")
        out["ratio_per_listener"] = ratio
    if "forward_max_m" in out and "encode_max_m" in out:
        print(f"listeners under 1 % loss, forward / encode: {out['forward_max_m'] / out['encode_max_m']:.1f}x")
    for e in enc:
        f = next((f for f in fwd if f.m == e.m and e.m > 0), None)
        if f is None:
            continue
        flag = " (encode missed audio: saturated, its CPU is capped)" if e.loss >= LOSS_LIMIT else ""
        print(
            f"  M = {e.m}: server CPU encode {e.server:.3f} / forward {f.server:.3f} cores = "
            f"{e.server / f.server:.1f}x total; above M = 0: {marginal_ms(enc, e):.1f} / {marginal_ms(fwd, f):.1f} "
            f"ms/s per listener = {marginal_ms(enc, e) / marginal_ms(fwd, f):.1f}x{flag}"
        )
    return out


def parse_counts(text: str) -> list[int]:
    return sorted({int(x) for x in text.split(",") if x.strip()})


def machine() -> tuple[int, str]:
    cores = os.cpu_count() or 1
    model = next(
        (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in ln),
        "?",
    )
    return cores, model


async def amain(args: argparse.Namespace, cores: int, model: str) -> tuple[list[Row], list[Row]]:
    import aiortc
    import av

    # Ctrl-C or SIGTERM: cancel the sweep; run_mode's finally blocks stop the children in order.
    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    assert task is not None

    def interrupt(sig: int) -> None:
        INTERRUPTED.append(sig)
        task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, interrupt, sig)

    print(
        f"{cores} cores ({model}); python {sys.version.split()[0]}, aiortc {aiortc.__version__}, "
        f"PyAV {av.__version__}; {'server on CPU 1, listeners and harness on CPU 0' if args.pin else 'no pinning'}; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(
        "columns: server = server cores; ms/lst = server CPU per listener above M = 0 (ms per s); "
        "harn = listener process + this harness (cores); other = other processes' cores; "
        "seq% = sequence gaps; ms = audio per packet; miss% = audio missing (packets absent from "
        "the RTP timeline); >1% = streams missing over 1 %; jit = RFC 3550 jitter mean, p99 (ms); "
        "gap = longest gap between two packets of a stream (ms); skip/drop = the hub's skipped "
        "ticks / queue drops in the window; lag = server loop lateness; hlag99 = the listener "
        "process's loop lateness, p99 (ms)",
        flush=True,
    )
    fwd: list[Row] = []
    enc: list[Row] = []
    if not args.only or args.only == "forward":
        fwd = await run_mode("forward", args.listeners, args, stop_at_loss=True)
    if not args.only or args.only == "encode":
        enc = await run_mode("encode", args.encode_listeners, args, stop_at_loss=True)
    return fwd, enc


def write_json(path: str, args: argparse.Namespace, cores: int, model: str, summary: dict, rows: list[Row]) -> None:
    out = [
        {
            "mode": r.mode,
            "m": r.m,
            "window_s": r.window,
            "server_cores": r.server,
            "listener_proc_cores": r.listeners_cpu,
            "harness_cores": r.harness_cpu,
            "other_cores": r.others,
            "cpu0": r.cpu0,
            "cpu1": r.cpu1,
            "listeners": r.res,
            "server_stats": r.stats,
            "joined": r.joined,
        }
        for r in rows
    ]
    Path(path).write_text(
        json.dumps({"args": vars(args), "cores": cores, "cpu": model, "summary": summary, "rows": out}, indent=1)
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--channels", type=int, default=2, help="interpretation channels N (booths), 1-9")
    ap.add_argument(
        "--listeners",
        type=parse_counts,
        default=parse_counts("0,10,25,50,75,100,125,150,175,200,225,250,300,400,500,600,800"),
        help="forward mode: listener counts M, in order (0 = publishers only, the fixed cost)",
    )
    ap.add_argument(
        "--encode-listeners",
        type=parse_counts,
        default=parse_counts("0,2,4,6,8,10,15,20,25"),
        help="per-listener-encode mode: listener counts M",
    )
    ap.add_argument("--window", type=float, default=10.0, help="seconds measured at each M")
    ap.add_argument("--warmup", type=float, default=4.0, help="seconds between the last join and the window")
    ap.add_argument(
        "--packet-ms",
        type=int,
        choices=[20, 40, 60],
        help="forwarded audio per RTP packet (MediaSettings.audio_packet_ms, where the hub has it); default: the hub's",
    )
    ap.add_argument("--decoders", type=int, default=2, help="listeners that decode and check the audio")
    ap.add_argument("--concurrency", type=int, default=8, help="listener joins in flight at once")
    ap.add_argument("--only", choices=["forward", "encode"])
    ap.add_argument(
        "--max-others",
        type=float,
        default=0.25,
        help="cores other processes may keep busy in a window before it is measured again",
    )
    ap.add_argument("--attempts", type=int, default=3, help="windows at most per M (the least disturbed is kept)")
    ap.add_argument("--quick", action="store_true", help="smoke run: M 0,5,20 (encode 0,5), 3 s windows")
    ap.add_argument("--no-pin", dest="pin", action="store_false", help="do not pin server/listeners to CPUs")
    ap.add_argument("--json", help="also write every row to this file")
    ap.add_argument(
        "--py-spy", metavar="PREFIX", help="py-spy the server in every window: PREFIX-<mode>-<M>.txt (raw stacks)"
    )
    args = ap.parse_args()
    if not 1 <= args.channels <= len(BOOTH_HZ):
        ap.error(f"--channels must be 1..{len(BOOTH_HZ)}")
    if args.quick:
        args.listeners, args.encode_listeners = [0, 5, 20], [0, 5]
        args.window, args.warmup = 3.0, 2.0
    if args.pin and len(os.sched_getaffinity(0)) < 2:
        args.pin = False
    if args.pin:
        os.sched_setaffinity(0, {0})
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    # The publishers are aiortc peers in this process: gather on loopback, as the server does.
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [HOST]  # type: ignore[assignment]
    cores, model = machine()
    try:
        fwd, enc = asyncio.run(amain(args, cores, model))
    except (KeyboardInterrupt, asyncio.CancelledError):
        if not INTERRUPTED:
            raise
        print(f"\ninterrupted by signal {INTERRUPTED[0]}; every child process was stopped", file=sys.stderr)
        return 130
    summary = report(fwd, enc, args, cores, model)
    if args.json:
        write_json(args.json, args, cores, model, summary, fwd + enc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
