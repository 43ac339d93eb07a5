"""REST, WebSocket and calendar routes for relays (all listed in docs/protocol.md)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from mayday.access import base_url, check_current, is_revoked, links_state, require_admin, verify
from mayday.clock import iso
from mayday.errors import ApiError, bad_request, unauthorized
from mayday.http import MAX_BODY, bearer, events_after, limit_writes, parse_definition, read_body, read_json
from mayday.links import Grant
from mayday.ws import Session, serve_stream
from relay.commands import COORDINATOR
from relay.decide import MAX_DISPATCH, parse_and_authorise
from relay.ical import relay_calendar
from relay.plan import Plan, plan, plan_to_json
from relay.service import RelayService, scope_of, stream_of
from relay.spec import RelaySpec, load_spec
from relay.state import RelayState, state_to_json


def _service(request: Request | WebSocket) -> RelayService:
    return request.app.state.relays


def _grant(request: Request | WebSocket, token: str | None, relay_id: str, state: RelayState) -> Grant | None:
    return verify(request, token, scope_of(relay_id), state.link_version)


def _may_read(state: RelayState, grant: Grant | None) -> None:
    assert state.spec is not None
    if state.spec.board == "private" and grant is None:
        raise unauthorized("this relay's board is private: open it with a link")


def links_json(request: Request, relay_id: str, links: dict[str, Any]) -> dict[str, Any]:
    board = f"{base_url(request)}/relay/{relay_id}"
    return {
        "board": board,
        "coordinator": f"{board}#t={links['coordinator']}",
        "viewer": f"{board}#t={links['viewer']}",
        "sites": {site: f"{board}#t={token}" for site, token in links["sites"].items()},
        "names": links["names"],
        "ics": f"{board}.ics",
    }


def _parse_and_plan(body: bytes) -> tuple[RelaySpec, Plan]:
    """Runs in the worker pool (mayday/work.py): parsing and planning a large definition would
    hold the event loop, and every handoff and client with it."""
    spec = parse_definition(body, load_spec)
    try:
        return spec, plan(spec)
    except ValueError as e:
        raise bad_request("invalid_spec", str(e)) from None


async def create_relay(request: Request) -> Response:
    await limit_writes(request)
    require_admin(request)
    body = await read_body(request, MAX_BODY)
    spec, planned = await request.app.state.worker.run(_parse_and_plan, body)
    service = _service(request)
    relay_id = await service.create_relay(spec, planned)
    agg = await service.get(relay_id)
    body = {
        "id": relay_id,
        "name": spec.name,
        **links_json(request, relay_id, service.links_for(relay_id, agg.state)),
    }
    return JSONResponse(body, status_code=201)


async def list_relays(request: Request) -> Response:
    require_admin(request)
    service = _service(request)
    out = []
    for relay_id in service.ids():
        state = service.current(relay_id)
        if state is not None and state.plan is not None:
            out.append({"id": relay_id, "name": state.plan.name})
    return JSONResponse({"relays": out})


async def plan_only(request: Request) -> Response:
    """Plan a definition without creating anything: the create form's preview (admin only, rate
    limited, planned in the worker pool like a creation)."""
    await limit_writes(request)
    require_admin(request)
    body = await read_body(request, MAX_BODY)
    _, planned = await request.app.state.worker.run(_parse_and_plan, body)
    return JSONResponse(plan_to_json(planned))


async def _readable(request: Request) -> tuple[RelayService, str, RelayState, int, Grant | None]:
    service = _service(request)
    relay_id = request.path_params["relay_id"]
    agg = await service.get(relay_id)
    grant = _grant(request, bearer(request), relay_id, agg.state)
    _may_read(agg.state, grant)
    return service, relay_id, agg.state, agg.offset, grant


async def get_relay(request: Request) -> Response:
    service, _, state, offset, _ = await _readable(request)
    return JSONResponse(state_to_json(state, offset) | {"now": iso(service.clock.now())})


async def get_plan(request: Request) -> Response:
    _, _, state, _, _ = await _readable(request)
    assert state.plan is not None
    return JSONResponse(plan_to_json(state.plan) | {"tzdb": state.tzdb})


async def get_events(request: Request) -> Response:
    service, relay_id, _, _, _ = await _readable(request)
    return await events_after(request, service.log, stream_of(relay_id))


async def get_links(request: Request) -> Response:
    """Every link of the relay: for its coordinator, and for the server's admin (who created it,
    and may have to hand the links out again at any time)."""
    service, relay_id = _service(request), request.path_params["relay_id"]
    state = await links_state(
        request, lambda: service.get(relay_id), lambda: _readable(request), COORDINATOR, "the coordinator link"
    )
    return JSONResponse(links_json(request, relay_id, service.links_for(relay_id, state)))


async def post_command(request: Request) -> Response:
    await limit_writes(request)
    service = _service(request)
    relay_id = request.path_params["relay_id"]
    agg = await service.get(relay_id)
    grant = _grant(request, bearer(request), relay_id, agg.state)
    raw = await read_json(request)
    command = parse_and_authorise(grant, raw)
    offset = await service.execute(relay_id, command)
    body: dict[str, Any] = {"offset": offset}
    if raw.get("type") == "rotate_site_link":
        agg = await service.get(relay_id)
        body["link"] = links_json(request, relay_id, service.links_for(relay_id, agg.state))["sites"][raw["site"]]
    return JSONResponse(body)


async def calendar(request: Request) -> Response:
    _, relay_id, state, _, _ = await _readable(request)
    site = request.path_params.get("site")
    if site is not None and (state.spec is None or state.spec.site(site) is None):
        raise ApiError("not_found", f"no site {site!r} in this relay", 404)
    return Response(
        relay_calendar(state, relay_id, site, base_url(request), _service(request).clock.now()),
        media_type="text/calendar; charset=utf-8",
        headers={"content-disposition": f'inline; filename="{relay_id}{"-" + site if site else ""}.ics"'},
    )


async def relay_socket(websocket: WebSocket) -> None:
    service = _service(websocket)
    relay_id = websocket.path_params["relay_id"]

    async def authenticate(token: str | None) -> Grant | None:
        agg = await service.get(relay_id)
        grant = _grant(websocket, token, relay_id, agg.state)
        _may_read(agg.state, grant)
        return grant

    async def handle(session: Session, raw: Any) -> int:
        agg = await service.get(relay_id)
        if session.grant is not None:
            check_current(session.grant, agg.state.link_version)
        return await service.execute(relay_id, parse_and_authorise(session.grant, raw))

    def revoked(session: Session) -> bool:
        state = service.current(relay_id)
        return state is not None and is_revoked(session.grant, state.link_version)

    await serve_stream(
        websocket,
        stream=stream_of(relay_id),
        log=service.log,
        hub=service.hub,
        authenticate=authenticate,
        handle=handle,
        now=lambda: iso(service.clock.now()),
        revoked=revoked,
        limits={"dispatch": MAX_DISPATCH},
    )


routes = [
    Route("/api/relays", create_relay, methods=["POST"]),
    Route("/api/relays", list_relays, methods=["GET"]),
    Route("/api/plan", plan_only, methods=["POST"]),
    Route("/api/relays/{relay_id}", get_relay, methods=["GET"]),
    Route("/api/relays/{relay_id}/plan", get_plan, methods=["GET"]),
    Route("/api/relays/{relay_id}/events", get_events, methods=["GET"]),
    Route("/api/relays/{relay_id}/links", get_links, methods=["GET"]),
    Route("/api/relays/{relay_id}/commands", post_command, methods=["POST"]),
    Route("/relay/{relay_id}.ics", calendar, methods=["GET"]),
    Route("/relay/{relay_id}/sites/{site}.ics", calendar, methods=["GET"]),
    WebSocketRoute("/ws/relay/{relay_id}", relay_socket),
]
