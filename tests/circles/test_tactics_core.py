"""The tactic registry's core (circles/tactics.py through circles/decide.py): every refusal raises
before any event (so nothing is appended), an import is appended whole or refused whole, and who
may send what."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from circles import commands as C
from circles.decide import decide, parse_and_authorise
from circles.definition import parse_network
from circles.state import NetworkState, evolve
from mayday.errors import ApiError, DomainError
from mayday.links import Grant

NOW = dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
LAGOS, ROTTERDAM, MANILA, DURBAN = "lagos-dockers", "rotterdam-drivers", "manila-nurses", "durban-dockers"
DEFINITION = {
    "name": "Ports",
    "circles": [{"id": c, "name": c.replace("-", " ").title()} for c in (LAGOS, ROTTERDAM, MANILA, DURBAN)],
    "pairs": [],
}


def day(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def fold(state: NetworkState, events: list[Any]) -> NetworkState:
    for e in events:
        state = evolve(state, e.type, e.data)
    return state


def run(state: NetworkState, command: Any) -> NetworkState:
    return fold(state, decide(state, command, NOW))


@pytest.fixture
def network() -> NetworkState:
    state = NetworkState()
    return run(state, C.CreateNetwork("n1", parse_network(DEFINITION)))


def register(**kw: Any) -> C.RegisterTactic:
    fields = {
        "id": "flying-picket",
        "name": "Flying picket",
        "description": "Pickets that move from site to site",
        "origin_circle": LAGOS,
        "origin_country": "NG",
        "origin_date": day(60),
    }
    return C.RegisterTactic(**(fields | kw))


def adopt(adopter: str, country: str, n: int, teacher: str = "", **kw: Any) -> C.RecordAdoption:
    return C.RecordAdoption(
        tactic=kw.pop("tactic", "flying-picket"),
        adopter=adopter,
        country=country,
        date=day(n),
        learned_from=teacher,
        **kw,
    )


@pytest.fixture
def picket(network: NetworkState) -> NetworkState:
    """The flying picket, first used in Lagos 60 days ago, learned by Rotterdam 40 days ago."""
    state = run(network, register())
    return run(state, adopt(ROTTERDAM, "NL", 40, LAGOS))


def refused(state: NetworkState, command: Any, code: str) -> DomainError:
    with pytest.raises(DomainError) as e:
        decide(state, command, NOW)
    assert e.value.code == code, e.value.message
    return e.value


def test_registering_records_the_origins_first_use_as_the_first_adoption(picket):
    t = picket.tactics["flying-picket"]
    assert (t.name, t.origin_circle, t.origin_country, t.origin_date) == ("Flying picket", LAGOS, "NG", day(60))
    assert [(a.circle, a.date, a.learned_from) for a in t.adoptions.values()] == [
        (LAGOS, day(60), ""),
        (ROTTERDAM, day(40), LAGOS),
    ]
    assert t.adoptions[ROTTERDAM].by == C.COORDINATOR


@pytest.mark.parametrize(
    ("command", "code"),
    [
        # dates: after tomorrow (UTC), before the origin, before the books open
        (adopt(MANILA, "PH", -2, LAGOS), "future_date"),
        (adopt(MANILA, "PH", 61, ""), "before_origin"),
        (register(id="sit-in", origin_date=TODAY + dt.timedelta(days=2)), "future_date"),
        (register(id="sit-in", origin_date=dt.date(1999, 12, 31)), "bad_date"),
        # the learning network
        (adopt(MANILA, "PH", 30, MANILA), "learning_cycle"),
        (adopt("oslo-cleaners", "NO", 30, LAGOS), "unknown_circle"),
        (adopt(MANILA, "PH", 30, "oslo-cleaners"), "unknown_circle"),
        (adopt(MANILA, "PH", 30, DURBAN), "unknown_circle"),  # Durban has not adopted it
        (adopt(MANILA, "PH", 50, ROTTERDAM), "unknown_circle"),  # Rotterdam adopted it later
        (adopt(ROTTERDAM, "NL", 30, LAGOS), "duplicate_adoption"),
        (adopt(LAGOS, "NG", 30), "duplicate_adoption"),  # the origin's first use is its adoption
        # the rest
        (adopt(MANILA, "PH", 30, LAGOS, tactic="no-such"), "unknown_tactic"),
        (C.RecordAdoption(tactic="flying-picket", country="PH", date=day(30)), "bad_adoption"),  # nobody adopted
        (register(), "tactic_exists"),
        (register(id="sit-in", name="  "), "bad_tactic"),
        (register(id="sit-in", origin_circle="oslo-cleaners"), "unknown_circle"),
        (C.TranslateTactic(tactic="flying-picket", language="en", name="Flying picket"), "same_language"),
        (C.TranslateTactic(tactic="flying-picket", language="es", name=" "), "empty_text"),
        (C.TranslateTactic(tactic="no-such", language="es", name="Piquete"), "unknown_tactic"),
    ],
)
def test_every_refusal_raises_before_any_event(picket, command, code):
    refused(picket, command, code)


def test_a_loop_in_an_imported_batch_is_a_learning_cycle(picket):
    batch = C.ImportTactics(
        (), (adopt(MANILA, "PH", 30, DURBAN), adopt(DURBAN, "ZA", 30, MANILA))
    )  # each learned from the other, the same day
    e = refused(picket, batch, "learning_cycle")
    assert MANILA in e.message and DURBAN in e.message


def test_an_import_is_appended_whole_or_refused_whole(network):
    good = (register(), register(id="sit-in", name="Sit-in", origin_circle=MANILA, origin_country="PH"))
    adoptions = (adopt(ROTTERDAM, "NL", 40, LAGOS), adopt(DURBAN, "ZA", 30, ROTTERDAM))
    translations = (C.TranslateTactic(tactic="sit-in", language="es", name="Encierro", how="human"),)
    # the last adoption's teacher never adopted the tactic: nothing of the batch is decided
    bad = C.ImportTactics(good, (*adoptions, adopt(ROTTERDAM, "NL", 30, DURBAN, tactic="sit-in")), translations)
    refused(network, bad, "unknown_circle")
    events = decide(network, C.ImportTactics(good, adoptions, translations), NOW)
    assert [e.type for e in events] == [
        "tactic_registered",
        "adoption_recorded",  # Lagos's first use
        "tactic_registered",
        "adoption_recorded",  # Manila's
        "tactic_translated",
        "adoption_recorded",
        "adoption_recorded",
    ]
    state = fold(network, events)
    assert list(state.tactics["flying-picket"].adoptions) == [LAGOS, ROTTERDAM, DURBAN]
    assert state.tactics["sit-in"].translations == {"es": ("Encierro", "", "human")}
    # importing the same again: refused, naming the first tactic already there
    e = refused(state, C.ImportTactics(good, ()), "tactic_exists")
    assert "'flying-picket'" in e.message


@pytest.mark.parametrize(
    ("batch", "code"),
    [
        (C.ImportTactics((), ()), "empty_import"),
        (C.ImportTactics((register(id="sit-in"), register(id="sit-in")), ()), "tactic_exists"),
        (
            C.ImportTactics(
                (register(id="sit-in"),),
                (),
                (C.TranslateTactic(tactic="sit-in", language="es", name="A"),) * 2,
            ),
            "duplicate_translation",
        ),
        (
            C.ImportTactics(
                (register(id="sit-in", language="es"),),
                (),
                (C.TranslateTactic(tactic="sit-in", language="es", name="A"),),
            ),
            "same_language",
        ),
        (C.ImportTactics((), (), (C.TranslateTactic(tactic="no-such", language="es", name="A"),)), "unknown_tactic"),
        (
            C.ImportTactics((register(id="sit-in"),), (adopt(MANILA, "PH", 61, LAGOS, tactic="sit-in"),)),
            "before_origin",
        ),
    ],
)
def test_import_refusals(network, batch, code):
    refused(network, batch, code)


def test_a_circle_acts_for_itself_only(picket):
    def by(circle: str, command: Any) -> Any:
        return type(command)(**{**{f: getattr(command, f) for f in command.__struct_fields__}, "circle": circle})

    refused(picket, by(MANILA, adopt(DURBAN, "ZA", 30, LAGOS)), "not_yours")
    refused(picket, by(MANILA, register(id="sit-in")), "not_yours")  # first used by Lagos, not Manila
    refused(
        picket, by(MANILA, C.RecordIndicator(kind="complaint", country="NG", host=LAGOS, source="a paper")), "not_yours"
    )
    batch = C.ImportTactics(
        (), (by(MANILA, adopt(MANILA, "PH", 30, LAGOS)), by(MANILA, adopt(DURBAN, "ZA", 30, LAGOS)))
    )
    refused(picket, batch, "not_yours")
    # its own adoption (adopter left empty: the link's circle), and a tactic it first used
    state = run(
        picket, by(MANILA, C.RecordAdoption(tactic="flying-picket", country="PH", date=day(30), learned_from=LAGOS))
    )
    assert state.tactics["flying-picket"].adoptions[MANILA].by == MANILA
    state = run(state, by(MANILA, register(id="sit-in", origin_circle=MANILA, origin_country="PH")))
    assert state.tactics["sit-in"].by == MANILA


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (C.RecordIndicator(kind="residency", country="NL", host=ROTTERDAM, source="exchange report"), "bad_indicator"),
        (
            C.RecordIndicator(kind="residency", country="NL", host=ROTTERDAM, guest=ROTTERDAM, source="x"),
            "bad_indicator",
        ),
        (C.RecordIndicator(kind="complaint", country="NG", host=LAGOS, guest=MANILA, source="x"), "bad_indicator"),
        (C.RecordIndicator(kind="complaint", country="NG", host=LAGOS, source="  "), "bad_indicator"),
        (C.RecordIndicator(kind="complaint", country="NG", host="oslo-cleaners", source="x"), "unknown_circle"),
        (
            C.RecordIndicator(kind="complaint", country="NG", date=TODAY + dt.timedelta(days=2), source="x"),
            "future_date",
        ),
    ],
)
def test_bad_indicators(picket, command, code):
    refused(picket, command, code)


def test_indicators_are_numbered_and_dated(picket):
    state = run(picket, C.RecordIndicator(kind="residency", country="NL", host=ROTTERDAM, guest=LAGOS, source="report"))
    state = run(state, C.RecordIndicator(kind="complaint", country="NG", host=LAGOS, source="Daily Paper", date=day(3)))
    assert [(i.id, i.kind, i.date) for i in state.indicators] == [(1, "residency", TODAY), (2, "complaint", day(3))]


def grant(role: str, circle: str | None = None) -> Grant:
    return Grant("network:n1", role, circle, 0)


@pytest.mark.parametrize(
    ("role", "circle", "kind", "allowed"),
    [
        ("coordinator", None, "register_tactic", True),
        ("circle", LAGOS, "register_tactic", True),
        ("member", LAGOS, "register_tactic", False),
        ("viewer", None, "register_tactic", False),
        ("member", LAGOS, "translate_tactic", True),
        ("viewer", None, "translate_tactic", False),
        ("member", LAGOS, "record_adoption", False),
        ("viewer", None, "record_indicator", False),
        ("circle", LAGOS, "record_indicator", True),
    ],
)
def test_who_may_send_what(role, circle, kind, allowed):
    raw = {"type": kind, "tactic": "flying-picket", "name": "x", "source": "x"}
    if allowed:
        command = parse_and_authorise(grant(role, circle), raw)
        assert command.circle == (circle if role == "circle" or role == "member" else "")
    else:
        with pytest.raises(ApiError) as e:
            parse_and_authorise(grant(role, circle), raw)
        assert e.value.status == 403
