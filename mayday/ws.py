"""The WebSocket session shell shared by every live page (board, chair, delegate, viewer).

One connection follows one stream. The client opens with ``hello`` (its link token, if any, and the
last offset it holds); the server answers ``welcome``, sends every event after that offset, then
live ones, in offset order, with no gap and no duplicate. Commands come back as ``command`` frames
and are answered with ``ack`` or ``error``. Frames are size- and rate-limited; a client that cannot
keep up is closed with 4008 and resumes from its offset. Messages are listed in docs/protocol.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from mayday import wire
from mayday.errors import STORAGE_ERRORS, ApiError, unavailable
from mayday.hub import CLOSE_TOO_SLOW, Hub, Item, Subscriber, encode_batch, frame_of
from mayday.links import Grant
from mayday.log import EventLog, Record
from mayday.ratelimits import FrameLimit

log = logging.getLogger("mayday.ws")
HISTORY_BATCH = 256  # events per frame when catching a client up
MAX_FRAME = 8 * 1024  # a command is small; the transport itself refuses frames over 64 KiB (1009)
OUTBOX = 256  # frames an extension may have waiting for one client before the client is dropped
HELLO_TIMEOUT = 10.0
CLOSE_UNAUTHORIZED = 4001
CLOSE_NOT_FOUND = 4004
CLOSE_POLICY = 1008
CLOSE_WAIT = 10.0
CLOSE_FOR_STATUS = {401: CLOSE_UNAUTHORIZED, 403: CLOSE_UNAUTHORIZED, 404: CLOSE_NOT_FOUND}


@dataclass
class Session:
    grant: Grant | None  # None: anonymous reader of a public board
    stream: str
    media: Any = None  # the extension's state for this session (the assembly's media connection)


Push = Callable[[dict[str, Any]], None]


class Extension(Protocol):
    """Frames beyond commands that a stream's socket also speaks (the assembly's media signalling).
    ``handle`` answers through ``push`` (frames go out in push order, after any already queued)
    and raises ApiError to refuse; ``closed`` runs when the session ends, however it ends."""

    types: frozenset[str]
    max_frame: int

    async def handle(self, session: Session, msg: dict[str, Any], push: Push) -> None: ...

    async def closed(self, session: Session) -> None: ...


Authenticate = Callable[[str | None], Awaitable[Grant | None]]  # raises ApiError to refuse
HandleCommand = Callable[[Session, Any], Awaitable[int]]  # returns the log offset after the command


def _size(text: str, limit: int) -> int:
    """The frame's size in UTF-8 bytes (the limits are in bytes); past ``limit`` characters it
    cannot be under the limit, and is not encoded at all."""
    if len(text) > limit:
        return limit + 1
    return len(text.encode("utf-8", "surrogatepass"))


_ID = re.compile(r'"id"\s*:\s*("(?:[^"\\]|\\.){0,64}"|-?[0-9]{1,19})')


def _peek_id(text: str) -> Any:
    """The ``id`` of a frame that cannot be parsed whole (too large, bad JSON), if it can be read
    from the text, so the client can match the error to its request; None if not."""
    m = _ID.search(text[:4096])
    if m is None:
        return None
    try:
        return wire.loads(m.group(1))
    except wire.WireError:
        return None


def _frame(**fields: Any) -> str:
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False)


def _error(code: str, message: str, cid: Any = None) -> str:
    return _frame(type="error", id=cid, code=code, message=message)


async def serve_stream(
    websocket: WebSocket,
    *,
    stream: str,
    log: EventLog,
    hub: Hub,
    authenticate: Authenticate,
    handle: HandleCommand,
    now: Callable[[], str],
    revoked: Callable[[Session], bool] = lambda session: False,
    extension: Extension | None = None,
    limits: dict[str, int] | None = None,
    outward: Callable[[list[Record]], list[Record]] | None = None,
) -> None:
    """Serve one client: hello, history, live events, commands. ``revoked(session)`` is asked
    before each frame goes out, so a link revoked mid-session stops receiving (closed with 4001).
    ``limits`` go out in ``welcome``: the sizes the server holds commands to, which pages apply
    to their fields instead of keeping copies of their own."""
    await websocket.accept()
    try:
        hello = await asyncio.wait_for(websocket.receive_text(), HELLO_TIMEOUT)
    except (TimeoutError, WebSocketDisconnect, RuntimeError, KeyError):
        await _close(websocket, CLOSE_POLICY, "expected a hello frame")
        return
    try:
        if _size(hello, MAX_FRAME) > MAX_FRAME:
            raise ApiError("too_large", f"a frame is at most {MAX_FRAME} bytes")
        try:
            msg = wire.loads(hello)
        except wire.WireError as e:
            raise ApiError("bad_json", f"the hello frame is not acceptable JSON: {e}") from None
        if not isinstance(msg, dict) or msg.get("type") != "hello":
            raise ApiError("bad_hello", 'the first frame must be {"type": "hello", ...}')
        try:
            after = wire.offset(msg.get("after", 0))
        except wire.WireError as e:
            raise ApiError("bad_hello", str(e)) from None
        token = msg.get("token")
        if token is not None and not isinstance(token, str):
            raise ApiError("bad_hello", "token must be a string")
        grant = await authenticate(token)
    except ApiError as e:
        await websocket.send_text(_error(e.code, e.message))
        await _close(websocket, CLOSE_FOR_STATUS.get(e.status, CLOSE_POLICY), e.code)
        return
    session = Session(grant=grant, stream=stream)

    # Subscribe before reading history: whatever is appended meanwhile lands in the queue, and
    # offsets tell the writer what it has already sent.
    closed = asyncio.Event()
    sub = hub.subscribe(stream, on_drop=closed.set)
    try:
        history = await log.read(stream, after)
        if outward is not None:
            history = outward(history)
        end = await log.last_offset(stream)
        # A client ahead of the log (it was wiped, or the offset is made up) learns the real end
        # from welcome and starts over; it never waits for offsets that will not come.
        last = history[-1].offset if history else min(after, end)
        await websocket.send_text(
            _frame(
                type="welcome",
                stream=stream,
                role=grant.role if grant else "public",
                subject=grant.subject if grant else None,
                offset=max(last, end),
                now=now(),
                limits=limits or {},
            )
        )
        for start in range(0, len(history), HISTORY_BATCH):
            await websocket.send_text(encode_batch(history[start : start + HISTORY_BATCH])[1])
        # Only a link with a subject (a site, a person) can be revoked: anonymous readers and role
        # links skip the check, which is per frame and adds up over thousands of boards.
        check: Callable[[], bool] | None = None
        if grant is not None and grant.subject is not None:
            check = lambda: revoked(session)  # noqa: E731
        writer = asyncio.create_task(_Writer(websocket, sub, last, check).run())
        outbox: asyncio.Queue[str] = asyncio.Queue(OUTBOX)

        def push(frame: dict[str, Any]) -> None:
            try:
                outbox.put_nowait(_frame(**frame))
            except asyncio.QueueFull:
                closed.set()

        reader = asyncio.create_task(_read(websocket, session, handle, now, extension, push))
        dropped = asyncio.create_task(closed.wait())
        tasks = {writer, reader, dropped}
        if extension is not None:
            tasks.add(asyncio.create_task(_send_outbox(websocket, outbox)))
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        sub.sink = None  # the session is ending: nothing more goes out but the close
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if dropped in done:
            await _close(websocket, CLOSE_TOO_SLOW, "too slow: reconnect with your last offset")
        elif writer in done and isinstance(writer.exception(), LinkRevoked):
            await _close(websocket, CLOSE_UNAUTHORIZED, "revoked")
        else:
            for task in done:
                with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                    task.result()
            await _close(websocket, 1000, "")
    finally:
        hub.unsubscribe(sub)
        if extension is not None:
            await extension.closed(session)


async def _send_outbox(websocket: WebSocket, outbox: asyncio.Queue[str]) -> None:
    while True:
        await websocket.send_text(await outbox.get())


_WAKE: Item = (0, "", ())  # queued by a sink that detached itself; offset 0 is never sent


class LinkRevoked(Exception):
    """The session's link was revoked while it was open: it gets nothing more."""


