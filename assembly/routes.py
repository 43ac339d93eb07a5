"""Assembly routes: the routes every stream has (mayday/routes.py) from the assembly's ``API``,
plus an assembly's own: previewing a definition and the minutes (all listed in docs/protocol.md)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket

from assembly.core import MAX_TEXT, weight_classes_at_risk
from assembly.definition import MAX_PLACE, AssemblyDef, load_assembly, person_to_json
from assembly.definition import MAX_TEXT as MAX_NAME
from assembly.media.signalling import MAX_CHAT, MediaEndpoint
from assembly.minutes import minutes_json, minutes_language, minutes_markdown
from assembly.protocol import CHAIR, INTERPRETER, parse
from assembly.service import AssemblyService
from assembly.state import AssemblyState
from mayday.access import base_url, require_admin
from mayday.clock import iso
from mayday.errors import ApiError, bad_request
from mayday.http import MAX_BODY, limit_writes, parse_definition, read_body
from mayday.routes import Readable, StreamApi

PAGES = {"chair": "chair", "delegate": "delegate", "interpreter": "interpreter", "viewer": "watch"}


def _needs_link(state: AssemblyState) -> str | None:
    assert state.definition is not None
    return "watching this assembly needs a link" if state.definition.viewers == "link" else None


def links_json(root: str, assembly_id: str, links: dict[str, Any]) -> dict[str, Any]:
    base = f"{root}/assembly/{assembly_id}"

    def url(page: str, token: str) -> str:
        return f"{base}/{page}#t={token}"

    return {
        "watch": f"{base}/watch",
        "viewer": url("watch", links["viewer"]),
        "chairs": {pid: url("chair", t) for pid, t in links["chairs"].items()},
        "delegates": {pid: url("delegate", t) for pid, t in links["delegates"].items()},
        "interpreters": {pid: url("interpreter", t) for pid, t in links["interpreters"].items()},
        "minutes": f"{root}/api/assemblies/{assembly_id}/minutes.md",
        "names": links["names"],
    }


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


async def minutes(request: Request) -> Response:
    """The record: ``.json`` (language-neutral) or ``.md?lang=xx`` in any served language
    (default: the assembly's first language if served, else English)."""
    r = await API.readable(request)
    assembly_id, state = r.id, r.state
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


def _new_link(request: Request, r: Readable[AssemblyState], raw: Any) -> dict[str, Any]:
    """A person added or a link revoked: the person's (new) link comes back in the reply."""
    if raw.get("type") not in ("add_person", "revoke_link"):
        return {}
    pid = raw.get("id") or raw.get("person")
    person = r.state.person(pid)
    if person is None:
        return {}
    token = r.service.link(r.id, r.state, person.role, pid)  # type: ignore[attr-defined]
    return {"link": f"{base_url(request)}/assembly/{r.id}/{PAGES[person.role]}#t={token}"}


async def _create(service: AssemblyService, definition: AssemblyDef) -> str:
    return await service.create_assembly(definition)


def _load(body: bytes) -> AssemblyDef:
    return parse_definition(body, load_assembly)


def _media(websocket: WebSocket, assembly_id: str, service: AssemblyService, now: Any, check: Any) -> MediaEndpoint:
    return MediaEndpoint(websocket.app.state.media, assembly_id, lambda: service.current(assembly_id), now, check)


API: StreamApi[AssemblyState, AssemblyDef] = StreamApi(
    kind="assembly",
    plural="assemblies",
    service="assemblies",
    title_key="title",
    title=lambda state: state.definition.title if state.definition is not None else None,
    load=_load,
    create=_create,
    versions=lambda state: lambda pid: state.link_versions.get(pid, 0),
    needs_link=_needs_link,
    links_json=links_json,
    organiser=CHAIR,
    organiser_link="a chair's link",
    parse_command=parse,
    snapshot=snapshot,
    limits={"text": MAX_TEXT, "name": MAX_NAME, "place": MAX_PLACE, "chat": MAX_CHAT},
    command_reply=_new_link,
    presence=lambda conn: conn.app.state.assembly_presence,
    extension=_media,
)

routes = [
    *API.routes(),
    Route("/api/assemblies/preview", preview_assembly, methods=["POST"]),
    Route("/api/assemblies/{stream_id}/minutes.{fmt:str}", minutes, methods=["GET"]),
]
