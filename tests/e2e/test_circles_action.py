"""A joint action's page (issue 11, section 3) in Chromium against a real server, on a phone:

- journey A, "declare risks, run the what-if, accept, print the communique": the network's
  coordinator opens an action for two twins on the network page; each circle finds it on its own
  page and declares its crew's risks on the action's page; the what-if says who would pay whom how
  much, the net, and flags the asymmetry and the cover beyond each circle's ring-fenced funds; both
  accept and the readiness gate's figures check holds; one changes its cover, the acceptances go
  stale and the check fails; both accept again; the communique in English names the crews' risks,
  the Dutch one (a circle's language the product does not write) is missing until a circle
  translates it, then human; the print view shows the communique alone (and so does paper); both
  acknowledge the (empty) risk audit and the circle page lists the action ready;
- journey B, "claim, approve, settle": after the action a circle claims more than its twin's cover
  (refused in the server's words), then within it; the twin approves; the pair page says the twin
  owes the amount; the twin delivers it from its circle page; the pair page says even; the
  integrity page passes;
- a dispute: a circle withdraws one of its risks (two clicks); the claimed twin disputes a claim
  with a reason; both circles' pages show it disputed, with the reason and what comes next; a
  member reads the page without a form; another circle's member is refused;
- the page in English, Arabic (right to left) and Kiswahili, full of figures.

Screenshots (390 px wide) in tests/e2e/artifacts/circles-action-*.png; on every page no console
error, no CSP violation, no link token in any URL requested.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from helpers import token_of
from playwright.sync_api import expect
from test_circles_pages import Net, assert_clean, live

pytestmark = pytest.mark.browser

PHONE = (390, 844)
LAGOS, ROTTERDAM, MANILA = "lagos-dockers", "rotterdam-drivers", "manila-nurses"
PAIR = "lagos-dockers~rotterdam-drivers"
ACTION = "May Day port shutdown"


def network(pledge: str = "0.10") -> dict[str, Any]:
    return {
        "name": "Dockers and drivers",
        "circles": [
            {"id": LAGOS, "name": "Lagos dockers", "place": "Lagos", "tz": "Africa/Lagos", "languages": ["en"]},
            {
                "id": ROTTERDAM,
                "name": "Rotterdam drivers",
                "place": "Rotterdam",
                "tz": "Europe/Amsterdam",
                "languages": ["nl", "en"],
            },
            {"id": MANILA, "name": "Manila nurses", "tz": "Asia/Manila", "languages": ["fil", "en"]},
        ],
        "pairs": [
            {
                "circles": [LAGOS, ROTTERDAM],
                "adversary": "Maersk",
                "link": "the boxes we unload are trucked from their terminal",
                "pledge": pledge,
            }
        ],
    }


class ActionNet(Net):
    """A network of ``network(pledge)`` on the session's server, with the coordinator's link."""

    def __init__(self, server: Any, pledge: str = "0.10") -> None:
        self.server = server
        self.made = server.create("/api/networks", network(pledge))
        self.id = self.made["id"]

    def coordinator(self, command: dict[str, Any]) -> None:
        with httpx.Client(base_url=self.server.base, timeout=10) as client:
            r = client.post(
                f"/api/networks/{self.id}/commands",
                json=command,
                headers={"authorization": f"Bearer {token_of(self.made['coordinator'])}"},
            )
        assert r.status_code == 200, r.text

    def open_action(self) -> None:
        self.coordinator({"type": "open_action", "name": ACTION, "circles": [LAGOS, ROTTERDAM], "date": "2027-05-01"})

    def risk(self, circle: str, estimate: str, kind: str = "lost_wages", people: int = 40, note: str = "") -> None:
        body = {"type": "declare_risk", "action": 1, "kind": kind, "estimate": estimate, "people": people}
        self.send(circle, body | ({"note": note} if note else {}))

    def action_page(self, open_page: Any, circle: str, kind: str = "circles") -> Any:
        page = open_page(self.link(kind, circle, "/action/1"), *PHONE)
        live(page)
        expect(page.get_by_test_id("title")).to_have_text(ACTION)
        return page


def fits(page: Any, what: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), f"{what} spills sideways"


def declare(page: Any, kind: str, estimate: str, people: str, note: str) -> None:
    page.get_by_test_id("risk-kind").select_option(kind)
    page.get_by_test_id("risk-estimate").fill(estimate)
    page.get_by_test_id("risk-commodity").fill("USD")
    page.get_by_test_id("risk-people").fill(people)
    page.get_by_test_id("risk-note").fill(note)
    page.get_by_test_id("risk-submit").click()
    expect(page.get_by_test_id("risk-status")).to_have_text("Declared.")


def accept(page: Any, version: int) -> None:
    button = page.get_by_test_id("accept")
    expect(button).to_have_text(f"Accept these figures (version {version})")
    button.click()
    expect(button).to_be_hidden()


def test_declare_risks_run_the_what_if_accept_and_print_the_communique(
    mayday_server, open_page, page_log, screenshot
) -> None:
    net = ActionNet(mayday_server)
    # Lagos has income, so it holds its twin's tithe ring-fenced: 100.00 USD of 1,000.00.
    net.send(LAGOS, {"type": "record_income", "amount": "1000.00", "commodity": "USD"})

    # The coordinator opens the action on the network page.
    coordinator = open_page(net.made["coordinator"], *PHONE)
    live(coordinator)
    expect(coordinator.get_by_test_id("open-card")).to_be_visible()
    coordinator.get_by_test_id("open-name").fill(ACTION)
    coordinator.get_by_test_id(f"open-circle-{LAGOS}").check()
    coordinator.get_by_test_id(f"open-circle-{ROTTERDAM}").check()
    coordinator.get_by_test_id("open-date").fill("2027-05-01")
    expect(coordinator.get_by_test_id("open-cover")).to_have_value("25")
    coordinator.get_by_test_id("open-submit").click()
    expect(coordinator.get_by_test_id("open-status")).to_have_text(
        "Opened. Each of its circles finds it on its own page."
    )
    expect(coordinator.get_by_test_id("actions-coordinator")).to_be_visible()
    fits(coordinator, "the network page with the open form")
    screenshot(coordinator, "circles-action-opened-by-coordinator-phone.png")

    # Each circle finds it on its own page (live) and follows the link: the token stays in the fragment.
    lagos = open_page(net.circle_link(LAGOS), *PHONE)
    live(lagos)
    expect(lagos.get_by_test_id("action-1")).to_contain_text(ACTION)
    expect(lagos.get_by_test_id("action-1")).to_contain_text("Not ready yet (figures version 1)")
    fits(lagos, "the circle page with its actions")
    lagos.get_by_test_id("action-link-1").click()
    expect(lagos).to_have_url(f"{net.server.base}/network/{net.id}/action/1#t={token_of(net.circle_link(LAGOS))}")
    live(lagos)
    expect(lagos.get_by_test_id("title")).to_have_text(ACTION)
    rotterdam = net.action_page(open_page, ROTTERDAM)
    expect(lagos.get_by_test_id("summary")).to_contain_text("1 May 2027")
    expect(lagos.get_by_test_id("summary")).to_contain_text("the network's coordinator")
    expect(lagos.get_by_test_id("version")).to_have_text("version 1")
    expect(lagos.get_by_test_id(f"crew-{LAGOS}")).to_contain_text("No risk declared yet.")

    # Both crews declare their risks on the page; each sees the other's, live.
    declare(lagos, "lost_wages", "8,000.00", "40", "a day's pay for every docker on the gates")
    declare(rotterdam, "fines", "1000.00", "12", "blocking the terminal road")
    expect(lagos.get_by_test_id("risk-2")).to_have_text(
        "Fines: 1,000.00 USD · 12 people" + "blocking the terminal road"
    )
    expect(rotterdam.get_by_test_id("risk-1")).to_contain_text("Lost wages: 8,000.00 USD · 40 people")
    expect(rotterdam.get_by_test_id("withdraw-1")).to_have_count(0)  # not Rotterdam's to withdraw
    expect(lagos.get_by_test_id("version")).to_have_text("version 3")

    # The what-if: who would pay whom how much, the net, the asymmetry and the funds, in words.
    expect(lagos.get_by_test_id(f"pays-{ROTTERDAM}-USD")).to_contain_text(
        "Rotterdam drivers would pay Lagos dockers 2,000.00 USD (25% of 8,000.00 USD)"
    )
    expect(lagos.get_by_test_id(f"pays-{LAGOS}-USD")).to_contain_text(
        "Lagos dockers would pay Rotterdam drivers 250.00 USD (25% of 1,000.00 USD)"
    )
    expect(lagos.get_by_test_id(f"pays-{LAGOS}-USD").get_by_test_id("pair-bar-svg")).to_be_visible()
    expect(lagos.get_by_test_id(f"net-{PAIR}-USD")).to_have_text(
        "Net: Rotterdam drivers would pay Lagos dockers 1,750.00 USD"
    )
    expect(lagos.get_by_test_id(f"asym-{PAIR}-USD")).to_have_text(
        "Unequal: the exposure of Lagos dockers is more than 3 times that of Rotterdam drivers "
        "(8,000.00 USD against 1,000.00 USD)."
    )
    expect(lagos.get_by_test_id(f"funds-{LAGOS}")).to_contain_text(
        "Lagos dockers would pay 250.00 USD; it holds 100.00 USD ring-fenced"
    )
    expect(lagos.get_by_test_id(f"beyond-{LAGOS}")).to_have_text(
        "Beyond its funds: Lagos dockers would pay 150.00 USD more than it holds ring-fenced."
    )
    expect(lagos.get_by_test_id(f"beyond-{ROTTERDAM}")).to_contain_text("2,000.00 USD more")
    # The readiness gate's figures check (test_circles_audit.py walks the other three).
    figures = lagos.get_by_test_id("check-figures")
    expect(figures).to_have_attribute("data-ok", "false")
    expect(figures).to_contain_text("Every circle accepted the what-if of risks and cover (version 3)")
    expect(figures).to_contain_text("Waiting for: Lagos dockers, Rotterdam drivers")
    fits(lagos, "the what-if")
    screenshot(lagos, "circles-action-what-if-phone.png")

    # Both accept version 3: the figures check holds.
    accept(lagos, 3)
    expect(rotterdam.get_by_test_id(f"accepted-{LAGOS}")).to_have_text("Lagos dockers accepted version 3.")
    accept(rotterdam, 3)
    expect(figures).to_have_attribute("data-ok", "true")
    expect(rotterdam.get_by_test_id("check-figures")).to_have_attribute("data-ok", "true")
    screenshot(rotterdam, "circles-action-ready-phone.png")

    # Rotterdam lowers its cover of Lagos to 10 %: version 4, both acceptances stale, not ready.
    expect(rotterdam.get_by_test_id("cover-share")).to_have_value("25")
    rotterdam.get_by_test_id("cover-share").fill("10")
    rotterdam.get_by_test_id("cover-submit").click()
    expect(rotterdam.get_by_test_id("cover-status")).to_contain_text("Cover saved")
    expect(lagos.get_by_test_id(f"cover-{ROTTERDAM}-{LAGOS}")).to_have_text(
        "Rotterdam drivers covers 10% of the fallout of Lagos dockers"
    )
    expect(lagos.get_by_test_id(f"accepted-{LAGOS}")).to_have_attribute("data-state", "stale")
    expect(lagos.get_by_test_id(f"accepted-{ROTTERDAM}")).to_have_text(
        "Rotterdam drivers accepted version 3, but the figures are now at version 4: stale."
    )
    expect(figures).to_have_attribute("data-ok", "false")
    expect(figures).to_contain_text("An older version only: Lagos dockers, Rotterdam drivers")
    expect(lagos.get_by_test_id(f"pays-{ROTTERDAM}-USD")).to_contain_text("800.00 USD (10% of 8,000.00 USD)")
    screenshot(lagos, "circles-action-stale-phone.png")

    # Both accept version 4: the figures check holds again.
    accept(lagos, 4)
    accept(rotterdam, 4)
    expect(figures).to_have_attribute("data-ok", "true")

    # The communique: English, written by the server from the figures, names each crew's risks.
    expect(lagos.get_by_test_id("comm-en")).to_have_attribute("data-status", "generated")
    sheet = lagos.get_by_test_id("sheet-text")
    expect(sheet).to_contain_text("Joint communique: May Day port shutdown")
    expect(sheet).to_contain_text("Lagos dockers takes these risks:")
    expect(sheet).to_contain_text("lost wages: up to 8000.00 USD, 40 people")
    expect(sheet).to_contain_text("fines: up to 1000.00 USD, 12 people")
    expect(sheet).to_contain_text("Accepted by: Lagos dockers, Rotterdam drivers.")
    # Dutch, a language of Rotterdam's that the server does not write: missing until translated.
    expect(lagos.get_by_test_id("comm-nl")).to_have_attribute("data-status", "missing")
    expect(lagos.get_by_test_id("comm-status-nl")).to_have_text("not translated yet")
    expect(lagos.get_by_test_id("read-nl")).to_have_count(0)
    expect(rotterdam.get_by_test_id("translate-language")).to_have_value("nl")
    expect(rotterdam.get_by_test_id("translate-version")).to_contain_text("For version 4 of the figures")
    dutch = (
        "Gezamenlijk communiqué: May Day port shutdown\n\n"
        "Lagos dockers neemt deze risico's: gederfd loon, tot 8000.00 USD, 40 mensen."
    )
    rotterdam.get_by_test_id("translate-text").fill(dutch)
    rotterdam.get_by_test_id("translate-submit").click()
    expect(rotterdam.get_by_test_id("translate-status")).to_have_text("Translation saved.")
    expect(lagos.get_by_test_id("comm-nl")).to_have_attribute("data-status", "human")
    expect(lagos.get_by_test_id("comm-status-nl")).to_have_text("translated by Rotterdam drivers (version 4)")
    lagos.get_by_test_id("read-nl").click()
    expect(sheet).to_have_attribute("lang", "nl")
    expect(sheet).to_contain_text("Gezamenlijk communiqué")
    expect(lagos.get_by_test_id("sheet-status")).to_have_attribute("data-status", "human")
    fits(lagos, "the communique")
    screenshot(lagos, "circles-action-communique-nl-phone.png")

    # The print view: the English communique alone, on screen and on paper.
    lagos.get_by_test_id("read-en").click()
    expect(sheet).to_have_attribute("lang", "en")
    lagos.get_by_test_id("print-view").click()
    expect(lagos.locator("body")).to_have_class("circles page-action print-view")
    expect(lagos.locator("#risks-heading")).to_be_hidden()
    expect(lagos.locator(".topbar")).to_be_hidden()
    expect(sheet).to_be_visible()
    expect(lagos.get_by_test_id("print")).to_be_visible()
    screenshot(lagos, "circles-action-print-view-phone.png")
    lagos.emulate_media(media="print")
    expect(lagos.get_by_test_id("print")).to_be_hidden()
    expect(lagos.get_by_test_id("comm-en")).to_be_hidden()
    expect(sheet).to_be_visible()
    screenshot(lagos, "circles-action-print-paper-phone.png")
    lagos.emulate_media(media="screen")
    lagos.get_by_test_id("print-close").click()
    expect(lagos.locator("#risks-heading")).to_be_visible()

    # Both acknowledge the risk audit (no red line named: version 0): every check holds.
    for page in (lagos, rotterdam):
        page.get_by_test_id("ack").click()
    expect(lagos.get_by_test_id("readiness-status")).to_have_attribute("data-ready", "true")

    # The circle page lists the action as ready.
    circle = open_page(net.circle_link(ROTTERDAM), *PHONE)
    live(circle)
    expect(circle.get_by_test_id("action-1")).to_have_attribute("data-ready", "true")
    expect(circle.get_by_test_id("action-1")).to_contain_text("Ready (figures version 4)")
    assert_clean(page_log, net.tokens())


def test_claim_over_the_cover_then_within_it_approve_and_settle(mayday_server, open_page, page_log, screenshot) -> None:
    # The pair pledges nothing of income here: what the pair page shows is the claim's cover alone.
    net = ActionNet(mayday_server, pledge="0")
    net.open_action()
    net.risk(LAGOS, "800.00", note="a day's pay for 40 dockers")
    net.send(ROTTERDAM, {"type": "record_income", "amount": "1000.00", "commodity": "USD"})

    lagos = net.action_page(open_page, LAGOS)
    rotterdam = net.action_page(open_page, ROTTERDAM)
    expect(lagos.get_by_test_id("claims-empty")).to_be_visible()
    expect(lagos.get_by_test_id("claim-room")).to_have_text(
        "Rotterdam drivers still covers up to 200.00 USD of your declared fallout."
    )

    # Over the cover: 25 % of 800 is 200. The server's refusal, in its words; nothing filed.
    lagos.get_by_test_id("claim-kind").select_option("lost_wages")
    lagos.get_by_test_id("claim-amount").fill("250.00")
    lagos.get_by_test_id("claim-commodity").fill("USD")
    lagos.get_by_test_id("claim-what").fill("40 dockers lost a day's pay on 1 May")
    lagos.get_by_test_id("claim-evidence").fill("https://example.org/pay-slips")
    lagos.get_by_test_id("claim-submit").click()
    error = lagos.get_by_test_id("claim-error")
    expect(error).to_contain_text("Refused:")
    expect(error).to_contain_text("pledged to cover 200.00 USD more")
    expect(lagos.get_by_test_id("claims-empty")).to_be_visible()
    fits(lagos, "the refused claim")
    screenshot(lagos, "circles-action-claim-refused-phone.png")

    # Within it.
    lagos.get_by_test_id("claim-amount").fill("200.00")
    lagos.get_by_test_id("claim-submit").click()
    expect(lagos.get_by_test_id("claim-status")).to_have_text("Claim filed.")
    expect(error).to_have_text("")
    expect(lagos.get_by_test_id("claim-1")).to_have_attribute("data-status", "filed")
    expect(lagos.get_by_test_id("claim-status-1")).to_have_text("Waiting for Rotterdam drivers to approve or dispute.")
    expect(lagos.get_by_test_id("claim-room")).to_have_text(
        "Your claims to Rotterdam drivers already take all the cover it pledged."
    )
    expect(lagos.get_by_test_id("approve-1")).to_have_count(0)  # not the claimant's to decide

    # The twin approves on its page: it owes the amount, and both pages say so.
    claim = rotterdam.get_by_test_id("claim-1")
    expect(claim).to_contain_text("40 dockers lost a day's pay on 1 May")
    expect(rotterdam.get_by_test_id("claim-evidence-1")).to_have_attribute("href", "https://example.org/pay-slips")
    approve = rotterdam.get_by_test_id("approve-1")
    expect(approve).to_have_text("Approve: we cover 200.00 USD")
    screenshot(rotterdam, "circles-action-claim-filed-phone.png")
    approve.click()
    expect(claim).to_have_attribute("data-status", "approved")
    approved = "Approved: Rotterdam drivers owes Lagos dockers 200.00 USD (transaction t2)."
    expect(rotterdam.get_by_test_id("claim-status-1")).to_have_text(approved)
    expect(lagos.get_by_test_id("claim-status-1")).to_have_text(approved)
    expect(rotterdam.get_by_test_id("approve-1")).to_have_count(0)
    expect(lagos.get_by_test_id("claim-deliver-1")).to_have_count(0)  # the twin delivers, not the claimant
    screenshot(rotterdam, "circles-action-claim-approved-phone.png")

    # The pair page (from the claim's link) shows the debt.
    rotterdam.get_by_test_id("claim-pair-1").click()
    expect(rotterdam).to_have_url(
        f"{net.server.base}/network/{net.id}/pair/{PAIR}#t={token_of(net.circle_link(ROTTERDAM))}"
    )
    live(rotterdam)
    net_usd = rotterdam.get_by_test_id("net-USD")
    expect(net_usd).to_have_text("Rotterdam drivers owes Lagos dockers 200.00 USD")
    screenshot(rotterdam, "circles-action-pair-owes-phone.png")

    # The twin delivers it from its circle page (the claim's other link); the pair page says even.
    lagos.get_by_test_id("claim-pair-1").click()
    live(lagos)
    expect(lagos.get_by_test_id("net-USD")).to_have_text("Rotterdam drivers owes Lagos dockers 200.00 USD")
    rotterdam.go_back()
    live(rotterdam)
    rotterdam.get_by_test_id("claim-deliver-1").click()
    expect(rotterdam).to_have_url(
        f"{net.server.base}/network/{net.id}/circle/{ROTTERDAM}#t={token_of(net.circle_link(ROTTERDAM))}"
    )
    live(rotterdam)
    rotterdam.get_by_test_id("deliver-twin").select_option(LAGOS)
    rotterdam.get_by_test_id("deliver-amount").fill("200.00")
    rotterdam.get_by_test_id("deliver-commodity").fill("USD")
    rotterdam.get_by_test_id("deliver-source").select_option("general")
    rotterdam.get_by_test_id("deliver-narration").fill("Cover of claim 1")
    rotterdam.get_by_test_id("deliver-submit").click()
    expect(rotterdam.get_by_test_id("deliver-status")).to_have_text("Delivered.")
    expect(lagos.get_by_test_id("net-USD")).to_have_text("Even in USD")
    screenshot(lagos, "circles-action-pair-even-phone.png")

    integrity = open_page(net.link("circles", LAGOS, "/integrity"), *PHONE)
    live(integrity)
    expect(integrity.get_by_test_id("verdict")).to_have_text("Every check passed.")
    assert_clean(page_log, net.tokens())


def test_a_disputed_claim_shows_its_reason_on_both_circles_pages(
    mayday_server, open_page, page_log, screenshot
) -> None:
    net = ActionNet(mayday_server)
    net.open_action()
    net.risk(ROTTERDAM, "400.00", kind="fines", people=12)
    net.risk(ROTTERDAM, "50.00", kind="other_fallout", people=1, note="a van towed")
    claim = {
        "type": "file_claim",
        "action": 1,
        "twin": LAGOS,
        "kind": "fines",
        "amount": "100.00",
        "commodity": "USD",
        "what": "fined at the terminal gate",
    }
    net.send(ROTTERDAM, claim)

    lagos = net.action_page(open_page, LAGOS)
    rotterdam = net.action_page(open_page, ROTTERDAM)
    expect(rotterdam.get_by_test_id("claim-status-1")).to_have_text("Waiting for Lagos dockers to approve or dispute.")
    # Rotterdam withdraws its second risk (a second click confirms); Lagos has no such button.
    expect(lagos.get_by_test_id("withdraw-2")).to_have_count(0)
    withdraw = rotterdam.get_by_test_id("withdraw-2")
    withdraw.click()
    expect(withdraw).to_have_text("Really withdraw?")
    withdraw.click()
    expect(rotterdam.get_by_test_id("risk-status")).to_have_text("Withdrawn.")
    expect(lagos.get_by_test_id("risk-2")).to_have_count(0)
    expect(lagos.get_by_test_id("version")).to_have_text("version 4")
    reason = "The fine was issued the day before the action"
    lagos.get_by_test_id("dispute-reason-1").fill(reason)
    lagos.get_by_test_id("dispute-1").click()
    disputed = f"Disputed by Lagos dockers: {reason}"
    for page in (lagos, rotterdam):
        expect(page.get_by_test_id("claim-1")).to_have_attribute("data-status", "disputed")
        expect(page.get_by_test_id("claim-status-1")).to_have_text(disputed)
        expect(page.get_by_test_id("claim-next-1")).to_have_text(
            "It goes to a ballot of the pair's joint assembly once the network's coordinator names one."
        )
    expect(lagos.get_by_test_id("decide-1")).to_have_count(0)
    # A disputed claim leaves the room to claim again.
    expect(rotterdam.get_by_test_id("claim-room")).to_have_text(
        "Lagos dockers still covers up to 100.00 USD of your declared fallout."
    )
    fits(rotterdam, "the disputed claim")
    screenshot(rotterdam, "circles-action-claim-disputed-phone.png")

    # A member of Rotterdam reads it all, and has no form but the one that names a red line.
    member = net.action_page(open_page, ROTTERDAM, kind="members")
    expect(member.get_by_test_id("claim-status-1")).to_have_text(disputed)
    expect(member.get_by_test_id("forms-note")).to_be_visible()
    expect(member.locator("form:visible")).to_have_count(1)
    expect(member.get_by_test_id("line-form")).to_be_visible()
    expect(member.get_by_test_id("accept")).to_be_hidden()

    # Another circle's member is refused, in the server's words.
    stranger = open_page(net.link("members", MANILA, "/action/1"), *PHONE)
    expect(stranger.get_by_test_id("fatal")).to_contain_text("This joint action's figures are for its circles")
    assert "400" not in stranger.locator("main").inner_text()
    assert_clean(page_log, net.tokens(), refused=(403,))


# a relay the action runs as: one leg in each circle's port
RELAY = {
    "name": "Port to port",
    "sites": [
        {"id": site, "name": name, "tz": tz, "legs": {"date": "2027-05-01", "start": "06:00", "duration": "8h"}}
        for site, name, tz in (("apapa", "Apapa", "Africa/Lagos"), ("maasvlakte", "Maasvlakte", "Europe/Amsterdam"))
    ],
}
# a heading of the page in each language
RISKS = {"en": "Each crew's risks", "ar": "مخاطر كل فريق", "sw": "Hatari za kila kikundi"}


@pytest.mark.parametrize("language", ["en", "ar", "sw"])
def test_the_action_page_on_a_phone(language, mayday_server, open_page, page_log, screenshot) -> None:
    net = ActionNet(mayday_server)
    net.send(LAGOS, {"type": "record_income", "amount": "1000.00", "commodity": "USD"})
    relay = mayday_server.create("/api/relays", RELAY)["id"]
    net.coordinator(
        {
            "type": "open_action",
            "name": ACTION,
            "circles": [LAGOS, ROTTERDAM],
            "date": "2027-05-01",
            "relay": relay,
            "sites": {"apapa": LAGOS, "maasvlakte": ROTTERDAM},
        }
    )
    net.risk(LAGOS, "8000.00", note="a day's pay for every docker on the gates")
    net.risk(LAGOS, "1500.00", kind="legal_costs", people=3, note="lawyers for the strike committee")
    net.risk(ROTTERDAM, "1000.00", kind="fines", people=12)
    net.risk(ROTTERDAM, "20", kind="dismissals", people=2)
    net.send(ROTTERDAM, {"type": "record_income", "amount": "30", "commodity": "DAYS"})
    net.send(LAGOS, {"type": "accept_figures", "action": 1, "version": 5})
    net.send(LAGOS, {"type": "file_claim", "action": 1, "twin": ROTTERDAM, "amount": "100.00", "what": "pay docked"})

    page = net.action_page(open_page, LAGOS)
    page.get_by_test_id("lang-picker").select_option(language)
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    expect(page.locator("#risks-heading")).to_have_text(RISKS[language])
    expect(page.get_by_test_id("relay-link")).to_have_attribute("href", f"/relay/{relay}")
    # the baton passes from Rotterdam (06:00 there is an hour earlier) to Lagos
    expect(page.get_by_test_id("leg-0")).to_have_attribute("data-circle", ROTTERDAM)
    expect(page.get_by_test_id("leg-1")).to_have_attribute("data-circle", LAGOS)
    expect(page.get_by_test_id(f"asym-{PAIR}-USD")).to_be_visible()
    expect(page.get_by_test_id("pair-bar-svg").first).to_be_visible()
    expect(page.get_by_test_id(f"accepted-{LAGOS}")).to_have_attribute("data-state", "accepted")
    expect(page.get_by_test_id(f"accepted-{ROTTERDAM}")).to_have_attribute("data-state", "waiting")
    expect(page.get_by_test_id("claim-1")).to_have_attribute("data-status", "filed")
    expect(page.get_by_test_id("sheet-text")).not_to_be_empty()
    fits(page, f"the action page in {language}")
    screenshot(page, f"circles-action-{language}-phone.png")
    assert_clean(page_log, net.tokens())
