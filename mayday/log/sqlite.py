"""SQLite backend: the embedded default, for one server process.

The primary key (stream, offset) is the compare-and-append: inside one transaction we read the
stream's last offset, refuse a stale writer, and insert the batch. All access goes through a single
worker thread and connection, so the event loop never blocks on disk. Live subscribers in this
process are woken after each commit; SQLite has no cross-process notification, so several
processes need the Redis backend.

Secret ballots: deleted rows are overwritten with zeros (``secure_delete``), and the WAL, which
holds every transaction whole (a "has voted" event page beside the counter page it was written
with), is checkpointed and truncated to zero bytes after each secret write, at open, and on
``compact_journal`` (called when a secret ballot closes). What stays is the database file itself:
current counters and the events, nothing that pairs the two.

Nor does the file's layout keep the order of the votes. SQLite places a new cell's content in its
page in insertion order, and rewrites a cell elsewhere when its size changes, so counters created
by the votes that first chose them would show the first voter's choice. Instead a ballot's
opening creates all its counters, in sorted key order (``SideWrite.init``), and each is stored
as ``TALLY_BIAS + value``: an integer beyond +-2**47 always takes 8 bytes (record serial type 6),
so every counter cell has one size whatever its value, and an update overwrites it where it is.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mayday.log.base import Conflict, NewEvent, Record, SideWrite, TokenMissing, encode_data, event_check

logger = logging.getLogger(__name__)

# compact_journal retries a checkpoint that another connection (a backup, the sqlite3 shell) keeps
# from completing, for this long, without ever blocking the worker thread between tries.
COMPACT_PATIENCE_S = 10.0
COMPACT_RETRY_S = 0.05
PING_TIMEOUT = 2.0

# A counter's value v is stored as TALLY_BIAS + v, so that it always takes 8 bytes (|v| stays far
# below 2**47 thousandths of a vote); never add two stored values (their sum would overflow int64).
TALLY_BIAS = 1 << 62
# A stored value below this was written unbiased, by a version before the bias (a ballot open
# across the upgrade): read as it is, and biased at its next update.
TALLY_UNBIASED_BELOW = 1 << 61

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    stream TEXT NOT NULL,
    offset INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (stream, offset)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Secret ballots: counters and receipts without rowids or timestamps, so neither insertion order
-- nor time links a row to the "has voted" event it was written with. A counter's value is stored
-- as TALLY_BIAS + value (see the module docstring).
CREATE TABLE IF NOT EXISTS tallies (
    stream TEXT NOT NULL, key TEXT NOT NULL, value INTEGER NOT NULL, PRIMARY KEY (stream, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS receipts (
    stream TEXT NOT NULL, receipt TEXT NOT NULL, PRIMARY KEY (stream, receipt)
) WITHOUT ROWID;
-- State snapshots (mayday/snapshots.py): the newest per stream, with the digest of the event it
-- was taken at (base.event_check). A rowid table: its blobs are large.
CREATE TABLE IF NOT EXISTS snapshots (
    stream TEXT PRIMARY KEY, offset INTEGER NOT NULL, schema TEXT NOT NULL, event_check TEXT NOT NULL,
    blob BLOB NOT NULL
);
"""


