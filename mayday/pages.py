"""The browser pages as the server sends them: static HTML files, with a tiny build-free include.

A page may start a line with ``<!--#include NAME key=value ...-->``: the server puts
``static/partials/NAME.html`` there, with each ``{{key}}`` replaced by its value. The four assembly
pages share their head, top bar (who you are, language, connection) and opening this way instead
of repeating 43 lines each. Pages are rendered once per process and kept; they are static.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

INCLUDE = re.compile(r"^<!--#include (?P<name>[a-z][a-z0-9-]*)(?P<params>(?: [a-z]+=[A-Za-z0-9_-]+)*) -->\n", re.M)
PARAM = re.compile(r" ([a-z]+)=([A-Za-z0-9_-]+)")


@lru_cache(maxsize=64)
def render(folder: Path, name: str) -> bytes:
    """``folder/name`` with its includes expanded, as UTF-8 bytes."""
    text = (folder / name).read_text(encoding="utf-8")

    def include(m: re.Match[str]) -> str:
        part = (folder / "partials" / f"{m['name']}.html").read_text(encoding="utf-8")
        for key, value in PARAM.findall(m["params"]):
            part = part.replace("{{" + key + "}}", value)
        if "{{" in part:
            raise ValueError(f"{name}: include {m['name']} left a placeholder unfilled")
        return part

    return INCLUDE.sub(include, text).encode("utf-8")
