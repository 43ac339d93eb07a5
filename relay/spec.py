"""Relay definitions (YAML or JSON) parsed into frozen, validated values.

Every error names its culprit (``sites[3] (lag): unknown time zone 'Africa/Lagoss'``) so a
coordinator can fix the file without reading a traceback.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import pytz

from mayday.definitions import SpecError, load_text, parse_duration, seconds

MAX_SITES = 5000
MAX_DAYS = 31
# Legs in one relay (sites x days): bounds what one definition costs to plan (~0.4 s at the limit,
# bench/plan_bench.py), on every process that replays it.
MAX_LEGS = 10_000
MAX_NAME = 200
SITE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
DEFAULT_GRACE = dt.timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class LegRule:
    """When a site strikes: from local ``start`` on ``date`` (and the ``days`` - 1 dates after it)
    for an elapsed ``duration``, or until the local wall-clock ``end`` (next day when <= start)."""

    date: dt.date
    start: dt.time
    duration: dt.timedelta | None = None
    end: dt.time | None = None
    days: int = 1
    fold: int = 0


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    name: str
    tz: str
    legs: LegRule
    backup: str | None = None


@dataclass(frozen=True)  # no slots: cached_property needs the instance __dict__
class RelaySpec:
    name: str
    sites: tuple[Site, ...]
    checkin_grace: dt.timedelta = DEFAULT_GRACE
    board: str = "public"  # "public": anyone with the URL reads the board; "private": viewer link

    @cached_property
    def _by_id(self) -> dict[str, Site]:
        return {s.id: s for s in self.sites}

    def site(self, site_id: str) -> Site | None:
        return self._by_id.get(site_id)


def _clock(value: Any, where: str) -> dt.time:
    if isinstance(value, dt.time):
        return value
    m = CLOCK.match(str(value).strip()) if isinstance(value, str) else None
    if not m:
        raise SpecError(f'{where}: expected a local time like "06:00", got {value!r}')
    return dt.time(int(m[1]), int(m[2]), int(m[3] or 0))


# pytz's tz database holds transitions up to 2037 only: after that every zone keeps its last
# standard offset (New York on 2038-07-01 would plan as UTC-5, an hour off). Planning silently
# wrong is worse than refusing, so legs must fall within these dates.
FIRST_DATE = dt.date(1970, 1, 1)
LAST_DATE = dt.date(2037, 12, 31)


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise SpecError(f"{where}: expected a date like 2027-05-01, got a date and time")
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            raise SpecError(f"{where}: expected a date like 2027-05-01, got {value!r}") from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise SpecError(
            f"{where}: {day.isoformat()} is outside {FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()}, the years "
            "the bundled tz database can plan exactly (it has no daylight-saving rules after 2037)"
        )
    return day


def _name(value: Any, where: str) -> str:
    """A name shown on boards and in calendars: 1-200 characters, no control characters (a CR or
    LF would split a calendar line or a log line)."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        raise SpecError(f"{where}: expected a non-empty text of at most {MAX_NAME} characters")
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise SpecError(f"{where}: no line breaks or other control characters in a name")
    return value.strip()


LEG_KEYS = {"date", "start", "duration", "end", "days", "fold"}


def _leg_rule(raw: Any, base: LegRule | None, where: str) -> LegRule:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: expected a mapping with date, start and duration or end")
    unknown = set(raw) - LEG_KEYS
    if unknown:
        raise SpecError(f"{where}: unknown key {sorted(unknown)[0]!r} (allowed: {sorted(LEG_KEYS)})")
    if "duration" in raw and "end" in raw:
        raise SpecError(f"{where}: give either duration or end, not both")
    fields: dict[str, Any] = {}
    if "date" in raw:
        fields["date"] = _date(raw["date"], f"{where}.date")
    if "start" in raw:
        fields["start"] = _clock(raw["start"], f"{where}.start")
    if "duration" in raw:
        # Whole seconds: planned instants are to the second (a 0.9 s leg came out zero-length).
        fields["duration"], fields["end"] = parse_duration(raw["duration"], f"{where}.duration", whole=True), None
    if "end" in raw:
        fields["end"], fields["duration"] = _clock(raw["end"], f"{where}.end"), None
    if "days" in raw:
        days = raw["days"]
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
            raise SpecError(f"{where}.days: expected a whole number from 1 to {MAX_DAYS}")
        fields["days"] = days
    if "fold" in raw:
        if raw["fold"] not in (0, 1) or isinstance(raw["fold"], bool):
            raise SpecError(f"{where}.fold: expected 0 (first occurrence) or 1 (second)")
        fields["fold"] = raw["fold"]
    if base is not None:
        return replace(base, **fields)
    missing = [k for k in ("date", "start") if k not in fields]
    if missing:
        raise SpecError(f"{where}: missing {missing[0]!r}")
    if fields.get("duration") is None and fields.get("end") is None:
        raise SpecError(f"{where}: give a duration (e.g. 24h) or a local end time")
    return LegRule(**fields)


