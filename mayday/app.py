"""The app factory: one log, one hub, one signing key, the domain services, routes and pages."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytz
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assembly import routes as assembly_routes
from assembly import stream_routes as assembly_stream_routes
from assembly.media.httpstream import HttpStreams
from assembly.media.hub import MediaHub
from assembly.media.settings import MediaSettings
from assembly.presence import DROP_GRACE, Presence
from assembly.service import AssemblyService
from circles import routes as circles_routes
from circles import tactic_routes
from circles.service import NetworkService
from mayday import __version__
from mayday.clock import Clock, SystemClock
from mayday.errors import STORAGE_ERRORS, ApiError, not_found, unavailable
from mayday.http import error_response
from mayday.hub import DEFAULT_QUEUE, Hub
from mayday.links import Grant, Links
from mayday.log import EventLog, open_log
from mayday.pages import render as render_page
from mayday.ratelimits import REST_RATE, RestLimit
from mayday.snapshots import DEFAULT_EVERY as SNAPSHOT_EVERY
from mayday.snapshots import every_from_env
from mayday.work import Worker
from relay import routes as relay_routes
from relay.service import RelayService

log = logging.getLogger("mayday")
ASSEMBLY_PAGES = ("chair", "delegate", "interpreter", "watch")
HEALTH_PING_TIMEOUT = 2.0  # seconds: storage slower than this to answer a ping is reported down

# Self-hosted everything: no CDN, font host or tracker may be contacted from a page, and the link
# tokens in URLs never leave in a Referer header.
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'none'; "
        b"frame-ancestors 'none'; form-action 'self'",
    ),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"geolocation=(), camera=(self), microphone=(self)"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _bundled(name: str) -> Path:
    """A folder shipped inside the wheel as mayday/NAME, or ./NAME in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / name, here.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"{name}/ not found next to the mayday package")


def static_dir() -> Path:
    return _bundled("static")


def examples_dir() -> Path:
    return _bundled("examples")


@dataclass
class Settings:
    data_dir: str = "./mayday-data"
    redis_url: str | None = None
    secret: str | None = None
    clock: Clock = field(default_factory=SystemClock)
    timers: bool = True  # False in tests that drive the clock and send ticks themselves
    queue_size: int = DEFAULT_QUEUE
    demo: bool = False
    # REST writes per client address: (per second, burst), counted as "burst per burst / rate
    # seconds" (mayday/ratelimits.py), on Redis when redis_url is set (one budget for every
    # process). A whole hall behind one NAT shares an address, so this is generous; live pages use
    # the WebSocket, limited per connection.
    rest_rate: tuple[float, float] = REST_RATE
    # /api/health answers 503 when a deadline (a handoff, a check-in grace, a speech's end) is
    # late by more than this many seconds: the timer retries failed ticks well within it.
    health_grace: float = 30.0
    # Seconds a live interpreter or a speaker may be without any connection before their booth is
    # freed (or handed to a connected partner) and their floor ended (assembly/presence.py).
    drop_grace: float = DROP_GRACE
    # The livestream: STUN/TURN servers for the hub and the pages (none by default: host
    # candidates work on a LAN and on loopback), and the addresses the hub gathers candidates on
    # (None: every interface but loopback, aioice's default).
    media: MediaSettings = field(default_factory=MediaSettings)
    media_addresses: list[str] | None = None
    # Events between state snapshots of a stream, kept in the log's store so that a restart folds
    # only the events after the newest (mayday/snapshots.py; MAYDAY_SNAPSHOT_EVERY, 0: none).
    snapshot_every: int = SNAPSHOT_EVERY

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        env: dict[str, Any] = {
            "data_dir": os.environ.get("MAYDAY_DATA", "./mayday-data"),
            "redis_url": os.environ.get("MAYDAY_REDIS_URL") or None,
            "secret": os.environ.get("MAYDAY_SECRET") or None,
            "media": MediaSettings(
                ice_servers=ice_servers(os.environ.get("MAYDAY_ICE_SERVERS", "")),
                # WebRTC peers per assembly in this process; past it, viewers watch over HTTP.
                max_peers=int(os.environ.get("MAYDAY_MEDIA_MAX_PEERS", "2000")),
            ),
            "media_addresses": [a.strip() for a in os.environ.get("MAYDAY_MEDIA_ADDRESSES", "").split(",") if a.strip()]
            or None,
            "snapshot_every": every_from_env(os.environ.get("MAYDAY_SNAPSHOT_EVERY")),
        }
        return cls(**(env | {k: v for k, v in overrides.items() if v is not None}))


