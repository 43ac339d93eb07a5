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
from mayday.transport import DIRECT

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


@dataclass(slots=True)  # one per connection: no __dict__
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
    to their fields instead of keeping copies of their own.

    An idle session owns no asyncio task: this coroutine (uvicorn's task for the connection) reads
    the client's frames itself, live frames reach the client through the subscriber's sink, and a
    task exists only while frames wait for a slow client (``_Live``) or, with an extension, to send
    its frames. A session that must end while its reader waits for the client (dropped for being
    too slow, its link revoked, a failed send) cancels this task's wait (``_Live.end``).
    """
    await websocket.accept()
    opened = await _hello(websocket, authenticate)
    if opened is None:
        return
    grant, after = opened
    session = Session(grant=grant, stream=stream)
    live = _Live(websocket, asyncio.current_task())

    # Subscribe before reading history: whatever is appended meanwhile lands in the queue, and
    # offsets tell the writer what it has already sent.
    sub = live.sub = hub.subscribe(stream, on_drop=live.dropped)
    try:
        live.last = await _catch_up(websocket, log, stream, after, outward, grant, limits, now)
        # Only a link with a subject (a site, a person) can be revoked: anonymous readers and role
        # links skip the check, which is per frame and adds up over thousands of boards.
        if grant is not None and grant.subject is not None:
            live.revoked = lambda: revoked(session)
        push: Push = _no_push
        if extension is not None:
            push = live.outbox(websocket)
        live.start()
        try:
            if live.why is None:
                live.reading = True
                await _read(websocket, session, handle, now, extension, push, live.ending)
        except asyncio.CancelledError:
            # Ours (live.end) unless the server is stopping too: then the cancel goes on up.
            task = asyncio.current_task()
            if live.why is None or (task is not None and task.uncancel() > 0):
                raise
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass  # the client went away while we read or answered
        finally:
            live.reading = False
            await live.stop()  # nothing more goes out but the close
        why = live.why
        if why is _DROPPED:
            await _close(websocket, CLOSE_TOO_SLOW, "too slow: reconnect with your last offset")
        elif isinstance(why, LinkRevoked):
            await _close(websocket, CLOSE_UNAUTHORIZED, "revoked")
        else:
            if why is not None and not isinstance(why, (WebSocketDisconnect, RuntimeError, OSError)):
                raise why
            await _close(websocket, 1000, "")
    finally:
        hub.unsubscribe(sub)
        if extension is not None:
            await extension.closed(session)


async def _hello(websocket: WebSocket, authenticate: Authenticate) -> tuple[Grant | None, int] | None:
    """The client's hello, checked and authenticated: (grant, offset it holds); None when it was
    refused (the client has had its error and close). A function of its own so that the hello's
    text and parsed frame go when it returns, instead of living as long as the session."""
    try:
        hello = await asyncio.wait_for(websocket.receive_text(), HELLO_TIMEOUT)
    except (TimeoutError, WebSocketDisconnect, RuntimeError, KeyError):
        await _close(websocket, CLOSE_POLICY, "expected a hello frame")
        return None
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
        return await authenticate(token), after
    except ApiError as e:
        await websocket.send_text(_error(e.code, e.message))
        await _close(websocket, CLOSE_FOR_STATUS.get(e.status, CLOSE_POLICY), e.code)
        return None


async def _catch_up(
    websocket: WebSocket,
    log: EventLog,
    stream: str,
    after: int,
    outward: Callable[[list[Record]], list[Record]] | None,
    grant: Grant | None,
    limits: dict[str, int] | None,
    now: Callable[[], str],
) -> int:
    """Send welcome and the history after ``after``; returns the last offset sent. A function of
    its own so that the history read goes when it returns: a board that caught up on a thousand
    events does not keep them for as long as it stays connected."""
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
    return last


def _no_push(frame: dict[str, Any]) -> None:
    raise RuntimeError("frames are pushed only for an extension")


class LinkRevoked(Exception):
    """The session's link was revoked while it was open: it gets nothing more."""


class _Dropped(Exception):
    """The subscriber fell too far behind (its queue overflowed), or the extension's outbox did."""


_DROPPED = _Dropped()  # a reason the session ends, never raised


def _unsent(item: Item, last: int) -> str | None:
    """The frame of ``item`` without what was already sent (None if nothing is left)."""
    end, text, parts = item
    if end <= last:
        return None
    if parts and parts[0][0] <= last:  # overlaps the history read: trim it for this client
        return frame_of([p for p in parts if p[0] > last])
    return text


class _Live:
    """One session once it follows the stream: sends its subscriber's frames, in offset order,
    each once, and knows why the session ends.

    While the client keeps up, ``direct`` is the subscriber's sink: the publisher runs the send
    itself, and it completes there and then when the transport takes the frame (the usual case for
    an idle board) -- no queue, no task, no task switch per client. A send that has to wait (the
    transport's buffer is full) is handed to a drain task made for the purpose, and later frames
    queue behind it in the subscriber's bounded queue, whose overflow drops the client with 4008
    as before; once the queue is empty the drain task re-attaches the sink and ends.

    ``end(why)`` records the first reason the session ends (``_DROPPED``, ``LinkRevoked``, a failed
    send) and, while the session's task waits in its reader, cancels that wait.
    """

    __slots__ = (
        "drain",
        "inflight",
        "last",
        "reading",
        "revoked",
        "sender",
        "stopped",
        "sub",
        "task",
        "websocket",
        "why",
        "write",
    )

    def __init__(self, websocket: WebSocket, task: asyncio.Task[Any] | None) -> None:
        self.websocket, self.task = websocket, task
        # The server's way to write a text frame now, past the ASGI layers (mayday/transport.py:
        # about half the Python cost of a delivery); None under another server.
        direct = websocket.scope.get("extensions", {}).get(DIRECT)
        self.write: Callable[[str], bool] | None = direct["write_text"] if direct else None
        self.sub: Subscriber = None  # type: ignore[assignment]  # set right after, by serve_stream
        self.last = 0
        self.revoked: Callable[[], bool] | None = None
        self.inflight: tuple[Coroutine[Any, Any, None], Any] | None = None
        self.drain: asyncio.Task[None] | None = None  # only while frames wait for the client
        self.sender: asyncio.Task[None] | None = None  # the extension's outbox, if any
        self.reading = False
        self.stopped = False
        self.why: BaseException | None = None

    # -- how the session ends

    def end(self, why: BaseException) -> None:
        if self.why is not None or self.stopped:
            return
        self.why = why
        self.sub.sink = None  # nothing more goes out but the close
        # Cancel the reader's wait only from elsewhere: from its own task (a command whose append
        # was published to this very session) the cancel would land at whatever it awaits next,
        # perhaps past the reader; there the reader sees ending() after its reply instead.
        if self.reading and self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()

    def dropped(self) -> None:
        self.end(_DROPPED)

    def ending(self) -> bool:
        return self.why is not None

    async def stop(self) -> None:
        """Detach, and end the tasks this session started (awaited, so they have ended)."""
        self.stopped = True
        self.sub.sink = None
        for task in (self.drain, self.sender):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self.inflight is not None:
            self.inflight[0].close()
            self.inflight = None

    # -- frames to the client

    def start(self) -> None:
        """After the history: drain what was queued meanwhile, or attach the sink."""
        if self.why is not None:
            return  # dropped while the history went out: the session ends
        if self.sub.pending():
            self.drain = asyncio.get_running_loop().create_task(self._drain())
        else:
            self.sub.sink = self.direct

    def direct(self, item: Item) -> None:
        text = _unsent(item, self.last)
        if text is None:
            return
        self.last = item[0]
        if self.revoked is not None and self.revoked():
            self.end(LinkRevoked())
            return
        if self.write is not None and self.write(text):
            return  # written (it declines when the connection is paused or closing: then as below)
        send = self.websocket.send({"type": "websocket.send", "text": text})  # = send_text(text)
        try:
            self.inflight = (send, send.send(None))  # runs the send until it would wait
        except StopIteration:
            return  # sent
        except Exception as e:  # the connection is gone or closing: the session ends
            self.end(e)
            return
        self.sub.sink = None  # later frames queue behind this one
        self.drain = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        sub = self.sub
        try:
            while True:
                if self.inflight is not None:
                    send, waiting_on = self.inflight
                    self.inflight = None
                    await _finish(send, waiting_on)
                if not sub.pending():
                    break
                item = sub.queue.get_nowait()
                text = _unsent(item, self.last)  # skips what the history read already sent
                if text is not None:
                    if self.revoked is not None and self.revoked():
                        raise LinkRevoked
                    await self.websocket.send_text(text)
                    self.last = item[0]
        except Exception as e:
            self.end(e)
            return
        finally:
            self.drain = None
        # Caught up (no await since the queue was seen empty, so nothing was queued meanwhile):
        # the sink takes the next frame, and the queue goes until the client falls behind again.
        if not self.stopped and self.why is None:
            sub.release_queue()
            sub.sink = self.direct

    def outbox(self, websocket: WebSocket) -> Push:
        """The extension's frames: a bounded queue and a task that sends them, in push order."""
        queue: asyncio.Queue[str] = asyncio.Queue(OUTBOX)

        def push(frame: dict[str, Any]) -> None:
            try:
                queue.put_nowait(_frame(**frame))
            except asyncio.QueueFull:
                self.end(_DROPPED)

        self.sender = asyncio.get_running_loop().create_task(self._send_outbox(websocket, queue))
        return push

    async def _send_outbox(self, websocket: WebSocket, outbox: asyncio.Queue[str]) -> None:
        try:
            while True:
                await websocket.send_text(await outbox.get())
        except Exception as e:
            self.end(e)


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
    ending: Callable[[], bool],
) -> None:
    frames = FrameLimit()  # in memory, this connection's own: it goes when the connection does
    limit = max(MAX_FRAME, extension.max_frame) if extension else MAX_FRAME
    strikes = 0
    # ending(): the session was told to end while a command ran (its cancel is normally what
    # stops this loop; this check is for a cancel that something below swallowed)
    while not ending():
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
