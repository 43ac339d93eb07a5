"""The tactic registry as open data (pure: state in, text out; text in, a command out): CSV and
JSON exports of tactics, their translations and adoptions, and the import of the same CSV
(docs/diffusion.md "The tracker", with an example).

One CSV, UTF-8, a header row and one row per record, the kind of record in the ``record`` column:

* ``tactic``: ``tactic`` (its id), ``language``, ``name``, ``description``, ``origin_circle``,
  ``origin_country``, ``origin_date``;
* ``translation``: ``tactic``, ``language``, ``name``, ``description``, ``how``;
* ``adoption``: ``tactic``, ``adopter``, ``country``, ``date``, ``outcome``, ``learned_from``.

A row leaves the other columns empty. The export writes the columns of ``COLUMNS`` in that order,
each tactic's row followed by its translations (by language) and its adoptions (by date, then
circle), tactics in the order they were registered. The origin circle's first use is not an
adoption row: registering the tactic records it (so exporting, importing into an empty network
and exporting again gives the same bytes). A cell that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return (after any ``'``) gets a leading ``'`` so that no spreadsheet runs it as
a formula; the import takes that ``'`` off again.

The import reads columns by name in any order (unknown or repeated columns are refused), checks
every row (``400 bad_import``, naming the row as a spreadsheet numbers it: the header is row 1)
and returns one ``ImportTactics``: the core appends it whole or refuses it whole.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import msgspec

from circles import commands as C
from circles.state import NetworkState, Tactic
from mayday.clock import iso
from mayday.errors import ApiError, bad_request

COLUMNS = (
    "record",
    "tactic",
    "language",
    "name",
    "description",
    "how",
    "origin_circle",
    "origin_country",
    "origin_date",
    "adopter",
    "country",
    "date",
    "outcome",
    "learned_from",
)
# The columns each kind of record fills (the others stay empty), and those it must fill.
FIELDS = {
    "tactic": ("tactic", "language", "name", "description", "origin_circle", "origin_country", "origin_date"),
    "translation": ("tactic", "language", "name", "description", "how"),
    "adoption": ("tactic", "adopter", "country", "date", "outcome", "learned_from"),
}
REQUIRED = {
    "tactic": ("tactic", "language", "name", "origin_country", "origin_date"),
    "translation": ("tactic", "language", "name"),
    "adoption": ("tactic", "adopter", "country", "date"),
}
MAX_IMPORT_BYTES = 2 * 1024 * 1024  # 2 MiB: some 20,000 rows of adoptions
MAX_IMPORT_ROWS = 20_000  # rows after the header
FORMULA = ("=", "+", "-", "@", "\t", "\r")
MEDIA_CSV = "text/csv; charset=utf-8"


# --------------------------------------------------------------------------------------------
# Export


def _cell(text: str) -> str:
    """A cell no spreadsheet runs as a formula: a leading ``'`` before one that would be."""
    return "'" + text if text.lstrip("'").startswith(FORMULA) else text


def _uncell(text: str) -> str:
    """The export's ``_cell`` undone (exactly: a text that began with quotes keeps them)."""
    return text[1:] if text.startswith("'") and text[1:].lstrip("'").startswith(FORMULA) else text


def _rows(t: Tactic) -> list[dict[str, str]]:
    rows = [
        {
            "record": "tactic",
            "tactic": t.id,
            "language": t.language,
            "name": t.name,
            "description": t.description,
            "origin_circle": t.origin_circle,
            "origin_country": t.origin_country,
            "origin_date": t.origin_date.isoformat(),
        }
    ]
    for language, (name, description, how) in sorted(t.translations.items()):
        rows.append(
            {
                "record": "translation",
                "tactic": t.id,
                "language": language,
                "name": name,
                "description": description,
                "how": how,
            }
        )
    for a in sorted(t.adoptions.values(), key=lambda a: (a.date, a.circle)):
        if a.circle == t.origin_circle:
            continue  # the origin's first use: registering the tactic records it
        rows.append(
            {
                "record": "adoption",
                "tactic": t.id,
                "adopter": a.circle,
                "country": a.country,
                "date": a.date.isoformat(),
                "outcome": a.outcome,
                "learned_from": a.learned_from,
            }
        )
    return rows


