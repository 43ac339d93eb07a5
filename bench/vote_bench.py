"""Vote benchmark: N delegates on loopback WebSockets cast their votes within a second; how long
until the final tally has reached every client.

    python bench/vote_bench.py                       # 1,000 delegates, open and secret ballots
    python bench/vote_bench.py --delegates 300 --rounds 3

The server is the real app (bench/fanout_servers.py mayday, the settings of ``mayday serve``) in its
own process, pinned to CPU 1; this harness, a hand-written RFC 6455 client on one epoll loop
(bench/fanout_bench.py), drives every delegate from CPU 0. For each ballot:

1. the chair opens it; wait until every client has seen ``ballot_opened``;
2. each delegate sends one ``vote`` command, spread evenly over ``--spread`` seconds;
3. open ballot: every client folds ``vote_cast`` events into a live tally; we record when each
   client has seen all N votes (the final live tally). Latency = that time - when the last vote
   was written. Secret ballot: the same with ``ballot_voted`` (the count of voters);
4. the chair closes it; latency of ``ballot_closed`` (the result) at every client, from when the
   close command was written.

Baseline, in the same script: a bare ``websockets.broadcast`` server is sent the same number of
frames as the votes, at the same pace, and relays each to the same N clients; its final-frame
latency is the floor any server on this machine could reach for that fan-out.

Not a test: nothing here is collected by pytest. Every wait has a deadline.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fanout_bench as fb

fb.EXPAND_BATCHES = False  # count events inside batch frames here, without re-encoding them


def definition(n: int) -> dict:
    return {
        "title": "Vote bench",
        "languages": ["en"],
        "quorum": 0,
        "viewers": "public",
        "chairs": [{"id": "chair", "name": "Chair"}],
        "delegates": [{"group": "d", "count": n, "region": "everywhere"}],
    }


def open_each(port: int, path: str, tokens: list[str | None], after: int) -> list[fb.Conn]:
    """One connection per token, each through hello -> welcome, opened in batches of 200."""
    out: list[fb.Conn] = []
    for start in range(0, len(tokens), 200):
        group = []
        for token in tokens[start : start + 200]:
            sock = fb.socket.create_connection((fb.HOST, port), timeout=10)
            sock.setsockopt(fb.socket.IPPROTO_TCP, fb.socket.TCP_NODELAY, 1)
            sock.sendall(fb.handshake_request(port, path))
            group.append((fb.Conn(sock), token))
        for c, token in group:
            c.recv_blocking(lambda c=c: c.open)
            c.send_text(json.dumps({"type": "hello", "token": token, "after": after}))
        for c, _ in group:
            c.recv_blocking(lambda c=c: bool(c.others))
            if b'"welcome"' not in c.others[0]:
                raise RuntimeError(f"no welcome: {c.others[0][:200]!r}")
            c.sock.setblocking(False)
        out.extend(c for c, _ in group)
    return out


class Seen:
    """Per connection and event type, when each event arrived (scanned incrementally: the harness
    must not slow down as frames pile up, or it would measure itself)."""

    def __init__(self) -> None:
        self.pos: dict[int, int] = {}
        self.times: dict[tuple[int, bytes], list[float]] = {}

    def scan(self, conn: fb.Conn) -> None:
        start = self.pos.get(id(conn), 0)
        for mono, _, frame in conn.events[start:]:
            for kind in KINDS:
                k = frame.count(b'"event":"' + kind + b'"')
                if k:
                    self.times.setdefault((id(conn), kind), []).extend([mono] * k)
        self.pos[id(conn)] = len(conn.events)

    def count(self, conn: fb.Conn, kind: bytes) -> int:
        self.scan(conn)
        return len(self.times.get((id(conn), kind), ()))

    def at(self, conn: fb.Conn, kind: bytes, n: int) -> float | None:
        """When this client had received its n-th event of ``kind`` (monotonic)."""
        self.scan(conn)
        times = self.times.get((id(conn), kind), [])
        return times[n - 1] if len(times) >= n else None


KINDS = (b"ballot_opened", b"vote_cast", b"ballot_voted", b"ballot_closed", b"demand_proposed")
SEEN = Seen()


def count(conn: fb.Conn, kind: bytes) -> int:
    return SEEN.count(conn, kind)


def first_time(conn: fb.Conn, kind: bytes, n: int) -> float | None:
    return SEEN.at(conn, kind, n)


def command(conn: fb.Conn, cid: str, body: dict) -> None:
    conn.send_text(json.dumps({"type": "command", "id": cid, "command": body}))


def all_past(loop: fb.Loop, conns: list[fb.Conn], kind: bytes, before: list[int], n: int, seconds: float) -> bool:
    """Read until every client has ``n`` more events of ``kind`` than it had (or time is up)."""
    return loop.pump(
        lambda: all(count(c, kind) - b >= n for c, b in zip(conns, before, strict=True)), time.monotonic() + seconds
    )


def run_ballot(
    loop: fb.Loop,
    chair: fb.Conn,
    delegates: list[fb.Conn],
    watchers: list[fb.Conn],
    secret: bool,
    spread: float,
    ballot: int,
) -> dict:
    everyone = [chair, *delegates, *watchers]
    n = len(delegates)
    opened_before = [count(c, b"ballot_opened") for c in everyone]
    command(chair, f"open{ballot}", {"type": "open_ballot", "target": f"d{ballot}", "secret": secret, "quorum": 0})
    ok = loop.pump(
        lambda: all(count(c, b"ballot_opened") > b for c, b in zip(everyone, opened_before, strict=True)),
        time.monotonic() + 30,
    )
    if not ok:
        raise RuntimeError("not every client saw the ballot open")
    kind = b"ballot_voted" if secret else b"vote_cast"
    before = [count(c, kind) for c in everyone]
    t0 = time.monotonic()
    for i, d in enumerate(delegates):
        target = t0 + spread * i / n
        loop.pump(lambda: False, target)  # keep reading while we pace the votes
        body = {"type": "vote", "ballot": ballot, "choice": ("yes", "no", "abstain")[i % 3]}
        if secret:
            body["nonce"] = os.urandom(18).hex()
        command(d, f"v{ballot}-{i}", body)
    t_last = time.monotonic()
    done = all_past(loop, everyone, kind, before, n, 60)
    finals = [first_time(c, kind, b + n) for c, b in zip(everyone, before, strict=True)]
    tally = [f - t_last for f in finals if f is not None]
    t_close = time.monotonic()
    closed_before = [count(c, b"ballot_closed") for c in everyone]
    command(chair, f"close{ballot}", {"type": "close_ballot", "ballot": ballot})
    loop.pump(
        lambda: all(count(c, b"ballot_closed") > b for c, b in zip(everyone, closed_before, strict=True)), t_close + 30
    )
    result = [first_time(c, b"ballot_closed", b + 1) for c, b in zip(everyone, closed_before, strict=True)]
    closed = [r - t_close for r in result if r is not None]
    dropped = sum(1 for c in everyone if c.closed)
    return {
        "secret": secret,
        "votes_sent_in_s": round(t_last - t0, 3),
        "all_votes_everywhere": done,
        "final_tally_ms": fb.lat_row(tally),
        "result_ms": fb.lat_row(closed),
        "clients_dropped": dropped,
    }


def baseline(loop: fb.Loop, args: argparse.Namespace, frame: str) -> dict:
    server = fb.start_server("bare", "websockets", False, 1 if args.pin else None)
    conns: list[fb.Conn] = []
    try:
        conns = fb.open_many(server.port, "/", json.dumps({"type": "hello", "token": None}), args.delegates + 1)
        control = fb.open_many(server.port, "/", json.dumps({"type": "hello", "token": "control"}), 1)[0]
        loop.add(conns)
        n = args.delegates
        t0 = time.monotonic()
        for i in range(n):
            loop.pump(lambda: False, t0 + args.spread * i / n)
            control.send_text(frame)
        t_last = time.monotonic()
        loop.pump(lambda: all(len(c.events) >= n for c in conns), t_last + 60)
        finals = [c.events[n - 1][0] - t_last for c in conns if len(c.events) >= n]
        return {"final_frame_ms": fb.lat_row(finals), "complete": len(finals) == len(conns)}
    finally:
        for c in conns:
            c.sock.close()
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delegates", type=int, default=1000)
    parser.add_argument("--watchers", type=int, default=0, help="extra public viewers")
    parser.add_argument("--spread", type=float, default=1.0, help="seconds over which the votes are cast")
    parser.add_argument("--rounds", type=int, default=2, help="ballots of each kind")
    parser.add_argument("--no-pin", dest="pin", action="store_false")
    args = parser.parse_args()
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.pin and len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(0, {0})
    print(f"cores: {os.cpu_count()}  delegates: {args.delegates}  watchers: {args.watchers}  spread: {args.spread}s")
    server = fb.start_server("mayday", "websockets-sansio", False, 1 if args.pin else None)
    loop = fb.Loop()
    results = []
    try:
        import httpx

        base = f"http://{fb.HOST}:{server.port}"
        r = httpx.post(f"{base}/api/assemblies", content=json.dumps(definition(args.delegates)),
                       headers={"authorization": f"Bearer {server.info['admin']}"}, timeout=60)  # fmt: skip
        r.raise_for_status()
        made = r.json()
        aid = made["id"]
        tok = {pid: url.split("#t=", 1)[1] for pid, url in made["delegates"].items()}
        path = f"/ws/assembly/{aid}"
        offset = httpx.get(f"{base}/api/assemblies/{aid}", timeout=30).json()["offset"]
        chair = open_each(server.port, path, [made["chairs"]["chair"].split("#t=", 1)[1]], offset)[0]
        t = time.monotonic()
        delegates = open_each(server.port, path, [tok[f"d-{i}"] for i in range(1, args.delegates + 1)], offset)
        watchers = open_each(server.port, path, [None] * args.watchers, offset)
        print(f"connected {len(delegates) + len(watchers) + 1} clients in {time.monotonic() - t:.1f}s")
        loop.add([chair, *delegates, *watchers])
        for i in range(2 * args.rounds):  # one demand per ballot; a decided demand is not voted on again
            command(delegates[i], f"p{i}", {"type": "propose_demand", "language": "en", "text": f"Demand {i + 1}"})
        proposed = [0] * (len(delegates) + 1)
        if not all_past(loop, [chair, *delegates], b"demand_proposed", proposed, 2 * args.rounds, 30):
            raise RuntimeError("the demands did not reach every client")
        ballot = 0
        for _ in range(args.rounds):
            for secret in (False, True):
                ballot += 1
                res = run_ballot(loop, chair, delegates, watchers, secret, args.spread, ballot)
                results.append(res)
                kind = "secret" if secret else "open  "
                print(
                    f"{kind} ballot {ballot}: votes sent in {res['votes_sent_in_s']}s; final tally at every client "
                    f"p50 {res['final_tally_ms']['p50']:.0f} ms p99 {res['final_tally_ms']['p99']:.0f} ms; "
                    f"result p50 {res['result_ms']['p50']:.0f} ms p99 {res['result_ms']['p99']:.0f} ms; "
                    f"dropped {res['clients_dropped']}",
                    flush=True,
                )
    finally:
        loop.close()
        server.stop()
    vote_frame = json.dumps({"type": "event", "offset": 10, "event": "vote_cast",
                             "data": {"ballot": 1, "choice": "yes", "voter": "d-123", "weight": "1"}},
                            separators=(",", ":"))  # fmt: skip
    base = baseline(fb.Loop(), args, vote_frame)
    b50, b99 = base["final_frame_ms"]["p50"], base["final_frame_ms"]["p99"]
    print(
        f"baseline (bare websockets.broadcast of {args.delegates} frames to {args.delegates + 1} clients): "
        f"last frame at every client p50 {b50:.0f} ms p99 {b99:.0f} ms"
    )
    worst = max(r["final_tally_ms"]["p99"] for r in results)
    print(
        f"\nmayday final tally p99 (worst ballot) / baseline p99: {worst:.0f} / {base['final_frame_ms']['p99']:.0f} ms"
    )
    print(json.dumps({"results": results, "baseline": base}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
