"""assembly/events.py: every stored event decodes to its class and encodes back to exactly the
same data; unknown types and fields are ignored; the shell's view (.type, .data) is NewEvent's."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from assembly import events as E
from assembly.state import FrozenDict, evolve

GOLDEN = json.loads(Path(__file__).with_name("golden_events.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("type_", "data"), GOLDEN, ids=[f"{i}-{t}" for i, (t, _) in enumerate(GOLDEN)])
def test_each_golden_event_round_trips_to_the_same_json(type_, data):
    event = E.decode(type_, data)
    assert type(event).type == event.type == type_
    assert json.dumps(event.data, sort_keys=True) == json.dumps(data, sort_keys=True)


def test_every_event_class_appears_in_the_golden_session():
    assert set(E.EVENTS) == {t for t, _ in GOLDEN}


def test_unknown_types_and_fields_are_ignored():
    assert E.decode("from_a_newer_server", {"x": 1}) is None
    e = E.decode("list_closed", {"at": "2027-05-01T12:00:00.000Z", "reason": "new"})
    assert e == E.ListClosed(at="2027-05-01T12:00:00.000Z") and "reason" not in e.data


def test_sometimes_present_keys_stay_absent_and_null_stays_null():
    edit = E.TextEdited(id="d1", rev=2, text="t", by="chair", at="now")
    assert "language" not in edit.data and "amendment" not in edit.data
    booth = E.BoothActiveSet(booth="es", interpreter=None, previous=None, by=None, at="now")
    assert booth.data == {"booth": "es", "interpreter": None, "previous": None, "by": None, "at": "now"}


def test_a_field_the_fold_needs_is_required_when_decoding():
    with pytest.raises(msgspec.ValidationError):
        E.decode("hand_raised", {"entry": 1, "person": "rosa", "kind": "speech"})  # no "at"


def test_events_are_frozen_and_data_is_built_once():
    e = E.PresenceChanged(person="rosa", present=True)
    assert e.data is e.data
    with pytest.raises(AttributeError):
        e.person = "kwame"  # type: ignore[misc]


def test_the_state_holds_no_map_that_can_change(drive):
    from assembly import core

    drive(core.ProposeDemand("rosa", "es", "Salario"))
    state = drive.state
    for m in (state.people, state.texts, state.texts["d1"].history[0], state.booths):
        assert isinstance(m, FrozenDict)
        with pytest.raises(TypeError):
            m["x"] = 1  # type: ignore[index]
    assert evolve(state, "from_a_newer_server", {}) is state
    assert json.dumps(state.region_spent) == "{}"  # still JSON, as the routes send it
