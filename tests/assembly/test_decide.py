"""assembly/decide.py: the one table, who may send what, and that every command has a row."""

from __future__ import annotations

import pytest

from assembly import commands, core
from assembly.decide import CHAIR, DELEGATE, INTERPRETER, SHELL, TABLE, VIEWER, rule_of
from assembly.protocol import ALLOWED, COMMAND_TYPES
from mayday.errors import DomainError

SENT_BY = {
    CHAIR: {
        "attend", "raise_hand", "lower_hand", "grant_floor", "end_speech", "extend_time", "reorder",
        "close_list", "reopen_list", "set_floor_language", "edit_text", "open_ballot", "open_ranking",
        "close_ballot", "add_person", "revoke_link", "set_booth",
    },
    DELEGATE: {
        "attend", "raise_hand", "lower_hand", "end_speech", "set_floor_language", "propose_demand",
        "propose_amendment", "edit_text", "translate", "vote",
    },
    INTERPRETER: {"translate", "take_booth", "hand_over", "leave_booth"},
    VIEWER: set(),
}  # fmt: skip


def test_the_roles_each_wire_command_is_allowed_to():
    assert {role: set(kinds) for role, kinds in ALLOWED.items()} == SENT_BY
    assert set().union(*SENT_BY.values()) == COMMAND_TYPES


def test_every_command_class_has_one_row_and_the_shells_own_commands_no_role():
    decided = {c.decides or c for c in commands.WIRE_CLASSES}
    # the shell's own commands, and the two forms core.cast decides a vote as
    internal = {commands.Tick, commands.CastVote, commands.CastSecretVote, commands.Dropped}
    assert set(TABLE) == decided | internal
    assert all(TABLE[c].roles == SHELL for c in internal)
    assert rule_of(commands.Vote) is TABLE[commands.Vote]
    assert rule_of(commands.CloseList) is rule_of(commands.ReopenList) is TABLE[commands.SetListOpen]


def test_a_command_without_a_row_is_refused_by_the_core(drive):
    class Unknown(commands.Command, frozen=True):
        pass

    with pytest.raises(DomainError) as e:
        core.decide(drive.state, Unknown(), drive.now)
    assert e.value.code == "unknown_command"
