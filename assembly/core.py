"""The assembly as a pure state machine: ``decide(state, command, now) -> events``, with no
clock, I/O or loop. The commands are in assembly/commands.py; the state and ``evolve`` (the fold)
in assembly/state.py.

It holds the speaker queue and the floor, the interpretation booths (who is live in each),
demands with their translations and amendments, and ballots. A secret ballot's choices never
reach the log: a secret vote's handler returns "X has voted" as its event and the choice as a
side write of counters (assembly/secret.py), which the shell commits with it; the close is
decided on the counters' totals, which the shell reads at the state's offset.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from fractions import Fraction
from typing import Any

from assembly import events as E
from assembly import secret

# The command classes, also as core.<Command> for the shell and tests.
from assembly.commands import (
    AddPerson,
    CastSecretVote,
    CastVote,
    CloseBallot,
    CreateAssembly,
    Dropped,
    EditText,
    EndSpeech,
    ExtendTime,
    GrantFloor,
    HandOver,
    LeaveBooth,
    LowerHand,
    OpenBallot,
    OpenRanking,
    ProposeAmendment,
    ProposeDemand,
    RaiseHand,
    Reorder,
    RevokeLink,
    SetBooth,
    SetFloorLanguage,
    SetListOpen,
    SetPresence,
    TakeBooth,
    Tick,
    Translate,
    Vote,
)
from assembly.definition import KINDS, Person, assembly_to_json, person_to_json
from assembly.schulze import (
    BallotError,
    normalise_ranking,
    pairwise,
    path_opposition,
    ranking_from_paths,
    strongest_paths,
)
from assembly.secret import choice_counter, pair_counter
from assembly.state import AssemblyState, Ballot, Entry, Text
from assembly.tally import CHOICES, MILLI, milli, plain, tally_motion
from mayday.clock import iso
from mayday.definitions import seconds
from mayday.errors import DomainError
from mayday.events import Decided

MAX_TEXT = 4000


def _err(code: str, message: str) -> DomainError:
    return DomainError(code, message)


def _text_arg(text: Any, what: str = "text") -> str:
    if not isinstance(text, str) or not text.strip():
        raise _err("empty_text", f"the {what} is empty")
    if len(text) > MAX_TEXT:
        raise _err("text_too_long", f"the {what} is longer than {MAX_TEXT} characters")
    return text.strip()


def _language(state: AssemblyState, language: str) -> str:
    assert state.definition is not None
    if language not in state.definition.languages:
        raise _err("unknown_language", f"{language!r} is not one of {list(state.definition.languages)}")
    return language


def _delegate(state: AssemblyState, pid: str) -> Person:
    p = state.person(pid)
    if p is None or p.role != "delegate":
        raise _err("not_a_delegate", f"{pid!r} is not a delegate of this assembly")
    return p


def _text(state: AssemblyState, tid: str) -> Text:
    t = state.texts.get(tid)
    if t is None:
        raise _err("unknown_text", f"no demand or amendment {tid!r}")
    return t


def _open_ballot_on(state: AssemblyState, tid: str) -> Ballot | None:
    """An open ballot on this text, on one of its amendments, or ranking it."""

    def about(b: Ballot) -> bool:
        target = state.texts.get(b.target) if b.target else None
        return b.target == tid or (target is not None and target.demand == tid) or tid in b.candidates

    return next((b for b in state.ballots.values() if b.status == "open" and about(b)), None)


def _ballot(state: AssemblyState, bid: int) -> Ballot:
    b = state.ballots.get(bid)
    if b is None:
        raise _err("unknown_ballot", f"no ballot {bid}")
    if b.status != "open":
        raise _err("ballot_closed", f"ballot {bid} is closed")
    return b


OPEN_STATUSES = ("proposed", "no_quorum")  # a text that can still be amended, edited and voted on


def decide(state: AssemblyState, command: Any, now: dt.datetime) -> list[E.Event] | Decided:
    """The events ``command`` produces at ``now`` (with a side write for a secret ballot's
    opening, vote and close); raises DomainError to refuse (nothing appended)."""
    if isinstance(command, CreateAssembly):
        if state.created:
            raise _err("assembly_exists", "this assembly already exists")
        return [E.AssemblyCreated(assembly=command.assembly_id, definition=assembly_to_json(command.definition))]
    if not state.created:
        raise _err("not_found", "no such assembly")
    rule = table.TABLE.get(type(command))
    if rule is None:
        raise _err("unknown_command", f"unknown command {type(command).__name__}")
    return rule.handler(state, command, now)


def tick(state: AssemblyState, c: Tick, now: dt.datetime) -> list[E.Event]:
    f = state.floor
    if f is None or f.overtime or now < f.deadline:
        return []
    return [E.FloorOvertime(entry=f.entry, person=f.person, at=iso(now))]


def _arrived(person: str) -> E.Event:
    """An absent delegate who raises a hand or votes is present from now on."""
    return E.PresenceChanged(person=person, present=True)


# presence_changed carries no time: the one a first vote brings sits right before that vote's
# "has voted", so its time would be the time of a secret vote.
def presence(state: AssemblyState, c: SetPresence, now: dt.datetime) -> list[E.Event]:
    p = state.person(c.person)
    if p is None:
        raise _err("unknown_person", f"no participant {c.person!r}")
    if (c.person in state.present) == c.present:
        return []
    return [E.PresenceChanged(person=c.person, present=c.present)]


def raise_hand(state: AssemblyState, c: RaiseHand, now: dt.datetime) -> list[E.Event]:
    _delegate(state, c.person)
    if c.kind not in KINDS:
        raise _err("bad_kind", f"kind must be one of {list(KINDS)}")
    if not state.list_open and c.kind != "point_of_order":
        raise _err("list_closed", "the list of speakers is closed (points of order are still taken)")
    if any(e.person == c.person and e.kind == c.kind for e in state.queue):
        raise _err("already_in_queue", f"{c.person} already asked for a {c.kind.replace('_', ' ')}")
    events = []
    if c.person not in state.present:
        events.append(_arrived(c.person))
    event = E.HandRaised(entry=state.next_entry, person=c.person, kind=c.kind, at=iso(now))
    return [*events, event]


def _entry(state: AssemblyState, eid: int) -> Entry:
    e = next((e for e in state.queue if e.id == eid), None)
    if e is None:
        raise _err("unknown_entry", f"no entry {eid} in the queue")
    return e


def lower_hand(state: AssemblyState, c: LowerHand, now: dt.datetime) -> list[E.Event]:
    e = _entry(state, c.entry)
    if c.by is not None and e.person != c.by:
        raise _err("not_your_entry", "you can only lower your own hand")
    return [E.HandLowered(entry=e.id, person=e.person, by=c.by or "chair", at=iso(now))]


def _end(state: AssemblyState, now: dt.datetime, by: str) -> E.Event:
    f = state.floor
    assert f is not None and state.definition is not None
    p = state.person(f.person)
    seconds = round((now - f.started).total_seconds(), 1)
    return E.SpeechEnded(
        entry=f.entry,
        person=f.person,
        region=p.region if p else None,
        kind=f.kind,
        started=iso(f.started),
        at=iso(now),
        seconds=seconds,
        overtime=now > f.deadline,
        by=by,
    )


def grant_floor(state: AssemblyState, c: GrantFloor, now: dt.datetime) -> list[E.Event]:
    assert state.definition is not None
    if c.entry is None:
        order = state.order()
        if not order:
            raise _err("queue_empty", "nobody is waiting to speak")
        e = order[0]
    else:
        e = _entry(state, c.entry)
    events = [_end(state, now, "chair")] if state.floor else []
    allowed = state.definition.speaking_time[e.kind]
    event = E.FloorGranted(
        entry=e.id,
        person=e.person,
        kind=e.kind,
        at=iso(now),
        seconds=seconds(allowed),
        deadline=iso(now + allowed),
    )
    return [*events, event]


def end_speech(state: AssemblyState, c: EndSpeech, now: dt.datetime) -> list[E.Event]:
    if state.floor is None:
        raise _err("floor_empty", "nobody has the floor")
    if c.by is not None and c.by != state.floor.person:
        raise _err("not_speaking", "only the speaker or the chair can end the speech")
    return [_end(state, now, c.by or "chair")]


def extend_time(state: AssemblyState, c: ExtendTime, now: dt.datetime) -> list[E.Event]:
    f = state.floor
    if f is None:
        raise _err("floor_empty", "nobody has the floor")
    if not 5 <= c.seconds <= 3600:
        raise _err("bad_extension", "extend by 5 s to 1 h")
    deadline = max(f.deadline, now) + dt.timedelta(seconds=c.seconds)
    return [E.TimeExtended(entry=f.entry, seconds=c.seconds, deadline=iso(deadline))]


def reorder(state: AssemblyState, c: Reorder, now: dt.datetime) -> list[E.Event]:
    ids = {e.id for e in state.queue}
    if len(set(c.order)) != len(c.order) or not set(c.order) <= ids:
        raise _err("bad_order", "the order must list entries in the queue, each once")
    return [E.QueueReordered(order=list(c.order), at=iso(now))]


def set_list_open(state: AssemblyState, c: SetListOpen, now: dt.datetime) -> list[E.Event]:
    if state.list_open == c.open:
        return []
    return [E.ListReopened(at=iso(now)) if c.open else E.ListClosed(at=iso(now))]


def set_floor_language(state: AssemblyState, c: SetFloorLanguage, now: dt.datetime) -> list[E.Event]:
    _language(state, c.language)
    if c.by is not None and (state.floor is None or state.floor.person != c.by):
        raise _err("not_speaking", "only the speaker or the chair sets the floor language")
    if state.floor_language == c.language:
        return []
    return [E.FloorLanguageSet(language=c.language, by=c.by or "chair")]


def propose_demand(state: AssemblyState, c: ProposeDemand, now: dt.datetime) -> list[E.Event]:
    _delegate(state, c.person)
    event = E.DemandProposed(
        id=f"d{state.next_demand}",
        proposer=c.person,
        language=_language(state, c.language),
        text=_text_arg(c.text),
        at=iso(now),
    )
    return [event]


def propose_amendment(state: AssemblyState, c: ProposeAmendment, now: dt.datetime) -> list[E.Event]:
    _delegate(state, c.person)
    d = _text(state, c.demand)
    if d.demand is not None:
        raise _err("bad_target", "amend a demand, not an amendment")
    if d.status not in OPEN_STATUSES:
        raise _err("not_open", f"{d.id} is {d.status}; only proposed demands can be amended")
    event = E.AmendmentProposed(
        id=f"a{state.next_amendment}",
        demand=d.id,
        proposer=c.person,
        language=_language(state, c.language),
        text=_text_arg(c.text),
        at=iso(now),
    )
    return [event]


def edit_text(state: AssemblyState, c: EditText, now: dt.datetime) -> list[E.Event]:
    t = _text(state, c.target)
    if c.by is not None and c.by != t.proposer:
        raise _err("not_yours", "only the proposer or the chair can edit this text")
    if t.status not in OPEN_STATUSES or _open_ballot_on(state, t.id):
        raise _err("not_open", f"{t.id} cannot change now (being voted on, or already decided)")
    text = _text_arg(c.text)
    if text == t.text:
        return []
    event = E.TextEdited(id=t.id, rev=t.rev + 1, text=text, by=c.by or "chair", at=iso(now))
    return [event]


def translate(state: AssemblyState, c: Translate, now: dt.datetime) -> list[E.Event]:
    t = _text(state, c.target)
    _language(state, c.language)
    if c.language == t.language:
        raise _err("same_language", f"{t.id} is written in {t.language}; edit it instead")
    p = state.person(c.by)
    if p is None or not (p.role == "interpreter" or c.by == t.proposer):
        raise _err("not_translator", "interpreters and the proposer add translations")
    event = E.TranslationAdded(
        id=t.id,
        language=c.language,
        text=_text_arg(c.text, "translation"),
        source_rev=t.rev,
        by=c.by,
        at=iso(now),
    )
    return [event]


# Weights that reveal choices. A secret ballot publishes, per choice (per pair of candidates for a
# ranking), the total weight that chose it, and the log names who voted. When weights differ,
# those totals can be split back into how many delegates of each weight chose what: with weights
# 1.001 ... 1.128 every total decodes to exactly one set of voters. The rule assumes the worst
# (that every total decodes) and so requires each weight class to be a crowd: every weight held
# by the delegates must be held by at least k of them (the definition's secret_k, default 5). One
# weight for everyone is always fine: the totals then give head counts per choice, which every
# secret ballot publishes, and the weights add nothing.


def weight_classes_at_risk(state: AssemblyState, adding: Person | None = None) -> list[tuple[Decimal, int]]:
    """(weight, delegates) for each weight held by fewer than k delegates, when there is more than
    one weight; ``adding`` counts a delegate about to be added."""
    assert state.definition is not None
    delegates = [p for p in state.people.values() if p.role == "delegate"]
    if adding is not None and adding.role == "delegate":
        delegates.append(adding)
    classes = Counter(p.weight for p in delegates)
    if len(classes) <= 1:
        return []
    k = state.definition.secret_k
    return sorted((w, n) for w, n in classes.items() if n < k)


def _risk_record(state: AssemblyState, risk: list[tuple[Decimal, int]]) -> dict[str, Any]:
    assert state.definition is not None
    return {"k": state.definition.secret_k, "classes": [{"weight": str(w), "delegates": n} for w, n in risk]}


def _risk_refusal(state: AssemblyState, risk: list[tuple[Decimal, int]], what: str) -> DomainError:
    assert state.definition is not None
    shown = ", ".join(f"weight {w}: {n} delegate{'s' if n != 1 else ''}" for w, n in risk[:10])
    if len(risk) > 10:
        shown += f" and {len(risk) - 10} more"
    return _err(
        "weights_reveal_choices",
        f"{what}: the published totals can show how delegates of a rare weight voted ({shown}); "
        f"a secret ballot needs every weight shared by at least {state.definition.secret_k} delegates. "
        "Send accept_weight_risk: true to go ahead knowingly, or open an open ballot.",
    )


def _secret_opening(state: AssemblyState, secret: bool, accept: bool) -> dict[str, Any]:
    """What a secret ballot's opening records about weight risk: nothing when there is none; the
    classes at risk when the chair accepted it; a refusal when they did not."""
    risk = weight_classes_at_risk(state) if secret else []
    if not risk:
        return {}
    if not accept:
        raise _risk_refusal(state, risk, "weights reveal choices")
    return {"weight_risk": _risk_record(state, risk)}


def _opened(event: E.BallotOpened) -> list[E.Event] | Decided:
    """A secret ballot's opening creates all its counters at 0 in the same write (see
    assembly/secret.py): no vote then creates one, and the store's layout keeps no order."""
    if not event.secret:
        return [event]
    return Decided([event], secret.open_write(event.ballot, event.kind, event.candidates))


