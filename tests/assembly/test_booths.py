"""Interpretation booths: one interpreter live per language, taking, handing over and leaving the
booth, the chair stepping in, a revoked link leaving it; and who may send what (protocol.parse)."""

from __future__ import annotations

import pytest
from assembly_driver import DEFINITION, Driver

from assembly import core, protocol
from assembly.definition import Person
from assembly.state import evolve
from mayday.errors import ApiError, DomainError
from mayday.links import Grant

INTERPRETERS = [
    {"id": "lucia", "name": "Lucía", "booth": "es", "understands": ["en", "pt"]},
    {"id": "pablo", "name": "Pablo", "booth": "es", "understands": ["en"]},
    {"id": "ines", "name": "Inés", "booth": "es", "understands": ["fr"]},
    {"id": "amelie", "name": "Amélie", "booth": "fr", "understands": ["en"]},
]
PAIR = DEFINITION | {"interpreters": INTERPRETERS[:2] + INTERPRETERS[3:]}  # es: lucia, pablo; fr: amelie
TRIO = DEFINITION | {"interpreters": INTERPRETERS}  # es: lucia, pablo, ines; fr: amelie
AT = "2027-05-01T12:00:00.000Z"


@pytest.fixture
def pair() -> Driver:
    return Driver(PAIR)


@pytest.fixture
def trio() -> Driver:
    return Driver(TRIO)


def refused(drive: Driver, command, code: str) -> None:
    before, logged = drive.state, len(drive.log)
    with pytest.raises(DomainError) as e:
        drive(command)
    assert e.value.code == code
    assert drive.state is before and len(drive.log) == logged


def only(events: list) -> dict:
    (e,) = events
    assert e.type == "booth_active_set"
    return e.data


def test_take_booth_makes_the_interpreter_live_in_their_own_booth(pair):
    assert pair.state.booths == {}
    data = only(pair(core.TakeBooth("lucia")))
    assert data == {"booth": "es", "interpreter": "lucia", "previous": None, "by": "lucia", "at": AT}
    assert pair.state.booths == {"es": "lucia"}
    only(pair(core.TakeBooth("amelie")))  # another booth is independent
    assert pair.state.booths == {"es": "lucia", "fr": "amelie"}


def test_take_booth_refused_when_busy_or_already_live(pair):
    pair(core.TakeBooth("lucia"))
    refused(pair, core.TakeBooth("pablo"), "booth_busy")
    refused(pair, core.TakeBooth("lucia"), "already_active")
    refused(pair, core.TakeBooth("rosa"), "not_an_interpreter")  # a delegate has no booth
    refused(pair, core.TakeBooth("nobody"), "not_an_interpreter")
    assert pair.state.booths == {"es": "lucia"}


def test_hand_over_to_the_only_partner_needs_no_name(pair):
    pair(core.TakeBooth("lucia"))
    pair.advance(20 * 60)
    data = only(pair(core.HandOver("lucia")))
    assert data == {
        "booth": "es",
        "interpreter": "pablo",
        "previous": "lucia",
        "by": "lucia",
        "at": "2027-05-01T12:20:00.000Z",
    }
    assert pair.state.booths == {"es": "pablo"}
    only(pair(core.HandOver("pablo", "lucia")))  # and back, naming her
    assert pair.state.booths == {"es": "lucia"}


def test_hand_over_refusals(trio):
    refused(trio, core.HandOver("lucia", "pablo"), "not_active")  # nobody is live yet
    trio(core.TakeBooth("lucia"))
    refused(trio, core.HandOver("pablo", "ines"), "not_active")  # only the live one hands over
    refused(trio, core.HandOver("lucia"), "bad_partner")  # two partners: say which
    refused(trio, core.HandOver("lucia", "lucia"), "bad_partner")
    refused(trio, core.HandOver("lucia", "amelie"), "bad_partner")  # the French booth
    refused(trio, core.HandOver("lucia", "rosa"), "bad_partner")  # a delegate
    refused(trio, core.HandOver("lucia", "nobody"), "bad_partner")
    trio(core.TakeBooth("amelie"))
    refused(trio, core.HandOver("amelie", "pablo"), "bad_partner")  # cannot hand over another booth
    assert only(trio(core.HandOver("lucia", "ines")))["interpreter"] == "ines"
    assert trio.state.booths == {"es": "ines", "fr": "amelie"}


