"""What the tactic tracker's pages read (pure: state, language and ``now`` in, JSON-ready data
out; docs/diffusion.md "The tracker").

* ``registry_view``: every tactic (its name and description in the reader's language, how that
  text was translated, its origin, adoptions, countries, borders crossed) and the movement's
  ranking of which tactics spread fastest (``diffusion.spread_speed`` over the tactics that can be
  fitted; the others listed apart with the fit's refusal code);
* ``tactic_view``: one tactic's numbers for its charts: the cumulative series, the first adoption
  per country, the learning network, the Bass fit with its errors, curve and forecast (or why
  there is none);
* ``indicators_view``: exchange residencies and complaints of "outside agitation", counted per
  year and per country.

The observation of a tactic ends at the end of ``now``'s date (UTC), or of its latest date if an
adoption was dated tomorrow (allowed: it is already tomorrow somewhere). Fits are memoised on what
they read (the origin, the adoption dates, the end of the observation and the horizon), so a page
read again the same day does not fit again.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from typing import Any

from circles import diffusion as D
from circles.state import NetworkState, Tactic

DEFAULT_HORIZON = 180  # days after today the forecast reaches, unless asked
MAX_HORIZON = 3660  # days after today: ten years
MAX_POINTS = 400  # a curve sent to a page: at most this many points (a phone draws 390 px)
OUTCOMES = ("won", "partial", "lost", "ongoing", "unknown")
KINDS = ("residency", "complaint")


# --------------------------------------------------------------------------------------------
# Small pieces


def _num(x: float | None, digits: int = 6) -> float | None:
    """A float for JSON: ``digits`` significant digits; None for nothing, NaN or infinity (JSON
    has neither)."""
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


def _date(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


def observed_until(t: Tactic, now: dt.datetime) -> dt.date:
    """The last date of ``t``'s observation: today (UTC), or a later date the record holds."""
    latest = max((a.date for a in t.adoptions.values()), default=t.origin_date)
    return max(now.date(), latest, t.origin_date)


def _adoptions(t: Tactic) -> list[D.Adoption]:
    return [D.Adoption(a.date, a.circle, a.country, a.learned_from or None) for a in t.adoptions.values()]


def text_in(t: Tactic, lang: str | None) -> dict[str, Any]:
    """The tactic's name and description in ``lang``: its own text when written in it, else a
    translation into it (or into its primary language: ``pt`` for ``pt-BR``), else the English
    translation, else the original; with no language asked for, the original. ``how``:
    ``original``, ``human`` or ``machine``; ``fallback``: the text is not in the language asked
    for."""
    wanted = [lang, lang.split("-")[0]] if lang else []
    for code in [*wanted, "en"] if lang else []:
        if code == t.language:
            break
        if code in t.translations:
            name, description, how = t.translations[code]
            return {
                "name": name,
                "description": description,
                "language": code,
                "how": how,
                "fallback": code not in wanted,
            }
    return {
        "name": t.name,
        "description": t.description,
        "language": t.language,
        "how": "original",
        "fallback": bool(wanted) and t.language not in wanted,
    }


def _thin(points: tuple[tuple[dt.date, float], ...]) -> tuple[tuple[dt.date, float], ...]:
    """At most ``MAX_POINTS`` of a curve, evenly spread, its first and last kept."""
    n = len(points)
    if n <= MAX_POINTS:
        return points
    step = (n - 1) / (MAX_POINTS - 1)
    return tuple(points[round(i * step)] for i in range(MAX_POINTS))


@lru_cache(maxsize=1024)
def _fit(
    origin: dt.date, dates: tuple[dt.date, ...], today: dt.date, horizon_days: int
) -> D.BassFit | D.DiffusionError:
    """The Bass fit (its curves thinned), or its refusal. The fit reads only the adoption dates;
    the circles stand in as numbers (the network's checks ran when they were recorded)."""
    try:
        fit = D.bass_fit([D.Adoption(d, str(i), "-") for i, d in enumerate(dates)], origin, horizon_days, today=today)
    except D.DiffusionError as e:
        return e
    return _thinned(fit)


