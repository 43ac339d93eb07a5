"""SQLite backend: the embedded default, for one server process.

The primary key (stream, offset) is the compare-and-append: inside one transaction we read the
stream's last offset, refuse a stale writer, and insert the batch. All access goes through a single
worker thread and connection, so the event loop never blocks on disk. Live subscribers in this
process are woken after each commit; SQLite has no cross-process notification, so several
processes need the Redis backend.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mayday.log.base import Conflict, NewEvent, ReceiptMissing, Record, SecretWrite, encode_data

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
-- nor time links a row to the "has voted" event it was written with.
CREATE TABLE IF NOT EXISTS tallies (
    stream TEXT NOT NULL, key TEXT NOT NULL, value INTEGER NOT NULL, PRIMARY KEY (stream, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS receipts (
    stream TEXT NOT NULL, receipt TEXT NOT NULL, PRIMARY KEY (stream, receipt)
) WITHOUT ROWID;
"""


class SqliteLog:
    def __init__(self, path: str) -> None:
        self.path = path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mayday-sqlite")
        self._conn: sqlite3.Connection | None = None
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
        conn.executescript(SCHEMA)
        self._conn = conn

    async def _run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def _last(self, stream: str) -> int:
        assert self._conn is not None
        row = self._conn.execute("SELECT MAX(offset) FROM events WHERE stream = ?", (stream,)).fetchone()
        return row[0] or 0

    def _append(self, stream: str, expected: int, rows: list[tuple[str, str]], secret: SecretWrite | None) -> int:
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
            if secret is not None:
                self._secret_write(stream, secret)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return expected + len(rows)

    def _secret_write(self, stream: str, secret: SecretWrite) -> None:
        assert self._conn is not None
        conn = self._conn
        for receipt in secret.remove_receipts:
            cur = conn.execute("DELETE FROM receipts WHERE stream = ? AND receipt = ?", (stream, receipt))
            if cur.rowcount != 1:
                raise ReceiptMissing(receipt)
        conn.executemany(
            "INSERT INTO receipts (stream, receipt) VALUES (?, ?)", [(stream, r) for r in secret.add_receipts]
        )
        conn.executemany(
            "INSERT INTO tallies (stream, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (stream, key) DO UPDATE SET value = value + excluded.value",
            [(stream, k, v) for k, v in secret.increments.items()],
        )
        if secret.clear_prefix is not None:
            n = len(secret.clear_prefix)
            for table, column in (("tallies", "key"), ("receipts", "receipt")):
                conn.execute(
                    f"DELETE FROM {table} WHERE stream = ? AND substr({column}, 1, ?) = ?",
                    (stream, n, secret.clear_prefix),
                )

    def _read_secret(self, stream: str, prefix: str) -> tuple[int, dict[str, int]]:
        assert self._conn is not None
        cur = self._conn.execute(
            "SELECT key, value FROM tallies WHERE stream = ? AND substr(key, 1, ?) = ?",
            (stream, len(prefix), prefix),
        )
        counters = dict(cur.fetchall())
        return self._last(stream), counters

    async def read_secret(self, stream: str, prefix: str) -> tuple[int, dict[str, int]]:
        return await self._run(self._read_secret, stream, prefix)

    async def append(
        self, stream: str, expected_offset: int, events: Sequence[NewEvent], secret: SecretWrite | None = None
    ) -> int:
        if not events:
            raise ValueError("append needs at least one event")
        rows = [(e.type, encode_data(e.data)) for e in events]
        offset = await self._run(self._append, stream, expected_offset, rows, secret)
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

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for wake in self._wakeups.values():
            wake.set()
        if self._conn is not None:
            await self._run(self._conn.close)
        self._pool.shutdown(wait=True)
