"""assembly/commands.py through protocol.parse: each wire command's fields decoded, constrained
and refused (400 bad_command) as before the msgspec decoding; who acts comes from the link."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assembly import commands as c
from assembly.protocol import parse
from mayday.errors import ApiError
from mayday.links import Grant

CHAIR = Grant("assembly:a1", "chair", "ama")
ROSA = Grant("assembly:a1", "delegate", "rosa")
LUCIA = Grant("assembly:a1", "interpreter", "lucia")


def bad(grant: Grant, raw: dict, status: int = 400) -> ApiError:
    with pytest.raises(ApiError) as e:
        parse(grant, raw)
    assert e.value.status == status, e.value.message
    assert e.value.code == ("bad_command" if status == 400 else "forbidden")
    return e.value


@pytest.mark.parametrize(
    ("grant", "raw", "command"),
    [
        (ROSA, {"type": "attend"}, c.SetPresence("rosa", True)),
        (ROSA, {"type": "attend", "present": False, "person": "rosa"}, c.SetPresence("rosa", False)),
        (CHAIR, {"type": "attend", "person": "kwame", "present": None}, c.SetPresence("kwame", True)),
        (ROSA, {"type": "raise_hand"}, c.RaiseHand("rosa", "speech")),
        (CHAIR, {"type": "raise_hand", "person": "kwame", "kind": "reply"}, c.RaiseHand("kwame", "reply")),
        (ROSA, {"type": "lower_hand", "entry": 3, "by": "ama"}, c.LowerHand(3, "rosa")),  # by: from the link
        (CHAIR, {"type": "lower_hand", "entry": 3}, c.LowerHand(3, None)),
        (CHAIR, {"type": "grant_floor"}, c.GrantFloor(None)),
        (CHAIR, {"type": "grant_floor", "entry": 2}, c.GrantFloor(2)),
        (ROSA, {"type": "end_speech"}, c.EndSpeech("rosa")),
        (CHAIR, {"type": "extend_time", "seconds": 30}, c.ExtendTime(30)),
        (CHAIR, {"type": "reorder", "order": [3, 1]}, c.Reorder((3, 1))),
        (CHAIR, {"type": "close_list"}, c.SetListOpen(False)),
        (CHAIR, {"type": "reopen_list"}, c.SetListOpen(True)),
        (CHAIR, {"type": "set_floor_language", "language": "fr"}, c.SetFloorLanguage("fr", None)),
        (ROSA, {"type": "propose_demand", "language": "es", "text": ""}, c.ProposeDemand("rosa", "es", "")),
        (ROSA, {"type": "propose_amendment", "demand": "d1", "language": "es", "text": "t"},
         c.ProposeAmendment("d1", "rosa", "es", "t")),
        (ROSA, {"type": "edit_text", "id": "d1", "text": "t"}, c.EditText("d1", "t", "rosa")),
        (LUCIA, {"type": "translate", "id": "d1", "language": "es", "text": "t"}, c.Translate("d1", "es", "t", "lucia")),
        (CHAIR, {"type": "open_ballot", "target": "d1", "quorum": 0.5, "secret": True},
         c.OpenBallot("d1", "simple", True, Decimal("0.5"))),
        (CHAIR, {"type": "open_ranking", "candidates": ["d1", "d2"]}, c.OpenRanking(("d1", "d2"))),
        (CHAIR, {"type": "close_ballot", "ballot": 2, "secret_totals": {"b2:yes": 9}}, c.CloseBallot(2, None)),
        (CHAIR, {"type": "revoke_link", "person": "rosa"}, c.RevokeLink("rosa")),
        (LUCIA, {"type": "take_booth"}, c.TakeBooth("lucia")),
        (LUCIA, {"type": "hand_over", "to": "pablo"}, c.HandOver("lucia", "pablo")),
        (LUCIA, {"type": "leave_booth"}, c.LeaveBooth("lucia")),
        (CHAIR, {"type": "set_booth", "booth": "es", "interpreter": None}, c.SetBooth("es", None)),
    ],
)  # fmt: skip
def test_each_wire_command_decodes_to_its_command(grant, raw, command):
    assert parse(grant, raw | {"unknown": [1, {"x": None}]}) == command


def test_a_vote_keeps_its_choice_nonce_and_previous_and_the_voter_is_the_link():
    v = parse(ROSA, {"type": "vote", "ballot": 1, "choice": None, "voter": "kwame"})
    assert (v.ballot, v.choice, v.voter, v.nonce, v.previous) == (1, None, "rosa", None, None)
    v = parse(ROSA, {"type": "vote", "ballot": 1, "choice": [["d1"]], "nonce": "n" * 16,
                     "previous": {"choice": "yes", "nonce": "m" * 16}})  # fmt: skip
    assert v.previous == c.Previous("yes", "m" * 16) and v.choice == [["d1"]]


@pytest.mark.parametrize(
    "raw",
    [
        {"type": "lower_hand"},
        {"type": "lower_hand", "entry": True},
        {"type": "lower_hand", "entry": 1.0},
        {"type": "lower_hand", "entry": "1"},
        {"type": "extend_time", "seconds": None},
        {"type": "reorder", "order": [1, True]},
        {"type": "reorder", "order": "1,2"},
        {"type": "raise_hand", "person": "rosa", "kind": "shout"},
        {"type": "set_floor_language", "language": "english"},
        {"type": "edit_text", "id": "d1"},
        {"type": "edit_text", "id": 1, "text": "t"},
        {"type": "open_ballot", "target": "d1", "quorum": "NaN"},
        {"type": "open_ballot", "target": "d1", "secret": "yes"},
        {"type": "open_ranking", "candidates": ["d1", 2]},
        {"type": "close_ballot"},
        {"type": "revoke_link"},
        {"type": "set_booth", "booth": "es"},
        {"type": "set_booth", "booth": "es", "interpreter": "not an id"},
        {"type": "add_person", "role": "viewer", "id": "z", "language": "en"},
        {"type": "add_person", "role": "delegate", "id": "z", "language": "en", "weight": "0"},
        {"type": "add_person", "role": "interpreter", "id": "z", "language": "en"},  # no booth
    ],
)
def test_malformed_fields_are_a_bad_command(raw):
    bad(CHAIR, raw)


@pytest.mark.parametrize(
    "raw",
    [
        {"type": "propose_demand", "text": "t"},
        {"type": "propose_demand", "language": "es"},
        {"type": "translate", "id": "d1", "text": "t"},
        {"type": "vote", "ballot": 1},
        {"type": "vote", "ballot": 1, "choice": "yes", "previous": {"choice": "no"}},
        {"type": "vote", "ballot": 1, "choice": "yes", "nonce": 5},
    ],
)
def test_a_delegates_malformed_fields_are_a_bad_command(raw):
    bad(ROSA, raw)


def test_the_chair_names_the_person_and_others_act_for_themselves():
    assert "needs person" in bad(CHAIR, {"type": "raise_hand"}).message
    bad(ROSA, {"type": "raise_hand", "person": "kwame"}, 403)
    bad(ROSA, {"type": "grant_floor"}, 403)  # the role comes before the fields
    bad(None, {"type": "attend"}, 403)  # type: ignore[arg-type]
    assert "unknown command" in bad(CHAIR, {"type": "nope"}).message
    bad(CHAIR, {"type": "tick"})  # internal commands are not on the wire
    bad(CHAIR, ["attend"])  # type: ignore[arg-type]


def test_add_person_builds_the_person_with_the_definitions_defaults():
    p = parse(CHAIR, {"type": "add_person", "role": "interpreter", "id": "z", "language": "en", "booth": "es",
                      "weight": 5, "understands": ["fr"], "accept_weight_risk": True})  # fmt: skip
    assert p.accept_weight_risk and (p.person.booth, p.person.weight, p.person.understands) == ("es", 0, ("fr",))
    assert p.person.name == "z"