def open_ballot(state: AssemblyState, c: OpenBallot, now: dt.datetime) -> list[E.Event] | Decided:
    assert state.definition is not None
    t = _text(state, c.target)
    if t.status not in OPEN_STATUSES:
        raise _err("not_open", f"{t.id} is already {t.status}")
    if _open_ballot_on(state, t.id):
        raise _err("ballot_open", f"a ballot on {t.id} is already open")
    if c.majority not in ("simple", "two_thirds"):
        raise _err("bad_majority", "majority is simple or two_thirds")
    quorum = state.definition.quorum if c.quorum is None else c.quorum
    if not (quorum.is_finite() and 0 <= quorum <= 1):
        raise _err("bad_quorum", "quorum is a share between 0 and 1")
    event = E.BallotOpened(
        ballot=state.next_ballot,
        kind="motion",
        target=t.id,
        candidates=[],
        majority=c.majority,
        secret=c.secret,
        quorum=str(quorum),
        at=iso(now),
        **_secret_opening(state, c.secret, c.accept_weight_risk),
    )
    return _opened(event)


def open_ranking(state: AssemblyState, c: OpenRanking, now: dt.datetime) -> list[E.Event] | Decided:
    adopted = [t.id for t in state.texts.values() if t.demand is None and t.status == "adopted"]
    candidates = list(c.candidates) if c.candidates is not None else adopted
    if len(candidates) < 2 or len(set(candidates)) != len(candidates):
        raise _err("bad_candidates", "a ranking needs two or more different adopted demands")
    for cid in candidates:
        if cid not in adopted:
            raise _err("bad_candidates", f"{cid} is not an adopted demand")
    if any(b.status == "open" and b.kind == "ranking" for b in state.ballots.values()):
        raise _err("ballot_open", "a ranking ballot is already open")
    event = E.BallotOpened(
        ballot=state.next_ballot,
        kind="ranking",
        target=None,
        candidates=candidates,
        majority="schulze",
        secret=c.secret,
        quorum="0",
        at=iso(now),
        **_secret_opening(state, c.secret, c.accept_weight_risk),
    )
    return _opened(event)


