"""Network routes: the routes every stream has (mayday/routes.py) from the network's ``API``, plus
a network's own: a circle's page, a pair's, a circle's ledger and its exports, the integrity
report, a circle's calendar of overdue pledges, a joint action and its red lines' export (all
listed in docs/protocol.md "Circles").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from circles import reads
from circles.commands import CIRCLE, COORDINATOR, MAX_COMMUNIQUE, MAX_NARRATION, MAX_REASON, MAX_TEXT
from circles.decide import parse_and_authorise
from circles.definition import MAX_LINE, MAX_NAME, NetworkDef, load_network
from circles.export import to_beancount, to_csv
from circles.redlines import key_hash
from circles.redlines_export import export as red_lines_export
from circles.redlines_export import to_csv as red_lines_csv
from circles.redlines_export import to_text as red_lines_text
from circles.service import NetworkService
from circles.state import NetworkState
from mayday.access import base_url
from mayday.clock import iso
from mayday.definitions import LANGUAGE
from mayday.errors import ApiError, bad_request, forbidden
from mayday.http import parse_definition
from mayday.routes import Readable, StreamApi

PAGE = "network"


def links_json(root: str, network_id: str, links: dict[str, Any]) -> dict[str, Any]:
    base = f"{root}/{PAGE}/{network_id}"
    return {
        "network": base,
        "coordinator": f"{base}#t={links['coordinator']}",
        "viewer": f"{base}#t={links['viewer']}",
        "circles": {c: f"{base}/circle/{c}#t={t}" for c, t in links["circles"].items()},
        "members": {c: f"{base}/circle/{c}#t={t}" for c, t in links["members"].items()},
        "names": links["names"],
    }


def _load(body: bytes) -> NetworkDef:
    return parse_definition(body, load_network)


async def _create(service: NetworkService, definition: NetworkDef) -> str:
    return await service.create_network(definition)


def _command_reply(request: Request, r: Readable[NetworkState], raw: Any) -> dict[str, Any]:
    """What a taken command answers besides its offset: a circle's links rotated, its new links
    (to the coordinator who asked); an action opened, its id (the opener goes to its page); a red
    line named, its id (the writer's page keeps the line's key under it: only the key's holder
    learns which line the key is for, since the line is found by the key's hash)."""
    kind = raw.get("type")
    if kind == "open_action":
        return {"action": max(r.state.actions, default=None)}
    if kind == "name_red_line":
        action = r.state.actions.get(raw["action"])
        wanted = key_hash(raw["key"])
        lines = [] if action is None else [x.id for x in action.red_lines.values() if x.key_hash == wanted]
        return {"line": max(lines, default=None)}
    if kind != "rotate_links":
        return {}
    circle = raw["target"]
    links = API.links(request, r.service, r.id, r.state)
    return {"links": {"circle": links["circles"][circle], "member": links["members"][circle]}}


class NetworkApi(StreamApi[NetworkState, NetworkDef]):
    """The generic routes, with the network's shape read at the server's clock: each action's
    readiness gate depends on ``now`` (a pledge becomes overdue with time), which the generic
    ``snapshot(state, offset)`` does not get."""

    async def read_route(self, request: Request) -> Response:
        r = await self.readable(request)
        now = r.service.clock.now()
        return JSONResponse(reads.shape(r.state, now) | {"offset": r.offset, "now": iso(now)})


API: StreamApi[NetworkState, NetworkDef] = NetworkApi(
    kind="network",
    plural="networks",
    service="networks",
    title_key="name",
    title=lambda state: state.name if state.created else None,
    load=_load,
    create=_create,
    versions=lambda state: state.link_version,
    # Who is twinned with whom is itself worth keeping from an employer: a network is read with a link.
    needs_link=lambda state: "a network is read with one of its links",
    links_json=links_json,
    organiser=COORDINATOR,
    organiser_link="the coordinator link",
    parse_command=parse_and_authorise,
    # Unused by NetworkApi's read route (it needs the clock); the generic interface wants one.
    snapshot=lambda state, offset: {"network": state.network_id, "name": state.name, "offset": offset},
    limits={
        "text": MAX_TEXT,
        "narration": MAX_NARRATION,
        "name": MAX_NAME,
        "line": MAX_LINE,
        "reason": MAX_REASON,
        "communique": MAX_COMMUNIQUE,
    },
    command_reply=_command_reply,
)


async def _read(request: Request) -> Readable[NetworkState]:
    return await API.readable(request)


async def get_circle(request: Request) -> Response:
    r = await _read(request)
    view = reads.circle_view(r.state, r.grant, request.path_params["circle"], r.service.clock.now())
    return JSONResponse(view)


async def get_pair(request: Request) -> Response:
    r = await _read(request)
    return JSONResponse(reads.pair_view(r.state, r.grant, request.path_params["pair"], r.service.clock.now()))


async def get_timeline(request: Request) -> Response:
    r = await _read(request)
    return JSONResponse(reads.pair_timeline(r.state, r.grant, request.path_params["pair"]))


async def get_ledger(request: Request) -> Response:
    r = await _read(request)
    circle, fmt = request.path_params["circle"], request.path_params["fmt"]
    view = reads.ledger_view(r.state, r.grant, circle, r.service.clock.now())  # refuses a reader who may not
    if fmt == "json":
        return JSONResponse(view)
    name = f"{r.id}-{circle}-ledger"
    if fmt == "beancount":
        text = to_beancount(r.state.ledger, [circle], title=f"{r.state.name}: {circle}")
        media = "text/plain; charset=utf-8"
    elif fmt == "csv":
        text, media = to_csv(r.state.ledger, [circle]), "text/csv; charset=utf-8"
    else:
        raise ApiError("not_found", "a ledger comes as .json, .beancount or .csv", 404)
    return PlainTextResponse(
        text, media_type=media, headers={"content-disposition": f'attachment; filename="{name}.{fmt}"'}
    )


async def get_action(request: Request) -> Response:
    r = await _read(request)
    action = _int(request.path_params["action"])
    view = reads.action_view(r.state, r.grant, action, r.service.clock.now())
    a = r.state.actions[action]
    relays = getattr(r.service, "relays", None)
    if a.relay and relays is not None:
        # The relay's legs, each with the circle whose crew strikes it (the action's site map).
        relay = relays.current(a.relay)
        legs = [] if relay is None else relay.legs
        view["relay"] = {
            "id": a.relay,
            "board": f"{base_url(request)}/relay/{a.relay}",
            "legs": [
                {
                    "leg": i,
                    "site": leg.site,
                    "acting": leg.acting,
                    "circle": a.sites.get(leg.site),
                    "start": iso(leg.start),
                    "end": iso(leg.end),
                }
                for i, leg in enumerate(legs)
            ],
        }
    return JSONResponse(view)


async def get_communique(request: Request) -> Response:
    """The communique in one language, as text (``?lang=``; default the first circle's first)."""
    r = await _read(request)
    action = _int(request.path_params["action"])
    lang = request.query_params.get("lang", "")
    if not lang:
        a = r.state.actions.get(action)
        lang = r.state.circles[a.circles[0]].languages[0] if a is not None else "en"
    c = reads.communique_text(r.state, r.grant, action, lang)
    if c["text"] is None:
        raise ApiError("missing", f"nobody has translated the communique into {lang} yet", 404)
    headers = {"content-language": lang, "x-communique-status": c["status"]}
    return PlainTextResponse(c["text"], media_type="text/plain; charset=utf-8", headers=headers)


async def get_red_lines(request: Request) -> Response:
    """An action's red lines in one language (``?lang=``; default the first circle's first), as
    JSON, CSV or text: for the links of its circles and the network's coordinator only."""
    r = await _read(request)
    action_id = _int(request.path_params["action"])
    a = r.state.actions.get(action_id)
    if a is None:
        raise ApiError("not_found", f"no action {action_id} in this network", 404)
    if not reads.may_see_red_lines(r.state, r.grant, a):
        raise forbidden("a joint action's red lines are for its circles and the network's coordinator")
    lang = request.query_params.get("lang", "") or r.state.circles[a.circles[0]].languages[0]
    if len(lang) > 16 or not LANGUAGE.match(lang):
        raise bad_request("bad_request", "lang is a language code like en, fil or pt-BR")
    fmt = request.path_params["fmt"]
    if fmt not in ("json", "csv", "txt"):
        raise ApiError("not_found", "red lines come as .json, .csv or .txt", 404)
    data = red_lines_export(r.state, a, lang, iso(r.service.clock.now()))
    name = f"{r.id}-action-{a.id}-red-lines-{lang}"
    headers = {"content-language": lang, "content-disposition": f'attachment; filename="{name}.{fmt}"'}
    if fmt == "json":
        return JSONResponse(data, headers=headers)
    if fmt == "csv":
        return PlainTextResponse(red_lines_csv(data), media_type="text/csv; charset=utf-8", headers=headers)
    return PlainTextResponse(red_lines_text(data), media_type="text/plain; charset=utf-8", headers=headers)


def _int(text: str, what: str = "action") -> int:
    if not text.isdigit() or len(text) > 9:
        raise ApiError("not_found", f"no such {what}", 404)
    return int(text)


async def get_relay_sites(request: Request) -> Response:
    """A public relay's sites (id and name), for mapping its legs to circles when opening an
    action. A private relay's sites are its own links' to read: 403."""
    r = await _read(request)
    if r.grant is None or r.grant.role not in (COORDINATOR, CIRCLE):
        raise forbidden("the coordinator or a circle maps a relay's sites")
    relays = getattr(r.service, "relays", None)
    if relays is None:
        raise ApiError("not_found", "this server has no relays", 404)
    relay = (await relays.get(request.path_params["relay"])).state
    if relay.spec is None or relay.spec.board != "public":
        raise forbidden("this relay's board is private: its sites are for its own links")
    return JSONResponse({"relay": relay.relay_id, "sites": [{"id": s.id, "name": s.name} for s in relay.spec.sites]})


async def get_access(request: Request) -> Response:
    r = await _read(request)
    return JSONResponse(reads.access(r.state, r.grant))


async def get_dispatch(request: Request) -> Response:
    r = await _read(request)
    return JSONResponse(reads.dispatch_view(r.state, _int(request.path_params["dispatch"], "dispatch")))


async def get_integrity(request: Request) -> Response:
    r = await _read(request)
    return JSONResponse(reads.integrity_view(r.state, r.service.clock.now()))


async def calendar(request: Request) -> Response:
    """A circle's pledges overdue each way, as all-day reminders (for its own links)."""
    r = await _read(request)
    circle = request.path_params["circle"]
    if circle not in r.state.circles:
        raise ApiError("not_found", f"no circle {circle!r} in this network", 404)
    if reads.reader_circle(r.grant) != circle:
        raise forbidden("a circle's calendar is for its own links")
    now = r.service.clock.now()
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Mayday//circles//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{r.state.circles[circle].name}: pledges due")
    for twin in r.state.twins(circle):
        for item in reads.overdue(r.state, circle, twin, now) + reads.overdue(r.state, twin, circle, now):
            event = icalendar.Event()
            who = "You owe" if item["debtor"] == circle else "Owed to you by"
            other = twin
            event.add("uid", f"{r.id}-{item['txn']}-{item['debtor']}@mayday")
            event.add("summary", f"Overdue: {who} {other} {item['amount']} {item['commodity']}")
            event.add("dtstart", dt.date.fromisoformat(item["due_by"]))
            event.add("dtstamp", now)
            event.add("url", f"{base_url(request)}/{PAGE}/{r.id}/pair/{r.state.pair_of(circle, twin).id}")  # type: ignore[union-attr]
            cal.add_component(event)
    return Response(cal.to_ical(), media_type="text/calendar; charset=utf-8")


routes = [
    *API.routes(),
    Route("/api/networks/{stream_id}/circles/{circle}", get_circle, methods=["GET"]),
    Route("/api/networks/{stream_id}/circles/{circle}/ledger.{fmt:str}", get_ledger, methods=["GET"]),
    Route("/api/networks/{stream_id}/circles/{circle}/calendar.ics", calendar, methods=["GET"]),
    Route("/api/networks/{stream_id}/pairs/{pair}", get_pair, methods=["GET"]),
    Route("/api/networks/{stream_id}/pairs/{pair}/timeline", get_timeline, methods=["GET"]),
    Route("/api/networks/{stream_id}/integrity", get_integrity, methods=["GET"]),
    Route("/api/networks/{stream_id}/access", get_access, methods=["GET"]),
    Route("/api/networks/{stream_id}/relays/{relay}/sites", get_relay_sites, methods=["GET"]),
    Route("/api/networks/{stream_id}/dispatches/{dispatch}", get_dispatch, methods=["GET"]),
    Route("/api/networks/{stream_id}/actions/{action}", get_action, methods=["GET"]),
    Route("/api/networks/{stream_id}/actions/{action}/communique.txt", get_communique, methods=["GET"]),
    Route("/api/networks/{stream_id}/actions/{action}/red-lines.{fmt:str}", get_red_lines, methods=["GET"]),
]
