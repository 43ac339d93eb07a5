"""The assembly pages against a real server: a chair, two delegates (one reading Spanish, one
English), an interpreter and a public viewer run a short session -- attendance, hands, reordering,
a point of order, the floor with its countdown, extension and over-time state, a Spanish demand
translated into English, edited (the translation goes stale) and translated again, an open ballot
with live tallies, a secret ballot with a changed vote, a secret ballot that survives a server
restart without losing a vote, a Schulze ranking, and a link added then revoked. The viewer has no
controls, Arabic turns the page right to left, the pages fit a 360 px phone, no page logs an error,
breaks the CSP or leaks a link token, and the minutes record it all.

Also: the browser's fold (static/assembly-model.js), speaking order included, equals the server's
(assembly/state.py, assembly/queue.py) after every event of random sessions of the core's events."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from typing import Any

import pytest
from helpers import token_of
from playwright.sync_api import expect

from assembly import core
from assembly.definition import parse_assembly
from assembly.state import evolve
from mayday.errors import DomainError
from mayday.events import unpack

pytestmark = pytest.mark.browser

PHONE = (360, 800)
DESKTOP = (1280, 900)
LIVE = 15_000  # ms: a page connects, or reconnects after a restart, within this

ES_DRAFT = "Semana laboral de 35 horas sin pérdida de salario"
EN_DRAFT = "A 35-hour working week with no loss of pay"
ES_DEMAND = "Semana laboral de 35 horas sin pérdida de salario en todas las sedes"
EN_DEMAND = "A 35-hour working week with no loss of pay at every site"
EN_DEMAND_2 = "Equal pay for equal work across every site and subcontractor"
ES_DEMAND_3 = "Ningún despido por participar en la huelga"

DEFINITION = {
    "title": "E2E workers' assembly",
    "languages": ["en", "es", "fr", "pt", "ar"],
    "speaking_time": {"speech": "60s", "reply": "30s", "point_of_order": "10s"},
    "queue": {"first_time_first": True, "region_rotation": True, "region_budget": "10m"},
    "quorum": 0.5,
    "viewers": "public",
    "chairs": [{"id": "ama", "name": "Ama", "language": "en"}],
    "delegates": [
        {"id": "ngozi", "name": "Ngozi", "site": "lag", "region": "africa", "weight": 2, "language": "en"},
        {"id": "rosa", "name": "Rosa", "site": "lpb", "region": "americas", "language": "es"},
    ],
    "interpreters": [{"id": "lucia", "name": "Lucía", "booth": "en", "understands": ["es", "pt"]}],
}


def live(page: Any) -> None:
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live", timeout=LIVE)


def welcomes(page: Any) -> int:
    return page.evaluate("window.mayday.page.welcomes")


def ballot(page: Any, n: int) -> Any:
    return page.get_by_test_id(f"ballot-{n}")


def text(page: Any, tid: str) -> Any:
    return page.get_by_test_id(f"text-{tid}")


def test_assembly_session(own_server, open_page, page_log, screenshot) -> None:
    asm = own_server.create("/api/assemblies", DEFINITION)
    aid = asm["id"]
    chair = open_page(asm["chairs"]["ama"], *DESKTOP)
    rosa = open_page(asm["delegates"]["rosa"], *PHONE)
    ngozi = open_page(asm["delegates"]["ngozi"], *PHONE)
    interp = open_page(asm["interpreters"]["lucia"], *DESKTOP)
    viewer = open_page(asm["watch"], *PHONE)  # the public page, without any link
    pages = [chair, rosa, ngozi, interp, viewer]
    for page in pages:
        live(page)
        expect(page.get_by_test_id("title")).to_have_text("E2E workers' assembly")

    # Each page speaks its participant's language: Rosa's is Spanish; the viewer follows the browser.
    expect(rosa.locator("html")).to_have_attribute("lang", "es")
    expect(rosa.get_by_test_id("raise-hand")).to_have_text("Levantar la mano")
    expect(ngozi.locator("html")).to_have_attribute("lang", "en")
    expect(chair.get_by_test_id("role")).to_have_attribute("data-role", "chair")
    expect(viewer.get_by_test_id("role")).to_have_attribute("data-role", "public")
    viewer_link = open_page(asm["viewer"], *PHONE)
    expect(viewer_link.get_by_test_id("role")).to_have_attribute("data-role", "viewer", timeout=LIVE)
    for page in (viewer, viewer_link):
        for testid in ("attend", "raise-hand", "hand-form", "propose-form", "grant-next", "end-my-speech"):
            expect(page.get_by_test_id(testid)).to_have_count(0)
    viewer_link.close()

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
    # a 10 s point of order for Ngozi, left to run over time while the demand is drafted below
    chair.get_by_test_id("raise-for-person").select_option("ngozi")
    chair.get_by_test_id("raise-for-form").get_by_role("button").click()
    expect(order).to_have_count(1)
    chair.get_by_test_id("grant-next").click()
    expect(ngozi.get_by_test_id("floor-meta")).to_contain_text("Point of order")

    # A demand in Spanish, translated into English, edited (stale), translated again ------------
    rosa.get_by_test_id("propose-text").fill(ES_DRAFT)
    rosa.get_by_test_id("propose-submit").click()
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

    # the point of order ran over: the pages say so, and so does the server (floor_overtime)
    expect(viewer.get_by_test_id("floor")).to_have_attribute("data-state", "overtime", timeout=12_000)
    expect(ngozi.get_by_test_id("floor-overtime")).to_have_text("Over time")
    expect(ngozi.get_by_test_id("floor-countdown")).to_have_text(re.compile(r"^\+0:\d\d$"))
    chair.wait_for_function("() => window.mayday.page.model.floor?.overtime === true", timeout=LIVE)
    chair.get_by_test_id("end-speech").click()
    expect(viewer.get_by_test_id("floor")).to_have_attribute("data-state", "empty")

    # An open ballot: live tallies for the viewer ---------------------------------------------------
    text(chair, "d1").get_by_test_id("open-ballot").locator("summary").click()
    text(chair, "d1").get_by_test_id("ob-submit").click()
    expect(ballot(viewer, 1)).to_have_attribute("data-status", "open")
    for testid in ("vote-yes", "vote-no", "vote-abstain"):
        expect(viewer.get_by_test_id(testid)).to_have_count(0)
    ballot(rosa, 1).get_by_test_id("vote-yes").click()
    tally = ballot(viewer, 1).get_by_test_id("tally")
    expect(tally.get_by_test_id("tally-yes")).to_have_attribute("data-weight", "1")
    ballot(ngozi, 1).get_by_test_id("vote-no").click()
    expect(tally.get_by_test_id("tally-no")).to_have_attribute("data-weight", "2")
    ballot(ngozi, 1).get_by_test_id("vote-yes").click()  # an open vote can be changed too
    expect(tally.get_by_test_id("tally-yes")).to_have_attribute("data-weight", "3")
    expect(tally.get_by_test_id("tally-no")).to_have_attribute("data-weight", "0")
    expect(ballot(ngozi, 1).get_by_test_id("vote-yes")).to_have_attribute("aria-pressed", "true")
    expect(ballot(ngozi, 1).get_by_test_id("vote-no")).to_have_attribute("aria-pressed", "false")
    ballot(chair, 1).get_by_test_id("close-ballot").click()
    for page in (chair, rosa, ngozi, viewer):
        result = ballot(page, 1).get_by_test_id("result")
        expect(result).to_have_attribute("data-outcome", "adopted")
        expect(result.get_by_test_id("result-numbers")).to_have_attribute("data-yes", "3")
    expect(ballot(rosa, 1).get_by_test_id("outcome")).to_have_text("Aprobada")
    expect(text(viewer, "d1")).to_have_attribute("data-status", "adopted")

    # A secret ballot: one delegate changes their vote -------------------------------------------
    ngozi.get_by_test_id("propose-text").fill(EN_DEMAND_2)
    ngozi.get_by_test_id("propose-submit").click()
    expect(text(chair, "d2")).to_contain_text(EN_DEMAND_2)
    text(chair, "d2").get_by_test_id("open-ballot").locator("summary").click()
    text(chair, "d2").get_by_test_id("ob-secret").check()
    text(chair, "d2").get_by_test_id("ob-submit").click()
    # Some weights are held by fewer than k delegates: the totals could reveal their choices.
    expect(chair.get_by_test_id("weight-proceed")).to_be_visible()
    chair.get_by_test_id("weight-proceed").click()
    expect(ballot(rosa, 2)).to_have_attribute("data-secret", "true")
    ballot(rosa, 2).get_by_test_id("vote-yes").click()
    expect(ballot(rosa, 2)).to_have_attribute("data-my-choice", '"yes"')
    ballot(ngozi, 2).get_by_test_id("vote-yes").click()
    expect(ballot(ngozi, 2)).to_have_attribute("data-my-choice", '"yes"')
    expect(ballot(viewer, 2).get_by_test_id("voters")).to_have_attribute("data-n", "2")
    ballot(rosa, 2).get_by_test_id("vote-no").click()  # changed, with the receipt of the first vote
    expect(ballot(rosa, 2)).to_have_attribute("data-my-choice", '"no"')
    expect(ballot(rosa, 2).get_by_test_id("vote-no")).to_have_attribute("aria-pressed", "true")
    expect(ballot(rosa, 2).get_by_test_id("vote-error")).to_be_hidden()
    # the receipt stays on Rosa's phone: her choice and a fresh 32-byte nonce, never on the server
    kept = json.loads(rosa.evaluate(f"localStorage.getItem('mayday.vote.{aid}.2.rosa')"))
    assert kept["choice"] == "no" and re.fullmatch(r"[A-Za-z0-9_-]{43}", kept["nonce"]), kept
    assert "pending" not in kept
    expect(ballot(chair, 2).get_by_test_id("voters")).to_have_attribute("data-n", "2")
    expect(ballot(viewer, 2).get_by_test_id("tally-yes")).to_have_count(0)  # no tally while secret
    ballot(chair, 2).get_by_test_id("close-ballot").click()
    for page in (chair, rosa, ngozi, viewer):
        numbers = ballot(page, 2).get_by_test_id("result-numbers")
        expect(numbers).to_have_attribute("data-yes", "2")
        expect(numbers).to_have_attribute("data-no", "1")
        expect(numbers).to_have_attribute("data-abstain", "0")
    expect(ballot(viewer, 2).get_by_test_id("result")).to_have_attribute("data-outcome", "adopted")

    # A secret ballot across a server restart ------------------------------------------------------
    rosa.get_by_test_id("propose-text").fill(ES_DEMAND_3)
    rosa.get_by_test_id("propose-submit").click()
    expect(text(chair, "d3")).to_contain_text(ES_DEMAND_3)
    text(chair, "d3").get_by_test_id("open-ballot").locator("summary").click()
    text(chair, "d3").get_by_test_id("ob-majority").select_option("two_thirds")
    text(chair, "d3").get_by_test_id("ob-secret").check()
    text(chair, "d3").get_by_test_id("ob-submit").click()
    chair.get_by_test_id("weight-proceed").click()
    ballot(rosa, 3).get_by_test_id("vote-yes").click()
    expect(ballot(rosa, 3)).to_have_attribute("data-my-choice", '"yes"')
    expect(ballot(chair, 3).get_by_test_id("voters")).to_have_attribute("data-n", "1")

    before = {id(page): welcomes(page) for page in pages}
    errors_before = len(page_log.errors)
    own_server.restart()
    for page in pages:  # every page comes back by itself, from its last offset
        page.wait_for_function("(n) => window.mayday.page.welcomes > n", arg=before[id(page)], timeout=LIVE)
        live(page)
    # A page that tried while the server was down: Chromium logs the refused socket. Nothing else.
    restart_noise = page_log.errors[errors_before:]
    del page_log.errors[errors_before:]
    print(f"while the server restarted, the pages logged {len(restart_noise)} refused socket(s)")
    unexpected = [e for e in restart_noise if not re.search(r"WebSocket connection to 'ws://[^']+/ws/assembly/", e)]
    assert unexpected == [], unexpected

    expect(ballot(chair, 3)).to_have_attribute("data-status", "open")
    expect(ballot(chair, 3).get_by_test_id("voters")).to_have_attribute("data-n", "1")
    expect(ballot(rosa, 3)).to_have_attribute("data-my-choice", '"yes"')
    ballot(ngozi, 3).get_by_test_id("vote-no").click()  # the remaining vote, after the restart
    expect(ballot(ngozi, 3)).to_have_attribute("data-my-choice", '"no"')
    expect(ballot(viewer, 3).get_by_test_id("voters")).to_have_attribute("data-n", "2")
    ballot(chair, 3).get_by_test_id("close-ballot").click()
    for page in (chair, rosa, ngozi, viewer):
        numbers = ballot(page, 3).get_by_test_id("result-numbers")
        expect(numbers).to_have_attribute("data-yes", "1")  # Rosa's, cast before the restart
        expect(numbers).to_have_attribute("data-no", "2")  # Ngozi's (weight 2), after it
    expect(ballot(chair, 3).get_by_test_id("result")).to_have_attribute("data-outcome", "rejected")
    expect(text(rosa, "d3")).to_have_attribute("data-status", "rejected")

    # A ranking of the adopted demands (Schulze) --------------------------------------------------
    chair.locator("#ranking-details > summary").click()
    chair.get_by_test_id("ranking-submit").click()
    expect(ballot(rosa, 4)).to_have_attribute("data-kind", "ranking")
    ballot(rosa, 4).locator('[data-candidate="d2"]').get_by_test_id("rank-up").click()
    expect(ballot(rosa, 4).locator(".rank-item").first).to_have_attribute("data-candidate", "d2")
    ballot(rosa, 4).get_by_test_id("submit-ranking").click()
    expect(ballot(rosa, 4)).to_have_attribute("data-my-choice", '[["d2"],["d1"]]')
    ballot(ngozi, 4).get_by_test_id("submit-ranking").click()
    expect(ballot(ngozi, 4)).to_have_attribute("data-my-choice", '[["d1"],["d2"]]')
    expect(ballot(chair, 4).get_by_test_id("voters")).to_have_attribute("data-n", "2")
    ballot(chair, 4).get_by_test_id("close-ballot").click()
    ranking = ballot(viewer, 4).get_by_test_id("ranking").locator("li")
    expect(ranking).to_have_count(2)
    expect(ranking.first).to_contain_text("Demand 1")  # Ngozi's weight 2 beats Rosa's 1
    expect(ballot(chair, 4).get_by_test_id("pairwise").locator("tbody tr").first.locator("td").nth(1)).to_have_text("2")

    # The chair adds a delegate, whose link works until the chair revokes it ---------------------
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
    expect(ballot(rosa, 3).get_by_test_id("outcome")).to_have_text("مرفوض")
    assert rosa.evaluate("document.documentElement.scrollWidth") <= PHONE[0]  # nothing spills sideways
    screenshot(rosa, "assembly-delegate-phone-ar.png")
    rosa.get_by_test_id("lang-picker").select_option("es")
    expect(rosa.locator("html")).to_have_attribute("dir", "ltr")
    for page in (chair, interp):  # the desktop pages work at phone width too
        page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    for page in (chair, interp, ngozi, viewer):
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0], page.url
    screenshot(chair, "assembly-chair-phone.png")

    # The minutes -----------------------------------------------------------------------------------
    with own_server.api() as client:
        r = client.get(f"/api/assemblies/{aid}/minutes.md")
    assert r.status_code == 200, r.text
    minutes = r.text
    # (the minutes' own format is tested in tests/assembly; here: what this session did is in them)
    assert re.search(r"^\| 1 \| Ngozi \(africa\) \| speech \|", minutes, re.M), minutes
    assert re.search(r"^\| 2 \| Rosa \(americas\) \| speech \|", minutes, re.M), minutes
    assert re.search(r"^\| 3 \| Ngozi \(africa\) \| point of order \|.*\| yes \|$", minutes, re.M), minutes
    assert f"original (revision 2):**\n\n> {ES_DEMAND}" in minutes, minutes
    assert "Revision 1, " in minutes and f"by Rosa: {ES_DRAFT}" in minutes
    assert f"translated by Lucía:**\n\n> {EN_DEMAND}" in minutes
    assert re.search(r"Ballot 1: .*\n\nOpen ballot .*\n\nResult: \*\*adopted\*\*", minutes), minutes
    assert "| Yes | 3 | 2 |" in minutes
    assert re.search(r"Ballot 3: .*\n\nSecret ballot · two-thirds majority.* · 2 voters", minutes), minutes
    assert "| Yes | 1 |\n| No | 2 |" in minutes and "Result: **rejected**" in minutes
    assert "1. D1 · A 35-hour" in minutes and "2. D2 · Equal pay" in minutes
    assert chair.get_by_test_id("minutes-md").get_attribute("href") == f"/api/assemblies/{aid}/minutes.md"

    tokens = [token_of(link) for group in ("chairs", "delegates", "interpreters") for link in asm[group].values()]
    tokens += [token_of(asm["viewer"]), own_server.admin_token, token_of(joy_link), token_of(replaced)]
    assert page_log.errors == [], "\n".join(page_log.errors)
    assert page_log.csp_violations() == []
    for secret in tokens:
        leaked = [u for u in page_log.urls + page_log.referers if secret in u]
        assert leaked == [], f"a link token left the page in a URL or Referer: {leaked}"


def test_secret_vote_whose_answer_is_lost(mayday_server, open_page, page_log) -> None:
    """The connection drops after a secret vote is sent and before anything comes back: the page
    does not know whether it counted. Back online, the log says it did (the voter's ballot_voted),
    so the page keeps that vote's receipt -- and changing the vote with it works."""
    asm = mayday_server.create(
        "/api/assemblies",
        {
            "title": "Lost answer",
            "languages": ["en"],
            "chairs": [{"id": "ama"}],
            "delegates": [{"id": "kwame", "name": "Kwame"}],
        },
    )
    kwame = open_page(asm["delegates"]["kwame"], *PHONE)
    live(kwame)
    cut = {"armed": False, "before_server": False}

    def route(ws: Any) -> None:
        server = ws.connect_to_server()
        line = {"vote_sent": False, "dead": False}

        def to_server(message: str | bytes) -> None:
            frame = json.loads(message)
            if cut["armed"] and frame.get("type") == "command" and frame["command"].get("type") == "vote":
                if cut["before_server"]:  # lost on the way: the server never hears of it
                    line["dead"], cut["armed"] = True, False
                    ws.close(code=4000, reason="cut")
                    return
                line["vote_sent"] = True
            server.send(message)

        def to_page(message: str | bytes) -> None:
            if line["dead"]:
                return
            if line["vote_sent"]:  # the vote went out: swallow whatever answers it, drop the line
                line["dead"], cut["armed"] = True, False
                ws.close(code=4000, reason="cut")
                return
            ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)

    kwame.route_web_socket(re.compile(r"/ws/assembly/"), route)
    kwame.reload()
    live(kwame)
    chair = {"authorization": f"Bearer {token_of(asm['chairs']['ama'])}"}
    kwame.get_by_test_id("propose-text").fill("A strike fund for every site")
    kwame.get_by_test_id("propose-submit").click()
    expect(text(kwame, "d1")).to_be_visible()
    with mayday_server.api() as client:
        r = client.post(
            f"/api/assemblies/{asm['id']}/commands",
            json={"type": "open_ballot", "target": "d1", "secret": True, "accept_weight_risk": True},
            headers=chair,
        )
        assert r.status_code == 200, r.text
    vote = ballot(kwame, 1)
    expect(vote).to_have_attribute("data-status", "open")
    key = f"localStorage.getItem('mayday.vote.{asm['id']}.1.kwame')"
    # first the vote is lost before the server: back online, the page knows it did not count
    cut.update(armed=True, before_server=True)
    vote.get_by_test_id("vote-abstain").click()
    expect(vote.get_by_test_id("vote-error")).to_contain_text("connection dropped")
    live(kwame)
    expect(vote.get_by_test_id("voters")).to_have_attribute("data-n", "0")
    expect(vote).to_have_attribute("data-my-choice", "")
    assert kwame.evaluate(key) is None
    # then the answer is lost after the server counted it
    cut.update(armed=True, before_server=False)
    vote.get_by_test_id("vote-yes").click()
    expect(vote.get_by_test_id("vote-error")).to_contain_text("connection dropped")
    live(kwame)
    expect(vote).to_have_attribute("data-my-choice", '"yes"')  # the log showed it counted
    kept = json.loads(kwame.evaluate(key))
    assert kept["choice"] == "yes" and kept["n"] == 1 and "pending" not in kept, kept
    vote.get_by_test_id("vote-no").click()  # the kept receipt is the right one
    expect(vote).to_have_attribute("data-my-choice", '"no"')
    expect(vote.get_by_test_id("vote-error")).to_be_empty()
    with mayday_server.api() as client:
        r = client.post(
            f"/api/assemblies/{asm['id']}/commands", json={"type": "close_ballot", "ballot": 1}, headers=chair
        )
        assert r.status_code == 200, r.text
    numbers = vote.get_by_test_id("result-numbers")
    expect(numbers).to_have_attribute("data-yes", "0")
    expect(numbers).to_have_attribute("data-no", "1")
    assert page_log.errors == [], page_log.errors


