"""The ``mayday`` command: serve, plan and create relays, create assemblies, count votes, print links."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytz

from mayday import __version__

DEFAULT_SERVER = "http://127.0.0.1:8000"


def _fail(message: str, code: int = 2) -> int:
    print(f"mayday: {message}", file=sys.stderr)
    return code


def _read_file(path: str) -> str:
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SystemExit(_fail(f"{path}: {getattr(e, 'strerror', None) or e}"))  # noqa: B904


def cmd_plan(args: argparse.Namespace) -> int:
    from relay.plan import plan, plan_to_json
    from relay.spec import SpecError, load_spec
    from relay.table import plan_table

    text = _read_file(args.file)
    try:
        p = plan(load_spec(text))
    except (SpecError, ValueError) as e:
        return _fail(f"{args.file}: {e}")
    if args.json:
        print(json.dumps(plan_to_json(p), indent=2, ensure_ascii=False))
    else:
        print(plan_table(p, load_spec(text)))
    return 0


def cmd_count(args: argparse.Namespace) -> int:
    from assembly.countfile import count_text, format_count

    text = _read_file(args.file)
    try:
        result = count_text(text)
    except ValueError as e:  # SpecError (malformed text) and BallotError are ValueErrors
        return _fail(f"{args.file}: {e}")
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(format_count(result))
    return 0


def _post(url: str, body: bytes, token: str | None, content_type: str) -> tuple[int, Any]:
    import httpx

    headers = {"content-type": content_type}
    if token:
        headers["authorization"] = f"Bearer {token}"
    try:
        r = httpx.post(url, content=body, headers=headers, timeout=30)
    except httpx.HTTPError as e:
        raise SystemExit(_fail(f"cannot reach {url}: {e}", 1))  # noqa: B904
    try:
        return r.status_code, r.json()
    except ValueError:
        return r.status_code, {"error": {"code": "http", "message": r.text[:200]}}


def _create(args: argparse.Namespace, route: str) -> dict[str, Any] | int:
    """POST a definition file to a running server with the admin token; the created body or an exit code."""
    token = args.token or os.environ.get("MAYDAY_TOKEN")
    if not token:
        return _fail("give the server's admin link token with --token or MAYDAY_TOKEN")
    text = _read_file(args.file)
    status, body = _post(args.server.rstrip("/") + route, text.encode(), token, "application/yaml")
    if status != 201:
        err = body.get("error", {}) if isinstance(body, dict) else {}
        return _fail(f"{args.file}: {err.get('message', status)} ({err.get('code', status)})", 1)
    if args.json:
        print(json.dumps(body, indent=2, ensure_ascii=False))
        return 0
    return body


def cmd_assembly_create(args: argparse.Namespace) -> int:
    body = _create(args, "/api/assemblies")
    if isinstance(body, int):
        return body
    print(f"Assembly {body['id']}: {body['title']}")
    print(f"  watch (public):   {body['watch']}")
    print(f"  viewer link:      {body['viewer']}")
    for role in ("chairs", "delegates", "interpreters"):
        for pid, link in body[role].items():
            print(f"  {role[:-1]} {pid:<14} {link}")
    print(f"  minutes:          {body['minutes']}")
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    body = _create(args, "/api/relays")
    if isinstance(body, int):
        return body
    print(f"Relay {body['id']}: {body['name']}")
    print(f"  board:                     {body['board']}")
    print(f"  viewer link:               {body['viewer']}")
    print(f"  coordinator link:          {body['coordinator']}")
    for site, link in body["sites"].items():
        print(f"  site {site:<8} link:        {link}")
    print(f"  calendar:                  {body['ics']}")
    return 0


async def _admin_link(args: argparse.Namespace) -> str:
    from mayday.app import admin_token, open_links
    from mayday.log import open_log

    event_log = await open_log(data_dir=args.data, redis_url=args.redis)
    try:
        return admin_token(await open_links(event_log, args.secret))
    finally:
        await event_log.close()


BASE_FILE = "serve.json"  # in the data directory: where `mayday serve` last listened


def remember_base(data_dir: str, base: str) -> None:
    """Note where the server listens, so `mayday invite admin` prints links with the right port."""
    try:
        os.makedirs(data_dir, exist_ok=True)
        with open(os.path.join(data_dir, BASE_FILE), "w", encoding="utf-8") as f:
            json.dump({"base": base}, f)
    except OSError:
        pass  # a read-only data dir: invite falls back to --base


def remembered_base(data_dir: str) -> str | None:
    try:
        with open(os.path.join(data_dir, BASE_FILE), encoding="utf-8") as f:
            base = json.load(f).get("base")
    except (OSError, ValueError, AttributeError):
        return None
    return base if isinstance(base, str) else None


def cmd_invite(args: argparse.Namespace) -> int:
    token = asyncio.run(_admin_link(args))
    base = args.base or remembered_base(args.data) or DEFAULT_SERVER
    print(f"{base.rstrip('/')}/#admin={token}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mayday.app import Settings, create_app, server_config

    settings = Settings.from_env(data_dir=args.data, redis_url=args.redis, secret=args.secret)
    settings.demo = args.demo
    settings.health_grace = args.health_grace
    settings.drop_grace = args.drop_grace
    base = f"http://{args.host}:{args.port}"
    app = create_app(settings)

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:  # print links only once the port is really ours
                remember_base(args.data, base)
                print(f"Mayday {__version__} on {base} ({'redis' if settings.redis_url else 'sqlite'} log)")
                print(f"  admin link (relays, assemblies, every link): {base}/#admin={app.state.admin_token}")
                if getattr(app.state, "demo_relays", None):
                    rid = app.state.demo_relays[0]
                    relays = app.state.relays
                    links = relays.links_for(rid, relays.current(rid))
                    board = f"{base}/relay/{rid}"
                    print(f"  demo relay board:           {base}/demo  (now {board}; a fresh one follows when it ends)")
                    print(f"  demo relay, coordinator:    {board}#t={links['coordinator']}")
                    for site, token in links["sites"].items():
                        print(f"  demo relay, site {site:<10} {board}#t={token}")
                if getattr(app.state, "demo_assembly", None):
                    aid = app.state.demo_assembly
                    state = app.state.assemblies.current(aid)
                    chair = app.state.assemblies.link(aid, state, "chair", "ama")
                    print(f"  demo assembly, chair:       {base}/assembly/{aid}/chair#t={chair}")
                    print(f"  demo assembly, watch:       {base}/assembly/{aid}/watch")
                if getattr(app.state, "demo_network", None):
                    nid = app.state.demo_network
                    networks = app.state.networks
                    state = networks.current(nid)
                    page = f"{base}/network/{nid}"
                    print(f"  demo network, coordinator:  {page}#t={networks.link(nid, state, 'coordinator')}")
                    for circle in state.circles:
                        link = networks.link(nid, state, "circle", circle)
                        print(f"  demo circle {circle:<18} {page}/circle/{circle}#t={link}")
                sys.stdout.flush()

    config = server_config(app, args.host, args.port, log_level=args.log_level, proxy_headers=args.proxy_headers)
    Server(config).run()
    return 0 if getattr(app.state, "admin_token", None) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mayday", description=__doc__)
    parser.add_argument(
        "--version",
        action="version",
        version=f"mayday {__version__} (tz database {pytz.OLSON_VERSION}, bundled with pytz {pytz.VERSION})",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def store(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data",
            default=os.environ.get("MAYDAY_DATA", "./mayday-data"),
            help="directory of the embedded SQLite log (default ./mayday-data)",
        )
        p.add_argument(
            "--redis",
            default=os.environ.get("MAYDAY_REDIS_URL"),
            help="Redis URL: use Redis Streams instead of SQLite (for several processes)",
        )
        p.add_argument(
            "--secret",
            default=os.environ.get("MAYDAY_SECRET"),
            help="link signing secret (default: generated once and kept in the log)",
        )

    serve = sub.add_parser("serve", help="run the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="create a live demo relay with short legs")
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--proxy-headers", action="store_true", help="trust X-Forwarded-* from a proxy")
    serve.add_argument(
        "--health-grace",
        type=float,
        default=float(os.environ.get("MAYDAY_HEALTH_GRACE", "30")),
        help="seconds a deadline may be overdue before /api/health answers 503 (default 30)",
    )
    serve.add_argument(
        "--drop-grace",
        type=float,
        default=float(os.environ.get("MAYDAY_DROP_GRACE", "30")),
        help="seconds a live interpreter or speaker may be without a connection before the booth or floor is freed",
    )
    store(serve)
    serve.set_defaults(fn=cmd_serve)

    relay = sub.add_parser("relay", help="plan or create relays").add_subparsers(dest="relay_command", required=True)
    plan = relay.add_parser("plan", help="print a relay's plan (UTC and local times)")
    plan.add_argument("file", help="relay definition, YAML or JSON ('-' for stdin)")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")
    plan.set_defaults(fn=cmd_plan)

    def creator(group: Any, what: str, fn: Any) -> None:
        create = group.add_parser("create", help=f"create {what} on a running server and print its links")
        create.add_argument("file", help=f"{what.split()[-1]} definition, YAML or JSON ('-' for stdin)")
        create.add_argument("--server", default=os.environ.get("MAYDAY_SERVER", DEFAULT_SERVER))
        create.add_argument("--token", help="the server's admin token (or MAYDAY_TOKEN)")
        create.add_argument("--json", action="store_true", help="print the reply as JSON")
        create.set_defaults(fn=fn)

    creator(relay, "a relay", cmd_create)
    assembly = sub.add_parser("assembly", help="create assemblies").add_subparsers(
        dest="assembly_command", required=True
    )
    creator(assembly, "an assembly", cmd_assembly_create)

    count = sub.add_parser("count", help="count an assembly vote: ranked ballots (Schulze) or a motion")
    count.add_argument("file", help="ballots file, YAML or JSON ('-' for stdin)")
    count.add_argument("--json", action="store_true", help="print the count as JSON")
    count.set_defaults(fn=cmd_count)

    invite = sub.add_parser("invite", help="print links")
    invite_sub = invite.add_subparsers(dest="invite_command", required=True)
    admin = invite_sub.add_parser("admin", help="print the server's admin link again")
    admin.add_argument(
        "--base",
        default=None,
        help="the server's public base URL (default: where `mayday serve` with this --data last listened)",
    )
    store(admin)
    admin.set_defaults(fn=cmd_invite)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
