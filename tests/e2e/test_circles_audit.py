"""A joint action's risk audit and readiness gate (issue 12, sections 1 and 2) in Chromium against a
real server, on a phone:

- the risk audit: a Lagos member names a red line with her name; a Rotterdam member names one
  anonymously (the form says what that means); the network's coordinator, the audit's chair, reads
  both on the action page (no figures there) and the anonymous one says "Anonymous" and names no
  circle; Rotterdam's circle, reading in Arabic, translates the named one into Arabic; both circles
  acknowledge version 2; the writer changes her line (only her browser holds its key): both
  acknowledgements go stale and the Arabic translation says it translates an older version; both
  acknowledge version 3; the export in Arabic;
- the readiness gate: not ready (each of the four checks with what is missing), then each circle
  acknowledges the red lines, accepts the figures, Rotterdam translates the communique into Dutch:
  ready; a second action the coordinator decides to proceed with anyway, on the record (who, when,
  why, what was missing), on the action page and badged on the circle page;
- the pair page: the last shared risk four months ago asks for a coordinated action, whose button
  opens the circle page's form with the twin ticked; an action dated today answers it, live.

Screenshots (390 px wide) in tests/e2e/artifacts/circles-audit-*.png, in English and Arabic; on
every page no console error, no CSP violation, no link token in any URL requested.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from helpers import token_of
from playwright.sync_api import expect
from test_circles_action import ACTION, LAGOS, PAIR, PHONE, ROTTERDAM, ActionNet, accept, fits
from test_circles_pages import assert_clean, live

pytestmark = pytest.mark.browser

NAMED = "I will not block the gate if the police bring dogs"
CHANGED = "I will not block the gate if the police bring dogs or horses"
ANONYMOUS = "No arrests: I am on a work visa"
ARABIC = "لن أغلق البوابة إذا جلبت الشرطة الكلاب"


def coordinator_page(net: ActionNet, open_page: Any, action: int = 1) -> Any:
    page = open_page(
        f"{net.server.base}/network/{net.id}/action/{action}#t={token_of(net.made['coordinator'])}", *PHONE
    )
    live(page)
    return page


def name_line(page: Any, text: str, author: str | None = None) -> None:
    page.get_by_test_id("line-text").fill(text)
    page.get_by_test_id("line-language").select_option("en")
    if author:
        page.get_by_test_id("line-named").check()
        page.get_by_test_id("line-author").fill(author)
    page.get_by_test_id("line-submit").click()
    expect(page.get_by_test_id("line-status")).to_have_text(
        "Named. This browser keeps the key that lets you change or withdraw it."
    )


def acknowledge(page: Any, version: int) -> None:
    button = page.get_by_test_id("ack")
    expect(button).to_have_text(f"Acknowledge red lines (version {version})")
    button.click()
    expect(button).to_be_hidden()


def test_a_risk_audit_named_and_anonymous_translated_acknowledged_and_changed(
    mayday_server, open_page, page_log, screenshot
) -> None:
    net = ActionNet(mayday_server)
    net.open_action()
    ade = net.action_page(open_page, LAGOS, kind="members")
    joost = net.action_page(open_page, ROTTERDAM, kind="members")
    expect(ade.get_by_test_id("red-lines-empty")).to_be_visible()
    expect(ade.get_by_test_id("ack")).to_be_hidden()  # a member reads and names; her circle acknowledges

    # Ade names hers with her name; Joost his anonymously, after reading what that means.
    name_line(ade, NAMED, author="Ade")
    expect(ade.get_by_test_id("red-line-by-1")).to_have_text("Named by Ade, Lagos dockers · version 1")
    expect(joost.get_by_test_id("line-anonymous")).to_be_checked()
    expect(joost.get_by_test_id("line-anonymous-hint")).to_contain_text(
        "Nobody can see who wrote it — not the other circles, not your own, not even the chair."
    )
    name_line(joost, ANONYMOUS)
    expect(ade.get_by_test_id("red-line-text-2")).to_have_text(ANONYMOUS)
    expect(ade.get_by_test_id("red-line-by-2")).to_have_text("Anonymous · version 1")
    # Only the writer's browser may change a line.
    expect(ade.get_by_test_id("red-line-change-1")).to_be_visible()
    expect(ade.get_by_test_id("red-line-change-2")).to_be_hidden()
    expect(joost.get_by_test_id("red-line-change-2")).to_be_visible()
    expect(joost.get_by_test_id("red-line-withdraw-1")).to_be_hidden()

    # The chair reads both, and no figure: the anonymous line says so and names no circle.
    chair = coordinator_page(net, open_page)
    expect(chair.get_by_test_id("chair-note")).to_be_visible()
    expect(chair.locator("#risks-card")).to_be_hidden()
    expect(chair.get_by_test_id("red-line-by-2")).to_have_text("Anonymous · version 1")
    for word in ("Rotterdam", "Joost"):
        expect(chair.get_by_test_id("red-line-2")).not_to_contain_text(word)
    expect(chair.get_by_test_id("line-form")).to_be_hidden()  # the chair names none
    fits(chair, "the chair's audit")
    screenshot(chair, "circles-audit-chair-phone.png")

    # Rotterdam's circle, reading in Arabic, translates Ade's line into Arabic.
    rotterdam = net.action_page(open_page, ROTTERDAM)
    rotterdam.get_by_test_id("lang-picker").select_option("ar")
    expect(rotterdam.locator("html")).to_have_attribute("dir", "rtl")
    expect(rotterdam.get_by_test_id("red-line-1")).to_have_attribute("data-shown", "untranslated")
    rotterdam.get_by_test_id("red-line-translate-1").locator("summary").click()
    rotterdam.get_by_test_id("red-line-tr-language-1").select_option("ar")
    rotterdam.get_by_test_id("red-line-tr-how-1").select_option("human")
    rotterdam.get_by_test_id("red-line-tr-text-1").fill(ARABIC)
    rotterdam.get_by_test_id("red-line-tr-submit-1").click()
    expect(rotterdam.get_by_test_id("red-line-1")).to_have_attribute("data-shown", "human")
    expect(rotterdam.get_by_test_id("red-line-text-1")).to_have_text(ARABIC)
    expect(rotterdam.get_by_test_id("red-line-how-1")).to_have_text("ترجمة شخص")
    rotterdam.get_by_test_id("red-line-original-1").locator("summary").click()
    expect(rotterdam.get_by_test_id("red-line-original-text-1")).to_have_text(NAMED)

    # Both circles acknowledge version 2.
    lagos = net.action_page(open_page, LAGOS)
    acknowledge(lagos, 2)
    rotterdam.get_by_test_id("ack").click()
    expect(rotterdam.get_by_test_id("ack")).to_be_hidden()
    for circle in (LAGOS, ROTTERDAM):
        expect(lagos.get_by_test_id(f"ack-{circle}")).to_have_attribute("data-state", "current")
    expect(lagos.get_by_test_id(f"ack-{ROTTERDAM}")).to_have_text("Rotterdam drivers acknowledged version 2.")
    expect(lagos.get_by_test_id("check-red_lines")).to_have_attribute("data-ok", "true")

    # Ade changes her line: a new version; both acknowledgements and the Arabic translation go stale.
    ade.get_by_test_id("red-line-change-1").click()
    expect(ade.get_by_test_id("red-line-edit-text-1")).to_have_value(NAMED)
    ade.get_by_test_id("red-line-edit-text-1").fill(CHANGED)
    ade.get_by_test_id("red-line-save-1").click()
    expect(ade.get_by_test_id("red-line-status-1")).to_have_text("Changed: a new version.")
    expect(lagos.get_by_test_id("red-line-text-1")).to_have_text(CHANGED)
    expect(lagos.get_by_test_id(f"ack-{LAGOS}")).to_have_attribute("data-state", "stale")
    expect(lagos.get_by_test_id(f"ack-{ROTTERDAM}")).to_have_text(
        "Rotterdam drivers acknowledged version 2, but the red lines are now at version 3: stale."
    )
    expect(lagos.get_by_test_id("check-red_lines")).to_have_attribute("data-ok", "false")
    expect(lagos.get_by_test_id("ack-status")).to_have_text("")  # "Acknowledged." was of version 2
    expect(rotterdam.get_by_test_id("red-line-stale-1")).to_be_visible()
    expect(rotterdam.get_by_test_id("red-line-1")).to_have_attribute("data-stale", "true")
    # The line's versions, with its author; the anonymous one's with no name.
    lagos.get_by_test_id("red-line-history-1").locator("summary").click()
    expect(lagos.get_by_test_id("red-line-1-v1")).to_contain_text("Version 1")
    expect(lagos.get_by_test_id("red-line-1-v1")).to_contain_text("Ade")
    expect(lagos.get_by_test_id("red-line-1-v2")).to_contain_text(CHANGED)
    lagos.get_by_test_id("red-line-history-2").locator("summary").click()
    expect(lagos.get_by_test_id("red-line-2-v1")).to_contain_text("Anonymous")
    fits(lagos, "the audit with a stale acknowledgement")
    screenshot(lagos, "circles-audit-stale-en-phone.png")
    fits(rotterdam, "the audit in Arabic")
    screenshot(rotterdam, "circles-audit-stale-ar-phone.png")

    # Both acknowledge version 3.
    acknowledge(lagos, 3)
    rotterdam.get_by_test_id("ack").click()
    expect(lagos.get_by_test_id(f"ack-{ROTTERDAM}")).to_have_attribute("data-state", "current")
    expect(lagos.get_by_test_id("check-red_lines")).to_have_attribute("data-ok", "true")

    # Joost withdraws his line (a second click confirms): it stays in the record, marked.
    withdraw = joost.get_by_test_id("red-line-withdraw-2")
    withdraw.click()
    expect(withdraw).to_have_text("Really withdraw?")
    withdraw.click()
    expect(lagos.get_by_test_id("red-line-2")).to_have_attribute("data-withdrawn", "true")
    expect(lagos.get_by_test_id("red-line-withdrawn-2")).to_contain_text("Withdrawn by its writer on ")
    expect(joost.get_by_test_id("red-line-withdraw-2")).to_have_count(0)
    expect(lagos.get_by_test_id(f"ack-{LAGOS}")).to_have_attribute("data-state", "stale")

    # The export, in the page's language (Arabic): a download fetched with the link in a header.
    with rotterdam.expect_download() as got:
        rotterdam.get_by_test_id("export-txt").click()
    text = open(got.value.path(), encoding="utf-8").read()
    assert text.startswith(f"الخطوط الحمراء: {ACTION}") and ARABIC in text and "مجهول الهوية" in text
    assert_clean(page_log, net.tokens())


def test_the_readiness_gate_not_ready_to_ready_and_proceed_anyway_on_record(
    mayday_server, open_page, page_log, screenshot
) -> None:
    net = ActionNet(mayday_server)
    net.open_action()
    lagos = net.action_page(open_page, LAGOS)
    rotterdam = net.action_page(open_page, ROTTERDAM)
    status = lagos.get_by_test_id("readiness-status")
    expect(status).to_have_attribute("data-ready", "false")
    expect(status).to_have_text("Not ready: 3 checks do not hold yet.")
    expect(lagos.get_by_test_id("check-red_lines")).to_contain_text("Waiting for: Lagos dockers, Rotterdam drivers")
    expect(lagos.get_by_test_id("check-figures")).to_contain_text("Waiting for: Lagos dockers, Rotterdam drivers")
    expect(lagos.get_by_test_id("check-communique")).to_contain_text("Missing: Dutch")
    expect(lagos.get_by_test_id("check-pledges")).to_have_attribute("data-ok", "true")
    expect(lagos.get_by_test_id("proceed-box")).to_be_visible()  # a circle of the action may decide
    fits(lagos, "the readiness checklist")
    screenshot(lagos, "circles-audit-not-ready-phone.png")

    # No red line named: each circle acknowledges version 0; each accepts the figures.
    acknowledge(lagos, 0)
    acknowledge(rotterdam, 0)
    expect(lagos.get_by_test_id("check-red_lines")).to_have_attribute("data-ok", "true")
    accept(lagos, 1)
    accept(rotterdam, 1)
    expect(lagos.get_by_test_id("check-figures")).to_have_attribute("data-ok", "true")
    expect(status).to_have_text("Not ready: 1 check does not hold yet.")
    # Rotterdam translates the communique into Dutch, the one language the server does not write.
    rotterdam.get_by_test_id("translate-language").select_option("nl")
    rotterdam.get_by_test_id("translate-text").fill("Gezamenlijk communiqué: May Day port shutdown")
    rotterdam.get_by_test_id("translate-submit").click()
    expect(rotterdam.get_by_test_id("translate-status")).to_have_text("Translation saved.")
    expect(status).to_have_attribute("data-ready", "true")
    expect(status).to_have_text("Ready: every check holds.")
    expect(lagos.get_by_test_id("checklist").locator("li[data-ok='true']")).to_have_count(4)
    expect(lagos.get_by_test_id("proceed-box")).to_be_hidden()
    screenshot(lagos, "circles-audit-ready-phone.png")

    # A second action: the coordinator decides to proceed anyway; the record says who and why.
    net.coordinator(
        {"type": "open_action", "name": "Second shutdown", "circles": [LAGOS, ROTTERDAM], "date": "2027-05-08"}
    )
    chair = coordinator_page(net, open_page, action=2)
    expect(chair.get_by_test_id("readiness-status")).to_have_text("Not ready: 3 checks do not hold yet.")
    chair.get_by_test_id("proceed-box").locator("summary").click()
    chair.get_by_test_id("proceed-name").fill("Ada Okafor")
    chair.get_by_test_id("proceed-reason").fill("The ships dock on the 8th")
    chair.get_by_test_id("proceed-submit").click()
    expect(chair.get_by_test_id("proceed-status")).to_have_text("Recorded: the action proceeds anyway.")
    second = open_page(net.link("circles", LAGOS, "/action/2"), *PHONE)
    live(second)
    for page in (chair, second):
        going = page.get_by_test_id("readiness-status")
        expect(going).to_have_attribute("data-go", "true")
        expect(going).to_have_attribute("data-ready", "false")
        expect(going).to_contain_text("Proceeding anyway — decided by Ada Okafor on ")
        expect(going).to_contain_text(": The ships dock on the 8th")
        expect(page.get_by_test_id("proceeded")).to_contain_text("Ada Okafor (the network's coordinator) decided on ")
        expect(page.get_by_test_id("proceeded")).to_contain_text("Not ready then: red lines, figures, communique.")
        expect(page.get_by_test_id("proceed-box")).to_be_hidden()
    screenshot(chair, "circles-audit-proceed-anyway-phone.png")
    second.get_by_test_id("lang-picker").select_option("ar")
    expect(second.get_by_test_id("readiness-status")).to_contain_text("يمضي رغم ذلك — قرّر ذلك")
    expect(second.get_by_test_id("readiness-status")).to_contain_text("Ada Okafor")
    fits(second, "the readiness gate in Arabic")
    screenshot(second, "circles-audit-proceed-anyway-ar-phone.png")

    # The circle page lists the first action ready and the second going ahead anyway.
    circle = open_page(net.circle_link(LAGOS), *PHONE)
    live(circle)
    expect(circle.get_by_test_id("action-1")).to_have_attribute("data-ready", "true")
    expect(circle.get_by_test_id("action-2")).to_have_attribute("data-ready", "false")
    expect(circle.get_by_test_id("action-proceeding-2")).to_have_text("Proceeding anyway")
    assert_clean(page_log, net.tokens())


def test_the_pair_page_says_when_the_twins_last_took_a_shared_risk(
    mayday_server, open_page, page_log, screenshot
) -> None:
    net = ActionNet(mayday_server)
    today = dt.datetime.now(dt.UTC).date()
    long_ago = today - dt.timedelta(days=120)
    net.coordinator(
        {"type": "open_action", "name": "Winter blockade", "circles": [LAGOS, ROTTERDAM], "date": long_ago.isoformat()}
    )
    pair = open_page(net.link("circles", LAGOS, f"/pair/{PAIR}"), *PHONE)
    live(pair)
    last = pair.get_by_test_id("last-risk")
    expect(last).to_contain_text("Last shared risk: Winter blockade on ")
    expect(pair.get_by_test_id("last-risk-ago")).to_have_text("(120 days ago)")
    expect(pair.get_by_test_id("ask-text")).to_have_text(
        "More than a quarter (91 days) has passed without a shared risk. Plan a coordinated action together."
    )
    expect(pair.get_by_test_id("ask-open")).to_have_text("Open a joint action with Rotterdam drivers")
    fits(pair, "the pair page asking for a shared risk")
    screenshot(pair, "circles-audit-pair-ask-phone.png")
    pair.get_by_test_id("lang-picker").select_option("ar")
    expect(pair.get_by_test_id("ask-open")).to_have_text("فتح تحرك مشترك مع \u2068Rotterdam drivers\u2069")
    screenshot(pair, "circles-audit-pair-ask-ar-phone.png")
    pair.get_by_test_id("lang-picker").select_option("en")

    # A member of the twin reads the ask, and who opens actions; no button.
    member = open_page(net.link("members", ROTTERDAM, f"/pair/{PAIR}"), *PHONE)
    live(member)
    expect(member.get_by_test_id("ask-member")).to_have_text(
        "Your circle's coordinators open joint actions on its page."
    )
    expect(member.get_by_test_id("ask-open")).to_have_count(0)

    # The button opens the circle page's form with the twin ticked.
    pair.get_by_test_id("ask-open").click()
    expect(pair).to_have_url(
        f"{net.server.base}/network/{net.id}/circle/{LAGOS}?open={ROTTERDAM}#t={token_of(net.circle_link(LAGOS))}"
    )
    live(pair)
    expect(pair.get_by_test_id("open-card")).to_be_visible()
    expect(pair.get_by_test_id(f"open-circle-{ROTTERDAM}")).to_be_checked()
    expect(pair.get_by_test_id("open-name")).to_be_focused()
    pair.get_by_test_id("open-name").fill("Today's solidarity stoppage")
    pair.get_by_test_id("open-date").fill(today.isoformat())
    pair.get_by_test_id("open-submit").click()
    expect(pair.get_by_test_id("open-status")).to_have_text("Opened: it is listed under Joint actions.")

    # The twin's member page follows, live: today's action answers the ask.
    expect(member.get_by_test_id("last-risk")).to_contain_text("Last shared risk: Today's solidarity stoppage on ")
    expect(member.get_by_test_id("last-risk-ago")).to_have_text("(today)")
    expect(member.get_by_test_id("ask-risk")).to_be_hidden()
    screenshot(member, "circles-audit-pair-answered-phone.png")
    assert_clean(page_log, net.tokens())
