"""uvicorn's sans-I/O WebSocket protocol, with the two changes that make every close documented.

1. A close frame is written even to a peer that stopped reading. uvicorn waits for the transport
   to drain before each send, the close included, so a client that stalled never got one: its
   connection was just dropped. The close frame goes into the transport's buffer behind what is
   already there (bounded by the high-water mark), and uvicorn's own close timer ends the
   connection if the peer never answers.
2. A peer that does not answer keepalive pings is closed with 4008 ("too slow: reconnect with your
   last offset"), the code Mayday documents for a client that cannot keep up, instead of 1011.

Both reach into uvicorn's protocol object (``writable``, ``keepalive_timeout``); the attributes
are checked at import so that an incompatible uvicorn fails loudly, and tests/faults cover both.

And three that keep an idle connection small (bench/README.md, "10,000 boards per process"),
without changing what the protocol does:

3. uvicorn's receive queue (an ``asyncio.Queue``: four deques and an Event, about 2.9 KiB) is an
   ``Inbox`` (a list and at most one waiter): one receiver, the app, takes the messages.
4. The ``writable`` flag (an ``asyncio.Event``, whose deque of waiters is 760 bytes) is a ``Flag``
   with the same four methods, whose waiters are a list made only while a send waits.
5. Once the handshake is answered, the request's and the response's headers are let go (about
   3 KiB): uvicorn reads them only to answer the handshake, and the ASGI scope has its own copy.

And one that makes each delivery cheaper (and so an event reach the last of 10,000 boards sooner):

6. ``write_text`` writes a text frame to the transport there and then, framed once for every
   connection it goes to (a server's frames are not masked, and without extensions they are the
   same bytes for every client), bypassing the ASGI layers; it is offered to the app as the scope
   extension ``mayday.direct``. Only when the connection is open, writable and has nothing of its
   own in flight; otherwise it declines and the caller takes the ordinary ASGI send, so ordering,
   pausing and every close are uvicorn's as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import Protocol as WebSocketsProtocol
from websockets.protocol import State

from mayday.hub import CLOSE_TOO_SLOW

_known = set(dir(WebSocketsSansIOProtocol))
for _method in (WebSocketsSansIOProtocol.__init__, WebSocketsSansIOProtocol.handle_connect):
    _known |= set(_method.__code__.co_names)
_USED = (
    "writable",
    "keepalive_timeout",
    "close_sent",
    "transport",
    "conn",
    "pong_timer",
    "queue",
    "request",
    "response",
    "scope",
    "disconnected",
)
for _name in _USED:
    if _name not in _known:
        raise ImportError(f"this uvicorn's WebSocketsSansIOProtocol has no {_name!r}: see mayday/transport.py")
_known = set(WebSocketsProtocol.__init__.__code__.co_names) | set(dir(WebSocketsProtocol))
for _name in ("state", "extensions", "expect_continuation_frame", "writes", "debug"):
    if _name not in _known:
        raise ImportError(f"this websockets' Protocol has no {_name!r}: see mayday/transport.py")


DIRECT = "mayday.direct"  # the ASGI scope extension: {"write_text": MaydayWebSocketProtocol.write_text}

_framed: tuple[str, bytes] = ("", b"")  # the last text framed, and its frame


def text_frame(text: str) -> bytes:
    """``text`` as an unmasked, unfragmented WebSocket text frame (what a server sends without
    extensions), by websockets' own serializer; the same text object twice in a row (one event
    offered to every board) is framed once."""
    global _framed
    if _framed[0] is text:
        return _framed[1]
    frame = Frame(Opcode.TEXT, text.encode()).serialize(mask=False)
    _framed = (text, frame)
    return frame


class Inbox:
    """What uvicorn's protocol uses of an unbounded ``asyncio.Queue`` (``put_nowait``, ``get``,
    ``empty``) for its one receiver: the app's ``receive``, which ASGI calls one at a time."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] = []  # a message or two at most: uvicorn pauses reading meanwhile
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    async def get(self) -> Any:
        while not self._items:
            if self._waiter is not None:
                raise RuntimeError("a WebSocket's messages are received by one caller at a time")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)


class Flag:
    """``asyncio.Event``'s ``is_set``, ``set``, ``clear`` and ``wait``, with its waiters in a list
    made only while someone waits (asyncio's keeps a deque per event)."""

    __slots__ = ("_set", "_waiters")

    def __init__(self, value: bool = False) -> None:
        self._set = value
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if self._set:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
            return True
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)


class MaydayWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Flag(True)  # type: ignore[assignment]

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # none when the handshake was refused
        if scope is not None:
            scope["extensions"][DIRECT] = {"write_text": self.write_text}

    def write_text(self, text: str) -> bool:
        """Write ``text`` as one text frame now, if nothing stands in the way; False when the
        caller must use the ordinary ASGI send instead (paused, closing, an extension, a debug log)."""
        conn = self.conn
        if (
            not self.writable.is_set()
            or self.close_sent
            or self.disconnected
            or conn.state is not State.OPEN
            or conn.extensions
            or conn.expect_continuation_frame
            or conn.writes
            or conn.debug
            or self.transport.is_closing()
        ):
            return False
        self.transport.write(text_frame(text))
        return True

    def send(self, message: Any) -> Coroutine[Any, Any, None]:  # type: ignore[override]
        # Not a coroutine itself: every frame to every board passes here, and handing back
        # uvicorn's own coroutine costs no extra frame on that path.
        if message["type"] == "websocket.close" and not self.writable.is_set() and not self.close_sent:
            return self._close_past_pause(message)
        if message["type"] == "websocket.accept":
            return self._accept(message)
        return super().send(message)

    async def _accept(self, message: Any) -> None:
        await super().send(message)
        # The handshake is answered: its headers are not read again. The request stays referenced
        # by websockets' parser (a local of its generator), so its headers are emptied in place.
        if self.handshake_complete:
            self.request.headers.clear()
            self.response = None

    async def _close_past_pause(self, message: Any) -> None:
        # The close is written now, behind the buffered data; nothing else may overtake it, and
        # no other sender may run while we pretend to be writable (no await between set and clear).
        self.writable.set()
        try:
            await super().send(message)
        finally:
            if not self.transport.is_closing():
                self.writable.clear()

    def keepalive_timeout(self) -> None:
        self.pong_timer = None
        self.pending_ping_payload = None
        if self.close_sent or self.transport.is_closing():
            return
        self.conn.fail(CLOSE_TOO_SLOW, "no answer to pings: reconnect with your last offset")
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self.transport.close()
