"""Fan-out benchmark: N board clients on loopback receive relay events; mayday vs a bare broadcast.

    python bench/fanout_bench.py                     # mayday (sansio, no deflate) + bare baseline
    python bench/fanout_bench.py --variants          # + legacy websockets, wsproto, deflate on/off
    python bench/fanout_bench.py --clients 2000 --burst 20 --rounds 3 --spaced 20 --handoffs 5

Each server runs in its own process (bench/fanout_servers.py), pinned to CPU 1; this harness is
pinned to CPU 0 (``--no-pin`` to let the scheduler choose). The harness is one process driving all
N connections with a hand-written RFC 6455 client on a plain epoll loop -- no asyncio and no
websockets client on this side -- so that receiving costs a few microseconds a frame and the
servers, not the harness, are what is measured. It prints the harness's and the server's CPU
use during each burst, so you can see which side was saturated.

For every server:

1. start it, (mayday) create a relay through ``POST /api/relays`` with the admin token it printed;
2. warm up (a few connections opened and closed), read the server's VmRSS, open N board
   connections (``{"type": "hello", "token": null, "after": <current offset>}`` -> welcome),
   idle a second, read VmRSS again: memory per idle connection = (after - before) / N;
3. (mayday, ``--handoffs``) wait for K real ``baton_passed`` events fired by the relay's own timer;
   latency = receive wall-clock time - the event's ``at`` (when the server decided it);
4. spaced: ``--spaced`` single events, one every ``--interval`` s; latency = receive time - the
   time the trigger frame was written (same clock, this process);
5. burst: ``--rounds`` x ``--burst`` events written back to back; throughput = N x K deliveries /
   (last delivery - trigger), and the latency of every delivery.

Triggers: for mayday a ``dispatch`` command on a coordinator WebSocket (the server's own limits
stay: 10 commands/s, burst 30, so a burst is at most 30 and rounds are spaced to refill); the
dispatch text is padded so the frame has the byte length of a real ``baton_passed`` frame. For the
bare server the control connection sends that real ``baton_passed`` frame and the server
``websockets.broadcast``-s it. Mayday's frames are checked for gaps/duplicates by offset.

Not a test: nothing here is collected by pytest. Every wait has a deadline; every loop is counted.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import gc
import importlib.util
import json
import os
import resource
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"  # loopback only
SERVERS = Path(__file__).resolve().parent / "fanout_servers.py"
TAIL = b"\x00\x00\xff\xff"
EVENT_PREFIX = b'{"type":"event"'
BATCH_PREFIX = b'{"type":"events"'
EXPAND_BATCHES = True  # one entry per event (offset checks); vote_bench.py counts in the raw frames
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------
# A minimal RFC 6455 client connection (text frames, ping/pong, close, permessage-deflate in).


def ws_frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame."""
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    mask = os.urandom(4)
    key = (mask * (n // 4 + 1))[:n]
    body = (int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")).to_bytes(n, "little")
    return head + mask + body


class Counter:
    events = 0


class Conn:
    __slots__ = ("buf", "close_code", "closed", "events", "inflater", "open", "others", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""
        self.open = False
        self.inflater: Any = None
        self.events: list[tuple[float, float, bytes]] = []  # (monotonic, wall, frame) per event
        self.others: list[bytes] = []  # welcome, ack, error, ... frames
        self.close_code: int | None = None
        self.closed = False

    def send_text(self, text: str) -> None:
        self.sock.sendall(ws_frame(0x1, text.encode()))

    def feed(self, data: bytes, now: float, wall: float) -> None:
        if self.buf:
            data = self.buf + data
        pos, n = 0, len(data)
        if not self.open:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                self.buf = data
                return
            head = data[:end].decode("latin-1").split("\r\n")
            if " 101 " not in head[0] + " ":
                raise RuntimeError(f"handshake refused: {head[0]}")
            for line in head[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "sec-websocket-extensions" and "permessage-deflate" in value:
                    self.inflater = zlib.decompressobj(-15)
            self.open = True
            pos = end + 4
        events = self.events
        while n - pos >= 2:
            b0, ln = data[pos], data[pos + 1] & 0x7F
            h = pos + 2
            if ln == 126:
                if n - pos < 4:
                    break
                ln, h = int.from_bytes(data[pos + 2 : pos + 4], "big"), pos + 4
            elif ln == 127:
                if n - pos < 10:
                    break
                ln, h = int.from_bytes(data[pos + 2 : pos + 10], "big"), pos + 10
            end = h + ln
            if end > n:
                break
            payload, pos = data[h:end], end
            if b0 & 0x40:
                payload = self.inflater.decompress(payload + TAIL)
            op = b0 & 0x0F
            if op == 0x1:
                if payload[:15] == EVENT_PREFIX:
                    events.append((now, wall, payload))
                    Counter.events += 1
                elif payload[:16] == BATCH_PREFIX and not EXPAND_BATCHES:
                    events.append((now, wall, payload))  # the caller counts what is inside
                elif payload[:16] == BATCH_PREFIX:  # several events in one frame: one entry each
                    for e in json.loads(payload)["events"]:
                        events.append((now, wall, json.dumps({"type": "event", **e}).encode()))
                        Counter.events += 1
                else:
                    self.others.append(payload)
            elif op == 0x9:
                self.sock.send(ws_frame(0xA, payload))
            elif op == 0x8:
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self.closed = True
        self.buf = data[pos:]

    def recv_blocking(self, until: Any, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not until():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from the server")
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("server closed the connection")
            self.feed(data, time.monotonic(), time.time())


def handshake_request(port: int, path: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        # What browsers offer: the server decides whether to compress.
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
    ).encode()


def open_many(
    port: int, path: str, hello: str, count: int, batch: int = 200, loop: Loop | None = None, timeout: float = 10.0
) -> list[Conn]:
    """Open ``count`` connections and complete hello -> welcome on each (blocking, in batches).
    With ``loop``, each batch joins it once open, and the loop reads what has come in between
    batches: the server pings every connection after 20 s and closes one that has not answered
    20 s later, and opening 10,000 can take longer than that."""
    out: list[Conn] = []
    while len(out) < count:
        if loop is not None:
            loop.poll_once()
        group = []
        for _ in range(min(batch, count - len(out))):
            sock = socket.create_connection((HOST, port), timeout=10)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(handshake_request(port, path))
            group.append(Conn(sock))
        for c in group:
            c.recv_blocking(lambda c=c: c.open, timeout)
            c.send_text(hello)
        for c in group:
            c.recv_blocking(lambda c=c: bool(c.others), timeout)
            if c.closed or b'"welcome"' not in c.others[0]:
                raise RuntimeError(f"no welcome: {c.others[0][:200]!r}")
            c.sock.setblocking(False)
        out.extend(group)
        if loop is not None:
            loop.add(group)
    return out


class Loop:
    """A plain epoll loop over every connection: recv, stamp, parse."""

    def __init__(self) -> None:
        self.ep = select.epoll()
        self.by_fd: dict[int, Conn] = {}

    def add(self, conns: list[Conn]) -> None:
        for c in conns:
            fd = c.sock.fileno()
            self.by_fd[fd] = c
            self.ep.register(fd, select.EPOLLIN)
            if c.buf and c.open:  # bytes that arrived with the welcome
                c.feed(b"", time.monotonic(), time.time())

    def pump(self, until: Any, deadline: float) -> bool:
        ep, mono = self.ep, time.monotonic
        while not until():
            left = deadline - mono()
            if left <= 0:
                return False
            for fd, _ in ep.poll(min(left, 0.05), 8192):
                self._read(fd)
        return True

    def poll_once(self) -> None:
        """Read whatever has arrived, without waiting."""
        now, wall = time.monotonic(), time.time()
        for fd, _ in self.ep.poll(0, 8192):
            self._read(fd, now, wall)

    def _read(self, fd: int, now: float | None = None, wall: float | None = None) -> None:
        """One ready connection: feed what it sent, stamped ``now``/``wall`` (default: once it is
        read), or mark it closed."""
        c = self.by_fd[fd]
        try:
            data = c.sock.recv(262144)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            c.closed = True
            self.ep.unregister(fd)
            return
        c.feed(data, time.monotonic() if now is None else now, time.time() if wall is None else wall)

    def idle(self, seconds: float) -> None:
        self.pump(lambda: False, time.monotonic() + seconds)

    def close(self) -> None:
        for c in self.by_fd.values():
            with contextlib.suppress(OSError):
                c.sock.close()
        self.ep.close()


# ---------------------------------------------------------------------------------------------
# Servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime, all threads


@dataclass
class Server:
    proc: subprocess.Popen[str]
    port: int
    info: dict[str, Any]
    data_dir: str | None
    gc_file: str = ""
    gc: dict[str, Any] | None = None  # the server's garbage-collector pauses, read when it stops

    @property
    def pid(self) -> int:
        return self.info["pid"]

    def stop(self) -> None:
        if self.gc_file and self.proc.poll() is None:
            os.kill(self.pid, signal.SIGUSR2)  # write the gc log now (stopping may end in a kill)
            for _ in range(100):
                if os.path.getsize(self.gc_file):
                    break
                time.sleep(0.05)
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        if self.gc_file:
            with contextlib.suppress(OSError, ValueError):
                self.gc = json.loads(Path(self.gc_file).read_text())
            with contextlib.suppress(OSError):
                os.unlink(self.gc_file)


def gc_during(servers: list[Server], windows: list[tuple[float, float]], opened: float) -> dict[str, Any]:
    """The servers' full (generation 2) collections: how many, the longest, those over 20 ms once
    every board was connected (``opened``, monotonic), and the pauses over 20 ms that overlapped
    one of ``windows`` (trigger to last delivery)."""
    full = [s.gc["2"] for s in servers if s.gc]
    long = [(t, ms) for s in servers if s.gc for g in ("0", "1", "2") for t, ms in s.gc[g]["long"]]
    after = [(t - opened, ms) for s in servers if s.gc for t, ms in s.gc["2"]["long"] if t >= opened]
    hit = [ms for t, ms in long if any(a - ms / 1000 <= t <= b for a, b in windows)]
    return {
        "full_collections": sum(f["count"] for f in full),
        "full_max_ms": max((f["max_ms"] for f in full), default=0.0),
        "full_over_20ms_once_connected_ms": [round(ms, 1) for _, ms in sorted(after)],
        "their_start_s_after_connected": [round(t, 1) for t, _ in sorted(after)],
        "pauses_over_20ms_during_events": len(hit),
        "their_ms": [round(ms, 1) for ms in hit],
    }


def start_server(
    kind: str,
    ws: str,
    deflate: bool,
    cpu: int | None,
    src: str | None = None,
    *,
    trace: str | None = None,
    env_extra: dict[str, str] | None = None,
) -> Server:
    port = free_port()
    cmd = [sys.executable, str(SERVERS), kind, "--port", str(port)] + (["--src", src] if src else [])
    data_dir = None
    if kind == "mayday":
        data_dir = tempfile.mkdtemp(prefix="mayday-bench-")
        cmd += ["--data", data_dir]
        if ws != "websockets-sansio" or deflate:
            cmd += ["--ws", ws]
    if deflate:
        cmd.append("--deflate")
    if trace:
        cmd += ["--trace-memory", trace]
    gc_file = tempfile.mkstemp(prefix="fanout-gc-", suffix=".json")[1]
    cmd += ["--gc-log", gc_file]
    env = dict(os.environ, MAYDAY_SECRET="bench-secret-" + base64.b32encode(os.urandom(10)).decode())
    env.update(env_extra or {})
    preexec = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT, preexec_fn=preexec)
    assert proc.stdout is not None
    # tracemalloc makes the imports several times slower, more so on a busy machine
    ready, _, _ = select.select([proc.stdout], [], [], 300 if trace else 60)
    line = proc.stdout.readline() if ready else ""
    if not line:
        proc.kill()
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
        os.unlink(gc_file)
        raise RuntimeError(f"{kind} server did not start")
    return Server(proc, port, json.loads(line), data_dir, gc_file)


# ---------------------------------------------------------------------------------------------
# The relay under test and a real baton_passed frame


def relay_definition(first: dt.datetime, handoffs: int) -> dict[str, Any]:
    """``handoffs`` sites whose legs start one second apart from ``first`` (UTC): one handoff each."""
    sites = []
    for i in range(max(handoffs, 2)):
        at = first + dt.timedelta(seconds=i)
        sites.append(
            {
                "id": f"site{i}",
                "name": f"Bench site {i}",
                "tz": "UTC",
                "legs": {"date": at.date().isoformat(), "start": at.strftime("%H:%M:%S"), "duration": "1h"},
            }
        )
    return {"name": "fan-out bench", "checkin_grace": "10m", "board": "public", "sites": sites}


def create_relay(server: Server, first: dt.datetime, handoffs: int) -> tuple[str, str, int]:
    """A relay on ``server`` (its admin token): its socket path, coordinator token, current offset."""
    import httpx

    with httpx.Client(base_url=f"http://{HOST}:{server.port}", timeout=30) as http:
        r = http.post(
            "/api/relays",
            content=json.dumps(relay_definition(first, handoffs)),
            headers={"authorization": f"Bearer {server.info['admin']}"},
        )
        r.raise_for_status()
        relay = r.json()
        offset = http.get(f"/api/relays/{relay['id']}").json()["offset"]
    return f"/ws/relay/{relay['id']}", relay["coordinator"].split("#t=", 1)[1], offset


def real_baton_frame() -> str:
    """A baton_passed frame as mayday sends it, produced by the real decider and encoder."""
    from mayday.hub import encode_event
    from mayday.log import Record
    from mayday.log.base import encode_data
    from relay.commands import CreateRelay, Tick
    from relay.decide import decide
    from relay.spec import parse_spec
    from relay.state import RelayState, evolve

    first = dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC)
    spec = parse_spec(relay_definition(first, 3))

    state = RelayState()
    for e in decide(state, CreateRelay("AbCdEfGh", spec), first):
        state = evolve(state, e.type, e.data)
    events = decide(state, Tick(), first + dt.timedelta(seconds=1, milliseconds=12))
    baton = events[1]  # site0 -> site1
    assert baton.type == "baton_passed"
    data = json.loads(encode_data(baton.data))  # as read back from the log
    return encode_event(Record("relay:AbCdEfGh", 1234, baton.type, data))


# ---------------------------------------------------------------------------------------------
# Measurements


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


def lat_row(values: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values]
    return {"n": len(ms), "p50": pct(ms, 50), "p99": pct(ms, 99), "max": max(ms) if ms else float("nan")}


def machine_busy_s() -> float:
    """CPU seconds spent busy by all cores so far (user, nice, system, irq, softirq, steal)."""
    f = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    return sum(int(f[i]) for i in (0, 1, 2, 5, 6, 7)) / CLK_TCK


@dataclass
class Result:
    name: str
    clients: int
    connect_s: list[float] = field(default_factory=list)
    kib_per_conn: list[float] = field(default_factory=list)
    handoff_lats: list[float] = field(default_factory=list)
    handoff_timer_late_ms: float | None = None
    spaced_lats: list[float] = field(default_factory=list)
    burst_lats: list[float] = field(default_factory=list)
    rounds: list[dict[str, float]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # several processes on one Redis: per process, KiB per idle connection and one-event latencies
    proc_kib: list[list[float]] = field(default_factory=list)
    proc_spaced: list[list[float]] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)  # 1-minute load average at the start of each run
    runs: list[dict[str, Any]] = field(default_factory=list)  # each run's own figures (medians, spread)
    spaced_cpu_us: float = 0.0  # this run's server CPU per delivery of a single event

    def merge(self, other: Result) -> None:
        for name in ("connect_s", "kib_per_conn", "handoff_lats", "spaced_lats", "burst_lats", "rounds", "problems"):
            getattr(self, name).extend(getattr(other, name))
        self.handoff_timer_late_ms = self.handoff_timer_late_ms or other.handoff_timer_late_ms
        self.loads += other.loads
        self.runs += other.runs
        for mine, theirs in ((self.proc_kib, other.proc_kib), (self.proc_spaced, other.proc_spaced)):
            while len(mine) < len(theirs):
                mine.append([])
            for m, t in zip(mine, theirs, strict=False):
                m.extend(t)

    def throughput(self, how: str = "best") -> float:
        rates = [r["deliveries_per_s"] for r in self.rounds]
        if not rates:
            return 0.0
        return max(rates) if how == "best" else statistics.median(rates)

    def cpu_us(self) -> float:
        """Median server CPU time per delivery during the bursts, in microseconds."""
        return statistics.median(r["server_cpu_us_per_delivery"] for r in self.rounds) if self.rounds else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "clients": self.clients,
            "kib_per_idle_connection": statistics.median(self.kib_per_conn),
            "connect_s": statistics.median(self.connect_s),
            "handoff_latency_ms": lat_row(self.handoff_lats) if self.handoff_lats else None,
            "handoff_timer_late_ms": self.handoff_timer_late_ms,
            "spaced_latency_ms": lat_row(self.spaced_lats),
            "burst_latency_ms": lat_row(self.burst_lats),
            "deliveries_per_s_best": self.throughput("best"),
            "deliveries_per_s_median": self.throughput("median"),
            "server_cpu_us_per_delivery": self.cpu_us(),
            "rounds": self.rounds,
            "problems": self.problems,
            "load_average_at_start": self.loads,
            "runs": self.runs,
            "per_process": [
                {"kib_per_idle_connection": k, "spaced_latency_ms": lat_row(sp)}
                for k, sp in zip(self.proc_kib, self.proc_spaced, strict=True)
            ],
        }


@dataclass
class Case:
    kind: str  # bare | mayday
    ws: str = "websockets-sansio"
    deflate: bool = False
    src: tuple[str, str] | None = None  # (label, source tree)
    redis: int = 0  # mayday: that many processes on one Redis (0: one process on SQLite)

    @property
    def name(self) -> str:
        name = "bare websockets.broadcast" if self.kind == "bare" else f"mayday {self.ws}"
        name += " +deflate" if self.deflate else ""
        name += f" x{self.redis} on Redis" if self.redis else ""
        return name + (f" [{self.src[0]}]" if self.src else "")


def start_redis(cpu: int | None) -> tuple[subprocess.Popen[bytes], str, str]:
    """A private redis-server on a free loopback port, as tests/conftest.py starts one (no
    persistence); (process, URL, its directory)."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not on PATH (Debian: apt-get install redis-server)")
    workdir = tempfile.mkdtemp(prefix="fanout-redis-")
    port = free_port()
    preexec = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    proc = subprocess.Popen(
        [binary, "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", workdir,
         "--logfile", os.path.join(workdir, "redis.log"), "--maxclients", "1000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=preexec,
    )  # fmt: skip
    client = redis.Redis(host=HOST, port=port, socket_connect_timeout=0.5)
    try:
        for _ in range(200):
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    return proc, f"redis://{HOST}:{port}/0", workdir
            time.sleep(0.05)
    finally:
        client.close()
    proc.kill()
    raise RuntimeError("redis-server did not answer PING")


def run_case(case: Case, args: argparse.Namespace, handoffs: int) -> Result:
    kind, ws, deflate, src = case.kind, case.ws, case.deflate, case.src
    res = Result(name=case.name, clients=args.clients)
    load = float(Path("/proc/loadavg").read_text().split()[0])
    res.loads.append(load)
    print(f"\n== {case.name} (load average {load})", flush=True)
    cpu = 1 if args.pin else None
    redis_server = start_redis(cpu) if case.redis else None
    servers: list[Server] = []
    if redis_server is not None:
        # one secret, so that the admin link and the relay's links are the same in every process
        secret = "bench-" + base64.b32encode(os.urandom(10)).decode()
        env = {"MAYDAY_REDIS_URL": redis_server[1], "MAYDAY_SECRET": secret}
        for _ in range(case.redis):
            servers.append(start_server(kind, ws, deflate, cpu, src[1] if src else None, env_extra=env))
    else:
        servers = [start_server(kind, ws, deflate, cpu, src[1] if src else None)]
    server = servers[0]  # the relay is created, and the events triggered, here
    loop = Loop()
    windows: list[tuple[float, float]] = []
    opened = float("inf")
    try:
        baton = real_baton_frame()
        if kind == "mayday":
            first = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=args.handoff_lead)
            if not handoffs:
                first += dt.timedelta(days=1)  # no handoff during the run
            path, coordinator, offset = create_relay(server, first, handoffs)
            board_hello = json.dumps({"type": "hello", "token": None, "after": offset})
            control_hello = json.dumps({"type": "hello", "token": coordinator, "after": offset})

            pad = [0]  # set from a real dispatch frame below, so frames match the baton_passed size

            def trigger(i: int) -> bytes:
                cmd = {"type": "dispatch", "text": f"bench {i:04d} " + "x" * pad[0]}
                return ws_frame(0x1, json.dumps({"type": "command", "id": i, "command": cmd}).encode())
        else:
            path = "/"
            board_hello = json.dumps({"type": "hello", "token": None, "after": 0})
            control_hello = json.dumps({"type": "hello", "token": "control", "after": 0})
            frame = ws_frame(0x1, baton.encode())

            def trigger(i: int) -> bytes:
                return frame

        for each in servers:
            for c in open_many(each.port, path, board_hello, 20):  # warm-up
                c.sock.close()
        time.sleep(0.5)
        rss0 = [rss_kib(each.pid) for each in servers]
        # the boards, spread evenly over the processes: clients[spans[i]] are process i's
        counts = [args.clients // len(servers) + (i < args.clients % len(servers)) for i in range(len(servers))]
        spans = [range(sum(counts[:i]), sum(counts[: i + 1])) for i in range(len(servers))]
        t0 = time.monotonic()
        clients = [
            c for e, n in zip(servers, counts, strict=True) for c in open_many(e.port, path, board_hello, n, loop=loop)
        ]
        opened = time.monotonic()
        res.connect_s.append(opened - t0)
        loop.idle(1.0)
        rss1 = [rss_kib(each.pid) for each in servers]
        res.kib_per_conn.append((sum(rss1) - sum(rss0)) / args.clients)
        if len(servers) > 1:
            res.proc_kib = [[(b - a) / n] for a, b, n in zip(rss0, rss1, counts, strict=True)]
        (control,) = open_many(server.port, path, control_hello, 1)
        loop.add([control])
        if kind == "mayday":  # one calibration dispatch to everyone (also a warm-up)
            control.sock.sendall(trigger(9999))
            goal = Counter.events + len(clients) + 1
            if not loop.pump(lambda: Counter.events >= goal, time.monotonic() + 20):
                raise RuntimeError("the calibration dispatch did not reach every client")
            pad[0] = max(0, len(baton.encode()) - len(control.events[-1][2]))
            offset += 1
            for c in clients:
                c.events.clear()
            control.events.clear()
            # Mayday paces fan-outs (mayday/streams.py: after one that took t, the next waits until
            # t has passed again); at 10,000 boards the calibration's would still hold back the
            # first spaced event, so that event gets the spacing the others get.
            loop.idle(args.interval)
        print(
            f"   {args.clients} connections in {res.connect_s[-1]:.1f} s; server RSS {sum(rss0)} -> {sum(rss1)} KiB = "
            f"{res.kib_per_conn[-1]:.1f} KiB per idle connection",
            flush=True,
        )
        for i, (a, b, n) in enumerate(zip(rss0, rss1, counts, strict=True)) if len(servers) > 1 else ():
            print(f"     process {i}: {n} connections, RSS {a} -> {b} KiB = {(b - a) / n:.1f} KiB per idle connection")

        def wait_all(k: int, timeout: float) -> bool:
            goal = Counter.events + k * (len(clients) + 1)  # + the control connection
            ok = loop.pump(lambda: Counter.events >= goal, time.monotonic() + timeout)
            if not ok:
                missing = sum(1 for c in clients if c.closed)
                res.problems.append(f"timeout waiting for {k} events ({missing} clients closed)")
            return ok

        # 3. real handoffs fired by the relay's timer
        if handoffs:
            starts = [len(c.events) for c in clients]
            if time.time() > first.timestamp() - 0.5:
                res.problems.append("clients were not all connected before the first handoff; raise --handoff-lead")
            else:
                wait_all(handoffs, first.timestamp() - time.time() + handoffs + 15)
                late = []
                for c, s in zip(clients, starts, strict=True):
                    for _, wall, payload in c.events[s : s + handoffs]:
                        ev = json.loads(payload)
                        if ev["event"] != "baton_passed":
                            res.problems.append(f"expected baton_passed, got {ev['event']}")
                            break
                        at = dt.datetime.fromisoformat(ev["data"]["at"].replace("Z", "+00:00")).timestamp()
                        res.handoff_lats.append(wall - at)
                        if c is clients[0]:
                            late.append(ev["data"]["late_s"] * 1000)
                res.handoff_timer_late_ms = max(late) if late else None
                print(
                    f"   handoffs x{handoffs}: {fmt_lat(lat_row(res.handoff_lats))} "
                    f"(timer late by <= {res.handoff_timer_late_ms} ms)"
                )

        # 4. spaced single events
        spaced_cpu = 0.0  # server CPU from each trigger to the last delivery, summed
        # windows: (trigger, last delivery) per event, to line up the server's GC pauses with
        for i in range(args.spaced):
            starts = [len(c.events) for c in clients]
            cpu0 = sum(cpu_s(e.pid) for e in servers)
            t_send = time.monotonic()
            control.sock.sendall(trigger(i))
            wait_all(1, 10)
            windows.append((t_send, time.monotonic()))
            spaced_cpu += sum(cpu_s(e.pid) for e in servers) - cpu0
            one = [c.events[s][0] - t_send if len(c.events) > s else None for c, s in zip(clients, starts, strict=True)]
            if len(servers) > 1:
                while len(res.proc_spaced) < len(servers):
                    res.proc_spaced.append([])
                for j, span in enumerate(spans):
                    res.proc_spaced[j] += [one[k] for k in span if one[k] is not None]
            one = [v for v in one if v is not None]
            res.spaced_lats += one
            if args.verbose:
                print(f"     event {i}: p50 {pct(one, 50) * 1000:.1f} ms, max {max(one) * 1000:.1f} ms")
            loop.pump(lambda: False, t_send + args.interval)
        res.spaced_cpu_us = spaced_cpu / max(1, len(res.spaced_lats)) * 1e6
        print(
            f"   spaced x{args.spaced} (every {args.interval:g} s): {fmt_lat(lat_row(res.spaced_lats))}; "
            f"server {res.spaced_cpu_us:.1f} CPU-us/delivery",
            flush=True,
        )
        for i, lats in enumerate(res.proc_spaced):
            print(f"     at process {i}'s boards: {fmt_lat(lat_row(lats))}")
        loop.idle(args.pause)

        # 5. bursts
        spy = None
        if args.py_spy:
            spy = subprocess.Popen(
                ["py-spy", "record", "--pid", str(server.pid), "--rate", "200", "--format", "raw",
                 "--output", f"{args.py_spy}-{case.name.replace(' ', '_')}.txt", "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                preexec_fn=(lambda: os.sched_setaffinity(0, {0})) if args.pin else None,
            )  # fmt: skip
            time.sleep(1.0)
        for r in range(args.rounds):
            starts = [len(c.events) for c in clients]
            frames = b"".join(trigger(1000 + r * args.burst + i) for i in range(args.burst))
            cpu0, hcpu0, all0 = sum(cpu_s(e.pid) for e in servers), time.process_time(), machine_busy_s()
            t_send = time.monotonic()
            control.sock.sendall(frames)
            ok = wait_all(args.burst, 60)
            t_done = time.monotonic()
            cpu1, hcpu1, all1 = sum(cpu_s(e.pid) for e in servers), time.process_time(), machine_busy_s()
            lats = []
            last = t_send
            for c, s in zip(clients, starts, strict=True):
                got = c.events[s : s + args.burst]
                lats += [t - t_send for t, _, _ in got]
                if got:
                    last = max(last, got[-1][0])
            span, wall = last - t_send, t_done - t_send
            row = {
                "deliveries": len(lats),
                "span_s": span,
                "deliveries_per_s": len(lats) / span if span > 0 else 0.0,
                "server_cpu": (cpu1 - cpu0) / wall,
                "server_cpu_us_per_delivery": (cpu1 - cpu0) / max(1, len(lats)) * 1e6,
                "harness_cpu": (hcpu1 - hcpu0) / wall,
                "other_cpu": max(0.0, (all1 - all0) - (cpu1 - cpu0) - (hcpu1 - hcpu0)) / wall,
                "complete": ok,
            }
            res.rounds.append(row)
            if args.verbose:
                hist: dict[int, int] = {}
                for v in lats:
                    hist[int(v * 10)] = hist.get(int(v * 10), 0) + 1
                print(f"     {fmt_lat(lat_row(lats))}; per 100 ms: {[hist.get(b, 0) for b in range(max(hist) + 1)]}")
            res.burst_lats += lats
            print(
                f"   burst {r + 1}/{args.rounds}: {row['deliveries']} deliveries in {span * 1000:.0f} ms = "
                f"{row['deliveries_per_s']:,.0f}/s; server {row['server_cpu_us_per_delivery']:.1f} CPU-us/delivery; "
                f"cores busy: server {row['server_cpu']:.2f}, harness {row['harness_cpu']:.2f}, "
                f"other processes {row['other_cpu']:.2f}",
                flush=True,
            )
            loop.idle(args.pause)
        if spy is not None:
            spy.send_signal(2)  # SIGINT: py-spy writes its samples and exits
            spy.wait(30)
        print(f"   burst latency: {fmt_lat(lat_row(res.burst_lats))}")

        # checks: errors on the control connection, closed clients, gaps/duplicates (mayday)
        errors = [o for o in control.others if b'"type":"error"' in o]
        if errors:
            res.problems.append(f"{len(errors)} command errors, first: {errors[0][:160]!r}")
        closed = [c for c in clients if c.closed]
        if closed:
            codes = sorted({c.close_code for c in closed}, key=str)
            res.problems.append(f"{len(closed)} clients closed by the server (codes {codes})")
        if kind == "mayday":
            expected = handoffs + args.spaced + args.rounds * args.burst
            bad = 0
            for c in clients:
                offs = [json.loads(p)["offset"] for _, _, p in c.events]
                if len(offs) != expected or offs != list(range(offset + 1, offset + 1 + len(offs))):
                    bad += 1
            if bad:
                res.problems.append(f"{bad} clients saw a gap, duplicate or missing event")
        for p in res.problems:
            print(f"   PROBLEM: {p}")
        run_cpu = [r["server_cpu_us_per_delivery"] for r in res.rounds]
        res.runs.append(
            {
                "load_average_at_start": res.loads[-1],
                "load_average_at_end": float(Path("/proc/loadavg").read_text().split()[0]),
                "kib_per_idle_connection": res.kib_per_conn[-1],
                "per_process_kib": [k[-1] for k in res.proc_kib],
                "spaced_latency_ms": lat_row(res.spaced_lats),  # res is this run's alone (merged later)
                "per_process_spaced_latency_ms": [lat_row(v) for v in res.proc_spaced],
                "server_cpu_us_per_delivery": statistics.median(run_cpu) if run_cpu else None,
                "spaced_server_cpu_us_per_delivery": res.spaced_cpu_us,
                "other_cpu_during_bursts": max((r["other_cpu"] for r in res.rounds), default=None),
            }
        )
    finally:
        loop.close()
        for each in servers:
            each.stop()
        if res.runs:
            gcs = res.runs[-1]["server_gc"] = gc_during(servers, windows, opened)
            print(
                f"   server GC: {gcs['full_collections']} full collections (longest {gcs['full_max_ms']:.0f} ms), "
                f"once every board was connected: {gcs['full_over_20ms_once_connected_ms']} ms "
                f"(at +{gcs['their_start_s_after_connected']} s); "
                f"pauses over 20 ms during single events: {gcs['their_ms']} ms",
                flush=True,
            )
        if redis_server is not None:
            redis_server[0].terminate()
            redis_server[0].wait(15)
            shutil.rmtree(redis_server[2], ignore_errors=True)
    return res


# ---------------------------------------------------------------------------------------------
# Where an idle connection's bytes go (--memory-profile)


def snapshot(server: Server, directory: str, k: int, timeout: float = 120.0) -> tuple[Any, dict[str, Any]]:
    """Ask the server (started with ``trace``) for its k-th tracemalloc snapshot and counts."""
    import tracemalloc

    os.kill(server.pid, signal.SIGUSR1)
    done = Path(directory) / f"snap-{k}.json"
    deadline = time.monotonic() + timeout
    while not done.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no snapshot {k} from the server")
        time.sleep(0.1)
    info = json.loads(done.read_text())
    return tracemalloc.Snapshot.load(str(Path(directory) / f"snap-{k}.tracemalloc")), info


def memory_profile(kind: str, args: argparse.Namespace, src: str | None = None) -> dict[str, Any]:
    """Open N idle board connections to a server run under tracemalloc; the bytes they added,
    grouped by what allocated them (``component``), and the objects and asyncio tasks per connection."""
    import tracemalloc

    name = "bare websockets.broadcast" if kind == "bare" else "mayday websockets-sansio"
    name += f" [{src}]" if src else ""
    print(f"\n== memory profile: {name}, {args.clients} idle connections", flush=True)
    trace = tempfile.mkdtemp(prefix="fanout-trace-")
    server = start_server(kind, "websockets-sansio", False, 1 if args.pin else None, src, trace=trace)
    loop = Loop()
    try:
        if kind == "mayday":
            first = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1)
            path, _, offset = create_relay(server, first, 0)
        else:
            path, offset = "/", 0
        hello = json.dumps({"type": "hello", "token": None, "after": offset})
        slow = 120.0  # tracemalloc makes the server several times slower
        for c in open_many(server.port, path, hello, 20, timeout=slow):  # warm-up
            c.sock.close()
        time.sleep(0.5)
        before, info0 = snapshot(server, trace, 0)
        clients = open_many(server.port, path, hello, args.clients, loop=loop, timeout=slow)
        loop.idle(1.0)
        after, info1 = snapshot(server, trace, 1)
        loop.idle(0.2)
        if any(c.closed for c in clients):  # every connection must still be open to count
            raise RuntimeError(f"{sum(c.closed for c in clients)} connections were closed by the server")
    finally:
        loop.close()
        server.stop()
        shutil.rmtree(trace, ignore_errors=True)
    ignore = [
        tracemalloc.Filter(False, tracemalloc.__file__),
        tracemalloc.Filter(False, "<frozen importlib._bootstrap*>"),
    ]
    before, after = before.filter_traces(ignore), after.filter_traces(ignore)
    n = args.clients
    groups: dict[str, list[int]] = {}  # allocation site -> [bytes, blocks]
    top = []
    for stat in after.compare_to(before, "traceback"):
        if not stat.size_diff:
            continue
        g = groups.setdefault(component(stat.traceback), [0, 0])
        g[0] += stat.size_diff
        g[1] += stat.count_diff
        top.append(stat)
    traced = sum(g[0] for g in groups.values())
    rss = (info1["rss_kib"] - info0["rss_kib"]) * 1024
    print(f"   RSS +{rss / n / 1024:.1f} KiB per connection; traced by tracemalloc +{traced / n / 1024:.1f} KiB")
    tasks = f"{(info1['tasks'] - info0['tasks']) / n:.2f} ({info0['tasks']} -> {info1['tasks']} in the process)"
    print(f"   asyncio tasks per connection: {tasks}")
    print(f"   {'bytes/conn':>10}{'blocks/conn':>12}  allocated at (innermost frame outside the stdlib)")
    for comp, (size, count) in sorted(groups.items(), key=lambda kv: -kv[1][0]):
        if abs(size) / n >= 8:
            print(f"   {size / n:>10.0f}{count / n:>12.1f}  {comp}")
    types = {t: info1["types"].get(t, 0) - info0["types"].get(t, 0) for t in set(info1["types"]) | set(info0["types"])}
    common = sorted(((c / n, t) for t, c in types.items() if c / n >= 0.5), reverse=True)
    print("   objects tracked by gc per connection: " + ", ".join(f"{t} {c:.1f}" for c, t in common))
    parts: dict[str, float] = {}
    for site, (size, _) in groups.items():
        part = part_of(site)
        parts[part] = parts.get(part, 0.0) + size / n
    print(f"   {'bytes/conn':>10}  by part (bench/fanout_bench.py PARTS)")
    for part, size in sorted(parts.items(), key=lambda kv: -kv[1]):
        print(f"   {size:>10.0f}  {part}")
    if args.memory_top:
        print(f"   the {args.memory_top} largest allocation sites (innermost frames last):")
        for stat in sorted(top, key=lambda st: -st.size_diff)[: args.memory_top]:
            print(f"   -- {stat.size_diff / n:.0f} bytes, {stat.count_diff / n:.1f} blocks per connection")
            for fr in stat.traceback[-args.memory_frames :]:
                print(f"        {short_path(fr.filename)}:{fr.lineno}")
    return {
        "name": name,
        "clients": n,
        "rss_bytes_per_connection": rss / n,
        "traced_bytes_per_connection": traced / n,
        "tasks_per_connection": (info1["tasks"] - info0["tasks"]) / n,
        "sites": {c: v[0] / n for c, v in groups.items()},
        "parts": parts,
        "objects_per_connection": {t: c for c, t in common},
    }


def _in(path: str, *names: str) -> bool:
    return any(name in path for name in names)


# What an allocation site (as component() names it: path:line code [innermost stdlib file]) is part
# of; the first that matches. By the code on the line, not its number, so that another tree's
# mayday (--also-src) is sorted the same way.
PARTS: list[tuple[str, Any]] = [
    ("mayday: the session's own tasks (writer, reader, dropped) and asyncio.wait over them",
     lambda p, c: _in(p, "mayday/ws.py") and _in(c, "create_task", "asyncio.wait(", "tasks = {", "await queue.get()")),
    ("mayday: the outbox queue (an extension's frames), made for every session",
     lambda p, c: _in(p, "mayday/ws.py") and "outbox" in c),
    ("mayday: the 'closed' event", lambda p, c: _in(p, "mayday/ws.py") and "asyncio.Event()" in c),
    ("mayday: the hub's subscriber and its queue", lambda p, c: _in(p, "mayday/hub.py")),
    ("mayday: the frame limit (limits' MemoryStorage)", lambda p, c: _in(p, "mayday/ratelimits.py", "limits/")),
    ("mayday: the hello frame, parsed, kept for the session", lambda p, c: _in(p, "mayday/wire.py")),
    ("mayday: the session (serve_stream and _read frames, Session, _Live)", lambda p, c: _in(p, "mayday/ws.py")),
    ("mayday: the socket route's closures (routes.py)", lambda p, c: _in(p, "mayday/routes.py", "mayday/streams.py")),
    ("uvicorn: the receive queue (asyncio.Queue; Inbox)",
     lambda p, c: ("self.queue" in c and "sansio" in p)
     or (_in(p, "mayday/transport.py") and _in(c, "Inbox", "_items", "_waiter"))),
    ("uvicorn: the 'writable' event (asyncio.Event; Flag)", lambda p, c: "self.writable" in c),
    ("the handshake's request and response (headers)",
     lambda p, c: _in(p, "websockets/datastructures", "websockets/http11", "h11/")
     or (_in(p, "websockets/server.py") and "parse()" not in c)
     or ("sansio" in p and _in(c, 'decode("latin-1").lower()', "response.headers"))),
    ("the ASGI scope (its headers, path, state)",
     lambda p, c: ("sansio" in p and _in(c, "headers = [(key", "self.scope: ", '"extensions"', '"asgi"', '"state"',
                                              '"raw_path"', "subprotocols", '"path"', '"query_string"'))
     or (_in(p, "mayday/transport.py") and "scope[" in c)
     or _in(c, "path_params", "child_scope", "matched_params", "exception_handlers\"] =")),
    ("websockets' sans-I/O protocol (parser generator, reader, id)",
     lambda p, c: p.startswith("websockets/") or "ServerProtocol(" in c),
    ("uvicorn: its task per connection (run_asgi)",
     lambda p, c: "sansio" in p and _in(c, "run_asgi", "self.app(self.scope", "tasks.add", "on_task_complete")),
    ("asyncio: the transport, its socket and selector key",
     lambda p, c: _in(p, "uvicorn/_compat", "uvicorn/protocols/utils", "h11_impl") or "resume_reading" in c),
    ("uvicorn: the protocol object (its attributes, keepalive timers)",
     lambda p, c: "sansio" in p or _in(p, "mayday/transport.py")),
    ("Starlette, middleware: coroutine frames, closures, WebSocket objects",
     lambda p, c: _in(p, "starlette/", "uvicorn/middleware", "mayday/app.py")),
]  # fmt: skip


def part_of(site: str) -> str:
    where, _, code = site.partition(" ")
    path = where.rsplit(":", 1)[0]
    for name, matches in PARTS:
        if matches(path, code):
            return name
    return "other"


def short_path(filename: str) -> str:
    for marker in ("site-packages/", "/lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return os.path.relpath(filename, ROOT) if filename.startswith(str(ROOT)) else filename


STDLIB = os.path.dirname(os.__file__)


def component(tb: Any) -> str:
    """Who an allocation belongs to: the innermost frame outside the standard library (asyncio's
    queues, events and tasks are charged to the line that created them), with that line's code."""
    import linecache

    frames = list(tb)  # oldest first
    owner = next((f for f in reversed(frames) if not f.filename.startswith(STDLIB)), frames[-1])
    inner = frames[-1]
    code = linecache.getline(owner.filename, owner.lineno).strip()[:60]
    label = f"{short_path(owner.filename)}:{owner.lineno} {code}"
    if inner is not owner:
        label += f"  [{os.path.basename(inner.filename)}]"
    return label


def fmt_lat(row: dict[str, float]) -> str:
    return f"p50 {row['p50']:.1f} ms, p99 {row['p99']:.1f} ms, max {row['max']:.1f} ms ({row['n']} deliveries)"


# ---------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=2000)
    ap.add_argument("--spaced", type=int, default=20, help="single events, one per --interval")
    ap.add_argument("--interval", type=float, default=0.25)
    ap.add_argument("--burst", type=int, default=20, help="events per back-to-back burst (<= 30)")
    ap.add_argument("--rounds", type=int, default=3)
    # 6 s: the frame limit is a sliding window of 30 per 3 s that still counts the previous window
    # in part (mayday/ratelimits.py), so a burst of 20 needs two windows to be forgotten.
    ap.add_argument("--pause", type=float, default=6.0, help="seconds between bursts (rate refill)")
    ap.add_argument("--handoffs", type=int, default=5, help="timer-fired handoffs (first mayday case)")
    ap.add_argument("--handoff-lead", type=float, default=30.0, help="s from relay creation to handoff 1")
    ap.add_argument("--repeat", type=int, default=1, help="run every case this many times, interleaved")
    ap.add_argument(
        "--also-src",
        action="append",
        default=[],
        metavar="LABEL=DIR",
        help="also run mayday from another source tree (e.g. a copy before a change), labelled LABEL",
    )
    ap.add_argument("--variants", action="store_true", help="also legacy websockets, wsproto, deflate")
    ap.add_argument("--no-pin", dest="pin", action="store_false", help="do not pin server/harness to CPUs")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--py-spy", metavar="PREFIX", help="profile each server's bursts: PREFIX-<case>.txt")
    ap.add_argument("--verbose", action="store_true", help="print every spaced event's latency")
    ap.add_argument(
        "--only", choices=["bare", "mayday", "redis"], help="run one kind of case only (redis: the --redis case)"
    )
    ap.add_argument(
        "--redis",
        action="store_true",
        help="also mayday on a Redis started for the run, in --processes processes, the boards spread over them",
    )
    ap.add_argument("--processes", type=int, default=2, help="with --redis: mayday processes on the one Redis")
    ap.add_argument(
        "--memory-profile",
        action="store_true",
        help="only where an idle connection's bytes go: tracemalloc in each server, grouped by component",
    )
    ap.add_argument("--memory-top", type=int, default=0, help="with --memory-profile: print the N largest sites")
    ap.add_argument("--memory-frames", type=int, default=6, help="frames printed per site")
    args = ap.parse_args()
    if not 1 <= args.burst <= 30:
        ap.error("--burst must be 1..30 (the coordinator socket's rate limit burst)")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.clients + 512
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(need, soft), hard), hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < need:
        ap.error(f"{args.clients} clients need {need} open files; the hard limit is {hard} (ulimit -Hn)")
    if args.processes < 1:
        ap.error("--processes must be at least 1")
    # The harness keeps every delivery it stamps (10,000 clients x dozens of events: hundreds of
    # thousands of tuples), and the cyclic garbage collector would walk them all again and again,
    # each time in the middle of stamping an event's deliveries (up to 100 ms and more at 10,000).
    # It makes no cycles worth collecting, so it runs without.
    gc.disable()
    cores = os.cpu_count() or 1
    if args.pin and len(os.sched_getaffinity(0)) < 2:
        args.pin = False
    if args.pin:
        os.sched_setaffinity(0, {0})
    model = next(
        (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in ln),
        "?",
    )
    import uvicorn
    import websockets

    print(
        f"{cores} cores ({model}); python {sys.version.split()[0]}, uvicorn {uvicorn.__version__}, "
        f"websockets {websockets.__version__}; {args.clients} clients; "
        f"{'server on CPU 1, harness on CPU 0' if args.pin else 'no CPU pinning'}"
    )
    print(f"payload: a real baton_passed frame, {len(real_baton_frame().encode())} bytes")
    if args.memory_profile:
        kinds = [k for k in ("bare", "mayday") if args.only in (None, k)]
        profiles = [memory_profile(k, args) for k in kinds]
        for spec in args.also_src:
            profiles.append(memory_profile("mayday", args, str(Path(spec.partition("=")[2]).resolve())))
        if args.json:
            Path(args.json).write_text(json.dumps({"args": vars(args), "profiles": profiles}, indent=2))
        names = [part for part, _ in PARTS] + ["other"]
        print(f"\nbytes per idle connection, traced, by part ({args.clients} connections):")
        print(f"{'':<88}" + "".join(f"{pr['name'][:24]:>26}" for pr in profiles))
        for part in names:
            row = [pr["parts"].get(part, 0.0) for pr in profiles]
            if any(abs(v) >= 8 for v in row):
                print(f"{part[:86]:<88}" + "".join(f"{v:>26.0f}" for v in row))
        rows = (
            ("traced, total", [pr["traced_bytes_per_connection"] for pr in profiles]),
            ("asyncio tasks per connection", [pr["tasks_per_connection"] for pr in profiles]),
        )
        for label, values in rows:
            print(f"{label:<88}" + "".join(f"{v:>26.2f}" for v in values))
        return 0

    cases = [Case("bare"), Case("mayday")]
    for spec in args.also_src:
        label, _, src = spec.partition("=")
        cases.append(Case("mayday", src=(label, str(Path(src).resolve()))))
    if args.redis:
        cases.append(Case("mayday", redis=args.processes))
    if args.variants:
        cases += [
            Case("mayday", deflate=True),
            Case("mayday", "websockets"),
            Case("mayday", "websockets", True),
            Case("mayday", "wsproto"),
            Case("mayday", "wsproto", True),
            Case("bare", deflate=True),
        ]
    if args.variants and importlib.util.find_spec("wsproto") is None:
        print("wsproto is not installed (pip install wsproto): skipping its cases")
        cases = [c for c in cases if c.ws != "wsproto"]
    if args.only:
        cases = [c for c in cases if (c.kind, bool(c.redis)) == {"bare": ("bare", False), "mayday": ("mayday", False),
                 "redis": ("mayday", True)}[args.only]]  # fmt: skip
    results: dict[str, Result] = {}
    for rep in range(args.repeat):  # interleaved, so that a noisy minute hits every case alike
        for case in cases:
            first_mayday = case.kind == "mayday" and not case.redis and not any(n.startswith("mayday") for n in results)
            res = run_case(case, args, args.handoffs if first_mayday and rep == 0 else 0)
            if res.name in results:
                results[res.name].merge(res)
            else:
                results[res.name] = res
    ordered = list(results.values())
    summaries = [r.summary() for r in ordered]
    if args.json:
        Path(args.json).write_text(
            json.dumps({"args": vars(args), "cores": cores, "cpu": model, "results": summaries}, indent=2)
        )
    problems = any(r.problems for r in ordered)
    base = results.get("bare websockets.broadcast")

    runs = f"{args.repeat} run{'s' if args.repeat > 1 else ''} x {args.rounds} bursts of {args.burst}"
    print(f"\n{args.clients} clients; {runs}; latency over all deliveries; throughput best / median burst")
    head = (
        f"{'server':<40}{'KiB/conn':>9}{'spaced p50/p99 ms':>19}{'burst p50/p99 ms':>18}"
        f"{'deliveries/s best/median':>26}{'CPU-us/dlv':>11}"
    )
    if base:
        head += f"{'x bare best/med/CPU':>21}"
    print(head)
    for r, sm in zip(ordered, summaries, strict=True):
        sp, bu = sm["spaced_latency_ms"], sm["burst_latency_ms"]
        line = (
            f"{r.name:<40}{sm['kib_per_idle_connection']:>9.1f}{sp['p50']:>10.1f}/{sp['p99']:<8.1f}"
            f"{bu['p50']:>9.1f}/{bu['p99']:<8.1f}{r.throughput('best'):>14,.0f} /{r.throughput('median'):>9,.0f}"
            f"{r.cpu_us():>11.1f}"
        )
        if base:
            line += (
                f"{r.throughput('best') / base.throughput('best'):>9.2f}/"
                f"{r.throughput('median') / base.throughput('median'):.2f}/{base.cpu_us() / r.cpu_us():.2f}"
            )
        print(line)
    main_case = results.get("mayday websockets-sansio")
    if main_case and main_case.handoff_lats:
        print(f"\nmayday handoff (timer-fired baton_passed) delivery: {fmt_lat(lat_row(main_case.handoff_lats))}")
    if main_case and base:
        best = main_case.throughput("best") / base.throughput("best")
        med = main_case.throughput("median") / base.throughput("median")
        cpu = base.cpu_us() / main_case.cpu_us()
        sp99 = lat_row(main_case.spaced_lats)["p99"]
        kib = statistics.median(main_case.kib_per_conn)
        print(
            f"\ntargets (mayday websockets-sansio, no deflate):\n"
            f"  throughput >= 0.8x bare: {best:.2f}x best, {med:.2f}x median, {cpu:.2f}x by server CPU per delivery"
            f" -> {'MET' if min(best, cpu) >= 0.8 else 'MISSED'}\n"
            f"  p99 < 100 ms (one event to {args.clients}): {sp99:.1f} ms -> {'MET' if sp99 < 100 else 'MISSED'}"
            f" (bare: {lat_row(base.spaced_lats)['p99']:.1f} ms)\n"
            f"  memory < 50 KiB per idle connection: {kib:.1f} KiB -> {'MET' if kib < 50 else 'MISSED'}"
            f" (bare: {statistics.median(base.kib_per_conn):.1f} KiB)\n"
            f"issue 13 (at 10,000 boards per process; this run: {args.clients}):\n"
            f"  memory < 30 KiB per idle board: {kib:.1f} KiB -> {'MET' if kib < 30 else 'MISSED'}\n"
            f"  one event p99 < 250 ms: {sp99:.1f} ms -> {'MET' if sp99 < 250 else 'MISSED'}"
        )
    for r in ordered:
        for i, (kibs, lats) in enumerate(zip(r.proc_kib, r.proc_spaced, strict=True)):
            row = lat_row(lats)
            print(
                f"{r.name}, process {i}: {statistics.median(kibs):.1f} KiB per idle connection; one event "
                f"p50 {row['p50']:.1f} / p99 {row['p99']:.1f} / max {row['max']:.1f} ms"
            )
    print(
        "\neach run (load average at its start and end; KiB per idle connection; one event p50 / p99 / max ms; "
        "server CPU-us per delivery of one event):"
    )
    for r in ordered:
        for k, run in enumerate(r.runs):
            sp = run["spaced_latency_ms"]
            procs = "".join(
                f"; process {i}: {kib:.1f} KiB, {row['p50']:.1f} / {row['p99']:.1f} / {row['max']:.1f}"
                for i, (kib, row) in enumerate(
                    zip(run["per_process_kib"], run["per_process_spaced_latency_ms"], strict=True)
                )
            )
            print(
                f"  {r.name} #{k + 1}: load {run['load_average_at_start']:.2f}-{run['load_average_at_end']:.2f}; "
                f"{run['kib_per_idle_connection']:.1f} KiB; {sp['p50']:.1f} / {sp['p99']:.1f} / {sp['max']:.1f}; "
                f"{run['spaced_server_cpu_us_per_delivery']:.1f} us{procs}"
            )
        if len(r.runs) > 1:

            def spread(values: list[float]) -> str:
                return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"

            runs = r.runs
            print(
                f"  {r.name}: median (range) of runs: one event p50 "
                f"{spread([run['spaced_latency_ms']['p50'] for run in runs])} ms, p99 "
                f"{spread([run['spaced_latency_ms']['p99'] for run in runs])} ms, max "
                f"{spread([run['spaced_latency_ms']['max'] for run in runs])} ms; "
                f"{spread([run['kib_per_idle_connection'] for run in runs])} KiB; "
                f"{spread([run['spaced_server_cpu_us_per_delivery'] for run in runs])} CPU-us per delivery"
            )
    if problems:
        print("\nPROBLEMS:\n" + "\n".join(f"  {r.name}: {p}" for r in ordered for p in r.problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
