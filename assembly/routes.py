"""REST and WebSocket routes for assemblies (all listed in docs/protocol.md)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from assembly.core import MAX_TEXT, weight_classes_at_risk
from assembly.definition import MAX_PLACE, AssemblyDef, load_assembly, person_to_json
from assembly.definition import MAX_TEXT as MAX_NAME
from assembly.media.signalling import MAX_CHAT, MediaEndpoint
from assembly.minutes import minutes_json, minutes_language, minutes_markdown
from assembly.protocol import CHAIR, INTERPRETER, parse
from assembly.service import AssemblyService, scope_of
from assembly.state import AssemblyState
from mayday.access import base_url, check_current, is_revoked, links_state, require_admin, verify
from mayday.clock import iso
from mayday.errors import ApiError, bad_request, unauthorized
from mayday.http import MAX_BODY, bearer, events_after, limit_writes, parse_definition, read_body, read_json
from mayday.links import Grant
from mayday.ws import Session, serve_stream

PAGES = {"chair": "chair", "delegate": "delegate", "interpreter": "interpreter", "viewer": "watch"}


def _service(request: Request | WebSocket) -> AssemblyService:
    return request.app.state.assemblies


def _grant(request: Request | WebSocket, token: str | None, assembly_id: str, state: AssemblyState) -> Grant | None:
    return verify(request, token, scope_of(assembly_id), lambda pid: state.link_versions.get(pid, 0))


def _may_read(state: AssemblyState, grant: Grant | None) -> None:
    assert state.definition is not None
    if state.definition.viewers == "link" and grant is None:
        raise unauthorized("watching this assembly needs a link")


def links_json(request: Request, assembly_id: str, links: dict[str, Any]) -> dict[str, Any]:
    base = f"{base_url(request)}/assembly/{assembly_id}"

    def url(page: str, token: str) -> str:
        return f"{base}/{page}#t={token}"

    return {
        "watch": f"{base}/watch",
        "viewer": url("watch", links["viewer"]),
        "chairs": {pid: url("chair", t) for pid, t in links["chairs"].items()},
        "delegates": {pid: url("delegate", t) for pid, t in links["delegates"].items()},
        "interpreters": {pid: url("interpreter", t) for pid, t in links["interpreters"].items()},
        "minutes": f"{base_url(request)}/api/assemblies/{assembly_id}/minutes.md",
        "names": links["names"],
    }


async def create_assembly(request: Request) -> Response:
    await limit_writes(request)
    require_admin(request)
    body = await read_body(request, MAX_BODY)
    definition = await request.app.state.worker.run(parse_definition, body, load_assembly)
    service = _service(request)
    assembly_id = await service.create_assembly(definition)
    agg = await service.get(assembly_id)
    body = {
        "id": assembly_id,
        "title": definition.title,
        **links_json(request, assembly_id, service.links_for(assembly_id, agg.state)),
    }
    return JSONResponse(body, status_code=201)


def preview_json(definition: AssemblyDef) -> dict[str, Any]:
    """What the admin page shows before creating: who is in it, and what deserves a second look."""
    people = {
        role: [person_to_json(p) for p in definition.people if p.role == role] for role in PAGES if role != "viewer"
    }
    warnings = []
    state = replace(AssemblyState(), definition=definition, people={p.id: p for p in definition.people})
    risk = weight_classes_at_risk(state)
    if risk:
        classes = ", ".join(f"{w} ({n})" for w, n in risk)
        warnings.append(
            f"weights held by fewer than {definition.secret_k} delegates: {classes}; their choices in a secret "
            "ballot could be worked out from the totals (the chair is asked before each one)"
        )
    for language in definition.languages:
        booths = [p for p in definition.people if p.role == INTERPRETER and p.booth == language]
        if not booths and len(definition.languages) > 1:
            warnings.append(f"no interpreter for {language}: its channel will carry the floor only")
    return {
        "title": definition.title,
        "languages": list(definition.languages),
        "chairs": people["chair"],
        "delegates": people["delegate"],
        "interpreters": people["interpreter"],
        "warnings": warnings,
    }


async def preview_assembly(request: Request) -> Response:
    """Parse a definition without creating anything: the admin page's preview."""
    await limit_writes(request)
    require_admin(request)
    body = await read_body(request, MAX_BODY)
    definition = await request.app.state.worker.run(parse_definition, body, load_assembly)
    return JSONResponse(preview_json(definition))


async def list_assemblies(request: Request) -> Response:
    require_admin(request)
    service = _service(request)
    out = []
    for assembly_id in service.ids():
        state = service.current(assembly_id)
        if state is not None and state.definition is not None:
            out.append({"id": assembly_id, "title": state.definition.title})
    return JSONResponse({"assemblies": out})


async def _readable(request: Request) -> tuple[AssemblyService, str, AssemblyState, int, Grant | None]:
    service = _service(request)
    assembly_id = request.path_params["assembly_id"]
    agg = await service.get(assembly_id)
    grant = _grant(request, bearer(request), assembly_id, agg.state)
    _may_read(agg.state, grant)
    return service, assembly_id, agg.state, agg.offset, grant


