"""The browser pages as the server sends them: static HTML files, with a tiny build-free include.

A page may start a line with ``<!--#include NAME key=value ...-->``: the server puts
``static/partials/NAME.html`` there, with each ``{{key}}`` replaced by its value. A value may be a
list, ``a,b,c``: a line of the partial that holds ``{{key}}`` is then written once per item, and not
at all for an empty value (``key=``); ``a+b`` is one item, written as ``a,b`` (a list passed on
inside one line, such as a page's own modules to preload). A partial may include another (its own ``{{key}}`` filled
first, so it can pass a value on). Every page shares its head this way (partials/head.html: the
page's stylesheet, script and module preloads), and the four assembly pages their top bar too
(partials/assembly-top.html). Pages are rendered once per process and kept; they are static.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

INCLUDE = re.compile(r"^<!--#include (?P<name>[a-z][a-z0-9-]*)(?P<params>(?: [a-z]+=[A-Za-z0-9_,+-]*)*) -->\n", re.M)
PARAM = re.compile(r" ([a-z]+)=([A-Za-z0-9_,+-]*)")
PLACEHOLDER = re.compile(r"\{\{([a-z]+)\}\}")
MAX_DEPTH = 4


@lru_cache(maxsize=64)
def render(folder: Path, name: str) -> bytes:
    """``folder/name`` with its includes expanded, as UTF-8 bytes."""
    return expand(folder, name, (folder / name).read_text(encoding="utf-8"), 0).encode("utf-8")


def expand(folder: Path, name: str, text: str, depth: int) -> str:
    def include(m: re.Match[str]) -> str:
        if depth >= MAX_DEPTH:
            raise ValueError(f"{name}: includes nested more than {MAX_DEPTH} deep")
        part = (folder / "partials" / f"{m['name']}.html").read_text(encoding="utf-8")
        part = fill(part, dict(PARAM.findall(m["params"])), f"{name}: include {m['name']}")
        return expand(folder, name, part, depth + 1)

    return INCLUDE.sub(include, text)


def fill(part: str, params: dict[str, str], where: str) -> str:
    """Each line of ``part`` once per item of the values it names (for each combination, when it
    names several lists); a placeholder without a value is an error."""
    out: list[str] = []
    for line in part.splitlines(keepends=True):
        lines = [line]
        for key in dict.fromkeys(PLACEHOLDER.findall(line)):
            if key in params:
                items = params[key].split(",") if params[key] else []
                lines = [one.replace("{{" + key + "}}", item.replace("+", ",")) for one in lines for item in items]
        out += lines
    if "{{" in (text := "".join(out)):
        raise ValueError(f"{where} left a placeholder unfilled")
    return text
