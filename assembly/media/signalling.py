"""The media frames of the assembly WebSocket: join (the hub offers), answer, select, leave, and
the booth back-channel. Listed in docs/protocol.md.

The hub always makes the offer. Its transceivers, and so what a connection can ever send, come
from the role (``interpretation.SENDS``); a viewer's connection has no receiving transceiver at
all, whatever its browser puts in the answer. ICE candidates travel inside the SDP: aiortc gathers
before it offers, and the page answers once its own gathering is complete.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from assembly.interpretation import LAYOUT, SENDS
from assembly.media.settings import MediaError
from assembly.state import AssemblyState
from mayday.errors import ApiError, bad_request, forbidden
from mayday.ws import Session

if TYPE_CHECKING:  # the hub imports the media stack on first use (see hub.py)
    from assembly.media.hub import MediaHub
    from assembly.media.room import Room

MAX_SDP = 24 * 1024  # a browser's answer with its candidates is a few KiB
MAX_CHAT = 500  # characters


class MediaEndpoint:
    types = frozenset({"media_join", "media_answer", "media_select", "media_leave", "booth_chat"})
    max_frame = MAX_SDP + 1024

    def __init__(
        self,
        hub: MediaHub,
        assembly_id: str,
        state_of: Callable[[], AssemblyState | None],
        now: Callable[[], str],
        check: Callable[[Session], None],
    ) -> None:
        self.hub, self.assembly_id, self.state_of, self.now, self.check = hub, assembly_id, state_of, now, check

    def _room(self) -> Room:
        return self.hub.room(self.assembly_id, self.state_of)

    async def handle(self, session: Session, msg: dict[str, Any], push: Callable[[dict[str, Any]], None]) -> None:
        self.check(session)  # a revoked link is refused here too
        kind, cid = msg["type"], msg.get("id")
        grant = session.grant
        role = grant.role if grant else "viewer"
        try:
            if kind == "media_join":
                channel, video = _choice(msg)
                await self.closed(session)
                room = self._room()
                peer, sdp = await room.join(grant.subject if grant else None, role, grant.version if grant else 0, push)
                session.media = (room, peer)
                try:
                    room.select(peer, channel, video)
                except MediaError:
                    await self.closed(session)
                    raise
                push(
                    {
                        "type": "media_offer",
                        "id": cid,
                        "sdp": sdp,
                        "ice_servers": self.hub.settings.ice_servers,
                        "layout": [
                            {"feed": feed, "kind": k, "send": s}
                            for (feed, k), s in zip(LAYOUT, SENDS[role], strict=True)
                        ],
                    }
                )
                for frame in room.booth_history(peer):
                    push(frame)
                return
            if kind == "booth_chat":
                if session.grant is None or session.grant.role != "interpreter":
                    raise forbidden("only interpreters chat in a booth")
                text = msg.get("text")
                if not isinstance(text, str) or not text.strip() or len(text) > MAX_CHAT:
                    raise bad_request("bad_frame", f"booth_chat needs text of 1-{MAX_CHAT} characters")
                room, peer = self._joined(session)
                room.booth_message(peer, text.strip(), self.now(), cid)
                return
            room, peer = self._joined(session)
            if kind == "media_answer":
                sdp = msg.get("sdp")
                if not isinstance(sdp, str) or not sdp or len(sdp.encode()) > MAX_SDP:
                    raise bad_request("bad_frame", f"media_answer needs sdp, a string of at most {MAX_SDP} bytes")
                try:
                    await room.answer(peer, sdp)
                except MediaError as e:
                    if e.code == "bad_sdp":  # aiortc may have half-applied it: start afresh
                        await self.closed(session)
                    raise
                push({"type": "media_ready", "id": cid, **peer.describe()})
            elif kind == "media_select":
                channel, video = _choice(msg)
                push({"type": "media_selected", "id": cid, **room.select(peer, channel, video)})
            elif kind == "media_leave":
                await self.closed(session)
                push({"type": "media_left", "id": cid})
        except MediaError as e:
            raise ApiError(e.code, e.message, 403 if e.code == "forbidden" else 409) from None

    def _joined(self, session: Session) -> tuple[Room, Any]:
        if session.media is None:
            raise ApiError("media_state", "send media_join first", 409)
        room, peer = session.media
        if peer.closed:
            session.media = None
            raise ApiError("media_state", "the media connection has ended; send media_join again", 409)
        return room, peer

    async def closed(self, session: Session) -> None:
        if session.media is not None:
            room, peer = session.media
            session.media = None
            await self.hub.leave(room, peer)


def _choice(msg: dict[str, Any]) -> tuple[str | None, bool]:
    channel = msg.get("channel")
    if channel is not None and not isinstance(channel, str):
        raise bad_request("bad_frame", 'channel is a language code, "floor" or null')
    video = msg.get("video", True)
    if not isinstance(video, bool):
        raise bad_request("bad_frame", "video is true or false")
    return channel, video