def ice_servers(raw: str) -> list[dict[str, Any]]:
    """MAYDAY_ICE_SERVERS: a JSON list of RTCIceServer objects, as a browser takes them, e.g.
    ``[{"urls": "turn:turn.example.org:3478", "username": "u", "credential": "p"}]``."""
    if not raw.strip():
        return []
    try:
        servers = json.loads(raw)
    except json.JSONDecodeError as e:
        raise SystemExit(f"MAYDAY_ICE_SERVERS is not JSON: {e}") from None
    keys = {"urls", "username", "credential"}
    if not isinstance(servers, list) or not all(
        isinstance(s, dict) and "urls" in s and set(s) <= keys and all(isinstance(v, (str, list)) for v in s.values())
        for s in servers
    ):
        raise SystemExit('MAYDAY_ICE_SERVERS must be a list of {"urls", "username"?, "credential"?} objects')
    return servers


async def open_links(event_log: EventLog, secret: str | None) -> Links:
    """Processes sharing a log share its signing key unless one is given explicitly."""
    if secret is None:
        secret = await event_log.get_or_set_secret("links", secrets.token_urlsafe(32))
    return Links(secret)


def admin_token(links: Links) -> str:
    return links.sign(Grant("server", "admin"))


# The circles' pages under /network/{id}/: (path, page). One network stream serves them all.
NETWORK_PAGES = (
    ("circle/{circle}", "circle"),
    ("circle/{circle}/ledger", "ledger"),
    ("pair/{pair}", "pair"),
    ("integrity", "integrity"),
    ("dispatch/{dispatch}", "reader"),
    ("action/{action}", "action"),
    ("tactics", "tactics"),
    ("tactic/{tactic}", "tactic"),
)


