"""Assembly definitions (YAML or JSON): title, languages, speaking times, queue rules, people.

```yaml
title: Global workers' assembly, 1 May 2027
languages: [en, es, fr, pt, sw, ar, tl]
speaking_time: {speech: 3m, reply: 1m, point_of_order: 1m}   # or one duration for all
queue: {first_time_first: true, region_rotation: true, region_budget: 20m}
quorum: 0.5                       # default for ballots: share of the weight present taking part
viewers: public                   # or "link": watching needs the viewer link
secret_k: 5                       # a secret ballot needs every weight shared by >= k delegates
timezone: Africa/Lagos            # IANA zone the minutes' times are given in (default UTC)
chairs: [{id: ama, name: Ama, language: en}]
delegates:
  - {id: ngozi, name: Ngozi, site: lag, region: africa, weight: 2, language: en}
  - {group: manila, count: 10, site: mnl, region: asia, language: tl}   # manila-1 .. manila-10
interpreters: [{id: lucia, name: Lucía, booth: es, understands: [en, pt]}]
```
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

import pytz

from mayday.definitions import LANGUAGE, SpecError, load_text, parse_duration, seconds

PERSON_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$")
KINDS = ("speech", "reply", "point_of_order")
MAX_PEOPLE = 5000
MAX_TEXT = 200  # titles and names
MAX_PLACE = 64  # a site or region
MAX_UNDERSTANDS = 50  # languages an interpreter understands
# Secret ballots publish per-choice weight totals: a weight held by fewer than k delegates can
# decode their choices from them (assembly/core.py, weight_classes_at_risk).
SECRET_K = 5
DEFAULT_TIMES = {"speech": dt.timedelta(minutes=3), "reply": dt.timedelta(minutes=1),
                 "point_of_order": dt.timedelta(minutes=1)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    role: str  # chair | delegate | interpreter
    name: str
    language: str
    site: str | None = None
    region: str | None = None
    weight: Decimal = Decimal(1)
    booth: str | None = None  # interpreters: the language they interpret into
    understands: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QueueRules:
    first_time_first: bool = True
    region_rotation: bool = False
    region_budget: dt.timedelta | None = None  # total speaking time per region for the session


@dataclass(frozen=True)
class AssemblyDef:
    title: str
    languages: tuple[str, ...]
    speaking_time: dict[str, dt.timedelta] = field(default_factory=lambda: dict(DEFAULT_TIMES))
    queue: QueueRules = QueueRules()
    quorum: Decimal = Decimal("0.5")
    viewers: str = "public"
    people: tuple[Person, ...] = ()
    secret_k: int = SECRET_K
    timezone: str = "UTC"  # IANA zone: the minutes give times to the minute in it

    @cached_property
    def by_id(self) -> dict[str, Person]:
        return {p.id: p for p in self.people}

    def person(self, pid: str) -> Person | None:
        return self.by_id.get(pid)


def _text(raw: Any, where: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > limit:
        raise SpecError(f"{where}: expected a non-empty text of at most {limit} characters")
    return raw.strip()


def _short(raw: Any) -> str:
    """``raw`` for an error message, cut to a readable length (a refusal never echoes 10 KB)."""
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."


def _language(raw: Any, where: str, languages: tuple[str, ...] | None) -> str:
    if not isinstance(raw, str) or not LANGUAGE.match(raw):
        raise SpecError(f"{where}: expected a language code like 'en' or 'pt-BR', got {_short(raw)}")
    if languages is not None and raw not in languages:
        raise SpecError(f"{where}: language {raw!r} is not one of the assembly's languages {list(languages)}")
    return raw


# The limits of a person's fields, shared with the commands that add people (assembly/protocol.py):
# whatever a definition refuses, add_person refuses too.


def parse_name(raw: Any, where: str) -> str:
    return _text(raw, where)


def parse_language(raw: Any, where: str) -> str:
    """A well-formed language code (whether the assembly has it is the core's question)."""
    return _language(raw, where, None)


def parse_place(raw: Any, where: str) -> str | None:
    """A site or region: absent, or a non-blank text of at most MAX_PLACE characters."""
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_PLACE:
        raise SpecError(f"{where}: expected a short text (1-{MAX_PLACE} characters)")
    return raw


def parse_understands(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_UNDERSTANDS:
        raise SpecError(f"{where}: expected a list of at most {MAX_UNDERSTANDS} language codes")
    return tuple(_language(u, where, None) for u in raw)


def parse_person_id(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not PERSON_ID.match(raw):
        raise SpecError(f"{where}: id must be 1-48 letters, digits, '.', '-' or '_', got {_short(raw)}")
    return raw


def parse_quorum(raw: Any, where: str = "quorum") -> Decimal:
    """A share between 0 and 1 (a number or a numeric string)."""
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        value = Decimal(-1)
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal) or not value.is_finite():
        value = Decimal(-1)
    if not 0 <= value <= 1:
        raise SpecError(f"{where}: expected a share between 0 and 1, got {_short(raw)}")
    return value


def parse_weight(raw: Any, where: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise SpecError(f"{where}: expected a positive number")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise SpecError(f"{where}: expected a positive number, got {raw!r}") from None
    if not value.is_finite() or value <= 0 or value > 10_000:
        raise SpecError(f"{where}: expected a positive number up to 10000, got {raw!r}")
    if value != value.quantize(Decimal("0.001")):
        # Tallies are kept in thousandths of a vote, exactly (secret ballots add integers).
        raise SpecError(f"{where}: at most three decimals, got {raw!r}")
    return value


def _keys(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(raw) - allowed
    if unknown:
        raise SpecError(f"{where}: unknown key {sorted(unknown)[0]!r} (allowed: {sorted(allowed)})")


PERSON_KEYS = {"id", "name", "language", "site", "region", "weight", "booth", "understands", "group", "count"}


def _people(raw: Any, role: str, languages: tuple[str, ...]) -> list[Person]:
    key = role + "s"
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise SpecError(f"{key}: expected a list")
    out: list[Person] = []
    for i, item in enumerate(raw):
        where = f"{key}[{i}]"
        if not isinstance(item, dict):
            raise SpecError(f"{where}: expected a mapping")
        _keys(item, PERSON_KEYS, where)
        if "group" in item:
            if role != "delegate":
                raise SpecError(f"{where}: groups are for delegates")
            count = item.get("count")
            if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_PEOPLE:
                raise SpecError(f"{where}: a group needs a count from 1 to {MAX_PEOPLE}")
            prefix = item["group"]
            if not isinstance(prefix, str) or not PERSON_ID.match(prefix):
                raise SpecError(f"{where}: group must be an id-like prefix, got {prefix!r}")
            name = item.get("name", prefix)
            ids = [(f"{prefix}-{n}", f"{_text(name, where + '.name')} {n}") for n in range(1, count + 1)]
        else:
            pid = parse_person_id(item.get("id"), where)
            where = f"{key}[{i}] ({pid})"
            ids = [(pid, _text(item.get("name", pid), where + ".name"))]
        language = _language(item.get("language", languages[0]), where + ".language", languages)
        booth, understands = None, ()
        if role == "interpreter":
            booth = _language(item.get("booth"), where + ".booth", languages)
            understands = parse_understands(item.get("understands", []), where + ".understands")
        weight = parse_weight(item.get("weight", 1), where + ".weight") if role == "delegate" else Decimal(0)
        site = parse_place(item.get("site"), where + ".site")
        region = parse_place(item.get("region"), where + ".region")
        for pid, name in ids:
            out.append(Person(pid, role, name, language, site, region or site, weight, booth, understands))
    return out


TOP_KEYS = {
    "title",
    "languages",
    "speaking_time",
    "queue",
    "quorum",
    "viewers",
    "chairs",
    "delegates",
    "interpreters",
    "secret_k",
    "timezone",
}
QUEUE_KEYS = {"first_time_first", "region_rotation", "region_budget"}


def parse_assembly(raw: Any) -> AssemblyDef:
    if not isinstance(raw, dict):
        raise SpecError("an assembly definition must be a mapping with title, languages and people")
    _keys(raw, TOP_KEYS, "assembly")
    title = _text(raw.get("title"), "title")
    langs_raw = raw.get("languages")
    if not isinstance(langs_raw, list) or not langs_raw:
        raise SpecError("languages: expected a non-empty list of language codes, e.g. [en, es, fr]")
    languages = tuple(_language(lang, f"languages[{i}]", None) for i, lang in enumerate(langs_raw))
    if len(set(languages)) != len(languages):
        raise SpecError("languages: a language is listed twice")
    times = dict(DEFAULT_TIMES)
    st = raw.get("speaking_time")
    if isinstance(st, dict):
        _keys(st, set(KINDS), "speaking_time")
        times |= {k: parse_duration(v, f"speaking_time.{k}") for k, v in st.items()}
    elif st is not None:
        times = dict.fromkeys(KINDS, parse_duration(st, "speaking_time"))  # one duration for all kinds
    for k, v in times.items():
        if not dt.timedelta(seconds=10) <= v <= dt.timedelta(hours=2):
            raise SpecError(f"speaking_time.{k}: expected between 10s and 2h")
    q = raw.get("queue") or {}
    if not isinstance(q, dict):
        raise SpecError("queue: expected a mapping")
    _keys(q, QUEUE_KEYS, "queue")
    for k in ("first_time_first", "region_rotation"):
        if k in q and not isinstance(q[k], bool):
            raise SpecError(f"queue.{k}: expected true or false")
    budget = parse_duration(q["region_budget"], "queue.region_budget") if q.get("region_budget") else None
    rules = QueueRules(q.get("first_time_first", True), q.get("region_rotation", False), budget)
    quorum_d = parse_quorum(raw.get("quorum", "0.5"))
    secret_k = raw.get("secret_k", SECRET_K)
    if not isinstance(secret_k, int) or isinstance(secret_k, bool) or not 1 <= secret_k <= MAX_PEOPLE:
        raise SpecError(f"secret_k: expected a whole number of delegates from 1 to {MAX_PEOPLE}")
    timezone = raw.get("timezone", "UTC")
    if not isinstance(timezone, str) or timezone not in pytz.all_timezones_set:
        raise SpecError(f"timezone: unknown time zone {_short(timezone)} (an IANA name like 'America/La_Paz')")
    viewers = raw.get("viewers", "public")
    if viewers not in ("public", "link"):
        raise SpecError("viewers: expected 'public' or 'link'")
    people = [
        *_people(raw.get("chairs"), "chair", languages),
        *_people(raw.get("delegates"), "delegate", languages),
        *_people(raw.get("interpreters"), "interpreter", languages),
    ]
    if len(people) > MAX_PEOPLE:
        raise SpecError(f"at most {MAX_PEOPLE} people in one assembly")
    seen: set[str] = set()
    for p in people:
        if p.id in seen:
            raise SpecError(f"{p.role}s: duplicate id {p.id!r}")
        seen.add(p.id)
    return AssemblyDef(title, languages, times, rules, quorum_d, viewers, tuple(people), secret_k, timezone)


def load_assembly(text: str) -> AssemblyDef:
    return parse_assembly(load_text(text))


def person_to_json(p: Person) -> dict[str, Any]:
    out: dict[str, Any] = {"id": p.id, "name": p.name, "language": p.language}
    if p.site:
        out["site"] = p.site
    if p.region:
        out["region"] = p.region
    if p.role == "delegate":
        out["weight"] = str(p.weight)
    if p.booth:
        out["booth"] = p.booth
        out["understands"] = list(p.understands)
    return out


def assembly_to_json(a: AssemblyDef) -> dict[str, Any]:
    """Canonical JSON that ``parse_assembly`` reads back to an equal definition (kept in the log)."""
    return {
        "title": a.title,
        "languages": list(a.languages),
        "speaking_time": {k: seconds(v) for k, v in a.speaking_time.items()},
        "queue": {
            "first_time_first": a.queue.first_time_first,
            "region_rotation": a.queue.region_rotation,
            **({"region_budget": seconds(a.queue.region_budget)} if a.queue.region_budget else {}),
        },
        "quorum": str(a.quorum),
        "viewers": a.viewers,
        "secret_k": a.secret_k,
        "timezone": a.timezone,
        **{
            role + "s": [person_to_json(p) for p in a.people if p.role == role]
            for role in ("chair", "delegate", "interpreter")
        },
    }