def normalised_choice(b: Ballot, choice: Any) -> Any:
    """yes/no/abstain for a motion, tiers of candidates for a ranking; DomainError otherwise."""
    if b.kind == "motion":
        if choice not in CHOICES:
            raise _err("bad_choice", "vote yes, no or abstain")
        return choice
    try:
        return normalise_ranking(choice, list(b.candidates))
    except (BallotError, TypeError, ValueError) as e:
        raise _err("bad_choice", f"bad ranking: {e}") from None


def cast(state: AssemblyState, c: Vote, now: dt.datetime) -> list[E.Event] | Decided:
    """A delegate's vote: the choice itself on an open ballot; on a secret one, "X has voted"
    in the log and the choice as counter moves and a receipt in the side store. A changed secret
    vote presents the earlier choice and nonce: the store must hold that receipt, or nothing is
    written (``bad_receipt``)."""
    b = _ballot(state, c.ballot)
    if not b.secret:
        return vote(state, CastVote(c.ballot, c.voter, c.choice), now)
    voter = _delegate(state, c.voter)
    if c.nonce is None:
        raise _err("bad_command", "a secret vote needs a nonce (16-128 URL-safe characters)")
    choice = normalised_choice(b, c.choice)
    previous = None if c.previous is None else (normalised_choice(b, c.previous.choice), c.previous.nonce)
    events = secret_vote(state, CastSecretVote(b.id, c.voter, change=previous is not None), now)
    write = secret.vote_write(b.id, b.kind, b.candidates, milli(voter.weight), choice, c.nonce, previous)
    return Decided(events, write, token_missing=_err("bad_receipt", "that is not the receipt of your earlier vote"))


