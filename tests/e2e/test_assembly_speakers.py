"""The assembly pages against a real server, the speakers' journey: each page in its participant's
language and role (the viewer has no controls), attendance, hands, the chair reordering, a point of
order, the floor with its countdown, extension, the speaker's language for the interpreter, and a
point of order left to run over time; the minutes list every speech."""

from __future__ import annotations

import re

import pytest
from assembly_meeting import LIVE, PHONE, assert_clean
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_roles_and_languages(meeting, open_page, page_log) -> None:
    chair, rosa, ngozi, viewer = meeting.chair, meeting.rosa, meeting.ngozi, meeting.viewer
    # Each page speaks its participant's language: Rosa's is Spanish; the viewer follows the browser.
    expect(rosa.locator("html")).to_have_attribute("lang", "es")
    expect(rosa.get_by_test_id("raise-hand")).to_have_text("Levantar la mano")
    expect(ngozi.locator("html")).to_have_attribute("lang", "en")
    expect(chair.get_by_test_id("role")).to_have_attribute("data-role", "chair")
    expect(viewer.get_by_test_id("role")).to_have_attribute("data-role", "public")
    viewer_link = open_page(meeting.asm["viewer"], *PHONE)
    expect(viewer_link.get_by_test_id("role")).to_have_attribute("data-role", "viewer", timeout=LIVE)
    for page in (viewer, viewer_link):
        for testid in ("attend", "raise-hand", "hand-form", "propose-form", "grant-next", "end-my-speech"):
            expect(page.get_by_test_id(testid)).to_have_count(0)
    viewer_link.close()
    assert_clean(page_log, meeting.tokens())