def snapshot(state: AssemblyState, offset: int) -> dict[str, Any]:
    """A read-only summary for REST readers; live pages fold the events themselves."""
    assert state.definition is not None
    f = state.floor
    floor = None
    if f is not None:
        floor = {
            "entry": f.entry,
            "person": f.person,
            "kind": f.kind,
            "deadline": iso(f.deadline),
            "overtime": f.overtime,
        }
    return {
        "assembly": state.assembly_id,
        "offset": offset,
        "title": state.definition.title,
        "languages": list(state.definition.languages),
        "people": [{"role": p.role, **person_to_json(p)} for p in state.people.values()],
        "present": sorted(state.present),
        "list_open": state.list_open,
        "order": [{"entry": e.id, "person": e.person, "kind": e.kind} for e in state.order()],
        "floor": floor,
        "floor_language": state.floor_language,
        "booths": dict(state.booths),
        "region_time": state.region_spent,
        "texts": {
            t.id: {"status": t.status, "language": t.language, "text": t.text, "rev": t.rev}
            for t in state.texts.values()
        },
        "ballots": {
            str(b.id): {
                "kind": b.kind,
                "target": b.target,
                "status": b.status,
                "secret": b.secret,
                "voters": len(b.voters),
                "result": b.result,
            }
            for b in state.ballots.values()
        },
    }


async def get_assembly(request: Request) -> Response:
    service, _, state, offset, _ = await _readable(request)
    return JSONResponse(snapshot(state, offset) | {"now": iso(service.clock.now())})


async def get_events(request: Request) -> Response:
    service, assembly_id, _, _, _ = await _readable(request)
    return await events_after(request, service.log, service.stream_of(assembly_id))


async def get_links(request: Request) -> Response:
    """Every link of the assembly: for its chairs, and for the server's admin."""
    service, assembly_id = _service(request), request.path_params["assembly_id"]
    state = await links_state(
        request, lambda: service.get(assembly_id), lambda: _readable(request), CHAIR, "a chair's link"
    )
    return JSONResponse(links_json(request, assembly_id, service.links_for(assembly_id, state)))


async def post_command(request: Request) -> Response:
    await limit_writes(request)
    service = _service(request)
    assembly_id = request.path_params["assembly_id"]
    agg = await service.get(assembly_id)
    grant = _grant(request, bearer(request), assembly_id, agg.state)
    raw = await read_json(request)
    offset = await service.run(assembly_id, parse(grant, raw))
    body: dict[str, Any] = {"offset": offset}
    if raw.get("type") in ("add_person", "revoke_link"):
        agg = await service.get(assembly_id)
        pid = raw.get("id") or raw.get("person")
        person = agg.state.person(pid)
        if person is not None:
            token = service.link(assembly_id, agg.state, person.role, pid)
            body["link"] = f"{base_url(request)}/assembly/{assembly_id}/{PAGES[person.role]}#t={token}"
    return JSONResponse(body)


async def minutes(request: Request) -> Response:
    """The record: ``.json`` (language-neutral) or ``.md?lang=xx`` in any served language
    (default: the assembly's first language if served, else English)."""
    _, assembly_id, state, _, _ = await _readable(request)
    fmt = request.path_params["fmt"]
    if fmt == "json":
        return JSONResponse(minutes_json(state))
    if fmt != "md":
        raise ApiError("not_found", "minutes come as .md or .json", 404)
    try:
        lang = minutes_language(state, request.query_params.get("lang"))
    except ValueError as e:
        raise bad_request("bad_request", str(e)) from None
    return PlainTextResponse(
        minutes_markdown(state, lang),
        media_type="text/markdown; charset=utf-8",
        headers={
            "content-disposition": f'inline; filename="minutes-{assembly_id}-{lang}.md"',
            "content-language": lang,
        },
    )


async def assembly_socket(websocket: WebSocket) -> None:
    service = _service(websocket)
    assembly_id = websocket.path_params["assembly_id"]

    presence = websocket.app.state.assembly_presence
    counted: list[str] = []

    async def authenticate(token: str | None) -> Grant | None:
        agg = await service.get(assembly_id)
        grant = _grant(websocket, token, assembly_id, agg.state)
        _may_read(agg.state, grant)
        if grant is not None and grant.subject is not None:
            presence.opened(assembly_id, grant.subject)
            counted.append(grant.subject)
        return grant

    def check(session: Session) -> None:
        state = service.current(assembly_id)
        if session.grant is not None and state is not None:
            check_current(session.grant, lambda pid: state.link_versions.get(pid, 0))

    def revoked(session: Session) -> bool:
        state = service.current(assembly_id)
        return state is not None and is_revoked(session.grant, lambda pid: state.link_versions.get(pid, 0))

    async def handle(session: Session, raw: Any) -> int:
        await service.get(assembly_id)
        check(session)
        return await service.run(assembly_id, parse(session.grant, raw))

    now = lambda: iso(service.clock.now())  # noqa: E731
    media = MediaEndpoint(websocket.app.state.media, assembly_id, lambda: service.current(assembly_id), now, check)

    try:
        await serve_stream(
            websocket,
            stream=service.stream_of(assembly_id),
            log=service.log,
            hub=service.hub,
            authenticate=authenticate,
            handle=handle,
            now=now,
            revoked=revoked,
            extension=media,
            limits={"text": MAX_TEXT, "name": MAX_NAME, "place": MAX_PLACE, "chat": MAX_CHAT},
        )
    finally:
        for person in counted:
            presence.closed(assembly_id, person)


routes = [
    Route("/api/assemblies", create_assembly, methods=["POST"]),
    Route("/api/assemblies", list_assemblies, methods=["GET"]),
    Route("/api/assemblies/preview", preview_assembly, methods=["POST"]),
    Route("/api/assemblies/{assembly_id}", get_assembly, methods=["GET"]),
    Route("/api/assemblies/{assembly_id}/events", get_events, methods=["GET"]),
    Route("/api/assemblies/{assembly_id}/links", get_links, methods=["GET"]),
    Route("/api/assemblies/{assembly_id}/commands", post_command, methods=["POST"]),
    Route("/api/assemblies/{assembly_id}/minutes.{fmt:str}", minutes, methods=["GET"]),
    WebSocketRoute("/ws/assembly/{assembly_id}", assembly_socket),
]
