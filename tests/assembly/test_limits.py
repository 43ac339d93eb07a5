"""Commands are held to the definition's limits: whatever a definition refuses for a field, the
command that sets the same field refuses too (bad_command), before anything is decided."""

from __future__ import annotations

import pytest
from assembly_driver import DEFINITION, Driver

from assembly import core
from assembly.definition import MAX_PLACE, MAX_TEXT, MAX_UNDERSTANDS, parse_assembly
from assembly.protocol import parse
from mayday.definitions import SpecError
from mayday.errors import ApiError, DomainError
from mayday.links import Grant

CHAIR = Grant("assembly:a1", "chair", "ama")
ROSA = Grant("assembly:a1", "delegate", "rosa")
LUCIA = Grant("assembly:a1", "interpreter", "lucia")
BIG = "x" * 10_000


def refused(grant: Grant, raw: dict) -> ApiError:
    with pytest.raises(ApiError) as e:
        parse(grant, raw)
    assert (e.value.status, e.value.code) == (400, "bad_command"), e.value.message
    assert len(e.value.message) < 300  # a refusal never echoes the 10 KB back
    return e.value


def add_delegate(**fields) -> dict:
    return {"type": "add_person", "role": "delegate", "id": "zainab", "language": "en"} | fields


def add_interpreter(**fields) -> dict:
    return {"type": "add_person", "role": "interpreter", "id": "zainab", "language": "en", "booth": "es"} | fields


def in_definition(**fields) -> None:
    """Parse DEFINITION with one more delegate (or interpreter, given a booth) carrying ``fields``."""
    person = {"id": "zainab", "language": "en"} | fields
    key = "interpreters" if "booth" in fields else "delegates"
    parse_assembly(DEFINITION | {key: [*DEFINITION[key], person]})


# (field, a value at the limit, a value past it) for add_person's fields with a definition counterpart
PERSON_FIELDS = [
    ("site", "s" * MAX_PLACE, "s" * (MAX_PLACE + 1)),
    ("site", "s" * MAX_PLACE, BIG),
    ("site", "lag", "   "),
    ("region", "r" * MAX_PLACE, "r" * (MAX_PLACE + 1)),
    ("region", "africa", ""),
    ("name", "n" * MAX_TEXT, "n" * (MAX_TEXT + 1)),
    ("name", "Zainab", "  "),
    ("weight", "10000", "10000.5"),
    ("weight", "1.125", "1.1255"),
    ("weight", 2, 0),
    ("weight", "0.001", "-1"),
    ("language", "pt-BR", "english"),
    ("language", "en", BIG),
    ("id", "z" * 48, "z" * 49),
    ("id", "zainab.k-1_2", "-zainab"),
]


@pytest.mark.parametrize(("field", "ok", "bad"), PERSON_FIELDS)
def test_add_person_refuses_what_a_definition_refuses(field, ok, bad):
    languages_ok = field != "language" or ok in DEFINITION["languages"]
    if languages_ok:
        in_definition(**{field: ok})
    with pytest.raises(SpecError):
        in_definition(**{field: bad})
    person = parse(CHAIR, add_delegate(**{field: ok})).person
    assert str(getattr(person, field)) == str(ok) or field == "weight"
    refused(CHAIR, add_delegate(**{field: bad}))


def test_the_audits_ten_kilobyte_site_is_refused():
    e = refused(CHAIR, add_delegate(site=BIG, region="africa"))
    assert "site" in e.message and str(MAX_PLACE) in e.message


def test_interpreter_fields():
    understands = ["en"] * MAX_UNDERSTANDS
    in_definition(booth="es", understands=understands)
    assert parse(CHAIR, add_interpreter(understands=understands)).person.understands == tuple(understands)
    for bad in (["en"] * (MAX_UNDERSTANDS + 1), ["english"], "en", [BIG]):
        with pytest.raises(SpecError):
            in_definition(booth="es", understands=bad)
        refused(CHAIR, add_interpreter(understands=bad))
    for bad in ("spanish", BIG):
        with pytest.raises(SpecError):
            in_definition(booth=bad)
        refused(CHAIR, add_interpreter(booth=bad))