def test_attendance_hands_and_the_floor(meeting, page_log, screenshot) -> None:
    chair, rosa, ngozi, interp, viewer = meeting.pages

    # Attendance and hands -----------------------------------------------------------------------
    rosa.get_by_test_id("attend").click()
    ngozi.get_by_test_id("attend").click()
    expect(chair.get_by_test_id("present-rosa")).to_be_checked()
    expect(chair.get_by_test_id("present-ngozi")).to_be_checked()
    expect(chair.get_by_test_id("present-summary")).to_contain_text("2 of 2 delegates present (weight 3)")
    expect(rosa.get_by_test_id("presence")).to_have_attribute("data-present", "true")

    rosa.get_by_test_id("raise-hand").click()
    expect(rosa.get_by_test_id("my-position")).to_have_text("Eres el número 1 (Intervención)")
    ngozi.get_by_test_id("raise-hand").click()
    order = chair.get_by_test_id("order").locator("li")
    expect(order).to_have_count(2)
    expect(order.nth(0)).to_have_attribute("data-person", "rosa")
    expect(ngozi.get_by_test_id("my-position")).to_have_text("You are number 2 (Speech)")
    # the chair moves Ngozi up: a reorder with the full order, seen everywhere
    chair.get_by_test_id("order-ngozi-speech").get_by_test_id("up").click()
    expect(order.nth(0)).to_have_attribute("data-person", "ngozi")
    expect(viewer.get_by_test_id("order").locator("li").nth(0)).to_have_attribute("data-person", "ngozi")
    expect(rosa.get_by_test_id("my-position")).to_have_text("Eres el número 2 (Intervención)")

    # The floor ----------------------------------------------------------------------------------
    chair.get_by_test_id("grant-next").click()
    expect(viewer.get_by_test_id("floor-speaker")).to_have_text("Ngozi")
    expect(viewer.get_by_test_id("floor")).to_have_attribute("data-state", "speaking")
    countdown = viewer.get_by_test_id("floor-countdown")
    expect(countdown).to_have_text(re.compile(r"^[01]:\d\d$"))
    first = int(countdown.get_attribute("data-ms"))
    assert 50_000 < first <= 60_500, first
    viewer.wait_for_timeout(1_200)
    assert int(countdown.get_attribute("data-ms")) < first  # it counts down to the server's deadline
    chair.get_by_test_id("extend-30").click()
    expect(countdown).to_have_attribute("data-ms", re.compile(r"^(8\d|9\d)\d{3}$"))  # 80-99 s left
    expect(ngozi.get_by_test_id("floor-countdown")).to_have_text(re.compile(r"^1:[2-3]\d$"))
    expect(rosa.get_by_test_id("end-my-speech")).to_be_hidden()
    # a point of order, raised by the chair on Rosa's behalf, goes before every speech
    chair.get_by_test_id("raise-for-person").select_option("rosa")
    chair.get_by_test_id("raise-for-kind").select_option("point_of_order")
    chair.get_by_test_id("raise-for-form").get_by_role("button").click()
    expect(order.nth(0)).to_have_attribute("data-testid", "order-rosa-point_of_order")
    expect(rosa.get_by_test_id("my-entry-point_of_order")).to_have_attribute("data-position", "1")
    screenshot(chair, "assembly-chair-desktop.png")
    chair.get_by_test_id("order-rosa-point_of_order").get_by_test_id("remove").click()
    expect(order).to_have_count(1)
    ngozi.get_by_test_id("end-my-speech").click()
    expect(viewer.get_by_test_id("floor")).to_have_attribute("data-state", "empty")

    chair.get_by_test_id("order-rosa-speech").get_by_test_id("grant").click()
    expect(rosa.get_by_test_id("end-my-speech")).to_have_text("Terminar mi intervención")
    expect(rosa.get_by_test_id("floor-meta")).to_contain_text("tienes la palabra")
    expect(chair.get_by_test_id("floor-countdown")).to_have_text(re.compile(r"^[01]:\d\d$"))
    expect(interp.get_by_test_id("floor-language")).to_have_text("Floor language: not set")
    rosa.get_by_test_id("floor-lang-select").select_option("es")  # the speaker says what she speaks
    expect(interp.get_by_test_id("floor-language")).to_have_attribute("data-language", "es")
    expect(interp.get_by_test_id("floor-language")).to_have_text("Floor language: Spanish")
    expect(interp.get_by_test_id("floor-speaker")).to_have_text("Rosa")
    chair.get_by_test_id("end-speech").click()
    expect(viewer.get_by_test_id("floor")).to_have_attribute("data-state", "empty")
    expect(chair.get_by_test_id("order").locator("li")).to_have_count(0)
    expect(chair.get_by_test_id("region-africa").locator("td").first).not_to_have_text("0:00")

    # A 10 s point of order for Ngozi, left to run over time ------------------------------------
    chair.get_by_test_id("raise-for-person").select_option("ngozi")
    chair.get_by_test_id("raise-for-form").get_by_role("button").click()
    expect(order).to_have_count(1)
    chair.get_by_test_id("grant-next").click()
    expect(ngozi.get_by_test_id("floor-meta")).to_contain_text("Point of order")
    # it ran over: the pages say so, and so does the server (floor_overtime)
    expect(viewer.get_by_test_id("floor")).to_have_attribute("data-state", "overtime", timeout=LIVE)
    expect(ngozi.get_by_test_id("floor-overtime")).to_have_text("Over time")
    expect(ngozi.get_by_test_id("floor-countdown")).to_have_text(re.compile(r"^\+0:\d\d$"))
    chair.wait_for_function("() => window.mayday.page.model.floor?.overtime === true", timeout=LIVE)
    chair.get_by_test_id("end-speech").click()
    expect(viewer.get_by_test_id("floor")).to_have_attribute("data-state", "empty")

    # The minutes list every speech, the one that ran over marked so ----------------------------
    minutes = meeting.minutes()
    assert re.search(r"^\| 1 \| Ngozi \(africa\) \| speech \|", minutes, re.M), minutes
    assert re.search(r"^\| 2 \| Rosa \(americas\) \| speech \|", minutes, re.M), minutes
    assert re.search(r"^\| 3 \| Ngozi \(africa\) \| point of order \|.*\| yes \|$", minutes, re.M), minutes
    assert chair.get_by_test_id("minutes-md").get_attribute("href") == f"/api/assemblies/{meeting.aid}/minutes.md"
    assert_clean(page_log, meeting.tokens())