def vote(state: AssemblyState, c: CastVote, now: dt.datetime) -> list[E.Event]:
    b = _ballot(state, c.ballot)
    if b.secret:
        raise _err("secret_ballot", "this ballot is secret; vote through the secret path")
    p = _delegate(state, c.voter)
    choice = normalised_choice(b, c.choice)
    if b.votes.get(c.voter) == choice:
        return []
    events = []
    if c.voter not in state.present:
        events.append(_arrived(c.voter))
    event = E.VoteCast(ballot=b.id, voter=c.voter, choice=choice, weight=str(p.weight))
    return [*events, event]


def secret_vote(state: AssemblyState, c: CastSecretVote, now: dt.datetime) -> list[E.Event]:
    b = _ballot(state, c.ballot)
    if not b.secret:
        raise _err("open_ballot", "this ballot is open; send the choice itself")
    _delegate(state, c.voter)
    if c.change != (c.voter in b.voters):
        if c.change:
            raise _err("no_vote_to_change", "you have not voted on this ballot yet")
        raise _err("already_voted", "you have voted; send the receipt of that vote to change it")
    events = []
    if c.voter not in state.present:
        events.append(_arrived(c.voter))
    # No time, no choice, no weight: only who has voted (the order of events is all the log keeps).
    return [*events, E.BallotVoted(ballot=b.id, voter=c.voter)]


