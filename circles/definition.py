"""A solidarity network's definition (YAML or JSON): its circles and the twin pairs between them.

```yaml
name: Dockers and drivers, May Day 2027
circles:
  - {id: lagos-dockers, name: Lagos dockers, place: Lagos, languages: [en, yo],
     tz: Africa/Lagos, adversary: Maersk}
  - {id: rotterdam-drivers, name: Rotterdam drivers, place: Rotterdam, languages: [nl, en],
     tz: Europe/Amsterdam, adversary: APM Terminals}
pairs:
  - circles: [lagos-dockers, rotterdam-drivers]
    adversary: Maersk
    link: the boxes we unload are trucked from their terminal
    settle_days: 30                 # a pledge older than this, undelivered, is overdue
    pledge: "0.10"                  # each side's share of what it wins (default 10 %)
```

Decoded by msgspec (unknown fields refused, types named with their path), then the rules msgspec
cannot say: unique ids, known zones, pairs of two different known circles, each pair once.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

import msgspec
import pytz

from circles.chart import CIRCLE_ID, MAX_CIRCLE_ID
from circles.entries import check_shares
from mayday.definitions import LANGUAGE, SpecError, load_text

MAX_CIRCLES = 500
MAX_PAIRS = 2000
MAX_NAME = 200
MAX_LINE = 300  # the supply-chain link, in one line
DEFAULT_SETTLE_DAYS = 30
DEFAULT_SHARE = Decimal("0.10")
MAX_SETTLE_DAYS = 366

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME)]
Line = Annotated[str, msgspec.Meta(max_length=MAX_LINE)]
CircleId = Annotated[str, msgspec.Meta(pattern=CIRCLE_ID.pattern, max_length=MAX_CIRCLE_ID)]
Language = Annotated[str, msgspec.Meta(pattern=LANGUAGE.pattern)]
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class CircleDef(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: CircleId
    name: Name
    tz: str = "UTC"
    place: Line = ""
    languages: tuple[Language, ...] = ("en",)
    adversary: Line = ""


class PairDef(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    circles: tuple[CircleId, CircleId]
    adversary: Line = ""
    link: Line = ""
    settle_days: Annotated[int, msgspec.Meta(ge=1, le=MAX_SETTLE_DAYS)] = DEFAULT_SETTLE_DAYS
    pledge: Decimal = DEFAULT_SHARE  # each side's share of each kind of resource it wins

    @property
    def id(self) -> str:
        return pair_id(*self.circles)


class NetworkDef(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Name
    circles: Annotated[tuple[CircleDef, ...], msgspec.Meta(max_length=MAX_CIRCLES)] = ()
    pairs: Annotated[tuple[PairDef, ...], msgspec.Meta(max_length=MAX_PAIRS)] = ()

    def circle(self, circle_id: str) -> CircleDef | None:
        return next((c for c in self.circles if c.id == circle_id), None)


def pair_id(a: str, b: str) -> str:
    """A pair's id: its two circle ids in order, joined by "~" (never in a circle id)."""
    return "~".join(sorted((a, b)))


def check_circle(c: CircleDef, where: str) -> None:
    if c.tz not in pytz.all_timezones_set:
        raise SpecError(f"{where} ({c.id}): unknown time zone {c.tz!r}")
    if not c.languages:
        raise SpecError(f"{where} ({c.id}): a circle speaks at least one language")
    for text in (c.name, c.place, c.adversary):
        if _CONTROL.search(text):
            raise SpecError(f"{where} ({c.id}): no line breaks or other control characters in names")


def check_pair(p: PairDef, known: set[str], where: str) -> None:
    a, b = p.circles
    if a == b:
        raise SpecError(f"{where}: a circle cannot be its own twin ({a})")
    for c in (a, b):
        if c not in known:
            raise SpecError(f"{where}: no circle {c!r} in this network")
    if _CONTROL.search(p.adversary) or _CONTROL.search(p.link):
        raise SpecError(f"{where}: no line breaks or other control characters")
    try:
        check_shares({"pledge": p.pledge})
    except Exception as e:
        raise SpecError(f"{where}: {getattr(e, 'message', e)}") from None


def parse_network(raw: object) -> NetworkDef:
    try:
        network = msgspec.convert(raw, NetworkDef, strict=False)
    except msgspec.ValidationError as e:
        raise SpecError(str(e)) from None
    if _CONTROL.search(network.name):
        raise SpecError("name: no line breaks or other control characters")
    seen: set[str] = set()
    for i, c in enumerate(network.circles):
        where = f"circles[{i}]"
        if c.id in seen:
            raise SpecError(f"{where}: the id {c.id!r} is used twice")
        check_circle(c, where)
        seen.add(c.id)
    pairs: set[str] = set()
    for i, p in enumerate(network.pairs):
        where = f"pairs[{i}]"
        check_pair(p, seen, where)
        if p.id in pairs:
            raise SpecError(f"{where}: {p.circles[0]} and {p.circles[1]} are already twins")
        pairs.add(p.id)
    return network


def load_network(text: str) -> NetworkDef:
    """Parse YAML or JSON text; SpecError names what is wrong."""
    return parse_network(load_text(text))


def network_to_json(n: NetworkDef) -> dict[str, object]:
    return msgspec.to_builtins(n)
