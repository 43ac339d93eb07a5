"""A joint action's red lines as JSON-ready data, text and CSV, in one language (pure).

Each line is shown in the language asked for when someone translated it into that language
(marked ``human`` or ``machine``, and ``stale`` when the translation is of an older version),
else in its original with the original's language. Every version of a line is listed with when
it was written. A named line gives its author's name and circle; an anonymous one says
"anonymous" in the language asked for, and nothing else, because the state knows nothing else
(circles/redlines.py). The acknowledgements of each circle close the export.

The headings are in the language asked for when the product serves it, else in English
(circles/redlines_text.py). CSV: one row per version of each line (``Current`` says which row is
the line as it stands); a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading ``'`` so that no spreadsheet runs it as a formula.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from circles.redlines_text import headings
from circles.state import Action, NetworkState, RedLine

COLUMNS = (
    "col_line",
    "col_version",
    "col_date",
    "col_current",
    "col_language",
    "col_text",
    "col_translation",
    "col_stale",
    "col_original_language",
    "col_original",
    "col_author",
    "col_circle",
    "col_withdrawn",
)


def _circle_name(state: NetworkState, circle: str | None) -> str:
    if circle is None:
        return ""
    c = state.circles.get(circle)
    return c.name if c is not None else circle


def _line(state: NetworkState, line: RedLine, language: str, words: dict[str, str]) -> dict[str, Any]:
    translation = line.translations.get(language) if language != line.language else None
    if translation is not None:
        text, how, version, _by = translation
        shown = {"language": language, "text": text, "translation": how, "translates_version": version}
    else:
        shown = {"language": line.language, "text": line.text, "translation": None, "translates_version": None}
    anonymous = line.author is None
    return {
        "id": line.id,
        "version": line.version,
        **shown,
        "stale": translation is not None and translation[2] < line.version,
        "original": {"language": line.language, "text": line.text},
        "anonymous": anonymous,
        "author": line.author,
        "circle": None if anonymous else line.circle,
        "circle_name": None if anonymous else _circle_name(state, line.circle),
        "by": words["anonymous"] if anonymous else line.author,
        "at": line.at,
        "withdrawn": line.withdrawn,
        "versions": [{"version": v, "text": text, "at": at} for v, text, at in line.history],
    }


def export(state: NetworkState, action: Action, language: str, at: str) -> dict[str, Any]:
    """The red lines of ``action`` in ``language`` (withdrawn ones too, marked), exported ``at``."""
    shown_in, words = headings(language)
    acks = []
    for c in action.circles:
        version = action.acknowledged.get(c)
        state_ = "none" if version is None else "current" if version == action.audit else "stale"
        acks.append({"circle": c, "name": _circle_name(state, c), "version": version, "state": state_})
    return {
        "action": {"id": action.id, "name": action.name},
        "language": language,
        "headings_language": shown_in,
        "audit": action.audit,
        "at": at,
        "lines": [_line(state, line, language, words) for line in action.red_lines.values()],
        "acknowledged": acks,
        "labels": dict(words),
    }


def to_text(data: dict[str, Any]) -> str:
    """The export as plain text, for reading aloud or printing."""
    w = data["labels"]
    out = [w["title"].format(action=data["action"]["name"]), w["audit"].format(version=data["audit"], at=data["at"])]
    if not data["lines"]:
        out += ["", w["none"]]
    for line in data["lines"]:
        out += ["", f"{w['line'].format(n=line['id'])} ({w['col_version']} {line['version']})"]
        out.append(line["text"])
        if line["translation"] is not None:
            out.append(w[line["translation"]].format(language=line["original"]["language"]))
            if line["stale"]:
                out.append(w["stale"].format(version=line["translates_version"], current=line["version"]))
            out.append(w["original"].format(language=line["original"]["language"], text=line["original"]["text"]))
        elif line["language"] != data["language"]:
            out.append(w["untranslated"].format(language=line["language"]))
        if line["anonymous"]:
            out.append(w["anonymous"])
        else:
            out.append(w["named_by"].format(author=line["author"], circle=line["circle_name"]))
        if line["withdrawn"]:
            out.append(w["withdrawn"].format(at=line["withdrawn"]))
        out.append(w["versions"])
        out += ["  " + w["version"].format(version=v["version"], at=v["at"], text=v["text"]) for v in line["versions"]]
    out += ["", w["acks"]]
    for a in data["acknowledged"]:
        out.append("- " + w[f"ack_{a['state']}"].format(circle=a["name"], version=a["version"]))
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(data: dict[str, Any]) -> str:
    """One row per version of each line, headings in the export's language (RFC 4180, CRLF)."""
    w = data["labels"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([w[c] for c in COLUMNS])
    for line in data["lines"]:
        author = w["anonymous"] if line["anonymous"] else line["author"]
        for v in line["versions"]:
            current = v["version"] == line["version"]
            if current:
                language, text = line["language"], line["text"]
                how = w[f"how_{line['translation']}"] if line["translation"] else w["how_original"]
                stale = w["yes"] if line["stale"] else w["no"]
            else:
                language, text, how, stale = line["original"]["language"], v["text"], w["how_original"], ""
            row = [
                str(line["id"]), str(v["version"]), v["at"], w["yes"] if current else w["no"], language, text, how,
                stale, line["original"]["language"], v["text"], author, line["circle_name"] or "",
                line["withdrawn"] or "",
            ]  # fmt: skip
            writer.writerow([_cell(c) for c in row])
    return out.getvalue()