def test_a_missing_name_is_the_id_and_the_region_defaults_to_the_site():
    p = parse(CHAIR, add_delegate(site="lag")).person
    assert (p.name, p.site, p.region) == ("zainab", "lag", "lag")


@pytest.mark.parametrize(
    ("grant", "raw"),
    [
        (CHAIR, {"type": "attend", "person": BIG}),
        (CHAIR, {"type": "raise_hand", "person": "not an id"}),
        (CHAIR, {"type": "revoke_link", "person": BIG}),
        (CHAIR, {"type": "set_booth", "booth": BIG, "interpreter": None}),
        (CHAIR, {"type": "set_booth", "booth": "es", "interpreter": BIG}),
        (CHAIR, {"type": "set_floor_language", "language": BIG}),
        (ROSA, {"type": "propose_demand", "language": BIG, "text": "x"}),
        (ROSA, {"type": "propose_amendment", "demand": "d1", "language": "xx_YY!", "text": "x"}),
        (LUCIA, {"type": "translate", "id": "d1", "language": BIG, "text": "x"}),
        (LUCIA, {"type": "hand_over", "to": BIG}),
        (CHAIR, {"type": "open_ballot", "target": "d1", "quorum": "NaN"}),
        (CHAIR, {"type": "open_ballot", "target": "d1", "quorum": "Infinity"}),
        (CHAIR, {"type": "open_ballot", "target": "d1", "quorum": "half"}),
        (CHAIR, {"type": "open_ballot", "target": "d1", "quorum": [0.5]}),
        (CHAIR, {"type": "open_ballot", "target": "d1", "quorum": True}),
        (CHAIR, {"type": "open_ballot", "target": "d1", "accept_weight_risk": "yes"}),
        (CHAIR, {"type": "open_ranking", "secret": "no"}),
        (CHAIR, {"type": "open_ranking", "accept_weight_risk": 1}),
        (CHAIR, add_delegate(accept_weight_risk="true")),
    ],
)
def test_other_commands_hold_ids_language_codes_and_quorum_to_the_definitions_forms(grant, raw):
    refused(grant, raw)


def test_the_definitions_quorum_refuses_what_open_ballot_refuses():
    for bad in ("NaN", "Infinity", 2, True, "half"):
        with pytest.raises(SpecError, match="quorum"):
            parse_assembly(DEFINITION | {"quorum": bad})
    assert parse(CHAIR, {"type": "open_ballot", "target": "d1", "quorum": "0.75"}).quorum == core.Decimal("0.75")
    # out of range but a number: the core refuses it, as it always did (409 bad_quorum)
    drive = Driver()
    drive(core.ProposeDemand("rosa", "es", "x"))
    for q in (2, "-1", "1e999999"):
        with pytest.raises(DomainError) as e:
            drive(parse(CHAIR, {"type": "open_ballot", "target": "d1", "quorum": q}))
        assert e.value.code == "bad_quorum"


def test_well_formed_commands_still_pass():
    assert parse(CHAIR, {"type": "set_booth", "booth": "es", "interpreter": "lucia"}) == core.SetBooth("es", "lucia")
    assert parse(ROSA, {"type": "propose_demand", "language": "pt-BR", "text": "x"}).language == "pt-BR"
    assert parse(CHAIR, {"type": "open_ranking", "secret": True, "accept_weight_risk": True}) == core.OpenRanking(
        None, True, accept_weight_risk=True
    )
    # texts keep their own limit, decided by the core (409 text_too_long), not the parser
    assert len(parse(ROSA, {"type": "propose_demand", "language": "es", "text": BIG}).text) == len(BIG)