SITE_KEYS = {"id", "name", "tz", "backup", "legs", "fold"}
TOP_KEYS = {"name", "legs", "sites", "checkin_grace", "board"}


def parse_spec(raw: Any) -> RelaySpec:
    """Validate a parsed definition; raise SpecError naming the first culprit."""
    if not isinstance(raw, dict):
        raise SpecError("a relay definition must be a mapping with name, legs and sites")
    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise SpecError(f"unknown key {sorted(unknown)[0]!r} (allowed: {sorted(TOP_KEYS)})")
    name = raw.get("name")
    name = _name(name, "name")
    default = _leg_rule(raw.get("legs"), None, "legs") if "legs" in raw else None
    grace = DEFAULT_GRACE
    if raw.get("checkin_grace") is not None:
        grace = parse_duration(raw["checkin_grace"], "checkin_grace")
        if grace <= dt.timedelta(0):
            raise SpecError("checkin_grace: must be positive")
    board = raw.get("board", "public")
    if board not in ("public", "private"):
        raise SpecError("board: expected 'public' or 'private'")
    sites_raw = raw.get("sites")
    if not isinstance(sites_raw, list) or not sites_raw:
        raise SpecError("sites: expected a non-empty list of sites")
    if len(sites_raw) > MAX_SITES:
        raise SpecError(f"sites: at most {MAX_SITES} sites in one relay")
    sites: list[Site] = []
    seen: set[str] = set()
    for i, s in enumerate(sites_raw):
        where = f"sites[{i}]"
        if not isinstance(s, dict):
            raise SpecError(f"{where}: expected a mapping with id, name and tz")
        sid = s.get("id")
        if not isinstance(sid, str) or not SITE_ID.match(sid):
            raise SpecError(f"{where}: id must be 1-32 letters, digits, '-' or '_', got {sid!r}")
        where = f"sites[{i}] ({sid})"
        unknown = set(s) - SITE_KEYS
        if unknown:
            raise SpecError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        if sid in seen:
            raise SpecError(f"{where}: duplicate site id {sid!r}")
        seen.add(sid)
        tz = s.get("tz")
        if not isinstance(tz, str) or tz not in pytz.all_timezones_set:
            raise SpecError(f"{where}: unknown time zone {tz!r}")
        site_name = s.get("name", sid)
        site_name = _name(site_name, f"{where}.name")
        if "legs" not in s and default is None:
            raise SpecError(f"{where}: no legs rule here and no default 'legs' at the top")
        legs_raw = s.get("legs")
        if legs_raw is None:
            legs_raw = {}
        if not isinstance(legs_raw, dict):
            raise SpecError(f"{where}.legs: expected a mapping with date, start and duration or end")
        legs_raw = dict(legs_raw)
        if "fold" in s:
            legs_raw.setdefault("fold", s["fold"])
        rule = _leg_rule(legs_raw, default, f"{where}.legs")
        if rule.date + dt.timedelta(days=rule.days - 1) > LAST_DATE:
            raise SpecError(f"{where}.legs: its last day is after {LAST_DATE.isoformat()} (no tz rules past 2037)")
        if rule.duration is not None and rule.duration <= dt.timedelta(0):
            raise SpecError(f"{where}.legs: the leg ends before it starts (duration must be positive)")
        backup = s.get("backup")
        if backup is not None and not isinstance(backup, str):
            raise SpecError(f"{where}: backup must be a site id")
        sites.append(Site(id=sid, name=site_name.strip(), tz=tz, legs=rule, backup=backup))
    legs = sum(site.legs.days for site in sites)
    if legs > MAX_LEGS:
        raise SpecError(f"sites: at most {MAX_LEGS} legs in one relay (sites x days), this one has {legs}")
    for i, site in enumerate(sites):
        if site.backup is not None:
            if site.backup not in seen:
                raise SpecError(f"sites[{i}] ({site.id}): unknown backup {site.backup!r}")
            if site.backup == site.id:
                raise SpecError(f"sites[{i}] ({site.id}): a site cannot be its own backup")
    return RelaySpec(name=name.strip(), sites=tuple(sites), checkin_grace=grace, board=board)


def load_spec(text: str) -> RelaySpec:
    return parse_spec(load_text(text))


def spec_to_json(spec: RelaySpec) -> dict[str, Any]:
    """A canonical JSON form that ``parse_spec`` reads back to an equal spec (stored in the log)."""

    def rule(r: LegRule) -> dict[str, Any]:
        out: dict[str, Any] = {
            "date": r.date.isoformat(),
            "start": r.start.isoformat(),
            "days": r.days,
            "fold": r.fold,
        }
        if r.duration is not None:
            out["duration"] = seconds(r.duration)
        else:
            assert r.end is not None
            out["end"] = r.end.isoformat()
        return out

    return {
        "name": spec.name,
        "checkin_grace": seconds(spec.checkin_grace),
        "board": spec.board,
        "sites": [
            {"id": s.id, "name": s.name, "tz": s.tz, "legs": rule(s.legs)} | ({"backup": s.backup} if s.backup else {})
            for s in spec.sites
        ],
    }
