"""The assembly's pure core: queue rules, floor and time, demands, translations, ballots."""

from __future__ import annotations

from decimal import Decimal

import pytest
from assembly_driver import DEFINITION, Driver

from assembly import core
from assembly.state import evolve
from mayday.errors import DomainError


def refused(drive: Driver, command, code: str) -> None:
    before = drive.state
    with pytest.raises(DomainError) as e:
        drive(command)
    assert e.value.code == code
    assert drive.state is before


def test_first_come_first_served_with_rotation_and_first_timers(drive):
    for who in ("ngozi", "kwame", "rosa", "maria"):
        drive(core.RaiseHand(who))
    # Rotation: kwame (africa) must wait until another region has spoken after ngozi.
    assert drive.order() == ["ngozi", "rosa", "kwame", "maria"]
    drive(core.GrantFloor())
    assert drive.state.floor.person == "ngozi"
    drive.advance(30)
    drive(core.EndSpeech())
    drive(core.RaiseHand("ngozi"))  # a repeat speaker goes behind everyone who has not spoken
    assert drive.order() == ["rosa", "kwame", "maria", "ngozi"]


def test_points_of_order_jump_the_queue_even_when_the_list_is_closed(drive):
    drive(core.RaiseHand("ngozi"))
    drive(core.SetListOpen(False))
    refused(drive, core.RaiseHand("rosa"), "list_closed")
    drive(core.RaiseHand("rosa", "point_of_order"))
    assert drive.order() == ["rosa", "ngozi"]
    refused(drive, core.RaiseHand("rosa", "point_of_order"), "already_in_queue")
    drive(core.SetListOpen(True))
    drive(core.RaiseHand("maria", "reply"))
    assert drive.order() == ["rosa", "ngozi", "maria"]


def test_chair_reorders_removes_and_grants_a_specific_entry(drive):
    for who in ("ngozi", "rosa", "maria"):
        drive(core.RaiseHand(who))
    entries = {e.person: e.id for e in drive.state.queue}
    drive(core.Reorder((entries["maria"], entries["ngozi"])))
    assert drive.order() == ["maria", "ngozi", "rosa"]
    drive(core.LowerHand(entries["ngozi"], None))
    assert drive.order() == ["maria", "rosa"]
    refused(drive, core.LowerHand(entries["rosa"], "maria"), "not_your_entry")
    drive(core.GrantFloor(entries["rosa"]))
    assert drive.state.floor.person == "rosa" and drive.order() == ["maria"]
    refused(drive, core.Reorder((99,)), "bad_order")


def test_speaking_time_is_kept_by_the_server(drive):
    drive(core.RaiseHand("rosa"))
    (granted,) = drive(core.GrantFloor())
    assert granted.data["seconds"] == 120 and granted.data["deadline"] == "2027-05-01T12:02:00.000Z"
    assert core.next_deadline(drive.state) == drive.now + core.dt.timedelta(seconds=120)
    drive.advance(119)
    assert drive(core.Tick()) == []
    drive.advance(2)
    (over,) = drive(core.Tick())
    assert over.type == "floor_overtime" and drive.state.floor.overtime
    assert core.next_deadline(drive.state) is None
    drive(core.ExtendTime(60))
    assert not drive.state.floor.overtime
    drive.advance(30)
    refused(drive, core.EndSpeech("maria"), "not_speaking")
    (ended,) = drive(core.EndSpeech("rosa"))
    assert ended.data["seconds"] == 151 and ended.data["overtime"] is False and ended.data["region"] == "americas"
    assert drive.state.region_spent == {"americas": 151.0} and drive.state.spoken == {"rosa": 1}


def test_region_budget_sends_a_spent_region_to_the_back():
    definition = DEFINITION | {"queue": {"first_time_first": False, "region_budget": "1m"}}
    drive = Driver(definition)
    drive(core.RaiseHand("ngozi"))
    drive(core.GrantFloor())
    drive.advance(61)
    drive(core.EndSpeech())
    drive(core.RaiseHand("kwame"))  # africa has used its minute
    drive(core.RaiseHand("rosa"))
    assert drive.order() == ["rosa", "kwame"]


