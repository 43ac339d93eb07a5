"""The binary messages between an assembly's origin and its edges (over Redis pub/sub). Pure.

Down (origin -> edges), one message per 20 ms tick that produced packets (and one per encoded
video frame), so the per-message cost is paid per tick, not per packet::

    header  >BBQIQ  version, b"D", fencing token, batch number, origin wall clock (microseconds)
    entries ...

Up (an edge -> the origin): what the edge's listeners want, keyframe requests, and the voices of
delegates and interpreters whose connection reached the edge::

    header  >BBB    version, kind (b"W" wants, b"K" keyframe, b"A" audio, b"V" video), len(node)
    node    the sending process's id (UTF-8)
    entries ...

Every entry, either way::

    >BBQI   flags (1 video, 2 keyframe, 4 ask), len(name), timestamp, len(payload); then name, payload

Down, ``name`` is the channel (``floor`` or a language), the payload an encoded packet (Opus or
VP8), the timestamp on the origin's own clock (48 kHz audio, 90 kHz video; 64 bits, so it never
wraps). An entry flagged ``ask`` carries nothing: the origin asks the edge that forwards person
``name``'s camera for a keyframe.

Up, wants name channels (flag video: the picture); audio entries carry 20 ms of a person's
decoded voice (48 kHz mono s16, ``name`` is the person, the timestamp a chunk counter); video
entries carry that person's camera as VP8.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

VERSION = 1
DOWN = ord("D")
WANTS, KEYFRAME, AUDIO, VIDEO = (ord(c) for c in "WKAV")
UP_KINDS = frozenset({WANTS, KEYFRAME, AUDIO, VIDEO})
FLAG_VIDEO, FLAG_KEYFRAME, FLAG_ASK = 1, 2, 4

_DOWN = struct.Struct(">BBQIQ")
_UP = struct.Struct(">BBB")
_ENTRY = struct.Struct(">BBQI")


class BatchError(ValueError):
    """A message that is not one of ours (another version, truncated, or garbage)."""


class Entry(NamedTuple):
    name: str
    ts: int
    payload: bytes
    video: bool = False
    keyframe: bool = False
    ask: bool = False


class Down(NamedTuple):
    token: int
    seq: int
    sent_us: int
    entries: list[Entry]


class Up(NamedTuple):
    kind: int
    node: str
    entries: list[Entry]


def _entries(entries: list[Entry]) -> list[bytes]:
    parts = []
    for e in entries:
        name = e.name.encode()
        if len(name) > 255:
            raise ValueError(f"a name of at most 255 bytes, not {e.name[:40]!r}...")
        flags = (FLAG_VIDEO if e.video else 0) | (FLAG_KEYFRAME if e.keyframe else 0) | (FLAG_ASK if e.ask else 0)
        parts += (_ENTRY.pack(flags, len(name), e.ts, len(e.payload)), name, e.payload)
    return parts


def _read_entries(data: bytes | memoryview, pos: int) -> list[Entry]:
    view = memoryview(data)
    out = []
    end = len(view)
    while pos < end:
        if pos + _ENTRY.size > end:
            raise BatchError("truncated entry header")
        flags, n, ts, size = _ENTRY.unpack_from(view, pos)
        pos += _ENTRY.size
        if pos + n + size > end:
            raise BatchError("truncated entry")
        try:
            name = bytes(view[pos : pos + n]).decode()
        except UnicodeDecodeError:
            raise BatchError("an entry's name is not UTF-8") from None
        payload = bytes(view[pos + n : pos + n + size])
        pos += n + size
        out.append(
            Entry(name, ts, payload, bool(flags & FLAG_VIDEO), bool(flags & FLAG_KEYFRAME), bool(flags & FLAG_ASK))
        )
    return out


def pack_down(token: int, seq: int, sent_us: int, entries: list[Entry]) -> bytes:
    return b"".join([_DOWN.pack(VERSION, DOWN, token, seq & 0xFFFFFFFF, sent_us), *_entries(entries)])


def unpack_down(data: bytes) -> Down:
    if len(data) < _DOWN.size:
        raise BatchError("shorter than a batch header")
    version, kind, token, seq, sent_us = _DOWN.unpack_from(data)
    if version != VERSION or kind != DOWN:
        raise BatchError(f"not a version {VERSION} down batch")
    return Down(token, seq, sent_us, _read_entries(data, _DOWN.size))


def pack_up(kind: int, node: str, entries: list[Entry] | None = None) -> bytes:
    if kind not in UP_KINDS:
        raise ValueError(f"unknown up kind {kind}")
    raw = node.encode()
    if len(raw) > 255:
        raise ValueError("a node id of at most 255 bytes")
    return b"".join([_UP.pack(VERSION, kind, len(raw)), raw, *_entries(entries or [])])


def unpack_up(data: bytes) -> Up:
    if len(data) < _UP.size:
        raise BatchError("shorter than an up header")
    version, kind, n = _UP.unpack_from(data)
    if version != VERSION or kind not in UP_KINDS:
        raise BatchError(f"not a version {VERSION} up message")
    if len(data) < _UP.size + n:
        raise BatchError("truncated node id")
    try:
        node = data[_UP.size : _UP.size + n].decode()
    except UnicodeDecodeError:
        raise BatchError("the node id is not UTF-8") from None
    return Up(kind, node, _read_entries(data, _UP.size + n))