def _thinned(fit: D.BassFit) -> D.BassFit:
    return replace(fit, fitted=_thin(fit.fitted), forecast=_thin(fit.forecast))


def fit_of(t: Tactic, now: dt.datetime, horizon: int = 0) -> D.BassFit | D.DiffusionError:
    """``t``'s Bass fit with a forecast ``horizon`` days past its observation (refusal returned,
    not raised)."""
    today = observed_until(t, now)
    horizon_days = min((today - t.origin_date).days + horizon, D.MAX_HORIZON_DAYS)
    dates = tuple(sorted(a.date for a in t.adoptions.values()))
    return _fit(t.origin_date, dates, today, horizon_days)


def _summary(state: NetworkState, t: Tactic, lang: str | None) -> dict[str, Any]:
    rows = _adoptions(t)
    reached = D.first_by_country(rows, t.origin_date) if rows else {}
    outcomes = Counter(a.outcome for a in t.adoptions.values())
    return {
        "id": t.id,
        **text_in(t, lang),
        "original_language": t.language,
        "languages": sorted({t.language, *t.translations}),
        "origin": {"circle": t.origin_circle, "country": t.origin_country, "date": t.origin_date.isoformat()},
        "adoptions": len(rows),
        "countries": list(reached),
        "borders_crossed": D.borders_crossed(rows) if rows else 0,
        "last_adoption": _date(max((a.date for a in rows), default=None)),
        "outcomes": {o: outcomes.get(o, 0) for o in OUTCOMES},
        "registered_by": t.by,
        "registered_at": t.at,
    }


def _refusal(e: D.DiffusionError) -> dict[str, str]:
    return {"code": e.code, "message": e.message}


# --------------------------------------------------------------------------------------------
# The views


def registry_view(state: NetworkState, lang: str | None, now: dt.datetime) -> dict[str, Any]:
    """Every tactic (in registration order) and which spread fastest."""
    tactics = list(state.tactics.values())
    fits: dict[str, D.BassFit] = {}
    not_yet = []
    for t in tactics:
        f = fit_of(t, now)
        if isinstance(f, D.DiffusionError):
            not_yet.append({"tactic": t.id, "name": text_in(t, lang)["name"], **_refusal(f)})
        else:
            fits[t.id] = f
    fastest = [
        {
            "rank": s.rank,
            "tactic": s.tactic,
            "name": text_in(state.tactics[s.tactic], lang)["name"],
            "half_days": _num(s.half_days, 4),
            "half_date": _date(fits[s.tactic].half_date),
            "p_plus_q": _num(s.p_plus_q, 4),
            "peak_days": _num(s.peak_days, 4),
            "m": _num(s.m, 4),
            "adoptions": fits[s.tactic].adoptions,
        }
        for s in D.spread_speed(fits)
    ]
    return {
        "network": state.network_id,
        "language": lang,
        "today": now.date().isoformat(),
        "tactics": [_summary(state, t, lang) for t in tactics],
        "fastest": fastest,
        "not_yet": not_yet,
    }


def _fit_json(f: D.BassFit) -> dict[str, Any]:
    return {
        "p": _num(f.p),
        "q": _num(f.q),
        "m": _num(f.m),
        "p_se": _num(f.p_se),
        "q_se": _num(f.q_se),
        "m_se": _num(f.m_se),
        "rmse": _num(f.rmse, 4),
        "r2": _num(f.r2, 4),
        "rmse_daily": _num(f.rmse_daily, 4),
        "r2_daily": _num(f.r2_daily, 4),
        "adoptions": f.adoptions,
        "observed_days": f.observed_days,
        "reached": _num(f.reached, 4),
        "peak_days": _num(f.peak_days, 4),
        "peak_date": _date(f.peak_date),
        "half_days": _num(f.half_days, 4),
        "half_date": _date(f.half_date),
        "fitted": [[d.isoformat(), _num(v, 5)] for d, v in f.fitted],
        "forecast": [[d.isoformat(), _num(v, 5)] for d, v in f.forecast],
    }


