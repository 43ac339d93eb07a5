"""The assembly pages against a real server, as they look: Arabic turns a delegate's page right to
left, and every page, the desktop ones too, fits a 360 px phone. The screenshots land in
tests/e2e/artifacts/."""

from __future__ import annotations

import pytest
from assembly_meeting import ES_DEMAND_3, PHONE, assert_clean, ballot, text
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_arabic_right_to_left_and_every_page_on_a_phone(meeting, page_log, screenshot) -> None:
    chair, rosa, ngozi, interp, viewer = meeting.pages
    # A rejected demand on the pages, set over REST: a ballot outcome to read in Arabic below.
    ama, rosa_link = meeting.token("chairs", "ama"), meeting.token("delegates", "rosa")
    for token, body in [
        (rosa_link, {"type": "propose_demand", "language": "es", "text": ES_DEMAND_3}),
        (ama, {"type": "open_ballot", "target": "d1", "quorum": 0}),
        (rosa_link, {"type": "vote", "ballot": 1, "choice": "no"}),
        (ama, {"type": "close_ballot", "ballot": 1}),
    ]:
        r = meeting.command(token, body)
        assert r.status_code == 200, (body, r.text)
    expect(text(rosa, "d1")).to_have_attribute("data-status", "rejected")

    # Screenshots: chair on a desktop, delegates on a phone (English, then Arabic) -----------------
    screenshot(chair, "assembly-chair-desktop-end.png")
    screenshot(ngozi, "assembly-delegate-phone.png")
    screenshot(viewer, "assembly-watch-phone.png")
    screenshot(interp, "assembly-interpreter-desktop.png")

    # Arabic: the page turns right to left ------------------------------------------------------
    rosa.get_by_test_id("lang-picker").select_option("ar")
    expect(rosa.locator("html")).to_have_attribute("dir", "rtl")
    expect(rosa.locator("html")).to_have_attribute("lang", "ar")
    expect(rosa.get_by_test_id("raise-hand")).to_have_text("ارفع يدك")
    expect(ballot(rosa, 1).get_by_test_id("outcome")).to_have_text("مرفوض")
    assert rosa.evaluate("document.documentElement.scrollWidth") <= PHONE[0]  # nothing spills sideways
    screenshot(rosa, "assembly-delegate-phone-ar.png")
    rosa.get_by_test_id("lang-picker").select_option("es")
    expect(rosa.locator("html")).to_have_attribute("dir", "ltr")
    for page in (chair, interp):  # the desktop pages work at phone width too
        page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    for page in (chair, interp, ngozi, viewer):
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0], page.url
    screenshot(chair, "assembly-chair-phone.png")
    assert_clean(page_log, meeting.tokens())