def _present_weight(state: AssemblyState, b: Ballot) -> Fraction:
    """Weight of delegates present, plus any voter who is not (they took part, so they count)."""
    who = state.present | b.voters
    return sum((Fraction(p.weight) for pid in who if (p := state.person(pid)) and p.role == "delegate"), Fraction(0))


def close_ballot(state: AssemblyState, c: CloseBallot, now: dt.datetime) -> list[E.Event] | Decided:
    events = _close(state, c, now)
    if not _ballot(state, c.ballot).secret:
        return events
    # The totals go into the log; the counters and receipts are no longer needed.
    return Decided(events, secret.close_write(c.ballot))


def _close(state: AssemblyState, c: CloseBallot, now: dt.datetime) -> list[E.Event]:
    b = _ballot(state, c.ballot)
    if b.secret and c.secret_totals is None:
        raise _err("internal", "a secret ballot is closed with its totals")
    present = _present_weight(state, b)
    base = {"ballot": b.id, "kind": b.kind, "target": b.target, "at": iso(now), "voters": len(b.voters)}
    if b.kind == "motion":
        totals = dict.fromkeys(CHOICES, Fraction(0))
        if b.secret:
            for choice in CHOICES:
                totals[choice] = Fraction(c.secret_totals.get(choice_counter(b.id, choice), 0), MILLI)  # type: ignore[union-attr]
        else:
            for voter, choice in b.votes.items():
                p = state.person(voter)
                totals[choice] += Fraction(p.weight) if p else 0
        result = tally_motion(
            totals["yes"], totals["no"], totals["abstain"],
            majority=b.majority, quorum=Fraction(b.quorum), total_weight=present or 1,
        )  # fmt: skip
        outcome = result.to_json() | {"present_weight": plain(present)}
        events: list[E.Event] = [E.BallotClosed(**base, result=outcome)]
        assert b.target is not None
        t = state.texts[b.target]
        # adopted | rejected | no_quorum: a ballot without quorum decided nothing, and the text may
        # be amended, edited and put to a new ballot as if it had not been voted on.
        status = result.outcome
        events.append(E.TextDecided(id=t.id, status=status, ballot=b.id))
        if t.demand is not None and status == "adopted":
            d = state.texts[t.demand]
            events.append(
                E.TextEdited(
                    id=d.id,
                    rev=d.rev + 1,
                    text=t.text,
                    language=t.language,
                    by="amendment " + t.id,
                    amendment=t.id,
                    at=iso(now),
                )
            )
        return events
    names = list(b.candidates)
    if b.secret:
        d = {
            x: {y: plain(Fraction(c.secret_totals.get(pair_counter(b.id, x, y), 0), MILLI)) for y in names if y != x}  # type: ignore[union-attr]
            for x in names
        }
    else:
        ballots = []
        for voter, ranking in b.votes.items():
            p = state.person(voter)
            if p:
                ballots.append((Fraction(p.weight), ranking))
        d = pairwise(names, ballots)
    paths, opposition = strongest_paths(names, d), path_opposition(names, d)
    result = {
        "ranking": ranking_from_paths(names, paths, opposition),
        "pairwise": d,
        "strongest_paths": paths,
        "path_opposition": opposition,
    }
    return [E.BallotClosed(**base, result=result | {"present_weight": plain(present)})]


