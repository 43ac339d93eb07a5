"""The browser's fold (static/assembly-model.js), speaking order included, equals the server's
(assembly/state.py, assembly/queue.py) after every event of random sessions of the core's events.
The assembly journeys through the pages are tests/e2e/test_assembly_*.py."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from assembly_meeting import PHONE

from assembly import core
from assembly.definition import parse_assembly
from assembly.state import evolve
from mayday.errors import DomainError
from mayday.events import unpack

pytestmark = pytest.mark.browser

T0 = dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC)
PEOPLE = [
    ("ngozi", "africa"),
    ("kwame", "africa"),
    ("rosa", "americas"),
    ("joao", "americas"),
    ("maria", "asia"),
    ("ana", None),
]
WORDS = ["huelga", "strike", "grève", "greve", "salario", "pay", "hours", "horas"]


def random_session(rng: random.Random) -> tuple[list[tuple[str, dict[str, Any]]], list[dict[str, Any]]]:
    """A random run of commands through the real core: the events, and the state after each one
    (projected as ``project`` does)."""
    definition = {
        "title": "Fold check",
        "languages": ["en", "es", "fr"],
        "speaking_time": {"speech": "30s", "reply": "20s", "point_of_order": "10s"},
        "queue": {
            "first_time_first": rng.random() < 0.7,
            "region_rotation": rng.random() < 0.7,
            **({"region_budget": f"{rng.choice([20, 45, 90])}s"} if rng.random() < 0.6 else {}),
        },
        "delegates": [
            {"id": pid, "weight": rng.choice([1, 2, 1.5]), "language": rng.choice(["en", "es", "fr"])}
            | ({"region": region} if region else {})
            for pid, region in PEOPLE
        ],
        "interpreters": [
            {"id": "lucia", "booth": "en"},
            {"id": "marta", "booth": "en"},
            {"id": "pedro", "booth": "es"},
        ],
    }
    delegates = [pid for pid, _ in PEOPLE]
    interpreters = ["lucia", "marta", "pedro"]
    state = core.AssemblyState()
    now = T0
    log: list[tuple[str, dict[str, Any]]] = []
    states: list[dict[str, Any]] = []

    def run(command: Any) -> None:
        nonlocal state
        try:
            events = unpack(core.decide(state, command, now)).events
        except DomainError:
            return
        for e in events:
            state = evolve(state, e.type, e.data)
            log.append((e.type, e.data))
            states.append(project(state))

    def words() -> str:
        return " ".join(rng.choices(WORDS, k=rng.randint(1, 4)))

    run(core.CreateAssembly("fold", parse_assembly(definition)))
    for _ in range(rng.randint(15, 60)):
        roll = rng.random()
        queue = list(state.queue)
        texts = list(state.texts)
        open_ballots = [b for b in state.ballots.values() if b.status == "open"]
        if rng.random() < 0.08:  # interpreters take booths; browsers go away (participant_dropped)
            if rng.random() < 0.5:
                run(core.TakeBooth(rng.choice(interpreters)))
            else:
                who = rng.choice([*interpreters, *delegates])
                run(core.Dropped(who, frozenset(rng.sample([*interpreters, *delegates], 3))))
        if roll < 0.25:
            kind = rng.choices(["speech", "reply", "point_of_order"], [6, 2, 1])[0]
            run(core.RaiseHand(rng.choice(delegates), kind))
        elif roll < 0.32:
            run(core.GrantFloor(rng.choice(queue).id if queue and rng.random() < 0.3 else None))
        elif roll < 0.40:
            now += dt.timedelta(seconds=rng.randint(5, 45))
            run(core.Tick() if rng.random() < 0.5 else core.EndSpeech())
        elif roll < 0.43:
            run(core.ExtendTime(rng.choice([30, 60])))
        elif roll < 0.48 and queue:
            ids = [e.id for e in queue]
            rng.shuffle(ids)
            run(core.Reorder(tuple(ids[: rng.randint(1, len(ids))])))
        elif roll < 0.51 and queue:
            run(core.LowerHand(rng.choice(queue).id, None))
        elif roll < 0.53:
            run(core.SetListOpen(rng.random() < 0.5))
        elif roll < 0.56:
            run(core.SetPresence(rng.choice(delegates), rng.random() < 0.7))
        elif roll < 0.62:
            run(core.ProposeDemand(rng.choice(delegates), rng.choice(["en", "es", "fr"]), words()))
        elif roll < 0.66 and texts:
            run(
                core.ProposeAmendment(rng.choice(texts), rng.choice(delegates), rng.choice(["en", "es", "fr"]), words())
            )
        elif roll < 0.72 and texts:
            t = state.texts[rng.choice(texts)]
            run(core.Translate(t.id, rng.choice(["en", "es", "fr"]), words(), rng.choice(["lucia", t.proposer])))
        elif roll < 0.76 and texts:
            t = state.texts[rng.choice(texts)]
            run(core.EditText(t.id, words(), rng.choice([None, t.proposer])))
        elif roll < 0.82 and texts:
            run(
                core.OpenBallot(
                    rng.choice(texts), rng.choice(["simple", "two_thirds"]), rng.random() < 0.3, accept_weight_risk=True
                )
            )
        elif roll < 0.93 and open_ballots:
            b = rng.choice(open_ballots)
            voter = rng.choice(delegates)
            if b.secret:
                run(core.CastSecretVote(b.id, voter, change=voter in b.voters))
            else:
                run(core.CastVote(b.id, voter, rng.choice(["yes", "no", "abstain"])))
        elif open_ballots:
            b = rng.choice(open_ballots)
            totals: dict[str, int] = {}  # what the secret counters would hold: each voter's weight once
            for voter in b.voters:
                key = f"b{b.id}:{rng.choice(['yes', 'no', 'abstain'])}"
                totals[key] = totals.get(key, 0) + int(state.people[voter].weight * 1000)
            run(core.CloseBallot(b.id, totals if b.secret else None))
    return log, states


def amendment_session() -> tuple[list[tuple[str, dict[str, Any]]], list[dict[str, Any]]]:
    """A Spanish demand with an English translation, amended in English: the adopted amendment
    makes English the original, and the translation into English goes."""
    definition = {
        "title": "Amendment check",
        "languages": ["en", "es"],
        "delegates": [{"id": "rosa", "language": "es"}, {"id": "ngozi", "language": "en"}],
        "interpreters": [{"id": "lucia", "booth": "en"}],
    }
    state = core.AssemblyState()
    log: list[tuple[str, dict[str, Any]]] = []
    states: list[dict[str, Any]] = []
    for command in (
        core.CreateAssembly("amend", parse_assembly(definition)),
        core.ProposeDemand("rosa", "es", "Jornada de 35 horas"),
        core.Translate("d1", "en", "A 35-hour week", "lucia"),
        core.ProposeAmendment("d1", "ngozi", "en", "A 32-hour week"),
        core.OpenBallot("a1"),
        core.CastVote(1, "rosa", "yes"),
        core.CastVote(1, "ngozi", "yes"),
        core.CloseBallot(1),
    ):
        for e in unpack(core.decide(state, command, T0)).events:
            state = evolve(state, e.type, e.data)
            log.append((e.type, e.data))
            states.append(project(state))
    assert state.texts["d1"].language == "en" and "en" not in state.texts["d1"].translations
    return log, states


def project(state: Any) -> dict[str, Any]:
    """What the pages show, from the server's state (PROJECT below does the same in the browser)."""
    f = state.floor
    return {
        "order": [e.id for e in state.order()],
        "present": sorted(state.present),
        "list_open": state.list_open,
        "floor": None if f is None else [f.entry, f.person, f.kind, f.overtime],
        "floor_language": state.floor_language,
        "booths": dict(sorted(state.booths.items())),
        "spoken": dict(sorted(state.spoken.items())),
        "region_spent": dict(sorted(state.region_spent.items())),
        "texts": {
            tid: [
                t.language,
                t.text,
                t.rev,
                t.status,
                t.demand,
                {k: v.source_rev for k, v in sorted(t.translations.items())},
            ]
            for tid, t in sorted(state.texts.items())
        },
        "ballots": {
            str(b.id): [b.kind, b.target, b.status, b.secret, sorted(b.voters), dict(sorted(b.votes.items())), b.result]
            for b in state.ballots.values()
        },
    }


