"""The tracker's views (circles/tactic_views.py) on states built through the core: the Bass fit
read through the tactic view recovers p, q and m from synthetic adoptions within the tolerance
docs/diffusion.md states (10 % on the rounded closed form), the ranking of which tactics spread
fastest with the others listed apart, the text in the reader's language with its fallback, and
the indicators counted per year and country. Every date is relative to the injected ``now``."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from circles import commands as C
from circles.decide import decide
from circles.definition import parse_network
from circles.diffusion import DiffusionError, bass_cumulative
from circles.state import NetworkState, evolve
from circles.tactic_csv import parse_csv, to_csv
from circles.tactic_views import MAX_POINTS, indicators_view, registry_view, tactic_view, text_in

NOW = dt.datetime(2027, 5, 1, 9, 30, tzinfo=dt.UTC)
TODAY = NOW.date()
COUNTRIES = ("NG", "ZA", "KE", "BR", "PH", "IN", "NL", "FR")


def circles(n: int) -> list[str]:
    return [f"c{i:03d}" for i in range(n)]


def network(n: int) -> NetworkState:
    definition = {"name": "Many circles", "circles": [{"id": c, "name": f"Circle {c}"} for c in circles(n)]}
    state = NetworkState()
    for e in decide(state, C.CreateNetwork("n1", parse_network(definition)), NOW):
        state = evolve(state, e.type, e.data)
    return state


def run(state: NetworkState, command: Any, now: dt.datetime = NOW) -> NetworkState:
    for e in decide(state, command, now):
        state = evolve(state, e.type, e.data)
    return state


def bass_days(p: float, q: float, m: int, days: int) -> list[int]:
    """The day of each adoption: the closed form rounded to whole adoptions a day."""
    counts = np.diff(np.round(bass_cumulative(np.arange(days + 1), p, q, m)).astype(int))
    return [k for k, n in enumerate(counts) for _ in range(n)]


def synthetic(state: NetworkState, tactic: str, p: float, q: float, m: int, days: int, seed: int = 1) -> NetworkState:
    """A tactic whose adoptions follow the Bass curve, its origin ``days`` before today, each
    adopter taught by an earlier one drawn at random (none for the first)."""
    rng = random.Random(seed)
    origin = TODAY - dt.timedelta(days=days)
    when = bass_days(p, q, m, days)
    assert len(when) <= len(state.circles)
    names = list(state.circles)
    rng.shuffle(names)
    adoptions = []
    for i, (k, circle) in enumerate(zip(when, names, strict=False)):
        teacher = names[rng.randrange(i)] if i else ""
        country = COUNTRIES[rng.randrange(len(COUNTRIES))]
        date = origin + dt.timedelta(days=k)
        adoptions.append(
            C.RecordAdoption(tactic=tactic, adopter=circle, country=country, date=date, learned_from=teacher)
        )
    register = C.RegisterTactic(id=tactic, name=tactic.title(), origin_country="NG", origin_date=origin)
    return run(state, C.ImportTactics((register,), tuple(adoptions)))


@pytest.fixture(scope="module")
def many() -> NetworkState:
    """Two tactics from known p, q, m on 300 circles, observed to saturation; a third with four
    adoptions (too few to fit)."""
    state = network(300)
    state = synthetic(state, "fast-strike", 0.01, 0.1, 200, 100)
    state = synthetic(state, "slow-boycott", 0.003, 0.08, 90, 150, seed=2)
    few = (
        C.RegisterTactic(id="new-idea", name="New idea", origin_circle="c299", origin_country="FR", origin_date=TODAY),
    )
    adoptions = tuple(
        C.RecordAdoption(tactic="new-idea", adopter=c, country="FR", date=TODAY, learned_from="c299")
        for c in ("c296", "c297", "c298")
    )
    return run(state, C.ImportTactics(few, adoptions))


@pytest.mark.parametrize(
    ("tactic", "p", "q", "m"), [("fast-strike", 0.01, 0.1, 200), ("slow-boycott", 0.003, 0.08, 90)]
)
def test_the_fit_through_the_view_recovers_p_q_m_within_the_stated_tolerance(many, tactic, p, q, m):
    view = tactic_view(many, tactic, "en", NOW, horizon=90)
    json.dumps(view, allow_nan=False)  # what the route sends: plain JSON, no NaN
    fit = view["fit"]
    assert view["refusal"] is None
    assert fit["p"] == pytest.approx(p, rel=0.10)
    assert fit["q"] == pytest.approx(q, rel=0.10)
    assert fit["m"] == pytest.approx(m, rel=0.10)
    for name in ("p", "q", "m"):
        assert 0 < fit[f"{name}_se"] < 0.5 * fit[name]
    assert fit["r2"] > 0.99 and fit["adoptions"] == view["tactic"]["adoptions"]
    # the curve ends at the observation (today), the forecast runs 90 days further
    assert fit["fitted"][-1][0] == TODAY.isoformat() == view["observed_until"]
    assert fit["forecast"][0][0] == (TODAY + dt.timedelta(days=1)).isoformat()
    assert fit["forecast"][-1][0] == (TODAY + dt.timedelta(days=90)).isoformat()
    assert len(fit["fitted"]) <= MAX_POINTS
    assert fit["half_date"] is not None and fit["peak_date"] is not None
    # the counts agree with each other
    assert view["cumulative"][-1]["count"] == len(view["adoptions"]) == view["tactic"]["adoptions"]
    assert len(view["learning"]["nodes"]) == len(view["adoptions"])
    crossing = sum(e["crosses_border"] for e in view["learning"]["edges"])
    assert crossing == view["borders_crossed"] == view["tactic"]["borders_crossed"]
    reached = [r["country"] for r in view["first_by_country"]]
    assert reached == view["tactic"]["countries"] and set(reached) <= set(COUNTRIES)


def test_the_ranking_says_which_spread_fastest_and_lists_the_rest_apart(many):
    view = registry_view(many, None, NOW)
    json.dumps(view, allow_nan=False)
    assert [t["id"] for t in view["tactics"]] == ["fast-strike", "slow-boycott", "new-idea"]
    # t½ = ln(2 + q/p) / (p + q): 22.6 days for the strike, 40.4 for the boycott
    assert [(r["rank"], r["tactic"]) for r in view["fastest"]] == [(1, "fast-strike"), (2, "slow-boycott")]
    assert view["fastest"][0]["half_days"] == pytest.approx(22.6, rel=0.05)
    assert view["fastest"][1]["half_days"] == pytest.approx(40.4, rel=0.05)
    assert view["not_yet"] == [
        {
            "tactic": "new-idea",
            "name": "New idea",
            "code": "too_few_adoptions",
            "message": "a fit needs at least 5 adoptions; this tactic has 4",
        }
    ]
    new = view["tactics"][2]
    assert (new["adoptions"], new["countries"], new["borders_crossed"]) == (4, ["FR"], 0)
    assert new["origin"] == {"circle": "c299", "country": "FR", "date": TODAY.isoformat()}


def test_a_tactic_too_young_to_fit_says_why_and_still_has_its_counts(many):
    view = tactic_view(many, "new-idea", None, NOW)
    assert view["fit"] is None and view["refusal"]["code"] == "too_few_adoptions"
    assert view["cumulative"] == [{"date": TODAY.isoformat(), "count": 4}]
    assert view["first_by_country"] == [{"country": "FR", "date": TODAY.isoformat(), "days": 0}]
    assert view["learning"]["generations"] == 2
    assert {(e["teacher"], e["pupil"]) for e in view["learning"]["edges"]} == {
        ("c299", c) for c in ("c296", "c297", "c298")
    }
    assert tactic_view(many, "no-such", None, NOW) is None
    with pytest.raises(DiffusionError) as e:
        tactic_view(many, "new-idea", None, NOW, horizon=100_000)
    assert e.value.code == "bad_horizon"


def test_the_observation_runs_to_today_so_quiet_days_count():
    """The same adoptions read 60 days later: the fit counts the quiet days since (saturation),
    and every date moves with ``now``."""
    state = synthetic(network(120), "go-slow", 0.01, 0.1, 100, 60)
    early = tactic_view(state, "go-slow", None, NOW, horizon=0)
    later = tactic_view(state, "go-slow", None, NOW + dt.timedelta(days=60), horizon=0)
    assert early["observed_until"] == TODAY.isoformat()
    assert later["observed_until"] == (TODAY + dt.timedelta(days=60)).isoformat()
    assert later["fit"]["observed_days"] == early["fit"]["observed_days"] + 60
    assert early["fit"]["forecast"] == [] == later["fit"]["forecast"]


def test_an_adoption_dated_tomorrow_ends_the_observation_there(many):
    """Tomorrow in UTC is today somewhere: the core takes it, and the view's observation runs to it
    instead of refusing it as a future date."""
    state = run(
        many, C.RecordAdoption(tactic="new-idea", adopter="c001", country="BR", date=TODAY + dt.timedelta(days=1))
    )
    view = tactic_view(state, "new-idea", None, NOW)
    assert view["observed_until"] == (TODAY + dt.timedelta(days=1)).isoformat()
    assert view["cumulative"][-1] == {"date": (TODAY + dt.timedelta(days=1)).isoformat(), "count": 5}


def test_text_in_the_readers_language_with_its_fallback():
    state = run(network(3), C.RegisterTactic(id="sit-in", name="Encierro", description="Ocupar", language="es"))
    state = run(
        state, C.TranslateTactic(tactic="sit-in", language="en", name="Sit-in", description="Occupy", how="machine")
    )
    state = run(state, C.TranslateTactic(tactic="sit-in", language="pt", name="Ocupação", description="", how="human"))
    t = state.tactics["sit-in"]
    assert text_in(t, "es") == {
        "name": "Encierro",
        "description": "Ocupar",
        "language": "es",
        "how": "original",
        "fallback": False,
    }
    assert text_in(t, "pt-BR")["name"] == "Ocupação" and not text_in(t, "pt-BR")["fallback"]
    assert text_in(t, "sw") == {
        "name": "Sit-in",
        "description": "Occupy",
        "language": "en",
        "how": "machine",
        "fallback": True,
    }
    assert text_in(t, None)["how"] == "original" and not text_in(t, None)["fallback"]
    view = registry_view(state, "sw", NOW)["tactics"][0]
    assert (view["name"], view["how"], view["fallback"], view["languages"]) == (
        "Sit-in",
        "machine",
        True,
        ["en", "es", "pt"],
    )
    # a tactic without an English translation falls back to its original
    state = run(state, C.RegisterTactic(id="kazi", name="Mgomo baridi", language="sw"))
    assert text_in(state.tactics["kazi"], "fr") | {"name": ""} == {
        "name": "",
        "description": "",
        "language": "sw",
        "how": "original",
        "fallback": True,
    }
    detail = tactic_view(state, "sit-in", "fr", NOW)
    assert [tr["language"] for tr in detail["translations"]] == ["en", "pt"]
    assert detail["name_original"] == "Encierro" and detail["tactic"]["name"] == "Sit-in"


def test_indicators_counted_per_year_and_country():
    state = network(3)
    rows = [
        ("residency", dt.date(2026, 3, 1), "NL", "c001", "c000"),
        ("residency", dt.date(2027, 2, 1), "NG", "c000", "c001"),
        ("complaint", dt.date(2027, 4, 30), "NG", "c000", ""),
        ("complaint", dt.date(2025, 4, 30), "NG", "", ""),
    ]
    for kind, date, country, host, guest in rows:
        state = run(
            state,
            C.RecordIndicator(kind=kind, date=date, country=country, host=host, guest=guest, source="The Daily"),
        )
    view = indicators_view(state, NOW)
    assert [i["id"] for i in view["indicators"]] == [3, 2, 1, 4]  # newest first
    assert view["by_year"] == [
        {"year": 2025, "residency": 0, "complaint": 1},
        {"year": 2026, "residency": 1, "complaint": 0},
        {"year": 2027, "residency": 1, "complaint": 1},
    ]
    assert view["by_country"] == [
        {"country": "NG", "residency": 1, "complaint": 2},
        {"country": "NL", "residency": 1, "complaint": 0},
    ]
    assert view["last_365_days"] == {"residency": 1, "complaint": 1}
    assert view["totals"] == {"residency": 2, "complaint": 2}


def test_the_documented_csv_example_is_what_the_export_writes():
    """docs/diffusion.md "The CSV": its example, byte for byte (but CRLF), and it imports back."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "diffusion.md").read_text(encoding="utf-8")
    example = doc.split("```csv\n", 1)[1].split("```", 1)[0]
    state = network(3)
    lagos, rotterdam, manila = "c000", "c001", "c002"
    example = example.replace("lagos-dockers", lagos).replace("rotterdam-drivers", rotterdam)
    example = example.replace("manila-nurses", manila)
    now = dt.datetime(2027, 5, 1, 12, tzinfo=dt.UTC)
    state = run(state, parse_csv(example.encode()), now)
    assert to_csv(state) == example.replace("\n", "\r\n")
    assert state.tactics["flying-picket"].description == "=pickets move from gate to gate"