def add_person(state: AssemblyState, c: AddPerson, now: dt.datetime) -> list[E.Event]:
    if c.person.id in state.people:
        raise _err("person_exists", f"{c.person.id!r} is already a participant")
    for language in (c.person.language, c.person.booth):
        if language is not None:
            _language(state, language)
    risk: dict[str, Any] = {}
    if c.person.role == "delegate" and any(b.secret and b.status == "open" for b in state.ballots.values()):
        # A delegate added now may vote in the open secret ballot: their weight must not make a
        # class the opening did not account for (or join one already at risk).
        before = {w for w, _ in weight_classes_at_risk(state)}
        after = weight_classes_at_risk(state, c.person)
        if {w for w, _ in after} - before or c.person.weight in {w for w, _ in after}:
            if not c.accept_weight_risk:
                raise _risk_refusal(state, after, "a secret ballot is open and this weight would reveal choices")
            risk["weight_risk"] = _risk_record(state, after)
    return [E.PersonAdded(role=c.person.role, **person_to_json(c.person), at=iso(now), **risk)]


def revoke_link(state: AssemblyState, c: RevokeLink, now: dt.datetime) -> list[E.Event]:
    if c.person not in state.people:
        raise _err("unknown_person", f"no participant {c.person!r}")
    version = state.link_versions.get(c.person, 0) + 1
    events = [E.LinkRevoked(person=c.person, version=version, at=iso(now))]
    # An interpreter cut off mid-shift leaves the booth with their link: listeners get the floor.
    booth = next((b for b, pid in state.booths.items() if pid == c.person), None)
    if booth is not None:
        events.append(_booth_set(state, booth, None, None, now))
    return events