def http_streams(media: MediaHub, assemblies: Any) -> HttpStreams:
    """The livestream over HTTP, on this process's media rooms: a room opened for HTTP viewers
    is let go like any other when nobody uses it (MediaHub.release: no peer, no subscriber, and
    for an origin no edge that still wants it)."""

    def room_of(assembly_id: str) -> Any:
        return media.room(assembly_id, lambda: assemblies.current(assembly_id))

    return HttpStreams(room_of, media.release)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    pages = static_dir()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        event_log = await open_log(data_dir=settings.data_dir, redis_url=settings.redis_url)
        links = await open_links(event_log, settings.secret)
        hub = Hub(settings.queue_size)
        every, timers = settings.snapshot_every, settings.timers
        relays = RelayService(event_log, hub, links, settings.clock, timers=timers, snapshot_every=every)
        assemblies = AssemblyService(event_log, hub, links, settings.clock, timers=timers, snapshot_every=every)
        # A network has no deadlines: no timers.
        networks = NetworkService(event_log, hub, links, settings.clock, timers=False, snapshot_every=every)
        networks.relays = relays  # a joint action may name a relay and map its sites to circles
        networks.assemblies = assemblies  # a disputed claim goes to the pair's joint assembly
        networks.sweeps = settings.timers  # readiness pushed to relay boards after each midnight
        assemblies.decided_listeners = [networks.assembly_decided]
        app.state.log, app.state.links, app.state.hub = event_log, links, hub
        app.state.relays, app.state.assemblies, app.state.networks = relays, assemblies, networks
        # On Redis, each assembly's media has one origin process and any number of edges.
        app.state.media = MediaHub(
            settings.media, host_addresses=settings.media_addresses, redis_url=settings.redis_url
        )
        app.state.http_streams = http_streams(app.state.media, assemblies)
        app.state.limiter = RestLimit(*settings.rest_rate, redis_url=settings.redis_url)
        app.state.worker = Worker()
        app.state.assembly_presence = Presence(assemblies, settings.drop_grace)
        app.state.admin_token = admin_token(links)
        await relays.start()
        await assemblies.start()
        await networks.start()
        # Answer first; the media stack (aiortc, PyAV) is imported meanwhile in a worker thread.
        warm = asyncio.create_task(app.state.media.warm())
        if settings.demo:
            from assembly.demo import ensure_demo as ensure_demo_assembly
            from circles.demo import ensure_demo as ensure_demo_network
            from relay.demo import ensure_demo, keep_alive

            app.state.demo_relays = [await ensure_demo(relays, settings.clock.now())]
            app.state.demo_assembly = await ensure_demo_assembly(assemblies)
            app.state.demo_network = await ensure_demo_network(networks)
            renew = asyncio.create_task(keep_alive(relays, app.state.demo_relays))
        try:
            yield
        finally:
            warm.cancel()
            if settings.demo:
                renew.cancel()
            await app.state.assembly_presence.close()
            await app.state.http_streams.close()
            await app.state.media.close()
            app.state.worker.close()
            await networks.stop()
            await assemblies.stop()
            await relays.stop()
            await app.state.limiter.close()
            await event_log.close()

    def page(name: str) -> Any:
        async def endpoint(request: Request) -> Response:
            return Response(render_page(pages, name), media_type="text/html; charset=utf-8")

        return endpoint

    async def health(request: Request) -> Response:
        """200 while storage answers and no deadline is late by more than its grace; else 503,
        with what is wrong, so that an operator's monitor can alert on the status alone."""
        state = request.app.state
        now = settings.clock.now()
        problems: list[str] = []
        try:
            latency = await asyncio.wait_for(state.log.ping(), HEALTH_PING_TIMEOUT)
            storage: dict[str, Any] = {"ok": True, "latency_ms": round(latency * 1000, 2)}
        except Exception as e:
            storage = {"ok": False, "error": f"{type(e).__name__}: {e}" if str(e) else type(e).__name__}
            problems.append("storage unreachable")
        domains = {"relays": state.relays, "assemblies": state.assemblies, "networks": state.networks}
        streams = {name: service.health(now) for name, service in domains.items()}
        for name, info in streams.items():
            if info["timers"] is None:
                continue  # timers off (tests driving the clock): nobody is late
            late = [o for o in info["overdue"] if o["late_s"] > settings.health_grace]
            if late:
                problems.append(f"{len(late)} {name} deadline(s) overdue by more than {settings.health_grace:g} s")
            if info["failing_ticks"]:
                problems.append(f"{len(info['failing_ticks'])} {name} tick(s) failing")
            if info["lagging"]:
                problems.append(f"{len(info['lagging'])} {name} stream(s) not followed")
        return JSONResponse(
            {
                "ok": not problems,
                "problems": problems,
                "version": __version__,
                "tzdb": pytz.OLSON_VERSION,
                "backend": "redis" if settings.redis_url else "sqlite",
                "storage": storage,
                "grace_s": settings.health_grace,
                **streams,
                "timers": sum(s.scheduler.armed_count() for s in domains.values() if s.scheduler),
                **state.hub.stats(),
                "media_rooms": len(state.media.rooms),
                "media_peers": sum(len(r.peers) for r in state.media.rooms.values()),
                "media_roles": state.media.roles(),
            },
            status_code=200 if not problems else 503,
        )

    async def demo(request: Request) -> Response:
        """The demo relay's board: a fresh relay replaces the demo when its legs have run out, and
        this address always leads to the one running now."""
        current = getattr(request.app.state, "demo_relays", None)
        if not current:
            raise not_found("this server runs no demo (start it with --demo)")
        return RedirectResponse(f"/relay/{current[0]}", status_code=307)

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(exc)

    async def http_error(request: Request, exc: Exception) -> Response:
        """Starlette's own refusals (no such route, wrong method) in the API's error shape."""
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
        if not request.url.path.startswith("/api/"):
            if exc.status_code == 404 and request.method in ("GET", "HEAD"):
                # A person followed a wrong or old link: a page that says so, in their language.
                return Response(render_page(pages, "404.html"), 404, media_type="text/html; charset=utf-8")
            return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)
        return JSONResponse(
            {"error": {"code": code, "message": exc.detail}}, status_code=exc.status_code, headers=exc.headers
        )

    async def storage_error(request: Request, exc: Exception) -> Response:
        log.warning("storage error on %s %s: %r", request.method, request.url.path, exc)
        response = error_response(unavailable(exc))
        response.headers["retry-after"] = "1"
        return response

    routes = [
        Route("/", page("index.html")),
        Route("/api/health", health),
        Route("/demo", demo),
        *relay_routes.routes,  # before the board page: /relay/{id}.ics must not match it
        Route("/relay/{relay_id}", page("board.html")),
        *assembly_routes.routes,
        *assembly_stream_routes.routes,
        *(Route(f"/assembly/{{assembly_id}}/{name}", page(f"{name}.html")) for name in ASSEMBLY_PAGES),
        *circles_routes.routes,
        *tactic_routes.routes,
        Route("/network/{network_id}", page("network.html")),
        *(Route(f"/network/{{network_id}}/{path}", page(f"{name}.html")) for path, name in NETWORK_PAGES),
        Mount("/static", StaticFiles(directory=pages), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            ApiError: api_error,
            HTTPException: http_error,
            **dict.fromkeys(STORAGE_ERRORS, storage_error),
        },
    )
    # Pages, scripts and JSON compress well; phones on bad connections feel every kilobyte.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(SecurityHeaders)
    return app


def server_config(app: Starlette, host: str, port: int, **options: Any) -> Any:
    """uvicorn settings for Mayday (the CLI and the tests run the app the same way)."""
    import uvicorn

    from mayday.transport import MaydayWebSocketProtocol

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        # The sans-I/O websockets protocol: no per-connection task or buffer beyond the
        # transport's, which keeps idle board connections small (bench/README.md); with the
        # close codes Mayday documents (mayday/transport.py).
        ws=MaydayWebSocketProtocol,
        # Per-message deflate keeps a zlib context per connection (hundreds of KiB); our frames
        # are small JSON, so compression costs far more memory than it saves bandwidth.
        ws_per_message_deflate=False,
        ws_max_size=64 * 1024,
        **options,
    )