def test_demands_translations_go_stale_when_the_source_changes(drive):
    drive(core.ProposeDemand("rosa", "es", "Salario mínimo vital"))
    refused(drive, core.ProposeDemand("lucia", "es", "x"), "not_a_delegate")
    refused(drive, core.ProposeDemand("rosa", "de", "x"), "unknown_language")
    refused(drive, core.Translate("d1", "en", "Living wage", "maria"), "not_translator")
    refused(drive, core.Translate("d1", "es", "Otra", "lucia"), "same_language")
    drive(core.Translate("d1", "en", "A living minimum wage", "lucia"))
    drive(core.Translate("d1", "pt", "Salário mínimo vital", "rosa"))  # the proposer may translate
    d = drive.state.texts["d1"]
    assert not d.stale("en") and not d.stale("pt")
    refused(drive, core.EditText("d1", "x", "maria"), "not_yours")
    drive(core.EditText("d1", "Salario mínimo vital y móvil", "rosa"))
    d = drive.state.texts["d1"]
    assert d.rev == 2 and d.stale("en") and d.stale("pt") and len(d.history) == 2


def test_an_adopted_amendment_replaces_the_demand_text(drive):
    drive(core.ProposeDemand("rosa", "es", "Salario mínimo"))
    drive(core.ProposeAmendment("d1", "maria", "en", "A living wage indexed to prices"))
    drive(core.OpenBallot("a1"))
    refused(drive, core.EditText("d1", "changed", "rosa"), "not_open")  # the demand is under a ballot
    for voter in ("ngozi", "kwame", "rosa", "maria"):
        drive(core.CastVote(1, voter, "yes"))
    drive(core.CloseBallot(1))
    d, a = drive.state.texts["d1"], drive.state.texts["a1"]
    assert a.status == "adopted" and d.status == "proposed"
    assert (d.text, d.language, d.rev) == ("A living wage indexed to prices", "en", 2)
    assert d.history[-1]["by"] == "amendment a1"


def test_open_ballot_weights_quorum_and_replacing_a_vote(drive):
    drive(core.ProposeDemand("rosa", "es", "Salario mínimo"))
    for who in ("ngozi", "kwame", "rosa", "joao", "maria"):
        drive(core.SetPresence(who, True))
    drive(core.OpenBallot("d1", "two_thirds"))
    refused(drive, core.CastVote(1, "lucia", "yes"), "not_a_delegate")
    refused(drive, core.CastVote(1, "rosa", "maybe"), "bad_choice")
    refused(drive, core.CastSecretVote(1, "rosa"), "open_ballot")
    drive(core.CastVote(1, "ngozi", "no"))
    drive(core.CastVote(1, "ngozi", "yes"))  # replaces
    assert drive(core.CastVote(1, "ngozi", "yes")) == []  # same again: nothing new
    drive(core.CastVote(1, "joao", "yes"))
    drive(core.CastVote(1, "rosa", "no"))
    drive(core.CastVote(1, "kwame", "abstain"))
    (closed, decided) = drive(core.CloseBallot(1))
    r = closed.data["result"]
    # yes 2 + 1.5 = 3.5, no 1: 3.5 >= 2/3 * 4.5 = 3; present weight 6.5, taking part 5.5 >= 3.25
    assert (r["yes"], r["no"], r["abstain"], r["cast"], r["present_weight"]) == (3.5, 1, 1, 4.5, 6.5)
    assert r["quorum_met"] and r["outcome"] == "adopted" and decided.data["status"] == "adopted"
    refused(drive, core.CastVote(1, "maria", "yes"), "ballot_closed")
    refused(drive, core.OpenBallot("d1"), "not_open")


def test_no_quorum_decides_nothing_and_the_text_can_be_voted_on_again(drive):
    drive(core.ProposeDemand("rosa", "es", "x"))
    for who in ("ngozi", "kwame", "rosa", "joao", "maria"):
        drive(core.SetPresence(who, True))
    drive(core.OpenBallot("d1", quorum=Decimal("0.75")))
    drive(core.CastVote(1, "ngozi", "yes"))
    (closed, decided) = drive(core.CloseBallot(1))
    # "No quorum", not "rejected": nothing was decided.
    assert closed.data["result"]["outcome"] == "no_quorum" and decided.data["status"] == "no_quorum"
    drive(core.EditText("d1", "x, clearer", "rosa"))
    drive(core.OpenBallot("d1"))
    for who in ("ngozi", "kwame", "rosa", "joao"):
        drive(core.CastVote(2, who, "yes"))
    (_, decided) = drive(core.CloseBallot(2))
    assert decided.data["status"] == "adopted"


