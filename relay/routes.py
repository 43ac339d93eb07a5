"""Relay routes: the routes every stream has (mayday/routes.py) from the relay's ``API``, plus a
relay's own: planning a definition, the plan, and the calendars (all listed in docs/protocol.md)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mayday.access import base_url, require_admin
from mayday.errors import ApiError, bad_request
from mayday.http import MAX_BODY, limit_writes, parse_definition, read_body
from mayday.routes import Readable, StreamApi
from relay.commands import COORDINATOR
from relay.decide import MAX_DISPATCH, parse_and_authorise
from relay.ical import relay_calendar
from relay.plan import Plan, plan, plan_to_json
from relay.service import RelayService
from relay.spec import RelaySpec, load_spec
from relay.state import RelayState, state_to_json


def _needs_link(state: RelayState) -> str | None:
    assert state.spec is not None
    return "this relay's board is private: open it with a link" if state.spec.board == "private" else None


def links_json(base: str, relay_id: str, links: dict[str, Any]) -> dict[str, Any]:
    board = f"{base}/relay/{relay_id}"
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


def _rotated_link(request: Request, r: Readable[RelayState], raw: Any) -> dict[str, Any]:
    """A rotated site link comes back in the reply: the coordinator hands it to the site."""
    if raw.get("type") != "rotate_site_link":
        return {}
    return {"link": API.links(request, r.service, r.id, r.state)["sites"][raw["site"]]}


async def _create(service: RelayService, loaded: tuple[RelaySpec, Plan]) -> str:
    return await service.create_relay(*loaded)


API: StreamApi[RelayState, tuple[RelaySpec, Plan]] = StreamApi(
    kind="relay",
    plural="relays",
    service="relays",
    title_key="name",
    title=lambda state: state.plan.name if state.plan is not None else None,
    load=_parse_and_plan,
    create=_create,
    versions=lambda state: state.link_version,
    needs_link=_needs_link,
    links_json=links_json,
    organiser=COORDINATOR,
    organiser_link="the coordinator link",
    parse_command=parse_and_authorise,
    snapshot=state_to_json,
    limits={"dispatch": MAX_DISPATCH},
    command_reply=_rotated_link,
)


async def plan_only(request: Request) -> Response:
    """Plan a definition without creating anything: the create form's preview (admin only, rate
    limited, planned in the worker pool like a creation)."""
    await limit_writes(request)
    require_admin(request)
    body = await read_body(request, MAX_BODY)
    _, planned = await request.app.state.worker.run(_parse_and_plan, body)
    return JSONResponse(plan_to_json(planned))


async def get_plan(request: Request) -> Response:
    state = (await API.readable(request)).state
    assert state.plan is not None
    return JSONResponse(plan_to_json(state.plan) | {"tzdb": state.tzdb})


async def calendar(request: Request) -> Response:
    r = await API.readable(request)
    relay_id, state = r.id, r.state
    site = request.path_params.get("site")
    if site is not None and (state.spec is None or state.spec.site(site) is None):
        raise ApiError("not_found", f"no site {site!r} in this relay", 404)
    return Response(
        relay_calendar(state, relay_id, site, base_url(request), r.service.clock.now()),
        media_type="text/calendar; charset=utf-8",
        headers={"content-disposition": f'inline; filename="{relay_id}{"-" + site if site else ""}.ics"'},
    )


routes = [
    *API.routes(),
    Route("/api/plan", plan_only, methods=["POST"]),
    Route("/api/relays/{stream_id}/plan", get_plan, methods=["GET"]),
    Route("/relay/{stream_id}.ics", calendar, methods=["GET"]),
    Route("/relay/{stream_id}/sites/{site}.ics", calendar, methods=["GET"]),
]