# Interpretation booths: one per language, at most one interpreter live in each at a time.


def _interpreter(state: AssemblyState, pid: str) -> str:
    """The booth of interpreter ``pid``."""
    p = state.person(pid)
    if p is None or p.role != "interpreter" or p.booth is None:
        raise _err("not_an_interpreter", f"{pid!r} is not an interpreter of this assembly")
    return p.booth


def _booth_set(state: AssemblyState, booth: str, pid: str | None, by: str | None, now: dt.datetime) -> E.Event:
    return E.BoothActiveSet(booth=booth, interpreter=pid, previous=state.booths.get(booth), by=by, at=iso(now))


def take_booth(state: AssemblyState, c: TakeBooth, now: dt.datetime) -> list[E.Event]:
    booth = _interpreter(state, c.by)
    active = state.booths.get(booth)
    if active == c.by:
        raise _err("already_active", f"you are already live in the {booth} booth")
    if active is not None:
        raise _err("booth_busy", f"{active} is live in the {booth} booth; ask your partner to hand over")
    return [_booth_set(state, booth, c.by, c.by, now)]


def hand_over(state: AssemblyState, c: HandOver, now: dt.datetime) -> list[E.Event]:
    booth = _interpreter(state, c.by)
    if state.booths.get(booth) != c.by:
        raise _err("not_active", f"only the interpreter live in the {booth} booth can hand over")
    partners = [p.id for p in state.people.values() if p.role == "interpreter" and p.booth == booth and p.id != c.by]
    if c.to is None:
        if len(partners) != 1:
            raise _err("bad_partner", f"the {booth} booth has {len(partners)} other interpreters; say which one")
        to = partners[0]
    elif c.to in partners:
        to = c.to
    else:
        raise _err("bad_partner", f"{c.to!r} is not another interpreter of the {booth} booth")
    return [_booth_set(state, booth, to, c.by, now)]


def leave_booth(state: AssemblyState, c: LeaveBooth, now: dt.datetime) -> list[E.Event]:
    booth = _interpreter(state, c.by)
    if state.booths.get(booth) != c.by:
        raise _err("not_active", f"you are not live in the {booth} booth")
    return [_booth_set(state, booth, None, c.by, now)]


def dropped(state: AssemblyState, c: Dropped, now: dt.datetime) -> list[E.Event]:
    """A participant whose browser went away: nobody may stay live in a booth or on the floor
    with nobody behind the microphone. The chair is told (participant_dropped)."""
    events: list[E.Event] = []
    booth = next((b for b, pid in state.booths.items() if pid == c.person), None)
    handed_to = None
    if booth is not None:
        partners = sorted(
            p.id
            for p in state.people.values()
            if p.role == "interpreter" and p.booth == booth and p.id != c.person and p.id in c.connected
        )
        handed_to = partners[0] if partners else None
        events.append(_booth_set(state, booth, handed_to, None, now))
    floor_ended = state.floor is not None and state.floor.person == c.person
    if floor_ended:
        events.append(_end(state, now, "dropped"))
    if not events:
        return []
    event = E.ParticipantDropped(
        person=c.person, booth=booth, handed_to=handed_to, floor_ended=floor_ended, at=iso(now)
    )
    return [*events, event]


def set_booth(state: AssemblyState, c: SetBooth, now: dt.datetime) -> list[E.Event]:
    assert state.definition is not None
    if c.booth not in state.definition.languages:
        raise _err("unknown_booth", f"{c.booth!r} is not one of {list(state.definition.languages)}")
    if c.interpreter is not None:
        p = state.person(c.interpreter)
        if p is None or p.role != "interpreter" or p.booth != c.booth:
            raise _err("bad_partner", f"{c.interpreter!r} is not an interpreter of the {c.booth} booth")
    if state.booths.get(c.booth) == c.interpreter:
        return []
    return [_booth_set(state, c.booth, c.interpreter, None, now)]


def next_deadline(state: AssemblyState) -> dt.datetime | None:
    f = state.floor
    return None if f is None or f.overtime else f.deadline


# The table (assembly/decide.py) names the handlers above; imported last, as it imports this module.
from assembly import decide as table  # noqa: E402