def test_hand_over_alone_in_the_booth_has_nobody_to_hand_to():
    drive = Driver()  # DEFINITION: lucia is the only Spanish interpreter
    drive(core.TakeBooth("lucia"))
    refused(drive, core.HandOver("lucia"), "bad_partner")


def test_leave_booth_lets_listeners_hear_the_floor(pair):
    refused(pair, core.LeaveBooth("lucia"), "not_active")
    pair(core.TakeBooth("lucia"))
    refused(pair, core.LeaveBooth("pablo"), "not_active")
    data = only(pair(core.LeaveBooth("lucia")))
    assert data == {"booth": "es", "interpreter": None, "previous": "lucia", "by": "lucia", "at": AT}
    assert pair.state.booths == {}
    pair(core.TakeBooth("pablo"))  # the booth is free again
    assert pair.state.booths == {"es": "pablo"}


def test_the_chair_sets_and_clears_a_booth(pair):
    data = only(pair(core.SetBooth("es", "pablo")))
    assert data == {"booth": "es", "interpreter": "pablo", "previous": None, "by": None, "at": AT}
    assert only(pair(core.SetBooth("es", "lucia")))["previous"] == "pablo"  # replaces a live one
    assert pair(core.SetBooth("es", "lucia")) == []  # already so: nothing to record
    assert only(pair(core.SetBooth("es", None))) == {
        "booth": "es",
        "interpreter": None,
        "previous": "lucia",
        "by": None,
        "at": AT,
    }
    assert pair.state.booths == {}
    assert pair(core.SetBooth("es", None)) == []


def test_set_booth_refusals(pair):
    refused(pair, core.SetBooth("de", "lucia"), "unknown_booth")
    refused(pair, core.SetBooth("de", None), "unknown_booth")
    refused(pair, core.SetBooth("fr", "lucia"), "bad_partner")  # lucia's booth is Spanish
    refused(pair, core.SetBooth("es", "rosa"), "bad_partner")
    refused(pair, core.SetBooth("es", "nobody"), "bad_partner")
    assert pair.state.booths == {}


def test_revoking_a_live_interpreters_link_leaves_the_booth(pair):
    pair(core.TakeBooth("lucia"))
    pair(core.TakeBooth("amelie"))
    revoked, left = pair(core.RevokeLink("lucia"))
    assert revoked.type == "link_revoked"
    assert left.type == "booth_active_set"
    assert left.data == {"booth": "es", "interpreter": None, "previous": "lucia", "by": None, "at": AT}
    assert pair.state.booths == {"fr": "amelie"} and pair.state.link_versions == {"lucia": 1}
    (only_revoked,) = pair(core.RevokeLink("pablo"))  # not live: nothing else happens
    assert only_revoked.type == "link_revoked"
    assert pair.state.booths == {"fr": "amelie"}


def test_an_interpreter_added_during_the_session_can_take_over(pair):
    pair(core.AddPerson(Person("sofia", "interpreter", "Sofía", "es", booth="es")))
    pair(core.TakeBooth("lucia"))
    refused(pair, core.HandOver("lucia"), "bad_partner")  # now two partners
    assert only(pair(core.HandOver("lucia", "sofia")))["interpreter"] == "sofia"


