"""relay/commands.py: the wire commands decode from a client's JSON object, and every field's bad
value is refused as bad_command with a message naming the field."""

from __future__ import annotations

import pytest

from mayday.errors import ApiError
from relay.commands import WIRE_TYPES, CheckIn, PostDispatch, RotateSiteLink, decode_wire, type_of


@pytest.mark.parametrize(
    ("raw", "command"),
    [
        ({"type": "check_in"}, CheckIn()),
        ({"type": "check_in", "site": "lag", "leg": 7}, CheckIn("lag", 7)),
        ({"type": "check_in", "site": "lag", "leg": None, "extra": {"x": 1}}, CheckIn("lag")),
        ({"type": "dispatch", "text": "Gate 3 shut"}, PostDispatch("Gate 3 shut")),
        ({"type": "dispatch", "text": "x", "site": "akl"}, PostDispatch("x", "akl")),
        ({"type": "rotate_site_link", "site": "syd"}, RotateSiteLink("syd")),
    ],
)
def test_wire_commands_decode(raw, command):
    assert decode_wire(raw) == command


def test_by_is_never_read_from_the_wire():
    assert decode_wire({"type": "dispatch", "text": "x", "by": "coordinator"}).by == "site"
    assert decode_wire({"type": "check_in", "by": 5}) == CheckIn()


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"type": "check_in", "site": 5}, "site"),
        ({"type": "check_in", "site": ["a"]}, "site"),
        ({"type": "check_in", "leg": "1"}, "leg"),
        ({"type": "check_in", "leg": True}, "leg"),
        ({"type": "check_in", "leg": 1.5}, "leg"),
        ({"type": "dispatch"}, "text"),
        ({"type": "dispatch", "text": None}, "text"),
        ({"type": "dispatch", "text": 3}, "text"),
        ({"type": "dispatch", "text": "x", "site": 3}, "site"),
        ({"type": "rotate_site_link"}, "site"),
        ({"type": "rotate_site_link", "site": None}, "site"),
        ({"type": "rotate_site_link", "site": {}}, "site"),
    ],
)
def test_every_bad_field_is_bad_command_naming_the_field(raw, field):
    with pytest.raises(ApiError) as e:
        decode_wire(raw)
    assert (e.value.status, e.value.code) == (400, "bad_command")
    assert f"`{field}`" in e.value.message or f"$.{field}" in e.value.message


@pytest.mark.parametrize("raw", [None, [], "check_in", {}, {"type": 3}, {"type": None}, {"type": "vote"}])
def test_a_command_is_an_object_with_a_known_type(raw):
    with pytest.raises(ApiError) as e:
        type_of(raw)
    assert e.value.code == "bad_command"


def test_the_wire_types_are_the_documented_ones():
    assert sorted(WIRE_TYPES) == ["check_in", "dispatch", "rotate_site_link"]