def _unsent(item: Item, last: int) -> str | None:
    """The frame of ``item`` without what was already sent (None if nothing is left)."""
    end, text, parts = item
    if end <= last:
        return None
    if parts and parts[0][0] <= last:  # overlaps the history read: trim it for this client
        return frame_of([p for p in parts if p[0] > last])
    return text


class _Writer:
    """Sends one subscriber's frames, in offset order, each once.

    While the client keeps up, ``direct`` is the subscriber's sink: the publisher runs the send
    itself, and it completes there and then when the transport takes the frame (the usual case for
    an idle board) -- no queue, no task switch per client. A send that has to wait (the transport's
    buffer is full) or fails is handed back to this writer's task, and later frames queue behind it
    in the bounded queue, whose overflow drops the client with 4008 as before.
    """

    __slots__ = ("error", "inflight", "last", "revoked", "sub", "websocket")

    def __init__(self, websocket: WebSocket, sub: Subscriber, last: int, revoked: Callable[[], bool] | None) -> None:
        self.websocket, self.sub, self.last, self.revoked = websocket, sub, last, revoked
        self.inflight: tuple[Coroutine[Any, Any, None], Any] | None = None
        self.error: Exception | None = None

    def direct(self, item: Item) -> None:
        text = _unsent(item, self.last)
        if text is None:
            return
        self.last = item[0]
        if self.revoked is not None and self.revoked():
            self.error = LinkRevoked()
            self.sub.sink = None
            self.sub.queue.put_nowait(_WAKE)
            return
        send = self.websocket.send({"type": "websocket.send", "text": text})  # = send_text(text)
        try:
            self.inflight = (send, send.send(None))  # runs the send until it would wait
        except StopIteration:
            return  # sent
        except Exception as e:  # the connection is gone or closing: the writer ends the session
            self.error = e
        self.sub.sink = None
        self.sub.queue.put_nowait(_WAKE)  # the queue is empty: sinks are only called then

    async def run(self) -> None:
        sub, queue = self.sub, self.sub.queue
        try:
            while True:
                if self.error is not None:
                    raise self.error
                if self.inflight is not None:
                    send, waiting_on = self.inflight
                    self.inflight = None
                    await _finish(send, waiting_on)
                if queue.empty():
                    sub.sink = self.direct
                item = await queue.get()
                sub.sink = None
                text = _unsent(item, self.last)  # skips what the history read already sent
                if text is not None:
                    if self.revoked is not None and self.revoked():
                        raise LinkRevoked
                    await self.websocket.send_text(text)
                    self.last = item[0]
        finally:
            sub.sink = None
            if self.inflight is not None:
                self.inflight[0].close()