# The browser's fold == the server's ------------------------------------------------------------

T0 = dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC)
PEOPLE = [
    ("ngozi", "africa"),
    ("kwame", "africa"),
    ("rosa", "americas"),
    ("joao", "americas"),
    ("maria", "asia"),
    ("ana", None),
]
WORDS = ["huelga", "strike", "grève", "greve", "salario", "pay", "hours", "horas"]


def random_session(rng: random.Random) -> tuple[list[tuple[str, dict[str, Any]]], list[dict[str, Any]]]:
    """A random run of commands through the real core: the events, and the state after each one
    (projected as ``project`` does)."""
    definition = {
        "title": "Fold check",
        "languages": ["en", "es", "fr"],
        "speaking_time": {"speech": "30s", "reply": "20s", "point_of_order": "10s"},
        "queue": {
            "first_time_first": rng.random() < 0.7,
            "region_rotation": rng.random() < 0.7,
            **({"region_budget": f"{rng.choice([20, 45, 90])}s"} if rng.random() < 0.6 else {}),
        },
        "delegates": [
            {"id": pid, "weight": rng.choice([1, 2, 1.5]), "language": rng.choice(["en", "es", "fr"])}
            | ({"region": region} if region else {})
            for pid, region in PEOPLE
        ],
        "interpreters": [
            {"id": "lucia", "booth": "en"},
            {"id": "marta", "booth": "en"},
            {"id": "pedro", "booth": "es"},
        ],
    }
    delegates = [pid for pid, _ in PEOPLE]
    interpreters = ["lucia", "marta", "pedro"]
    state = core.AssemblyState()
    now = T0
    log: list[tuple[str, dict[str, Any]]] = []
    states: list[dict[str, Any]] = []

    def run(command: Any) -> None:
        nonlocal state
        try:
            events = unpack(core.decide(state, command, now)).events
        except DomainError:
            return
        for e in events:
            state = evolve(state, e.type, e.data)
            log.append((e.type, e.data))
            states.append(project(state))

    def words() -> str:
        return " ".join(rng.choices(WORDS, k=rng.randint(1, 4)))

    run(core.CreateAssembly("fold", parse_assembly(definition)))
    for _ in range(rng.randint(15, 60)):
        roll = rng.random()
        queue = list(state.queue)
        texts = list(state.texts)
        open_ballots = [b for b in state.ballots.values() if b.status == "open"]
        if rng.random() < 0.08:  # interpreters take booths; browsers go away (participant_dropped)
            if rng.random() < 0.5:
                run(core.TakeBooth(rng.choice(interpreters)))
            else:
                who = rng.choice([*interpreters, *delegates])
                run(core.Dropped(who, frozenset(rng.sample([*interpreters, *delegates], 3))))
        if roll < 0.25:
            kind = rng.choices(["speech", "reply", "point_of_order"], [6, 2, 1])[0]
            run(core.RaiseHand(rng.choice(delegates), kind))
        elif roll < 0.32:
            run(core.GrantFloor(rng.choice(queue).id if queue and rng.random() < 0.3 else None))
        elif roll < 0.40:
            now += dt.timedelta(seconds=rng.randint(5, 45))
            run(core.Tick() if rng.random() < 0.5 else core.EndSpeech())
        elif roll < 0.43:
            run(core.ExtendTime(rng.choice([30, 60])))
        elif roll < 0.48 and queue:
            ids = [e.id for e in queue]
            rng.shuffle(ids)
            run(core.Reorder(tuple(ids[: rng.randint(1, len(ids))])))
        elif roll < 0.51 and queue:
            run(core.LowerHand(rng.choice(queue).id, None))
        elif roll < 0.53:
            run(core.SetListOpen(rng.random() < 0.5))
        elif roll < 0.56:
            run(core.SetPresence(rng.choice(delegates), rng.random() < 0.7))
        elif roll < 0.62:
            run(core.ProposeDemand(rng.choice(delegates), rng.choice(["en", "es", "fr"]), words()))
        elif roll < 0.66 and texts:
            run(
                core.ProposeAmendment(rng.choice(texts), rng.choice(delegates), rng.choice(["en", "es", "fr"]), words())
            )
        elif roll < 0.72 and texts:
            t = state.texts[rng.choice(texts)]
            run(core.Translate(t.id, rng.choice(["en", "es", "fr"]), words(), rng.choice(["lucia", t.proposer])))
        elif roll < 0.76 and texts:
            t = state.texts[rng.choice(texts)]
            run(core.EditText(t.id, words(), rng.choice([None, t.proposer])))
        elif roll < 0.82 and texts:
            run(
                core.OpenBallot(
                    rng.choice(texts), rng.choice(["simple", "two_thirds"]), rng.random() < 0.3, accept_weight_risk=True
                )
            )
        elif roll < 0.93 and open_ballots:
            b = rng.choice(open_ballots)
            voter = rng.choice(delegates)
            if b.secret:
                run(core.CastSecretVote(b.id, voter, change=voter in b.voters))
            else:
                run(core.CastVote(b.id, voter, rng.choice(["yes", "no", "abstain"])))
        elif open_ballots:
            b = rng.choice(open_ballots)
            totals: dict[str, int] = {}  # what the secret counters would hold: each voter's weight once
            for voter in b.voters:
                key = f"b{b.id}:{rng.choice(['yes', 'no', 'abstain'])}"
                totals[key] = totals.get(key, 0) + int(state.people[voter].weight * 1000)
            run(core.CloseBallot(b.id, totals if b.secret else None))
    return log, states


