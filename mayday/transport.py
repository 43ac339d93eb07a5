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
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from mayday.hub import CLOSE_TOO_SLOW

_known = set(WebSocketsSansIOProtocol.__init__.__code__.co_names) | set(dir(WebSocketsSansIOProtocol))
for _name in ("writable", "keepalive_timeout", "close_sent", "transport", "conn", "pong_timer"):
    if _name not in _known:
        raise ImportError(f"this uvicorn's WebSocketsSansIOProtocol has no {_name!r}: see mayday/transport.py")


class MaydayWebSocketProtocol(WebSocketsSansIOProtocol):
    def send(self, message: Any) -> Coroutine[Any, Any, None]:  # type: ignore[override]
        # Not a coroutine itself: every frame to every board passes here, and handing back
        # uvicorn's own coroutine costs no extra frame on that path.
        if message["type"] == "websocket.close" and not self.writable.is_set() and not self.close_sent:
            return self._close_past_pause(message)
        return super().send(message)

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
