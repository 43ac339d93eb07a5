"""Golden events: one scripted session through the pure core, covering every command, compared
with the (type, data) list committed in golden_events.json. A refactor of the core, its commands,
events or state must leave this list identical (the log is the contract: stored events are
replayed by every later version). Regenerate only for a deliberate change of the log's content:
``GOLDEN_WRITE=1 pytest tests/assembly/test_golden_events.py``."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

from assembly_driver import DEFINITION as BASE
from assembly_driver import Driver

from assembly import core
from assembly.definition import Person
from assembly.minutes import minutes_json

GOLDEN = Path(__file__).with_name("golden_events.json")
GOLDEN_FOLD = Path(__file__).with_name("golden_fold.json")  # the minutes of the final state: pins evolve

DEFINITION = BASE | {
    "title": "Golden assembly",
    "languages": ["en", "es", "fr", "pt"],
    "interpreters": [
        {"id": "lucia", "name": "Lucía", "booth": "es", "understands": ["en", "pt"]},
        {"id": "pablo", "name": "Pablo", "booth": "es", "understands": ["en"]},
    ],
}


def secret_totals(drive: Driver, ballot: int, votes: dict[str, object]) -> dict[str, int]:
    """The counters the shell's secret store would hold for these final votes."""
    from assembly import secret

    b = drive.state.ballots[ballot]
    totals: dict[str, int] = dict.fromkeys(secret.counters(ballot, b.kind, b.candidates), 0)
    for voter, choice in votes.items():
        w = core.milli(drive.state.people[voter].weight)
        for k, v in secret.increments(ballot, b.kind, b.candidates, choice, +1, w).items():
            totals[k] += v
    return totals