async def _finish(coro: Coroutine[Any, Any, None], waiting_on: Any) -> None:
    """Run to its end, in this task, a coroutine that another task started and that suspended on
    ``waiting_on`` (what it yielded: an asyncio future, or None for a bare yield)."""
    try:
        while True:
            if waiting_on is None:
                await asyncio.sleep(0)
            else:
                await asyncio.wait((waiting_on,))  # done or failed: the coroutine sees which
            waiting_on = coro.send(None)
    except StopIteration:
        pass
    finally:
        coro.close()  # cancelled while it waited: let its finally clauses run


async def _read(
    websocket: WebSocket,
    session: Session,
    handle: HandleCommand,
    now: Callable[[], str],
    extension: Extension | None,
    push: Push,
) -> None:
    frames = FrameLimit()  # in memory, this connection's own: it goes when the connection does
    limit = max(MAX_FRAME, extension.max_frame) if extension else MAX_FRAME
    strikes = 0
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        # Every frame counts against the rate, binary ones too; 50 refusals in a row end the session
        # (a client that slows down starts afresh).
        if not await frames.take():
            strikes += 1
            await websocket.send_text(_error("rate_limited", "too many messages; slow down"))
            if strikes > 50:
                await _close(websocket, CLOSE_POLICY, "rate limit")
                return
            continue
        strikes = 0
        text = message.get("text")
        if text is None:
            await websocket.send_text(_error("bad_frame", "send JSON text frames, not binary"))
            continue
        size = _size(text, limit)
        if size > limit:
            await websocket.send_text(_error("too_large", f"a frame is at most {limit} bytes", _peek_id(text)))
            continue
        try:
            msg = wire.loads(text)
        except wire.WireError as e:
            await websocket.send_text(_error(e.code, f"the frame is not acceptable JSON: {e}", _peek_id(text)))
            continue
        if not isinstance(msg, dict):
            await websocket.send_text(_error("bad_frame", "a frame is a JSON object with a type"))
            continue
        cid = msg.get("id")
        if extension is not None and msg.get("type") in extension.types:
            try:
                await extension.handle(session, msg, push)
            except ApiError as e:
                push({"type": "error", "id": cid, "code": e.code, "message": e.message})
            continue
        if size > MAX_FRAME:  # only the extension's frames (an SDP answer) may be larger
            await websocket.send_text(_error("too_large", f"a frame is at most {MAX_FRAME} bytes", cid))
            continue
        if msg.get("type") == "ping":
            await websocket.send_text(_frame(type="pong", id=cid, now=now()))
            continue
        if msg.get("type") != "command":
            await websocket.send_text(_error("bad_frame", f"unknown frame type {msg.get('type')!r}", cid))
            continue
        try:
            offset = await handle(session, msg.get("command"))
        except ApiError as e:
            await websocket.send_text(_error(e.code, e.message, cid))
            continue
        except STORAGE_ERRORS as e:
            await websocket.send_text(_error("unavailable", unavailable(e).message, cid))
            continue
        except Exception:
            # A bug, not the client's fault: say so, keep the session (its other commands and the
            # live events it follows are unaffected), and leave the traceback for the operator.
            log.exception("command on %s failed", session.stream)
            await websocket.send_text(_error("internal", "the server failed on this command; it was logged", cid))
            continue
        await websocket.send_text(_frame(type="ack", id=cid, offset=offset))


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    """Send a close frame if the peer drains its buffer within CLOSE_WAIT; a stalled peer's
    transport is then closed by the server when this handler returns."""
    if websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect, TimeoutError):
            await asyncio.wait_for(websocket.close(code, reason), CLOSE_WAIT)
