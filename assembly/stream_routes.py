"""The livestream over plain HTTP (assembly/media/httpstream.py): each language channel with the
floor's picture as WebM segments any HTTP cache can carry (docs/protocol.md "Livestream over
HTTP").

A public assembly's segments are ``public, immutable`` (a URL never changes what it holds: the
muxer's generation and the segment's number are in it), its index ``public, max-age=1``; a link-only
assembly's are ``private`` (the link goes in the Authorization header, never the URL, so a shared
cache must not keep them).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from assembly.media.dash import mpd
from assembly.media.httpstream import AUDIO_MIME, VIDEO_MIME, HttpStreams
from assembly.routes import API
from mayday.errors import ApiError

MAX_WAIT = 3.0  # seconds a request for the next segment is held (it comes every ~2 s)
SEGMENT_NAME = re.compile(r"^(?P<gen>[0-9a-f]{8})-(?P<n>init|[1-9][0-9]{0,8})$")


def _streams(request: Request) -> HttpStreams:
    streams = getattr(request.app.state, "http_streams", None)
    if streams is None:
        raise ApiError("not_found", "this server has no livestream", 404)
    return streams


async def _channel(request: Request) -> tuple[HttpStreams, Any, Any, bool]:
    """The room's HTTP streams and the channel's audio (attached if nobody watched them), and
    whether the assembly is public."""
    r = await API.readable(request)  # 401 for a link-only assembly without its link
    state = r.state
    if state.definition is None:
        raise ApiError("not_found", "no such assembly", 404)
    channel = request.path_params["channel"]
    streams = _streams(request)
    try:
        room, audio = streams.get(r.id, channel)
    except KeyError:
        raise ApiError("not_found", f"no channel {channel!r} in this assembly", 404) from None
    return streams, room, audio, state.definition.viewers != "link"


def _cache(public: bool, seconds: int, immutable: bool = False) -> dict[str, str]:
    scope = "public" if public else "private"
    return {"cache-control": f"{scope}, max-age={seconds}" + (", immutable" if immutable else "")}


async def channels(request: Request) -> Response:
    r = await API.readable(request)
    if r.state.definition is None:
        raise ApiError("not_found", "no such assembly", 404)
    names = ["floor", *r.state.definition.languages]
    return JSONResponse({"channels": names, "mime": {"audio": AUDIO_MIME, "video": VIDEO_MIME}})


async def index(request: Request) -> Response:
    """The live index; ``?after=N`` waits (up to MAX_WAIT s) until an audio part after N exists."""
    streams, room, audio, public = await _channel(request)
    after = request.query_params.get("after", "")
    if after:
        if not after.isdigit() or len(after) > 9:
            raise ApiError("bad_request", "after is a segment number", 400)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(MAX_WAIT):
                await streams.wait_after(room, audio, int(after))
    clock = request.app.state.assemblies.clock
    body = streams.index(room, audio, int(clock.now().timestamp() * 1000))
    return JSONResponse(body, headers=_cache(public, 1))


async def manifest(request: Request) -> Response:
    """The same stream as a live MPEG-DASH manifest, for any DASH player (assembly/media/dash.py)."""
    streams, room, audio, public = await _channel(request)
    clock = request.app.state.assemblies.clock
    index = streams.index(room, audio, int(clock.now().timestamp() * 1000))
    body = mpd(index, room.timeline.wall_zero, request.path_params["channel"])
    return Response(body, media_type="application/dash+xml", headers=_cache(public, 1))


async def segment(request: Request) -> Response:
    streams, room, audio, public = await _channel(request)
    m = SEGMENT_NAME.match(request.path_params["name"])
    if m is None:
        raise ApiError("not_found", "no such segment", 404)
    muxer = streams.find(room, audio, m["gen"])
    if muxer is None:
        # An older muxer's segment (the stream restarted): gone, and the index says the new names.
        raise ApiError("gone", "this stream restarted; read the index again", 410)
    if m["n"] == "init":
        data = muxer.init
    else:
        s = muxer.segment(int(m["n"]))
        data = None if s is None else s.data
    if data is None:
        raise ApiError("not_found", "no such segment (not yet made, or no longer kept)", 404)
    media = "audio/webm" if muxer.kind == "audio" else "video/webm"
    return Response(data, media_type=media, headers=_cache(public, 3600 * 24 * 365, immutable=True))


routes = [
    Route("/api/assemblies/{stream_id}/stream", channels, methods=["GET"]),
    Route("/api/assemblies/{stream_id}/stream/{channel}/index.json", index, methods=["GET"]),
    Route("/api/assemblies/{stream_id}/stream/{channel}/live.mpd", manifest, methods=["GET"]),
    Route("/api/assemblies/{stream_id}/stream/{channel}/{name}.webm", segment, methods=["GET"]),
]