def test_evolve_folds_booth_events_and_replay_gives_the_same_state(trio):
    state = evolve(trio.state, "booth_active_set", {"booth": "es", "interpreter": "pablo", "previous": None})
    assert state.booths == {"es": "pablo"} and trio.state.booths == {}  # the old state is untouched
    state = evolve(state, "booth_active_set", {"booth": "fr", "interpreter": "amelie", "previous": None})
    state = evolve(state, "booth_active_set", {"booth": "es", "interpreter": None, "previous": "pablo"})
    assert state.booths == {"fr": "amelie"}

    trio(core.TakeBooth("lucia"))
    trio(core.HandOver("lucia", "ines"))
    trio(core.SetBooth("fr", "amelie"))
    trio(core.RevokeLink("ines"))
    trio(core.TakeBooth("pablo"))
    replayed = core.AssemblyState()
    for type_, data in trio.log:
        replayed = evolve(replayed, type_, data)
    assert replayed == trio.state and replayed.booths == {"es": "pablo", "fr": "amelie"}


# Who may send what: protocol.parse, before the core sees anything.


def grant(role: str, subject: str | None) -> Grant:
    return Grant("assembly:a1", role, subject)


LUCIA, AMA, ROSA, VIEWER = grant("interpreter", "lucia"), grant("chair", "ama"), grant("delegate", "rosa"), None


def forbidden(g: Grant | None, raw: dict) -> None:
    with pytest.raises(ApiError) as e:
        protocol.parse(g, raw)
    assert (e.value.code, e.value.status) == ("forbidden", 403)


def bad(g: Grant | None, raw: dict) -> None:
    with pytest.raises(ApiError) as e:
        protocol.parse(g, raw)
    assert (e.value.code, e.value.status) == ("bad_command", 400)


def test_interpreters_send_booth_commands_for_themselves():
    assert protocol.parse(LUCIA, {"type": "take_booth"}) == core.TakeBooth("lucia")
    assert protocol.parse(LUCIA, {"type": "hand_over"}) == core.HandOver("lucia", None)
    assert protocol.parse(LUCIA, {"type": "hand_over", "to": "pablo"}) == core.HandOver("lucia", "pablo")
    assert protocol.parse(LUCIA, {"type": "leave_booth"}) == core.LeaveBooth("lucia")
    bad(LUCIA, {"type": "hand_over", "to": 3})


def test_only_the_chair_sets_a_booth():
    assert protocol.parse(AMA, {"type": "set_booth", "booth": "fr", "interpreter": "amelie"}) == core.SetBooth(
        "fr", "amelie"
    )
    assert protocol.parse(AMA, {"type": "set_booth", "booth": "fr", "interpreter": None}) == core.SetBooth("fr", None)
    bad(AMA, {"type": "set_booth", "booth": "fr"})  # clearing a booth is said, never implied
    bad(AMA, {"type": "set_booth", "interpreter": "amelie"})
    bad(AMA, {"type": "set_booth", "booth": 1, "interpreter": None})
    forbidden(LUCIA, {"type": "set_booth", "booth": "es", "interpreter": "lucia"})
    forbidden(ROSA, {"type": "set_booth", "booth": "es", "interpreter": "lucia"})


@pytest.mark.parametrize("kind", ["take_booth", "hand_over", "leave_booth"])
def test_nobody_but_an_interpreter_takes_hands_over_or_leaves_a_booth(kind):
    for g in (ROSA, AMA, grant("viewer", None), VIEWER):
        forbidden(g, {"type": kind})


def test_an_interpreter_cannot_hand_over_another_booth_through_the_protocol(trio):
    trio(core.TakeBooth("amelie"))
    # Lucía (es) names the French interpreter's partner: the command is hers, about her own booth.
    command = protocol.parse(LUCIA, {"type": "hand_over", "to": "amelie"})
    refused(trio, command, "not_active")
    trio(core.TakeBooth("lucia"))
    refused(trio, protocol.parse(LUCIA, {"type": "hand_over", "to": "amelie"}), "bad_partner")
    assert trio.state.booths == {"es": "lucia", "fr": "amelie"}