def amendment_session() -> tuple[list[tuple[str, dict[str, Any]]], list[dict[str, Any]]]:
    """A Spanish demand with an English translation, amended in English: the adopted amendment
    makes English the original, and the translation into English goes."""
    definition = {
        "title": "Amendment check",
        "languages": ["en", "es"],
        "delegates": [{"id": "rosa", "language": "es"}, {"id": "ngozi", "language": "en"}],
        "interpreters": [{"id": "lucia", "booth": "en"}],
    }
    state = core.AssemblyState()
    log: list[tuple[str, dict[str, Any]]] = []
    states: list[dict[str, Any]] = []
    for command in (
        core.CreateAssembly("amend", parse_assembly(definition)),
        core.ProposeDemand("rosa", "es", "Jornada de 35 horas"),
        core.Translate("d1", "en", "A 35-hour week", "lucia"),
        core.ProposeAmendment("d1", "ngozi", "en", "A 32-hour week"),
        core.OpenBallot("a1"),
        core.CastVote(1, "rosa", "yes"),
        core.CastVote(1, "ngozi", "yes"),
        core.CloseBallot(1),
    ):
        for e in unpack(core.decide(state, command, T0)).events:
            state = evolve(state, e.type, e.data)
            log.append((e.type, e.data))
            states.append(project(state))
    assert state.texts["d1"].language == "en" and "en" not in state.texts["d1"].translations
    return log, states


