"""The tactic tracker's routes (docs/protocol.md "Circles", docs/diffusion.md "The tracker"): the
registry, one tactic's numbers, the indicators, the CSV and JSON exports (any link of the network
reads them: open data within the network) and the CSV import (the coordinator's link, or a circle's
for its own tactics and adoptions).

Views and parsing run in the worker pool: a fit is numerical work, and the event loop keeps serving
sockets meanwhile. The pool is small (it refuses work past its queue), and every open page of a
network reads the registry again after each event, all at once: so a view is computed once per
network state (its offset), language, day and horizon, the requests that arrive meanwhile await
that one computation, and its result serves them until the network moves on.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from circles import tactic_csv, tactic_views
from circles.commands import CIRCLE, COORDINATOR
from circles.routes import API
from mayday.definitions import LANGUAGE
from mayday.errors import DomainError, bad_request, forbidden, not_found, refused
from mayday.http import bearer, limit_writes, read_body

BASE = "/api/networks/{stream_id}"
SHARED = 64  # views kept per process (a tactic's with 10,000 adoptions is a few MB)


class SharedViews:
    """Each view computed once per key: later and concurrent requests for the same key await the
    same computation (a failure is not kept: the next request tries again)."""

    def __init__(self, size: int = SHARED) -> None:
        self.size = size
        self._views: OrderedDict[Hashable, asyncio.Future[Any]] = OrderedDict()

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[Any]]) -> Any:
        future = self._views.get(key)
        if future is None:
            future = asyncio.ensure_future(compute())
            self._views[key] = future
            future.add_done_callback(lambda f: self._forget(key, f))
            while len(self._views) > self.size:
                self._views.popitem(last=False)
        else:
            self._views.move_to_end(key)
        return await asyncio.shield(future)

    def _forget(self, key: Hashable, future: asyncio.Future[Any]) -> None:
        if (future.cancelled() or future.exception() is not None) and self._views.get(key) is future:
            del self._views[key]


def _shared(request: Request) -> SharedViews:
    views = getattr(request.app.state, "tactic_views", None)
    if views is None:
        views = request.app.state.tactic_views = SharedViews()
    return views


def _lang(request: Request) -> str | None:
    """``?lang=xx`` (a language code like ``en`` or ``pt-BR``); none: each tactic as written."""
    lang = request.query_params.get("lang")
    if lang is None or lang == "":
        return None
    if not LANGUAGE.match(lang):
        raise bad_request("bad_language", f"not a language code: {lang[:20]!r}")
    return lang


def _horizon(request: Request) -> int:
    text = request.query_params.get("horizon")
    if text is None:
        return tactic_views.DEFAULT_HORIZON
    if not (text.isascii() and text.isdigit()) or len(text) > 5 or int(text) > tactic_views.MAX_HORIZON:
        raise bad_request("bad_horizon", f"the horizon is 0 to {tactic_views.MAX_HORIZON} days after today")
    return int(text)


async def get_tactics(request: Request) -> Response:
    r = await API.readable(request)
    lang = _lang(request)
    now = r.service.clock.now()
    key = ("registry", r.id, r.offset, lang, now.date())
    run = request.app.state.worker.run
    view = await _shared(request).get(key, lambda: run(tactic_views.registry_view, r.state, lang, now))
    return JSONResponse(view)


async def get_tactic(request: Request) -> Response:
    r = await API.readable(request)
    tactic = request.path_params["tactic"]
    lang, horizon = _lang(request), _horizon(request)
    now = r.service.clock.now()
    if tactic not in r.state.tactics:
        raise not_found(f"no tactic {tactic[:60]!r} in this network")
    key = ("tactic", r.id, r.offset, tactic, lang, horizon, now.date())
    run = request.app.state.worker.run
    view = await _shared(request).get(key, lambda: run(tactic_views.tactic_view, r.state, tactic, lang, now, horizon))
    if view is None:
        raise not_found(f"no tactic {tactic[:60]!r} in this network")
    return JSONResponse(view)


async def get_indicators(request: Request) -> Response:
    r = await API.readable(request)
    return JSONResponse(tactic_views.indicators_view(r.state, r.service.clock.now()))


def _attachment(r_id: str, fmt: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="{r_id}-tactics.{fmt}"'}


async def get_csv(request: Request) -> Response:
    r = await API.readable(request)
    run = request.app.state.worker.run
    text = await _shared(request).get(("csv", r.id, r.offset), lambda: run(tactic_csv.to_csv, r.state))
    return PlainTextResponse(text, media_type=tactic_csv.MEDIA_CSV, headers=_attachment(r.id, "csv"))


async def get_json(request: Request) -> Response:
    r = await API.readable(request)
    data = tactic_csv.to_json(r.state, r.service.clock.now())
    return JSONResponse(data, headers=_attachment(r.id, "json"))


async def post_import(request: Request) -> Response:
    """A CSV file as the body: every row appended, or none (``400 bad_import`` naming the row, or
    the core's refusal, ``409`` with its code)."""
    await limit_writes(request)
    service = API.service_of(request)
    stream_id = request.path_params["stream_id"]
    agg = await service.get(stream_id)
    grant = API.grant(request, bearer(request), stream_id, agg.state)
    if grant is None or grant.role not in (COORDINATOR, CIRCLE):
        raise forbidden("the network's coordinator or a circle imports tactics")
    circle = ""  # the coordinator imports for any circle
    if grant.role == CIRCLE:  # a circle for itself: each row acts for it (the core's not_yours)
        if not grant.subject:
            raise bad_request("bad_command", "a circle link names its circle")
        circle = grant.subject
    body = await read_body(request, tactic_csv.MAX_IMPORT_BYTES)
    command = await request.app.state.worker.run(tactic_csv.parse_csv, body, circle)
    if circle and circle not in agg.state.circles:
        raise refused(DomainError("unknown_circle", f"no circle {circle!r} in this network"))
    offset = await service.execute(stream_id, command)
    return JSONResponse(
        {
            "offset": offset,
            "tactics": len(command.tactics),
            "translations": len(command.translations),
            "adoptions": len(command.adoptions),
        }
    )


# Before the tactic's own route: "tactics.csv" must not be read as a tactic's id (ids have no ".",
# but a route matches first come, first served).
routes = [
    Route(BASE + "/tactics", get_tactics, methods=["GET"]),
    Route(BASE + "/tactics.csv", get_csv, methods=["GET"]),
    Route(BASE + "/tactics.json", get_json, methods=["GET"]),
    Route(BASE + "/tactics/import", post_import, methods=["POST"]),
    Route(BASE + "/tactics/{tactic}", get_tactic, methods=["GET"]),
    Route(BASE + "/indicators", get_indicators, methods=["GET"]),
]
