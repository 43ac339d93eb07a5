"""The assembly's one table: command class -> (roles that may send it, handler that decides it).

Adding a command: a class in assembly/commands.py (tagged with its wire name if a client sends
it, and listed in WIRE_CLASSES), its event(s) in assembly/events.py with a ``case`` in
assembly/state.py's ``evolve``, a handler in assembly/core.py, and a row here (docs/architecture.md §3).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from assembly import commands as cmd
from assembly import core
from assembly.commands import Command
from mayday.events import Decided

CHAIR, DELEGATE, INTERPRETER, VIEWER = "chair", "delegate", "interpreter", "viewer"
ROLES = (CHAIR, DELEGATE, INTERPRETER, VIEWER)

CHAIRS, DELEGATES, INTERPRETERS = frozenset({CHAIR}), frozenset({DELEGATE}), frozenset({INTERPRETER})
SHELL = frozenset[str]()  # nobody: the shell sends it


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]  # who may send it (a delegate's and an interpreter's act for themselves); none: the shell
    handler: Callable[[Any, Any, dt.datetime], Sequence[Any] | Decided]  # events, or events and a side write


# CreateAssembly is the one command outside the table: it is decided before an assembly exists.
TABLE: dict[type[Command], Rule] = {
    cmd.SetPresence: Rule(CHAIRS | DELEGATES, core.presence),
    cmd.RaiseHand: Rule(CHAIRS | DELEGATES, core.raise_hand),
    cmd.LowerHand: Rule(CHAIRS | DELEGATES, core.lower_hand),
    cmd.GrantFloor: Rule(CHAIRS, core.grant_floor),
    cmd.EndSpeech: Rule(CHAIRS | DELEGATES, core.end_speech),
    cmd.ExtendTime: Rule(CHAIRS, core.extend_time),
    cmd.Reorder: Rule(CHAIRS, core.reorder),
    cmd.SetListOpen: Rule(CHAIRS, core.set_list_open),
    cmd.SetFloorLanguage: Rule(CHAIRS | DELEGATES, core.set_floor_language),
    cmd.ProposeDemand: Rule(DELEGATES, core.propose_demand),
    cmd.ProposeAmendment: Rule(DELEGATES, core.propose_amendment),
    cmd.EditText: Rule(CHAIRS | DELEGATES, core.edit_text),
    cmd.Translate: Rule(DELEGATES | INTERPRETERS, core.translate),
    cmd.OpenBallot: Rule(CHAIRS, core.open_ballot),
    cmd.OpenRanking: Rule(CHAIRS, core.open_ranking),
    cmd.Vote: Rule(DELEGATES, core.cast),
    cmd.CloseBallot: Rule(CHAIRS, core.close_ballot),
    cmd.AddPerson: Rule(CHAIRS, core.add_person),
    cmd.RevokeLink: Rule(CHAIRS, core.revoke_link),
    cmd.TakeBooth: Rule(INTERPRETERS, core.take_booth),
    cmd.HandOver: Rule(INTERPRETERS, core.hand_over),
    cmd.LeaveBooth: Rule(INTERPRETERS, core.leave_booth),
    cmd.SetBooth: Rule(CHAIRS, core.set_booth),
    cmd.Tick: Rule(SHELL, core.tick),
    cmd.CastVote: Rule(SHELL, core.vote),  # what core.cast decides a vote as
    cmd.CastSecretVote: Rule(SHELL, core.secret_vote),
    cmd.Dropped: Rule(SHELL, core.dropped),
}


def rule_of(wire: type[Command]) -> Rule:
    """The rule for a command class as sent (a wire-only shape follows the command it becomes)."""
    return TABLE[wire.decides or wire]