def project(state: Any) -> dict[str, Any]:
    """What the pages show, from the server's state (PROJECT below does the same in the browser)."""
    f = state.floor
    return {
        "order": [e.id for e in state.order()],
        "present": sorted(state.present),
        "list_open": state.list_open,
        "floor": None if f is None else [f.entry, f.person, f.kind, f.overtime],
        "floor_language": state.floor_language,
        "booths": dict(sorted(state.booths.items())),
        "spoken": dict(sorted(state.spoken.items())),
        "region_spent": dict(sorted(state.region_spent.items())),
        "texts": {
            tid: [
                t.language,
                t.text,
                t.rev,
                t.status,
                t.demand,
                {k: v.source_rev for k, v in sorted(t.translations.items())},
            ]
            for tid, t in sorted(state.texts.items())
        },
        "ballots": {
            str(b.id): [b.kind, b.target, b.status, b.secret, sorted(b.voters), dict(sorted(b.votes.items())), b.result]
            for b in state.ballots.values()
        },
    }


FOLD_AND_PROJECT = """async (sessions) => {
  const m = await import("/static/assembly-model.js");
  const sorted = (entries) => Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const project = (s) => ({
    order: m.speakingOrder(s).map((e) => e.id),
    present: [...s.present].sort(),
    list_open: s.listOpen,
    floor: s.floor && [s.floor.entry, s.floor.person, s.floor.kind, s.floor.overtime],
    floor_language: s.floorLanguage,
    booths: sorted(s.booths),
    spoken: sorted(s.spoken),
    region_spent: sorted(s.regionSpent),
    texts: sorted([...s.texts].map(([id, t]) => [id, [t.language, t.text, t.rev, t.status, t.demand,
      sorted([...t.translations].map(([k, v]) => [k, v.sourceRev]))]])),
    ballots: Object.fromEntries([...s.ballots].map(([id, b]) => [String(id), [b.kind, b.target, b.status, b.secret,
      [...b.voters].sort(), sorted(b.votes), b.result]])),
  });
  return sessions.map((events) => {
    const model = m.emptyModel();
    return events.map(([type, data], i) => {
      const r = m.applyEvent(model, i + 1, type, data);
      if (r !== "ok") throw new Error(`event ${i + 1}: ${r}`);
      return project(model);
    });
  });
}"""


