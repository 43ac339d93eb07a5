"""The assembly pages against a real server, the chair's people: a delegate added during the
meeting gets a working link in their own language, until the chair revokes it and the page says so;
the chair's list then holds a new link, and no link ever leaves a page."""

from __future__ import annotations

import re

import pytest
from assembly_meeting import LIVE, PHONE, assert_clean, live
from helpers import token_of
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_chair_adds_a_delegate_whose_link_works_until_revoked(meeting, open_page, page_log) -> None:
    chair, aid = meeting.chair, meeting.aid
    chair.locator("#people-card > summary").click()  # folded away: the running meeting comes first
    chair.locator("#add-person-details > summary").click()
    chair.get_by_test_id("ap-id").fill("joy")
    chair.get_by_test_id("ap-name").fill("Joy")
    chair.get_by_test_id("ap-language").select_option("pt")
    chair.get_by_test_id("ap-region").fill("asia")
    chair.get_by_test_id("ap-submit").click()
    new_link = chair.get_by_test_id("new-link")
    expect(new_link).to_have_value(re.compile(rf"/assembly/{aid}/delegate#t=\S+$"))
    joy_link = new_link.input_value()
    joy = open_page(joy_link, *PHONE)
    live(joy)
    expect(joy.locator("html")).to_have_attribute("lang", "pt")
    expect(joy.get_by_test_id("attend")).to_have_text("Estou aqui")
    expect(chair.get_by_test_id("present-joy")).not_to_be_checked()
    chair.once("dialog", lambda dialog: dialog.accept())
    chair.locator("#links-details > summary").click()
    chair.get_by_test_id("revoke-joy").click()
    expect(joy.get_by_test_id("connection")).to_have_attribute("data-state", "failed", timeout=LIVE)
    expect(joy.get_by_test_id("fatal")).to_be_visible()
    expect(joy.get_by_test_id("attend")).to_be_hidden()
    replaced = chair.get_by_test_id("link-joy").input_value()
    assert replaced != joy_link and "#t=" in replaced
    assert_clean(page_log, [*meeting.tokens(), token_of(joy_link), token_of(replaced)])