class SqliteLog:
    def __init__(self, path: str) -> None:
        self.path = path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mayday-sqlite")
        self._conn: sqlite3.Connection | None = None
        self._busy_timeout = 5000
        self._wakeups: dict[str, asyncio.Event] = {}
        self._closed = False

    @classmethod
    async def open(cls, data_dir: str) -> SqliteLog:
        if data_dir != ":memory:":
            os.makedirs(data_dir, exist_ok=True)
            path = str(Path(data_dir) / "mayday.sqlite3")
        else:
            path = ":memory:"
        log = cls(path)
        await log._run(log._connect)
        return log

    def _connect(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        # Deleted rows (a closed ballot's counters and receipts) are overwritten with zeros in the
        # database file, not merely unlinked.
        conn.execute("PRAGMA secure_delete=ON")
        conn.executescript(SCHEMA)
        self._busy_timeout = conn.execute("PRAGMA busy_timeout").fetchone()[0]
        self._conn = conn
        # A WAL left by a kill -9 still holds its transactions whole, secret ballots' included:
        # fold it into the database and empty it before anything else happens.
        if self.path != ":memory:":
            left = self._wal_size()
            if not self._checkpoint(wait=True):
                logger.warning("sqlite: could not empty the WAL at open (another connection reads it)")
            elif left:
                logger.info("sqlite: emptied a WAL of %d bytes left by the last run", left)

    def _wal_size(self) -> int:
        try:
            return os.path.getsize(self.path + "-wal")
        except FileNotFoundError:
            return 0

    def _checkpoint(self, *, wait: bool) -> bool:
        """``PRAGMA wal_checkpoint(TRUNCATE)``: copy the WAL into the database and truncate it to
        zero bytes. False when another connection's read or write kept it from completing.
        ``wait=False`` gives up at once instead of waiting on the busy handler (this worker
        thread serves every caller)."""
        assert self._conn is not None
        if not wait:
            self._conn.execute("PRAGMA busy_timeout=0")
        try:
            busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            if not wait:
                self._conn.execute(f"PRAGMA busy_timeout={int(self._busy_timeout)}")
        return not busy

    def _compact(self) -> tuple[bool, int, int]:
        """One try: (done, WAL bytes before, WAL bytes after)."""
        before = self._wal_size()
        done = self._checkpoint(wait=False)
        return done, before, self._wal_size()

    async def _run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def _last(self, stream: str) -> int:
        assert self._conn is not None
        row = self._conn.execute("SELECT MAX(offset) FROM events WHERE stream = ?", (stream,)).fetchone()
        return row[0] or 0

    def _append(self, stream: str, expected: int, rows: list[tuple[str, str]], side: SideWrite | None) -> int:
        assert self._conn is not None
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            actual = self._last(stream)
            if actual != expected:
                raise Conflict(stream, expected, actual)
            conn.executemany(
                "INSERT INTO events (stream, offset, type, data) VALUES (?, ?, ?, ?)",
                [(stream, expected + i + 1, t, d) for i, (t, d) in enumerate(rows)],
            )
            if side is not None:
                self._side_write(stream, side)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        if side is not None and self.path != ":memory:":
            # The WAL now holds this vote whole: its "has voted" page next to the counters it
            # moved. Empty it now rather than at close, so a copy of the disk taken while the
            # ballot is open pairs no earlier vote with its choice. Best effort (a reader in
            # another process can hold it back; compact_journal at close retries). The vote is
            # committed whatever happens here, so a failure must not fail the append.
            try:
                self._checkpoint(wait=False)
            except sqlite3.Error as e:
                logger.warning("sqlite: could not empty the WAL after a secret write: %s", e)
        return expected + len(rows)

    def _side_write(self, stream: str, side: SideWrite) -> None:
        assert self._conn is not None
        conn = self._conn
        for receipt in side.remove_tokens:
            cur = conn.execute("DELETE FROM receipts WHERE stream = ? AND receipt = ?", (stream, receipt))
            if cur.rowcount != 1:
                raise TokenMissing(receipt)
        conn.executemany("INSERT INTO receipts (stream, receipt) VALUES (?, ?)", [(stream, r) for r in side.add_tokens])
        # Created at the opening, all at once and in key order, so their cells lie in an order
        # that says nothing about the votes; a vote then only overwrites 8 bytes in place.
        conn.executemany(
            "INSERT INTO tallies (stream, key, value) VALUES (?, ?, ?) ON CONFLICT (stream, key) DO NOTHING",
            [(stream, k, TALLY_BIAS) for k in sorted(side.init)],
        )
        conn.executemany(
            "INSERT INTO tallies (stream, key, value) VALUES (:stream, :key, :bias + :by) "
            "ON CONFLICT (stream, key) DO UPDATE SET value = "
            "(CASE WHEN value >= :unbiased THEN value ELSE value + :bias END) + :by",
            [
                {"stream": stream, "key": k, "by": v, "bias": TALLY_BIAS, "unbiased": TALLY_UNBIASED_BELOW}
                for k, v in side.increments.items()
            ],
        )
        if side.clear_prefix is not None:
            n = len(side.clear_prefix)
            for table, column in (("tallies", "key"), ("receipts", "receipt")):
                conn.execute(
                    f"DELETE FROM {table} WHERE stream = ? AND substr({column}, 1, ?) = ?",
                    (stream, n, side.clear_prefix),
                )

    def _read_side(self, stream: str, prefix: str) -> tuple[int, dict[str, int]]:
        assert self._conn is not None
        cur = self._conn.execute(
            "SELECT key, value FROM tallies WHERE stream = ? AND substr(key, 1, ?) = ?",
            (stream, len(prefix), prefix),
        )
        counters = {k: v - TALLY_BIAS if v >= TALLY_UNBIASED_BELOW else v for k, v in cur}
        return self._last(stream), counters

    async def read_side(self, stream: str, prefix: str) -> tuple[int, dict[str, int]]:
        return await self._run(self._read_side, stream, prefix)

    async def append(
        self, stream: str, expected_offset: int, events: Sequence[NewEvent], side: SideWrite | None = None
    ) -> int:
        if not events:
            raise ValueError("append needs at least one event")
        rows = [(e.type, encode_data(e.data)) for e in events]
        offset = await self._run(self._append, stream, expected_offset, rows, side)
        wake = self._wakeups.pop(stream, None)
        if wake is not None:
            wake.set()
        return offset

    def _read(self, stream: str, after: int) -> list[Record]:
        assert self._conn is not None
        cur = self._conn.execute(
            "SELECT offset, type, data FROM events WHERE stream = ? AND offset > ? ORDER BY offset",
            (stream, after),
        )
        return [Record(stream, o, t, json.loads(d)) for o, t, d in cur]

    async def read(self, stream: str, after: int = 0) -> list[Record]:
        return await self._run(self._read, stream, after)

    async def last_offset(self, stream: str) -> int:
        return await self._run(self._last, stream)

    async def subscribe(self, stream: str, after: int = 0) -> AsyncIterator[Record]:
        while not self._closed:
            # Take the wake-up before reading so an append between read and wait is not missed.
            wake = self._wakeups.setdefault(stream, asyncio.Event())
            records = await self.read(stream, after)
            for record in records:
                yield record
                after = record.offset
            if not records:
                await wake.wait()

    def _check_at(self, stream: str, offset: int) -> str | None:
        """The digest of the event at ``offset`` (None: the log holds none there)."""
        assert self._conn is not None
        row = self._conn.execute(
            "SELECT type, data FROM events WHERE stream = ? AND offset = ?", (stream, offset)
        ).fetchone()
        return None if row is None else event_check(*row)

    def _save_snapshot(self, stream: str, offset: int, schema: str, blob: bytes) -> bool:
        assert self._conn is not None
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            check = self._check_at(stream, offset)
            kept = conn.execute(
                "SELECT offset, schema, event_check FROM snapshots WHERE stream = ?", (stream,)
            ).fetchone()
            if check is None or (
                kept is not None
                and kept[1] == schema
                and kept[0] >= offset
                and self._check_at(stream, kept[0]) == kept[2]
            ):
                conn.execute("ROLLBACK")
                return False
            conn.execute(
                "INSERT INTO snapshots (stream, offset, schema, event_check, blob) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (stream) DO UPDATE SET offset = excluded.offset, schema = excluded.schema, "
                "event_check = excluded.event_check, blob = excluded.blob",
                (stream, offset, schema, check, blob),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return True

    async def save_snapshot(self, stream: str, offset: int, schema: str, blob: bytes) -> bool:
        return await self._run(self._save_snapshot, stream, offset, schema, blob)

    def _load_snapshot(self, stream: str, schema: str) -> tuple[int, bytes] | None:
        assert self._conn is not None
        conn = self._conn
        conn.execute("BEGIN")  # the snapshot and the event it was taken at, read at one instant
        try:
            row = conn.execute(
                "SELECT offset, schema, event_check, blob FROM snapshots WHERE stream = ?", (stream,)
            ).fetchone()
            if row is None:
                return None
            offset, kept_schema, check, blob = row
            if kept_schema != schema:
                logger.info(
                    "sqlite: snapshot of %s at %d is of another schema (%s): ignored", stream, offset, kept_schema
                )
                return None
            if self._check_at(stream, offset) != check:
                logger.warning(
                    "sqlite: snapshot of %s at %d does not match the log (truncated or reset, now at %d): ignored",
                    stream,
                    offset,
                    self._last(stream),
                )
                return None
            return offset, bytes(blob)
        finally:
            conn.execute("COMMIT")

    async def load_snapshot(self, stream: str, schema: str) -> tuple[int, bytes] | None:
        return await self._run(self._load_snapshot, stream, schema)

    def _streams(self, prefix: str) -> list[str]:
        assert self._conn is not None
        cur = self._conn.execute(
            "SELECT DISTINCT stream FROM events WHERE substr(stream, 1, ?) = ? ORDER BY stream",
            (len(prefix), prefix),
        )
        return [r[0] for r in cur]

    async def streams(self, prefix: str = "") -> list[str]:
        return await self._run(self._streams, prefix)

    def _secret(self, name: str, candidate: str) -> str:
        assert self._conn is not None
        self._conn.execute("INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)", (name, candidate))
        return self._conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()[0]

    async def get_or_set_secret(self, name: str, candidate: str) -> str:
        return await self._run(self._secret, name, candidate)

    async def compact_journal(self) -> str:
        """Make the WAL forget: checkpoint it into the database and truncate it to zero bytes,
        retrying while another connection keeps the checkpoint from completing (for
        COMPACT_PATIENCE_S at most; then it says so, and the next start empties it). Raises when
        the database itself fails."""
        if self.path == ":memory:":
            return "sqlite: in memory, no journal on disk"
        deadline = time.monotonic() + COMPACT_PATIENCE_S
        tries = 0
        while True:
            tries += 1
            done, before, after = await self._run(self._compact)
            if done:
                if after:  # pragma: no cover - TRUNCATE leaves zero bytes when it completes
                    raise RuntimeError(f"sqlite: checkpoint completed but the WAL still has {after} bytes")
                again = f" after {tries} tries" if tries > 1 else ""
                return f"sqlite: WAL of {before} bytes checkpointed and truncated to 0 bytes{again}"
            if time.monotonic() >= deadline:
                logger.warning(
                    "sqlite: the WAL (%d bytes) could not be emptied: another connection kept reading it for %.0f s",
                    after,
                    COMPACT_PATIENCE_S,
                )
                return (
                    f"sqlite: WAL of {after} bytes NOT emptied: another connection (a backup, the sqlite3 shell?) "
                    f"kept reading it for {COMPACT_PATIENCE_S:.0f} s; the next write of a secret vote or the next "
                    "start empties it"
                )
            await asyncio.sleep(COMPACT_RETRY_S)

    async def ping(self) -> float:
        """Seconds for one trivial query through the worker thread; raises if the database fails
        or the query waited more than PING_TIMEOUT (the thread busy or stuck on the disk)."""
        start = time.perf_counter()
        await asyncio.wait_for(self._run(self._ping), PING_TIMEOUT)
        return time.perf_counter() - start

    def _ping(self) -> None:
        if self._conn is None or self._closed:
            raise RuntimeError("sqlite: the log is closed")
        self._conn.execute("SELECT 1").fetchone()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for wake in self._wakeups.values():
            wake.set()
        if self._conn is not None:
            await self._run(self._conn.close)
        self._pool.shutdown(wait=True)