def test_secret_ballot_events_never_carry_a_choice(drive):
    drive(core.ProposeDemand("rosa", "es", "x"))
    drive(core.OpenBallot("d1", secret=True, accept_weight_risk=True))
    (voted,) = drive(core.CastSecretVote(1, "rosa"))[-1:]
    assert voted.data == {"ballot": 1, "voter": "rosa"}
    refused(drive, core.CastSecretVote(1, "rosa"), "already_voted")
    refused(drive, core.CastSecretVote(1, "maria", change=True), "no_vote_to_change")
    drive(core.CastSecretVote(1, "rosa", change=True))
    refused(drive, core.CastVote(1, "maria", "yes"), "secret_ballot")
    refused(drive, core.CloseBallot(1), "internal")  # a secret ballot closes only with its totals
    (closed, _) = drive(core.CloseBallot(1, {"b1:yes": 1000}))
    assert closed.data["result"]["yes"] == 1 and closed.data["voters"] == 1
    for type_, data in drive.log:
        if data.get("voter"):
            assert "choice" not in data and "weight" not in data and "at" not in data, type_
    # Nor does the presence a first vote brings carry a time (it would time the vote).
    assert [d for t, d in drive.log if t == "presence_changed"] == [{"person": "rosa", "present": True}]


def test_ranking_ballot_counts_with_schulze(drive):
    for i, text in enumerate(("Living wage", "40-hour week", "Union rights")):
        drive(core.ProposeDemand("rosa", "es", text))
        drive(core.OpenBallot(f"d{i + 1}"))
        drive(core.CastVote(i + 1, "rosa", "yes"))
        drive(core.CloseBallot(i + 1))
    refused(drive, core.OpenRanking(("d1",)), "bad_candidates")
    drive(core.OpenRanking())
    ballot = drive.state.ballots[4]
    assert ballot.candidates == ("d1", "d2", "d3")
    drive(core.CastVote(4, "ngozi", [["d3"], ["d1"], ["d2"]]))  # weight 2
    drive(core.CastVote(4, "rosa", "d1 > d2 > d3"))
    drive(core.CastVote(4, "maria", [["d1", "d2"]]))  # a tie; d3 unranked, so last
    refused(drive, core.CastVote(4, "kwame", [["d9"]]), "bad_choice")
    (closed,) = drive(core.CloseBallot(4))
    r = closed.data["result"]
    # d1 over d2: rosa + ngozi = 3; d2 over d1: 0. d1 over d3: rosa + maria = 2; d3 over d1: ngozi 2.
    assert r["pairwise"]["d1"]["d2"] == 3 and r["pairwise"]["d3"]["d1"] == 2 and r["pairwise"]["d1"]["d3"] == 2
    # d1-d3 and d2-d3 are 2:2 ties, d1 beats d2: d1 and d3 share the first tier.
    assert r["ranking"] == [["d1", "d3"], ["d2"]]


def test_people_added_and_links_revoked_by_the_chair(drive):
    from assembly.definition import Person

    drive(core.AddPerson(Person("zainab", "delegate", "Zainab", "ar", "cai", "africa", Decimal(1))))
    assert drive.state.person("zainab").region == "africa"
    refused(drive, core.AddPerson(Person("zainab", "delegate", "Z", "ar")), "person_exists")
    drive(core.RevokeLink("zainab"))
    assert drive.state.link_versions == {"zainab": 1}


def test_replay_from_the_log_gives_the_same_state(drive):
    drive(core.RaiseHand("ngozi"))
    drive(core.GrantFloor())
    drive(core.ProposeDemand("rosa", "es", "x"))
    drive(core.OpenBallot("d1", secret=True, accept_weight_risk=True))
    drive(core.CastSecretVote(1, "maria"))
    state = core.AssemblyState()
    for type_, data in drive.log:
        state = evolve(state, type_, data)
    assert state == drive.state


def test_an_amendment_in_another_language_becomes_the_original(drive):
    drive(core.ProposeDemand("rosa", "es", "Salario mínimo"))
    drive(core.Translate("d1", "en", "Minimum wage", "lucia"))
    drive(core.Translate("d1", "pt", "Salário mínimo", "rosa"))
    drive(core.ProposeAmendment("d1", "maria", "en", "A living wage"))
    drive(core.OpenBallot("a1"))
    drive(core.CastVote(1, "maria", "yes"))
    drive(core.CloseBallot(1))
    d = drive.state.texts["d1"]
    assert (d.language, d.text) == ("en", "A living wage")
    assert set(d.translations) == {"pt"} and d.stale("pt")  # no "translation" into the original's language


def test_one_speaking_time_for_all_kinds():
    drive = Driver(DEFINITION | {"speaking_time": 90.5})
    assert set(drive.state.definition.speaking_time.values()) == {core.dt.timedelta(seconds=90.5)}
    drive(core.RaiseHand("rosa", "point_of_order"))
    (granted,) = drive(core.GrantFloor())
    assert granted.data["seconds"] == 90.5 and granted.data["deadline"] == "2027-05-01T12:01:30.500Z"
