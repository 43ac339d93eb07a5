"""The assembly pages against a real server, when the line goes: the server restarts in the middle
of a secret ballot and every page comes back by itself from its last offset, without losing a vote
(the minutes count both); and a secret vote whose answer is lost on the way back, where the log
tells the page whether it counted and the receipt it keeps still changes the vote."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from assembly_meeting import ES_DEMAND_3, LIVE, PHONE, assert_clean, attend, ballot, live, propose, text, welcomes
from helpers import token_of
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_secret_ballot_across_a_server_restart(restartable_meeting, page_log) -> None:
    meeting = restartable_meeting
    chair, rosa, ngozi, _, viewer = meeting.pages
    attend(meeting)
    propose(rosa, ES_DEMAND_3)
    expect(text(chair, "d1")).to_contain_text(ES_DEMAND_3)
    text(chair, "d1").get_by_test_id("open-ballot").locator("summary").click()
    text(chair, "d1").get_by_test_id("ob-majority").select_option("two_thirds")
    text(chair, "d1").get_by_test_id("ob-secret").check()
    text(chair, "d1").get_by_test_id("ob-submit").click()
    chair.get_by_test_id("weight-proceed").click()
    ballot(rosa, 1).get_by_test_id("vote-yes").click()
    expect(ballot(rosa, 1)).to_have_attribute("data-my-choice", '"yes"')
    expect(ballot(chair, 1).get_by_test_id("voters")).to_have_attribute("data-n", "1")

    before = {id(page): welcomes(page) for page in meeting.pages}
    errors_before = len(page_log.errors)
    meeting.server.restart()
    for page in meeting.pages:  # every page comes back by itself, from its last offset
        page.wait_for_function("(n) => window.mayday.page.welcomes > n", arg=before[id(page)], timeout=LIVE)
        live(page)
    # A page that tried while the server was down: Chromium logs the refused socket. Nothing else.
    restart_noise = page_log.errors[errors_before:]
    del page_log.errors[errors_before:]
    print(f"while the server restarted, the pages logged {len(restart_noise)} refused socket(s)")
    unexpected = [e for e in restart_noise if not re.search(r"WebSocket connection to 'ws://[^']+/ws/assembly/", e)]
    assert unexpected == [], unexpected

    expect(ballot(chair, 1)).to_have_attribute("data-status", "open")
    expect(ballot(chair, 1).get_by_test_id("voters")).to_have_attribute("data-n", "1")
    expect(ballot(rosa, 1)).to_have_attribute("data-my-choice", '"yes"')
    ballot(ngozi, 1).get_by_test_id("vote-no").click()  # the remaining vote, after the restart
    expect(ballot(ngozi, 1)).to_have_attribute("data-my-choice", '"no"')
    expect(ballot(viewer, 1).get_by_test_id("voters")).to_have_attribute("data-n", "2")
    ballot(chair, 1).get_by_test_id("close-ballot").click()
    for page in (chair, rosa, ngozi, viewer):
        numbers = ballot(page, 1).get_by_test_id("result-numbers")
        expect(numbers).to_have_attribute("data-yes", "1")  # Rosa's, cast before the restart
        expect(numbers).to_have_attribute("data-no", "2")  # Ngozi's (weight 2), after it
    expect(ballot(chair, 1).get_by_test_id("result")).to_have_attribute("data-outcome", "rejected")
    expect(text(rosa, "d1")).to_have_attribute("data-status", "rejected")

    minutes = meeting.minutes()
    assert re.search(r"Ballot 1: .*\n\nSecret ballot · two-thirds majority.* · 2 voters", minutes), minutes
    assert "| Yes | 1 |\n| No | 2 |" in minutes and "Result: **rejected**" in minutes
    assert_clean(page_log, meeting.tokens())


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
