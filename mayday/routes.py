"""The REST and WebSocket routes every kind of stream has, made once from a ``StreamApi``.

A kind of stream (relay, assembly) describes what differs (how a definition is read, who may read,
what its links look like, its read-only summary) and gets the same routes, each listed in
docs/protocol.md:

    POST /api/{plural}                  create (admin link), 201 with the links
    GET  /api/{plural}                  list (admin link)
    GET  /api/{plural}/{id}             the state's summary, with the server's clock
    GET  /api/{plural}/{id}/events      events after an offset
    GET  /api/{plural}/{id}/links       every link (the organiser's link or the admin link)
    POST /api/{plural}/{id}/commands    one command
    WS   /ws/{kind}/{id}                hello, history, live events, commands

A kind adds its own routes beside these (a relay's plan and calendars, an assembly's minutes).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from mayday.access import base_url, check_current, is_admin, is_revoked, require_admin, verify
from mayday.clock import iso
from mayday.errors import forbidden, unauthorized
from mayday.http import MAX_BODY, bearer, events_after, limit_writes, read_body, read_json
from mayday.links import Grant
from mayday.streams import StreamService
from mayday.ws import Extension, Session, serve_stream

S = TypeVar("S")
D = TypeVar("D")

Versions = Callable[[str], int]  # a link subject's current key version (revocation moves it on)


class Presence(Protocol):
    """Who holds a socket open, for a kind that counts it (the assembly's participants)."""

    def opened(self, stream_id: str, subject: str) -> None: ...

    def closed(self, stream_id: str, subject: str) -> None: ...


@dataclass(frozen=True)
class Readable(Generic[S]):
    """A stream a request may read: its service, id, state and offset, and the caller's grant."""

    service: StreamService[Any]
    id: str
    state: S
    offset: int
    grant: Grant | None


@dataclass(frozen=True)
class StreamApi(Generic[S, D]):
    """What the generic routes need to know of one kind of stream."""

    kind: str  # "relay": /ws/relay/{id}; the link scope and the stream are "relay:{id}"
    plural: str  # "relays": /api/relays, and the list reply's key
    service: str  # the app.state attribute that holds the kind's StreamService
    title_key: str  # what the create and list replies call the stream's title ("name", "title")
    title: Callable[[S], str | None]
    load: Callable[[bytes], D]  # a definition from the request body; runs in the worker pool
    create: Callable[[Any, D], Awaitable[str]]  # (service, loaded definition) -> the new id
    versions: Callable[[S], Versions]
    needs_link: Callable[[S], str | None]  # why reading needs a link (private), or None: public
    links_json: Callable[[str, str, dict[str, Any]], dict[str, Any]]  # (base URL, id, links_for)
    organiser: str  # the role whose link may list every link
    organiser_link: str  # how the error names that link
    parse_command: Callable[[Grant | None, Any], Any]  # JSON -> a command this grant may send
    snapshot: Callable[[S, int], dict[str, Any]]  # the read-only summary at an offset
    limits: Mapping[str, int] = field(default_factory=dict)  # sent in welcome
    # Extra fields of a command's reply (a new link after a rotation): (request, readable, raw).
    command_reply: Callable[[Request, Readable[S], Any], dict[str, Any]] | None = None
    presence: Callable[[HTTPConnection], Presence] | None = None
    # The socket's extension (the assembly's media signalling): (websocket, id, service, now, check).
    extension: Callable[..., Extension] | None = None

    # -- what the routes share -----------------------------------------------------------------

    def service_of(self, conn: HTTPConnection) -> StreamService[Any]:
        return getattr(conn.app.state, self.service)

    def may_read(self, state: S, grant: Grant | None) -> None:
        why = self.needs_link(state)
        if why is not None and grant is None:
            raise unauthorized(why)

    def scope(self, stream_id: str) -> str:
        return f"{self.kind}:{stream_id}"

    def grant(self, conn: HTTPConnection, token: str | None, stream_id: str, state: S) -> Grant | None:
        return verify(conn, token, self.scope(stream_id), self.versions(state))

    def links(self, conn: HTTPConnection, service: StreamService[Any], stream_id: str, state: S) -> dict[str, Any]:
        return self.links_json(base_url(conn), stream_id, service.links_for(stream_id, state))  # type: ignore[attr-defined]

    async def readable(self, request: Request) -> Readable[S]:
        """The stream in the path, if the request's link (or none) may read it."""
        service = self.service_of(request)
        stream_id = request.path_params["stream_id"]
        agg = await service.get(stream_id)
        grant = self.grant(request, bearer(request), stream_id, agg.state)
        self.may_read(agg.state, grant)
        return Readable(service, stream_id, agg.state, agg.offset, grant)

    # -- the routes ----------------------------------------------------------------------------

    async def create_route(self, request: Request) -> Response:
        await limit_writes(request)
        require_admin(request)
        body = await read_body(request, MAX_BODY)
        loaded = await request.app.state.worker.run(self.load, body)
        service = self.service_of(request)
        stream_id = await self.create(service, loaded)
        state = (await service.get(stream_id)).state
        reply = {"id": stream_id, self.title_key: self.title(state), **self.links(request, service, stream_id, state)}
        return JSONResponse(reply, status_code=201)

    async def list_route(self, request: Request) -> Response:
        require_admin(request)
        service = self.service_of(request)
        out = []
        for stream_id in service.ids():
            state = service.current(stream_id)
            title = self.title(state) if state is not None else None
            if title is not None:
                out.append({"id": stream_id, self.title_key: title})
        return JSONResponse({self.plural: out})

    async def read_route(self, request: Request) -> Response:
        r = await self.readable(request)
        return JSONResponse(self.snapshot(r.state, r.offset) | {"now": iso(r.service.clock.now())})

    async def events_route(self, request: Request) -> Response:
        r = await self.readable(request)
        return await events_after(request, r.service.log, r.service.stream_of(r.id), r.service.outward)

    async def links_route(self, request: Request) -> Response:
        """Every link: for the stream's organisers, and for the server's admin (who created it,
        and may have to hand the links out again at any time)."""
        service, stream_id = self.service_of(request), request.path_params["stream_id"]
        if is_admin(request):
            state = (await service.get(stream_id)).state
        else:
            r = await self.readable(request)
            if r.grant is None or r.grant.role != self.organiser:
                raise forbidden(f"only {self.organiser_link} or the server's admin link can see every link")
            state = r.state
        return JSONResponse(self.links(request, service, stream_id, state))

    async def command_route(self, request: Request) -> Response:
        await limit_writes(request)
        service = self.service_of(request)
        stream_id = request.path_params["stream_id"]
        agg = await service.get(stream_id)
        grant = self.grant(request, bearer(request), stream_id, agg.state)
        raw = await read_json(request)
        offset = await service.execute(stream_id, self.parse_command(grant, raw))
        reply: dict[str, Any] = {"offset": offset}
        if self.command_reply is not None:
            agg = await service.get(stream_id)
            reply |= self.command_reply(request, Readable(service, stream_id, agg.state, agg.offset, grant), raw)
        return JSONResponse(reply)

    async def socket_route(self, websocket: WebSocket) -> None:
        service = self.service_of(websocket)
        stream_id = websocket.path_params["stream_id"]
        presence = self.presence(websocket) if self.presence else None
        counted: list[str] = []

        async def authenticate(token: str | None) -> Grant | None:
            agg = await service.get(stream_id)
            grant = self.grant(websocket, token, stream_id, agg.state)
            self.may_read(agg.state, grant)
            if presence is not None and grant is not None and grant.subject is not None:
                presence.opened(stream_id, grant.subject)
                counted.append(grant.subject)
            return grant

        def check(session: Session) -> None:
            """Refuse a command or media request from a link revoked since the socket opened."""
            state = service.current(stream_id)
            if session.grant is not None and state is not None:
                check_current(session.grant, self.versions(state))

        def revoked(session: Session) -> bool:
            state = service.current(stream_id)
            return state is not None and is_revoked(session.grant, self.versions(state))

        async def handle(session: Session, raw: Any) -> int:
            await service.get(stream_id)
            check(session)
            return await service.execute(stream_id, self.parse_command(session.grant, raw))

        now = lambda: iso(service.clock.now())  # noqa: E731
        extension = self.extension(websocket, stream_id, service, now, check) if self.extension else None
        try:
            await serve_stream(
                websocket,
                stream=service.stream_of(stream_id),
                log=service.log,
                hub=service.hub,
                authenticate=authenticate,
                handle=handle,
                now=now,
                revoked=revoked,
                extension=extension,
                limits=dict(self.limits),
                outward=service.outward,
            )
        finally:
            if presence is not None:
                for subject in counted:
                    presence.closed(stream_id, subject)

    def routes(self) -> list[BaseRoute]:
        api = f"/api/{self.plural}"
        return [
            Route(api, self.create_route, methods=["POST"]),
            Route(api, self.list_route, methods=["GET"]),
            Route(api + "/{stream_id}", self.read_route, methods=["GET"]),
            Route(api + "/{stream_id}/events", self.events_route, methods=["GET"]),
            Route(api + "/{stream_id}/links", self.links_route, methods=["GET"]),
            Route(api + "/{stream_id}/commands", self.command_route, methods=["POST"]),
            WebSocketRoute(f"/ws/{self.kind}/{{stream_id}}", self.socket_route),
        ]
