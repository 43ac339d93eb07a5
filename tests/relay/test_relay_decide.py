"""relay/decide.py: the table. Every row's roles may send its command, every other role is
forbidden; a site link acts only for its own site; the shell's own commands come over no link."""

from __future__ import annotations

import pytest

from mayday.errors import ApiError
from mayday.links import Grant
from relay.commands import (
    COORDINATOR,
    SITE,
    VIEWER,
    CheckIn,
    CreateRelay,
    PostDispatch,
    RotateSiteLink,
    SetReadiness,
    Tick,
)
from relay.decide import ALLOWED, SHELL, TABLE, parse_and_authorise

SCOPE = "relay:r1"
ROLES = (COORDINATOR, SITE, VIEWER, None)
SAMPLES = {
    CheckIn: {"type": "check_in", "site": "akl"},
    PostDispatch: {"type": "dispatch", "site": "akl", "text": "hello"},
    RotateSiteLink: {"type": "rotate_site_link", "site": "akl"},
}
EXPECTED_ROLES = {
    CreateRelay: SHELL,
    Tick: SHELL,
    SetReadiness: SHELL,
    CheckIn: {COORDINATOR, SITE},
    PostDispatch: {COORDINATOR, SITE},
    RotateSiteLink: {COORDINATOR},
}


def grant(role: str | None) -> Grant | None:
    if role is None:
        return None
    return Grant(SCOPE, role, "akl" if role == SITE else None)


def test_the_table_has_one_row_per_command_with_its_roles():
    assert {cls: set(row.roles) for cls, row in TABLE.items()} == {k: set(v) for k, v in EXPECTED_ROLES.items()}


@pytest.mark.parametrize("cls", list(SAMPLES))
@pytest.mark.parametrize("role", ROLES)
def test_each_row_allows_its_roles_and_forbids_the_others(cls, role):
    raw = SAMPLES[cls]
    if role in TABLE[cls].roles:
        command = parse_and_authorise(grant(role), raw)
        assert type(command) is cls and command.site == "akl"
        if hasattr(command, "by"):
            assert command.by == role
    else:
        with pytest.raises(ApiError) as e:
            parse_and_authorise(grant(role), raw)
        assert (e.value.status, e.value.code) == (403, "forbidden")


def test_allowed_by_role_is_derived_from_the_table():
    assert ALLOWED == {
        COORDINATOR: frozenset({"check_in", "dispatch", "rotate_site_link"}),
        SITE: frozenset({"check_in", "dispatch"}),
        VIEWER: frozenset(),
    }


def test_a_site_link_acts_only_for_its_own_site():
    site = grant(SITE)
    assert parse_and_authorise(site, {"type": "check_in"}) == CheckIn("akl", None, SITE)
    assert parse_and_authorise(site, {"type": "dispatch", "text": "x"}) == PostDispatch("x", "akl", SITE)
    for raw in ({"type": "check_in", "site": "syd"}, {"type": "dispatch", "site": "syd", "text": 5}):
        with pytest.raises(ApiError) as e:
            parse_and_authorise(site, raw)
        assert e.value.code == "forbidden"


def test_the_coordinator_names_the_site_to_check_in_and_may_dispatch_as_itself():
    with pytest.raises(ApiError) as e:
        parse_and_authorise(grant(COORDINATOR), {"type": "check_in"})
    assert e.value.code == "bad_command" and "site" in e.value.message
    assert parse_and_authorise(grant(COORDINATOR), {"type": "dispatch", "text": "x"}) == PostDispatch(
        "x", None, COORDINATOR
    )


def test_bad_fields_are_refused_after_authorisation():
    with pytest.raises(ApiError) as e:
        parse_and_authorise(grant(VIEWER), {"type": "check_in", "leg": "x"})
    assert e.value.code == "forbidden"
    with pytest.raises(ApiError) as e:
        parse_and_authorise(grant(COORDINATOR), {"type": "check_in", "site": "akl", "leg": "x"})
    assert e.value.code == "bad_command" and "leg" in e.value.message
