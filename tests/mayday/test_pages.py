"""Pages as served: includes expanded (every page shares its head, the assembly pages their top
bar too), nothing left unfilled, each page with its own script and the modules it imports preloaded,
no copy of the server's limits in a page."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from mayday.app import Settings, static_dir
from mayday.pages import render

ASSEMBLY_PAGES = ("chair", "delegate", "interpreter", "watch")
CIRCLES_PAGES = ("network", "circle", "pair", "ledger", "integrity", "reader", "action")
SHARED_HEAD = ("board", "index", "404", *ASSEMBLY_PAGES, *CIRCLES_PAGES)
# and "assembly" for the others
STYLE = {"board": "board", "index": "index", "404": "index", **dict.fromkeys(CIRCLES_PAGES, "circles")}
# the others' script is named for the page
SCRIPT = {"404": "notfound", **{page: f"circles-{page}" for page in CIRCLES_PAGES}}
IMPORT = re.compile(r'^import (?:[^"]*? from )?"/static/([\w-]+)\.js";', re.M)
PRELOAD = re.compile(r'<link rel="modulepreload" href="/static/([\w-]+)\.js">')


@pytest.mark.parametrize("page", [*ASSEMBLY_PAGES, *CIRCLES_PAGES, "board", "index", "404"])
def test_every_page_renders_whole(page):
    html = render(static_dir(), f"{page}.html").decode()
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert "<!--#include" not in html and "{{" not in html


@pytest.mark.parametrize("page", ASSEMBLY_PAGES)
def test_assembly_pages_share_one_head_with_their_own_script(page):
    html = render(static_dir(), f"{page}.html").decode()
    assert f'<script type="module" src="/static/{page}.js"></script>' in html
    assert f'<body class="assembly page-{page}">' in html
    assert html.count(' id="connection"') == 1  # the shared top bar, once


@pytest.mark.parametrize("page", CIRCLES_PAGES)
def test_circles_pages_share_one_top_bar(page):
    source = (static_dir() / f"{page}.html").read_text(encoding="utf-8")
    assert f"<!--#include circles-top page={page} -->" in source and "<header" not in source
    html = render(static_dir(), f"{page}.html").decode()
    assert f'<body class="circles page-{page}">' in html
    assert html.count(' id="connection"') == 1  # the shared top bar, once


@pytest.mark.parametrize("page", SHARED_HEAD)
def test_every_page_has_the_shared_head_with_its_own_style_and_script(page):
    source = (static_dir() / f"{page}.html").read_text(encoding="utf-8")
    assert "<head>" not in source and "<meta " not in source  # written once, in partials/head.html
    head = render(static_dir(), f"{page}.html").decode().split("</head>")[0]
    for line in ('<meta charset="utf-8">', '<meta name="referrer" content="no-referrer">', "<title>Mayday</title>"):
        assert head.count(line) == 1
    assert f'<link rel="stylesheet" href="/static/{STYLE.get(page, "assembly")}.css">' in head
    assert f'<script type="module" src="/static/{SCRIPT.get(page, page)}.js"></script>' in head


def imports(script: str) -> set[str]:
    """The modules ``script`` loads, at any depth."""
    seen: set[str] = set()
    todo = [script]
    while todo:
        for name in IMPORT.findall((static_dir() / f"{todo.pop()}.js").read_text(encoding="utf-8")):
            if name not in seen:
                seen.add(name)
                todo.append(name)
    return seen - {script}


@pytest.mark.parametrize("page", SHARED_HEAD)
def test_a_page_preloads_exactly_the_modules_its_script_imports(page):
    html = render(static_dir(), f"{page}.html").decode()
    assert set(PRELOAD.findall(html)) == imports(SCRIPT.get(page, page))


def test_no_page_keeps_a_copy_of_the_servers_limits():
    """The sizes the server holds commands to come in its welcome (static/live.js puts them on the
    fields marked data-limit): a number typed into a page would drift from the server's."""
    for path in [*static_dir().glob("*.html"), *static_dir().glob("*.js")]:
        assert not re.search(r"maxlength[=:]\s*\"?\d", path.read_text(encoding="utf-8")), path.name


def test_a_list_value_writes_a_line_per_item_and_a_partial_may_include_another(tmp_path: Path):
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "outer.html").write_text("<!--#include inner x={{x}} ys=a,b -->\n<p>{{x}}</p>\n")
    (tmp_path / "partials" / "inner.html").write_text("<i>{{x}}</i>\n<b>{{ys}}</b>\n")
    (tmp_path / "p.html").write_text("<!--#include outer x=1 -->\n<!--#include inner x=2 ys= -->\nend\n")
    assert render(tmp_path, "p.html").decode() == "<i>1</i>\n<b>a</b>\n<b>b</b>\n<p>1</p>\n<i>2</i>\nend\n"
    (tmp_path / "partials" / "loop.html").write_text("<!--#include loop -->\n")
    (tmp_path / "q.html").write_text("<!--#include loop -->\n")
    with pytest.raises(ValueError, match="nested"):
        render(tmp_path, "q.html")


def test_an_unfilled_placeholder_is_an_error(tmp_path: Path):
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "top.html").write_text("<p>{{page}} {{missing}}</p>\n")
    (tmp_path / "p.html").write_text("<!--#include top page=x -->\nrest\n")
    with pytest.raises(ValueError, match="unfilled"):
        render(tmp_path, "p.html")


def test_a_plus_passes_a_list_on_inside_one_line(tmp_path: Path):
    """``modules=a+b`` is one item written ``a,b``: a page adds its own modules to a partial's
    preload list without the line being written once per module."""
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "top.html").write_text("<p>preload=x,{{modules}}</p>\n")
    (tmp_path / "p.html").write_text("<!--#include top modules=media+watch-http -->\n")
    (tmp_path / "q.html").write_text("<!--#include top modules=media -->\n")
    assert render(tmp_path, "p.html") == b"<p>preload=x,media,watch-http</p>\n"
    assert render(tmp_path, "q.html") == b"<p>preload=x,media</p>\n"


async def test_served_pages_are_the_rendered_ones(make_app, tmp_path):
    server = await make_app(Settings(data_dir=str(tmp_path), secret="s", timers=False))
    async with httpx.AsyncClient(base_url=server.base) as http:
        r = await http.get("/assembly/abc/chair")
    assert r.status_code == 200 and r.content == render(static_dir(), "chair.html")
    assert "content-security-policy" in r.headers
