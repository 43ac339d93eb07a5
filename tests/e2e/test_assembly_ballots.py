"""The assembly pages against a real server, the ballots' journey: an open ballot whose tallies the
public page follows live (a vote changed too), a secret ballot where a delegate changes their vote
with the receipt kept on their phone and nobody sees a tally before the close, and a ranking of the
adopted demands (Schulze); the minutes record each."""

from __future__ import annotations

import json
import re

import pytest
from assembly_meeting import EN_DEMAND, EN_DEMAND_2, assert_clean, attend, ballot, propose, text
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_an_open_ballot_a_secret_ballot_and_a_ranking(meeting, page_log) -> None:
    chair, rosa, ngozi, _, viewer = meeting.pages
    aid = meeting.aid
    attend(meeting)
    propose(ngozi, EN_DEMAND)
    expect(text(chair, "d1")).to_contain_text(EN_DEMAND)

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
    propose(ngozi, EN_DEMAND_2)
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

    # A ranking of the adopted demands (Schulze) --------------------------------------------------
    chair.locator("#ranking-details > summary").click()
    chair.get_by_test_id("ranking-submit").click()
    expect(ballot(rosa, 3)).to_have_attribute("data-kind", "ranking")
    ballot(rosa, 3).locator('[data-candidate="d2"]').get_by_test_id("rank-up").click()
    expect(ballot(rosa, 3).locator(".rank-item").first).to_have_attribute("data-candidate", "d2")
    ballot(rosa, 3).get_by_test_id("submit-ranking").click()
    expect(ballot(rosa, 3)).to_have_attribute("data-my-choice", '[["d2"],["d1"]]')
    ballot(ngozi, 3).get_by_test_id("submit-ranking").click()
    expect(ballot(ngozi, 3)).to_have_attribute("data-my-choice", '[["d1"],["d2"]]')
    expect(ballot(chair, 3).get_by_test_id("voters")).to_have_attribute("data-n", "2")
    ballot(chair, 3).get_by_test_id("close-ballot").click()
    ranking = ballot(viewer, 3).get_by_test_id("ranking").locator("li")
    expect(ranking).to_have_count(2)
    expect(ranking.first).to_contain_text("Demand 1")  # Ngozi's weight 2 beats Rosa's 1
    expect(ballot(chair, 3).get_by_test_id("pairwise").locator("tbody tr").first.locator("td").nth(1)).to_have_text("2")

    minutes = meeting.minutes()
    assert re.search(r"Ballot 1: .*\n\nOpen ballot .*\n\nResult: \*\*adopted\*\*", minutes), minutes
    assert "| Yes | 3 | 2 |" in minutes
    assert "1. D1 · A 35-hour" in minutes and "2. D2 · Equal pay" in minutes
    assert_clean(page_log, meeting.tokens())
