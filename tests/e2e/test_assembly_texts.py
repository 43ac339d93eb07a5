"""The assembly pages against a real server, a demand's journey: proposed in Spanish, translated
into English by the interpreter, reworded by its proposer (the translation goes stale, and every
page says so), translated again, read in English with the original one click away; the minutes keep
every revision and who translated it."""

from __future__ import annotations

import pytest
from assembly_meeting import EN_DEMAND, EN_DRAFT, ES_DEMAND, ES_DRAFT, assert_clean, propose, text
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_demand_translated_edited_and_translated_again(meeting, page_log) -> None:
    chair, rosa, ngozi, interp, viewer = meeting.pages

    propose(rosa, ES_DRAFT)
    expect(text(chair, "d1")).to_contain_text(ES_DRAFT)
    expect(text(ngozi, "d1").get_by_test_id("text-body")).to_have_text(ES_DRAFT)
    expect(text(ngozi, "d1").get_by_test_id("text-note")).to_contain_text("No English translation yet")
    expect(text(interp, "d1")).to_have_attribute("data-translation", "none")
    text(interp, "d1").get_by_test_id("translate-text").fill(EN_DRAFT)
    text(interp, "d1").get_by_test_id("translate-submit").click()
    body = text(ngozi, "d1").get_by_test_id("text-body")
    expect(body).to_have_text(EN_DRAFT)
    expect(body).to_have_attribute("lang", "en")
    expect(text(interp, "d1")).to_have_attribute("data-translation", "current")
    # the proposer rewords it: the English translation is now of an earlier version
    text(rosa, "d1").get_by_test_id("edit").locator("summary").click()
    text(rosa, "d1").get_by_test_id("edit-text").fill(ES_DEMAND)
    text(rosa, "d1").get_by_test_id("edit-submit").click()
    expect(text(ngozi, "d1")).to_have_attribute("data-stale", "true")
    expect(text(ngozi, "d1").get_by_test_id("text-note")).to_contain_text("earlier version")
    expect(text(interp, "d1")).to_have_attribute("data-translation", "stale")
    expect(text(chair, "d1").get_by_test_id("translation-en")).to_have_attribute("data-stale", "true")
    text(interp, "d1").get_by_test_id("translate-text").fill(EN_DEMAND)
    text(interp, "d1").get_by_test_id("translate-submit").click()
    expect(text(interp, "d1")).to_have_attribute("data-translation", "current")
    expect(text(ngozi, "d1")).to_have_attribute("data-stale", "false")
    expect(body).to_have_text(EN_DEMAND)
    original = text(ngozi, "d1").get_by_test_id("text-original")
    expect(original).to_be_hidden()
    text(ngozi, "d1").get_by_test_id("toggle-original").click()  # the original, one click away
    expect(original).to_be_visible()
    expect(original).to_have_text(ES_DEMAND)
    expect(original).to_have_attribute("lang", "es")
    expect(text(rosa, "d1").get_by_test_id("text-body")).to_have_text(ES_DEMAND)
    expect(text(viewer, "d1").get_by_test_id("text-body")).to_have_text(EN_DEMAND)
    expect(text(chair, "d1").get_by_test_id("translation-en")).to_contain_text(EN_DEMAND)

    minutes = meeting.minutes()
    assert f"original (revision 2):**\n\n> {ES_DEMAND}" in minutes, minutes
    assert "Revision 1, " in minutes and f"by Rosa: {ES_DRAFT}" in minutes
    assert f"translated by Lucía:**\n\n> {EN_DEMAND}" in minutes
    assert_clean(page_log, meeting.tokens())
