"""relay/events.py: every event encodes to the JSON stored in the log and decodes back from it;
unknown types and fields are ignored, fields older logs lack stay absent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relay.events import EVENT_TYPES, DispatchPosted, decode

GOLDEN = Path(__file__).with_name("golden_events.json")


def stored_events() -> list[tuple[str, dict]]:
    """Every (type, data) the golden run appended: each event type, each optional field both ways."""
    out = []
    for run in json.loads(GOLDEN.read_text(encoding="utf-8")):
        for entry in run:
            if len(entry) == 2 and isinstance(entry[0], str) and entry[0] in EVENT_TYPES:
                out.append((entry[0], entry[1]))
    return out


def test_the_golden_run_covers_every_event_type():
    # readiness_set comes from the networks' shell, not the relay's own run: its round trip is
    # in tests/relay/test_relay_readiness.py.
    assert {t for t, _ in stored_events()} == set(EVENT_TYPES) - {"readiness_set"}


@pytest.mark.parametrize(("type_", "data"), stored_events())
def test_round_trip_is_exact(type_, data):
    event = decode(type_, data)
    assert event is not None and event.type == type_
    assert json.dumps(event.data) == json.dumps(data)  # same keys, same order, same values
    assert decode(type_, event.data) == event


def test_unknown_types_and_fields_are_ignored():
    assert decode("something_newer", {"x": 1}) is None
    e = decode("dispatch_posted", {"site": None, "text": "t", "at": "2027-05-01T00:00:00.000Z", "lang": "en"})
    assert e == DispatchPosted(None, "t", "2027-05-01T00:00:00.000Z")
    assert e.data == {"site": None, "text": "t", "at": "2027-05-01T00:00:00.000Z"}  # no "by" in older logs


def test_events_are_frozen():
    e = DispatchPosted("a", "t", "now", "site")
    with pytest.raises(AttributeError):
        e.text = "u"  # type: ignore[misc]
