"""The tactic registry (pure handlers, in circles/decide.py's table): tactics with their
translations, each circle's adoption of one (and whom it learned it from), and the indicators the
movement counts (exchange residencies, bosses' complaints of "outside agitation").

Every adoption, one or an imported batch, is checked with circles/diffusion.py's ``check`` on the
tactic's existing adoptions plus the new ones before anything is appended: a date in the future,
before the tactic's origin, an unknown circle or teacher, a second adoption by one circle, a
learning cycle are refused and nothing is written. The origin circle's first use is the tactic's
first adoption (so others can learn from it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from circles import commands as C
from circles import events as E
from circles.diffusion import Adoption, check
from circles.rules import MAX_LATE_DAYS, err, known_circle
from circles.state import BOOKS_OPEN, NetworkState, Tactic
from mayday.clock import iso

MAX_TACTICS = 1000
MAX_ADOPTIONS = 10_000  # per tactic
MAX_INDICATORS = 10_000


def _by(c: C.Wire) -> str:
    return c.circle or C.COORDINATOR


def _today(now: dt.datetime) -> dt.date:
    # A date may be tomorrow in UTC (it is today somewhere), never later: as for the ledger.
    return now.date() + dt.timedelta(days=MAX_LATE_DAYS)


def _day(day: dt.date | None, now: dt.datetime, what: str) -> dt.date:
    if day is None:
        return now.date()
    if day > _today(now):
        raise err("future_date", f"the {what} {day.isoformat()} is in the future")
    if day < BOOKS_OPEN:
        raise err("bad_date", f"the {what} is before {BOOKS_OPEN.isoformat()}")
    return day


def _tactic(state: NetworkState, tactic_id: str) -> Tactic:
    t = state.tactics.get(tactic_id)
    if t is None:
        raise err("unknown_tactic", f"no tactic {tactic_id!r} in this network")
    return t


def register_tactic(state: NetworkState, c: C.RegisterTactic, now: dt.datetime) -> list[E.Event]:
    return register_many(state, [c], [], now)


def record_adoption(state: NetworkState, c: C.RecordAdoption, now: dt.datetime) -> list[E.Event]:
    return register_many(state, [], [c], now)


def register_many(
    state: NetworkState,
    tactics: Iterable[C.RegisterTactic],
    adoptions: Iterable[C.RecordAdoption],
    now: dt.datetime,
    translations: Iterable[C.TranslateTactic] = (),
) -> list[E.Event]:
    """Tactics, their translations, then adoptions (of those or of registered tactics), all
    checked before any event: one bad row refuses the whole batch (an import is appended whole or
    not at all)."""
    at, events = iso(now), []
    known: dict[str, Tactic] = dict(state.tactics)
    origins: dict[str, tuple[dt.date, str, str]] = {}  # new tactic -> (origin date, circle, country)
    languages: dict[str, str] = {}  # new tactic -> the language it is written in
    for t in tactics:
        if t.id in known:
            raise err("tactic_exists", f"{t.id!r} is already a tactic of this network")
        if t.id in origins:
            raise err("tactic_exists", f"{t.id!r} is registered twice")
        if not t.name.strip():
            raise err("bad_tactic", f"{t.id}: a tactic needs a name")
        origin = _day(t.origin_date, now, f"origin of {t.id}")
        circle = t.origin_circle
        if t.circle and circle and circle != t.circle:
            raise err("not_yours", f"{t.circle} registers the tactics it first used, not {circle}'s")
        if circle:
            known_circle(state, circle)
        origins[t.id] = (origin, circle, t.origin_country)
        languages[t.id] = t.language
        events.append(
            E.TacticRegistered(
                id=t.id, name=t.name.strip(), description=t.description.strip(), language=t.language,
                origin_circle=circle, origin_country=t.origin_country, origin_date=origin.isoformat(),
                by=_by(t), at=at,
            )
        )  # fmt: skip
        if circle:
            events.append(
                E.AdoptionRecorded(
                    tactic=t.id, circle=circle, country=t.origin_country, date=origin.isoformat(),
                    outcome="unknown", learned_from="", by=_by(t), at=at,
                )
            )  # fmt: skip
    translated: set[tuple[str, str]] = set()
    for tr in translations:
        if tr.tactic in known:
            language = known[tr.tactic].language
        elif tr.tactic in languages:
            language = languages[tr.tactic]
        else:
            raise err("unknown_tactic", f"no tactic {tr.tactic!r} in this network")
        if (tr.tactic, tr.language) in translated:
            raise err("duplicate_translation", f"{tr.tactic} is translated into {tr.language} twice")
        translated.add((tr.tactic, tr.language))
        events.append(_translated(tr.tactic, language, tr, at))
    new: dict[str, list[C.RecordAdoption]] = {}
    for a in adoptions:
        if a.tactic not in known and a.tactic not in origins:
            raise err("unknown_tactic", f"no tactic {a.tactic!r} in this network")
        adopter = a.adopter or a.circle
        if not adopter:
            raise err("bad_adoption", "name the circle that adopted the tactic")
        if a.circle and adopter != a.circle:
            raise err("not_yours", f"{a.circle} records its own adoptions, not {adopter}'s")
        new.setdefault(a.tactic, []).append(a)
    circles = set(state.circles)
    for tactic_id, rows in new.items():
        if tactic_id in known:
            t = known[tactic_id]
            origin = t.origin_date
            existing = [Adoption(x.date, x.circle, x.country, x.learned_from or None) for x in t.adoptions.values()]
        else:
            origin, circle, country = origins[tactic_id]
            existing = [Adoption(origin, circle, country, None)] if circle else []
        if len(existing) + len(rows) > MAX_ADOPTIONS:
            raise err("too_many", f"a tactic keeps at most {MAX_ADOPTIONS} adoptions")
        added = [
            Adoption(_day(a.date, now, f"adoption of {tactic_id}"), a.adopter or a.circle, a.country,
                     a.learned_from or None)
            for a in rows
        ]  # fmt: skip
        check([*existing, *added], origin, today=_today(now), known_circles=circles)
        for a, row in zip(added, rows, strict=True):
            events.append(
                E.AdoptionRecorded(
                    tactic=tactic_id, circle=a.circle, country=a.country, date=a.date.isoformat(),
                    outcome=row.outcome, learned_from=a.learned_from or "", by=_by(row), at=at,
                )
            )  # fmt: skip
    if len(known) + len(origins) > MAX_TACTICS:
        raise err("too_many", f"a network keeps at most {MAX_TACTICS} tactics")
    return events


def import_tactics(state: NetworkState, c: C.ImportTactics, now: dt.datetime) -> list[E.Event]:
    if not c.tactics and not c.adoptions and not c.translations:
        raise err("empty_import", "the file has no tactic, translation or adoption")
    return register_many(state, c.tactics, c.adoptions, now, c.translations)


def _translated(tactic: str, written_in: str, c: C.TranslateTactic, at: str) -> E.TacticTranslated:
    if c.language == written_in:
        raise err("same_language", f"{tactic} is written in {written_in}")
    if not c.name.strip():
        raise err("empty_text", "the translated name is empty")
    return E.TacticTranslated(
        tactic=tactic, language=c.language, name=c.name.strip(), description=c.description.strip(), how=c.how,
        by=_by(c), at=at,
    )  # fmt: skip


def translate_tactic(state: NetworkState, c: C.TranslateTactic, now: dt.datetime) -> list[E.Event]:
    t = _tactic(state, c.tactic)
    return [_translated(t.id, t.language, c, iso(now))]


def record_indicator(state: NetworkState, c: C.RecordIndicator, now: dt.datetime) -> list[E.Event]:
    day = _day(c.date, now, "date")
    for who in (c.host, c.guest):
        if who:
            known_circle(state, who)
    if c.kind == "residency":
        if not c.host or not c.guest or c.host == c.guest:
            raise err("bad_indicator", "a residency names the hosting circle and the organiser's own (two circles)")
    elif c.guest:
        raise err("bad_indicator", "a complaint names at most the circle complained of (host)")
    if c.circle and c.circle not in (c.host, c.guest):
        raise err("not_yours", f"{c.circle} records indicators about itself")
    if not c.source.strip():
        raise err("bad_indicator", "say where it was said or published (the source)")
    if len(state.indicators) >= MAX_INDICATORS:
        raise err("too_many", f"a network keeps at most {MAX_INDICATORS} indicators")
    return [
        E.IndicatorRecorded(
            id=len(state.indicators) + 1, kind=c.kind, date=day.isoformat(), country=c.country, host=c.host,
            guest=c.guest, source=c.source.strip(), note=c.note.strip(), by=_by(c), at=iso(now),
        )
    ]  # fmt: skip