def tactic_view(
    state: NetworkState, tactic_id: str, lang: str | None, now: dt.datetime, horizon: int = DEFAULT_HORIZON
) -> dict[str, Any] | None:
    """One tactic's numbers for its page, or None when there is no such tactic. ``horizon``: how
    many days after the observation the forecast reaches (0 to ``MAX_HORIZON``)."""
    t = state.tactics.get(tactic_id)
    if t is None:
        return None
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 0 <= horizon <= MAX_HORIZON:
        raise D.DiffusionError("bad_horizon", f"the horizon is 0 to {MAX_HORIZON} days after today")
    rows = _adoptions(t)
    origin, today = t.origin_date, observed_until(t, now)
    net = D.learning_network(rows, origin, today=today)
    fit = fit_of(t, now, horizon)
    adopted = sorted(t.adoptions.values(), key=lambda a: (a.date, a.circle))
    return {
        "network": state.network_id,
        "tactic": _summary(state, t, lang),
        "description_original": t.description,
        "name_original": t.name,
        "translations": [
            {"language": code, "name": n, "description": d, "how": how}
            for code, (n, d, how) in sorted(t.translations.items())
        ],
        "adoptions": [
            {
                "circle": a.circle,
                "country": a.country,
                "date": a.date.isoformat(),
                "days": (a.date - origin).days,
                "outcome": a.outcome,
                "learned_from": a.learned_from or None,
                "origin": a.circle == t.origin_circle,
                "by": a.by,
                "at": a.at,
            }
            for a in adopted
        ],
        "cumulative": [{"date": d.isoformat(), "count": n} for d, n in D.cumulative(rows, origin)],
        "first_by_country": [
            {"country": c, "date": d.isoformat(), "days": days}
            for c, (d, days) in D.first_by_country(rows, origin).items()
        ],
        "borders_crossed": net.borders_crossed,
        "learning": {
            "nodes": [
                {
                    "circle": n.circle,
                    "country": n.country,
                    "date": n.date.isoformat(),
                    "days": n.days,
                    "learned_from": n.learned_from,
                    "generation": n.generation,
                }
                for n in net.nodes
            ],
            "edges": [
                {
                    "teacher": e.teacher,
                    "pupil": e.pupil,
                    "teacher_country": e.teacher_country,
                    "pupil_country": e.pupil_country,
                    "crosses_border": e.crosses_border,
                    "lag_days": e.lag_days,
                }
                for e in net.edges
            ],
            "generations": net.generations,
        },
        "fit": None if isinstance(fit, D.DiffusionError) else _fit_json(fit),
        "refusal": _refusal(fit) if isinstance(fit, D.DiffusionError) else None,
        "horizon": horizon,
        "observed_until": today.isoformat(),
        "today": now.date().isoformat(),
    }


def _counts(keys: Iterable[tuple[Any, str]]) -> dict[Any, dict[str, int]]:
    out: dict[Any, dict[str, int]] = {}
    for key, kind in keys:
        row = out.setdefault(key, dict.fromkeys(KINDS, 0))
        row[kind] += 1
    return out


def indicators_view(state: NetworkState, now: dt.datetime) -> dict[str, Any]:
    """The residencies and complaints, newest first, counted per year, per country, and over the
    365 days to ``now``'s date."""
    items = sorted(state.indicators, key=lambda i: (i.date, i.id), reverse=True)
    since = now.date() - dt.timedelta(days=364)
    by_year = _counts((i.date.year, i.kind) for i in items)
    by_country = _counts((i.country, i.kind) for i in items)
    recent = Counter(i.kind for i in items if since <= i.date)
    return {
        "network": state.network_id,
        "today": now.date().isoformat(),
        "indicators": [
            {
                "id": i.id,
                "kind": i.kind,
                "date": i.date.isoformat(),
                "country": i.country,
                "host": i.host,
                "guest": i.guest,
                "source": i.source,
                "note": i.note,
                "by": i.by,
                "at": i.at,
            }
            for i in items
        ],
        "by_year": [{"year": y, **c} for y, c in sorted(by_year.items())],
        "by_country": [
            {"country": k, **c} for k, c in sorted(by_country.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        ],
        "last_365_days": {k: recent.get(k, 0) for k in KINDS},
        "totals": {k: sum(1 for i in items if i.kind == k) for k in KINDS},
    }
