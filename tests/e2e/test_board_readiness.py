"""The relay board shows the readiness of the joint action it runs as, live (issue 12 §2): a public
board in Chromium says "not ready" with the checks that fail, turns ready as the circles
acknowledge the red lines, accept the figures and translate the communique, and, for an action
not ready, says that the organisers decided to go ahead anyway. A stranger's board never learns
which circle or language is missing, nor who decided. Screenshots: tests/e2e/artifacts/board-readiness-*.png."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from helpers import token_of
from playwright.sync_api import expect
from test_board import assert_clean

pytestmark = pytest.mark.browser

PHONE = (390, 844)
LAGOS, ROTTERDAM = "lagos-dockers", "rotterdam-drivers"
NETWORK = {
    "name": "Dockers and drivers",
    "circles": [
        {"id": LAGOS, "name": "Lagos dockers", "tz": "Africa/Lagos", "languages": ["en"]},
        {"id": ROTTERDAM, "name": "Rotterdam drivers", "tz": "Europe/Amsterdam", "languages": ["nl", "en"]},
    ],
    "pairs": [{"circles": [LAGOS, ROTTERDAM], "adversary": "Maersk", "settle_days": 30}],
}


def relay_definition(name: str) -> dict[str, Any]:
    day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=20)).date().isoformat()
    return {
        "name": name,
        "sites": [
            {"id": "apapa", "name": "Apapa", "tz": "Africa/Lagos", "legs": {"date": day, "start": "06:00", "duration": "8h"}},
            {"id": "maasvlakte", "name": "Maasvlakte", "tz": "Europe/Amsterdam",
             "legs": {"date": day, "start": "06:00", "duration": "8h"}},
        ],
    }  # fmt: skip


class Network:
    def __init__(self, server: Any) -> None:
        self.server = server
        made = server.create("/api/networks", NETWORK)
        self.id = made["id"]
        self.coordinator = token_of(made["coordinator"])
        self.circle = {c: token_of(link) for c, link in made["circles"].items()}

    def send(self, token: str, command: dict[str, Any]) -> dict[str, Any]:
        with self.server.api() as http:
            r = http.post(
                f"/api/networks/{self.id}/commands",
                content=json.dumps(command),
                headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
            )
        assert r.status_code == 200, r.text
        return r.json()

    def action_with_relay(self, name: str) -> tuple[int, str]:
        relay = self.server.create("/api/relays", relay_definition(name))["id"]
        body = {"type": "open_action", "name": name, "circles": [LAGOS, ROTTERDAM], "relay": relay,
                "sites": {"apapa": LAGOS, "maasvlakte": ROTTERDAM}}  # fmt: skip
        return self.send(self.coordinator, body)["action"], relay


def checks(page: Any) -> dict[str, str]:
    items = page.get_by_test_id("readiness-item").first.locator("li")
    return {
        items.nth(i).get_attribute("data-check"): items.nth(i).get_attribute("data-ok") for i in range(items.count())
    }


def test_the_board_turns_ready_live_and_names_who_went_ahead_anyway(mayday_server, open_page, page_log, screenshot):
    net = Network(mayday_server)
    action, relay = net.action_with_relay("May Day port shutdown")
    page = open_page(f"{mayday_server.base}/relay/{relay}", *PHONE)
    item = page.get_by_test_id("readiness-item")
    expect(item).to_have_attribute("data-state", "not-ready")
    expect(page.get_by_test_id("readiness-status")).to_have_text("Not ready yet.")
    assert checks(page) == {"red_lines": "false", "figures": "false", "communique": "false", "pledges": "true"}
    assert "nl" not in page.get_by_test_id("readiness").inner_text()  # which language: not for strangers
    screenshot(page, "board-readiness-not-ready.png")

    for circle in (LAGOS, ROTTERDAM):
        net.send(net.circle[circle], {"type": "acknowledge_red_lines", "action": action, "version": 0})
    expect(item.locator('li[data-check="red_lines"]')).to_have_attribute("data-ok", "true")
    for circle in (LAGOS, ROTTERDAM):
        net.send(net.circle[circle], {"type": "accept_figures", "action": action, "version": 1})
    dutch = {"type": "translate_communique", "action": action, "language": "nl", "text": "Gezamenlijk communiqué",
             "version": 1}  # fmt: skip
    net.send(net.circle[ROTTERDAM], dutch)
    expect(item).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("readiness-status")).to_have_text("Ready: every check holds.")
    screenshot(page, "board-readiness-ready.png")

    # A second action, never made ready: an organiser goes ahead anyway, and the board says who.
    action2, relay2 = net.action_with_relay("Solidarity slowdown")
    go = {"type": "proceed_anyway", "action": action2, "name": "Ada Okafor", "reason": "The ships dock tomorrow."}
    page2 = open_page(f"{mayday_server.base}/relay/{relay2}", *PHONE)
    expect(page2.get_by_test_id("readiness-item")).to_have_attribute("data-state", "not-ready")
    net.send(net.circle[LAGOS], go)
    expect(page2.get_by_test_id("readiness-item")).to_have_attribute("data-state", "proceeding")
    expect(page2.get_by_test_id("readiness-status")).to_contain_text("the organisers decided")
    # Who decided and why stay with the network's links: a public board names nobody.
    assert "Ada Okafor" not in page2.content() and "ships dock" not in page2.content()
    screenshot(page2, "board-readiness-proceeding.png")

    # In Arabic, right to left, the same card in its words.
    page2.evaluate("localStorage.setItem('mayday.lang', 'ar')")
    page2.reload()
    expect(page2.get_by_test_id("readiness-status")).to_contain_text("يمضي قُدُمًا")
    screenshot(page2, "board-readiness-proceeding-ar.png")
    assert_clean(page_log, [net.coordinator, *net.circle.values()])
