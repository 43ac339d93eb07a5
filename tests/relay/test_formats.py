"""Exact formats: iCalendar text escaped per RFC 5545 and read back by a parser, DTSTAMP when the
feed was made, names without line breaks, whole-second durations, and no silently wrong plans
after 2037 (pytz's tz database has no rules past it)."""

from __future__ import annotations

import datetime as dt
import json

import icalendar
import pytest

from mayday.definitions import SpecError
from relay.commands import CreateRelay
from relay.decide import decide
from relay.ical import relay_calendar
from relay.spec import load_spec
from relay.state import RelayState, evolve

NOW = dt.datetime(2027, 4, 20, 9, 30, tzinfo=dt.UTC)


def definition(**over) -> dict:
    base = {
        "name": "Relay, with; odd name",
        "legs": {"date": "2027-05-01", "start": "00:00", "duration": "24h"},
        "sites": [
            {"id": "akl", "name": 'Auckland dockers; "Ports, Inc."', "tz": "Pacific/Auckland"},
            {"id": "lis", "name": "Lisbon\\port", "tz": "Europe/Lisbon"},
        ],
    }
    return base | over


def state_of(spec_json: dict) -> RelayState:
    state = RelayState()
    for e in decide(state, CreateRelay("r1", load_spec(json.dumps(spec_json))), NOW):
        state = evolve(state, e.type, e.data)
    return state


def test_calendar_text_is_escaped_and_reads_back_exactly():
    feed = relay_calendar(state_of(definition()), "r1", base_url="https://h", now=NOW)
    text = feed.decode()
    assert "X-WR-CALNAME:Relay\\, with\\; odd name\r\n" in text  # escaped on the wire (RFC 5545 3.3.11)
    cal = icalendar.Calendar.from_ical(feed)
    summaries = [str(ev.get("summary")) for ev in cal.walk("VEVENT")]
    assert summaries == ['Strike: Auckland dockers; "Ports, Inc." (akl)', "Strike: Lisbon\\port (lis)"]


def test_dtstamp_is_when_the_feed_was_made():
    later = NOW + dt.timedelta(hours=5)
    cal = icalendar.Calendar.from_ical(relay_calendar(state_of(definition()), "r1", now=later))
    stamps = {ev.decoded("dtstamp") for ev in cal.walk("VEVENT")}
    assert stamps == {later}
    assert {int(ev.get("sequence")) for ev in cal.walk("VEVENT")} == {0}


@pytest.mark.parametrize("name", ["Relay\r\nBEGIN:VEVENT", "Relay\nline", "tab\there", "nul\x00"])
def test_line_breaks_and_control_characters_in_names_are_refused(name):
    with pytest.raises(SpecError, match="control characters"):
        load_spec(json.dumps(definition(name=name)))
    sites = [{"id": "akl", "name": name, "tz": "Pacific/Auckland"}]
    with pytest.raises(SpecError, match=r"sites\[0\] \(akl\)\.name"):
        load_spec(json.dumps(definition(sites=sites)))


@pytest.mark.parametrize("duration", [0.9, 1.5, 3600.25])
def test_durations_are_whole_seconds(duration):
    with pytest.raises(SpecError, match="whole seconds"):
        load_spec(json.dumps(definition(legs={"date": "2027-05-01", "start": "00:00", "duration": duration})))
    spec = load_spec(json.dumps(definition(legs={"date": "2027-05-01", "start": "00:00", "duration": 1})))
    assert spec.sites[0].legs.duration == dt.timedelta(seconds=1)


@pytest.mark.parametrize(
    ("legs", "culprit"),
    [
        ({"date": "2038-07-01", "start": "00:00", "duration": "24h"}, "2038-07-01 is outside"),
        ({"date": "2037-12-30", "start": "00:00", "duration": "24h", "days": 3}, "after 2037-12-31"),
        ({"date": "0001-01-01", "start": "00:00", "duration": "24h"}, "0001-01-01 is outside"),
        ({"date": "1969-12-31", "start": "00:00", "duration": "24h"}, "1969-12-31 is outside"),
    ],
)
def test_dates_the_tz_database_cannot_plan_are_refused(legs, culprit):
    with pytest.raises(SpecError, match=culprit) as info:
        load_spec(json.dumps(definition(legs=legs)))
    assert "tz" in str(info.value)


def test_the_last_plannable_day_plans_with_the_right_offset():
    spec = load_spec(
        json.dumps(
            definition(
                legs={"date": "2037-07-01", "start": "12:00", "duration": "1h"},
                sites=[{"id": "nyc", "name": "New York", "tz": "America/New_York"}],
            )
        )
    )
    state = state_of(
        definition(
            legs={"date": "2037-07-01", "start": "12:00", "duration": "1h"},
            sites=[{"id": "nyc", "name": "New York", "tz": "America/New_York"}],
        )
    )
    assert spec.sites[0].legs.date == dt.date(2037, 7, 1)
    assert state.plan is not None
    assert state.plan.legs[0].start == dt.datetime(2037, 7, 1, 16, 0, tzinfo=dt.UTC)  # EDT, UTC-4
