"""A secret ballot against a copy of the server's disk: real `mayday serve` processes, twelve
delegates of equal weight voting a mix of choices (one changes their vote), then the raw bytes of
the storage read as a forensic examiner would. After the close nothing may pair a voter with a
choice: no tally key, no receipt, and the engine's journal (SQLite's WAL, Redis's AOF), which holds
each transaction whole ("has voted" beside the counter it moved), must have forgotten.

SQLite: after a clean close; after kill -9 right after the close; and after a kill -9 while another
connection (a backup, the sqlite3 shell) kept the WAL from being emptied, where the next start must
empty it. Redis: AOF with fsync always, after the close.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from helpers import token_of

from assembly import secret

DEFINITION = {
    "title": "Secret ballot on disk",
    "languages": ["en"],
    "chairs": [{"id": "chair"}],
    "delegates": [{"group": "site", "count": 12}],  # site-1 .. site-12, weight 1 each
}
DELEGATES = [f"site-{n}" for n in range(1, 13)]
CHOICES = ["yes"] * 5 + ["no"] * 4 + ["abstain"] * 3
CHANGE = ("site-1", "yes", "no")  # site-1 changes from yes to no
TALLY_KEYS = [b"b1:yes", b"b1:no", b"b1:abstain", b"b1:r"]  # counter keys, and every receipt's prefix


def nonce(pid: str, n: int = 0) -> str:
    return f"nonce-{pid}-{n}".ljust(24, "x")


class Assembly:
    def __init__(self, base: str, admin: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=30)
        r = self.http.post("/api/assemblies", json=DEFINITION, headers=self.auth(admin))
        assert r.status_code == 201, r.text
        self.id = r.json()["id"]
        self.chair = token_of(r.json()["chairs"]["chair"])
        links = self.http.get(f"/api/assemblies/{self.id}/links", headers=self.auth(self.chair))
        assert links.status_code == 200, links.text
        self.tokens = {pid: token_of(url) for pid, url in links.json()["delegates"].items()}
        assert sorted(self.tokens) == sorted(DELEGATES)

    @staticmethod
    def auth(token: str) -> dict[str, str]:
        return {"authorization": f"Bearer {token}"}

    def command(self, token: str, body: dict) -> dict:
        r = self.http.post(f"/api/assemblies/{self.id}/commands", json=body, headers=self.auth(token))
        assert r.status_code == 200, (body, r.text)
        return r.json()

    def open_secret_ballot(self) -> None:
        self.command(self.tokens["site-1"], {"type": "propose_demand", "language": "en", "text": "A living wage"})
        # twelve delegates of one weight: no weight risk, no override needed
        self.command(self.chair, {"type": "open_ballot", "target": "d1", "secret": True, "quorum": 0})

    def vote(self) -> list[str]:
        """Every delegate votes, one changes their vote; returns the hex of every receipt made."""
        receipts = []
        for pid, choice in zip(DELEGATES, CHOICES, strict=True):
            self.command(self.tokens[pid], {"type": "vote", "ballot": 1, "choice": choice, "nonce": nonce(pid)})
            receipts.append(secret.receipt(1, nonce(pid), choice, 1000))
        pid, old, new = CHANGE
        body = {"type": "vote", "ballot": 1, "choice": new, "nonce": nonce(pid, 1)}
        self.command(self.tokens[pid], body | {"previous": {"choice": old, "nonce": nonce(pid)}})
        receipts.append(secret.receipt(1, nonce(pid, 1), new, 1000))
        return [r.removeprefix("b1:r") for r in receipts]

    def close(self) -> None:
        self.command(self.chair, {"type": "close_ballot", "ballot": 1})

    def result(self) -> dict:
        snap = self.http.get(f"/api/assemblies/{self.id}").json()
        return snap["ballots"]["1"]["result"]


def leaks(files: list[Path], receipts: list[str]) -> list[str]:
    """What in these files could pair a voter with a choice: counter keys and receipts of ballot 1.
    A receipt is looked for in 16-character pieces, so a compressed copy (Redis's RDB compresses
    long strings with LZF, keeping short literal runs) is found too."""
    found = []
    for f in files:
        if not f.exists():
            continue
        data = f.read_bytes()
        found += [f"{f.name}: {key.decode()}" for key in TALLY_KEYS if key in data]
        for r in receipts:
            if any(r[i : i + 16].encode() in data for i in range(0, len(r), 16)):
                found.append(f"{f.name}: receipt {r[:12]}…")
    return found


def sqlite_files(data: Path) -> list[Path]:
    db = data / "mayday.sqlite3"
    return [db, Path(f"{db}-wal"), Path(f"{db}-shm")]


def wal_size(data: Path) -> int:
    wal = data / "mayday.sqlite3-wal"
    return wal.stat().st_size if wal.exists() else 0


def _reconnect(asm: Assembly, base: str) -> Assembly:
    """The same assembly through fresh connections (the old ones died with the process)."""
    asm.http.close()
    asm.http = httpx.Client(base_url=base, timeout=30)
    return asm


def check_result(asm: Assembly) -> None:
    r = asm.result()
    assert (r["yes"], r["no"], r["abstain"]) == (4, 5, 3), r


def test_sqlite_after_close_nothing_on_disk_pairs_a_voter_with_a_choice(make_mayday, tmp_path):
    data = tmp_path / "data"
    server = make_mayday(data=data)
    asm = Assembly(server.base, server.admin)
    asm.open_secret_ballot()
    receipts = asm.vote()
    # While the ballot is open the counters and receipts live in the database (the probe sees them),
    # but the WAL, which would put each one beside its "has voted", is emptied after every vote.
    assert any("b1:yes" in leak for leak in leaks(sqlite_files(data), receipts))
    assert wal_size(data) == 0
    asm.close()
    check_result(asm)
    assert wal_size(data) == 0
    assert leaks(sqlite_files(data), receipts) == []
    server.stop()  # a clean shutdown changes nothing
    assert leaks(sqlite_files(data), receipts) == []


def test_sqlite_kill_9_right_after_close_leaves_nothing_before_or_after_the_restart(make_mayday, tmp_path):
    data = tmp_path / "data"
    server = make_mayday(data=data)
    asm = Assembly(server.base, server.admin)
    asm.open_secret_ballot()
    receipts = asm.vote()
    asm.close()
    server.kill()
    assert leaks(sqlite_files(data), receipts) == []  # what a seized disk holds, before any restart
    server.start()
    assert wal_size(data) == 0
    assert leaks(sqlite_files(data), receipts) == []
    check_result(_reconnect(asm, server.base))


def hold_wal(db: Path) -> subprocess.Popen[str]:
    """Another process holding a read transaction open, as a backup or the sqlite3 shell can: no
    checkpoint can empty the WAL past its snapshot while it lives. Killed, never closed (closing
    the last connection would checkpoint the WAL itself)."""
    code = (
        "import sqlite3, sys, time\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('BEGIN'); c.execute('SELECT COUNT(*) FROM events').fetchone()\n"
        "print('holding', flush=True); time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    return proc


def test_sqlite_a_wal_left_full_by_a_crash_is_emptied_at_the_next_start(make_mayday, tmp_path):
    data = tmp_path / "data"
    server = make_mayday(data=data)
    asm = Assembly(server.base, server.admin)
    asm.open_secret_ballot()
    reader = hold_wal(data / "mayday.sqlite3")
    try:
        receipts = asm.vote()
        started = time.monotonic()
        asm.close()  # answers after a short wait for the compaction, which the reader keeps failing
        assert time.monotonic() - started < 10
        server.kill()
        # What the audit found: every vote's frames still in the WAL, "has voted" beside its counter.
        held = leaks(sqlite_files(data), receipts)
        assert wal_size(data) > 0 and any(leak.startswith("mayday.sqlite3-wal: b1:") for leak in held), held
    finally:
        reader.kill()
        reader.wait()
    server.start()  # the next start empties the WAL before anything else
    assert wal_size(data) == 0
    assert leaks(sqlite_files(data), receipts) == []
    check_result(_reconnect(asm, server.base))


def aof_files(redis_dir: Path) -> list[Path]:
    return [p for p in redis_dir.rglob("*") if p.is_file() and p.name != "redis.log"]


@pytest.mark.redis
def test_redis_after_close_the_aof_holds_no_counters_or_receipts(make_redis, make_mayday):
    store = make_redis()  # appendonly yes, appendfsync always, no RDB snapshots
    server = make_mayday(redis=store.url)
    asm = Assembly(server.base, server.admin)
    asm.open_secret_ballot()
    receipts = asm.vote()
    # The AOF logs each vote's script effects together: XADD ballot_voted next to HINCRBY b1:...
    assert any("b1:yes" in leak for leak in leaks(aof_files(store.dir), receipts))
    asm.close()
    check_result(asm)
    deadline = time.monotonic() + 20  # BGREWRITEAOF runs in a child of redis-server
    while (found := leaks(aof_files(store.dir), receipts)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert found == [], f"after close the AOF still holds: {found}\n{server.output()}"
    check_result(asm)  # the rewrite kept the log itself