FOLD_AND_PROJECT = """async (sessions) => {
  const m = await import("/static/assembly-model.js");
  const sorted = (entries) => Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const project = (s) => ({
    order: m.speakingOrder(s).map((e) => e.id),
    present: [...s.present].sort(),
    list_open: s.listOpen,
    floor: s.floor && [s.floor.entry, s.floor.person, s.floor.kind, s.floor.overtime],
    floor_language: s.floorLanguage,
    booths: sorted(s.booths),
    spoken: sorted(s.spoken),
    region_spent: sorted(s.regionSpent),
    texts: sorted([...s.texts].map(([id, t]) => [id, [t.language, t.text, t.rev, t.status, t.demand,
      sorted([...t.translations].map(([k, v]) => [k, v.sourceRev]))]])),
    ballots: Object.fromEntries([...s.ballots].map(([id, b]) => [String(id), [b.kind, b.target, b.status, b.secret,
      [...b.voters].sort(), sorted(b.votes), b.result]])),
  });
  return sessions.map((events) => {
    const model = m.emptyModel();
    return events.map(([type, data], i) => {
      const r = m.applyEvent(model, i + 1, type, data);
      if (r !== "ok") throw new Error(`event ${i + 1}: ${r}`);
      return project(model);
    });
  });
}"""


def test_browser_fold_matches_the_server(mayday_server, open_page, page_log) -> None:
    """static/assembly-model.js folds the core's own events to the same state, speaking order and
    booths included (interpreters taking booths, people dropping: participant_dropped), as
    assembly/state.py and assembly/queue.py, after every event of random sessions."""
    rng = random.Random(20270501)
    sessions = [amendment_session(), *(random_session(rng) for _ in range(120))]
    page = open_page(f"{mayday_server.base}/", *PHONE)
    got = page.evaluate(FOLD_AND_PROJECT, [log for log, _ in sessions])
    compared = 0
    kinds: set[str] = set()
    for (log, want), have in zip(sessions, got, strict=True):
        for i, (w, h) in enumerate(zip(want, have, strict=True)):
            assert w == h, f"after {log[i][0]} {log[i][1]}:\nserver  {w}\nbrowser {h}"
            compared += 1
            kinds.add(log[i][0])
    assert compared > 3000
    # every kind of event the sessions can produce was compared at least once
    assert kinds >= {
        "hand_raised", "hand_lowered", "floor_granted", "speech_ended", "time_extended", "floor_overtime",
        "queue_reordered", "list_closed", "list_reopened", "presence_changed", "demand_proposed",
        "amendment_proposed", "translation_added", "text_edited", "ballot_opened", "vote_cast",
        "ballot_voted", "ballot_closed", "text_decided", "booth_active_set", "participant_dropped",
    }, kinds  # fmt: skip
    assert page_log.errors == []