def to_csv(state: NetworkState) -> str:
    """Every tactic, translation and adoption (but the origins' first use) as CSV."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for t in state.tactics.values():
        for row in _rows(t):
            writer.writerow([_cell(row.get(c, "")) for c in COLUMNS])
    return out.getvalue()


def to_json(state: NetworkState, now: dt.datetime) -> dict[str, Any]:
    """The same as the CSV, nested per tactic, every adoption included (the origin's marked), with
    who recorded what and when."""
    return {
        "network": state.network_id,
        "name": state.name,
        "exported_at": iso(now),
        "tactics": [
            {
                "id": t.id,
                "language": t.language,
                "name": t.name,
                "description": t.description,
                "origin_circle": t.origin_circle,
                "origin_country": t.origin_country,
                "origin_date": t.origin_date.isoformat(),
                "registered_by": t.by,
                "registered_at": t.at,
                "translations": [
                    {"language": code, "name": n, "description": d, "how": how}
                    for code, (n, d, how) in sorted(t.translations.items())
                ],
                "adoptions": [
                    {
                        "adopter": a.circle,
                        "country": a.country,
                        "date": a.date.isoformat(),
                        "outcome": a.outcome,
                        "learned_from": a.learned_from,
                        "origin": a.circle == t.origin_circle,
                        "recorded_by": a.by,
                        "recorded_at": a.at,
                    }
                    for a in sorted(t.adoptions.values(), key=lambda a: (a.date, a.circle))
                ],
            }
            for t in state.tactics.values()
        ],
    }


# --------------------------------------------------------------------------------------------
# Import


def _bad(message: str) -> ApiError:
    return bad_request("bad_import", message)


def _header(cells: list[str]) -> list[str]:
    names = [c.strip() for c in cells]
    for i, name in enumerate(names):
        if name not in COLUMNS:
            raise _bad(f"row 1: unknown column {name!r} (the columns are {', '.join(COLUMNS)})")
        if name in names[:i]:
            raise _bad(f"row 1: the column {name!r} comes twice")
    for name in ("record", "tactic"):
        if name not in names:
            raise _bad(f"row 1: the header has no {name!r} column")
    return names


def _command(kind: str, cells: dict[str, str], row: int, circle: str) -> Any:
    """The row's command, its fields checked by msgspec as a client's command would be."""
    data: dict[str, Any] = {}
    for name in FIELDS[kind]:
        value = cells.get(name, "")
        if value:
            data["id" if (kind, name) == ("tactic", "tactic") else name] = value
    cls = {"tactic": C.RegisterTactic, "translation": C.TranslateTactic, "adoption": C.RecordAdoption}[kind]
    try:
        command = msgspec.convert(data, cls)
    except msgspec.ValidationError as e:
        text = str(e)
        if " - at `$." in text:
            what, field = text.rsplit(" - at `$.", 1)
            field = field.rstrip("`")
            text = f"{'tactic' if field == 'id' else field}: {what}"
        raise _bad(f"row {row} ({kind}): {text}") from None
    return msgspec.structs.replace(command, circle=circle)


def parse_csv(data: bytes, circle: str = "") -> C.ImportTactics:
    """The file's rows as one ``ImportTactics``, each row's ``circle`` the importing link's circle
    (empty for the coordinator: the core's ``not_yours`` rules then apply to a circle's import).
    ``400 bad_import`` names the first bad row; ``413 too_large`` past ``MAX_IMPORT_BYTES`` or
    ``MAX_IMPORT_ROWS``."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ApiError("too_large", f"an import is at most {MAX_IMPORT_BYTES} bytes", 413)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _bad(f"the file is not UTF-8 text (byte {e.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []  # (row as a spreadsheet numbers it, cells)
    row = 0
    try:
        for cells in reader:
            row += 1
            if not any(c.strip() for c in cells):
                continue  # a blank line
            records.append((row, cells))
            if len(records) > MAX_IMPORT_ROWS + 1:  # counted first: a file too long is refused whole
                raise ApiError("too_large", f"an import is at most {MAX_IMPORT_ROWS} rows after the header", 413)
    except csv.Error as e:
        raise _bad(f"row {row + 1}: not readable as CSV ({e})") from None
    if not records:
        raise _bad("the file is empty: it needs a header row and at least one record")
    names = _header(records[0][1])
    tactics: list[C.RegisterTactic] = []
    translations: list[C.TranslateTactic] = []
    adoptions: list[C.RecordAdoption] = []
    seen: dict[tuple[str, ...], int] = {}  # a record's key -> its row, for repeats
    for row, cells in records[1:]:
        if len(cells) != len(names):
            raise _bad(f"row {row}: {len(cells)} cells, but the header names {len(names)} columns")
        values = {n: _uncell(c) for n, c in zip(names, cells, strict=True)}
        kind = values["record"].strip()
        if kind not in FIELDS:
            raise _bad(f"row {row}: the record must be tactic, translation or adoption, not {kind!r}")
        for n, v in values.items():
            if n != "record" and n not in FIELDS[kind] and v.strip():
                raise _bad(f"row {row} ({kind}): a {kind} row leaves {n} empty")
            if n in FIELDS[kind] and n not in ("name", "description"):
                values[n] = v.strip()
        for n in REQUIRED[kind]:
            if not values.get(n, "").strip():
                raise _bad(f"row {row} ({kind}): {n} is empty")
        command = _command(kind, values, row, circle)
        key = {
            "tactic": (kind, values["tactic"]),
            "translation": (kind, values["tactic"], values["language"]),
            "adoption": (kind, values["tactic"], values["adopter"]),
        }[kind]
        if key in seen:
            raise _bad(f"row {row} ({kind}): the same {kind} as row {seen[key]}")
        seen[key] = row
        {"tactic": tactics, "translation": translations, "adoption": adoptions}[kind].append(command)
    if not (tactics or translations or adoptions):
        raise _bad("the file has a header but no record")
    return C.ImportTactics(tuple(tactics), tuple(adoptions), tuple(translations))
