"""Pages as served: includes expanded (the assembly pages share their head and top bar), nothing
left unfilled, each page with its own script."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from mayday.app import Settings, static_dir
from mayday.pages import render

ASSEMBLY_PAGES = ("chair", "delegate", "interpreter", "watch")


@pytest.mark.parametrize("page", [*ASSEMBLY_PAGES, "board", "index", "404"])
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


def test_an_unfilled_placeholder_is_an_error(tmp_path: Path):
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "top.html").write_text("<p>{{page}} {{missing}}</p>\n")
    (tmp_path / "p.html").write_text("<!--#include top page=x -->\nrest\n")
    with pytest.raises(ValueError, match="unfilled"):
        render(tmp_path, "p.html")


async def test_served_pages_are_the_rendered_ones(make_app, tmp_path):
    server = await make_app(Settings(data_dir=str(tmp_path), secret="s", timers=False))
    async with httpx.AsyncClient(base_url=server.base) as http:
        r = await http.get("/assembly/abc/chair")
    assert r.status_code == 200 and r.content == render(static_dir(), "chair.html")
    assert "content-security-policy" in r.headers