def test_browser_fold_matches_the_server(mayday_server, open_page, page_log) -> None:
    """static/assembly-model.js folds the core's own events to the same state, speaking order and
    booths included (interpreters taking booths, people dropping: participant_dropped), as
    assembly/state.py and assembly/queue.py, after every event of random sessions."""
    rng = random.Random(20270501)
    sessions = [amendment_session(), *(random_session(rng) for _ in range(120))]
    page = open_page(f"{mayday_server.base}/", *PHONE)
    got = page.evaluate(FOLD_AND_PROJECT, [log for log, _ in sessions])
    compared = 0
    kinds: set[str] = set()
    for (log, want), have in zip(sessions, got, strict=True):
        for i, (w, h) in enumerate(zip(want, have, strict=True)):
            assert w == h, f"after {log[i][0]} {log[i][1]}:\nserver  {w}\nbrowser {h}"
            compared += 1
            kinds.add(log[i][0])
    assert compared > 3000
    # every kind of event the sessions can produce was compared at least once
    assert kinds >= {
        "hand_raised", "hand_lowered", "floor_granted", "speech_ended", "time_extended", "floor_overtime",
        "queue_reordered", "list_closed", "list_reopened", "presence_changed", "demand_proposed",
        "amendment_proposed", "translation_added", "text_edited", "ballot_opened", "vote_cast",
        "ballot_voted", "ballot_closed", "text_decided", "booth_active_set", "participant_dropped",
    }, kinds  # fmt: skip
    assert page_log.errors == []