def session() -> Driver:
    d = Driver(DEFINITION)
    step = d.advance
    # presence and the queue
    for p in ("ngozi", "kwame", "rosa"):
        d(core.SetPresence(p, True))
    d(core.SetPresence("kwame", False))
    d(core.SetPresence("kwame", True))
    step(5)
    d(core.RaiseHand("ngozi"))
    d(core.RaiseHand("rosa", "reply"))
    d(core.RaiseHand("joao"))  # absent: arrives with the hand
    d(core.RaiseHand("maria", "point_of_order"))
    d(core.LowerHand(4, "maria"))
    d(core.RaiseHand("maria"))
    d(core.LowerHand(5, None))
    d(core.Reorder((3, 1, 2)))
    d(core.SetListOpen(False))
    d(core.RaiseHand("kwame", "point_of_order"))
    d(core.SetListOpen(True))
    # the floor, over time, extensions, the floor language
    step(3)
    d(core.GrantFloor())
    d(core.SetFloorLanguage("pt", d.state.floor.person))
    step(130)
    d(core.Tick())
    d(core.ExtendTime(30))
    step(40)
    d(core.Tick())
    d(core.GrantFloor(d.state.order()[-1].id))  # ends the speech (by the chair), grants the last in order
    step(20)
    d(core.SetFloorLanguage("en"))
    d(core.EndSpeech(d.state.floor.person))
    d(core.GrantFloor())
    step(10)
    d(core.EndSpeech())
    # interpretation booths
    d(core.TakeBooth("lucia"))
    d(core.HandOver("lucia"))
    d(core.HandOver("pablo", "lucia"))
    d(core.LeaveBooth("lucia"))
    d(core.SetBooth("es", "pablo"))
    d(core.SetBooth("es", None))
    # demands, translations (then stale), edits, amendments
    step(60)
    d(core.ProposeDemand("ngozi", "en", "  A living wage for every worker  "))
    d(core.ProposeDemand("rosa", "es", "Jornada de 35 horas"))
    d(core.ProposeDemand("kwame", "fr", "Des contrats stables"))
    d(core.Translate("d1", "es", "Un salario digno para cada trabajador", "lucia"))
    d(core.Translate("d2", "en", "A 35-hour week", "rosa"))
    d(core.EditText("d1", "A living wage for every worker, indexed", "ngozi"))  # es translation stale
    d(core.EditText("d2", "Jornada de 35 horas semanales", None))
    d(core.ProposeAmendment("d1", "maria", "en", "A living wage, indexed to prices"))
    d(core.ProposeAmendment("d1", "joao", "pt", "Um salário digno, indexado"))
    d(core.EditText("a1", "A living wage, indexed to prices yearly", "maria"))
    # an open ballot with a changed vote, on an amendment (adopted: rewrites the demand)
    step(30)
    d(core.OpenBallot("a1"))
    for voter, choice in (("ngozi", "yes"), ("kwame", "no"), ("rosa", "yes"), ("kwame", "yes"), ("maria", "abstain")):
        d(core.CastVote(1, voter, choice))
    d(core.CastVote(1, "maria", "abstain"))  # the same vote again: nothing
    step(30)
    d(core.CloseBallot(1))
    # a secret ballot (weights at risk, accepted) with a changed vote; two thirds and a quorum
    d(core.OpenBallot("d1", majority="two_thirds", secret=True, quorum=Decimal("0.4"), accept_weight_risk=True))
    d(core.CastSecretVote(2, "ngozi"))
    d(core.CastSecretVote(2, "rosa"))
    d(core.CastSecretVote(2, "ngozi", change=True))
    # a delegate of a rare weight added while it is open (accepted), an interpreter, a chair
    d(core.AddPerson(Person("ines", "delegate", "Inês", "pt", "lis", "europe", Decimal("3")), accept_weight_risk=True))
    d(core.AddPerson(Person("hana", "interpreter", "Hana", "fr", booth="fr", understands=("en", "es"))))
    d(core.AddPerson(Person("bo", "chair", "Bo", "en")))
    d(core.CastSecretVote(2, "ines"))
    step(30)
    d(core.CloseBallot(2, secret_totals(d, 2, {"ngozi": "yes", "rosa": "no", "ines": "yes"})))
    # no quorum: an open ballot with few voters, then the text can be voted on again
    d(core.OpenBallot("d2", quorum=Decimal("0.9")))
    d(core.CastVote(3, "rosa", "yes"))
    d(core.CloseBallot(3))
    d(core.OpenBallot("d2"))
    for voter in ("ngozi", "kwame", "rosa", "joao"):
        d(core.CastVote(4, voter, "yes"))
    d(core.CloseBallot(4))
    d(core.OpenBallot("d3", secret=True, accept_weight_risk=True))
    d(core.CastSecretVote(5, "kwame"))
    d(core.CloseBallot(5, secret_totals(d, 5, {"kwame": "yes"})))
    d(core.OpenBallot("d3"))
    for voter, choice in (("ngozi", "yes"), ("kwame", "yes"), ("rosa", "no"), ("maria", "yes"), ("ines", "yes")):
        d(core.CastVote(6, voter, choice))
    d(core.CloseBallot(6))
    # rankings: open (with a changed ranking), then secret
    d(core.OpenRanking())
    d(core.CastVote(7, "ngozi", [["d1"], ["d2", "d3"]]))
    d(core.CastVote(7, "rosa", [["d2"], ["d1"], ["d3"]]))
    d(core.CastVote(7, "kwame", ["d3", "d1"]))
    d(core.CastVote(7, "rosa", [["d2"], ["d3"], ["d1"]]))
    d(core.CloseBallot(7))
    d(core.OpenRanking(("d3", "d1"), secret=True, accept_weight_risk=True))
    d(core.CastSecretVote(8, "maria"))
    d(core.CastSecretVote(8, "joao"))
    d(core.CloseBallot(8, secret_totals(d, 8, {"maria": [["d3"], ["d1"]], "joao": [["d1"], ["d3"]]})))
    # revocation (of a live interpreter: the booth goes with the link), drops
    d(core.TakeBooth("hana"))
    d(core.RevokeLink("hana"))
    d(core.RevokeLink("kwame"))
    d(core.TakeBooth("lucia"))
    d(core.Dropped("lucia", frozenset({"pablo"})))
    d(core.Dropped("pablo"))
    d(core.RaiseHand("ines"))
    d(core.GrantFloor())
    step(12.34)
    d(core.Dropped(d.state.floor.person))
    d(core.Dropped("maria"))  # neither live nor speaking: nothing
    d(core.SetPresence("maria", False))
    return d


def canonical(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def check(path: Path, text: str) -> None:
    if os.environ.get("GOLDEN_WRITE"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_the_scripted_session_produces_the_golden_events():
    check(GOLDEN, canonical([[t, data] for t, data in session().log]))


def test_the_fold_of_the_golden_events_gives_the_golden_minutes():
    drive = session()
    fold = {
        "minutes": minutes_json(drive.state),
        "order": drive.order(),
        "booths": dict(drive.state.booths),
        "present": sorted(drive.state.present),
        "links": dict(drive.state.link_versions),
        "stale": {
            t.id: [lang for lang in ("en", "es", "fr", "pt") if t.stale(lang)] for t in drive.state.texts.values()
        },
        "floor": None if drive.state.floor is None else [drive.state.floor.person, drive.state.floor.overtime],
        "next": [drive.state.next_entry, drive.state.next_demand, drive.state.next_amendment, drive.state.next_ballot],
    }
    check(GOLDEN_FOLD, canonical(fold))


def test_the_golden_session_covers_every_event_type_and_command():
    types = {t for t, _ in json.loads(GOLDEN.read_text(encoding="utf-8"))}
    assert types == {
        "assembly_created", "presence_changed", "hand_raised", "hand_lowered", "floor_granted", "speech_ended",
        "time_extended", "floor_overtime", "queue_reordered", "list_closed", "list_reopened", "floor_language_set",
        "demand_proposed", "amendment_proposed", "text_edited", "translation_added", "text_decided", "ballot_opened",
        "vote_cast", "ballot_voted", "ballot_closed", "person_added", "link_revoked", "booth_active_set",
        "participant_dropped",
    }  # fmt: skip
